# rsplab — non-recursive GNU Makefile.
#
# Sources are found by pattern, never listed:
#   lib/**.c                      -> build/lib/librsplab.a (protocol and crypto knowledge)
#   <component>/**.c              -> build/<component>/lib<name>.a + build/bin/<binary> (from main.c)
#   **/*_test.c                   -> one CUnit test binary each (registry generated from test_* names)
#   **/fuzz_*.c                   -> a corpus-replay binary (make check) and a libFuzzer binary (make fuzz)
#   **/*_bench.c                  -> one benchmark binary each (make bench)
# Build output goes to $(BUILDDIR) (default build/); `make asan` uses build-asan/, `make fuzz` build-fuzz/.

BUILDDIR ?= build
FUZZ_SECONDS ?= 60
JUNIT_DIR ?= reports/out/junit

# component directory -> binary name
COMPONENTS := harness:rsplab sims/euicc:rsplab-euicc sims/device:rsplab-device \
	network/smsr:rsplab-smsr network/smdp:rsplab-smdp

PKGS := libosmocore libosmogsm libosmovty libosmoctrl libosmosim libssl libcrypto libxml-2.0 sqlite3 \
	libpcap talloc libsmpp34 cunit libosmo-sigtran libpcsclite

# pkg-config runs once, lazily: `make check` installs the packages before the sub-make needs these.
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(shell pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS = $(eval PKG_LIBS := $$(shell pkg-config --libs $(PKGS)) -lhttp_parser)$(PKG_LIBS)

# -std=c11 as required; libosmocore's list macros use the GNU `typeof` keyword, which strict C11
# spells __typeof__.
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Dtypeof=__typeof__ $(WARN) $(CFLAGS) $(SAN_FLAGS) -I. $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = -Wl,--as-needed $(LDFLAGS) $(SAN_FLAGS)
LIBS = $(PKG_LIBS) -lm

ifeq ($(SANITIZE),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
ifeq ($(FUZZ),1)
SAN_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif

find_c = $(shell find $(1) -name '*.c' 2>/dev/null | LC_ALL=C sort)
not_special = $(filter-out %_test.c %_bench.c %/main.c,$(foreach f,$(1),$(if $(findstring /fuzz_,$(f)),,$(f))))

SRC_DIRS := lib harness sims network
ALL_C := $(call find_c,$(SRC_DIRS))
TEST_SRCS := $(filter %_test.c,$(ALL_C))
FUZZ_SRCS := $(foreach f,$(ALL_C),$(if $(findstring /fuzz_,$(f)),$(f)))
BENCH_SRCS := $(filter %_bench.c,$(ALL_C))

LIB_SRCS := $(call not_special,$(filter-out lib/test/%,$(filter lib/%,$(ALL_C))))
LIB_A := $(BUILDDIR)/lib/librsplab.a
RUNNER_OBJS := $(BUILDDIR)/lib/test/runner.o $(BUILDDIR)/lib/test/helpers.o
REPLAY_OBJ := $(BUILDDIR)/lib/test/replay_main.o

obj = $(patsubst %.c,$(BUILDDIR)/%.o,$(1))

# --- components: an archive of everything but main.c, and the binary -------------------------------
comp_dir = $(word 1,$(subst :, ,$(1)))
comp_bin = $(word 2,$(subst :, ,$(1)))
comp_a = $(BUILDDIR)/$(1)/lib$(notdir $(1)).a
# The archives a source file under $(1) links against: its component's, then lib's.
deps_of = $(strip $(foreach c,$(COMPONENTS),$(if $(filter $(call comp_dir,$(c))/%,$(1)),$(call comp_a,$(call comp_dir,$(c))))) $(LIB_A))

BINS :=
define COMPONENT_RULES
$(call comp_dir,$(1))_SRCS := $$(call not_special,$$(filter $(call comp_dir,$(1))/%,$$(ALL_C)))
$(call comp_a,$(call comp_dir,$(1))): $$(call obj,$$($(call comp_dir,$(1))_SRCS))
	@mkdir -p $$(@D)
	rm -f $$@ && $$(AR) rcs $$@ $$^
ifneq ($$(wildcard $(call comp_dir,$(1))/main.c),)
BINS += $(BUILDDIR)/bin/$(call comp_bin,$(1))
$(BUILDDIR)/bin/$(call comp_bin,$(1)): $(BUILDDIR)/$(call comp_dir,$(1))/main.o $(call comp_a,$(call comp_dir,$(1))) $(LIB_A)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LIBS)
endif
endef
$(foreach c,$(COMPONENTS),$(eval $(call COMPONENT_RULES,$(c))))

# --- tests, fuzz replays, benchmarks ---------------------------------------------------------------
TEST_BINS := $(patsubst %.c,$(BUILDDIR)/%,$(TEST_SRCS))
REPLAY_BINS := $(patsubst %.c,$(BUILDDIR)/%-replay,$(FUZZ_SRCS))
FUZZ_BINS := $(patsubst %.c,$(BUILDDIR)/%,$(FUZZ_SRCS))
BENCH_BINS := $(patsubst %.c,$(BUILDDIR)/%,$(BENCH_SRCS))

define TEST_RULES
$(BUILDDIR)/$(1:.c=)-registry.c: $(1) scripts/gen-test-registry
	@mkdir -p $$(@D)
	scripts/gen-test-registry $$< > $$@.tmp && mv $$@.tmp $$@
$(BUILDDIR)/$(1:.c=): $(call obj,$(1)) $(BUILDDIR)/$(1:.c=)-registry.o $(RUNNER_OBJS) $(call deps_of,$(1))
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach t,$(TEST_SRCS),$(eval $(call TEST_RULES,$(t))))

define FUZZ_RULES
$(BUILDDIR)/$(1:.c=)-replay: $(call obj,$(1)) $(REPLAY_OBJ) $(call deps_of,$(1))
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LIBS)
$(BUILDDIR)/$(1:.c=): $(call obj,$(1)) $(call deps_of,$(1))
	$$(CC) $$(ALL_LDFLAGS) -fsanitize=fuzzer -o $$@ $$^ $$(LIBS)
endef
$(foreach f,$(FUZZ_SRCS),$(eval $(call FUZZ_RULES,$(f))))

define BENCH_RULES
$(BUILDDIR)/$(1:.c=): $(call obj,$(1)) $(call deps_of,$(1))
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach b,$(BENCH_SRCS),$(eval $(call BENCH_RULES,$(b))))

$(LIB_A): $(call obj,$(LIB_SRCS))
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILDDIR)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Generated registries include lib/test/runner.h relative to the top.
$(BUILDDIR)/%-registry.o: $(BUILDDIR)/%-registry.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# --- user-facing targets -------------------------------------------------------------------------
.PHONY: all setup build tests fuzz-bins check check-unit check-fuzz-replay check-integration asan fuzz bench \
	run format format-check clean
.DEFAULT_GOAL := all

# The SCTP-over-TCP LD_PRELOAD shim for osmo-stp/osmo-msc (network/sctpshim/): a shared object of its
# own, without sanitizers (it is preloaded into Debian's binaries), never part of librsplab.a.
SHIM_SO := $(BUILDDIR)/network/sctpshim/sctp2tcp.so
$(SHIM_SO): network/sctpshim/sctp2tcp.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -g -fPIC -shared -o $@ $< -ldl

all: $(LIB_A) $(BINS) $(SHIM_SO)

# Installs only what is missing; a no-op (one dpkg query) on a ready machine.
setup:
	@scripts/setup

tests: all $(TEST_BINS) $(REPLAY_BINS)

# Build jobs for the sub-makes of check/asan: the build, not the tests, is most of a CI run.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# setup first, in its own step, so pkg-config finds the libraries when the sub-make parses.
check: setup
	@$(MAKE) --no-print-directory -j$(JOBS) tests
	@$(MAKE) --no-print-directory check-unit check-fuzz-replay check-integration

check-unit: $(TEST_BINS)
	@scripts/run-tests --junit-dir $(JUNIT_DIR) $(TEST_BINS)

check-fuzz-replay: $(REPLAY_BINS)
	@scripts/replay-corpora $(BUILDDIR) $(FUZZ_SRCS)

# The scenario suites the testbed passes end to end through the real components (rsplab run; root only).
check-integration: $(BUILDDIR)/bin/rsplab
	@scripts/check-integration $(BUILDDIR) es1 es2 smsr-change download

# Same tests with AddressSanitizer + UndefinedBehaviorSanitizer; any report fails the run.
asan: setup
	@$(MAKE) --no-print-directory -j$(JOBS) BUILDDIR=build-asan CC=clang SANITIZE=1 tests
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(MAKE) --no-print-directory BUILDDIR=build-asan CC=clang SANITIZE=1 check-unit check-fuzz-replay

fuzz: setup
	@$(MAKE) --no-print-directory BUILDDIR=build-fuzz CC=clang FUZZ=1 fuzz-bins
	@scripts/run-fuzzers build-fuzz $(FUZZ_SECONDS) $(FUZZ_SRCS)

# Goals named here are expanded in the sub-make, with its own BUILDDIR.
fuzz-bins: $(FUZZ_BINS)

bench: setup
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@if [ -z "$(BENCH_BINS)" ]; then echo "bench: no benchmarks yet"; fi
	@set -e; for b in $(BENCH_BINS); do echo "== $$b"; $$b; done

# The main job: the flagship MNO1->MNO2 switchover and its report.
run: setup
	@$(MAKE) --no-print-directory all
	$(BUILDDIR)/bin/rsplab run flagship

# Tracked and new (untracked, not ignored) sources: a new file is formatted before its first commit.
FORMAT_FILES = $(shell git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format-check: $(words $(FORMAT_FILES)) files clean"

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILDDIR) -name '*.d' 2>/dev/null)
