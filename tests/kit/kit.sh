#!/usr/bin/env bash
# The kit's own machinery, tested: the skeleton generator and `make lessons`, the drift
# check, the runner's counting and time limits, the dependency check, the editor setup.
# Each test works in a private copy of the kit under $WORK. Run by tests/checks/kit.
. "$(dirname "${BASH_SOURCE[0]}")/../harness.sh"

# copy_kit: a private copy of the kit's sources in $WORK/kit (no build output, no git).
copy_kit() {
  COPY=$WORK/kit
  mkdir -p "$COPY"
  (cd "$KIT" && tar -cf - Makefile common solutions lessons tests) | (cd "$COPY" && tar -xf -)
}

test_make_lessons_keeps_student_edits() {
  describe "make lessons refuses to overwrite a skeleton the student has edited (FORCE=1 does)"
  copy_kit
  local file=$COPY/lessons/01-echo/echo-server.c
  echo "/* my work */" >>"$file"
  make -s -C "$COPY" lessons >"$WORK/out" 2>&1
  local rc=$?
  expect_ok "make lessons exited 0 over an edited skeleton: it must refuse" test "$rc" -ne 0
  expect_ok "make lessons did not name the edited file" grep -q 'lessons/01-echo/echo-server.c' "$WORK/out"
  expect_ok "make lessons changed the student's file" grep -q 'my work' "$file"
  make -s -C "$COPY" lessons FORCE=1 >"$WORK/out" 2>&1
  expect_ok "make lessons FORCE=1 did not restore the skeleton" cmp -s "$file" "$KIT/lessons/01-echo/echo-server.c"
}

test_make_lessons_is_stable() {
  describe "make lessons on untouched skeletons changes nothing"
  copy_kit
  expect_ok "make lessons failed on an untouched kit" make -s -C "$COPY" lessons
  expect_ok "make lessons changed lessons/: the committed skeletons are not what the generator makes (run make lessons and commit)" \
    diff -r "$KIT/lessons" "$COPY/lessons"
}

test_drift_is_detected() {
  describe "a solution changed without regenerating the skeletons is caught by the drift check"
  copy_kit
  sed -i 's/TODO 3 is not done yet/TODO 3 is still to do/; s/CHUNK_SIZE 65536/CHUNK_SIZE 32768/' \
    "$COPY/solutions/01-echo/echo-server.c"
  "$COPY/tests/tools/make-lessons" "$COPY/solutions" "$WORK/gen" >/dev/null 2>&1
  if cmp -s "$WORK/gen/.manifest" "$COPY/lessons/.manifest"; then
    fail_hint "the generator's manifest did not change when a solution did: the drift check cannot see drift"
  else
    passed_check
  fi
}

test_generator_rejects_broken_markers() {
  describe "the generator fails loudly on an unclosed @step region"
  copy_kit
  sed -i '0,/@end \*\//{/@end \*\//d}' "$COPY/solutions/01-echo/echo-server.c"
  if "$COPY/tests/tools/make-lessons" "$COPY/solutions" "$WORK/gen" >/dev/null 2>"$WORK/err"; then
    fail_hint "make-lessons succeeded although a @step region was never closed"
  fi
  expect_ok "make-lessons gave no message naming the problem" grep -q 'not closed\|outside a step' "$WORK/err"
}

test_dist_solutions() {
  describe "make dist-solutions writes the solutions without generator markup, and they still work"
  copy_kit
  make -s -C "$COPY" dist-solutions >"$WORK/out" 2>&1
  local out=$COPY/dist/solutions
  expect_ok "make dist-solutions wrote no dist/solutions/01-echo/echo-server.c ($(tail -n 2 "$WORK/out"))" \
    test -s "$out/01-echo/echo-server.c" || return
  expect_ok "dist/solutions/ holds no README.md and ANSWERS.md for lesson 01" \
    test -s "$out/01-echo/README.md" -a -s "$out/01-echo/ANSWERS.md"
  local left
  left=$(grep -rlE '@step|@stub|@end|Hint:' "$out" --include='*.[ch]')
  expect_eq "generator markup or hints left in: $left" "" "$left"
  left=$(grep -rl 'is not done yet' "$out" --include='*.[ch]')
  expect_eq "a skeleton's stub was kept in: $left" "" "$left"
  VALGRIND=0 "$COPY/tests/run" --code "$out" --lesson 01-echo --test test_short_message \
    --test test_binary_10mib --out "$WORK/run" >"$WORK/run.out" 2>&1
  expect_ok "the clean lesson 01 does not build or pass its tests: $(tail -n 3 "$WORK/run.out" | tr '\n' ' ')" \
    grep -q ': 2 passed, 0 failed$' "$WORK/run.out"
}

test_runner_counts_failures() {
  describe "the runner prints FAIL with a hint, counts tests, and exits non-zero on a failure"
  copy_kit
  "$COPY/tests/tools/make-lessons" "$COPY/solutions" "$WORK/gen" >/dev/null
  VALGRIND=0 "$COPY/tests/run" --code "$WORK/gen" --lesson 01-echo --test test_short_message \
    --test test_usage --out "$WORK/run" >"$WORK/out" 2>&1
  local rc=$?
  expect_eq "the runner exited 0 although a test failed" 1 "$rc"
  expect_ok "the runner's last line is not '... 1 passed, 1 failed'" \
    bash -c "tail -n 1 '$WORK/out' | grep -Eq ': 1 passed, 1 failed$'"
  expect_ok "the runner printed no hint for the failure" grep -q '^        hint: ' "$WORK/out"
}

test_runner_fails_when_nothing_ran() {
  describe "the runner fails when no test ran"
  copy_kit
  "$COPY/tests/run" --code "$COPY/solutions" --lesson 01-echo --test test_no_such_test \
    --out "$WORK/run" >"$WORK/out" 2>&1
  local rc=$?
  expect_eq "the runner exited 0 after running no test" 1 "$rc"
  expect_ok "the runner's last line is not '0 passed, 0 failed'" \
    bash -c "tail -n 1 '$WORK/out' | grep -Eq ': 0 passed, 0 failed$'"
}

test_suite_runs_under_shunit2() {
  describe "a lesson suite run by hand runs under the system's shunit2 (tests/run uses its own launcher)"
  local out=$WORK/by-hand rc
  mkdir -p "$out/work"
  make -s -f "$KIT/tests/build.mk" SRC="$KIT/solutions" OUT="$out/bin" LESSON=01-echo >"$out/build.log" 2>&1 ||
    { fail_hint "lesson 01 did not build: $(tail -n 3 "$out/build.log" | tr '\n' ' ')"; return; }
  env -u SHUNIT2 BIN="$out/bin/01-echo" WORK="$out/work" RESULTS="$out/rows.tsv" \
    bash "$KIT/tests/01-echo.sh" -- test_usage test_short_message >"$out/log" 2>&1
  rc=$?
  expect_eq "shunit2 exited $rc: $(tail -n 3 "$out/log" | tr '\n' ' ')" 0 "$rc"
  expect_ok "shunit2 did not say it ran both tests: $(tail -n 3 "$out/log" | tr '\n' ' ')" grep -q '^Ran 2 tests' "$out/log"
  expect_eq "the suite did not write a passing row for each test" 2 "$(grep -c $'\tpass\t' "$out/rows.tsv")"
}

# fake_suite NAME BODY: a suite of the kit's own making in $WORK/suites/NAME.sh (for the
# runner's machinery), with BODY as its test functions.
fake_suite() {
  mkdir -p "$WORK/suites" "$WORK/tree/$1"
  printf '. "%s/tests/harness.sh"\n%s\n. "$SHUNIT2"\n' "$COPY" "$2" >"$WORK/suites/$1.sh"
}

test_runner_gates() {
  describe "a test whose needed test fails is not run, and says which test to fix first"
  copy_kit
  fake_suite 01-fake '
test_basic() { describe "the basic thing"; fail_hint "it broke"; }
test_advanced() { describe "the advanced thing"; needs test_basic; passed_check; }
test_other() { describe "something else"; passed_check; }'
  "$COPY/tests/run" --suites "$WORK/suites" --code "$WORK/tree" --out "$WORK/run" >"$WORK/out" 2>&1
  expect_ok "the runner did not mark the dependent test as not run: $(tail -n 6 "$WORK/out" | tr '\n' ' ')" \
    grep -q '^  ----  the advanced thing' "$WORK/out"
  expect_ok "the not-run test does not name the test to fix first" grep -q 'fix "the basic thing" first' "$WORK/out"
  expect_ok "the independent test did not run and pass" grep -q '^  PASS  something else' "$WORK/out"
  expect_ok "the closing line does not count the not-run test as failed" \
    bash -c "tail -n 1 '$WORK/out' | grep -q ': 1 passed, 2 failed$'"
}

test_runner_time_limit_fails() {
  describe "a test stopped by the runner's time limit fails, even when its checks so far held"
  copy_kit
  fake_suite 01-fake '
test_slow() { describe "a slow thing"; passed_check; nap 600000; }
test_quick() { describe "a quick thing"; passed_check; }'
  # The limit is generous for the quick test, even on a busy machine; the slow one never
  # ends by itself.
  TEST_LIMIT=10 "$COPY/tests/run" --suites "$WORK/suites" --code "$WORK/tree" --out "$WORK/run" >"$WORK/out" 2>&1
  expect_ok "the stopped test did not fail with the time-limit hint: $(grep -A1 'slow thing' "$WORK/out" | tr '\n' ' ')" \
    grep -q 'took longer than 10s and was stopped' "$WORK/out"
  expect_ok "the other test did not pass" grep -q '^  PASS  a quick thing' "$WORK/out"
}

test_runner_repeat() {
  describe "tests/run --repeat N says how often a test failed in N runs"
  copy_kit
  fake_suite 01-fake '
test_flaky() { describe "a flaky thing"; [ -e "$KIT/../flaky.once" ] && { passed_check; return; }; touch "$KIT/../flaky.once"; fail_hint "failed once"; }
test_steady() { describe "a steady thing"; passed_check; }'
  "$COPY/tests/run" --suites "$WORK/suites" --code "$WORK/tree" --out "$WORK/run" --repeat 4 >"$WORK/out" 2>&1
  expect_ok "the flaky test was not reported as failing 1 of 4 runs: $(grep -A1 flaky "$WORK/out" | tr '\n' ' ')" \
    grep -q 'failed 1 of 4 runs' "$WORK/out"
  expect_ok "the steady test was not reported as passing its 4 runs" grep -q 'PASS  a steady thing (4 runs' "$WORK/out"
}

test_report_is_inert() {
  describe "what a program printed reaches the listing, the scoreboard, results.json and junit.xml only escaped"
  copy_kit
  local rows=$WORK/rows.tsv
  printf '01-echo\ttest_x\tfail\t0\tdesc \033[2J\tgot \033]0;title\007 and \302\233 and \377\\nnext line\t1\n' >"$rows"
  "$COPY/tests/report" show "$rows" >"$WORK/out"
  expect_ok "an escape character reached the listing" bash -c "! grep -q \$'\\033' '$WORK/out'"
  expect_ok "the escape was not shown as \\x1b" grep -qF '\x1b' "$WORK/out"
  printf '01-echo test_x 2 echo\n' >"$WORK/rubric"
  "$COPY/tests/report" grade --rows "$rows" --rubric "$WORK/rubric" --out "$WORK/grade" --quiet >/dev/null
  expect_ok "report validate found problems in what report grade wrote: $("$COPY/tests/report" validate "$WORK/grade" | tr '\n' ' ')" \
    "$COPY/tests/report" validate "$WORK/grade"
}

test_hung_program_fails_its_test_only() {
  describe "a server that hangs fails its test within the time limit and leaves no process behind"
  copy_kit
  local tree=$WORK/hung
  mkdir -p "$tree/01-echo"
  cp "$KIT/solutions/01-echo/echo-client.c" "$tree/01-echo/"
  # A server that announces itself, accepts, and then never reads or answers.
  cat >"$tree/01-echo/echo-server.c" <<'C'
#include "net.h"
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void)
{
    char err[NET_ERRLEN], addr[NET_ADDRSTRLEN];
    int fd = net_listen("127.0.0.1", "0", err, sizeof err);
    if (fd < 0 || net_local_name(fd, addr, sizeof addr) < 0)
        return 1;
    printf("Listening on %s\n", addr);
    fflush(stdout);
    int conn = accept(fd, NULL, NULL);
    (void)conn;
    for (;;)
        pause();
}
C
  TEST_LIMIT=6 VALGRIND=0 "$COPY/tests/run" --code "$tree" --lesson 01-echo \
    --test test_one_byte_at_a_time --out "$WORK/run" >"$WORK/out" 2>&1
  local rc=$?
  expect_eq "the runner exited $rc: the hung test should fail and the run end with status 1" 1 "$rc"
  expect_ok "the runner did not report the hung test as FAIL" grep -q 'FAIL' "$WORK/out"
  local left
  left=$(for p in /proc/[0-9]*; do readlink "$p/exe" 2>/dev/null; done | grep -c "^$WORK/run/bin/")
  expect_eq "$left process(es) of the hung server were still running after the run: the runner must stop each test's process group" \
    0 "$left"
}

test_deps_prints_install_line() {
  describe "without root or sudo, the dependency check prints the exact apt-get line and stops"
  command -v setpriv >/dev/null || { fail_hint "setpriv (util-linux) is needed for this test"; return; }
  setpriv --reuid=65534 --regid=65534 --clear-groups env DEPS_EXTRA=kit-no-such-package \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin "$KIT/tests/tools/deps" test >"$WORK/out" 2>&1
  local rc=$?
  expect_eq "deps exited $rc for a user who cannot install: it should exit 1" 1 "$rc"
  expect_ok "deps did not print the apt-get line: $(head -c 300 "$WORK/out")" \
    grep -q 'apt-get install -y --no-install-recommends kit-no-such-package' "$WORK/out"
}

test_compile_commands() {
  describe "make compile_commands.json records every program's compile command for editors"
  command -v bear >/dev/null || { fail_hint "bear is not installed (Debian package bear)"; return; }
  copy_kit
  make -s -C "$COPY" compile_commands.json >"$WORK/out" 2>&1
  expect_ok "compile_commands.json was not written: $(tail -n 3 "$WORK/out")" test -s "$COPY/compile_commands.json"
  expect_ok "compile_commands.json has no entry for echo-server.c" \
    grep -q 'solutions/01-echo/echo-server.c' "$COPY/compile_commands.json"
}

. "$SHUNIT2"
