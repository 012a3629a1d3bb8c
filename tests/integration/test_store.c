/* The Redis store against a real redis-server (started by the env fixture):
 * atomic apply with dedup, version order, hours moving between weeks,
 * entity bounds, clock and result records. */
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

#include <hiredis/hiredis.h>

static ap_store_t *store;
static char prefix[32];
static int redis_port;

static int setup(void **state) {
    (void)state;
    const char *dir = getenv("AP_TEST_ENV");
    char path[512], line[256], err[256];
    int port = 0;
    if (!dir) { fprintf(stderr, "AP_TEST_ENV not set\n"); return -1; }
    snprintf(path, sizeof path, "%s/env.sh", dir);
    FILE *f = fopen(path, "r");
    if (!f) { fprintf(stderr, "no %s: is the env fixture running?\n", path); return -1; }
    while (fgets(line, sizeof line, f)) sscanf(line, "export AP_REDIS_PORT=%d", &port);
    fclose(f);
    ap_codec_error_t cerr;
    if (ap_events_init(&cerr)) return -1;
    snprintf(prefix, sizeof prefix, "t%d", (int)getpid());
    redis_port = port;
    store = ap_store_connect("127.0.0.1", port, prefix, 5000, err, sizeof err);
    if (!store) fprintf(stderr, "%s\n", err);
    return store ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    ap_store_destroy(store);
    return 0;
}

static ap_event_t hours_event(const char *event_id, int64_t recorded_at, const char *date, int minutes) {
    ap_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_HOURS;
    snprintf(ev.u.hours.h.event_id, AP_UUID_CAP, "%s", event_id);
    strcpy(ev.u.hours.h.citizen_id, "c-store");
    strcpy(ev.u.hours.h.municipality_code, "101");
    ev.u.hours.h.occurred_at = 1767600000000LL;
    ev.u.hours.h.recorded_at = recorded_at;
    strcpy(ev.u.hours.h.source_system, "test");
    strcpy(ev.u.hours.report_id, "r-1");
    ap_cal_parse_date(date, 10, &ev.u.hours.activity_date);
    ev.u.hours.activity_kind = AP_ACT_NYTTEINDSATS;
    ev.u.hours.minutes = minutes;
    return ev;
}

static int apply_one(const ap_event_t *ev) {
    ap_buf_t b = AP_BUF_INIT;
    ap_events_encode(ev, &b);
    ap_bytes_t bytes = {(const uint8_t *)b.data, b.len};
    int outcome = -1;
    ap_store_dirty_t none = {1, 0};
    assert_int_equal(ap_store_apply(store, &ev, &bytes, &none, 1, 0, &outcome), 0);
    ap_buf_free(&b);
    return outcome;
}

typedef struct seen {
    size_t n_hours;
    int32_t minutes;
    size_t n_placements;
} seen_t;

static int capture(void *ctx, size_t i, const ap_week_input_t *in) {
    (void)i;
    seen_t *s = ctx;
    s->n_hours = in->n_hours;
    s->minutes = in->n_hours ? in->hours[0].minutes : -1;
    s->n_placements = in->n_placements;
    return 0;
}

static seen_t load(const char *citizen, const char *monday) {
    static ap_citizen_state_t scratch;
    seen_t s = {0};
    int32_t m;
    ap_cal_parse_date(monday, 10, &m);
    assert_int_equal(ap_store_load_weeks(store, &citizen, &m, 1, &scratch, capture, &s), 0);
    return s;
}

static void apply_is_idempotent_and_versioned(void **state) {
    (void)state;
    ap_event_t v1 = hours_event("00000000-0000-4000-8000-000000000001", 1000, "2026-01-05", 100);
    ap_event_t v2 = hours_event("00000000-0000-4000-8000-000000000002", 2000, "2026-01-06", 200);
    ap_event_t v0 = hours_event("00000000-0000-4000-8000-000000000003", 500, "2026-01-07", 50);
    assert_int_equal(apply_one(&v1), AP_APPLY_APPLIED);
    assert_int_equal(apply_one(&v1), AP_APPLY_DUPLICATE); /* redelivery changes nothing */
    assert_int_equal(apply_one(&v2), AP_APPLY_APPLIED);
    assert_int_equal(apply_one(&v0), AP_APPLY_SUPERSEDED); /* older record arriving late */
    assert_int_equal(apply_one(&v0), AP_APPLY_DUPLICATE);
    seen_t s = load("c-store", "2026-01-05");
    assert_int_equal(s.n_hours, 1);
    assert_int_equal(s.minutes, 200);
}

static void correction_moves_report_between_weeks(void **state) {
    (void)state;
    ap_event_t moved = hours_event("00000000-0000-4000-8000-000000000004", 3000, "2026-01-13", 300);
    moved.u.hours.action = AP_HOURS_CORRECTED;
    assert_int_equal(apply_one(&moved), AP_APPLY_APPLIED);
    assert_int_equal(load("c-store", "2026-01-05").n_hours, 0);
    seen_t s = load("c-store", "2026-01-12");
    assert_int_equal(s.n_hours, 1);
    assert_int_equal(s.minutes, 300);
}

static void entity_bound_is_enforced(void **state) {
    (void)state;
    static ap_event_t evs[AP_MAX_ENTITIES + 1];
    const ap_event_t *ptrs[AP_MAX_ENTITIES + 1];
    ap_buf_t bufs[AP_MAX_ENTITIES + 1];
    ap_bytes_t bytes[AP_MAX_ENTITIES + 1];
    int outcomes[AP_MAX_ENTITIES + 1];
    for (int i = 0; i <= AP_MAX_ENTITIES; i++) {
        memset(&evs[i], 0, sizeof evs[i]);
        evs[i].type = AP_EV_PLACEMENT;
        ap_placement_t *p = &evs[i].u.placement;
        snprintf(p->h.event_id, AP_UUID_CAP, "00000000-0000-4000-8001-%012d", i);
        strcpy(p->h.citizen_id, "c-many");
        strcpy(p->h.municipality_code, "101");
        p->h.recorded_at = p->h.occurred_at = 1;
        strcpy(p->h.source_system, "t");
        snprintf(p->placement_id, AP_ID_CAP, "pl-%03d", i);
        p->job_type = -1;
        p->start_date = 20458;
        p->end_date = 20500;
        ap_buf_init(&bufs[i]);
        ap_events_encode(&evs[i], &bufs[i]);
        bytes[i] = (ap_bytes_t){(const uint8_t *)bufs[i].data, bufs[i].len};
        ptrs[i] = &evs[i];
    }
    static ap_store_dirty_t none[AP_MAX_ENTITIES + 1];
    for (int i = 0; i <= AP_MAX_ENTITIES; i++) none[i] = (ap_store_dirty_t){1, 0};
    assert_int_equal(ap_store_apply(store, ptrs, bytes, none, AP_MAX_ENTITIES + 1, 1, outcomes), 0);
    for (int i = 0; i < AP_MAX_ENTITIES; i++) assert_int_equal(outcomes[i], AP_APPLY_APPLIED);
    assert_int_equal(outcomes[AP_MAX_ENTITIES], AP_APPLY_LIMIT);
    assert_int_equal(load("c-many", "2026-01-05").n_placements, AP_MAX_ENTITIES);
    for (int i = 0; i <= AP_MAX_ENTITIES; i++) ap_buf_free(&bufs[i]);
}

static void dirty_marks_come_with_the_change_only(void **state) {
    (void)state;
    ap_event_t ev = hours_event("00000000-0000-4000-8000-000000000009", 5000, "2026-01-21", 90);
    strcpy(ev.u.hours.report_id, "r-dirty");
    ap_buf_t b = AP_BUF_INIT;
    ap_events_encode(&ev, &b);
    ap_bytes_t bytes = {(const uint8_t *)b.data, b.len};
    const ap_event_t *p = &ev;
    ap_store_dirty_t range = {20465, 20472}; /* two closed weeks */
    int outcome;
    assert_int_equal(ap_store_apply(store, &p, &bytes, &range, 1, 5, &outcome), 0);
    assert_int_equal(outcome, AP_APPLY_APPLIED);
    char **cit;
    int32_t *mon;
    size_t n;
    assert_int_equal(ap_store_dirty(store, 5, &cit, &mon, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(cit[0], "c-store");
    assert_true((mon[0] == 20465 && mon[1] == 20472) || (mon[0] == 20472 && mon[1] == 20465));
    ap_store_free_list(cit, n);
    free(mon);
    /* Clearing them in the cycle transaction; a redelivered duplicate marks nothing. */
    ap_store_evaluated_t done[2] = {{"c-store", 20465, 5}, {"c-store", 20472, 5}};
    ap_store_position_t pos = {"t", 5, 42};
    assert_int_equal(ap_store_commit_cycle(store, NULL, NULL, NULL, 0, NULL, 0, &pos, 1, done, 2), 0);
    assert_int_equal(ap_store_apply(store, &p, &bytes, &range, 1, 5, &outcome), 0);
    assert_int_equal(outcome, AP_APPLY_DUPLICATE);
    assert_int_equal(ap_store_dirty(store, 5, &cit, &mon, &n), 0);
    assert_int_equal(n, 0);
    ap_store_free_list(cit, n);
    free(mon);
    int64_t next;
    assert_int_equal(ap_store_position_get(store, "t", 5, &next), 0);
    assert_true(next == 42);
    assert_int_equal(ap_store_position_get(store, "t", 6, &next), 1);
    ap_buf_free(&b);
}

/* A restarted Redis has lost our Lua script: the store must notice and
 * reconnect (which loads it again) instead of failing forever. */
static void lost_script_forces_a_reconnect(void **state) {
    (void)state;
    redisContext *admin = redisConnect("127.0.0.1", redis_port);
    assert_non_null(admin);
    freeReplyObject(redisCommand(admin, "SCRIPT FLUSH"));
    redisFree(admin);
    ap_event_t ev = hours_event("00000000-0000-4000-8000-00000000000a", 6000, "2026-02-02", 30);
    strcpy(ev.u.hours.report_id, "r-noscript");
    ap_buf_t b = AP_BUF_INIT;
    ap_events_encode(&ev, &b);
    ap_bytes_t bytes = {(const uint8_t *)b.data, b.len};
    const ap_event_t *p = &ev;
    ap_store_dirty_t none = {1, 0};
    int outcome;
    assert_int_equal(ap_store_apply(store, &p, &bytes, &none, 1, 0, &outcome), -1);
    assert_non_null(strstr(ap_store_error(store), "NOSCRIPT"));
    assert_int_equal(ap_store_ping(store), -1); /* the connection is known to be unusable */
    assert_int_equal(ap_store_reconnect(store), 0);
    assert_int_equal(ap_store_ping(store), 0);
    assert_int_equal(ap_store_apply(store, &p, &bytes, &none, 1, 0, &outcome), 0);
    assert_int_equal(outcome, AP_APPLY_APPLIED);
    ap_buf_free(&b);
}

static void clock_citizens_and_results(void **state) {
    (void)state;
    ap_partition_clock_t c = {{1, 2, 3}, 20458, AP_NO_DATE}, back;
    assert_int_equal(ap_store_clock_get(store, 7, &back), 0);
    assert_int_equal(back.first_monday, AP_NO_DATE); /* unknown partition */
    ap_store_clock_t put = {7, c};
    assert_int_equal(ap_store_commit_cycle(store, NULL, NULL, NULL, 0, &put, 1, NULL, 0, NULL, 0), 0);
    assert_int_equal(ap_store_clock_get(store, 7, &back), 0);
    assert_memory_equal(&c, &back, sizeof c);

    char **list;
    size_t n;
    assert_int_equal(ap_store_citizens(store, 0, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0], "c-store");
    ap_store_free_list(list, n);

    const char *cit[] = {"c-store", "c-store"};
    int32_t mon[] = {20458, 20465};
    ap_result_record_t recs[2] = {{3, 0xfeedULL}, {0, 0}}, got[2];
    assert_int_equal(ap_store_commit_cycle(store, cit, mon, recs, 1, NULL, 0, NULL, 0, NULL, 0), 0);
    assert_int_equal(ap_store_results_get(store, cit, mon, 2, got), 0);
    assert_int_equal(got[0].revision, 3);
    assert_true(got[0].digest == 0xfeedULL);
    assert_int_equal(got[1].revision, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(apply_is_idempotent_and_versioned),
        cmocka_unit_test(correction_moves_report_between_weeks),
        cmocka_unit_test(entity_bound_is_enforced),
        cmocka_unit_test(dirty_marks_come_with_the_change_only),
        cmocka_unit_test(lost_script_forces_a_reconnect),
        cmocka_unit_test(clock_citizens_and_results),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
