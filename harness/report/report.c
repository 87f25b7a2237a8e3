/* Run reports from RUNDIR/run.json (see report.h): JUnit XML, and one self-contained HTML page with an
 * inline-SVG message sequence chart per scenario. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/report/json.h"
#include "harness/report/report.h"

void report_put_esc(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f)
				fputc('?', out);
			else
				fputc(*p, out);
		}
	}
}

/* A number from the record as a bounded non-negative integer (garbage -> 0). */
static unsigned long bnum(const struct json *o, const char *key)
{
	double v = json_num(o, key, 0);

	return (isfinite(v) && v > 0 && v < 1e12) ? (unsigned long)v : 0;
}

/* A boolean from the record: true only for JSON true. */
static bool json_bool(const struct json *o, const char *key)
{
	const struct json *v = json_get(o, key);

	return v && v->type == JSON_TRUE;
}

static const char *verdict_of(const struct json *o)
{
	static const char *const known[] = { "pass", "fail", "error", "skipped", "not-run", "not-checked" };
	const char *v = json_str(o, "verdict", "error");

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(v, known[i]) == 0)
			return known[i];
	return "error"; /* an unknown verdict is never shown as a pass */
}

/* ---- JUnit XML ------------------------------------------------------------------------------------ */

int report_write_junit(FILE *out, const struct json *run)
{
	const struct json *scns = json_get(run, "scenarios");
	unsigned int n = 0, fail = 0, err = 0, skip = 0;

	if (!scns || scns->type != JSON_ARRAY)
		return -EBADMSG;
	for (const struct json *s = scns->child; s; s = s->next) {
		const char *v = verdict_of(s);
		n++;
		fail += strcmp(v, "fail") == 0;
		err += strcmp(v, "error") == 0;
		skip += strcmp(v, "skipped") == 0;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n", out);
	fputs("<testsuite name=\"", out);
	report_put_esc(out, json_str(run, "run", "rsplab"));
	fprintf(out, "\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" time=\"%.3f\"", n, fail, err, skip,
		bnum(run, "duration_ms") / 1000.0);
	if (json_str(run, "started", NULL)) {
		fputs(" timestamp=\"", out);
		report_put_esc(out, json_str(run, "started", ""));
		fputs("\"", out);
	}
	fputs(">\n", out);
	for (const struct json *s = scns->child; s; s = s->next) {
		const char *v = verdict_of(s);
		const struct json *kpis = json_get(s, "kpis"), *cap = json_get(s, "capture");

		fputs("  <testcase classname=\"rsplab.", out);
		report_put_esc(out, json_str(s, "suite", "scenarios"));
		fputs("\" name=\"", out);
		report_put_esc(out, json_str(s, "id", "?"));
		fprintf(out, "\" time=\"%.3f\">\n", bnum(s, "duration_ms") / 1000.0);
		fputs("    <properties>\n", out);
		fputs("      <property name=\"title\" value=\"", out);
		report_put_esc(out, json_str(s, "title", ""));
		fputs("\"/>\n", out);
		if (kpis && kpis->type == JSON_OBJECT)
			for (const struct json *k = kpis->child; k; k = k->next) {
				if (k->type != JSON_NUMBER)
					continue;
				fputs("      <property name=\"", out);
				report_put_esc(out, k->key);
				fprintf(out, "\" value=\"%.0f\"/>\n", isfinite(k->num) ? k->num : 0.0);
			}
		if (cap && cap->type == JSON_OBJECT)
			fprintf(out,
				"      <property name=\"capture_received\" value=\"%lu\"/>\n"
				"      <property name=\"capture_dropped\" value=\"%lu\"/>\n",
				bnum(cap, "received"), bnum(cap, "dropped") + bnum(cap, "if_dropped"));
		fputs("    </properties>\n", out);
		if (strcmp(v, "fail") == 0 || strcmp(v, "error") == 0) {
			fprintf(out, "    <%s message=\"", strcmp(v, "fail") == 0 ? "failure" : "error");
			report_put_esc(out, json_str(s, "reason", v));
			fprintf(out, "\" type=\"%s\"/>\n", v);
		} else if (strcmp(v, "skipped") == 0) {
			fputs("    <skipped message=\"", out);
			report_put_esc(out, json_str(s, "reason", "not applicable"));
			fputs("\"/>\n", out);
		}
		const struct json *steps = json_get(s, "steps");
		if (steps && steps->type == JSON_ARRAY && steps->n) {
			fputs("    <system-out>", out);
			for (const struct json *st = steps->child; st; st = st->next) {
				fputs("[", out);
				report_put_esc(out, json_str(st, "label", "-"));
				fputs("] ", out);
				report_put_esc(out, json_str(st, "text", ""));
				fprintf(out, " %s %.3f s\n", verdict_of(st), bnum(st, "elapsed_ms") / 1000.0);
			}
			fputs("</system-out>\n", out);
		}
		fputs("  </testcase>\n", out);
	}
	fputs("</testsuite>\n</testsuites>\n", out);
	return 0;
}

/* ---- message sequence chart (SVG) ------------------------------------------------------------------- */

#define MSC_LANES_MAX 16
#define MSC_LANE_W    130
#define MSC_LEFT      110
#define MSC_TOP	      46
#define MSC_ROW	      26

/* Lanes in the order of the picture (ARCHITECTURE.md §1): operators, SM-DPs, SM-SRs, network, device,
 * card; names not listed follow in order of appearance. */
static int lane_rank(const char *name)
{
	static const char *const order[] = { "mno1",	"mno2",	  "eum",     "smdp1",	 "smdp2",    "smsr1",
					     "smsr2",	"kannel", "stp",     "hlr-mno1", "hlr-mno2", "msc-mno2",
					     "device1", "card1",  "device2", "card2" };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (strcmp(order[i], name) == 0)
			return (int)i;
	return 100;
}

void report_write_msc(FILE *out, const struct json *events, unsigned int idx)
{
	const char *lanes[MSC_LANES_MAX];
	size_t n_lanes = 0, n_ev = 0, shown = 0;
	unsigned int w, h;

	if (!events || events->type != JSON_ARRAY || !events->n) {
		fputs("<p class=\"muted\">No messages recorded for this scenario.</p>\n", out);
		return;
	}
	for (const struct json *e = events->child; e && n_ev < REPORT_MAX_EVENTS; e = e->next, n_ev++) {
		const char *ends[2] = { json_str(e, "from", "?"), json_str(e, "to", "?") };
		for (int k = 0; k < 2; k++) {
			size_t i;
			for (i = 0; i < n_lanes; i++)
				if (strcmp(lanes[i], ends[k]) == 0)
					break;
			if (i == n_lanes && n_lanes < MSC_LANES_MAX)
				lanes[n_lanes++] = ends[k];
		}
	}
	/* stable insertion sort by rank */
	for (size_t i = 1; i < n_lanes; i++)
		for (size_t j = i; j > 0 && lane_rank(lanes[j - 1]) > lane_rank(lanes[j]); j--) {
			const char *t = lanes[j];
			lanes[j] = lanes[j - 1];
			lanes[j - 1] = t;
		}
	w = MSC_LEFT + (unsigned int)n_lanes * MSC_LANE_W;
	h = MSC_TOP + (unsigned int)n_ev * MSC_ROW + 20;
	fprintf(out,
		"<svg class=\"msc\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u "
		"%u\" "
		"role=\"img\">\n<defs><marker id=\"arr%u\" markerWidth=\"10\" markerHeight=\"8\" refX=\"9\" refY=\"4\" "
		"orient=\"auto\"><path d=\"M0,0 L10,4 L0,8 z\" fill=\"#334\"/></marker></defs>\n",
		w, h, w, h, idx);
	for (size_t i = 0; i < n_lanes; i++) {
		unsigned int x = MSC_LEFT + (unsigned int)i * MSC_LANE_W + MSC_LANE_W / 2;
		fprintf(out,
			"<rect x=\"%u\" y=\"6\" width=\"%u\" height=\"24\" rx=\"4\" class=\"lanehead\"/>"
			"<text x=\"%u\" y=\"22\" text-anchor=\"middle\" class=\"lanename\">",
			x - MSC_LANE_W / 2 + 6, MSC_LANE_W - 12, x);
		report_put_esc(out, lanes[i]);
		fprintf(out, "</text><line x1=\"%u\" y1=\"30\" x2=\"%u\" y2=\"%u\" class=\"lifeline\"/>\n", x, x,
			h - 6);
	}
	for (const struct json *e = events->child; e && shown < REPORT_MAX_EVENTS; e = e->next, shown++) {
		unsigned int y = MSC_TOP + (unsigned int)shown * MSC_ROW + 12, xf = 0, xt = 0;
		unsigned long frame = bnum(e, "frame");
		const char *from = json_str(e, "from", "?"), *to = json_str(e, "to", "?");
		for (size_t i = 0; i < n_lanes; i++) {
			unsigned int x = MSC_LEFT + (unsigned int)i * MSC_LANE_W + MSC_LANE_W / 2;
			if (strcmp(lanes[i], from) == 0)
				xf = x;
			if (strcmp(lanes[i], to) == 0)
				xt = x;
		}
		if (!xf || !xt)
			continue; /* more lanes than MSC_LANES_MAX: not drawn (the count below says so) */
		fprintf(out, "<g id=\"s%u-f%lu\" class=\"ev\"><title>frame %lu</title>", idx, frame, frame);
		fprintf(out, "<text x=\"4\" y=\"%u\" class=\"t\">+%.3f s</text>", y + 4, bnum(e, "t_ms") / 1000.0);
		if (frame)
			fprintf(out, "<text x=\"70\" y=\"%u\" class=\"fr\">#%lu</text>", y + 4, frame);
		if (xf == xt) {
			fprintf(out,
				"<path d=\"M%u,%u h24 v10 h-22\" class=\"msg\" fill=\"none\" "
				"marker-end=\"url(#arr%u)\"/>"
				"<text x=\"%u\" y=\"%u\" class=\"lbl\">",
				xf, y - 4, idx, xf + 28, y + 4);
		} else {
			fprintf(out,
				"<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" class=\"msg\" "
				"marker-end=\"url(#arr%u)\"/>"
				"<text x=\"%u\" y=\"%u\" text-anchor=\"middle\" class=\"lbl\">",
				xf, y, xt, y, idx, (xf + xt) / 2, y - 4);
		}
		report_put_esc(out, json_str(e, "label", ""));
		fputs("</text></g>\n", out);
	}
	fputs("</svg>\n", out);
	if (events->n > REPORT_MAX_EVENTS)
		fprintf(out, "<p class=\"muted\">Chart shows the first %d of %zu messages.</p>\n", REPORT_MAX_EVENTS,
			events->n);
}

/* ---- HTML --------------------------------------------------------------------------------------------- */

static const char report_css[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px 32px;color:#1d2330;"
	"background:#fafbfc}\n"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 6px;padding-top:12px;"
	"border-top:1px solid #dde1e7}h3{font-size:15px;margin:16px 0 6px}\n"
	".muted{color:#667}table{border-collapse:collapse;margin:6px 0 10px;background:#fff}\n"
	"th,td{border:1px solid #dde1e7;padding:3px 8px;text-align:left;vertical-align:top}"
	"th{background:#f0f2f5;font-weight:600}\n"
	"td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.rule{white-space:nowrap}\n"
	".v{display:inline-block;min-width:58px;text-align:center;border-radius:10px;padding:0 8px;font-weight:600;"
	"font-size:12px;color:#fff}\n"
	".v-pass{background:#2e7d32}.v-fail{background:#c62828}.v-error{background:#8e24aa}"
	".v-skipped,.v-not-run,.v-not-checked{background:#78909c}\n"
	".bar{height:10px;background:#5c8bd6;border-radius:2px;min-width:1px}\n"
	".sev-error{color:#c62828;font-weight:600}.sev-warning{color:#b26a00;font-weight:600}"
	".sev-variant{color:#1565c0}\n"
	".reason{background:#fff4f4;border-left:4px solid #c62828;padding:6px 10px;margin:6px 0;white-space:pre-wrap}\n"
	".msc{background:#fff;border:1px solid #dde1e7;margin:6px 0}.lanehead{fill:#e8eef8;stroke:#8ea3c4}"
	".lanename{font:600 12px sans-serif;fill:#1d2330}\n"
	".lifeline{stroke:#b8c2d0;stroke-dasharray:4 3}.msg{stroke:#334;stroke-width:1.3}"
	".lbl{font:11px "
	"sans-serif;fill:#1d2330;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}.t,.fr{font:"
	"10px monospace;fill:#667}\n"
	".ev:target .msg{stroke:#c62828;stroke-width:2.5}.ev:target .lbl{fill:#c62828;font-weight:600}\n"
	"a{color:#1565c0}code{font-size:12px}\n";

static void html_verdict(FILE *out, const char *v)
{
	fprintf(out, "<span class=\"v v-%s\">%s</span>", v, v);
}

static void html_scenario(FILE *out, const struct json *s, unsigned int idx)
{
	const struct json *steps = json_get(s, "steps"), *exps = json_get(s, "expectations");
	const struct json *finds = json_get(s, "findings"), *kpis = json_get(s, "kpis"), *cap = json_get(s, "capture");
	const struct json *chk = json_get(s, "checker");
	unsigned long max_ms = 1;

	fprintf(out, "<h2 id=\"scn%u\">", idx);
	html_verdict(out, verdict_of(s));
	fputs(" ", out);
	report_put_esc(out, json_str(s, "id", "?"));
	fputs(" &mdash; ", out);
	report_put_esc(out, json_str(s, "title", ""));
	fputs("</h2>\n<p class=\"muted\">", out);
	if (json_str(s, "file", NULL)) {
		fputs("<code>", out);
		report_put_esc(out, json_str(s, "file", ""));
		fputs("</code> &middot; ", out);
	}
	if (json_str(s, "section", NULL)) {
		fputs("SGP.02 &sect;", out);
		report_put_esc(out, json_str(s, "section", ""));
		fputs(" &middot; ", out);
	}
	fprintf(out, "%.3f s", bnum(s, "duration_ms") / 1000.0);
	if (json_str(s, "pcap", NULL)) {
		fputs(" &middot; <a href=\"", out);
		report_put_esc(out, json_str(s, "pcap", ""));
		fputs("\">pcap</a>", out);
	}
	if (json_str(s, "keylog", NULL)) {
		fputs(" &middot; <a href=\"", out);
		report_put_esc(out, json_str(s, "keylog", ""));
		fputs("\">TLS key log</a>", out);
	}
	if (cap && cap->type == JSON_OBJECT)
		fprintf(out, " &middot; capture: %lu packets, %lu dropped", bnum(cap, "received"),
			bnum(cap, "dropped") + bnum(cap, "if_dropped"));
	fputs("</p>\n", out);
	if (json_str(s, "reason", NULL)) {
		fputs("<div class=\"reason\">", out);
		report_put_esc(out, json_str(s, "reason", ""));
		fputs("</div>\n", out);
	}
	if (kpis && kpis->type == JSON_OBJECT && kpis->n) {
		fputs("<h3>KPIs</h3><table><tr><th>KPI</th><th>value</th></tr>\n", out);
		for (const struct json *k = kpis->child; k; k = k->next) {
			if (k->type != JSON_NUMBER)
				continue;
			fputs("<tr><td>", out);
			report_put_esc(out, k->key);
			fprintf(out, "</td><td class=\"num\">%.0f</td></tr>\n", isfinite(k->num) ? k->num : 0.0);
		}
		fputs("</table>\n", out);
	}
	if (steps && steps->type == JSON_ARRAY && steps->n) {
		for (const struct json *st = steps->child; st; st = st->next)
			if (bnum(st, "start_ms") + bnum(st, "elapsed_ms") > max_ms)
				max_ms = bnum(st, "start_ms") + bnum(st, "elapsed_ms");
		fputs("<h3>Steps</h3><table><tr><th>article step</th><th>step</th><th>verdict</th><th>start</th>"
		      "<th>elapsed</th><th style=\"width:220px\">timeline</th><th>detail</th></tr>\n",
		      out);
		for (const struct json *st = steps->child; st; st = st->next) {
			unsigned long start = bnum(st, "start_ms"), el = bnum(st, "elapsed_ms");
			fputs("<tr><td>", out);
			report_put_esc(out, json_str(st, "label", "-"));
			fputs("</td><td><code>", out);
			report_put_esc(out, json_str(st, "text", ""));
			fputs("</code></td><td>", out);
			html_verdict(out, verdict_of(st));
			if (strcmp(verdict_of(st), "not-run") == 0) /* no times for a step that never ran */
				fputs("</td><td class=\"num\">&ndash;</td><td class=\"num\">&ndash;</td><td>", out);
			else
				fprintf(out, "</td><td class=\"num\">%.3f s</td><td class=\"num\">%.3f s</td><td>",
					start / 1000.0, el / 1000.0);
			if (strcmp(verdict_of(st), "not-run") != 0)
				fprintf(out, "<div class=\"bar\" style=\"margin-left:%.1f%%;width:%.1f%%\"></div>",
					100.0 * (double)start / (double)max_ms, 100.0 * (double)el / (double)max_ms);
			fputs("</td><td>", out);
			report_put_esc(out, json_str(st, "detail", ""));
			fputs("</td></tr>\n", out);
		}
		fputs("</table>\n", out);
	}
	if (exps && exps->type == JSON_ARRAY && exps->n) {
		fputs("<h3>Expectations</h3><table><tr><th>expectation</th><th>verdict</th><th>detail</th></tr>\n",
		      out);
		for (const struct json *e = exps->child; e; e = e->next) {
			fputs("<tr><td><code>", out);
			report_put_esc(out, json_str(e, "text", ""));
			fputs("</code></td><td>", out);
			html_verdict(out, verdict_of(e));
			fputs("</td><td>", out);
			report_put_esc(out, json_str(e, "detail", ""));
			fputs("</td></tr>\n", out);
		}
		fputs("</table>\n", out);
	}
	fputs("<h3>Findings</h3>\n", out);
	if (!chk || chk->type != JSON_OBJECT) {
		fputs("<p class=\"muted\">The compliance checker's results are not in this run record.</p>\n", out);
	} else if (!json_bool(chk, "ran")) {
		fputs("<p class=\"muted\">The compliance checker did not run on this scenario: ", out);
		report_put_esc(out, json_str(chk, "why", "no reason recorded"));
		fputs(".</p>\n", out);
	} else {
		unsigned long total = bnum(chk, "errors") + bnum(chk, "warnings") + bnum(chk, "info");
		fprintf(out,
			"<p class=\"muted\">The compliance checker ran over the capture: %lu error(s), %lu warning(s), "
			"%lu note(s)%s",
			bnum(chk, "errors"), bnum(chk, "warnings"), bnum(chk, "info"),
			json_bool(chk, "xsd") ? "; ES messages validated against the XSDs" : "; no XSD validation");
		if (bnum(chk, "undecrypted_frames"))
			fprintf(out, "; %lu frame(s) with TLS records it could not open",
				bnum(chk, "undecrypted_frames"));
		if (finds && finds->type == JSON_ARRAY && total > finds->n)
			fprintf(out, "; the first %zu are listed", finds->n);
		fputs(".</p>\n", out);
	}
	if (chk && chk->type == JSON_OBJECT && !json_bool(chk, "ran")) {
		/* nothing to list: said above */
	} else if (finds && finds->type == JSON_ARRAY && finds->n) {
		fputs("<table><tr><th>frame</th><th>rule</th><th>severity</th><th>reference</th><th>finding</th></"
		      "tr>\n",
		      out);
		for (const struct json *f = finds->child; f; f = f->next) {
			unsigned long frame = bnum(f, "frame");
			const char *sev = json_str(f, "severity", "info");
			if (frame)
				fprintf(out,
					"<tr><td class=\"num\"><a href=\"#s%u-f%lu\">#%lu</a></td><td class=\"rule\">",
					idx, frame, frame);
			else
				fputs("<tr><td></td><td class=\"rule\">", out);
			report_put_esc(out, json_str(f, "rule", "?"));
			fputs("</td><td class=\"sev-", out);
			report_put_esc(out, sev);
			fputs("\">", out);
			report_put_esc(out, sev);
			fputs("</td><td>", out);
			report_put_esc(out, json_str(f, "ref", ""));
			fputs("</td><td>", out);
			report_put_esc(out, json_str(f, "text", ""));
			fputs("</td></tr>\n", out);
		}
		fputs("</table>\n", out);
	} else if (chk && chk->type == JSON_OBJECT) {
		fputs("<p class=\"muted\">No findings.</p>\n", out);
	}
	fputs("<h3>Message sequence</h3>\n", out);
	if (json_str(s, "events_source", NULL))
		fprintf(out, "<p class=\"muted\">%s</p>\n",
			strcmp(json_str(s, "events_source", ""), "capture") == 0 ? "From the capture, decrypted with "
										   "every component's TLS key log "
										   "(frame numbers link "
										   "the findings)."
										 : "What the harness's operator role "
										   "sent and received (no capture was "
										   "decoded for this "
										   "scenario).");
	report_write_msc(out, json_get(s, "events"), idx);
}

int report_write_html(FILE *out, const struct json *run)
{
	const struct json *scns = json_get(run, "scenarios"), *stopped = json_get(run, "stopped");
	const struct json *notes = json_get(run, "notes");
	unsigned int idx = 0, counts[4] = { 0 };
	static const char *const vnames[4] = { "pass", "fail", "error", "skipped" };

	if (!scns || scns->type != JSON_ARRAY)
		return -EBADMSG;
	for (const struct json *s = scns->child; s; s = s->next)
		for (int i = 0; i < 4; i++)
			counts[i] += strcmp(verdict_of(s), vnames[i]) == 0;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>rsplab run ", out);
	report_put_esc(out, json_str(run, "run", ""));
	fprintf(out, "</title>\n<style>\n%s</style></head><body>\n<h1>rsplab run ", report_css);
	report_put_esc(out, json_str(run, "run", ""));
	fputs("</h1>\n<p class=\"muted\">", out);
	report_put_esc(out, json_str(run, "started", ""));
	fputs(" &middot; topology <code>", out);
	report_put_esc(out, json_str(run, "topology", "?"));
	fprintf(out, "</code> &middot; %.3f s &middot; ", bnum(run, "duration_ms") / 1000.0);
	for (int i = 0; i < 4; i++)
		fprintf(out, "%s%u %s", i ? ", " : "", counts[i], vnames[i]);
	fputs(" &middot; <a href=\"run.json\">run.json</a> &middot; <a href=\"junit.xml\">junit.xml</a></p>\n", out);
	if (notes && notes->type == JSON_ARRAY)
		for (const struct json *n = notes->child; n; n = n->next)
			if (n->type == JSON_STRING) {
				fputs("<div class=\"reason\">", out);
				report_put_esc(out, n->str);
				fputs("</div>\n", out);
			}
	fputs("<table><tr><th>scenario</th><th>title</th><th>suite</th><th>verdict</th><th>duration</th>"
	      "<th>findings</th></tr>\n",
	      out);
	for (const struct json *s = scns->child; s; s = s->next, idx++) {
		const struct json *f = json_get(s, "findings"), *chk = json_get(s, "checker");
		fprintf(out, "<tr><td><a href=\"#scn%u\">", idx);
		report_put_esc(out, json_str(s, "id", "?"));
		fputs("</a></td><td>", out);
		report_put_esc(out, json_str(s, "title", ""));
		fputs("</td><td>", out);
		report_put_esc(out, json_str(s, "suite", ""));
		fputs("</td><td>", out);
		html_verdict(out, verdict_of(s));
		fprintf(out, "</td><td class=\"num\">%.3f s</td><td class=\"num\">", bnum(s, "duration_ms") / 1000.0);
		if (chk && chk->type == JSON_OBJECT && json_bool(chk, "ran"))
			fprintf(out, "%lu error, %lu warning", bnum(chk, "errors"), bnum(chk, "warnings"));
		else if (chk && chk->type == JSON_OBJECT)
			fputs("not checked", out);
		else
			fprintf(out, "%zu", f && f->type == JSON_ARRAY ? f->n : (size_t)0);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
	if (stopped && stopped->type == JSON_ARRAY) {
		fputs("<p class=\"muted\">Stopped at the end: ", out);
		if (!stopped->n)
			fputs("nothing (nothing was started)", out);
		for (const struct json *c = stopped->child; c; c = c->next) {
			report_put_esc(out, c->type == JSON_STRING ? c->str : "?");
			if (c->next)
				fputs(", ", out);
		}
		fputs("</p>\n", out);
	}
	idx = 0;
	for (const struct json *s = scns->child; s; s = s->next)
		html_scenario(out, s, idx++);
	fputs("</body></html>\n", out);
	return 0;
}

/* ---- files -------------------------------------------------------------------------------------------- */

static int write_file(const char *dir, const char *name, int (*fn)(FILE *, const struct json *), const struct json *run)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f) {
		rc = -errno;
		fprintf(stderr, "rsplab report: cannot write %s: %s\n", tmp, strerror(errno));
		return rc;
	}
	rc = fn(f, run);
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		fprintf(stderr, "rsplab report: %s not written (%s)\n", path, strerror(-rc));
	}
	return rc;
}

int report_generate(const char *rundir)
{
	char path[PATH_MAX];
	struct json_doc *doc = NULL;
	char *text = NULL;
	size_t len = 0, off = 0;
	FILE *f;
	long n;
	int rc;

	if (snprintf(path, sizeof(path), "%s/run.json", rundir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "rb");
	if (!f) {
		rc = -errno;
		fprintf(stderr, "rsplab report: %s: %s\n", path, strerror(errno));
		return rc;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && (unsigned long)n <= JSON_MAX_INPUT &&
	    fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)n + 1)) && fread(text, 1, (size_t)n, f) == (size_t)n)
		len = (size_t)n;
	else
		len = SIZE_MAX;
	fclose(f);
	if (len == SIZE_MAX) {
		free(text);
		fprintf(stderr, "rsplab report: cannot read %s (or larger than %u bytes)\n", path, JSON_MAX_INPUT);
		return -EIO;
	}
	rc = json_parse(text, len, &doc, &off);
	if (rc < 0) {
		fprintf(stderr, "rsplab report: %s: not valid JSON (%s at byte %zu)\n", path,
			rc == -E2BIG ? "over a size cap" : "malformed", off);
		free(text);
		return rc;
	}
	if (strcmp(json_str(json_root(doc), "format", ""), "rsplab-run-1") != 0 || !json_get(json_root(doc), "scenario"
													     "s")) {
		fprintf(stderr,
			"rsplab report: %s: not a run record (want \"format\": \"rsplab-run-1\" and scenarios)\n",
			path);
		rc = -EBADMSG;
	}
	if (rc == 0)
		rc = write_file(rundir, "junit.xml", report_write_junit, json_root(doc));
	if (rc == 0)
		rc = write_file(rundir, "report.html", report_write_html, json_root(doc));
	json_free(doc);
	free(text);
	return rc;
}
