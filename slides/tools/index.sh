#!/bin/sh
# index.sh - writes the Markdown of the decks' index page (build/slides/index.html).
#
#   slides/tools/index.sh DECK...      (deck names such as 01-echo; run from the kit's root)
#
# Each lesson's deck is listed with the title and subtitle from its YAML header; its deck
# for after the lab (NN-name-after, the TODOs' solutions) is listed under it, marked so.
set -u
field() { # field NAME FILE: a one-line YAML value from the deck's header, quotes removed
  awk 'NR == 1 && /^---$/ { y = 1; next } y && /^---$/ { exit } y' "$2" | sed -n "s/^$1: *//p" | sed 's/^"\(.*\)"$/\1/' | head -n 1
}
cat <<'HEAD'
---
title: "Sockets in C — the slides"
---

One deck per lesson, each a single HTML file that works offline. Open one, press **F** for
full screen, **S** for the speaker view (notes and timer), **Esc** for an overview of all
slides. To print or save as PDF, add `?print-pdf` to the address and use the browser's print
dialog (details in `slides/README.md`).

A lesson's deck shows no answer to its TODOs: present it before or during the lab. The
answers are in a second deck, marked **after the lab**: show it once the students have
tried.

HEAD
for deck in "$@"; do
  case "$deck" in *-after) continue ;; esac
  title=$(field title "slides/$deck.md")
  subtitle=$(field subtitle "slides/$deck.md")
  printf -- '- [%s](%s.html)%s\n' "${title:-$deck}" "$deck" "${subtitle:+ — $subtitle}"
  for after in "$@"; do
    [ "$after" = "$deck-after" ] || continue
    printf -- '\n    [After the lab]{.after-lab} [the solutions, TODO by TODO](%s.html)\n\n' "$after"
  done
done
