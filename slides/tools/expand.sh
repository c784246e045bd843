#!/bin/sh
# expand.sh - turns a deck's Markdown source into the Markdown pandoc renders.
#
#   slides/tools/expand.sh DECK.md >OUT.md        (run from the kit's root)
#
# Every line of the form
#   <!-- code: solutions/01-echo/echo-server.c echo_until_eof -->
# becomes a C code block holding that region of the file, extracted by extract.awk (a
# function by name, "step N", "struct NAME", "define NAME", optionally cut down with
# from/to/elide: see extract.awk), and a caption naming the file, its lines and the TODO
# the code answers. A code block of C typed into a deck by hand is refused: code on a
# slide comes from the solutions, so that a change to a solution changes its slide.
#
# Two rules keep the decks fit for a lecture hall:
# - Code that answers a TODO (a "step N" region, or any region showing a step's solution
#   lines) goes only into a deck for after the lab, slides/NN-name-after.md; its caption
#   says "after the lab". A lesson's own deck, shown before or during the lab, cannot give
#   an answer away.
# - A region may have at most MAX_LINES lines: more would not fit a slide at a size a
#   projector shows readably (kit.css sets the size). Cut longer ones with from/to, or
#   elide the lines that are not the point.
# Exits non-zero, naming the deck line, if a region is missing or breaks a rule.
set -u
deck=${1:?usage: expand.sh DECK.md}
here=$(dirname "$0")
# Code lines that fit under a slide's title with the caption, at kit.css's code size.
MAX_LINES=24

case "$(basename "$deck")" in
  *-after.md) after=yes ;;
  *) after=no ;;
esac
after_deck="$(dirname "$deck")/$(basename "$deck" .md)-after.md"

# shellcheck disable=SC2016 # backquotes in a regular expression, not a command
if grep -nE '^[[:space:]]*(```|~~~)[`~]*[[:space:]]*(c|C|\{[^}]*\.[cC]([[:space:]][^}]*)?\})[[:space:]]*$' "$deck" >&2; then
  echo "expand: $deck: the C code block(s) above are typed by hand;" \
    "write <!-- code: FILE REGION --> instead" >&2
  exit 1
fi

lineno=0
status=0
while IFS= read -r line || [ -n "$line" ]; do
  lineno=$((lineno + 1))
  case "$line" in
    '<!-- code: '*' -->') ;;
    *)
      printf '%s\n' "$line"
      continue
      ;;
  esac
  spec=${line#'<!-- code: '}
  spec=${spec%' -->'}
  file=${spec%% *}
  region=${spec#* }
  if [ "$file" = "$spec" ] || [ -z "$region" ]; then
    echo "expand: $deck:$lineno: write <!-- code: FILE REGION -->" >&2
    status=1
    continue
  fi
  if [ ! -f "$file" ]; then
    echo "expand: $deck:$lineno: no file $file" >&2
    status=1
    continue
  fi
  if ! code=$(awk -v region="$region" -f "$here/extract.awk" "$file") ||
    ! info=$(awk -v region="$region" -v info=1 -f "$here/extract.awk" "$file" 2>/dev/null); then
    echo "expand: $deck:$lineno: the deck shows '$region' of $file, which is not there" >&2
    status=1
    continue
  fi
  # info: the first and last line of the file shown, then the steps whose answer it shows.
  # shellcheck disable=SC2086 # split into its words on purpose
  set -- $info
  from=$1
  to=$2
  shift 2
  steps=$*
  # The region's name, without the options that cut it.
  name=$(printf '%s\n' "$region" | awk '{
    for (i = 1; i <= NF && $i !~ /^(from|to|through|block|elide)$/; i++)
      printf "%s%s", (i > 1 ? " " : ""), $i
  }')
  lesson_file=lessons/${file#solutions/}
  if [ -n "$steps" ] && [ $after = no ]; then
    echo "expand: $deck:$lineno: '$region' of $file is the answer to TODO $(echo "$steps" | sed 's/ /, /g')" \
      "of $lesson_file: show it in $after_deck, the deck for after the lab" >&2
    status=1
    continue
  fi
  lines=$(printf '%s\n' "$code" | wc -l)
  if [ "$lines" -gt $MAX_LINES ]; then
    echo "expand: $deck:$lineno: '$region' of $file is $lines lines; a slide shows $MAX_LINES at a" \
      "readable size: cut it with from/to, or elide what is not the point (see slides/tools/extract.awk)" >&2
    status=1
    continue
  fi
  case "$name" in
    step\ *) what="the solution of TODO ${name#step } in $lesson_file" ;;
    struct\ * | enum\ * | union\ * | define\ *) what="<code>$name</code>" ;;
    *) what="<code>$name()</code>" ;;
  esac
  case "$name" in
    step\ *) ;;
    *) [ -n "$steps" ] && what="$what · TODO $(echo "$steps" | sed 's/ /, /g') in $lesson_file" ;;
  esac
  badge=""
  [ -n "$steps" ] && badge=' <span class="after-lab">after the lab</span>'
  span="$from"
  [ "$to" != "$from" ] && span="$from–$to"
  # Short regions get a larger font (see kit.css).
  size=""
  [ "$lines" -le 12 ] && size=" .short"
  # The caption goes above the code, like a file's tab: below, it would meet reveal.js's
  # arrows in the corner.
  printf '%s\n' "<p class=\"code-src\">$file:$span · $what$badge</p>" ""
  printf '%s\n' "\`\`\`\`{.c .from-source$size data-file=\"$file\" data-region=\"$name\"}"
  printf '%s\n' "$code"
  printf '%s\n' "\`\`\`\`"
done <"$deck"
exit $status
