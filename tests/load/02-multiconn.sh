#!/usr/bin/env bash
# Load: lesson 02's select() echo server with 1,000 connections at once.
# Run by tests/checks/load (tests/run --suites tests/load); by hand:
#   bash tests/load/02-multiconn.sh [-- TEST_NAME]
. "$(dirname "${BASH_SOURCE[0]}")/../harness.sh"
. "$(dirname "${BASH_SOURCE[0]}")/load-lib.sh"

test_thousand_echo_clients() {
  describe "1,000 clients at once each get their own echo; descriptors and memory come back down"
  start_server multiconn-server || return
  # Each client sends half a message as soon as it connects, waits until all 1,000 are
  # connected, then sends the rest and four more messages, checking every echo.
  load_round "round 1" --conns "$LOAD_CONNS" --requests 5 --size 300 --partial || return
  expect_memory_bounded "round 1" 64 || return
  local peak
  peak=$(round_peak)
  load_round "round 2" --conns "$LOAD_CONNS" --requests 5 --size 300 --partial || return
  expect_no_growth "round 2" "$peak"
}

test_one_busy_among_idle() {
  describe "one busy client is served at full pace while 999 idle clients stay connected"
  start_server multiconn-server || return
  load_round "busy among idle" --conns 1 --idle $((LOAD_CONNS - 1)) --requests 500 --size 1000 || return
  expect_eq "the busy client completed $(result_field requests) of 500 exchanges" 500 "$(result_field requests)"
}

test_sigterm_with_thousand_clients() {
  describe "SIGTERM with 1,000 clients connected: the server closes them all and exits 0"
  start_server multiconn-server || return
  load_start --conns "$LOAD_CONNS" --partial
  load_wait connected || return
  stop_server
  expect_eq "with 1,000 clients connected the server's exit status after SIGTERM was $SERVER_STATUS, not 0: leave the loop when select() fails with EINTR, close every connection, free every buffer" \
    0 "$SERVER_STATUS"
  load_finish
}

. "$SHUNIT2"
