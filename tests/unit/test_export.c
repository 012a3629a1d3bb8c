/* Exported files read back: the in-place container reader against avro-c's
 * reader, the copying fallbacks (compressed container, JSON lines), and
 * broken files refused with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    int rc = ap_export_read_view(path, &v, keep_view, &seen, err, sizeof err);
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
    assert_int_equal(ap_export_read(path, keep_copy, &copies, err, sizeof err), 0);
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

static int expect_error(const char *path, const char *part) {
    char err[256] = "";
    ap_export_view_t *v = NULL;
    memset(&seen, 0, sizeof seen);
    int rc = ap_export_read_view(path, &v, keep_view, &seen, err, sizeof err);
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
        int rc = ap_export_read_view(bad, &v, keep_view, &seen, err, sizeof err);
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
        assert_int_equal(ap_export_read_view(path, &v, keep_view, &seen, err, sizeof err), 0);
        assert_int_equal(ap_export_view_in_place(v), f == 0); /* the container in place, JSON lines copied */
        assert_same_as_written(&seen);                        /* no count record among them */
        assert_int_equal(ap_export_view_partitions(v, "t.placement"), 6);
        assert_int_equal(ap_export_view_partitions(v, "t.hours"), 6);
        assert_int_equal(ap_export_view_partitions(v, "t.exemption"), 5);
        assert_int_equal(ap_export_view_partitions(v, "t.other"), 0);
        ap_export_view_free(v);

        static copies_t copies;
        copies.n = 0;
        assert_int_equal(ap_export_read(path, keep_copy, &copies, err, sizeof err), 0);
        assert_int_equal(copies.n, N_RECORDS);
    }
    /* Written before: no counts. */
    char old[512];
    path_of(old, sizeof old, "old.avro");
    write_export(old);
    ap_export_view_t *v = NULL;
    memset(&seen, 0, sizeof seen);
    assert_int_equal(ap_export_read_view(old, &v, keep_view, &seen, err, sizeof err), 0);
    assert_same_as_written(&seen);
    assert_int_equal(ap_export_view_partitions(v, "t.hours"), 0);
    ap_export_view_free(v);
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
                           "sync.avro",  "header.avro",  "small.avro",   "damaged.avro"};
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
        cmocka_unit_test(a_broken_container_is_refused_with_where),
        cmocka_unit_test(damaged_containers_never_read_outside_the_file),
        cmocka_unit_test(partition_counts_travel_with_the_export),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
