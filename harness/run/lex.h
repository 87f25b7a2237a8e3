/* Line lexer shared by the topology (topo.h) and scenario (scn.h) parsers: both formats are text,
 * one record a line, words separated by blanks, '#' starting a comment (at the start of a word).
 *
 * Trust: input is UNTRUSTED text (a user's or a vendor's file). No allocation: words point into a
 * caller-owned copy of the line that the lexer NUL-terminates in place. Caps: LEX_LINE_MAX bytes a
 * line, LEX_WORDS_MAX words a line (more is an error, never a silent cut). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define LEX_LINE_MAX  1024
#define LEX_WORDS_MAX 32

struct lex_line {
	char buf[LEX_LINE_MAX]; /* the words, each NUL-terminated */
	char raw[LEX_LINE_MAX]; /* the line without its comment and trailing blanks */
	char *word[LEX_WORDS_MAX];
	size_t nwords;
	const char *rest1; /* the raw text after the first word (trimmed, comment removed), for free text */
};

struct lex {
	const char *text;
	size_t len, pos;
	unsigned int lineno; /* 1-based number of the line last returned */
};

void lex_init(struct lex *lx, const char *text, size_t len);

/* The next non-blank, non-comment line, split into words. Returns 1 (a line), 0 (end of text),
 * -EMSGSIZE (line too long), -E2BIG (too many words), -EBADMSG (a NUL or control character other than
 * tab). lx->lineno is the line's number in every case. */
int lex_next(struct lex *lx, struct lex_line *l);

/* Split "key=value" in place: *val points after '='. false if there is no '=' or the key is empty. */
bool lex_kv(char *word, char **val);

/* Parse a duration "250ms", "30s", "2m" (a bare number is an error: the unit is mandatory) into
 * milliseconds, at most 24 h. Returns 0 or -EINVAL. */
int lex_duration_ms(const char *s, unsigned int *ms);

/* An unsigned decimal in [min, max]. Returns 0 or -EINVAL. */
int lex_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* Is s a name: [a-z][a-z0-9-]* of at most max-1 characters? */
bool lex_name_valid(const char *s, size_t max);
