/* The shared CUnit runner and the helpers every rsplab test uses.
 *
 * A test file `foo_test.c` defines `void test_<name>(void)` functions and, optionally,
 * `int suite_setup(void)` / `int suite_teardown(void)`. scripts/gen-test-registry finds them by
 * name and writes the registry below; nobody keeps a list by hand. The runner (runner.c) provides
 * main(): `-s SUITE -t TEST` selection, CUnit's verbose basic console output, a JUnit XML file under
 * reports/out/junit/, and exit status 1 when any assertion or suite set-up failed (never the count). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <CUnit/CUnit.h>

/* One test binary = one suite = one *_test.c file. Written by scripts/gen-test-registry. */
struct test_registry {
	const char *suite;  /* the file's stem, e.g. "bertlv" */
	const char *source; /* the test file, e.g. "lib/tlv/bertlv_test.c" */
	CU_InitializeFunc setup;
	CU_CleanupFunc teardown;
	const CU_TestInfo *tests; /* terminated by CU_TEST_INFO_NULL */
};
extern const struct test_registry test_registry;

/* Parse a hex string (whitespace allowed between bytes) into a new heap buffer of exactly the
 * decoded length, so ASan catches any read past it. Aborts on malformed hex: the vectors are ours,
 * a typo there is a programmer error. The buffer is freed with free(). */
uint8_t *test_unhex(const char *hex, size_t *len);

/* Assert that two byte strings are equal; on mismatch both are printed in hex. */
void test_assert_mem_eq(const void *got, size_t got_len, const void *want, size_t want_len, const char *expr,
			const char *file, unsigned int line, const char *func);
#define TEST_ASSERT_MEM_EQ(got, got_len, want, want_len) \
	test_assert_mem_eq(got, got_len, want, want_len, #got " == " #want, __FILE__, __LINE__, __func__)

/* Assert a buffer equals a hex string (the usual form of a published vector). */
void test_assert_hex_eq(const void *got, size_t got_len, const char *want_hex, const char *expr, const char *file,
			unsigned int line, const char *func);
#define TEST_ASSERT_HEX_EQ(got, got_len, want_hex) \
	test_assert_hex_eq(got, got_len, want_hex, #got " == " #want_hex, __FILE__, __LINE__, __func__)

/* A decoder under test: returns >= 0 on success, a negative errno when the input is rejected. */
typedef int (*test_decode_fn)(const uint8_t *buf, size_t len, void *priv);

/* Feed every proper prefix of buf (each in its own exact-size heap copy) to decode; each must be
 * rejected with a negative value. Returns the number of prefixes that were wrongly accepted, and
 * records one CUnit failure naming the first such length. Use where the format has no valid prefix. */
unsigned int test_truncations_rejected(const uint8_t *buf, size_t len, test_decode_fn decode, void *priv,
				       const char *file, unsigned int line);
#define TEST_TRUNCATIONS_REJECTED(buf, len, decode, priv) \
	test_truncations_rejected(buf, len, decode, priv, __FILE__, __LINE__)

/* Feed every proper prefix to decode without judging the result: for formats where a prefix may be
 * valid. Under ASan this proves no read past the end. Returns how many prefixes were accepted. */
unsigned int test_truncations_run(const uint8_t *buf, size_t len, test_decode_fn decode, void *priv);

/* Set each byte of buf to each of the 256 values in turn (in an exact-size heap copy) and call
 * decode: the GSUP-test mutation pass. It only asserts that nothing crashes (ASan/UBSan do the
 * judging); returns how many mutants were accepted, so a test can check the decoder is not vacuous. */
unsigned long test_mutations_run(const uint8_t *buf, size_t len, test_decode_fn decode, void *priv);

/* Run a command handler fn(argc, argv) — argv NULL-terminated, as rsplab's sub-commands take it —
 * with stdout and stderr captured through temporary files, so any amount of output is safe. out and
 * err (either may be NULL) receive the text, NUL-terminated and truncated to their capacity.
 * Returns fn's exit status. */
int test_run_captured(int (*fn)(int, char **), char **argv, char *out, size_t out_cap, char *err, size_t err_cap);

/* A whole file as a NUL-terminated heap string (free() it); *len (may be NULL) gets its length.
 * NULL if it cannot be read. */
char *test_slurp(const char *path, size_t *len);

/* The logging of a test binary on libosmocore: osmo_init_logging2(ctx, info), then stderr without file
 * names, hex categories, colour or timestamps but with the level name (style.md §13.6: test output
 * carries no timestamps, colour or addresses), at log level `level` (LOGL_*). Fake time, if any, stays
 * with the caller. */
struct log_info;
void test_osmo_log_init(void *ctx, const struct log_info *info, int level);

/* Child processes of the integration tests (real daemons), every wait bounded:
 * test_spawn: fork + exec argv[0] (a path), stdout to out (NULL: to log), stderr appended to log (0600),
 * LD_PRELOAD=preload when not NULL; the PID, or -1. test_wait_pid: its exit status (128+signal when
 * killed) within timeout_ms, -ETIMEDOUT or -errno. test_stop_pid: SIGTERM, SIGKILL after 3 s; how it
 * ended, 0 when *pid was not running; *pid = 0. test_now_ms: a monotonic clock in ms. */
long long test_now_ms(void);
/* The build directory this test binary belongs to (<build>/<dir>/<test>: the first directory above it that
 * holds bin/ and lib/librsplab.a), resolved; its bin/ holds the programs, its parent is the source tree.
 * 0, or -ENOENT. */
int test_build_dir(char *out, size_t cap);
int test_spawn(const char *const *argv, const char *log, const char *out, const char *preload);
int test_wait_pid(int pid, int timeout_ms);
int test_stop_pid(int *pid);
