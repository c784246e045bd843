#!/usr/bin/env bash
# Lesson 01: the blocking echo server and client (CONTRACT.md section 2).
# Run by tests/run, one test at a time; by hand: bash tests/01-echo.sh [-- TEST_NAME]
# The harness beside this file (found without starting a process: tests/run starts hundreds).
[[ ${BASH_SOURCE[0]} == */* ]] && _tests=${BASH_SOURCE[0]%/*} || _tests=.
. "$_tests/harness.sh"

# echo_through_client FILE: sends FILE with echo-client to the running server; sets GOT to
# the file holding what came back.
echo_through_client() {
  GOT=$WORK/got.$RANDOM
  run_client "$CLIENT_WAIT" "$BIN/echo-client" 127.0.0.1 "$SERVER_PORT" <"$1" >"$GOT" 2>"$WORK/client.err"
}

# echo_once HOST PORT MESSAGE: echo-client sends MESSAGE to HOST PORT; sets OUT to what it
# printed and CLIENT_STATUS to how it ended; its stderr goes to $WORK/err.
echo_once() {
  run_client "$CLIENT_WAIT" "$BIN/echo-client" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
  OUT=$(text_of "$WORK/out")
}

# expect_echoed WHAT MESSAGE HINT: the last echo_once printed exactly MESSAGE and exited 0.
# HINT names the likely mistake when the echo differs.
expect_echoed() {
  if [ "$OUT" != "$2" ]; then
    fail_hint "$1: echo-client got '${OUT:0:100}' ($(last_lines "$WORK/err" 1)): $3"
    return 1
  fi
  if [ "$CLIENT_STATUS" = 124 ]; then
    fail_hint "$1: echo-client printed the echo but never ended, waiting for the server to close the connection: once recv() returns 0 (the client half-closed), the server must close() that client's connection, then go back to accept()"
    return 1
  fi
  expect_eq "$1: echo-client $(exit_story "$CLIENT_STATUS") ($(last_lines "$WORK/err" 1))" 0 "$CLIENT_STATUS"
}

# client_stderr: " (echo-client's stderr: ...)", the start of it, for a hint.
client_stderr() { printf " (echo-client's stderr: %s)" "$(start_of "$WORK/client.err")"; }

test_usage() {
  describe "-h prints usage and exits 0; wrong arguments print usage on stderr and exit 2"
  given
  expect_help echo-server echo-client
  expect_usage_errors "echo-server 127.0.0.1 not-a-port x y z" "echo-client 127.0.0.1 not-a-port x y z"
}

test_listening_line() {
  describe "the server prints 'Listening on 127.0.0.1:PORT' with the real port when given port 0"
  start_server echo-server 127.0.0.1 0 || return
  expect_match "the first line must be exactly 'Listening on 127.0.0.1:PORT'" \
    '^Listening on 127\.0\.0\.1:[1-9][0-9]*$' "$(head_line "$SERVER_OUT")"
  run_client 5 "$TOOLS/tcpdrive" 127.0.0.1 "$SERVER_PORT" </dev/null >/dev/null 2>&1 && { passed_check; return; }
  if server_alive; then
    fail_hint "nothing accepts connections on the announced port $SERVER_PORT: did you call listen() on the socket you bound?"
  else
    fail_hint "the server announced port $SERVER_PORT, then it $(server_end_story)"
  fi
}

test_short_message() {
  describe "echo-client sends a short message and prints exactly the echo"
  start_kit_echo || return
  local out
  run_client "$CLIENT_WAIT" "$BIN/echo-client" 127.0.0.1 "$SERVER_PORT" "Hello, sockets!" >"$WORK/out" 2>"$WORK/err"
  out=$(text_of "$WORK/out")
  expect_eq "echo-client $(exit_story "$CLIENT_STATUS") (its stderr ends: $(tail_of "$WORK/err" 2)): it should half-close, read until the server closes, and exit 0" 0 "$CLIENT_STATUS"
  expect_eq "got '$out' back instead of 'Hello, sockets!' (from the kit's own echo server): does the client send the whole message and print exactly the bytes it reads back?" \
    "Hello, sockets!" "$out"
}

test_empty_input() {
  describe "echo-client with empty standard input sends nothing, prints nothing, exits 0"
  needs test_short_message
  start_kit_echo || return
  echo_through_client /dev/null
  expect_eq "echo-client $(exit_story "$CLIENT_STATUS") on empty input ($(start_of "$WORK/client.err")): with nothing to send it should half-close, see the server close, and exit 0" 0 "$CLIENT_STATUS"
  expect_ok "echo-client printed bytes for empty input ('$(start_of "$GOT" 60)')" test ! -s "$GOT"
}

test_one_byte_at_a_time() {
  describe "the server echoes a message that arrives one byte per packet"
  needs test_listening_line
  start_server echo-server || return
  drive_echo dribble.bin 3000 --split 1
  expect_echo "a message may arrive in many small pieces; the server must keep calling recv() until it returns 0, echoing each piece"
}

test_random_splits() {
  describe "the server echoes 2 MiB sent in random-sized pieces"
  needs test_listening_line
  start_server echo-server || return
  drive_echo splits.bin 2097152 --split random --max-chunk 70000 --seed 7
  expect_echo "send back exactly n bytes after recv() returned n, and loop until every byte is sent (send() may send fewer than asked)"
}

test_partial_sends() {
  describe "the server echoes every byte even when send() takes only part of them"
  needs test_listening_line
  # The shim makes every send() on a socket take a random part of what it is offered, as
  # the kernel may when the socket's buffer is nearly full.
  SERVER_PRELOAD=$TOOLS/shortsend.so
  start_server echo-server || return
  drive_echo partial.bin 262144
  expect_echo "while send() took only part of each buffer: send() returns how many bytes it took; send_all() must loop until all are sent"
}

test_binary_10mib() {
  describe "10 MiB of random binary data through echo-client comes back byte for byte"
  needs test_short_message test_one_byte_at_a_time
  # Small fixed socket buffers on both ends (the shim): Linux would otherwise grow them to
  # megabytes, and a client that sends everything before reading would pass by luck.
  SERVER_PRELOAD=$TOOLS/smallbuf.so
  start_server echo-server || return
  local sent
  sent=$(random_file big.bin 10485760)
  GOT=$WORK/got
  run_client_preload "$CLIENT_WAIT" "$TOOLS/smallbuf.so" echo-client 127.0.0.1 "$SERVER_PORT" \
    <"$sent" >"$GOT" 2>"$WORK/client.err"
  if [ "$CLIENT_STATUS" = 124 ]; then
    if cmp -s "$sent" "$GOT"; then
      fail_hint "echo-client got all 10 MiB back, then the connection never ended: once it has sent everything the client must half-close (shutdown(SHUT_WR)), and once recv() returns 0 the server must close() that client's connection"
    else
      fail_hint "echo-client hung on 10 MiB (it got $(wc -c <"$GOT") bytes back): if it sends everything before reading, both socket buffers fill and client and server wait on each other; send a chunk, then read that many bytes back"
    fi
    return
  fi
  # Both programs are yours here: what the server said, if anything, tells which one failed.
  expect_eq "echo-client $(exit_story "$CLIENT_STATUS") ($(start_of "$WORK/client.err")$(server_said))" 0 "$CLIENT_STATUS"
  expect_same_bytes "10 MiB through both programs" "$sent" "$GOT" "does the server send back every byte it receives (send_all()), and the client loop until every byte is read back and write binary data (zero bytes too) with write(), not printf()?" server_said
}

test_client_partial_sends() {
  describe "the client sends every byte even when write() takes only part of them"
  needs test_short_message
  start_kit_echo || return
  local sent got=$WORK/got
  sent=$(random_file partial.bin 262144)
  run_client_preload "$CLIENT_WAIT" "$TOOLS/shortsend.so" echo-client 127.0.0.1 "$SERVER_PORT" \
    <"$sent" >"$got" 2>"$WORK/client.err"
  if [ "$CLIENT_STATUS" = 124 ]; then
    fail_hint "echo-client hung while write() took only part of each buffer: a chunk sent only in part is never echoed in full, and reading it all back waits for ever; write_all() must loop until every byte is written"
    return
  fi
  expect_same_bytes "while write() took only part of each buffer" "$sent" "$got" "write() returns how many bytes it took; write_all() must loop until all are written" client_stderr
}

test_clients_one_after_another() {
  describe "five clients one after another each get their own message back, each logged"
  needs test_short_message test_one_byte_at_a_time
  start_server echo-server || return
  local i
  for i in 1 2 3 4 5; do
    echo_once 127.0.0.1 "$SERVER_PORT" "message number $i"
    expect_echoed "client $i" "message number $i" "after a client leaves, the server must close that connection and go back to accept() for the next one" || return
  done
  expect_server_alive "after five clients"
  expect_eq "the server logged $(count_lines '^Connected by ' "$SERVER_OUT") 'Connected by 127.0.0.1:PORT' lines for five clients: log one per accepted client" \
    5 "$(count_lines '^Connected by 127\.0\.0\.1:[0-9]+$' "$SERVER_OUT")"
  expect_eq "the server logged $(count_lines '^Disconnected ' "$SERVER_OUT") 'Disconnected 127.0.0.1:PORT' lines for five clients: log one when each client has gone" \
    5 "$(count_lines '^Disconnected 127\.0\.0\.1:[0-9]+$' "$SERVER_OUT")"
}

test_second_client_waits() {
  describe "a second client waits while the first is served, then gets its echo"
  slow
  needs test_short_message test_one_byte_at_a_time
  start_server echo-server || return
  local first=$WORK/first second=$WORK/second
  printf 'first client' >"$WORK/first.in"
  # The first client sends, then stays connected for a while before half-closing.
  run_client "$CLIENT_WAIT" "$TOOLS/tcpdrive" --hold-ms 1500 --send "$WORK/first.in" \
    --output "$first" 127.0.0.1 "$SERVER_PORT" &
  local first_pid=$!
  if ! wait_for_line "$SERVER_OUT" '^Connected by ' 10 "$SERVER_PID"; then
    fail_hint "the server did not log 'Connected by ADDR' for the first client"
    wait $first_pid
    return
  fi
  run_client "$CLIENT_WAIT" "$BIN/echo-client" 127.0.0.1 "$SERVER_PORT" "second client" >"$second" 2>/dev/null
  wait $first_pid
  expect_eq "the first client got '$(text_of "$first")' back" "first client" "$(text_of "$first")"
  expect_eq "the second client got '$(text_of "$second")': it waits in the listen queue until the first is done; then the server must accept it" \
    "second client" "$(text_of "$second")"
}

test_ipv6_loopback() {
  describe "the server and client work over IPv6 on ::1"
  needs test_short_message test_one_byte_at_a_time
  start_server echo-server ::1 0 || return
  expect_match "the server should print 'Listening on [::1]:PORT' (IPv6 addresses in brackets)" \
    '^Listening on \[::1\]:[1-9][0-9]*$' "$(head_line "$SERVER_OUT")"
  echo_once ::1 "$SERVER_PORT" "over IPv6"
  expect_echoed "over IPv6" "over IPv6" "use getaddrinfo() with AF_UNSPEC and struct sockaddr_storage, never a hard-coded AF_INET"
}

test_localhost_name() {
  describe "the name 'localhost' works for the server and the client"
  needs test_short_message test_one_byte_at_a_time
  start_server echo-server localhost 0 || return
  echo_once localhost "$SERVER_PORT" "by name"
  expect_echoed "using 'localhost'" "by name" "let getaddrinfo() resolve names, and try each address it returns"
}

test_server_tries_every_address() {
  describe "the server tries each address getaddrinfo() returns until one can be bound"
  needs test_listening_line
  # The shim puts an address no machine has (192.0.2.1) before the real answer: bind()
  # fails on it, and a server that gives up after the first address never starts.
  SERVER_PRELOAD=$TOOLS/deadfirst.so
  start_server echo-server 127.0.0.1 0 || {
    fail_hint "getaddrinfo() returned 192.0.2.1 (which cannot be bound here) first and 127.0.0.1 second, and the server gave up: walk the whole ai_next list, closing the socket of each address that fails, until bind() and listen() work"
    return
  }
  expect_match "the server should listen on the address that works, 127.0.0.1 (got: $(head_line "$SERVER_OUT"))" \
    '^Listening on 127\.0\.0\.1:[1-9][0-9]*$' "$(head_line "$SERVER_OUT")"
  local out
  out=$(run_client "$CLIENT_WAIT" "$TOOLS/tcpdrive" 127.0.0.1 "$SERVER_PORT" <<<"first or second" 2>/dev/null)
  expect_eq "the server echoed '$out'" "first or second" "$out"
}

test_client_tries_every_address() {
  describe "the client tries each address getaddrinfo() returns until one connects"
  needs test_short_message
  start_kit_echo || return
  local out
  # The shim puts 127.0.0.2 first, where nothing listens: connect() is refused there.
  out=$(run_client_preload "$CLIENT_WAIT" "$TOOLS/deadfirst.so" echo-client 127.0.0.1 "$SERVER_PORT" "second address" 2>"$WORK/err")
  expect_eq "got '$out' ($(start_of "$WORK/err")) when getaddrinfo() returned 127.0.0.2, where nothing listens, before 127.0.0.1: when connect() fails, close that socket and try the next address in the ai_next list" \
    "second address" "$out"
}

test_explicit_port() {
  describe "the server listens on the port it is given (not only on port 0), and the client reaches it"
  needs test_short_message test_one_byte_at_a_time
  local port
  # A port that was free a moment ago: the kit's echo server binds one and lets it go.
  start_kit_echo || return
  port=$SERVER_PORT
  stop_server
  start_server echo-server 127.0.0.1 "$port" || return
  if ! expect_eq "asked to listen on port $port, the server announced port $SERVER_PORT: a port goes into a sockaddr in network byte order; if you fill a struct sockaddr_in yourself, htons() the port (or let getaddrinfo() fill the address)" \
    "$port" "$SERVER_PORT"; then
    return
  fi
  echo_once 127.0.0.1 "$port" "port $port"
  expect_echoed "to port $port" "port $port" "the client must connect to the port it is given"
}

test_restart_same_port() {
  describe "the server restarts on the same port at once after serving a client (SO_REUSEADDR)"
  slow
  needs test_short_message test_one_byte_at_a_time
  start_server echo-server || return
  local port=$SERVER_PORT
  printf 'x' >"$WORK/x"
  # A client still connected when the server stops: the server closes first, so its side of
  # that connection lingers in TIME_WAIT, which blocks bind() without SO_REUSEADDR.
  run_client "$CLIENT_WAIT" "$TOOLS/tcpdrive" --hold-ms 1000 --send "$WORK/x" --output /dev/null \
    127.0.0.1 "$port" &
  local client=$!
  wait_for_line "$SERVER_OUT" '^Connected by ' 10 "$SERVER_PID"
  stop_server
  wait $client
  start_server echo-server 127.0.0.1 "$port" || {
    fail_hint "restarting on port $port failed ($(start_of "$SERVER_ERR")): set SO_REUSEADDR before bind()"
    return
  }
  echo_once 127.0.0.1 "$port" "again"
  expect_echoed "after the restart" "again" "the restarted server must serve as before"
}

test_client_reset_midstream() {
  describe "a client that resets its connection mid-stream does not stop the server"
  needs test_short_message test_one_byte_at_a_time
  start_server echo-server || return
  local junk
  junk=$(random_file junk.bin 1048576)
  run_client "$CLIENT_WAIT" "$TOOLS/tcpdrive" --reset --no-read --send "$junk" 127.0.0.1 "$SERVER_PORT" 2>/dev/null
  expect_server_alive "after a client reset its connection (recv/send then fail with ECONNRESET or EPIPE)"
  echo_once 127.0.0.1 "$SERVER_PORT" "still here"
  expect_echoed "after a reset client, the next client" "still here" "on a recv()/send() error close that connection and go back to accept()"
}

test_bind_in_use() {
  describe "a server started on a port in use prints one clear error line and exits 1"
  needs test_listening_line
  start_server echo-server || return
  run_client 10 "$BIN/echo-server" 127.0.0.1 "$SERVER_PORT" >/dev/null 2>"$WORK/err" </dev/null
  expect_error_line "a second server on the same port" "echo-server: bind 127.0.0.1:$SERVER_PORT: Address already in use"
}

test_connect_refused() {
  describe "echo-client to a port where nothing listens prints one clear error line and exits 1"
  needs test_short_message
  start_kit_echo || return
  local port=$SERVER_PORT
  stop_server
  run_client 10 "$BIN/echo-client" 127.0.0.1 "$port" "anyone?" >/dev/null 2>"$WORK/err" </dev/null
  expect_error_line "echo-client to a port where nothing listens" "echo-client: connect 127.0.0.1:$port: Connection refused"
}

test_sigterm_shutdown() {
  describe "on SIGTERM the server prints 'Shutting down' and exits 0"
  needs test_short_message test_one_byte_at_a_time
  start_server echo-server || return
  run_client "$CLIENT_WAIT" "$BIN/echo-client" 127.0.0.1 "$SERVER_PORT" "before stop" >/dev/null 2>&1
  expect_stops_cleanly "" "when signals_wait_fd() returns 0 a stop was requested; leave the loop (accept_client() returns -1), close the sockets, exit 0"
  expect_no_eintr_noise
}

test_stop_never_lost() {
  describe "a stop request is never lost: 10 servers, each sent SIGTERM as it starts to wait, all exit 0"
  slow
  needs test_listening_line
  expect_stop_never_lost 10 echo-server \
    "checking a flag and then calling accept() leaves a gap where the signal is lost; wait in signals_wait_fd() (pselect() lets the signal in only while it sleeps) and leave when it returns 0"
}

test_stop_while_sending() {
  describe "SIGTERM stops the server while it is stuck sending to a client that never reads"
  needs test_listening_line
  start_server echo-server || return
  local queued before=-1 same=0 i
  # The client sends zeros without end and reads nothing: the echo fills its receive buffer,
  # then the server's send buffer, and the server waits for room that never comes. It is
  # stuck once its queue of unsent bytes stops growing (three looks alike, 0.1 s apart).
  setsid "$TOOLS/tcpdrive" --no-read --rcvbuf 4096 127.0.0.1 "$SERVER_PORT" </dev/zero >/dev/null 2>&1 &
  _track $!
  for ((i = 1; i <= 200 * SLOW; i++)); do
    queued=$(tcp_send_queue "$SERVER_PORT")
    if [ "$queued" -gt 0 ] && [ "$queued" = "$before" ]; then
      same=$((same + 1))
      [ $same -ge 2 ] && break
    else
      same=0
    fi
    before=$queued
    nap 100
  done
  if [ "$queued" = 0 ]; then
    fail_hint "the server never had an echo waiting to be sent to a client that does not read ($(tail_of "$SERVER_ERR" 2)): does it accept, recv() and send back?"
    return
  fi
  expect_stops_cleanly "while it had an echo to send to a client that never reads" "a blocking send() sleeps where no stop request reaches it; make the client's socket non-blocking, and when send() says EAGAIN wait with signals_wait_fd(fd, true), giving up when it returns 0 (a stop), not going round again"
}

test_stop_during_flood() {
  describe "SIGTERM stops the server while clients keep connecting, many at a time"
  needs test_listening_line
  start_server echo-server || return
  expect_stops_in_crowd '^Disconnected ' 50 "clients" \
    "check for a stop in every wait (signals_wait_fd() returns 0), before accept() and recv() as well as in send_all()" \
    -- mcload --conns 100000 --at-once 50 --no-barrier --max-bytes 200 --timeout 60
}

test_out_of_descriptors() {
  describe "out of descriptors (EMFILE), the server waits quietly and serves again once one is free"
  slow
  needs test_listening_line
  SERVER_PRELOAD=$TOOLS/emfile.so
  start_server echo-server || return
  local load rc
  # From now on every accept() fails with EMFILE while clients wait, as it does under a
  # 'ulimit -n' too small for the clients (the emfile shim).
  shortage_begin
  setsid "$TOOLS/mcload" --conns 8 --max-bytes 100 --no-barrier --timeout 30 127.0.0.1 "$SERVER_PORT" \
    >"$WORK/load.out" 2>"$WORK/load.err" </dev/null &
  load=$!
  _track "$load"
  expect_calm_shortage 8 "accept() fails with EMFILE again and again while the clients wait; on EMFILE, ENFILE, ENOBUFS or ENOMEM call back_off() (say it once, sleep, retry) instead of going straight round" \
    " (back_off() remembers in *told)" || return
  shortage_end
  wait "$load" # mcload gives up by itself after 30 s without progress
  rc=$?
  expect_eq "once descriptors were free again, the 8 waiting clients did not all get their echo (mcload exited $rc: $(start_of "$WORK/load.err")): after a shortage keep trying accept(), every second" \
    0 "$rc"
  stop_server
  expect_eq "after the shortage, SIGTERM: the server exited $SERVER_STATUS, not 0" 0 "$SERVER_STATUS"
}

test_server_valgrind() {
  describe "valgrind: the server makes no memory errors, leaks nothing, closes every socket"
  slow
  needs test_short_message test_one_byte_at_a_time
  start_server_valgrind echo-server || return
  drive_echo v.bin 262144 --split random
  run_client "$CLIENT_WAIT" "$TOOLS/tcpdrive" --reset --no-read --send "$SENT" 127.0.0.1 "$SERVER_PORT" 2>/dev/null
  run_client "$CLIENT_WAIT" "$BIN/echo-client" 127.0.0.1 "$SERVER_PORT" "last" >/dev/null 2>&1
  stop_server
  expect_memory_clean "$VALGRIND_LOG"
}

test_client_valgrind() {
  describe "valgrind: the client makes no memory errors, leaks nothing, closes its socket"
  slow
  needs test_short_message
  skip_without_valgrind && return
  start_kit_echo || return
  local sent got=$WORK/got
  sent=$(random_file v.bin 524288)
  run_client_valgrind 60 "$WORK/client.valgrind" echo-client 127.0.0.1 "$SERVER_PORT" <"$sent" >"$got" 2>/dev/null
  expect_ok "under valgrind echo-client did not echo its input ($(exit_story "$CLIENT_STATUS")): see the functional tests" cmp -s "$sent" "$got"
  expect_memory_clean "$WORK/client.valgrind"
}

. "$SHUNIT2"
