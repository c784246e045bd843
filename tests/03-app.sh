#!/usr/bin/env bash
# Lesson 03: the application client and server and their framed protocol (CONTRACT.md
# section 4). Run by tests/run, one test at a time; by hand: bash tests/03-app.sh [-- TEST_NAME]
#
# The server is checked by appwire (tests/tools/appwire.c), a client written from the
# protocol table alone, which checks every response byte by byte; the client is checked by
# `appwire serve`, a server written the same way that can dribble its reply one byte at a
# time. Neither shares code with the lesson's message module.
# The harness beside this file (found without starting a process: tests/run starts hundreds).
[[ ${BASH_SOURCE[0]} == */* ]] && _tests=${BASH_SOURCE[0]%/*} || _tests=.
. "$_tests/harness.sh"

WIRE=$TOOLS/appwire
EMOJI_DOG=$'\xf0\x9f\x90\xb6'
MORPHEUS_ANSWER=$'Follow the white rabbit. \xf0\x9f\x90\xb0'
RING_ANSWER=$'In the caves beneath the Misty Mountains. \xf0\x9f\x92\x8d'
# A value no fixed-size buffer holds, that JSON must escape, in UTF-8 of two bytes a letter.
printf -v LONG_VALUE 'é%.0s' {1..300}
LONG_VALUE+="\"quoted\" and \\ back"
DOG_ANSWER=$'\xf0\x9f\x90\xbe Playing ball! \xf0\x9f\x8f\x90'
# How long the server may take to react to a bad or a complete message: it must not wait.
REACT_WAIT=5

# ---- building messages ------------------------------------------------------------------

# (The files these make are named, not printed: a command substitution would start one
# more process of the suite's shell per message, and lesson 03 makes hundreds.)

# request NAME ACTION VALUE: writes the protocol's request to $WORK/NAME.
request() {
  "$WIRE" request "$2" "$3" >"$WORK/$1"
}

# frame NAME APPWIRE-FRAME-OPTIONS...: writes `appwire frame OPTIONS` to $WORK/NAME.
frame() {
  local name=$1
  shift
  "$WIRE" frame "$@" >"$WORK/$name"
}

# header_with LENGTH: sets HEADER to a binary request's JSON header whose content-length is
# the JSON text LENGTH.
header_with() {
  printf -v HEADER '{"byteorder": "little", "content-type": "binary/custom-client-binary-type", "content-encoding": "binary", "content-length": %s}' "$1"
}

# json_request NAME CONTENT: a text/json request with CONTENT (a string, sent as it is), in
# $WORK/NAME.
json_request() {
  frame "$1" --content "$2"
}

# ---- talking to app-server --------------------------------------------------------------

# ask FILE [DRIVE-OPTIONS...]: sends FILE to the server and checks the response, both with
# `appwire ask` (it drives the connection as tcpdrive does: then half-closes, unless told
# --no-shutdown, and reads until the server closes). Sets DRIVE_STATUS (124: no close in
# time), CHECK (appwire's lines), CHECK_STATUS (0 well-formed, 1 malformed, 3 no response
# at all) and CHECK_ERR (why).
ask() {
  local req=$1
  shift
  _ask --send "$req" "$@"
}

# ask_for ACTION VALUE [DRIVE-OPTIONS...]: ask, for the protocol's request for ACTION VALUE
# (appwire makes it: no request file).
ask_for() {
  local action=$1 value=$2
  shift 2
  _ask --request "$action" "$value" "$@"
}

# _ask APPWIRE-ASK-OPTIONS...: ask and ask_for: `appwire ask` with the server's address.
_ask() {
  "$WIRE" ask --limit $((REACT_WAIT * SLOW)) --output "$WORK/response.$RANDOM" "$@" \
    "$SERVER_HOST" "$SERVER_PORT" >"$WORK/check.out" 2>"$WORK/check.err"
  CHECK_STATUS=$?
  IFS= read -r -d '' CHECK <"$WORK/check.out"
  CHECK=${CHECK%$'\n'}
  DRIVE_STATUS=1
  if [[ $CHECK == 'drive: '* ]]; then
    DRIVE_STATUS=${CHECK%%$'\n'*}
    DRIVE_STATUS=${DRIVE_STATUS#drive: }
    [[ $CHECK == *$'\n'* ]] && CHECK=${CHECK#*$'\n'} || CHECK=
  fi
  read -r -N 300 CHECK_ERR <"$WORK/check.err"
  CHECK_ERR=${CHECK_ERR%$'\n'}
  CHECK_ERR=${CHECK_ERR//$'\n'/; }
}

# expect_answer WHAT LINE: the last ask got a well-formed response holding LINE
# ("result: ..." or "content: ...").
expect_answer() {
  local what=$1 want=$2 got
  if [ "$DRIVE_STATUS" = 124 ] && [ "$CHECK_STATUS" = 3 ]; then
    fail_hint "$what: no response within ${REACT_WAIT}s: answer as soon as the whole request is in (do not wait for the client to close), and watch the socket for writing while a reply waits"
    return 1
  fi
  case $CHECK_STATUS in
    0) ;;
    3)
      fail_hint "$what: the server closed the connection without a response (its log: $(server_log)): a good request must be read in full, whatever pieces it comes in, and its reply sent in full before the connection closes"
      return 1
      ;;
    *)
      fail_hint "$what: the response is malformed: $CHECK_ERR"
      return 1
      ;;
  esac
  if [ "$DRIVE_STATUS" = 124 ]; then
    fail_hint "$what: the response came but the connection stayed open: close it once the whole reply is sent (that is how the client knows it is over)"
    return 1
  fi
  if [[ $'\n'$CHECK$'\n' == *$'\n'"$want"$'\n'* ]]; then passed_check; return 0; fi
  got=$(grep -E '^(result|content): ' <<<"$CHECK")
  fail_hint "$what: expected '$want', got '$got'"
  return 1
}

# ask_good WHAT ACTION VALUE LINE: asks the protocol's request for ACTION VALUE, expects LINE.
ask_good() {
  ask_for "$2" "$3"
  expect_answer "$1" "$4"
}

# hold_half_request NAME [BYTES]: a client (in the background, stopped with the test) sends
# the first BYTES (default 25) of a search request and then waits, never sending the rest.
hold_half_request() {
  request "$1.req" search ring
  head -c "${2:-25}" "$WORK/$1.req" >"$WORK/$1.half"
  setsid "$TOOLS/tcpdrive" --limit 120 --no-shutdown --send "$WORK/$1.half" --output /dev/null \
    127.0.0.1 "$SERVER_PORT" >/dev/null 2>&1 </dev/null &
  _track $!
}

# error_count: sets ERRORS to how many "Error from ADDR: REASON" lines the server has printed.
error_count() {
  _count 'Error from [^ ]+:[0-9]+: .' "$SERVER_OUT" "$SERVER_ERR"
  ERRORS=$COUNT
}

# wait_for_error_line COUNT: waits (bounded) until there are more than COUNT error lines.
wait_for_error_line() { wait_until 2 _more_errors "$1"; }
_more_errors() { error_count && [ "$ERRORS" -gt "$1" ]; }

# expect_refused WHAT FILE [TCPDRIVE-OPTIONS...]: sends the bad bytes of FILE; the server
# must close that connection at once without a response and log "Error from ADDR: REASON",
# then still answer a good request. (--no-shutdown is added unless options are given: the
# server must not wait for the client to close.)
expect_refused() {
  local what=$1 file=$2 before
  shift 2
  [ $# -gt 0 ] || set -- --no-shutdown
  error_count
  before=$ERRORS
  ask "$file" "$@"
  if [ "$DRIVE_STATUS" = 124 ]; then
    fail_hint "$what: the connection was still open ${REACT_WAIT}s later: bad input must close that connection at once (check each part as soon as it is complete; never wait for bytes you are going to refuse)"
    return 1
  elif [ "$CHECK_STATUS" != 3 ]; then
    fail_hint "$what: the server sent a response ($(head -n 1 <<<"$CHECK")) instead of closing the connection"
    return 1
  elif ! wait_for_error_line "$before"; then
    fail_hint "$what: the server closed the connection but logged no line 'Error from ADDR: REASON' (its log: $(server_log))"
    return 1
  fi
  expect_server_alive "after $what" || return 1
  ask_good "after $what, a good request" search ring "result: $RING_ANSWER"
}

# ---- talking to app-client --------------------------------------------------------------

# start_wire_server [APPWIRE-SERVE-OPTIONS...]: starts `appwire serve` on 127.0.0.1 port 0.
# Sets WIRE_PORT, WIRE_OUT and WIRE_LOG (what each request held).
start_wire_server() {
  WIRE_OUT=$WORK/wire.$RANDOM.out
  WIRE_LOG=${WIRE_OUT%.out}.log
  : >"$WIRE_LOG"
  setsid "$WIRE" serve --log "$WIRE_LOG" "$@" 127.0.0.1 0 >"$WIRE_OUT" 2>&1 </dev/null &
  local pid=$!
  _track "$pid"
  if ! wait_for_line "$WIRE_OUT" '^Listening on ' "$READY_WAIT" "$pid"; then
    fail_hint "the kit's test server (appwire serve) did not start: $(head -c 200 "$WIRE_OUT") - run 'make tools'"
    return 1
  fi
  WIRE_PORT=${MATCH##*:}
}

# client PORT ACTION VALUE: runs app-client; sets OUT, ERR and CLIENT_STATUS.
client() {
  run_client "$CLIENT_WAIT" "$BIN/app-client" 127.0.0.1 "$1" "$2" "$3" \
    >"$WORK/client.out" 2>"$WORK/client.err" </dev/null
  client_output
}

# client_output: sets OUT (what app-client printed) and ERR (the start of its stderr, on one
# line) from the last client run.
client_output() {
  OUT=$(text_of "$WORK/client.out")
  read -r -N 300 ERR <"$WORK/client.err"
  ERR=${ERR//$'\n'/ }
}

# expect_client_prints WHAT LINE: the last client run exited 0 and printed exactly LINE.
expect_client_prints() {
  if [ "$CLIENT_STATUS" = 124 ]; then
    fail_hint "$1: app-client hung: read until the message is complete (content-length bytes of content), then stop reading; do not wait for more"
    return 1
  fi
  expect_eq "$1: app-client $(exit_story "$CLIENT_STATUS") (stderr: $ERR), not 0" 0 "$CLIENT_STATUS" || return 1
  expect_eq "$1: app-client printed '$OUT', expected '$2'" "$2" "$OUT"
}

# expect_client_rejects WHAT: the last client run exited 1 with a reason on stderr, and
# printed no "Got" line.
expect_client_rejects() {
  if [ "$CLIENT_STATUS" = 124 ]; then
    fail_hint "$1: app-client hung: the server had closed the connection; recv() returning 0 before the message is complete is an error"
    return 1
  fi
  expect_eq "$1: app-client $(exit_story "$CLIENT_STATUS") (output '$OUT'), expected 1: a malformed response is a protocol error" 1 "$CLIENT_STATUS" || return 1
  expect_ok "$1: app-client printed no reason on stderr: say what was wrong with the response" test -n "$ERR" || return 1
  if _line_matches '^Got ' "$OUT"; then
    fail_hint "$1: app-client printed '$OUT' for a malformed response"
    return 1
  fi
}

# reply_file NAME APPWIRE-FRAME-OPTIONS...: a response for `appwire serve --reply`, in $WORK/NAME.
reply_file() {
  frame "$@"
}

# client_good_first: a good search through app-client against a fresh appwire server, so
# that tests of rejected responses cannot pass by an app-client that rejects everything.
client_good_first() {
  start_wire_server || return 1
  client "$WIRE_PORT" search ring
  expect_client_prints "a good response before the bad ones" "Got result: $RING_ANSWER"
}

# ---- arguments ------------------------------------------------------------------------

test_usage() {
  describe "-h prints usage and exits 0; wrong arguments print usage on stderr and exit 2"
  given
  expect_help app-server app-client
  expect_usage_errors "app-server 127.0.0.1 not-a-port" "app-server -m lots 127.0.0.1 0" \
    "app-server -m -5 127.0.0.1 0" "app-client 127.0.0.1" "app-client 127.0.0.1 65432 search" \
    "app-client 127.0.0.1 port search x"
}

# ---- every response of the contract -----------------------------------------------------

test_search_morpheus() {
  describe "search 'morpheus' gets 'Follow the white rabbit. 🐰'"
  start_server app-server || return
  ask_good "search morpheus" search morpheus "result: $MORPHEUS_ANSWER"
}

test_reply_survives_partial_sends() {
  describe "the whole reply arrives even when send() takes only a few bytes at a time"
  needs test_search_morpheus
  # The shim makes every send() on a socket take a random part of what it is offered.
  SERVER_PRELOAD=$TOOLS/shortsend.so
  start_server app-server || return
  ask_good "search morpheus, with short sends" search morpheus "result: $MORPHEUS_ANSWER"
}

test_spurious_eagain() {
  describe "a call on a ready socket that fails with EAGAIN is no error: the reply still comes"
  needs test_search_morpheus
  # The shim makes every other accept(), recv() and send() on a non-blocking socket fail
  # with EAGAIN, as one may even after select() reported the socket ready.
  SERVER_PRELOAD=$TOOLS/eagain.so
  start_server app-server || return
  ask_good "search morpheus, with accept(), recv() and send() failing now and then with EAGAIN" \
    search morpheus "result: $MORPHEUS_ANSWER" || return
  expect_eq "the server reported an error for EAGAIN ($(first_line "$SERVER_ERR" 'temporarily unavailable' 160)): EAGAIN (or EWOULDBLOCK) from a non-blocking call means 'nothing now': try this socket again when select() reports it ready" \
    0 "$(count_lines 'temporarily unavailable' "$SERVER_ERR")"
}

test_search_ring() {
  describe "search 'ring' gets 'In the caves beneath the Misty Mountains. 💍'"
  needs test_search_morpheus
  start_server app-server || return
  ask_good "search ring" search ring "result: $RING_ANSWER"
}

test_search_emoji_key() {
  describe "search '🐶' (a key that is an emoji, 4 bytes of UTF-8) gets '🐾 Playing ball! 🏐'"
  needs test_search_morpheus
  start_server app-server || return
  ask_good "search 🐶" search "$EMOJI_DOG" "result: $DOG_ANSWER" ||
    fail_hint "compare the value's UTF-8 bytes with strcmp(); send the answer as raw UTF-8 in the JSON content, and count content-length in bytes, not characters"
}

test_search_unknown() {
  describe "search for an unknown value, a prefix of a key, or a long non-ASCII value gets \"No match for 'VALUE'.\""
  needs test_search_morpheus
  start_server app-server || return
  ask_good "search unicorn" search unicorn "result: No match for 'unicorn'."
  ask_good "search Morpheus (case matters)" search Morpheus "result: No match for 'Morpheus'."
  ask_good "search morph (only a prefix of the key 'morpheus')" search morph "result: No match for 'morph'." ||
    fail_hint "a value matches only when it is the whole key: compare with strcmp(), not strncmp() over the shorter length"
  ask_good "search for 300 'é' (600 bytes of UTF-8) with a quote and a backslash" search "$LONG_VALUE" \
    "result: No match for '$LONG_VALUE'." ||
    fail_hint "the value can be any length and any UTF-8: let jansson build the answer (json_sprintf() or json_pack()), never a fixed-size buffer or JSON written by hand"
}

test_invalid_action() {
  describe "a text/json request with another action gets \"Error: invalid action 'ACTION'.\""
  needs test_search_morpheus
  start_server app-server || return
  json_request find.req '{"action": "find", "value": "ring"}'
  ask "$WORK/find.req"
  expect_answer "action find" "result: Error: invalid action 'find'."
  json_request novalue.req '{"action": "delete"}'
  ask "$WORK/novalue.req"
  expect_answer "action delete without a value (only search needs one)" "result: Error: invalid action 'delete'."
}

test_binary_request() {
  describe "a binary request gets 'First 10 bytes of request: ' and its first 10 bytes"
  needs test_search_morpheus
  start_server app-server || return
  ask_good "binary 'double7'" double 7 "content: First 10 bytes of request: double7"
  frame long.req --type binary/custom-client-binary-type --encoding binary --content 'abcdefghijklmnopqrstuvwxyz'
  ask "$WORK/long.req"
  expect_answer "binary content of 26 bytes (only the first 10 are quoted)" \
    "content: First 10 bytes of request: abcdefghij"
  printf '\x00\xff\x01\x80zz\n\x7f\\12345' >"$WORK/bytes"
  frame bytes.req --type binary/custom-client-binary-type --encoding binary --content-file "$WORK/bytes"
  ask "$WORK/bytes.req"
  expect_answer "binary content with zero and high bytes (copy bytes with memcpy, not string functions)" \
    'content: First 10 bytes of request: \x00\xff\x01\x80zz\x0a\x7f\1'
}

test_binary_short_content() {
  describe "binary content shorter than 10 bytes, or empty, is quoted whole"
  needs test_search_morpheus
  start_server app-server || return
  frame short.req --type binary/custom-client-binary-type --encoding binary --content 'abc'
  ask "$WORK/short.req"
  expect_answer "binary content 'abc' (3 bytes: quote what there is, never read past it)" \
    "content: First 10 bytes of request: abc"
  frame empty.req --type binary/custom-client-binary-type --encoding binary --content ''
  ask "$WORK/empty.req"
  expect_answer "empty binary content (content-length 0: the request is complete right after the header)" \
    "content: First 10 bytes of request: "
}

test_any_binary_type() {
  describe "any content-type other than text/json is answered as binary"
  needs test_search_morpheus
  start_server app-server || return
  frame other.req --type image/png --encoding binary --content 'PNG...'
  ask "$WORK/other.req"
  expect_answer "content-type image/png" "content: First 10 bytes of request: PNG..."
}

test_extra_header_keys() {
  describe "extra keys in the JSON header are ignored, key order does not matter"
  needs test_search_morpheus
  start_server app-server || return
  frame extra.req --header '{"content-length": 41, "x-trace": [1, {"a": null}], "content-encoding": "utf-8", "byteorder": "big", "content-type": "text/json"}' \
    --content '{"action": "search", "value": "morpheus"}'
  ask "$WORK/extra.req"
  expect_answer "a header with an extra key, in another order (do not use JSON_STRICT)" \
    "result: $MORPHEUS_ANSWER"
}

test_response_bytes() {
  describe "the response, byte by byte: 2-byte big-endian length, JSON header with its 4 keys, exact content"
  needs test_search_morpheus
  start_server app-server || return
  local resp=$WORK/raw.resp len0 len1 hlen total clen
  request raw.req search morpheus
  run_client "$REACT_WAIT" "$TOOLS/tcpdrive" --send "$WORK/raw.req" \
    --output "$resp" 127.0.0.1 "$SERVER_PORT"
  total=$(wc -c <"$resp")
  if [ "$total" -lt 2 ]; then
    fail_hint "the response had $total bytes: it must start with the 2-byte length of the JSON header"
    return
  fi
  read -r len0 len1 < <(od -An -tu1 -N2 "$resp")
  hlen=$((len0 * 256 + len1))
  if [ $((2 + hlen)) -gt "$total" ]; then
    fail_hint "the first 2 bytes ($len0 $len1) say a $hlen-byte header but only $((total - 2)) bytes follow: send the length big-endian, htons() before copying it into the message"
    return
  fi
  tail -c +3 "$resp" | head -c "$hlen" >"$WORK/header.json"
  expect_match "the JSON header should start with '{' (an object): $(head -c 80 "$WORK/header.json")" \
    '^[[:space:]]*\{' "$(head -c 80 "$WORK/header.json")"
  clen=$(grep -oE '"content-length": *[0-9]+' "$WORK/header.json" | grep -oE '[0-9]+$')
  expect_eq "content-length in the header ($clen) must be the number of bytes after the header ($((total - 2 - hlen))), counted in bytes of UTF-8" \
    "$((total - 2 - hlen))" "$clen"
  ask "$WORK/raw.req"
  expect_answer "the same response checked by appwire" "result: $MORPHEUS_ANSWER"
  expect_match "the header must name content-type text/json" '^content-type: text/json$' "$CHECK"
  expect_match "the header must name content-encoding utf-8" '^content-encoding: utf-8$' "$CHECK"
}

# ---- any split of the bytes -------------------------------------------------------------

test_request_one_byte_at_a_time() {
  describe "a request that arrives one byte per recv() is answered"
  needs test_search_morpheus
  start_server app-server || return
  ask_for search morpheus --split 1 --delay-us 300
  expect_answer "a search sent one byte at a time" "result: $MORPHEUS_ANSWER" ||
    fail_hint "keep each connection's partial message between recv() calls: the protoheader itself may come one byte at a time"
  ask_for double 7 --split 1 --delay-us 300
  expect_answer "a binary request sent one byte at a time" "content: First 10 bytes of request: double7"
}

test_request_random_splits() {
  describe "requests split at random places are answered, five different ways"
  needs test_search_morpheus
  start_server app-server || return
  local seed
  for seed in 1 2 3 4 5; do
    ask_for search "$EMOJI_DOG" --split random --max-chunk 6 --seed $seed --delay-us 200
    expect_answer "a search split at random (seed $seed)" "result: $DOG_ANSWER" || return
  done
}

test_whole_request_at_once() {
  describe "a request and extra bytes behind it in one recv(): the request is answered"
  needs test_search_morpheus
  start_server app-server || return
  local req
  request first.req search ring
  req=$WORK/first.req
  # The same request twice in one send: the server must answer the first (and may ignore
  # the rest, one request per connection), never mix the two.
  cat "$req" "$req" >"$WORK/twice.req"
  ask "$WORK/twice.req" --no-shutdown
  expect_answer "a request followed by more bytes in the same segment" "result: $RING_ANSWER"
}

test_large_request() {
  describe "a 1 MiB binary request (the default limit) in random pieces is answered"
  needs test_search_morpheus
  start_server app-server || return
  head -c 1048576 /dev/urandom >"$WORK/big"
  printf 'MEGABYTE!!' | dd of="$WORK/big" conv=notrunc status=none
  frame big.req --type binary/custom-client-binary-type --encoding binary --content-file "$WORK/big"
  ask "$WORK/big.req" \
    --split random --max-chunk 70000 --seed 3
  expect_answer "1048576 bytes of content (the limit is inclusive)" "content: First 10 bytes of request: MEGABYTE!!"
}

test_limit_option() {
  describe "-m BYTES sets the content limit: -m 100 takes 100 bytes and refuses 101"
  needs test_search_morpheus
  start_server app-server -m 100 127.0.0.1 0 || return
  local hundred
  printf -v hundred 'x%.0s' {1..100}
  frame ok.req --type binary/custom-client-binary-type --encoding binary --content "$hundred"
  ask "$WORK/ok.req"
  expect_answer "100 bytes with -m 100" "content: First 10 bytes of request: xxxxxxxxxx"
  header_with 101
  frame over.req --header "$HEADER"
  expect_refused "content-length 101 with -m 100" \
    "$WORK/over.req"
}

# ---- bad input: one test each; the server closes that connection and goes on ------------

test_bad_header_not_json() {
  describe "a JSON header that is not JSON closes that connection; the server goes on"
  needs test_search_morpheus
  start_server app-server || return
  frame nojson.req --header 'hello, server'
  expect_refused "a header 'hello, server' (not JSON)" "$WORK/nojson.req"
}

test_bad_header_not_object() {
  describe "a JSON header that is not an object ([1, 2], a string) is refused"
  needs test_search_morpheus
  start_server app-server || return
  frame array.req --header '[1, 2]'
  expect_refused "a header '[1, 2]' (an array)" "$WORK/array.req" || return
  frame string.req --header '"text"'
  expect_refused "a header '\"text\"' (a string)" "$WORK/string.req"
}

test_bad_header_trailing_bytes() {
  describe "a JSON header with bytes after the object is refused"
  needs test_search_morpheus
  start_server app-server || return
  header_with 0
  frame trailing.req --header "$HEADER}"
  expect_refused "a header with '}}' at the end (parse exactly the header's bytes)" \
    "$WORK/trailing.req"
}

test_missing_byteorder() {
  describe "a JSON header without byteorder is refused"
  needs test_search_morpheus
  start_server app-server || return
  frame nobo.req --header '{"content-type": "binary/x", "content-encoding": "binary", "content-length": 0}'
  expect_refused "a header without byteorder" "$WORK/nobo.req"
}

test_missing_content_type() {
  describe "a JSON header without content-type is refused"
  needs test_search_morpheus
  start_server app-server || return
  frame noct.req --header '{"byteorder": "little", "content-encoding": "binary", "content-length": 0}'
  expect_refused "a header without content-type" "$WORK/noct.req"
}

test_missing_content_encoding() {
  describe "a JSON header without content-encoding is refused"
  needs test_search_morpheus
  start_server app-server || return
  frame noce.req --header '{"byteorder": "little", "content-type": "binary/x", "content-length": 0}'
  expect_refused "a header without content-encoding" "$WORK/noce.req"
}

test_missing_content_length() {
  describe "a JSON header without content-length is refused"
  needs test_search_morpheus
  start_server app-server || return
  frame nocl.req --header '{"byteorder": "little", "content-type": "binary/x", "content-encoding": "binary"}'
  expect_refused "a header without content-length" "$WORK/nocl.req"
}

test_mistyped_string_keys() {
  describe "byteorder, content-type or content-encoding that is not a string is refused"
  needs test_search_morpheus
  start_server app-server || return
  frame t1.req --header '{"byteorder": 1, "content-type": "binary/x", "content-encoding": "binary", "content-length": 0}'
  expect_refused "byteorder 1 (a number)" "$WORK/t1.req" || return
  frame t2.req --header '{"byteorder": "big", "content-type": null, "content-encoding": "binary", "content-length": 0}'
  expect_refused "content-type null" "$WORK/t2.req"
}

test_content_length_string() {
  describe "content-length given as a string (\"5\") is refused"
  needs test_search_morpheus
  start_server app-server || return
  header_with '"5"'
  frame cls.req --header "$HEADER"
  expect_refused "content-length \"5\" (a string)" "$WORK/cls.req"
}

test_content_length_negative() {
  describe "a negative content-length is refused"
  needs test_search_morpheus
  start_server app-server || return
  header_with -1
  frame cln.req --header "$HEADER"
  expect_refused "content-length -1" "$WORK/cln.req"
}

test_content_length_float() {
  describe "a content-length that is not an integer (5.0, 1e3) is refused"
  needs test_search_morpheus
  start_server app-server || return
  header_with 5.0
  frame clf.req --header "$HEADER"
  expect_refused "content-length 5.0" "$WORK/clf.req" || return
  header_with 1e3
  frame cle.req --header "$HEADER"
  expect_refused "content-length 1e3" "$WORK/cle.req"
}

test_content_length_huge() {
  describe "a huge content-length (2^63-1, 10^23) is refused at once, nothing allocated"
  needs test_search_morpheus
  start_server app-server || return
  header_with 9223372036854775807
  frame clh.req --header "$HEADER"
  expect_refused "content-length 9223372036854775807" "$WORK/clh.req" || return
  header_with 100000000000000000000000
  frame clhh.req --header "$HEADER"
  expect_refused "content-length 100000000000000000000000 (does not fit 64 bits)" \
    "$WORK/clhh.req"
}

test_content_length_over_limit() {
  describe "content-length 1048577, one byte over the 1 MiB limit, is refused before any content"
  needs test_search_morpheus
  start_server app-server || return
  header_with 1048577
  frame over.req --header "$HEADER"
  expect_refused "content-length 1048577 with no content sent" "$WORK/over.req"
}

test_zero_length_header() {
  describe "a protoheader of 0 (an empty JSON header) is refused"
  needs test_search_morpheus
  start_server app-server || return
  frame zero.req --header ''
  expect_refused "protoheader 0x0000" "$WORK/zero.req"
}

test_json_content_not_utf8() {
  describe "text/json content that is not valid UTF-8 is refused"
  needs test_search_morpheus
  start_server app-server || return
  printf '{"action": "search", "value": "\xff\xfe"}' >"$WORK/latin"
  frame badutf.req --content-file "$WORK/latin"
  expect_refused "text/json content with bytes ff fe" "$WORK/badutf.req"
}

test_json_content_not_json() {
  describe "text/json content that is not JSON, or not an object, is refused"
  needs test_search_morpheus
  start_server app-server || return
  json_request nj.req 'search morpheus'
  expect_refused "text/json content 'search morpheus'" "$WORK/nj.req" || return
  json_request arr.req '["search"]'
  expect_refused "text/json content '[\"search\"]' (an array)" "$WORK/arr.req" || return
  json_request null.req 'null'
  expect_refused "text/json content 'null'" "$WORK/null.req"
}

test_json_content_bad_fields() {
  describe "text/json without a string action, or search without a string value, is refused"
  needs test_search_morpheus
  start_server app-server || return
  json_request empty.req '{}'
  expect_refused "text/json content '{}'" "$WORK/empty.req" || return
  json_request act.req '{"action": 5, "value": "ring"}'
  expect_refused "action 5 (not a string)" "$WORK/act.req" || return
  json_request val.req '{"action": "search", "value": 5}'
  expect_refused "search with value 5 (not a string)" "$WORK/val.req" || return
  json_request noval.req '{"action": "search"}'
  expect_refused "search without a value" "$WORK/noval.req"
}

test_close_mid_protoheader() {
  describe "a client that sends 1 byte and closes is logged as an error; the server goes on"
  needs test_search_morpheus
  start_server app-server || return
  printf '\x00' >"$WORK/one"
  expect_refused "1 byte, then the client closed its side" "$WORK/one" --split whole
}

test_close_mid_header() {
  describe "a client that closes in the middle of the JSON header: error logged, server goes on"
  needs test_search_morpheus
  start_server app-server || return
  request mid.req search ring
  head -c 20 "$WORK/mid.req" >"$WORK/mid-header"
  expect_refused "20 bytes of a request, then the client closed its side" "$WORK/mid-header" --split whole
}

test_close_mid_content() {
  describe "a client that closes in the middle of the content: error logged, server goes on"
  needs test_search_morpheus
  start_server app-server || return
  local req size
  request full.req search morpheus
  req=$WORK/full.req
  size=$(wc -c <"$req")
  head -c $((size - 5)) "$req" >"$WORK/mid-content"
  expect_refused "a request without its last 5 content bytes, then the client closed its side" \
    "$WORK/mid-content" --split whole
}

test_reset_mid_message() {
  describe "a client that resets the connection mid-message does not disturb the server"
  needs test_search_morpheus
  start_server app-server || return
  request rst.req search ring
  head -c 30 "$WORK/rst.req" >"$WORK/rst"
  run_client "$REACT_WAIT" "$TOOLS/tcpdrive" --reset --no-read --send "$WORK/rst" 127.0.0.1 "$SERVER_PORT" 2>/dev/null
  expect_server_alive "after a client reset its connection (recv() fails with ECONNRESET)" || return
  ask_good "after a reset connection, a good request" search morpheus "result: $MORPHEUS_ANSWER"
}

# ---- many clients -------------------------------------------------------------------------

test_hundred_clients() {
  describe "100 clients at once, each holding half a request, all get their own right answer"
  needs test_search_morpheus
  start_server app-server || return
  run_client 60 "$WIRE" crowd 127.0.0.1 "$SERVER_PORT" 100 >"$WORK/crowd.out" 2>"$WORK/crowd.err"
  if [ "$CLIENT_STATUS" = 124 ]; then
    fail_hint "100 connections each sent half a request, then the rest, and the answers did not all come: serve every connection from one select() loop, never block on one client"
    return
  fi
  expect_eq "$(text_of "$WORK/crowd.out") - $(head -n 3 "$WORK/crowd.err" | tr '\n' ' '): each connection needs its own message state (one struct message per connection)" \
    0 "$CLIENT_STATUS"
  expect_server_alive "after 100 clients"
}

test_quiet_client_blocks_nobody() {
  describe "a client that sends half a request and goes quiet delays nobody else"
  needs test_search_morpheus
  start_server app-server || return
  hold_half_request quiet
  ask_good "a second client while the first holds half a request" search morpheus "result: $MORPHEUS_ANSWER" ||
    fail_hint "never loop on recv() for one client until its message is complete: feed what one recv() returns, then go back to select()"
}

test_idle_uses_no_cpu() {
  describe "a server holding an idle connection sleeps in select() and uses no CPU"
  slow
  needs test_search_morpheus
  start_server app-server || return
  ask_good "a first request" search ring "result: $RING_ANSWER" || return
  hold_half_request idle
  nap 300 # the half request arrives; not a verdict
  expect_sleeping "in 1.5 s with one idle connection" \
    "call select() without a timeout, and put a socket in the write set only while a reply waits to be sent"
}

test_ipv6() {
  describe "the server works over IPv6 and logs peers as [::1]:PORT"
  needs test_search_morpheus
  start_server app-server ::1 0 || return
  ask_for search ring
  expect_answer "a search over IPv6" "result: $RING_ANSWER"
  frame v6bad.req --header 'nope'
  run_client "$REACT_WAIT" "$TOOLS/tcpdrive" --no-shutdown --send "$WORK/v6bad.req" --output /dev/null ::1 "$SERVER_PORT"
  wait_for_error_line 0
  expect_match "the error line should name the peer as [::1]:PORT (net_format_addr does it): $(server_log)" \
    'Error from \[::1\]:[0-9]+: .' "$(text_of "$SERVER_OUT" "$SERVER_ERR")"
}

test_error_line_format() {
  describe "bad input is logged as 'Error from 127.0.0.1:PORT: REASON' with a reason"
  needs test_search_morpheus
  start_server app-server || return
  ask_good "a good request first" search ring "result: $RING_ANSWER" || return
  frame fmt.req --header '{"byteorder": "little"}'
  run_client "$REACT_WAIT" "$TOOLS/tcpdrive" --no-shutdown --send "$WORK/fmt.req" --output /dev/null 127.0.0.1 "$SERVER_PORT"
  wait_for_error_line 0
  expect_match "the log should have a line 'Error from 127.0.0.1:PORT: REASON' with REASON saying what was wrong (got: $(server_log))" \
    'Error from 127\.0\.0\.1:[0-9]+: [^ ].{3,}' "$(text_of "$SERVER_OUT" "$SERVER_ERR")"
}

test_log_escapes_peer_text() {
  describe "what a peer sends appears in the log escaped, one line per event: a content-type or reason with a newline or an escape sequence forges nothing"
  needs test_search_morpheus
  start_server app-server || return
  local before log forged=$'binary/x\nListening on 6.6.6.6:66\nShutting down\e[2J'
  frame forged.req --type "$forged" --encoding binary --content 'hi'
  ask "$WORK/forged.req"
  expect_answer "a request whose content-type holds newlines and an escape sequence" \
    "content: First 10 bytes of request: hi" || return
  # A text/json request whose encoding (quoted in the error reason) holds the same.
  error_count
  before=$ERRORS
  frame forged-error.req --encoding $'utf-9\nShutting down\e[31m' --content '{}'
  ask "$WORK/forged-error.req" --no-shutdown
  wait_for_error_line "$before"
  log=$(text_of "$SERVER_OUT" "$SERVER_ERR")
  if grep -q $'\e' <<<"$log"; then
    fail_hint "the server's log holds a raw escape character (ESC) that a peer sent: escape peer text before logging it (log_escape(): control characters become \\xNN)"
    return
  fi
  expect_eq "a peer's content-type put $(grep -c '^Listening on ' <<<"$log") 'Listening on' lines in the log: escape the content-type with log_escape() before logging it, so its newline shows as \\x0a and cannot start a line" \
    1 "$(grep -c '^Listening on ' <<<"$log")" || return
  expect_eq "a peer's text put $(grep -c '^Shutting down' <<<"$log") 'Shutting down' lines in the log: peer text must be escaped in every log line (the content-type, error reasons)" \
    0 "$(grep -c '^Shutting down' <<<"$log")" || return
  expect_match "the 'Request from' line should show the content-type escaped, 'binary/x\\x0aListening on 6.6.6.6:66\\x0aShutting down\\x1b[2J' (log: $(server_log))" \
    '^Request from [^ ]+: binary/x\\x0aListening on 6\.6\.6\.6:66\\x0aShutting down\\x1b\[2J, 2 bytes$' "$log" || return
  expect_match "the error line should quote the encoding escaped, with \\x0a for its newline (log: $(server_log))" \
    'Error from [^ ]+: .*utf-9\\x0aShutting down\\x1b\[31m' "$log"
}

test_stop_never_lost() {
  describe "a stop request is never lost: 10 servers, each sent SIGTERM as it starts to wait, all exit 0"
  slow
  needs test_search_morpheus
  given # the loop is lesson 02's, given here; the test guards it
  expect_stop_never_lost 10 app-server \
    "the select loop must sleep in pselect() with signals_wait_mask()"
}

test_stop_during_flood() {
  describe "SIGTERM stops the server while requests keep coming, many connections at a time"
  needs test_search_morpheus
  start_server app-server || return
  expect_stops_in_crowd '^Request from ' 300 "requests" \
    "the loop must get back to pselect() (where the signal is let in) after each round" \
    -- loadgen --mode app --conns 50 --duration-ms 60000
}

test_out_of_descriptors() {
  describe "out of descriptors (EMFILE), the server waits quietly and serves again once one is free"
  slow
  needs test_search_morpheus
  SERVER_PRELOAD=$TOOLS/emfile.so
  start_server app-server || return
  local crowd rc
  # From now on every accept() fails with EMFILE while clients wait, as it does under a
  # 'ulimit -n' too small for the clients (the emfile shim).
  shortage_begin
  setsid timeout 60 "$WIRE" crowd 127.0.0.1 "$SERVER_PORT" 20 >"$WORK/crowd.out" 2>"$WORK/crowd.err" </dev/null &
  crowd=$!
  _track "$crowd"
  expect_calm_shortage 20 "while accept() fails with EMFILE, stop watching the listener and retry after a while" "" || return
  shortage_end
  wait "$crowd"
  rc=$?
  expect_eq "once descriptors were free again, 20 waiting clients did not all get their answer ($rc: $(head -n 2 "$WORK/crowd.err" | tr '\n' ' ' | cut -c1-200)): after a shortage, try accept() again after a while" \
    0 "$rc" || return
  stop_server
  expect_eq "after the shortage, SIGTERM: the server exited $SERVER_STATUS, not 0" 0 "$SERVER_STATUS"
}

# ---- app-client, against a server written from the protocol table ----------------------

test_client_search() {
  describe "app-client sends a correct search request and prints 'Got result: RESULT'"
  start_wire_server || return
  client "$WIRE_PORT" search morpheus
  expect_client_prints "search morpheus" "Got result: $MORPHEUS_ANSWER"
  if grep -q '^bad request' "$WIRE_LOG"; then
    fail_hint "the test server refused app-client's request: $(grep '^bad request' "$WIRE_LOG")"
  fi
  expect_ok "the request should hold action 'search' and value 'morpheus' (got: $(tail_of "$WIRE_LOG" 20)): content {\"action\": \"search\", \"value\": VALUE}, content-type text/json" \
    grep -qxF 'value: morpheus' "$WIRE_LOG"
}

test_client_search_emoji() {
  describe "app-client searches for '🐶' and prints the emoji answer intact"
  needs test_client_search
  start_wire_server || return
  client "$WIRE_PORT" search "$EMOJI_DOG"
  expect_client_prints "search 🐶" "Got result: $DOG_ANSWER"
  expect_ok "the request's value should be the 4 UTF-8 bytes of 🐶 (got: $(tail_of "$WIRE_LOG" 20))" \
    grep -qxF "value: $EMOJI_DOG" "$WIRE_LOG"
}

test_client_search_long_value() {
  describe "app-client sends a long non-ASCII search value, with a quote and a backslash, exactly"
  needs test_client_search
  start_wire_server || return
  client "$WIRE_PORT" search "$LONG_VALUE"
  expect_client_prints "search (300 'é', a quote and a backslash)" "Got result: No match for '$LONG_VALUE'."
  expect_ok "the request's value should be exactly the 300 'é' (600 bytes), the quotes and the backslash (got: $(tail_of "$WIRE_LOG" 20 160)): build the content with jansson (json_pack()), which escapes quotes and backslashes, never with a fixed-size buffer or by hand" \
    grep -qxF "value: $LONG_VALUE" "$WIRE_LOG"
}

test_client_binary() {
  describe "app-client sends any other action as binary ACTION+VALUE and prints 'Got response: ...'"
  needs test_client_search
  start_wire_server || return
  client "$WIRE_PORT" double 7
  expect_client_prints "double 7" "Got response: First 10 bytes of request: double7"
  expect_ok "the request should be binary content 'double7' (got: $(tail_of "$WIRE_LOG" 20)): content-type binary/custom-client-binary-type, encoding binary, the bytes of ACTION then VALUE" \
    grep -qxF 'content: double7' "$WIRE_LOG"
}

test_client_binary_escapes() {
  describe "app-client prints non-printable response bytes as \\xNN"
  needs test_client_search
  printf 'ok\x00\xff\n~\\' >"$WORK/bytes"
  reply_file esc.resp --type binary/custom-server-binary-type --encoding binary --content-file "$WORK/bytes"
  start_wire_server --reply "$WORK/esc.resp" || return
  client "$WIRE_PORT" double 7
  OUT=$(sed 's/\\x\([0-9A-F][0-9A-F]\)/\\x\L\1/g' <<<"$OUT")
  expect_client_prints "binary bytes 'ok' 00 ff 0a '~\\'" 'Got response: ok\x00\xff\x0a~\'
}

test_client_other_results() {
  describe "app-client prints the results of an unknown value and of an invalid action"
  needs test_client_search
  start_wire_server || return
  client "$WIRE_PORT" search unicorn
  expect_client_prints "search unicorn" "Got result: No match for 'unicorn'."
  reply_file inv.resp --content '{"result": "Error: invalid action '"'"'find'"'"'."}'
  start_wire_server --reply "$WORK/inv.resp" || return
  client "$WIRE_PORT" search x
  expect_client_prints "a response 'Error: invalid action'" "Got result: Error: invalid action 'find'."
}

test_client_one_byte_response() {
  describe "app-client reads a response that arrives one byte at a time"
  needs test_client_search
  start_wire_server --split 1 || return
  client "$WIRE_PORT" search ring
  expect_client_prints "a response dribbled one byte per packet" "Got result: $RING_ANSWER" ||
    fail_hint "feed every recv() to the message and loop until it is complete: one recv() may bring one byte"
  client "$WIRE_PORT" double 7
  expect_client_prints "a binary response dribbled one byte per packet" "Got response: First 10 bytes of request: double7"
}

test_client_random_split_response() {
  describe "app-client reads responses split at random places"
  needs test_client_search
  local seed
  for seed in 1 2 3; do
    start_wire_server --split random --seed $seed || return
    client "$WIRE_PORT" search "$EMOJI_DOG"
    expect_client_prints "a response in random pieces (seed $seed)" "Got result: $DOG_ANSWER" || return
  done
}

test_client_truncated_response() {
  describe "app-client exits 1 with a reason when the server closes mid-response"
  needs test_client_search
  client_good_first || return
  local full size
  reply_file full.resp --content '{"result": "complete"}'
  full=$WORK/full.resp
  size=$(wc -c <"$full")
  head -c $((size - 4)) "$full" >"$WORK/cut.resp"
  start_wire_server --reply "$WORK/cut.resp" || return
  client "$WIRE_PORT" search ring
  expect_client_rejects "a response missing its last 4 bytes" || return
  head -c 10 "$full" >"$WORK/cut2.resp"
  start_wire_server --reply "$WORK/cut2.resp" || return
  client "$WIRE_PORT" search ring
  expect_client_rejects "a response cut in the middle of its JSON header"
}

test_client_bad_header() {
  describe "app-client exits 1 with a reason for a malformed JSON header"
  needs test_client_search
  client_good_first || return
  reply_file nj.resp --header 'not json'
  start_wire_server --reply "$WORK/nj.resp" || return
  client "$WIRE_PORT" search ring
  expect_client_rejects "a response whose header is 'not json'" || return
  reply_file nocl.resp --header '{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8"}'
  start_wire_server --reply "$WORK/nocl.resp" || return
  client "$WIRE_PORT" search ring
  expect_client_rejects "a response header without content-length" || return
  reply_file neg.resp --header '{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": -3}'
  start_wire_server --reply "$WORK/neg.resp" || return
  client "$WIRE_PORT" search ring
  expect_client_rejects "a response with content-length -3"
}

test_client_bad_content() {
  describe "app-client exits 1 with a reason for text/json content that is not an object"
  needs test_client_search
  client_good_first || return
  reply_file bad.resp --content 'Follow the white rabbit'
  start_wire_server --reply "$WORK/bad.resp" || return
  client "$WIRE_PORT" search morpheus
  expect_client_rejects "text/json content 'Follow the white rabbit' (not JSON)" || return
  reply_file arr.resp --content '["result"]'
  start_wire_server --reply "$WORK/arr.resp" || return
  client "$WIRE_PORT" search morpheus
  expect_client_rejects "text/json content '[\"result\"]' (not an object)"
}

# ---- both programs together ---------------------------------------------------------------

test_end_to_end() {
  describe "app-client against app-server: every kind of request gets its answer"
  needs test_search_morpheus test_client_search
  start_server app-server || return
  client "$SERVER_PORT" search morpheus
  expect_client_prints "search morpheus" "Got result: $MORPHEUS_ANSWER" || return
  client "$SERVER_PORT" search "$EMOJI_DOG"
  expect_client_prints "search 🐶" "Got result: $DOG_ANSWER" || return
  client "$SERVER_PORT" search nothing
  expect_client_prints "search nothing" "Got result: No match for 'nothing'." || return
  client "$SERVER_PORT" triple 3
  expect_client_prints "triple 3" "Got response: First 10 bytes of request: triple3"
}

test_sigterm_shutdown() {
  describe "on SIGTERM, even with a half-read request open, the server prints 'Shutting down', exits 0"
  needs test_search_morpheus
  start_server app-server || return
  ask_good "a request before stopping" search ring "result: $RING_ANSWER" || return
  hold_half_request open
  wait_for_count '^Accepted connection from ' "$SERVER_OUT" 2 10
  stop_server
  expect_eq "the server's exit status after SIGTERM was $SERVER_STATUS: a signal makes select() fail with EINTR; leave the loop, close every connection and the listener, exit 0" \
    0 "$SERVER_STATUS"
  expect_match "the server did not print 'Shutting down' last" '^Shutting down$' "$(last_line "$SERVER_OUT")"
  expect_no_eintr_noise
}

# ---- valgrind -----------------------------------------------------------------------------

test_server_valgrind_good() {
  describe "valgrind: the server answers good requests with no memory errors, leaks or open sockets"
  slow
  needs test_search_morpheus
  start_server_valgrind app-server || return
  REACT_WAIT=$((REACT_WAIT * 4))
  ask_good "under valgrind, search morpheus (the basic job: see the functional tests)" search morpheus "result: $MORPHEUS_ANSWER"
  # Traffic of every kind; what comes back is the functional tests' business.
  ask_for search morpheus --split 1 --delay-us 100
  ask_for search "$EMOJI_DOG"
  ask_for search who
  ask_for double 7
  json_request v5.req '{"action": "jump"}'
  ask "$WORK/v5.req"
  run_client 60 "$WIRE" crowd 127.0.0.1 "$SERVER_PORT" 12 >/dev/null 2>"$WORK/crowd.err"
  stop_server
  expect_memory_clean "$VALGRIND_LOG" "" "free each connection's message (message_free: JSON header, content, reply) when it closes"
}

test_server_valgrind_bad() {
  describe "valgrind: bad input and vanished clients leave no memory errors, leaks or open sockets"
  slow
  needs test_search_morpheus
  start_server_valgrind app-server || return
  REACT_WAIT=$((REACT_WAIT * 4))
  local before
  error_count
  before=$ERRORS
  frame b1.req --header 'not json'
  ask "$WORK/b1.req" --no-shutdown
  frame b2.req --header '{"byteorder": "little", "content-type": "text/json"}'
  ask "$WORK/b2.req" --no-shutdown
  header_with '"12"'
  frame b3.req --header "$HEADER"
  ask "$WORK/b3.req" --no-shutdown
  header_with 99999999
  frame b4.req --header "$HEADER"
  ask "$WORK/b4.req" --no-shutdown
  json_request b5.req '{"action": "search", "value": null}'
  ask "$WORK/b5.req" --no-shutdown
  json_request b6.req '{"action": "search", "value": "x"} trailing'
  ask "$WORK/b6.req" --no-shutdown
  printf '{"action": "\xc3"}' >"$WORK/bad-utf8"
  frame b7.req --content-file "$WORK/bad-utf8"
  ask "$WORK/b7.req" --no-shutdown
  request b8.req search morpheus
  head -c 60 "$WORK/b8.req" >"$WORK/mid"
  ask "$WORK/mid"
  frame b9.req --header ''
  ask "$WORK/b9.req" --no-shutdown
  wait_for_error_line $((before + 8))
  ask_good "under valgrind, a good request after the bad ones (the basic job: see the functional tests)" search ring "result: $RING_ANSWER"
  # A connection still half-way through its request when the server stops must be freed too.
  hold_half_request b10 40
  wait_for_count '^Accepted connection from ' "$SERVER_OUT" 11 30
  stop_server
  expect_memory_clean "$VALGRIND_LOG" "" "on every error path free what the message holds (json_decref the header, free the buffers) and close the socket"
}

# client_under_valgrind PORT ACTION VALUE: runs app-client under valgrind; sets OUT, ERR,
# CLIENT_STATUS and VG_LOG (its report, for expect_memory_clean).
client_under_valgrind() {
  local log=$WORK/client.$RANDOM.valgrind
  run_client_valgrind 60 "$log" app-client 127.0.0.1 "$1" "$2" "$3" >"$WORK/client.out" 2>"$WORK/client.err" </dev/null
  client_output
  VG_LOG=$log
}

test_client_valgrind() {
  describe "valgrind: app-client on good and bad responses makes no memory errors and leaks nothing"
  slow
  needs test_search_morpheus test_client_search
  skip_without_valgrind && return
  start_server app-server || return
  client_under_valgrind "$SERVER_PORT" search "$EMOJI_DOG"
  expect_client_prints "under valgrind, search 🐶 (the basic job: see the functional tests)" "Got result: $DOG_ANSWER"
  expect_memory_clean "$VG_LOG" "on a good text/json response: "
  client_under_valgrind "$SERVER_PORT" double 7
  expect_memory_clean "$VG_LOG" "on a good binary response: "
  header_with '"7"'
  reply_file v.resp --header "$HEADER"
  start_wire_server --reply "$WORK/v.resp" || return
  client_under_valgrind "$WIRE_PORT" search ring
  expect_memory_clean "$VG_LOG" "on a bad header: "
  reply_file full.resp --content '{"result": "complete, but cut"}'
  head -c 50 "$WORK/full.resp" >"$WORK/cut.resp"
  start_wire_server --reply "$WORK/cut.resp" || return
  client_under_valgrind "$WIRE_PORT" search ring
  expect_memory_clean "$VG_LOG" "on a response cut short: "
}

. "$SHUNIT2"
