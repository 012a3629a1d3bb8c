/* Schema resolution (resolve.h): every rule of the specification's "Schema
 * Resolution" on records written by avro-c (an independent encoder) with a
 * writer schema, read as a probe reader; the schema checker; the project's
 * compatibility policy over every released version; and the registry
 * (a HoursEvent written with a newer compatible schema decodes, issue 14 §5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <avro.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/events.h"
#include "arbejdspligt/resolve.h"
#include "arbejdspligt/schema.h"

/* ------------------------------------------------------------ the probe */

/* A reader with every field type of codec.h, defaults on the fields a
 * writer may lack. */
typedef struct part {
    char name[16];
    int64_t qty;
} part_t;

typedef struct probe {
    char id[16];
    int64_t count;
    char label[16];
    ap_bytes_t blob;
    int32_t kind, strict;
    char note[16];
    int32_t n, level;
    bool flag;
    uint32_t n_tags;
    char tags[4][8];
    uint32_t n_parts;
    part_t parts[4];
    int32_t size;
    char unit[8];
} probe_t;

static const char *const kinds[] = {"A", "B", "C"};
static const char *const stricts[] = {"X", "Y"};
static const char *const levels[] = {"LOW", "HIGH"};

#define FS(T, nm, mem, type, cap) {nm, type, AP_LT_NONE, offsetof(T, mem), cap, NULL, 0, NULL, 0, 0}
#define FE(T, nm, mem, type, syms, n) {nm, type, AP_LT_NONE, offsetof(T, mem), 0, syms, n, NULL, 0, 0}

static const ap_field_desc_t part_fields[] = {
    FS(part_t, "name", name, AP_FT_STRING, 16),
    FS(part_t, "qty", qty, AP_FT_LONG, 0),
};
static const ap_record_desc_t part_desc = {"Part", part_fields, 2, sizeof(part_t), 0, NULL, 0};

static const ap_field_desc_t probe_fields[] = {
    FS(probe_t, "id", id, AP_FT_STRING, 16),
    FS(probe_t, "count", count, AP_FT_LONG, 0),
    FS(probe_t, "label", label, AP_FT_STRING, 16),
    FS(probe_t, "blob", blob, AP_FT_BYTES, 64),
    FE(probe_t, "kind", kind, AP_FT_ENUM, kinds, 3),
    FE(probe_t, "strict", strict, AP_FT_ENUM, stricts, 2),
    FS(probe_t, "note", note, AP_FT_OPT_STRING, 16),
    FS(probe_t, "n", n, AP_FT_OPT_INT, 0),
    FE(probe_t, "level", level, AP_FT_OPT_ENUM, levels, 2),
    FS(probe_t, "flag", flag, AP_FT_BOOL, 0),
    {"tags", AP_FT_ARRAY, AP_LT_NONE, offsetof(probe_t, tags), 4, NULL, 0, NULL, 8, offsetof(probe_t, n_tags)},
    {"parts", AP_FT_ARRAY, AP_LT_NONE, offsetof(probe_t, parts), 4, NULL, 0, &part_desc, sizeof(part_t),
     offsetof(probe_t, n_parts)},
    FS(probe_t, "size", size, AP_FT_INT, 0),
    FS(probe_t, "unit", unit, AP_FT_STRING, 8),
};
static ap_record_desc_t probe_desc = {"Probe", probe_fields, 14, sizeof(probe_t), 0, NULL, 0};

/* The reader's fields as schema text, one per line of the table below. */
#define F_ID "{\"name\":\"id\",\"type\":\"string\"}"
#define F_COUNT "{\"name\":\"count\",\"type\":\"long\"}"
#define F_LABEL "{\"name\":\"label\",\"type\":\"string\"}"
#define F_BLOB "{\"name\":\"blob\",\"type\":\"bytes\"}"
#define F_KIND "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"Kind\",\"symbols\":[\"A\",\"B\",\"C\"],\"default\":\"C\"}}"
#define F_STRICT "{\"name\":\"strict\",\"type\":{\"type\":\"enum\",\"name\":\"Strict\",\"symbols\":[\"X\",\"Y\"]}}"
#define F_NOTE "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null}"
#define F_N "{\"name\":\"n\",\"type\":[\"null\",\"int\"],\"default\":null}"
#define F_LEVEL "{\"name\":\"level\",\"type\":[\"null\",{\"type\":\"enum\",\"name\":\"Level\",\"symbols\":[\"LOW\",\"HIGH\"]}],\"default\":null}"
#define F_FLAG "{\"name\":\"flag\",\"type\":\"boolean\",\"default\":true}"
#define F_TAGS "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"},\"default\":[]}"
#define F_PARTS "{\"name\":\"parts\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"Part\",\"fields\":[{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"qty\",\"type\":\"long\"}]}},\"default\":[]}"
#define F_SIZE "{\"name\":\"size\",\"type\":\"int\",\"default\":7}"
#define F_UNIT "{\"name\":\"unit\",\"type\":\"string\",\"default\":\"min\"}"
#define READER_FIELDS F_ID, F_COUNT, F_LABEL, F_BLOB, F_KIND, F_STRICT, F_NOTE, F_N, F_LEVEL, F_FLAG, F_TAGS, F_PARTS, F_SIZE, F_UNIT

static char reader_text[4096];

/* A record schema named Probe with the given fields (NULL-terminated). */
static void schema_of(const char *const *fields, char *out, size_t cap) {
    size_t n = (size_t)snprintf(out, cap, "{\"type\":\"record\",\"name\":\"Probe\",\"namespace\":\"t\",\"fields\":[");
    for (size_t i = 0; fields[i]; i++) n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "," : "", fields[i]);
    snprintf(out + n, cap - n, "]}");
}

static int setup(void **state) {
    (void)state;
    static const char *const fields[] = {READER_FIELDS, NULL};
    ap_codec_error_t err;
    schema_of(fields, reader_text, sizeof reader_text);
    if (ap_codec_bind(&probe_desc, reader_text, strlen(reader_text), &err)) {
        fprintf(stderr, "bind: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------- writing records by avro-c */

/* Sets a value from a small notation: s:text string, y:text bytes, i:N int,
 * l:N long, f:X float, d:X double, t:0/1 boolean, e:N enum index, x:text
 * fixed, n null, uK/op union branch K, aK/op array of K items, mK/op map of
 * K entries, {f=op;g=op} record. */
static int set_value(avro_value_t *v, const char *op) {
    avro_value_t child;
    size_t idx;
    int k = atoi(op + 1);
    const char *rest = strchr(op, '/');
    switch (op[0]) {
    case 's': return avro_value_set_string(v, op + 2);
    case 'y': return avro_value_set_bytes(v, (void *)(op + 2), strlen(op + 2));
    case 'x': return avro_value_set_fixed(v, (void *)(op + 2), strlen(op + 2));
    case 'i': return avro_value_set_int(v, atoi(op + 2));
    case 'l': return avro_value_set_long(v, atoll(op + 2));
    case 'f': return avro_value_set_float(v, (float)atof(op + 2));
    case 'd': return avro_value_set_double(v, atof(op + 2));
    case 't': return avro_value_set_boolean(v, atoi(op + 2));
    case 'e': return avro_value_set_enum(v, atoi(op + 2));
    case 'n': return avro_value_set_null(v);
    case 'u': return avro_value_set_branch(v, k, &child) || set_value(&child, rest + 1);
    case 'a':
        for (int i = 0; i < k; i++)
            if (avro_value_append(v, &child, &idx) || set_value(&child, rest + 1)) return -1;
        return 0;
    case 'm':
        for (int i = 0; i < k; i++) {
            char key[16];
            int is_new;
            snprintf(key, sizeof key, "k%d", i);
            if (avro_value_add(v, key, &child, &idx, &is_new) || set_value(&child, rest + 1)) return -1;
        }
        return 0;
    case '{': {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", op + 1);
        buf[strcspn(buf, "}")] = '\0';
        for (char *save = NULL, *a = strtok_r(buf, ";", &save); a; a = strtok_r(NULL, ";", &save)) {
            char *eq = strchr(a, '=');
            *eq = '\0';
            if (avro_value_get_by_name(v, a, &child, NULL) || set_value(&child, eq + 1)) return -1;
        }
        return 0;
    }
    }
    return -1;
}

/* Sets "path=op" on a record (path: field or field.sub). */
static int assign(avro_value_t *rec, const char *assignment) {
    char path[64];
    const char *eq = strchr(assignment, '=');
    snprintf(path, sizeof path, "%.*s", (int)(eq - assignment), assignment);
    avro_value_t v = *rec, child;
    for (char *save = NULL, *p = strtok_r(path, ".", &save); p; p = strtok_r(NULL, ".", &save)) {
        if (avro_value_get_by_name(&v, p, &child, NULL)) return -1;
        v = child;
    }
    return set_value(&v, eq + 1);
}

/* What every row writes first, where the writer has the field with that
 * type (errors ignored); a row's own assignments must all apply. */
static const char *const base_assignments[] = {
    "id=s:p-1", "count=l:5", "label=s:lbl", "blob=y:\x01\x02", "kind=e:1", "strict=e:0", "note=u0/n",
    "n=u0/n",   "level=u0/n", "flag=t:0",  "size=i:3",  "unit=s:h",  NULL};

/* Encodes one record with avro-c under the writer schema, framed as a single object. */
static size_t write_record(const char *writer, const char *const *assignments, uint8_t *out, size_t cap) {
    avro_schema_t schema;
    if (avro_schema_from_json_length(writer, strlen(writer), &schema)) fail_msg("avro-c: %s", avro_strerror());
    avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
    avro_value_t rec;
    assert_int_equal(avro_generic_value_new(iface, &rec), 0);
    for (size_t i = 0; base_assignments[i]; i++) assign(&rec, base_assignments[i]);
    for (size_t i = 0; assignments && assignments[i]; i++)
        if (assign(&rec, assignments[i])) fail_msg("cannot write %s: %s", assignments[i], avro_strerror());
    uint64_t fp;
    char msg[128];
    assert_int_equal(ap_schema_fingerprint(writer, strlen(writer), &fp, msg, sizeof msg), 0);
    out[0] = AP_CODEC_MAGIC0, out[1] = AP_CODEC_MAGIC1;
    for (int i = 0; i < 8; i++) out[2 + i] = (uint8_t)(fp >> (8 * i));
    avro_writer_t w = avro_writer_memory((char *)out + AP_CODEC_HEADER_LEN, (int64_t)(cap - AP_CODEC_HEADER_LEN));
    if (avro_value_write(w, &rec)) fail_msg("avro-c write: %s", avro_strerror());
    size_t len = AP_CODEC_HEADER_LEN + (size_t)avro_writer_tell(w);
    avro_writer_free(w);
    avro_value_decref(&rec);
    avro_value_iface_decref(iface);
    avro_schema_decref(schema);
    return len;
}

/* ------------------------------------------------ the resolution rules */

#define MAXF 24
typedef struct rule_case {
    const char *rule;
    const char *writer_fields[MAXF];      /* the writer's schema */
    const char *assignments[10];          /* what avro-c writes (NULL-terminated) */
    ap_codec_status_t status;
    const char *expect[6];                /* in the decoded record's JSON */
} rule_case_t;

/* Extra writer fields of every Avro type, which the reader does not have. */
#define X_REC "{\"name\":\"x_rec\",\"type\":{\"type\":\"record\",\"name\":\"X\",\"fields\":[{\"name\":\"a\",\"type\":\"double\"},{\"name\":\"b\",\"type\":{\"type\":\"map\",\"values\":\"float\"}}]}}"
#define X_ARR "{\"name\":\"x_arr\",\"type\":{\"type\":\"array\",\"items\":\"long\"}}"
#define X_FIX "{\"name\":\"x_fix\",\"type\":{\"type\":\"fixed\",\"name\":\"F4\",\"size\":4}}"
#define X_UNI "{\"name\":\"x_uni\",\"type\":[\"null\",\"string\",\"boolean\"]}"
#define X_ENUM "{\"name\":\"x_enum\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"P\",\"Q\"]}}"
#define X_BYTES "{\"name\":\"x_bytes\",\"type\":\"bytes\"}"
#define X_BOOL "{\"name\":\"x_bool\",\"type\":\"boolean\"}"

static const rule_case_t rule_cases[] = {
    {"the reader's own schema: every field as written",
     {READER_FIELDS, NULL}, {NULL}, AP_CODEC_OK,
     {"\"id\":\"p-1\",\"count\":5,\"label\":\"lbl\",\"blob\":\"0102\",\"kind\":\"B\",\"strict\":\"X\"",
      "\"note\":null,\"n\":null,\"level\":null,\"flag\":false", "\"size\":3,\"unit\":\"h\""}},
    {"added field with default: reader fields the writer lacks get the reader's defaults",
     {F_ID, F_COUNT, F_LABEL, F_BLOB, F_KIND, F_STRICT, NULL}, {NULL}, AP_CODEC_OK,
     {"\"id\":\"p-1\",\"count\":5", "\"note\":null,\"n\":null,\"level\":null,\"flag\":true,\"tags\":[],\"parts\":[]",
      "\"size\":7,\"unit\":\"min\""}},
    {"removed field: writer fields of every type the reader lacks are skipped",
     {X_REC, F_ID, X_ARR, F_COUNT, X_FIX, F_LABEL, X_UNI, F_BLOB, X_ENUM, F_KIND, F_STRICT, X_BYTES, F_NOTE, F_N,
      F_LEVEL, X_BOOL, F_FLAG, F_TAGS, F_PARTS, F_SIZE, F_UNIT, NULL},
     {"x_rec.a=d:1.5", "x_rec.b=m2/f:0.5", "x_arr=a3/l:-9", "x_fix=x:abcd", "x_uni=u1/s:zz", "x_enum=e:1",
      "x_bytes=y:qq", "x_bool=t:1"},
     AP_CODEC_OK,
     {"\"id\":\"p-1\",\"count\":5,\"label\":\"lbl\",\"blob\":\"0102\",\"kind\":\"B\"", "\"flag\":false",
      "\"size\":3,\"unit\":\"h\""}},
    {"fields in another order are matched by name",
     {F_UNIT, F_SIZE, F_STRICT, F_KIND, F_BLOB, F_LABEL, F_COUNT, F_ID, NULL}, {NULL}, AP_CODEC_OK,
     {"\"id\":\"p-1\",\"count\":5,\"label\":\"lbl\",\"blob\":\"0102\",\"kind\":\"B\",\"strict\":\"X\"",
      "\"size\":3,\"unit\":\"h\""}},
    {"promotion: an int written is read as long",
     {F_ID, "{\"name\":\"count\",\"type\":\"int\"}", F_LABEL, F_BLOB, F_KIND, F_STRICT, NULL}, {"count=i:-7"},
     AP_CODEC_OK, {"\"count\":-7"}},
    {"promotion: bytes written are read as string",
     {F_ID, F_COUNT, "{\"name\":\"label\",\"type\":\"bytes\"}", F_BLOB, F_KIND, F_STRICT, NULL}, {"label=y:hello"},
     AP_CODEC_OK, {"\"label\":\"hello\""}},
    {"promotion: bytes read as string are still checked as UTF-8",
     {F_ID, F_COUNT, "{\"name\":\"label\",\"type\":\"bytes\"}", F_BLOB, F_KIND, F_STRICT, NULL}, {"label=y:\xff"},
     AP_CODEC_BAD_UTF8, {NULL}},
    {"promotion: a string written is read as bytes",
     {F_ID, F_COUNT, F_LABEL, "{\"name\":\"blob\",\"type\":\"string\"}", F_KIND, F_STRICT, NULL}, {"blob=s:AB"},
     AP_CODEC_OK, {"\"blob\":\"4142\""}},
    {"enum: symbols are matched by name, not position",
     {F_ID, F_COUNT, F_LABEL, F_BLOB,
      "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"Kind\",\"symbols\":[\"C\",\"B\",\"A\"]}}", F_STRICT, NULL},
     {"kind=e:0"}, AP_CODEC_OK, {"\"kind\":\"C\""}},
    {"enum: a symbol added by the writer is read as the reader enum's default",
     {F_ID, F_COUNT, F_LABEL, F_BLOB,
      "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"Kind\",\"symbols\":[\"A\",\"B\",\"C\",\"D\"]}}", F_STRICT,
      NULL},
     {"kind=e:3"}, AP_CODEC_OK, {"\"kind\":\"C\""}},
    {"enum: a symbol added by the writer, no reader default: a record using it fails",
     {F_ID, F_COUNT, F_LABEL, F_BLOB, F_KIND,
      "{\"name\":\"strict\",\"type\":{\"type\":\"enum\",\"name\":\"Strict\",\"symbols\":[\"X\",\"Y\",\"Z\"]}}", NULL},
     {"strict=e:2"}, AP_CODEC_BAD_ENUM, {NULL}},
    {"enum: a symbol added by the writer, no reader default: records using known symbols still read",
     {F_ID, F_COUNT, F_LABEL, F_BLOB, F_KIND,
      "{\"name\":\"strict\",\"type\":{\"type\":\"enum\",\"name\":\"Strict\",\"symbols\":[\"X\",\"Y\",\"Z\"]}}", NULL},
     {"strict=e:1"}, AP_CODEC_OK, {"\"strict\":\"Y\""}},
    {"enum inside an optional field: mapped by name",
     {F_ID, F_COUNT, F_LABEL, F_BLOB, F_KIND, F_STRICT,
      "{\"name\":\"level\",\"type\":[\"null\",{\"type\":\"enum\",\"name\":\"Level\",\"symbols\":[\"HIGH\",\"LOW\"]}]}", NULL},
     {"level=u1/e:0"}, AP_CODEC_OK, {"\"level\":\"HIGH\""}},
    {"union: a plain writer value is read into the reader's optional field",
     {F_ID, F_COUNT, F_LABEL, F_BLOB, F_KIND, F_STRICT, "{\"name\":\"note\",\"type\":\"string\"}",
      "{\"name\":\"n\",\"type\":\"int\"}", NULL},
     {"note=s:hi", "n=i:42"}, AP_CODEC_OK, {"\"note\":\"hi\",\"n\":42"}},
    {"union: writer branches in another order are matched by type",
     {F_ID, F_COUNT, F_LABEL, F_BLOB, F_KIND, F_STRICT, "{\"name\":\"note\",\"type\":[\"string\",\"null\"]}", NULL},
     {"note=u0/s:first"}, AP_CODEC_OK, {"\"note\":\"first\""}},
    {"union: a writer branch the reader has is read",
     {F_ID, F_COUNT, F_LABEL, F_BLOB, F_KIND, F_STRICT, "{\"name\":\"note\",\"type\":[\"null\",\"string\",\"int\"]}", NULL},
     {"note=u1/s:ok"}, AP_CODEC_OK, {"\"note\":\"ok\""}},
    {"union: a writer branch the reader lacks fails only the records that choose it",
     {F_ID, F_COUNT, F_LABEL, F_BLOB, F_KIND, F_STRICT, "{\"name\":\"note\",\"type\":[\"null\",\"string\",\"int\"]}", NULL},
     {"note=u2/i:4"}, AP_CODEC_BAD_UNION, {NULL}},
    {"union: a writer's optional read into a required field: the value",
     {F_ID, F_COUNT, F_LABEL, F_BLOB, F_KIND, F_STRICT, "{\"name\":\"size\",\"type\":[\"null\",\"int\"]}", NULL},
     {"size=u1/i:9"}, AP_CODEC_OK, {"\"size\":9"}},
    {"union: a writer's optional read into a required field: null fails",
     {F_ID, F_COUNT, F_LABEL, F_BLOB, F_KIND, F_STRICT, "{\"name\":\"size\",\"type\":[\"null\",\"int\"]}", NULL},
     {"size=u0/n"}, AP_CODEC_BAD_UNION, {NULL}},
    {"nested records in an array: fields promoted and skipped per item",
     {F_ID, F_COUNT, F_LABEL, F_BLOB, F_KIND, F_STRICT,
      "{\"name\":\"parts\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"Part\",\"fields\":["
      "{\"name\":\"extra\",\"type\":[\"null\",\"double\"]},{\"name\":\"qty\",\"type\":\"int\"},{\"name\":\"name\",\"type\":\"string\"}]}}}",
      NULL},
     {"parts=a2/{extra=u1/d:2.5;qty=i:3;name=s:w}"}, AP_CODEC_OK,
     {"\"parts\":[{\"name\":\"w\",\"qty\":3},{\"name\":\"w\",\"qty\":3}]"}},
    {"array of strings written as bytes",
     {F_ID, F_COUNT, F_LABEL, F_BLOB, F_KIND, F_STRICT, "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"bytes\"}}",
      NULL},
     {"tags=a2/y:t"}, AP_CODEC_OK, {"\"tags\":[\"t\",\"t\"]"}},
    {"array bounds still hold: more items than the reader's capacity",
     {F_ID, F_COUNT, F_LABEL, F_BLOB, F_KIND, F_STRICT, F_TAGS, NULL}, {"tags=a5/s:t"}, AP_CODEC_TOO_LONG, {NULL}},
};

static void each_resolution_rule(void **state) {
    (void)state;
    for (size_t c = 0; c < sizeof rule_cases / sizeof *rule_cases; c++) {
        const rule_case_t *rc = &rule_cases[c];
        char writer[4096];
        uint8_t rec[1024];
        probe_t out;
        ap_codec_error_t err = {0};
        schema_of(rc->writer_fields, writer, sizeof writer);
        ap_resolve_program_t *prog = ap_resolve_build(&probe_desc, writer, strlen(writer), &err);
        if (!prog) fail_msg("%s: build: %s", rc->rule, err.msg);
        size_t len = write_record(writer, rc->assignments, rec, sizeof rec);
        ap_codec_status_t st = ap_resolve_decode(prog, rec, len, &out, &err);
        if (st != rc->status) fail_msg("%s: status %d (want %d): %s", rc->rule, st, rc->status, st == AP_CODEC_OK ? "" : err.msg);
        if (st == AP_CODEC_OK) {
            ap_buf_t json = AP_BUF_INIT;
            ap_codec_to_json(&probe_desc, &out, &json);
            for (size_t i = 0; rc->expect[i]; i++)
                if (!strstr(json.data, rc->expect[i])) fail_msg("%s: %s lacks %s", rc->rule, json.data, rc->expect[i]);
            ap_buf_free(&json);
        }
        /* Every prefix fails cleanly: bounded like the codec. */
        for (size_t n = 0; n < len; n++) assert_int_not_equal(ap_resolve_decode(prog, rec, n, &out, &err), AP_CODEC_OK);
        ap_resolve_destroy(prog);
    }
}

/* The writer schema's fingerprint is the program's: another is refused. */
static void a_program_reads_only_its_writer(void **state) {
    (void)state;
    static const char *const fields[] = {F_ID, F_COUNT, F_LABEL, F_BLOB, F_KIND, F_STRICT, NULL};
    char writer[4096];
    uint8_t rec[512];
    probe_t out;
    ap_codec_error_t err;
    schema_of(fields, writer, sizeof writer);
    ap_resolve_program_t *prog = ap_resolve_build(&probe_desc, writer, strlen(writer), &err);
    assert_non_null(prog);
    size_t len = write_record(writer, NULL, rec, sizeof rec);
    rec[2] ^= 1;
    assert_int_equal(ap_resolve_decode(prog, rec, len, &out, &err), AP_CODEC_UNKNOWN_FINGERPRINT);
    ap_resolve_destroy(prog);
}

/* A hostile array of nulls costs no bytes per item: the skip budget ends it. */
static void skipping_is_bounded(void **state) {
    (void)state;
    static const char *const fields[] = {"{\"name\":\"x\",\"type\":{\"type\":\"array\",\"items\":\"null\"}}", F_ID, F_COUNT,
                                         F_LABEL, F_BLOB, F_KIND, F_STRICT, NULL};
    char writer[4096];
    uint8_t rec[512], evil[512];
    probe_t out;
    ap_codec_error_t err;
    schema_of(fields, writer, sizeof writer);
    ap_resolve_program_t *prog = ap_resolve_build(&probe_desc, writer, strlen(writer), &err);
    assert_non_null(prog);
    size_t len = write_record(writer, NULL, rec, sizeof rec);
    assert_int_equal(ap_resolve_decode(prog, rec, len, &out, &err), AP_CODEC_OK);
    /* Replace the empty array (one 0 byte) by a block of 2^40 nulls. */
    memcpy(evil, rec, AP_CODEC_HEADER_LEN);
    size_t n = AP_CODEC_HEADER_LEN;
    uint64_t z = (uint64_t)1 << 41; /* zig-zag of 2^40 */
    while (z >= 0x80) evil[n++] = (uint8_t)(z | 0x80), z >>= 7;
    evil[n++] = (uint8_t)z;
    memcpy(evil + n, rec + AP_CODEC_HEADER_LEN, len - AP_CODEC_HEADER_LEN);
    n += len - AP_CODEC_HEADER_LEN;
    assert_int_equal(ap_resolve_decode(prog, evil, n, &out, &err), AP_CODEC_TOO_LONG);
    ap_resolve_destroy(prog);
}

/* What the program cannot do is refused when it is built, naming the field. */
static void unreadable_writers_are_refused_at_build(void **state) {
    (void)state;
    static const struct {
        const char *rule;
        const char *fields[8];
        const char *reason;
    } cases[] = {
        {"a reader field without default that the writer lacks", {F_ID, F_COUNT, F_LABEL, F_BLOB, F_KIND, NULL}, "strict"},
        {"a type that does not promote", {F_ID, "{\"name\":\"count\",\"type\":\"string\"}", F_LABEL, F_BLOB, F_KIND, F_STRICT, NULL},
         "count"},
        {"an enum of another name",
         {F_ID, F_COUNT, F_LABEL, F_BLOB, "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"Sort\",\"symbols\":[\"A\"]}}",
          F_STRICT, NULL},
         "kind"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        char writer[4096];
        ap_codec_error_t err = {0};
        schema_of(cases[c].fields, writer, sizeof writer);
        ap_resolve_program_t *prog = ap_resolve_build(&probe_desc, writer, strlen(writer), &err);
        if (prog) fail_msg("%s: built", cases[c].rule);
        if (!strstr(err.msg, cases[c].reason)) fail_msg("%s: \"%s\" does not name %s", cases[c].rule, err.msg, cases[c].reason);
    }
}

/* ------------------------------------------------------------ the checker */

typedef struct check_case {
    const char *rule;
    const char *reader, *writer;
    const char *reason; /* NULL: compatible; else in the reason */
} check_case_t;

#define REC(fields) "{\"type\":\"record\",\"name\":\"R\",\"fields\":[" fields "]}"
#define FLD(name, type) "{\"name\":\"" name "\",\"type\":" type "}"

static const check_case_t check_cases[] = {
    {"same type", "\"int\"", "\"int\"", NULL},
    {"promotion int -> long", "\"long\"", "\"int\"", NULL},
    {"promotion int -> float", "\"float\"", "\"int\"", NULL},
    {"promotion int -> double", "\"double\"", "\"int\"", NULL},
    {"promotion long -> float", "\"float\"", "\"long\"", NULL},
    {"promotion long -> double", "\"double\"", "\"long\"", NULL},
    {"promotion float -> double", "\"double\"", "\"float\"", NULL},
    {"promotion string -> bytes", "\"bytes\"", "\"string\"", NULL},
    {"promotion bytes -> string", "\"string\"", "\"bytes\"", NULL},
    {"logical types resolve as their base type", "{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}", "\"int\"", NULL},
    {"no narrowing long -> int", "\"int\"", "\"long\"", "cannot be read as int"},
    {"no narrowing double -> float", "\"float\"", "\"double\"", "cannot be read as float"},
    {"no float -> long", "\"long\"", "\"float\"", "cannot be read"},
    {"no string -> int", "\"int\"", "\"string\"", "cannot be read"},
    {"no null -> int", "\"int\"", "\"null\"", "cannot be read"},
    {"record: field added with default", REC(FLD("a", "\"int\"") ",{\"name\":\"b\",\"type\":\"string\",\"default\":\"x\"}"),
     REC(FLD("a", "\"int\"")), NULL},
    {"record: field added without default", REC(FLD("a", "\"int\"") "," FLD("b", "\"string\"")), REC(FLD("a", "\"int\"")),
     "R.b: the writer does not have this field"},
    {"record: added field's default of the wrong type",
     REC(FLD("a", "\"int\"") ",{\"name\":\"b\",\"type\":[\"null\",\"string\"],\"default\":\"x\"}"), REC(FLD("a", "\"int\"")),
     "R.b: the default does not fit"},
    {"record: field removed", REC(FLD("a", "\"int\"")), REC(FLD("a", "\"int\"") "," FLD("b", "\"string\"")), NULL},
    {"record: field renamed", REC(FLD("c", "\"int\"")), REC(FLD("a", "\"int\"")), "R.c: the writer does not have"},
    {"record: field renamed, the old name an alias", REC("{\"name\":\"c\",\"type\":\"int\",\"aliases\":[\"a\"]}"),
     REC(FLD("a", "\"int\"")), NULL},
    {"record: field type changed", REC(FLD("a", "\"string\"")), REC(FLD("a", "\"int\"")), "R.a: the writer's int cannot"},
    {"record: another name", REC(FLD("a", "\"int\"")), "{\"type\":\"record\",\"name\":\"S\",\"fields\":[" FLD("a", "\"int\"") "]}",
     "another name"},
    {"record: namespaces do not matter", REC(FLD("a", "\"int\"")),
     "{\"type\":\"record\",\"name\":\"x.y.R\",\"fields\":[" FLD("a", "\"int\"") "]}", NULL},
    {"enum: writer symbol added, reader default",
     "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"],\"default\":\"A\"}",
     "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\",\"C\"]}", NULL},
    {"enum: writer symbol added, no reader default", "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}",
     "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\",\"C\"]}", "writer symbol C is not in the reader's enum"},
    {"enum: reader symbol added", "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\",\"C\"]}",
     "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}", NULL},
    {"enum: default not a symbol", "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"],\"default\":\"Z\"}",
     "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}", "default is not one of its symbols"},
    {"union: writer value into a reader union", "[\"null\",\"string\"]", "\"string\"", NULL},
    {"union: writer union into a reader value, a branch unreadable", "\"string\"", "[\"null\",\"string\"]", "null cannot"},
    {"union: each writer branch finds a reader branch (with promotion)", "[\"string\",\"long\"]", "[\"int\",\"string\"]", NULL},
    {"union: a writer branch no reader branch holds", "[\"long\",\"string\"]", "[\"int\",\"boolean\"]",
     "no branch of the reader's union can hold the writer's boolean"},
    {"array: items promoted", "{\"type\":\"array\",\"items\":\"long\"}", "{\"type\":\"array\",\"items\":\"int\"}", NULL},
    {"array: items narrowed", "{\"type\":\"array\",\"items\":\"int\"}", "{\"type\":\"array\",\"items\":\"long\"}", "[]"},
    {"map: values promoted", "{\"type\":\"map\",\"values\":\"double\"}", "{\"type\":\"map\",\"values\":\"float\"}", NULL},
    {"fixed: sizes differ", "{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}", "{\"type\":\"fixed\",\"name\":\"F\",\"size\":8}",
     "fixed sizes differ"},
    {"named type referenced by name",
     REC(FLD("a", "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}") "," FLD("b", "\"E\"")),
     REC(FLD("a", "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}") "," FLD("b", "\"E\"")), NULL},
    {"recursive records end", REC(FLD("next", "[\"null\",\"R\"]")), REC(FLD("next", "[\"null\",\"R\"]")), NULL},
};

static void checker_rules(void **state) {
    (void)state;
    for (size_t c = 0; c < sizeof check_cases / sizeof *check_cases; c++) {
        const check_case_t *cc = &check_cases[c];
        char why[256] = "";
        int rc = ap_resolve_check(cc->reader, strlen(cc->reader), cc->writer, strlen(cc->writer), why, sizeof why);
        if (!cc->reason && rc) fail_msg("%s: refused: %s", cc->rule, why);
        if (cc->reason && !rc) fail_msg("%s: accepted", cc->rule);
        if (cc->reason && !strstr(why, cc->reason)) fail_msg("%s: \"%s\" lacks \"%s\"", cc->rule, why, cc->reason);
    }
}

/* ------------------------------------------------------------- the policy */

struct ap_released_schema { const char *name; int version; const char *text; size_t len; };
extern const struct ap_released_schema ap_released_schemas[];

/* The policy (README "Schema evolution"): each released version and the one
 * after it, and the last released version and the current schema, are
 * compatible both ways (FULL); and the current schema reads every released
 * version (what ap_events_init also insists on). Fails when a change to
 * schemas/ breaks it. */
static void every_schema_change_keeps_the_policy(void **state) {
    (void)state;
    static const char *const stems[] = {"PlacementEvent", "HoursEvent", "ExemptionEvent", "ReductionEvent", "CoverageEvent",
                                        "SanctionEvent",  "StreamTick", "ComplianceResult", "Alert",      "DeadLetter",
                                        "ExportedRecord", "MonitoringPartial", "FollowUp"};
    for (size_t s = 0; s < sizeof stems / sizeof *stems; s++) {
        const struct ap_released_schema *byv[64] = {NULL};
        int last = 0;
        for (const struct ap_released_schema *r = ap_released_schemas; r->name; r++)
            if (strcmp(r->name, stems[s]) == 0) {
                assert_true(r->version > 0 && r->version < 64);
                byv[r->version] = r;
                if (r->version > last) last = r->version;
            }
        if (!last) fail_msg("%s: no released version (schemas/released/%s/v1.avsc)", stems[s], stems[s]);
        size_t clen;
        const char *current = ap_events_schema_text(stems[s], &clen);
        assert_non_null(current);
        char why[256];
        for (int v = 1; v <= last; v++) {
            if (!byv[v]) fail_msg("%s: released versions skip v%d", stems[s], v);
            const char *next = v < last ? byv[v + 1]->text : current;
            size_t nlen = v < last ? byv[v + 1]->len : clen;
            if (ap_resolve_check_policy(byv[v]->text, byv[v]->len, next, nlen, why, sizeof why))
                fail_msg("%s v%d -> %s: %s", stems[s], v, v < last ? "next version" : "schemas/*.avsc", why);
            if (ap_resolve_check(current, clen, byv[v]->text, byv[v]->len, why, sizeof why))
                fail_msg("%s: the current schema cannot read v%d: %s", stems[s], v, why);
        }
    }
}

/* Deliberate changes to HoursEvent the policy must refuse (and two it must
 * accept), each made by one text substitution of the current schema. */
static void breaking_changes_are_refused(void **state) {
    (void)state;
    static const struct {
        const char *change, *from, *to, *reason;
    } cases[] = {
        {"an optional field added with default null (the issue's change)", "\"fields\": [",
         "\"fields\": [{\"name\": \"approved_by\", \"type\": [\"null\", \"string\"], \"default\": null},", NULL},
        {"an enum symbol added to ActivityKind, which has no default: old readers fail", "\"JOBSAMTALE\"]",
         "\"JOBSAMTALE\", \"FRIVILLIGT_ARBEJDE\"]", "FORWARD: HoursEvent.activity_kind: writer symbol FRIVILLIGT_ARBEJDE"},
        {"a field added without default", "\"fields\": [", "\"fields\": [{\"name\": \"approved_by\", \"type\": \"string\"},",
         "BACKWARD: HoursEvent.approved_by"},
        {"a type changed incompatibly", "{\"name\": \"minutes\", \"type\": \"int\"", "{\"name\": \"minutes\", \"type\": \"string\"",
         "BACKWARD: HoursEvent.minutes"},
        {"a type promoted (int -> long): the old reader cannot read it", "{\"name\": \"minutes\", \"type\": \"int\"",
         "{\"name\": \"minutes\", \"type\": \"long\"", "FORWARD: HoursEvent.minutes"},
        {"an enum symbol removed", ", \"JOBSAMTALE\"]", "]", "BACKWARD: HoursEvent.activity_kind: writer symbol JOBSAMTALE"},
        {"a field renamed", "\"name\": \"report_id\"", "\"name\": \"report_ref\"", "BACKWARD: HoursEvent.report_ref"},
        {"a field renamed with the old name as alias", "\"name\": \"report_id\"",
         "\"name\": \"report_ref\", \"aliases\": [\"report_id\"]", "FORWARD: HoursEvent.report_id"},
        {"a required field removed", "{\"name\": \"source_system\", \"type\": \"string\",", "{\"name\": \"source_system_x\", \"type\": \"string\", \"default\": \"\",",
         "FORWARD: HoursEvent.source_system"},
        {"the record renamed", "\"name\": \"HoursEvent\"", "\"name\": \"HoursReport\"", "another name"},
    };
    size_t len;
    const char *current = ap_events_schema_text("HoursEvent", &len);
    assert_non_null(current);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        char next[8192], why[256] = "";
        const char *at = strstr(current, cases[c].from);
        if (!at) fail_msg("%s: \"%s\" is not in HoursEvent.avsc", cases[c].change, cases[c].from);
        snprintf(next, sizeof next, "%.*s%s%s", (int)(at - current), current, cases[c].to, at + strlen(cases[c].from));
        int rc = ap_resolve_check_policy(current, len, next, strlen(next), why, sizeof why);
        if (!cases[c].reason && rc) fail_msg("%s: refused: %s", cases[c].change, why);
        if (cases[c].reason && !rc) fail_msg("%s: accepted", cases[c].change);
        if (cases[c].reason && !strstr(why, cases[c].reason)) fail_msg("%s: \"%s\" lacks \"%s\"", cases[c].change, why, cases[c].reason);
    }
}

/* ------------------------------------------- the registry (issue 14 §5) */

/* HoursEvent as a publisher's next version writes it: one more optional
 * field, default null (the example). */
static void hours_v2(char *out, size_t cap) {
    size_t len;
    const char *current = ap_events_schema_text("HoursEvent", &len);
    const char *end = strrchr(current, ']');
    snprintf(out, cap, "%.*s, {\"name\": \"approved_by\", \"type\": [\"null\", \"string\"], \"default\": null}%s",
             (int)(end - current), current, end);
}

static ap_event_t sample_hours(void) {
    ap_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_HOURS;
    ap_hours_t *x = &ev.u.hours;
    strcpy(x->h.event_id, "6f1c2b9e-2d7a-4e0b-9a51-3c8d0f6e7a12");
    strcpy(x->h.citizen_id, "c-7");
    strcpy(x->h.municipality_code, "101");
    x->h.occurred_at = 1767700000000LL;
    x->h.recorded_at = 1767700001000LL;
    strcpy(x->h.source_system, "opera");
    x->action = AP_HOURS_REPORTED;
    strcpy(x->report_id, "r-9");
    x->activity_date = 20458;
    x->activity_kind = AP_ACT_TRANSPORT;
    x->minutes = 90;
    strcpy(x->journal_ref, "j-1");
    return ev;
}

/* Writes ev's fields, and approved_by, with avro-c under the v2 schema. */
static size_t write_hours_v2(const char *v2, const ap_event_t *ev, uint8_t *out, size_t cap) {
    const ap_hours_t *x = &ev->u.hours;
    char a[12][96];
    const char *as[14];
    int i = 0;
    snprintf(a[i], 96, "event_id=s:%s", x->h.event_id), as[i] = a[i], i++;
    snprintf(a[i], 96, "citizen_id=s:%s", x->h.citizen_id), as[i] = a[i], i++;
    snprintf(a[i], 96, "municipality_code=s:%s", x->h.municipality_code), as[i] = a[i], i++;
    snprintf(a[i], 96, "occurred_at=l:%lld", (long long)x->h.occurred_at), as[i] = a[i], i++;
    snprintf(a[i], 96, "recorded_at=l:%lld", (long long)x->h.recorded_at), as[i] = a[i], i++;
    snprintf(a[i], 96, "source_system=s:%s", x->h.source_system), as[i] = a[i], i++;
    snprintf(a[i], 96, "report_id=s:%s", x->report_id), as[i] = a[i], i++;
    snprintf(a[i], 96, "activity_date=i:%d", x->activity_date), as[i] = a[i], i++;
    snprintf(a[i], 96, "activity_kind=e:%d", x->activity_kind), as[i] = a[i], i++;
    snprintf(a[i], 96, "minutes=i:%d", x->minutes), as[i] = a[i], i++;
    snprintf(a[i], 96, "journal_ref=u1/s:%s", x->journal_ref), as[i] = a[i], i++;
    as[i++] = "placement_id=u0/n";
    as[i++] = "approved_by=u1/s:team-lead";
    as[i] = NULL;
    return write_record(v2, as, out, cap);
}

static void a_newer_compatible_hours_event_is_resolved(void **state) {
    (void)state;
    ap_codec_error_t err;
    assert_int_equal(ap_events_init(&err), 0);
    char v2[8192];
    hours_v2(v2, sizeof v2);
    ap_event_t want = sample_hours(), got;
    uint8_t rec[1024];
    size_t len = write_hours_v2(v2, &want, rec, sizeof rec);

    /* Unknown writer: a dead letter naming its fingerprint, as before. */
    assert_int_equal(ap_events_decode(rec, len, &got, &err), AP_CODEC_UNKNOWN_FINGERPRINT);
    assert_non_null(strstr(err.msg, "fingerprint"));

    /* Known (registered) writer: resolved to the current schema. */
    assert_int_equal(ap_events_add_writer(v2, strlen(v2), "HoursEvent.v2.avsc", &err), 0);
    assert_int_equal(ap_events_decode(rec, len, &got, &err), AP_CODEC_OK);
    assert_int_equal(got.type, AP_EV_HOURS);
    assert_false(ap_events_is_current(rec, len));
    ap_buf_t a = AP_BUF_INIT, b = AP_BUF_INIT;
    ap_events_encode(&got, &a);
    ap_events_encode(&want, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len); /* the current schema's bytes, field for field */
    assert_true(ap_events_is_current((const uint8_t *)a.data, a.len));
    assert_int_equal(ap_events_decode_as(AP_EV_HOURS, rec, len, &got.u, &err), AP_CODEC_OK);
    assert_int_not_equal(ap_events_decode_as(AP_EV_TICK, rec, len, &got.u, &err), AP_CODEC_OK);
    ap_buf_free(&a);
    ap_buf_free(&b);

    /* Listed with the known writers (apctl fingerprints). */
    ap_event_type_t t;
    uint64_t fp, v2fp;
    int version, found = 0;
    char msg[128];
    assert_int_equal(ap_schema_fingerprint(v2, strlen(v2), &v2fp, msg, sizeof msg), 0);
    for (int i = 0; ap_events_writer(i, &t, &fp, &version) == 0; i++) found += fp == v2fp && t == AP_EV_HOURS && version == 0;
    assert_int_equal(found, 1);
    /* Registering again changes nothing. */
    assert_int_equal(ap_events_add_writer(v2, strlen(v2), "again", &err), 0);
}

static void an_incompatible_writer_is_refused_at_start_up(void **state) {
    (void)state;
    ap_codec_error_t err;
    assert_int_equal(ap_events_init(&err), 0);
    size_t len;
    const char *current = ap_events_schema_text("HoursEvent", &len);
    char bad[8192];
    const char *at = strstr(current, "{\"name\": \"minutes\", \"type\": \"int\"");
    assert_non_null(at);
    snprintf(bad, sizeof bad, "%.*s{\"name\": \"minutes\", \"type\": \"string\"%s", (int)(at - current), current,
             at + strlen("{\"name\": \"minutes\", \"type\": \"int\""));
    assert_int_equal(ap_events_add_writer(bad, strlen(bad), "bad.avsc", &err), -1);
    assert_non_null(strstr(err.msg, "bad.avsc"));
    assert_non_null(strstr(err.msg, "HoursEvent.minutes"));
    static const char other[] = "{\"type\":\"record\",\"name\":\"Nope\",\"fields\":[]}";
    assert_int_equal(ap_events_add_writer(other, strlen(other), "nope.avsc", &err), -1);
    assert_non_null(strstr(err.msg, "Nope"));
}

/* A tick written with a newer StreamTick is still a lane barrier (the
 * intake and ap-replay ask ap_events_tick_time), once its schema is known. */
static void a_tick_of_a_newer_version_is_a_tick(void **state) {
    (void)state;
    ap_codec_error_t err;
    assert_int_equal(ap_events_init(&err), 0);
    size_t len;
    const char *tick = ap_events_schema_text("StreamTick", &len), *end = strrchr(tick, ']');
    char v2[4096];
    snprintf(v2, sizeof v2, "%.*s, {\"name\": \"lane\", \"type\": [\"null\", \"int\"], \"default\": null}%s",
             (int)(end - tick), tick, end);
    static const char *const as[] = {"event_id=s:6f1c2b9e-2d7a-4e0b-9a51-3c8d0f6e7a13", "occurred_at=l:1767700000000",
                                     "source_system=s:sched", "lane=u1/i:3", NULL};
    uint8_t rec[512];
    size_t n = write_record(v2, as, rec, sizeof rec);
    int64_t at = 0;
    assert_int_equal(ap_events_tick_time(rec, n, &at), 0); /* unknown writer: not a tick */
    assert_int_equal(ap_events_add_writer(v2, strlen(v2), "StreamTick.v2.avsc", &err), 0);
    assert_int_equal(ap_events_tick_time(rec, n, &at), 1);
    assert_int_equal(at, 1767700000000LL);
    ap_event_t ev;
    assert_int_equal(ap_events_decode(rec, n, &ev, &err), AP_CODEC_OK);
    assert_int_equal(ev.type, AP_EV_TICK);
    assert_string_equal(ev.u.tick.source_system, "sched");
}

/* Output schemas evolve the same way: a consumer on the current
 * ComplianceResult reads a result written by a newer processor version (one
 * more field), lineage view included. */
static void a_result_of_a_newer_processor_is_read_by_a_consumer(void **state) {
    (void)state;
    ap_codec_error_t err;
    assert_int_equal(ap_events_init(&err), 0);
    size_t len;
    const char *cur = ap_events_schema_text("ComplianceResult", &len), *end = strrchr(cur, ']');
    char v2[16384];
    snprintf(v2, sizeof v2, "%.*s, {\"name\": \"segment\", \"type\": \"string\", \"default\": \"\"}%s",
             (int)(end - cur), cur, end);
    assert_int_equal(ap_events_add_writer(v2, strlen(v2), "ComplianceResult.v2.avsc", &err), 0);
    uint64_t fp;
    char msg[128];
    assert_int_equal(ap_schema_fingerprint(v2, strlen(v2), &fp, msg, sizeof msg), 0);

    static const ap_input_ref_t inputs[2] = {{"ap.hours", 1, 40, "00000000-0000-8000-8000-00000000000b"},
                                             {"ap.placement", 1, 3, "00000000-0000-8000-8000-00000000000c"}};
    ap_event_t ev, got;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_RESULT;
    ap_result_t *r = &ev.u.result;
    strcpy(r->event_id, "00000000-0000-8000-8000-000000000001");
    strcpy(r->citizen_id, "c-3");
    strcpy(r->municipality_code, "101");
    strcpy(r->rule_version, "AP-2025.1");
    r->iso_year = 2026, r->iso_week = 2, r->revision = 1, r->required_minutes = 2220;
    r->n_breakdown = 1;
    r->breakdown[0] = (ap_credited_t){AP_ACT_TRANSPORT, 300};
    r->inputs = (ap_array_view_t){inputs, 2, {NULL, 0}};
    ap_buf_t a = AP_BUF_INIT, b = AP_BUF_INIT;
    ap_events_encode(&ev, &a);
    ap_buf_append(&b, a.data, a.len);
    for (int i = 0; i < 8; i++) b.data[2 + i] = (char)(fp >> (8 * i));
    ap_buf_append(&b, "\x06" "seg", 4); /* segment = "seg" */
    if (ap_events_decode((const uint8_t *)b.data, b.len, &got, &err) != AP_CODEC_OK) fail_msg("%s", err.msg);
    assert_int_equal(got.type, AP_EV_RESULT);
    assert_int_equal(got.u.result.inputs.n, 2);
    ap_input_ref_t item;
    assert_int_equal(ap_codec_view_item(&ap_events_desc(AP_EV_RESULT)->fields[16], &got.u.result.inputs, 1, &item, &err),
                     AP_CODEC_OK);
    assert_string_equal(item.topic, "ap.placement");
    ap_buf_t c = AP_BUF_INIT;
    ap_events_encode(&got, &c); /* back to the current encoding, byte for byte */
    assert_int_equal(c.len, a.len);
    assert_memory_equal(c.data, a.data, a.len);
    ap_buf_free(&a);
    ap_buf_free(&b);
    ap_buf_free(&c);
}


/* ------------------------------- issue 16 §4: v1 input records still decode */

static const char *released_text(const char *name, int version) {
    for (const struct ap_released_schema *r = ap_released_schemas; r->name; r++)
        if (strcmp(r->name, name) == 0 && r->version == version) return r->text;
    fail_msg("no released %s v%d", name, version);
    return NULL;
}

/* ComplianceResult v3 (issue 16 §4) added segments with default []: a v2
 * record (as format-3 processors wrote it) reads with the current schema
 * with no segments and everything else as written; and a reader still on
 * v2 reads a v3 record with segments, skipping them (FULL, both ways). */
static void compliance_result_v2_and_v3_read_each_other(void **state) {
    (void)state;
    ap_codec_error_t err;
    assert_int_equal(ap_events_init(&err), 0);
    const char *v2 = released_text("ComplianceResult", 2), *v3 = released_text("ComplianceResult", 3);
    size_t clen;
    const char *cur = ap_events_schema_text("ComplianceResult", &clen);
    assert_int_equal(strlen(v3), clen); /* v3 is the current schema */
    assert_memory_equal(v3, cur, clen);
    char why[256];
    if (ap_resolve_check_policy(v2, strlen(v2), v3, strlen(v3), why, sizeof why)) fail_msg("%s", why);

    static const ap_input_ref_t inputs[1] = {{"ap.hours", 1, 40, "00000000-0000-8000-8000-00000000000b"}};
    ap_event_t ev, got;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_RESULT;
    ap_result_t *r = &ev.u.result;
    strcpy(r->event_id, "00000000-0000-8000-8000-000000000001");
    strcpy(r->citizen_id, "c-3");
    strcpy(r->municipality_code, "751");
    strcpy(r->rule_version, "AP-2025.1");
    strcpy(r->engine_version, "0.1.0/format-3");
    r->iso_year = 2026, r->iso_week = 2, r->week_start = 20458, r->revision = 1;
    r->status = AP_STATUS_NOT_COMPLIANT;
    r->required_minutes = 2220, r->credited_minutes = 1200, r->shortfall_minutes = 1020;
    r->offered_minutes = 1500, r->shortfall_cause = AP_CAUSE_OFFER_AND_ATTENDANCE_GAP;
    r->inputs = (ap_array_view_t){inputs, 1, {NULL, 0}};

    /* v2 -> current: the v2 body is the current one without the empty
     * segments array (its last byte, 00), under v2's fingerprint. */
    ap_buf_t a = AP_BUF_INIT;
    ap_events_encode(&ev, &a);
    assert_int_equal((uint8_t)a.data[a.len - 1], 0x00);
    ap_buf_t b = AP_BUF_INIT;
    ap_buf_append(&b, a.data, a.len - 1);
    uint64_t fp2, fp3;
    assert_int_equal(ap_schema_fingerprint(v2, strlen(v2), &fp2, why, sizeof why), 0);
    assert_int_equal(ap_schema_fingerprint(v3, strlen(v3), &fp3, why, sizeof why), 0);
    assert_true(fp2 != fp3);
    for (int i = 0; i < 8; i++) b.data[2 + i] = (char)(fp2 >> (8 * i));
    assert_false(ap_events_is_current((const uint8_t *)b.data, b.len));
    if (ap_events_decode((const uint8_t *)b.data, b.len, &got, &err) != AP_CODEC_OK) fail_msg("%s", err.msg);
    assert_int_equal(got.type, AP_EV_RESULT);
    assert_int_equal(got.u.result.n_segments, 0);
    assert_int_equal(got.u.result.offered_minutes, 1500);
    assert_int_equal(got.u.result.shortfall_cause, AP_CAUSE_OFFER_AND_ATTENDANCE_GAP);
    ap_buf_t c = AP_BUF_INIT;
    ap_events_encode(&got, &c); /* the current encoding of it, byte for byte */
    assert_int_equal(c.len, a.len);
    assert_memory_equal(c.data, a.data, a.len);

    /* current (v3, with segments) -> a reader on v2: the reader's table is
     * the current one without its last field, bound to v2's text. */
    r->n_segments = 2;
    r->segments[0] = (ap_segment_t){"101", 20458, 20459, 888, 900, 888, AP_CAUSE_NONE};
    r->segments[1] = (ap_segment_t){"751", 20460, 20464, 1332, 600, 312, AP_CAUSE_OFFER_AND_ATTENDANCE_GAP};
    ap_buf_reset(&a);
    ap_events_encode(&ev, &a);
    const ap_record_desc_t *cd = ap_events_desc(AP_EV_RESULT);
    assert_string_equal(cd->fields[cd->nfields - 1].name, "segments");
    ap_record_desc_t v2desc = {cd->name, cd->fields, cd->nfields - 1, cd->size, 0, NULL, 0};
    if (ap_codec_bind(&v2desc, v2, strlen(v2), &err)) fail_msg("%s", err.msg);
    assert_true(v2desc.fingerprint == fp2);
    if (ap_resolve_check(v2, strlen(v2), v3, strlen(v3), why, sizeof why)) fail_msg("%s", why);
    ap_resolve_program_t *prog = ap_resolve_build(&v2desc, v3, strlen(v3), &err);
    if (!prog) fail_msg("%s", err.msg);
    ap_result_t old;
    if (ap_resolve_decode(prog, (const uint8_t *)a.data, a.len, &old, &err) != AP_CODEC_OK) fail_msg("%s", err.msg);
    assert_int_equal(old.n_segments, 0); /* the v2 reader has no such field */
    assert_string_equal(old.municipality_code, "751");
    assert_int_equal(old.required_minutes, 2220);
    assert_int_equal(old.offered_minutes, 1500);
    assert_int_equal(old.shortfall_cause, AP_CAUSE_OFFER_AND_ATTENDANCE_GAP);
    assert_string_equal(old.engine_version, "0.1.0/format-3");
    assert_int_equal(old.inputs.n, 1);
    ap_resolve_destroy(prog);
    ap_buf_free(&a);
    ap_buf_free(&b);
    ap_buf_free(&c);
}

#define HDR_ASSIGN "event_id=s:6f1c2b9e-2d7a-4e0b-9a51-3c8d0f6e7a12", "citizen_id=s:c-7", "municipality_code=s:101", \
                   "occurred_at=l:1767700000000", "recorded_at=l:1767700001000", "source_system=s:opera"

/* Records written with the released v1 of each input schema changed by
 * issue 16 (bytes from avro-c under the v1 text) decode as the current
 * schema: the v1 fields as written, the new fields null or empty; and the
 * deprecated exemption symbol stays readable and counts as the foertidspension
 * target group. Then the same through v2 of ExemptionEvent. */
static void v1_records_of_changed_input_schemas_decode(void **state) {
    (void)state;
    ap_codec_error_t err;
    assert_int_equal(ap_events_init(&err), 0);
    uint8_t rec[2048];
    ap_event_t got;
    char why[AP_TEXT_CAP];

    const char *cov[] = {HDR_ASSIGN, "action=e:2", "coverage_id=s:cv-1", "from_date=i:20458", "to_date=u1/i:20544",
                         "benefit_type=e:4", NULL};
    size_t len = write_record(released_text("CoverageEvent", 1), cov, rec, sizeof rec);
    assert_false(ap_events_is_current(rec, len));
    assert_int_equal(ap_events_decode(rec, len, &got, &err), AP_CODEC_OK);
    assert_int_equal(got.type, AP_EV_COVERAGE);
    assert_string_equal(got.u.coverage.coverage_id, "cv-1");
    assert_int_equal(got.u.coverage.action, AP_COVERAGE_ENDED);
    assert_int_equal(got.u.coverage.to_date, 20544);
    assert_int_equal(got.u.coverage.benefit_type, AP_BEN_ARBEJDSMARKEDSYDELSE);
    assert_int_equal(got.u.coverage.legal_basis, -1);
    assert_int_equal(got.u.coverage.target_group, -1);
    assert_int_equal(got.u.coverage.end_reason, -1);
    assert_int_equal(got.u.coverage.benefit_start_date, AP_NO_DATE);
    assert_int_equal(ap_events_validate(&got, why, sizeof why), 0);

    const char *ex[] = {HDR_ASSIGN, "action=e:0", "exemption_id=s:ex-1", "kind=e:7", "from_date=i:20458",
                        "to_date=u0/n", "placement_id=u0/n", NULL};
    len = write_record(released_text("ExemptionEvent", 1), ex, rec, sizeof rec);
    assert_int_equal(ap_events_decode(rec, len, &got, &err), AP_CODEC_OK);
    assert_int_equal(got.type, AP_EV_EXEMPTION);
    assert_int_equal(got.u.exemption.kind, AP_EXEMPT_EARLY_RETIREMENT_TARGET); /* as written ... */
    assert_int_equal(ap_exemption_kind_canonical(got.u.exemption.kind), AP_EXEMPT_FOERTIDSPENSION_TARGET); /* ... and what it is */
    assert_string_equal(ap_exemption_kind_name(got.u.exemption.kind), "FOERTIDSPENSION_TARGET_GROUP");
    assert_int_equal(got.u.exemption.to_date, AP_NO_DATE);
    assert_string_equal(got.u.exemption.journal_ref, "");
    assert_int_equal(got.u.exemption.job_start_date, AP_NO_DATE);
    assert_int_equal(ap_events_validate(&got, why, sizeof why), 0);
    /* Each v1 symbol keeps its meaning (symbols are appended, never moved). */
    for (int k = 0; k <= AP_EXEMPT_IGU; k++) {
        char kind[16];
        snprintf(kind, sizeof kind, "kind=e:%d", k);
        ex[8] = kind; /* after the six header fields, action and exemption_id */
        len = write_record(released_text("ExemptionEvent", 1), ex, rec, sizeof rec);
        assert_int_equal(ap_events_decode(rec, len, &got, &err), AP_CODEC_OK);
        assert_int_equal(got.u.exemption.kind, k);
    }

    /* ExemptionEvent v2 (the enum default, the two new fields). */
    const char *ex2[] = {HDR_ASSIGN, "action=e:0", "exemption_id=s:ex-2", "kind=e:5", "from_date=i:20458",
                         "to_date=u0/n", "placement_id=u0/n", "journal_ref=u1/s:j-5", "job_start_date=u1/i:20500", NULL};
    len = write_record(released_text("ExemptionEvent", 2), ex2, rec, sizeof rec);
    assert_int_equal(ap_events_decode(rec, len, &got, &err), AP_CODEC_OK);
    assert_int_equal(got.u.exemption.kind, AP_EXEMPT_LESS_INTENSIVE);
    assert_string_equal(got.u.exemption.journal_ref, "j-5");
    assert_int_equal(got.u.exemption.job_start_date, 20500);

    const char *red[] = {HDR_ASSIGN, "action=e:0", "reduction_id=s:rd-1", "reduced_minutes_per_week=i:900",
                         "valid_from=i:20458", "valid_to=u0/n", "assessed_on=i:20455", "assessed_placement_ids=a2/s:pl-1",
                         NULL};
    len = write_record(released_text("ReductionEvent", 1), red, rec, sizeof rec);
    assert_int_equal(ap_events_decode(rec, len, &got, &err), AP_CODEC_OK);
    assert_int_equal(got.type, AP_EV_REDUCTION);
    assert_int_equal(got.u.reduction.reduced_minutes_per_week, 900);
    assert_int_equal(got.u.reduction.n_assessed, 2);
    assert_string_equal(got.u.reduction.assessed_placement_ids[1], "pl-1");
    assert_string_equal(got.u.reduction.journal_ref, "");
    assert_int_equal(got.u.reduction.n_assessed_detail, 0);
    /* Decodes, but the door now wants the assessment's journal note (README Validation). */
    assert_int_equal(ap_events_validate(&got, why, sizeof why), -1);
    assert_non_null(strstr(why, "journal_ref"));

    /* The resolved record re-encodes in the current schema and reads back the same. */
    ap_buf_t b = AP_BUF_INIT;
    ap_events_encode(&got, &b);
    assert_true(ap_events_is_current((const uint8_t *)b.data, b.len));
    ap_event_t again;
    assert_int_equal(ap_events_decode((const uint8_t *)b.data, b.len, &again, &err), AP_CODEC_OK);
    assert_int_equal(again.u.reduction.n_assessed, 2);
    assert_int_equal(again.u.reduction.n_assessed_detail, 0);
    ap_buf_free(&b);
}

/* The policy's FORWARD half for the new exemption kinds: v2 (what a reader
 * one version behind has) declares the default HEALTH, so it can read v3
 * records with kinds it lacks; v1 could not, which is why v2 exists. */
static void new_exemption_kinds_need_the_v2_default(void **state) {
    (void)state;
    const char *v1 = released_text("ExemptionEvent", 1), *v2 = released_text("ExemptionEvent", 2),
               *v3 = released_text("ExemptionEvent", 3);
    char why[256] = "";
    assert_int_equal(ap_resolve_check(v2, strlen(v2), v3, strlen(v3), why, sizeof why), 0);
    assert_int_equal(ap_resolve_check(v1, strlen(v1), v3, strlen(v3), why, sizeof why), -1);
    assert_non_null(strstr(why, "FOERTIDSPENSION_TARGET_GROUP is not in the reader's enum"));
    assert_int_equal(ap_resolve_check_policy(v1, strlen(v1), v2, strlen(v2), why, sizeof why), 0);
    assert_int_equal(ap_resolve_check_policy(v2, strlen(v2), v3, strlen(v3), why, sizeof why), 0);
    /* v2 and v1 differ only by the default and two optional fields. */
    assert_non_null(strstr(v2, "\"default\": \"HEALTH\""));
}

/* SanctionEvent v1 (monitoring design §1.4) as another implementation
 * writes it (avro-c, the released text) is the current schema's record; a
 * publisher a version ahead (an added optional field), once its schema is
 * registered, resolves to it with the new field dropped, and a writer that
 * takes the required journal_ref away is refused at start-up. */
static void sanction_records_of_other_writers_decode(void **state) {
    (void)state;
    ap_codec_error_t err;
    assert_int_equal(ap_events_init(&err), 0);
    uint8_t rec[2048];
    ap_event_t got;
    char why[AP_TEXT_CAP];
    const char *sa[] = {HDR_ASSIGN, "action=e:2", "sanction_id=s:sa-1", "decision_date=i:20488",
                        "effective_from=u1/i:20493", "legal_basis=u1/s:fritekst", "placement_id=u0/n",
                        "journal_ref=s:j-1", NULL};
    const char *v1 = released_text("SanctionEvent", 1);
    size_t len = write_record(v1, sa, rec, sizeof rec);
    assert_true(ap_events_is_current(rec, len)); /* v1 is the current schema */
    assert_int_equal(ap_events_decode(rec, len, &got, &err), AP_CODEC_OK);
    assert_int_equal(got.type, AP_EV_SANCTION);
    assert_string_equal(got.u.sanction.h.citizen_id, "c-7");
    assert_int_equal(got.u.sanction.action, AP_SANCTION_CANCELLED);
    assert_string_equal(got.u.sanction.sanction_id, "sa-1");
    assert_int_equal(got.u.sanction.decision_date, 20488);
    assert_int_equal(got.u.sanction.effective_from, 20493);
    assert_string_equal(got.u.sanction.legal_basis, "fritekst");
    assert_string_equal(got.u.sanction.placement_id, "");
    assert_string_equal(got.u.sanction.journal_ref, "j-1");
    assert_int_equal(ap_events_validate(&got, why, sizeof why), 0);

    /* v1 with one more optional field at the end. */
    char newer[8192];
    const char *end = strrchr(v1, ']');
    assert_non_null(end);
    snprintf(newer, sizeof newer, "%.*s, {\"name\": \"severity\", \"type\": [\"null\", \"int\"], \"default\": null}%s",
             (int)(end - v1), v1, end);
    const char *sa2[] = {HDR_ASSIGN, "action=e:0", "sanction_id=s:sa-2", "decision_date=i:20488",
                         "effective_from=u0/n", "legal_basis=u0/n", "placement_id=u1/s:pl-1",
                         "journal_ref=s:j-2", "severity=u1/i:3", NULL};
    len = write_record(newer, sa2, rec, sizeof rec);
    assert_int_equal(ap_events_decode(rec, len, &got, &err), AP_CODEC_UNKNOWN_FINGERPRINT);
    assert_int_equal(ap_events_add_writer(newer, strlen(newer), "SanctionEvent.v2.avsc", &err), 0);
    assert_int_equal(ap_events_decode(rec, len, &got, &err), AP_CODEC_OK);
    assert_int_equal(got.type, AP_EV_SANCTION);
    assert_string_equal(got.u.sanction.sanction_id, "sa-2");
    assert_int_equal(got.u.sanction.effective_from, AP_NO_DATE);
    assert_string_equal(got.u.sanction.placement_id, "pl-1");
    assert_string_equal(got.u.sanction.journal_ref, "j-2");

    /* journal_ref removed: the current schema has no default for it. */
    char bad[8192];
    const char *jr = strstr(v1, ",\n    {\"name\": \"journal_ref\"");
    assert_non_null(jr);
    snprintf(bad, sizeof bad, "%.*s\n  ]\n}\n", (int)(jr - v1), v1);
    assert_int_equal(ap_events_add_writer(bad, strlen(bad), "no-journal.avsc", &err), -1);
    assert_non_null(strstr(err.msg, "journal_ref"));
    assert_int_equal(ap_events_init(&err), 0); /* forget the registered writer */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_resolution_rule),
        cmocka_unit_test(a_program_reads_only_its_writer),
        cmocka_unit_test(skipping_is_bounded),
        cmocka_unit_test(unreadable_writers_are_refused_at_build),
        cmocka_unit_test(checker_rules),
        cmocka_unit_test(every_schema_change_keeps_the_policy),
        cmocka_unit_test(breaking_changes_are_refused),
        cmocka_unit_test(a_newer_compatible_hours_event_is_resolved),
        cmocka_unit_test(an_incompatible_writer_is_refused_at_start_up),
        cmocka_unit_test(a_tick_of_a_newer_version_is_a_tick),
        cmocka_unit_test(a_result_of_a_newer_processor_is_read_by_a_consumer),
        cmocka_unit_test(v1_records_of_changed_input_schemas_decode),
        cmocka_unit_test(sanction_records_of_other_writers_decode),
        cmocka_unit_test(compliance_result_v2_and_v3_read_each_other),
        cmocka_unit_test(new_exemption_kinds_need_the_v2_default),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
