/* json.c - strict JSON reader and string writer. See json.h. */
#include "arbejdspligt/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arbejdspligt/utf8.h"

typedef struct parser {
    ap_json_doc_t *doc;
    const char *p, *end, *start;
} parser_t;

static int fail(parser_t *ps, const char *fmt, ...) {
    char msg[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(ps->doc->err, sizeof ps->doc->err, "%s at byte %zu", msg, (size_t)(ps->p - ps->start));
    return -1;
}

static void skip_ws(parser_t *ps) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int32_t new_node(parser_t *ps, ap_json_type_t type) {
    ap_json_doc_t *d = ps->doc;
    if (d->count == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        ap_json_node_t *n = realloc(d->nodes, cap * sizeof *n);
        if (!n) abort(); /* allocation failure is fatal, as in buf.h */
        d->nodes = n;
        d->cap = cap;
    }
    if (d->count >= INT32_MAX) return -1;
    ap_json_node_t *n = &d->nodes[d->count];
    memset(n, 0, sizeof *n);
    n->type = type;
    n->next = n->child = -1;
    return (int32_t)d->count++;
}

static int hex4(const char *p, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* Decodes a string at ps->p (on the opening quote) into the arena. The arena
 * was sized to the input length, and a decoded string is never longer than
 * its quoted source, so it cannot overflow. */
static int parse_string(parser_t *ps, const char **out, uint32_t *out_len) {
    ap_json_doc_t *d = ps->doc;
    char *dst = d->text + d->text_used, *w = dst;
    ps->p++; /* opening quote */
    const char *run = ps->p;
    for (;;) {
        if (ps->p >= ps->end) return fail(ps, "unterminated string");
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"' || c == '\\') {
            size_t n = (size_t)(ps->p - run);
            if (!ap_utf8_valid(run, n)) return fail(ps, "invalid UTF-8 in string");
            memcpy(w, run, n);
            w += n;
            if (c == '"') { ps->p++; break; }
            if (ps->end - ps->p < 2) return fail(ps, "unterminated escape");
            char e = ps->p[1];
            ps->p += 2;
            switch (e) {
            case '"': *w++ = '"'; break;
            case '\\': *w++ = '\\'; break;
            case '/': *w++ = '/'; break;
            case 'b': *w++ = '\b'; break;
            case 'f': *w++ = '\f'; break;
            case 'n': *w++ = '\n'; break;
            case 'r': *w++ = '\r'; break;
            case 't': *w++ = '\t'; break;
            case 'u': {
                uint32_t cp, lo;
                if (ps->end - ps->p < 4 || hex4(ps->p, &cp)) return fail(ps, "bad \\u escape");
                ps->p += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' || hex4(ps->p + 2, &lo) ||
                        lo < 0xDC00 || lo > 0xDFFF)
                        return fail(ps, "lone surrogate in \\u escape");
                    ps->p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return fail(ps, "lone surrogate in \\u escape");
                }
                if (cp == 0) return fail(ps, "NUL character in string");
                w += ap_utf8_encode(cp, w);
                break;
            }
            default: return fail(ps, "bad escape");
            }
            run = ps->p;
            continue;
        }
        if (c < 0x20) return fail(ps, "control character in string");
        ps->p++;
    }
    *w = '\0';
    *out = dst;
    *out_len = (uint32_t)(w - dst);
    d->text_used += (size_t)(w - dst) + 1;
    return 0;
}

static int parse_number(parser_t *ps, ap_json_node_t *n) {
    const char *s = ps->p;
    if (ps->p < ps->end && *ps->p == '-') ps->p++;
    if (ps->p >= ps->end) return fail(ps, "bad number");
    if (*ps->p == '0') ps->p++;
    else if (*ps->p >= '1' && *ps->p <= '9') while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
    else return fail(ps, "bad number");
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        const char *f = ps->p;
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
        if (ps->p == f) return fail(ps, "bad number fraction");
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) ps->p++;
        const char *f = ps->p;
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
        if (ps->p == f) return fail(ps, "bad number exponent");
    }
    n->str = s;
    n->len = (uint32_t)(ps->p - s);
    return 0;
}

static int literal(parser_t *ps, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return fail(ps, "unexpected character");
    ps->p += n;
    return 0;
}

static int32_t parse_value(parser_t *ps, int depth);

/* Appends child c to parent's list, tracking the tail through *tail. */
static void link_child(ap_json_doc_t *d, int32_t parent, int32_t *tail, int32_t c) {
    if (*tail < 0) d->nodes[parent].child = c;
    else d->nodes[*tail].next = c;
    *tail = c;
    d->nodes[parent].count++;
}

static int32_t parse_container(parser_t *ps, int depth, int is_object) {
    ap_json_doc_t *d = ps->doc;
    int32_t self = new_node(ps, is_object ? AP_JSON_OBJECT : AP_JSON_ARRAY), tail = -1;
    char close = is_object ? '}' : ']';
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) { ps->p++; return self; }
    for (;;) {
        const char *key = NULL;
        uint32_t key_len = 0;
        skip_ws(ps);
        if (is_object) {
            if (ps->p >= ps->end || *ps->p != '"') return fail(ps, "expected member name");
            if (parse_string(ps, &key, &key_len)) return -1;
            for (int32_t k = d->nodes[self].child; k >= 0; k = d->nodes[k].next)
                if (d->nodes[k].key_len == key_len && memcmp(d->nodes[k].key, key, key_len) == 0)
                    return fail(ps, "duplicate member \"%.40s\"", key);
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') return fail(ps, "expected ':'");
            ps->p++;
        }
        int32_t c = parse_value(ps, depth + 1);
        if (c < 0) return -1;
        d->nodes[c].key = key;
        d->nodes[c].key_len = key_len;
        link_child(d, self, &tail, c);
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
        if (ps->p < ps->end && *ps->p == close) { ps->p++; return self; }
        return fail(ps, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int32_t parse_value(parser_t *ps, int depth) {
    if (depth > AP_JSON_MAX_DEPTH) return fail(ps, "nesting deeper than %d", AP_JSON_MAX_DEPTH);
    skip_ws(ps);
    if (ps->p >= ps->end) return fail(ps, "unexpected end of input");
    int32_t n;
    switch (*ps->p) {
    case '{': return parse_container(ps, depth, 1);
    case '[': return parse_container(ps, depth, 0);
    case '"': {
        const char *s;
        uint32_t len;
        n = new_node(ps, AP_JSON_STRING);
        if (parse_string(ps, &s, &len)) return -1;
        ps->doc->nodes[n].str = s;
        ps->doc->nodes[n].len = len;
        return n;
    }
    case 't': n = new_node(ps, AP_JSON_TRUE); return literal(ps, "true") ? -1 : n;
    case 'f': n = new_node(ps, AP_JSON_FALSE); return literal(ps, "false") ? -1 : n;
    case 'n': n = new_node(ps, AP_JSON_NULL); return literal(ps, "null") ? -1 : n;
    default:
        n = new_node(ps, AP_JSON_NUMBER);
        return parse_number(ps, &ps->doc->nodes[n]) ? -1 : n;
    }
}

int ap_json_parse(ap_json_doc_t *doc, const char *in, size_t len) {
    parser_t ps = {doc, in, in + len, in};
    doc->count = 0;
    doc->text_used = 0;
    doc->err[0] = '\0';
    if (len >= UINT32_MAX) return fail(&ps, "input too large");
    if (doc->text_cap < len + 1) {
        char *t = realloc(doc->text, len + 1);
        if (!t) abort();
        doc->text = t;
        doc->text_cap = len + 1;
    }
    if (parse_value(&ps, 0) < 0) return -1;
    skip_ws(&ps);
    if (ps.p != ps.end) return fail(&ps, "trailing characters after JSON value");
    return 0;
}

void ap_json_doc_free(ap_json_doc_t *doc) {
    free(doc->nodes);
    free(doc->text);
    memset(doc, 0, sizeof *doc);
}

const ap_json_node_t *ap_json_first(const ap_json_doc_t *doc, const ap_json_node_t *n) {
    return (n && n->child >= 0) ? &doc->nodes[n->child] : NULL;
}

const ap_json_node_t *ap_json_next(const ap_json_doc_t *doc, const ap_json_node_t *n) {
    return (n && n->next >= 0) ? &doc->nodes[n->next] : NULL;
}

const ap_json_node_t *ap_json_member(const ap_json_doc_t *doc, const ap_json_node_t *obj, const char *name) {
    if (!obj || obj->type != AP_JSON_OBJECT) return NULL;
    size_t len = strlen(name);
    for (const ap_json_node_t *c = ap_json_first(doc, obj); c; c = ap_json_next(doc, c))
        if (c->key_len == len && memcmp(c->key, name, len) == 0) return c;
    return NULL;
}

int ap_json_int64(const ap_json_node_t *n, int64_t *out) {
    if (!n || n->type != AP_JSON_NUMBER) return -1;
    const char *s = n->str, *e = n->str + n->len;
    int neg = 0;
    uint64_t v = 0, limit;
    if (s < e && *s == '-') { neg = 1; s++; }
    if (s == e) return -1;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; s < e; s++) {
        if (*s < '0' || *s > '9') return -1; /* fraction or exponent */
        uint64_t digit = (uint64_t)(*s - '0');
        if (v > (limit - digit) / 10) return -1;
        v = v * 10 + digit;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int ap_json_is_string(const ap_json_node_t *n, const char *s) {
    return n && n->type == AP_JSON_STRING && strlen(s) == n->len && memcmp(n->str, s, n->len) == 0;
}

/* Non-zero if any byte of w is below 0x20, '"' or '\\' (the classic
 * "has a byte less than n" and "has a zero byte" word tests). */
static uint64_t json_special8(uint64_t w) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    return ((w - ones * 0x20) & ~w & highs) | ((quote - ones) & ~quote & highs) |
           ((backslash - ones) & ~backslash & highs);
}

void ap_json_write_string(ap_buf_t *out, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    ap_buf_reserve(out, len + 2); /* the usual case: nothing to escape */
    out->data[out->len++] = '"';
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        /* Eight bytes at a time while none is a control, '"' or '\\'. */
        uint64_t w;
        while (len - i >= 8 && (memcpy(&w, s + i, 8), !json_special8(w))) i += 8;
        if (i >= len) break;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        ap_buf_append(out, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': ap_buf_append(out, "\\\"", 2); break;
        case '\\': ap_buf_append(out, "\\\\", 2); break;
        case '\n': ap_buf_append(out, "\\n", 2); break;
        case '\r': ap_buf_append(out, "\\r", 2); break;
        case '\t': ap_buf_append(out, "\\t", 2); break;
        case '\b': ap_buf_append(out, "\\b", 2); break;
        case '\f': ap_buf_append(out, "\\f", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            ap_buf_append(out, u, 6);
        }
        }
    }
    ap_buf_reserve(out, len - run + 1);
    memcpy(out->data + out->len, s + run, len - run);
    out->len += len - run;
    out->data[out->len++] = '"';
    out->data[out->len] = '\0'; /* the buffer stays a C string (buf.h) */
}
