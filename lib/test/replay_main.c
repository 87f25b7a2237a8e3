/* main() for replaying a libFuzzer corpus without libFuzzer, so gcc builds and `make check` run
 * every fuzz target over its committed corpus (the libpcap onefile.c idea).
 *
 * usage: fuzz_X FILE|DIR...   Each file is passed once to LLVMFuzzerTestOneInput in an exact-size
 * heap copy. Exits 1 when an argument cannot be read or when no input at all was found: a fuzz
 * target without a corpus is a defect, not a pass. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define REPLAY_MAX_INPUT (1 << 20)

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long size;
	int rc = -1;

	if (!f) {
		fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || size > REPLAY_MAX_INPUT ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "fuzz-replay: %s: unreadable or larger than %d bytes\n", path, REPLAY_MAX_INPUT);
		fclose(f);
		return -1;
	}
	buf = malloc(size ? (size_t)size : 1);
	if (buf && fread(buf, 1, (size_t)size, f) == (size_t)size) {
		LLVMFuzzerTestOneInput(buf, (size_t)size);
		rc = 0;
	} else {
		fprintf(stderr, "fuzz-replay: %s: read failed\n", path);
	}
	free(buf);
	fclose(f);
	return rc;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Returns the number of inputs replayed, or -1 on an unreadable path. */
static long replay_path(const char *path)
{
	struct dirent **names;
	struct stat st;
	long count = 0;
	int n;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path) == 0 ? 1 : -1;

	n = scandir(path, &names, NULL, cmp_names); /* sorted, so runs are reproducible */
	if (n < 0) {
		fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char child[4096];

		if (names[i]->d_name[0] != '.' && count >= 0) {
			snprintf(child, sizeof(child), "%s/%s", path, names[i]->d_name);
			long r = replay_path(child);
			count = r < 0 ? -1 : count + r;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

int main(int argc, char **argv)
{
	long total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		long r = replay_path(argv[i]);

		if (r < 0)
			return 1;
		total += r;
	}
	if (total == 0) {
		fprintf(stderr, "fuzz-replay: %s: no inputs found\n", argv[0]);
		return 1;
	}
	printf("fuzz-replay: %s: %ld inputs replayed, no crash\n", argv[0], total);
	return 0;
}
