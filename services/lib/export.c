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

#include "arbejdspligt/buf.h"
#include "arbejdspligt/codec.h"
#include "arbejdspligt/json.h"
#include "arbejdspligt/output.h"
#include "arbejdspligt/schema.h"

/* Room for the largest record (64 KiB) with its envelope, and fewer blocks. */
#define OCF_BLOCK_SIZE (1024 * 1024)

struct ap_export_writer {
    FILE *jsonl;
    avro_file_writer_t ocf;
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t value;
    ap_buf_t line;
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
    return w;
}

/* Sets an optional bytes field: null if p is NULL. */
static int set_opt_bytes(avro_value_t *rec, const char *name, const void *p, size_t n) {
    avro_value_t f, branch;
    if (avro_value_get_by_name(rec, name, &f, NULL)) return -1;
    if (!p) return avro_value_set_branch(&f, 0, &branch) || avro_value_set_null(&branch);
    return avro_value_set_branch(&f, 1, &branch) || avro_value_set_bytes(&branch, (void *)p, n);
}

int ap_export_write(ap_export_writer_t *w, const ap_record_t *r, char *err, size_t errlen) {
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

int ap_export_write_partitions(ap_export_writer_t *w, const char *topic, int32_t count, char *err, size_t errlen) {
    ap_record_t r = {"", count, -1, 0, topic, strlen(topic), NULL, 0};
    return ap_export_write(w, &r, err, errlen);
}

int ap_export_close(ap_export_writer_t *w, char *err, size_t errlen) {
    if (!w) return 0;
    int rc = 0;
    if (w->jsonl) {
        if (fflush(w->jsonl) || ferror(w->jsonl)) rc = -1, snprintf(err, errlen, "write failed: %s", strerror(errno));
        if (w->jsonl != stdout && fclose(w->jsonl)) rc = -1, snprintf(err, errlen, "close failed: %s", strerror(errno));
    } else {
        if (avro_file_writer_close(w->ocf)) rc = avro_fail(err, errlen, "close");
        avro_value_decref(&w->value);
        avro_value_iface_decref(w->iface);
        avro_schema_decref(w->schema);
    }
    ap_buf_free(&w->line);
    free(w);
    return rc;
}

/* ----------------------------------------------------------------- reading */

/* A count record (export.h): the empty topic. */
static int is_count_record(const ap_record_t *r) { return r->topic[0] == '\0'; }

static void note_count(ap_export_view_t *v, const ap_record_t *r);

/* Hands a record to fn, or a count record to the view (if any) instead. */
static int deliver(ap_export_view_t *v, ap_export_fn fn, void *ctx, const ap_record_t *r) {
    if (!is_count_record(r)) return fn(ctx, r);
    if (v) note_count(v, r);
    return 0;
}

/* An optional bytes field: *p NULL for null, never NULL for a value (avro-c
 * gives NULL for empty bytes, and an empty record is still a record). */
static int get_opt_bytes(avro_value_t *rec, const char *name, const void **p, size_t *n) {
    static const uint8_t empty[1];
    avro_value_t f, branch;
    int disc;
    *p = NULL;
    *n = 0;
    if (avro_value_get_by_name(rec, name, &f, NULL) || avro_value_get_discriminant(&f, &disc) ||
        avro_value_get_current_branch(&f, &branch))
        return -1;
    if (disc == 0) return 0;
    if (avro_value_get_bytes(&branch, p, n)) return -1;
    if (!*p) *p = empty;
    return 0;
}

static int read_ocf(const char *path, ap_export_view_t *counts, ap_export_fn fn, void *ctx, char *err, size_t errlen) {
    avro_file_reader_t rd;
    if (avro_file_reader(path, &rd)) return avro_fail(err, errlen, path);
    avro_schema_t ws = avro_file_reader_get_writer_schema(rd);
    avro_value_iface_t *iface = avro_generic_class_from_schema(ws);
    avro_value_t v;
    avro_generic_value_new(iface, &v);
    int rc = 0;
    long n = 0;
    while (rc == 0) {
        int e = avro_file_reader_read_value(rd, &v);
        if (e == EOF) break;
        n++;
        if (e) { rc = -1; snprintf(err, errlen, "%s: record %ld: %s", path, n, avro_strerror()); break; }
        avro_value_t f;
        const char *topic = NULL;
        size_t tlen = 0;
        ap_record_t r;
        memset(&r, 0, sizeof r);
        if (avro_value_get_by_name(&v, "topic", &f, NULL) || avro_value_get_string(&f, &topic, &tlen) ||
            avro_value_get_by_name(&v, "partition", &f, NULL) || avro_value_get_int(&f, &r.partition) ||
            avro_value_get_by_name(&v, "offset", &f, NULL) || avro_value_get_long(&f, &r.offset) ||
            avro_value_get_by_name(&v, "timestamp", &f, NULL) || avro_value_get_long(&f, &r.timestamp) ||
            get_opt_bytes(&v, "key", &r.key, &r.keylen) || get_opt_bytes(&v, "value", &r.payload, &r.len)) {
            rc = -1;
            snprintf(err, errlen, "%s: record %ld is not an ExportedRecord", path, n);
            break;
        }
        r.topic = topic;
        if (deliver(counts, fn, ctx, &r)) rc = 1;
    }
    avro_value_decref(&v);
    avro_value_iface_decref(iface);
    avro_schema_decref(ws);
    avro_file_reader_close(rd);
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

static int read_jsonl(FILE *f, const char *path, ap_export_view_t *counts, ap_export_fn fn, void *ctx, char *err,
                      size_t errlen) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    int rc = 0;
    ap_buf_t bytes = AP_BUF_INIT;
    ap_json_doc_t doc = AP_JSON_DOC_INIT;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (len == 0) continue;
        ap_record_t r;
        char why[200];
        if (ap_json_parse(&doc, line, (size_t)len)) {
            snprintf(err, errlen, "%s:%ld: %s", path, lineno, doc.err);
            rc = -1;
        } else if (parse_line(&doc, &bytes, &r, why, sizeof why)) {
            snprintf(err, errlen, "%s:%ld: %s", path, lineno, why);
            rc = -1;
        } else if (deliver(counts, fn, ctx, &r)) rc = 1;
    }
    free(line);
    ap_buf_free(&bytes);
    ap_json_doc_free(&doc);
    return rc;
}

/* Reads a file of either format; count records go to `counts` (if not NULL). */
static int read_file(const char *path, ap_export_view_t *counts, ap_export_fn fn, void *ctx, char *err, size_t errlen) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char magic[4] = {0};
    size_t got = f == stdin ? 0 : fread(magic, 1, 4, f);
    if (got == 4 && memcmp(magic, "Obj\x01", 4) == 0) {
        fclose(f);
        return read_ocf(path, counts, fn, ctx, err, errlen);
    }
    if (f != stdin) rewind(f);
    int rc = read_jsonl(f, path, counts, fn, ctx, err, errlen);
    if (f != stdin) fclose(f);
    return rc;
}

int ap_export_read(const char *path, ap_export_fn fn, void *ctx, char *err, size_t errlen) {
    return read_file(path, NULL, fn, ctx, err, errlen);
}

/* ------------------------------------------------------- reading in place */

/* Copies of records that cannot be read in place: chunks that never move. */
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
};

static const uint8_t *view_keep(ap_export_view_t *v, const void *p, size_t n) {
    if (!v->chunks || v->chunks->cap - v->chunks->len < n) {
        size_t cap = n > (1u << 20) ? n : (1u << 20);
        view_chunk_t *c = malloc(sizeof *c + cap);
        if (!c) abort();
        *c = (view_chunk_t){v->chunks, 0, cap};
        v->chunks = c;
    }
    uint8_t *at = v->chunks->data + v->chunks->len;
    if (n) memcpy(at, p, n);
    v->chunks->len += n;
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

/* The header's metadata: 1 if this reader can read the blocks in place (no
 * compression, and the writer's schema is ExportedRecord's), 0 if avro-c
 * must, -1 if the header is broken. */
static int ocf_header(ocf_in_t *in, uint8_t sync[16]) {
    int plain = 1, schema_ok = 0;
    uint64_t want = 0;
    size_t tlen;
    const char *text = ap_events_schema_text("ExportedRecord", &tlen);
    char why[128];
    if (!text || ap_schema_fingerprint(text, tlen, &want, why, sizeof why)) return -1;
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
            if (kn == 10 && memcmp(k, "avro.codec", 10) == 0) plain = vn == 4 && memcmp(val, "null", 4) == 0;
            if (kn == 11 && memcmp(k, "avro.schema", 11) == 0) {
                uint64_t fp;
                schema_ok = ap_schema_fingerprint((const char *)val, vn, &fp, why, sizeof why) == 0 && fp == want;
            }
        }
    }
    if (in->end - in->p < 16) return -1;
    memcpy(sync, in->p, 16);
    in->p += 16;
    return plain && schema_ok;
}

/* Reads the blocks of a null-codec container in place. 0, 1 if fn stopped, -1 with err. */
static int ocf_blocks(ap_export_view_t *v, ocf_in_t *in, const uint8_t sync[16], const char *path, ap_export_fn fn,
                      void *ctx, char *err, size_t errlen) {
    long block = 0, n = 0;
    while (in->p < in->end) {
        int64_t count, size;
        block++;
        if (ocf_long(in, &count) || ocf_long(in, &size) || count < 0 || size < 0 || size > in->end - in->p ||
            in->end - in->p - size < 16) {
            snprintf(err, errlen, "%s: block %ld: truncated or not an Avro block", path, block);
            return -1;
        }
        ocf_in_t data = {in->p, in->p + size};
        in->p += size;
        if (memcmp(in->p, sync, 16) != 0) {
            snprintf(err, errlen, "%s: block %ld: sync marker does not match the header's", path, block);
            return -1;
        }
        in->p += 16;
        for (int64_t i = 0; i < count; i++) {
            ap_record_t r;
            const uint8_t *topic;
            size_t tlen;
            int64_t partition;
            n++;
            memset(&r, 0, sizeof r);
            if (ocf_bytes(&data, &topic, &tlen) || ocf_long(&data, &partition) || partition < INT32_MIN ||
                partition > INT32_MAX || ocf_long(&data, &r.offset) || ocf_long(&data, &r.timestamp) ||
                ocf_opt_bytes(&data, &r.key, &r.keylen) || ocf_opt_bytes(&data, &r.payload, &r.len) ||
                memchr(topic, 0, tlen)) { /* a topic name has no NUL */
                snprintf(err, errlen, "%s: record %ld is not an ExportedRecord", path, n);
                return -1;
            }
            r.partition = (int32_t)partition;
            if (tlen == 0) { /* a count record: one per topic, at the start */
                r.topic = "";
                note_count(v, &r);
                continue;
            }
            r.topic = view_topic(v, (const char *)topic, tlen);
            if (fn(ctx, &r)) return 1;
        }
        if (data.p != data.end) {
            snprintf(err, errlen, "%s: block %ld: %td bytes after its %" PRId64 " records", path, block,
                     data.end - data.p, count);
            return -1;
        }
    }
    return 0;
}

int ap_export_read_view(const char *path, ap_export_view_t **view, ap_export_fn fn, void *ctx, char *err,
                        size_t errlen) {
    ap_export_view_t *v = calloc(1, sizeof *v);
    if (!v) abort();
    *view = v;
    v->fn = fn;
    v->ctx = ctx;
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
        int h = ocf_header(&in, sync);
        if (h < 0) {
            snprintf(err, errlen, "%s: not an Avro object container (broken header)", path);
            return -1;
        }
        if (h == 1) return ocf_blocks(v, &in, sync, path, fn, ctx, err, errlen);
    }
    /* Compressed, another writer's schema, JSON lines or a pipe: read as
     * ap_export_read does, keeping a copy of every record. */
    if (v->map) munmap(v->map, v->map_len);
    v->map = NULL;
    return read_file(path, v, view_copy, v, err, errlen);
}

int ap_export_view_in_place(const ap_export_view_t *v) { return v && v->map ? 1 : 0; }

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
