/* Exported files read back: the in-place container reader against avro-c's
 * reader, the copying fallbacks (compressed container, JSON lines), and
 * broken files refused with a message. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include <avro.h>

#include "arbejdspligt/events.h"
#include "arbejdspligt/export.h"

#define N_RECORDS 4000

/* A record as written: owned copies. */
typedef struct rec {
    char topic[32];
    int32_t partition;
    int64_t offset, timestamp;
    int has_key, has_value;
    uint8_t key[16], value[1400];
    size_t keylen, len;
} rec_t;

static rec_t written[N_RECORDS];
static char dir[] = "/tmp/ap-export-test-XXXXXX";

/* Deterministic variety: three topics, null and empty keys and values, values
 * up to 1.4 KB so the file holds several 1 MiB blocks. */
static void make_records(void) {
    uint32_t x = 12345;
    for (int i = 0; i < N_RECORDS; i++) {
        rec_t *r = &written[i];
        memset(r, 0, sizeof *r);
        snprintf(r->topic, sizeof r->topic, "t.%s", (const char *[]){"placement", "hours", "exemption"}[i % 3]);
        r->partition = i % 7;
        r->offset = (int64_t)i * 3 + (i == 5 ? (int64_t)1 << 40 : 0);
        r->timestamp = 1767225600000LL + i * 1000LL - (i == 9 ? 1767225600000LL * 2 : 0); /* one negative */
        r->has_key = i % 11 != 0;
        r->keylen = r->has_key ? (size_t)(i % 13) : 0;
        r->has_value = i % 17 != 0;
        r->len = r->has_value ? (size_t)(i * 37 % sizeof r->value) : 0;
        for (size_t k = 0; k < r->keylen; k++) r->key[k] = (uint8_t)('a' + (i + k) % 26);
        for (size_t k = 0; k < r->len; k++) {
            x = x * 1103515245u + 12345u;
            r->value[k] = (uint8_t)(x >> 16);
        }
    }
}

static ap_record_t as_record(const rec_t *r) {
    return (ap_record_t){r->topic, r->partition, r->offset, r->timestamp, r->has_key ? r->key : NULL, r->keylen,
                         r->has_value ? r->value : NULL, r->len};
}

static void path_of(char *out, size_t len, const char *name) { snprintf(out, len, "%s/%s", dir, name); }

static void write_export(const char *path) {
    char err[256];
    ap_export_writer_t *w = ap_export_create(path, err, sizeof err);
    assert_non_null(w);
    for (int i = 0; i < N_RECORDS; i++) {
        ap_record_t r = as_record(&written[i]);
        assert_int_equal(ap_export_write(w, &r, err, sizeof err), 0);
    }
    assert_int_equal(ap_export_close(w, err, sizeof err), 0);
}

/* Collects views (not copies): they must stay valid after the callback. */
typedef struct seen {
    ap_record_t recs[N_RECORDS];
    size_t n;
} seen_t;

static int keep_view(void *ctx, const ap_record_t *r) {
    seen_t *s = ctx;
    if (s->n < N_RECORDS) s->recs[s->n] = *r;
    s->n++;
    return 0;
}

static void assert_same_as_written(const seen_t *s) {
    assert_int_equal(s->n, N_RECORDS);
    for (size_t i = 0; i < N_RECORDS; i++) {
        const rec_t *w = &written[i];
        const ap_record_t *r = &s->recs[i];
        assert_string_equal(r->topic, w->topic);
        assert_int_equal(r->partition, w->partition);
        assert_int_equal(r->offset, w->offset);
        assert_int_equal(r->timestamp, w->timestamp);
        assert_int_equal(r->key != NULL, w->has_key);
        assert_int_equal(r->payload != NULL, w->has_value);
        assert_int_equal(r->keylen, w->keylen);
        assert_int_equal(r->len, w->len);
        if (w->keylen) assert_memory_equal(r->key, w->key, w->keylen);
        if (w->len) assert_memory_equal(r->payload, w->value, w->len);
    }
}

static seen_t seen; /* large: not on the stack */

typedef struct copies {
    rec_t recs[N_RECORDS];
    size_t n;
} copies_t;

/* Copies exactly as make_records lays a record out (zeroed, then filled). */
static int keep_copy(void *ctx, const ap_record_t *r) {
    copies_t *c = ctx;
    if (c->n >= N_RECORDS || strlen(r->topic) >= sizeof c->recs[0].topic || r->keylen > sizeof c->recs[0].key ||
        r->len > sizeof c->recs[0].value)
        return 1;
    rec_t *h = &c->recs[c->n++];
    memset(h, 0, sizeof *h);
    strcpy(h->topic, r->topic);
    h->partition = r->partition, h->offset = r->offset, h->timestamp = r->timestamp;
    h->has_key = r->key != NULL, h->has_value = r->payload != NULL;
    h->keylen = r->keylen, h->len = r->len;
    if (r->keylen) memcpy(h->key, r->key, r->keylen);
    if (r->len) memcpy(h->value, r->payload, r->len);
    return 0;
}

static void read_view(const char *path, int want_in_place) {
    char err[256] = "";
    ap_export_view_t *v = NULL;
    memset(&seen, 0, sizeof seen);
    int rc = ap_export_read_view(path, NULL, &v, keep_view, &seen, err, sizeof err);
    if (rc) fail_msg("%s", err);
    assert_int_equal(ap_export_view_in_place(v), want_in_place);
    assert_same_as_written(&seen);
    ap_export_view_free(v);
}

static void the_container_is_read_in_place_as_avro_c_reads_it(void **state) {
    (void)state;
    char path[128];
    path_of(path, sizeof path, "plain.avro");
    write_export(path);
    read_view(path, 1);
    /* avro-c's reader (ap_export_read) gives the same records; they live
     * during the call only, so this keeps copies. */
    char err[256];
    static copies_t copies;
    memset(&copies, 0, sizeof copies);
    assert_int_equal(ap_export_read(path, NULL, keep_copy, &copies, err, sizeof err), 0);
    assert_int_equal(copies.n, N_RECORDS);
    assert_memory_equal(copies.recs, written, sizeof written);
}

/* Another writer's compressed container: read through avro-c, copied. */
static void a_deflate_container_is_read_through_avro_c(void **state) {
    (void)state;
    char path[128];
    path_of(path, sizeof path, "deflate.avro");
    size_t len;
    const char *text = ap_events_schema_text("ExportedRecord", &len);
    avro_schema_t schema;
    avro_file_writer_t fw;
    assert_int_equal(avro_schema_from_json_length(text, len, &schema), 0);
    assert_int_equal(avro_file_writer_create_with_codec(path, schema, &fw, "deflate", 64 * 1024), 0);
    avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
    avro_value_t v, f, b;
    avro_generic_value_new(iface, &v);
    for (int i = 0; i < N_RECORDS; i++) {
        const rec_t *r = &written[i];
        avro_value_reset(&v);
        assert_int_equal(avro_value_get_by_name(&v, "topic", &f, NULL), 0);
        assert_int_equal(avro_value_set_string(&f, r->topic), 0);
        avro_value_get_by_name(&v, "partition", &f, NULL);
        avro_value_set_int(&f, r->partition);
        avro_value_get_by_name(&v, "offset", &f, NULL);
        avro_value_set_long(&f, r->offset);
        avro_value_get_by_name(&v, "timestamp", &f, NULL);
        avro_value_set_long(&f, r->timestamp);
        avro_value_get_by_name(&v, "key", &f, NULL);
        if (r->has_key) avro_value_set_branch(&f, 1, &b), avro_value_set_bytes(&b, (void *)r->key, r->keylen);
        else avro_value_set_branch(&f, 0, &b), avro_value_set_null(&b);
        avro_value_get_by_name(&v, "value", &f, NULL);
        if (r->has_value) avro_value_set_branch(&f, 1, &b), avro_value_set_bytes(&b, (void *)r->value, r->len);
        else avro_value_set_branch(&f, 0, &b), avro_value_set_null(&b);
        assert_int_equal(avro_file_writer_append_value(fw, &v), 0);
    }
    assert_int_equal(avro_file_writer_close(fw), 0);
    avro_value_decref(&v);
    avro_value_iface_decref(iface);
    avro_schema_decref(schema);
    read_view(path, 0);
}

static void json_lines_are_copied_into_the_view(void **state) {
    (void)state;
    char path[128];
    path_of(path, sizeof path, "export.jsonl");
    write_export(path);
    read_view(path, 0);
}

/* One record kept with its bytes (ap_export_read hands out views valid only
 * during the call). */
typedef struct one {
    int n;
    char topic[32];
    uint8_t value[1024];
    size_t len;
} one_t;

static int keep_one(void *ctx, const ap_record_t *r) {
    one_t *o = ctx;
    if (o->n++ || r->len > sizeof o->value) return 1;
    snprintf(o->topic, sizeof o->topic, "%s", r->topic);
    memcpy(o->value, r->payload, r->len);
    o->len = r->len;
    return 0;
}

/* A JSON line may give a SanctionEvent as "event" (monitoring design §1.4):
 * it is encoded as the services receive it, the JSON form apctl consume
 * prints reads back the same, and a sanction without its required
 * journal_ref is refused with the line. */
static void a_sanction_event_line_is_encoded_as_the_services_get_it(void **state) {
    (void)state;
    static const char line[] =
        "{\"topic\":\"ap.exemption\",\"partition\":2,\"offset\":7,\"timestamp\":0,\"key\":\"c-4\",\"event\":"
        "{\"schema\":\"SanctionEvent\",\"event_id\":\"6f1c2b9e-2d7a-4e0b-9a51-3c8d0f6e7a13\",\"citizen_id\":\"c-4\","
        "\"municipality_code\":\"461\",\"occurred_at\":\"2026-02-04T00:00:00Z\",\"recorded_at\":\"2026-02-04T01:00:00Z\","
        "\"source_system\":\"opera\",\"action\":\"DECIDED\",\"sanction_id\":\"sa-1\",\"decision_date\":\"2026-02-04\","
        "\"effective_from\":null,\"legal_basis\":\"fritekst\",\"journal_ref\":\"j-1\"}}\n";
    char path[128], err[256] = "";
    path_of(path, sizeof path, "sanction.jsonl");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(line, f);
    fclose(f);
    one_t got = {0};
    assert_int_equal(ap_export_read(path, NULL, keep_one, &got, err, sizeof err), 0);
    assert_int_equal(got.n, 1);
    assert_string_equal(got.topic, "ap.exemption");
    ap_event_t ev;
    ap_codec_error_t cerr;
    assert_int_equal(ap_events_decode(got.value, got.len, &ev, &cerr), AP_CODEC_OK);
    assert_int_equal(ev.type, AP_EV_SANCTION);
    assert_string_equal(ev.u.sanction.sanction_id, "sa-1");
    assert_int_equal(ev.u.sanction.action, AP_SANCTION_DECIDED);
    assert_int_equal(ev.u.sanction.decision_date, 20488); /* 2026-02-04 */
    assert_int_equal(ev.u.sanction.effective_from, INT32_MIN); /* null */
    assert_string_equal(ev.u.sanction.legal_basis, "fritekst");
    assert_string_equal(ev.u.sanction.placement_id, ""); /* left out: its default */
    assert_string_equal(ev.u.sanction.journal_ref, "j-1");
    assert_true(ap_events_is_current(got.value, got.len));

    /* The JSON form (apctl consume) as "event" gives the same bytes. */
    ap_buf_t json = AP_BUF_INIT;
    ap_events_to_json(&ev, &json);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"topic\":\"ap.exemption\",\"partition\":2,\"offset\":7,\"timestamp\":0,\"key\":\"c-4\",\"event\":%s}\n",
            json.data);
    fclose(f);
    one_t again = {0};
    assert_int_equal(ap_export_read(path, NULL, keep_one, &again, err, sizeof err), 0);
    assert_int_equal(again.len, got.len);
    assert_memory_equal(again.value, got.value, got.len);
    ap_buf_free(&json);

    /* journal_ref left out. */
    const char *at = strstr(line, ",\"journal_ref\"");
    assert_non_null(at);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%.*s}}\n", (int)(at - line), line);
    fclose(f);
    one_t none = {0};
    assert_int_equal(ap_export_read(path, NULL, keep_one, &none, err, sizeof err), -1);
    assert_non_null(strstr(err, ":1:"));
    assert_non_null(strstr(err, "journal_ref"));
    assert_int_equal(none.n, 0);
}

static int expect_error(const char *path, const char *part) {
    char err[256] = "";
    ap_export_view_t *v = NULL;
    memset(&seen, 0, sizeof seen);
    int rc = ap_export_read_view(path, NULL, &v, keep_view, &seen, err, sizeof err);
    ap_export_view_free(v);
    assert_int_equal(rc, -1);
    if (!strstr(err, part)) fail_msg("error \"%s\" does not say \"%s\"", err, part);
    return 0;
}

/* Copies the plain container with a change: cut at `cut` bytes from the
 * end, or one byte flipped at `flip` bytes from the end. */
static void broken_copy(const char *to, size_t cut, size_t flip) {
    char from[128];
    path_of(from, sizeof from, "plain.avro");
    FILE *f = fopen(from, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    uint8_t *buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    if (flip) buf[n - (long)flip] ^= 0x5a;
    f = fopen(to, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, (size_t)n - cut, f), (size_t)n - cut);
    fclose(f);
    free(buf);
}

static void a_broken_container_is_refused_with_where(void **state) {
    (void)state;
    char path[128];
    path_of(path, sizeof path, "cut.avro");
    broken_copy(path, 10, 0);
    expect_error(path, "truncated or not an Avro block");
    path_of(path, sizeof path, "sync.avro");
    broken_copy(path, 0, 3);
    expect_error(path, "sync marker");
    path_of(path, sizeof path, "header.avro");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("Obj\x01\x02", f); /* a map block that never ends */
    fclose(f);
    expect_error(path, "broken header");
    /* A map block count of INT64_MIN (zig-zag 2^64 - 1): negating it was a
     * signed overflow (UBSan aborts); it is a broken header. */
    f = fopen(path, "wb");
    assert_non_null(f);
    fwrite("Obj\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x02\x00\x00", 1, 17, f);
    fclose(f);
    expect_error(path, "broken header");
}

/* Any damaged byte of a container: a clear refusal or a reading, never a
 * read outside the file (AddressSanitizer watches). */
static void damaged_containers_never_read_outside_the_file(void **state) {
    (void)state;
    char path[128], bad[128], err[256];
    path_of(path, sizeof path, "small.avro");
    path_of(bad, sizeof bad, "damaged.avro");
    ap_export_writer_t *w = ap_export_create(path, err, sizeof err);
    assert_non_null(w);
    for (int i = 0; i < 60; i++) {
        ap_record_t r = as_record(&written[i]);
        assert_int_equal(ap_export_write(w, &r, err, sizeof err), 0);
    }
    assert_int_equal(ap_export_close(w, err, sizeof err), 0);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static uint8_t buf[256 * 1024];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 1000 && n < sizeof buf);
    uint32_t x = 7;
    int refused = 0;
    for (int round = 0; round < 300; round++) {
        x = x * 1103515245u + 12345u;
        size_t at = (x >> 8) % n;
        uint8_t was = buf[at];
        buf[at] ^= (uint8_t)(1u << (x % 8));
        size_t len = round % 3 == 0 ? at + 1 : n; /* some also cut short there */
        f = fopen(bad, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(buf, 1, len, f), len);
        fclose(f);
        ap_export_view_t *v = NULL;
        memset(&seen, 0, sizeof seen);
        int rc = ap_export_read_view(bad, NULL, &v, keep_view, &seen, err, sizeof err);
        ap_export_view_free(v);
        assert_true(rc == 0 || rc == -1);
        if (rc) refused++;
        buf[at] = was;
    }
    assert_true(refused > 0); /* damage is noticed */
}

/* Partition counts (issue 14): an export's count records give each topic's
 * count to ap_export_view_partitions, in both formats and both reading paths
 * (in place and copied), and are never handed out as records; a file
 * without them (written before) reads as before, with no counts. */
static void partition_counts_travel_with_the_export(void **state) {
    (void)state;
    static const char *const names[] = {"counts.avro", "counts.jsonl"};
    char err[256];
    for (size_t f = 0; f < 2; f++) {
        char path[512];
        path_of(path, sizeof path, names[f]);
        ap_export_writer_t *w = ap_export_create(path, err, sizeof err);
        assert_non_null(w);
        assert_int_equal(ap_export_write_partitions(w, "t.placement", 6, err, sizeof err), 0);
        assert_int_equal(ap_export_write_partitions(w, "t.hours", 6, err, sizeof err), 0);
        assert_int_equal(ap_export_write_partitions(w, "t.exemption", 5, err, sizeof err), 0);
        for (int i = 0; i < N_RECORDS; i++) {
            ap_record_t r = as_record(&written[i]);
            assert_int_equal(ap_export_write(w, &r, err, sizeof err), 0);
        }
        assert_int_equal(ap_export_close(w, err, sizeof err), 0);

        ap_export_view_t *v = NULL;
        memset(&seen, 0, sizeof seen);
        assert_int_equal(ap_export_read_view(path, NULL, &v, keep_view, &seen, err, sizeof err), 0);
        assert_int_equal(ap_export_view_in_place(v), f == 0); /* the container in place, JSON lines copied */
        assert_same_as_written(&seen);                        /* no count record among them */
        assert_int_equal(ap_export_view_partitions(v, "t.placement"), 6);
        assert_int_equal(ap_export_view_partitions(v, "t.hours"), 6);
        assert_int_equal(ap_export_view_partitions(v, "t.exemption"), 5);
        assert_int_equal(ap_export_view_partitions(v, "t.other"), 0);
        ap_export_view_free(v);

        static copies_t copies;
        copies.n = 0;
        assert_int_equal(ap_export_read(path, NULL, keep_copy, &copies, err, sizeof err), 0);
        assert_int_equal(copies.n, N_RECORDS);
    }
    /* Written before: no counts. */
    char old[512];
    path_of(old, sizeof old, "old.avro");
    write_export(old);
    ap_export_view_t *v = NULL;
    memset(&seen, 0, sizeof seen);
    assert_int_equal(ap_export_read_view(old, NULL, &v, keep_view, &seen, err, sizeof err), 0);
    assert_same_as_written(&seen);
    assert_int_equal(ap_export_view_partitions(v, "t.hours"), 0);
    ap_export_view_free(v);
}


/* ------------------------------------------------ manifest (issue 15 §7) */

static uint8_t *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    uint8_t *buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static void spill(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* Reads with the manifest required: 0 and verified (and, if intact, the
 * records as written), or -1 with err. */
static int read_checked_as(const char *path, int intact, char *err, size_t errlen) {
    ap_export_opts_t opts = {0, 0, 1};
    ap_export_view_t *v = NULL;
    memset(&seen, 0, sizeof seen);
    err[0] = '\0';
    int rc = ap_export_read_view(path, &opts, &v, keep_view, &seen, err, errlen);
    if (rc == 0) assert_true(ap_export_view_verified(v));
    if (rc == 0 && intact) assert_same_as_written(&seen);
    ap_export_view_free(v);
    return rc;
}

static int read_checked(const char *path, char *err, size_t errlen) { return read_checked_as(path, 0, err, errlen); }

static void refused(const char *path, const char *part) {
    char err[512];
    assert_int_equal(read_checked(path, err, sizeof err), -1);
    if (!strstr(err, part)) fail_msg("error \"%s\" does not say \"%s\"", err, part);
}

/* Block boundaries of a container: just after each sync marker. */
static size_t block_ends(const uint8_t *buf, size_t n, size_t *ends, size_t max) {
    /* The header's sync marker is its last 16 bytes; find it as the 16
     * bytes that end the file (every block ends with it). */
    const uint8_t *sync = buf + n - 16;
    size_t k = 0;
    for (size_t i = 4; i + 16 <= n && k < max; i++)
        if (memcmp(buf + i, sync, 16) == 0) ends[k++] = i + 16;
    return k;
}

/* An export is evidence (§7): the intact file verifies in both formats; a
 * file cut at a block or line boundary, with a record removed, a byte
 * changed or a record appended is refused, saying why. */
static void the_manifest_refuses_cut_changed_and_extended_exports(void **state) {
    (void)state;
    char path[128], bad[128], err[512];
    size_t n, ends[64];

    /* Container. */
    path_of(path, sizeof path, "plain.avro");
    path_of(bad, sizeof bad, "bad.avro");
    write_export(path);
    assert_int_equal(read_checked_as(path, 1, err, sizeof err), 0);
    uint8_t *buf = slurp(path, &n);
    size_t k = block_ends(buf, n, ends, 64);
    assert_true(k >= 4); /* the header's marker, and several blocks */
    spill(bad, buf, ends[k - 2]); /* cut at the last block boundary */
    refused(bad, "no manifest");
    spill(bad, buf, ends[1]); /* cut after the first block */
    refused(bad, "no manifest");
    /* The second block taken out: the rest reads, but is not all. */
    uint8_t *out = malloc(n);
    assert_non_null(out);
    memcpy(out, buf, ends[1]);
    memcpy(out + ends[1], buf + ends[2], n - ends[2]);
    spill(bad, out, n - (ends[2] - ends[1]));
    refused(bad, "export incomplete:");
    /* One byte of a value changed: it still decodes, to another record. */
    const rec_t *r = &written[N_RECORDS / 2];
    uint8_t *at = memmem(buf, n, r->value, r->len);
    assert_non_null(at);
    memcpy(out, buf, n);
    out[at - buf + r->len / 2] ^= 0x01;
    spill(bad, out, n);
    refused(bad, "SHA-256 mismatch");
    free(out);
    /* A record appended after the manifest (avro-c appends to the file). */
    spill(bad, buf, n);
    {
        avro_file_writer_t fw;
        avro_schema_t schema;
        size_t len;
        const char *text = ap_events_schema_text("ExportedRecord", &len);
        assert_int_equal(avro_schema_from_json_length(text, len, &schema), 0);
        assert_int_equal(avro_file_writer_open(bad, &fw), 0);
        avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
        avro_value_t v, f, b;
        avro_generic_value_new(iface, &v);
        avro_value_get_by_name(&v, "topic", &f, NULL);
        avro_value_set_string(&f, "t.hours");
        avro_value_get_by_name(&v, "offset", &f, NULL);
        avro_value_set_long(&f, 1000000);
        avro_value_get_by_name(&v, "key", &f, NULL);
        avro_value_set_branch(&f, 0, &b);
        avro_value_get_by_name(&v, "value", &f, NULL);
        avro_value_set_branch(&f, 0, &b);
        assert_int_equal(avro_file_writer_append_value(fw, &v), 0);
        assert_int_equal(avro_file_writer_close(fw), 0);
        avro_value_decref(&v);
        avro_value_iface_decref(iface);
        avro_schema_decref(schema);
    }
    refused(bad, "after the manifest");
    free(buf);

    /* JSON lines. */
    path_of(path, sizeof path, "export.jsonl");
    path_of(bad, sizeof bad, "bad.jsonl");
    write_export(path);
    assert_int_equal(read_checked_as(path, 1, err, sizeof err), 0);
    buf = slurp(path, &n);
    assert_int_equal(buf[n - 1], '\n');
    uint8_t *last = buf + n - 1;
    while (last > buf && last[-1] != '\n') last--;
    assert_non_null(strstr((const char *)last, "\"topic\":\"\""));
    spill(bad, buf, (size_t)(last - buf)); /* cut at the last line boundary */
    refused(bad, "no manifest");
    spill(bad, buf, (size_t)(last - buf) / 2); /* cut in the middle of a line: refused too */
    assert_int_equal(read_checked(bad, err, sizeof err), -1);
    /* A line taken out of the middle. */
    uint8_t *mid = buf + n / 2;
    while (*mid != '\n') mid++;
    uint8_t *next = mid + 1;
    while (*next != '\n') next++;
    out = malloc(n);
    assert_non_null(out);
    memcpy(out, buf, (size_t)(mid - buf));
    memcpy(out + (mid - buf), next, n - (size_t)(next - buf));
    spill(bad, out, n - (size_t)(next - mid));
    refused(bad, "export incomplete:");
    /* One hex digit of a value changed. */
    memcpy(out, buf, n);
    char *value = strstr((char *)out + n / 3, "\"value\":\"");
    assert_non_null(value);
    value[9] = value[9] == '0' ? '1' : '0';
    spill(bad, out, n);
    refused(bad, "SHA-256 mismatch");
    /* A record appended. */
    static const char extra[] = "{\"topic\":\"t.hours\",\"partition\":0,\"offset\":99999,\"timestamp\":0,\"key\":null,\"value\":null}\n";
    memcpy(out, buf, n);
    spill(bad, out, n);
    FILE *f = fopen(bad, "ab");
    assert_non_null(f);
    fputs(extra, f);
    fclose(f);
    refused(bad, "after the manifest");
    free(out);
    free(buf);

    /* Without require_manifest, a file without one reads, unverified. */
    path_of(bad, sizeof bad, "bad.jsonl");
    buf = slurp(path, &n);
    last = buf + n - 1;
    while (last > buf && last[-1] != '\n') last--;
    spill(bad, buf, (size_t)(last - buf));
    free(buf);
    ap_export_view_t *v = NULL;
    memset(&seen, 0, sizeof seen);
    assert_int_equal(ap_export_read_view(bad, NULL, &v, keep_view, &seen, err, sizeof err), 0);
    assert_false(ap_export_view_verified(v));
    assert_same_as_written(&seen);
    ap_export_view_free(v);
}

/* The manifest's figures: records, per-partition ranges, and the SHA-256
 * over the records' Avro encoding, the same in both formats. */
static void the_manifest_is_the_same_in_both_formats(void **state) {
    (void)state;
    char a[128], j[128];
    size_t na, nj;
    path_of(a, sizeof a, "plain.avro");
    path_of(j, sizeof j, "export.jsonl");
    write_export(a);
    write_export(j);
    uint8_t *ba = slurp(a, &na), *bj = slurp(j, &nj);
    bj[nj] = '\0';
    char *line = strrchr((char *)bj, '{'); /* the last line's object */
    while (line > (char *)bj && line[-1] != '\n') line--;
    char *hex = strstr(line, "\"value\":\"");
    assert_non_null(hex);
    hex += 9;
    size_t hl = strcspn(hex, "\"");
    char json[4096];
    assert_true(hl / 2 < sizeof json);
    for (size_t i = 0; i < hl / 2; i++) {
        unsigned x;
        sscanf(hex + 2 * i, "%2x", &x);
        json[i] = (char)x;
    }
    json[hl / 2] = '\0';
    assert_non_null(strstr(json, "\"records\":4000,"));
    assert_non_null(strstr(json, "{\"topic\":\"t.exemption\",\"partition\":0,"));
    /* The container holds the very same manifest bytes. */
    assert_non_null(memmem(ba, na, json, strlen(json)));
    free(ba);
    free(bj);
}

/* ------------------------------------------------------ bounds (§6 part) */

static long max_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* A 100 MB line (generated here, never committed) is refused by its line
 * number, quickly and without taking its size in memory: getline() took it
 * whole, and the JSON reader gigabytes more. */
static void a_huge_line_is_refused_with_bounded_memory(void **state) {
    (void)state;
    char path[128], err[512];
    path_of(path, sizeof path, "huge.jsonl");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("{\"topic\":\"t.hours\",\"partition\":0,\"offset\":0,\"timestamp\":0,\"key\":null,\"value\":null}\n", f);
    fputs("{\"topic\":\"t.hours\",\"partition\":0,\"offset\":1,\"timestamp\":0,\"key\":null,\"value\":\"", f);
    static char chunk[1 << 20];
    memset(chunk, 'a', sizeof chunk);
    for (int i = 0; i < 100; i++) assert_int_equal(fwrite(chunk, 1, sizeof chunk, f), sizeof chunk);
    fputs("\"}\n", f);
    fclose(f);
    long before = max_rss_kb();
    ap_export_view_t *v = NULL;
    memset(&seen, 0, sizeof seen);
    int rc = ap_export_read_view(path, NULL, &v, keep_view, &seen, err, sizeof err);
    ap_export_view_free(v);
    long grew = max_rss_kb() - before;
    unlink(path);
    assert_int_equal(rc, -1);
    if (!strstr(err, ":2: line longer than 1048576 bytes")) fail_msg("error \"%s\" does not name line 2", err);
    if (grew > 64 * 1024) fail_msg("reading the line took %ld KB more", grew);
    /* A smaller limit applies too. */
    path_of(path, sizeof path, "export.jsonl");
    write_export(path);
    ap_export_opts_t opts = {1024, 0, 0};
    assert_int_equal(ap_export_read_view(path, &opts, &v, keep_view, &seen, err, sizeof err), -1);
    ap_export_view_free(v);
    assert_non_null(strstr(err, "line longer than 1024 bytes"));
}

/* Appends a long as a zig-zag varint. */
static size_t zz(uint8_t *p, int64_t v) {
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    size_t n = 0;
    while (z > 0x7f) p[n++] = (uint8_t)(z | 0x80), z >>= 7;
    p[n++] = (uint8_t)z;
    return n;
}

/* A deflate container whose block claims a huge size, and one whose small
 * block inflates beyond the limit, are refused naming the block: avro-c
 * allocated what the file claimed (1 GB from a 1 MB file). */
static void deflate_blocks_are_bounded(void **state) {
    (void)state;
    char path[128], bad[128], err[512];
    path_of(path, sizeof path, "deflate.avro");
    path_of(bad, sizeof bad, "bad.avro");
    a_deflate_container_is_read_through_avro_c(state); /* writes deflate.avro */
    size_t n, ends[64];
    uint8_t *buf = slurp(path, &n);
    size_t k = block_ends(buf, n, ends, 64);
    assert_true(k >= 2);
    /* A block inserted before block 1 claiming 2^40 bytes (avro-c asked
     * for them: AddressSanitizer aborts) or 1 GiB (avro-c allocated it and,
     * its read failing, leaked it: LeakSanitizer fails this test at exit). */
    uint8_t *out = malloc(n + 32);
    assert_non_null(out);
    for (int claim = 40; claim >= 30; claim -= 10) {
        size_t h = ends[0], m = h;
        memcpy(out, buf, h);
        m += zz(out + m, 1);
        m += zz(out + m, (int64_t)1 << claim);
        memcpy(out + m, buf + h, n - h);
        spill(bad, out, m + n - h);
        assert_int_equal(ap_export_read(bad, NULL, keep_view, &seen, err, sizeof err), -1);
        if (!strstr(err, "block 1 at byte") || !strstr(err, "max_block_bytes")) fail_msg("error \"%s\"", err);
    }
    free(out);
    free(buf);
    /* 64 MiB of zeros deflate to 64 KB: a limit of 1 MiB refuses it. */
    size_t len;
    const char *text = ap_events_schema_text("ExportedRecord", &len);
    avro_schema_t schema;
    avro_file_writer_t fw;
    unlink(bad);
    assert_int_equal(avro_schema_from_json_length(text, len, &schema), 0);
    assert_int_equal(avro_file_writer_create_with_codec(bad, schema, &fw, "deflate", 80 << 20), 0);
    avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
    avro_value_t v, f, b;
    avro_generic_value_new(iface, &v);
    void *zeros = calloc(1, 4 << 20);
    assert_non_null(zeros);
    for (int i = 0; i < 16; i++) {
        avro_value_reset(&v);
        avro_value_get_by_name(&v, "topic", &f, NULL);
        avro_value_set_string(&f, "t.hours");
        avro_value_get_by_name(&v, "offset", &f, NULL);
        avro_value_set_long(&f, i);
        avro_value_get_by_name(&v, "key", &f, NULL);
        avro_value_set_branch(&f, 0, &b);
        avro_value_get_by_name(&v, "value", &f, NULL);
        avro_value_set_branch(&f, 1, &b);
        avro_value_set_bytes(&b, zeros, 4 << 20);
        assert_int_equal(avro_file_writer_append_value(fw, &v), 0);
    }
    assert_int_equal(avro_file_writer_close(fw), 0);
    avro_value_decref(&v);
    avro_value_iface_decref(iface);
    avro_schema_decref(schema);
    free(zeros);
    ap_export_opts_t opts = {0, 1 << 20, 0};
    long before = max_rss_kb();
    assert_int_equal(ap_export_read(bad, &opts, keep_view, &seen, err, sizeof err), -1);
    if (!strstr(err, "inflates to more than 1048576 bytes")) fail_msg("error \"%s\"", err);
    assert_true(max_rss_kb() - before < 16 * 1024);
    unlink(bad);
}

static int setup(void **state) {
    (void)state;
    ap_codec_error_t cerr;
    if (ap_events_init(&cerr)) return -1;
    if (!mkdtemp(dir)) return -1;
    make_records();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    const char *names[] = {"plain.avro", "deflate.avro", "export.jsonl", "cut.avro",
                           "sync.avro",  "header.avro",  "small.avro",   "damaged.avro", "bad.avro", "bad.jsonl",
                           "counts.avro", "counts.jsonl", "old.avro", "huge.jsonl"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        path_of(path, sizeof path, names[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_container_is_read_in_place_as_avro_c_reads_it),
        cmocka_unit_test(a_deflate_container_is_read_through_avro_c),
        cmocka_unit_test(json_lines_are_copied_into_the_view),
        cmocka_unit_test(a_sanction_event_line_is_encoded_as_the_services_get_it),
        cmocka_unit_test(a_broken_container_is_refused_with_where),
        cmocka_unit_test(damaged_containers_never_read_outside_the_file),
        cmocka_unit_test(partition_counts_travel_with_the_export),
        cmocka_unit_test(the_manifest_refuses_cut_changed_and_extended_exports),
        cmocka_unit_test(the_manifest_is_the_same_in_both_formats),
        cmocka_unit_test(a_huge_line_is_refused_with_bounded_memory),
        cmocka_unit_test(deflate_blocks_are_bounded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
