# tools.mk - builds the kit's C test tools into build/tools/.
#
#   make -f tests/tools.mk   (or: make tools)
# Each tests/tools/NAME.c is one tool; it may use common/ (the kit's own library, never the
# code under test), built once into build/tools/.obj/libkit.a. A tool whose source includes
# <jansson.h> links jansson. A tests/tools/NAME-preload.c is a shim for LD_PRELOAD instead:
# build/tools/NAME.so.
#
# A tool whose source says "Handout: compiled only" would give a lesson's answer away (a
# whole implementation of its protocol or its server): the student handout carries it as a
# static binary, tests/tools/prebuilt/ARCH/NAME, without the source (make handout builds it
# with `make -f tests/tools.mk prebuilt PREBUILT_OUT=DIR`). Where a tool has a prebuilt
# binary but no source, that binary, for this machine's architecture, is what gets
# installed into build/tools/.
KIT := $(patsubst %/tests/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
OUT := $(KIT)/build/tools
OBJ := $(OUT)/.obj
CC ?= cc
CFLAGS ?= -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -O2 -g
CPPFLAGS := -I$(KIT)/common -MMD -MP
PRELOADS := $(wildcard $(KIT)/tests/tools/*-preload.c)
SOURCES := $(filter-out $(PRELOADS),$(wildcard $(KIT)/tests/tools/*.c))
TOOLS := $(patsubst $(KIT)/tests/tools/%.c,$(OUT)/%,$(SOURCES))
SHIMS := $(patsubst $(KIT)/tests/tools/%-preload.c,$(OUT)/%.so,$(PRELOADS))
COMPILED_ONLY := $(notdir $(basename $(shell grep -lF 'Handout: compiled only' $(SOURCES) /dev/null)))
ARCH := $(shell uname -m)
PREBUILT := $(KIT)/tests/tools/prebuilt
PREBUILT_NAMES := $(filter-out $(notdir $(TOOLS)),$(sort $(notdir $(wildcard $(PREBUILT)/*/*))))
PREBUILT_HERE := $(filter $(notdir $(wildcard $(PREBUILT)/$(ARCH)/*)),$(PREBUILT_NAMES))
PREBUILT_ELSEWHERE := $(filter-out $(PREBUILT_HERE),$(PREBUILT_NAMES))
LIBKIT := $(OBJ)/libkit.a
LIBKIT_OBJS := $(patsubst $(KIT)/common/%.c,$(OBJ)/common/%.o,$(wildcard $(KIT)/common/*.c))
jansson_of = $(if $(shell grep -l '<jansson.h>' $1),$(shell pkg-config --cflags --libs jansson 2>/dev/null || echo -ljansson))

all: $(TOOLS) $(SHIMS) $(addprefix $(OUT)/,$(PREBUILT_NAMES))

$(OUT)/%.so: $(KIT)/tests/tools/%-preload.c
	@mkdir -p $(@D)
	$(CC) -Wall -Wextra -O2 -g -shared -fPIC -o $@ $< -ldl

$(OBJ)/common/%.o: $(KIT)/common/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBKIT): $(LIBKIT_OBJS)
	$(AR) rcs $@ $^

$(OBJ)/%.o: $(KIT)/tests/tools/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(TOOLS): $(OUT)/%: $(OBJ)/%.o $(LIBKIT)
	$(CC) $(CFLAGS) -o $@ $< $(LIBKIT) $(call jansson_of,$(KIT)/tests/tools/$*.c) -lm

# ---- prebuilt tools (the student handout) ----

# Static and stripped: no shared library needed, whatever the C library of the machine it
# runs on, and no symbol names. (glibc warns that getaddrinfo() in a static program needs
# its own version's NSS modules to look names up: the tests give the tools numeric
# addresses only, which need none.)
ifdef PREBUILT_OUT
prebuilt: $(addprefix $(PREBUILT_OUT)/,$(COMPILED_ONLY))

$(PREBUILT_OUT)/%: $(OBJ)/%.o $(LIBKIT)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -static -s -o $@ $< $(LIBKIT) $(if $(call jansson_of,$(KIT)/tests/tools/$*.c),$(shell pkg-config --static --libs jansson 2>/dev/null || echo -ljansson)) -lm
else
prebuilt:
	@echo "tools.mk prebuilt: say where: PREBUILT_OUT=DIR" >&2; exit 2
endif

$(addprefix $(OUT)/,$(PREBUILT_HERE)): $(OUT)/%: $(PREBUILT)/$(ARCH)/%
	@mkdir -p $(@D)
	cp $< $@
	chmod +x $@

# No binary for this architecture: the tests that need the tool fail, saying why, and the
# others still run.
$(addprefix $(OUT)/,$(PREBUILT_ELSEWHERE)): $(OUT)/%:
	@mkdir -p $(@D)
	@echo "tools: $* comes prebuilt for $(notdir $(patsubst %/,%,$(dir $(wildcard $(PREBUILT)/*/$*)))) only, and this machine is $(ARCH): the tests that use $* will fail. A handout made (make handout) on a machine whose architecture is $(ARCH) has one." >&2
	@printf '#!/bin/sh\necho "%s: this copy of the kit has %s prebuilt for %s only, and this machine is %s: ask for a handout made on a machine whose architecture is %s" >&2\nexit 127\n' \
	  '$*' '$*' '$(notdir $(patsubst %/,%,$(dir $(wildcard $(PREBUILT)/*/$*))))' '$(ARCH)' '$(ARCH)' >$@
	@chmod +x $@

-include $(LIBKIT_OBJS:.o=.d) $(patsubst $(OUT)/%,$(OBJ)/%.d,$(TOOLS))

.PHONY: all prebuilt
.DELETE_ON_ERROR:
