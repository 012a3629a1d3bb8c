/*
 * store_memory.c - the state store in process memory. See store_memory.h.
 *
 * It answers every call as store_redis.c does, whose Lua apply script is the
 * reference: the same dedup, version order, bounds, dirty marks and lineage,
 * so offline (memory) and live (Redis) results are byte-identical.
 *
 * What is where (compare the key layout in store_redis.h):
 *   store      citizens (hash table id -> citizen), input partitions, topic names
 *   citizen    applied event ids with their records' digests and dedup generations (hash over a
 *              string arena, expired ids compacted away); coverage,
 *              placements, exemptions, reductions, sanctions (small arrays of at most
 *              AP_MAX_ENTITIES); every hours report (array, hash-indexed by
 *              report id); its weeks, sorted by Monday, each listing the
 *              reports dated in it and holding the week's result record
 *   partition  citizens registered, dirty (citizen, Monday) set, clock, offsets, ownership epoch
 * A stored entity is its version, its source and the event struct packed
 * (strings without their unused capacity): about 150 bytes for an hours
 * report instead of the 384 of the struct, and unpacking is a few memcpy,
 * several times faster than decoding the Avro bytes as Redis must.
 *
 * Not thread-safe. Allocation failure aborts (see buf.h).
 */
#define _DEFAULT_SOURCE /* madvise(MADV_HUGEPAGE) */
#include "arbejdspligt/store_memory.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/schema.h"

/* ------------------------------------------------------------ allocation */

static void *mem_alloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) abort(); /* see buf.h: allocation failure is fatal */
    return p;
}

static void *mem_zalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size);
    if (!p) abort();
    return p;
}

/* Starts loading a cache line needed shortly. At national scale the state is
 * far bigger than the caches and apply/load mostly wait for memory; issuing
 * independent lookups' loads together lets their misses overlap. */
#if defined(__GNUC__)
#define MEM_PREFETCH(p) __builtin_prefetch(p)
#else
#define MEM_PREFETCH(p) ((void)(p))
#endif

/* Makes room for item n of a growable array (doubling: amortised O(1)). */
static void *mem_grow(void *items, uint32_t *cap, uint32_t n, size_t size) {
    if (n < *cap) return items;
    if (*cap > UINT32_MAX / 2) abort();
    uint32_t c = *cap ? *cap * 2 : 4;
    void *p = realloc(items, (size_t)c * size);
    if (!p) abort();
    *cap = c;
    return p;
}

/* ------------------------------------------------------------ hash tables */

/* Hash of a string key: 8 bytes per multiply and xor-shift, where FNV-1a
 * takes one byte (every apply hashes a 36-byte event id); the final step
 * mixes the high bits into the low ones, which pick the slot. */
static uint32_t mem_hash(const char *s, size_t len) {
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;
    for (; len >= 8; s += 8, len -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 29;
    }
    w = 0;
    memcpy(&w, s, len);
    h = (h ^ w) * 0x94d049bb133111ebULL;
    h ^= h >> 32;
    return (uint32_t)h;
}

/* A slot of a string-keyed table: the key's hash, and a 1-based reference to
 * where the key lives (0: empty slot). */
typedef struct mem_slot {
    uint32_t hash;
    uint32_t ref;
} mem_slot_t;

/* Open addressing with linear probing, at most 3/4 full. Keys live outside
 * the table and are found with a mem_key_fn. Nothing is deleted one by one:
 * citizens and report ids stay for good, in Redis too; expired applied ids
 * go wholesale, the table rebuilt (mem_applied_compact). */
typedef struct mem_tab {
    mem_slot_t *slots;
    uint32_t mask; /* slot count - 1 (a power of two) */
    uint32_t n;
} mem_tab_t;

typedef const char *(*mem_key_fn)(const void *ctx, uint32_t ref);

/* @return the slot holding key, or the empty slot where it would go, or NULL if the table was never used. */
static mem_slot_t *mem_tab_find(const mem_tab_t *t, uint32_t hash, const char *key, mem_key_fn key_of,
                                const void *ctx) {
    if (!t->slots) return NULL;
    for (uint32_t i = hash & t->mask;; i = (i + 1) & t->mask) {
        mem_slot_t *sl = &t->slots[i];
        if (!sl->ref || (sl->hash == hash && strcmp(key_of(ctx, sl->ref), key) == 0)) return sl;
    }
}

static void mem_tab_prefetch(const mem_tab_t *t, uint32_t hash) {
    if (t->slots) MEM_PREFETCH(&t->slots[hash & t->mask]);
}

/* Makes room for one more key (call before mem_tab_find for an insert). */
static void mem_tab_reserve(mem_tab_t *t) {
    if (t->slots && (uint64_t)(t->n + 1) * 4 <= (uint64_t)(t->mask + 1) * 3) return;
    if (t->slots && t->mask >= UINT32_MAX / 2) abort();
    uint32_t cap = t->slots ? (t->mask + 1) * 2 : 16;
    mem_slot_t *slots = mem_zalloc(cap, sizeof *slots);
    for (uint32_t i = 0; t->slots && i <= t->mask; i++) {
        if (!t->slots[i].ref) continue;
        uint32_t j = t->slots[i].hash & (cap - 1);
        while (slots[j].ref) j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->mask = cap - 1;
}

/* Fills the empty slot found by mem_tab_find after mem_tab_reserve. */
static void mem_tab_put(mem_tab_t *t, mem_slot_t *sl, uint32_t hash, uint32_t ref) {
    sl->hash = hash;
    sl->ref = ref;
    t->n++;
}

/* A set of (citizen, Monday) pairs as 64-bit keys (citizen number + 1) << 32
 * | Monday, so 0 marks an empty slot. Linear probing with backward-shift
 * deletion: the dirty marks come and go all the time, and this leaves no
 * tombstones behind. */
typedef struct mem_pairs {
    uint64_t *keys;
    uint32_t mask, n;
} mem_pairs_t;

static uint64_t mem_pair(uint32_t number, int32_t monday) {
    return ((uint64_t)number + 1) << 32 | (uint32_t)monday;
}

static uint32_t mem_pair_hash(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (uint32_t)k;
}

static void mem_pairs_add(mem_pairs_t *d, uint64_t k) {
    if (!d->keys || (uint64_t)(d->n + 1) * 4 > (uint64_t)(d->mask + 1) * 3) {
        if (d->keys && d->mask >= UINT32_MAX / 2) abort();
        uint32_t cap = d->keys ? (d->mask + 1) * 2 : 16;
        uint64_t *keys = mem_zalloc(cap, sizeof *keys);
        for (uint32_t i = 0; d->keys && i <= d->mask; i++) {
            if (!d->keys[i]) continue;
            uint32_t j = mem_pair_hash(d->keys[i]) & (cap - 1);
            while (keys[j]) j = (j + 1) & (cap - 1);
            keys[j] = d->keys[i];
        }
        free(d->keys);
        d->keys = keys;
        d->mask = cap - 1;
    }
    uint32_t i = mem_pair_hash(k) & d->mask;
    for (; d->keys[i]; i = (i + 1) & d->mask)
        if (d->keys[i] == k) return;
    d->keys[i] = k;
    d->n++;
}

static void mem_pairs_remove(mem_pairs_t *d, uint64_t k) {
    if (!d->keys) return;
    uint32_t i = mem_pair_hash(k) & d->mask;
    for (; d->keys[i] != k; i = (i + 1) & d->mask)
        if (!d->keys[i]) return; /* not there: like SREM of a non-member */
    /* Close the hole: a later entry of the cluster moves into it unless its
     * home slot lies (cyclically) after the hole, where lookups start. */
    for (uint32_t j = (i + 1) & d->mask; d->keys[j]; j = (j + 1) & d->mask) {
        uint32_t home = mem_pair_hash(d->keys[j]) & d->mask;
        if (((j - home) & d->mask) >= ((j - i) & d->mask)) {
            d->keys[i] = d->keys[j];
            i = j;
        }
    }
    d->keys[i] = 0;
    d->n--;
}

/* ---------------------------------------------------- packed event structs */

/* The entity kinds, each a map of its own (Redis: cv, pl, ex, rd, sa, h:<monday>). */
enum { MEM_COVERAGE, MEM_PLACEMENT, MEM_EXEMPTION, MEM_REDUCTION, MEM_SANCTION, MEM_HOURS, MEM_KINDS };
/* The kinds kept per citizen rather than per week. */
#define MEM_LISTED MEM_HOURS

/* Most strings in an input struct (a reduction: 4 in its header, its id,
 * its journal reference, AP_MAX_ASSESSED placement ids and as many in its
 * assessed placements). */
#define MEM_MAX_STRINGS 48
/* Every input struct starts with its ap_header_t. */
#define MEM_EVID_OFF offsetof(ap_header_t, event_id)

/* Where the strings of one kind's struct are, from its codec descriptor. A
 * struct is packed as its bytes in order, except that each string is stored
 * as a length byte, its bytes and a NUL instead of its whole capacity. The
 * struct comes from the codec (zeroed, then filled), so packing and
 * unpacking give back the very bytes Redis would decode. */
typedef struct mem_layout {
    size_t size;   /* sizeof the struct */
    size_t id_off; /* offsetof the entity id */
    size_t n;
    struct {
        uint16_t off, cap;
    } str[MEM_MAX_STRINGS]; /* sorted by offset */
} mem_layout_t;

static void mem_layout_add(mem_layout_t *l, size_t off, size_t cap) {
    /* A length byte holds up to 255; input strings are far shorter. */
    if (l->n == MEM_MAX_STRINGS || cap > 256 || off + cap > UINT16_MAX) abort();
    size_t i = l->n++;
    for (; i > 0 && l->str[i - 1].off > off; i--) l->str[i] = l->str[i - 1];
    l->str[i].off = (uint16_t)off;
    l->str[i].cap = (uint16_t)cap;
}

static void mem_layout_init(mem_layout_t *l, ap_event_type_t type, size_t id_off) {
    const ap_record_desc_t *d = ap_events_desc(type);
    l->size = d->size;
    l->id_off = id_off;
    l->n = 0;
    for (size_t i = 0; i < d->nfields; i++) {
        const ap_field_desc_t *f = &d->fields[i];
        if (f->type == AP_FT_STRING || f->type == AP_FT_OPT_STRING) mem_layout_add(l, f->offset, f->cap);
        else if (f->type == AP_FT_ARRAY && !f->item)
            for (size_t k = 0; k < f->cap; k++) mem_layout_add(l, f->offset + k * f->item_size, f->item_size);
        else if (f->type == AP_FT_ARRAY) /* records held in the struct: their strings, item by item */
            for (size_t k = 0; k < f->cap; k++)
                for (size_t j = 0; j < f->item->nfields; j++) {
                    const ap_field_desc_t *g = &f->item->fields[j];
                    if (g->type == AP_FT_STRING || g->type == AP_FT_OPT_STRING)
                        mem_layout_add(l, f->offset + k * f->item_size + g->offset, g->cap);
                    else if (g->type != AP_FT_INT && g->type != AP_FT_LONG && g->type != AP_FT_ENUM &&
                             g->type != AP_FT_BOOL && g->type != AP_FT_OPT_INT && g->type != AP_FT_OPT_ENUM)
                        abort(); /* nested arrays or bytes: not in any input event */
                }
        /* A bytes view cannot be stored: input events have none (a
         * programming error if they do). */
        else if (f->type == AP_FT_BYTES || f->type == AP_FT_ARRAY_VIEW) abort();
    }
}

/* A stored entity (Redis: one hash field, version + source + record). */
typedef struct mem_ent {
    int64_t recorded_at; /* version: recorded_at, then event id */
    int64_t offset;      /* source: offset, ... */
    const char *topic;   /* ... topic (interned by the store) ... */
    int32_t partition;   /* ... and partition of the input record */
    uint32_t hash;       /* of the entity id */
    uint16_t id_at;      /* entity id and event id: NUL-terminated strings in data */
    uint16_t evid_at;
    int32_t monday;      /* hours: the week it is dated in */
    int32_t span_from, span_to; /* weeks it can change (ap_store_event_span): its replacement revises them */
    uint16_t size16;     /* its room in the store's chunks, in 16-byte units */
    unsigned char data[]; /* the struct, packed */
} mem_ent_t;

static size_t mem_packed_size(const mem_layout_t *l, const char *v) {
    size_t n = l->size;
    for (size_t i = 0; i < l->n; i++) {
        n -= l->str[i].cap;
        n += strnlen(v + l->str[i].off, l->str[i].cap - 1u) + 2;
    }
    return n;
}

static void mem_pack(const mem_layout_t *l, const char *v, mem_ent_t *e) {
    unsigned char *out = e->data;
    size_t pos = 0;
    for (size_t i = 0; i < l->n; i++) {
        size_t off = l->str[i].off, len = strnlen(v + off, l->str[i].cap - 1u);
        memcpy(out, v + pos, off - pos);
        out += off - pos;
        *out++ = (unsigned char)len;
        if (off == l->id_off) e->id_at = (uint16_t)(out - e->data);
        if (off == MEM_EVID_OFF) e->evid_at = (uint16_t)(out - e->data);
        memcpy(out, v + off, len);
        out[len] = '\0';
        out += len + 1;
        pos = off + l->str[i].cap;
    }
    memcpy(out, v + pos, l->size - pos);
}

static void mem_unpack(const mem_layout_t *l, const mem_ent_t *e, char *v) {
    const unsigned char *in = e->data;
    size_t pos = 0;
    for (size_t i = 0; i < l->n; i++) {
        size_t off = l->str[i].off, cap = l->str[i].cap;
        memcpy(v + pos, in, off - pos);
        in += off - pos;
        size_t len = *in++;
        memcpy(v + off, in, len);
        memset(v + off + len, 0, cap - len);
        in += len + 1;
        pos = off + cap;
    }
    memcpy(v + pos, in, l->size - pos);
}

/* Starts loading an entity's first cache lines (header and the start of the packed struct). */
static void mem_ent_prefetch(const mem_ent_t *e) {
    MEM_PREFETCH(e);
    MEM_PREFETCH((const char *)e + 64);
    MEM_PREFETCH((const char *)e + 128);
}

static const char *mem_ent_id(const mem_ent_t *e) { return (const char *)e->data + e->id_at; }
static const char *mem_ent_evid(const mem_ent_t *e) { return (const char *)e->data + e->evid_at; }

/* Compares two versions as the Lua script compares their text, i.e. recorded_at
 * printed "%020" PRId64 (a negative sorts first, and among negatives the larger
 * magnitude is the larger text), then the event id printed "%-36.36s" (padded
 * with spaces), byte by byte. @return <0, 0 or >0. */
static int mem_version_cmp(int64_t ra, const char *ea, int64_t rb, const char *eb) {
    if ((ra < 0) != (rb < 0)) return ra < 0 ? -1 : 1;
    if (ra != rb) {
        if (ra >= 0) return ra < rb ? -1 : 1;
        uint64_t ma = 0 - (uint64_t)ra, mb = 0 - (uint64_t)rb; /* magnitudes, INT64_MIN too */
        return ma < mb ? -1 : 1;
    }
    size_t la = strnlen(ea, 36), lb = strnlen(eb, 36);
    for (size_t i = 0; i < 36; i++) {
        unsigned char a = i < la ? (unsigned char)ea[i] : ' ', b = i < lb ? (unsigned char)eb[i] : ' ';
        if (a != b) return a < b ? -1 : 1;
    }
    return 0;
}

/* The input reference of an entity, as Redis parses it back from the stored
 * value: the event id is the 36 characters of the version (space-padded). */
static void mem_ent_source(const mem_ent_t *e, ap_input_ref_t *src) {
    const char *evid = mem_ent_evid(e);
    size_t tlen = strlen(e->topic), elen = strnlen(evid, 36);
    memcpy(src->topic, e->topic, tlen + 1);
    src->partition = e->partition;
    src->offset = e->offset;
    memcpy(src->event_id, evid, elen);
    memset(src->event_id + elen, ' ', 36 - elen);
    src->event_id[36] = '\0';
}

/* A growable array of entities. */
typedef struct mem_ents {
    mem_ent_t **items;
    uint32_t n, cap;
} mem_ents_t;

static void mem_ents_push(mem_ents_t *a, mem_ent_t *e) {
    a->items = mem_grow(a->items, &a->cap, a->n, sizeof *a->items);
    a->items[a->n++] = e;
}

/* ---------------------------------------------------- citizens, partitions */

/* One ISO week of a citizen. */
typedef struct mem_week {
    int32_t monday;
    uint32_t n, cap;        /* the hours reports dated in this week, ... */
    uint32_t *reports;      /* ... as indexes into the citizen's reports */
    ap_result_record_t res; /* last emitted result, {0, 0} if none */
} mem_week_t;

typedef struct mem_citizen {
    uint32_t hash;
    uint32_t number;           /* its index in the store: dirty marks name it by this */
    mem_tab_t applied;         /* event ids applied: refs are offsets + 1 into ids */
    char *ids;                 /* the applied event ids, each after MEM_APPLIED_HEAD (digest, generation), NUL-terminated */
    size_t ids_len, ids_cap;
    mem_ents_t kinds[MEM_LISTED]; /* coverage, placements, exemptions, reductions, sanctions */
    mem_ents_t reports;        /* every hours report, wherever dated */
    mem_tab_t report_index;    /* report id -> index + 1 in reports (Redis: hx) */
    mem_week_t *weeks;         /* sorted by Monday */
    uint32_t n_weeks, cap_weeks;
    uint32_t n_parts;          /* input partitions it is registered on: */
    int32_t part;              /* the first (usually the only one: inputs are keyed by citizen) */
    int32_t *more_parts;       /* the others */
    uint32_t cap_more_parts;
    char id[]; /* NUL-terminated, in the same allocation */
} mem_citizen_t;

typedef struct mem_offset {
    char *topic;
    int64_t next;
} mem_offset_t;

/* One input partition (Redis: the {p:N} keys). */
typedef struct mem_part {
    int32_t id;
    uint32_t *citizens; /* numbers of the citizens registered, in order of arrival */
    uint32_t n_citizens, cap_citizens;
    mem_pairs_t dirty;
    int has_clock;
    ap_partition_clock_t clock;
    mem_offset_t *offsets; /* next offset per input topic (a handful) */
    uint32_t n_offsets, cap_offsets;
    int32_t dedup_gen; /* the largest dedup generation an apply gave (store.h) */
    int64_t epoch;     /* ownership epoch (ap_store_claim; Redis: {p:N}:epoch), 0 if never claimed */
    ap_store_month_result_t *months; /* monitoring partials recorded (a few per municipality and month) */
    uint32_t n_months, cap_months;
} mem_part_t;

/* What the first pass of an apply call finds out about an item. */
typedef struct mem_work {
    mem_citizen_t *c;
    uint32_t evh, idh; /* hashes of its event id and entity id */
} mem_work_t;

typedef struct mem_store {
    ap_store_t base; /* first: the interface */
    mem_citizen_t **citizens; /* by number */
    uint32_t n_citizens, cap_citizens;
    mem_tab_t citizen_index; /* id -> number + 1 */
    mem_part_t **parts;
    uint32_t n_parts, cap_parts;
    char **topics; /* input topic names, interned: entities point at them */
    uint32_t n_topics, cap_topics;
    mem_layout_t layouts[MEM_KINDS];
    mem_work_t *work; /* per item of an apply call, reused */
    size_t cap_work;
    struct mem_chunk *chunks; /* where entities live, newest first */
    void **free_ents;         /* rooms of replaced entities, by size16 */
    size_t n_sizes;
} mem_store_t;

#define M(s) ((mem_store_t *)(s))

static const char *mem_citizen_key(const void *ctx, uint32_t ref) {
    return ((const mem_store_t *)ctx)->citizens[ref - 1]->id;
}

static const char *mem_applied_key(const void *ctx, uint32_t ref) {
    return ((const mem_citizen_t *)ctx)->ids + ref - 1;
}

static const char *mem_report_key(const void *ctx, uint32_t ref) {
    return mem_ent_id(((const mem_citizen_t *)ctx)->reports.items[ref - 1]);
}

static mem_citizen_t *mem_citizen_find(const mem_store_t *s, const char *id) {
    const mem_slot_t *sl = mem_tab_find(&s->citizen_index, mem_hash(id, strlen(id)), id, mem_citizen_key, s);
    return sl && sl->ref ? s->citizens[sl->ref - 1] : NULL;
}

/* @return the citizen, created empty if new. */
static mem_citizen_t *mem_citizen_get(mem_store_t *s, const char *id) {
    size_t len = strlen(id);
    uint32_t hash = mem_hash(id, len);
    mem_tab_reserve(&s->citizen_index);
    mem_slot_t *sl = mem_tab_find(&s->citizen_index, hash, id, mem_citizen_key, s);
    if (sl->ref) return s->citizens[sl->ref - 1];
    mem_citizen_t *c = mem_zalloc(1, sizeof *c + len + 1);
    memcpy(c->id, id, len + 1);
    c->hash = hash;
    c->number = s->n_citizens;
    s->citizens = mem_grow(s->citizens, &s->cap_citizens, s->n_citizens, sizeof *s->citizens);
    s->citizens[s->n_citizens++] = c;
    mem_tab_put(&s->citizen_index, sl, hash, c->number + 1);
    return c;
}

/* An applied id in a citizen's arena: the 8-byte digest of its record, the
 * 4-byte dedup generation it was applied in, then the id and its NUL; the
 * table's ref points at the id. */
#define MEM_APPLIED_HEAD (sizeof(uint64_t) + sizeof(int32_t))

/* The digest an applied event id was recorded with, 0 with *found = 0 if it
 * was not applied or was applied before generation `gen` - 1 (forgotten, as
 * Redis drops those hashes; see store.h). *slot: its table slot if it is
 * there at all, forgotten or not (for mem_applied_add), else NULL. */
static uint64_t mem_applied_get(const mem_citizen_t *c, const char *evid, uint32_t hash, int32_t gen, int *found,
                                mem_slot_t **slot) {
    mem_slot_t *sl = mem_tab_find(&c->applied, hash, evid, mem_applied_key, c);
    uint64_t digest = 0;
    int32_t applied_in = 0;
    *found = 0;
    *slot = sl && sl->ref ? sl : NULL;
    if (!*slot) return 0;
    const char *head = c->ids + sl->ref - 1 - MEM_APPLIED_HEAD;
    memcpy(&applied_in, head + sizeof digest, sizeof applied_in);
    if (applied_in < gen - 1) return 0;
    memcpy(&digest, head, sizeof digest);
    *found = 1;
    return digest;
}

/* Drops the ids applied before generation gen - 1 from the arena and the
 * table (they count as never applied anyway). Run when the arena is full,
 * so the cost is paid once per doubling at most. */
static void mem_applied_compact(mem_citizen_t *c, int32_t gen) {
    size_t from = 0, to = 0;
    memset(c->applied.slots, 0, ((size_t)c->applied.mask + 1) * sizeof *c->applied.slots);
    c->applied.n = 0;
    while (from < c->ids_len) {
        int32_t applied_in;
        memcpy(&applied_in, c->ids + from + sizeof(uint64_t), sizeof applied_in);
        size_t len = strlen(c->ids + from + MEM_APPLIED_HEAD), size = MEM_APPLIED_HEAD + len + 1;
        if (applied_in >= gen - 1) {
            memmove(c->ids + to, c->ids + from, size);
            const char *id = c->ids + to + MEM_APPLIED_HEAD;
            uint32_t hash = mem_hash(id, len);
            mem_tab_put(&c->applied, mem_tab_find(&c->applied, hash, id, mem_applied_key, c), hash,
                        (uint32_t)(to + MEM_APPLIED_HEAD) + 1);
            to += size;
        }
        from += size;
    }
    c->ids_len = to;
}

/* Marks an event id applied in generation gen with the digest of its record
 * (the caller checked it is not, or only in a forgotten generation: then
 * `forgotten` is its slot, from mem_applied_get). */
static void mem_applied_add(mem_citizen_t *c, const char *evid, uint32_t hash, uint64_t digest, int32_t gen,
                            const mem_slot_t *forgotten) {
    if (forgotten) { /* not yet compacted away: applied again, in place */
        const mem_slot_t *sl = forgotten;
        char *head = c->ids + sl->ref - 1 - MEM_APPLIED_HEAD;
        memcpy(head, &digest, sizeof digest);
        memcpy(head + sizeof digest, &gen, sizeof gen);
        return;
    }
    size_t len = strlen(evid), need = MEM_APPLIED_HEAD + len + 1;
    if (c->ids_len + need > c->ids_cap) {
        /* Forget the expired ids first; grow only if that frees too little
         * (less than half), so a full arena is not compacted on every add. */
        if (c->ids_len) mem_applied_compact(c, gen);
        if ((c->ids_len + need) * 2 > c->ids_cap) {
            size_t cap = c->ids_cap ? c->ids_cap * 2 : 256;
            while (cap < (c->ids_len + need) * 2) cap *= 2;
            if (cap > UINT32_MAX) abort(); /* refs are 32-bit */
            c->ids = realloc(c->ids, cap);
            if (!c->ids) abort();
            c->ids_cap = cap;
        }
    }
    memcpy(c->ids + c->ids_len, &digest, sizeof digest);
    memcpy(c->ids + c->ids_len + sizeof digest, &gen, sizeof gen);
    c->ids_len += MEM_APPLIED_HEAD;
    memcpy(c->ids + c->ids_len, evid, len + 1);
    mem_tab_reserve(&c->applied);
    mem_tab_put(&c->applied, mem_tab_find(&c->applied, hash, evid, mem_applied_key, c), hash,
                (uint32_t)c->ids_len + 1);
    c->ids_len += len + 1;
}

/* @return the index of the first week on or after monday. */
static uint32_t mem_week_pos(const mem_citizen_t *c, int32_t monday) {
    uint32_t lo = 0, hi = c->n_weeks;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->weeks[mid].monday < monday) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static mem_week_t *mem_week_find(const mem_citizen_t *c, int32_t monday) {
    uint32_t i = mem_week_pos(c, monday);
    return i < c->n_weeks && c->weeks[i].monday == monday ? &c->weeks[i] : NULL;
}

/* @return the week, created empty if new (moves the other weeks: do not keep pointers across). */
static mem_week_t *mem_week_get(mem_citizen_t *c, int32_t monday) {
    uint32_t i = mem_week_pos(c, monday);
    if (i < c->n_weeks && c->weeks[i].monday == monday) return &c->weeks[i];
    c->weeks = mem_grow(c->weeks, &c->cap_weeks, c->n_weeks, sizeof *c->weeks);
    memmove(&c->weeks[i + 1], &c->weeks[i], (c->n_weeks - i) * sizeof *c->weeks);
    c->n_weeks++;
    memset(&c->weeks[i], 0, sizeof c->weeks[i]);
    c->weeks[i].monday = monday;
    return &c->weeks[i];
}

static void mem_week_add(mem_week_t *w, uint32_t report) {
    w->reports = mem_grow(w->reports, &w->cap, w->n, sizeof *w->reports);
    w->reports[w->n++] = report;
}

static void mem_week_remove(mem_week_t *w, uint32_t report) {
    for (uint32_t i = 0; i < w->n; i++)
        if (w->reports[i] == report) {
            w->reports[i] = w->reports[--w->n]; /* order is free: the rules sort */
            return;
        }
}

static mem_part_t *mem_part_find(const mem_store_t *s, int32_t id) {
    for (uint32_t i = 0; i < s->n_parts; i++)
        if (s->parts[i]->id == id) return s->parts[i];
    return NULL;
}

/* @return the partition, created empty if new. */
static mem_part_t *mem_part_get(mem_store_t *s, int32_t id) {
    mem_part_t *p = mem_part_find(s, id);
    if (p) return p;
    p = mem_zalloc(1, sizeof *p);
    p->id = id;
    s->parts = mem_grow(s->parts, &s->cap_parts, s->n_parts, sizeof *s->parts);
    s->parts[s->n_parts++] = p;
    return p;
}

/* Registers a citizen on a partition (Redis: SADD citizens). */
static void mem_part_register(mem_part_t *p, mem_citizen_t *c) {
    if (c->n_parts && c->part == p->id) return;
    for (uint32_t i = 0; i + 1 < c->n_parts; i++)
        if (c->more_parts[i] == p->id) return;
    if (c->n_parts) {
        c->more_parts = mem_grow(c->more_parts, &c->cap_more_parts, c->n_parts - 1, sizeof *c->more_parts);
        c->more_parts[c->n_parts - 1] = p->id;
    } else {
        c->part = p->id;
    }
    c->n_parts++;
    p->citizens = mem_grow(p->citizens, &p->cap_citizens, p->n_citizens, sizeof *p->citizens);
    p->citizens[p->n_citizens++] = c->number;
}

/* @return the store's copy of a topic name, cut to what Redis stores (AP_TOPIC_NAME_CAP - 1). */
static const char *mem_topic(mem_store_t *s, const char *topic) {
    size_t len = strnlen(topic, AP_TOPIC_NAME_CAP - 1);
    for (uint32_t i = 0; i < s->n_topics; i++)
        if (strncmp(s->topics[i], topic, len) == 0 && s->topics[i][len] == '\0') return s->topics[i];
    char *t = mem_alloc(len + 1);
    memcpy(t, topic, len);
    t[len] = '\0';
    s->topics = mem_grow(s->topics, &s->cap_topics, s->n_topics, sizeof *s->topics);
    s->topics[s->n_topics++] = t;
    return t;
}

/* ------------------------------------------------------------------- apply */

/* @return the kind of an input event and its entity id in *id, or -1. */
static int mem_kind_of(const ap_event_t *ev, const char **id) {
    switch (ev->type) {
    case AP_EV_COVERAGE: *id = ev->u.coverage.coverage_id; return MEM_COVERAGE;
    case AP_EV_PLACEMENT: *id = ev->u.placement.placement_id; return MEM_PLACEMENT;
    case AP_EV_EXEMPTION: *id = ev->u.exemption.exemption_id; return MEM_EXEMPTION;
    case AP_EV_REDUCTION: *id = ev->u.reduction.reduction_id; return MEM_REDUCTION;
    case AP_EV_SANCTION: *id = ev->u.sanction.sanction_id; return MEM_SANCTION;
    case AP_EV_HOURS: *id = ev->u.hours.report_id; return MEM_HOURS;
    default: *id = NULL; return -1;
    }
}

/* Entities live in chunks the store owns: a new one is a pointer bump, a
 * replaced one's room goes on a free list of its size for the next of that
 * size, and destroying the store frees a few chunks, not every entity (a
 * national year holds millions, over a gigabyte). A chunk is one huge page
 * where the kernel offers them: first touching a year's entities then takes
 * one page fault per 2 MiB instead of 512 (zeroing fresh pages was a third
 * of a 52-week offline replay's time). */
#define MEM_CHUNK (2u << 20)

typedef struct mem_chunk {
    struct mem_chunk *next;
    size_t used;
    unsigned char data[]; /* 16-byte aligned: two 8-byte fields before it */
} mem_chunk_t;

#define MEM_CHUNK_ROOM (MEM_CHUNK - offsetof(mem_chunk_t, data))

static mem_chunk_t *mem_chunk_new(mem_chunk_t *next) {
    void *p = NULL;
    if (posix_memalign(&p, MEM_CHUNK, MEM_CHUNK)) abort();
#ifdef MADV_HUGEPAGE
    (void)madvise(p, MEM_CHUNK, MADV_HUGEPAGE); /* a hint: without it, small pages */
#endif
    mem_chunk_t *c = p;
    c->next = next;
    c->used = 0;
    return c;
}

static mem_ent_t *mem_ent_alloc(mem_store_t *s, size_t n) {
    size_t size16 = (n + 15) / 16;
    if (size16 >= s->n_sizes) abort(); /* larger than any input struct packed */
    void *room = s->free_ents[size16];
    if (room) {
        memcpy(&s->free_ents[size16], room, sizeof room);
    } else {
        if (!s->chunks || MEM_CHUNK_ROOM - s->chunks->used < size16 * 16) s->chunks = mem_chunk_new(s->chunks);
        room = s->chunks->data + s->chunks->used;
        s->chunks->used += size16 * 16;
    }
    mem_ent_t *e = room;
    e->size16 = (uint16_t)size16;
    return e;
}

static void mem_ent_free(mem_store_t *s, mem_ent_t *e) {
    if (!e) return;
    size_t size16 = e->size16;
    void *room = e;
    memcpy(room, &s->free_ents[size16], sizeof room);
    s->free_ents[size16] = room;
}

static mem_ent_t *mem_ent_new(mem_store_t *s, int kind, const ap_store_item_t *it, int32_t partition,
                              uint32_t hash) {
    const mem_layout_t *l = &s->layouts[kind];
    const char *v = (const char *)&it->event->u;
    mem_ent_t *e = mem_ent_alloc(s, offsetof(mem_ent_t, data) + mem_packed_size(l, v));
    e->recorded_at = it->event->u.h.recorded_at;
    e->offset = it->offset;
    e->topic = mem_topic(s, it->topic);
    e->partition = partition;
    e->hash = hash;
    e->monday = kind == MEM_HOURS ? ap_cal_week_start(it->event->u.hours.activity_date) : 0;
    ap_store_event_span(it->event, &e->span_from, &e->span_to);
    mem_pack(l, v, e);
    return e;
}

/* Is the stored version cur newer than or equal to the event's? (Lua:
 * string.sub(cur, 1, 56) >= ver.) */
static int mem_supersedes(const mem_ent_t *cur, const ap_event_t *ev) {
    return mem_version_cmp(cur->recorded_at, mem_ent_evid(cur), ev->u.h.recorded_at, ev->u.h.event_id) >= 0;
}

/* Stores a coverage period, placement, exemption, reduction or sanction. @return the outcome. */
static int mem_apply_listed(mem_store_t *s, mem_citizen_t *c, int kind, const ap_store_item_t *it,
                            int32_t partition, const char *id, uint32_t hash, int32_t old_span[2]) {
    mem_ents_t *list = &c->kinds[kind];
    uint32_t at = 0;
    while (at < list->n && (list->items[at]->hash != hash || strcmp(mem_ent_id(list->items[at]), id) != 0)) at++;
    mem_ent_t *cur = at < list->n ? list->items[at] : NULL;
    if (cur && mem_supersedes(cur, it->event)) return AP_APPLY_SUPERSEDED;
    if (!cur && list->n >= AP_MAX_ENTITIES) return AP_APPLY_LIMIT;
    mem_ent_t *e = mem_ent_new(s, kind, it, partition, hash);
    if (cur) {
        list->items[at] = e;
        old_span[0] = cur->span_from, old_span[1] = cur->span_to;
    } else {
        mem_ents_push(list, e);
    }
    mem_ent_free(s, cur);
    return AP_APPLY_APPLIED;
}

/* Stores an hours report in the week of its activity date, moving it out of
 * the week it was in if a correction changed that. @return the outcome. */
static int mem_apply_hours(mem_store_t *s, mem_citizen_t *c, const ap_store_item_t *it, int32_t partition,
                           const char *id, uint32_t hash, int32_t old_span[2]) {
    int32_t monday = ap_cal_week_start(it->event->u.hours.activity_date);
    const mem_slot_t *sl = mem_tab_find(&c->report_index, hash, id, mem_report_key, c);
    uint32_t ref = sl ? sl->ref : 0;
    mem_ent_t *cur = ref ? c->reports.items[ref - 1] : NULL;
    if (cur && mem_supersedes(cur, it->event)) return AP_APPLY_SUPERSEDED;
    int moves = cur && cur->monday != monday;
    const mem_week_t *target = mem_week_find(c, monday);
    if ((!cur || moves) && target && target->n >= AP_MAX_HOURS_PER_WEEK) return AP_APPLY_LIMIT;

    mem_ent_t *e = mem_ent_new(s, MEM_HOURS, it, partition, hash);
    if (cur) {
        old_span[0] = cur->span_from, old_span[1] = cur->span_to;
        c->reports.items[ref - 1] = e; /* same index: the report index and its week stay valid */
        if (moves) mem_week_remove(mem_week_find(c, cur->monday), ref);
        mem_ent_free(s, cur);
    } else {
        mem_ents_push(&c->reports, e);
        ref = c->reports.n;
        mem_tab_reserve(&c->report_index);
        mem_tab_put(&c->report_index, mem_tab_find(&c->report_index, hash, id, mem_report_key, c), hash, ref);
    }
    if (!cur || moves) mem_week_add(mem_week_get(c, monday), ref);
    return AP_APPLY_APPLIED;
}

/* One event, as the Lua script does it: dedup, version compare, bound,
 * store, mark applied, mark its closed weeks dirty. */
static int mem_apply_one(mem_store_t *s, mem_part_t *p, const ap_store_item_t *it, int32_t partition,
                         const mem_work_t *w) {
    int32_t gen = p->dedup_gen;
    const ap_event_t *ev = it->event;
    const char *id, *evid = ev->u.h.event_id;
    int kind = mem_kind_of(ev, &id);
    mem_citizen_t *c = w->c;
    uint32_t evh = w->evh, idh = w->idh;
    /* Whatever the outcome, as Redis runs SADD citizens after every script. */
    mem_part_register(p, c);
    /* Redis keeps the digest as 16 hex digits of the same CRC-64. */
    uint64_t digest = ap_schema_crc64(it->encoded.ptr, it->encoded.len);
    int found;
    mem_slot_t *slot;
    uint64_t before = mem_applied_get(c, evid, evh, gen, &found, &slot);
    if (found) return before == digest ? AP_APPLY_DUPLICATE : AP_APPLY_CONFLICT;
    int32_t old_span[2] = {1, 0}; /* the replaced version's weeks, if any */
    int outcome = kind == MEM_HOURS ? mem_apply_hours(s, c, it, partition, id, idh, old_span)
                                    : mem_apply_listed(s, c, kind, it, partition, id, idh, old_span);
    /* A limit leaves no mark, so the event is refused again if redelivered. */
    if (outcome == AP_APPLY_LIMIT) return outcome;
    mem_applied_add(c, evid, evh, digest, gen, slot);
    if (outcome == AP_APPLY_APPLIED) {
        int32_t spans[2][2] = {{1, 0}, {old_span[0], old_span[1]}}, lo, hi;
        ap_store_event_span(ev, &spans[0][0], &spans[0][1]);
        for (int k = 0; k < 2; k++)
            if (ap_store_span_clip(spans[k][0], spans[k][1], it->dirty, &lo, &hi))
                for (int64_t m = lo; m <= hi; m += 7) mem_pairs_add(&p->dirty, mem_pair(c->number, (int32_t)m));
    }
    return outcome;
}

/* The fence check of every write, as the Redis store's: a write under an
 * epoch (non-zero) that is not the partition's current one is refused.
 * @return 0, or AP_STORE_FENCED with the reason in err. */
static int mem_fenced(mem_store_t *s, int32_t partition, int64_t epoch) {
    if (epoch == 0) return 0;
    const mem_part_t *p = mem_part_find(s, partition);
    int64_t now = p ? p->epoch : 0;
    if (now == epoch) return 0;
    snprintf(s->base.err, sizeof s->base.err,
             "fenced: partition %" PRId32 " is owned by a newer epoch (ours %" PRId64 ", current %" PRId64 ")",
             partition, epoch, now);
    return AP_STORE_FENCED;
}

static int mem_claim(ap_store_t *base, int32_t partition, int64_t *epoch) {
    mem_part_t *p = mem_part_get(M(base), partition);
    *epoch = ++p->epoch;
    return 0;
}

static int mem_apply(ap_store_t *base, const ap_store_item_t *items, size_t n, int32_t partition, int32_t generation,
                     int64_t epoch, int *outcomes) {
    mem_store_t *s = M(base);
    if (mem_fenced(s, partition, epoch)) return AP_STORE_FENCED; /* before anything is created */
    /* Check every item first, so a bad one changes nothing. */
    for (size_t i = 0; i < n; i++) {
        const char *id;
        if (!items[i].event || !items[i].topic || mem_kind_of(items[i].event, &id) < 0) {
            snprintf(s->base.err, sizeof s->base.err, "memory apply: item %zu is not an input entity event", i);
            return -1;
        }
    }
    if (n == 0) return 0;
    if (n > s->cap_work) {
        free(s->work);
        s->work = mem_zalloc(n, sizeof *s->work);
        s->cap_work = n;
    }
    /* First every item's citizen (created in item order, as they would be
     * one by one) and hashes, starting the loads of the slots the second
     * pass probes first: the cache misses of different items overlap. */
    for (size_t i = 0; i < n; i++) {
        const ap_event_t *ev = items[i].event;
        const char *id, *evid = ev->u.h.event_id;
        int kind = mem_kind_of(ev, &id);
        mem_work_t *w = &s->work[i];
        w->c = mem_citizen_get(s, ev->u.h.citizen_id);
        w->evh = mem_hash(evid, strlen(evid));
        w->idh = mem_hash(id, strlen(id));
        mem_tab_prefetch(&w->c->applied, w->evh);
        if (kind == MEM_HOURS) mem_tab_prefetch(&w->c->report_index, w->idh);
    }
    mem_part_t *p = mem_part_get(s, partition);
    if (generation > p->dedup_gen) p->dedup_gen = generation; /* never back, as in Redis */
    for (size_t i = 0; i < n; i++) outcomes[i] = mem_apply_one(s, p, &items[i], partition, &s->work[i]);
    return 0;
}

/* -------------------------------------------------------------- the reads */

static int mem_dirty(ap_store_t *base, int32_t partition, char ***citizens, int32_t **mondays, size_t *n) {
    const mem_store_t *s = M(base);
    const mem_part_t *p = mem_part_find(s, partition);
    size_t count = p ? p->dirty.n : 0, k = 0;
    char **cit = mem_zalloc(count, sizeof *cit);
    int32_t *mon = mem_zalloc(count, sizeof *mon);
    for (uint32_t i = 0; count && i <= p->dirty.mask; i++) {
        uint64_t key = p->dirty.keys[i];
        if (!key) continue;
        const char *id = s->citizens[(key >> 32) - 1]->id;
        size_t len = strlen(id);
        cit[k] = mem_alloc(len + 1);
        memcpy(cit[k], id, len + 1);
        mon[k++] = (int32_t)(uint32_t)key;
    }
    *citizens = cit;
    *mondays = mon;
    *n = k;
    return 0;
}

/* The scratch arrays of one kind: entities and their sources. */
static void mem_scratch(ap_citizen_state_t *st, int kind, char **arr, ap_input_ref_t **src) {
    switch (kind) {
    case MEM_COVERAGE: *arr = (char *)st->coverage; *src = st->coverage_src; break;
    case MEM_PLACEMENT: *arr = (char *)st->placements; *src = st->placements_src; break;
    case MEM_EXEMPTION: *arr = (char *)st->exemptions; *src = st->exemptions_src; break;
    case MEM_REDUCTION: *arr = (char *)st->reductions; *src = st->reductions_src; break;
    case MEM_SANCTION: *arr = (char *)st->sanctions; *src = st->sanctions_src; break;
    default: *arr = (char *)st->hours; *src = st->hours_src; break;
    }
}

static void mem_load_one(const mem_store_t *s, ap_citizen_state_t *st, int kind, size_t i, const mem_ent_t *e) {
    char *arr;
    ap_input_ref_t *src;
    mem_scratch(st, kind, &arr, &src);
    mem_unpack(&s->layouts[kind], e, arr + i * s->layouts[kind].size);
    mem_ent_source(e, &src[i]);
}

/* Starts loading every entity a week's evaluation needs: entities lie
 * scattered over the heap, and this lets their cache misses overlap. */
static void mem_week_prefetch(const mem_citizen_t *c, const mem_week_t *w) {
    for (int k = 0; k < MEM_LISTED; k++)
        for (uint32_t j = 0; j < c->kinds[k].n; j++) mem_ent_prefetch(c->kinds[k].items[j]);
    for (uint32_t j = 0; w && j < w->n; j++) mem_ent_prefetch(c->reports.items[w->reports[j] - 1]);
}

static int mem_load_weeks(ap_store_t *base, const char *const *citizens, const int32_t *mondays, size_t n,
                          ap_citizen_state_t *st, ap_store_week_fn fn, void *ctx) {
    const mem_store_t *s = M(base);
    for (size_t i = 0; i < n; i++) {
        size_t count[MEM_KINDS] = {0};
        const mem_citizen_t *c = mem_citizen_find(s, citizens[i]);
        const mem_week_t *w = c ? mem_week_find(c, mondays[i]) : NULL;
        if (c) {
            mem_week_prefetch(c, w);
            /* The limits were enforced on apply, so the scratch arrays are big enough. */
            for (int k = 0; k < MEM_LISTED; k++)
                for (uint32_t j = 0; j < c->kinds[k].n; j++) mem_load_one(s, st, k, count[k]++, c->kinds[k].items[j]);
            for (uint32_t j = 0; w && j < w->n; j++)
                mem_load_one(s, st, MEM_HOURS, count[MEM_HOURS]++, c->reports.items[w->reports[j] - 1]);
        }
        ap_week_input_t in = {.citizen_id = citizens[i], .week_start = mondays[i],
                              .coverage = st->coverage, .n_coverage = count[MEM_COVERAGE],
                              .placements = st->placements, .n_placements = count[MEM_PLACEMENT],
                              .hours = st->hours, .n_hours = count[MEM_HOURS],
                              .exemptions = st->exemptions, .n_exemptions = count[MEM_EXEMPTION],
                              .reductions = st->reductions, .n_reductions = count[MEM_REDUCTION],
                              .sanctions = st->sanctions, .n_sanctions = count[MEM_SANCTION]};
        ap_week_sources_t src = {st->coverage_src, st->placements_src, st->hours_src, st->exemptions_src,
                                 st->reductions_src, st->sanctions_src};
        if (fn(ctx, i, &in, &src)) return 0;
    }
    return 0;
}

static int mem_clock_get(ap_store_t *base, int32_t partition, ap_partition_clock_t *out) {
    const mem_part_t *p = mem_part_find(M(base), partition);
    if (p && p->has_clock) {
        *out = p->clock;
    } else {
        memset(out, 0, sizeof *out);
        out->first_monday = out->closed_monday = AP_NO_DATE;
    }
    return 0;
}

static int mem_cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int mem_citizens(ap_store_t *base, int32_t partition, char ***out, size_t *n) {
    const mem_store_t *s = M(base);
    const mem_part_t *p = mem_part_find(s, partition);
    size_t count = p ? p->n_citizens : 0;
    char **list = mem_zalloc(count, sizeof *list);
    for (size_t i = 0; i < count; i++) {
        const char *id = s->citizens[p->citizens[i]]->id;
        size_t len = strlen(id);
        list[i] = mem_alloc(len + 1);
        memcpy(list[i], id, len + 1);
    }
    qsort(list, count, sizeof *list, mem_cmp_str);
    *out = list;
    *n = count;
    return 0;
}

static int mem_results_get(ap_store_t *base, const char *const *citizens, const int32_t *mondays, size_t n,
                           ap_result_record_t *out) {
    const mem_store_t *s = M(base);
    for (size_t i = 0; i < n; i++) {
        const mem_citizen_t *c = mem_citizen_find(s, citizens[i]);
        const mem_week_t *w = c ? mem_week_find(c, mondays[i]) : NULL;
        out[i] = w ? w->res : (ap_result_record_t){0, 0};
    }
    return 0;
}

static int mem_position_get(ap_store_t *base, const char *topic, int32_t partition, int64_t *next) {
    const mem_part_t *p = mem_part_find(M(base), partition);
    for (uint32_t i = 0; p && i < p->n_offsets; i++)
        if (strcmp(p->offsets[i].topic, topic) == 0) {
            *next = p->offsets[i].next;
            return 0;
        }
    return 1;
}

/* ------------------------------------------------------------ the cycle */

static void mem_position_set(mem_part_t *p, const char *topic, int64_t next) {
    for (uint32_t i = 0; i < p->n_offsets; i++)
        if (strcmp(p->offsets[i].topic, topic) == 0) {
            p->offsets[i].next = next;
            return;
        }
    size_t len = strlen(topic);
    p->offsets = mem_grow(p->offsets, &p->cap_offsets, p->n_offsets, sizeof *p->offsets);
    p->offsets[p->n_offsets].topic = mem_alloc(len + 1);
    memcpy(p->offsets[p->n_offsets].topic, topic, len + 1);
    p->offsets[p->n_offsets++].next = next;
}

static int mem_month_results_get(ap_store_t *base, int32_t partition, int32_t month, ap_store_month_result_t **out,
                                 size_t *n) {
    const mem_part_t *p = mem_part_find(M(base), partition);
    ap_store_month_result_t *list = mem_zalloc(p ? p->n_months : 0, sizeof *list);
    size_t k = 0;
    for (uint32_t i = 0; p && i < p->n_months; i++)
        if (p->months[i].month == month) list[k++] = p->months[i];
    *out = list;
    *n = k;
    return 0;
}

static void mem_month_set(mem_part_t *p, const ap_store_month_result_t *m) {
    for (uint32_t i = 0; i < p->n_months; i++)
        if (p->months[i].month == m->month && strcmp(p->months[i].municipality_code, m->municipality_code) == 0) {
            p->months[i].rec = m->rec;
            return;
        }
    p->months = mem_grow(p->months, &p->cap_months, p->n_months, sizeof *p->months);
    p->months[p->n_months++] = *m;
}

static int mem_commit_cycle(ap_store_t *base, const ap_store_cycle_t *cy) {
    mem_store_t *s = M(base);
    /* All or nothing, like MULTI/EXEC: everything that can be refused is
     * checked before the first write; after that nothing can fail. */
    for (size_t i = 0; i < cy->n_results; i++)
        if (!cy->results[i].citizen) goto invalid;
    for (size_t i = 0; i < cy->n_positions; i++)
        if (!cy->positions[i].topic) goto invalid;
    for (size_t i = 0; i < cy->n_evaluated; i++)
        if (!cy->evaluated[i].citizen) goto invalid;
    for (size_t i = 0; i < cy->n_fences; i++)
        if (mem_fenced(s, cy->fences[i].partition, cy->fences[i].epoch)) return AP_STORE_FENCED;

    /* In the order of the transaction: a later write to the same place wins. */
    for (size_t i = 0; i < cy->n_evaluated; i++) {
        mem_part_t *p = mem_part_find(s, cy->evaluated[i].partition);
        const mem_citizen_t *c = p ? mem_citizen_find(s, cy->evaluated[i].citizen) : NULL;
        if (c) mem_pairs_remove(&p->dirty, mem_pair(c->number, cy->evaluated[i].monday));
    }
    for (size_t i = 0; i < cy->n_results; i++)
        mem_week_get(mem_citizen_get(s, cy->results[i].citizen), cy->results[i].monday)->res = cy->results[i].rec;
    for (size_t i = 0; i < cy->n_clocks; i++) {
        mem_part_t *p = mem_part_get(s, cy->clocks[i].partition);
        p->clock = cy->clocks[i].clock;
        p->has_clock = 1;
    }
    for (size_t i = 0; i < cy->n_positions; i++)
        mem_position_set(mem_part_get(s, cy->positions[i].partition), cy->positions[i].topic, cy->positions[i].next);
    for (size_t i = 0; i < cy->n_months; i++) mem_month_set(mem_part_get(s, cy->months[i].partition), &cy->months[i]);
    return 0;
invalid:
    snprintf(s->base.err, sizeof s->base.err, "memory cycle: a citizen or topic is missing (nothing written)");
    return -1;
}

/* ------------------------------------------------------- life and plumbing */

/* Its entities go with the store's chunks. */
static void mem_citizen_free(mem_citizen_t *c) {
    for (int k = 0; k < MEM_LISTED; k++) free(c->kinds[k].items);
    free(c->reports.items);
    for (uint32_t j = 0; j < c->n_weeks; j++) free(c->weeks[j].reports);
    free(c->weeks);
    free(c->report_index.slots);
    free(c->applied.slots);
    free(c->ids);
    free(c->more_parts);
    free(c);
}

static void mem_destroy(ap_store_t *base) {
    mem_store_t *s = M(base);
    for (uint32_t i = 0; i < s->n_citizens; i++) mem_citizen_free(s->citizens[i]);
    free(s->citizens);
    free(s->citizen_index.slots);
    for (uint32_t i = 0; i < s->n_parts; i++) {
        mem_part_t *p = s->parts[i];
        for (uint32_t j = 0; j < p->n_offsets; j++) free(p->offsets[j].topic);
        free(p->offsets);
        free(p->months);
        free(p->dirty.keys);
        free(p->citizens);
        free(p);
    }
    free(s->parts);
    for (uint32_t i = 0; i < s->n_topics; i++) free(s->topics[i]);
    free(s->topics);
    free(s->work);
    while (s->chunks) {
        mem_chunk_t *next = s->chunks->next;
        free(s->chunks);
        s->chunks = next;
    }
    free(s->free_ents);
    free(s);
}

/* Nothing to connect to: always usable. */
static int mem_reconnect(ap_store_t *base) { (void)base; return 0; }
static int mem_ping(ap_store_t *base) { (void)base; return 0; }

static const ap_store_ops_t mem_ops = {
    "memory",      mem_destroy,      mem_reconnect,  mem_ping,
    mem_apply,     mem_dirty,        mem_load_weeks, mem_clock_get,
    mem_citizens,  mem_results_get,  mem_commit_cycle, mem_position_get,
    NULL, /* invalidate: nothing is cached, the memory is the store */
    mem_month_results_get, mem_claim,
};

ap_store_t *ap_store_memory_create(void) {
    mem_store_t *s = mem_zalloc(1, sizeof *s);
    s->base.ops = &mem_ops;
    mem_layout_init(&s->layouts[MEM_COVERAGE], AP_EV_COVERAGE, offsetof(ap_coverage_t, coverage_id));
    mem_layout_init(&s->layouts[MEM_PLACEMENT], AP_EV_PLACEMENT, offsetof(ap_placement_t, placement_id));
    mem_layout_init(&s->layouts[MEM_EXEMPTION], AP_EV_EXEMPTION, offsetof(ap_exemption_t, exemption_id));
    mem_layout_init(&s->layouts[MEM_REDUCTION], AP_EV_REDUCTION, offsetof(ap_reduction_t, reduction_id));
    mem_layout_init(&s->layouts[MEM_SANCTION], AP_EV_SANCTION, offsetof(ap_sanction_t, sanction_id));
    mem_layout_init(&s->layouts[MEM_HOURS], AP_EV_HOURS, offsetof(ap_hours_t, report_id));
    /* No struct packs larger than it is, strings included (length byte + NUL
     * instead of the full capacity may add 1 each). */
    size_t largest = 0;
    for (int k = 0; k < MEM_KINDS; k++)
        if (s->layouts[k].size + s->layouts[k].n > largest) largest = s->layouts[k].size + s->layouts[k].n;
    s->n_sizes = (offsetof(mem_ent_t, data) + largest + 15) / 16 + 1;
    s->free_ents = mem_zalloc(s->n_sizes, sizeof *s->free_ents);
    return &s->base;
}
