#!/usr/bin/env bash
# Load: lesson 03's application server with 1,000 connections at once.
# Run by tests/checks/load (tests/run --suites tests/load); by hand:
#   bash tests/load/03-app.sh [-- TEST_NAME]
. "$(dirname "${BASH_SOURCE[0]}")/../harness.sh"
. "$(dirname "${BASH_SOURCE[0]}")/load-lib.sh"

test_thousand_half_requests() {
  describe "1,000 clients each send half a request and wait; then all get the right response"
  start_server app-server || return
  # Every request kind in turn: three known searches, an unknown one, a binary request, an
  # invalid action. Each response is parsed and compared with what the protocol says.
  load_round "round 1" --mode app --conns "$LOAD_CONNS" --partial || return
  expect_memory_bounded "round 1" 64 || return
  local peak
  peak=$(round_peak)
  load_round "round 2" --mode app --conns "$LOAD_CONNS" --partial || return
  expect_no_growth "round 2" "$peak"
}

test_thousand_clients_in_turn() {
  describe "1,000 clients at once, each sending five requests in turn, all answered correctly"
  start_server app-server || return
  load_round "5,000 requests" --mode app --conns "$LOAD_CONNS" --requests 5 || return
  expect_eq "only $(result_field requests) of 5000 requests were answered" 5000 "$(result_field requests)"
}

test_sigterm_with_thousand_half_requests() {
  describe "SIGTERM with 1,000 half-received requests: the server frees them all and exits 0"
  start_server app-server || return
  load_start --mode app --conns "$LOAD_CONNS" --partial
  load_wait connected || return
  stop_server
  expect_eq "with 1,000 requests half received the server's exit status after SIGTERM was $SERVER_STATUS, not 0: on shutdown close every connection and free every message" \
    0 "$SERVER_STATUS"
  load_finish
}

. "$SHUNIT2"
