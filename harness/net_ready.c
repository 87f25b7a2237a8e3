/* Readiness-check parsers (see net_ready.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness/net_ready.h"

/* Iterate over the lines of text: *pos advances; returns false at the end. A line excludes '\n'. */
static bool next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *line_len)
{
	size_t start = *pos, end;

	if (start >= len)
		return false;
	end = start;
	while (end < len && text[end] != '\n')
		end++;
	*line = text + start;
	*line_len = end - start;
	if (*line_len && text[end - 1] == '\r')
		(*line_len)--;
	*pos = end < len ? end + 1 : end;
	return true;
}

static bool mem_has(const char *hay, size_t hay_len, const char *needle)
{
	size_t n = strlen(needle);

	if (n == 0)
		return true;
	for (size_t i = 0; i + n <= hay_len; i++) {
		if (memcmp(hay + i, needle, n) == 0)
			return true;
	}
	return false;
}

static bool starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parse exactly n hex digits at s into *v. */
static bool parse_hex(const char *s, size_t n, uint32_t *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		int h = hexval(s[i]);
		if (h < 0)
			return false;
		*v = (*v << 4) | (uint32_t)h;
	}
	return true;
}

int net_proc_tcp_listening(const char *text, size_t len, const char *ip, uint16_t port)
{
	struct in_addr want;
	size_t pos = 0, n;
	const char *line;
	bool header = false;

	if (inet_pton(AF_INET, ip, &want) != 1)
		return -EINVAL;
	while (next_line(text, len, &pos, &line, &n)) {
		size_t i = 0;
		uint32_t addr, p, st;

		while (i < n && line[i] == ' ')
			i++;
		if (!header) {
			if (!starts_with(line + i, n - i, "sl"))
				return -EBADMSG;
			header = true;
			continue;
		}
		/* "  0: 0100007F:0B59 00000000:0000 0A ..." : skip "N: " */
		while (i < n && line[i] != ':')
			i++;
		i++;
		while (i < n && line[i] == ' ')
			i++;
		/* "AAAAAAAA:PPPP RRRRRRRR:PPPP ST": local address (the in_addr's 32 bits printed as a host-order
		 * number), port, remote address and port, state */
		if (i + 30 > n || line[i + 8] != ':' || line[i + 13] != ' ' || line[i + 27] != ' ')
			continue;
		if (!parse_hex(line + i, 8, &addr) || !parse_hex(line + i + 9, 4, &p) ||
		    !parse_hex(line + i + 28, 2, &st))
			continue;
		if (st != 0x0A || p != port)
			continue;
		/* /proc prints the in_addr's 32 bits with %08X, i.e. in host byte order (little endian here) */
		if (addr == want.s_addr || addr == 0)
			return 1;
	}
	return header ? 0 : -EBADMSG;
}

bool net_log_has(const char *text, size_t len, const char *needle)
{
	size_t pos = 0, n;
	const char *line;

	while (next_line(text, len, &pos, &line, &n)) {
		if (mem_has(line, n, needle))
			return true;
	}
	return false;
}

size_t net_log_last_line(const char *text, size_t len, char *out, size_t out_len)
{
	size_t pos = 0, n, best_n = 0, k;
	const char *line, *best = NULL;

	if (out_len == 0)
		return 0;
	while (next_line(text, len, &pos, &line, &n)) {
		while (n && (line[0] == ' ' || line[0] == '\t')) {
			line++;
			n--;
		}
		while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
			n--;
		if (n) {
			best = line;
			best_n = n;
		}
	}
	k = best_n < out_len - 1 ? best_n : out_len - 1;
	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)best[i];
		out[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	out[k] = '\0';
	return k;
}

/* Kannel 1.4.5 gw/bearerbox.c bb_print_status() / smsc_wrapper.c: the section headers and the lines
 *   "    smsbox:(none), IP 127.0.0.1 (0 queued), (on-line 0d 0h 0m 1s)"
 *   "    <smsc-id>[<smsc-id>]    SMPP:127.0.0.22:2775/2775:kannel: (online 2s, rcvd: ...)" */
int net_kannel_smsc_state(const char *text, size_t len, const char *smsc_id, char *state, size_t state_len)
{
	size_t pos = 0, n, idlen = strlen(smsc_id);
	const char *line;
	bool in_smsc = false;

	if (state_len)
		state[0] = '\0';
	if (idlen == 0)
		return -EINVAL;
	while (next_line(text, len, &pos, &line, &n)) {
		size_t i = 0, j, k;

		if (starts_with(line, n, "SMSC connections:")) {
			in_smsc = true;
			continue;
		}
		if (!in_smsc)
			continue;
		if (n == 0 || line[0] != ' ')
			break; /* end of the section */
		while (i < n && line[i] == ' ')
			i++;
		if (n - i <= idlen || memcmp(line + i, smsc_id, idlen) != 0 || line[i + idlen] != '[')
			continue;
		for (j = i + idlen; j < n && line[j] != '('; j++)
			;
		if (j >= n)
			return 0;
		j++;
		for (k = j; k < n && line[k] != ' ' && line[k] != ',' && line[k] != ')'; k++)
			;
		if (state_len) {
			size_t c = k - j < state_len - 1 ? k - j : state_len - 1;
			memcpy(state, line + j, c);
			state[c] = '\0';
		}
		return (k - j == 6 && memcmp(line + j, "online", 6) == 0) ? 1 : 0;
	}
	return in_smsc ? -ENOENT : -EBADMSG;
}

int net_kannel_smsbox_count(const char *text, size_t len)
{
	size_t pos = 0, n;
	const char *line;
	bool in_box = false;
	int count = 0;

	while (next_line(text, len, &pos, &line, &n)) {
		size_t i = 0;

		if (starts_with(line, n, "Box connections:")) {
			in_box = true;
			continue;
		}
		if (!in_box)
			continue;
		if (n == 0 || line[0] != ' ')
			break;
		while (i < n && line[i] == ' ')
			i++;
		if (starts_with(line + i, n - i, "smsbox:"))
			count++;
	}
	return in_box ? count : -EBADMSG;
}

/* RFC 854: IAC = 255, SE = 240, SB = 250, WILL..DONT = 251..254. */
size_t net_telnet_strip(uint8_t *buf, size_t len)
{
	size_t r = 0, w = 0;

	while (r < len) {
		if (buf[r] != 255) {
			buf[w++] = buf[r++];
			continue;
		}
		if (r + 1 >= len)
			break;
		if (buf[r + 1] == 255) {
			buf[w++] = 255;
			r += 2;
		} else if (buf[r + 1] >= 251 && buf[r + 1] <= 254) {
			r += 3;
		} else if (buf[r + 1] == 250) {
			/* subnegotiation: skip to IAC SE */
			r += 2;
			while (r < len && !(buf[r] == 255 && r + 1 < len && buf[r + 1] == 240))
				r++;
			r += 2;
		} else {
			r += 2;
		}
	}
	return w;
}

bool net_vty_prompt_at_end(const char *text, size_t len)
{
	size_t i;

	if (len < 3 || text[len - 1] != ' ' || (text[len - 2] != '>' && text[len - 2] != '#'))
		return false;
	i = len - 2;
	while (i > 0) {
		char c = text[i - 1];
		if (c == '\n' || c == '\r')
			break;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '.' || c == '(' || c == ')' || c == '-'))
			return false;
		i--;
	}
	return i < len - 2;
}

bool net_vty_reply_failed(const char *text, size_t len)
{
	static const char *const ok_notices[] = {
		"% Created subscriber", /* osmo-hlr 1.5 hlr_vty_subscr.c */
		"% Updated subscriber",
		"% Deleted subscriber",
	};
	size_t pos = 0, n;
	const char *line;

	while (next_line(text, len, &pos, &line, &n)) {
		bool ok = false;

		if (!starts_with(line, n, "% "))
			continue;
		for (size_t i = 0; i < sizeof(ok_notices) / sizeof(ok_notices[0]); i++)
			ok |= starts_with(line, n, ok_notices[i]);
		if (!ok)
			return true;
	}
	return false;
}

/* Copy the value after "Label: " (trimmed, at most out_len-1 chars, digits/letters only). */
static void copy_field(const char *s, size_t n, char *out, size_t out_len)
{
	size_t k = 0;

	while (n && *s == ' ') {
		s++;
		n--;
	}
	while (k < n && k < out_len - 1) {
		char c = s[k];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			break;
		out[k] = c;
		k++;
	}
	out[k] = '\0';
}

int net_hlr_sub_parse(const char *text, size_t len, struct net_hlr_sub_view *out)
{
	size_t pos = 0, n;
	const char *line;
	int section = 0; /* 2 or 3 after the "2G auth:" / "3G auth:" line */

	memset(out, 0, sizeof(*out));
	while (next_line(text, len, &pos, &line, &n)) {
		size_t i = 0;

		while (i < n && line[i] == ' ')
			i++;
		line += i;
		n -= i;
		if (starts_with(line, n, "% No subscriber"))
			return -ENOENT;
		if (starts_with(line, n, "IMSI:")) {
			copy_field(line + 5, n - 5, out->imsi, sizeof(out->imsi));
		} else if (starts_with(line, n, "MSISDN:")) {
			copy_field(line + 7, n - 7, out->msisdn, sizeof(out->msisdn));
			if (strcmp(out->msisdn, "none") == 0)
				out->msisdn[0] = '\0';
		} else if (starts_with(line, n, "2G auth:")) {
			copy_field(line + 8, n - 8, out->algo_2g, sizeof(out->algo_2g));
			section = 2;
		} else if (starts_with(line, n, "3G auth:")) {
			copy_field(line + 8, n - 8, out->algo_3g, sizeof(out->algo_3g));
			section = 3;
		} else if (section == 2 && starts_with(line, n, "KI=")) {
			out->has_ki = true;
		} else if (section == 3 && starts_with(line, n, "K=")) {
			out->has_k = true;
		} else if (section == 3 && (starts_with(line, n, "OPC=") || starts_with(line, n, "OP="))) {
			out->has_opc = true;
		}
	}
	return out->imsi[0] ? 0 : -EBADMSG;
}
