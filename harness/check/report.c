/* The checker's output (see check.h): a text listing and JSON for the report writer. */
#include <stdio.h>
#include <string.h>

#include "harness/check/check_internal.h"

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

void checker_print_text(const struct checker *ck, FILE *out, bool verbose)
{
	const struct check_stats *s = &ck->st;

	fprintf(out,
		"frames %llu, TCP flows %llu (retransmitted bytes %llu, out-of-order segments %llu, gaps %llu), "
		"UDP %llu\n",
		(unsigned long long)s->frames, (unsigned long long)s->tcp_flows,
		(unsigned long long)s->tcp_retrans_bytes, (unsigned long long)s->tcp_ooo_segments,
		(unsigned long long)s->tcp_gaps, (unsigned long long)s->udp_datagrams);
	fprintf(out,
		"TLS connections %llu, records decrypted %llu, not decrypted %llu; HTTP %llu, ES %llu, SMPP %llu, "
		"SMS %llu, SCP80 commands %llu, PoRs %llu, IPA %llu, GSUP %llu\n",
		(unsigned long long)s->tls_conns, (unsigned long long)s->tls_decrypted_records,
		(unsigned long long)s->tls_undecrypted_records, (unsigned long long)s->http_msgs,
		(unsigned long long)s->es_msgs, (unsigned long long)s->smpp_pdus, (unsigned long long)s->sms,
		(unsigned long long)s->scp80_cmds, (unsigned long long)s->scp80_pors, (unsigned long long)s->ipa_msgs,
		(unsigned long long)s->gsup_msgs);
	fprintf(out, "\nmessages:\n");
	for (unsigned int i = 0; i < ck->nev; i++)
		fprintf(out, "  frame %-6u %-6s %s\n", ck->ev[i].frame, ck->ev[i].proto, ck->ev[i].summary);
	if (verbose) {
		fprintf(out, "\nframes not decrypted:\n");
		for (unsigned int i = 0; i < ck->nund; i++)
			fprintf(out, "  frame %-6u flow %u: %s\n", ck->und[i].frame, ck->und[i].flow,
				get_value_string(tlsdec_reason_names, ck->und[i].why));
	}
	fprintf(out, "\nfindings: %u error(s), %u warning(s), %u info\n", checker_count(ck, CHECK_SEV_ERROR),
		checker_count(ck, CHECK_SEV_WARNING) - checker_count(ck, CHECK_SEV_ERROR),
		ck->nf - checker_count(ck, CHECK_SEV_WARNING));
	for (unsigned int i = 0; i < ck->nf; i++) {
		const struct check_finding *f = &ck->f[i];

		fprintf(out, "  %-11s %-7s frame %-6u %s%s%s [%s]\n", f->rule->id,
			get_value_string(check_sev_names, f->sev), f->frame, f->text, f->path ? " at " : "",
			f->path ? f->path : "", f->rule->ref);
	}
}

void checker_print_json(const struct checker *ck, FILE *out)
{
	const struct check_stats *s = &ck->st;

	fprintf(out,
		"{\n  \"stats\": {\"frames\": %llu, \"tcp_flows\": %llu, \"tcp_retrans_bytes\": %llu, "
		"\"tcp_ooo_segments\": %llu, \"tcp_gaps\": %llu, \"udp\": %llu, \"tls_conns\": %llu, "
		"\"tls_decrypted_records\": %llu, \"tls_undecrypted_records\": %llu, \"http\": %llu, \"es\": %llu, "
		"\"smpp\": %llu, \"sms\": %llu, \"scp80_commands\": %llu, \"scp80_pors\": %llu, \"ipa\": %llu, "
		"\"gsup\": %llu, \"linktype\": %u},\n",
		(unsigned long long)s->frames, (unsigned long long)s->tcp_flows,
		(unsigned long long)s->tcp_retrans_bytes, (unsigned long long)s->tcp_ooo_segments,
		(unsigned long long)s->tcp_gaps, (unsigned long long)s->udp_datagrams, (unsigned long long)s->tls_conns,
		(unsigned long long)s->tls_decrypted_records, (unsigned long long)s->tls_undecrypted_records,
		(unsigned long long)s->http_msgs, (unsigned long long)s->es_msgs, (unsigned long long)s->smpp_pdus,
		(unsigned long long)s->sms, (unsigned long long)s->scp80_cmds, (unsigned long long)s->scp80_pors,
		(unsigned long long)s->ipa_msgs, (unsigned long long)s->gsup_msgs, s->linktype);
	fprintf(out, "  \"findings\": [");
	for (unsigned int i = 0; i < ck->nf; i++) {
		const struct check_finding *f = &ck->f[i];

		fprintf(out, "%s\n    {\"rule\": ", i ? "," : "");
		json_str(out, f->rule->id);
		fprintf(out,
			", \"severity\": \"%s\", \"frame\": %u, \"ref\": ", get_value_string(check_sev_names, f->sev),
			f->frame);
		json_str(out, f->rule->ref);
		fprintf(out, ", \"path\": ");
		if (f->path)
			json_str(out, f->path);
		else
			fputs("null", out);
		fprintf(out, ", \"text\": ");
		json_str(out, f->text);
		fputc('}', out);
	}
	fprintf(out, "\n  ],\n  \"messages\": [");
	for (unsigned int i = 0; i < ck->nev; i++) {
		const struct check_event *e = &ck->ev[i];

		fprintf(out, "%s\n    {\"frame\": %u, \"ts_usec\": %llu, \"flow\": %u, \"proto\": ", i ? "," : "",
			e->frame, (unsigned long long)e->ts_usec, e->flow);
		json_str(out, e->proto);
		fprintf(out, ", \"summary\": ");
		json_str(out, e->summary);
		if (e->es_id != ES_MSG_NONE) {
			fprintf(out, ", \"es\": ");
			json_str(out, es_msgs[e->es_id].element);
		}
		if (e->xsd_errors >= 0)
			fprintf(out, ", \"xsd_valid\": %s", e->xsd_errors ? "false" : "true");
		fputc('}', out);
	}
	fprintf(out, "\n  ],\n  \"undecrypted\": [");
	for (unsigned int i = 0; i < ck->nund; i++) {
		fprintf(out, "%s\n    {\"frame\": %u, \"flow\": %u, \"reason\": ", i ? "," : "", ck->und[i].frame,
			ck->und[i].flow);
		json_str(out, get_value_string(tlsdec_reason_names, ck->und[i].why));
		fputc('}', out);
	}
	fprintf(out, "\n  ]\n}\n");
}
