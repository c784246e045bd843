# grader.mk - the grading targets (included by the top Makefile).
#
#   make grade [LESSON="NN-name ..."] [SUBMISSION=DIR] [GRADE_OUT=DIR] [JOBS=N]
#   make grade-group LESSON=NN-name GROUP=NAME     exit 0 only if the group's tests all pass
#   make handout      dist/sockets-kit-handout.tar.gz: everything a student needs, no solutions
#   make gradescope [LESSON="NN-name ..."]   dist/gradescope-autograder.zip (or -LESSON.zip)
# See tests/grader/grade --help, and README.md, "For instructors".
.PHONY: grade grade-group handout gradescope

GRADE_ARGS = $(foreach l,$(LESSON),--lesson $(l)) $(if $(SUBMISSION),--submission $(SUBMISSION)) \
	$(if $(GRADE_OUT),--out $(GRADE_OUT)) $(if $(JOBS),--jobs $(JOBS))

## make grade: the scoreboard of your code (default lessons/), results in build/grade/
grade: deps
	@tests/grader/grade $(GRADE_ARGS)

grade-group: deps
	@test -n "$(GROUP)" || { echo "make grade-group: say which GROUP (see tests/grader/rubric)" >&2; exit 2; }
	@tests/grader/grade $(GRADE_ARGS) --group $(GROUP) --require-all

# Packaging needs the reference solutions (it makes the skeletons from them): a handout
# has none, and no such targets.
ifneq ($(SOLUTIONS),)
## make handout: the student tarball in dist/
handout:
	@tests/grader/make-handout

## make gradescope: the Gradescope autograder zip in dist/
gradescope:
	@tests/grader/make-gradescope $(foreach l,$(LESSON),--lesson $(l))
endif
