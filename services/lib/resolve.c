/* resolve.c - Avro schema resolution and the compatibility policy. See resolve.h. */
#include "arbejdspligt/resolve.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arbejdspligt/json.h"
#include "arbejdspligt/schema.h"
#include "codec_read.h"

#define AT(value, off, T) ((T *)((char *)(value) + (off)))

/* Deepest nesting of writer types followed when checking or skipping
 * (recursive schemas end here), and most values skipped in one record: a
 * hostile array of nulls costs no input bytes per item, so the count alone
 * cannot bound the work. */
#define MAX_DEPTH 32
#define SKIP_BUDGET (1L << 20)

/* ------------------------------------------------- schemas, as JSON nodes */

typedef enum kind {
    K_NULL, K_BOOLEAN, K_INT, K_LONG, K_FLOAT, K_DOUBLE, K_BYTES, K_STRING,
    K_FIXED, K_ENUM, K_ARRAY, K_MAP, K_RECORD, K_UNION, K_BAD
} kind_t;

/* Names of the kinds, in kind_t order; a union has no "type" name. */
static const char *const kind_names[] = {"null",  "boolean", "int",   "long", "float",  "double", "bytes",
                                         "string", "fixed",  "enum", "array", "map",   "record", "union"};

/* The part of a full name after its last dot: the specification matches
 * records and enums by unqualified name. */
static void short_name(const char *s, size_t n, const char **out, size_t *outn) {
    const char *dot = NULL;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '.') dot = s + i;
    *out = dot ? dot + 1 : s;
    *outn = dot ? n - (size_t)(dot + 1 - s) : n;
}

static int same_name(const ap_json_node_t *a, const char *b, size_t blen) {
    const char *x, *y;
    size_t xn, yn;
    if (!a || a->type != AP_JSON_STRING) return 0;
    short_name(a->str, a->len, &x, &xn);
    short_name(b, blen, &y, &yn);
    return xn == yn && memcmp(x, y, xn) == 0;
}

/* The definition of a named type (record, enum, fixed) anywhere in doc. */
static const ap_json_node_t *find_named(const ap_json_doc_t *d, const char *name, size_t len) {
    for (size_t i = 0; i < d->count; i++) {
        const ap_json_node_t *n = &d->nodes[i];
        if (n->type != AP_JSON_OBJECT) continue;
        const ap_json_node_t *t = ap_json_member(d, n, "type");
        if (!ap_json_is_string(t, "record") && !ap_json_is_string(t, "enum") && !ap_json_is_string(t, "fixed")) continue;
        if (same_name(ap_json_member(d, n, "name"), name, len)) return n;
    }
    return NULL;
}

/* The kind of schema node n; *def is the node that defines it (a name
 * reference is followed to its definition). */
static kind_t kind_of(const ap_json_doc_t *d, const ap_json_node_t *n, const ap_json_node_t **def) {
    *def = n;
    if (!n) return K_BAD;
    if (n->type == AP_JSON_ARRAY) return K_UNION;
    const ap_json_node_t *t = n->type == AP_JSON_OBJECT ? ap_json_member(d, n, "type") : n;
    if (!t || t->type != AP_JSON_STRING) return K_BAD;
    for (int k = 0; k < K_UNION; k++)
        if (ap_json_is_string(t, kind_names[k])) {
            /* "record" alone is a reference to nothing, not a record */
            if (n->type == AP_JSON_STRING && k >= K_FIXED) return K_BAD;
            return (kind_t)k;
        }
    if (n->type != AP_JSON_STRING) return K_BAD;
    const ap_json_node_t *named = find_named(d, n->str, n->len);
    if (!named) return K_BAD;
    return kind_of(d, named, def);
}

static const char *kind_name(kind_t k) { return k < K_BAD ? kind_names[k] : "invalid schema"; }

/* Does a default value fit the type? (The specification: a union's default
 * is of its first branch; bytes and fixed defaults are strings.) */
static int default_fits(const ap_json_doc_t *d, const ap_json_node_t *type, const ap_json_node_t *v) {
    const ap_json_node_t *def;
    int64_t x;
    switch (kind_of(d, type, &def)) {
    case K_NULL: return v->type == AP_JSON_NULL;
    case K_BOOLEAN: return v->type == AP_JSON_TRUE || v->type == AP_JSON_FALSE;
    case K_INT: return ap_json_int64(v, &x) == 0 && x >= INT32_MIN && x <= INT32_MAX;
    case K_LONG: return ap_json_int64(v, &x) == 0;
    case K_FLOAT:
    case K_DOUBLE: return v->type == AP_JSON_NUMBER;
    case K_BYTES:
    case K_STRING:
    case K_FIXED: return v->type == AP_JSON_STRING;
    case K_ENUM: {
        const ap_json_node_t *syms = ap_json_member(d, def, "symbols");
        if (v->type != AP_JSON_STRING || !syms) return 0;
        for (const ap_json_node_t *s = ap_json_first(d, syms); s; s = ap_json_next(d, s))
            if (ap_json_is_string(s, v->str)) return 1;
        return 0;
    }
    case K_ARRAY: return v->type == AP_JSON_ARRAY;
    case K_MAP:
    case K_RECORD: return v->type == AP_JSON_OBJECT;
    case K_UNION: return def->count > 0 && default_fits(d, ap_json_first(d, def), v);
    case K_BAD: return 0;
    }
    return 0;
}

/* Is name one of a reader field's names (its name or an alias)? */
static int field_named(const ap_json_doc_t *d, const ap_json_node_t *field, const ap_json_node_t *name) {
    const ap_json_node_t *n = ap_json_member(d, field, "name"), *aliases = ap_json_member(d, field, "aliases");
    if (!name || name->type != AP_JSON_STRING) return 0;
    if (ap_json_is_string(n, name->str)) return 1;
    if (aliases && aliases->type == AP_JSON_ARRAY)
        for (const ap_json_node_t *a = ap_json_first(d, aliases); a; a = ap_json_next(d, a))
            if (ap_json_is_string(a, name->str)) return 1;
    return 0;
}

/* The writer's field that a reader field reads, or NULL. */
static const ap_json_node_t *writer_field(const ap_json_doc_t *rd, const ap_json_node_t *rfield,
                                          const ap_json_doc_t *wd, const ap_json_node_t *wfields) {
    for (const ap_json_node_t *wf = ap_json_first(wd, wfields); wf; wf = ap_json_next(wd, wf))
        if (field_named(rd, rfield, ap_json_member(wd, wf, "name"))) return wf;
    return NULL;
}

/* The specification's promotions: a writer's int is read as long, float or
 * double, a long as float or double, a float as double, and string and
 * bytes as each other. */
static int promotes(kind_t w, kind_t r) {
    if (w == r) return 1;
    switch (w) {
    case K_INT: return r == K_LONG || r == K_FLOAT || r == K_DOUBLE;
    case K_LONG: return r == K_FLOAT || r == K_DOUBLE;
    case K_FLOAT: return r == K_DOUBLE;
    case K_STRING: return r == K_BYTES;
    case K_BYTES: return r == K_STRING;
    default: return 0;
    }
}

/* ----------------------------------------------------------- the checker */

typedef struct chk {
    const ap_json_doc_t *r, *w;
    char *why;
    size_t len;
    int depth;
} chk_t;

static int chk_fail(chk_t *c, const char *path, const char *fmt, ...) {
    char msg[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->why, c->len, "%s: %s", path, msg);
    return -1;
}

static int compat(chk_t *c, const ap_json_node_t *rn, const ap_json_node_t *wn, const char *path);

static int compat_record(chk_t *c, const ap_json_node_t *rd, const ap_json_node_t *wd, const char *path) {
    const ap_json_node_t *rfields = ap_json_member(c->r, rd, "fields"), *wfields = ap_json_member(c->w, wd, "fields");
    if (!rfields || rfields->type != AP_JSON_ARRAY || !wfields || wfields->type != AP_JSON_ARRAY)
        return chk_fail(c, path, "record without fields");
    for (const ap_json_node_t *rf = ap_json_first(c->r, rfields); rf; rf = ap_json_next(c->r, rf)) {
        const ap_json_node_t *name = ap_json_member(c->r, rf, "name"), *type = ap_json_member(c->r, rf, "type");
        if (!name || name->type != AP_JSON_STRING || !type) return chk_fail(c, path, "a reader field has no name or type");
        char sub[256];
        snprintf(sub, sizeof sub, "%s.%s", path, name->str);
        const ap_json_node_t *wf = writer_field(c->r, rf, c->w, wfields);
        if (wf) {
            if (compat(c, type, ap_json_member(c->w, wf, "type"), sub)) return -1;
            continue;
        }
        /* Added field: the reader fills it in from its default. */
        const ap_json_node_t *dflt = ap_json_member(c->r, rf, "default");
        if (!dflt) return chk_fail(c, sub, "the writer does not have this field and the reader has no default");
        if (!default_fits(c->r, type, dflt)) return chk_fail(c, sub, "the default does not fit the field's type");
    }
    return 0;
}

static int compat_enum(chk_t *c, const ap_json_node_t *rd, const ap_json_node_t *wd, const char *path) {
    const ap_json_node_t *rsyms = ap_json_member(c->r, rd, "symbols"), *wsyms = ap_json_member(c->w, wd, "symbols");
    const ap_json_node_t *dflt = ap_json_member(c->r, rd, "default");
    if (!rsyms || !wsyms) return chk_fail(c, path, "enum without symbols");
    for (const ap_json_node_t *ws = ap_json_first(c->w, wsyms); ws; ws = ap_json_next(c->w, ws)) {
        const ap_json_node_t *rs = ap_json_first(c->r, rsyms);
        while (rs && !(ws->type == AP_JSON_STRING && ap_json_is_string(rs, ws->str))) rs = ap_json_next(c->r, rs);
        /* A symbol the reader lacks becomes the reader's default, if it has one. */
        if (!rs && !dflt)
            return chk_fail(c, path, "writer symbol %.60s is not in the reader's enum, which has no default",
                            ws->type == AP_JSON_STRING ? ws->str : "?");
    }
    if (dflt && !default_fits(c->r, rd, dflt)) return chk_fail(c, path, "the enum default is not one of its symbols");
    return 0;
}

static int compat(chk_t *c, const ap_json_node_t *rn, const ap_json_node_t *wn, const char *path) {
    const ap_json_node_t *rd, *wd;
    kind_t rk = kind_of(c->r, rn, &rd), wk = kind_of(c->w, wn, &wd);
    int rc = 0;
    if (rk == K_BAD) return chk_fail(c, path, "the reader's type is not a schema");
    if (wk == K_BAD) return chk_fail(c, path, "the writer's type is not a schema");
    if (c->depth >= MAX_DEPTH) return 0; /* a recursive type: checked as far as it repeats */
    c->depth++;
    if (wk == K_UNION) {
        /* Every branch the writer may choose must be readable. */
        for (const ap_json_node_t *b = ap_json_first(c->w, wd); b && !rc; b = ap_json_next(c->w, b))
            rc = compat(c, rn, b, path);
    } else if (rk == K_UNION) {
        /* The first reader branch that can hold the writer's value. */
        char *why = c->why, scratch[256] = "";
        size_t len = c->len;
        c->why = scratch, c->len = sizeof scratch;
        rc = -1;
        for (const ap_json_node_t *b = ap_json_first(c->r, rd); b && rc; b = ap_json_next(c->r, b))
            rc = compat(c, b, wn, path);
        c->why = why, c->len = len;
        /* The last branch's reason: for an optional ["null", X] it is X's. */
        if (rc) rc = chk_fail(c, path, "no branch of the reader's union can hold the writer's %s (%.120s)", kind_name(wk), scratch);
    } else if (!promotes(wk, rk)) {
        rc = chk_fail(c, path, "the writer's %s cannot be read as %s", kind_name(wk), kind_name(rk));
    } else if (rk == K_RECORD || rk == K_ENUM || rk == K_FIXED) {
        const ap_json_node_t *wname = ap_json_member(c->w, wd, "name"), *rname = ap_json_member(c->r, rd, "name");
        if (!rname || rname->type != AP_JSON_STRING || !same_name(wname, rname->str, rname->len))
            rc = chk_fail(c, path, "the writer's %s has another name", kind_name(rk));
        else if (rk == K_RECORD) rc = compat_record(c, rd, wd, path);
        else if (rk == K_ENUM) rc = compat_enum(c, rd, wd, path);
        else {
            int64_t rs = -1, ws = -2;
            ap_json_int64(ap_json_member(c->r, rd, "size"), &rs);
            ap_json_int64(ap_json_member(c->w, wd, "size"), &ws);
            if (rs != ws) rc = chk_fail(c, path, "fixed sizes differ");
        }
    } else if (rk == K_ARRAY || rk == K_MAP) {
        const char *member = rk == K_ARRAY ? "items" : "values";
        char sub[256];
        snprintf(sub, sizeof sub, "%s%s", path, rk == K_ARRAY ? "[]" : "{}");
        rc = compat(c, ap_json_member(c->r, rd, member), ap_json_member(c->w, wd, member), sub);
    }
    c->depth--;
    return rc;
}

int ap_resolve_check(const char *reader, size_t reader_len, const char *writer, size_t writer_len, char *why,
                     size_t whylen) {
    ap_json_doc_t rd = AP_JSON_DOC_INIT, wd = AP_JSON_DOC_INIT;
    int rc = -1;
    if (ap_json_parse(&rd, reader, reader_len)) {
        snprintf(why, whylen, "the reader schema is not JSON: %s", rd.err);
        goto cleanup;
    }
    if (ap_json_parse(&wd, writer, writer_len)) {
        snprintf(why, whylen, "the writer schema is not JSON: %s", wd.err);
        goto cleanup;
    }
    const ap_json_node_t *name = ap_json_member(&rd, &rd.nodes[0], "name");
    chk_t c = {&rd, &wd, why, whylen, 0};
    rc = compat(&c, &rd.nodes[0], &wd.nodes[0], name && name->type == AP_JSON_STRING ? name->str : "(root)");
cleanup:
    ap_json_doc_free(&rd);
    ap_json_doc_free(&wd);
    return rc;
}

int ap_resolve_check_policy(const char *prev, size_t prev_len, const char *next, size_t next_len, char *why,
                            size_t whylen) {
    char reason[224];
    if (ap_resolve_check(next, next_len, prev, prev_len, reason, sizeof reason)) {
        snprintf(why, whylen, "BACKWARD: %s", reason);
        return -1;
    }
    if (ap_resolve_check(prev, prev_len, next, next_len, reason, sizeof reason)) {
        snprintf(why, whylen, "FORWARD: %s", reason);
        return -1;
    }
    return 0;
}

/* ----------------------------------------------------- the program: data */

/* One writer type, compiled: how to skip it and what it holds. */
typedef struct wtype {
    kind_t kind;
    int32_t a, n;   /* array/map: a = item type; union/record: kids[a..a+n); enum: n symbols */
    int64_t size;   /* fixed */
    const ap_json_node_t *json; /* its definition (during the build only) */
} wtype_t;

/* What to do with one writer value. */
typedef enum op {
    OP_SKIP,        /* the reader has no such field: skip the writer's value */
    OP_BOOL,
    OP_INT,
    OP_INT_TO_LONG, /* promotion */
    OP_LONG,
    OP_STRING,      /* string, or bytes promoted to string (UTF-8 checked) */
    OP_BYTES,       /* bytes, or string promoted to bytes */
    OP_ENUM,        /* writer index -> reader index via maps[a..a+n) */
    OP_OPT_INT,     /* the int of a ["null","int"] reader field */
    OP_NULL,        /* the writer wrote null: the reader field's null */
    OP_UNION,       /* writer union: branch steps[a..a+n) */
    OP_FAIL,        /* a writer branch the reader cannot hold */
    OP_ARRAY,       /* items: strings (a = -1) or records of recs[a] */
    OP_VIEW         /* an AP_FT_ARRAY_VIEW whose items are read unchanged (recs[a] is the identity) */
} op_t;

typedef struct step {
    op_t op;
    int32_t wtype;
    const ap_field_desc_t *f; /* reader field; NULL for OP_SKIP */
    int32_t a, n;             /* see op_t; OP_SKIP: n = pool offset of the writer field's name */
} step_t;

/* A reader field the writer does not have, and its default. */
typedef struct dflt {
    const ap_field_desc_t *f;
    int64_t i;      /* bool, int, long, enum index */
    int32_t s, len; /* string, bytes: pool[s..s+len) */
} dflt_t;

/* One (writer record, reader record) pair: steps in writer field order, then defaults. */
typedef struct rec {
    const ap_record_desc_t *desc;
    int32_t step0, nsteps, dflt0, ndflts;
} rec_t;

/* A growable array of the build; after it, read only. */
#define VEC(T) struct { T *v; int32_t n, cap; }

struct ap_resolve_program {
    const ap_record_desc_t *reader;
    uint64_t fingerprint;
    VEC(wtype_t) types;
    VEC(int32_t) kids;
    VEC(step_t) steps;
    VEC(int32_t) maps;
    VEC(dflt_t) dflts;
    VEC(rec_t) recs;
    VEC(char) pool;
};

/* Grows a vector's storage for k more elements (zeroed). */
static void *vec_grow(void *v, int32_t n, int32_t *cap, size_t size, int32_t k) {
    if (n + k > *cap) {
        int32_t c = *cap ? *cap : 16;
        while (c < n + k) c *= 2;
        if (!(v = realloc(v, (size_t)c * size))) abort();
        *cap = c;
    }
    if (k) memset((char *)v + (size_t)n * size, 0, (size_t)k * size);
    return v;
}
/* Appends k zeroed elements; evaluates to the index of the first. */
#define ADD(vec, k) \
    ((vec).v = vec_grow((vec).v, (vec).n, &(vec).cap, sizeof *(vec).v, (k)), (vec).n += (k), (vec).n - (k))

/* ---------------------------------------------------- the program: build */

typedef struct build {
    ap_resolve_program_t *p;
    const ap_json_doc_t *w, *r;
    ap_codec_error_t *err;
    VEC(struct named { const ap_json_node_t *def; int32_t type; }) named;
} build_t;

static int build_fail(build_t *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    b->err->status = AP_CODEC_BAD_JSON;
    vsnprintf(b->err->msg, sizeof b->err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* Compiles the writer type at node n; returns its index or -1. */
static int32_t compile_type(build_t *b, const ap_json_node_t *n, int depth) {
    const ap_json_node_t *def;
    kind_t k = kind_of(b->w, n, &def);
    if (k == K_BAD) return build_fail(b, "writer schema: a type is not a schema");
    if (depth > MAX_DEPTH) return build_fail(b, "writer schema nests deeper than %d", MAX_DEPTH);
    if (k == K_RECORD || k == K_ENUM || k == K_FIXED) /* named: compiled once, so recursion ends */
        for (int32_t i = 0; i < b->named.n; i++)
            if (b->named.v[i].def == def) return b->named.v[i].type;
    int32_t t = ADD(b->p->types, 1);
    b->p->types.v[t] = (wtype_t){k, 0, 0, 0, def};
    if (k == K_RECORD || k == K_ENUM || k == K_FIXED) {
        int32_t i = ADD(b->named, 1);
        b->named.v[i].def = def, b->named.v[i].type = t;
    }
    const ap_json_node_t *list = NULL;
    switch (k) {
    case K_FIXED:
        if (ap_json_int64(ap_json_member(b->w, def, "size"), &b->p->types.v[t].size) || b->p->types.v[t].size < 0)
            return build_fail(b, "writer schema: fixed without a size");
        return t;
    case K_ENUM: {
        const ap_json_node_t *syms = ap_json_member(b->w, def, "symbols");
        if (!syms || syms->type != AP_JSON_ARRAY) return build_fail(b, "writer schema: enum without symbols");
        b->p->types.v[t].n = (int32_t)syms->count;
        return t;
    }
    case K_ARRAY:
    case K_MAP: {
        int32_t item = compile_type(b, ap_json_member(b->w, def, k == K_ARRAY ? "items" : "values"), depth + 1);
        if (item < 0) return -1;
        b->p->types.v[t].a = item;
        return t;
    }
    case K_UNION: list = def; break;
    case K_RECORD:
        list = ap_json_member(b->w, def, "fields");
        if (!list || list->type != AP_JSON_ARRAY) return build_fail(b, "writer schema: record without fields");
        break;
    default: return t;
    }
    int32_t nk = (int32_t)list->count, a = ADD(b->p->kids, nk), i = 0;
    b->p->types.v[t].a = a, b->p->types.v[t].n = nk;
    for (const ap_json_node_t *m = ap_json_first(b->w, list); m; m = ap_json_next(b->w, m), i++) {
        int32_t kid = compile_type(b, k == K_RECORD ? ap_json_member(b->w, m, "type") : m, depth + 1);
        if (kid < 0) return -1;
        b->p->kids.v[a + i] = kid;
    }
    return t;
}

static int32_t build_rec(build_t *b, const ap_record_desc_t *desc, const ap_json_node_t *rjson, int32_t wt);

/* The reader enum of field f (its schema node, a name reference followed). */
static const ap_json_node_t *reader_enum(build_t *b, const ap_field_desc_t *f, const ap_json_node_t *rtype) {
    const ap_json_node_t *def;
    if (f->type == AP_FT_OPT_ENUM && kind_of(b->r, rtype, &def) == K_UNION)
        rtype = ap_json_next(b->r, ap_json_first(b->r, def));
    return kind_of(b->r, rtype, &def) == K_ENUM ? def : NULL;
}

/* The reader record of an array field's items. */
static const ap_json_node_t *reader_items(build_t *b, const ap_json_node_t *rtype) {
    const ap_json_node_t *def, *items;
    if (kind_of(b->r, rtype, &def) != K_ARRAY) return NULL;
    items = ap_json_member(b->r, def, "items");
    return kind_of(b->r, items, &def) == K_RECORD ? def : NULL;
}

/* Maps the writer enum's symbols onto the reader's (unknown: the reader
 * default, else -1, a BAD_ENUM when a record uses it). */
static int32_t enum_map(build_t *b, const ap_field_desc_t *f, const ap_json_node_t *renum, const wtype_t *wt) {
    const ap_json_node_t *dflt = ap_json_member(b->r, renum, "default"), *rname = ap_json_member(b->r, renum, "name");
    int32_t fallback = -1;
    if (!rname || rname->type != AP_JSON_STRING || !same_name(ap_json_member(b->w, wt->json, "name"), rname->str, rname->len))
        return build_fail(b, "field %s: the writer's enum has another name", f->name);
    if (dflt && (dflt->type != AP_JSON_STRING || (fallback = ap_codec_enum_index(f, dflt->str, dflt->len)) < 0))
        return build_fail(b, "field %s: the enum default is not one of its symbols", f->name);
    int32_t n = wt->n, a = ADD(b->p->maps, n), i = 0;
    const ap_json_node_t *syms = ap_json_member(b->w, wt->json, "symbols");
    for (const ap_json_node_t *s = ap_json_first(b->w, syms); s; s = ap_json_next(b->w, s), i++) {
        int32_t x = s->type == AP_JSON_STRING ? ap_codec_enum_index(f, s->str, s->len) : -1;
        b->p->maps.v[a + i] = x >= 0 ? x : fallback;
    }
    return a;
}

/* The step that reads a value of writer type wt into reader field f
 * (rtype: the field's reader schema node). Returns 0 or -1 with err set. */
static int conv(build_t *b, int32_t wt, const ap_field_desc_t *f, const ap_json_node_t *rtype, step_t *out) {
    const wtype_t w = b->p->types.v[wt];
    *out = (step_t){OP_FAIL, wt, f, 0, 0};
    if (w.kind == K_UNION) {
        /* Each writer branch is resolved on its own; one the reader cannot
         * hold fails only the records that choose it. */
        int32_t a = ADD(b->p->steps, w.n), ok = 0;
        ap_codec_error_t *keep = b->err, scratch;
        for (int32_t i = 0; i < w.n; i++) {
            step_t s;
            b->err = &scratch;
            if (conv(b, b->p->kids.v[w.a + i], f, rtype, &s) == 0) ok++;
            else s = (step_t){OP_FAIL, b->p->kids.v[w.a + i], f, 0, 0};
            b->err = keep;
            b->p->steps.v[a + i] = s;
        }
        if (!ok) return build_fail(b, "field %s: no branch of the writer's union fits the reader", f->name);
        *out = (step_t){OP_UNION, wt, f, a, w.n};
        return 0;
    }
    int nullable = f->type == AP_FT_OPT_STRING || f->type == AP_FT_OPT_INT || f->type == AP_FT_OPT_ENUM;
    if (w.kind == K_NULL && nullable) return out->op = OP_NULL, 0;
    switch (f->type) {
    case AP_FT_BOOL: if (w.kind == K_BOOLEAN) return out->op = OP_BOOL, 0; break;
    case AP_FT_INT: if (w.kind == K_INT) return out->op = OP_INT, 0; break;
    case AP_FT_LONG:
        if (w.kind == K_INT) return out->op = OP_INT_TO_LONG, 0;
        if (w.kind == K_LONG) return out->op = OP_LONG, 0;
        break;
    case AP_FT_STRING:
    case AP_FT_OPT_STRING:
        if (w.kind == K_STRING || w.kind == K_BYTES) return out->op = OP_STRING, 0;
        break;
    case AP_FT_BYTES: if (w.kind == K_STRING || w.kind == K_BYTES) return out->op = OP_BYTES, 0; break;
    case AP_FT_OPT_INT: if (w.kind == K_INT) return out->op = OP_OPT_INT, 0; break;
    case AP_FT_ENUM:
    case AP_FT_OPT_ENUM: {
        const ap_json_node_t *renum = reader_enum(b, f, rtype);
        if (w.kind != K_ENUM || !renum) break;
        int32_t a = enum_map(b, f, renum, &w);
        if (a < 0) return -1;
        *out = (step_t){OP_ENUM, wt, f, a, w.n};
        return 0;
    }
    case AP_FT_ARRAY:
    case AP_FT_ARRAY_VIEW: {
        if (w.kind != K_ARRAY) break;
        int32_t item = w.a;
        kind_t ik = b->p->types.v[item].kind;
        if (!f->item) {
            if (ik != K_STRING && ik != K_BYTES) break;
            *out = (step_t){OP_ARRAY, wt, f, -1, 0};
            return 0;
        }
        const ap_json_node_t *ritems = reader_items(b, rtype);
        if (ik != K_RECORD || !ritems) break;
        int32_t r = build_rec(b, f->item, ritems, item);
        if (r < 0) return -1;
        *out = (step_t){f->type == AP_FT_ARRAY ? OP_ARRAY : OP_VIEW, wt, f, r, 0};
        return 0;
    }
    }
    return build_fail(b, "field %s: the writer's %s cannot be read into it", f->name, kind_name(w.kind));
}

/* A default value for a reader field the writer lacks. */
static int make_default(build_t *b, const ap_field_desc_t *f, const ap_json_node_t *rfield, dflt_t *d) {
    const ap_json_node_t *v = ap_json_member(b->r, rfield, "default");
    int64_t x;
    *d = (dflt_t){f, 0, 0, 0};
    if (!v) return build_fail(b, "field %s: the writer does not have it and the reader has no default", f->name);
    switch (f->type) {
    case AP_FT_BOOL:
        if (v->type != AP_JSON_TRUE && v->type != AP_JSON_FALSE) break;
        d->i = v->type == AP_JSON_TRUE;
        return 0;
    case AP_FT_INT:
        if (ap_json_int64(v, &x) || x < INT32_MIN || x > INT32_MAX) break;
        d->i = x;
        return 0;
    case AP_FT_LONG:
        if (ap_json_int64(v, &x)) break;
        d->i = x;
        return 0;
    case AP_FT_ENUM:
        if (v->type != AP_JSON_STRING || (d->i = ap_codec_enum_index(f, v->str, v->len)) < 0) break;
        return 0;
    case AP_FT_STRING:
        if (v->type != AP_JSON_STRING || v->len >= f->cap || memchr(v->str, 0, v->len)) break;
        d->s = ADD(b->p->pool, (int32_t)v->len), d->len = (int32_t)v->len;
        if (v->len) memcpy(b->p->pool.v + d->s, v->str, v->len); /* "" may find the pool still empty */
        return 0;
    case AP_FT_BYTES: {
        /* JSON gives bytes as a string of code points 0-255. */
        if (v->type != AP_JSON_STRING) break;
        d->s = ADD(b->p->pool, (int32_t)v->len);
        const unsigned char *s = (const unsigned char *)v->str;
        for (uint32_t i = 0; i < v->len; i++) {
            unsigned c = s[i];
            if (c >= 0x80) {
                if ((c != 0xC2 && c != 0xC3) || i + 1 >= v->len) return build_fail(b, "field %s: bytes default above U+00FF", f->name);
                c = ((c & 0x1F) << 6) | (s[++i] & 0x3F);
            }
            b->p->pool.v[d->s + d->len++] = (char)c;
        }
        return 0;
    }
    case AP_FT_OPT_STRING:
    case AP_FT_OPT_INT:
    case AP_FT_OPT_ENUM:
        /* The default of a union is of its first branch, here null. */
        if (v->type != AP_JSON_NULL) break;
        return 0;
    case AP_FT_ARRAY:
    case AP_FT_ARRAY_VIEW:
        if (v->type != AP_JSON_ARRAY || v->count) break;
        return 0;
    }
    return build_fail(b, "field %s: the reader's default cannot be used (wrong type, too long, or a non-empty array)",
                      f->name);
}

/* Builds the program of one (reader record, writer record) pair; returns its index. */
static int32_t build_rec(build_t *b, const ap_record_desc_t *desc, const ap_json_node_t *rjson, int32_t wt) {
    const wtype_t w = b->p->types.v[wt];
    const ap_json_node_t *rfields = ap_json_member(b->r, rjson, "fields");
    uint8_t used[128] = {0};
    if (w.kind != K_RECORD) return build_fail(b, "%s: the writer's %s is not a record", desc->name, kind_name(w.kind));
    if (!same_name(ap_json_member(b->w, w.json, "name"), desc->name, strlen(desc->name)))
        return build_fail(b, "%s: the writer's record has another name", desc->name);
    if (desc->nfields > sizeof used || !rfields || rfields->count != desc->nfields)
        return build_fail(b, "%s: the reader's table does not match its schema", desc->name);
    int32_t r = ADD(b->p->recs, 1), step0 = ADD(b->p->steps, w.n);
    b->p->recs.v[r] = (rec_t){desc, step0, w.n, 0, 0};
    const ap_json_node_t *wfields = ap_json_member(b->w, w.json, "fields"), *wf = ap_json_first(b->w, wfields);
    for (int32_t j = 0; j < w.n; j++, wf = ap_json_next(b->w, wf)) {
        const ap_json_node_t *wname = ap_json_member(b->w, wf, "name"), *rf = ap_json_first(b->r, rfields);
        size_t i = 0;
        while (rf && !field_named(b->r, rf, wname)) rf = ap_json_next(b->r, rf), i++;
        step_t s;
        if (!rf) {
            /* Removed in the reader: skip; the name is kept for messages. */
            const char *nm = wname && wname->type == AP_JSON_STRING ? wname->str : "?";
            int32_t at = ADD(b->p->pool, (int32_t)strlen(nm) + 1);
            memcpy(b->p->pool.v + at, nm, strlen(nm) + 1);
            s = (step_t){OP_SKIP, b->p->kids.v[w.a + j], NULL, 0, at};
        } else {
            if (used[i]++) return build_fail(b, "%s: two writer fields read into %s", desc->name, desc->fields[i].name);
            if (conv(b, b->p->kids.v[w.a + j], &desc->fields[i], ap_json_member(b->r, rf, "type"), &s)) return -1;
        }
        b->p->steps.v[step0 + j] = s;
    }
    const ap_json_node_t *rf = ap_json_first(b->r, rfields);
    for (size_t i = 0; i < desc->nfields; i++, rf = ap_json_next(b->r, rf)) {
        if (used[i]) continue;
        dflt_t d;
        if (make_default(b, &desc->fields[i], rf, &d)) return -1;
        int32_t k = ADD(b->p->dflts, 1);
        b->p->dflts.v[k] = d;
        if (!b->p->recs.v[r].ndflts) b->p->recs.v[r].dflt0 = k;
        b->p->recs.v[r].ndflts++;
    }
    return r;
}

/* Reads a record exactly as the codec would (so a view's raw bytes are the
 * reader's encoding): every field in order, no promotion, no default. */
static int identity_step(const ap_resolve_program_t *p, const step_t *s);

static int identity_rec(const ap_resolve_program_t *p, int32_t r) {
    const rec_t *rc = &p->recs.v[r];
    if (rc->ndflts || (size_t)rc->nsteps != rc->desc->nfields) return 0;
    for (int32_t k = 0; k < rc->nsteps; k++) {
        const step_t *s = &p->steps.v[rc->step0 + k];
        if (s->f != &rc->desc->fields[k] || !identity_step(p, s)) return 0;
    }
    return 1;
}

static int identity_step(const ap_resolve_program_t *p, const step_t *s) {
    kind_t wk = p->types.v[s->wtype].kind;
    switch (s->op) {
    case OP_BOOL: case OP_INT: case OP_LONG: case OP_OPT_INT: case OP_NULL: return 1;
    case OP_STRING: return wk == K_STRING;
    case OP_BYTES: return wk == K_BYTES;
    case OP_ENUM:
        if (s->n != s->f->nsymbols) return 0;
        for (int32_t i = 0; i < s->n; i++)
            if (p->maps.v[s->a + i] != i) return 0;
        return 1;
    case OP_UNION: /* ["null", X] written as the reader's optional field is */
        return s->n == 2 && p->steps.v[s->a].op == OP_NULL && p->steps.v[s->a + 1].op != OP_NULL &&
               identity_step(p, &p->steps.v[s->a + 1]);
    case OP_ARRAY:
        return s->a < 0 ? p->types.v[p->types.v[s->wtype].a].kind == K_STRING : identity_rec(p, s->a);
    default: return 0;
    }
}

ap_resolve_program_t *ap_resolve_build(const ap_record_desc_t *reader, const char *writer, size_t writer_len,
                                       ap_codec_error_t *err) {
    ap_json_doc_t wd = AP_JSON_DOC_INIT, rd = AP_JSON_DOC_INIT;
    ap_resolve_program_t *p = calloc(1, sizeof *p);
    build_t b = {p, &wd, &rd, err, {NULL, 0, 0}};
    char msg[128];
    int ok = 0;
    if (!p) abort();
    p->reader = reader;
    if (!reader->schema_text) {
        build_fail(&b, "%s: the reader is not bound to its schema", reader->name);
        goto cleanup;
    }
    if (ap_json_parse(&wd, writer, writer_len)) {
        build_fail(&b, "%s: the writer schema is not JSON: %s", reader->name, wd.err);
        goto cleanup;
    }
    if (ap_json_parse(&rd, reader->schema_text, reader->schema_len)) {
        build_fail(&b, "%s: the reader schema is not JSON: %s", reader->name, rd.err);
        goto cleanup;
    }
    if (ap_schema_fingerprint(writer, writer_len, &p->fingerprint, msg, sizeof msg)) {
        build_fail(&b, "%s: writer schema: %s", reader->name, msg);
        goto cleanup;
    }
    int32_t root = compile_type(&b, &wd.nodes[0], 0);
    if (root < 0 || build_rec(&b, reader, &rd.nodes[0], root) < 0) goto cleanup;
    /* A view keeps the writer's bytes of its items, so they must be the reader's encoding too. */
    for (int32_t k = 0; k < p->steps.n; k++)
        if (p->steps.v[k].op == OP_VIEW && !identity_rec(p, p->steps.v[k].a)) {
            build_fail(&b, "field %s: its items must be written as the reader's (a view keeps their bytes)",
                       p->steps.v[k].f->name);
            goto cleanup;
        }
    for (int32_t t = 0; t < p->types.n; t++) p->types.v[t].json = NULL; /* the doc goes now */
    ok = 1;
cleanup:
    free(b.named.v);
    ap_json_doc_free(&wd);
    ap_json_doc_free(&rd);
    if (!ok) {
        ap_resolve_destroy(p);
        return NULL;
    }
    return p;
}

void ap_resolve_destroy(ap_resolve_program_t *p) {
    if (!p) return;
    free(p->types.v);
    free(p->kids.v);
    free(p->steps.v);
    free(p->maps.v);
    free(p->dflts.v);
    free(p->recs.v);
    free(p->pool.v);
    free(p);
}

uint64_t ap_resolve_writer_fingerprint(const ap_resolve_program_t *p) { return p->fingerprint; }
const ap_record_desc_t *ap_resolve_reader(const ap_resolve_program_t *p) { return p->reader; }

/* --------------------------------------------------- the program: decode */

typedef struct dec {
    const ap_resolve_program_t *p;
    reader_t r;
    long budget; /* values left to skip (SKIP_BUDGET) */
} dec_t;

/* Skips one value of writer type t. */
static ap_codec_status_t skip(dec_t *d, int32_t t, const char *field, int depth) {
    const wtype_t *w = &d->p->types.v[t];
    reader_t *r = &d->r;
    ap_codec_status_t st;
    int64_t x;
    const uint8_t *run;
    size_t n;
    if (depth > MAX_DEPTH) return set_err(r->err, AP_CODEC_TOO_LONG, "field %s: nested deeper than %d", field, MAX_DEPTH);
    if (--d->budget < 0) return set_err(r->err, AP_CODEC_TOO_LONG, "field %s: more than %ld values", field, SKIP_BUDGET);
    switch (w->kind) {
    case K_NULL: return AP_CODEC_OK;
    case K_BOOLEAN: x = 1; goto fixed;
    case K_FLOAT: x = 4; goto fixed;
    case K_DOUBLE: x = 8; goto fixed;
    case K_FIXED: x = w->size; goto fixed;
    case K_INT:
    case K_LONG:
    case K_ENUM: return get_long(r, field, &x);
    case K_BYTES:
    case K_STRING: return get_run(r, field, (size_t)(r->end - r->p), &run, &n);
    case K_UNION:
        if ((st = get_long(r, field, &x)) != AP_CODEC_OK) return st;
        if (x < 0 || x >= w->n) return set_err(r->err, AP_CODEC_BAD_UNION, "field %s: union branch %lld", field, (long long)x);
        return skip(d, d->p->kids.v[w->a + x], field, depth + 1);
    case K_RECORD:
        for (int32_t i = 0; i < w->n; i++)
            if ((st = skip(d, d->p->kids.v[w->a + i], field, depth + 1)) != AP_CODEC_OK) return st;
        return AP_CODEC_OK;
    case K_ARRAY:
    case K_MAP:
        for (;;) {
            int64_t count, bytes;
            if ((st = get_long(r, field, &count)) != AP_CODEC_OK) return st;
            if (count == 0) return AP_CODEC_OK;
            if (count < 0) {
                /* A block with its byte size: skipped whole. */
                if (count == INT64_MIN) return set_err(r->err, AP_CODEC_BAD_LENGTH, "field %s: bad block count", field);
                if ((st = get_long(r, field, &bytes)) != AP_CODEC_OK) return st;
                if (bytes < 0) return set_err(r->err, AP_CODEC_BAD_LENGTH, "field %s: negative block size", field);
                if (bytes > r->end - r->p) return set_err(r->err, AP_CODEC_TRUNCATED, "field %s: block runs past the input", field);
                r->p += bytes;
                continue;
            }
            for (int64_t i = 0; i < count; i++) {
                if (w->kind == K_MAP && (st = get_run(r, field, (size_t)(r->end - r->p), &run, &n)) != AP_CODEC_OK) return st;
                if ((st = skip(d, w->a, field, depth + 1)) != AP_CODEC_OK) return st;
            }
        }
    case K_BAD: break;
    }
    return set_err(r->err, AP_CODEC_BAD_JSON, "field %s: unknown writer type", field);
fixed:
    if (x > r->end - r->p) return set_err(r->err, AP_CODEC_TRUNCATED, "field %s: input ends", field);
    if (w->kind == K_BOOLEAN && *r->p > 1) return set_err(r->err, AP_CODEC_BAD_ENUM, "field %s: boolean byte %u", field, *r->p);
    r->p += x;
    return AP_CODEC_OK;
}

static ap_codec_status_t decode_rec(dec_t *d, int32_t rec, void *v);

static void set_null(const ap_field_desc_t *f, void *v) {
    if (f->type == AP_FT_OPT_STRING) AT(v, f->offset, char)[0] = '\0';
    else if (f->type == AP_FT_OPT_INT) *AT(v, f->offset, int32_t) = INT32_MIN;
    else *AT(v, f->offset, int32_t) = -1;
}

static ap_codec_status_t exec(dec_t *d, const step_t *s, void *v) {
    const ap_field_desc_t *f = s->f;
    reader_t *r = &d->r;
    ap_codec_status_t st;
    int64_t x;
    switch (s->op) {
    case OP_SKIP: return skip(d, s->wtype, d->p->pool.v + s->n, 0);
    case OP_BOOL:
        if (r->p >= r->end) return set_err(r->err, AP_CODEC_TRUNCATED, "field %s: input ends", f->name);
        if (*r->p > 1) return set_err(r->err, AP_CODEC_BAD_ENUM, "field %s: boolean byte %u", f->name, *r->p);
        *AT(v, f->offset, bool) = *r->p++ == 1;
        return AP_CODEC_OK;
    case OP_INT: return get_int(r, f->name, AT(v, f->offset, int32_t));
    case OP_INT_TO_LONG: {
        int32_t i = 0;
        if ((st = get_int(r, f->name, &i)) != AP_CODEC_OK) return st;
        *AT(v, f->offset, int64_t) = i;
        return AP_CODEC_OK;
    }
    case OP_LONG: return get_long(r, f->name, AT(v, f->offset, int64_t));
    case OP_STRING: return get_string(r, f->name, AT(v, f->offset, char), f->cap);
    case OP_BYTES: {
        ap_bytes_t *b = AT(v, f->offset, ap_bytes_t);
        return get_run(r, f->name, f->cap, &b->ptr, &b->len);
    }
    case OP_ENUM:
        if ((st = get_long(r, f->name, &x)) != AP_CODEC_OK) return st;
        if (x < 0 || x >= s->n)
            return set_err(r->err, AP_CODEC_BAD_ENUM, "field %s: enum index %lld out of range", f->name, (long long)x);
        if (d->p->maps.v[s->a + x] < 0)
            return set_err(r->err, AP_CODEC_BAD_ENUM, "field %s: the writer's symbol %lld is unknown here and the enum has no default",
                           f->name, (long long)x);
        *AT(v, f->offset, int32_t) = d->p->maps.v[s->a + x];
        return AP_CODEC_OK;
    case OP_OPT_INT:
        if ((st = get_int(r, f->name, AT(v, f->offset, int32_t))) != AP_CODEC_OK) return st;
        if (*AT(v, f->offset, int32_t) == INT32_MIN)
            return set_err(r->err, AP_CODEC_BAD_VARINT, "field %s: value reserved for null", f->name);
        return AP_CODEC_OK;
    case OP_NULL: set_null(f, v); return AP_CODEC_OK;
    case OP_UNION:
        if ((st = get_long(r, f->name, &x)) != AP_CODEC_OK) return st;
        if (x < 0 || x >= s->n) return set_err(r->err, AP_CODEC_BAD_UNION, "field %s: union branch %lld", f->name, (long long)x);
        return exec(d, &d->p->steps.v[s->a + x], v);
    case OP_FAIL:
        return set_err(r->err, AP_CODEC_BAD_UNION, "field %s: the writer's %s cannot be read into it", f->name,
                       kind_name(d->p->types.v[s->wtype].kind));
    case OP_ARRAY: {
        uint32_t *count = AT(v, f->count_offset, uint32_t);
        *count = 0;
        for (;;) {
            int64_t block;
            if ((st = get_block(f, r, *count, &block)) != AP_CODEC_OK) return st;
            if (block == 0) return AP_CODEC_OK;
            for (int64_t i = 0; i < block; i++) {
                char *item = AT(v, f->offset, char) + (size_t)*count * f->item_size;
                st = s->a < 0 ? get_string(r, f->name, item, f->item_size) : decode_rec(d, s->a, item);
                if (st != AP_CODEC_OK) return st;
                (*count)++;
            }
        }
    }
    case OP_VIEW: {
        ap_array_view_t *a = AT(v, f->offset, ap_array_view_t);
        _Alignas(max_align_t) char item[AP_CODEC_VIEW_ITEM_MAX];
        const uint8_t *start = r->p;
        a->items = NULL;
        a->n = 0;
        for (;;) {
            int64_t block;
            if ((st = get_block(f, r, a->n, &block)) != AP_CODEC_OK) return st;
            if (block == 0) break;
            for (int64_t i = 0; i < block; i++, a->n++)
                if ((st = decode_rec(d, s->a, item)) != AP_CODEC_OK) return st;
        }
        a->raw = (ap_bytes_t){start, (size_t)(r->p - start)};
        return AP_CODEC_OK;
    }
    }
    return set_err(r->err, AP_CODEC_BAD_JSON, "field %s: unknown step", f ? f->name : "?");
}

static ap_codec_status_t decode_rec(dec_t *d, int32_t rec, void *v) {
    const rec_t *rc = &d->p->recs.v[rec];
    memset(v, 0, rc->desc->size);
    for (int32_t k = 0; k < rc->ndflts; k++) {
        const dflt_t *df = &d->p->dflts.v[rc->dflt0 + k];
        const ap_field_desc_t *f = df->f;
        switch (f->type) {
        case AP_FT_BOOL: *AT(v, f->offset, bool) = df->i != 0; break;
        case AP_FT_INT:
        case AP_FT_ENUM: *AT(v, f->offset, int32_t) = (int32_t)df->i; break;
        case AP_FT_LONG: *AT(v, f->offset, int64_t) = df->i; break;
        case AP_FT_STRING:
            if (df->len) memcpy(AT(v, f->offset, char), d->p->pool.v + df->s, (size_t)df->len);
            AT(v, f->offset, char)[df->len] = '\0';
            break;
        case AP_FT_BYTES:
            *AT(v, f->offset, ap_bytes_t) = (ap_bytes_t){(const uint8_t *)d->p->pool.v + df->s, (size_t)df->len};
            break;
        case AP_FT_OPT_STRING:
        case AP_FT_OPT_INT:
        case AP_FT_OPT_ENUM: set_null(f, v); break;
        case AP_FT_ARRAY:
        case AP_FT_ARRAY_VIEW: break; /* empty: zeroed above */
        }
    }
    for (int32_t k = 0; k < rc->nsteps; k++) {
        ap_codec_status_t st = exec(d, &d->p->steps.v[rc->step0 + k], v);
        if (st != AP_CODEC_OK) return st;
    }
    return AP_CODEC_OK;
}

ap_codec_status_t ap_resolve_decode(const ap_resolve_program_t *p, const uint8_t *buf, size_t len, void *value,
                                    ap_codec_error_t *err) {
    uint64_t fp;
    ap_codec_status_t st = ap_codec_peek(buf, len, &fp, err);
    if (st != AP_CODEC_OK) return st;
    if (fp != p->fingerprint)
        return set_err(err, AP_CODEC_UNKNOWN_FINGERPRINT, "fingerprint %016llx is not this writer's", (unsigned long long)fp);
    dec_t d = {p, {buf + AP_CODEC_HEADER_LEN, buf + len, err}, SKIP_BUDGET};
    if ((st = decode_rec(&d, 0, value)) != AP_CODEC_OK) return st;
    if (d.r.p != d.r.end)
        return set_err(err, AP_CODEC_TRAILING_BYTES, "%zu bytes after the end of %s", (size_t)(d.r.end - d.r.p), p->reader->name);
    return AP_CODEC_OK;
}
