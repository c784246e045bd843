# tools.mk - builds the kit's C test tools into build/tools/.
#
#   make -f tests/tools.mk   (or: make tools)
# Each tests/tools/NAME.c is one tool; it may use common/ (the kit's own library, never the
# code under test). A tool whose source includes <jansson.h> links jansson.
# A tests/tools/NAME-preload.c is a shim for LD_PRELOAD instead: build/tools/NAME.so.
KIT := $(patsubst %/tests/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
OUT := $(KIT)/build/tools
CC ?= cc
CFLAGS ?= -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -O2 -g
PRELOADS := $(wildcard $(KIT)/tests/tools/*-preload.c)
SOURCES := $(filter-out $(PRELOADS),$(wildcard $(KIT)/tests/tools/*.c))
COMMON := $(wildcard $(KIT)/common/*.c)
all: $(patsubst $(KIT)/tests/tools/%.c,$(OUT)/%,$(SOURCES)) \
	$(patsubst $(KIT)/tests/tools/%-preload.c,$(OUT)/%.so,$(PRELOADS))
$(OUT)/%.so: $(KIT)/tests/tools/%-preload.c
	@mkdir -p $(@D)
	$(CC) -Wall -Wextra -O2 -g -shared -fPIC -o $@ $< -ldl
$(OUT)/%: $(KIT)/tests/tools/%.c $(COMMON) $(wildcard $(KIT)/common/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(KIT)/common -o $@ $< $(COMMON) \
		$(if $(shell grep -l '<jansson.h>' $<),$(shell pkg-config --cflags --libs jansson 2>/dev/null || echo -ljansson)) -lm
.PHONY: all
