/* processor.c - decode, validate, apply, close weeks, evaluate, emit. See processor.h. */
#include "arbejdspligt/processor.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/log.h"
#include "arbejdspligt/monitoring.h"
#include "arbejdspligt/partition.h"
#include "arbejdspligt/rules.h"
#include "arbejdspligt/schema.h"
#include "arbejdspligt/uuid.h"

/* Weeks before the first rule version are never closed. */
#define FIRST_RULE_MONDAY ap_rules_first_monday()
#define MAX_CLOCKS 64
/* Most inputs one week can have: every entity plus a full week of hours. */
#define LINEAGE_CAP (4 * AP_MAX_ENTITIES + AP_MAX_HOURS_PER_WEEK)
_Static_assert(LINEAGE_CAP == AP_MAX_INPUTS, "AP_MAX_INPUTS must match the state bounds");

typedef struct work {
    char citizen[AP_ID_CAP];
    int32_t monday;
    int32_t close;     /* index in the cycle's closes, or -1 (a dirty week's revision) */
    int64_t closed_at; /* stream time stamped on the result: its partition's watermark */
} work_t;

/* A week closed on a partition in this cycle (for its log line). */
typedef struct close_note {
    int32_t partition, monday;
    size_t citizens;
    uint64_t results;
} close_note_t;

typedef struct pending {
    char citizen[AP_ID_CAP];
    int32_t monday;
    ap_result_record_t rec;
} pending_t;

/* A calendar month of a partition to evaluate at the cycle's end: closed
 * by a tick, or closed before and touched by a late change. */
typedef struct month_work {
    int32_t partition, month; /* YYYYMM */
    int64_t closed_at;        /* the partition's watermark at the tick */
} month_work_t;

/* One municipality's sums while a month is evaluated. */
typedef struct mon_cell {
    char municipality_code[AP_MUNI_CAP];
    ap_mon_sums_t sums;
} mon_cell_t;

typedef struct clock_slot {
    int32_t partition;
    ap_partition_clock_t clock;
    int dirty;
} clock_slot_t;

struct ap_processor {
    ap_processor_config_t cfg;
    ap_store_t *store;
    ap_output_t output;
    ap_processor_stats_t stats;
    ap_event_t *events;
    ap_store_item_t *apply;
    int32_t *apply_part;
    int32_t *apply_from; /* first week each event touches */
    uint8_t *deferred;   /* per record of a cycle: left for the next */
    ap_record_t *moved;  /* reordering room: deferred records */
    void **moved_tags;
    int *outcomes;
    /* Records written with another known schema version are stored as the
     * current schema's bytes (so stored state has one encoding): those bytes,
     * per segment, and where each apply item's are (len 0: its own record's). */
    ap_buf_t resolved;
    struct resolved_span { size_t at, len; } *resolved_span;
    ap_citizen_state_t *scratch;
    ap_input_ref_t *lineage; /* one result's inputs, LINEAGE_CAP */
    ap_buf_t out;
    ap_buf_t json; /* a JSON mirror's record */
    pending_t *pending;
    size_t n_pending, cap_pending;
    work_t *work;
    size_t n_work, cap_work;
    close_note_t *closes;
    size_t n_closes, cap_closes;
    clock_slot_t clocks[MAX_CLOCKS];
    size_t n_clocks;
    /* Every partition's watermark as of its last committed cycle (the
     * clocks above live one cycle): for ap_processor_watermarks. */
    struct committed_mark { int32_t partition; int64_t watermark; } *marks;
    size_t n_marks, cap_marks;
    /* dirty marks evaluated this cycle, cleared in the cycle transaction */
    struct evaluated { char citizen[AP_ID_CAP]; int32_t monday, partition; } *evaluated;
    size_t n_evaluated, cap_evaluated;
    /* monitoring: months to evaluate, the partials emitted this cycle, and
     * the state of the month being evaluated */
    month_work_t *mwork;
    size_t n_mwork, cap_mwork;
    ap_store_month_result_t *mpending;
    size_t n_mpending, cap_mpending;
    ap_week_eval_t *mevals; /* one citizen's weeks of the month (AP_MON_MAX_WEEKS) */
    mon_cell_t *cells;
    size_t n_cells, cap_cells;
    ap_mon_manifest_entry_t *manifest; /* AP_MON_MAX_MANIFEST */
    int mon_year, mon_month;
    size_t mon_weeks;
    int32_t mon_monday0;
    int mon_skip; /* the current citizen's state broke a bound: not counted */
    /* The epoch this instance holds each input partition under (ap_store_claim,
     * set by ap_processor_own on assignment): every write to a partition's
     * state carries it. A partition not listed is written unfenced (epoch 0:
     * offline replay). Kept after a revocation, so a stale write is refused. */
    ap_store_fence_t *epochs;
    size_t n_epochs, cap_epochs;
    /* per evaluation pass */
    ap_result_record_t *records;
    int failed;
    int fenced; /* the store refused a write: another instance owns a partition now */
    char err[256];
};

/* Microseconds on the monotonic clock: stage timings only, never in a result. */
static uint64_t now_us(void) { return (uint64_t)(ap_log_monotonic_s() * 1e6); }

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size);
    if (!p) abort(); /* allocation failure is fatal, see buf.h */
    return p;
}

ap_processor_t *ap_processor_create(const ap_processor_config_t *cfg, ap_store_t *store, ap_output_t output) {
    ap_processor_t *p = xcalloc(1, sizeof *p);
    p->cfg = *cfg;
    p->store = store;
    p->output = output;
    p->events = xcalloc(AP_PROCESSOR_MAX_BATCH, sizeof *p->events);
    p->apply = xcalloc(AP_PROCESSOR_MAX_BATCH, sizeof *p->apply);
    p->apply_part = xcalloc(AP_PROCESSOR_MAX_BATCH, sizeof *p->apply_part);
    p->lineage = xcalloc(LINEAGE_CAP, sizeof *p->lineage);
    p->apply_from = xcalloc(AP_PROCESSOR_MAX_BATCH, sizeof *p->apply_from);
    p->deferred = xcalloc(AP_PROCESSOR_MAX_BATCH, sizeof *p->deferred);
    p->moved = xcalloc(AP_PROCESSOR_MAX_BATCH, sizeof *p->moved);
    p->moved_tags = xcalloc(AP_PROCESSOR_MAX_BATCH, sizeof *p->moved_tags);
    p->outcomes = xcalloc(AP_PROCESSOR_MAX_BATCH, sizeof *p->outcomes);
    p->resolved_span = xcalloc(AP_PROCESSOR_MAX_BATCH, sizeof *p->resolved_span);
    p->scratch = xcalloc(1, sizeof *p->scratch);
    if (p->cfg.monitoring_topic[0]) {
        p->mevals = xcalloc(AP_MON_MAX_WEEKS, sizeof *p->mevals);
        p->manifest = xcalloc(AP_MON_MAX_MANIFEST, sizeof *p->manifest);
    }
    return p;
}

void ap_processor_destroy(ap_processor_t *p) {
    if (!p) return;
    free(p->events);
    free(p->epochs);
    free(p->apply);
    free(p->apply_part);
    free(p->lineage);
    free(p->apply_from);
    free(p->deferred);
    free(p->moved);
    free(p->moved_tags);
    free(p->evaluated);
    free(p->outcomes);
    free(p->resolved_span);
    ap_buf_free(&p->resolved);
    free(p->scratch);
    free(p->pending);
    free(p->work);
    free(p->closes);
    free(p->marks);
    free(p->mwork);
    free(p->mpending);
    free(p->mevals);
    free(p->cells);
    free(p->manifest);
    ap_buf_free(&p->out);
    ap_buf_free(&p->json);
    free(p);
}

const ap_processor_stats_t *ap_processor_stats(const ap_processor_t *p) { return &p->stats; }

static int fail(ap_processor_t *p, const char *fmt, const char *detail) {
    snprintf(p->err, sizeof p->err, fmt, detail);
    p->failed = 1;
    return -1;
}

/* fail() for a store write that returned rc: AP_STORE_FENCED is remembered,
 * so the cycle ends as AP_PROCESSOR_FENCED instead of a retry. */
static int fail_write(ap_processor_t *p, int rc) {
    if (rc == AP_STORE_FENCED) p->fenced = 1;
    return fail(p, "%s", ap_store_error(p->store));
}

static void *room_for(void *arr, size_t n, size_t *cap, size_t size);

void ap_processor_own(ap_processor_t *p, int32_t partition, int64_t epoch) {
    for (size_t i = 0; i < p->n_epochs; i++)
        if (p->epochs[i].partition == partition) { p->epochs[i].epoch = epoch; return; }
    p->epochs = room_for(p->epochs, p->n_epochs, &p->cap_epochs, sizeof *p->epochs);
    p->epochs[p->n_epochs++] = (ap_store_fence_t){partition, epoch};
}

/* The epoch writes to a partition carry (0: unfenced, never claimed). */
static int64_t epoch_of(const ap_processor_t *p, int32_t partition) {
    for (size_t i = 0; i < p->n_epochs; i++)
        if (p->epochs[i].partition == partition) return p->epochs[i].epoch;
    return 0;
}

/* Hands the output the record in p->out, which encodes ev. */
static int produce(ap_processor_t *p, const char *topic, const void *key, size_t keylen, const ap_event_t *ev) {
    char err[256];
    if (p->output.produce(p->output.ctx, topic, key, keylen, p->out.data, p->out.len, ev, err, sizeof err))
        return fail(p, "%s", err);
    return 0;
}

/* The optional copies of a result or alert just encoded in p->out: the JSON
 * mirror, and for a result the latest-result topic's record. */
static int produce_copies(ap_processor_t *p, const char *json_topic, const char *latest_topic, const char *key,
                          size_t keylen, const ap_event_t *ev) {
    char err[256];
    if (latest_topic[0]) {
        char latest_key[AP_ID_CAP + 16], week[9];
        ap_cal_format_week(ev->u.result.week_start, week);
        int n = snprintf(latest_key, sizeof latest_key, "%s|%s", key, week);
        if (p->output.produce(p->output.ctx, latest_topic, latest_key, (size_t)n, p->out.data, p->out.len, ev, err,
                              sizeof err))
            return fail(p, "%s", err);
    }
    if (json_topic[0]) {
        ap_buf_reset(&p->json);
        ap_events_to_json(ev, &p->json);
        if (p->output.produce(p->output.ctx, json_topic, key, keylen, p->json.data, p->json.len, ev, err, sizeof err))
            return fail(p, "%s", err);
    }
    return 0;
}

/* ------------------------------------------------------------ dead letters */

/* Sends a refused record to the dead-letter topic. With `withhold` (the
 * record was refused for personal data: a CPR number in it or its key) the
 * dead letter keeps only where the record is and why, and, if
 * dead_letter_hash_key is set, an HMAC-SHA256 of its bytes by which its
 * publisher can find it; never the bytes or the key (README Security). */
static int dead_letter_as(ap_processor_t *p, const ap_record_t *r, int reason, const char *why, int withhold) {
    ap_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_DEAD_LETTER;
    ap_dead_letter_t *d = &ev.u.dead_letter;
    char name[AP_TEXT_CAP + 64];
    snprintf(name, sizeof name, "dead-letter|%s|%" PRId32 "|%" PRId64, r->topic, r->partition, r->offset);
    ap_uuid_derive(name, d->event_id);
    snprintf(d->source_topic, sizeof d->source_topic, "%s", r->topic);
    d->source_partition = r->partition;
    d->source_offset = r->offset;
    d->reason_code = reason;
    d->record_timestamp = r->timestamp;
    const void *key = r->key;
    size_t keylen = r->key ? r->keylen : 0;
    if (withhold) {
        key = NULL, keylen = 0;
        char hmac[2 * 32 + 1] = ""; /* SHA-256: 32 bytes */
        if (p->cfg.dead_letter_hash_key_len) {
            unsigned char md[EVP_MAX_MD_SIZE];
            unsigned int mdlen = 0;
            if (!HMAC(EVP_sha256(), p->cfg.dead_letter_hash_key, (int)p->cfg.dead_letter_hash_key_len,
                      r->payload ? r->payload : (const void *)"", r->payload ? r->len : 0, md, &mdlen))
                mdlen = 0;
            for (unsigned int i = 0; i < mdlen && i < 32; i++) snprintf(hmac + 2 * i, 3, "%02x", md[i]);
        }
        snprintf(d->reason, sizeof d->reason, "%.120s; record withheld (personal data)%s%.64s", why,
                 hmac[0] ? "; hmac-sha256 " : "", hmac);
    } else {
        snprintf(d->reason, sizeof d->reason, "%s", why);
        d->key = (ap_bytes_t){r->key, keylen};
        d->payload = (ap_bytes_t){r->payload, r->payload ? r->len : 0};
        if (d->payload.len > AP_MAX_RECORD_BYTES) d->payload.len = AP_MAX_RECORD_BYTES; /* rejected as TOO_LONG before */
        if (d->key.len > AP_MAX_RECORD_BYTES) d->key.len = AP_MAX_RECORD_BYTES;
    }
    ap_buf_reset(&p->out);
    ap_events_encode(&ev, &p->out);
    /* Logged without the record's content: it may hold personal data. */
    ap_log_warn("dead letter", "topic=%s partition=%" PRId32 " offset=%" PRId64 " reason=%d detail=\"%s\"", r->topic,
                r->partition, r->offset, reason, why);
    p->stats.dead_letters++;
    if (reason >= 0 && reason < AP_METRICS_DL_REASONS) p->stats.dead_letters_by_reason[reason]++;
    return produce(p, p->cfg.dead_letter_topic, key, keylen, &ev);
}

static int dead_letter(ap_processor_t *p, const ap_record_t *r, int reason, const char *why) {
    return dead_letter_as(p, r, reason, why, 0);
}

/* Does the record's Kafka key look like a CPR number? (A publisher keying by
 * CPR number puts it in every copy of the record, the dead letter's too.) */
static int key_looks_like_cpr(const ap_record_t *r) {
    char key[AP_TEXT_CAP];
    if (!r->key || r->keylen == 0) return 0;
    size_t n = r->keylen < sizeof key - 1 ? r->keylen : sizeof key - 1;
    memcpy(key, r->key, n);
    key[n] = '\0';
    return ap_events_looks_like_cpr(key);
}

/* --------------------------------------------------------------- the clock */

static ap_partition_clock_t *clock_of(ap_processor_t *p, int32_t partition) {
    for (size_t i = 0; i < p->n_clocks; i++)
        if (p->clocks[i].partition == partition) return &p->clocks[i].clock;
    if (p->n_clocks == MAX_CLOCKS) { fail(p, "%s", "too many partitions in one batch"); return NULL; }
    clock_slot_t *s = &p->clocks[p->n_clocks];
    if (ap_store_clock_get(p->store, partition, &s->clock)) { fail(p, "%s", ap_store_error(p->store)); return NULL; }
    s->partition = partition;
    s->dirty = 0;
    p->n_clocks++;
    return &s->clock;
}

static void mark_dirty(ap_processor_t *p, const ap_partition_clock_t *c) {
    for (size_t i = 0; i < p->n_clocks; i++)
        if (&p->clocks[i].clock == c) p->clocks[i].dirty = 1;
}

/* The partition's watermark: the smallest last tick over the input topics. */
static int64_t watermark(const ap_partition_clock_t *c) {
    int64_t wm = INT64_MAX;
    for (int k = 0; k < AP_TOPIC_KINDS; k++) {
        if (c->tick[k] <= 0) return 0;
        if (c->tick[k] < wm) wm = c->tick[k];
    }
    return wm;
}

size_t ap_processor_watermarks(const ap_processor_t *p, int32_t *partitions, int64_t *watermarks, size_t max) {
    size_t n = 0;
    for (; n < p->n_marks && n < max; n++) {
        partitions[n] = p->marks[n].partition;
        watermarks[n] = p->marks[n].watermark;
    }
    return n;
}

/* After a committed cycle: remembers its partitions' watermarks. */
static void keep_watermarks(ap_processor_t *p) {
    for (size_t i = 0; i < p->n_clocks; i++) {
        size_t k = 0;
        while (k < p->n_marks && p->marks[k].partition != p->clocks[i].partition) k++;
        if (k == p->n_marks) {
            p->marks = room_for(p->marks, p->n_marks, &p->cap_marks, sizeof *p->marks);
            p->marks[p->n_marks++].partition = p->clocks[i].partition;
        }
        p->marks[k].watermark = watermark(&p->clocks[i].clock);
    }
}

/* Weeks an input event can change, as Mondays [*from, *to]. */
/* ------------------------------------------------------------- evaluation */

/* Room for element n of a growable array (capacity doubles); returns the array. */
static void *room_for(void *arr, size_t n, size_t *cap, size_t size) {
    if (n < *cap) return arr;
    *cap = *cap ? *cap * 2 : 64;
    arr = realloc(arr, *cap * size);
    if (!arr) abort(); /* allocation failure is fatal, see buf.h */
    return arr;
}

static void add_work(ap_processor_t *p, const char *citizen, int32_t monday, int64_t closed_at, int32_t close) {
    p->work = room_for(p->work, p->n_work, &p->cap_work, sizeof *p->work);
    work_t *w = &p->work[p->n_work++];
    snprintf(w->citizen, sizeof w->citizen, "%s", citizen);
    w->monday = monday;
    w->close = close;
    w->closed_at = closed_at;
}

static void add_pending(ap_processor_t *p, const char *citizen, int32_t monday, ap_result_record_t rec) {
    p->pending = room_for(p->pending, p->n_pending, &p->cap_pending, sizeof *p->pending);
    pending_t *x = &p->pending[p->n_pending++];
    snprintf(x->citizen, sizeof x->citizen, "%s", citizen);
    x->monday = monday;
    x->rec = rec;
}

/* Digest of what an evaluation says (result and findings), without the
 * fields that only name the emission. */
static uint64_t eval_digest(ap_processor_t *p, const ap_week_eval_t *e) {
    ap_event_t ev;
    ev.type = AP_EV_RESULT;
    ev.u.result = e->result;
    ev.u.result.event_id[0] = '\0';
    ev.u.result.revision = 0;
    ev.u.result.final = false;
    ev.u.result.closed_at = 0;
    /* The build that wrote it is not what it says: a new build re-evaluating
     * a week with the same figures emits no revision. */
    ev.u.result.engine_version[0] = '\0';
    ap_buf_reset(&p->out);
    ap_events_encode(&ev, &p->out);
    ev.type = AP_EV_ALERT;
    for (size_t k = 0; k < e->n_alerts; k++) {
        ev.u.alert = e->alerts[k];
        ev.u.alert.event_id[0] = '\0';
        ev.u.alert.revision = 0;
        ev.u.alert.engine_version[0] = '\0';
        ap_events_encode(&ev, &p->out);
    }
    return ap_schema_crc64(p->out.data, p->out.len);
}

static int overlaps(int32_t from, int32_t to, int32_t lo, int32_t hi) {
    return from <= hi && (to == AP_NO_DATE || to >= lo);
}

static int cmp_ref(const void *a, const void *b) {
    const ap_input_ref_t *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    if (c) return c;
    if (x->partition != y->partition) return x->partition < y->partition ? -1 : 1;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

/* The inputs behind one week's result (see processor.h), sorted, into p->lineage. */
static uint32_t collect_lineage(ap_input_ref_t *lineage, const ap_week_input_t *in, const ap_week_sources_t *src) {
    int32_t lo = in->week_start, hi = in->week_start + 13; /* this week and the next */
    uint32_t n = 0;
    for (size_t k = 0; k < in->n_coverage; k++)
        if (overlaps(in->coverage[k].from_date, in->coverage[k].to_date, lo, hi)) lineage[n++] = src->coverage[k];
    for (size_t k = 0; k < in->n_placements; k++)
        if (overlaps(in->placements[k].start_date, in->placements[k].end_date, lo, hi))
            lineage[n++] = src->placements[k];
    for (size_t k = 0; k < in->n_exemptions; k++)
        if (overlaps(in->exemptions[k].from_date, in->exemptions[k].to_date, lo, hi))
            lineage[n++] = src->exemptions[k];
    for (size_t k = 0; k < in->n_reductions; k++)
        if (overlaps(in->reductions[k].valid_from, in->reductions[k].valid_to, lo, hi))
            lineage[n++] = src->reductions[k];
    for (size_t k = 0; k < in->n_hours; k++) lineage[n++] = src->hours[k];
    /* Insertion sort: a week has a few dozen inputs, mostly in order
     * already; qsort's per-call cost showed in the offline profile. */
    for (uint32_t i = 1; i < n; i++) {
        if (cmp_ref(&lineage[i - 1], &lineage[i]) <= 0) continue;
        ap_input_ref_t x = lineage[i];
        uint32_t j = i;
        for (; j > 0 && cmp_ref(&lineage[j - 1], &x) > 0; j--) lineage[j] = lineage[j - 1];
        lineage[j] = x;
    }
    return n;
}

static int on_week(void *ctx, size_t i, const ap_week_input_t *in, const ap_week_sources_t *src) {
    ap_processor_t *p = ctx;
    if (p->cfg.heartbeat_ms && (i & 255) == 255) atomic_store(p->cfg.heartbeat_ms, (int64_t)(now_us() / 1000));
    ap_week_eval_t eval;
    if (ap_rules_evaluate(in, &eval)) {
        /* The store bounds entities on apply, so this means a corrupt store. */
        ap_log_error("citizen state over the engine's bounds; week not evaluated", "week_start=%d", (int)in->week_start);
        return 0;
    }
    /* Lineage is part of what a result says: a replaced input is a revision. */
    eval.result.inputs = (ap_array_view_t){p->lineage, collect_lineage(p->lineage, in, src), {NULL, 0}};
    const ap_result_record_t *old = &p->records[i];
    ap_result_t *r = &eval.result;
    uint64_t digest = eval_digest(p, &eval);
    /* Emit a first result unless the week neither was covered nor raised a
     * finding; emit a revision only when what it says has changed. */
    if (old->revision == 0 ? (r->status == AP_STATUS_NOT_COVERED && eval.n_alerts == 0) : old->digest == digest)
        return 0;
    r->revision = old->revision + 1;
    r->final = true;
    r->closed_at = p->work[i].closed_at;
    snprintf(r->engine_version, sizeof r->engine_version, "%s", ap_events_engine_version());
    char name[AP_ID_CAP + 64];
    snprintf(name, sizeof name, "result|%s|%d|%d", in->citizen_id, (int)in->week_start, (int)r->revision);
    ap_uuid_derive(name, r->event_id);
    ap_event_t ev;
    ev.type = AP_EV_RESULT;
    ev.u.result = *r;
    ap_buf_reset(&p->out);
    ap_events_encode(&ev, &p->out);
    size_t keylen = strlen(in->citizen_id);
    if (produce(p, p->cfg.compliance_topic, in->citizen_id, keylen, &ev)) return 1;
    if (produce_copies(p, p->cfg.compliance_json_topic, p->cfg.latest_topic, in->citizen_id, keylen, &ev)) return 1;
    p->stats.results++;
    if (p->work[i].close >= 0) p->closes[p->work[i].close].results++;
    for (size_t k = 0; k < eval.n_alerts; k++) {
        ap_alert_t *a = &eval.alerts[k];
        a->revision = r->revision;
        snprintf(a->engine_version, sizeof a->engine_version, "%s", ap_events_engine_version());
        /* Alerts come in a fixed order, so their position names them. */
        snprintf(name, sizeof name, "alert|%s|%d|%d|%zu|%d", in->citizen_id, (int)in->week_start, (int)r->revision, k,
                 (int)a->code);
        ap_uuid_derive(name, a->event_id);
        ev.type = AP_EV_ALERT;
        ev.u.alert = *a;
        ap_buf_reset(&p->out);
        ap_events_encode(&ev, &p->out);
        if (produce(p, p->cfg.alerts_topic, in->citizen_id, keylen, &ev)) return 1;
        if (produce_copies(p, p->cfg.alerts_json_topic, "", in->citizen_id, keylen, &ev)) return 1;
        p->stats.alerts++;
    }
    add_pending(p, in->citizen_id, in->week_start, (ap_result_record_t){r->revision, digest});
    return 0;
}

static int cmp_work(const void *a, const void *b) {
    const work_t *x = a, *y = b;
    int c = strcmp(x->citizen, y->citizen);
    return c ? c : (x->monday > y->monday) - (x->monday < y->monday);
}

/* Evaluates every (citizen, week) in the work list and emits what changed. */
static int evaluate_work(ap_processor_t *p) {
    if (!p->n_work) return 0;
    qsort(p->work, p->n_work, sizeof *p->work, cmp_work);
    size_t n = 0;
    for (size_t i = 0; i < p->n_work; i++) /* drop duplicates */
        if (n == 0 || cmp_work(&p->work[n - 1], &p->work[i]) != 0) p->work[n++] = p->work[i];
    const char **citizens = xcalloc(n, sizeof *citizens);
    int32_t *mondays = xcalloc(n, sizeof *mondays);
    p->records = xcalloc(n, sizeof *p->records);
    for (size_t i = 0; i < n; i++) { citizens[i] = p->work[i].citizen; mondays[i] = p->work[i].monday; }
    int rc = -1;
    if (ap_store_results_get(p->store, citizens, mondays, n, p->records) ||
        ap_store_load_weeks(p->store, citizens, mondays, n, p->scratch, on_week, p)) {
        if (!p->failed) fail(p, "%s", ap_store_error(p->store));
        goto cleanup;
    }
    rc = p->failed ? -1 : 0;
cleanup:
    free(citizens);
    free(mondays);
    free(p->records);
    p->records = NULL;
    p->n_work = 0;
    return rc;
}

/* ------------------------------------------------------------ monitoring */

static void add_month_work(ap_processor_t *p, int32_t partition, int32_t month, int64_t closed_at) {
    p->mwork = room_for(p->mwork, p->n_mwork, &p->cap_mwork, sizeof *p->mwork);
    p->mwork[p->n_mwork++] = (month_work_t){partition, month, closed_at};
}

/* Months close with the week holding their last day (so every day of them
 * and every week whose Thursday is in them are behind the close), from
 * monitoring_first_month on: each becomes month work once. */
static void close_months(ap_processor_t *p, ap_partition_clock_t *c, int32_t partition, int32_t closed_monday,
                         int64_t wm) {
    if (!p->cfg.monitoring_topic[0]) return;
    int32_t m = c->closed_month ? ap_monitoring_next_month(c->closed_month) : p->cfg.monitoring_first_month;
    if (m < p->cfg.monitoring_first_month) m = p->cfg.monitoring_first_month;
    while (ap_monitoring_close_monday(m / 100, m % 100) <= closed_monday) {
        add_month_work(p, partition, m, wm);
        c->closed_month = m;
        mark_dirty(p, c);
        m = ap_monitoring_next_month(m);
    }
}

static mon_cell_t *cell_of(ap_processor_t *p, const char *muni) {
    for (size_t i = 0; i < p->n_cells; i++)
        if (strcmp(p->cells[i].municipality_code, muni) == 0) return &p->cells[i];
    p->cells = room_for(p->cells, p->n_cells, &p->cap_cells, sizeof *p->cells);
    mon_cell_t *x = &p->cells[p->n_cells++];
    memset(x, 0, sizeof *x);
    snprintf(x->municipality_code, sizeof x->municipality_code, "%s", muni);
    return x;
}

/* One citizen-week of the month being evaluated; the citizen's last week
 * completes their month, which is added to their municipality's sums. */
static int on_month_week(void *ctx, size_t i, const ap_week_input_t *in, const ap_week_sources_t *src) {
    (void)src;
    ap_processor_t *p = ctx;
    if (p->cfg.heartbeat_ms && (i & 255) == 255) atomic_store(p->cfg.heartbeat_ms, (int64_t)(now_us() / 1000));
    size_t k = i % p->mon_weeks;
    if (k == 0) p->mon_skip = 0;
    if (in->week_start != p->mon_monday0 + 7 * (int32_t)k) {
        fail(p, "%s", "monitoring: the store gave weeks out of order");
        return 1;
    }
    if (ap_rules_evaluate(in, &p->mevals[k])) p->mon_skip = 1; /* a corrupt store; logged below */
    if (k + 1 < p->mon_weeks) return 0;
    if (p->mon_skip) {
        ap_log_error("citizen state over the engine's bounds; not counted in the month", "month=%04d-%02d",
                     p->mon_year, p->mon_month);
        return 0;
    }
    /* Sanctions count by their current version's decision date, unless cancelled. */
    int32_t dates[AP_MAX_ENTITIES];
    size_t nd = 0;
    for (size_t j = 0; j < in->n_sanctions && nd < AP_MAX_ENTITIES; j++)
        if (in->sanctions[j].action != AP_SANCTION_CANCELLED) dates[nd++] = in->sanctions[j].decision_date;
    ap_mon_citizen_t cm = {p->mon_year, p->mon_month, in->coverage, in->n_coverage, dates, nd, p->mevals, p->mon_weeks};
    ap_mon_contribution_t contribution;
    if (ap_monitoring_citizen_month(&cm, &contribution)) {
        fail(p, "%s", "monitoring: the weeks do not cover the month");
        return 1;
    }
    if (!contribution.counted) return 0;
    ap_monitoring_add(&cell_of(p, contribution.municipality_code)->sums, &contribution);
    return 0;
}

static int cmp_cell(const void *a, const void *b) {
    return strcmp(((const mon_cell_t *)a)->municipality_code, ((const mon_cell_t *)b)->municipality_code);
}

static const ap_result_record_t *stored_month(const ap_store_month_result_t *list, size_t n, const char *muni) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].municipality_code, muni) == 0) return &list[i].rec;
    return NULL;
}

/* Emits one partial (muni "" : the lane record, stored as "*") if what it
 * says differs from its last revision; *revision is its current one. */
static int emit_partial(ap_processor_t *p, const month_work_t *mw, const char *muni, const ap_mon_sums_t *sums,
                        const ap_store_month_result_t *stored, size_t n_stored, size_t n_manifest, int32_t *revision) {
    int year = mw->month / 100, month = mw->month % 100;
    ap_event_t ev;
    ap_events_clear(&ev, AP_EV_MONITORING);
    ap_monitoring_t *r = &ev.u.monitoring;
    snprintf(r->municipality_code, sizeof r->municipality_code, "%s", muni);
    r->year = year;
    r->month = month;
    r->partition = mw->partition;
    r->partition_count = p->cfg.partitions[AP_TOPIC_PLACEMENT];
    snprintf(r->monitoring_version, sizeof r->monitoring_version, "%s", AP_MONITORING_VERSION);
    const ap_rule_version_t *v = ap_monitoring_rule_version(year, month);
    snprintf(r->rule_version, sizeof r->rule_version, "%s", v ? v->name : "NONE");
    r->implementation_period = v && v->implementation_period;
    if (ap_monitoring_sums_to_record(sums, r)) return fail(p, "%s", "monitoring: a count exceeds the record's int");
    if (!muni[0]) r->manifest = (ap_array_view_t){p->manifest, (uint32_t)n_manifest, {NULL, 0}};
    /* The digest covers what the partial says, not the fields naming its emission. */
    ap_buf_reset(&p->out);
    ap_events_encode(&ev, &p->out);
    uint64_t digest = ap_schema_crc64(p->out.data, p->out.len);
    const char *code = muni[0] ? muni : "*";
    const ap_result_record_t *old = stored_month(stored, n_stored, code);
    *revision = old ? old->revision : 0;
    if (old && old->digest == digest) return 0;
    r->revision = ++*revision;
    r->closed_at = mw->closed_at;
    snprintf(r->engine_version, sizeof r->engine_version, "%s", ap_events_engine_version());
    char key[48], name[80];
    int keylen = snprintf(key, sizeof key, "%s|%04d-%02d|%" PRId32, code, year, month, mw->partition);
    snprintf(name, sizeof name, "monitoring|%s|%d", key, (int)r->revision);
    ap_uuid_derive(name, r->event_id);
    ap_buf_reset(&p->out);
    ap_events_encode(&ev, &p->out);
    if (produce(p, p->cfg.monitoring_topic, key, (size_t)keylen, &ev)) return -1;
    p->stats.monitoring_records++;
    p->mpending = room_for(p->mpending, p->n_mpending, &p->cap_mpending, sizeof *p->mpending);
    ap_store_month_result_t *x = &p->mpending[p->n_mpending++];
    *x = (ap_store_month_result_t){mw->partition, mw->month, "", {r->revision, digest}};
    snprintf(x->municipality_code, sizeof x->municipality_code, "%s", code);
    return 0;
}

/* The partials of one evaluated month: each municipality's (sorted by
 * code; one that had a partial and now counts nobody gets a revision of
 * zeros, never a deletion, so sums over lanes stay right), then the lane
 * record with the manifest of them all. */
static int emit_month(ap_processor_t *p, const month_work_t *mw) {
    ap_store_month_result_t *stored;
    size_t n_stored;
    if (ap_store_month_results_get(p->store, mw->partition, mw->month, &stored, &n_stored))
        return fail(p, "%s", ap_store_error(p->store));
    for (size_t i = 0; i < n_stored; i++)
        if (strcmp(stored[i].municipality_code, "*") != 0) cell_of(p, stored[i].municipality_code);
    if (p->n_cells) qsort(p->cells, p->n_cells, sizeof *p->cells, cmp_cell); /* cells is NULL until a lane counts someone */
    int rc = 0;
    size_t n_manifest = 0;
    ap_mon_sums_t lane = {0}; /* the lane record: its municipalities' sums */
    for (size_t i = 0; i < p->n_cells && !rc; i++) {
        ap_monitoring_sums_add(&lane, &p->cells[i].sums);
        if (n_manifest == AP_MON_MAX_MANIFEST) { rc = fail(p, "%s", "monitoring: more municipalities than codes"); break; }
        int32_t revision;
        rc = emit_partial(p, mw, p->cells[i].municipality_code, &p->cells[i].sums, stored, n_stored, 0, &revision);
        ap_mon_manifest_entry_t *e = &p->manifest[n_manifest++];
        snprintf(e->municipality_code, sizeof e->municipality_code, "%s", p->cells[i].municipality_code);
        e->revision = revision;
    }
    int32_t lane_revision;
    if (!rc) rc = emit_partial(p, mw, "", &lane, stored, n_stored, n_manifest, &lane_revision);
    free(stored);
    return rc;
}

static int cmp_month_work(const void *a, const void *b) {
    const month_work_t *x = a, *y = b;
    if (x->partition != y->partition) return x->partition < y->partition ? -1 : 1;
    return (x->month > y->month) - (x->month < y->month);
}

/* Evaluates every month of the work list for every citizen of its
 * partition, from the store as the cycle left it, and emits what changed. */
static int evaluate_months(ap_processor_t *p) {
    if (!p->n_mwork) return 0;
    qsort(p->mwork, p->n_mwork, sizeof *p->mwork, cmp_month_work);
    size_t n = 0;
    for (size_t i = 0; i < p->n_mwork; i++) /* drop duplicates */
        if (n == 0 || cmp_month_work(&p->mwork[n - 1], &p->mwork[i]) != 0) p->mwork[n++] = p->mwork[i];
    int rc = 0;
    for (size_t w = 0; w < n && !rc; w++) {
        const month_work_t *mw = &p->mwork[w];
        uint64_t t0 = now_us(), before = p->stats.monitoring_records;
        p->mon_year = mw->month / 100;
        p->mon_month = mw->month % 100;
        p->mon_monday0 = ap_cal_week_start(ap_cal_days_from_civil(p->mon_year, p->mon_month, 1));
        p->mon_weeks = (size_t)((ap_monitoring_close_monday(p->mon_year, p->mon_month) - p->mon_monday0) / 7 + 1);
        p->n_cells = 0;
        char **citizens;
        size_t nc;
        if (ap_store_citizens(p->store, mw->partition, &citizens, &nc)) return fail(p, "%s", ap_store_error(p->store));
        size_t nw = nc * p->mon_weeks;
        const char **cit = xcalloc(nw, sizeof *cit);
        int32_t *mondays = xcalloc(nw, sizeof *mondays);
        for (size_t i = 0; i < nw; i++) {
            cit[i] = citizens[i / p->mon_weeks];
            mondays[i] = p->mon_monday0 + 7 * (int32_t)(i % p->mon_weeks);
        }
        if (nw && ap_store_load_weeks(p->store, cit, mondays, nw, p->scratch, on_month_week, p)) {
            if (!p->failed) fail(p, "%s", ap_store_error(p->store));
            rc = -1;
        }
        if (!rc && p->failed) rc = -1;
        if (!rc) rc = emit_month(p, mw);
        free(cit);
        free(mondays);
        ap_store_free_list(citizens, nc);
        p->stats.months_evaluated++;
        if (!rc)
            ap_log_info("month evaluated", "partition=%" PRId32 " month=%04d-%02d citizens=%zu records=%" PRIu64
                        " ms=%.1f",
                        mw->partition, p->mon_year, p->mon_month, nc, p->stats.monitoring_records - before,
                        (double)(now_us() - t0) / 1000);
    }
    p->n_mwork = 0;
    return rc;
}

/* Takes a tick: the partition's dirty closed weeks and every week the
 * watermark has now passed become work, evaluated at the cycle's end. */
static int on_tick(ap_processor_t *p, int kind, int32_t partition, const ap_tick_t *tick) {
    ap_partition_clock_t *c = clock_of(p, partition);
    if (!c) return -1;
    if (tick->occurred_at > c->tick[kind]) { c->tick[kind] = tick->occurred_at; mark_dirty(p, c); }
    p->stats.ticks++;
    int64_t wm = watermark(c);
    /* Closed weeks changed since their last evaluation get their revision
     * now, at the tick: every topic of the lane has reached this point, so
     * what they are evaluated against does not depend on fetch timing. */
    char **dirty;
    int32_t *dirty_mondays;
    size_t n_dirty;
    if (ap_store_dirty(p->store, partition, &dirty, &dirty_mondays, &n_dirty)) return fail(p, "%s", ap_store_error(p->store));
    for (size_t i = 0; i < n_dirty; i++) {
        add_work(p, dirty[i], dirty_mondays[i], wm ? wm : tick->occurred_at, -1);
        /* A closed month the changed week lies in is evaluated again. */
        int32_t months[2];
        int nm = p->cfg.monitoring_topic[0] ? ap_monitoring_months_of_week(dirty_mondays[i], months) : 0;
        for (int k = 0; k < nm; k++)
            if (c->closed_month && months[k] <= c->closed_month && months[k] >= p->cfg.monitoring_first_month)
                add_month_work(p, partition, months[k], wm ? wm : tick->occurred_at);
        p->evaluated = room_for(p->evaluated, p->n_evaluated, &p->cap_evaluated, sizeof *p->evaluated);
        struct evaluated *e = &p->evaluated[p->n_evaluated++];
        snprintf(e->citizen, sizeof e->citizen, "%s", dirty[i]);
        e->monday = dirty_mondays[i];
        e->partition = partition;
    }
    ap_store_free_list(dirty, n_dirty);
    free(dirty_mondays);
    if (!wm) return 0;
    /* Week W has ended once local time reaches W + 7 days + grace. */
    int32_t last = ap_cal_week_start(ap_cal_cph_day(wm) - p->cfg.grace_days) - 7;
    /* Months close on every lane, also one without events (its record
     * says so, and readers need not wait for it). */
    close_months(p, c, partition, last, wm);
    if (c->first_monday == AP_NO_DATE) return 0;
    int32_t from = c->closed_monday != AP_NO_DATE ? c->closed_monday + 7 : c->first_monday;
    if (from < FIRST_RULE_MONDAY) from = FIRST_RULE_MONDAY;
    if (last < from) return 0;
    char **citizens;
    size_t n;
    if (ap_store_citizens(p->store, partition, &citizens, &n)) return fail(p, "%s", ap_store_error(p->store));
    for (int32_t w = from; w <= last; w += 7) {
        p->closes = room_for(p->closes, p->n_closes, &p->cap_closes, sizeof *p->closes);
        p->closes[p->n_closes] = (close_note_t){partition, w, n, 0};
        for (size_t i = 0; i < n; i++) add_work(p, citizens[i], w, wm, (int32_t)p->n_closes);
        p->n_closes++;
        p->stats.weeks_closed++;
    }
    ap_store_free_list(citizens, n);
    c->closed_monday = last;
    mark_dirty(p, c);
    return 0;
}

/* ------------------------------------------------------------------ cycle */

static int topic_kind(const ap_processor_t *p, const char *topic) {
    for (int k = 0; k < AP_TOPIC_KINDS; k++)
        if (strcmp(p->cfg.input_topics[k], topic) == 0) return k;
    return -1;
}

static int allowed_on(int kind, ap_event_type_t t) {
    if (t == AP_EV_TICK) return 1;
    switch (kind) {
    case AP_TOPIC_PLACEMENT: return t == AP_EV_PLACEMENT;
    case AP_TOPIC_HOURS: return t == AP_EV_HOURS;
    case AP_TOPIC_EXEMPTION:
        return t == AP_EV_EXEMPTION || t == AP_EV_REDUCTION || t == AP_EV_COVERAGE || t == AP_EV_SANCTION;
    default: return 0;
    }
}

/* Decodes and checks one record. Returns 1 if it is to be applied, 2 for a
 * tick, 0 if it went to the dead-letter topic, -1 on a produce failure. */
static int classify(ap_processor_t *p, const ap_record_t *r, ap_event_t *ev) {
    ap_codec_error_t err;
    char why[AP_TEXT_CAP];
    int kind = topic_kind(p, r->topic);
    if (!r->payload || r->len == 0) return dead_letter(p, r, AP_CODEC_TRUNCATED, "empty record") ? -1 : 0;
    if (r->len > AP_MAX_RECORD_BYTES) return dead_letter(p, r, AP_CODEC_TOO_LONG, "record larger than 64 KiB") ? -1 : 0;
    ap_codec_status_t st = ap_events_decode(r->payload, r->len, ev, &err);
    if (st != AP_CODEC_OK) return dead_letter(p, r, (int)st, err.msg) ? -1 : 0;
    /* Personal data first, whatever else is wrong with the record: its
     * bytes and key must not be copied into the dead-letter topic. */
    int invalid = ap_events_validate(ev, why, sizeof why);
    if (invalid == -2) return dead_letter_as(p, r, AP_DL_INVALID_EVENT, why, 1) ? -1 : 0;
    if (key_looks_like_cpr(r))
        return dead_letter_as(p, r, AP_DL_INVALID_EVENT, "record key looks like a CPR number", 1) ? -1 : 0;
    if (!allowed_on(kind, ev->type)) {
        snprintf(why, sizeof why, "%s does not belong on topic %s", ap_events_desc(ev->type)->name, r->topic);
        return dead_letter(p, r, AP_DL_WRONG_TOPIC, why) ? -1 : 0;
    }
    if (invalid) return dead_letter(p, r, AP_DL_INVALID_EVENT, why) ? -1 : 0;
    if (ev->type == AP_EV_TICK) return 2;
    /* The key must be the citizen id: co-partitioning depends on it. */
    if (!r->key || r->keylen != strlen(ev->u.h.citizen_id) || memcmp(r->key, ev->u.h.citizen_id, r->keylen) != 0)
        return dead_letter(p, r, AP_DL_INVALID_EVENT, "record key is not the event's citizen_id") ? -1 : 0;
    /* Co-partitioning: the citizen's state lives with partition murmur2(key)
     * mod count (README Co-partitioning). A record elsewhere (a producer with
     * librdkafka's default CRC32 partitioner, an explicit partition) would mix
     * two partitions' state and clocks, so it is never applied; it goes to the
     * dead-letter topic whole, from where `apctl redrive` re-publishes it to
     * the right partition. Ticks belong on every partition and are not
     * checked; a record without a key failed the check above. */
    int32_t count = p->cfg.partitions[kind];
    int32_t want = count > 0 ? ap_partition_for_key(r->key, r->keylen, count) : r->partition;
    if (want != r->partition) {
        snprintf(why, sizeof why, "key belongs on partition %" PRId32 " of %" PRId32 " (murmur2), not %" PRId32, want,
                 count, r->partition);
        return dead_letter(p, r, AP_DL_WRONG_PARTITION, why) ? -1 : 0;
    }
    return 1;
}

static void reset_cycle(ap_processor_t *p) {
    p->n_pending = 0;
    p->n_mpending = 0;
    p->n_mwork = 0;
    p->n_evaluated = 0;
    p->n_work = 0;
    p->n_closes = 0;
    p->n_clocks = 0;
    p->failed = 0;
    p->fenced = 0;
    p->err[0] = '\0';
}

/* Adds a partition's fence to fences[0..*n) unless listed or unfenced. */
static void add_fence(const ap_processor_t *p, ap_store_fence_t *fences, size_t *n, int32_t partition) {
    int64_t epoch = epoch_of(p, partition);
    for (size_t f = 0; f < *n; f++)
        if (fences[f].partition == partition) return;
    if (epoch) fences[(*n)++] = (ap_store_fence_t){partition, epoch};
}

/* Records the cycle in the store, atomically: emitted results, changed
 * clocks, and the position after the consumed records (sink-owned offsets). */
static int commit_cycle(ap_processor_t *p, const ap_record_t *records, size_t n) {
    ap_store_result_t *res = xcalloc(p->n_pending, sizeof *res);
    ap_store_clock_t clocks[MAX_CLOCKS];
    ap_store_position_t *pos = xcalloc(n, sizeof *pos);
    size_t n_clocks = 0, n_pos = 0;
    for (size_t k = 0; k < p->n_pending; k++)
        res[k] = (ap_store_result_t){p->pending[k].citizen, p->pending[k].monday, p->pending[k].rec};
    for (size_t k = 0; k < p->n_clocks; k++)
        if (p->clocks[k].dirty) clocks[n_clocks++] = (ap_store_clock_t){p->clocks[k].partition, p->clocks[k].clock};
    for (size_t i = 0; i < n; i++) {
        size_t k;
        for (k = 0; k < n_pos; k++)
            if (pos[k].partition == records[i].partition && strcmp(pos[k].topic, records[i].topic) == 0) break;
        if (k == n_pos) pos[n_pos++] = (ap_store_position_t){records[i].topic, records[i].partition, 0};
        if (records[i].offset + 1 > pos[k].next) pos[k].next = records[i].offset + 1;
    }
    ap_store_evaluated_t *ev = xcalloc(p->n_evaluated, sizeof *ev);
    for (size_t k = 0; k < p->n_evaluated; k++)
        ev[k] = (ap_store_evaluated_t){p->evaluated[k].citizen, p->evaluated[k].monday, p->evaluated[k].partition};
    /* Fence every partition the transaction writes. Every result, cleared
     * mark and partial comes from a tick consumed in this cycle, so the
     * positions and clocks name all of them; the others are added anyway. */
    ap_store_fence_t *fences = xcalloc(n_pos + n_clocks + p->n_evaluated + p->n_mpending, sizeof *fences);
    size_t n_fences = 0;
    for (size_t k = 0; k < n_pos; k++) add_fence(p, fences, &n_fences, pos[k].partition);
    for (size_t k = 0; k < n_clocks; k++) add_fence(p, fences, &n_fences, clocks[k].partition);
    for (size_t k = 0; k < p->n_evaluated; k++) add_fence(p, fences, &n_fences, ev[k].partition);
    for (size_t k = 0; k < p->n_mpending; k++) add_fence(p, fences, &n_fences, p->mpending[k].partition);
    ap_store_cycle_t cycle = {res, p->n_pending, clocks, n_clocks, pos, n_pos, ev, p->n_evaluated, p->mpending,
                              p->n_mpending, fences, n_fences};
    /* AP_STORE_FENCED: nothing was written, the cycle is dropped (the new
     * owner reads its records again from the stored positions). */
    int rc = ap_store_commit(p->store, &cycle);
    if (rc) fail_write(p, rc);
    free(fences);
    free(ev);
    free(res);
    free(pos);
    return rc;
}

/* Decodes and applies records [from, *next) up to and including the first
 * tick (returned in *tick, else NULL), deferring every record of a
 * partition in `stop` (p->deferred). Returns 0 or -1. */
static int apply_segment(ap_processor_t *p, const ap_record_t *records, size_t from, size_t n, size_t *next,
                         const int32_t *stop, size_t n_stop, const ap_record_t **tick) {
    size_t n_apply = 0, i;
    *tick = NULL;
    ap_buf_reset(&p->resolved);
    for (i = from; i < n; i++) {
        size_t k = 0;
        while (k < n_stop && stop[k] != records[i].partition) k++;
        if (k < n_stop) { p->deferred[i] = 1; continue; }
        int c = classify(p, &records[i], &p->events[i]);
        if (c < 0) return -1;
        if (c == 1) {
            p->apply[n_apply] = (ap_store_item_t){&p->events[i], {records[i].payload, records[i].len}, {1, 0},
                                                  records[i].topic, records[i].offset};
            p->resolved_span[n_apply].len = 0;
            if (!ap_events_is_current(records[i].payload, records[i].len)) {
                /* Written with an earlier or registered schema version and
                 * resolved: store it as the current schema writes it. */
                size_t at = p->resolved.len;
                ap_events_encode(&p->events[i], &p->resolved);
                p->resolved_span[n_apply] = (struct resolved_span){at, p->resolved.len - at};
            }
            p->apply_part[n_apply++] = records[i].partition;
        } else if (c == 2) {
            *tick = &records[i];
            i++;
            break;
        }
    }
    *next = i;
    /* The buffer has stopped growing: point the resolved items at their bytes. */
    for (size_t a = 0; a < n_apply; a++)
        if (p->resolved_span[a].len)
            p->apply[a].encoded = (ap_bytes_t){(const uint8_t *)p->resolved.data + p->resolved_span[a].at,
                                               p->resolved_span[a].len};

    /* The closed weeks each change touches (its new version's and the
     * replaced version's, which only the store knows) are marked dirty with
     * it, in the same atomic step, and re-evaluated at the partition's next
     * tick: so a week's last revision does not depend on when changes came. */
    for (size_t a = 0; a < n_apply; a++) {
        ap_partition_clock_t *c = clock_of(p, p->apply_part[a]);
        if (!c) return -1;
        int32_t wfrom, wto;
        ap_store_event_span(p->apply[a].event, &wfrom, &wto);
        p->apply_from[a] = wfrom;
        if (c->closed_monday != AP_NO_DATE) p->apply[a].dirty = (ap_store_dirty_t){FIRST_RULE_MONDAY, c->closed_monday};
    }
    /* Apply, partition by partition (the store registers citizens per partition). */
    for (size_t a = 0; a < n_apply;) {
        size_t b = a;
        while (b < n_apply && p->apply_part[b] == p->apply_part[a]) b++;
        const ap_partition_clock_t *c = clock_of(p, p->apply_part[a]);
        if (!c) return -1;
        int32_t generation = ap_store_generation(c->closed_monday, p->cfg.dedup_horizon_weeks);
        int rc = ap_store_apply_fenced(p->store, p->apply + a, b - a, p->apply_part[a], generation,
                                       epoch_of(p, p->apply_part[a]), p->outcomes + a);
        if (rc) return fail_write(p, rc);
        a = b;
    }
    for (size_t a = 0; a < n_apply; a++) {
        const ap_event_t *ev = p->apply[a].event;
        switch (p->outcomes[a]) {
        /* A duplicate changed nothing: its dirty marks, if any, were written
         * with the original in the same step, so nothing is lost here. */
        case AP_APPLY_DUPLICATE: p->stats.duplicates++; continue;
        case AP_APPLY_SUPERSEDED: p->stats.superseded++; continue;
        case AP_APPLY_LIMIT: {
            const ap_record_t *r = &records[ev - p->events];
            if (dead_letter(p, r, AP_DL_STATE_LIMIT, "citizen already has the maximum number of such records")) return -1;
            continue;
        }
        case AP_APPLY_CONFLICT: {
            /* Not a redelivery (those have the same bytes): the publisher
             * reused an id. The first content stands; this one is refused
             * visibly instead of dropped as a repeat. */
            const ap_record_t *r = &records[ev - p->events];
            if (dead_letter(p, r, AP_DL_ID_CONFLICT, "event_id was applied before with different content")) return -1;
            continue;
        }
        default: p->stats.applied++; break;
        }
        ap_partition_clock_t *c = clock_of(p, p->apply_part[a]);
        if (!c) return -1;
        int32_t wfrom = p->apply_from[a];
        if (c->first_monday == AP_NO_DATE || wfrom < c->first_monday) { c->first_monday = wfrom; mark_dirty(p, c); }
    }
    return 0;
}

/* Moves the deferred records (and their tags) behind the taken ones, each
 * group in its order; returns how many were taken. */
static size_t put_deferred_last(ap_processor_t *p, ap_record_t *records, void **tags, size_t n) {
    size_t taken = 0, moved = 0;
    for (size_t i = 0; i < n; i++) {
        if (p->deferred[i]) {
            p->moved[moved] = records[i];
            if (tags) p->moved_tags[moved] = tags[i];
            moved++;
            continue;
        }
        records[taken] = records[i];
        if (tags) tags[taken] = tags[i];
        taken++;
    }
    memcpy(records + taken, p->moved, moved * sizeof *records);
    if (tags) memcpy(tags + taken, p->moved_tags, moved * sizeof *tags);
    return taken;
}

int ap_processor_process(ap_processor_t *p, ap_record_t *records, size_t n, size_t *consumed, void **tags, char *err,
                         size_t errlen) {
    reset_cycle(p);
    uint64_t t_apply = 0, t_evaluate = 0, t0, t1;
    if (n > AP_PROCESSOR_MAX_BATCH) n = AP_PROCESSOR_MAX_BATCH;
    memset(p->deferred, 0, n);
    /* A cycle goes on past a tick, so that the week closes of several
     * partitions share one acknowledgement wait and one transaction (each
     * close in its own cycle put ~20 ms between one partition's results
     * and the next). Once a partition's tick has evaluated something, its
     * later records wait for the next cycle: that evaluation's result
     * records and cleared dirty marks are written only at the end of the
     * cycle, and a later record or tick of the same partition must see them.
     * Partitions share no citizens, so the others go on (before, they
     * stopped too, and the ticks behind them waited a whole cycle). */
    int32_t evaluated_parts[MAX_CLOCKS];
    size_t n_evaluated_parts = 0, i = 0;
    while (i < n) {
        const ap_record_t *tick;
        t0 = now_us();
        if (apply_segment(p, records, i, n, &i, evaluated_parts, n_evaluated_parts, &tick)) goto failed;
        t1 = now_us();
        t_apply += t1 - t0;
        if (!tick) break;
        size_t evaluated_before = p->n_evaluated, months_before = p->n_mwork;
        uint64_t closed_before = p->stats.weeks_closed;
        if (on_tick(p, topic_kind(p, tick->topic), tick->partition, &p->events[tick - records].u.tick)) goto failed;
        t_evaluate += now_us() - t1;
        if ((p->n_evaluated != evaluated_before || p->stats.weeks_closed != closed_before ||
             p->n_mwork != months_before) &&
            n_evaluated_parts < MAX_CLOCKS)
            evaluated_parts[n_evaluated_parts++] = tick->partition;
        if (n_evaluated_parts == MAX_CLOCKS) break;
    }
    for (size_t k = i; k < n; k++) p->deferred[k] = 1; /* not reached */
    /* Everything the cycle's ticks made work is evaluated in one pass: the
     * closes of several partitions share the store's round trips and its
     * pipelines instead of taking turns. */
    t0 = now_us();
    if (evaluate_work(p) || evaluate_months(p)) goto failed;
    t1 = now_us();
    t_evaluate += t1 - t0;
    for (size_t k = 0; k < p->n_closes; k++) {
        char label[9];
        ap_cal_format_week(p->closes[k].monday, label);
        ap_log_info("week closed", "partition=%" PRId32 " week=%s citizens=%zu results=%" PRIu64 " ms=%.1f",
                    p->closes[k].partition, label, p->closes[k].citizens, p->closes[k].results,
                    (double)(t1 - t0) / 1000);
    }
    *consumed = put_deferred_last(p, records, tags, n);

    /* Outputs first, then state: a result is recorded as emitted only once
     * Kafka has acknowledged it, so a crash in between re-emits (same ids)
     * rather than losing it. */
    char why[256];
    t0 = now_us();
    if (p->output.flush(p->output.ctx, p->cfg.flush_timeout_ms, why, sizeof why)) {
        fail(p, "%s", why);
        goto failed;
    }
    t1 = now_us();
    if (commit_cycle(p, records, *consumed)) goto failed;
    keep_watermarks(p);
    p->stats.cycles++;
    uint64_t t_commit = now_us() - t1;
    p->stats.us_apply += t_apply;
    p->stats.us_evaluate += t_evaluate;
    p->stats.us_flush += t1 - t0;
    p->stats.us_commit += t_commit;
    ap_histogram_observe(&p->stats.stage[AP_STAGE_APPLY], t_apply);
    ap_histogram_observe(&p->stats.stage[AP_STAGE_EVALUATE], t_evaluate);
    ap_histogram_observe(&p->stats.stage[AP_STAGE_FLUSH], t1 - t0);
    ap_histogram_observe(&p->stats.stage[AP_STAGE_COMMIT], t_commit);
    return 0;

failed:
    snprintf(err, errlen, "%s", p->err[0] ? p->err : "processing failed");
    if (p->fenced) p->stats.fenced++;
    return p->fenced ? AP_PROCESSOR_FENCED : -1;
}

/* ------------------------------------------------------------ provisional */

typedef struct provisional {
    ap_week_eval_t *eval;
    ap_input_ref_t *lineage;
    int failed;
} provisional_t;

static int on_provisional_week(void *ctx, size_t i, const ap_week_input_t *in, const ap_week_sources_t *src) {
    (void)i;
    provisional_t *pv = ctx;
    if (ap_rules_evaluate(in, pv->eval)) { pv->failed = 1; return 1; }
    pv->eval->result.inputs = (ap_array_view_t){pv->lineage, collect_lineage(pv->lineage, in, src), {NULL, 0}};
    return 0;
}

int ap_processor_evaluate_now(ap_store_t *store, const char *citizen, int32_t monday, int64_t now_ms,
                              ap_week_eval_t *eval, ap_input_ref_t *lineage, char *err, size_t errlen) {
    ap_citizen_state_t *scratch = malloc(sizeof *scratch);
    if (!scratch) abort();
    provisional_t pv = {eval, lineage, 0};
    int rc = ap_store_load_weeks(store, &citizen, &monday, 1, scratch, on_provisional_week, &pv);
    free(scratch);
    if (rc) { snprintf(err, errlen, "%s", ap_store_error(store)); return -1; }
    if (pv.failed) { snprintf(err, errlen, "%s", "the citizen's state is over the engine's bounds"); return -1; }
    ap_result_record_t rec;
    if (ap_store_results_get(store, &citizen, &monday, 1, &rec)) {
        snprintf(err, errlen, "%s", ap_store_error(store));
        return -1;
    }
    /* Provisional: never emitted, so no revision of its own and not final;
     * `revision` says which emitted revision it would follow. */
    ap_result_t *r = &eval->result;
    r->revision = rec.revision;
    r->final = false;
    r->closed_at = now_ms;
    snprintf(r->engine_version, sizeof r->engine_version, "%s", ap_events_engine_version());
    char name[AP_ID_CAP + 64];
    snprintf(name, sizeof name, "provisional|%s|%d|%" PRId64, citizen, (int)monday, now_ms);
    ap_uuid_derive(name, r->event_id);
    for (size_t k = 0; k < eval->n_alerts; k++) {
        ap_alert_t *a = &eval->alerts[k];
        a->revision = rec.revision;
        snprintf(a->engine_version, sizeof a->engine_version, "%s", ap_events_engine_version());
        snprintf(name, sizeof name, "provisional-alert|%s|%d|%" PRId64 "|%zu", citizen, (int)monday, now_ms, k);
        ap_uuid_derive(name, a->event_id);
    }
    return 0;
}
