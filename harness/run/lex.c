/* Line lexer for the harness's text formats (see lex.h). */
#include <errno.h>
#include <string.h>

#include "harness/run/lex.h"

void lex_init(struct lex *lx, const char *text, size_t len)
{
	lx->text = text;
	lx->len = len;
	lx->pos = 0;
	lx->lineno = 0;
}

/* l->raw holds the line: find the words, cut the comment, fill buf/word/rest1. */
static int lex_split(struct lex_line *l)
{
	size_t i = 0, n = strlen(l->raw), end = 0;

	l->nwords = 0;
	l->rest1 = "";
	for (;;) {
		size_t ws;
		while (i < n && (l->raw[i] == ' ' || l->raw[i] == '\t'))
			i++;
		if (i == n || l->raw[i] == '#')
			break;
		if (l->nwords == LEX_WORDS_MAX)
			return -E2BIG;
		ws = i;
		while (i < n && l->raw[i] != ' ' && l->raw[i] != '\t')
			i++;
		memcpy(l->buf + ws, l->raw + ws, i - ws);
		l->buf[i] = '\0';
		l->word[l->nwords] = l->buf + ws;
		if (l->nwords == 1)
			l->rest1 = l->raw + ws;
		l->nwords++;
		end = i;
	}
	l->raw[end] = '\0';
	return l->nwords ? 1 : 0;
}

int lex_next(struct lex *lx, struct lex_line *l)
{
	while (lx->pos < lx->len) {
		const char *start = lx->text + lx->pos;
		const char *nl = memchr(start, '\n', lx->len - lx->pos);
		size_t n = nl ? (size_t)(nl - start) : lx->len - lx->pos;
		int rc;

		lx->pos += n + (nl ? 1 : 0);
		lx->lineno++;
		if (n && start[n - 1] == '\r')
			n--;
		if (n >= LEX_LINE_MAX)
			return -EMSGSIZE;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)start[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return -EBADMSG;
		}
		memcpy(l->raw, start, n);
		l->raw[n] = '\0';
		rc = lex_split(l);
		if (rc != 0)
			return rc;
	}
	return 0;
}

bool lex_kv(char *word, char **val)
{
	char *eq = strchr(word, '=');

	if (!eq || eq == word)
		return false;
	*eq = '\0';
	*val = eq + 1;
	return true;
}

int lex_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 10)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int lex_duration_ms(const char *s, unsigned int *ms)
{
	static const struct {
		const char *unit;
		unsigned long mul;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 } };
	size_t len = strlen(s), digits = strspn(s, "0123456789");
	char num[12];
	unsigned long v;

	if (!digits || digits > 8)
		return -EINVAL;
	memcpy(num, s, digits);
	num[digits] = '\0';
	if (lex_uint(num, 0, 99999999, &v) < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s + digits, units[i].unit) == 0 && len > digits) {
			if (v * units[i].mul > 24UL * 3600 * 1000)
				return -EINVAL;
			*ms = (unsigned int)(v * units[i].mul);
			return 0;
		}
	}
	return -EINVAL;
}

bool lex_name_valid(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n || n >= max || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}
