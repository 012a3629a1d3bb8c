/*
 * The state-store contract (store.h): what every implementation answers,
 * call for call. Compiled twice (tests/CMakeLists.txt):
 *   test_store_memory           against ap_store_memory_create()
 *   test_store_redis_contract   (-DAP_CONTRACT_REDIS=1) against a real
 *                               redis-server from the env fixture ($AP_TEST_ENV)
 *   test_store_redis_cached_contract  (... and -DAP_CONTRACT_CACHE=1) the
 *                               same, with the Redis store's entity cache on
 * Both must pass unchanged: that is what makes offline replays (memory) and
 * live runs (Redis) byte-identical. Each test gets an empty store (a fresh
 * store, or a fresh key prefix in Redis). The memory build adds one test of
 * its own (bad calls refused whole); tests/integration/test_store.c also
 * runs random call sequences against both stores side by side.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/store.h"

#if AP_CONTRACT_REDIS
#include "arbejdspligt/store_redis.h"
#include "../support/redis_fixture.h"
#define EXPECTED_KIND "redis"
#else
#include "arbejdspligt/store_memory.h"
#define EXPECTED_KIND "memory"
#endif

static ap_store_t *store;
static int next_event; /* event ids are unique within a run */
static ap_citizen_state_t scratch; /* too big for the stack */

/* No closed week to mark dirty. */
static const ap_store_dirty_t NO_DIRTY = {1, 0};
/* The dedup generation apply_batch passes (store.h); tests of forgetting set it. */
static int32_t generation;
#define TOPIC "in.events"

/* ------------------------------------------------------------ the store */

#if AP_CONTRACT_REDIS
static fixture_redis_t redis;
static char prefix[32];

static int group_setup(void **state) {
    (void)state;
    if (fixture_redis(&redis)) return -1;
    ap_codec_error_t cerr;
    return ap_events_init(&cerr);
}

/* A fresh key prefix per test: an empty store. */
static int open_store(void **state) {
    (void)state;
    generation = 0;
    static int n;
    char err[256];
    /* Under "ap": the key patterns of the fixture's ACL user (redis-acl.sh). */
    snprintf(prefix, sizeof prefix, "apct%d-%d", (int)getpid(), ++n);
    store = fixture_store(&redis, prefix, 5000, err, sizeof err);
    if (!store) fprintf(stderr, "%s\n", err);
#if AP_CONTRACT_CACHE
    if (store) ap_store_redis_set_cache(store, 1 << 20);
#endif
    return store ? 0 : -1;
}

/* Drops the test's keys, so repeated runs do not fill the fixture's Redis. */
static int close_store(void **state) {
    (void)state;
    ap_store_destroy(store);
    store = NULL;
    fixture_redis_drop(&redis, prefix);
    return 0;
}
#else
static int group_setup(void **state) {
    (void)state;
    ap_codec_error_t cerr;
    return ap_events_init(&cerr);
}

static int open_store(void **state) {
    (void)state;
    generation = 0;
    store = ap_store_memory_create();
    return store ? 0 : -1;
}

static int close_store(void **state) {
    (void)state;
    ap_store_destroy(store);
    store = NULL;
    return 0;
}
#endif

/* ------------------------------------------------------------- events */

static int32_t day(int y, int m, int d) { return ap_cal_days_from_civil(y, m, d); }

static void header(ap_header_t *h, const char *citizen, int64_t recorded_at) {
    snprintf(h->event_id, AP_UUID_CAP, "00000000-0000-4000-8000-%012d", ++next_event);
    snprintf(h->citizen_id, AP_ID_CAP, "%s", citizen);
    strcpy(h->municipality_code, "101");
    h->occurred_at = recorded_at - 1000;
    h->recorded_at = recorded_at;
    strcpy(h->source_system, "contract");
}

static ap_event_t hours(const char *citizen, const char *report, int64_t recorded_at, int32_t date, int minutes) {
    ap_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_HOURS;
    ap_hours_t *h = &ev.u.hours;
    header(&h->h, citizen, recorded_at);
    snprintf(h->report_id, AP_ID_CAP, "%s", report);
    h->action = AP_HOURS_REPORTED;
    h->activity_date = date;
    h->activity_kind = AP_ACT_VIRKSOMHEDSPRAKTIK;
    h->minutes = minutes;
    strcpy(h->placement_id, "pl-1");
    return ev;
}

static ap_event_t placement(const char *citizen, const char *id, int64_t recorded_at) {
    ap_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_PLACEMENT;
    ap_placement_t *p = &ev.u.placement;
    header(&p->h, citizen, recorded_at);
    snprintf(p->placement_id, AP_ID_CAP, "%s", id);
    p->action = AP_PLACEMENT_REGISTERED;
    p->offer_type = AP_ACT_VIRKSOMHEDSPRAKTIK;
    p->job_type = -1;
    strcpy(p->workplace_p_number, "1012345678");
    p->start_date = day(2026, 1, 5);
    p->end_date = day(2026, 3, 27);
    p->planned_minutes_per_week = 1200;
    p->benefit_type = AP_BEN_KONTANTHJAELP;
    strcpy(p->journal_ref, "j-77");
    return ev;
}

static ap_event_t coverage(const char *citizen, const char *id, int64_t recorded_at) {
    ap_event_t ev;
    ap_events_clear(&ev, AP_EV_COVERAGE);
    ap_coverage_t *c = &ev.u.coverage;
    header(&c->h, citizen, recorded_at);
    snprintf(c->coverage_id, AP_ID_CAP, "%s", id);
    c->action = AP_COVERAGE_STARTED;
    c->from_date = day(2025, 6, 1);
    c->to_date = AP_NO_DATE;
    c->benefit_type = AP_BEN_UDDANNELSESHJAELP;
    return ev;
}

static ap_event_t exemption(const char *citizen, const char *id, int64_t recorded_at) {
    ap_event_t ev;
    ap_events_clear(&ev, AP_EV_EXEMPTION);
    ap_exemption_t *x = &ev.u.exemption;
    header(&x->h, citizen, recorded_at);
    snprintf(x->exemption_id, AP_ID_CAP, "%s", id);
    x->action = AP_EXEMPTION_GRANTED;
    x->kind = AP_EXEMPT_HEALTH;
    x->from_date = day(2026, 2, 2);
    x->to_date = day(2026, 2, 15);
    strcpy(x->placement_id, "pl-1");
    return ev;
}

static ap_event_t reduction(const char *citizen, const char *id, int64_t recorded_at) {
    ap_event_t ev;
    ap_events_clear(&ev, AP_EV_REDUCTION);
    ap_reduction_t *r = &ev.u.reduction;
    header(&r->h, citizen, recorded_at);
    snprintf(r->reduction_id, AP_ID_CAP, "%s", id);
    r->action = AP_REDUCTION_SET;
    r->reduced_minutes_per_week = 900;
    r->valid_from = day(2026, 1, 5);
    r->valid_to = AP_NO_DATE;
    r->assessed_on = day(2026, 1, 2);
    r->n_assessed = 3;
    strcpy(r->assessed_placement_ids[0], "pl-1");
    strcpy(r->assessed_placement_ids[1], "pl-2");
    strcpy(r->assessed_placement_ids[2], "pl-with-a-rather-longer-identifier-0003");
    return ev;
}

/* A sanction decided on Wednesday 2026-02-04, every optional field set. */
static ap_event_t sanction(const char *citizen, const char *id, int64_t recorded_at) {
    ap_event_t ev;
    ap_events_clear(&ev, AP_EV_SANCTION);
    ap_sanction_t *x = &ev.u.sanction;
    header(&x->h, citizen, recorded_at);
    snprintf(x->sanction_id, AP_ID_CAP, "%s", id);
    x->action = AP_SANCTION_DECIDED;
    x->decision_date = day(2026, 2, 4);
    x->effective_from = day(2026, 2, 9);
    strcpy(x->legal_basis, "LAB § 105 a stk. 4, fritekst");
    strcpy(x->placement_id, "pl-1");
    strcpy(x->journal_ref, "j-sanction-1");
    return ev;
}

/* ------------------------------------------------------------- calls */

/* Applies n events in one call; outcomes[i] for each. */
static void apply_batch(const ap_event_t *evs, size_t n, int32_t partition, const char *topic, int64_t offset,
                        ap_store_dirty_t dirty, int *outcomes) {
    ap_buf_t *bufs = calloc(n, sizeof *bufs);
    ap_store_item_t *items = calloc(n, sizeof *items);
    assert_non_null(bufs);
    assert_non_null(items);
    for (size_t i = 0; i < n; i++) {
        ap_events_encode(&evs[i], &bufs[i]);
        items[i] = (ap_store_item_t){&evs[i], {(const uint8_t *)bufs[i].data, bufs[i].len}, dirty, topic,
                                     offset + (int64_t)i};
        outcomes[i] = -1;
    }
    assert_int_equal(ap_store_apply(store, items, n, partition, generation, outcomes), 0);
    for (size_t i = 0; i < n; i++) ap_buf_free(&bufs[i]);
    free(bufs);
    free(items);
}

static int apply_at(const ap_event_t *ev, int32_t partition, const char *topic, int64_t offset,
                    ap_store_dirty_t dirty) {
    int outcome;
    apply_batch(ev, 1, partition, topic, offset, dirty, &outcome);
    return outcome;
}

static int apply(const ap_event_t *ev) { return apply_at(ev, 0, TOPIC, 0, NO_DIRTY); }

typedef struct loaded {
    size_t calls;
    ap_week_input_t in; /* arrays in `scratch`, valid until the next load */
    ap_week_sources_t src;
} loaded_t;

static int keep_last(void *ctx, size_t index, const ap_week_input_t *in, const ap_week_sources_t *src) {
    (void)index;
    loaded_t *l = ctx;
    l->calls++;
    l->in = *in;
    l->src = *src;
    return 0;
}

static loaded_t load(const char *citizen, int32_t monday) {
    loaded_t l = {0};
    assert_int_equal(ap_store_load_weeks(store, &citizen, &monday, 1, &scratch, keep_last, &l), 0);
    assert_int_equal(l.calls, 1);
    assert_string_equal(l.in.citizen_id, citizen);
    assert_int_equal(l.in.week_start, monday);
    return l;
}

/* @return the index of a report in a loaded week, or -1 (entity order is free). */
static int find_report(const loaded_t *l, const char *report) {
    for (size_t i = 0; i < l->in.n_hours; i++)
        if (strcmp(l->in.hours[i].report_id, report) == 0) return (int)i;
    return -1;
}

static int find_sanction(const loaded_t *l, const char *id) {
    for (size_t i = 0; i < l->in.n_sanctions; i++)
        if (strcmp(l->in.sanctions[i].sanction_id, id) == 0) return (int)i;
    return -1;
}

static int find_placement(const loaded_t *l, const char *id) {
    for (size_t i = 0; i < l->in.n_placements; i++)
        if (strcmp(l->in.placements[i].placement_id, id) == 0) return (int)i;
    return -1;
}

static size_t dirty_count(int32_t partition) {
    char **cit;
    int32_t *mon;
    size_t n;
    assert_int_equal(ap_store_dirty(store, partition, &cit, &mon, &n), 0);
    ap_store_free_list(cit, n);
    free(mon);
    return n;
}

static int dirty_has(int32_t partition, const char *citizen, int32_t monday) {
    char **cit;
    int32_t *mon;
    size_t n;
    int found = 0;
    assert_int_equal(ap_store_dirty(store, partition, &cit, &mon, &n), 0);
    for (size_t i = 0; i < n; i++) found += strcmp(cit[i], citizen) == 0 && mon[i] == monday;
    ap_store_free_list(cit, n);
    free(mon);
    return found;
}

static int registered(int32_t partition, const char *citizen) {
    char **list;
    size_t n;
    int found = 0;
    assert_int_equal(ap_store_citizens(store, partition, &list, &n), 0);
    for (size_t i = 0; i < n; i++) found += strcmp(list[i], citizen) == 0;
    ap_store_free_list(list, n);
    return found;
}

/* Ends a cycle that evaluated every dirty mark of a partition. */
static void clear_dirty_all(int32_t partition) {
    char **cit;
    int32_t *mon;
    size_t n;
    assert_int_equal(ap_store_dirty(store, partition, &cit, &mon, &n), 0);
    ap_store_evaluated_t *done = calloc(n ? n : 1, sizeof *done);
    assert_non_null(done);
    for (size_t i = 0; i < n; i++) done[i] = (ap_store_evaluated_t){cit[i], mon[i], partition};
    assert_int_equal(ap_store_commit_cycle(store, NULL, 0, NULL, 0, NULL, 0, done, n), 0);
    free(done);
    ap_store_free_list(cit, n);
    free(mon);
}

static void clear_dirty(const char *citizen, int32_t monday, int32_t partition) {
    ap_store_evaluated_t done = {citizen, monday, partition};
    assert_int_equal(ap_store_commit_cycle(store, NULL, 0, NULL, 0, NULL, 0, &done, 1), 0);
}

/* ------------------------------------------------------------- apply */

static void store_says_its_kind(void **state) {
    (void)state;
    assert_string_equal(ap_store_kind(store), EXPECTED_KIND);
    assert_int_equal(ap_store_ping(store), 0);
}

/* A redelivered event changes nothing (store.h: delivery guarantee); the
 * same id with other content is a conflict, and changes nothing either. */
static void redelivery_is_a_duplicate(void **state) {
    (void)state;
    int32_t mon = day(2026, 1, 5);
    ap_store_dirty_t closed = {mon, mon + 7};
    ap_event_t v1 = hours("c-1", "r-1", 1000, mon, 100);
    assert_int_equal(apply(&v1), AP_APPLY_APPLIED);
    assert_int_equal(apply_at(&v1, 0, TOPIC, 5, closed), AP_APPLY_DUPLICATE);
    ap_event_t same_id = hours("c-1", "r-1", 9000, mon + 8, 999); /* same event id, other content */
    strcpy(same_id.u.hours.h.event_id, v1.u.hours.h.event_id);
    assert_int_equal(apply_at(&same_id, 0, TOPIC, 6, closed), AP_APPLY_CONFLICT);
    assert_int_equal(apply_at(&same_id, 0, TOPIC, 6, closed), AP_APPLY_CONFLICT); /* and stays one */
    assert_int_equal(apply(&v1), AP_APPLY_DUPLICATE);
    assert_int_equal(dirty_count(0), 0);
    loaded_t l = load("c-1", mon);
    assert_int_equal(l.in.n_hours, 1);
    assert_int_equal(l.in.hours[0].minutes, 100);
    assert_int_equal(l.in.hours[0].activity_date, mon);
    assert_int_equal(load("c-1", mon + 7).in.n_hours, 0);
}

/* Applied ids are forgotten two generations on (store.h), and a redelivery
 * then is still a no-op: superseded by the version it wrote, nothing marked
 * dirty, the state as it was. Issue 15 §5. */
static void a_forgotten_id_redelivered_changes_nothing(void **state) {
    (void)state;
    int32_t mon = day(2026, 1, 5);
    ap_store_dirty_t closed = {mon - 70, mon + 7};
    ap_event_t evs[5] = {hours("c-1", "r-1", 1000, mon, 100), placement("c-1", "pl-1", 1000),
                         exemption("c-1", "ex-1", 1000), reduction("c-1", "rd-1", 1000),
                         coverage("c-1", "cv-1", 1000)};
    int out[5];
    generation = 3;
    apply_batch(evs, 5, 0, TOPIC, 0, closed, out);
    for (int i = 0; i < 5; i++) assert_int_equal(out[i], AP_APPLY_APPLIED);
    clear_dirty_all(0);
    assert_int_equal(dirty_count(0), 0);
    generation = 4; /* the next generation still remembers them */
    apply_batch(evs, 5, 0, TOPIC, 10, closed, out);
    for (int i = 0; i < 5; i++) assert_int_equal(out[i], AP_APPLY_DUPLICATE);
    generation = 5; /* forgotten: judged by version alone */
    apply_batch(evs, 5, 0, TOPIC, 20, closed, out);
    for (int i = 0; i < 5; i++) assert_int_equal(out[i], AP_APPLY_SUPERSEDED);
    assert_int_equal(dirty_count(0), 0);
    loaded_t l = load("c-1", mon);
    assert_int_equal(l.in.n_hours, 1);
    assert_int_equal(l.in.hours[0].minutes, 100);
    assert_int_equal(l.src.hours[0].offset, 0); /* still the first delivery's record */
    assert_int_equal(l.in.n_placements, 1);
    assert_int_equal(l.src.placements[0].offset, 1);
    assert_int_equal(l.in.n_exemptions, 1);
    assert_int_equal(l.in.n_reductions, 1);
    assert_int_equal(l.in.n_coverage, 1);
    /* ... and remembered again from there: a duplicate now. */
    apply_batch(evs, 5, 0, TOPIC, 30, closed, out);
    for (int i = 0; i < 5; i++) assert_int_equal(out[i], AP_APPLY_DUPLICATE);
}

/* A reused id with other content is a conflict while the id is remembered;
 * once forgotten it is a new record judged by its version. */
static void a_reused_id_is_a_conflict_only_within_the_horizon(void **state) {
    (void)state;
    int32_t mon = day(2026, 1, 5);
    ap_event_t v1 = hours("c-1", "r-1", 1000, mon, 100);
    ap_event_t older = hours("c-1", "r-1", 500, mon, 300), newer = hours("c-1", "r-1", 9000, mon, 200);
    strcpy(older.u.hours.h.event_id, v1.u.hours.h.event_id);
    strcpy(newer.u.hours.h.event_id, v1.u.hours.h.event_id);
    generation = 7;
    assert_int_equal(apply(&v1), AP_APPLY_APPLIED);
    generation = 8;
    assert_int_equal(apply(&newer), AP_APPLY_CONFLICT);
    generation = 9;
    assert_int_equal(apply(&older), AP_APPLY_SUPERSEDED);
    assert_int_equal(load("c-1", mon).in.hours[0].minutes, 100);
    assert_int_equal(apply(&newer), AP_APPLY_CONFLICT); /* the older one's mark holds the id now */
    generation = 11;
    assert_int_equal(apply(&newer), AP_APPLY_APPLIED);
    assert_int_equal(load("c-1", mon).in.hours[0].minutes, 200);
}

/* The generation never goes back: a call with an older one than the store
 * has seen on the partition is taken in the newest, and partitions keep
 * their own generations. */
static void the_generation_never_goes_back(void **state) {
    (void)state;
    int32_t mon = day(2026, 1, 5);
    ap_event_t a = placement("c-1", "pl-1", 1000), b = placement("c-2", "pl-1", 1000);
    generation = 2;
    assert_int_equal(apply_at(&a, 0, TOPIC, 0, NO_DIRTY), AP_APPLY_APPLIED);
    assert_int_equal(apply_at(&b, 1, TOPIC, 0, NO_DIRTY), AP_APPLY_APPLIED);
    generation = 6;
    assert_int_equal(apply_at(&a, 0, TOPIC, 1, NO_DIRTY), AP_APPLY_SUPERSEDED);
    generation = 2; /* behind partition 0's 6: still forgotten there; partition 1 is at 2 */
    ap_event_t a2 = placement("c-1", "pl-2", 1000);
    assert_int_equal(apply_at(&a2, 0, TOPIC, 2, NO_DIRTY), AP_APPLY_APPLIED);
    assert_int_equal(apply_at(&b, 1, TOPIC, 1, NO_DIRTY), AP_APPLY_DUPLICATE);
    generation = 7; /* a2 was taken in generation 6: remembered in 7 */
    assert_int_equal(apply_at(&a2, 0, TOPIC, 3, NO_DIRTY), AP_APPLY_DUPLICATE);
    assert_int_equal(load("c-1", mon).in.n_placements, 2);
}

/* Many ids over many generations: what is remembered is exactly the ids of
 * the current and the previous generation (the memory store compacts, Redis
 * drops hashes; both must answer alike). */
static void only_the_last_two_generations_are_remembered(void **state) {
    (void)state;
    int32_t mon = day(2026, 1, 5);
    enum { PER_GEN = 40, GENS = 12 };
    static ap_event_t evs[GENS][PER_GEN];
    int out[PER_GEN];
    for (int g = 0; g < GENS; g++) {
        generation = g;
        for (int i = 0; i < PER_GEN; i++) {
            char report[32];
            snprintf(report, sizeof report, "r-%d-%d", g, i);
            evs[g][i] = hours("c-1", report, 1000 + g, mon + 7 * g + i % 7, 10);
        }
        apply_batch(evs[g], PER_GEN, 0, TOPIC, g * PER_GEN, NO_DIRTY, out);
        for (int i = 0; i < PER_GEN; i++) assert_int_equal(out[i], AP_APPLY_APPLIED);
        apply_batch(evs[g], PER_GEN, 0, TOPIC, 0, NO_DIRTY, out);
        for (int i = 0; i < PER_GEN; i++) assert_int_equal(out[i], AP_APPLY_DUPLICATE);
        if (g >= 1) { /* the previous generation's: remembered (a duplicate marks nothing anew) */
            apply_batch(evs[g - 1], PER_GEN, 0, TOPIC, 0, NO_DIRTY, out);
            for (int i = 0; i < PER_GEN; i++) assert_int_equal(out[i], AP_APPLY_DUPLICATE);
        }
        if (g >= 2) { /* the one before: forgotten, so superseded (and marked again, in g) */
            apply_batch(evs[g - 2], PER_GEN, 0, TOPIC, 0, NO_DIRTY, out);
            for (int i = 0; i < PER_GEN; i++) assert_int_equal(out[i], AP_APPLY_SUPERSEDED);
        }
    }
    for (int g = 0; g < GENS; g++) assert_int_equal(load("c-1", mon + 7 * g).in.n_hours, PER_GEN);
}

/* In one call too: the second of two records with one id is told apart by content. */
static void conflict_within_one_call(void **state) {
    (void)state;
    int32_t mon = day(2026, 1, 5);
    ap_event_t evs[3] = {hours("c-1", "r-1", 1000, mon, 100), hours("c-1", "r-2", 1000, mon, 50)};
    evs[2] = evs[0];
    strcpy(evs[1].u.hours.h.event_id, evs[0].u.hours.h.event_id);
    int out[3];
    apply_batch(evs, 3, 0, TOPIC, 0, NO_DIRTY, out);
    assert_int_equal(out[0], AP_APPLY_APPLIED);
    assert_int_equal(out[1], AP_APPLY_CONFLICT);
    assert_int_equal(out[2], AP_APPLY_DUPLICATE);
    assert_int_equal(load("c-1", mon).in.n_hours, 1);
}

/* Dedup is per citizen: the same event id for another citizen is another event. */
static void dedup_is_per_citizen(void **state) {
    (void)state;
    ap_event_t a = placement("c-a", "pl-1", 1000), b = placement("c-b", "pl-1", 1000);
    strcpy(b.u.placement.h.event_id, a.u.placement.h.event_id);
    assert_int_equal(apply(&a), AP_APPLY_APPLIED);
    assert_int_equal(apply(&b), AP_APPLY_APPLIED);
    assert_int_equal(load("c-b", day(2026, 1, 5)).in.n_placements, 1);
}

/* The newest version (recorded_at, then event id) wins whatever the arrival
 * order; an older one is recorded as seen (redelivered: duplicate). */
static void newest_version_wins_in_any_order(void **state) {
    (void)state;
    int32_t mon = day(2026, 1, 5);
    ap_event_t v1 = hours("c-1", "r-1", 1000, mon, 100);
    ap_event_t v2 = hours("c-1", "r-1", 2000, mon + 1, 200);
    ap_event_t v0 = hours("c-1", "r-1", 500, mon + 2, 50);
    assert_int_equal(apply(&v1), AP_APPLY_APPLIED);
    assert_int_equal(apply(&v2), AP_APPLY_APPLIED);
    assert_int_equal(apply(&v0), AP_APPLY_SUPERSEDED);
    assert_int_equal(apply(&v0), AP_APPLY_DUPLICATE);
    loaded_t l = load("c-1", mon);
    assert_int_equal(l.in.n_hours, 1);
    assert_int_equal(l.in.hours[0].minutes, 200);

    /* The same three, newest first, for another citizen: the same state. */
    ap_event_t w[3] = {v2, v0, v1};
    for (int i = 0; i < 3; i++) {
        strcpy(w[i].u.hours.h.citizen_id, "c-2");
        assert_int_equal(apply(&w[i]), i == 0 ? AP_APPLY_APPLIED : AP_APPLY_SUPERSEDED);
    }
    l = load("c-2", mon);
    assert_int_equal(l.in.n_hours, 1);
    assert_int_equal(l.in.hours[0].minutes, 200);
    assert_string_equal(l.in.hours[0].h.event_id, v2.u.hours.h.event_id);
}

/* Equal recorded_at: the larger event id is the newer version. */
static void event_id_breaks_a_recorded_at_tie(void **state) {
    (void)state;
    ap_event_t hi = placement("c-1", "pl-1", 5000), lo = placement("c-1", "pl-1", 5000);
    strcpy(hi.u.placement.h.event_id, "00000000-0000-4000-8000-0000000000b2");
    strcpy(lo.u.placement.h.event_id, "00000000-0000-4000-8000-0000000000b1");
    hi.u.placement.planned_minutes_per_week = 2;
    lo.u.placement.planned_minutes_per_week = 1;
    assert_int_equal(apply(&hi), AP_APPLY_APPLIED);
    assert_int_equal(apply(&lo), AP_APPLY_SUPERSEDED);
    ap_event_t higher = hi;
    strcpy(higher.u.placement.h.event_id, "00000000-0000-4000-8000-0000000000b3");
    higher.u.placement.planned_minutes_per_week = 3;
    assert_int_equal(apply(&higher), AP_APPLY_APPLIED);
    loaded_t l = load("c-1", day(2026, 1, 5));
    assert_int_equal(l.in.n_placements, 1);
    assert_int_equal(l.in.placements[0].planned_minutes_per_week, 3);
}

/* One call applies its items in order, each with its own outcome. */
static void a_batch_applies_in_order(void **state) {
    (void)state;
    int32_t mon = day(2026, 1, 5);
    ap_event_t evs[5];
    evs[0] = hours("c-1", "r-1", 1000, mon, 10);
    evs[1] = evs[0];                                /* redelivered within the batch */
    evs[2] = hours("c-1", "r-1", 900, mon, 9);      /* older */
    evs[3] = hours("c-1", "r-2", 1000, mon + 1, 20);
    evs[4] = hours("c-1", "r-1", 1100, mon, 11);    /* newer */
    int out[5];
    apply_batch(evs, 5, 0, TOPIC, 0, NO_DIRTY, out);
    int want[5] = {AP_APPLY_APPLIED, AP_APPLY_DUPLICATE, AP_APPLY_SUPERSEDED, AP_APPLY_APPLIED, AP_APPLY_APPLIED};
    assert_memory_equal(out, want, sizeof want);
    loaded_t l = load("c-1", mon);
    assert_int_equal(l.in.n_hours, 2);
    assert_int_equal(l.in.hours[find_report(&l, "r-1")].minutes, 11);
    assert_int_equal(l.in.hours[find_report(&l, "r-2")].minutes, 20);
}

/* A correction that changes the activity date to another week moves the
 * report there; an older version dated in the old week does not move it back. */
static void a_correction_moves_hours_between_weeks(void **state) {
    (void)state;
    int32_t w1 = day(2026, 1, 5), w2 = day(2026, 1, 12);
    ap_event_t first = hours("c-1", "r-1", 1000, w1 + 2, 100);
    ap_event_t moved = hours("c-1", "r-1", 3000, w2 + 1, 300);
    ap_event_t stale = hours("c-1", "r-1", 2000, w1 + 3, 200);
    moved.u.hours.action = AP_HOURS_CORRECTED;
    assert_int_equal(apply(&first), AP_APPLY_APPLIED);
    assert_int_equal(apply(&moved), AP_APPLY_APPLIED);
    assert_int_equal(load("c-1", w1).in.n_hours, 0);
    loaded_t l = load("c-1", w2);
    assert_int_equal(l.in.n_hours, 1);
    assert_int_equal(l.in.hours[0].minutes, 300);
    assert_int_equal(l.in.hours[0].action, AP_HOURS_CORRECTED);
    assert_int_equal(apply(&stale), AP_APPLY_SUPERSEDED);
    assert_int_equal(load("c-1", w1).in.n_hours, 0);
    assert_int_equal(load("c-1", w2).in.n_hours, 1);
    /* And back again with a newer version; the week's other report stays. */
    ap_event_t other = hours("c-1", "r-2", 1000, w2, 60);
    ap_event_t back = hours("c-1", "r-1", 4000, w1, 400);
    assert_int_equal(apply(&other), AP_APPLY_APPLIED);
    assert_int_equal(apply(&back), AP_APPLY_APPLIED);
    l = load("c-1", w1);
    assert_int_equal(l.in.n_hours, 1);
    assert_int_equal(l.in.hours[0].minutes, 400);
    l = load("c-1", w2);
    assert_int_equal(l.in.n_hours, 1);
    assert_string_equal(l.in.hours[0].report_id, "r-2");
}

/* The same moves inside one call: each item sees what the items before it
 * did (the Redis store reads its index once per call and must not miss a
 * report created or moved earlier in the same call). */
static void a_batch_moves_hours_like_single_calls(void **state) {
    (void)state;
    int32_t w1 = day(2026, 1, 5), w2 = day(2026, 1, 12);
    ap_event_t evs[6];
    evs[0] = hours("c-1", "r-1", 1000, w1 + 2, 100);
    evs[1] = hours("c-1", "r-1", 3000, w2 + 1, 300); /* moves it to w2 */
    evs[2] = hours("c-1", "r-1", 2000, w1 + 3, 200); /* older: stays put */
    evs[3] = hours("c-1", "r-2", 1000, w2, 60);
    evs[4] = hours("c-1", "r-1", 4000, w1, 400);     /* back to w1 */
    evs[5] = evs[1];                                 /* redelivered */
    int out[6];
    apply_batch(evs, 6, 0, TOPIC, 0, NO_DIRTY, out);
    int want[6] = {AP_APPLY_APPLIED, AP_APPLY_APPLIED, AP_APPLY_SUPERSEDED,
                   AP_APPLY_APPLIED, AP_APPLY_APPLIED, AP_APPLY_DUPLICATE};
    assert_memory_equal(out, want, sizeof want);
    loaded_t l = load("c-1", w1);
    assert_int_equal(l.in.n_hours, 1);
    assert_int_equal(l.in.hours[0].minutes, 400);
    l = load("c-1", w2);
    assert_int_equal(l.in.n_hours, 1);
    assert_string_equal(l.in.hours[0].report_id, "r-2");
}

/* Ids are per kind and per citizen: one id names five different entities. */
static void each_kind_is_a_map_of_its_own(void **state) {
    (void)state;
    int32_t mon = day(2026, 2, 2);
    ap_event_t evs[6] = {coverage("c-1", "x-1", 1000), placement("c-1", "x-1", 1000), exemption("c-1", "x-1", 1000),
                         reduction("c-1", "x-1", 1000), hours("c-1", "x-1", 1000, mon, 30),
                         placement("c-2", "x-1", 1000)};
    for (int i = 0; i < 6; i++) assert_int_equal(apply(&evs[i]), AP_APPLY_APPLIED);
    loaded_t l = load("c-1", mon);
    assert_int_equal(l.in.n_coverage, 1);
    assert_int_equal(l.in.n_placements, 1);
    assert_int_equal(l.in.n_exemptions, 1);
    assert_int_equal(l.in.n_reductions, 1);
    assert_int_equal(l.in.n_hours, 1);
    l = load("c-2", mon);
    assert_int_equal(l.in.n_placements, 1);
    assert_int_equal(l.in.n_coverage + l.in.n_exemptions + l.in.n_reductions + l.in.n_hours, 0);
}

/* What comes back is exactly what was applied, every field of every kind. */
static void loaded_entities_equal_the_applied_events(void **state) {
    (void)state;
    int32_t mon = day(2026, 2, 2);
    ap_event_t cv = coverage("c-1", "cv-1", 1000), pl = placement("c-1", "pl-1", 1000);
    ap_event_t ex = exemption("c-1", "ex-1", 1000), rd = reduction("c-1", "rd-1", 1000);
    ap_event_t h1 = hours("c-1", "r-1", 1000, mon + 4, 75), h2 = hours("c-1", "r-2", 1000, mon + 6, 0);
    memset(h2.u.hours.placement_id, 0, AP_ID_CAP); /* an optional string left out */
    strcpy(h2.u.hours.journal_ref, "j-1");
    h2.u.hours.activity_kind = AP_ACT_JOBSAMTALE;
    memset(pl.u.placement.journal_ref, 'j', AP_ID_CAP - 1); /* a string at its capacity */
    pl.u.placement.journal_ref[AP_ID_CAP - 1] = '\0';
    ap_event_t all[6] = {cv, pl, ex, rd, h1, h2};
    for (int i = 0; i < 6; i++) assert_int_equal(apply(&all[i]), AP_APPLY_APPLIED);
    loaded_t l = load("c-1", mon);
    assert_int_equal(l.in.n_coverage, 1);
    assert_memory_equal(&l.in.coverage[0], &cv.u.coverage, sizeof cv.u.coverage);
    assert_int_equal(l.in.n_placements, 1);
    assert_memory_equal(&l.in.placements[0], &pl.u.placement, sizeof pl.u.placement);
    assert_int_equal(l.in.n_exemptions, 1);
    assert_memory_equal(&l.in.exemptions[0], &ex.u.exemption, sizeof ex.u.exemption);
    assert_int_equal(l.in.n_reductions, 1);
    assert_memory_equal(&l.in.reductions[0], &rd.u.reduction, sizeof rd.u.reduction);
    assert_int_equal(l.in.n_hours, 2);
    assert_memory_equal(&l.in.hours[find_report(&l, "r-1")], &h1.u.hours, sizeof h1.u.hours);
    assert_memory_equal(&l.in.hours[find_report(&l, "r-2")], &h2.u.hours, sizeof h2.u.hours);
}

/* Lineage: each entity comes back with the input record of its current version. */
static void sources_name_the_current_input_record(void **state) {
    (void)state;
    int32_t mon = day(2026, 1, 5);
    ap_event_t pl = placement("c-1", "pl-1", 1000), h = hours("c-1", "r-1", 1000, mon, 60);
    ap_event_t cv = coverage("c-1", "cv-1", 1000), ex = exemption("c-1", "ex-1", 1000);
    ap_event_t rd = reduction("c-1", "rd-1", 1000);
    assert_int_equal(apply_at(&pl, 3, "in.placements", 17, NO_DIRTY), AP_APPLY_APPLIED);
    assert_int_equal(apply_at(&h, 3, "in.hours", 123456789012LL, NO_DIRTY), AP_APPLY_APPLIED);
    assert_int_equal(apply_at(&cv, 3, "in.coverage", 0, NO_DIRTY), AP_APPLY_APPLIED);
    assert_int_equal(apply_at(&ex, 3, "in.placements", 18, NO_DIRTY), AP_APPLY_APPLIED);
    assert_int_equal(apply_at(&rd, 3, "in.placements", 19, NO_DIRTY), AP_APPLY_APPLIED);
    loaded_t l = load("c-1", mon);
    assert_string_equal(l.src.placements[0].topic, "in.placements");
    assert_int_equal(l.src.placements[0].partition, 3);
    assert_int_equal(l.src.placements[0].offset, 17);
    assert_string_equal(l.src.placements[0].event_id, pl.u.placement.h.event_id);
    assert_string_equal(l.src.hours[0].topic, "in.hours");
    assert_int_equal(l.src.hours[0].partition, 3);
    assert_true(l.src.hours[0].offset == 123456789012LL);
    assert_string_equal(l.src.hours[0].event_id, h.u.hours.h.event_id);
    assert_string_equal(l.src.coverage[0].topic, "in.coverage");
    assert_int_equal(l.src.coverage[0].offset, 0);
    assert_string_equal(l.src.coverage[0].event_id, cv.u.coverage.h.event_id);
    assert_int_equal(l.src.exemptions[0].offset, 18);
    assert_string_equal(l.src.exemptions[0].event_id, ex.u.exemption.h.event_id);
    assert_int_equal(l.src.reductions[0].offset, 19);
    assert_string_equal(l.src.reductions[0].event_id, rd.u.reduction.h.event_id);

    /* A newer version read elsewhere replaces the source; an older one does not. */
    ap_event_t newer = placement("c-1", "pl-1", 2000), older = placement("c-1", "pl-1", 1500);
    assert_int_equal(apply_at(&newer, 7, "in.other", 40, NO_DIRTY), AP_APPLY_APPLIED);
    assert_int_equal(apply_at(&older, 8, "in.placements", 41, NO_DIRTY), AP_APPLY_SUPERSEDED);
    l = load("c-1", mon);
    assert_int_equal(l.in.n_placements, 1);
    assert_string_equal(l.src.placements[0].topic, "in.other");
    assert_int_equal(l.src.placements[0].partition, 7);
    assert_int_equal(l.src.placements[0].offset, 40);
    assert_string_equal(l.src.placements[0].event_id, newer.u.placement.h.event_id);
    assert_string_equal(l.in.placements[0].h.event_id, newer.u.placement.h.event_id);
}

/* AP_MAX_ENTITIES per kind: one more new entity is refused and not marked
 * applied (so it is refused again, not skipped as a duplicate); a new version
 * of an existing entity still applies. */
static void the_entity_bound_refuses_without_a_mark(void **state) {
    (void)state;
    static ap_event_t evs[AP_MAX_ENTITIES + 1];
    int out[AP_MAX_ENTITIES + 1];
    char id[AP_ID_CAP];
    for (int i = 0; i <= AP_MAX_ENTITIES; i++) {
        snprintf(id, sizeof id, "pl-%03d", i);
        evs[i] = placement("c-many", id, 1000);
    }
    int32_t mon = day(2026, 1, 5);
    ap_store_dirty_t dirty = {mon, mon};
    apply_batch(evs, AP_MAX_ENTITIES + 1, 1, TOPIC, 0, dirty, out);
    for (int i = 0; i < AP_MAX_ENTITIES; i++) assert_int_equal(out[i], AP_APPLY_APPLIED);
    assert_int_equal(out[AP_MAX_ENTITIES], AP_APPLY_LIMIT);
    clear_dirty("c-many", mon, 1);
    assert_int_equal(apply_at(&evs[AP_MAX_ENTITIES], 1, TOPIC, 500, dirty), AP_APPLY_LIMIT);
    assert_int_equal(dirty_count(1), 0); /* a refused event changes nothing */
    ap_event_t update = placement("c-many", "pl-007", 2000);
    update.u.placement.planned_minutes_per_week = 7;
    assert_int_equal(apply(&update), AP_APPLY_APPLIED);
    loaded_t l = load("c-many", mon);
    assert_int_equal(l.in.n_placements, AP_MAX_ENTITIES);
    assert_int_equal(find_placement(&l, "pl-128"), -1);
    assert_int_equal(l.in.placements[find_placement(&l, "pl-007")].planned_minutes_per_week, 7);
    /* The bound is per kind: other kinds still have room. */
    ap_event_t ex = exemption("c-many", "ex-1", 1000);
    assert_int_equal(apply(&ex), AP_APPLY_APPLIED);
}

/* AP_MAX_HOURS_PER_WEEK per week, counting reports moved in by a correction;
 * a refused move leaves the report where it was. */
static void the_week_bound_counts_moves(void **state) {
    (void)state;
    static ap_event_t evs[AP_MAX_HOURS_PER_WEEK + 1];
    int out[AP_MAX_HOURS_PER_WEEK + 1];
    char id[AP_ID_CAP];
    int32_t full = day(2026, 3, 2), other = day(2026, 3, 9);
    for (int i = 0; i <= AP_MAX_HOURS_PER_WEEK; i++) {
        snprintf(id, sizeof id, "r-%03d", i);
        evs[i] = hours("c-busy", id, 1000, full + i % 7, 5);
    }
    apply_batch(evs, AP_MAX_HOURS_PER_WEEK + 1, 0, TOPIC, 0, NO_DIRTY, out);
    for (int i = 0; i < AP_MAX_HOURS_PER_WEEK; i++) assert_int_equal(out[i], AP_APPLY_APPLIED);
    assert_int_equal(out[AP_MAX_HOURS_PER_WEEK], AP_APPLY_LIMIT);
    assert_int_equal(apply(&evs[AP_MAX_HOURS_PER_WEEK]), AP_APPLY_LIMIT);

    ap_event_t elsewhere = hours("c-busy", "r-x", 1000, other, 45);
    assert_int_equal(apply(&elsewhere), AP_APPLY_APPLIED);
    ap_event_t move_in = hours("c-busy", "r-x", 2000, full, 46);
    assert_int_equal(apply(&move_in), AP_APPLY_LIMIT);
    assert_int_equal(apply(&move_in), AP_APPLY_LIMIT);
    loaded_t l = load("c-busy", other);
    assert_int_equal(l.in.n_hours, 1);
    assert_int_equal(l.in.hours[0].minutes, 45);

    /* A new version within the full week is no new entry. */
    ap_event_t fix = hours("c-busy", "r-003", 2000, full + 4, 50);
    assert_int_equal(apply(&fix), AP_APPLY_APPLIED);
    /* And a report moving out makes room. */
    ap_event_t out_of_it = hours("c-busy", "r-004", 2000, other + 1, 51);
    assert_int_equal(apply(&out_of_it), AP_APPLY_APPLIED);
    ap_event_t retry = hours("c-busy", "r-x", 3000, full, 47);
    assert_int_equal(apply(&retry), AP_APPLY_APPLIED);
    l = load("c-busy", full);
    assert_int_equal(l.in.n_hours, AP_MAX_HOURS_PER_WEEK);
    assert_int_equal(l.in.hours[find_report(&l, "r-003")].minutes, 50);
    assert_int_equal(find_report(&l, "r-004"), -1);
    assert_int_equal(l.in.hours[find_report(&l, "r-x")].minutes, 47);
    l = load("c-busy", other);
    assert_int_equal(l.in.n_hours, 1);
    assert_string_equal(l.in.hours[0].report_id, "r-004");
}

/* ------------------------------------------------------------- dirty */

/* Applying marks the closed weeks it changes (Mondays from..to) on the call's
 * partition; a duplicate, a superseded version or an empty range marks nothing. */
static void dirty_marks_come_with_a_change_only(void **state) {
    (void)state;
    int32_t w1 = day(2026, 1, 5), w2 = w1 + 7, w3 = w1 + 14;
    ap_store_dirty_t three = {w1, w3};
    ap_event_t ev = coverage("c-1", "cv-1", 5000); /* open-ended, from 2025 */
    assert_int_equal(dirty_count(5), 0);
    assert_int_equal(apply_at(&ev, 5, TOPIC, 0, three), AP_APPLY_APPLIED);
    assert_int_equal(dirty_count(5), 3);
    assert_true(dirty_has(5, "c-1", w1) && dirty_has(5, "c-1", w2) && dirty_has(5, "c-1", w3));
    assert_int_equal(dirty_count(4), 0);

    ap_store_evaluated_t done[3] = {{"c-1", w1, 5}, {"c-1", w2, 5}, {"c-1", w3, 5}};
    assert_int_equal(ap_store_commit_cycle(store, NULL, 0, NULL, 0, NULL, 0, done, 3), 0);
    assert_int_equal(dirty_count(5), 0);
    assert_int_equal(apply_at(&ev, 5, TOPIC, 0, three), AP_APPLY_DUPLICATE);
    ap_event_t older = coverage("c-1", "cv-1", 4000);
    assert_int_equal(apply_at(&older, 5, TOPIC, 1, three), AP_APPLY_SUPERSEDED);
    ap_event_t none = coverage("c-1", "cv-2", 5000);
    assert_int_equal(apply_at(&none, 5, TOPIC, 2, NO_DIRTY), AP_APPLY_APPLIED);
    assert_int_equal(dirty_count(5), 0);

    /* A range of one week; marking a week twice keeps one mark. */
    ap_store_dirty_t one = {w2, w2};
    ap_event_t a = hours("c-2", "r-1", 5000, w2, 10), b = hours("c-2", "r-2", 5000, w2, 10);
    assert_int_equal(apply_at(&a, 5, TOPIC, 3, one), AP_APPLY_APPLIED);
    assert_int_equal(apply_at(&b, 5, TOPIC, 4, one), AP_APPLY_APPLIED);
    assert_int_equal(dirty_count(5), 1);
    assert_true(dirty_has(5, "c-2", w2));
}

/* Clearing takes exactly the evaluated marks: not another week, partition or citizen. */
static void clearing_takes_only_the_evaluated_marks(void **state) {
    (void)state;
    int32_t w1 = day(2026, 1, 5), w2 = w1 + 7;
    ap_store_dirty_t two = {w1, w2};
    ap_event_t a = placement("c-a", "pl-1", 1000), b = placement("c-b", "pl-1", 1000);
    assert_int_equal(apply_at(&a, 2, TOPIC, 0, two), AP_APPLY_APPLIED);
    assert_int_equal(apply_at(&b, 2, TOPIC, 1, two), AP_APPLY_APPLIED);
    assert_int_equal(dirty_count(2), 4);
    ap_store_evaluated_t done[4] = {{"c-a", w1, 2}, {"c-a", w2, 3}, {"c-nobody", w2, 2}, {"c-b", w1 + 1, 2}};
    assert_int_equal(ap_store_commit_cycle(store, NULL, 0, NULL, 0, NULL, 0, done, 4), 0);
    assert_int_equal(dirty_count(2), 3);
    assert_false(dirty_has(2, "c-a", w1));
    assert_true(dirty_has(2, "c-a", w2));
    assert_true(dirty_has(2, "c-b", w1));
    assert_true(dirty_has(2, "c-b", w2));
    /* Clearing twice is harmless; a new change marks again. */
    clear_dirty("c-a", w1, 2);
    assert_int_equal(dirty_count(2), 3);
    ap_event_t again = placement("c-a", "pl-1", 2000);
    assert_int_equal(apply_at(&again, 2, TOPIC, 2, two), AP_APPLY_APPLIED);
    assert_int_equal(dirty_count(2), 4);
}

/* A change marks only the closed weeks it touches: an hours report its week,
 * an entity from the week whose rules first read its start (week W reads up
 * to W + 14) to the week it ends. */
static void marks_are_the_weeks_a_version_touches(void **state) {
    (void)state;
    int32_t w1 = day(2026, 1, 5), w8 = w1 + 7 * 7;
    ap_store_dirty_t closed = {w1 - 70, w8};
    ap_event_t h = hours("c-1", "r-1", 1000, w1 + 9, 60); /* a Wednesday of w2 */
    assert_int_equal(apply_at(&h, 3, TOPIC, 0, closed), AP_APPLY_APPLIED);
    assert_int_equal(dirty_count(3), 1);
    assert_true(dirty_has(3, "c-1", w1 + 7));
    ap_event_t pl = placement("c-2", "pl-1", 1000); /* Mon 2026-01-05 .. Fri 2026-03-27 */
    pl.u.placement.end_date = w1 + 18;               /* Fri of w3 */
    assert_int_equal(apply_at(&pl, 4, TOPIC, 0, closed), AP_APPLY_APPLIED);
    assert_int_equal(dirty_count(4), 5); /* w1 - 14 .. w3 */
    assert_true(dirty_has(4, "c-2", w1 - 14) && dirty_has(4, "c-2", w1 + 14));
    assert_false(dirty_has(4, "c-2", w1 - 21) || dirty_has(4, "c-2", w1 + 21));
}

/* Issue 14, 1: a change that moves an entity out of a closed week, shortens
 * or retracts it, marks the weeks the replaced version touched too, so those
 * weeks get their revision whenever the change arrives. */
static void a_change_revises_the_weeks_it_leaves(void **state) {
    (void)state;
    int32_t w1 = day(2026, 1, 5);
    ap_store_dirty_t none = NO_DIRTY, closed = {w1 - 70, w1 + 7 * 20};
    /* An hours report corrected from w1 into w3: w1 and w3, not w2. */
    ap_event_t h = hours("c-1", "r-1", 1000, w1 + 1, 60), moved = hours("c-1", "r-1", 2000, w1 + 15, 60);
    assert_int_equal(apply_at(&h, 1, TOPIC, 0, none), AP_APPLY_APPLIED);
    assert_int_equal(apply_at(&moved, 1, TOPIC, 1, closed), AP_APPLY_APPLIED);
    assert_int_equal(dirty_count(1), 2);
    assert_true(dirty_has(1, "c-1", w1) && dirty_has(1, "c-1", w1 + 14));
    /* ... and retracted back in w1's week? No: a retraction keeps its date. */
    ap_event_t gone = moved;
    gone.u.hours.action = AP_HOURS_RETRACTED;
    header(&gone.u.hours.h, "c-1", 3000);
    clear_dirty("c-1", w1, 1);
    clear_dirty("c-1", w1 + 14, 1);
    assert_int_equal(apply_at(&gone, 1, TOPIC, 2, closed), AP_APPLY_APPLIED);
    assert_int_equal(dirty_count(1), 1);
    assert_true(dirty_has(1, "c-1", w1 + 14));

    /* A placement whose end is brought forward from 2026-03-27 to w1's Friday:
     * every week it left is marked (the new version's alone reach w1). */
    ap_event_t pl = placement("c-2", "pl-1", 1000), shorter = placement("c-2", "pl-1", 2000);
    shorter.u.placement.end_date = w1 + 4;
    assert_int_equal(apply_at(&pl, 2, TOPIC, 0, none), AP_APPLY_APPLIED);
    assert_int_equal(apply_at(&shorter, 2, TOPIC, 1, closed), AP_APPLY_APPLIED);
    assert_true(dirty_has(2, "c-2", w1));
    assert_true(dirty_has(2, "c-2", day(2026, 3, 23))); /* the old end's week */
    assert_int_equal(dirty_count(2), (size_t)((day(2026, 3, 23) - (w1 - 14)) / 7 + 1));

    /* A coverage period whose start moves later, and an exemption and a
     * reduction ended early: the weeks they left. */
    ap_event_t cv = coverage("c-3", "cv-1", 1000), later_cv = coverage("c-3", "cv-1", 2000);
    later_cv.u.coverage.from_date = day(2026, 3, 2);
    ap_store_dirty_t window = {w1, w1 + 7 * 3};
    assert_int_equal(apply_at(&cv, 6, TOPIC, 0, none), AP_APPLY_APPLIED);
    assert_int_equal(apply_at(&later_cv, 6, TOPIC, 1, window), AP_APPLY_APPLIED);
    assert_int_equal(dirty_count(6), 4); /* the new version starts after the window */
    ap_event_t ex = exemption("c-4", "ex-1", 1000), ex_end = exemption("c-4", "ex-1", 2000);
    ex_end.u.exemption.action = AP_EXEMPTION_ENDED;
    ex_end.u.exemption.to_date = day(2026, 2, 3);
    ap_store_dirty_t feb = {day(2026, 2, 9), day(2026, 2, 9)};
    assert_int_equal(apply_at(&ex, 7, TOPIC, 0, none), AP_APPLY_APPLIED);
    assert_int_equal(apply_at(&ex_end, 7, TOPIC, 1, feb), AP_APPLY_APPLIED);
    assert_true(dirty_has(7, "c-4", day(2026, 2, 9)));
    ap_event_t rd = reduction("c-5", "rd-1", 1000), rd_end = reduction("c-5", "rd-1", 2000);
    rd_end.u.reduction.valid_to = day(2026, 1, 9);
    ap_store_dirty_t later_weeks = {day(2026, 2, 2), day(2026, 2, 16)};
    assert_int_equal(apply_at(&rd, 8, TOPIC, 0, none), AP_APPLY_APPLIED);
    assert_int_equal(apply_at(&rd_end, 8, TOPIC, 1, later_weeks), AP_APPLY_APPLIED);
    assert_int_equal(dirty_count(8), 3);
    /* A superseded version marks nothing. */
    ap_event_t stale = reduction("c-5", "rd-1", 1500);
    clear_dirty("c-5", day(2026, 2, 2), 8);
    assert_int_equal(apply_at(&stale, 8, TOPIC, 2, later_weeks), AP_APPLY_SUPERSEDED);
    assert_int_equal(dirty_count(8), 2);
}

/* Issue 14, 3: ids that look like the layout's separators never make two
 * citizens' or two reports' state meet. Citizen ids are refused with '|',
 * '{', '}' at the door (events.c); everything else a publisher may send. */
static void adversarial_ids_stay_apart(void **state) {
    (void)state;
    static const char *const citizens[] = {"c-a", "c-a:x", "c:a", "c-a:h", "x", "K\xc3\xb8ge:1", "c-a:x:r"};
    static const char *const reports[] = {"x|r", "r", "x", "|", "r|", "}:h:1", "{c:x}", "a b", "x|r|"};
    enum { NC = sizeof citizens / sizeof *citizens, NR = sizeof reports / sizeof *reports };
    int32_t w1 = day(2026, 1, 5);
    int64_t offset = 0;
    for (int c = 0; c < NC; c++)
        for (int r = 0; r < NR; r++) { /* report r of citizen c: r + 1 minutes, on w1 */
            ap_event_t h = hours(citizens[c], reports[r], 1000, w1, 100 * c + r + 1);
            assert_int_equal(apply_at(&h, 0, TOPIC, offset++, NO_DIRTY), AP_APPLY_APPLIED);
        }
    /* Then every report moves to a week of its own: the index must find each one. */
    ap_store_dirty_t closed = {w1, w1 + 7 * NR};
    for (int c = 0; c < NC; c++)
        for (int r = 0; r < NR; r++) {
            ap_event_t h = hours(citizens[c], reports[r], 2000, w1 + 7 * (r + 1), 100 * c + r + 1);
            assert_int_equal(apply_at(&h, 0, TOPIC, offset++, closed), AP_APPLY_APPLIED);
        }
    for (int c = 0; c < NC; c++) {
        assert_int_equal(load(citizens[c], w1).in.n_hours, 0);
        for (int r = 0; r < NR; r++) {
            loaded_t l = load(citizens[c], w1 + 7 * (r + 1));
            assert_int_equal(l.in.n_hours, 1);
            assert_string_equal(l.in.hours[0].report_id, reports[r]);
            assert_string_equal(l.in.hours[0].h.citizen_id, citizens[c]);
            assert_int_equal(l.in.hours[0].minutes, 100 * c + r + 1);
            assert_true(dirty_has(0, citizens[c], w1 + 7 * (r + 1)));
        }
        assert_true(dirty_has(0, citizens[c], w1));
    }
    assert_int_equal(dirty_count(0), (size_t)NC * (NR + 1));
}

/* Many marks come and go (exercises growth and removal of the set). */
static void many_dirty_marks_come_and_go(void **state) {
    (void)state;
    enum { CITIZENS = 60, WEEKS = 12 };
    int32_t w1 = day(2025, 6, 2); /* the coverage runs from 2025-06-01 on */
    ap_store_dirty_t range = {w1, w1 + 7 * (WEEKS - 1)};
    static ap_event_t evs[CITIZENS];
    int out[CITIZENS];
    char citizen[16];
    for (int i = 0; i < CITIZENS; i++) {
        snprintf(citizen, sizeof citizen, "c-%02d", i);
        evs[i] = coverage(citizen, "cv-1", 1000);
    }
    apply_batch(evs, CITIZENS, 9, TOPIC, 0, range, out);
    assert_int_equal(dirty_count(9), CITIZENS * WEEKS);
    /* Clear the even weeks of every citizen. */
    static ap_store_evaluated_t done[CITIZENS * WEEKS];
    size_t n = 0;
    for (int i = 0; i < CITIZENS; i++)
        for (int w = 0; w < WEEKS; w += 2)
            done[n++] = (ap_store_evaluated_t){evs[i].u.h.citizen_id, w1 + 7 * w, 9};
    assert_int_equal(ap_store_commit_cycle(store, NULL, 0, NULL, 0, NULL, 0, done, n), 0);
    char **cit;
    int32_t *mon;
    size_t k;
    assert_int_equal(ap_store_dirty(store, 9, &cit, &mon, &k), 0);
    assert_int_equal(k, CITIZENS * WEEKS / 2);
    for (size_t i = 0; i < k; i++) assert_int_equal((mon[i] - w1) / 7 % 2, 1);
    ap_store_free_list(cit, k);
    free(mon);
}

/* ------------------------------------------------------ citizens, cycle */

/* Applying registers each citizen on the call's partition, and only there
 * (a citizen's events all arrive on one partition, see store.h). */
static void every_outcome_registers_the_citizen(void **state) {
    (void)state;
    ap_event_t ev = placement("c-1", "pl-1", 2000), older = placement("c-1", "pl-1", 1000);
    assert_int_equal(apply_at(&ev, 1, TOPIC, 0, NO_DIRTY), AP_APPLY_APPLIED);
    assert_int_equal(apply_at(&ev, 1, TOPIC, 0, NO_DIRTY), AP_APPLY_DUPLICATE);
    assert_int_equal(apply_at(&older, 1, TOPIC, 0, NO_DIRTY), AP_APPLY_SUPERSEDED);
    static ap_event_t evs[AP_MAX_ENTITIES + 1];
    int out[AP_MAX_ENTITIES + 1];
    char id[AP_ID_CAP];
    for (int i = 0; i <= AP_MAX_ENTITIES; i++) {
        snprintf(id, sizeof id, "ex-%03d", i);
        evs[i] = exemption("c-2", id, 1000);
    }
    apply_batch(evs, AP_MAX_ENTITIES, 4, TOPIC, 0, NO_DIRTY, out);
    assert_int_equal(apply_at(&evs[AP_MAX_ENTITIES], 4, TOPIC, 0, NO_DIRTY), AP_APPLY_LIMIT);
    assert_true(registered(1, "c-1"));
    assert_true(registered(4, "c-2"));
    assert_false(registered(4, "c-1") || registered(2, "c-1") || registered(0, "c-1"));
    assert_false(registered(1, "c-2") || registered(0, "c-2"));
}

/* Citizens per partition, sorted by strcmp, each once. */
static void citizens_are_listed_sorted_per_partition(void **state) {
    (void)state;
    const char *names[] = {"c-b", "c-a", "c-c", "c-a", "C-z", "c-aa"};
    for (int i = 0; i < 6; i++) {
        ap_event_t ev = coverage(names[i], "cv-1", 1000 + i);
        assert_int_not_equal(apply_at(&ev, 1, TOPIC, i, NO_DIRTY), -1);
    }
    ap_event_t other = coverage("c-0", "cv-1", 1000);
    assert_int_equal(apply_at(&other, 2, TOPIC, 0, NO_DIRTY), AP_APPLY_APPLIED);
    char **list;
    size_t n;
    assert_int_equal(ap_store_citizens(store, 1, &list, &n), 0);
    const char *want[] = {"C-z", "c-a", "c-aa", "c-b", "c-c"};
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) assert_string_equal(list[i], want[i]);
    ap_store_free_list(list, n);
    assert_int_equal(ap_store_citizens(store, 2, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0], "c-0");
    ap_store_free_list(list, n);
    assert_int_equal(ap_store_citizens(store, 3, &list, &n), 0);
    assert_int_equal(n, 0);
    ap_store_free_list(list, n);
}

/* Field by field: the struct has padding, which a round trip need not keep. */
static void assert_clock_equal(const ap_partition_clock_t *a, const ap_partition_clock_t *b) {
    for (int k = 0; k < 3; k++) assert_true(a->tick[k] == b->tick[k]);
    assert_int_equal(a->first_monday, b->first_monday);
    assert_int_equal(a->closed_monday, b->closed_monday);
    assert_int_equal(a->closed_month, b->closed_month);
}

static void the_clock_round_trips(void **state) {
    (void)state;
    ap_partition_clock_t back;
    memset(&back, 0x55, sizeof back);
    assert_int_equal(ap_store_clock_get(store, 7, &back), 0);
    assert_true(back.tick[0] == 0 && back.tick[1] == 0 && back.tick[2] == 0);
    assert_int_equal(back.first_monday, AP_NO_DATE);
    assert_int_equal(back.closed_monday, AP_NO_DATE);
    ap_store_clock_t put = {7, {{1767600000000LL, 2, INT64_MAX}, day(2026, 1, 5), AP_NO_DATE, 202601}};
    assert_int_equal(ap_store_commit_cycle(store, NULL, 0, &put, 1, NULL, 0, NULL, 0), 0);
    assert_int_equal(ap_store_clock_get(store, 7, &back), 0);
    assert_clock_equal(&back, &put.clock);
    assert_int_equal(ap_store_clock_get(store, 8, &back), 0);
    assert_int_equal(back.first_monday, AP_NO_DATE);
    /* A later write replaces it; the last of two in one cycle wins. */
    ap_store_clock_t two[2] = {{7, {{5, 6, 7}, day(2026, 1, 5), day(2026, 1, 12), 202512}},
                               {7, {{8, 9, 10}, day(2026, 1, 5), day(2026, 1, 19), 202601}}};
    assert_int_equal(ap_store_commit_cycle(store, NULL, 0, two, 2, NULL, 0, NULL, 0), 0);
    assert_int_equal(ap_store_clock_get(store, 7, &back), 0);
    assert_clock_equal(&back, &two[1].clock);
}

static void positions_round_trip(void **state) {
    (void)state;
    int64_t next = -7;
    assert_int_equal(ap_store_position_get(store, "in.hours", 0, &next), 1);
    assert_true(next == -7); /* untouched */
    ap_store_position_t pos[3] = {{"in.hours", 0, 42}, {"in.placements", 0, 7}, {"in.hours", 1, 9000000000LL}};
    assert_int_equal(ap_store_commit_cycle(store, NULL, 0, NULL, 0, pos, 3, NULL, 0), 0);
    assert_int_equal(ap_store_position_get(store, "in.hours", 0, &next), 0);
    assert_true(next == 42);
    assert_int_equal(ap_store_position_get(store, "in.placements", 0, &next), 0);
    assert_true(next == 7);
    assert_int_equal(ap_store_position_get(store, "in.hours", 1, &next), 0);
    assert_true(next == 9000000000LL);
    assert_int_equal(ap_store_position_get(store, "in.placements", 1, &next), 1);
    assert_int_equal(ap_store_position_get(store, "in.ticks", 0, &next), 1);
    ap_store_position_t later = {"in.hours", 0, 43};
    assert_int_equal(ap_store_commit_cycle(store, NULL, 0, NULL, 0, &later, 1, NULL, 0), 0);
    assert_int_equal(ap_store_position_get(store, "in.hours", 0, &next), 0);
    assert_true(next == 43);
}

static void result_records_round_trip(void **state) {
    (void)state;
    int32_t w1 = day(2026, 1, 5), w2 = w1 + 7;
    const char *cit[3] = {"c-1", "c-1", "c-unknown"};
    int32_t mon[3] = {w1, w2, w1};
    ap_result_record_t got[3];
    memset(got, 0x55, sizeof got);
    assert_int_equal(ap_store_results_get(store, cit, mon, 3, got), 0);
    for (int i = 0; i < 3; i++) assert_true(got[i].revision == 0 && got[i].digest == 0);
    ap_store_result_t res = {"c-1", w1, {3, 0xfedcba9876543210ULL}};
    assert_int_equal(ap_store_commit_cycle(store, &res, 1, NULL, 0, NULL, 0, NULL, 0), 0);
    assert_int_equal(ap_store_results_get(store, cit, mon, 3, got), 0);
    assert_int_equal(got[0].revision, 3);
    assert_true(got[0].digest == 0xfedcba9876543210ULL);
    assert_true(got[1].revision == 0 && got[1].digest == 0);
    assert_true(got[2].revision == 0 && got[2].digest == 0);
    ap_store_result_t more[2] = {{"c-1", w1, {4, 1}}, {"c-1", w2, {1, 0xffffffffffffffffULL}}};
    assert_int_equal(ap_store_commit_cycle(store, more, 2, NULL, 0, NULL, 0, NULL, 0), 0);
    assert_int_equal(ap_store_results_get(store, cit, mon, 2, got), 0);
    assert_true(got[0].revision == 4 && got[0].digest == 1);
    assert_true(got[1].revision == 1 && got[1].digest == 0xffffffffffffffffULL);
    /* A result record is not state: the week still loads empty. */
    assert_int_equal(load("c-1", w1).in.n_hours, 0);
}

/* Monitoring partials' records (issue 16 §2): per partition and month, a
 * municipality (or "*", the lane record) -> revision and digest, written in
 * the cycle's step, the last write winning, other months and partitions
 * apart. */
static int find_month(const ap_store_month_result_t *list, size_t n, const char *muni) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].municipality_code, muni) == 0) return (int)i;
    return -1;
}

static void month_results_round_trip(void **state) {
    (void)state;
    ap_store_month_result_t *got = NULL;
    size_t n = 99;
    assert_int_equal(ap_store_month_results_get(store, 3, 202601, &got, &n), 0);
    assert_int_equal(n, 0);
    free(got);
    ap_store_month_result_t put[4] = {{3, 202601, "101", {1, 0x1234ULL}},
                                      {3, 202601, "*", {1, 0xffffffffffffffffULL}},
                                      {3, 202602, "101", {1, 7}},
                                      {4, 202601, "101", {2, 8}}};
    ap_store_clock_t clk = {3, {{1, 2, 3}, 10, 10, 202601}};
    ap_store_cycle_t cy = {NULL, 0, &clk, 1, NULL, 0, NULL, 0, put, 4, NULL, 0};
    assert_int_equal(ap_store_commit(store, &cy), 0);
    assert_int_equal(ap_store_month_results_get(store, 3, 202601, &got, &n), 0);
    assert_int_equal(n, 2);
    int a = find_month(got, n, "101"), b = find_month(got, n, "*");
    assert_true(a >= 0 && b >= 0);
    assert_true(got[a].rec.revision == 1 && got[a].rec.digest == 0x1234ULL);
    assert_true(got[b].rec.revision == 1 && got[b].rec.digest == 0xffffffffffffffffULL);
    assert_int_equal(got[a].partition, 3);
    assert_int_equal(got[a].month, 202601);
    free(got);
    ap_partition_clock_t back;
    assert_int_equal(ap_store_clock_get(store, 3, &back), 0);
    assert_int_equal(back.closed_month, 202601);
    /* A revision replaces; the last of two in one cycle wins. */
    ap_store_month_result_t rev[2] = {{3, 202601, "101", {2, 1}}, {3, 202601, "101", {3, 2}}};
    cy = (ap_store_cycle_t){NULL, 0, NULL, 0, NULL, 0, NULL, 0, rev, 2, NULL, 0};
    assert_int_equal(ap_store_commit(store, &cy), 0);
    assert_int_equal(ap_store_month_results_get(store, 3, 202601, &got, &n), 0);
    assert_int_equal(n, 2);
    a = find_month(got, n, "101");
    assert_true(got[a].rec.revision == 3 && got[a].rec.digest == 2);
    free(got);
    assert_int_equal(ap_store_month_results_get(store, 4, 202601, &got, &n), 0);
    assert_true(n == 1 && got[0].rec.revision == 2);
    free(got);
    assert_int_equal(ap_store_month_results_get(store, 3, 202603, &got, &n), 0);
    assert_int_equal(n, 0);
    free(got);
}

/* One cycle writes results, clocks and positions and clears marks together. */
static void a_cycle_writes_everything_at_once(void **state) {
    (void)state;
    int32_t w1 = day(2026, 1, 5);
    ap_store_dirty_t one = {w1, w1};
    ap_event_t ev = hours("c-1", "r-1", 1000, w1, 60);
    assert_int_equal(apply_at(&ev, 0, "in.hours", 10, one), AP_APPLY_APPLIED);
    ap_store_result_t res = {"c-1", w1, {1, 0xabcULL}};
    ap_store_clock_t clk = {0, {{1, 2, 3}, w1, w1, 0}};
    ap_store_position_t pos = {"in.hours", 0, 11};
    ap_store_evaluated_t done = {"c-1", w1, 0};
    assert_int_equal(ap_store_commit_cycle(store, &res, 1, &clk, 1, &pos, 1, &done, 1), 0);
    ap_result_record_t got;
    const char *cit = "c-1";
    assert_int_equal(ap_store_results_get(store, &cit, &w1, 1, &got), 0);
    assert_true(got.revision == 1 && got.digest == 0xabcULL);
    ap_partition_clock_t back;
    assert_int_equal(ap_store_clock_get(store, 0, &back), 0);
    assert_clock_equal(&back, &clk.clock);
    int64_t next;
    assert_int_equal(ap_store_position_get(store, "in.hours", 0, &next), 0);
    assert_true(next == 11);
    assert_int_equal(dirty_count(0), 0);
}

/* ------------------------------------------------------------- loading */

static void an_unknown_citizen_loads_empty(void **state) {
    (void)state;
    ap_event_t ev = placement("c-known", "pl-1", 1000);
    assert_int_equal(apply(&ev), AP_APPLY_APPLIED);
    loaded_t l = load("c-nobody", day(2026, 1, 5));
    assert_int_equal(l.in.n_coverage + l.in.n_placements + l.in.n_hours + l.in.n_exemptions + l.in.n_reductions, 0);
    /* A known citizen's week without hours: its entities, no hours. */
    ap_event_t h = hours("c-known", "r-1", 1000, day(2026, 1, 5), 10);
    assert_int_equal(apply(&h), AP_APPLY_APPLIED);
    l = load("c-known", day(2026, 1, 12));
    assert_int_equal(l.in.n_placements, 1);
    assert_int_equal(l.in.n_hours, 0);
}

/* ------------------------------------------------------------ sanctions */

/* A sanction (docs/monitoring-design.md §1.4) is an entity of its own kind:
 * applied, replaced by a newer version only, a redelivery a duplicate; it
 * comes back whole with its source in every week the citizen is loaded (as
 * exemptions do), and an id shared with another kind names another entity. */
static void a_sanction_is_an_entity_of_its_own(void **state) {
    (void)state;
    ap_event_t v1 = sanction("c-1", "x-1", 1000), v2 = sanction("c-1", "x-1", 3000), v0 = sanction("c-1", "x-1", 500);
    v2.u.sanction.action = AP_SANCTION_CHANGED;
    v2.u.sanction.effective_from = AP_NO_DATE; /* optional fields left out */
    memset(v2.u.sanction.legal_basis, 0, AP_TEXT_CAP);
    memset(v2.u.sanction.placement_id, 0, AP_ID_CAP);
    strcpy(v2.u.sanction.journal_ref, "j-sanction-2");
    v0.u.sanction.action = AP_SANCTION_CANCELLED;
    ap_event_t pl = placement("c-1", "x-1", 1000);
    assert_int_equal(apply_at(&v1, 2, "in.exemption", 10, NO_DIRTY), AP_APPLY_APPLIED);
    assert_int_equal(apply_at(&v1, 2, "in.exemption", 11, NO_DIRTY), AP_APPLY_DUPLICATE);
    assert_int_equal(apply_at(&pl, 2, "in.placement", 12, NO_DIRTY), AP_APPLY_APPLIED);

    loaded_t l = load("c-1", day(2026, 6, 1)); /* any week: all the citizen's sanctions */
    assert_int_equal(l.in.n_sanctions, 1);
    assert_memory_equal(&l.in.sanctions[0], &v1.u.sanction, sizeof v1.u.sanction);
    assert_string_equal(l.src.sanctions[0].topic, "in.exemption");
    assert_int_equal(l.src.sanctions[0].partition, 2);
    assert_int_equal(l.src.sanctions[0].offset, 10);
    assert_string_equal(l.src.sanctions[0].event_id, v1.u.sanction.h.event_id);
    assert_int_equal(l.in.n_placements, 1);
    assert_int_equal(l.in.n_coverage + l.in.n_exemptions + l.in.n_reductions + l.in.n_hours, 0);

    assert_int_equal(apply_at(&v2, 2, "in.exemption", 20, NO_DIRTY), AP_APPLY_APPLIED);
    assert_int_equal(apply_at(&v0, 2, "in.exemption", 21, NO_DIRTY), AP_APPLY_SUPERSEDED); /* older: recorded, not kept */
    assert_int_equal(apply_at(&v0, 2, "in.exemption", 22, NO_DIRTY), AP_APPLY_DUPLICATE);
    l = load("c-1", day(2026, 2, 2));
    assert_int_equal(l.in.n_sanctions, 1);
    assert_memory_equal(&l.in.sanctions[0], &v2.u.sanction, sizeof v2.u.sanction);
    assert_int_equal(l.in.sanctions[0].effective_from, AP_NO_DATE);
    assert_string_equal(l.in.sanctions[0].legal_basis, "");
    assert_int_equal(l.src.sanctions[0].offset, 20);
    assert_string_equal(l.src.sanctions[0].event_id, v2.u.sanction.h.event_id);

    /* A second sanction, its free text at its capacity. */
    ap_event_t other = sanction("c-1", "sa-2", 1000);
    memset(other.u.sanction.legal_basis, 'b', AP_TEXT_CAP - 1);
    other.u.sanction.legal_basis[AP_TEXT_CAP - 1] = '\0';
    assert_int_equal(apply(&other), AP_APPLY_APPLIED);
    l = load("c-1", day(2026, 2, 2));
    assert_int_equal(l.in.n_sanctions, 2);
    assert_memory_equal(&l.in.sanctions[find_sanction(&l, "sa-2")], &other.u.sanction, sizeof other.u.sanction);
    assert_memory_equal(&l.in.sanctions[find_sanction(&l, "x-1")], &v2.u.sanction, sizeof v2.u.sanction);
    assert_int_equal(load("c-2", day(2026, 2, 2)).in.n_sanctions, 0);
}

/* A sanction changes only the week of its decision_date (ap_store_event_span):
 * that week alone is marked dirty, and a change of the date marks the week
 * it leaves too. */
static void a_sanction_marks_its_decision_week_only(void **state) {
    (void)state;
    int32_t w = day(2026, 2, 2); /* the Monday before 2026-02-04 */
    ap_store_dirty_t closed = {w - 70, w + 70};
    ap_event_t sa = sanction("c-1", "sa-1", 1000);
    int32_t from, to;
    ap_store_event_span(&sa, &from, &to);
    assert_int_equal(from, w);
    assert_int_equal(to, w);
    assert_int_equal(apply_at(&sa, 3, TOPIC, 0, closed), AP_APPLY_APPLIED);
    assert_int_equal(dirty_count(3), 1);
    assert_true(dirty_has(3, "c-1", w));
    clear_dirty_all(3);
    ap_event_t moved = sanction("c-1", "sa-1", 2000);
    moved.u.sanction.decision_date = w + 14 + 6; /* the Sunday of w + 14 */
    assert_int_equal(apply_at(&moved, 3, TOPIC, 1, closed), AP_APPLY_APPLIED);
    assert_int_equal(dirty_count(3), 2);
    assert_true(dirty_has(3, "c-1", w) && dirty_has(3, "c-1", w + 14));
    clear_dirty_all(3);
    assert_int_equal(apply_at(&moved, 3, TOPIC, 1, closed), AP_APPLY_DUPLICATE);
    assert_int_equal(dirty_count(3), 0);
}

/* AP_MAX_ENTITIES sanctions per citizen: one more is refused without a
 * mark, a new version of one of them applies, and the other kinds keep
 * their own room. */
static void the_sanction_bound(void **state) {
    (void)state;
    static ap_event_t evs[AP_MAX_ENTITIES + 1];
    int out[AP_MAX_ENTITIES + 1];
    char id[AP_ID_CAP];
    for (int i = 0; i <= AP_MAX_ENTITIES; i++) {
        snprintf(id, sizeof id, "sa-%03d", i);
        evs[i] = sanction("c-many", id, 1000);
    }
    apply_batch(evs, AP_MAX_ENTITIES + 1, 1, TOPIC, 0, NO_DIRTY, out);
    for (int i = 0; i < AP_MAX_ENTITIES; i++) assert_int_equal(out[i], AP_APPLY_APPLIED);
    assert_int_equal(out[AP_MAX_ENTITIES], AP_APPLY_LIMIT);
    assert_int_equal(apply(&evs[AP_MAX_ENTITIES]), AP_APPLY_LIMIT); /* not marked: refused again */
    ap_event_t update = sanction("c-many", "sa-007", 2000);
    update.u.sanction.action = AP_SANCTION_CANCELLED;
    assert_int_equal(apply(&update), AP_APPLY_APPLIED);
    ap_event_t ex = exemption("c-many", "ex-1", 1000);
    assert_int_equal(apply(&ex), AP_APPLY_APPLIED);
    loaded_t l = load("c-many", day(2026, 2, 2));
    assert_int_equal(l.in.n_sanctions, AP_MAX_ENTITIES);
    assert_int_equal(find_sanction(&l, "sa-128"), -1);
    assert_int_equal(l.in.sanctions[find_sanction(&l, "sa-007")].action, AP_SANCTION_CANCELLED);
    assert_int_equal(l.in.n_exemptions, 1);
}

typedef struct visits {
    size_t calls, stop_at;
    size_t index[4];
    char citizen[4][AP_ID_CAP];
    int32_t monday[4];
    size_t n_hours[4];
} visits_t;

static int visit(void *ctx, size_t index, const ap_week_input_t *in, const ap_week_sources_t *src) {
    visits_t *v = ctx;
    assert_non_null(src);
    if (v->calls < 4) {
        v->index[v->calls] = index;
        snprintf(v->citizen[v->calls], AP_ID_CAP, "%s", in->citizen_id);
        v->monday[v->calls] = in->week_start;
        v->n_hours[v->calls] = in->n_hours;
    }
    return ++v->calls == v->stop_at;
}

/* load_weeks visits the pairs in order with their index, and stops when told. */
static void load_weeks_visits_in_order_and_stops_early(void **state) {
    (void)state;
    int32_t w1 = day(2026, 1, 5), w2 = w1 + 7;
    ap_event_t evs[3] = {hours("c-1", "r-1", 1000, w1, 10), hours("c-1", "r-2", 1000, w2, 20),
                         hours("c-1", "r-3", 1000, w2 + 1, 30)};
    for (int i = 0; i < 3; i++) assert_int_equal(apply(&evs[i]), AP_APPLY_APPLIED);
    const char *cit[3] = {"c-1", "c-2", "c-1"};
    int32_t mon[3] = {w2, w1, w1};
    visits_t v = {0};
    assert_int_equal(ap_store_load_weeks(store, cit, mon, 3, &scratch, visit, &v), 0);
    assert_int_equal(v.calls, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(v.index[i], i);
        assert_string_equal(v.citizen[i], cit[i]);
        assert_int_equal(v.monday[i], mon[i]);
    }
    assert_int_equal(v.n_hours[0], 2);
    assert_int_equal(v.n_hours[1], 0);
    assert_int_equal(v.n_hours[2], 1);

    visits_t stop = {.stop_at = 2};
    assert_int_equal(ap_store_load_weeks(store, cit, mon, 3, &scratch, visit, &stop), 0);
    assert_int_equal(stop.calls, 2);
    visits_t none = {0};
    assert_int_equal(ap_store_load_weeks(store, cit, mon, 0, &scratch, visit, &none), 0);
    assert_int_equal(none.calls, 0);
}

#if !AP_CONTRACT_REDIS
/* Beyond the contract, the memory store refuses what the Redis store cannot
 * be given either (a tick is no state, a cycle needs its keys), and refuses
 * it whole: an error changes nothing. */
static void memory_refuses_bad_calls_whole(void **state) {
    (void)state;
    ap_event_t evs[2] = {placement("c-1", "pl-1", 1000)};
    evs[1].type = AP_EV_TICK;
    strcpy(evs[1].u.tick.event_id, "00000000-0000-4000-8000-0000000000d1");
    ap_store_item_t items[2] = {{&evs[0], {NULL, 0}, NO_DIRTY, TOPIC, 0}, {&evs[1], {NULL, 0}, NO_DIRTY, TOPIC, 1}};
    int out[2] = {-1, -1};
    assert_int_equal(ap_store_apply(store, items, 2, 0, 0, out), -1);
    assert_non_null(strstr(ap_store_error(store), "item 1"));
    assert_int_equal(out[0], -1);
    assert_false(registered(0, "c-1"));
    assert_int_equal(load("c-1", day(2026, 1, 5)).in.n_placements, 0);

    ap_store_clock_t clk = {0, {{1, 2, 3}, 10, 10, 0}};
    ap_store_evaluated_t bad = {NULL, 10, 0};
    assert_int_equal(ap_store_commit_cycle(store, NULL, 0, &clk, 1, NULL, 0, &bad, 1), -1);
    ap_partition_clock_t back;
    assert_int_equal(ap_store_clock_get(store, 0, &back), 0);
    assert_int_equal(back.first_monday, AP_NO_DATE);
    assert_int_equal(ap_store_reconnect(store), 0);
}
#endif

#if !AP_CONTRACT_REDIS
/* The generation is the closed week's number (weeks since 1970) divided by
 * the horizon, plus one; 0 before any close or with the horizon off. */
static void generations_follow_the_closed_week(void **state) {
    (void)state;
    assert_int_equal(ap_store_generation(AP_NO_DATE, 4), 0);
    assert_int_equal(ap_store_generation(day(2026, 1, 5), 0), 0);
    int32_t monday = day(2026, 1, 5); /* day 20458: 2922 whole weeks after 1970-01-01 */
    assert_int_equal(monday, 20458);
    assert_int_equal(ap_store_generation(monday, 1), 2923);
    assert_int_equal(ap_store_generation(monday, 4), 2922 / 4 + 1);
    /* Consecutive weeks: a new generation every `horizon` weeks, never back. */
    int changes = 0;
    for (int w = 1; w < 40; w++) {
        int32_t a = ap_store_generation(monday + 7 * (w - 1), 4), b = ap_store_generation(monday + 7 * w, 4);
        assert_true(b == a || b == a + 1);
        changes += b != a;
    }
    assert_true(changes == 9 || changes == 10);
}
#endif

/* ------------------------------------------------------------- fencing */

/* One event applied on `partition` under `epoch` (store.h, fencing):
 * ap_store_apply_fenced's answer, with the outcome in *outcome. */
static int apply_under(const ap_event_t *ev, int32_t partition, int64_t epoch, ap_store_dirty_t dirty, int *outcome) {
    ap_buf_t buf = AP_BUF_INIT;
    ap_events_encode(ev, &buf);
    ap_store_item_t item = {ev, {(const uint8_t *)buf.data, buf.len}, dirty, TOPIC, 40};
    *outcome = -1;
    int rc = ap_store_apply_fenced(store, &item, 1, partition, generation, epoch, outcome);
    ap_buf_free(&buf);
    return rc;
}

static size_t citizen_count(int32_t partition) {
    char **list;
    size_t n;
    assert_int_equal(ap_store_citizens(store, partition, &list, &n), 0);
    ap_store_free_list(list, n);
    return n;
}

/* Each claim of a partition gives the next epoch (the first 1), per partition. */
static void claiming_moves_the_epoch_on(void **state) {
    (void)state;
    int64_t e = 0;
    assert_int_equal(ap_store_claim(store, 5, &e), 0);
    assert_true(e == 1);
    assert_int_equal(ap_store_claim(store, 5, &e), 0);
    assert_true(e == 2);
    assert_int_equal(ap_store_claim(store, 6, &e), 0);
    assert_true(e == 1);
}

/* The paused instance (old epoch) against the one that claimed the partition
 * after it (new epoch): every write of the old one is refused as
 * AP_STORE_FENCED with nothing changed (state, dedup ids, registration, dirty
 * marks, results, clock, positions, monitoring partials); the new one's
 * writes work, and the event refused before is applied, not a duplicate. */
static void a_stale_epoch_writes_nothing(void **state) {
    (void)state;
    const int32_t part = 5, w1 = day(2026, 1, 5), w2 = day(2026, 1, 12);
    const ap_store_dirty_t closed = {w1, w2};
    int64_t old = 0, cur = 0;
    int outcome;
    assert_int_equal(ap_store_claim(store, part, &old), 0);
    ap_event_t first = hours("c-1", "r-1", 1000, w1, 60);
    assert_int_equal(apply_under(&first, part, old, NO_DIRTY, &outcome), 0);
    assert_int_equal(outcome, AP_APPLY_APPLIED);
    ap_store_result_t res = {"c-1", w1, {1, 0xabcULL}};
    ap_store_clock_t clk = {part, {{1, 2, 3}, w1, w1, 0}};
    ap_store_position_t pos = {"in.hours", part, 11};
    ap_store_fence_t fence = {part, old};
    ap_store_cycle_t cy = {&res, 1, &clk, 1, &pos, 1, NULL, 0, NULL, 0, &fence, 1};
    assert_int_equal(ap_store_commit(store, &cy), 0);

    assert_int_equal(ap_store_claim(store, part, &cur), 0); /* another instance takes the partition */
    assert_true(cur == old + 1);
    ap_event_t late = hours("c-2", "r-2", 2000, w1, 30); /* would register c-2 and mark w1 dirty */
    assert_int_equal(apply_under(&late, part, old, closed, &outcome), AP_STORE_FENCED);
    assert_non_null(strstr(ap_store_error(store), "fenced"));
    ap_store_result_t res2 = {"c-1", w1, {2, 0xdefULL}};
    ap_store_clock_t clk2 = {part, {{9, 9, 9}, w1, w2, 202601}};
    ap_store_position_t pos2 = {"in.hours", part, 99};
    ap_store_evaluated_t done = {"c-2", w1, part};
    ap_store_month_result_t mres = {part, 202601, "101", {1, 7}};
    cy = (ap_store_cycle_t){&res2, 1, &clk2, 1, &pos2, 1, &done, 1, &mres, 1, &fence, 1};
    assert_int_equal(ap_store_commit(store, &cy), AP_STORE_FENCED);

    const char *cit = "c-1";
    ap_result_record_t got;
    assert_int_equal(ap_store_results_get(store, &cit, &w1, 1, &got), 0);
    assert_true(got.revision == 1 && got.digest == 0xabcULL);
    ap_partition_clock_t back;
    assert_int_equal(ap_store_clock_get(store, part, &back), 0);
    assert_clock_equal(&back, &clk.clock);
    int64_t next = 0;
    assert_int_equal(ap_store_position_get(store, "in.hours", part, &next), 0);
    assert_true(next == 11);
    ap_store_month_result_t *months;
    size_t n_months;
    assert_int_equal(ap_store_month_results_get(store, part, 202601, &months, &n_months), 0);
    assert_int_equal(n_months, 0);
    free(months);
    assert_int_equal(citizen_count(part), 1);
    assert_int_equal(dirty_count(part), 0);
    assert_int_equal(load("c-2", w1).in.n_hours, 0);

    /* The owner's epoch works: the refused event was never recorded as applied. */
    assert_int_equal(apply_under(&late, part, cur, closed, &outcome), 0);
    assert_int_equal(outcome, AP_APPLY_APPLIED);
    assert_int_equal(dirty_count(part), 1);
    assert_int_equal(citizen_count(part), 2);
    fence.epoch = cur;
    assert_int_equal(ap_store_commit(store, &cy), 0);
    assert_int_equal(ap_store_results_get(store, &cit, &w1, 1, &got), 0);
    assert_true(got.revision == 2 && got.digest == 0xdefULL);
    assert_int_equal(ap_store_position_get(store, "in.hours", part, &next), 0);
    assert_true(next == 99);
    assert_int_equal(dirty_count(part), 0);
    /* Another partition's epoch is its own: claiming 5 fences nothing of 6. */
    ap_event_t other = hours("c-3", "r-3", 3000, w1, 10);
    int64_t e6 = 0;
    assert_int_equal(ap_store_claim(store, 6, &e6), 0);
    assert_int_equal(apply_under(&other, 6, e6, NO_DIRTY, &outcome), 0);
    assert_int_equal(outcome, AP_APPLY_APPLIED);
}

/* Epoch 0 is unfenced (offline replay, tools): it writes whatever the epoch. */
static void epoch_zero_is_unfenced(void **state) {
    (void)state;
    int64_t e = 0;
    int outcome;
    assert_int_equal(ap_store_claim(store, 2, &e), 0);
    ap_event_t ev = placement("c-1", "pl-1", 1000);
    assert_int_equal(apply_under(&ev, 2, 0, NO_DIRTY, &outcome), 0);
    assert_int_equal(outcome, AP_APPLY_APPLIED);
    ap_store_position_t pos = {"in.hours", 2, 5};
    ap_store_cycle_t cy = {NULL, 0, NULL, 0, &pos, 1, NULL, 0, NULL, 0, NULL, 0};
    assert_int_equal(ap_store_commit(store, &cy), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, open_store, close_store)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(store_says_its_kind),
        T(redelivery_is_a_duplicate),
        T(conflict_within_one_call),
        T(a_forgotten_id_redelivered_changes_nothing),
        T(a_reused_id_is_a_conflict_only_within_the_horizon),
        T(the_generation_never_goes_back),
        T(only_the_last_two_generations_are_remembered),
        T(dedup_is_per_citizen),
        T(newest_version_wins_in_any_order),
        T(event_id_breaks_a_recorded_at_tie),
        T(a_batch_applies_in_order),
        T(a_correction_moves_hours_between_weeks),
        T(a_batch_moves_hours_like_single_calls),
        T(each_kind_is_a_map_of_its_own),
        T(loaded_entities_equal_the_applied_events),
        T(sources_name_the_current_input_record),
        T(the_entity_bound_refuses_without_a_mark),
        T(the_week_bound_counts_moves),
        T(dirty_marks_come_with_a_change_only),
        T(clearing_takes_only_the_evaluated_marks),
        T(marks_are_the_weeks_a_version_touches),
        T(a_change_revises_the_weeks_it_leaves),
        T(adversarial_ids_stay_apart),
        T(many_dirty_marks_come_and_go),
        T(every_outcome_registers_the_citizen),
        T(citizens_are_listed_sorted_per_partition),
        T(the_clock_round_trips),
        T(positions_round_trip),
        T(result_records_round_trip),
        T(month_results_round_trip),
        T(a_cycle_writes_everything_at_once),
        T(an_unknown_citizen_loads_empty),
        T(load_weeks_visits_in_order_and_stops_early),
        T(a_sanction_is_an_entity_of_its_own),
        T(a_sanction_marks_its_decision_week_only),
        T(the_sanction_bound),
        T(claiming_moves_the_epoch_on),
        T(a_stale_epoch_writes_nothing),
        T(epoch_zero_is_unfenced),
#if !AP_CONTRACT_REDIS
        T(memory_refuses_bad_calls_whole),
        cmocka_unit_test(generations_follow_the_closed_week),
#endif
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
