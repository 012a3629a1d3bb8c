/* export.c - exported input streams (Avro object container or JSON lines). See export.h. */
#include "arbejdspligt/export.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <avro.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "arbejdspligt/buf.h"
#include "arbejdspligt/codec.h"
#include "arbejdspligt/json.h"
#include "arbejdspligt/output.h"
#include "arbejdspligt/lines.h"
#include "arbejdspligt/schema.h"

/* Room for the largest record (64 KiB) with its envelope, and fewer blocks. */
#define OCF_BLOCK_SIZE (1024 * 1024)


/* ------------------------------------------------ manifest (see export.h) */

#define MANIFEST_KEY "ap.export.manifest"

static int is_manifest(const ap_record_t *r) {
    return r->topic[0] == '\0' && r->key && r->keylen == sizeof MANIFEST_KEY - 1 &&
           memcmp(r->key, MANIFEST_KEY, r->keylen) == 0;
}

/* Appends an Avro long (zig-zag varint). */
static void put_long(ap_buf_t *b, int64_t v) {
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    while (z > 0x7f) {
        ap_buf_append_byte(b, (uint8_t)(z | 0x80));
        z >>= 7;
    }
    ap_buf_append_byte(b, (uint8_t)z);
}

static void put_opt_bytes(ap_buf_t *b, const void *p, size_t n) {
    put_long(b, p ? 1 : 0);
    if (!p) return;
    put_long(b, (int64_t)n);
    ap_buf_append(b, p, n);
}

/* r in its Avro binary encoding as ExportedRecord: what the manifest's
 * SHA-256 covers (the bytes an uncompressed container's blocks hold). */
static void encode_record(ap_buf_t *b, const ap_record_t *r) {
    size_t tlen = strlen(r->topic);
    ap_buf_reset(b);
    put_long(b, (int64_t)tlen);
    ap_buf_append(b, r->topic, tlen);
    put_long(b, r->partition);
    put_long(b, r->offset);
    put_long(b, r->timestamp);
    put_opt_bytes(b, r->key, r->keylen);
    put_opt_bytes(b, r->payload, r->len);
}

/* A topic-partition's offsets seen: lowest, highest, how many. */
typedef struct range {
    char topic[AP_TOPIC_NAME_CAP];
    int32_t partition;
    int64_t first, last;
    uint64_t n;
} range_t;

/* Every topic-partition of a file, in an open-addressing index (a year's
 * export has thousands of partitions and a million records a second go
 * through here); `hint` catches the usual run of one partition's records. */
typedef struct ranges {
    range_t *r;
    size_t n, cap;
    uint32_t *slot; /* index + 1; 0 is empty */
    size_t nslot;
    size_t hint;
} ranges_t;

static uint64_t range_hash(const char *topic, size_t tlen, int32_t partition) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < tlen; i++) h = (h ^ (uint8_t)topic[i]) * 1099511628211ULL;
    return (h ^ (uint32_t)partition) * 1099511628211ULL;
}

static int range_is(const range_t *e, const char *topic, size_t tlen, int32_t partition) {
    return e->partition == partition && memcmp(e->topic, topic, tlen) == 0 && e->topic[tlen] == '\0';
}

/* The entry of (topic, partition), added if new; tlen < AP_TOPIC_NAME_CAP. */
static range_t *ranges_get(ranges_t *t, const char *topic, size_t tlen, int32_t partition) {
    if (t->n && range_is(&t->r[t->hint], topic, tlen, partition)) return &t->r[t->hint];
    if (t->n * 2 >= t->nslot) { /* grow and rehash */
        size_t nslot = t->nslot ? t->nslot * 2 : 64;
        uint32_t *slot = calloc(nslot, sizeof *slot);
        if (!slot) abort();
        for (size_t i = 0; i < t->n; i++) {
            size_t j = range_hash(t->r[i].topic, strlen(t->r[i].topic), t->r[i].partition) & (nslot - 1);
            while (slot[j]) j = (j + 1) & (nslot - 1);
            slot[j] = (uint32_t)i + 1;
        }
        free(t->slot);
        t->slot = slot;
        t->nslot = nslot;
    }
    size_t j = range_hash(topic, tlen, partition) & (t->nslot - 1);
    for (; t->slot[j]; j = (j + 1) & (t->nslot - 1))
        if (range_is(&t->r[t->slot[j] - 1], topic, tlen, partition)) return &t->r[t->hint = t->slot[j] - 1];
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        if (!(t->r = realloc(t->r, t->cap * sizeof *t->r))) abort();
    }
    range_t *e = &t->r[t->n];
    memset(e, 0, sizeof *e);
    memcpy(e->topic, topic, tlen);
    e->partition = partition;
    e->first = INT64_MAX;
    e->last = INT64_MIN;
    t->slot[j] = (uint32_t)++t->n;
    t->hint = t->n - 1;
    return e;
}

static void ranges_note(ranges_t *t, const ap_record_t *r) {
    range_t *e = ranges_get(t, r->topic, strlen(r->topic), r->partition);
    if (r->offset < e->first) e->first = r->offset;
    if (r->offset > e->last) e->last = r->offset;
    e->n++;
}

static void ranges_free(ranges_t *t) {
    free(t->r);
    free(t->slot);
    memset(t, 0, sizeof *t);
}

static int cmp_range(const void *a, const void *b) {
    const range_t *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* What a file's records add up to: the manifest's figures. */
typedef struct tally {
    EVP_MD_CTX *md;
    ap_buf_t enc; /* one record's encoding */
    ranges_t ranges;
    uint64_t records;
} tally_t;

static void tally_init(tally_t *t) {
    memset(t, 0, sizeof *t);
    if (!(t->md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(t->md, EVP_sha256(), NULL)) abort();
}

static void tally_free(tally_t *t) {
    EVP_MD_CTX_free(t->md);
    ap_buf_free(&t->enc);
    ranges_free(&t->ranges);
}

static void tally_hash(tally_t *t, const void *p, size_t n) {
    if (n && !EVP_DigestUpdate(t->md, p, n)) abort();
}

/* A record before the manifest: hashed (unless the caller hashes the bytes
 * it came from) and, unless a count record, counted. */
static void tally_record(tally_t *t, const ap_record_t *r, int hash) {
    if (hash) {
        encode_record(&t->enc, r);
        tally_hash(t, t->enc.data, t->enc.len);
    }
    if (r->topic[0] == '\0') return;
    t->records++;
    ranges_note(&t->ranges, r);
}

/* Finishes the hash as 64 hex digits and sorts the ranges. */
static void tally_finish(tally_t *t, char hex[65]) {
    uint8_t d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (!EVP_DigestFinal_ex(t->md, d, &n) || n != 32) abort();
    for (unsigned i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
    if (t->ranges.n) qsort(t->ranges.r, t->ranges.n, sizeof *t->ranges.r, cmp_range);
}

static void manifest_json(ap_buf_t *out, const tally_t *t, const char *hex) {
    ap_buf_reset(out);
    ap_buf_appendf(out, "{\"manifest\":1,\"records\":%" PRIu64 ",\"sha256\":\"%s\",\"partitions\":[", t->records, hex);
    for (size_t i = 0; i < t->ranges.n; i++) {
        const range_t *e = &t->ranges.r[i];
        ap_buf_append_str(out, i ? ",{\"topic\":" : "{\"topic\":");
        ap_json_write_string(out, e->topic, strlen(e->topic));
        ap_buf_appendf(out, ",\"partition\":%" PRId32 ",\"first\":%" PRId64 ",\"last\":%" PRId64 ",\"records\":%" PRIu64 "}",
                       e->partition, e->first, e->last, e->n);
    }
    ap_buf_append_str(out, "]}");
}

struct ap_export_writer {
    FILE *jsonl;
    avro_file_writer_t ocf;
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t value;
    ap_buf_t line;
    tally_t tally; /* for the manifest */
};

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int avro_fail(char *err, size_t errlen, const char *what) {
    snprintf(err, errlen, "%s: %s", what, avro_strerror());
    return -1;
}

ap_export_writer_t *ap_export_create(const char *path, char *err, size_t errlen) {
    /* An export holds personal data: owner-only, whoever writes it (the
     * JSON lines file here; avro-c makes its own, see below). */
    if (!ends_with(path, ".avro") && ap_output_create_private(path, err, errlen)) return NULL;
    ap_export_writer_t *w = calloc(1, sizeof *w);
    if (!w) abort();
    if (!ends_with(path, ".avro")) {
        if (!(w->jsonl = strcmp(path, "-") == 0 ? stdout : fopen(path, "w"))) {
            snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
            free(w);
            return NULL;
        }
        tally_init(&w->tally);
        return w;
    }
    size_t len;
    const char *text = ap_events_schema_text("ExportedRecord", &len);
    if (!text || avro_schema_from_json_length(text, len, &w->schema)) {
        avro_fail(err, errlen, "ExportedRecord schema");
        free(w);
        return NULL;
    }
    unlink(path); /* avro-c will not replace a file */
    if (avro_file_writer_create_with_codec(path, w->schema, &w->ocf, "null", OCF_BLOCK_SIZE)) {
        avro_fail(err, errlen, path);
        avro_schema_decref(w->schema);
        free(w);
        return NULL;
    }
    /* avro-c created it anew with the umask's mode; no record is in it yet. */
    if (chmod(path, 0600) != 0) {
        snprintf(err, errlen, "cannot make %s private: %s", path, strerror(errno));
        avro_file_writer_close(w->ocf);
        avro_schema_decref(w->schema);
        free(w);
        return NULL;
    }
    w->iface = avro_generic_class_from_schema(w->schema);
    avro_generic_value_new(w->iface, &w->value);
    tally_init(&w->tally);
    return w;
}

/* Sets an optional bytes field: null if p is NULL. */
static int set_opt_bytes(avro_value_t *rec, const char *name, const void *p, size_t n) {
    avro_value_t f, branch;
    if (avro_value_get_by_name(rec, name, &f, NULL)) return -1;
    if (!p) return avro_value_set_branch(&f, 0, &branch) || avro_value_set_null(&branch);
    return avro_value_set_branch(&f, 1, &branch) || avro_value_set_bytes(&branch, (void *)p, n);
}

/* One record to the file, not tallied. */
static int write_record(ap_export_writer_t *w, const ap_record_t *r, char *err, size_t errlen) {
    if (w->jsonl) {
        ap_buf_reset(&w->line);
        ap_buf_append_str(&w->line, "{\"topic\":");
        ap_json_write_string(&w->line, r->topic, strlen(r->topic));
        ap_buf_appendf(&w->line, ",\"partition\":%" PRId32 ",\"offset\":%" PRId64 ",\"timestamp\":%" PRId64 ",\"key\":",
                       r->partition, r->offset, r->timestamp);
        if (r->key) ap_json_write_string(&w->line, r->key, r->keylen);
        else ap_buf_append_str(&w->line, "null");
        ap_buf_append_str(&w->line, ",\"value\":");
        if (r->payload) {
            ap_buf_append_byte(&w->line, '"');
            ap_buf_append_hex(&w->line, r->payload, r->len);
            ap_buf_append_byte(&w->line, '"');
        } else ap_buf_append_str(&w->line, "null");
        ap_buf_append_str(&w->line, "}\n");
        if (fwrite(w->line.data, 1, w->line.len, w->jsonl) != w->line.len) {
            snprintf(err, errlen, "write failed: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    avro_value_t f;
    avro_value_reset(&w->value);
    if (avro_value_get_by_name(&w->value, "topic", &f, NULL) || avro_value_set_string_len(&f, r->topic, strlen(r->topic) + 1) ||
        avro_value_get_by_name(&w->value, "partition", &f, NULL) || avro_value_set_int(&f, r->partition) ||
        avro_value_get_by_name(&w->value, "offset", &f, NULL) || avro_value_set_long(&f, r->offset) ||
        avro_value_get_by_name(&w->value, "timestamp", &f, NULL) || avro_value_set_long(&f, r->timestamp) ||
        set_opt_bytes(&w->value, "key", r->key, r->keylen) || set_opt_bytes(&w->value, "value", r->payload, r->len) ||
        avro_file_writer_append_value(w->ocf, &w->value))
        return avro_fail(err, errlen, "append");
    return 0;
}

int ap_export_write(ap_export_writer_t *w, const ap_record_t *r, char *err, size_t errlen) {
    if (is_manifest(r)) {
        snprintf(err, errlen, "a manifest record is written by ap_export_close only");
        return -1;
    }
    if (strlen(r->topic) >= AP_TOPIC_NAME_CAP) {
        snprintf(err, errlen, "topic name longer than %d bytes", AP_TOPIC_NAME_CAP - 1);
        return -1;
    }
    if (write_record(w, r, err, errlen)) return -1;
    tally_record(&w->tally, r, 1);
    return 0;
}

int ap_export_write_partitions(ap_export_writer_t *w, const char *topic, int32_t count, char *err, size_t errlen) {
    ap_record_t r = {"", count, -1, 0, topic, strlen(topic), NULL, 0};
    return ap_export_write(w, &r, err, errlen);
}

/* Releases the writer; with_manifest: write it first. */
static int finish(ap_export_writer_t *w, int with_manifest, char *err, size_t errlen) {
    int rc = 0;
    if (with_manifest) {
        char hex[65];
        tally_finish(&w->tally, hex);
        ap_buf_t json = AP_BUF_INIT;
        manifest_json(&json, &w->tally, hex);
        ap_record_t m = {"", 0, -1, 0, MANIFEST_KEY, sizeof MANIFEST_KEY - 1, json.data, json.len};
        rc = write_record(w, &m, err, errlen);
        ap_buf_free(&json);
    }
    if (w->jsonl) {
        if (fflush(w->jsonl) || ferror(w->jsonl)) rc = -1, snprintf(err, errlen, "write failed: %s", strerror(errno));
        if (w->jsonl != stdout && fclose(w->jsonl)) rc = -1, snprintf(err, errlen, "close failed: %s", strerror(errno));
    } else {
        if (avro_file_writer_close(w->ocf)) rc = avro_fail(err, errlen, "close");
        avro_value_decref(&w->value);
        avro_value_iface_decref(w->iface);
        avro_schema_decref(w->schema);
    }
    tally_free(&w->tally);
    ap_buf_free(&w->line);
    free(w);
    return rc;
}

int ap_export_close(ap_export_writer_t *w, char *err, size_t errlen) { return w ? finish(w, 1, err, errlen) : 0; }

void ap_export_abort(ap_export_writer_t *w) {
    char err[256];
    if (w) finish(w, 0, err, sizeof err);
}

/* ----------------------------------------------------------------- reading */

/* Copies of records that cannot be read in place, and inflated blocks:
 * chunks that never move. */
typedef struct view_chunk {
    struct view_chunk *next;
    size_t len, cap;
    uint8_t data[];
} view_chunk_t;

#define VIEW_TOPICS 16

/* A topic's partition count, from a count record (see export.h). */
typedef struct topic_count {
    char topic[AP_TOPIC_NAME_CAP];
    int32_t count;
} topic_count_t;

struct ap_export_view {
    topic_count_t counts[VIEW_TOPICS];
    size_t n_counts;
    void *map; /* the whole file, when read in place */
    size_t map_len;
    view_chunk_t *chunks;
    char *topics[VIEW_TOPICS]; /* NUL-terminated topic names seen */
    size_t n_topics;
    ap_export_fn fn; /* the caller's, when copying */
    void *ctx;
    int verified; /* the manifest was found and matched */
};

/* One reading of a file: where records go, and what they add up to. */
typedef struct reader {
    const char *path;
    size_t max_line, max_block;
    int require_manifest;
    ap_export_view_t *v; /* counts, topics and kept bytes */
    ap_export_fn fn;
    void *ctx;
    tally_t tally;
    ap_buf_t manifest; /* the manifest record's value, once seen */
    int seen_manifest;
    char *err;
    size_t errlen;
} reader_t;

static void note_count(ap_export_view_t *v, const ap_record_t *r);

/* A record read: the manifest is kept, count records go to the view, the
 * rest to fn; everything before the manifest is tallied (hash: encode it
 * for the hash, else the caller hashes the bytes it came from). what and n
 * say where it is ("line", 12), for an error.
 * @return 0, 1 if fn stopped, -1 with err set. */
static int take(reader_t *rd, const ap_record_t *r, int hash, const char *what, long n) {
    if (rd->seen_manifest) {
        snprintf(rd->err, rd->errlen, "%s: %s %ld: a record after the manifest (appended to a finished export?)",
                 rd->path, what, n);
        return -1;
    }
    if (is_manifest(r)) {
        rd->seen_manifest = 1;
        ap_buf_append(&rd->manifest, r->payload ? r->payload : "", r->len);
        return 0;
    }
    tally_record(&rd->tally, r, hash);
    if (r->topic[0] == '\0') {
        note_count(rd->v, r);
        return 0;
    }
    return rd->fn(rd->ctx, r) ? 1 : 0;
}

/* After the last record: the file against its manifest. 0, or -1 with err. */
static int check_manifest(reader_t *rd) {
    char hex[65];
    tally_finish(&rd->tally, hex);
    if (!rd->seen_manifest) {
        if (!rd->require_manifest) return 0;
        snprintf(rd->err, rd->errlen,
                 "%s: export has no manifest: cut short, or written before 0.2 (%" PRIu64 " records read)", rd->path,
                 rd->tally.records);
        return -1;
    }
    ap_json_doc_t doc = AP_JSON_DOC_INIT;
    const ap_json_node_t *n, *sha, *parts;
    int64_t records;
    int rc = -1;
    if (ap_json_parse(&doc, rd->manifest.data ? rd->manifest.data : "", rd->manifest.len) ||
        doc.nodes[0].type != AP_JSON_OBJECT || !(n = ap_json_member(&doc, &doc.nodes[0], "records")) ||
        ap_json_int64(n, &records) || !(sha = ap_json_member(&doc, &doc.nodes[0], "sha256")) ||
        sha->type != AP_JSON_STRING || !(parts = ap_json_member(&doc, &doc.nodes[0], "partitions")) ||
        parts->type != AP_JSON_ARRAY) {
        snprintf(rd->err, rd->errlen, "%s: the manifest is not readable", rd->path);
        goto done;
    }
    if ((uint64_t)records != rd->tally.records) {
        snprintf(rd->err, rd->errlen, "%s: export %s: %" PRIu64 " records, manifest says %" PRId64, rd->path,
                 rd->tally.records < (uint64_t)records ? "incomplete" : "has more records than its manifest",
                 rd->tally.records, records);
        goto done;
    }
    if (!ap_json_is_string(sha, hex)) {
        snprintf(rd->err, rd->errlen, "%s: SHA-256 mismatch: the records hash to %s, manifest says %.64s", rd->path, hex,
                 sha->str);
        goto done;
    }
    /* The ranges are what an auditor reads: they must be the file's too. */
    size_t i = 0;
    for (const ap_json_node_t *p = ap_json_first(&doc, parts); p; p = ap_json_next(&doc, p), i++) {
        const ap_json_node_t *t = ap_json_member(&doc, p, "topic");
        int64_t part, first, last, count;
        const range_t *e = i < rd->tally.ranges.n ? &rd->tally.ranges.r[i] : NULL;
        if (!e || !t || t->type != AP_JSON_STRING || strcmp(t->str, e->topic) != 0 ||
            ap_json_int64(ap_json_member(&doc, p, "partition"), &part) || part != e->partition ||
            ap_json_int64(ap_json_member(&doc, p, "first"), &first) || first != e->first ||
            ap_json_int64(ap_json_member(&doc, p, "last"), &last) || last != e->last ||
            ap_json_int64(ap_json_member(&doc, p, "records"), &count) || (uint64_t)count != e->n) {
            snprintf(rd->err, rd->errlen, "%s: the manifest's partition %zu does not match the records", rd->path, i + 1);
            goto done;
        }
    }
    if (i != rd->tally.ranges.n) {
        snprintf(rd->err, rd->errlen, "%s: the manifest lists %zu partitions, the records %zu", rd->path, i,
                 rd->tally.ranges.n);
        goto done;
    }
    rd->v->verified = 1;
    rc = 0;
done:
    ap_json_doc_free(&doc);
    return rc;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* One JSON line into r (views into doc and bytes). 0, or -1 with why. */
static int parse_line(const ap_json_doc_t *doc, ap_buf_t *bytes, ap_record_t *r, char *why, size_t whylen) {
    const ap_json_node_t *root = &doc->nodes[0], *n;
    memset(r, 0, sizeof *r);
    if (root->type != AP_JSON_OBJECT) return snprintf(why, whylen, "not a JSON object"), -1;
    int64_t x;
    if (!(n = ap_json_member(doc, root, "topic")) || n->type != AP_JSON_STRING || n->len >= AP_TOPIC_NAME_CAP)
        return snprintf(why, whylen, "\"topic\" missing or not a topic name"), -1;
    r->topic = n->str;
    if (!(n = ap_json_member(doc, root, "partition")) || ap_json_int64(n, &x) || x < 0 || x > INT32_MAX)
        return snprintf(why, whylen, "\"partition\" missing or not an int"), -1;
    r->partition = (int32_t)x;
    if (!(n = ap_json_member(doc, root, "offset")) || ap_json_int64(n, &r->offset) ||
        r->offset < (r->topic[0] ? 0 : -1)) /* a count record's is -1 */
        return snprintf(why, whylen, "\"offset\" missing or negative"), -1;
    if ((n = ap_json_member(doc, root, "timestamp")) && ap_json_int64(n, &r->timestamp))
        return snprintf(why, whylen, "\"timestamp\" is not an int"), -1;
    if ((n = ap_json_member(doc, root, "key")) && n->type != AP_JSON_NULL) {
        if (n->type != AP_JSON_STRING) return snprintf(why, whylen, "\"key\" is not a string"), -1;
        r->key = n->str;
        r->keylen = n->len;
    }
    ap_buf_reset(bytes);
    const ap_json_node_t *value = ap_json_member(doc, root, "value");
    if ((n = value) && n->type == AP_JSON_STRING) {
        if (n->len % 2) return snprintf(why, whylen, "\"value\" is not hex"), -1;
        for (uint32_t i = 0; i < n->len; i += 2) {
            int a = hexval(n->str[i]), b = hexval(n->str[i + 1]);
            if (a < 0 || b < 0) return snprintf(why, whylen, "\"value\" is not hex"), -1;
            ap_buf_append_byte(bytes, (uint8_t)(a << 4 | b));
        }
        r->payload = bytes->data ? (const void *)bytes->data : (const void *)"";
        r->len = bytes->len;
    } else if ((n = ap_json_member(doc, root, "event")) && n->type == AP_JSON_OBJECT) {
        static const char *const ignore[] = {"schema", NULL};
        const ap_json_node_t *sn = ap_json_member(doc, n, "schema");
        ap_event_t ev;
        ap_codec_error_t cerr;
        memset(&ev, 0, sizeof ev);
        if (!sn || sn->type != AP_JSON_STRING || (ev.type = ap_events_type_by_name(sn->str, sn->len)) == AP_EV_COUNT)
            return snprintf(why, whylen, "\"event\" has no known \"schema\""), -1;
        if (ap_codec_from_json(ap_events_desc(ev.type), doc, n, ignore, &ev.u, &cerr) != AP_CODEC_OK)
            return snprintf(why, whylen, "\"event\": %s", cerr.msg), -1;
        ap_events_encode(&ev, bytes);
        r->payload = bytes->data;
        r->len = bytes->len;
    } else if (!value || value->type != AP_JSON_NULL) {
        return snprintf(why, whylen, "needs \"value\" (hex or null) or \"event\""), -1;
    }
    return 0;
}

static int read_jsonl(reader_t *rd, int fd) {
    long lineno = 0;
    int rc = 0, got;
    ap_buf_t line = AP_BUF_INIT, bytes = AP_BUF_INIT;
    ap_json_doc_t doc = AP_JSON_DOC_INIT;
    ap_lines_t *lr = malloc(sizeof *lr); /* 32 KiB: not on the stack */
    if (!lr) abort();
    ap_lines_init(lr, fd, rd->max_line);
    while (rc == 0 && (got = ap_lines_read(lr, &line)) != 0) {
        lineno++;
        ap_record_t r;
        char why[200];
        if (got == -1) {
            snprintf(rd->err, rd->errlen, "%s:%ld: line longer than %zu bytes (max_line_bytes)", rd->path, lineno,
                     rd->max_line);
            rc = -1;
        } else if (got < 0) {
            snprintf(rd->err, rd->errlen, "%s:%ld: %s", rd->path, lineno, strerror(errno));
            rc = -1;
        } else if (line.len == 0) {
            continue;
        } else if (ap_json_parse(&doc, line.data, line.len)) {
            snprintf(rd->err, rd->errlen, "%s:%ld: %s", rd->path, lineno, doc.err);
            rc = -1;
        } else if (parse_line(&doc, &bytes, &r, why, sizeof why)) {
            snprintf(rd->err, rd->errlen, "%s:%ld: %s", rd->path, lineno, why);
            rc = -1;
        } else {
            rc = take(rd, &r, 1, "line", lineno);
        }
    }
    free(lr);
    ap_buf_free(&line);
    ap_buf_free(&bytes);
    ap_json_doc_free(&doc);
    return rc;
}

/* ------------------------------------------------------- reading in place */

static uint8_t *view_alloc(ap_export_view_t *v, size_t n) {
    if (!v->chunks || v->chunks->cap - v->chunks->len < n) {
        size_t cap = n > (1u << 20) ? n : (1u << 20);
        view_chunk_t *c = malloc(sizeof *c + cap);
        if (!c) abort();
        *c = (view_chunk_t){v->chunks, 0, cap};
        v->chunks = c;
    }
    uint8_t *at = v->chunks->data + v->chunks->len;
    v->chunks->len += n;
    return at;
}

static const uint8_t *view_keep(ap_export_view_t *v, const void *p, size_t n) {
    uint8_t *at = view_alloc(v, n);
    if (n) memcpy(at, p, n);
    return at;
}

/* A topic name as a stable C string; an export holds a handful of topics. */
static const char *view_topic(ap_export_view_t *v, const char *name, size_t len) {
    for (size_t i = 0; i < v->n_topics; i++)
        if (strlen(v->topics[i]) == len && memcmp(v->topics[i], name, len) == 0) return v->topics[i];
    char *t = (char *)view_keep(v, name, len + 1);
    t[len] = '\0';
    if (v->n_topics < VIEW_TOPICS) v->topics[v->n_topics++] = t;
    return t;
}

static void note_count(ap_export_view_t *v, const ap_record_t *r) {
    if (!r->key || r->keylen == 0 || r->keylen >= AP_TOPIC_NAME_CAP || r->partition < 1) return; /* not a count */
    size_t i = 0;
    while (i < v->n_counts && !(strlen(v->counts[i].topic) == r->keylen && memcmp(v->counts[i].topic, r->key, r->keylen) == 0))
        i++;
    if (i == VIEW_TOPICS) return;
    if (i == v->n_counts) {
        memcpy(v->counts[i].topic, r->key, r->keylen);
        v->counts[i].topic[r->keylen] = '\0';
        v->n_counts++;
    }
    v->counts[i].count = r->partition; /* a merged file repeats them: the last says */
}

int32_t ap_export_view_partitions(const ap_export_view_t *v, const char *topic) {
    for (size_t i = 0; v && i < v->n_counts; i++)
        if (strcmp(v->counts[i].topic, topic) == 0) return v->counts[i].count;
    return 0;
}

static int view_copy(void *ctx, const ap_record_t *r) {
    ap_export_view_t *v = ctx;
    ap_record_t c = *r;
    c.topic = view_topic(v, r->topic, strlen(r->topic));
    if (r->key) c.key = view_keep(v, r->key, r->keylen);
    if (r->payload) c.payload = view_keep(v, r->payload, r->len);
    return v->fn(v->ctx, &c);
}

/* Avro binary decoding over [p, end): zig-zag varints and length-prefixed bytes. */
typedef struct ocf_in {
    const uint8_t *p, *end;
} ocf_in_t;

static int ocf_long(ocf_in_t *in, int64_t *out) {
    return ap_codec_read_long(&in->p, in->end, out) == AP_CODEC_OK ? 0 : -1;
}

static int ocf_bytes(ocf_in_t *in, const uint8_t **p, size_t *n) {
    int64_t len;
    if (ocf_long(in, &len) || len < 0 || len > in->end - in->p) return -1;
    *p = in->p;
    *n = (size_t)len;
    in->p += len;
    return 0;
}

/* An optional bytes field (union of null and bytes): NULL for null. */
static int ocf_opt_bytes(ocf_in_t *in, const void **p, size_t *n) {
    static const uint8_t empty[1];
    int64_t branch;
    const uint8_t *b;
    *p = NULL;
    *n = 0;
    if (ocf_long(in, &branch) || (branch != 0 && branch != 1)) return -1;
    if (branch == 0) return 0;
    if (ocf_bytes(in, &b, n)) return -1;
    *p = *n ? b : empty; /* an empty value is still a value */
    return 0;
}

enum { CODEC_NULL, CODEC_DEFLATE, CODEC_OTHER };

/* The header's metadata: the codec and whether the writer's schema is
 * ExportedRecord's. 0, or -1 if the header is broken. */
static int ocf_header(ocf_in_t *in, uint8_t sync[16], int *codec, int *schema_ok) {
    uint64_t want = 0;
    size_t tlen;
    const char *text = ap_events_schema_text("ExportedRecord", &tlen);
    char why[128];
    if (!text || ap_schema_fingerprint(text, tlen, &want, why, sizeof why)) return -1;
    *codec = CODEC_NULL; /* the specification's default */
    *schema_ok = 0;
    in->p += 4; /* "Obj\x01" */
    for (;;) {
        int64_t count, size;
        if (ocf_long(in, &count)) return -1;
        if (count == 0) break;
        if (count < 0) {
            if (count == INT64_MIN || ocf_long(in, &size)) return -1; /* -INT64_MIN does not exist */
            count = -count;
        }
        for (int64_t i = 0; i < count; i++) {
            const uint8_t *k, *val;
            size_t kn, vn;
            if (ocf_bytes(in, &k, &kn) || ocf_bytes(in, &val, &vn)) return -1;
            if (kn == 10 && memcmp(k, "avro.codec", 10) == 0)
                *codec = vn == 4 && memcmp(val, "null", 4) == 0      ? CODEC_NULL
                         : vn == 7 && memcmp(val, "deflate", 7) == 0 ? CODEC_DEFLATE
                                                                     : CODEC_OTHER;
            if (kn == 11 && memcmp(k, "avro.schema", 11) == 0) {
                uint64_t fp;
                *schema_ok = ap_schema_fingerprint((const char *)val, vn, &fp, why, sizeof why) == 0 && fp == want;
            }
        }
    }
    if (in->end - in->p < 16) return -1;
    memcpy(sync, in->p, 16);
    in->p += 16;
    return 0;
}

/* Inflates a deflate block (raw RFC 1951, as Avro writes it) into a chunk of
 * the view, never beyond max bytes: a small block can claim gigabytes. */
static int inflate_block(reader_t *rd, ocf_in_t *data, long block, size_t at) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK) abort();
    size_t cap = (size_t)(data->end - data->p) * 4 + 4096, len = 0;
    if (cap > rd->max_block) cap = rd->max_block;
    view_chunk_t *c = malloc(sizeof *c + cap);
    if (!c) abort();
    z.next_in = (Bytef *)data->p;
    z.avail_in = (uInt)(data->end - data->p);
    int zr, bad = 0;
    for (;;) {
        z.next_out = c->data + len;
        z.avail_out = (uInt)(cap - len);
        zr = inflate(&z, Z_NO_FLUSH);
        len = cap - z.avail_out;
        if (zr == Z_STREAM_END) break;
        if ((zr != Z_OK && zr != Z_BUF_ERROR) || z.avail_out) { bad = 1; break; } /* broken or cut short */
        if (cap == rd->max_block) { bad = 2; break; }                               /* full at the limit */
        cap = cap * 2 > rd->max_block ? rd->max_block : cap * 2;
        view_chunk_t *g = realloc(c, sizeof *c + cap);
        if (!g) abort();
        c = g;
    }
    inflateEnd(&z);
    if (bad) {
        free(c);
        if (bad == 2)
            snprintf(rd->err, rd->errlen, "%s: block %ld at byte %zu inflates to more than %zu bytes (max_block_bytes)",
                     rd->path, block, at, rd->max_block);
        else
            snprintf(rd->err, rd->errlen, "%s: block %ld at byte %zu: not deflate data", rd->path, block, at);
        return -1;
    }
    /* Kept behind the current chunk, so view_keep's arena stays the head. */
    *c = (view_chunk_t){NULL, len, len};
    if (rd->v->chunks) {
        c->next = rd->v->chunks->next;
        rd->v->chunks->next = c;
    } else {
        rd->v->chunks = c;
        c->len = c->cap; /* full: view_keep starts a new one */
    }
    data->p = c->data;
    data->end = c->data + len;
    return 0;
}

/* Reads the blocks of a container in place (inflated first if deflate).
 * 0, 1 if fn stopped, -1 with err. */
static int ocf_blocks(reader_t *rd, ocf_in_t *in, const uint8_t sync[16], int deflate) {
    long block = 0, n = 0;
    const uint8_t *base = rd->v->map;
    while (in->p < in->end) {
        int64_t count, size;
        size_t at = (size_t)(in->p - base);
        block++;
        if (ocf_long(in, &count) || ocf_long(in, &size) || count < 0 || size < 0) {
            snprintf(rd->err, rd->errlen, "%s: block %ld at byte %zu: truncated or not an Avro block", rd->path, block, at);
            return -1;
        }
        if ((uint64_t)size > rd->max_block) {
            snprintf(rd->err, rd->errlen, "%s: block %ld at byte %zu: %" PRId64 " bytes, more than %zu (max_block_bytes)",
                     rd->path, block, at, size, rd->max_block);
            return -1;
        }
        if (size > in->end - in->p || in->end - in->p - size < 16) {
            snprintf(rd->err, rd->errlen, "%s: block %ld at byte %zu: truncated or not an Avro block", rd->path, block, at);
            return -1;
        }
        ocf_in_t data = {in->p, in->p + size};
        in->p += size;
        if (memcmp(in->p, sync, 16) != 0) {
            snprintf(rd->err, rd->errlen, "%s: block %ld at byte %zu: sync marker does not match the header's", rd->path,
                     block, at);
            return -1;
        }
        in->p += 16;
        if (deflate && inflate_block(rd, &data, block, at)) return -1;
        const uint8_t *span = data.p; /* hashed as it stands: it is the records' encoding */
        for (int64_t i = 0; i < count; i++) {
            ap_record_t r;
            const uint8_t *topic, *start = data.p;
            size_t tlen;
            int64_t partition;
            n++;
            memset(&r, 0, sizeof r);
            if (ocf_bytes(&data, &topic, &tlen) || ocf_long(&data, &partition) || partition < INT32_MIN ||
                partition > INT32_MAX || ocf_long(&data, &r.offset) || ocf_long(&data, &r.timestamp) ||
                ocf_opt_bytes(&data, &r.key, &r.keylen) || ocf_opt_bytes(&data, &r.payload, &r.len) ||
                tlen >= AP_TOPIC_NAME_CAP || memchr(topic, 0, tlen)) { /* a topic name has no NUL */
                snprintf(rd->err, rd->errlen, "%s: record %ld (block %ld at byte %zu) is not an ExportedRecord", rd->path,
                         n, block, at);
                return -1;
            }
            r.partition = (int32_t)partition;
            r.topic = tlen ? view_topic(rd->v, (const char *)topic, tlen) : "";
            if (is_manifest(&r) && span) { /* the hash ends where the manifest starts */
                tally_hash(&rd->tally, span, (size_t)(start - span));
                span = NULL;
            }
            int rc = take(rd, &r, 0, "record", n);
            if (rc) return rc;
        }
        if (data.p != data.end) {
            snprintf(rd->err, rd->errlen, "%s: block %ld at byte %zu: %td bytes after its %" PRId64 " records", rd->path,
                     block, at, data.end - data.p, count);
            return -1;
        }
        if (span) tally_hash(&rd->tally, span, (size_t)(data.end - span));
    }
    return 0;
}

/* Reads path into v: a container from a memory map, JSON lines (or a pipe)
 * with fn given copies if copy is set. */
static int read_any(const char *path, const ap_export_opts_t *opts, ap_export_view_t *v, ap_export_fn fn, void *ctx,
                    int copy, char *err, size_t errlen) {
    reader_t rd;
    memset(&rd, 0, sizeof rd);
    rd.path = path, rd.max_line = AP_EXPORT_MAX_LINE_BYTES, rd.max_block = AP_EXPORT_MAX_BLOCK_BYTES;
    rd.v = v, rd.fn = fn, rd.ctx = ctx;
    if (opts && opts->max_line_bytes) rd.max_line = opts->max_line_bytes;
    if (opts && opts->max_block_bytes) rd.max_block = opts->max_block_bytes;
    rd.require_manifest = opts && opts->require_manifest;
    rd.err = err;
    rd.errlen = errlen;
    tally_init(&rd.tally);
    int rc;
    int fd = strcmp(path, "-") == 0 ? -1 : open(path, O_RDONLY);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 4) {
        v->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (v->map == MAP_FAILED) v->map = NULL;
        else v->map_len = (size_t)st.st_size;
    }
    if (fd >= 0) close(fd);
    if (v->map && memcmp(v->map, "Obj\x01", 4) == 0) {
        posix_madvise(v->map, v->map_len, POSIX_MADV_SEQUENTIAL);
        ocf_in_t in = {v->map, (const uint8_t *)v->map + v->map_len};
        uint8_t sync[16];
        int codec = CODEC_NULL, schema_ok = 0;
        if (ocf_header(&in, sync, &codec, &schema_ok)) {
            snprintf(err, errlen, "%s: not an Avro object container (broken header)", path);
            rc = -1;
        } else if (!schema_ok) {
            snprintf(err, errlen, "%s: the container's writer schema is not ExportedRecord's", path);
            rc = -1;
        } else if (codec == CODEC_OTHER) {
            snprintf(err, errlen, "%s: the container's codec is neither null nor deflate", path);
            rc = -1;
        } else {
            rc = ocf_blocks(&rd, &in, sync, codec == CODEC_DEFLATE);
        }
        if (codec == CODEC_DEFLATE) { /* the records live in the inflated chunks */
            munmap(v->map, v->map_len);
            v->map = NULL;
        }
    } else {
        if (v->map) munmap(v->map, v->map_len);
        v->map = NULL;
        int in = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY);
        if (in < 0) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            rc = -1;
        } else {
            if (copy) rd.fn = view_copy, rd.ctx = v;
            rc = read_jsonl(&rd, in);
            if (in != STDIN_FILENO) close(in);
        }
    }
    if (rc == 0) rc = check_manifest(&rd);
    tally_free(&rd.tally);
    ap_buf_free(&rd.manifest);
    return rc;
}

int ap_export_read(const char *path, const ap_export_opts_t *opts, ap_export_fn fn, void *ctx, char *err,
                   size_t errlen) {
    ap_export_view_t *v = calloc(1, sizeof *v);
    if (!v) abort();
    int rc = read_any(path, opts, v, fn, ctx, 0, err, errlen);
    ap_export_view_free(v);
    return rc;
}

int ap_export_read_view(const char *path, const ap_export_opts_t *opts, ap_export_view_t **view, ap_export_fn fn,
                        void *ctx, char *err, size_t errlen) {
    ap_export_view_t *v = calloc(1, sizeof *v);
    if (!v) abort();
    *view = v;
    v->fn = fn;
    v->ctx = ctx;
    return read_any(path, opts, v, fn, ctx, 1, err, errlen);
}

int ap_export_view_in_place(const ap_export_view_t *v) { return v && v->map ? 1 : 0; }

int ap_export_view_verified(const ap_export_view_t *v) { return v && v->verified; }

void ap_export_view_free(ap_export_view_t *v) {
    if (!v) return;
    if (v->map) munmap(v->map, v->map_len);
    while (v->chunks) {
        view_chunk_t *next = v->chunks->next;
        free(v->chunks);
        v->chunks = next;
    }
    free(v);
}
