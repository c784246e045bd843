#!/bin/sh
# expand.sh - turns a deck's Markdown source into the Markdown pandoc renders.
#
#   slides/tools/expand.sh DECK.md >OUT.md        (run from the kit's root)
#
# Every line of the form
#   <!-- code: solutions/01-echo/echo-server.c echo_until_eof -->
# becomes a C code block holding that region of the file, extracted by extract.awk (a
# function by name, "step N", "struct NAME", "define NAME"), and a caption naming where it
# came from. A code block of C typed into a deck by hand is refused: code on a slide comes
# from the solutions, so that a change to a solution changes its slide.
# Exits non-zero, naming the deck line, if a region is missing.
set -u
deck=${1:?usage: expand.sh DECK.md}
here=$(dirname "$0")

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
  if ! code=$(awk -v region="$region" -f "$here/extract.awk" "$file"); then
    echo "expand: $deck:$lineno: the deck shows '$region' of $file, which is not there" >&2
    status=1
    continue
  fi
  steps=$(awk -v region="$region" -v steps=1 -f "$here/extract.awk" "$file")
  case "$region" in
    step\ *) ;;
    struct\ * | enum\ * | union\ * | define\ *) what="<code>$region</code>" ;;
    *) what="<code>$region()</code>" ;;
  esac
  where=""
  case "$region" in
    step\ *) what="the solution of TODO ${region#step } in lessons/${file#solutions/}" ;;
    *)
      case "$file" in
        solutions/*)
          if [ -n "$steps" ]; then
            where=" · TODO $(echo "$steps" | sed 's/ /, /g') in lessons/${file#solutions/}"
          fi
          ;;
      esac
      ;;
  esac
  # Short regions get a larger font, long ones a smaller one, and very long ones with no
  # line over 80 columns are set in two columns (see kit.css).
  lines=$(printf '%s\n' "$code" | wc -l)
  widest=$(printf '%s\n' "$code" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
  size=""
  [ "$lines" -le 16 ] && size=" .short"
  [ "$lines" -ge 27 ] && size=" .small"
  [ "$lines" -ge 36 ] && [ "$widest" -le 80 ] && size=" .split"
  printf '%s\n' "\`\`\`\`{.c .from-source$size data-file=\"$file\" data-region=\"$region\"}"
  printf '%s\n' "$code"
  printf '%s\n' "\`\`\`\`"
  printf '%s\n' "" "<p class=\"code-src\">$file · $what$where</p>"
done <"$deck"
exit $status
