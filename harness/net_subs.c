/* Subscriber file and HLR provisioning (see net_subs.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/utils.h>

#include "harness/net_ready.h"
#include "harness/net_subs.h"

const struct value_string net_hlr_id_names[] = {
	{ NET_HLR_MNO1, "mno1" },
	{ NET_HLR_MNO2, "mno2" },
	{ 0, NULL },
};

const struct value_string net_auth_algo_names[] = {
	{ NET_AUTH_COMP128V1, "comp128v1" },
	{ NET_AUTH_MILENAGE, "milenage" },
	{ 0, NULL },
};

static bool digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

static bool hex16(const char *s, uint8_t *out)
{
	if (strlen(s) != 32)
		return false;
	for (size_t i = 0; i < 32; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return osmo_hexparse(s, out, 16) == 16;
}

/* Split line (modified in place) at ','; returns the field count (at most max). */
static size_t split(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (n < max) {
		f[n++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = '\0';
	}
	return p ? max + 1 : n;
}

static int parse_one(char *line, struct net_sub *s)
{
	char *f[7];
	size_t n = split(line, f, 6);
	int v;

	memset(s, 0, sizeof(*s));
	if (n < 5 || n > 6)
		return -EBADMSG;
	v = get_string_value(net_hlr_id_names, f[0]);
	if (v < 0)
		return -EINVAL;
	s->hlr = (enum net_hlr_id)v;
	if (!digits(f[1], 5, 15) || !digits(f[2], 1, 15))
		return -EINVAL;
	snprintf(s->imsi, sizeof(s->imsi), "%s", f[1]);
	snprintf(s->msisdn, sizeof(s->msisdn), "%s", f[2]);
	v = get_string_value(net_auth_algo_names, f[3]);
	if (v < 0)
		return -EINVAL;
	s->algo = (enum net_auth_algo)v;
	if (!hex16(f[4], s->key))
		return -EINVAL;
	if (s->algo == NET_AUTH_MILENAGE) {
		if (n != 6 || !hex16(f[5], s->opc))
			return -EINVAL;
	} else if (n != 5) {
		return -EINVAL;
	}
	return 0;
}

int net_subs_parse(const char *text, size_t len, struct net_sub *subs, size_t max, unsigned int *err_line)
{
	size_t pos = 0, count = 0;
	unsigned int line = 0;
	char buf[256];
	int rc = 0;

	while (pos < len) {
		size_t end = pos, n;

		while (end < len && text[end] != '\n')
			end++;
		n = end - pos;
		line++;
		*err_line = line;
		if (n && text[pos + n - 1] == '\r')
			n--;
		if (n >= sizeof(buf) || memchr(text + pos, '\0', n)) {
			rc = -EBADMSG;
			goto out;
		}
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		pos = end < len ? end + 1 : end;
		if (n == 0 || buf[0] == '#')
			continue;
		if (count >= max) {
			rc = -ENOSPC;
			goto out;
		}
		rc = parse_one(buf, &subs[count]);
		if (rc < 0)
			goto out;
		count++;
	}
	*err_line = 0;
	rc = (int)count;
out:
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* Run one command; a failed reply is copied (first line) into why with the verb. */
static int vty_step(struct net_vty *v, const char *cmd, const char *verb, char *why, size_t why_len, int timeout_ms)
{
	char reply[1024];
	int rc = net_vty_cmd(v, cmd, reply, sizeof(reply), timeout_ms);

	if (rc < 0) {
		if (why)
			snprintf(why, why_len, "%s: %s", verb, strerror(-rc));
		goto out;
	}
	if (net_vty_reply_failed(reply, (size_t)rc)) {
		if (why) {
			char last[256];
			net_log_last_line(reply, (size_t)rc, last, sizeof(last));
			snprintf(why, why_len, "%s: HLR answered '%s'", verb, last);
		}
		rc = -EPROTO;
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(reply, sizeof(reply));
	return rc;
}

int net_vty_enable(struct net_vty *v, char *why, size_t why_len, int timeout_ms)
{
	return vty_step(v, "enable", "enable", why, why_len, timeout_ms);
}

int net_sub_provision(struct net_vty *v, const struct net_sub *s, char *why, size_t why_len, int timeout_ms)
{
	char cmd[256], hex_k[33], hex_o[33], probe[1024];
	int rc;

	/* create only if missing: a second `net up` on the same databases must not fail */
	snprintf(cmd, sizeof(cmd), "show subscriber imsi %s", s->imsi);
	rc = net_vty_cmd(v, cmd, probe, sizeof(probe), timeout_ms);
	if (rc < 0)
		return rc;
	if (strstr(probe, "No subscriber")) {
		snprintf(cmd, sizeof(cmd), "subscriber imsi %s create", s->imsi);
		rc = vty_step(v, cmd, "create", why, why_len, timeout_ms);
		if (rc < 0)
			return rc;
	}
	explicit_bzero(probe, sizeof(probe));
	snprintf(cmd, sizeof(cmd), "subscriber imsi %s update msisdn %s", s->imsi, s->msisdn);
	rc = vty_step(v, cmd, "update msisdn", why, why_len, timeout_ms);
	if (rc < 0)
		return rc;
	osmo_hexdump_buf(hex_k, sizeof(hex_k), s->key, 16, "", true);
	if (s->algo == NET_AUTH_COMP128V1) {
		snprintf(cmd, sizeof(cmd), "subscriber imsi %s update aud2g comp128v1 ki %s", s->imsi, hex_k);
		rc = vty_step(v, cmd, "update aud2g", why, why_len, timeout_ms);
	} else {
		osmo_hexdump_buf(hex_o, sizeof(hex_o), s->opc, 16, "", true);
		snprintf(cmd, sizeof(cmd), "subscriber imsi %s update aud3g milenage k %s opc %s", s->imsi, hex_k,
			 hex_o);
		rc = vty_step(v, cmd, "update aud3g", why, why_len, timeout_ms);
		explicit_bzero(hex_o, sizeof(hex_o));
	}
	explicit_bzero(hex_k, sizeof(hex_k));
	explicit_bzero(cmd, sizeof(cmd));
	return rc;
}
