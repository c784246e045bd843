# fuzz.mk - the kit's robustness targets, included by the top Makefile.
#
#   make sanitize               every suite against solutions/ + common/ built with
#                               AddressSanitizer and UndefinedBehaviorSanitizer
#   make fuzz [FUZZ_SECONDS=N]  libFuzzer on lesson 03's message state machine: the kept
#                               corpus first, then N seconds of fuzzing (default 60)
# Both also run in make test (tests/checks/sanitize, tests/checks/fuzz).
.PHONY: sanitize fuzz
FUZZ_SECONDS ?= 60

## make sanitize: every suite against an ASan + UBSan build of solutions/ and common/
sanitize:
	@tests/tools/deps test fuzz
	@tests/checks/sanitize

## make fuzz [FUZZ_SECONDS=N]: fuzz lesson 03's message parser on both sides
fuzz:
	@tests/tools/deps test fuzz
	@tests/fuzz/run-fuzz $(FUZZ_SECONDS)
