/*
 * test_revisions.c - property test: a result does not depend on when its
 * inputs arrived (issue 14, section 1).
 *
 * For many seeds, a stream is generated of a few citizens' coverage periods,
 * placements, exemptions, reductions and hours reports, each in one to three
 * versions that move its dates across weeks in both directions, shorten,
 * widen, end, cancel or retract it; the versions arrive late and out of
 * order, between daily StreamTicks. The stream is run twice through the
 * processor:
 *   live   the records in arrival order, ticks where they fall: weeks close
 *          while late changes are still to come, and are revised;
 *   final  the same records in the same order, every tick moved after the
 *          last event: each week is evaluated once, on the final state.
 * Property: for every citizen-week, the latest revision of the live run says
 * exactly what the final run says (the result and its alerts, byte for byte,
 * without the fields that only name an emission: event id, revision,
 * closed_at). A live revision saying NOT_COVERED without alerts equals no
 * result (it withdraws an earlier one).
 *
 * Built twice: test_revisions against the in-process store (label unit, 300
 * seeds), test_revisions_redis against the fixture's Redis (label
 * integration, 40 seeds). AP_REVISION_SEEDS=N and AP_REVISION_FIRST_SEED=K
 * run a longer or another range (README "Tests").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/events.h"
#include "arbejdspligt/processor.h"

#if AP_REVISIONS_REDIS
#include "arbejdspligt/store_redis.h"
#include "../support/redis_fixture.h"
#define DEFAULT_SEEDS 40
#else
#include "arbejdspligt/store_memory.h"
#define DEFAULT_SEEDS 300
#endif

#define DAY_MS 86400000LL
#define WEEKS 8           /* weeks the entities' dates fall in */
#define CITIZENS 4
#define PARTITIONS 2
#define MAX_EVENTS 512
#define MAX_RECORDS (MAX_EVENTS + 3 * PARTITIONS * 200)

/* ---------------------------------------------------------------- random */

static uint64_t rng;
static uint64_t next_u64(void) { /* splitmix64 */
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static int rnd(int n) { return (int)(next_u64() % (uint64_t)n); }
static int chance(int percent) { return rnd(100) < percent; }

/* ------------------------------------------------------------- the stream */

static const char *const topics[AP_TOPIC_KINDS] = {"t.placement", "t.hours", "t.exemption"};

typedef struct gen_event {
    ap_event_t ev;
    int topic;
    int32_t partition;
    int64_t arrives; /* stream time it is published */
} gen_event_t;

static gen_event_t events[MAX_EVENTS];
static size_t n_events;
static int32_t day0; /* Monday of the first week */
static int next_id;

static void header(ap_header_t *h, const char *citizen, int64_t recorded) {
    snprintf(h->event_id, AP_UUID_CAP, "00000000-0000-4000-8000-%012d", ++next_id);
    snprintf(h->citizen_id, AP_ID_CAP, "%s", citizen);
    strcpy(h->municipality_code, "101");
    h->occurred_at = recorded;
    h->recorded_at = recorded;
    strcpy(h->source_system, "prop");
}

/* A day in the stream's weeks, or a little before or after them. */
static int32_t some_day(void) { return day0 - 7 + rnd(7 * (WEEKS + 2)); }
static int32_t some_end(int32_t from) { return chance(15) ? AP_NO_DATE : from + rnd(7 * 5); }
/* Moves a date by up to three weeks either way. */
static int32_t moved(int32_t d) { return d + rnd(43) - 21; }

/* Adds a version published `late` ms after it was recorded. */
static gen_event_t *add_event(const ap_event_t *ev, int topic, int32_t partition, int64_t late) {
    assert_true(n_events < MAX_EVENTS);
    gen_event_t *g = &events[n_events++];
    g->ev = *ev;
    g->topic = topic;
    g->partition = partition;
    g->arrives = ev->u.h.recorded_at + late;
    return g;
}

/* How late a version is published: mostly within days, often weeks late. */
static int64_t lateness(void) {
    return chance(50) ? rnd(3) * DAY_MS + rnd(1000) : (int64_t)rnd(7 * 5) * DAY_MS + rnd(1000);
}

/* A version recorded some time after the previous one. */
static int64_t later(int64_t t) { return t + 1000 + (int64_t)rnd(10) * DAY_MS; }

static void gen_citizen(const char *cit, int32_t partition) {
    ap_event_t ev;
    int64_t t;
    char placements[4][AP_ID_CAP];
    int n_pl = 0;

    /* Coverage: one or two periods. */
    for (int k = 0, n = 1 + chance(30); k < n; k++) {
        ap_events_clear(&ev, AP_EV_COVERAGE);
        ap_coverage_t *c = &ev.u.coverage;
        t = ((int64_t)day0 - 7 + rnd(21)) * DAY_MS;
        header(&c->h, cit, t);
        snprintf(c->coverage_id, AP_ID_CAP, "cv-%d", k);
        c->action = AP_COVERAGE_STARTED;
        c->from_date = day0 - 7 + rnd(7 * (WEEKS / 2));
        c->to_date = chance(50) ? AP_NO_DATE : c->from_date + 7 + rnd(7 * WEEKS);
        c->benefit_type = rnd(7);
        add_event(&ev, AP_TOPIC_EXEMPTION, partition, lateness());
        for (int v = 1, nv = rnd(3); v <= nv; v++) { /* start or end corrected, or ended */
            header(&c->h, cit, t = later(t));
            c->action = chance(30) ? AP_COVERAGE_ENDED : AP_COVERAGE_CHANGED;
            if (chance(50)) c->from_date = moved(c->from_date);
            if (c->action == AP_COVERAGE_ENDED || chance(50))
                c->to_date = (c->to_date == AP_NO_DATE ? day0 + rnd(7 * WEEKS) : moved(c->to_date));
            if (c->to_date != AP_NO_DATE && c->to_date < c->from_date) c->to_date = c->from_date + rnd(10);
            if (chance(20)) c->benefit_type = rnd(7);
            add_event(&ev, AP_TOPIC_EXEMPTION, partition, lateness());
        }
    }

    /* Placements. */
    for (int k = 0, n = rnd(4); k < n; k++) {
        memset(&ev, 0, sizeof ev);
        ev.type = AP_EV_PLACEMENT;
        ap_placement_t *p = &ev.u.placement;
        t = ((int64_t)some_day() - 7) * DAY_MS;
        header(&p->h, cit, t);
        snprintf(p->placement_id, AP_ID_CAP, "pl-%d", k);
        snprintf(placements[n_pl++], AP_ID_CAP, "pl-%d", k);
        p->action = AP_PLACEMENT_REGISTERED;
        p->offer_type = rnd(AP_ACT_COUNT);
        p->job_type = chance(50) ? -1 : rnd(5);
        p->start_date = some_day();
        p->end_date = p->start_date + rnd(7 * 6);
        p->planned_minutes_per_week = 60 * (5 + rnd(33));
        p->benefit_type = rnd(7);
        add_event(&ev, AP_TOPIC_PLACEMENT, partition, lateness());
        for (int v = 1, nv = rnd(3); v <= nv; v++) {
            header(&p->h, cit, t = later(t));
            int what = rnd(4);
            p->action = what == 0 ? AP_PLACEMENT_CANCELLED : what == 1 ? AP_PLACEMENT_ENDED : AP_PLACEMENT_CHANGED;
            if (what != 1 && chance(60)) p->start_date = moved(p->start_date);
            if (chance(70)) p->end_date = moved(p->end_date); /* brought forward or extended */
            if (p->end_date < p->start_date) p->end_date = p->start_date + rnd(7);
            if (chance(30)) p->planned_minutes_per_week = 60 * (5 + rnd(33));
            if (chance(15)) p->offer_type = rnd(AP_ACT_COUNT);
            add_event(&ev, AP_TOPIC_PLACEMENT, partition, lateness());
        }
    }

    /* Exemptions, some tied to one placement. */
    for (int k = 0, n = chance(60) ? 1 + chance(30) : 0; k < n; k++) {
        ap_events_clear(&ev, AP_EV_EXEMPTION);
        ap_exemption_t *x = &ev.u.exemption;
        t = ((int64_t)some_day() - 3) * DAY_MS;
        header(&x->h, cit, t);
        snprintf(x->exemption_id, AP_ID_CAP, "ex-%d", k);
        x->action = AP_EXEMPTION_GRANTED;
        x->kind = rnd(10);
        x->from_date = some_day();
        x->to_date = some_end(x->from_date);
        if (x->kind == AP_EXEMPT_HEALTH && n_pl && chance(50)) strcpy(x->placement_id, placements[rnd(n_pl)]);
        add_event(&ev, AP_TOPIC_EXEMPTION, partition, lateness());
        for (int v = 1, nv = rnd(3); v <= nv; v++) {
            header(&x->h, cit, t = later(t));
            x->action = chance(40) ? AP_EXEMPTION_ENDED : AP_EXEMPTION_GRANTED;
            if (chance(50)) x->from_date = moved(x->from_date);
            x->to_date = x->to_date == AP_NO_DATE ? (chance(50) ? x->from_date + rnd(30) : AP_NO_DATE)
                                                  : moved(x->to_date);
            if (x->to_date != AP_NO_DATE && x->to_date < x->from_date) x->to_date = x->from_date;
            add_event(&ev, AP_TOPIC_EXEMPTION, partition, lateness());
        }
    }

    /* A reduction, assessed against a placement. */
    if (n_pl && chance(40)) {
        ap_events_clear(&ev, AP_EV_REDUCTION);
        ap_reduction_t *r = &ev.u.reduction;
        t = ((int64_t)some_day() - 3) * DAY_MS;
        header(&r->h, cit, t);
        strcpy(r->reduction_id, "rd-0");
        r->action = AP_REDUCTION_SET;
        r->reduced_minutes_per_week = 5 * (60 + rnd(380));
        r->valid_from = some_day();
        r->valid_to = some_end(r->valid_from);
        r->assessed_on = r->valid_from;
        r->n_assessed = 1;
        strcpy(r->assessed_placement_ids[0], placements[rnd(n_pl)]);
        strcpy(r->journal_ref, "j-rd-0"); /* the assessment's journal note (required) */
        add_event(&ev, AP_TOPIC_EXEMPTION, partition, lateness());
        for (int v = 1, nv = rnd(3); v <= nv; v++) {
            header(&r->h, cit, t = later(t));
            r->action = chance(40) ? AP_REDUCTION_ENDED : AP_REDUCTION_SET;
            if (chance(50)) r->valid_from = moved(r->valid_from);
            r->valid_to = r->valid_to == AP_NO_DATE ? r->valid_from + rnd(30) : moved(r->valid_to);
            if (r->valid_to < r->valid_from) r->valid_to = r->valid_from;
            r->assessed_on = r->valid_from;
            if (chance(30)) r->reduced_minutes_per_week = 5 * (60 + rnd(380));
            add_event(&ev, AP_TOPIC_EXEMPTION, partition, lateness());
        }
    }

    /* Hours reports, corrected to other days (and weeks) or retracted. */
    for (int k = 0, n = rnd(16); k < n; k++) {
        memset(&ev, 0, sizeof ev);
        ev.type = AP_EV_HOURS;
        ap_hours_t *h = &ev.u.hours;
        h->activity_date = day0 + rnd(7 * WEEKS);
        t = ((int64_t)h->activity_date + 1) * DAY_MS + rnd(1000);
        header(&h->h, cit, t);
        snprintf(h->report_id, AP_ID_CAP, "r-%d", k);
        h->action = AP_HOURS_REPORTED;
        h->activity_kind = rnd(AP_ACT_COUNT);
        h->minutes = 30 * rnd(17);
        if (n_pl && chance(60)) strcpy(h->placement_id, placements[rnd(n_pl)]);
        if ((h->activity_kind == AP_ACT_SOCIAL_SUNDHED || h->activity_kind == AP_ACT_TRANSPORT) && chance(70))
            strcpy(h->journal_ref, "j-1");
        add_event(&ev, AP_TOPIC_HOURS, partition, lateness());
        for (int v = 1, nv = rnd(3); v <= nv; v++) {
            int what = rnd(3);
            if (what == 0) {
                h->action = AP_HOURS_RETRACTED;
            } else {
                h->action = AP_HOURS_CORRECTED;
                if (what == 1) h->activity_date = moved(h->activity_date); /* often into another week */
                else h->minutes = 30 * rnd(17);
            }
            /* A report is recorded after the day it reports. */
            int64_t at = later(t), earliest = ((int64_t)h->activity_date + 1) * DAY_MS;
            header(&h->h, cit, t = at > earliest ? at : earliest + rnd(1000));
            add_event(&ev, AP_TOPIC_HOURS, partition, lateness());
        }
    }
}

/* The records of one run, with their encodings. */
typedef struct run_input {
    ap_record_t rec[MAX_RECORDS];
    ap_buf_t bytes[MAX_RECORDS];
    char keys[MAX_RECORDS][AP_ID_CAP];
    size_t n;
} run_input_t;

static run_input_t live_in, final_in;

static int cmp_arrival(const void *a, const void *b) {
    const gen_event_t *x = a, *y = b;
    if (x->arrives != y->arrives) return x->arrives < y->arrives ? -1 : 1;
    return strcmp(x->ev.u.h.event_id, y->ev.u.h.event_id);
}

static void put(run_input_t *in, const ap_event_t *ev, int topic, int32_t partition, int64_t offset, const char *key) {
    assert_true(in->n < MAX_RECORDS);
    size_t i = in->n++;
    ap_buf_reset(&in->bytes[i]);
    ap_events_encode(ev, &in->bytes[i]);
    snprintf(in->keys[i], AP_ID_CAP, "%s", key ? key : "");
    in->rec[i] = (ap_record_t){topics[topic], partition, offset, 0, key ? in->keys[i] : NULL, key ? strlen(key) : 0,
                               in->bytes[i].data, in->bytes[i].len};
}

static void put_ticks(run_input_t *in, int64_t at, int64_t offsets[PARTITIONS][AP_TOPIC_KINDS]) {
    for (int32_t p = 0; p < PARTITIONS; p++)
        for (int k = 0; k < AP_TOPIC_KINDS; k++) {
            ap_event_t t;
            memset(&t, 0, sizeof t);
            t.type = AP_EV_TICK;
            snprintf(t.u.tick.event_id, AP_UUID_CAP, "00000000-0000-4000-9000-%012d", ++next_id);
            t.u.tick.occurred_at = at;
            strcpy(t.u.tick.source_system, "prop");
            put(in, &t, k, p, offsets[p][k]++, NULL);
        }
}

/* Builds both runs' records from the generated events. */
static void build_runs(void) {
    qsort(events, n_events, sizeof *events, cmp_arrival);
    int64_t offsets[PARTITIONS][AP_TOPIC_KINDS] = {{0}};
    int64_t *event_offset = calloc(n_events, sizeof *event_offset);
    live_in.n = final_in.n = 0;
    /* Daily ticks, at 03:00 UTC, from the first week to well after the last. */
    int64_t tick = ((int64_t)day0 + 1) * DAY_MS + 3 * 3600000LL;
    int64_t last_tick = ((int64_t)day0 + 7 * WEEKS + 7 * 7) * DAY_MS;
    if (n_events && events[n_events - 1].arrives + DAY_MS > last_tick) last_tick = events[n_events - 1].arrives + DAY_MS;
    size_t e = 0;
    for (; tick <= last_tick; tick += DAY_MS) {
        for (; e < n_events && events[e].arrives < tick; e++) {
            gen_event_t *g = &events[e];
            event_offset[e] = offsets[g->partition][g->topic]++;
            put(&live_in, &g->ev, g->topic, g->partition, event_offset[e], g->ev.u.h.citizen_id);
        }
        put_ticks(&live_in, tick, offsets);
    }
    assert_int_equal(e, n_events); /* every event arrives before the last tick */
    /* Final: the same events with the same offsets, every tick after them. */
    for (size_t i = 0; i < n_events; i++)
        put(&final_in, &events[i].ev, events[i].topic, events[i].partition, event_offset[i],
            events[i].ev.u.h.citizen_id);
    for (size_t i = 0; i < live_in.n; i++)
        if (!live_in.rec[i].key) {
            ap_event_t t;
            ap_codec_error_t err;
            assert_int_equal(ap_events_decode(live_in.rec[i].payload, live_in.rec[i].len, &t, &err), AP_CODEC_OK);
            put(&final_in, &t, (int)(live_in.rec[i].topic == topics[0] ? 0 : live_in.rec[i].topic == topics[1] ? 1 : 2),
                live_in.rec[i].partition, live_in.rec[i].offset, NULL);
        }
    free(event_offset);
}

/* ------------------------------------------------------------ the outputs */

typedef struct emitted {
    ap_event_type_t type;
    char citizen[AP_ID_CAP];
    int32_t monday, revision;
    ap_buf_t normal; /* the record without event id, revision, closed_at */
    int32_t status;  /* results */
} emitted_t;

typedef struct outputs {
    emitted_t *items;
    size_t n, cap;
    int dead_letters;
} outputs_t;

static int keep(void *ctx, const char *topic, const void *key, size_t keylen, const void *value, size_t len,
                const ap_event_t *event, char *err, size_t errlen) {
    (void)key, (void)keylen, (void)err, (void)errlen;
    outputs_t *o = ctx;
    if (strcmp(topic, "t.dead-letter") == 0) { o->dead_letters++; return 0; }
    ap_event_t ev;
    ap_codec_error_t cerr;
    if (ap_events_decode(value, len, &ev, &cerr) != AP_CODEC_OK) return -1; /* decoded: views into value */
    (void)event;
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 256;
        o->items = realloc(o->items, o->cap * sizeof *o->items);
        if (!o->items) abort();
    }
    emitted_t *x = &o->items[o->n++];
    memset(x, 0, sizeof *x);
    x->type = ev.type;
    if (ev.type == AP_EV_RESULT) {
        snprintf(x->citizen, sizeof x->citizen, "%s", ev.u.result.citizen_id);
        x->monday = ev.u.result.week_start;
        x->revision = ev.u.result.revision;
        x->status = ev.u.result.status;
        ev.u.result.event_id[0] = '\0';
        ev.u.result.revision = 0;
        ev.u.result.closed_at = 0;
    } else if (ev.type == AP_EV_ALERT) {
        snprintf(x->citizen, sizeof x->citizen, "%s", ev.u.alert.citizen_id);
        x->monday = ev.u.alert.week_start;
        x->revision = ev.u.alert.revision;
        ev.u.alert.event_id[0] = '\0';
        ev.u.alert.revision = 0;
    } else {
        return -1;
    }
    ap_events_encode(&ev, &x->normal);
    return 0;
}

static int flushed(void *ctx, int timeout_ms, char *err, size_t errlen) {
    (void)ctx, (void)timeout_ms, (void)err, (void)errlen;
    return 0;
}

static void outputs_free(outputs_t *o) {
    for (size_t i = 0; i < o->n; i++) ap_buf_free(&o->items[i].normal);
    free(o->items);
    memset(o, 0, sizeof *o);
}

/* ---------------------------------------------------------------- running */

static ap_store_t *open_store(int seed, int run) {
#if AP_REVISIONS_REDIS
    static fixture_redis_t redis;
    if (!redis.port) assert_int_equal(fixture_redis(&redis), 0);
    char prefix[32], err[256];
    snprintf(prefix, sizeof prefix, "aprev%d-%d", seed, run);
    fixture_redis_drop(&redis, prefix);
    ap_store_t *s = fixture_store(&redis, prefix, 5000, err, sizeof err);
    if (!s) fail_msg("redis: %s", err);
    return s;
#else
    (void)seed, (void)run;
    return ap_store_memory_create();
#endif
}

static void close_store(ap_store_t *s, int seed, int run) {
    ap_store_destroy(s);
#if AP_REVISIONS_REDIS
    fixture_redis_t redis;
    char prefix[32];
    assert_int_equal(fixture_redis(&redis), 0);
    snprintf(prefix, sizeof prefix, "aprev%d-%d", seed, run);
    fixture_redis_drop(&redis, prefix);
#else
    (void)seed, (void)run;
#endif
}

/* Feeds the records in batches of random size, as the intake would. */
static void run(run_input_t *in, outputs_t *out, int seed, int which) {
    ap_store_t *store = open_store(seed, which);
    ap_processor_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    for (int k = 0; k < AP_TOPIC_KINDS; k++) snprintf(cfg.input_topics[k], AP_TOPIC_CAP, "%s", topics[k]);
    strcpy(cfg.compliance_topic, "t.compliance");
    strcpy(cfg.alerts_topic, "t.alerts");
    strcpy(cfg.dead_letter_topic, "t.dead-letter");
    cfg.grace_days = 2;
    ap_processor_t *proc = ap_processor_create(&cfg, store, (ap_output_t){keep, flushed, out});
    assert_non_null(proc);
    char err[256];
    for (size_t pos = 0; pos < in->n;) {
        size_t k = 1 + (size_t)rnd(chance(50) ? 8 : 300), consumed = 0;
        if (k > in->n - pos) k = in->n - pos;
        if (ap_processor_process(proc, in->rec + pos, k, &consumed, NULL, err, sizeof err))
            fail_msg("seed %d: process: %s", seed, err);
        assert_true(consumed > 0);
        pos += consumed;
    }
    ap_processor_destroy(proc);
    close_store(store, seed, which);
}

/* The latest result of (citizen, monday) in o, or NULL; its alerts follow it. */
static const emitted_t *latest(const outputs_t *o, const char *citizen, int32_t monday, size_t *at) {
    const emitted_t *best = NULL;
    for (size_t i = 0; i < o->n; i++) {
        const emitted_t *x = &o->items[i];
        if (x->type == AP_EV_RESULT && x->monday == monday && strcmp(x->citizen, citizen) == 0 &&
            (!best || x->revision > best->revision)) { best = x; *at = i; }
    }
    return best;
}

/* Appends the alerts emitted with result o->items[at] to buf. */
static size_t alerts_of(const outputs_t *o, size_t at, ap_buf_t *buf) {
    const emitted_t *r = &o->items[at];
    size_t n = 0;
    for (size_t i = at + 1; i < o->n && o->items[i].type == AP_EV_ALERT; i++) {
        assert_int_equal(o->items[i].revision, r->revision);
        ap_buf_append(buf, o->items[i].normal.data, o->items[i].normal.len);
        n++;
    }
    return n;
}

static void show(const char *what, const emitted_t *x) {
    ap_event_t ev;
    ap_codec_error_t err;
    ap_buf_t json = {0};
    if (x && ap_events_decode((const uint8_t *)x->normal.data, x->normal.len, &ev, &err) == AP_CODEC_OK) {
        ap_events_to_json(&ev, &json);
            fprintf(stderr, "  %s (revision %d): %s\n", what, x->revision, json.data);
    } else {
        fprintf(stderr, "  %s: none\n", what);
    }
    ap_buf_free(&json);
}

/* The property, for every citizen-week either run emitted a result for. */
static int compare(const outputs_t *live, const outputs_t *final, int seed) {
    int bad = 0;
    ap_buf_t a = {0}, b = {0};
    const outputs_t *runs[2] = {live, final};
    for (int r = 0; r < 2 && !bad; r++)
        for (size_t i = 0; i < runs[r]->n && !bad; i++) {
            const emitted_t *x = &runs[r]->items[i];
            if (x->type != AP_EV_RESULT) continue;
            size_t la = 0, fa = 0;
            const emitted_t *l = latest(live, x->citizen, x->monday, &la);
            const emitted_t *f = latest(final, x->citizen, x->monday, &fa);
            ap_buf_reset(&a);
            ap_buf_reset(&b);
            size_t nla = l ? alerts_of(live, la, &a) : 0, nfa = f ? alerts_of(final, fa, &b) : 0;
            if (f) assert_int_equal(f->revision, 1); /* final: each week evaluated once */
            /* A withdrawn result (not covered, nothing found) is no result. */
            if (l && !f && l->status == AP_STATUS_NOT_COVERED && nla == 0) continue;
            if (l && f && l->normal.len == f->normal.len && memcmp(l->normal.data, f->normal.data, l->normal.len) == 0 &&
                nla == nfa && a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0))
                continue;
            char week[9];
            ap_cal_format_week(x->monday, week);
            fprintf(stderr, "seed %d: %s week %s: the live run's latest revision differs from the final state's "
                            "(%zu / %zu alerts)\n", seed, x->citizen, week, nla, nfa);
            show("live", l);
            for (size_t k = la + 1; l && k < live->n && live->items[k].type == AP_EV_ALERT; k++) show(" alert", &live->items[k]);
            show("final", f);
            for (size_t k = fa + 1; f && k < final->n && final->items[k].type == AP_EV_ALERT; k++) show(" alert", &final->items[k]);
            bad = 1;
        }
    ap_buf_free(&a);
    ap_buf_free(&b);
    return bad;
}

static int env_int(const char *name, int dflt) {
    const char *v = getenv(name);
    return v && *v ? atoi(v) : dflt;
}

static void latest_revision_equals_final_state(void **state) {
    (void)state;
    ap_codec_error_t cerr;
    assert_int_equal(ap_events_init(&cerr), 0);
    day0 = ap_cal_days_from_civil(2026, 1, 5);
    int seeds = env_int("AP_REVISION_SEEDS", DEFAULT_SEEDS), first = env_int("AP_REVISION_FIRST_SEED", 1);
    int failed = 0;
    size_t revised = 0, results = 0;
    for (int seed = first; seed < first + seeds && failed < 3; seed++) {
        rng = (uint64_t)seed * 0x2545F4914F6CDD1DULL;
        n_events = 0;
        for (int c = 0; c < CITIZENS; c++) {
            char cit[AP_ID_CAP];
            snprintf(cit, sizeof cit, "c-%d-%d", seed, c);
            gen_citizen(cit, c % PARTITIONS);
        }
        build_runs();
        outputs_t live = {0}, final = {0};
        run(&live_in, &live, seed, 0);
        run(&final_in, &final, seed, 1);
        assert_int_equal(live.dead_letters, 0); /* the generator writes valid events only */
        assert_int_equal(final.dead_letters, 0);
        for (size_t i = 0; i < live.n; i++)
            if (live.items[i].type == AP_EV_RESULT) { results++; revised += live.items[i].revision > 1; }
        failed += compare(&live, &final, seed);
        outputs_free(&live);
        outputs_free(&final);
    }
    fprintf(stderr, "%d seeds from %d: %zu live results, %zu of them revisions\n", seeds, first, results, revised);
    /* The streams must exercise revisions, or the property says nothing. */
    assert_true(revised > (size_t)seeds);
    assert_int_equal(failed, 0);
    for (size_t i = 0; i < MAX_RECORDS; i++) { ap_buf_free(&live_in.bytes[i]); ap_buf_free(&final_in.bytes[i]); }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(latest_revision_equals_final_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
