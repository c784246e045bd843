# harness.sh - what every lesson suite shares. Source it at the top of a suite; end the
# suite with ". "$SHUNIT2"": the system's shunit2 by hand; tests/run sets it to
# tests/one-test.sh, which runs one test the same way without shunit2's start-up cost.
#
# The runner (tests/run) sets, for one test at a time:
#   BIN         the folder holding the lesson's built programs (solution, skeleton or submission)
#   TOOLS       the folder holding the kit's built C test tools
#   WORK        an empty scratch folder for this test
#   WORK_SHOWN  where WORK's files can be found once the test is over (the grader keeps
#               them in its output folder): hints name files there
#   RESULTS     the file the test's result row is appended to (see tests/rows.sh)
#   SLOW        a factor (1, 2, ...) for every bounded wait: sanitizer builds run slower
#   VALGRIND    0 to skip the valgrind tests (they then say so); anything else runs them
#   CONTAIN     set by the grader: the programs under test are contained (see
#               tests/grader/contain). BIN then holds small scripts that run each real
#               program (in REAL_BIN) through `contain run`, so that every way a test starts
#               one of them is contained; start_server and run_client use REAL_BIN directly.
# Run by hand, a suite picks sensible defaults (solutions built under build/solutions).
#
# A test calls `describe "what it checks, for a student"` first, then, if it makes sense
# only once other tests pass, `needs test_a ...` (the runner reads these lines: when a
# needed test fails, this one is not run, and says which to fix first). It starts programs
# with start_server / run_client and checks with expect_* or fail_hint "HINT", where HINT
# says what happened and names the likely mistake. A test passes when it made at least one
# check and none failed. Every process a test starts is stopped in tearDown by its process
# group, and every wait is bounded.

KIT=${KIT:-$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)}
SHUNIT2=${SHUNIT2:-/usr/share/shunit2/shunit2}
TOOLS=${TOOLS:-$KIT/build/tools}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/kit-test.XXXXXX")}
WORK_SHOWN=${WORK_SHOWN:-$WORK}
RESULTS=${RESULTS:-$WORK/results.tsv}
SLOW=${SLOW:-1}
VALGRIND=${VALGRIND:-1}
export SHUNIT_COLOR=${SHUNIT_COLOR:-none}
[ -d "$WORK" ] || mkdir -p "$WORK"
. "$KIT/tests/rows.sh"

# RUN_DIR: the one folder the programs under test may write in (their working folder when
# the grader contains them): a test that hands a program a file name (a Unix socket's
# path, say) puts it here.
RUN_DIR=${CONTAIN_RUN:-$WORK/run}
[ -d "$RUN_DIR" ] || mkdir -p "$RUN_DIR"

# The suite's lesson folder name ("01-echo"), from the suite's file name.
LESSON=${BASH_SOURCE[1]##*/}
LESSON=${LESSON%.sh}
BIN=${BIN:-$KIT/build/solutions/$LESSON}
REAL_BIN=${REAL_BIN:-$BIN}

# Bounded waits, in seconds (multiplied by SLOW). They are generous: each ends as soon as
# what it waits for has happened, so a correct program never waits them out.
READY_WAIT=10          # for a server's "Listening on" line
VALGRIND_READY_WAIT=30 # the same under valgrind, which starts slowly
STOP_WAIT=10           # for a server to exit after SIGTERM
CLIENT_WAIT=20         # for a client to finish

# Each test's own state is set in setUp (below); this counter runs across the suite.
_server_count=0

# ---- describing and judging a test ---------------------------------------------------

# describe TEXT: the one line a student reads for this test. Call it first in each test.
describe() {
  _test=${FUNCNAME[1]}
  _desc=$*
}

# given: this test checks code the skeleton already provides (argument handling), so the
# untouched skeleton may pass it; it earns no points and the inverse check skips it.
given() { _given=1; }

# needs TEST...: this test only makes sense once TEST passes. The runner reads the line
# before it runs anything (tests/run); when the suite runs by hand it does nothing.
needs() { :; }

# slow: this test takes seconds by design (valgrind, a timeout that must run out, a
# measurement over time). The runner reads the line and starts such tests first, so that a
# run does not end waiting on one of them alone; when the suite runs by hand it does nothing.
slow() { :; }

# skip_test REASON: the test is not run, for a reason that is not the code's fault.
skip_test() {
  _skip_reason=$1
  startSkipping
}

# fail_hint HINT: fails the test with HINT: what happened, then the probable mistake.
fail_hint() {
  _failed=1
  _hints+=("$1")
  fail "$1"
}

# passed_check: counts a check that held (expect_* do it; a test that checks by other
# means says so, so that a test which checked nothing cannot pass).
passed_check() { _checks=$((_checks + 1)); }

# expect_eq HINT EXPECTED ACTUAL: fails with HINT unless EXPECTED and ACTUAL are equal.
expect_eq() {
  if [ "$2" = "$3" ]; then
    passed_check
    return 0
  fi
  fail_hint "$1"
  return 1
}

# expect_ok HINT COMMAND...: runs COMMAND, fails with HINT unless it exits 0.
expect_ok() {
  local hint=$1
  shift
  if "$@"; then
    passed_check
    return 0
  fi
  fail_hint "$hint"
  return 1
}

# expect_match HINT REGEX TEXT: fails with HINT unless a line of TEXT matches the extended
# REGEX (as grep -E would say; ^ and $ are a line's ends).
expect_match() {
  if _line_matches "$2" "$3"; then
    passed_check
    return 0
  fi
  fail_hint "$1"
  return 1
}

# _line_matches REGEX TEXT: true when a line of TEXT matches the extended REGEX (bash's own
# matching, line by line: no grep process on a test's every check).
_line_matches() {
  local - line IFS=$'\n'
  set -f
  for line in $2; do
    [[ $line =~ $1 ]] && return 0
  done
  # The loop skips empty lines: an empty TEXT, or one with an empty line, also has one.
  [[ -z $2 || $2 == *$'\n\n'* || $2 == $'\n'* || $2 == *$'\n' ]] && [[ "" =~ $1 ]]
}

# ---- evidence for hints ------------------------------------------------------------------

# shown FILE: FILE's path as the student will find it after the test (see WORK_SHOWN).
shown() {
  local f=$1
  [ "${f#"$WORK"/}" != "$f" ] && f=$WORK_SHOWN/${f#"$WORK"/}
  printf '%s' "$f"
}

# exit_story STATUS: how a program ended, in words, from its exit status.
exit_story() {
  local s=$1 sig
  case "$s" in
    "") echo "is still running" ;;
    0) echo "exited 0" ;;
    124) echo "did not finish in time and was stopped" ;;
    timeout) echo "did not exit in time and was killed" ;;
    *)
      if [ "$s" -gt 128 ] 2>/dev/null; then
        sig=SIG$(kill -l $((s - 128)) 2>/dev/null)
        case "$sig" in
          SIGSEGV | SIGBUS) echo "was killed by $sig (a crash: a bad pointer or an out-of-bounds access; run it under valgrind to see where)" ;;
          SIGABRT) echo "was killed by SIGABRT (abort(): a failed assert(), or the C library caught memory corruption)" ;;
          SIGPIPE) echo "was killed by SIGPIPE (it wrote to a connection the peer had closed: ignore SIGPIPE and handle EPIPE)" ;;
          SIGFPE) echo "was killed by SIGFPE (an arithmetic error such as a division by zero)" ;;
          SIGXCPU) echo "was killed by SIGXCPU (it used up its CPU time: an endless loop?)" ;;
          SIGXFSZ) echo "was killed by SIGXFSZ (it wrote more output than allowed: printing without end?)" ;;
          SIGKILL) echo "was killed by SIGKILL (it had to be stopped, or a limit stopped it)" ;;
          *) echo "was killed by $sig" ;;
        esac
      else
        echo "exited $s"
      fi
      ;;
  esac
}

# last_lines FILE [N]: the last N (default 3) lines of FILE, shortened, for a hint.
last_lines() {
  local line
  [ -s "$1" ] || { echo "(nothing)"; return; }
  _tail_lines "$1" "${2:-3}"
  for line in "${_TAIL[@]}"; do
    printf '%s\n' "${line:0:160}"
  done
}

# tail_of FILE [N] [WIDTH]: the last N (default 2) lines of FILE on one line, each cut to
# WIDTH (default 160) characters, for a hint; "(nothing)" if there are none.
tail_of() {
  local line out=
  _tail_lines "$1" "${2:-2}"
  for line in "${_TAIL[@]}"; do
    out+="${out:+ }${line:0:${3:-160}}"
  done
  printf '%s' "${out:-(nothing)}"
}

# last_line FILE: FILE's last line that is not empty, as it is (nothing if none).
last_line() {
  _tail_lines "$1" 1
  printf '%s' "${_TAIL[0]:-}"
}

# head_line FILE: FILE's first line, as it is (nothing if none).
head_line() {
  local line=
  IFS= read -r line <"$1" 2>/dev/null
  printf '%s' "$line"
}

# start_of FILE [N]: the first N (default 200) characters of FILE, for a hint.
start_of() {
  local text=
  IFS= read -r -N "${2:-200}" text <"$1" 2>/dev/null
  printf '%s' "$text"
}

# first_line FILE REGEX [WIDTH]: FILE's first line matching the extended REGEX, cut to WIDTH
# (default 160) characters (nothing if none).
first_line() {
  first_match "$1" "$2" || return 0
  printf '%s' "${MATCH:0:${3:-160}}"
}

# _tail_lines FILE N: sets the array _TAIL to the last N lines of FILE that are not empty
# (a file of 64 KiB or more is read by tail).
_tail_lines() {
  _TAIL=()
  [ -r "$1" ] || return 0
  if _small_lines "$1"; then
    local from=$((${#_LINES[@]} - $2))
    _TAIL=("${_LINES[@]:$((from > 0 ? from : 0))}")
  else
    mapfile -t _TAIL < <(tail -n "$2" "$1")
  fi
}

# text_of FILE...: the contents of FILEs, at most 64 KiB of them: what a program under
# test printed, for a comparison or a hint (a program may print without end, and a shell
# variable of many megabytes would stall the test).
text_of() {
  local f part all=
  for f; do
    IFS= read -r -N 65536 part <"$f" 2>/dev/null
    all+=$part
  done
  printf '%s' "${all:0:65536}"
}

# server_said: "; the server said: ..." with the last two lines the last started server
# printed on stderr (its errors), on one line; nothing when it printed none. For hints of
# tests where the server's own words name the mistake ("TODO 4 is not done yet: ...").
server_said() {
  [ -s "${SERVER_ERR:-}" ] || return 0
  printf '; the server said: %s' "$(tail_of "$SERVER_ERR" 2)"
}

# server_log: the last lines the server printed, stdout then stderr, on one line (for hints).
server_log() {
  local all
  _tail_lines "$SERVER_OUT" 4
  all=("${_TAIL[@]}")
  _tail_lines "$SERVER_ERR" 4
  all+=("${_TAIL[@]}")
  local from=$((${#all[@]} - 4))
  all="${all[*]:$((from > 0 ? from : 0))}"
  printf '%s' "${all:0:300}"
}

# bytes_story SENT GOT: what came back compared with what was sent, in a few lines: the
# sizes, and where they first differ with a hex and text view of both around that byte.
bytes_story() {
  local sent=$1 got=$2 ns ng at from
  ns=$(wc -c <"$sent")
  ng=$(wc -c <"$got" 2>/dev/null || echo 0)
  if cmp -s "$sent" "$got"; then
    echo "all $ns bytes came back intact"
    return
  fi
  at=$(cmp "$sent" "$got" 2>/dev/null | sed -n 's/.* differ: .*byte \([0-9]*\).*/\1/p')
  if [ -z "$at" ]; then
    # One is a prefix of the other.
    at=$((ng < ns ? ng + 1 : ns + 1))
  fi
  from=$((at > 9 ? at - 9 : 0))
  echo "sent $ns bytes, got $ng back; the first difference is at byte $((at - 1)) (counting from 0):"
  printf '  sent: %s\n' "$(_peek "$sent" "$from")"
  printf '  got:  %s\n' "$(_peek "$got" "$from")"
}

# _peek FILE OFFSET: 16 bytes of FILE from OFFSET, in hex and as text (dots for the rest).
_peek() {
  local hex text
  hex=$(od -An -tx1 -v -j "$2" -N 16 "$1" 2>/dev/null | tr -s ' \n' ' ')
  text=$(head -c $(($2 + 16)) "$1" 2>/dev/null | tail -c +$(($2 + 1)) | LC_ALL=C tr -c '[:print:]' '.')
  [ -n "${hex// /}" ] || { echo "(nothing there: it ended before)"; return; }
  echo "@$2:${hex% } |$text|"
}

# ---- processes -------------------------------------------------------------------------

# The pid list is also kept in a file, so the runner can stop what a test left behind even
# when the test itself was killed for taking too long.
_track() {
  _pids+=("$1")
  echo "$1" >>"$WORK/pids"
}

# stop_group PID [SECONDS]: SIGTERM to the process group PID leads, then SIGKILL if it is
# still there after SECONDS (default STOP_WAIT). Returns once the group is gone.
stop_group() {
  kill -TERM -- "-$1" 2>/dev/null || return 0
  wait_until "${2:-$STOP_WAIT}" _group_gone "$1"
  kill -KILL -- "-$1" 2>/dev/null
  return 0
}
_group_gone() { ! kill -0 -- "-$1" 2>/dev/null; }

# count_lines REGEX FILE...: how many lines of the FILEs match the extended REGEX.
count_lines() {
  _count "$@"
  echo "$COUNT"
}

# _count REGEX FILE...: count_lines into COUNT, without a subshell (for waits that poll).
_count() {
  local re=$1 f line
  COUNT=0
  shift
  for f; do
    if ! _small_lines "$f"; then
      COUNT=$((COUNT + $(grep -Ec -- "$re" "$f" 2>/dev/null)))
      continue
    fi
    for line in "${_LINES[@]}"; do
      [[ $line =~ $re ]] && COUNT=$((COUNT + 1))
    done
  done
  return 0
}

# _small_lines FILE: sets the array _LINES to FILE's lines (empty ones left out), read
# without starting a process (waits poll files many times) and without a here-string (bash
# reads those one byte per system call); returns 1 for a file of 64 KiB or more, which grep
# reads instead.
_small_lines() {
  local - text IFS=$'\n'
  _LINES=()
  IFS= read -r -N 65536 text 2>/dev/null <"$1"
  [ ${#text} -lt 65536 ] || return 1
  # Split at newlines, with pathname expansion off (a line may hold a '*'; `local -` above
  # gives the option back on return).
  set -f
  _LINES=($text)
}

# wait_for_count REGEX FILE N SECONDS: waits (bounded) until FILE has N matching lines.
wait_for_count() { wait_until "$4" _count_at_least "$1" "$2" "$3"; }
_count_at_least() { _count "$1" "$2" && [ "$COUNT" -ge "$3" ]; }

# wait_for_line FILE REGEX SECONDS [PID]: waits until a line of FILE matches REGEX.
# Returns 0 when it does (MATCH holds the line), 1 after SECONDS or as soon as PID (if
# given) has exited.
wait_for_line() {
  wait_until "$3" _line_or_gone "$1" "$2" "${4:-}"
  first_match "$1" "$2"
}
_line_or_gone() { first_match "$1" "$2" || { [ -n "$3" ] && _gone "$3"; }; }

# first_match FILE REGEX: sets MATCH to the first line of FILE that matches the extended
# REGEX; returns 1 when none does.
first_match() {
  local line
  MATCH=
  if ! _small_lines "$1"; then
    MATCH=$(grep -E -m1 -- "$2" "$1" 2>/dev/null)
    [ -n "$MATCH" ]
    return
  fi
  for line in "${_LINES[@]}"; do
    [[ $line =~ $2 ]] && { MATCH=$line; return 0; }
  done
  return 1
}

# wait_until SECONDS COMMAND...: runs COMMAND until it succeeds (returns 0), napping in
# between, or until the naps add up to SECONDS (times SLOW; returns 1). The naps grow from
# 20 ms to 200 ms: what happens at once is seen at once, and a long wait starts few
# processes. Counting naps rather than reading the clock keeps a bound generous on a busy
# machine.
wait_until() {
  local left=$(($1 * SLOW * 1000)) ms=20
  shift
  until "$@"; do
    [ $left -gt 0 ] || return 1
    nap "$ms"
    left=$((left - ms))
    ms=$((ms >= 100 ? 200 : ms * 2))
  done
}

# nap MILLISECONDS: sleeps without starting a process (a test polls a lot, and every
# process costs a busy machine): a read that times out on a FIFO nobody writes to, opened
# read-write so that the open never blocks and the read never sees an end of file.
nap() {
  local s
  printf -v s '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
  if [ -p "$WORK/.nap" ] || mkfifo "$WORK/.nap" 2>/dev/null; then
    read -r -t "$s" _ <>"$WORK/.nap"
  else
    sleep "$s"
  fi
  return 0
}

# _program_cmd PRELOAD VALGRIND_LOG PROGRAM [ARGS...]: sets the array _cmd to the command
# running PROGRAM of the code under test (REAL_BIN/PROGRAM): with the LD_PRELOAD shim
# PRELOAD and under valgrind (its log on descriptor 3) when they are not empty; through
# `contain run` when the grader contains the code. Sets _session to what goes before _cmd
# to start it in a session (and process group) of its own: setsid, or nothing when contained
# (contain run makes one).
_program_cmd() {
  local preload=$1 vglog=$2 exe=$REAL_BIN/$3
  shift 3
  _session=(setsid)
  if [ -n "$vglog" ]; then
    set -- valgrind "${VALGRIND_OPTS[@]}" --log-fd=3 "$exe" "$@"
  else
    set -- "$exe" "$@"
  fi
  if [ -n "${CONTAIN:-}" ]; then
    # `contain run`, without the script in between: the program contain-exec it would start.
    _cmd=("$CONTAIN_EXEC" ${preload:+--preload "$preload"} ${vglog:+--keep-fd 3} "$@")
    _session=() # contain-exec leads a session of its own
  elif [ -n "$preload" ]; then
    # A sanitizer build must be told that its runtime need not come first.
    _cmd=(env LD_PRELOAD="$preload" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "$@")
  else
    _cmd=("$@")
  fi
}

# A valgrind log comes through a pipe, read by a `cat` of the harness: a program under test
# cannot reopen it to rewrite what valgrind wrote (through /proc/self/fd), only add to it.
declare -A _vg_readers=()
_vg_open() {
  rm -f "$1" "$1.fifo"
  mkfifo "$1.fifo" || return 1
  cat "$1.fifo" >"$1" &
  _vg_readers[$1]=$!
}
# _vg_wait LOG: waits (bounded) until everything valgrind wrote to LOG is there.
_vg_wait() {
  local pid=${_vg_readers[$1]:-}
  [ -n "$pid" ] || return 0
  wait_until 20 _gone "$pid"
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  unset "_vg_readers[$1]"
  rm -f "$1.fifo"
}
# _gone PID: true once PID has exited (a zombie not yet reaped counts as gone).
_gone() {
  local stat
  kill -0 "$1" 2>/dev/null && read -r stat <"/proc/$1/stat" 2>/dev/null || return 0
  stat=${stat##*) }
  [ "${stat%% *}" = Z ]
}

# program_pid JOB: sets PROGRAM_PID to the pid of the program a job started with
# _program_cmd runs: the job itself, or, in the grader's sandbox, the program two levels
# down (bwrap, its init).
program_pid() {
  local pid=$1 child level
  if [ "${CONTAIN:-}" = sandbox ]; then
    for level in 1 2; do
      # bwrap and its init are single-threaded: their children are their main task's.
      child=
      read -r child _ 2>/dev/null <"/proc/$pid/task/$pid/children"
      [ -n "$child" ] || { pid=$1; break; }
      pid=$child
    done
  fi
  PROGRAM_PID=$pid
}

# start_server PROGRAM [ARGS...]: starts $BIN/PROGRAM in its own process group (default
# arguments: 127.0.0.1 0) and waits for its "Listening on HOST:PORT" line. Sets SERVER_PID
# (the program's pid: for signals and /proc), SERVER_PORT, SERVER_HOST, SERVER_ADDR (the
# announced address: HOST:PORT or [HOST]:PORT; for a Unix-domain server, one given an
# argument unix:NAME (lesson 04), unix:NAME, with SERVER_HOST the same and SERVER_PORT
# empty), SERVER_OUT (stdout file), SERVER_ERR (stderr file).
# With VALGRIND_LOG set to a file name, runs it under valgrind logging there; with
# SERVER_PRELOAD set to a shared object, runs it with that LD_PRELOAD shim.
# Returns 1, after failing the test with a hint, if the line does not come.
start_server() {
  _start_server "" "$@"
}

# _start_server TOOL PROGRAM [ARGS...]: start_server; TOOL not empty: PROGRAM is one of the
# kit's own test tools (in TOOLS), trusted, never contained.
_start_server() {
  local tool=$1 prog=$2 wait=$READY_WAIT unix=0 arg
  shift 2
  [ $# -gt 0 ] || set -- 127.0.0.1 0
  for arg in "$@"; do
    [[ $arg == unix:* ]] && unix=1
  done
  _server_count=$((_server_count + 1))
  SERVER_OUT=$WORK/$prog.$_server_count.out
  SERVER_ERR=$WORK/$prog.$_server_count.err
  SERVER_STATUS=
  : >"$SERVER_OUT"
  if [ -n "$tool" ]; then
    _cmd=("$TOOLS/$prog" "$@")
    _session=(setsid)
  elif [ ! -x "$BIN/$prog" ]; then
    fail_hint "$prog was not built: look for compiler errors above"
    return 1
  else
    _program_cmd "${SERVER_PRELOAD:-}" "${VALGRIND_LOG:-}" "$prog" "$@"
  fi
  if [ -z "$tool" ] && [ -n "${VALGRIND_LOG:-}" ]; then
    wait=$VALGRIND_READY_WAIT
    _vg_open "$VALGRIND_LOG" || { fail_hint "cannot make a pipe for valgrind's log"; return 1; }
    "${_session[@]}" "${_cmd[@]}" >"$SERVER_OUT" 2>"$SERVER_ERR" </dev/null 3>"$VALGRIND_LOG.fifo" &
  else
    "${_session[@]}" "${_cmd[@]}" >"$SERVER_OUT" 2>"$SERVER_ERR" </dev/null &
  fi
  SERVER_JOB=$!
  SERVER_PID=$SERVER_JOB
  _track "$SERVER_JOB"
  if ! wait_for_line "$SERVER_OUT" '^Listening on ' "$wait" "$SERVER_JOB"; then
    if kill -0 "$SERVER_JOB" 2>/dev/null; then
      fail_hint "$prog printed no 'Listening on HOST:PORT' line within $((wait * SLOW))s (its stdout: $(tail_of "$SERVER_OUT" 2)): print it, and flush, once listen() succeeds, with the port the system chose"
    else
      wait "$SERVER_JOB" 2>/dev/null
      SERVER_STATUS=$?
      fail_hint "$prog $(exit_story "$SERVER_STATUS") without printing 'Listening on HOST:PORT' (its stderr: $(tail_of "$SERVER_ERR" 3))"
    fi
    return 1
  fi
  if [ -z "$tool" ]; then
    program_pid "$SERVER_JOB"
    SERVER_PID=$PROGRAM_PID
  fi
  local line=$MATCH
  SERVER_ADDR=${line#Listening on }
  if [ $unix = 1 ] && [[ $SERVER_ADDR == unix:* ]]; then
    # A Unix-domain server has a name and no port.
    SERVER_HOST=$SERVER_ADDR
    SERVER_PORT=
    return 0
  fi
  SERVER_PORT=${line##*:}
  SERVER_HOST=${line#Listening on }
  SERVER_HOST=${SERVER_HOST%:*}
  SERVER_HOST=${SERVER_HOST#[}
  SERVER_HOST=${SERVER_HOST%]}
  if ! [[ $SERVER_PORT =~ ^[0-9]+$ ]] || [ "$SERVER_PORT" -eq 0 ]; then
    fail_hint "'$line' does not name the real port: after binding port 0, ask getsockname() which port the system chose"
    return 1
  fi
  return 0
}

# drive_echo NAME BYTES [TCPDRIVE-OPTIONS...]: sends BYTES random bytes (the file NAME) to
# the running echo server with tcpdrive and its OPTIONS, and reads back what comes (stderr
# to $WORK/NAME.err); sets SENT and GOT, the two files, for expect_echo.
drive_echo() {
  local name=$1 size=$2
  shift 2
  SENT=$(random_file "$name" "$size")
  GOT=$WORK/$name.got
  run_client "$CLIENT_WAIT" "$TOOLS/tcpdrive" "$@" --send "$SENT" --output "$GOT" \
    127.0.0.1 "$SERVER_PORT" 2>"$WORK/$name.err"
}

# expect_echo HINT: the last drive_echo got back exactly what it sent; else fails with what
# came back (sizes, the first differing byte), what the server said, and HINT.
expect_echo() {
  expect_same_bytes "" "$SENT" "$GOT" "$1" server_said
}

# expect_same_bytes WHAT SENT GOT [HINT [EVIDENCE]]: fails unless the files SENT and GOT hold
# the same bytes; the hint (made only then) says what came back (bytes_story), what the
# function EVIDENCE prints (server_said, say), and HINT.
expect_same_bytes() {
  if cmp -s "$2" "$3"; then
    passed_check
    return 0
  fi
  fail_hint "${1:+$1: }$(bytes_story "$2" "$3")${5:+$("$5")}${4:+: $4}"
  return 1
}

# start_server_valgrind PROGRAM [ARGS...]: start_server under valgrind, its report in
# VALGRIND_LOG ($WORK/server.valgrind). Returns 1 when the test is skipped (valgrind off)
# or the server did not start.
start_server_valgrind() {
  skip_without_valgrind && return 1
  VALGRIND_LOG=$WORK/server.valgrind
  start_server "$@"
}

# start_kit_echo [MCECHO-OPTIONS...]: starts the kit's own echo server (a test tool,
# tests/tools/mcecho.c, which can also misbehave on purpose) on 127.0.0.1 port 0, so that a
# test of a client does not depend on the student's server.
start_kit_echo() {
  _start_server tool mcecho "$@" 127.0.0.1 0
}

# random_file NAME BYTES: writes BYTES random bytes to $WORK/NAME and prints its path.
random_file() {
  head -c "$2" /dev/urandom >"$WORK/$1"
  echo "$WORK/$1"
}

# expect_help PROGRAM...: each PROGRAM -h prints a 'usage:' line on stdout and exits 0.
expect_help() {
  local prog
  for prog; do
    run_client 5 "$BIN/$prog" -h >"$WORK/usage.out" 2>/dev/null </dev/null
    expect_eq "$prog -h $(exit_story "$CLIENT_STATUS"): it should print usage on stdout and exit 0" 0 "$CLIENT_STATUS"
    expect_ok "$prog -h printed no 'usage:' line on stdout" first_match "$WORK/usage.out" '^usage: '
  done
}

# expect_usage_errors COMMAND...: each COMMAND (a program and its arguments in one string,
# split at spaces) prints a 'usage:' line on stderr and exits 2.
expect_usage_errors() {
  local cmd
  for cmd; do
    # shellcheck disable=SC2086 # the words of the command line, on purpose
    set -- $cmd
    run_client 5 "$BIN/$1" "${@:2}" >/dev/null 2>"$WORK/usage.err" </dev/null
    expect_eq "'$cmd' $(exit_story "$CLIENT_STATUS"): wrong arguments should print usage on stderr and exit 2" 2 "$CLIENT_STATUS"
    expect_ok "'$cmd' printed no 'usage:' line on stderr" first_match "$WORK/usage.err" '^usage: '
  done
}

# expect_error_line WHAT LINE: the program run_client just ran (its stderr in $WORK/err)
# failed as the contract says a runtime error does: exit status 1 and exactly one line on
# stderr, LINE ("PROGRAM: WHAT FAILED: REASON"). WHAT says what it was asked to do.
expect_error_line() {
  local err
  err=$(text_of "$WORK/err")
  expect_eq "$1, the program $(exit_story "$CLIENT_STATUS"): a runtime error exits 1" 1 "$CLIENT_STATUS"
  expect_eq "$1, it printed '$err' on stderr: it should print one line, '$2'" "$2" "$err"
}

# server_alive: true while the last started server runs.
server_alive() { [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; }

# server_end_story: how the last started server ended ("was killed by SIGSEGV ..."), and
# the last lines it printed on stderr.
server_end_story() {
  if [ -z "${SERVER_STATUS:-}" ] && [ -n "${SERVER_JOB:-}" ] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
    # The program has gone: its job (in the sandbox, bwrap) ends with its status.
    wait_until 5 _gone "$SERVER_JOB"
    wait "$SERVER_JOB" 2>/dev/null
    SERVER_STATUS=$?
  fi
  echo "$(exit_story "$SERVER_STATUS"); its stderr ends: $(tail_of "$SERVER_ERR" 2)"
}

# expect_no_eintr_noise: a stop request is no error, so the server's stderr must not report
# one (strerror(EINTR) reads "Interrupted system call").
expect_no_eintr_noise() {
  if grep -q 'Interrupted system call' "$SERVER_ERR" 2>/dev/null; then
    fail_hint "on the stop request the server printed an error ('$(first_line "$SERVER_ERR" 'Interrupted system call' 120)'): a call the stop signal interrupts fails with EINTR, which is no error: go round the loop, whose test sees the stop request, instead of reporting it"
    return 1
  fi
  passed_check
}

# expect_server_alive CONTEXT: fails unless the last started server still runs.
expect_server_alive() {
  if server_alive; then
    passed_check
    return 0
  fi
  fail_hint "the server stopped $1: it $(server_end_story). One client must never stop the server: check every return value, and close only that client's connection when it fails"
  return 1
}

# stop_server: SIGTERM to the last started server; waits (bounded) and sets SERVER_STATUS to
# its exit status ("timeout" if it had to be killed). Safe to call twice.
stop_server() {
  [ -n "${SERVER_PID:-}" ] || return 0
  local job=$SERVER_JOB limit=$STOP_WAIT
  SERVER_STATUS=
  [ -n "${VALGRIND_LOG:-}" ] && limit=$((limit * 3))
  kill -TERM "$SERVER_PID" 2>/dev/null
  if ! wait_until "$limit" _gone "$job"; then
    kill -KILL -- "-$job" 2>/dev/null
    wait "$job" 2>/dev/null
    SERVER_STATUS=timeout
  else
    wait "$job" 2>/dev/null
    SERVER_STATUS=$?
  fi
  SERVER_PID=
  return 0
}

# run_client SECONDS COMMAND...: runs COMMAND under timeout; sets CLIENT_STATUS (124 when
# it timed out). Its stdout/stderr are the caller's to redirect.
run_client() {
  local limit=$(($1 * SLOW))
  shift
  if [[ $1 == "$BIN"/* ]]; then
    # A program of the code under test: run the way _program_cmd says (contained when the
    # grader contains it), without BIN's script in between (one process less per client).
    _program_cmd "" "" "${1#"$BIN"/}" "${@:2}"
    set -- "${_cmd[@]}"
  elif [ "$1" = "$TOOLS/tcpdrive" ]; then
    # The kit's tcpdrive keeps the time itself (and says 124 too): no timeout process.
    set -- "$1" --limit "$limit" "${@:2}"
    "$@"
    CLIENT_STATUS=$?
    return $CLIENT_STATUS
  fi
  timeout -k 2 "$limit" "$@"
  CLIENT_STATUS=$?
  return $CLIENT_STATUS
}

# run_client_valgrind SECONDS LOG PROGRAM [ARGS...]: run_client for PROGRAM of the code
# under test under valgrind, its report in LOG (read it with valgrind_problems).
run_client_valgrind() {
  local limit=$1 log=$2
  shift 2
  _program_cmd "" "$log" "$@"
  _vg_open "$log" || { fail_hint "cannot make a pipe for valgrind's log"; return 1; }
  run_client "$limit" "${_cmd[@]}" 3>"$log.fifo"
}

# run_client_preload SECONDS SHIM PROGRAM [ARGS...]: run_client for PROGRAM of the code under
# test with the LD_PRELOAD shim SHIM (a shared object of build/tools), as SERVER_PRELOAD does
# for a server.
run_client_preload() {
  local limit=$1 shim=$2
  shift 2
  _program_cmd "$shim" "" "$@"
  run_client "$limit" "${_cmd[@]}"
}

# tcp_close_wait_count PORT: how many connections to the local port PORT the peer has
# half-closed (state CLOSE-WAIT: its data and FIN have arrived), accepted or still queued.
tcp_close_wait_count() { ss -Htn state close-wait "sport = :$1" 2>/dev/null | wc -l; }

# ---- what a process uses (Linux /proc) -------------------------------------------------
# Each prints a number, or nothing when the process has gone.

# proc_status_kb PID FIELD: FIELD of /proc/PID/status in KiB: VmRSS (resident memory now)
# or VmHWM (the most it has ever been resident: catches a peak between two looks).
proc_status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null; }

# proc_fd_count PID: how many descriptors the process has open.
proc_fd_count() {
  [ -d "/proc/$1/fd" ] || return 0
  ls "/proc/$1/fd" 2>/dev/null | wc -l
}

# proc_cpu_ticks PID: the CPU time the process has used so far, user + system, in clock
# ticks (getconf CLK_TCK per second, usually 100).
proc_cpu_ticks() {
  # The command name (field 2) may hold spaces: count fields after its closing ')'.
  sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

# ---- stopping, and running short ---------------------------------------------------------

# stop_once SECONDS: sends one SIGTERM to the last started server and waits (bounded: SECONDS
# times SLOW) for it to exit. Returns 0 with SERVER_STATUS set to its exit status if it did;
# otherwise returns 1 with SERVER_STATUS empty (the server still runs: stop_server or
# tearDown ends it). Unlike stop_server it never signals twice, so a stop request the
# server lost shows as lost.
stop_once() {
  local job=$SERVER_JOB
  SERVER_STATUS=
  kill -TERM "$SERVER_PID" 2>/dev/null
  wait_until "$1" _gone "$job" || return 1
  wait "$job" 2>/dev/null
  SERVER_STATUS=$?
  SERVER_PID=
  return 0
}

# expect_stops_in_crowd REGEX N WHAT LOST -- TOOL ARGS...: starts the load tool TOOL (of
# build/tools) with ARGS and the server's address, in the background and its own session,
# as a crowd of clients; waits until the server has logged N lines matching REGEX (it is
# busy serving them); then expect_stops_cleanly "while WHAT kept coming" LOST. The wait ends
# as soon as that holds, or the server or the crowd has gone, or the server has logged no
# new such line for 10 seconds (it serves nobody: stalled), or after 60 seconds. A server
# that does not get that far fails with its log and what the crowd tool said.
expect_stops_in_crowd() {
  local regex=$1 n=$2 what=$3 lost=$4
  shift 5
  local tool=$1 crowd
  shift
  setsid "$TOOLS/$tool" "$@" "${SERVER_HOST:-127.0.0.1}" "$SERVER_PORT" \
    >/dev/null 2>"$WORK/crowd.err" </dev/null &
  crowd=$!
  _track $crowd
  local i=0 still=0 count last=0
  while count=$(count_lines "$regex" "$SERVER_OUT"); [ "$count" -lt "$n" ]; do
    server_alive && kill -0 $crowd 2>/dev/null || break
    if [ "$count" = "$last" ]; then still=$((still + 1)); else still=0 last=$count; fi
    [ $still -lt $((10 * SLOW * 20)) ] && [ $i -lt $((60 * SLOW * 20)) ] || break
    nap 50
    i=$((i + 1))
  done
  if [ "$count" -lt "$n" ]; then
    if ! server_alive; then
      fail_hint "while $what kept coming, the server $(server_end_story)"
    else
      fail_hint "the server logged $count lines '$regex' for a crowd of $what, not $n (its log ends: $(server_log); the crowd ($tool) said: $(tail_of "$WORK/crowd.err" 2)): does it accept, serve, close and log each client?"
    fi
    return 1
  fi
  expect_stops_cleanly "while $what kept coming" "$lost"
}

# expect_stops_cleanly WHILE LOST: one SIGTERM to the server (stop_once), which must exit 0
# within STOP_WAIT seconds with 'Shutting down' as its last line. WHILE says what was going
# on ("while clients kept coming"), LOST the likely mistake when it goes on running.
expect_stops_cleanly() {
  if ! stop_once "$STOP_WAIT"; then
    fail_hint "the server was still running ${STOP_WAIT}s after SIGTERM${1:+ $1}: $2"
    return 1
  fi
  expect_eq "after SIGTERM${1:+ $1} the server $(exit_story "$SERVER_STATUS"), not 0: close everything, print 'Shutting down', exit 0" \
    0 "$SERVER_STATUS"
  expect_match "the server did not print 'Shutting down' last (its last line: '$(last_lines "$SERVER_OUT" 1)')" \
    '^Shutting down$' "$(last_line "$SERVER_OUT")"
}

# expect_stop_never_lost N PROGRAM LOST: N times, starts PROGRAM (start_server) with the
# slowwait shim, which holds open the moment between a server's last look at its stop flag
# and its sleep in accept(), select(), pselect() or poll() (150 ms instead of microseconds),
# sends it one SIGTERM as soon as it has announced itself, and waits (bounded) for it to
# exit. Each trial where it printed 'Shutting down' last and exited 0 counts as a check; the
# first that did not fails the test: LOST is the likely mistake when the server slept on
# (still running after STOP_WAIT seconds). A start that fails has failed the test already.
expect_stop_never_lost() {
  local n=$1 prog=$2 lost=$3 trial
  for ((trial = 1; trial <= n; trial++)); do
    SERVER_PRELOAD=$TOOLS/slowwait.so start_server "$prog" || return 1
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      fail_hint "trial $trial: the server had exited by itself, before any stop request ($(last_lines "$SERVER_ERR" 1))"
      return 1
    fi
    if ! stop_once "$STOP_WAIT"; then
      fail_hint "trial $trial: SIGTERM came just before the server went to sleep, and it slept on (still running ${STOP_WAIT}s later): $lost"
      return 1
    fi
    if [ "$SERVER_STATUS" != 0 ] || [ "$(last_line "$SERVER_OUT")" != "Shutting down" ]; then
      fail_hint "trial $trial: after SIGTERM the server $(exit_story "$SERVER_STATUS"), its last line '$(last_lines "$SERVER_OUT" 1)': close everything, print 'Shutting down', exit 0"
      return 1
    fi
    passed_check
  done
}

# cpu_percent PID MILLISECONDS: how much of one CPU the process used over the next
# MILLISECONDS (a window to measure over, not a wait for readiness), in percent; nothing if
# it has gone.
cpu_percent() {
  local t0 t1 hz
  hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
  t0=$(proc_cpu_ticks "$1")
  nap "$2"
  t1=$(proc_cpu_ticks "$1")
  [ -n "$t0" ] && [ -n "$t1" ] || return 0
  echo $(((t1 - t0) * 100 * 1000 / hz / $2))
}

# tcp_listen_queue PORT: how many connections wait in the queue of the socket listening on
# the local port PORT: completed by the kernel, not yet accept()ed by the program (ss asks
# the kernel for that one socket, however many others the machine has).
tcp_listen_queue() { ss -Hltn "sport = :$1" 2>/dev/null | awk '{ n += $2 } END { print n + 0 }'; }

# tcp_send_queue PORT: the most bytes a connection with the local port PORT has queued for
# sending that the peer has not taken yet (0 if none).
tcp_send_queue() {
  ss -Htn state established "sport = :$1" 2>/dev/null | awk '$2 > m { m = $2 } END { print m + 0 }'
}

# shortage_begin, shortage_end: while a shortage lasts, a server started with
# SERVER_PRELOAD=$TOOLS/emfile.so finds that accept() fails with EMFILE, as it does when a
# process has no descriptor left (its `ulimit -n` too small for its clients). The shim
# (tests/tools/emfile-preload.c) looks for its flag file in KIT_SHIM_DIR, or, in the
# grader's clean environment, in the program's working folder: RUN_DIR, either way.
export KIT_SHIM_DIR=$RUN_DIR
shortage_begin() { : >"$RUN_DIR/kit-emfile"; }
shortage_end() { rm -f "$RUN_DIR/kit-emfile"; }

# expect_calm_shortage WAITING SPINNING CHATTY: once WAITING clients are queued on the
# listener of a server in a shortage, it must neither spin (over 10% of a CPU while it
# cannot accept) nor print more than 6 lines. SPINNING and CHATTY name the likely mistakes
# for the hints. Returns 1 (the test failed) otherwise.
expect_calm_shortage() {
  local cpu lines
  wait_until 5 _queue_at_least "$1"
  cpu=$(cpu_percent "$SERVER_PID" 1500)
  expect_server_alive "while it had no descriptor left for new clients" || return 1
  lines=$(cat "$SERVER_OUT" "$SERVER_ERR" | wc -l)
  # A server that sleeps uses next to nothing; one that spins gets a good share of a core
  # even on a busy machine.
  if [ "${cpu:-0}" -gt 10 ]; then
    fail_hint "with $1 clients waiting and no descriptor left, the server used $cpu% of a CPU and printed $lines lines: $2"
    return 1
  fi
  if [ "$lines" -gt 6 ]; then
    fail_hint "with no descriptor left the server printed $lines lines ($(tail_of "$SERVER_ERR" 1 100)): say it once per shortage, not at every try$3"
    return 1
  fi
  passed_check
}

_queue_at_least() { ! server_alive || [ "$(tcp_listen_queue "$SERVER_PORT")" -ge "$1" ]; }

# expect_sleeping WHILE HINT: the server, measured over 1.5 s, uses next to no CPU (at most
# 10 % of one core) WHILE ("while its clients were idle"); HINT names the likely mistake.
# A server that sleeps in select() uses none; one that spins gets a good share of a core
# even on a busy machine.
expect_sleeping() {
  local cpu
  cpu=$(cpu_percent "$SERVER_PID" 1500)
  expect_server_alive "$1" || return 1
  if [ -z "$cpu" ]; then
    skip_test "no /proc to read the server's CPU time"
    return 0
  fi
  if [ "$cpu" -gt 10 ]; then
    fail_hint "the server used $cpu% of a CPU $1: $2"
    return 1
  fi
  passed_check
}

# ---- valgrind ----------------------------------------------------------------------------

VALGRIND_OPTS=(--leak-check=full --errors-for-leak-kinds=definite,indirect
  --error-exitcode=99 --track-fds=yes --child-silent-after-fork=yes)

# skip_without_valgrind: true (and the test is skipped with a reason) when valgrind tests
# are switched off or valgrind is missing.
skip_without_valgrind() {
  if [ "$VALGRIND" = 0 ]; then
    skip_test "valgrind tests are switched off for this run (VALGRIND=0)"
    return 0
  fi
  if ! command -v valgrind >/dev/null; then
    fail_hint "valgrind is not installed: run 'make deps' (Debian package valgrind)"
    return 0
  fi
  return 1
}

# expect_memory_clean LOG [CONTEXT [ADVICE]]: the verdict of a valgrind test: LOG shows no
# memory error, leak or open socket. A valgrind test checks besides only that the program
# did its basic job under valgrind (a program that does nothing leaks nothing); the rest of
# what it answered is the functional tests' business, so one bug does not cost twice.
# CONTEXT goes before the findings, ADVICE after them.
expect_memory_clean() {
  local problems
  problems=$(valgrind_problems "$1")
  if [ -z "$problems" ]; then
    passed_check
    return 0
  fi
  fail_hint "${2:-}$problems${3:+: $3}"
  return 1
}

# valgrind_problems LOG: prints what valgrind found in LOG, in a few words, or nothing if
# the run was clean: memory errors, definite or indirect leaks, and sockets still open at
# exit (valgrind 3.19 lists those without failing, so the log is read). A log without
# valgrind's closing summary is a problem too: the program did not finish under valgrind.
valgrind_problems() {
  local log=$1 summary errors sockets leaks
  _vg_wait "$log"
  [ -s "$log" ] || { echo "no valgrind log was written"; return; }
  # One pass over the log: whether it has a summary, the largest error count it holds
  # (lines a program printed itself cannot lower it), whether a socket that was not
  # inherited was open at exit, and the first two leak lines.
  read -r summary errors sockets leaks < <(awk '
    open { if ($0 !~ /<inherited from parent>/) sockets = 1; open = 0 }
    /Open AF_(INET|INET6|UNIX) socket/ { open = 1 }
    /ERROR SUMMARY: [0-9]/ { summary = 1; n = $0; sub(/.*ERROR SUMMARY: /, "", n); if (n + 0 > errors) errors = n + 0 }
    /definitely lost: [1-9]|indirectly lost: [1-9]/ && nleaks < 2 { l = $0; sub(/^==[0-9]*== */, "", l); leaks = leaks l " "; nleaks++ }
    END { printf "%d %d %d %s\n", summary, errors, sockets, leaks }' "$log")
  if [ "$summary" != 1 ]; then
    echo "valgrind's log has no closing summary: the program did not finish normally under valgrind (see $(shown "$log"))"
    return
  fi
  [ "${errors:-0}" != 0 ] && echo "valgrind found $errors memory error(s) (invalid read/write, uninitialised value or leak): the report is $(shown "$log")"
  [ -n "$leaks" ] && echo "memory leaked: $leaks - free every allocation on every path"
  [ "$sockets" = 1 ] && echo "sockets left open at exit: close every socket (the listener and each client) before exiting"
  return 0
}

# ---- shunit2 hooks -----------------------------------------------------------------------

setUp() {
  _test=""
  _desc=""
  _given=0
  _skip_reason=""
  _failed=0
  _checks=0
  _hints=()
  _pids=()
  SERVER_PID=
  SERVER_JOB=
  SERVER_STATUS=
  VALGRIND_LOG=
  SERVER_PRELOAD=
  _started=$EPOCHREALTIME
  return 0
}

# Stops everything the test started, then records the outcome. Safe to run twice.
tearDown() {
  local pid
  for pid in "${_pids[@]}"; do
    stop_group "$pid" 2
  done
  _pids=()
  for pid in "${_vg_readers[@]}"; do
    kill "$pid" 2>/dev/null
  done
  _vg_readers=()
  SERVER_PID=
  [ -n "$_test" ] || return 0
  local status=pass hint
  if [ "$_failed" = 1 ]; then
    status=fail
  elif [ -n "$_skip_reason" ]; then
    status=skip
    _hints=("$_skip_reason")
  elif [ "$_checks" = 0 ]; then
    status=fail
    _hints=("the test ended without checking anything (a test that checks nothing cannot pass)")
  fi
  printf -v hint '%s\n' "${_hints[@]}"
  [ "$status" = pass ] && hint=""
  row "$RESULTS" "$LESSON" "$_test" "$status" "$_given" "$_desc" "${hint%$'\n'}" \
    "$((${EPOCHREALTIME/[.,]/} / 1000 - ${_started/[.,]/} / 1000))e-3"
  _test=""
  return 0
}

oneTimeTearDown() {
  tearDown
  return 0
}
