# build.mk - compiles one tree of lesson programs: solutions/, lessons/ or a submission.
#
#   make -f tests/build.mk SRC=DIR OUT=DIR [LESSON="NN-name ..."] [CC=...] [EXTRA_CFLAGS=...]
#                          [LIBKIT_PREBUILT=FILE]
#
# A tree holds lesson folders NN-name/. In each, every .c file that defines main() is a
# program (OUT/NN-name/PROGRAM); the lesson's other .c files are modules linked into each of
# its programs, with the kit's helper library (common/, built once per tree into
# OUT/.obj/common/libkit.a, or FILE, one built so before: the grader builds it once, with
# these flags, for all its gradings). A lesson whose sources include <jansson.h> links jansson.
# Objects and their header dependencies (-MMD -MP) live under OUT/.obj/.
KIT := $(patsubst %/tests/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
SRC ?= $(KIT)/solutions
OUT ?= $(KIT)/build/solutions
LESSON ?= $(notdir $(patsubst %/,%,$(sort $(dir $(wildcard $(SRC)/[0-9][0-9]-*/*.c)))))

CC ?= cc
CFLAGS ?= -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -O2 -g
EXTRA_CFLAGS ?=
CPPFLAGS := -I$(KIT)/common -MMD -MP
JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
JANSSON_LIBS := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
OBJ := $(OUT)/.obj

# The helper library.
LIBKIT_PREBUILT ?=
LIBKIT := $(or $(LIBKIT_PREBUILT),$(OBJ)/common/libkit.a)
LIBKIT_OBJS := $(patsubst $(KIT)/common/%.c,$(OBJ)/common/%.o,$(wildcard $(KIT)/common/*.c))

# A lesson's sources: which define main() (programs), which do not (modules).
sources_of = $(wildcard $(SRC)/$1/*.c)
MAIN_RE := '^int[[:space:]]+main[[:space:]]*[(]'
mains_of = $(if $(call sources_of,$1),$(shell grep -lE $(MAIN_RE) $(call sources_of,$1)))
programs_of = $(patsubst $(SRC)/%.c,$(OUT)/%,$(call mains_of,$1))
modules_of = $(patsubst $(SRC)/%.c,$(OBJ)/%.o,$(filter-out $(call mains_of,$1),$(call sources_of,$1)))
libs_of = $(if $(shell grep -ls '<jansson.h>' $(SRC)/$1/*.c $(SRC)/$1/*.h 2>/dev/null),$(JANSSON_LIBS))

PROGRAMS := $(foreach l,$(LESSON),$(call programs_of,$l))

all: $(PROGRAMS)

$(OBJ)/common/%.o: $(KIT)/common/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) -c -o $@ $<

ifeq ($(LIBKIT_PREBUILT),)
$(LIBKIT): $(LIBKIT_OBJS)
	$(AR) rcs $@ $^
endif

$(OBJ)/%.o: $(SRC)/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(JANSSON_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) -c -o $@ $<

# OUT/NN-name/PROGRAM: its own object, the lesson's modules, the library.
.SECONDEXPANSION:
$(PROGRAMS): $(OUT)/%: $(OBJ)/%.o $$(call modules_of,$$(*D)) $(LIBKIT)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -o $@ $(filter %.o,$^) $(LIBKIT) $(call libs_of,$(*D))

-include $(if $(LIBKIT_PREBUILT),,$(LIBKIT_OBJS:.o=.d)) $(patsubst $(OUT)/%,$(OBJ)/%.d,$(PROGRAMS)) \
	$(foreach l,$(LESSON),$(patsubst %.o,%.d,$(call modules_of,$l)))

.PHONY: all
.DELETE_ON_ERROR:
