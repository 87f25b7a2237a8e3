/* net.env reader (see smsr_netenv.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "network/smsr/smsr_netenv.h"

int smsr_netenv_get(const char *path, const char *key, char *out, size_t cap)
{
	char line[1024];
	size_t klen = key ? strlen(key) : 0;
	int rc = -ENOENT;
	FILE *f;

	if (!path || !klen || !out || !cap)
		return -EINVAL;
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		if (n && line[n - 1] != '\n' && !feof(f)) {
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n') /* overlong line: skip the rest */
				;
			continue;
		}
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n <= klen || strncmp(line, key, klen) || line[klen] != '=')
			continue;
		if (n - klen - 1 >= cap) {
			rc = -EMSGSIZE;
			break;
		}
		memcpy(out, line + klen + 1, n - klen);
		rc = 0; /* the last occurrence wins, as in a shell */
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return rc;
}
