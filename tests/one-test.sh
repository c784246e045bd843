# shellcheck shell=bash
# one-test.sh - runs one test of a lesson suite, as shunit2 would run it, for tests/run.
#
# A suite ends with `. "$SHUNIT2"`; by hand that is shunit2 (bash tests/01-echo.sh
# [-- TEST]). tests/run starts one process per test, hundreds per run, and sets SHUNIT2 to
# this file: shunit2 starts about thirty processes of its own before a test begins (a third
# of a CPU second each time on the kit's two-core reference machine), this file none.
# It offers what the harness uses of shunit2, with the same meaning: the hooks setUp and
# tearDown around the test, tearDown also when the test is stopped by a signal, `fail
# MESSAGE` and `startSkipping`. The test's result is the row tearDown writes (harness.sh).
#
#   bash tests/NN-name.sh -- TEST

# fail MESSAGE: records a failed check (the harness's fail_hint calls it).
fail() { printf 'ASSERT:%s\n' "$1"; }
# startSkipping: the checks after it do not count (the harness's skip_test calls it).
startSkipping() { :; }

if [ $# -ne 2 ] || [ "$1" != -- ] || [[ $2 != test* ]] || ! declare -F "$2" >/dev/null; then
  echo "usage: bash SUITE.sh -- TEST (one test function of the suite)" >&2
  exit 2
fi
# tearDown runs however the test ends: returning, calling exit, or stopped by a signal.
trap tearDown EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
echo "Running $2"
setUp
"$2"
