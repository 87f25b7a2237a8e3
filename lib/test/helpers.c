/* Test helpers shared by every test binary (see runner.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>

#include "lib/test/runner.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

uint8_t *test_unhex(const char *hex, size_t *len)
{
	size_t n = 0, cap = strlen(hex) / 2 + 1;
	uint8_t *out = malloc(cap);

	if (!out)
		abort();
	for (const char *p = hex; *p;) {
		int hi, lo;

		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		hi = hexval(p[0]);
		lo = p[1] ? hexval(p[1]) : -1;
		if (hi < 0 || lo < 0) {
			fprintf(stderr, "test_unhex: malformed hex vector at \"%.16s\"\n", p);
			abort();
		}
		out[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	/* Shrink to the exact size: a decoder reading one byte too far must hit ASan's redzone. */
	if (n == 0) {
		*len = 0;
		return out;
	}
	out = realloc(out, n);
	if (!out)
		abort();
	*len = n;
	return out;
}

/* A length this large is a negative return value cast to size_t, not a buffer: print nothing of it. */
#define PRINT_MAX_LEN ((size_t)1 << 24)
#define PRINT_MAX     256

static void print_hex(const char *label, const uint8_t *b, size_t len)
{
	if (len > PRINT_MAX_LEN) {
		printf("\n      %s: invalid length %zd (a negative return value?)", label, (ssize_t)len);
		return;
	}
	printf("\n      %s (%zu):", label, len);
	for (size_t i = 0; i < len && i < PRINT_MAX; i++)
		printf("%s%02x", i % 32 ? "" : "\n        ", b[i]);
	if (len > PRINT_MAX)
		printf("\n        ... %zu more bytes", len - PRINT_MAX);
}

void test_assert_mem_eq(const void *got, size_t got_len, const void *want, size_t want_len, const char *expr,
			const char *file, unsigned int line, const char *func)
{
	int equal = got_len == want_len && got_len <= PRINT_MAX_LEN &&
		    (got_len == 0 || memcmp(got, want, got_len) == 0);

	if (!equal) {
		print_hex("got ", got, got_len);
		print_hex("want", want, want_len);
		printf("\n");
	}
	CU_assertImplementation(equal, line, expr, file, func, CU_FALSE);
}

void test_assert_hex_eq(const void *got, size_t got_len, const char *want_hex, const char *expr, const char *file,
			unsigned int line, const char *func)
{
	size_t want_len;
	uint8_t *want = test_unhex(want_hex, &want_len);

	test_assert_mem_eq(got, got_len, want, want_len, expr, file, line, func);
	free(want);
}

static uint8_t *dup_exact(const uint8_t *buf, size_t len)
{
	/* malloc(0) may return NULL; allocate one byte but pass len 0, ASan still guards it. */
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		abort();
	if (len)
		memcpy(copy, buf, len);
	return copy;
}

unsigned int test_truncations_rejected(const uint8_t *buf, size_t len, test_decode_fn decode, void *priv,
				       const char *file, unsigned int line)
{
	unsigned int accepted = 0;
	size_t first_bad = 0;

	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = dup_exact(buf, n);

		if (decode(copy, n, priv) >= 0 && accepted++ == 0)
			first_bad = n;
		free(copy);
	}
	if (accepted) {
		char msg[128];

		snprintf(msg, sizeof(msg), "%u truncated inputs accepted, the first of length %zu of %zu", accepted,
			 first_bad, len);
		CU_assertImplementation(CU_FALSE, line, msg, file, "", CU_FALSE);
	}
	return accepted;
}

unsigned int test_truncations_run(const uint8_t *buf, size_t len, test_decode_fn decode, void *priv)
{
	unsigned int accepted = 0;

	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = dup_exact(buf, n);

		if (decode(copy, n, priv) >= 0)
			accepted++;
		free(copy);
	}
	return accepted;
}

unsigned long test_mutations_run(const uint8_t *buf, size_t len, test_decode_fn decode, void *priv)
{
	unsigned long accepted = 0;
	uint8_t *copy = dup_exact(buf, len);

	for (size_t i = 0; i < len; i++) {
		for (unsigned int v = 0; v < 256; v++) {
			copy[i] = (uint8_t)v;
			if (decode(copy, len, priv) >= 0)
				accepted++;
		}
		copy[i] = buf[i];
	}
	free(copy);
	return accepted;
}

static void slurp_into(FILE *f, char *buf, size_t cap)
{
	size_t n = 0;

	if (!buf || cap == 0)
		return;
	rewind(f);
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
}

int test_run_captured(int (*fn)(int, char **), char **argv, char *out, size_t out_cap, char *err, size_t err_cap)
{
	FILE *o = tmpfile(), *e = tmpfile();
	int argc = 0, saved_o, saved_e, rc;

	if (!o || !e)
		abort(); /* no temporary file: the test cannot run at all */
	while (argv[argc])
		argc++;
	fflush(stdout);
	fflush(stderr);
	saved_o = dup(STDOUT_FILENO);
	saved_e = dup(STDERR_FILENO);
	dup2(fileno(o), STDOUT_FILENO);
	dup2(fileno(e), STDERR_FILENO);
	rc = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_o, STDOUT_FILENO);
	dup2(saved_e, STDERR_FILENO);
	close(saved_o);
	close(saved_e);
	slurp_into(o, out, out_cap);
	slurp_into(e, err, err_cap);
	fclose(o);
	fclose(e);
	return rc;
}

char *test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = '\0';
			if (len)
				*len = (size_t)n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

long long test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int test_spawn(const char *const *argv, const char *log, const char *out, const char *preload)
{
	pid_t pid = fork();

	if (pid != 0)
		return (int)pid;
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	int fo = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : fd;

	if (fd >= 0)
		dup2(fd, 2);
	if (fo >= 0)
		dup2(fo, 1);
	if (preload)
		setenv("LD_PRELOAD", preload, 1);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

int test_wait_pid(int pid, int timeout_ms)
{
	long long deadline = test_now_ms() + timeout_ms;
	int status;

	for (;;) {
		pid_t r = waitpid((pid_t)pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0)
			return -errno;
		if (test_now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(10000);
	}
}

int test_stop_pid(int *pid)
{
	int rc;

	if (*pid <= 0)
		return 0;
	kill((pid_t)*pid, SIGTERM);
	rc = test_wait_pid(*pid, 3000);
	if (rc == -ETIMEDOUT) {
		printf("  pid %d ignored SIGTERM for 3 s: SIGKILL\n", *pid);
		kill((pid_t)*pid, SIGKILL);
		rc = test_wait_pid(*pid, 3000);
	}
	*pid = 0;
	return rc;
}

void test_osmo_log_init(void *ctx, const struct log_info *info, int level)
{
	osmo_init_logging2(ctx, info);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	log_set_print_category_hex(osmo_stderr_target, 0);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_use_color(osmo_stderr_target, 0);
	log_set_print_timestamp(osmo_stderr_target, 0);
	log_set_log_level(osmo_stderr_target, level);
}

int test_build_dir(char *out, size_t cap)
{
	char dir[PATH_MAX], probe[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	char *slash;

	if (n < 0)
		return -ENOENT;
	dir[n] = '\0';
	while ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		snprintf(probe, sizeof(probe), "%s/lib/librsplab.a", dir);
		if (access(probe, F_OK) == 0) {
			snprintf(probe, sizeof(probe), "%s/bin", dir);
			if (access(probe, F_OK) == 0 && strlen(dir) < cap) {
				snprintf(out, cap, "%s", dir);
				return 0;
			}
		}
	}
	return -ENOENT;
}
