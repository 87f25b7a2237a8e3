/* Run reports: RUNDIR/run.json (the run record `rsplab run` writes) -> RUNDIR/junit.xml (one testcase
 * per scenario, KPIs as properties) and RUNDIR/report.html (self-contained: verdicts, per-step timing,
 * expectations, findings with links to their frame in the sequence chart, one message sequence chart
 * per scenario drawn as inline SVG, links to each scenario's pcap and TLS key log). run.json itself is
 * the JSON report. `rsplab report RUNDIR` regenerates the other two from it.
 *
 * run.json (format "rsplab-run-1"; every member optional unless marked):
 *   { "format": "rsplab-run-1" (required), "run": NAME, "started": ISO-8601, "duration_ms": N,
 *     "topology": NAME, "stopped": [COMPONENT...], "notes": [TEXT...],
 *     "scenarios": [ {                                           (required)
 *        "id" (required), "title", "suite", "file", "section",
 *        "verdict": "pass" | "fail" | "error" | "skipped"       (required), "reason": TEXT,
 *        "duration_ms", "pcap": PATH, "keylog": PATH (relative to RUNDIR),
 *        "capture": { "received", "dropped", "if_dropped" },
 *        "kpis": { NAME: NUMBER ... }    e.g. smsr_change_ms, download_ms, sms_delivery_ms, reattach_ms
 *        "steps": [ { "label", "text", "verdict", "start_ms", "elapsed_ms", "detail" } ],
 *        "expectations": [ { "text", "verdict", "detail" } ],
 *        "findings": [ { "rule", "severity", "ref", "frame", "text" } ],
 *        "events": [ { "t_ms", "from", "to", "label", "frame" } ]      (the sequence chart) } ] }
 *
 * Trust: run.json is UNTRUSTED (a run directory can come from anywhere): every string is escaped on
 * output, numbers are bounded, the chart has a cap on events (REPORT_MAX_EVENTS) and says so.
 * Returns: 0 or a negative errno; on error, a one-line reason goes to stderr. */
#pragma once

#include <stdio.h>

#include "harness/report/json.h"

#define REPORT_MAX_EVENTS 2000

/* Read RUNDIR/run.json and write RUNDIR/junit.xml and RUNDIR/report.html. */
int report_generate(const char *rundir);

/* The writers, on a parsed run record (for tests and for `rsplab run`). */
int report_write_junit(FILE *out, const struct json *run);
int report_write_html(FILE *out, const struct json *run);
/* One scenario's sequence chart as an <svg> element (idx makes element ids unique on the page). */
void report_write_msc(FILE *out, const struct json *events, unsigned int idx);

/* Write s with XML/HTML escaping (& < > " '); control characters other than tab/newline become '?'. */
void report_put_esc(FILE *out, const char *s);
