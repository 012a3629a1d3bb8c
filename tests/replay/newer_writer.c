/* Rewrites an exported stream as a publisher on a newer HoursEvent schema
 * would have written it, for the schema-evolution replay test:
 *   newer_writer IN OUT SCHEMA
 * writes SCHEMA (the current HoursEvent plus one optional field at the end,
 * "approved_by": ["null","string"], default null, the issue 14 §5 example)
 * and OUT: IN with every HoursEvent record carrying SCHEMA's fingerprint and
 * the new field (Avro writes fields in order, so the old body followed by
 * union branch 1 and the string). Every other record is copied as is. */
#include <stdio.h>
#include <string.h>

#include "arbejdspligt/events.h"
#include "arbejdspligt/export.h"
#include "arbejdspligt/schema.h"

typedef struct ctx {
    ap_export_writer_t *out;
    uint64_t current, newer;
    ap_buf_t value;
    long rewritten;
    char err[256];
} ctx_t;

static int rewrite(void *arg, const ap_record_t *r) {
    ctx_t *c = arg;
    uint64_t fp;
    ap_codec_error_t cerr;
    ap_record_t copy = *r;
    if (r->payload && ap_codec_peek(r->payload, r->len, &fp, &cerr) == AP_CODEC_OK && fp == c->current) {
        ap_buf_reset(&c->value);
        ap_buf_append(&c->value, r->payload, r->len);
        for (int i = 0; i < 8; i++) c->value.data[2 + i] = (char)(c->newer >> (8 * i));
        ap_buf_append(&c->value, "\x02\x12team-lead", 11);
        copy.payload = c->value.data, copy.len = c->value.len;
        c->rewritten++;
    }
    return ap_export_write(c->out, &copy, c->err, sizeof c->err) ? 1 : 0;
}

int main(int argc, char **argv) {
    ap_codec_error_t cerr;
    ctx_t c = {0};
    size_t len;
    char msg[128];
    if (argc != 4) return fprintf(stderr, "usage: newer_writer IN OUT SCHEMA\n"), 2;
    if (ap_events_init(&cerr)) return fprintf(stderr, "newer_writer: %s\n", cerr.msg), 1;
    const char *hours = ap_events_schema_text("HoursEvent", &len), *end = strrchr(hours, ']');
    ap_buf_t schema = AP_BUF_INIT;
    ap_buf_appendf(&schema, "%.*s, {\"name\": \"approved_by\", \"type\": [\"null\", \"string\"], \"default\": null}%s",
                   (int)(end - hours), hours, end);
    FILE *f = fopen(argv[3], "w");
    if (!f || fwrite(schema.data, 1, schema.len, f) != schema.len || fclose(f)) return perror(argv[3]), 1;
    c.current = ap_events_desc(AP_EV_HOURS)->fingerprint;
    if (ap_schema_fingerprint(schema.data, schema.len, &c.newer, msg, sizeof msg)) return fprintf(stderr, "%s\n", msg), 1;
    if (!(c.out = ap_export_create(argv[2], c.err, sizeof c.err))) return fprintf(stderr, "newer_writer: %s\n", c.err), 1;
    int rc = ap_export_read(argv[1], NULL, rewrite, &c, c.err, sizeof c.err);
    if (rc != 0 || ap_export_close(c.out, c.err, sizeof c.err)) return fprintf(stderr, "newer_writer: %s\n", c.err), 1;
    fprintf(stderr, "newer_writer: %ld HoursEvent records rewritten\n", c.rewritten);
    ap_buf_free(&schema);
    ap_buf_free(&c.value);
    return 0;
}
