# harness.sh - what every lesson suite shares. Source it at the top of a suite; end the
# suite with ". "$SHUNIT2"" (the runner sets it, or the system's shunit2 is used).
#
# The runner (tests/run) sets, for one test at a time:
#   BIN      the folder holding the lesson's built programs (solution, skeleton or submission)
#   TOOLS    the folder holding the kit's built C test tools
#   WORK     an empty scratch folder for this test
#   RESULTS  a file the test's outcome is appended to
#   SLOW     a factor (1, 2, ...) for every bounded wait: sanitizer builds run slower
#   VALGRIND 0 to skip the valgrind tests (they then say so); anything else runs them
# Run by hand, a suite picks sensible defaults (solutions built under build/solutions).
#
# A test calls `describe "what it checks, for a student"` first, then starts programs with
# start_server / run_client and checks with expect_* or fail_hint "HINT", where HINT names
# the likely mistake. Every process a test starts is stopped in tearDown by its process
# group, and every wait is bounded.

KIT=${KIT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SHUNIT2=${SHUNIT2:-/usr/share/shunit2/shunit2}
TOOLS=${TOOLS:-$KIT/build/tools}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/kit-test.XXXXXX")}
RESULTS=${RESULTS:-$WORK/results.tsv}
SLOW=${SLOW:-1}
VALGRIND=${VALGRIND:-1}
export SHUNIT_COLOR=${SHUNIT_COLOR:-none}
mkdir -p "$WORK"

# The suite's lesson folder name ("01-echo"), from the suite's file name.
LESSON=$(basename "${BASH_SOURCE[1]}" .sh)
BIN=${BIN:-$KIT/build/solutions/$LESSON}

# Bounded waits, in seconds (multiplied by SLOW).
READY_WAIT=10          # for a server's "Listening on" line
VALGRIND_READY_WAIT=30 # the same under valgrind, which starts slowly
STOP_WAIT=10           # for a server to exit after SIGTERM
CLIENT_WAIT=20         # for a client to finish

_desc=""
_given=0
_hints=()
_pids=()
_server_count=0

# ---- describing and judging a test ---------------------------------------------------

# describe TEXT: the one line a student reads for this test.
describe() { _desc=$*; }

# given: this test checks code the skeleton already provides (argument handling), so the
# untouched skeleton may pass it; it earns no points and the inverse check skips it.
given() { _given=1; }

# fail_hint HINT: fails the test with HINT, the probable mistake, in words for a student.
fail_hint() {
  _hints+=("$1")
  fail "$1"
}

# expect_eq HINT EXPECTED ACTUAL: fails with HINT unless EXPECTED and ACTUAL are equal.
expect_eq() {
  [ "$2" = "$3" ] && return 0
  fail_hint "$1"
  return 1
}

# expect_ok HINT COMMAND...: runs COMMAND, fails with HINT unless it exits 0.
expect_ok() {
  local hint=$1
  shift
  "$@" && return 0
  fail_hint "$hint"
  return 1
}

# expect_match HINT REGEX TEXT: fails with HINT unless TEXT matches the extended REGEX.
expect_match() {
  printf '%s\n' "$3" | grep -Eq -- "$2" && return 0
  fail_hint "$1"
  return 1
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
  local pid=$1 limit=$((${2:-$STOP_WAIT} * SLOW * 10)) i=0
  kill -TERM -- "-$pid" 2>/dev/null || return 0
  while kill -0 -- "-$pid" 2>/dev/null && [ $i -lt "$limit" ]; do
    sleep 0.1
    i=$((i + 1))
  done
  kill -KILL -- "-$pid" 2>/dev/null
  return 0
}

# wait_for_line FILE REGEX SECONDS [PID]: waits until a line of FILE matches REGEX.
# Returns 0 when it does, 1 after SECONDS or as soon as PID (if given) has exited.
wait_for_line() {
  local file=$1 regex=$2 limit=$(($3 * SLOW * 20)) pid=${4:-} i=0
  while [ $i -lt "$limit" ]; do
    grep -Eq -- "$regex" "$file" 2>/dev/null && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      grep -Eq -- "$regex" "$file" 2>/dev/null
      return
    fi
    sleep 0.05
    i=$((i + 1))
  done
  return 1
}

# start_server PROGRAM [ARGS...]: starts $BIN/PROGRAM in its own process group (default
# arguments: 127.0.0.1 0) and waits for its "Listening on HOST:PORT" line. Sets SERVER_PID,
# SERVER_PORT, SERVER_HOST, SERVER_OUT (stdout file), SERVER_ERR (stderr file).
# With VALGRIND_LOG set to a file name, runs it under valgrind logging there; with
# SERVER_PRELOAD set to a shared object, runs it with that LD_PRELOAD shim.
# Returns 1, after failing the test with a hint, if the line does not come.
start_server() {
  local prog=$1 wait=$READY_WAIT
  shift
  [ $# -gt 0 ] || set -- 127.0.0.1 0
  _server_count=$((_server_count + 1))
  SERVER_OUT=$WORK/$prog.$_server_count.out
  SERVER_ERR=$WORK/$prog.$_server_count.err
  : >"$SERVER_OUT"
  if [ ! -x "$BIN/$prog" ]; then
    fail_hint "$prog was not built: look for compiler errors above"
    return 1
  fi
  if [ -n "${VALGRIND_LOG:-}" ]; then
    wait=$VALGRIND_READY_WAIT
    setsid valgrind "${VALGRIND_OPTS[@]}" --log-file="$VALGRIND_LOG" \
      "$BIN/$prog" "$@" >"$SERVER_OUT" 2>"$SERVER_ERR" </dev/null &
  elif [ -n "${SERVER_PRELOAD:-}" ]; then
    # A shim in front of the C library (see tests/tools/*-preload.c); a sanitizer build
    # must be told that its runtime need not come first.
    setsid env LD_PRELOAD="$SERVER_PRELOAD" \
      ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
      "$BIN/$prog" "$@" >"$SERVER_OUT" 2>"$SERVER_ERR" </dev/null &
  else
    setsid "$BIN/$prog" "$@" >"$SERVER_OUT" 2>"$SERVER_ERR" </dev/null &
  fi
  SERVER_PID=$!
  _track "$SERVER_PID"
  if ! wait_for_line "$SERVER_OUT" '^Listening on ' "$wait" "$SERVER_PID"; then
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      fail_hint "$prog printed no 'Listening on HOST:PORT' line within $((wait * SLOW))s: print it (and flush) once listen() succeeds, with the port the system chose"
    else
      fail_hint "$prog exited without printing 'Listening on HOST:PORT' (stderr: $(head -c 300 "$SERVER_ERR" | head -n 3 | tr '\n' ' '))"
    fi
    return 1
  fi
  local line
  line=$(grep -m1 '^Listening on ' "$SERVER_OUT")
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

# start_kit_echo [MCECHO-OPTIONS...]: starts the kit's own echo server (a test tool,
# tests/tools/mcecho.c, which can also misbehave on purpose) on 127.0.0.1 port 0, so that a
# test of a client does not depend on the student's server.
start_kit_echo() {
  BIN=$TOOLS start_server mcecho "$@" 127.0.0.1 0
}

# random_file NAME BYTES: writes BYTES random bytes to $WORK/NAME and prints its path.
random_file() {
  head -c "$2" /dev/urandom >"$WORK/$1"
  echo "$WORK/$1"
}

# server_alive: true while the last started server runs.
server_alive() { kill -0 "$SERVER_PID" 2>/dev/null; }

# expect_server_alive HINT-CONTEXT: fails unless the last started server still runs.
expect_server_alive() {
  server_alive && return 0
  fail_hint "the server died $1 ($(tail -n 2 "$SERVER_ERR" 2>/dev/null | tr '\n' ' ')): one client must never stop the server; check every return value and ignore SIGPIPE"
  return 1
}

# stop_server: SIGTERM to the last started server; waits (bounded) and sets SERVER_STATUS to
# its exit status (143 if it had to be killed). Safe to call twice.
stop_server() {
  SERVER_STATUS=
  [ -n "${SERVER_PID:-}" ] || return 0
  local pid=$SERVER_PID limit=$((STOP_WAIT * SLOW * 10)) i=0
  [ -n "${VALGRIND_LOG:-}" ] && limit=$((limit * 3))
  kill -TERM "$pid" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null && [ $i -lt "$limit" ]; do
    sleep 0.1
    i=$((i + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    SERVER_STATUS=timeout
  else
    wait "$pid" 2>/dev/null
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
  timeout -k 2 "$limit" "$@"
  CLIENT_STATUS=$?
  return $CLIENT_STATUS
}

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
# otherwise returns 1 with SERVER_STATUS=running (stop_server or tearDown ends it). Unlike
# stop_server it never signals twice, so a stop request the server lost shows as lost.
stop_once() {
  local pid=$SERVER_PID limit=$(($1 * SLOW * 20)) i=0
  kill -TERM "$pid" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null && [ $i -lt "$limit" ]; do
    sleep 0.05
    i=$((i + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    SERVER_STATUS=running
    return 1
  fi
  wait "$pid" 2>/dev/null
  SERVER_STATUS=$?
  SERVER_PID=
  return 0
}

# stop_trials N PROGRAM: N times, starts PROGRAM (start_server) with the slowwait shim, which
# holds open the moment between a server's last look at its stop flag and its sleep in
# accept(), select(), pselect() or poll() (150 ms instead of microseconds), sends it one
# SIGTERM as soon as it has announced itself, and waits (bounded) for it to exit. Returns 0
# if every one printed 'Shutting down' last and exited 0; otherwise 1, with STOP_TRIAL set
# to the trial that went wrong and STOP_PROBLEM to "lost" (still running after STOP_WAIT
# seconds) or to what the server did instead (exiting before it was asked to, for one).
# A start that fails has failed the test already.
stop_trials() {
  local n=$1 prog=$2
  for STOP_TRIAL in $(seq 1 "$n"); do
    SERVER_PRELOAD=$TOOLS/slowwait.so SLOWWAIT_MS=150 start_server "$prog" || {
      STOP_PROBLEM="it did not start"
      return 1
    }
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      STOP_PROBLEM="it had exited by itself, before any stop request ($(tail -n 1 "$SERVER_ERR" | cut -c1-80))"
      return 1
    fi
    if ! stop_once "$STOP_WAIT"; then
      STOP_PROBLEM=lost
      return 1
    fi
    if [ "$SERVER_STATUS" != 0 ] || [ "$(tail -n 1 "$SERVER_OUT")" != "Shutting down" ]; then
      STOP_PROBLEM="it exited $SERVER_STATUS, its last line '$(tail -n 1 "$SERVER_OUT" | cut -c1-80)'"
      return 1
    fi
  done
  return 0
}

# cpu_percent PID SECONDS: how much of one CPU the process used over the next SECONDS (a
# window to measure over, not a wait for readiness), in percent; nothing if it has gone.
cpu_percent() {
  local t0 t1 hz
  hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
  t0=$(proc_cpu_ticks "$1")
  sleep "$2"
  t1=$(proc_cpu_ticks "$1")
  [ -n "$t0" ] && [ -n "$t1" ] || return 0
  awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$2" 'BEGIN { printf "%d\n", d * 100 / hz / s }'
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

# limit_fds PID ROOM: lowers the soft limit on open descriptors (RLIMIT_NOFILE, what
# `ulimit -n` sets for a new process) of the running process PID so that it can open only
# ROOM more: the one after fails with EMFILE. Prints the old soft limit, for
# `limit_fds_restore PID OLD`. Returns 1 if prlimit (util-linux) is missing or refused.
limit_fds() {
  local pid=$1 room=$2 old used n=0 free=0
  command -v prlimit >/dev/null || return 1
  old=$(prlimit --pid "$pid" --nofile --output SOFT --noheadings 2>/dev/null | tr -d ' ') || return 1
  used=" $(ls "/proc/$pid/fd" 2>/dev/null | tr '\n' ' ') "
  # The limit is a bound on descriptor numbers: find the (ROOM+1)-th number not in use.
  while :; do
    if [[ $used != *" $n "* ]]; then
      [ $free -eq "$room" ] && break
      free=$((free + 1))
    fi
    n=$((n + 1))
  done
  prlimit --pid "$pid" --nofile="$n:" 2>/dev/null || return 1
  echo "$old"
}

# limit_fds_restore PID OLD: gives PID back its soft descriptor limit OLD.
limit_fds_restore() { prlimit --pid "$1" --nofile="$2:" 2>/dev/null; }

# ---- valgrind ----------------------------------------------------------------------------

VALGRIND_OPTS=(--leak-check=full --errors-for-leak-kinds=definite,indirect
  --error-exitcode=99 --track-fds=yes --child-silent-after-fork=yes)

# skip_without_valgrind: true (and the test is skipped with a reason) when valgrind tests
# are switched off or valgrind is missing.
skip_without_valgrind() {
  if [ "$VALGRIND" = 0 ]; then
    startSkipping
    echo "SKIP: valgrind tests are switched off for this run (VALGRIND=0)"
    _hints+=("skipped: valgrind tests switched off (VALGRIND=0)")
    _skipped=1
    return 0
  fi
  if ! command -v valgrind >/dev/null; then
    fail_hint "valgrind is not installed: run 'make deps' (Debian package valgrind)"
    return 0
  fi
  return 1
}

# valgrind_problems LOG: prints what valgrind found in LOG, in a few words, or nothing if
# the run was clean: memory errors, definite or indirect leaks, and sockets still open at
# exit (valgrind 3.19 lists those without failing, so the log is read).
valgrind_problems() {
  local log=$1 errors leaks sockets
  [ -s "$log" ] || { echo "no valgrind log was written"; return; }
  errors=$(grep -m1 -Eo 'ERROR SUMMARY: [0-9]+' "$log" | grep -Eo '[0-9]+$')
  [ "${errors:-0}" != 0 ] && echo "valgrind found $errors memory error(s) (invalid read/write, uninitialised value or leak): see $log"
  leaks=$(grep -E 'definitely lost: [1-9]|indirectly lost: [1-9]' "$log" | head -n 2 | sed 's/^==[0-9]*== *//' | tr '\n' ' ')
  [ -n "$leaks" ] && echo "memory leaked: $leaks- free every allocation on every path"
  sockets=$(grep -A1 -E 'Open AF_(INET|INET6|UNIX) socket' "$log" | grep -c -E 'Open AF_' )
  if [ "$sockets" != 0 ] && grep -A1 -E 'Open AF_(INET|INET6|UNIX) socket' "$log" | grep -vq 'inherited from parent'; then
    echo "sockets left open at exit: close every socket (the listener and each client) before exiting"
  fi
}

# ---- shunit2 hooks -----------------------------------------------------------------------

setUp() {
  _desc=""
  _given=0
  _skipped=0
  _hints=()
  _pids=()
  SERVER_PID=
  VALGRIND_LOG=
  SERVER_PRELOAD=
  return 0
}

# Stops everything the test started, then records the outcome. Safe to run twice.
tearDown() {
  local pid
  for pid in "${_pids[@]}"; do
    stop_group "$pid" 2
  done
  _pids=()
  SERVER_PID=
  [ -n "${_shunit_test_:-}" ] && [ "${_recorded:-}" != "$_shunit_test_" ] || return 0
  _recorded=$_shunit_test_
  local status=pass hint
  [ "${__shunit_testSuccess:-0}" = 0 ] || status=fail
  [ "$_skipped" = 1 ] && [ "$status" = pass ] && status=skip
  if [ "$status" = fail ] && [ ${#_hints[@]} -eq 0 ]; then
    _hints=("an assertion failed; the lines above say which")
  fi
  hint=$(printf '%s / ' "${_hints[@]}" | tr '\t\n' '  ')
  hint=${hint% / }
  [ "$status" = pass ] && hint=""
  printf '%s\t%s\t%s\t%s\t%s\n' "$_shunit_test_" "$status" "$_given" "${_desc:-$_shunit_test_}" \
    "$hint" >>"$RESULTS"
  return 0
}

oneTimeTearDown() {
  tearDown
  return 0
}
