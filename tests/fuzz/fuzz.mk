# fuzz.mk - the kit's robustness targets, included by the top Makefile.
#
#   make sanitize               every suite against solutions/ + common/ built with
#                               AddressSanitizer and UndefinedBehaviorSanitizer
#   make fuzz [FUZZ_SECONDS=N]  libFuzzer on lesson 03's message state machine
.PHONY: sanitize

## make sanitize: every suite against an ASan + UBSan build of solutions/ and common/
sanitize:
	@tests/tools/deps test fuzz
	@tests/checks/sanitize
