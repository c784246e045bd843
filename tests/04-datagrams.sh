#!/usr/bin/env bash
# Lesson 04: the datagram echo server and udp-ping, over UDP and Unix-domain sockets
# (CONTRACT.md section 7). Run by tests/run, one test at a time; by hand:
# bash tests/04-datagrams.sh [-- TEST_NAME]
#
# The server is driven by the kit's datagram client, dgramc (single datagrams of chosen
# sizes, many sockets at once with every echo checked, floods). udp-ping is tested against
# the kit's own echo server behind a lossy path, lossy, which drops, duplicates, delays,
# reorders, damages and forges datagrams by an exact pattern or at random from a seed, and
# tallies what a correct client must count; so a client test never depends on the
# student's server. Unix-domain tests work in RUN_DIR with short relative names: a socket's
# path must fit in 108 bytes, and each program resolves a relative name from its own
# working folder, which is RUN_DIR for all of them.
# The harness beside this file (found without starting a process: tests/run starts hundreds).
[[ ${BASH_SOURCE[0]} == */* ]] && _tests=${BASH_SOURCE[0]%/*} || _tests=.
. "$_tests/harness.sh"

# ---- helpers ---------------------------------------------------------------------------------

# in_run_dir: makes RUN_DIR the working folder (relative Unix socket names live there).
in_run_dir() { cd "$RUN_DIR" || fail_hint "cannot enter $RUN_DIR"; }

# abstract_name: an abstract name no other test uses at the same time.
abstract_name() { echo "kit-$$-$RANDOM"; }

_tool_runs=0

# start_lossy ARGS...: starts the kit's lossy path (tests/tools/lossy.c: its options, LISTEN,
# and TARGET when it relays) in its own process group, and waits for its "Listening on"
# line. Keeps the server under test's SERVER_* as they were. Sets LOSSY_PID, LOSSY_OUT and
# PING_TARGET (udp-ping's operands for it: HOST PORT, or unix:NAME).
start_lossy() {
  local saved=("${SERVER_PID:-}" "${SERVER_JOB:-}" "${SERVER_OUT:-}" "${SERVER_ERR:-}"
    "${SERVER_PORT:-}" "${SERVER_HOST:-}" "${SERVER_ADDR:-}" "${SERVER_STATUS:-}")
  _start_server tool lossy "$@" || return 1
  LOSSY_PID=$SERVER_PID
  LOSSY_OUT=$SERVER_OUT
  if [[ $SERVER_ADDR == unix:* ]]; then
    PING_TARGET=("$SERVER_ADDR")
  else
    PING_TARGET=("$SERVER_HOST" "$SERVER_PORT")
  fi
  SERVER_PID=${saved[0]} SERVER_JOB=${saved[1]} SERVER_OUT=${saved[2]} SERVER_ERR=${saved[3]}
  SERVER_PORT=${saved[4]} SERVER_HOST=${saved[5]} SERVER_ADDR=${saved[6]} SERVER_STATUS=${saved[7]}
  return 0
}

# stop_lossy: stops lossy (SIGTERM: it prints its tally and removes its socket files) and
# sets TALLY_PROBES and TALLY_ANSWERED from the tally.
stop_lossy() {
  [ -n "${LOSSY_PID:-}" ] || return 0
  kill -TERM "$LOSSY_PID" 2>/dev/null
  wait_until 10 _gone "$LOSSY_PID"
  wait "$LOSSY_PID" 2>/dev/null
  LOSSY_PID=
  TALLY_PROBES= TALLY_ANSWERED=
  local re='^tally probes=([0-9]+) (.* )?answered=([0-9]+)$'
  if first_match "$LOSSY_OUT" "$re" && [[ $MATCH =~ $re ]]; then
    TALLY_PROBES=${BASH_REMATCH[1]} TALLY_ANSWERED=${BASH_REMATCH[3]}
  fi
}

# lossy_story: what lossy did to the datagrams, in one line, for a hint.
lossy_story() {
  local did
  did=$(grep -E '^(up|down)( [0-9]+ |: )' "$LOSSY_OUT" 2>/dev/null | head -n 8 | tr '\n' ';' | sed 's/;$//; s/;/; /g')
  echo "the lossy path did: ${did:-nothing to any datagram}"
}

# run_ping ARGS...: runs udp-ping (bounded) with ARGS, then the target's operands (PING_TARGET).
# Sets PING_STATUS, PING_OUT, PING_ERR (files).
run_ping() {
  _tool_runs=$((_tool_runs + 1))
  PING_OUT=$WORK/ping.$_tool_runs.out
  PING_ERR=$WORK/ping.$_tool_runs.err
  run_client "$CLIENT_WAIT" "$BIN/udp-ping" "$@" "${PING_TARGET[@]}" >"$PING_OUT" 2>"$PING_ERR" </dev/null
  PING_STATUS=$CLIENT_STATUS
}

# ping_said [N]: the last N (default 4) lines udp-ping printed, on one line, for a hint.
ping_said() {
  local all
  _tail_lines "$PING_OUT" "${1:-4}"
  all=("${_TAIL[@]}")
  _tail_lines "$PING_ERR" "${1:-4}"
  all+=("${_TAIL[@]}")
  local from=$((${#all[@]} - ${1:-4}))
  _said_lines 120 "${all[@]:$((from > 0 ? from : 0))}"
}

# _said_lines WIDTH LINE...: the LINEs, each cut to WIDTH characters, joined by " | ";
# "(nothing)" when there are none.
_said_lines() {
  local width=$1 line out=
  shift
  for line; do
    out+="${out:+ | }${line:0:$width}"
  done
  echo "${out:-(nothing)}"
}

# summary_of FILE: udp-ping's summary line "S sent, R received, L lost (P% loss)", or nothing.
summary_of() {
  local line last= re='^-?[0-9]+ sent, -?[0-9]+ received, -?[0-9]+ lost \('
  _small_lines "$1" || { grep -E "$re" "$1" 2>/dev/null | tail -n 1; return; }
  for line in "${_LINES[@]}"; do
    [[ $line =~ $re ]] && last=$line
  done
  [ -z "$last" ] || printf '%s\n' "$last"
}

# expect_ping_finished WHAT: fails unless udp-ping finished; the hint says how it ended.
expect_ping_finished() {
  if [ "$PING_STATUS" = 124 ]; then
    fail_hint "$1: udp-ping did not finish within $((CLIENT_WAIT * SLOW))s and was stopped (it printed: $(ping_said)). It waited for an echo that never came: wait with a timeout (pselect()), count the probe lost when its time is up, and end once every probe is answered or lost"
    return 1
  fi
  if [ "$PING_STATUS" -gt 128 ] 2>/dev/null; then
    fail_hint "$1: udp-ping $(exit_story "$PING_STATUS"); it printed: $(ping_said)"
    return 1
  fi
  passed_check
  return 0
}

# ping_through LOSSY-OPTIONS PING-OPTIONS WHAT SENT RECEIVED LOST [WHY]: udp-ping with
# PING-OPTIONS through the kit's lossy echo on 127.0.0.1 (started with LOSSY-OPTIONS) must
# count exactly SENT, RECEIVED and LOST (see expect_counts).
ping_through() {
  # shellcheck disable=SC2086 # the words of each option list, on purpose
  start_lossy $1 127.0.0.1:0 || return 1
  # shellcheck disable=SC2086
  run_ping $2
  shift 2
  expect_counts "$@"
}

# expect_counts WHAT SENT RECEIVED LOST [WHY]: udp-ping's summary must say exactly these
# counts; WHY (a hint's second half) names the likely mistake.
expect_counts() {
  local what=$1 want="$2 sent, $3 received, $4 lost" why=${5:-} got
  expect_ping_finished "$what" || return 1
  got=$(summary_of "$PING_OUT")
  if [ -z "$got" ]; then
    fail_hint "$what: udp-ping printed no summary line 'N sent, N received, N lost (P% loss)' (it exited $PING_STATUS; it printed: $(ping_said))"
    return 1
  fi
  if [[ $got != "$want ("* ]]; then
    fail_hint "$what: udp-ping said '$got', the right count is '$want'; $(lossy_story).${why:+ $why}"
    return 1
  fi
  passed_check
}

# expect_ping_status WHAT STATUS: udp-ping's exit status.
expect_ping_status() {
  expect_eq "$1: udp-ping exited $PING_STATUS, not $2 (0 when at least one echo came back, 1 when none did); it printed: $(ping_said 2)" \
    "$2" "$PING_STATUS"
}

# dgram ARGS...: runs dgramc (bounded) against the server under test (SERVER_ADDR); sets
# DGRAM_STATUS, DGRAM_OUT, DGRAM_ERR.
dgram() {
  _tool_runs=$((_tool_runs + 1))
  DGRAM_OUT=$WORK/dgramc.$_tool_runs.out
  DGRAM_ERR=$WORK/dgramc.$_tool_runs.err
  run_client "$CLIENT_WAIT" "$TOOLS/dgramc" "$@" "$SERVER_ADDR" >"$DGRAM_OUT" 2>"$DGRAM_ERR" </dev/null
  DGRAM_STATUS=$CLIENT_STATUS
}

# server_said [N]: the server's last N (default 2) lines, stdout and stderr, for a hint.
server_said() {
  local all
  _tail_lines "$SERVER_OUT" "${1:-2}"
  all=("${_TAIL[@]}")
  _tail_lines "$SERVER_ERR" "${1:-2}"
  all+=("${_TAIL[@]}")
  _said_lines 140 "${all[@]}"
}

# echo_datagram FILE WHAT: sends FILE as one datagram to the server and checks that exactly
# the same bytes come back (REPLY: the file they are in).
echo_datagram() {
  local sent=$1 what=$2
  REPLY=$WORK/reply.$RANDOM
  dgram --send "$sent" --out "$REPLY" --wait 5000
  REPLY=$REPLY.1
  if [ "$DGRAM_STATUS" != 0 ]; then
    if ! server_alive; then
      fail_hint "$what: the server stopped: it $(server_end_story)"
    else
      fail_hint "$what: no echo came back within 5 s (the server said: $(server_said)): receive with recvfrom() or recvmsg(), which tell you the sender's address, and sendto() the bytes back to exactly that address"
    fi
    return 1
  fi
  expect_same_bytes "$what" "$sent" "$REPLY" "send back exactly the n bytes the receive returned, as one datagram"
}

# unix_files: the socket files in RUN_DIR, one line each (nothing if none).
unix_files() { (cd "$RUN_DIR" && find . -type s | sed 's|^\./||' | sort); }

# left_socket_files [SKIP]: the socket files in RUN_DIR on one line, but lossy's and, unless
# SKIP is "lossy" alone, the server's echo.sock: what a client left behind.
left_socket_files() {
  local f out=
  while IFS= read -r f; do
    [[ $f == lossy* || ($f == echo.sock && ${1:-} != lossy) ]] && continue
    out+="$f "
  done < <(unix_files)
  printf '%s' "$out"
}

# start_client_bg NAME ARGS...: starts udp-ping ARGS in the background, in its own process
# group (stopped in tearDown); its output goes to $WORK/NAME.out and .err. Sets BG_JOB.
start_client_bg() {
  local name=$1
  shift
  _program_cmd "" "" udp-ping "$@"
  "${_session[@]}" "${_cmd[@]}" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null &
  BG_JOB=$!
  _track "$BG_JOB"
}

# ---- the server: echo over UDP ---------------------------------------------------------------

test_usage() {
  describe "-h prints usage and exits 0; wrong arguments print usage on stderr and exit 2"
  given
  expect_help udp-echo-server udp-ping
  expect_usage_errors "udp-echo-server 127.0.0.1 not-a-port" "udp-echo-server unix:x.sock 5000" \
    "udp-ping 127.0.0.1" "udp-ping -c 0 127.0.0.1 5000" "udp-ping -s 5 127.0.0.1 5000" \
    "udp-ping -W never 127.0.0.1 5000" "udp-ping unix:x.sock 5000"
}

test_first_datagram() {
  describe "the server announces 'Listening on 127.0.0.1:PORT' and echoes a datagram"
  start_server udp-echo-server 127.0.0.1 0 || return
  expect_match "the first line was '$(head_line "$SERVER_OUT")': it must be exactly 'Listening on 127.0.0.1:PORT' with the port getsockname() gives after bind()" \
    '^Listening on 127\.0\.0\.1:[1-9][0-9]*$' "$(head_line "$SERVER_OUT")"
  printf 'hello, datagram' >"$WORK/hello"
  echo_datagram "$WORK/hello" "a 15-byte datagram"
}

test_echo_one_byte() {
  describe "a 1-byte datagram comes back as the same byte"
  needs test_first_datagram
  start_server udp-echo-server || return
  echo_datagram "$(random_file one.bin 1)" "a 1-byte datagram"
}

test_echo_1000_bytes() {
  describe "a 1,000-byte datagram of random binary bytes comes back byte for byte"
  needs test_first_datagram
  start_server udp-echo-server || return
  echo_datagram "$(random_file k.bin 1000)" "a 1,000-byte binary datagram (zero bytes included)"
}

test_echo_largest() {
  describe "the largest UDP datagram, 65,507 bytes, comes back whole"
  needs test_first_datagram
  start_server udp-echo-server || return
  local sent
  sent=$(random_file big.bin 65507)
  REPLY=$WORK/big.reply
  dgram --send "$sent" --out "$REPLY" --wait 5000
  if [ "$DGRAM_STATUS" != 0 ]; then
    fail_hint "a 65,507-byte datagram got no echo within 5 s (the server said: $(server_said)): the buffer must hold the largest UDP datagram (65,507 bytes over IPv4); with a smaller one the datagram is cut and, rightly, not echoed"
    return
  fi
  expect_same_bytes "the 65,507-byte datagram" "$sent" "$REPLY.1" "receive into a buffer of at least 65,507 bytes and send back all n bytes"
}

test_echo_empty_datagram() {
  describe "an empty datagram (0 bytes) is echoed as an empty datagram: 0 is not end of file"
  needs test_first_datagram
  start_server udp-echo-server || return
  : >"$WORK/empty"
  dgram --send "$WORK/empty" --out "$WORK/empty.reply" --wait 5000
  if [ "$DGRAM_STATUS" != 0 ]; then
    fail_hint "an empty datagram got no echo (the server $(server_alive && echo 'is running' || echo "$(server_end_story)"); it said: $(server_said)): on a datagram socket, receiving 0 bytes means an empty datagram arrived, not that a peer closed anything (there is no connection): send back an empty datagram"
    return
  fi
  expect_ok "the echo of an empty datagram was not empty ('$(start_of "$WORK/empty.reply.1" 60)')" test ! -s "$WORK/empty.reply.1"
  expect_server_alive "after an empty datagram"
}

test_boundaries_kept() {
  describe "three datagrams sent back to back come back as three datagrams of the same sizes"
  needs test_first_datagram
  start_server udp-echo-server || return
  local a b c
  a=$(random_file a.bin 10)
  b=$(random_file b.bin 200)
  c=$(random_file c.bin 3000)
  dgram --send "$a" --send "$b" --send "$c" --out "$WORK/r" --wait 5000
  if [ "$DGRAM_STATUS" != 0 ]; then
    fail_hint "3 datagrams sent at once, $(grep -c '^reply' "$DGRAM_OUT") echoed (the server said: $(server_said)): answer every datagram, each on its own"
    return
  fi
  local sizes
  sizes=$(for i in 1 2 3; do wc -c <"$WORK/r.$i"; done | tr '\n' ' ')
  expect_eq "datagrams of 10, 200 and 3000 bytes came back as ${sizes% }: echo each datagram as one datagram, as it came (a datagram keeps its boundaries, unlike a TCP stream)" \
    "10 200 3000 " "$sizes"
  expect_ok "the three datagrams came back with other bytes: send back the bytes of each datagram, as received" \
    bash -c "cmp -s '$a' '$WORK/r.1' && cmp -s '$b' '$WORK/r.2' && cmp -s '$c' '$WORK/r.3'"
}

test_many_clients() {
  describe "20 clients at once, 50 datagrams each: every echo goes back to its own sender"
  needs test_first_datagram
  start_server udp-echo-server || return
  dgram --load --clients 20 --count 50 --size 300
  case "$DGRAM_STATUS" in
    0) passed_check ;;
    1) fail_hint "$(head -n 1 "$DGRAM_ERR" | cut -c1-200): send each echo to the address the datagram came from (recvfrom()'s or recvmsg()'s), never to a remembered one, and send back the bytes of that datagram" ;;
    4) fail_hint "$(head -n 1 "$DGRAM_ERR" | cut -c1-200) (the server said: $(server_said)): every datagram gets its echo, from any client, in any order" ;;
    *) fail_hint "20 clients at once: the load did not finish (dgramc $(exit_story "$DGRAM_STATUS"); the server said: $(server_said))" ;;
  esac
  expect_server_alive "during 20 clients at once"
}

test_log_lines() {
  describe "the server logs 'Echoed a datagram of N bytes to ADDR' for each datagram"
  needs test_first_datagram
  start_server udp-echo-server || return
  local a b
  a=$(random_file a.bin 7)
  b=$(random_file b.bin 1234)
  dgram --send "$a" --send "$b" --send "$a" --out "$WORK/r" --wait 5000
  local from
  from=$(sed -n 's/^client //p' "$DGRAM_OUT")
  wait_until 5 grep -q "^Echoed a datagram of 7 bytes to 127\.0\.0\.1:[0-9]*\$" "$SERVER_OUT"
  expect_eq "the server logged $(count_lines '^Echoed a datagram of ' "$SERVER_OUT") 'Echoed a datagram of N bytes to ADDR' lines for 3 datagrams (its output ends: $(server_said 3)): log one line per datagram echoed, with its size and the sender's address" \
    3 "$(count_lines '^Echoed a datagram of (7|1234) bytes to 127\.0\.0\.1:[0-9]+$' "$SERVER_OUT")"
  expect_eq "the log names the sender as '$(sed -n 's/^Echoed a datagram of 7 bytes to //p' "$SERVER_OUT" | head -n 1)', the client was ${from:-?}: format the address recvmsg() gave with dgram_format()" \
    2 "$(grep -cF "Echoed a datagram of 7 bytes to ${from:-?}" "$SERVER_OUT")"
}

test_ipv6() {
  describe "the server works over IPv6 on ::1"
  needs test_first_datagram
  start_server udp-echo-server ::1 0 || return
  expect_match "the first line was '$(head_line "$SERVER_OUT")', not 'Listening on [::1]:PORT': look the address up with getaddrinfo() (AF_UNSPEC) and open the socket in its family" \
    '^Listening on \[::1\]:[1-9][0-9]*$' "$(head_line "$SERVER_OUT")"
  printf 'over IPv6' >"$WORK/v6"
  echo_datagram "$WORK/v6" "a datagram over IPv6"
}

test_bind_in_use() {
  describe "a second server on the same UDP port prints one error line and exits 1"
  needs test_first_datagram
  start_server udp-echo-server || return
  run_client 10 "$BIN/udp-echo-server" 127.0.0.1 "$SERVER_PORT" >"$WORK/second.out" 2>"$WORK/err" </dev/null
  if [ "$CLIENT_STATUS" = 124 ]; then
    fail_hint "a second server on port $SERVER_PORT, already taken, started and ran (it printed: $(head -n 1 "$WORK/second.out")): do not set SO_REUSEADDR on a UDP socket: there it lets two servers bind the same port, and the datagrams go to only one of them"
    return
  fi
  expect_error_line "a second server on the same port" "udp-echo-server: bind 127.0.0.1:$SERVER_PORT: Address already in use"
}

# ---- the server: Unix-domain sockets -----------------------------------------------------------

test_unix_path_server() {
  describe "the server on unix:PATH announces 'Listening on unix:PATH' and echoes"
  needs test_first_datagram
  in_run_dir || return
  start_server udp-echo-server unix:echo.sock || return
  expect_eq "the first line was '$(head_line "$SERVER_OUT")': for a Unix socket it must be 'Listening on unix:PATH' (dgram_format() of getsockname()'s address)" \
    "Listening on unix:echo.sock" "$(head_line "$SERVER_OUT")"
  expect_ok "no socket file echo.sock appeared in the server's folder (there is: $(unix_files | tr '\n' ' ')): bind() an AF_UNIX datagram socket to the path" \
    test -S "$RUN_DIR/echo.sock"
  printf 'over a socket file' >"$WORK/u"
  dgram --bind unix:client.sock --send "$WORK/u" --out "$WORK/r" --wait 5000
  if [ "$DGRAM_STATUS" != 0 ]; then
    fail_hint "a datagram from unix:client.sock got no echo (the server said: $(server_said)): the same recvmsg() and sendto() work on AF_UNIX; the sender's address is its socket file"
    return
  fi
  expect_same_bytes "over unix:echo.sock" "$WORK/u" "$WORK/r.1"
}

test_unix_abstract_server() {
  describe "the server on unix:@NAME (Linux's abstract namespace) echoes and makes no file"
  needs test_unix_path_server
  in_run_dir || return
  local name
  name=$(abstract_name)
  start_server udp-echo-server "unix:@$name" || return
  expect_eq "the first line was '$(head_line "$SERVER_OUT")'" "Listening on unix:@$name" "$(head_line "$SERVER_OUT")"
  printf 'by an abstract name' >"$WORK/a"
  dgram --send "$WORK/a" --out "$WORK/r" --wait 5000
  if [ "$DGRAM_STATUS" != 0 ]; then
    fail_hint "a datagram to unix:@$name got no echo (the server said: $(server_said)): an abstract name is a sockaddr_un whose sun_path starts with a NUL byte, and whose length covers exactly the name (dgram_unix_addr() builds it)"
    return
  fi
  expect_same_bytes "over unix:@$name" "$WORK/a" "$WORK/r.1"
  expect_eq "socket files appeared in the server's folder ($(unix_files | tr '\n' ' ')) although the name is abstract: an abstract name has no file" \
    "" "$(unix_files)"
}

test_oversize_unix_datagram() {
  describe "a 70,000-byte Unix datagram, too large for the buffer, is logged and not echoed cut"
  needs test_unix_path_server
  in_run_dir || return
  start_server udp-echo-server unix:echo.sock || return
  local big
  big=$(random_file big.bin 70000)
  printf 'after the big one' >"$WORK/after"
  dgram --bind unix:client.sock --send "$big" --send "$WORK/after" --replies 1 --out "$WORK/r" --wait 5000
  if [ "$DGRAM_STATUS" != 0 ]; then
    fail_hint "after a 70,000-byte datagram, a small one got no echo (the server $(server_alive && echo 'is running' || server_end_story); it said: $(server_said)): a datagram too large for the buffer concerns that datagram only"
    return
  fi
  expect_same_bytes "the first echo after a 70,000-byte datagram should be the 17-byte datagram that followed it" "$WORK/after" "$WORK/r.1" "the server echoed the big one cut to its buffer's size? recvmsg() sets MSG_TRUNC in msg_flags when a datagram did not fit: log it and drop it"
  expect_match "the server logged nothing saying the 70,000-byte datagram was too large (its output: $(server_said 3)): log 'Dropped a datagram from ADDR: larger than 65536 bytes'" \
    'larger than' "$(text_of "$SERVER_OUT" "$SERVER_ERR")"
}

test_stale_socket_file() {
  describe "a stale socket file at the path (its server died) is removed, and the server starts"
  needs test_unix_path_server
  in_run_dir || return
  "$TOOLS/dgramc" --make-stale echo.sock
  expect_ok "the test could not make a stale socket file" test -S "$RUN_DIR/echo.sock"
  start_server udp-echo-server unix:echo.sock || {
    fail_hint "the server did not start on unix:echo.sock, where a dead server had left its socket file ($(head -c 200 "$SERVER_ERR")): when bind() fails with EADDRINUSE on a path, check whether the file is a socket (lstat(), S_ISSOCK) that nobody is bound to (connect() fails with ECONNREFUSED), then unlink() it and bind() again"
    return
  }
  printf 'on a fresh file' >"$WORK/s"
  dgram --bind unix:client.sock --send "$WORK/s" --out "$WORK/r" --wait 5000
  expect_eq "after replacing the stale file, a datagram got no echo (the server said: $(server_said))" 0 "$DGRAM_STATUS"
}

test_live_socket_not_stolen() {
  describe "a second server on the path of a running one exits 1, and the first keeps serving"
  needs test_unix_path_server
  in_run_dir || return
  start_server udp-echo-server unix:echo.sock || return
  local rc err
  timeout 10 "$BIN/udp-echo-server" unix:echo.sock >"$WORK/second.out" 2>"$WORK/err" </dev/null
  rc=$?
  err=$(head -c 300 "$WORK/err")
  if [ "$rc" = 124 ]; then
    fail_hint "a second server on unix:echo.sock, where a live server is bound, started and ran (it printed: $(head -n 1 "$WORK/second.out")): it removed the live server's socket file to bind its own. Remove a socket file only if nobody is bound to it (a datagram socket's connect() to it fails with ECONNREFUSED)"
    return
  fi
  expect_eq "a second server on unix:echo.sock, where a live server is bound, exited $rc (it printed: $(head -n 1 "$WORK/second.out")): it must fail with exit 1" \
    1 "$rc"
  expect_match "stderr was '$err': it should be one line 'udp-echo-server: bind unix:echo.sock: Address already in use'" \
    '^udp-echo-server: bind unix:echo\.sock: Address already in use$' "$err"
  printf 'still mine' >"$WORK/m"
  dgram --bind unix:client.sock --send "$WORK/m" --out "$WORK/r" --wait 5000
  expect_eq "after a second server tried its path, the first one no longer answered (the second said: $err): the second removed the live server's file, so datagrams to the path reach nobody" \
    0 "$DGRAM_STATUS"
}

test_not_a_socket_untouched() {
  describe "a path that holds an ordinary file is refused with exit 1, and the file is left alone"
  needs test_unix_path_server
  in_run_dir || return
  printf 'precious data\n' >"$RUN_DIR/notes.txt"
  local rc err
  timeout 10 "$BIN/udp-echo-server" unix:notes.txt >"$WORK/out" 2>"$WORK/err" </dev/null
  rc=$?
  err=$(head -c 300 "$WORK/err")
  if [ "$rc" = 124 ]; then
    fail_hint "the server on unix:notes.txt, an ordinary file, started and ran (it printed: $(head -n 1 "$WORK/out")): it deleted the file to bind its socket there. Only a socket file (lstat(), S_ISSOCK) that nobody is bound to may be removed"
    return
  fi
  expect_eq "the server on unix:notes.txt, an ordinary file, exited $rc (stderr: $err): it must refuse with exit 1" 1 "$rc"
  expect_eq "the ordinary file at the server's path was removed or changed: only a socket file (lstat(), S_ISSOCK) that nobody is bound to may be removed" \
    "precious data" "$(text_of "$RUN_DIR/notes.txt")"
  expect_match "stderr was '$err': it should be one line 'udp-echo-server: bind unix:notes.txt: Address already in use'" \
    '^udp-echo-server: bind unix:notes\.txt: Address already in use$' "$err"
}

test_server_removes_its_file() {
  describe "on SIGTERM the server on unix:PATH removes its socket file and exits 0"
  needs test_unix_path_server
  in_run_dir || return
  start_server udp-echo-server unix:echo.sock || return
  printf 'x' >"$WORK/x"
  dgram --bind unix:client.sock --send "$WORK/x" --out "$WORK/r" --wait 5000
  stop_server
  expect_eq "the server's exit status after SIGTERM was $SERVER_STATUS" 0 "$SERVER_STATUS"
  expect_eq "after the server exited, these socket files were left in its folder: $(unix_files | tr '\n' ' ')- close() does not remove the file bind() made: unlink() it at exit" \
    "" "$(unix_files)"
}

test_unix_client_that_never_reads() {
  describe "a Unix client that floods and never reads, then vanishes, delays nobody else"
  slow
  needs test_unix_path_server
  in_run_dir || return
  start_server udp-echo-server unix:echo.sock || return
  # Its queue holds a few datagrams: the server's echoes to it soon find it full (a
  # blocking sendto() would wait there for ever), and once it has gone, find nobody.
  setsid "$TOOLS/dgramc" --flood --no-read --count 300 --size 100 --hold-ms 1500 \
    --bind unix:greedy.sock "$SERVER_ADDR" >"$WORK/greedy.out" 2>&1 </dev/null &
  _track $!
  if ! wait_for_line "$WORK/greedy.out" '^sent 300$' 15; then
    fail_hint "a client flooding the server and never reading could not get its 300 datagrams in ($(text_of "$WORK/greedy.out" | tr '\n' ' ')): the server stopped taking datagrams, stuck in a sendto() to the full client? Make the socket non-blocking: a sendto() that fails with EAGAIN loses that echo only (the server said: $(server_said))"
    return
  fi
  printf 'me too' >"$WORK/m"
  dgram --bind unix:client.sock --send "$WORK/m" --out "$WORK/r" --wait 5000
  expect_eq "while a greedy client's queue was full, another client got no echo (the server said: $(server_said)): a full queue (EAGAIN) or a vanished client (ECONNREFUSED, ENOENT) loses that one echo; log it and go on" \
    0 "$DGRAM_STATUS"
  wait_until 10 bash -c "! test -S '$RUN_DIR/greedy.sock'"
  dgram --bind unix:client2.sock --send "$WORK/m" --out "$WORK/r2" --wait 5000
  expect_eq "after the greedy client vanished, another client got no echo (the server $(server_alive && echo 'is running' || server_end_story); it said: $(server_said))" \
    0 "$DGRAM_STATUS"
}

# ---- the server: stopping ----------------------------------------------------------------------

test_sigterm_shutdown() {
  describe "on SIGTERM the server prints 'Shutting down' and exits 0"
  needs test_first_datagram
  start_server udp-echo-server || return
  printf 'before the stop' >"$WORK/b"
  dgram --send "$WORK/b" --out "$WORK/r" --wait 5000
  expect_stops_cleanly "" "SIGTERM must end the wait (signals_wait_fd() returns 0), then close the socket and exit 0"
  expect_no_eintr_noise
}

test_sigterm_under_flood() {
  describe "SIGTERM stops the server while four clients flood it"
  needs test_first_datagram
  start_server udp-echo-server || return
  setsid "$TOOLS/dgramc" --flood --clients 4 --count 200000 --size 64 "$SERVER_ADDR" \
    >"$WORK/flood.out" 2>&1 </dev/null &
  _track $!
  wait_for_count '^Echoed' "$SERVER_OUT" 100 10
  expect_stops_cleanly "while four clients flooded it" "the stop must get in however busy the server is: go back to signals_wait_fd() after each datagram (it returns 0 once a stop is requested), never loop on the socket without it"
}

# ---- udp-ping against the kit's echo -------------------------------------------------------

test_ping_basic() {
  describe "udp-ping -c 3 prints a line per echo and the summary '3 sent, 3 received, 0 lost'"
  start_lossy --record "$WORK/probes" 127.0.0.1:0 || return
  run_ping -c 3 -i 0.05 -W 2
  expect_ping_finished "3 probes to the kit's echo server" || return
  local lines summary probes
  lines=$(count_lines "^56 bytes from 127\\.0\\.0\\.1:${PING_TARGET[1]}: seq=[123] time=[0-9.]+ ms$" "$PING_OUT")
  summary=$(summary_of "$PING_OUT")
  probes=$(count_lines '^up ' "$WORK/probes")
  # Probes counted lost without the line each lost probe gets when its time is up: the run
  # ended before their echoes could come.
  if [[ $summary =~ ^3\ sent,\ [0-9]+\ received,\ ([1-9][0-9]*)\ lost ]] &&
    [ "$(count_lines '^no echo of seq=' "$PING_OUT")" -lt "${BASH_REMATCH[1]}" ]; then
    fail_hint "udp-ping said '$summary' although the kit's echo server answered every probe at once (it printed: $(ping_said 5)): a probe is lost only once its timeout has passed without an echo (expire()), and the run ends only when every probe is answered or lost"
    return
  fi
  if [ "${probes:-0}" = 0 ] && [ -n "$summary" ]; then
    fail_hint "the kit's echo server received no probe at all (udp-ping printed: $(ping_said 4)): build each probe and send() it on the connected socket"
    return
  fi
  expect_eq "the kit's echo server received ${probes:-0} probes and echoed each at once, and udp-ping printed $lines lines '56 bytes from 127.0.0.1:${PING_TARGET[1]}: seq=N time=T ms' (it printed: $(ping_said 5)): wait until the socket is readable (pselect() with a timeout), recv() every datagram waiting, and check each: an echo whose sequence number is a probe sent, byte for byte, counts, with its line" \
    3 "$lines"
  expect_counts "3 probes, none lost" 3 3 0 "Each probe's echo counts once."
  expect_match "no 'rtt min/avg/max = MIN/AVG/MAX ms' line (it printed: $(ping_said 3))" \
    '^rtt min/avg/max = [0-9.]+/[0-9.]+/[0-9.]+ ms$' "$(text_of "$PING_OUT")"
  expect_ping_status "3 echoes back" 0
}

test_ping_probes() {
  describe "each probe has the size -s asks for and its own bytes (a sequence number and a send time)"
  needs test_ping_basic
  start_lossy --record "$WORK/probes" 127.0.0.1:0 || return
  run_ping -c 5 -i 0.05 -W 2 -s 100
  expect_counts "5 probes of 100 bytes" 5 5 0 || return
  local sizes distinct
  sizes=$(awk '{ print $3 }' "$WORK/probes" | sort -u | tr '\n' ' ')
  distinct=$(awk '{ print $4 }' "$WORK/probes" | sort -u | wc -l)
  expect_eq "with -s 100 the probes were ${sizes% } bytes" "100 " "$sizes"
  expect_eq "5 probes, but only $distinct different ones: each probe must carry its own sequence number and send time, so that its echo tells which probe it answers" \
    5 "$distinct"
}

test_ping_largest_probe() {
  describe "udp-ping -s 65507 sends and counts the largest UDP datagrams"
  needs test_ping_basic
  ping_through "" "-c 2 -i 0.05 -W 2 -s 65507" "2 probes of 65,507 bytes" 2 2 0 "Receive into a buffer that holds a whole probe (and one byte more, to notice a longer echo)."
}

test_ping_loss_pattern() {
  describe "probes 3 and 7 of 10 lost on the way: '10 sent, 8 received, 2 lost (20.0% loss)'"
  slow
  needs test_ping_basic
  ping_through "--drop up:3,7" "-c 10 -i 0.05 -W 1" "probes 3 and 7 of 10 dropped" 10 8 2 "A probe whose echo has not come within its timeout is lost: count it, and go on with the next" || return
  expect_match "the summary did not say '20.0% loss': $(summary_of "$PING_OUT")" '\(20\.0% loss\)$' "$(summary_of "$PING_OUT")"
  expect_eq "udp-ping did not print 'no echo of seq=3 within ...' and 'no echo of seq=7 within ...' (it printed: $(grep -i 'no echo' "$PING_OUT" | head -n 3 | tr '\n' ' ')): say so for each lost probe when its time is up" \
    2 "$(grep -cE '^no echo of seq=(3|7) ' "$PING_OUT")"
  expect_ping_status "8 of 10 echoes back" 0
}

test_ping_lost_echoes() {
  describe "echoes 2 and 5 lost on the way back: 2 lost, the others counted"
  slow
  needs test_ping_basic
  ping_through "--drop down:2,5" "-c 6 -i 0.05 -W 1" "echoes 2 and 5 of 6 dropped" 6 4 2 "Wait for each probe's echo only until its timeout."
}

test_ping_duplicates() {
  describe "duplicated echoes are counted once: '8 sent, 8 received, 0 lost'"
  needs test_ping_basic
  ping_through "--dup down:2,4,6" "-c 8 -i 0.05 -W 2" "echoes 2, 4 and 6 of 8 came twice" 8 8 0 "A second echo of the same sequence number is a duplicate: remember which probes are answered, and ignore it."
}

test_ping_reordered() {
  describe "echoes that overtake each other are all counted, each once"
  needs test_ping_basic
  ping_through "--swap down:3,6" "-c 8 -i 0.05 -W 2" "echo 3 came after 4, echo 6 after 7" 8 8 0 "An echo may come after a later one: find its probe by its sequence number, not by the order of arrival."
}

test_ping_late_echo() {
  describe "an echo that comes after its probe's timeout is ignored, not counted"
  slow
  needs test_ping_basic
  # Echo 2 comes 1.5 s late, while the run still waits for probe 12 (dropped).
  ping_through "--delay down:2=1500 --drop up:12" "-c 12 -i 0.1 -W 1" "echo 2 delayed past the 1 s timeout, probe 12 dropped" 12 10 2 "Probe 2 was already lost when its echo came: an echo after the probe's timeout is late; ignore it."
}

test_ping_stranger() {
  describe "echoes that come from another address (a stranger) are ignored"
  slow
  needs test_ping_basic
  ping_through "--forge down:2,5" "-c 6 -i 0.05 -W 1" "echoes 2 and 5 of 6 sent from another address than the server's" 6 4 2 "Only the server's datagrams are echoes: connect() the socket to the server (the kernel then drops everyone else's), or compare recvfrom()'s address with the server's."
}

test_ping_damaged_echoes() {
  describe "echoes that differ from their probe (a changed byte, cut short, one byte longer) are ignored"
  slow
  needs test_ping_basic
  ping_through "--corrupt down:2 --truncate down:4 --pad down:6" "-c 7 -i 0.05 -W 1" "echo 2 changed, echo 4 cut to half, echo 6 one byte longer" 7 4 3 "An echo counts only if it is byte for byte the probe: the same size (receive into a buffer one byte larger than a probe, to see a longer one) and the same bytes (memcmp())."
}

test_ping_silent_server() {
  describe "a server that never answers: udp-ping ends on its own, '3 sent, 0 received, 3 lost', exit 1"
  slow
  needs test_ping_basic
  ping_through "--silent" "-c 3 -i 0.2 -W 1" "3 probes to a server that never answers" 3 0 3 || return
  expect_match "the summary did not say '100.0% loss': $(summary_of "$PING_OUT")" '\(100\.0% loss\)$' "$(summary_of "$PING_OUT")"
  expect_ping_status "no echo came back" 1
}

test_ping_random_loss() {
  describe "random loss, duplicates, reordering and delays (seeded): udp-ping counts exactly"
  slow
  needs test_ping_basic
  local seed=${LOSSY_SEED:-$(((RANDOM << 15) | RANDOM))}
  start_lossy --seed "$seed" --loss 0.15 --dup-rate 0.1 --reorder-rate 0.1 --delay-max 50 \
    --in-time 2000 127.0.0.1:0 || return
  run_ping -c 40 -i 0.02 -W 2
  stop_lossy
  expect_counts "40 probes through a lossy path, seed $seed" "$TALLY_PROBES" "$TALLY_ANSWERED" \
    "$((TALLY_PROBES - TALLY_ANSWERED))" "Replay this exact run: LOSSY_SEED=$seed tests/run --code lessons --lesson 04-datagrams --test test_ping_random_loss (what the path did, datagram by datagram: $(shown "$LOSSY_OUT"))."
}

test_ping_ipv6() {
  describe "udp-ping works over IPv6 on ::1"
  needs test_ping_basic
  start_lossy '[::1]:0' || return
  run_ping -c 3 -i 0.05 -W 2
  expect_counts "3 probes over IPv6" 3 3 0 "Look the server up with getaddrinfo() (AF_UNSPEC) and open the socket in its family."
}

# ---- udp-ping over Unix-domain sockets ---------------------------------------------------

test_ping_unix_path() {
  describe "udp-ping on unix:PATH binds its own socket file, counts, and removes the file"
  slow
  needs test_ping_basic
  in_run_dir || return
  start_lossy --drop up:2 unix:echo.sock || return
  run_ping -c 4 -i 0.05 -W 1
  expect_counts "4 probes to unix:echo.sock, the 2nd dropped" 4 3 1 "A Unix datagram client must bind an address of its own (a socket file next to the server's), or the server has nowhere to send the echo." ||
    return
  expect_eq "after udp-ping exited, its socket files were left behind: $(left_socket_files)- unlink() the file bind() made, at exit" \
    "" "$(left_socket_files)"
}

test_ping_unix_abstract() {
  describe "udp-ping on unix:@NAME works and makes no file"
  needs test_ping_unix_path
  in_run_dir || return
  start_lossy "unix:@$(abstract_name)" || return
  run_ping -c 3 -i 0.05 -W 2
  expect_counts "3 probes to an abstract name" 3 3 0 "For an abstract server, bind an abstract name of your own (dgram_unix_addr() with abstract = true)." ||
    return
  expect_eq "udp-ping made socket files for an abstract server: $(left_socket_files lossy)" \
    "" "$(left_socket_files lossy)"
}

test_ping_unix_many_at_once() {
  describe "five udp-pings at once on the same unix:PATH each count their own echoes"
  needs test_ping_unix_path
  in_run_dir || return
  start_lossy unix:echo.sock || return
  local i bad=
  for i in 1 2 3 4 5; do
    start_client_bg "ping$i" -c 5 -i 0.05 -W 2 unix:echo.sock
    eval "job$i=\$BG_JOB"
  done
  for i in 1 2 3 4 5; do
    eval "wait_until $CLIENT_WAIT _gone \$job$i"
    if [ "$(summary_of "$WORK/ping$i.out")" != "5 sent, 5 received, 0 lost (0.0% loss)" ]; then
      bad="udp-ping $i of 5 said '$(summary_of "$WORK/ping$i.out")' ($(head -n 2 "$WORK/ping$i.err" | tr '\n' ' '))"
      break
    fi
  done
  [ -z "$bad" ] || fail_hint "$bad: each client needs a name of its own, even when process ids repeat (they do in containers): if bind() fails with EADDRINUSE, try another name"
  [ -n "$bad" ] || passed_check
  expect_eq "after five udp-pings exited, socket files were left: $(left_socket_files)" \
    "" "$(left_socket_files)"
}

test_ping_sigint() {
  describe "Ctrl-C (SIGINT) ends udp-ping early: it prints the summary, removes its file, exits 0"
  needs test_ping_unix_path
  in_run_dir || return
  start_lossy unix:echo.sock || return
  start_client_bg pingint -c 1000 -i 0.05 -W 2 unix:echo.sock
  local job=$BG_JOB pid
  if ! wait_for_line "$WORK/pingint.out" 'seq=3 ' 15 "$job"; then
    fail_hint "udp-ping -c 1000 did not get its third echo ($(tail -n 2 "$WORK/pingint.out" "$WORK/pingint.err" | tr '\n' ' ' | cut -c1-200))"
    return
  fi
  program_pid "$job"
  pid=$PROGRAM_PID
  kill -INT "$pid"
  if ! wait_until 10 _gone "$job"; then
    fail_hint "udp-ping did not exit within 10 s of SIGINT: wait in pselect() with signals_wait_mask(), so that a stop request ends the wait (EINTR), then leave the loop when signals_stop_requested()"
    return
  fi
  wait "$job"
  local rc=$?
  expect_match "after SIGINT udp-ping printed no summary (it printed: $(tail -n 2 "$WORK/pingint.out" | tr '\n' ' ')): leave the loop on a stop request and print the summary of the probes sent so far" \
    '^[0-9]+ sent, [0-9]+ received, [0-9]+ lost' "$(text_of "$WORK/pingint.out")"
  expect_eq "after SIGINT udp-ping exited $rc ($(exit_story "$rc")): it got echoes, so 0" 0 "$rc"
  expect_eq "after SIGINT, udp-ping's socket file was left: $(left_socket_files)" \
    "" "$(left_socket_files)"
}

# ---- both programs together ----------------------------------------------------------------

test_end_to_end_lossy() {
  describe "udp-ping through a seeded lossy path to your server counts exactly what got through"
  slow
  needs test_first_datagram test_ping_basic
  start_server udp-echo-server || return
  local seed=${LOSSY_SEED:-$(((RANDOM << 15) | RANDOM))}
  start_lossy --seed "$seed" --loss 0.15 --dup-rate 0.1 --reorder-rate 0.1 --delay-max 50 \
    --in-time 2000 127.0.0.1:0 "$SERVER_ADDR" || return
  run_ping -c 30 -i 0.02 -W 2
  stop_lossy
  expect_counts "your udp-ping to your server, seed $seed" "$TALLY_PROBES" "$TALLY_ANSWERED" \
    "$((TALLY_PROBES - TALLY_ANSWERED))" "Replay this exact run: LOSSY_SEED=$seed tests/run --code lessons --lesson 04-datagrams --test test_end_to_end_lossy (what the path did: $(shown "$LOSSY_OUT"); your server's log: $(shown "$SERVER_OUT"))."
  expect_server_alive "after the lossy run"
}

test_end_to_end_unix() {
  describe "your udp-ping and your server on unix:PATH, then SIGTERM: no file is left behind"
  needs test_unix_path_server test_ping_unix_path
  in_run_dir || return
  start_server udp-echo-server unix:echo.sock || return
  PING_TARGET=(unix:echo.sock)
  run_ping -c 3 -i 0.05 -W 2
  expect_counts "your udp-ping to your server over unix:echo.sock" 3 3 0 || return
  stop_server
  expect_eq "the server's exit status after SIGTERM was $SERVER_STATUS" 0 "$SERVER_STATUS"
  expect_eq "socket files left in the programs' folder after both exited: $(unix_files | tr '\n' ' ')- each program unlink()s the file it bound, at exit" \
    "" "$(unix_files)"
}

# ---- valgrind ----------------------------------------------------------------------------------

test_server_valgrind() {
  describe "valgrind: the UDP server makes no memory errors, leaks nothing, closes its socket"
  slow
  needs test_first_datagram
  start_server_valgrind udp-echo-server || return
  local big
  big=$(random_file big.bin 65507)
  : >"$WORK/empty"
  dgram --send "$big" --send "$WORK/empty" --out "$WORK/r" --wait 10000
  dgram --load --clients 5 --count 20 --size 500
  stop_server
  expect_eq "under valgrind the server exited $SERVER_STATUS after SIGTERM, not 0 (99 means valgrind found errors)" 0 "$SERVER_STATUS"
  expect_memory_clean "$VALGRIND_LOG"
}

test_server_valgrind_unix() {
  describe "valgrind: the server on unix:PATH, with a stale file and an oversized datagram, is clean"
  slow
  needs test_unix_path_server
  skip_without_valgrind && return
  in_run_dir || return
  "$TOOLS/dgramc" --make-stale echo.sock
  VALGRIND_LOG=$WORK/server.valgrind
  start_server udp-echo-server unix:echo.sock || return
  local big
  big=$(random_file big.bin 70000)
  printf 'small' >"$WORK/small"
  dgram --bind unix:client.sock --send "$big" --send "$WORK/small" --replies 1 --out "$WORK/r" --wait 10000
  stop_server
  expect_eq "under valgrind the server exited $SERVER_STATUS after SIGTERM, not 0 (99 means valgrind found errors)" 0 "$SERVER_STATUS"
  expect_memory_clean "$VALGRIND_LOG"
}

test_client_valgrind() {
  describe "valgrind: udp-ping, with lost, duplicated, late and damaged echoes, is clean"
  slow
  needs test_ping_basic
  skip_without_valgrind && return
  # The verdict is valgrind's (and one echo back): a short timeout keeps the test short.
  start_lossy --drop up:2 --dup down:3 --corrupt down:4 --delay down:5=1500 --forge down:6 127.0.0.1:0 || return
  run_client_valgrind 60 "$WORK/client.valgrind" udp-ping -c 8 -i 0.1 -W 1 "${PING_TARGET[@]}" \
    >"$WORK/out" 2>"$WORK/err" </dev/null
  expect_eq "under valgrind udp-ping $(exit_story "$CLIENT_STATUS") (99 means valgrind found errors; it printed: $(tail -n 2 "$WORK/out" "$WORK/err" | tr '\n' ' ' | cut -c1-200))" \
    0 "$CLIENT_STATUS"
  expect_memory_clean "$WORK/client.valgrind"
}

test_client_valgrind_unix() {
  describe "valgrind: udp-ping on unix:PATH is clean and closes its socket"
  slow
  needs test_ping_unix_path
  skip_without_valgrind && return
  in_run_dir || return
  start_lossy --drop up:2 unix:echo.sock || return
  run_client_valgrind 60 "$WORK/client.valgrind" udp-ping -c 4 -i 0.1 -W 1 unix:echo.sock \
    >"$WORK/out" 2>"$WORK/err" </dev/null
  expect_ok "under valgrind udp-ping $(exit_story "$CLIENT_STATUS") (99 means valgrind found errors): $(tail -n 2 "$WORK/out" | tr '\n' ' ')" \
    test "$CLIENT_STATUS" = 0
  expect_memory_clean "$WORK/client.valgrind"
}

. "$SHUNIT2"
