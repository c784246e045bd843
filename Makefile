# The kit's one entry point. `make help` lists the targets.
#
# Build output goes to build/ (never into source folders), release artefacts to dist/.
# The lesson programs are built by tests/build.mk, the C test tools by tests/tools.mk;
# slides, grading, benchmarks and fuzzing add their targets from their own .mk files.

SHELL := /bin/bash
KIT := $(CURDIR)
CC ?= cc
export CC

SOLUTIONS := $(sort $(wildcard solutions/[0-9][0-9]-*))
LESSON_NAMES := $(notdir $(SOLUTIONS))

.DEFAULT_GOAL := all
.PHONY: all solutions skeletons tools test check lessons check-lessons demo deps dist-solutions clean help

## make: build every solution and every lesson skeleton (into build/)
all: solutions skeletons

solutions:
	@$(MAKE) -s -f tests/build.mk SRC=$(KIT)/solutions OUT=$(KIT)/build/solutions

# The student's working copy: their edits are theirs, so a build error there is reported
# but the target still builds what it can.
skeletons:
	@$(MAKE) -s -k -f tests/build.mk SRC=$(KIT)/lessons OUT=$(KIT)/build/lessons

tools:
	@$(MAKE) -s -f tests/tools.mk

## make test: every suite against solutions/ (valgrind included), the skeleton checks
# A student handout has no solutions/: say so instead of failing somewhere deep inside.
NO_SOLUTIONS = echo "This copy of the kit has no solutions/ (a student handout): 'make $@' needs them. Grade your own work with 'make grade'." >&2; exit 1

test: deps
	@$(if $(SOLUTIONS),tests/check test,$(NO_SOLUTIONS))

## make check: the maintainers' checks on top of make test (grader, sanitizers, fuzzing...)
check: deps
	@$(if $(SOLUTIONS),tests/check check,$(NO_SOLUTIONS))

## make lessons [FORCE=1]: regenerate lessons/ from solutions/ (keeps a student's edits)
lessons:
	@$(if $(SOLUTIONS),tests/tools/update-lessons $(if $(FORCE),--force),$(NO_SOLUTIONS))

## make dist-solutions: the solutions without generator markup, for teachers, in dist/solutions/
dist-solutions:
	@$(if $(SOLUTIONS),tests/tools/dist-solutions solutions dist/solutions,$(NO_SOLUTIONS))

## make demo: each lesson's client against its server, both sides shown
demo: deps solutions
	@$(if $(SOLUTIONS),tests/tools/demo,$(NO_SOLUTIONS))

## make deps: check (and when allowed, install) the Debian packages the kit needs
deps:
	@tests/tools/deps test

## make compile_commands.json: for editors (clangd), recorded with bear
compile_commands.json:
	@rm -rf build/solutions build/lessons
	bear --output $(KIT)/compile_commands.json -- $(MAKE) -s all

clean:
	rm -rf build dist compile_commands.json

help:
	@echo "Targets:"
	@echo "  make                 build every solution and lesson skeleton (into build/)"
	@echo "  make test            every lesson suite against solutions/ (valgrind included), the"
	@echo "                       drift and skeleton checks; a few minutes; ends 'N passed, N failed'"
	@echo "  make check           the maintainers' checks on top: the grader's self-test (hostile"
	@echo "                       submissions, mistake catalogue), every TODO stubbed alone,"
	@echo "                       sanitizers, fuzzing, load, the handout, slides in a browser"
	@echo "  make grade [LESSON=NN-name] [SUBMISSION=DIR]"
	@echo "                       grade your code (default: lessons/) and print a scoreboard"
	@echo "  make handout         the student tarball (no solutions) in dist/"
	@echo "  make gradescope [LESSON=NN-name]  the Gradescope autograder zip in dist/"
	@echo "  make lessons [FORCE=1]  regenerate lessons/ from solutions/ (keeps your edits)"
	@echo "  make dist-solutions  the reference solutions as clean copies to hand out after the"
	@echo "                       lab (no TODO markup), with READMEs and answers, in dist/solutions/"
	@echo "  make demo            run each lesson's client against its server"
	@echo "  make slides          render the slide decks to build/slides/"
	@echo "  make slides-pdf [NOTES=1]  print the decks to PDF (with speaker notes)"
	@echo "  make sanitize        every suite against an ASan + UBSan build of solutions/ and common/"
	@echo "  make fuzz [FUZZ_SECONDS=N]  fuzz lesson 03's message parser (libFuzzer, default 60 s)"
	@echo "  make bench           measure the servers: report + chart in build/bench/ (a few minutes)"
	@echo "  make deps            check and install the Debian packages the kit needs"
	@echo "  make compile_commands.json  for clangd and other editors"
	@echo "  make clean           remove everything the build made"

# Targets contributed by the parts of the kit that have their own rules.
-include slides/slides.mk tests/grader/grader.mk tests/bench/bench.mk tests/fuzz/fuzz.mk
