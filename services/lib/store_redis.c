/* store_redis.c - the state store in Redis. See store_redis.h for the key layout. */
#include "arbejdspligt/store_redis.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/schema.h"

/* Version prefix of every stored entity: recorded_at as 20 digits, then the
 * event id (36). Byte order equals (recorded_at, event_id) order, so Lua can
 * compare versions as strings. */
#define VERSION_LEN 56
/* Then the weeks it can change (ap_store_event_span): two Mondays as 11
 * characters each ("%011d"), so the script marks them when it is replaced. */
#define SPAN_LEN 22
#define HEAD_LEN (VERSION_LEN + SPAN_LEN)
/* Source after the span: partition (10), offset (20), topic length (3), topic. */
#define SOURCE_FIXED_LEN 33
/* Citizens per pipelined load, to bound reply memory. */
#define LOAD_CHUNK 256
/* Entity hashes per citizen (cv, pl, ex, rd, sa: entity_suffixes), read
 * whole for every week; the week's hours hash is read after them. */
#define N_KINDS 5

/* Applies a chunk of events, each atomically with its applied mark (the
 * script as a whole is atomic), and returns one outcome per event: 0
 * duplicate, 1 applied, 2 superseded (marked, state unchanged), 3 entity
 * limit, 4 id conflict (the id was applied with other content: nothing
 * changes). One script call per chunk, and inside it one command per chunk
 * wherever the keys allow (the partition's applied hash and report index are
 * read with one HMGET each and written with one HSET each): the per-command
 * cost in Redis, not the work, dominated. Lookups made earlier in the same
 * call are kept in Lua tables, so a chunk that applies an event twice, or
 * creates a report and corrects it, gets the same outcomes as one event per
 * call.
 * Applied ids are kept as "citizen|event id" -> digest of the record, so two
 * citizens' events never count as each other's duplicates, and an id reused
 * with other content is told from a redelivery. They are kept in one hash
 * per dedup generation (store.h), "<prefix>:{p:N}:applied-<g>"; the
 * partition's generation is "<prefix>:{p:N}:dedup-gen". A call in a newer
 * generation drops the hashes older than the one before it (UNLINK: freed in
 * the background), so lookups read two hashes and memory stays bounded.
 * When an event changes state, the closed weeks (ARGV window) that its new
 * version or the version it replaces can change are marked dirty: each
 * stored value carries its weeks (the span, see store_redis.h), so a change
 * that moves an entity out of a week revises that week too.
 * Fencing (store.h): before anything else the script compares the caller's
 * epoch with the partition's ("<prefix>:{p:N}:epoch") and, if they differ,
 * returns the error "FENCED <current epoch>" having written nothing (the
 * script is atomic, so no claim can come between the check and the writes).
 * KEYS: the partition's generation key, report index, citizen set, dirty
 * set and epoch, then per event the hash it goes to (entity hash or week hash).
 * ARGV: the week-key prefix "<prefix>:{c:", the limits for a week's hours
 * and for one kind of entity, the most days a change marks dirty, the
 * applied hashes' prefix "<prefix>:{p:N}:applied-", the caller's
 * generation and its epoch ("0": unfenced), then per event its id, entity id, stored value, first and last
 * closed Monday ("" "" if none), citizen, digest, and for an hours report its
 * week's Monday ("" for other events). Per event the script does only what
 * that event needs (the profile: Lua's own work was the largest share). */
static const char apply_lua[] =
    "local gen_key, index, citizens, dirty = KEYS[1], KEYS[2], KEYS[3], KEYS[4]\n"
    "if ARGV[7] ~= '0' then\n"
    "  local now = redis.call('GET', KEYS[5]) or '0'\n"
    "  if now ~= ARGV[7] then return redis.error_reply('FENCED ' .. now) end\n"
    "end\n"
    "local n, wk = #KEYS - 5, ARGV[1]\n"
    "local hours_limit, entity_limit, reach = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])\n"
    "local base, g = ARGV[5], tonumber(ARGV[6])\n"
    /* The generation never goes back; entering a newer one forgets the ids
     * of every generation before the previous (only had - 1 and had exist). */
    "local had = tonumber(redis.call('GET', gen_key) or '-1')\n"
    "if had > g then g = had end\n"
    "if g > had then\n"
    "  for old = had - 1, had do\n"
    "    if old >= 0 and old < g - 1 then redis.call('UNLINK', base .. old) end\n"
    "  end\n"
    "  redis.call('SET', gen_key, g)\n"
    "end\n"
    "local applied = base .. g\n"
    /* The weeks of a stored value's span inside the window, as dirty marks. */
    "local function mark(citizen, v, lo, hi)\n"
    "  local f, t = tonumber(string.sub(v, 57, 67)), tonumber(string.sub(v, 68, 78))\n"
    "  if f < lo then f = lo end\n"
    "  if t > hi then t = hi end\n"
    "  if t - f > reach then f = t - reach end\n"
    "  local m = {}\n"
    "  for w = f, t, 7 do m[#m + 1] = citizen .. '|' .. w end\n"
    "  if #m > 0 then redis.call('SADD', dirty, unpack(m)) end\n"
    "end\n"
    "local ids, fields, at = {}, {}, {}\n"
    "for i = 1, n do\n"
    "  local a = 8 * i\n"
    "  ids[i] = ARGV[a + 5] .. '|' .. ARGV[a]\n"
    "  if ARGV[a + 7] ~= '' then fields[#fields + 1] = ARGV[a + 5] .. '|' .. ARGV[a + 1]; at[i] = #fields end\n"
    "end\n"
    "local seen = redis.call('HMGET', applied, unpack(ids))\n"
    "if g > 0 then\n"
    "  local older = redis.call('HMGET', base .. (g - 1), unpack(ids))\n"
    "  for i = 1, n do if not seen[i] then seen[i] = older[i] end end\n"
    "end\n"
    "local locs = #fields > 0 and redis.call('HMGET', index, unpack(fields)) or {}\n"
    "local out, marked, moved, mark_ids, relocate, who, registered = {}, {}, {}, {}, {}, {}, {}\n"
    "for i = 1, n do\n"
    "  local a = 8 * i\n"
    "  local id, citizen, digest = ids[i], ARGV[a + 5], ARGV[a + 6]\n"
    "  if not registered[citizen] then registered[citizen] = true; who[#who + 1] = citizen end\n"
    "  local rc\n"
    "  local before = marked[id] or seen[i]\n"
    "  if before then rc = before == digest and 0 or 4 else\n"
    "    local ent, value, monday, target = ARGV[a + 1], ARGV[a + 2], ARGV[a + 7], KEYS[5 + i]\n"
    "    local cur_key, cur, field, limit = target, nil, nil, entity_limit\n"
    "    if monday ~= '' then\n"
    /* An hours report not in the index is stored nowhere yet. */
    "      field, limit = fields[at[i]], hours_limit\n"
    "      local loc = moved[field]\n"
    "      if loc == nil then loc = locs[at[i]] end\n"
    "      if loc then cur_key = wk .. citizen .. '}:h:' .. loc; cur = redis.call('HGET', cur_key, ent) end\n"
    "    else\n"
    "      cur = redis.call('HGET', target, ent)\n"
    "    end\n"
    "    if cur and string.sub(cur, 1, 56) >= string.sub(value, 1, 56) then\n"
    "      rc = 2\n"
    "    elseif (not cur or cur_key ~= target) and redis.call('HLEN', target) >= limit then\n"
    "      rc = 3\n"
    "    else\n"
    "      if cur_key ~= target then redis.call('HDEL', cur_key, ent) end\n"
    "      redis.call('HSET', target, ent, value)\n"
    "      if field and (not cur or cur_key ~= target) then\n"
    "        moved[field] = monday; relocate[#relocate + 1] = field; relocate[#relocate + 1] = monday\n"
    "      end\n"
    "      if ARGV[a + 3] ~= '' then\n"
    "        local lo, hi = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])\n"
    "        mark(citizen, value, lo, hi)\n"
    "        if cur then mark(citizen, cur, lo, hi) end\n"
    "      end\n"
    "      rc = 1\n"
    "    end\n"
    /* A refusal is not marked: the same event may apply once there is room. */
    "    if rc ~= 3 then marked[id] = digest; mark_ids[#mark_ids + 1] = id; mark_ids[#mark_ids + 1] = digest end\n"
    "  end\n"
    "  out[i] = rc\n"
    "end\n"
    "if #mark_ids > 0 then redis.call('HSET', applied, unpack(mark_ids)) end\n"
    "if #relocate > 0 then redis.call('HSET', index, unpack(relocate)) end\n"
    "redis.call('SADD', citizens, unpack(who))\n"
    "return out\n";

/* Events per script call: bounds the call's size and how long it blocks Redis. */
#define APPLY_CHUNK 256

typedef struct redis_store {
    ap_store_t base; /* first: the interface */
    redisContext *c;
    char host[256];
    int port;
    int timeout_ms;
    char username[128]; /* "" : no ACL user (AUTH password alone, or no AUTH) */
    char password[256]; /* kept for reconnects; wiped on destroy, never printed */
    char prefix[32];
    int wait_replicas, wait_timeout_ms; /* WAIT after each cycle commit (0: none) */
    char apply_sha[41];
    int stale;      /* the server lost our script (restarted): reconnect before use */
    uint64_t round_trips, cache_hits, cache_misses; /* ap_store_redis_counters */
    ap_buf_t value; /* reused per call: the arguments of one apply script call */
    const char **argv; /* ... and its arguments: pointers, offsets into value, lengths */
    size_t *argoff, *argl;
    /* The entity cache (see "entity cache" below). */
    struct cache_entry **buckets;
    size_t n_buckets, n_entries, cache_bytes, cache_max;
    struct cache_entry **hits; /* reused per load: each citizen's entry, NULL if read from Redis */
    size_t cap_hits;
} redis_store_t;

#define R(s) ((redis_store_t *)(s))

/* ------------------------------------------------------------ entity cache */

/* A citizen's coverage, placements, exemptions, reductions and sanctions as
 * last read from Redis, so that closing a week reads only that week's hours:
 * those entity reads were all but one per citizen and most of a week close's
 * time. The cached bytes are the stored values themselves, in the order
 * Redis returned them, so a cached load decodes exactly what a read would.
 * It stays true because one instance alone writes a partition's citizens
 * (co-partitioning, see store.h) and this store sees every write: an apply
 * that changes an entity drops its citizen's entry; ap_store_invalidate()
 * drops all when partitions are assigned (another instance may have written
 * them meanwhile); a reconnect drops all (Redis may have restarted and lost
 * its last second of writes). Bounded in bytes: once full, further citizens
 * are read from Redis every time (no eviction churn when a week close walks
 * every citizen in the same order). */
typedef struct cache_entry {
    struct cache_entry *next; /* hash chain */
    uint32_t hash;
    uint16_t count[N_KINDS];  /* entities per kind: cv, pl, ex, rd, sa */
    size_t size;              /* bytes charged against the bound */
    uint8_t *blob;            /* per entity: 4-byte length, then the stored value */
    char citizen[];
} cache_entry_t;

static uint32_t cache_hash(const char *citizen) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *c = (const unsigned char *)citizen; *c; c++) h = (h ^ *c) * 16777619u;
    return h;
}

static cache_entry_t *cache_find(const redis_store_t *s, const char *citizen) {
    if (!s->n_buckets) return NULL;
    uint32_t h = cache_hash(citizen);
    for (cache_entry_t *e = s->buckets[h & (s->n_buckets - 1)]; e; e = e->next)
        if (e->hash == h && strcmp(e->citizen, citizen) == 0) return e;
    return NULL;
}

static void cache_drop(redis_store_t *s, const char *citizen) {
    if (!s->n_entries) return;
    uint32_t h = cache_hash(citizen);
    for (cache_entry_t **at = &s->buckets[h & (s->n_buckets - 1)]; *at; at = &(*at)->next) {
        cache_entry_t *e = *at;
        if (e->hash != h || strcmp(e->citizen, citizen) != 0) continue;
        *at = e->next;
        s->cache_bytes -= e->size;
        s->n_entries--;
        free(e);
        return;
    }
}

static void cache_clear(redis_store_t *s) {
    for (size_t b = 0; b < s->n_buckets; b++)
        for (cache_entry_t *e = s->buckets[b], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    if (s->n_buckets) memset(s->buckets, 0, s->n_buckets * sizeof *s->buckets);
    s->n_entries = 0;
    s->cache_bytes = 0;
}

static void cache_grow(redis_store_t *s) {
    size_t n = s->n_buckets ? s->n_buckets * 2 : 1024;
    cache_entry_t **b = calloc(n, sizeof *b);
    if (!b) abort();
    for (size_t i = 0; i < s->n_buckets; i++)
        for (cache_entry_t *e = s->buckets[i], *next; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    free(s->buckets);
    s->buckets = b;
    s->n_buckets = n;
}

/* Keeps a copy of a citizen's entity replies (already checked to be arrays
 * of strings), if the bound allows. */
static void cache_put(redis_store_t *s, const char *citizen, redisReply *const r[N_KINDS]) {
    size_t clen = strlen(citizen) + 1, blob = 0;
    for (int k = 0; k < N_KINDS; k++)
        for (size_t i = 1; i < r[k]->elements; i += 2) blob += 4 + r[k]->element[i]->len;
    size_t size = sizeof(cache_entry_t) + clen + blob + 16; /* 16: the allocator's own */
    if (s->cache_bytes + size > s->cache_max || cache_find(s, citizen)) return;
    if (s->n_entries >= s->n_buckets) cache_grow(s);
    cache_entry_t *e = malloc(sizeof *e + clen + blob);
    if (!e) abort();
    memcpy(e->citizen, citizen, clen);
    e->blob = (uint8_t *)e->citizen + clen;
    uint8_t *w = e->blob;
    for (int k = 0; k < N_KINDS; k++) {
        e->count[k] = (uint16_t)(r[k]->elements / 2);
        for (size_t i = 1; i < r[k]->elements; i += 2) {
            uint32_t len = (uint32_t)r[k]->element[i]->len;
            memcpy(w, &len, 4);
            memcpy(w + 4, r[k]->element[i]->str, len);
            w += 4 + len;
        }
    }
    e->size = size;
    e->hash = cache_hash(citizen);
    e->next = s->buckets[e->hash & (s->n_buckets - 1)];
    s->buckets[e->hash & (s->n_buckets - 1)] = e;
    s->n_entries++;
    s->cache_bytes += size;
}

void ap_store_redis_set_cache(ap_store_t *base, size_t max_bytes) {
    redis_store_t *s = R(base);
    cache_clear(s);
    s->cache_max = max_bytes;
}

static void redis_invalidate(ap_store_t *base) { cache_clear(R(base)); }

static int fail(redis_store_t *s, const char *what) {
    snprintf(s->base.err, sizeof s->base.err, "redis %.40s: %.180s", what, s->c && s->c->err ? s->c->errstr : "unexpected reply");
    return -1;
}

/* fail() for a command that got reply r (freed here): an error reply is
 * quoted, e.g. NOPERM for a key outside the ACL user's patterns (README
 * Security), which "unexpected reply" would hide. */
static int fail_reply(redis_store_t *s, const char *what, redisReply *r) {
    if (r && r->type == REDIS_REPLY_ERROR) snprintf(s->base.err, sizeof s->base.err, "redis %.40s: %.180s", what, r->str);
    else fail(s, what);
    if (r) freeReplyObject(r);
    return -1;
}

/* AUTH right after connecting (and so on every reconnect): the first
 * command, before anything touches keys. @return 0, or -1 with s->base.err
 * starting "auth:" when the server refused the credentials. */
static int authenticate(redis_store_t *s) {
    if (!s->password[0] && !s->username[0]) return 0;
    redisReply *r = s->username[0] ? redisCommand(s->c, "AUTH %s %s", s->username, s->password)
                                   : redisCommand(s->c, "AUTH %s", s->password);
    int ok = r && r->type == REDIS_REPLY_STATUS;
    if (!ok) {
        /* Redis's reply (WRONGPASS ...) never repeats the password. */
        if (r && r->type == REDIS_REPLY_ERROR)
            snprintf(s->base.err, sizeof s->base.err, "auth: redis authentication failed for user '%.60s': %.120s",
                     s->username[0] ? s->username : "default", r->str);
        else
            fail(s, "AUTH");
    }
    if (r) freeReplyObject(r);
    return ok ? 0 : -1;
}

static int connect_now(redis_store_t *s) {
    struct timeval tv = {s->timeout_ms / 1000, (s->timeout_ms % 1000) * 1000};
    cache_clear(s); /* Redis may have restarted and lost its last writes */
    if (s->c) redisFree(s->c);
    s->c = redisConnectWithTimeout(s->host, s->port, tv);
    if (!s->c || s->c->err) {
        snprintf(s->base.err, sizeof s->base.err, "redis connect %.100s:%d: %.120s", s->host, s->port, s->c ? s->c->errstr : "out of memory");
        return -1;
    }
    redisSetTimeout(s->c, tv);
    redisReply *r = NULL;
    if (authenticate(s)) goto unusable;
    r = redisCommand(s->c, "SCRIPT LOAD %s", apply_lua);
    if (!r || r->type != REDIS_REPLY_STRING || r->len != 40) {
        /* E.g. "LOADING" while Redis replays its AOF: not usable yet. Drop
         * the connection so the next ping fails and we connect again. */
        if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOAUTH", 6) == 0)
            snprintf(s->base.err, sizeof s->base.err, "auth: redis authentication failed: the server requires a "
                     "user and password (redis.username, redis.password_file): %.120s", r->str);
        else
            snprintf(s->base.err, sizeof s->base.err, "redis SCRIPT LOAD: %.200s",
                     r && r->type == REDIS_REPLY_ERROR ? r->str : s->c->err ? s->c->errstr : "unexpected reply");
        goto unusable;
    }
    s->stale = 0;
    memcpy(s->apply_sha, r->str, 40);
    s->apply_sha[40] = '\0';
    freeReplyObject(r);
    return 0;
unusable:
    if (r) freeReplyObject(r);
    redisFree(s->c);
    s->c = NULL;
    return -1;
}

static const ap_store_ops_t redis_ops;

/* The key layout this code reads and writes (store_redis.h), kept under
 * "<prefix>:layout". Layout 2 added each value's span and the applied
 * hash's digests; data of layout 1 would be misread, so it is refused.
 * Layout 3 keeps the applied ids by dedup generation; a layout-2 namespace
 * is upgraded in place (upgrade_from_2). */
#define LAYOUT "3"

/* ------------------------------------------------------------ key scans */

/* Appends text to a SCAN MATCH pattern with the glob characters escaped, so
 * a citizen id holding '*', '?', '[' or '\\' matches only itself. */
static void glob_escape(ap_buf_t *b, const char *text) {
    for (const char *c = text; *c; c++) {
        if (*c == '*' || *c == '?' || *c == '[' || *c == ']' || *c == '\\') ap_buf_append_byte(b, '\\');
        ap_buf_append_byte(b, (uint8_t)*c);
    }
}

/* Calls fn for every key matching pattern (SCAN) until fn returns non-zero.
 * @return 0, what fn returned when it stopped, or -1 on a Redis error. */
static int each_key(redis_store_t *s, const char *pattern, int (*fn)(redis_store_t *, const char *, void *), void *ctx) {
    char cursor[32] = "0";
    do {
        redisReply *r = redisCommand(s->c, "SCAN %s MATCH %s COUNT 1000", cursor, pattern);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) return fail_reply(s, "SCAN", r);
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            int rc = fn(s, r->element[1]->element[i]->str, ctx);
            if (rc) { freeReplyObject(r); return rc; }
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    return 0;
}

/* each_key's callback that stops at the first key. */
static int any_key(redis_store_t *s, const char *key, void *ctx) {
    (void)s, (void)key, (void)ctx;
    return 1;
}

/* Layout 2 -> 3, one partition: its single applied hash becomes generation
 * 0's, and the partition is put in generation 0, so the first apply in a
 * later generation forgets those ids as the rule says. */
static int upgrade_partition(redis_store_t *s, const char *key, void *ctx) {
    (void)ctx;
    size_t len = strlen(key);
    if (len < 8 || strcmp(key + len - 8, ":applied") != 0) return 0;
    char gen_key[160];
    snprintf(gen_key, sizeof gen_key, "%.*s:dedup-gen", (int)(len - 8), key);
    redisAppendCommand(s->c, "MULTI");
    redisAppendCommand(s->c, "RENAME %s %s-0", key, key);
    redisAppendCommand(s->c, "SET %s 0 NX", gen_key);
    redisAppendCommand(s->c, "EXEC");
    int rc = 0;
    for (int i = 0; i < 4; i++) {
        redisReply *r = NULL;
        if (redisGetReply(s->c, (void **)&r) != REDIS_OK) return fail(s, "upgrade layout 2");
        int bad = r->type == REDIS_REPLY_ERROR ||
                  (i == 3 && (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
                              r->element[0]->type == REDIS_REPLY_ERROR));
        if (bad && !rc) {
            snprintf(s->base.err, sizeof s->base.err, "upgrade layout 2: %.200s",
                     r->type == REDIS_REPLY_ERROR ? r->str : "RENAME of the applied ids failed");
            rc = -1;
        }
        freeReplyObject(r);
    }
    return rc;
}

/* Upgrades a layout-2 namespace to layout 3 (only the applied ids moved),
 * then names the new layout. Safe to repeat after a crash part-way: a
 * partition already renamed has no ":applied" key left. */
static int upgrade_from_2(redis_store_t *s) {
    ap_buf_t match = AP_BUF_INIT;
    glob_escape(&match, s->prefix);
    ap_buf_append_str(&match, ":{p:*}:applied");
    s->base.err[0] = '\0';
    int rc = each_key(s, match.data, upgrade_partition, NULL);
    ap_buf_free(&match);
    if (rc) return -1;
    redisReply *r = redisCommand(s->c, "SET %s:layout %s", s->prefix, LAYOUT);
    if (!r || r->type != REDIS_REPLY_STATUS) return fail_reply(s, "SET layout", r);
    freeReplyObject(r);
    return 0;
}

/* Claims an empty namespace for this layout, or checks the one found.
 * @return 0, or -1 with the reason in s->base.err. */
static int check_layout(redis_store_t *s) {
    char key[64];
    snprintf(key, sizeof key, "%s:layout", s->prefix);
    redisReply *r = redisCommand(s->c, "GET %s", key);
    if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL)) return fail_reply(s, "GET layout", r);
    if (r->type == REDIS_REPLY_STRING) {
        if (strcmp(r->str, "2") == 0) {
            freeReplyObject(r);
            return upgrade_from_2(s);
        }
        int ok = strcmp(r->str, LAYOUT) == 0;
        if (!ok)
            snprintf(s->base.err, sizeof s->base.err,
                     "layout: redis prefix '%s' holds key layout %.20s, this build uses %s: replay into a new prefix "
                     "(ap-replay kafka, README 'Audit replay')", s->prefix, r->str, LAYOUT);
        freeReplyObject(r);
        return ok ? 0 : -1;
    }
    freeReplyObject(r);
    /* No layout key: a new namespace, or one written before layouts were
     * named (layout 1). Any key under the prefix means the latter. */
    ap_buf_t match = AP_BUF_INIT;
    glob_escape(&match, s->prefix); /* a prefix with '*' must not see other namespaces */
    ap_buf_append_str(&match, ":*");
    int found = each_key(s, match.data, any_key, NULL);
    ap_buf_free(&match);
    if (found < 0) return -1;
    if (found) {
        snprintf(s->base.err, sizeof s->base.err,
                 "layout: redis prefix '%s' holds data of key layout 1, this build uses %s: replay into a new prefix "
                 "(ap-replay kafka, README 'Audit replay')", s->prefix, LAYOUT);
        return -1;
    }
    r = redisCommand(s->c, "SET %s %s NX", key, LAYOUT);
    if (!r || (r->type != REDIS_REPLY_STATUS && r->type != REDIS_REPLY_NIL)) return fail_reply(s, "SET layout", r);
    freeReplyObject(r);
    return 0;
}

ap_store_t *ap_store_redis_connect(const ap_store_redis_conf_t *conf, char *err, size_t errlen) {
    redis_store_t *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->base.ops = &redis_ops;
    snprintf(s->host, sizeof s->host, "%s", conf->host);
    s->port = conf->port;
    s->timeout_ms = conf->timeout_ms;
    snprintf(s->username, sizeof s->username, "%s", conf->username ? conf->username : "");
    snprintf(s->password, sizeof s->password, "%s", conf->password ? conf->password : "");
    snprintf(s->prefix, sizeof s->prefix, "%s", conf->prefix);
    s->wait_replicas = conf->wait_replicas > 0 ? conf->wait_replicas : 0;
    s->wait_timeout_ms = conf->wait_timeout_ms > 0 ? conf->wait_timeout_ms : 0;
    if (connect_now(s) || check_layout(s)) {
        snprintf(err, errlen, "%s", s->base.err);
        ap_store_destroy(&s->base);
        return NULL;
    }
    return &s->base;
}

int ap_store_redis_claim_partitions(ap_store_t *base, int32_t count, char *err, size_t errlen) {
    redis_store_t *s = R(base);
    char key[64], want[16];
    snprintf(key, sizeof key, "%s:partitions", s->prefix);
    snprintf(want, sizeof want, "%" PRId32, count);
    /* SET NX then GET: the first processor on a namespace claims it; every
     * later one (and every restart) must find the same count. */
    redisReply *r = s->c ? redisCommand(s->c, "SET %s %s NX", key, want) : NULL;
    int ok = r && (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_NIL);
    if (ok) {
        freeReplyObject(r);
        r = redisCommand(s->c, "GET %s", key);
    }
    if (!r || r->type != REDIS_REPLY_STRING) {
        snprintf(err, errlen, "redis: %s partition count not readable: %.150s", key,
                 r && r->type == REDIS_REPLY_ERROR ? r->str : s->c && s->c->err ? s->c->errstr : "unexpected reply");
        if (r) freeReplyObject(r);
        return -1;
    }
    int rc = strcmp(r->str, want) == 0 ? 0 : 1;
    if (rc)
        snprintf(err, errlen,
                 "redis prefix '%s' holds state of input topics with %.12s partitions, the topics now have %s: keys "
                 "would hash to other partitions than their state; replay into a new prefix (README Co-partitioning)",
                 s->prefix, r->str, want);
    freeReplyObject(r);
    return rc;
}

/* memset that the compiler may not drop as a dead store. */
static void wipe(void *p, size_t n) {
    volatile unsigned char *v = p;
    while (n--) *v++ = 0;
}

static void redis_destroy(ap_store_t *base) {
    redis_store_t *s = R(base);
    if (s->c) redisFree(s->c);
    wipe(s->password, sizeof s->password); /* no copy left in freed memory */
    ap_buf_free(&s->value);
    free(s->argv);
    free(s->argoff);
    free(s->argl);
    cache_clear(s);
    free(s->buckets);
    free(s->hits);
    free(s);
}

static int redis_reconnect(ap_store_t *s) { return connect_now(R(s)); }

static int redis_ping(ap_store_t *base) {
    redis_store_t *s = R(base);
    s->round_trips++;
    if (!s->c || s->c->err || s->stale) return -1;
    redisReply *r = redisCommand(s->c, "PING");
    int ok = r && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
    return ok ? 0 : -1;
}

static void citizen_key(const redis_store_t *s, char *out, size_t len, const char *citizen, const char *suffix) {
    snprintf(out, len, "%s:{c:%s}:%s", s->prefix, citizen, suffix);
}

static void week_key(const redis_store_t *s, char *out, size_t len, const char *citizen, int32_t monday) {
    char suffix[24];
    snprintf(suffix, sizeof suffix, "h:%" PRId32, monday);
    citizen_key(s, out, len, citizen, suffix);
}

static void partition_key(const redis_store_t *s, char *out, size_t len, int32_t partition, const char *suffix) {
    snprintf(out, len, "%s:{p:%" PRId32 "}:%s", s->prefix, partition, suffix);
}

/* Where an entity lives: hash key suffix and entity id. */
static const char *entity_of(const ap_event_t *ev, const char **id) {
    switch (ev->type) {
    case AP_EV_PLACEMENT: *id = ev->u.placement.placement_id; return "pl";
    case AP_EV_HOURS: *id = ev->u.hours.report_id; return NULL; /* weekly hash */
    case AP_EV_EXEMPTION: *id = ev->u.exemption.exemption_id; return "ex";
    case AP_EV_REDUCTION: *id = ev->u.reduction.reduction_id; return "rd";
    case AP_EV_COVERAGE: *id = ev->u.coverage.coverage_id; return "cv";
    case AP_EV_SANCTION: *id = ev->u.sanction.sanction_id; return "sa";
    default: *id = NULL; return NULL;
    }
}

/* Appends one argument to the call being built: its offset and length
 * (pointers are set once the buffer stops moving). */
static void add_arg(redis_store_t *s, size_t *argc, const void *p, size_t n) {
    s->argoff[*argc] = s->value.len;
    s->argl[*argc] = n;
    ap_buf_append(&s->value, p, n);
    (*argc)++;
}

static void add_str(redis_store_t *s, size_t *argc, const char *str) { add_arg(s, argc, str, strlen(str)); }

static void add_int(redis_store_t *s, size_t *argc, long v) {
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%ld", v);
    add_str(s, argc, tmp);
}

/* One script call for items[0..m): queued on the pipeline. */
static void append_apply(redis_store_t *s, const ap_store_item_t *items, size_t m, int32_t partition,
                         int32_t generation, int64_t epoch) {
    size_t argc = 0;
    char key[160];
    ap_buf_reset(&s->value);
    add_str(s, &argc, "EVALSHA");
    add_arg(s, &argc, s->apply_sha, 40);
    add_int(s, &argc, (long)(m + 5));
    static const char *const partition_keys[] = {"dedup-gen", "hx", "citizens", "dirty", "epoch"};
    for (int k = 0; k < 5; k++) {
        partition_key(s, key, sizeof key, partition, partition_keys[k]);
        add_str(s, &argc, key);
    }
    for (size_t i = 0; i < m; i++) { /* KEYS: where each event goes */
        const ap_event_t *ev = items[i].event;
        const char *id, *suffix = entity_of(ev, &id), *cit = ev->u.h.citizen_id;
        if (ev->type == AP_EV_HOURS) week_key(s, key, sizeof key, cit, ap_cal_week_start(ev->u.hours.activity_date));
        else citizen_key(s, key, sizeof key, cit, suffix);
        add_str(s, &argc, key);
    }
    snprintf(key, sizeof key, "%s:{c:", s->prefix); /* the script builds week keys from the index */
    add_str(s, &argc, key);
    add_int(s, &argc, AP_MAX_HOURS_PER_WEEK);
    add_int(s, &argc, AP_MAX_ENTITIES);
    add_int(s, &argc, 7 * AP_STORE_MAX_LATE_WEEKS);
    partition_key(s, key, sizeof key, partition, "applied-");
    add_str(s, &argc, key);
    add_int(s, &argc, generation);
    char fence[24];
    snprintf(fence, sizeof fence, "%" PRId64, epoch);
    add_str(s, &argc, fence);
    for (size_t i = 0; i < m; i++) { /* ARGV */
        const ap_event_t *ev = items[i].event;
        const char *id;
        entity_of(ev, &id);
        size_t tlen = strlen(items[i].topic);
        if (tlen >= AP_TOPIC_NAME_CAP) tlen = AP_TOPIC_NAME_CAP - 1;
        add_str(s, &argc, ev->u.h.event_id);
        add_str(s, &argc, id);
        /* The stored value: version, span, source, record (see store_redis.h). */
        int32_t span_from, span_to;
        ap_store_event_span(ev, &span_from, &span_to);
        size_t at = s->value.len;
        ap_buf_appendf(&s->value, "%020" PRId64 "%-36.36s%011" PRId32 "%011" PRId32 "%010" PRId32 "%020" PRId64 "%03zu",
                       ev->u.h.recorded_at, ev->u.h.event_id, span_from, span_to, partition, items[i].offset, tlen);
        ap_buf_append(&s->value, items[i].topic, tlen);
        ap_buf_append(&s->value, items[i].encoded.ptr, items[i].encoded.len);
        s->argoff[argc] = at;
        s->argl[argc++] = s->value.len - at;
        if (items[i].dirty.from_monday <= items[i].dirty.to_monday) {
            add_int(s, &argc, items[i].dirty.from_monday);
            add_int(s, &argc, items[i].dirty.to_monday);
        } else {
            add_str(s, &argc, "");
            add_str(s, &argc, "");
        }
        add_str(s, &argc, ev->u.h.citizen_id);
        char digest[17];
        snprintf(digest, sizeof digest, "%016" PRIx64, ap_schema_crc64(items[i].encoded.ptr, items[i].encoded.len));
        add_str(s, &argc, digest);
        if (ev->type == AP_EV_HOURS) add_int(s, &argc, ap_cal_week_start(ev->u.hours.activity_date));
        else add_str(s, &argc, "");
    }
    for (size_t k = 0; k < argc; k++) s->argv[k] = s->value.data + s->argoff[k]; /* the buffer no longer moves */
    redisAppendCommandArgv(s->c, (int)argc, s->argv, s->argl);
}

/* Writes what the pipeline holds to the socket (hiredis would wait for the
 * first read), so Redis starts on it while we go on. @return 0 or -1. */
static int send_pending(redis_store_t *s) {
    int done = 0;
    while (!done)
        if (redisBufferWrite(s->c, &done) != REDIS_OK) return -1;
    return 0;
}

static int apply_calls(redis_store_t *s, const ap_store_item_t *items, size_t n, int32_t partition,
                       int32_t generation, int64_t epoch, int *outcomes) {
    s->round_trips++; /* the chunks are pipelined: one wait */
    if (!s->c) return fail(s, "not connected");
    if (!s->argv) { /* EVALSHA, sha, numkeys, 5 partition keys, prefix and 3 limits, applied prefix,
                       generation and epoch, 9 per event */
        size_t max_args = 3 + 5 + 4 + 3 + 9 * APPLY_CHUNK;
        s->argv = calloc(max_args, sizeof *s->argv);
        s->argoff = calloc(max_args, sizeof *s->argoff);
        s->argl = calloc(max_args, sizeof *s->argl);
        if (!s->argv || !s->argoff || !s->argl) abort();
    }
    size_t calls = 0;
    for (size_t i = 0; i < n; i += APPLY_CHUNK, calls++) {
        append_apply(s, items + i, n - i < APPLY_CHUNK ? n - i : APPLY_CHUNK, partition, generation, epoch);
        /* Out now: Redis runs this call while we build the next one. */
        if (send_pending(s)) return fail(s, "EVALSHA");
    }
    int rc = 0;
    /* Read every reply even after a bad one, so the connection stays in step. */
    for (size_t c = 0; c < calls; c++) {
        size_t first = c * APPLY_CHUNK, m = n - first < APPLY_CHUNK ? n - first : APPLY_CHUNK;
        redisReply *r = NULL;
        if (redisGetReply(s->c, (void **)&r) != REDIS_OK) return fail(s, "EVALSHA");
        if (r->type == REDIS_REPLY_ARRAY && r->elements == m) {
            for (size_t k = 0; k < m; k++) {
                outcomes[first + k] = (int)r->element[k]->integer;
                const ap_event_t *ev = items[first + k].event;
                if (outcomes[first + k] == AP_APPLY_APPLIED && ev->type != AP_EV_HOURS)
                    cache_drop(s, ev->u.h.citizen_id);
            }
        } else if (!rc && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "FENCED ", 7) == 0) {
            /* Another instance claimed the partition: this call (and so every
             * later one of the pipeline) wrote nothing. Earlier chunks were
             * applied under the then-current epoch, before the claim. */
            snprintf(s->base.err, sizeof s->base.err,
                     "fenced: partition %" PRId32 " is owned by a newer epoch (ours %" PRId64 ", current %.24s)",
                     partition, epoch, r->str + 7);
            rc = AP_STORE_FENCED;
        } else if (!rc) {
            snprintf(s->base.err, sizeof s->base.err, "redis apply: %.200s",
                     r->type == REDIS_REPLY_ERROR ? r->str : "bad reply");
            /* A restarted server has no scripts: reconnecting loads ours again. */
            if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) s->stale = 1;
            rc = -1;
        }
        freeReplyObject(r);
    }
    return rc;
}

static int redis_apply(ap_store_t *base, const ap_store_item_t *items, size_t n, int32_t partition,
                       int32_t generation, int64_t epoch, int *outcomes) {
    redis_store_t *s = R(base);
    int rc = apply_calls(s, items, n, partition, generation, epoch, outcomes);
    if (rc) cache_clear(s); /* what a failed call changed is unknown */
    return rc;
}

/* SMEMBERS of a partition's set <prefix>:{p:N}:<suffix>; NULL on error. */
static redisReply *partition_members(redis_store_t *s, int32_t partition, const char *suffix) {
    s->round_trips++;
    if (!s->c) { fail(s, "not connected"); return NULL; }
    char key[96];
    partition_key(s, key, sizeof key, partition, suffix);
    redisReply *r = redisCommand(s->c, "SMEMBERS %s", key);
    if (r && r->type == REDIS_REPLY_ARRAY) return r;
    if (r) freeReplyObject(r);
    fail(s, "SMEMBERS");
    return NULL;
}

static int redis_dirty(ap_store_t *base, int32_t partition, char ***citizens, int32_t **mondays, size_t *n) {
    redisReply *r = partition_members(R(base), partition, "dirty");
    if (!r) return -1;
    char **cit = calloc(r->elements ? r->elements : 1, sizeof *cit);
    int32_t *mon = calloc(r->elements ? r->elements : 1, sizeof *mon);
    if (!cit || !mon) abort();
    size_t k = 0;
    for (size_t i = 0; i < r->elements; i++) {
        const char *m = r->element[i]->str, *bar = strrchr(m, '|');
        if (!bar) continue; /* not ours: ignore */
        cit[k] = strndup(m, (size_t)(bar - m));
        if (!cit[k]) abort();
        mon[k++] = (int32_t)strtol(bar + 1, NULL, 10);
    }
    freeReplyObject(r);
    *citizens = cit;
    *mondays = mon;
    *n = k;
    return 0;
}

/* Parses a stored value's version and source; returns the offset of the record bytes or -1. */
static long parse_stored(const char *v, size_t len, ap_input_ref_t *src) {
    if (len < HEAD_LEN + SOURCE_FIXED_LEN) return -1;
    char num[21];
    memcpy(src->event_id, v + 20, 36);
    src->event_id[36] = '\0';
    memcpy(num, v + HEAD_LEN, 10);
    num[10] = '\0';
    src->partition = (int32_t)strtol(num, NULL, 10);
    memcpy(num, v + HEAD_LEN + 10, 20);
    num[20] = '\0';
    src->offset = strtoll(num, NULL, 10);
    memcpy(num, v + HEAD_LEN + 30, 3);
    num[3] = '\0';
    size_t tlen = (size_t)strtoul(num, NULL, 10);
    if (tlen >= AP_TOPIC_NAME_CAP || len < HEAD_LEN + SOURCE_FIXED_LEN + tlen) return -1;
    memcpy(src->topic, v + HEAD_LEN + SOURCE_FIXED_LEN, tlen);
    src->topic[tlen] = '\0';
    return (long)(HEAD_LEN + SOURCE_FIXED_LEN + tlen);
}

/* Decodes one stored value into dst (its source into src). @return 0 or -1. */
static int decode_value(redis_store_t *s, const ap_record_desc_t *d, const char *v, size_t len, void *dst,
                        ap_input_ref_t *src) {
    ap_codec_error_t e;
    long at = parse_stored(v, len, src);
    ap_codec_status_t st = at < 0 ? AP_CODEC_TRUNCATED : ap_codec_decode(d, (const uint8_t *)v + at, len - (size_t)at, dst, &e);
    /* A value stored by an earlier version of the processor carries that
     * version's fingerprint: every released version is resolved like input. */
    if (st == AP_CODEC_UNKNOWN_FINGERPRINT)
        st = ap_events_decode_as(ap_events_type_by_name(d->name, strlen(d->name)), (const uint8_t *)v + at,
                                 len - (size_t)at, dst, &e);
    if (st != AP_CODEC_OK) {
        snprintf(s->base.err, sizeof s->base.err, "corrupt stored %s record", d->name);
        return -1;
    }
    return 0;
}

/* Checks one HGETALL reply: an array of strings of at most max entities. @return 0 or -1. */
static int check_reply(redis_store_t *s, const redisReply *r, size_t max) {
    if (r->type != REDIS_REPLY_ARRAY) {
        snprintf(s->base.err, sizeof s->base.err, "redis load: %.200s",
                 r->type == REDIS_REPLY_ERROR ? r->str : "bad reply");
        return -1;
    }
    if (r->elements / 2 > max) {
        snprintf(s->base.err, sizeof s->base.err, "stored state exceeds %zu entities", max);
        return -1;
    }
    for (size_t i = 0; i < r->elements; i++)
        if (r->element[i]->type != REDIS_REPLY_STRING) {
            snprintf(s->base.err, sizeof s->base.err, "redis load: bad reply");
            return -1;
        }
    return 0;
}

/* Decodes the entities of one checked HGETALL reply into arr (sources into src); returns count or -1. */
static int decode_reply(redis_store_t *s, const redisReply *r, ap_event_type_t type, void *arr, size_t item_size,
                        ap_input_ref_t *src) {
    const ap_record_desc_t *d = ap_events_desc(type);
    size_t count = r->elements / 2;
    for (size_t i = 0; i < count; i++) {
        const redisReply *v = r->element[2 * i + 1];
        if (decode_value(s, d, v->str, v->len, (char *)arr + i * item_size, &src[i])) return -1;
    }
    return (int)count;
}

/* Decodes the next `count` values of a cache entry's blob at *at. @return count or -1. */
static int decode_cached(redis_store_t *s, const uint8_t **at, size_t count, ap_event_type_t type, void *arr,
                         size_t item_size, ap_input_ref_t *src) {
    const ap_record_desc_t *d = ap_events_desc(type);
    for (size_t i = 0; i < count; i++) {
        uint32_t len;
        memcpy(&len, *at, 4);
        if (decode_value(s, d, (const char *)*at + 4, len, (char *)arr + i * item_size, &src[i])) return -1;
        *at += 4 + len;
    }
    return (int)count;
}

/* The entity kinds of a citizen, in the order they are read and cached. */
static const char *const entity_suffixes[N_KINDS] = {"cv", "pl", "ex", "rd", "sa"};

/* Queues the loads of citizens [from, to): the week's hours each, and the
 * entity hashes of a citizen the cache does not hold (hits[i] set). */
static void append_loads(redis_store_t *s, const char *const *citizens, const int32_t *mondays, size_t from, size_t to) {
    char key[160];
    for (size_t i = from; i < to; i++) {
        s->hits[i] = cache_find(s, citizens[i]);
        if (s->hits[i]) s->cache_hits++;
        else s->cache_misses++;
        for (int k = 0; k < N_KINDS && !s->hits[i]; k++) {
            citizen_key(s, key, sizeof key, citizens[i], entity_suffixes[k]);
            redisAppendCommand(s->c, "HGETALL %s", key);
        }
        week_key(s, key, sizeof key, citizens[i], mondays[i]);
        redisAppendCommand(s->c, "HGETALL %s", key);
    }
}

/* Reads citizen i's replies (the hours alone, or N_KINDS + 1 without a cache entry) into r. @return 0 or -1. */
static int read_loads(redis_store_t *s, size_t i, redisReply *r[N_KINDS + 1]) {
    int first = s->hits[i] ? N_KINDS : 0;
    for (int k = first; k < N_KINDS + 1; k++)
        if (redisGetReply(s->c, (void **)&r[k]) != REDIS_OK) {
            for (int j = first; j < k; j++) freeReplyObject(r[j]);
            return fail(s, "HGETALL");
        }
    return 0;
}

/* Decodes citizen i's week (from its replies and cache entry) and calls fn. @return fn's answer, or -1. */
static int visit_week(redis_store_t *s, const char *const *citizens, const int32_t *mondays, size_t i,
                      redisReply *r[N_KINDS + 1], ap_citizen_state_t *st, ap_store_week_fn fn, void *ctx) {
    /* The entity kinds, in entity_suffixes order: where each decodes to. */
    const struct { ap_event_type_t type; void *arr; size_t size; ap_input_ref_t *src; } kinds[N_KINDS] = {
        {AP_EV_COVERAGE, st->coverage, sizeof st->coverage[0], st->coverage_src},
        {AP_EV_PLACEMENT, st->placements, sizeof st->placements[0], st->placements_src},
        {AP_EV_EXEMPTION, st->exemptions, sizeof st->exemptions[0], st->exemptions_src},
        {AP_EV_REDUCTION, st->reductions, sizeof st->reductions[0], st->reductions_src},
        {AP_EV_SANCTION, st->sanctions, sizeof st->sanctions[0], st->sanctions_src},
    };
    cache_entry_t *e = s->hits[i];
    const uint8_t *at = e ? e->blob : NULL;
    int n[N_KINDS + 1];
    for (int k = e ? N_KINDS : 0; k < N_KINDS; k++)
        if (check_reply(s, r[k], AP_MAX_ENTITIES)) return -1;
    if (check_reply(s, r[N_KINDS], AP_MAX_HOURS_PER_WEEK)) return -1;
    for (int k = 0; k < N_KINDS; k++) {
        n[k] = e ? decode_cached(s, &at, e->count[k], kinds[k].type, kinds[k].arr, kinds[k].size, kinds[k].src)
                 : decode_reply(s, r[k], kinds[k].type, kinds[k].arr, kinds[k].size, kinds[k].src);
        if (n[k] < 0) return -1;
    }
    if (!e && s->cache_max) cache_put(s, citizens[i], r); /* only what decoded cleanly is kept */
    n[N_KINDS] = decode_reply(s, r[N_KINDS], AP_EV_HOURS, st->hours, sizeof st->hours[0], st->hours_src);
    if (n[N_KINDS] < 0) return -1;
    ap_week_input_t in = {citizens[i], mondays[i], st->coverage, (size_t)n[0], st->placements, (size_t)n[1],
                          st->hours, (size_t)n[N_KINDS], st->exemptions, (size_t)n[2], st->reductions, (size_t)n[3],
                          st->sanctions, (size_t)n[4]};
    ap_week_sources_t src = {st->coverage_src, st->placements_src, st->hours_src, st->exemptions_src,
                             st->reductions_src, st->sanctions_src};
    return fn(ctx, i, &in, &src) ? 1 : 0;
}

static int redis_load_weeks(ap_store_t *base, const char *const *citizens, const int32_t *mondays, size_t n,
                            ap_citizen_state_t *st, ap_store_week_fn fn, void *ctx) {
    redis_store_t *s = R(base);
    if (!s->c) return fail(s, "not connected");
    if (n > s->cap_hits) {
        free(s->hits);
        s->cap_hits = n;
        s->hits = calloc(n, sizeof *s->hits);
        if (!s->hits) abort();
    }
    /* Chunk b+1 is sent before chunk b's replies are read: Redis reads the
     * next citizens while we evaluate these. */
    append_loads(s, citizens, mondays, 0, n < LOAD_CHUNK ? n : LOAD_CHUNK);
    for (size_t b = 0; b < n; b += LOAD_CHUNK) {
        size_t end = b + LOAD_CHUNK < n ? b + LOAD_CHUNK : n;
        size_t next_end = end + LOAD_CHUNK < n ? end + LOAD_CHUNK : n;
        if (end < n) append_loads(s, citizens, mondays, end, next_end);
        if (send_pending(s)) return fail(s, "HGETALL");
        s->round_trips++;
        int rc = 0;
        for (size_t i = b; i < end; i++) {
            redisReply *r[N_KINDS + 1] = {0};
            if (read_loads(s, i, r)) return -1;
            if (rc == 0) rc = visit_week(s, citizens, mondays, i, r, st, fn, ctx);
            for (int k = 0; k < N_KINDS + 1; k++)
                if (r[k]) freeReplyObject(r[k]);
        }
        if (rc) { /* read the chunk read ahead too: keep the connection in step */
            for (size_t i = end; i < next_end; i++) {
                redisReply *r[N_KINDS + 1] = {0};
                if (read_loads(s, i, r)) return -1;
                for (int k = 0; k < N_KINDS + 1; k++)
                    if (r[k]) freeReplyObject(r[k]);
            }
            return rc < 0 ? -1 : 0;
        }
    }
    return 0;
}

static int redis_clock_get(ap_store_t *base, int32_t partition, ap_partition_clock_t *out) {
    redis_store_t *s = R(base);
    s->round_trips++;
    if (!s->c) return fail(s, "not connected");
    char key[96];
    partition_key(s, key, sizeof key, partition, "clock");
    memset(out, 0, sizeof *out);
    out->first_monday = out->closed_monday = AP_NO_DATE;
    redisReply *r = redisCommand(s->c, "HMGET %s t0 t1 t2 first closed month", key);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 6) {
        if (r) freeReplyObject(r);
        return fail(s, "HMGET clock");
    }
    for (int k = 0; k < 6; k++) {
        if (r->element[k]->type != REDIS_REPLY_STRING) continue;
        long long v = strtoll(r->element[k]->str, NULL, 10);
        if (k < 3) out->tick[k] = v;
        else if (k == 3) out->first_monday = (int32_t)v;
        else if (k == 4) out->closed_monday = (int32_t)v;
        else out->closed_month = (int32_t)v; /* absent before monitoring: no month closed */
    }
    freeReplyObject(r);
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int redis_citizens(ap_store_t *base, int32_t partition, char ***out, size_t *n) {
    redisReply *r = partition_members(R(base), partition, "citizens");
    if (!r) return -1;
    char **list = calloc(r->elements ? r->elements : 1, sizeof *list);
    if (!list) abort();
    for (size_t i = 0; i < r->elements; i++) {
        list[i] = strdup(r->element[i]->str);
        if (!list[i]) abort();
    }
    *n = r->elements;
    freeReplyObject(r);
    qsort(list, *n, sizeof *list, cmp_str);
    *out = list;
    return 0;
}

static int redis_results_get(ap_store_t *base, const char *const *citizens, const int32_t *mondays, size_t n,
                             ap_result_record_t *out) {
    redis_store_t *s = R(base);
    s->round_trips++;
    if (!s->c) return fail(s, "not connected");
    char key[160];
    for (size_t i = 0; i < n; i++) {
        citizen_key(s, key, sizeof key, citizens[i], "res");
        redisAppendCommand(s->c, "HGET %s %d", key, (int)mondays[i]);
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        redisReply *r;
        if (redisGetReply(s->c, (void **)&r) != REDIS_OK) return fail(s, "HGET res");
        out[i].revision = 0;
        out[i].digest = 0;
        if (r->type == REDIS_REPLY_STRING) {
            unsigned long long d = 0;
            int rev = 0;
            if (sscanf(r->str, "%d:%llx", &rev, &d) == 2) { out[i].revision = rev; out[i].digest = d; }
        } else if (r->type != REDIS_REPLY_NIL) {
            rc = -1;
            snprintf(s->base.err, sizeof s->base.err, "redis HGET res: unexpected reply");
        }
        freeReplyObject(r);
    }
    return rc;
}

static int redis_month_results_get(ap_store_t *base, int32_t partition, int32_t month, ap_store_month_result_t **out,
                                   size_t *n) {
    redis_store_t *s = R(base);
    s->round_trips++;
    if (!s->c) return fail(s, "not connected");
    char key[96], suffix[24];
    snprintf(suffix, sizeof suffix, "mres:%" PRId32, month);
    partition_key(s, key, sizeof key, partition, suffix);
    redisReply *r = redisCommand(s->c, "HGETALL %s", key);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements % 2) return fail_reply(s, "HGETALL mres", r);
    ap_store_month_result_t *list = calloc(r->elements / 2 + 1, sizeof *list);
    if (!list) abort();
    size_t k = 0;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *f = r->element[i], *v = r->element[i + 1];
        unsigned long long d = 0;
        int rev = 0;
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING || f->len >= AP_MUNI_CAP ||
            sscanf(v->str, "%d:%llx", &rev, &d) != 2) {
            free(list);
            freeReplyObject(r);
            snprintf(s->base.err, sizeof s->base.err, "redis %s: a field is not municipality -> revision:digest", key);
            return -1;
        }
        list[k].partition = partition;
        list[k].month = month;
        memcpy(list[k].municipality_code, f->str, f->len + 1);
        list[k++].rec = (ap_result_record_t){rev, d};
    }
    freeReplyObject(r);
    *out = list;
    *n = k;
    return 0;
}

/* The cycle's fences (store.h): WATCH every fenced partition's epoch key,
 * then read it. A stale epoch: UNWATCH and AP_STORE_FENCED, nothing written.
 * Otherwise the keys stay watched until the EXEC, so a claim that comes
 * between this read and the EXEC makes Redis discard the transaction (EXEC
 * replies nil). One more round trip per cycle, only when fenced.
 * @return 0, AP_STORE_FENCED or -1. */
static int watch_fences(redis_store_t *s, const ap_store_cycle_t *cy) {
    char key[96];
    for (size_t i = 0; i < cy->n_fences; i++) {
        partition_key(s, key, sizeof key, cy->fences[i].partition, "epoch");
        redisAppendCommand(s->c, "WATCH %s", key);
        redisAppendCommand(s->c, "GET %s", key);
    }
    int rc = 0;
    char why[200] = "";
    for (size_t i = 0; i < 2 * cy->n_fences; i++) {
        redisReply *r;
        if (redisGetReply(s->c, (void **)&r) != REDIS_OK) return fail(s, "WATCH epoch");
        const ap_store_fence_t *f = &cy->fences[i / 2];
        if (r->type == REDIS_REPLY_ERROR && !rc) {
            snprintf(why, sizeof why, "redis WATCH/GET epoch: %.150s", r->str);
            rc = -1;
        } else if (i % 2 == 1 && !rc && f->epoch != 0) {
            long long now = r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : 0;
            if (now != f->epoch) {
                snprintf(why, sizeof why,
                         "fenced: partition %" PRId32 " is owned by a newer epoch (ours %" PRId64 ", current %lld)",
                         f->partition, f->epoch, now);
                rc = AP_STORE_FENCED;
            }
        }
        freeReplyObject(r);
    }
    if (rc) {
        redisReply *r = redisCommand(s->c, "UNWATCH");
        if (r) freeReplyObject(r);
        snprintf(s->base.err, sizeof s->base.err, "%s", why);
    }
    return rc;
}

/* redis.wait_replicas: the cycle counts as written only once that many
 * replicas have it (a replica promoted after the primary dies then holds
 * every acknowledged cycle). Fewer within the timeout: -1, and the caller
 * retries the cycle, which is idempotent (applying again is a no-op, the
 * same results and positions are written again). @return 0 or -1. */
static int wait_replicas(redis_store_t *s) {
    if (s->wait_replicas <= 0) return 0;
    int timeout = s->wait_timeout_ms > 0 ? s->wait_timeout_ms : 1000; /* never 0: WAIT 0 blocks for good */
    redisReply *r = redisCommand(s->c, "WAIT %d %d", s->wait_replicas, timeout);
    if (!r || r->type != REDIS_REPLY_INTEGER) return fail_reply(s, "WAIT", r);
    long long acked = r->integer;
    freeReplyObject(r);
    if (acked >= s->wait_replicas) return 0;
    snprintf(s->base.err, sizeof s->base.err,
             "redis WAIT: %lld of %d replicas acknowledged the cycle within %d ms (redis.wait_replicas); retrying it",
             acked, s->wait_replicas, timeout);
    return -1;
}

static int redis_commit_cycle(ap_store_t *base, const ap_store_cycle_t *cy) {
    redis_store_t *s = R(base);
    s->round_trips++;
    if (!s->c) return fail(s, "not connected");
    char key[160], val[48], member[AP_ID_CAP + 16];
    int fenced = watch_fences(s, cy);
    if (fenced) return fenced;
    size_t queued = 2 + cy->n_results + cy->n_clocks + cy->n_positions + cy->n_evaluated + cy->n_months;
    redisAppendCommand(s->c, "MULTI");
    for (size_t i = 0; i < cy->n_evaluated; i++) {
        partition_key(s, key, sizeof key, cy->evaluated[i].partition, "dirty");
        snprintf(member, sizeof member, "%s|%" PRId32, cy->evaluated[i].citizen, cy->evaluated[i].monday);
        redisAppendCommand(s->c, "SREM %s %s", key, member);
    }
    for (size_t i = 0; i < cy->n_results; i++) {
        citizen_key(s, key, sizeof key, cy->results[i].citizen, "res");
        snprintf(val, sizeof val, "%d:%016llx", (int)cy->results[i].rec.revision, (unsigned long long)cy->results[i].rec.digest);
        redisAppendCommand(s->c, "HSET %s %d %s", key, (int)cy->results[i].monday, val);
    }
    for (size_t i = 0; i < cy->n_clocks; i++) {
        const ap_partition_clock_t *c = &cy->clocks[i].clock;
        partition_key(s, key, sizeof key, cy->clocks[i].partition, "clock");
        redisAppendCommand(s->c, "HSET %s t0 %lld t1 %lld t2 %lld first %d closed %d month %d", key,
                           (long long)c->tick[0], (long long)c->tick[1], (long long)c->tick[2], (int)c->first_monday,
                           (int)c->closed_monday, (int)c->closed_month);
    }
    for (size_t i = 0; i < cy->n_months; i++) {
        const ap_store_month_result_t *m = &cy->months[i];
        char suffix[24];
        snprintf(suffix, sizeof suffix, "mres:%" PRId32, m->month);
        partition_key(s, key, sizeof key, m->partition, suffix);
        snprintf(val, sizeof val, "%d:%016llx", (int)m->rec.revision, (unsigned long long)m->rec.digest);
        redisAppendCommand(s->c, "HSET %s %s %s", key, m->municipality_code, val);
    }
    for (size_t i = 0; i < cy->n_positions; i++) {
        partition_key(s, key, sizeof key, cy->positions[i].partition, "offsets");
        redisAppendCommand(s->c, "HSET %s %s %lld", key, cy->positions[i].topic, (long long)cy->positions[i].next);
    }
    redisAppendCommand(s->c, "EXEC");
    int rc = 0;
    char why[184] = "";
    for (size_t i = 0; i < queued; i++) {
        redisReply *r;
        if (redisGetReply(s->c, (void **)&r) != REDIS_OK) return fail(s, "MULTI/EXEC");
        /* The first error says why (e.g. NOPERM, EXECABORT follows it). */
        if (r->type == REDIS_REPLY_ERROR && !rc) snprintf(why, sizeof why, ": %.180s", r->str);
        if (r->type == REDIS_REPLY_ERROR) rc = -1;
        /* The EXEC reply is an array; a nil EXEC means the transaction was
         * discarded: a watched epoch moved (another instance claimed one of
         * the partitions after watch_fences read it). */
        if (i == queued - 1 && r->type == REDIS_REPLY_NIL && !rc && cy->n_fences) rc = AP_STORE_FENCED;
        else if (i == queued - 1 && r->type != REDIS_REPLY_ARRAY) rc = -1;
        freeReplyObject(r);
    }
    if (rc == AP_STORE_FENCED) {
        snprintf(s->base.err, sizeof s->base.err,
                 "fenced: a partition of the cycle was claimed by a newer epoch during its commit (nothing written)");
        return rc;
    }
    if (rc) snprintf(s->base.err, sizeof s->base.err, "redis cycle transaction failed%s", why);
    return rc ? rc : wait_replicas(s);
}

static int redis_position_get(ap_store_t *base, const char *topic, int32_t partition, int64_t *next) {
    redis_store_t *s = R(base);
    s->round_trips++;
    if (!s->c) return fail(s, "not connected");
    char key[96];
    partition_key(s, key, sizeof key, partition, "offsets");
    redisReply *r = redisCommand(s->c, "HGET %s %s", key, topic);
    if (!r) return fail(s, "HGET offsets");
    int rc = 1;
    if (r->type == REDIS_REPLY_STRING) { *next = strtoll(r->str, NULL, 10); rc = 0; }
    else if (r->type != REDIS_REPLY_NIL) rc = -1;
    freeReplyObject(r);
    return rc;
}

/* INCR <prefix>:{p:N}:epoch: the new owner's epoch; every write under an
 * older one is refused from now on (store.h). The entity cache is dropped
 * too: the previous owner may have written the partition's citizens. */
static int redis_claim(ap_store_t *base, int32_t partition, int64_t *epoch) {
    redis_store_t *s = R(base);
    s->round_trips++;
    if (!s->c) return fail(s, "not connected");
    char key[96];
    partition_key(s, key, sizeof key, partition, "epoch");
    redisReply *r = redisCommand(s->c, "INCR %s", key);
    if (!r || r->type != REDIS_REPLY_INTEGER) return fail_reply(s, "INCR epoch", r);
    *epoch = r->integer;
    freeReplyObject(r);
    cache_clear(s);
    return 0;
}

static const ap_store_ops_t redis_ops = {
    "redis",          redis_destroy,      redis_reconnect,   redis_ping,
    redis_apply,      redis_dirty,        redis_load_weeks,  redis_clock_get,
    redis_citizens,   redis_results_get,  redis_commit_cycle, redis_position_get,
    redis_invalidate, redis_month_results_get, redis_claim,
};

void ap_store_redis_counters(const ap_store_t *base, uint64_t *round_trips, uint64_t *cache_hits,
                             uint64_t *cache_misses) {
    const redis_store_t *s = (const redis_store_t *)base;
    *round_trips = s->round_trips;
    *cache_hits = s->cache_hits;
    *cache_misses = s->cache_misses;
}

/* ---------------------------------------------------------------- erasure */

/* Removes the members or fields of key that match pattern (SSCAN/HSCAN and
 * SREM/HDEL in batches). @return 0 or -1. */
static int remove_matching(redis_store_t *s, const char *key, int hash, const char *pattern, size_t *removed) {
    char cursor[32] = "0";
    do {
        redisReply *r = redisCommand(s->c, "%s %s %s MATCH %s COUNT 1000", hash ? "HSCAN" : "SSCAN", key, cursor, pattern);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) return fail_reply(s, hash ? "HSCAN" : "SSCAN", r);
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        const redisReply *items = r->element[1];
        for (size_t i = 0; i < items->elements; i += hash ? 2 : 1) {
            redisReply *d = redisCommand(s->c, "%s %s %b", hash ? "HDEL" : "SREM", key, items->element[i]->str,
                                         items->element[i]->len);
            if (!d || d->type != REDIS_REPLY_INTEGER) {
                freeReplyObject(r);
                return fail_reply(s, hash ? "HDEL" : "SREM", d);
            }
            *removed += (size_t)d->integer;
            freeReplyObject(d);
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    return 0;
}

typedef struct forget_ctx {
    const char *citizen;
    const char *field_pattern; /* "<citizen>|*", escaped */
    size_t removed;
} forget_ctx_t;

static int forget_key(redis_store_t *s, const char *key, void *ctx) {
    forget_ctx_t *f = ctx;
    redisReply *r = redisCommand(s->c, "DEL %s", key);
    if (!r || r->type != REDIS_REPLY_INTEGER) return fail_reply(s, "DEL", r);
    f->removed += (size_t)r->integer;
    freeReplyObject(r);
    return 0;
}

/* A partition key: drop the citizen's entries, by the key's kind. */
static int forget_in_partition(redis_store_t *s, const char *key, void *ctx) {
    forget_ctx_t *f = ctx;
    const char *kind = strrchr(key, ':');
    if (!kind) return 0;
    kind++;
    if (strcmp(kind, "citizens") == 0) {
        redisReply *r = redisCommand(s->c, "SREM %s %s", key, f->citizen);
        if (!r || r->type != REDIS_REPLY_INTEGER) return fail_reply(s, "SREM", r);
        f->removed += (size_t)r->integer;
        freeReplyObject(r);
        return 0;
    }
    if (strncmp(kind, "applied-", 8) == 0 || strcmp(kind, "hx") == 0)
        return remove_matching(s, key, 1, f->field_pattern, &f->removed);
    if (strcmp(kind, "dirty") == 0) return remove_matching(s, key, 0, f->field_pattern, &f->removed);
    return 0; /* clock, offsets, dedup-gen: no citizen in them */
}

int ap_store_redis_forget(ap_store_t *base, const char *citizen, size_t *removed) {
    redis_store_t *s = R(base);
    *removed = 0;
    if (!s->c) return fail(s, "not connected");
    ap_buf_t citizen_keys = AP_BUF_INIT, fields = AP_BUF_INIT, partition_keys = AP_BUF_INIT;
    /* "<prefix>:{c:<id>}:*": a citizen id holds no '}' (events.c), so this
     * matches exactly that citizen's keys. */
    glob_escape(&citizen_keys, s->prefix);
    ap_buf_append_str(&citizen_keys, ":{c:");
    glob_escape(&citizen_keys, citizen);
    ap_buf_append_str(&citizen_keys, "}:*");
    glob_escape(&fields, citizen);
    ap_buf_append_str(&fields, "|*");
    glob_escape(&partition_keys, s->prefix);
    ap_buf_append_str(&partition_keys, ":{p:*}:*");
    forget_ctx_t f = {citizen, fields.data, 0};
    int rc = each_key(s, citizen_keys.data, forget_key, &f) || each_key(s, partition_keys.data, forget_in_partition, &f)
                 ? -1 : 0;
    cache_drop(s, citizen);
    *removed = f.removed;
    ap_buf_free(&citizen_keys);
    ap_buf_free(&fields);
    ap_buf_free(&partition_keys);
    return rc;
}
