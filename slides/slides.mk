# slides.mk - `make slides`: every deck under slides/ rendered to one self-contained HTML
# file under build/slides/, with an index page. Included by the top Makefile.
#
# A deck is slides/NN-name.md (Markdown for pandoc, slide level 2), and NN-name-after.md is
# the lesson's deck for after the lab, the only one allowed to show the TODOs' answers. Its lines
# "<!-- code: FILE REGION -->" become code blocks extracted from the solutions at build
# time (slides/tools/expand.sh); its images are the Graphviz diagrams slides/diagrams/*.dot,
# rendered to SVG here. pandoc renders with reveal.js 4, pinned in slides/package-lock.json
# and installed once into slides/node_modules with npm ci; after that the build, and the
# decks it makes, need no network at all.

SLIDES_OUT := build/slides
SLIDES_DECKS := $(sort $(basename $(notdir $(wildcard slides/[0-9][0-9]-*.md))))
SLIDES_HTML := $(patsubst %,$(SLIDES_OUT)/%.html,$(SLIDES_DECKS))
SLIDES_SVG := $(patsubst slides/diagrams/%.dot,$(SLIDES_OUT)/diagrams/%.svg,$(wildcard slides/diagrams/*.dot))
# The files a deck may show code from: a change to any of them re-extracts every deck.
SLIDES_CODE := $(wildcard solutions/*/*.c solutions/*/*.h common/*.c common/*.h)
SLIDES_TOOLS := slides/tools/expand.sh slides/tools/extract.awk
SLIDES_REVEAL := slides/node_modules/reveal.js
SLIDES_PANDOC := pandoc --from markdown --to revealjs --standalone --self-contained \
	--slide-level=2 --fail-if-warnings --highlight-style=tango --css slides/kit.css \
	--resource-path=$(SLIDES_OUT):slides \
	-V revealjs-url=$(SLIDES_REVEAL) -V theme=white -V width=1280 -V height=720 \
	-V margin=0.04 -V center=false -V transition=none -V slideNumber=true -V hash=true

.PHONY: slides slides-deps slides-pdf
# Keep the expanded Markdown (it shows what pandoc was given) and the SVGs.
.SECONDARY: $(patsubst %,$(SLIDES_OUT)/src/%.md,$(SLIDES_DECKS)) $(SLIDES_SVG)

## make slides: render the decks to build/slides/ (index.html links them)
slides: $(SLIDES_OUT)/index.html

slides-deps:
	@tests/tools/deps slides

$(SLIDES_REVEAL)/package.json: slides/package.json slides/package-lock.json | slides-deps
	@echo "slides: installing reveal.js (pinned in slides/package-lock.json) with npm ci"
	@cd slides && npm ci --prefer-offline --no-audit --no-fund --loglevel=error || { \
	  echo "slides: 'npm ci' failed: the slides need reveal.js from the npm registry once." >&2; \
	  echo "slides: connect to the registry (or a mirror set in ~/.npmrc) and run 'make slides' again;" >&2; \
	  echo "slides: after that first install the build needs no network." >&2; exit 1; }
	@test -f slides/node_modules/reveal.js/dist/reveal.js || { \
	  echo "slides: npm ci did not install reveal.js 4 into slides/node_modules" >&2; exit 1; }
	@touch $@

$(SLIDES_OUT)/diagrams/%.svg: slides/diagrams/%.dot | slides-deps
	@mkdir -p $(@D)
	@dot -Tsvg $< -o $@.tmp || { rm -f $@.tmp; echo "slides: dot failed on $<" >&2; exit 1; }
	@mv $@.tmp $@

$(SLIDES_OUT)/src/%.md: slides/%.md $(SLIDES_TOOLS) $(SLIDES_CODE)
	@mkdir -p $(@D)
	@slides/tools/expand.sh $< >$@.tmp || { rm -f $@.tmp; echo "slides: expanding $< failed (see above)" >&2; exit 1; }
	@mv $@.tmp $@

$(SLIDES_OUT)/%.html: $(SLIDES_OUT)/src/%.md $(SLIDES_SVG) slides/kit.css $(SLIDES_REVEAL)/package.json | slides-deps
	@echo "slides: $@"
	@$(SLIDES_PANDOC) -o $@.tmp $< || { rm -f $@.tmp; echo "slides: pandoc failed on slides/$*.md" >&2; exit 1; }
	@mv $@.tmp $@

$(SLIDES_OUT)/index.html: $(SLIDES_HTML) slides/tools/index.sh slides/index.css
	@slides/tools/index.sh $(SLIDES_DECKS) >$(SLIDES_OUT)/src/index.md
	@pandoc --from markdown --to html5 --standalone --self-contained --css slides/index.css \
	  --metadata pagetitle="Slides" -o $@.tmp $(SLIDES_OUT)/src/index.md && mv $@.tmp $@
	@echo "slides: $@"

## make slides-pdf [NOTES=1]: every deck also as build/slides/NN-name.pdf (one slide a page)
slides-pdf: slides
	@node slides/tools/check-decks.js --pdf $(SLIDES_OUT) $(if $(NOTES),"&showNotes=true")
