/* schema.c - Parsing Canonical Form and CRC-64-AVRO. See schema.h. */
#include "arbejdspligt/schema.h"

#include <stdio.h>
#include <string.h>

#include "arbejdspligt/json.h"

/* crc_table[0] is the table-driven form of the spec's bitwise definition;
 * crc_table[k] advances a byte's contribution k more bytes, so eight bytes
 * are folded in per step ("slicing-by-8": every result, alert and derived id
 * is fingerprinted, and the byte-at-a-time loop showed in profiles). Built on
 * first use; racing first users write identical values, so no lock is needed. */
static uint64_t crc_table[8][256];
static int crc_ready;

static void crc_init(void) {
    for (int i = 0; i < 256; i++) {
        uint64_t fp = (uint64_t)i;
        for (int j = 0; j < 8; j++) fp = (fp >> 1) ^ (AP_SCHEMA_CRC64_EMPTY & (0 - (fp & 1)));
        crc_table[0][i] = fp;
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++)
            crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^ crc_table[0][crc_table[k - 1][i] & 0xff];
    crc_ready = 1;
}

uint64_t ap_schema_crc64_update(uint64_t fp, const void *data, size_t len) {
    if (!crc_ready) crc_init();
    const unsigned char *p = data;
    for (; len >= 8; len -= 8, p += 8) {
        uint64_t x = fp;
        for (int b = 0; b < 8; b++) x ^= (uint64_t)p[b] << (8 * b); /* little-endian load, any host */
        fp = crc_table[7][x & 0xff] ^ crc_table[6][(x >> 8) & 0xff] ^ crc_table[5][(x >> 16) & 0xff] ^
             crc_table[4][(x >> 24) & 0xff] ^ crc_table[3][(x >> 32) & 0xff] ^ crc_table[2][(x >> 40) & 0xff] ^
             crc_table[1][(x >> 48) & 0xff] ^ crc_table[0][x >> 56];
    }
    for (; len; len--, p++) fp = (fp >> 8) ^ crc_table[0][(fp ^ *p) & 0xff];
    return fp;
}

uint64_t ap_schema_crc64(const void *data, size_t len) {
    return ap_schema_crc64_update(AP_SCHEMA_CRC64_EMPTY, data, len);
}

typedef struct pcf {
    const ap_json_doc_t *doc;
    ap_buf_t *out;
    char *err;
    size_t errlen;
} pcf_t;

static int pcf_fail(pcf_t *c, const char *msg) {
    snprintf(c->err, c->errlen, "%s", msg);
    return -1;
}

static const char *const primitives[] = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"};

static int is_primitive(const char *s, size_t n) {
    for (size_t i = 0; i < sizeof primitives / sizeof *primitives; i++)
        if (strlen(primitives[i]) == n && memcmp(primitives[i], s, n) == 0) return 1;
    return 0;
}

/* [FULLNAMES]: a name with a dot is already full; otherwise it lives in the
 * given namespace (the explicit one, else the enclosing one). */
static void write_fullname(pcf_t *c, const ap_json_node_t *name, const char *ns) {
    ap_buf_t full = AP_BUF_INIT;
    if (!memchr(name->str, '.', name->len) && ns && *ns) {
        ap_buf_append_str(&full, ns);
        ap_buf_append_byte(&full, '.');
    }
    ap_buf_append(&full, name->str, name->len);
    ap_json_write_string(c->out, full.data, full.len);
    ap_buf_free(&full);
}

/* The namespace that names nested inside this named type inherit. */
static void inner_namespace(const ap_json_node_t *name, const ap_json_node_t *nsnode, const char *outer,
                            char *ns, size_t nslen) {
    const char *dot = NULL;
    for (uint32_t i = 0; i < name->len; i++) if (name->str[i] == '.') dot = name->str + i;
    if (dot) snprintf(ns, nslen, "%.*s", (int)(dot - name->str), name->str);
    else if (nsnode && nsnode->type == AP_JSON_STRING) snprintf(ns, nslen, "%s", nsnode->str);
    else snprintf(ns, nslen, "%s", outer ? outer : "");
}

static int pcf_schema(pcf_t *c, const ap_json_node_t *n, const char *ns);

/* [INTEGERS]: sizes are written without leading zeros or quotes. */
static int write_size(pcf_t *c, const ap_json_node_t *size) {
    int64_t v;
    if (!size || ap_json_int64(size, &v) || v < 0) return pcf_fail(c, "fixed needs a non-negative integer size");
    ap_buf_appendf(c->out, "%lld", (long long)v);
    return 0;
}

static int pcf_object(pcf_t *c, const ap_json_node_t *n, const char *ns) {
    const ap_json_doc_t *d = c->doc;
    const ap_json_node_t *type = ap_json_member(d, n, "type");
    if (!type) return pcf_fail(c, "schema object without \"type\"");
    if (type->type != AP_JSON_STRING) return pcf_schema(c, type, ns); /* {"type": {...}} */
    /* [PRIMITIVES] and [STRIP]: {"type":"int", "logicalType":...} is "int". */
    if (is_primitive(type->str, type->len)) {
        ap_json_write_string(c->out, type->str, type->len);
        return 0;
    }
    int is_record = ap_json_is_string(type, "record") || ap_json_is_string(type, "error");
    int is_enum = ap_json_is_string(type, "enum"), is_fixed = ap_json_is_string(type, "fixed");
    if (is_record || is_enum || is_fixed) {
        const ap_json_node_t *name = ap_json_member(d, n, "name");
        if (!name || name->type != AP_JSON_STRING || name->len == 0) return pcf_fail(c, "named type without a name");
        char inner[256];
        inner_namespace(name, ap_json_member(d, n, "namespace"), ns, inner, sizeof inner);
        /* [ORDER]: name, type, fields, symbols, items, values, size. */
        ap_buf_append_str(c->out, "{\"name\":");
        write_fullname(c, name, inner);
        ap_buf_append_str(c->out, ",\"type\":");
        ap_json_write_string(c->out, type->str, type->len);
        if (is_record) {
            const ap_json_node_t *fields = ap_json_member(d, n, "fields");
            if (!fields || fields->type != AP_JSON_ARRAY) return pcf_fail(c, "record without a fields array");
            ap_buf_append_str(c->out, ",\"fields\":[");
            for (const ap_json_node_t *f = ap_json_first(d, fields); f; f = ap_json_next(d, f)) {
                const ap_json_node_t *fname = ap_json_member(d, f, "name"), *ftype = ap_json_member(d, f, "type");
                if (!fname || fname->type != AP_JSON_STRING || !ftype) return pcf_fail(c, "field needs a name and a type");
                if (f != ap_json_first(d, fields)) ap_buf_append_byte(c->out, ',');
                ap_buf_append_str(c->out, "{\"name\":");
                ap_json_write_string(c->out, fname->str, fname->len);
                ap_buf_append_str(c->out, ",\"type\":");
                if (pcf_schema(c, ftype, inner)) return -1;
                ap_buf_append_byte(c->out, '}');
            }
            ap_buf_append_byte(c->out, ']');
        } else if (is_enum) {
            const ap_json_node_t *syms = ap_json_member(d, n, "symbols");
            if (!syms || syms->type != AP_JSON_ARRAY) return pcf_fail(c, "enum without a symbols array");
            ap_buf_append_str(c->out, ",\"symbols\":[");
            for (const ap_json_node_t *s = ap_json_first(d, syms); s; s = ap_json_next(d, s)) {
                if (s->type != AP_JSON_STRING) return pcf_fail(c, "enum symbol is not a string");
                if (s != ap_json_first(d, syms)) ap_buf_append_byte(c->out, ',');
                ap_json_write_string(c->out, s->str, s->len);
            }
            ap_buf_append_byte(c->out, ']');
        } else {
            ap_buf_append_str(c->out, ",\"size\":");
            if (write_size(c, ap_json_member(d, n, "size"))) return -1;
        }
        ap_buf_append_byte(c->out, '}');
        return 0;
    }
    if (ap_json_is_string(type, "array") || ap_json_is_string(type, "map")) {
        int is_array = ap_json_is_string(type, "array");
        const ap_json_node_t *inner = ap_json_member(d, n, is_array ? "items" : "values");
        if (!inner) return pcf_fail(c, is_array ? "array without items" : "map without values");
        ap_buf_append_str(c->out, is_array ? "{\"type\":\"array\",\"items\":" : "{\"type\":\"map\",\"values\":");
        if (pcf_schema(c, inner, ns)) return -1;
        ap_buf_append_byte(c->out, '}');
        return 0;
    }
    /* A reference to a named type written as {"type": "Name"}. */
    write_fullname(c, type, ns);
    return 0;
}

static int pcf_schema(pcf_t *c, const ap_json_node_t *n, const char *ns) {
    switch (n->type) {
    case AP_JSON_STRING:
        if (is_primitive(n->str, n->len)) ap_json_write_string(c->out, n->str, n->len);
        else write_fullname(c, n, ns);
        return 0;
    case AP_JSON_ARRAY: /* a union */
        ap_buf_append_byte(c->out, '[');
        for (const ap_json_node_t *b = ap_json_first(c->doc, n); b; b = ap_json_next(c->doc, b)) {
            if (b != ap_json_first(c->doc, n)) ap_buf_append_byte(c->out, ',');
            if (pcf_schema(c, b, ns)) return -1;
        }
        ap_buf_append_byte(c->out, ']');
        return 0;
    case AP_JSON_OBJECT: return pcf_object(c, n, ns);
    default: return pcf_fail(c, "a schema must be a string, an array or an object");
    }
}

int ap_schema_canonical(const char *json, size_t len, ap_buf_t *out, char *err, size_t errlen) {
    ap_json_doc_t doc = AP_JSON_DOC_INIT;
    int rc = -1;
    if (ap_json_parse(&doc, json, len)) {
        snprintf(err, errlen, "schema is not valid JSON: %s", doc.err);
        goto cleanup;
    }
    pcf_t c = {&doc, out, err, errlen};
    ap_buf_reset(out);
    rc = pcf_schema(&c, &doc.nodes[0], "");
cleanup:
    ap_json_doc_free(&doc);
    return rc;
}

int ap_schema_fingerprint(const char *json, size_t len, uint64_t *fp, char *err, size_t errlen) {
    ap_buf_t pcf = AP_BUF_INIT;
    int rc = ap_schema_canonical(json, len, &pcf, err, errlen);
    if (rc == 0) *fp = ap_schema_crc64(pcf.data, pcf.len);
    ap_buf_free(&pcf);
    return rc;
}
