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
.PHONY: all solutions skeletons tools test check lessons demo deps dist-solutions clean help compile_commands.json

## make: build every solution and every lesson skeleton (into build/)
all: $(if $(SOLUTIONS),solutions) skeletons

solutions:
	@$(MAKE) -s -f tests/build.mk SRC=$(KIT)/solutions OUT=$(KIT)/build/solutions

# The student's working copy: their edits are theirs, so a build error there is reported
# but the target still builds what it can.
skeletons:
	@$(MAKE) -s -k -f tests/build.mk SRC=$(KIT)/lessons OUT=$(KIT)/build/lessons

tools:
	@$(MAKE) -s -f tests/tools.mk

## make demo [CODE=lessons]: each lesson's client against its server, both sides shown:
## the reference solutions, or your own programs (a student handout has only those)
DEMO_CODE := $(or $(CODE),$(if $(SOLUTIONS),solutions,lessons))
demo: deps $(if $(filter solutions,$(DEMO_CODE)),solutions,skeletons)
	@tests/tools/demo $(DEMO_CODE)

# The targets below need the reference solutions: a student handout (make handout), which
# has no solutions/, does not have them (neither does its make help).
ifneq ($(SOLUTIONS),)
## make test: every suite against solutions/ (valgrind included), the skeleton checks
test: deps
	@tests/check test

## make check: the maintainers' checks on top of make test (grader, sanitizers, fuzzing...)
check: deps
	@tests/check check

## make lessons [FORCE=1]: regenerate lessons/ from solutions/ (keeps a student's edits)
lessons:
	@tests/tools/update-lessons $(if $(FORCE),--force)

## make dist-solutions: the solutions without generator markup, for teachers, in dist/solutions/
dist-solutions:
	@tests/tools/dist-solutions solutions dist/solutions
endif

## make deps: check (and when allowed, install) the Debian packages the kit needs
deps:
	@tests/tools/deps test

## make compile_commands.json: for editors (clangd), recorded with bear (anew each time)
compile_commands.json:
	@rm -rf build/solutions build/lessons
	bear --output $(KIT)/compile_commands.json -- $(MAKE) -s all

clean:
	rm -rf build dist compile_commands.json

help:
	@echo "Targets:"
ifneq ($(SOLUTIONS),)
	@echo "  make                 build every solution and lesson skeleton (into build/)"
	@echo "  make test            every lesson suite against solutions/ (valgrind included), the"
	@echo "                       drift and skeleton checks; a few minutes; ends 'N passed, N failed'"
	@echo "  make check           the maintainers' checks on top: the grader's self-test (hostile"
	@echo "                       submissions, mistake catalogue), every TODO stubbed alone,"
	@echo "                       sanitizers, fuzzing, load, the handout, slides in a browser"
else
	@echo "  make                 build your programs from lessons/ (into build/lessons/)"
endif
	@echo "  make grade [LESSON=NN-name] [SUBMISSION=DIR]"
	@echo "                       grade your code (default: lessons/) and print a scoreboard"
ifneq ($(SOLUTIONS),)
	@echo "  make handout         the student tarball (no solutions) in dist/"
	@echo "  make gradescope [LESSON=NN-name]  the Gradescope autograder zip in dist/"
	@echo "  make lessons [FORCE=1]  regenerate lessons/ from solutions/ (keeps your edits)"
	@echo "  make dist-solutions  the reference solutions as clean copies to hand out after the"
	@echo "                       lab (no TODO markup), with READMEs and answers, in dist/solutions/"
	@echo "  make demo [CODE=lessons]  run each lesson's client against its server (the"
	@echo "                       reference solutions, or with CODE=lessons your programs)"
	@echo "  make slides          render the slide decks to build/slides/"
	@echo "  make slides-pdf [NOTES=1]  print the decks to PDF (with speaker notes)"
	@echo "  make sanitize        every suite against an ASan + UBSan build of solutions/ and common/"
	@echo "  make fuzz [FUZZ_SECONDS=N]  fuzz lesson 03's message parser (libFuzzer, default 60 s)"
	@echo "  make bench           measure the servers: report + chart in build/bench/ (a few minutes)"
else
	@echo "  make demo            run each lesson's client against its server: your programs"
endif
	@echo "  make tools           build the kit's test tools (into build/tools/)"
	@echo "  make deps            check and install the Debian packages the kit needs"
	@echo "  make compile_commands.json  for clangd and other editors"
	@echo "  make clean           remove everything the build made"

# Targets contributed by the parts of the kit that have their own rules.
-include slides/slides.mk tests/grader/grader.mk tests/bench/bench.mk tests/fuzz/fuzz.mk
