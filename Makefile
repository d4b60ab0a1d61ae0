# SPDX-License-Identifier: MIT
# faasd-image: one Makefile for the program, its tests and its data.
#
#   make               build ./faasd-image
#   make image         install what is needed, then build the default profile
#   make check         install what is needed, build the fixtures, run every test
#   make install       PREFIX=/usr/local DESTDIR= (binary, man page, data, completion)

VERSION := 0.1.0
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/faasd-image
MANDIR ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions

CC ?= cc
PKG_CONFIG ?= pkg-config
LIBS_PC := yaml-0.1 libcurl libcrypto libarchive libguestfs zlib

WARNINGS := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
	-Wno-unused-parameter -Wno-missing-field-initializers
BASE_CFLAGS := -std=gnu11 -O2 -g $(WARNINGS) -D_FILE_OFFSET_BITS=64 \
	-DVERSION='"$(VERSION)"' -DDATADIR='"$(DATADIR)"'
# CI builds with warnings as errors.
ifeq ($(CI),true)
WERROR ?= 1
endif
ifeq ($(WERROR),1)
BASE_CFLAGS += -Werror
endif
ifeq ($(SANITIZE),1)
BASE_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BASE_LDFLAGS += -fsanitize=address,undefined
endif

PC_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) 2>/dev/null)
PC_LIBS = $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null)
ALL_CFLAGS = $(BASE_CFLAGS) $(PC_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(BASE_LDFLAGS) $(LDFLAGS)

# libFuzzer targets: clang, coverage instrumentation, ASan and UBSan.
ifeq ($(FUZZ),1)
CC := clang
BASE_CFLAGS += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
BASE_LDFLAGS += -fsanitize=address,undefined
endif

# Objects go under build/, one tree per flavour so that flavours never mix.
BUILD := build/$(if $(filter 1,$(FUZZ)),fuzz,$(if $(filter 1,$(SANITIZE)),sanitize,default))
SRCS := $(wildcard builder/*.c)
OBJS := $(SRCS:builder/%.c=$(BUILD)/%.o)
LIB_OBJS := $(filter-out $(BUILD)/main.o,$(OBJS))
UNIT_SRCS := $(wildcard tests/unit/test-*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

all: faasd-image

# The flavour just built is copied to ./faasd-image (renamed into place, so
# that a running copy is never overwritten), whichever flavour was there.
faasd-image: $(BUILD)/faasd-image FORCE
	@cmp -s $< $@ || { cp $< $@.tmp && mv -f $@.tmp $@; }

FORCE:

$(BUILD)/faasd-image: $(OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LDFLAGS) $(PC_LIBS)

$(BUILD)/%.o: builder/%.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(LIB_OBJS) | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) -Ibuilder -o $@ $< $(LIB_OBJS) $(ALL_LDFLAGS) $(PC_LIBS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_OBJS) | $(BUILD)/fuzz
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -Ibuilder -o $@ $< $(LIB_OBJS) $(ALL_LDFLAGS) $(PC_LIBS)

fuzzers:
	$(MAKE) FUZZ=1 fuzz-bins

fuzz-bins: $(FUZZ_BINS)

$(BUILD) $(BUILD)/tests $(BUILD)/fuzz:
	mkdir -p $@

-include $(OBJS:.o=.d)

# Installs the Debian packages the build, the pipeline and the tests need.
deps:
	sh ci/install-deps.sh

# The test world: artifacts, images and servers built from Debian packages,
# cached under /var/cache/faasd-image-tests (or $FAASD_IMAGE_TEST_CACHE).
fixtures: deps faasd-image
	sh ci/fixtures.sh

unit: $(UNIT_BINS)

# The unit tests once more, built with ASan and UBSan (make check runs them).
unit-sanitize:
	$(MAKE) SANITIZE=1 unit

check: deps faasd-image unit unit-sanitize fuzzers fixtures
	BUILD=$(BUILD) sh tests/run.sh

# One named test: make check-one T=t10-render-schema
check-one: faasd-image unit
	BUILD=$(BUILD) sh tests/run.sh $(T)

# The main job: the default profile. Pins that the lock still lacks are
# filled from the checksum files upstream publishes (existing pins stay).
image: deps faasd-image
	./faasd-image lock --update --missing --profile qemu
	./faasd-image build

# The committed user-data of the shipped user-data profiles.
cloud-config: faasd-image
	sh ci/render-cloud-config.sh

# Each fuzzer for FUZZ_SECONDS (default 60) from its seed corpus.
fuzz: deps fuzzers
	sh tests/fuzz/run.sh $(or $(FUZZ_SECONDS),60)

bench: deps faasd-image fixtures
	sh bench/run.sh

format-check:
	sh ci/check-style.sh

install: faasd-image
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(COMPLETIONDIR)
	install -m 0755 faasd-image $(DESTDIR)$(BINDIR)/faasd-image
	install -m 0644 docs/faasd-image.1 $(DESTDIR)$(MANDIR)/man1/faasd-image.1
	cp -R profiles templates $(DESTDIR)$(DATADIR)/
	./faasd-image completion bash > $(DESTDIR)$(COMPLETIONDIR)/faasd-image

clean:
	rm -rf build faasd-image

.PHONY: FORCE all deps fixtures unit unit-sanitize fuzzers fuzz-bins check check-one image cloud-config fuzz bench format-check \
	install clean
