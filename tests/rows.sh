# rows.sh - writing result rows from shell (source it). A row is one test's outcome, the
# format every part of the kit's testing writes and tests/report reads:
#
#   SUITE <tab> TEST <tab> STATUS <tab> GIVEN <tab> DESCRIPTION <tab> HINT [<tab> SECONDS]
#
# STATUS: pass, fail, skip (not run, nobody's fault; the hint says why) or notrun (a test it
# needs failed; the hint names it). GIVEN: 1 for a test of code the skeleton provides.

# row_field TEXT: prints TEXT with backslashes, tabs and newlines escaped (\\, \t, \n).
row_field() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//$'\t'/\\t}
  s=${s//$'\n'/\\n}
  printf '%s' "$s"
}

# row FILE SUITE TEST STATUS GIVEN DESCRIPTION [HINT [SECONDS]]: appends one row to FILE.
row() {
  local file=$1
  shift
  {
    row_field "$1"
    local f
    for f in "${@:2:5}"; do
      printf '\t'
      row_field "$f"
    done
    [ $# -ge 6 ] || printf '\t'
    printf '\t%s\n' "${7:-}"
  } >>"$file"
}

# check_row FILE SUITE NAME DESCRIPTION HINT COMMAND...: runs COMMAND (its output goes to
# FILE.NAME.log) and writes one row: pass when it exits 0, else fail with HINT and the last
# lines COMMAND printed.
check_row() {
  local file=$1 suite=$2 name=$3 desc=$4 hint=$5 log started
  shift 5
  log=${file%.tsv}.$name.log
  started=$SECONDS
  if "$@" >"$log" 2>&1; then
    row "$file" "$suite" "$name" pass 0 "$desc" "" $((SECONDS - started))
  else
    row "$file" "$suite" "$name" fail 0 "$desc" "$hint
$(tail -n 15 "$log")
(all of it: $log)" $((SECONDS - started))
  fi
}

# ---- for the check scripts of tests/checks/ ----------------------------------------------
# rows_init SUITE: rows go to $ROWS (tests/check sets it; by hand, a new file under build/),
# as tests of SUITE. Then check_pass / check_fail / check_skip write them, and rows_done
# prints them through tests/report and returns its status.
rows_init() {
  ROWS_SUITE=$1
  _rows_n=0
  if [ -z "${ROWS:-}" ]; then
    mkdir -p "$KIT/build/results"
    ROWS=$KIT/build/results/$1.by-hand.tsv
    : >"$ROWS"
  fi
}
# _check STATUS DESCRIPTION HINT [NAME]: one row; NAME defaults to checkN (counted here, not
# in a subshell, so that each unnamed row gets its own number).
_check() {
  _rows_n=$((_rows_n + 1))
  row "$ROWS" "$ROWS_SUITE" "${4:-check$_rows_n}" "$1" 0 "$2" "$3"
}
# check_pass DESCRIPTION [NAME] / check_fail DESCRIPTION HINT [NAME] / check_skip
# DESCRIPTION WHY [NAME]: one row each; NAME defaults to checkN.
check_pass() { _check pass "$1" "" "${2:-}"; }
check_fail() { _check fail "$1" "$2" "${3:-}"; }
check_skip() { _check skip "$1" "$2" "${3:-}"; }
rows_done() { "$KIT/tests/report" show --label "$ROWS_SUITE" "$ROWS"; }
