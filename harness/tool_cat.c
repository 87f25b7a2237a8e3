/* `rsplab tool cat decode HEX`: decode a CAT proactive command (D0), ENVELOPE (D1 / D6) or TERMINAL
 * RESPONSE (starting with command details) and print it as key=value lines. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/tool.h"
#include "harness/tool_util.h"
#include "lib/cat/cat.h"

#define CAT_TOOL_MAX_INPUT 65536

static void kv_bytes(const char *key, const struct cat_bytes *b)
{
	if (b->data)
		tool_kv_hex(key, b->data, b->len);
}

static void print_chan_status(const char *key, const struct cat_channel_status *cs)
{
	printf("%s=channel %u, %s, %s\n", key, cs->channel_id, cs->established ? "established" : "not established",
	       get_value_string(cat_channel_further_info_names, cs->further_info));
}

static void print_channel(const struct cat_channel_params *p)
{
	if (p->has_bearer) {
		printf("bearer_type=%02x (%s)\n", p->bearer_type,
		       get_value_string(cat_bearer_type_names, p->bearer_type));
		tool_kv_hex("bearer_params", p->bearer_params.data, p->bearer_params.len);
	}
	if (p->has_buffer_size)
		printf("buffer_size=%u\n", p->buffer_size);
	kv_bytes("apn", &p->apn);
	kv_bytes("local_address", &p->local_addr);
	kv_bytes("login", &p->login);
	kv_bytes("password", &p->password);
	if (p->has_transport)
		printf("transport=%02x (%s)\nport=%u\n", p->transport,
		       get_value_string(cat_transport_names, p->transport), p->port);
	kv_bytes("destination_address", &p->dest_addr);
}

static int decode(const uint8_t *buf, size_t len)
{
	struct cat_proactive c;
	struct cat_envelope e;
	struct cat_terminal_response tr;
	int rc;

	if (len && buf[0] == CAT_TAG_PROACTIVE_COMMAND) {
		rc = cat_proactive_decode(&c, buf, len);
		if (rc < 0)
			return rc;
		printf("kind=proactive command\nnumber=%u\ntype=%02x (%s)\nqualifier=%02x\n", c.details.number,
		       c.details.type, get_value_string(cat_cmd_type_names, c.details.type), c.details.qualifier);
		printf("source=%s\ndestination=%s\n", get_value_string(cat_dev_id_names, c.dev.src),
		       get_value_string(cat_dev_id_names, c.dev.dst));
		if (c.details.type == CAT_CMD_REFRESH)
			printf("refresh_mode=%s\n", get_value_string(cat_refresh_mode_names, c.details.qualifier));
		kv_bytes("alpha_id", &c.alpha_id);
		print_channel(&c.channel);
		kv_bytes("channel_data", &c.channel_data);
		if (c.has_channel_data_length)
			printf("channel_data_length=%u\n", c.channel_data_length);
		kv_bytes("address", &c.address);
		kv_bytes("tpdu", &c.tpdu);
		kv_bytes("file_list", &c.file_list);
		kv_bytes("aid", &c.aid);
		kv_bytes("events", &c.events);
		printf("unknown=%u\nunknown_cr=%u\nmissing_mandatory=%s\n", c.unknown, c.unknown_cr,
		       c.missing ? "yes" : "no");
	} else if (len && (buf[0] == CAT_TAG_SMS_PP_DOWNLOAD || buf[0] == CAT_TAG_EVENT_DOWNLOAD)) {
		rc = cat_envelope_decode(&e, buf, len);
		if (rc < 0)
			return rc;
		printf("kind=envelope %s\nsource=%s\ndestination=%s\n", get_value_string(cat_ber_tag_names, e.tag),
		       get_value_string(cat_dev_id_names, e.dev.src), get_value_string(cat_dev_id_names, e.dev.dst));
		if (e.tag == CAT_TAG_EVENT_DOWNLOAD)
			printf("event=%02x (%s)\n", e.event, get_value_string(cat_event_names, e.event));
		kv_bytes("address", &e.address);
		kv_bytes("tpdu", &e.tpdu);
		if (e.has_channel_status)
			print_chan_status("channel_status", &e.channel_status);
		if (e.has_channel_data_length)
			printf("channel_data_length=%u\n", e.channel_data_length);
		if (e.has_location_status)
			printf("location_status=%s\n", get_value_string(cat_location_status_names, e.location_status));
		kv_bytes("location_info", &e.location_info);
		printf("unknown=%u\n", e.unknown);
	} else {
		rc = cat_terminal_response_decode(&tr, buf, len);
		if (rc < 0)
			return rc;
		printf("kind=terminal response\nnumber=%u\ntype=%02x (%s)\nqualifier=%02x\n", tr.details.number,
		       tr.details.type, get_value_string(cat_cmd_type_names, tr.details.type), tr.details.qualifier);
		printf("result=%02x (%s)\n", tr.general, get_value_string(cat_general_result_names, tr.general));
		if (tr.add_info.len) {
			tool_kv_hex("additional_info", tr.add_info.data, tr.add_info.len);
			if (tr.general == CAT_RES_BIP_ERROR)
				printf("bip_error=%s\n", get_value_string(cat_addinfo_bip_names, tr.add_info.data[0]));
		}
		kv_bytes("location_info", &tr.location_info);
		if (tr.has_imei) {
			char imei[16];

			if (cat_imei_decode(imei, tr.imei, 8) == 0)
				printf("imei=%s\n", imei);
			else
				tool_kv_hex("imei", tr.imei, 8);
		}
		kv_bytes("channel_data", &tr.channel_data);
		for (unsigned int i = 0; i < tr.n_channel_status; i++)
			print_chan_status("channel_status", &tr.channel_status[i]);
		if (tr.has_bearer)
			printf("bearer_type=%02x (%s)\n", tr.bearer_type,
			       get_value_string(cat_bearer_type_names, tr.bearer_type));
		if (tr.has_buffer_size)
			printf("buffer_size=%u\n", tr.buffer_size);
		if (tr.has_channel_data_length)
			printf("channel_data_length=%u\n", tr.channel_data_length);
		printf("unknown=%u\n", tr.unknown);
	}
	return 0;
}

static int usage(FILE *out)
{
	fprintf(out, "usage: rsplab tool cat decode HEX\n"
		     "Decodes a CAT proactive command (D0...), ENVELOPE (D1... / D6...) or TERMINAL RESPONSE\n"
		     "(81 03 ...) of ETSI TS 102 223 and prints key=value lines.\n");
	return out == stdout ? 0 : 2;
}

int tool_cat(int argc, char **argv)
{
	static uint8_t buf[CAT_TOOL_MAX_INPUT];
	int n, rc;

	if (argc > 1 && cli_is_help(argv[1]))
		return usage(stdout);
	if (argc != 3 || strcmp(argv[1], "decode") != 0)
		return usage(stderr);
	n = tool_hex_arg("cat decode", argv[2], buf, sizeof(buf));
	if (n < 0)
		return 1;
	rc = decode(buf, (size_t)n);
	if (rc < 0) {
		fprintf(stderr, "cat: cannot decode: %s\n", rc == -EAGAIN ? "truncated" : strerror(-rc));
		return 1;
	}
	return 0;
}
