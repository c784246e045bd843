#!/usr/bin/env bash
# Lesson 02: the select() server and the many-connections client (CONTRACT.md section 3).
# Run by tests/run, one test at a time; by hand: bash tests/02-multiconn.sh [-- TEST_NAME]
#
# The server is driven by the kit's tools: mcload (many connections, random binary data in
# random splits, every byte checked), tcpdrive (one connection: resets, never reading...).
# The client is tested against mcecho, the kit's own echo server, which can also drop,
# corrupt or cut the echo on purpose, so a client test never depends on the student's server.
# The harness beside this file (found without starting a process: tests/run starts hundreds).
[[ ${BASH_SOURCE[0]} == */* ]] && _tests=${BASH_SOURCE[0]%/*} || _tests=.
. "$_tests/harness.sh"

# ---- helpers ---------------------------------------------------------------------------------

_mcload_runs=0

# mcload SECONDS ARGS...: runs the load tool against the server under test; sets
# MCLOAD_STATUS, MCLOAD_OUT and MCLOAD_ERR (files).
mcload() {
  local limit=$1
  shift
  _mcload_runs=$((_mcload_runs + 1))
  MCLOAD_OUT=$WORK/mcload.$_mcload_runs.out
  MCLOAD_ERR=$WORK/mcload.$_mcload_runs.err
  run_client "$limit" "$TOOLS/mcload" "$@" "${SERVER_HOST:-127.0.0.1}" "$SERVER_PORT" \
    >"$MCLOAD_OUT" 2>"$MCLOAD_ERR"
  MCLOAD_STATUS=$CLIENT_STATUS
  return "$MCLOAD_STATUS"
}

# mcload_background NAME ARGS...: starts mcload in its own process group (stopped in
# tearDown); its output goes to $WORK/NAME.out. Sets BG_PID.
mcload_background() {
  local name=$1
  shift
  setsid "$TOOLS/mcload" "$@" "${SERVER_HOST:-127.0.0.1}" "$SERVER_PORT" \
    >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null &
  BG_PID=$!
  _track "$BG_PID"
}

# hold_clients NAME SECONDS HINT MCLOAD-ARGS...: mcload_background NAME, then waits (at most
# SECONDS) until its clients have their first bytes back and hold their connections open.
# Returns 1, after failing the test with HINT and what mcload said, when they do not.
hold_clients() {
  local name=$1 wait=$2 hint=$3
  shift 3
  mcload_background "$name" "$@"
  wait_for_line "$WORK/$name.out" '^mcload: holding' "$wait" "$BG_PID" && return 0
  server_gone && return 1
  fail_hint "$hint (mcload said: $(tail_of "$WORK/$name.err" 2))"
  return 1
}

# _fd_count_is PID N: true when the process has N descriptors open.
_fd_count_is() { [ "$(proc_fd_count "$1")" = "$2" ]; }

# expect_mcload_ok WHAT: fails with a hint matching how the last mcload run went wrong.
expect_mcload_ok() {
  local what=$1 why
  if [ "$MCLOAD_STATUS" = 0 ]; then passed_check; return 0; fi
  if ! server_alive; then
    fail_hint "$what: the server is not running any more (its stderr ends: $(tail_of "$SERVER_ERR" 2 200))"
    return 1
  fi
  why=$(head -n 2 "$MCLOAD_ERR" | tr '\n' ' ' | cut -c1-300)
  case $MCLOAD_STATUS in
    1) fail_hint "$what: wrong bytes came back ($why): echo the bytes in the order they arrived; after a partial send() keep exactly the unsent bytes (buf_consume() what send() took) and send them next" ;;
    3) fail_hint "$what: the server ended a connection too early ($why): not every byte came back before it closed: send() what is queued (it may take only part: keep the rest for the next round), and when recv() returns 0 the client has only half-closed, so close only once the queue is empty" ;;
    4) if grep -qE 'sent ([0-9]+) of \1 bytes, \1 came back, half-closed, waiting for the server to close' <<<"$why"; then
      fail_hint "$what: every byte came back, but the server never closed the connection ($why): when recv() returns 0 the client has finished sending; once its echo is all sent, close() the connection (and take it out of the table), or the client waits for ever and the descriptor leaks"
    else
      fail_hint "$what: the clients stalled ($why$(server_said)): is the server blocked on one client (a blocking recv()/send()/accept()), or not watching a socket it should? Call recv(), send() and accept() only on sockets select() reported ready, and keep every connection in the read set"
    fi ;;
    5) fail_hint "$what: could not connect ($why): does the server accept connections?" ;;
    124 | 137) fail_hint "$what: the load did not finish in time: the server is stuck or very slow (is it blocking on one client?)" ;;
    *) fail_hint "$what: mcload exited $MCLOAD_STATUS ($why)" ;;
  esac
  return 1
}

# server_gone: if the server under test is no longer running, fails the test saying so
# and returns 0 (true); otherwise returns 1.
server_gone() {
  server_alive && return 1
  fail_hint "the server is not running any more (its stderr ends: $(tail_of "$SERVER_ERR" 2 200))"
  return 0
}

# client_said: the client's first distinct stderr lines, shortened, for a hint.
client_said() {
  local line out= n=0
  local -A seen=()
  _small_lines "$ERR" || _LINES=("(it printed 64 KiB or more on stderr)")
  for line in "${_LINES[@]}"; do
    [ -z "${seen[$line]:-}" ] || continue
    seen[$line]=1
    out+="${out:+ }$line"
    n=$((n + 1))
    [ $n -lt 2 ] || break
  done
  printf '%s' "${out:0:200}"
}

# run_multiconn_client ARGS...: runs the client under test (with the LD_PRELOAD shim
# CLIENT_PRELOAD when set, as SERVER_PRELOAD does for a server); sets CLIENT_STATUS, and OUT
# and ERR (files).
run_multiconn_client() {
  OUT=$WORK/client.out
  ERR=$WORK/client.err
  if [ -n "${CLIENT_PRELOAD:-}" ]; then
    run_client_preload "$CLIENT_WAIT" "$CLIENT_PRELOAD" multiconn-client "$@" >"$OUT" 2>"$ERR" </dev/null
  else
    run_client "$CLIENT_WAIT" "$BIN/multiconn-client" "$@" >"$OUT" 2>"$ERR" </dev/null
  fi
}

# ---- arguments -------------------------------------------------------------------------------

test_usage() {
  describe "-h prints usage and exits 0; wrong arguments print usage on stderr and exit 2"
  given
  expect_help multiconn-server multiconn-client
  expect_usage_errors "multiconn-server 127.0.0.1 not-a-port" "multiconn-server 127.0.0.1 1 2 3" \
    "multiconn-client 127.0.0.1" "multiconn-client 127.0.0.1 65432" "multiconn-client 127.0.0.1 65432 zero" \
    "multiconn-client 127.0.0.1 65432 0" "multiconn-client 127.0.0.1 no-port 3" \
    "multiconn-client -r lots 127.0.0.1 65432 3"
}

# ---- the server: echoing ---------------------------------------------------------------------

test_one_client() {
  describe "one client: up to 1 MiB of random binary data, sent in random pieces, comes back intact"
  start_server multiconn-server || return
  mcload 60 --conns 1 --min-bytes 200000 --max-bytes 1048576 --max-chunk 4096 --seed 11
  expect_mcload_ok "one client"
}

test_ten_clients() {
  describe "10 clients at once, each with its own random binary data in random pieces, all echoed intact"
  needs test_one_client
  start_server multiconn-server || return
  mcload 60 --conns 10 --max-bytes 262144 --max-chunk 8192 --seed 12
  expect_mcload_ok "10 concurrent clients"
  expect_server_alive "after 10 clients"
}

test_200_clients() {
  describe "200 clients at once, each with its own random binary data in random pieces, all echoed intact"
  needs test_one_client
  start_server multiconn-server || return
  mcload 60 --conns 200 --max-bytes 32768 --max-chunk 2048 --seed 13
  expect_mcload_ok "200 concurrent clients"
  expect_server_alive "after 200 clients"
}

test_one_byte_pieces() {
  describe "5 clients at once sending one byte per packet all get their bytes back"
  needs test_one_client
  start_server multiconn-server || return
  mcload 60 --conns 5 --min-bytes 500 --max-bytes 2000 --max-chunk 1 --seed 14
  expect_mcload_ok "5 clients sending one byte at a time"
}

test_finish_styles() {
  describe "clients that half-close, close or reset once their echo is back are all served and closed"
  needs test_one_client
  start_server multiconn-server || return
  mcload 60 --conns 30 --max-bytes 50000 --max-chunk 3000 --finish mixed --seed 15
  expect_mcload_ok "30 clients finishing in three different ways"
  expect_server_alive "after clients that closed or reset their connection"
  mcload 30 --conns 5 --seed 16
  expect_mcload_ok "the next 5 clients"
}

test_log_lines() {
  describe "the server prints 'Listening on', then 'Accepted connection from ADDR' and 'Closing connection to ADDR' for each client"
  needs test_one_client
  start_server multiconn-server || return
  expect_match "the first line must be exactly 'Listening on 127.0.0.1:PORT'" \
    '^Listening on 127\.0\.0\.1:[1-9][0-9]*$' "$(head -n 1 "$SERVER_OUT")"
  mcload 30 --conns 5 --max-bytes 1000 --seed 17
  expect_mcload_ok "5 clients" || return
  if ! wait_for_count '^Closing connection to 127\.0\.0\.1:[0-9]+$' "$SERVER_OUT" 5 10; then
    fail_hint "after 5 clients the server printed $(count_lines '^Closing connection to ' "$SERVER_OUT") of 5 lines 'Closing connection to 127.0.0.1:PORT': log it each time you close a client's socket"
  fi
  expect_eq "the server printed $(count_lines '^Accepted connection from ' "$SERVER_OUT") lines 'Accepted connection from 127.0.0.1:PORT' for 5 clients" \
    5 "$(count_lines '^Accepted connection from 127\.0\.0\.1:[0-9]+$' "$SERVER_OUT")"
}

test_accepts_every_waiting_client() {
  describe "20 clients waiting together are all accepted at once, before the server serves any of them"
  needs test_one_client
  start_server multiconn-server || return
  # The server is held still (SIGSTOP) while 20 clients connect, send their bytes and
  # half-close; the kernel queues them all. Let go, the server finds the listening socket
  # ready: accept() in a loop takes all 20 before the next select(), while one accept() a
  # round lets the first clients' echoes and closes come between the accepts.
  kill -STOP "$SERVER_PID"
  mcload_background crowd --conns 20 --no-barrier --max-bytes 200 --seed 36
  wait_until 20 eval '! server_alive || [ "$(tcp_close_wait_count "$SERVER_PORT")" -ge 20 ]'
  local queued
  queued=$(tcp_close_wait_count "$SERVER_PORT")
  kill -CONT "$SERVER_PID"
  server_gone && return
  [ "$queued" -ge 20 ] || { fail_hint "only $queued of 20 clients got their bytes through to the stopped server's queue (the kit's side of the test did not work)"; return; }
  wait_until 30 eval '! kill -0 "$BG_PID" 2>/dev/null'
  wait "$BG_PID" 2>/dev/null
  MCLOAD_STATUS=$?
  MCLOAD_ERR=$WORK/crowd.err
  expect_mcload_ok "20 clients that were waiting together" || return
  local last_accept first_close
  last_accept=$(grep -n '^Accepted connection from ' "$SERVER_OUT" | sed -n 20p | cut -d: -f1)
  first_close=$(grep -n -m1 '^Closing connection to ' "$SERVER_OUT" | cut -d: -f1)
  expect_ok "the server closed a client (log line ${first_close:-?}) before it had accepted the 20th waiting one (line ${last_accept:-?}): when select() reports the listening socket, accept() in a loop until it fails with EAGAIN, so that every waiting client is taken in one round" \
    test -n "$last_accept" -a -n "$first_close" -a "${last_accept:-0}" -lt "${first_close:-0}"
}

test_ipv6() {
  describe "the server works over IPv6 on ::1"
  needs test_one_client
  start_server multiconn-server ::1 0 || return
  expect_match "the server should print 'Listening on [::1]:PORT' (IPv6 addresses in brackets)" \
    '^Listening on \[::1\]:[1-9][0-9]*$' "$(head -n 1 "$SERVER_OUT")"
  mcload 30 --conns 5 --max-bytes 20000 --seed 18
  expect_mcload_ok "5 clients over IPv6 (use struct sockaddr_storage for accept(), never a struct sockaddr_in)"
}

# ---- the server: clients that misbehave ------------------------------------------------------

test_silent_client() {
  describe "a client that sends half a message and goes quiet gets that half echoed, and delays nobody"
  needs test_one_client
  start_server multiconn-server || return
  hold_clients silent 10 "a client sent 11 bytes and waits for them: the server must send back what it has received at once, without waiting for more" \
    --conns 1 --silent-after 11 --seed 19 || return
  mcload 30 --conns 10 --max-bytes 20000 --seed 20
  expect_mcload_ok "10 clients while another one stays silent"
  expect_ok "the silent client's connection was closed by the server: an idle client is not an error; keep it until it closes" \
    kill -0 "$BG_PID"
}

test_client_that_never_reads() {
  describe "a client that sends without end and never reads delays nobody, and the server's memory stays bounded"
  slow
  needs test_one_client
  start_server multiconn-server || return
  local base peak limit_kb=$((32 * 1024)) i flood
  base=$(proc_status_kb "$SERVER_PID" VmHWM)
  # 256 MiB: far more than the kernel's socket buffers can hold, so the flood can only
  # finish if the server buffers it all.
  setsid bash -c "head -c 268435456 /dev/zero | exec '$TOOLS/tcpdrive' --no-read 127.0.0.1 $SERVER_PORT" \
    >/dev/null 2>&1 </dev/null &
  flood=$!
  _track "$flood"
  if ! wait_for_line "$SERVER_OUT" '^Accepted connection from ' 10 "$SERVER_PID"; then
    server_gone && return
    fail_hint "the server did not log 'Accepted connection from ADDR' for the flooding client"
    return
  fi
  mcload 30 --conns 10 --max-bytes 50000 --seed 21
  expect_mcload_ok "10 clients while another one floods the server without reading"
  # Look at the server's peak memory for a second more, while the flood keeps pushing.
  for i in 1 2 3 4 5 6 7 8 9 10; do
    peak=$(proc_status_kb "$SERVER_PID" VmHWM)
    [ -n "$peak" ] && [ $((peak - base)) -gt $limit_kb ] && break
    nap 100
  done
  expect_server_alive "while a client flooded it without reading" || return
  if [ $((peak - base)) -gt $limit_kb ]; then
    fail_hint "the server's resident memory grew by $(((peak - base) / 1024)) MiB while one client sent without reading: backpressure: stop watching a client for reading while its unsent output is over a limit (MAX_PENDING_OUTPUT), and resume once it drains"
    return
  fi
  expect_ok "the flooding client sent all 256 MiB although it never read its echo: the server must stop reading from a client whose unsent output is over the limit (backpressure)" \
    kill -0 "$flood"
}

test_partial_writes() {
  describe "when send() takes only part of the bytes, the rest is kept and sent later, in order"
  needs test_one_client
  # The shim makes every send() on a socket take a random part of what it is offered, as
  # the kernel does when a client's socket buffer is nearly full.
  SERVER_PRELOAD=$TOOLS/shortsend.so
  start_server multiconn-server || return
  CLIENT_WAIT=60 drive_echo partial.bin 1048576 --split random --max-chunk 100000
  expect_server_alive "while send() kept taking only part of its bytes" || return
  expect_echo "while send() took only part of each buffer: consume exactly the n bytes send() returned from the output buffer and keep the rest for the next time the socket is writable"
}

test_spurious_eagain() {
  describe "a call on a ready socket that fails with EAGAIN is no error: 10 clients, every byte echoed"
  needs test_one_client
  # The shim makes every other accept(), recv() and send() on a non-blocking socket fail
  # with EAGAIN, as one may even after select() reported the socket ready.
  SERVER_PRELOAD=$TOOLS/eagain.so
  start_server multiconn-server || return
  mcload 60 --conns 10 --max-bytes 100000 --max-chunk 5000 --seed 35
  expect_mcload_ok "with accept(), recv() and send() failing now and then with EAGAIN" || return
  expect_eq "the server reported an error for EAGAIN ($(first_line "$SERVER_ERR" 'temporarily unavailable' 160)): EAGAIN (or EWOULDBLOCK) from a non-blocking call means 'nothing now': end this accept loop, or try this socket again on the next round" \
    0 "$(count_lines 'temporarily unavailable' "$SERVER_ERR")"
}

test_reset_midstream() {
  describe "clients that reset their connection in the middle of a transfer do not stop the server"
  needs test_one_client
  start_server multiconn-server || return
  local junk
  junk=$(random_file junk.bin 1048576)
  # Closes while the echo is still coming: unread data makes close() send a reset.
  run_client 20 "$TOOLS/tcpdrive" --stop-after 1000 --send "$junk" 127.0.0.1 "$SERVER_PORT" \
    >/dev/null 2>&1
  run_client 20 "$TOOLS/tcpdrive" --reset --no-read --send "$junk" 127.0.0.1 "$SERVER_PORT" \
    >/dev/null 2>&1
  mcload 30 --conns 20 --max-bytes 100000 --finish reset --no-barrier --seed 22
  expect_server_alive "after clients reset their connections (recv() or send() then fail with ECONNRESET or EPIPE: close that connection only)" || return
  mcload 30 --conns 10 --max-bytes 20000 --seed 23
  expect_mcload_ok "10 clients after the resets"
}

test_connect_and_close() {
  describe "clients that connect and close (or reset) at once are closed cleanly, and the server goes on"
  needs test_one_client
  start_server multiconn-server || return
  local i
  for ((i = 1; i <= 20; i++)); do
    run_client 10 "$TOOLS/tcpdrive" --no-read 127.0.0.1 "$SERVER_PORT" </dev/null >/dev/null 2>&1
    run_client 10 "$TOOLS/tcpdrive" --reset 127.0.0.1 "$SERVER_PORT" </dev/null >/dev/null 2>&1
  done
  expect_server_alive "after 40 clients that closed at once" || return
  if ! wait_for_count '^Closing connection to ' "$SERVER_OUT" 40 10; then
    fail_hint "40 clients connected and left at once, but the server closed only $(count_lines '^Closing connection to ' "$SERVER_OUT") connections: recv() returning 0 (end of file) or failing with ECONNRESET means close that connection"
  fi
  mcload 30 --conns 10 --max-bytes 20000 --seed 24
  expect_mcload_ok "10 clients after the quick ones"
}

test_no_descriptor_leak() {
  describe "2,000 connections opened and closed one after another leave no descriptor open in the server"
  needs test_one_client
  start_server multiconn-server || return
  local before after
  before=$(proc_fd_count "$SERVER_PID")
  mcload 90 --conns 2000 --at-once 1 --max-bytes 2000 --max-chunk 500 --finish mixed --seed 25
  expect_mcload_ok "2,000 clients one after another" || return
  wait_until 5 _fd_count_is "$SERVER_PID" "$before"
  after=$(proc_fd_count "$SERVER_PID")
  expect_eq "the server had $before descriptors open before 2,000 clients and $after after: close() each client's socket when it leaves (on end of file, on errors, on resets)" \
    "$before" "$after"
  mcload 30 --conns 10 --max-bytes 20000 --seed 26
  expect_mcload_ok "10 clients after the 2,000"
}

test_idle_costs_no_cpu() {
  describe "idle connections cost no CPU: the server sleeps in select() until something happens"
  slow
  needs test_one_client
  start_server multiconn-server || return
  hold_clients idle 10 "10 clients sent 100 bytes each and did not get them back" \
    --conns 10 --silent-after 100 --seed 27 || return
  expect_sleeping "while all 10 connections were idle" \
    "call select() with no timeout (NULL), and put a socket in the write set only while it has output pending (a socket with room to write is always writable, so select() returns at once)"
}

# _crowd_sorted N: true once the server has accepted or closed N of the crowd's connections
# (or has gone).
_crowd_sorted() {
  [ $(($(count_lines '^Accepted connection from ' "$SERVER_OUT") + $(count_lines 'closed by the server$' "$WORK/many.out"))) -ge "$1" ] || ! server_alive
}

test_fd_setsize_guard() {
  describe "a connection whose descriptor is >= FD_SETSIZE (1024) is closed at once, and the server goes on"
  needs test_one_client
  local want=1100 hard
  hard=$(ulimit -Hn)
  # Descriptors above 1023 need a higher limit than the usual 1024, for the server and mcload.
  if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 2048 ]; then
    if [ "$hard" = unlimited ] || [ "$hard" -ge 2048 ]; then
      ulimit -n 2048
    elif [ "$hard" -gt $((want + 50)) ]; then
      ulimit -n "$hard"
    fi
  fi
  start_server multiconn-server || return
  mcload 30 --conns 3 --max-bytes 1000 --seed 28
  expect_mcload_ok "3 clients" || return
  if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((want + 50)) ]; then
    skip_test "this system allows only $(ulimit -n) open descriptors (ulimit -Hn $hard); the test needs $((want + 50))"
    return
  fi
  hold_clients many 30 "$want clients could not all connect" \
    --conns $want --silent-after 0 --timeout 30 --seed 29 || return
  # Every connection is either accepted (and logged) or closed by the guard. The server
  # holds descriptors 0, 1, 2 and its listener, so at most FD_SETSIZE - 4 of them fit: the
  # guard must close at least want - 1020 (never a count that depends on luck).
  wait_until 60 _crowd_sorted $((want + 3)) # and the 3 clients before
  local accepted closed least=$((want - 1020))
  accepted=$(count_lines '^Accepted connection from ' "$SERVER_OUT")
  closed=$(count_lines 'closed by the server$' "$WORK/many.out")
  expect_server_alive "once its descriptors went past FD_SETSIZE: FD_SET() on a descriptor >= FD_SETSIZE writes outside the fd_set; close such a connection right after accept()" || return
  if [ "$closed" -lt "$least" ]; then
    fail_hint "$want clients connected at once, the server logged $accepted accepted and closed $closed at once (at least $least have a descriptor >= FD_SETSIZE): a descriptor >= FD_SETSIZE cannot go in an fd_set; after accept(), log it and close it at once"
    return
  fi
  if [ "$closed" -gt 300 ]; then
    fail_hint "$want clients connected and the server closed $closed of them at once: only descriptors >= FD_SETSIZE must be refused"
    return
  fi
  stop_group "$BG_PID" 5
  mcload 30 --conns 10 --max-bytes 20000 --seed 30
  expect_mcload_ok "10 clients after the crowd left"
}

test_sigterm_and_sigint() {
  describe "on SIGTERM or SIGINT the server closes every connection, prints 'Shutting down' and exits 0"
  needs test_one_client
  local sig pid
  for sig in TERM INT; do
    start_server multiconn-server || return
    hold_clients held.$sig 10 "3 clients sent 10 bytes each and did not get them back" \
      --conns 3 --silent-after 10 --seed 31 || return
    pid=$SERVER_PID
    kill -"$sig" "$pid"
    wait_for_count 'closed by the server$' "$WORK/held.$sig.out" 3 10
    stop_server # SIGTERM again if SIG$sig was not enough; sets SERVER_STATUS
    expect_eq "after SIG$sig the server's exit status was $SERVER_STATUS: leave the loop when pselect() fails with EINTR and signals_stop_requested() is true, close everything, exit 0" \
      0 "$SERVER_STATUS"
    expect_match "the server did not print 'Shutting down' as its last line after SIG$sig" \
      '^Shutting down$' "$(last_line "$SERVER_OUT")"
    expect_eq "after SIG$sig only $(count_lines 'closed by the server$' "$WORK/held.$sig.out") of 3 open connections were closed: on shutdown, close every client's socket (and free its state)" \
      3 "$(count_lines 'closed by the server$' "$WORK/held.$sig.out")"
  done
  expect_no_eintr_noise
}

test_stop_never_lost() {
  describe "a stop request is never lost: 10 servers, each sent SIGTERM as it starts to wait, all exit 0"
  slow
  needs test_one_client
  expect_stop_never_lost 10 multiconn-server \
    "between the loop's look at the stop flag and select() a signal is lost; call pselect() with signals_wait_mask(), which lets the signal in only while it sleeps"
}

test_stop_during_flood() {
  describe "SIGTERM stops the server while clients keep connecting and one never reads"
  needs test_one_client
  start_server multiconn-server || return
  # One client sends without end and never reads; a crowd comes and goes around it.
  setsid "$TOOLS/tcpdrive" --no-read 127.0.0.1 "$SERVER_PORT" </dev/zero >/dev/null 2>&1 &
  _track $!
  expect_stops_in_crowd '^Closing connection to ' 300 "clients" \
    "the loop must get back to pselect() (where the signal is let in) after each round; never loop over one socket until it is done" \
    -- mcload --conns 100000 --at-once 100 --no-barrier --max-bytes 1000 --timeout 60 --seed 34
}

test_out_of_descriptors() {
  describe "out of descriptors (EMFILE), the server waits quietly and serves again once one is free"
  slow
  needs test_one_client
  SERVER_PRELOAD=$TOOLS/emfile.so
  start_server multiconn-server || return
  # From now on every accept() fails with EMFILE while clients wait, as it does under a
  # 'ulimit -n' too small for the clients (the emfile shim).
  shortage_begin
  mcload_background waiting --conns 20 --max-bytes 2000 --timeout 30 --seed 35
  expect_calm_shortage 20 "the listener stays readable while accept() fails with EMFILE; stop watching it (srv->accepting = false) and let pselect() time out to try again" \
    " (srv->told_shortage)" || return
  shortage_end
  wait "$BG_PID" # mcload gives up by itself after 30 s without progress
  MCLOAD_STATUS=$?
  MCLOAD_ERR=$WORK/waiting.err
  expect_mcload_ok "once descriptors were free again, the 20 waiting clients (the server must try accept() again after a while: a pselect() timeout while it is not accepting)" || return
  stop_server
  expect_eq "after the shortage, SIGTERM: the server exited $SERVER_STATUS, not 0" 0 "$SERVER_STATUS"
}

test_server_valgrind() {
  describe "valgrind: the server makes no memory errors, leaks nothing, closes every socket on SIGTERM"
  slow
  needs test_one_client
  start_server_valgrind multiconn-server || return
  local junk
  junk=$(random_file junk.bin 300000)
  mcload 90 --conns 12 --max-bytes 30000 --max-chunk 3000 --finish mixed --seed 32
  expect_mcload_ok "under valgrind, 12 clients (the basic job: see the functional tests)"
  run_client 30 "$TOOLS/tcpdrive" --reset --no-read --send "$junk" 127.0.0.1 "$SERVER_PORT" \
    >/dev/null 2>&1
  # Two connections still open at shutdown: they must be closed and freed too.
  mcload_background held --conns 2 --silent-after 10 --seed 33
  wait_for_line "$WORK/held.out" '^mcload: holding' 30 "$BG_PID"
  stop_server
  expect_memory_clean "$VALGRIND_LOG"
}

# ---- the client ------------------------------------------------------------------------------

# expect_client_report N INTACT: the client's report lists N connections, INTACT of them
# intact, the others FAILED, and a summary line.
expect_client_report() {
  local n=$1 intact=$2 i line ok=0 bad=0
  local -A lines_of=()
  # One pass over the report (a client may open hundreds of connections).
  if ! _small_lines "$OUT"; then
    fail_hint "the client printed 64 KiB or more for $n connections ($(client_said)): print one line per connection and a summary"
    return 1
  fi
  for line in "${_LINES[@]}"; do
    [[ $line =~ ^Connection\ ([0-9]+):\  ]] || continue
    i=${BASH_REMATCH[1]}
    lines_of[$i]=$((${lines_of[$i]:-0} + 1))
    [[ $line =~ intact ]] && ok=$((ok + 1))
    [[ $line =~ ^Connection\ [0-9]+:\ FAILED ]] && bad=$((bad + 1))
  done
  for ((i = 1; i <= n; i++)); do
    if [ "${lines_of[$i]:-0}" != 1 ]; then
      fail_hint "the client printed no line (or several) 'Connection $i: ...': print exactly one line per connection when it finishes ($(client_said))"
      return 1
    fi
  done
  expect_eq "$ok of $n connections were reported intact, $intact expected ($(first_line "$OUT" FAILED 150))" "$intact" "$ok" || return 1
  expect_eq "$bad of $n connections were reported FAILED, $((n - intact)) expected" "$((n - intact))" "$bad" || return 1
  expect_match "no summary line 'Summary: $intact of $n connections ...'" "^Summary: $intact of $n " "$(last_line "$OUT")"
}

test_client_default_messages() {
  describe "multiconn-client with 3 connections sends the two default messages on each and reports each intact"
  start_kit_echo || return
  run_multiconn_client 127.0.0.1 "$SERVER_PORT" 3
  expect_eq "multiconn-client $(exit_story "$CLIENT_STATUS") against a correct echo server ($(client_said)): exit 0 when every connection got its bytes back" \
    0 "$CLIENT_STATUS"
  expect_client_report 3 3 || return
  expect_eq "each connection should send 'Message 1 from client.' and 'Message 2 from client.': 44 bytes" \
    3 "$(count_lines '^Connection [0-9]+: sent 44 bytes' "$OUT")"
}

test_client_messages_and_random() {
  describe "multiconn-client sends given messages, and 1 MiB of random bytes per connection with -r"
  needs test_client_default_messages
  start_kit_echo || return
  run_multiconn_client 127.0.0.1 "$SERVER_PORT" 2 "alpha " "-beta-" "gamma"
  expect_eq "multiconn-client with messages $(exit_story "$CLIENT_STATUS") ($(client_said))" 0 "$CLIENT_STATUS"
  expect_eq "with messages 'alpha ', '-beta-', 'gamma' each connection sends 17 bytes" \
    2 "$(count_lines '^Connection [0-9]+: sent 17 bytes' "$OUT")"
  run_multiconn_client -r 1048576 127.0.0.1 "$SERVER_PORT" 4
  expect_eq "multiconn-client -r 1048576 $(exit_story "$CLIENT_STATUS") ($(first_line "$OUT" FAILED 150)): send() may take only part of 1 MiB; keep sending from where it stopped, while reading the echo" \
    0 "$CLIENT_STATUS"
  expect_client_report 4 4
}

test_client_against_its_server() {
  describe "multiconn-client and multiconn-server together: 10 connections, 200 KB each, all intact"
  needs test_one_client test_client_default_messages
  start_server multiconn-server || return
  run_multiconn_client -r 200000 127.0.0.1 "$SERVER_PORT" 10
  expect_eq "multiconn-client against multiconn-server $(exit_story "$CLIENT_STATUS") ($(first_line "$OUT" FAILED 150))" \
    0 "$CLIENT_STATUS"
  expect_client_report 10 10
}

test_client_many_connections() {
  describe "multiconn-client with 150 connections at once gets every one back intact"
  needs test_client_default_messages
  start_kit_echo || return
  run_multiconn_client -r 5000 127.0.0.1 "$SERVER_PORT" 150
  expect_eq "multiconn-client with 150 connections $(exit_story "$CLIENT_STATUS") ($(first_line "$OUT" FAILED 150))" \
    0 "$CLIENT_STATUS"
  expect_client_report 150 150
}

test_client_opens_all_at_once() {
  describe "multiconn-client opens all its connections at once (the server answers only when 5 are connected)"
  needs test_client_default_messages
  start_kit_echo --wait-for 5 || return
  run_multiconn_client 127.0.0.1 "$SERVER_PORT" 5
  if [ "$CLIENT_STATUS" = 124 ]; then
    fail_hint "the client hung: it must start every connect() before waiting for any echo (non-blocking connect, then select())"
    return
  fi
  expect_eq "multiconn-client $(exit_story "$CLIENT_STATUS") ($(first_line "$OUT" FAILED 150)): start all connections, then serve them all from one select() loop" \
    0 "$CLIENT_STATUS"
  expect_client_report 5 5
}

test_client_nonblocking_connect() {
  describe "multiconn-client starts each connect() on a non-blocking socket (where handshakes are slow)"
  needs test_client_default_messages
  start_kit_echo || return
  CLIENT_PRELOAD=$TOOLS/slowconnect.so run_multiconn_client 127.0.0.1 "$SERVER_PORT" 3
  if grep -q '^slowconnect: ' "$ERR"; then
    fail_hint "multiconn-client called connect() on a blocking socket ($(grep -m1 '^slowconnect: ' "$ERR" | cut -c14-120)...): every other connection waits for that handshake; make the socket non-blocking (net_set_nonblocking()) BEFORE connect(), and take EINPROGRESS as 'started'"
    return
  fi
  expect_eq "multiconn-client $(exit_story "$CLIENT_STATUS") ($(head -c 200 "$ERR" | tr '\n' ' ')) with every connect() non-blocking" 0 "$CLIENT_STATUS"
  expect_client_report 3 3
}

test_client_next_address() {
  describe "multiconn-client goes on to the next address when a connect() is refused"
  needs test_client_default_messages
  start_kit_echo || return
  CLIENT_PRELOAD=$TOOLS/deadfirst.so run_multiconn_client 127.0.0.1 "$SERVER_PORT" 3
  expect_eq "with a first address where connect() is refused (127.0.0.2) and the server's next, multiconn-client $(exit_story "$CLIENT_STATUS") ($(first_line "$OUT" FAILED 150)): once select() reports the socket writable, ask getsockopt(SO_ERROR) how the connect ended, and on an error close it and connect to the next address" \
    0 "$CLIENT_STATUS"
  expect_client_report 3 3
}

test_client_spurious_eagain() {
  describe "multiconn-client takes a recv() or send() that fails with EAGAIN as 'try later', not as an error"
  needs test_client_default_messages
  start_kit_echo || return
  CLIENT_PRELOAD=$TOOLS/eagain.so run_multiconn_client -r 200000 127.0.0.1 "$SERVER_PORT" 5
  expect_eq "multiconn-client $(exit_story "$CLIENT_STATUS") when every other recv() and send() failed with EAGAIN ($(client_said)): EAGAIN from a non-blocking socket means 'nothing now': wait for select() to report it ready again" \
    0 "$CLIENT_STATUS"
  expect_client_report 5 5
}

test_client_byte_by_byte_echo() {
  describe "multiconn-client puts together an echo that arrives one byte at a time"
  needs test_client_default_messages
  start_kit_echo --trickle || return
  run_multiconn_client 127.0.0.1 "$SERVER_PORT" 3
  expect_eq "multiconn-client $(exit_story "$CLIENT_STATUS") when the echo came one byte per packet ($(first_line "$OUT" FAILED 150)): keep reading until the connection has got back as many bytes as it sent" \
    0 "$CLIENT_STATUS"
  expect_client_report 3 3
}

test_client_detects_wrong_bytes() {
  describe "multiconn-client exits 1 when a server corrupts or drops a byte, and names the bad connections"
  needs test_client_default_messages
  local fault
  for fault in corrupt drop; do
    start_kit_echo --fault $fault || return
    run_multiconn_client -r 3000 127.0.0.1 "$SERVER_PORT" 4
    expect_eq "against a server that $([ $fault = corrupt ] && echo corrupts || echo drops) byte 5 on half the connections, multiconn-client $(exit_story "$CLIENT_STATUS"): compare every byte with what was sent, and exit 1 if any connection failed" \
      1 "$CLIENT_STATUS"
    expect_client_report 4 2 || return
    stop_server
  done
}

test_client_detects_early_close() {
  describe "multiconn-client exits 1 when a server closes a connection before echoing everything"
  needs test_client_default_messages
  start_kit_echo --fault truncate || return
  run_multiconn_client 127.0.0.1 "$SERVER_PORT" 4
  expect_eq "against a server that closes half the connections after 5 bytes, multiconn-client $(exit_story "$CLIENT_STATUS"): recv() returning 0 before every byte is back is a failure; exit 1" \
    1 "$CLIENT_STATUS"
  expect_client_report 4 2
}

test_client_connection_refused() {
  describe "multiconn-client to a port where nothing listens reports each connection refused and exits 1"
  needs test_client_default_messages
  start_kit_echo || return
  local port=$SERVER_PORT
  stop_server
  run_multiconn_client 127.0.0.1 "$port" 3
  expect_eq "multiconn-client $(exit_story "$CLIENT_STATUS") when every connection was refused" 1 "$CLIENT_STATUS"
  expect_eq "expected 3 lines 'Connection N: FAILED: ... Connection refused', got: $(head -n 1 "$OUT" | cut -c1-150): after select() reports the socket writable, getsockopt(SO_ERROR) tells whether connect() worked" \
    3 "$(count_lines '^Connection [0-9]+: FAILED.*Connection refused' "$OUT")"
}

test_client_valgrind() {
  describe "valgrind: the client makes no memory errors, leaks nothing, closes its sockets (success and failure)"
  slow
  needs test_client_default_messages
  skip_without_valgrind && return
  start_kit_echo || return
  run_client_valgrind 90 "$WORK/ok.valgrind" multiconn-client -r 100000 127.0.0.1 "$SERVER_PORT" 4 >"$WORK/ok.out" 2>"$WORK/ok.err"
  expect_eq "under valgrind multiconn-client $(exit_story "$CLIENT_STATUS") against a correct server ($(head -c 150 "$WORK/ok.err")): see the functional tests" 0 "$CLIENT_STATUS"
  expect_memory_clean "$WORK/ok.valgrind" "against a correct server: "
  start_kit_echo --fault corrupt || return
  run_client_valgrind 90 "$WORK/bad.valgrind" multiconn-client 127.0.0.1 "$SERVER_PORT" 4 >"$WORK/bad.out" 2>/dev/null
  expect_memory_clean "$WORK/bad.valgrind" "when connections fail: "
}

. "$SHUNIT2"
