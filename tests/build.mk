# build.mk - compiles one tree of lesson programs: solutions/, lessons/ or a submission.
#
#   make -f tests/build.mk SRC=DIR OUT=DIR [LESSON=NN-name] [CC=...] [EXTRA_CFLAGS=...]
#
# A tree holds lesson folders NN-name/. In each, every *-server.c and *-client.c is a
# program; the other .c files are modules linked into each program of that lesson, with the
# kit's common/ library. A lesson whose sources include <jansson.h> links jansson.
KIT := $(patsubst %/tests/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
SRC ?= $(KIT)/solutions
OUT ?= $(KIT)/build/solutions
LESSON ?= $(notdir $(patsubst %/,%,$(sort $(dir $(wildcard $(SRC)/[0-9][0-9]-*/*.c)))))

CC ?= cc
CFLAGS ?= -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -O2 -g
EXTRA_CFLAGS ?=
COMMON_SRC := $(wildcard $(KIT)/common/*.c)
COMMON_HDR := $(wildcard $(KIT)/common/*.h)
JANSSON_CFLAGS = $(shell pkg-config --cflags jansson 2>/dev/null)
JANSSON_LIBS = $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)

programs_of = $(patsubst $(SRC)/%.c,$(OUT)/%,$(wildcard $(SRC)/$1/*-server.c $(SRC)/$1/*-client.c))
modules_of = $(filter-out %-server.c %-client.c,$(wildcard $(SRC)/$1/*.c))
uses_jansson = $(shell grep -ls '<jansson.h>' $(SRC)/$1/*.c $(SRC)/$1/*.h 2>/dev/null)

all: $(foreach l,$(LESSON),$(call programs_of,$l))

define lesson_rules
$(OUT)/$1/%: $(SRC)/$1/%.c $(call modules_of,$1) $(wildcard $(SRC)/$1/*.h) $(COMMON_SRC) $(COMMON_HDR)
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$(EXTRA_CFLAGS) -I$(KIT)/common -I$(SRC)/$1 \
		$(if $(call uses_jansson,$1),$$(JANSSON_CFLAGS)) -o $$@ $$< \
		$(call modules_of,$1) $(COMMON_SRC) $(if $(call uses_jansson,$1),$$(JANSSON_LIBS))
endef
$(foreach l,$(LESSON),$(eval $(call lesson_rules,$l)))

.PHONY: all
