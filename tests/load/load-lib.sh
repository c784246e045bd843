# shellcheck shell=bash
# shellcheck disable=SC2154 # BIN, WORK, _server_count... come from harness.sh
# load-lib.sh - what the load suites (tests/load/NN-name.sh) share, on top of harness.sh.
#
# A load test drives one server with build/tools/loadgen: 1,000 connections at once, every
# reply checked. loadgen runs with --step: it stops after connecting and after the
# exchange, and goes on when the test writes a line to it, so the test looks at the
# server's descriptors and memory (/proc) at each point: before, during, after.
#
# The numbers checked, and why:
#   - descriptors: while N clients are connected the server holds exactly N more (one each,
#     nothing else); once they have gone it is back to what it had before;
#   - memory: what N connections cost stays under a bound per connection (the buffers are
#     per connection and bounded); a second round of the same load needs no more memory
#     than the first round's peak (VmHWM), so nothing leaks per connection. (Freed memory
#     may stay resident in the allocator: the size after a round is no exact measure.)

LOAD_CONNS=1000
# Server descriptors are small integers: 0-2, the listener, then one per client. With
# FD_SETSIZE 1024, 1,000 clients fit.

# load_start ARGS...: starts loadgen --step with ARGS against the running server, its
# control line on a FIFO. Sets LOAD_PID, LOAD_OUT, LOAD_ERR, and LOAD_WANT (the connections
# it opens: --conns plus --idle).
load_start() {
  local a prev='' conns=1 idle=0
  for a in "$@"; do
    [ "$prev" = --conns ] && conns=$a
    [ "$prev" = --idle ] && idle=$a
    prev=$a
  done
  LOAD_WANT=$((conns + idle))
  LOAD_OUT=$WORK/load.$_server_count.out
  LOAD_ERR=$WORK/load.$_server_count.err
  local ctl=$WORK/load.ctl.$_server_count
  rm -f "$ctl"
  mkfifo "$ctl"
  # Emptied here, before the tool starts: the background job's own redirection truncates
  # them only later, and a second round's load_wait could meanwhile see the first round's
  # "connected" line (then read an empty count).
  : >"$LOAD_OUT"
  : >"$LOAD_ERR"
  # The tool's descriptor limit: it raises it itself as far as the hard limit allows.
  setsid "$TOOLS/loadgen" --step --timeout-ms $((120000 * SLOW)) "$@" 127.0.0.1 "$SERVER_PORT" \
    <"$ctl" >"$LOAD_OUT" 2>"$LOAD_ERR" &
  LOAD_PID=$!
  _track "$LOAD_PID"
  exec {LOAD_CTL}>"$ctl"
}

# load_next: lets loadgen go on to its next phase.
load_next() { echo go >&"$LOAD_CTL"; }

# load_finish: lets loadgen finish; sets LOAD_STATUS and LOAD_RESULT (its result line).
load_finish() {
  echo go >&"$LOAD_CTL"
  exec {LOAD_CTL}>&-
  local i=0
  while kill -0 "$LOAD_PID" 2>/dev/null && [ $i -lt $((120 * SLOW * 10)) ]; do
    sleep 0.1
    i=$((i + 1))
  done
  kill -KILL -- "-$LOAD_PID" 2>/dev/null
  wait "$LOAD_PID" 2>/dev/null
  LOAD_STATUS=$?
  LOAD_RESULT=$(grep -m1 '^result ' "$LOAD_OUT")
}

# load_wait PHASE: waits (bounded) for loadgen's "PHASE N" line and sets LOAD_N to N; fails
# the test (returns 1) if the line does not come.
load_wait() {
  LOAD_N=
  if ! wait_for_line "$LOAD_OUT" "^$1 " 60 "$LOAD_PID"; then
    fail_hint "the load tool never reached '$1' ($(head -n 3 "$LOAD_ERR" | tr '\n' ' ')): the server stopped answering $LOAD_CONNS clients at once"
    return 1
  fi
  LOAD_N=$(sed -n "s/^$1 //p" "$LOAD_OUT" | head -n 1)
}

# wait_fds PID WANT: waits (bounded) until the process has WANT descriptors open; prints
# the last count seen. The server accepts at its own pace: the count gets there, or not.
wait_fds() {
  local n i=0
  while [ $i -lt $((20 * SLOW * 10)) ]; do
    n=$(proc_fd_count "$1")
    [ "$n" = "$2" ] && break
    sleep 0.1
    i=$((i + 1))
  done
  echo "$n"
}

# result_field NAME: a field of loadgen's result line.
result_field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$LOAD_RESULT"; }

# load_round NAME ARGS...: one round of `loadgen --step ARGS` against the running server,
# checking descriptors and memory before, during and after (see the top). Sets RSS_BEFORE,
# RSS_DURING (the larger of the two looks while connected) and RSS_AFTER, in KiB, and
# LOAD_RESULT. Returns 1 once a check has failed.
load_round() {
  local name=$1 base_fds fds rss
  shift
  base_fds=$(proc_fd_count "$SERVER_PID")
  RSS_BEFORE=$(proc_status_kb "$SERVER_PID" VmRSS)
  load_start "$@"
  load_wait connected || return 1
  expect_eq "$name: only $LOAD_N of $LOAD_WANT connections could be opened ($(head -n 2 "$LOAD_ERR" | tr '\n' ' ')): is the listen() backlog large enough, and does the server accept every waiting client each time the listener is readable?" \
    "$LOAD_WANT" "$LOAD_N" || return 1
  fds=$(wait_fds "$SERVER_PID" $((base_fds + LOAD_WANT)))
  expect_eq "$name: with $LOAD_WANT clients connected the server has $((fds - base_fds)) more descriptors open, not $LOAD_WANT: one socket per client, and nothing else per client" \
    $((base_fds + LOAD_WANT)) "$fds" || return 1
  RSS_DURING=$(proc_status_kb "$SERVER_PID" VmRSS)
  load_next
  load_wait exchanged || return 1
  rss=$(proc_status_kb "$SERVER_PID" VmRSS)
  [ "${rss:-0}" -gt "${RSS_DURING:-0}" ] && RSS_DURING=$rss
  load_finish
  expect_eq "$name: the load tool exited $LOAD_STATUS ($(head -n 3 "$LOAD_ERR" | tr '\n' ' ')): some client got a wrong reply, or none" \
    0 "$LOAD_STATUS" || return 1
  expect_eq "$name: $(result_field errors) replies were wrong or missing ($(head -n 3 "$LOAD_ERR" | tr '\n' ' '))" \
    0 "$(result_field errors)" || return 1
  fds=$(wait_fds "$SERVER_PID" "$base_fds")
  expect_eq "$name: after every client left the server still has $((fds - base_fds)) descriptors more than before: close each connection's socket when it ends" \
    "$base_fds" "$fds" || return 1
  RSS_AFTER=$(proc_status_kb "$SERVER_PID" VmRSS)
  expect_server_alive "under $LOAD_WANT connections at once" || return 1
  echo "$name: fds $base_fds -> $((base_fds + LOAD_WANT)) -> $fds; VmRSS KiB $RSS_BEFORE -> $RSS_DURING -> $RSS_AFTER"
  return 0
}

# memory_checks_on: false (and the reason is printed) when LOAD_MEMORY_CHECKS=0, as under the
# sanitizers, whose quarantine, shadow memory and redzones make resident sizes meaningless.
memory_checks_on() {
  [ "${LOAD_MEMORY_CHECKS:-1}" != 0 ] && return 0
  echo "memory checks off (LOAD_MEMORY_CHECKS=0): descriptors and replies are still checked"
  return 1
}

# expect_memory_bounded NAME KIB_PER_CONN: fails unless the last round's growth while
# connected stays under KIB_PER_CONN per connection.
expect_memory_bounded() {
  memory_checks_on || return 0
  local grown=$((RSS_DURING - RSS_BEFORE)) limit=$(($2 * LOAD_WANT))
  expect_ok "$1: $LOAD_WANT connections made the server grow by $grown KiB, more than $2 KiB each: is a large buffer allocated per connection up front?" \
    test "$grown" -le "$limit"
}

# expect_no_growth NAME PEAK_KIB: after a second round of the same load, fails if the
# server's resident memory, or its peak (VmHWM), is above the first round's peak PEAK_KIB by
# more than a little. What was freed may stay in the allocator (resident) but is reused, so
# the same load again needs no more; memory lost per connection or per message adds up.
expect_no_growth() {
  local hwm grown slack=2048
  memory_checks_on || return 0
  hwm=$(proc_status_kb "$SERVER_PID" VmHWM)
  [ "${RSS_AFTER:-0}" -gt "${hwm:-0}" ] && hwm=$RSS_AFTER
  grown=$((hwm - $2))
  expect_ok "$1: a second round of $LOAD_WANT clients made the server $grown KiB larger than the first round needed: something allocated per connection or per message is not freed" \
    test "$grown" -le "$slack"
}

# round_peak: the server's peak resident memory so far (VmHWM), in KiB.
round_peak() { proc_status_kb "$SERVER_PID" VmHWM; }
