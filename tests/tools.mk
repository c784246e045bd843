# tools.mk - builds the kit's C test tools into build/tools/.
#
#   make -f tests/tools.mk   (or: make tools)
# Each tests/tools/NAME.c is one tool; it may use common/ (the kit's own library, never the
# code under test), built once into build/tools/.obj/libkit.a. A tool whose source includes
# <jansson.h> links jansson. A tests/tools/NAME-preload.c is a shim for LD_PRELOAD instead:
# build/tools/NAME.so.
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
LIBKIT := $(OBJ)/libkit.a
LIBKIT_OBJS := $(patsubst $(KIT)/common/%.c,$(OBJ)/common/%.o,$(wildcard $(KIT)/common/*.c))
jansson_of = $(if $(shell grep -l '<jansson.h>' $1),$(shell pkg-config --cflags --libs jansson 2>/dev/null || echo -ljansson))

all: $(TOOLS) $(SHIMS)

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

-include $(LIBKIT_OBJS:.o=.d) $(patsubst $(OUT)/%,$(OBJ)/%.d,$(TOOLS))

.PHONY: all
.DELETE_ON_ERROR:
