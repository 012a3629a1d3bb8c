/* The metrics exposition (metrics.h) and the readiness rule (health.h).
 * With --print, writes a filled snapshot's exposition to stdout instead, for
 * unit_metrics_promtool (Prometheus's own checker) to judge. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "arbejdspligt/events.h"
#include "arbejdspligt/health.h"
#include "arbejdspligt/metrics.h"

static ap_metrics_snapshot_t snap;

/* A snapshot with every part filled, and awkward label values. */
static void fill(ap_metrics_snapshot_t *m) {
    memset(m, 0, sizeof *m);
    m->version = "0.1.0/format-2";
    m->start_time_s = 1764547200.5;
    m->applied = 1000, m->duplicates = 7, m->superseded = 3, m->dead_letters = 5, m->ticks = 12;
    m->weeks_closed = 4, m->results = 400, m->alerts = 90, m->cycles = 33;
    m->months_evaluated = 6, m->monitoring_records = 21;
    m->dead_letters_by_reason[0] = 2;  /* TRUNCATED */
    m->dead_letters_by_reason[11] = 3; /* INVALID_EVENT */
    uint64_t samples[] = {10, 499, 500, 501, 30000, 2500000, 2500001, 9000000};
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) ap_histogram_observe(&m->stage[0], samples[i]);
    ap_histogram_observe(&m->stage[2], 1200);
    m->redis_round_trips = 88, m->cache_hits = 5, m->cache_misses = 6;
    m->assigned = 3;
    m->n_inputs = 3;
    m->inputs[0] = (ap_metrics_input_t){"ap.hours", 0, 120, 150};
    m->inputs[1] = (ap_metrics_input_t){"odd\"topic\\with\nbreaks", 1, 5, 5};
    m->inputs[2] = (ap_metrics_input_t){"ap.hours", 2, -1, 10}; /* nothing read yet: left out */
    m->n_clocks = 2;
    m->clocks[0] = (ap_metrics_clock_t){0, 1764547200000};
    m->clocks[1] = (ap_metrics_clock_t){1, 0}; /* no tick yet: left out */
    m->now_ms = 1764547260500;
    m->ready = 1;
    m->retrying_s = 0;
}

static char *format(const ap_metrics_snapshot_t *m) {
    ap_buf_t b = AP_BUF_INIT;
    ap_metrics_format(m, &b);
    ap_buf_append_byte(&b, 0);
    return b.data; /* the caller frees */
}

static int has_line(const char *text, const char *line) {
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p += n)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0')) return 1;
    return 0;
}

static void counters_and_reasons_are_exposed(void **state) {
    (void)state;
    fill(&snap);
    char *t = format(&snap);
    assert_true(has_line(t, "ap_records_applied_total 1000"));
    assert_true(has_line(t, "ap_records_duplicate_total 7"));
    assert_true(has_line(t, "ap_records_superseded_total 3"));
    assert_true(has_line(t, "ap_closes_total 4"));
    assert_true(has_line(t, "ap_results_total 400"));
    assert_true(has_line(t, "ap_months_evaluated_total 6"));
    assert_true(has_line(t, "ap_monitoring_records_total 21"));
    assert_true(has_line(t, "ap_alerts_total 90"));
    assert_true(has_line(t, "ap_redis_round_trips_total 88"));
    assert_true(has_line(t, "ap_entity_cache_misses_total 6"));
    assert_true(has_line(t, "ap_dead_letters_total{reason=\"TRUNCATED\"} 2"));
    assert_true(has_line(t, "ap_dead_letters_total{reason=\"INVALID_EVENT\"} 3"));
    assert_true(has_line(t, "ap_dead_letters_total{reason=\"ID_CONFLICT\"} 0")); /* every reason, also at 0 */
    assert_true(has_line(t, "ap_build_info{version=\"0.1.0/format-2\"} 1"));
    assert_true(has_line(t, "ap_ready 1"));
    assert_true(has_line(t, "ap_partitions_assigned 3"));
    free(t);
}

/* Buckets are cumulative, +Inf equals the count, the sum is in seconds. */
static void histograms_are_cumulative(void **state) {
    (void)state;
    fill(&snap);
    char *t = format(&snap);
    assert_true(has_line(t, "ap_cycle_stage_seconds_bucket{stage=\"apply\",le=\"0.0005\"} 3")); /* 10, 499, 500 */
    assert_true(has_line(t, "ap_cycle_stage_seconds_bucket{stage=\"apply\",le=\"0.001\"} 4"));
    assert_true(has_line(t, "ap_cycle_stage_seconds_bucket{stage=\"apply\",le=\"0.05\"} 5"));
    assert_true(has_line(t, "ap_cycle_stage_seconds_bucket{stage=\"apply\",le=\"2.5\"} 6"));
    assert_true(has_line(t, "ap_cycle_stage_seconds_bucket{stage=\"apply\",le=\"+Inf\"} 8"));
    assert_true(has_line(t, "ap_cycle_stage_seconds_count{stage=\"apply\"} 8"));
    assert_true(has_line(t, "ap_cycle_stage_seconds_sum{stage=\"apply\"} 14.031511"));
    assert_true(has_line(t, "ap_cycle_stage_seconds_bucket{stage=\"flush\",le=\"0.001\"} 0"));
    assert_true(has_line(t, "ap_cycle_stage_seconds_bucket{stage=\"flush\",le=\"0.0025\"} 1"));
    assert_true(has_line(t, "ap_cycle_stage_seconds_count{stage=\"commit\"} 0"));
    free(t);
}

/* Lag is end minus position; unknown positions and clocks without a tick
 * are left out; label values are escaped as the text format requires. */
static void inputs_lag_and_clocks(void **state) {
    (void)state;
    fill(&snap);
    char *t = format(&snap);
    assert_true(has_line(t, "ap_input_position{topic=\"ap.hours\",partition=\"0\"} 120"));
    assert_true(has_line(t, "ap_input_lag{topic=\"ap.hours\",partition=\"0\"} 30"));
    assert_true(has_line(t, "ap_input_lag{topic=\"odd\\\"topic\\\\with\\nbreaks\",partition=\"1\"} 0"));
    assert_null(strstr(t, "partition=\"2\"}"));
    assert_true(has_line(t, "ap_tick_watermark_age_seconds{partition=\"0\"} 60.500"));
    assert_null(strstr(t, "ap_tick_watermark_age_seconds{partition=\"1\"}"));
    free(t);
}

/* Every family is declared once, before its samples. */
static void each_family_once(void **state) {
    (void)state;
    fill(&snap);
    char *t = format(&snap);
    char names[64][64];
    int n = 0;
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
        char name[64];
        if (sscanf(line, "# TYPE %63s", name) != 1) continue;
        for (int i = 0; i < n; i++) assert_string_not_equal(names[i], name);
        assert_true(n < 64);
        strcpy(names[n++], name);
    }
    assert_true(n >= 20);
    free(t);
}

static void readiness_rule(void **state) {
    (void)state;
    static ap_pump_status_t st;
    char why[160];
    int64_t now = 1000000;
    assert_int_equal(ap_health_ready(&st, now, 30, why, sizeof why), 0);
    assert_string_equal(why, "not consuming yet");
    atomic_store(&st.last_poll_ms, now - 50);
    assert_int_equal(ap_health_ready(&st, now, 30, why, sizeof why), 0);
    assert_string_equal(why, "waiting for the group's assignment");
    atomic_store(&st.assignments, 1);
    assert_int_equal(ap_health_ready(&st, now, 30, why, sizeof why), 0);
    assert_string_equal(why, "no input partitions assigned");
    atomic_store(&st.assigned, 6);
    assert_int_equal(ap_health_ready(&st, now, 30, why, sizeof why), 1);
    /* A short retry is tolerated; one longer than the limit is not. */
    atomic_store(&st.retrying_since_ms, now - 29000);
    assert_int_equal(ap_health_ready(&st, now, 30, why, sizeof why), 1);
    atomic_store(&st.retrying_since_ms, now - 31000);
    assert_int_equal(ap_health_ready(&st, now, 30, why, sizeof why), 0);
    assert_non_null(strstr(why, "retrying for 31.0 s"));
    atomic_store(&st.retrying_since_ms, 0);
    /* A consumer that stopped polling (the main loop stuck) is not ready. */
    atomic_store(&st.last_poll_ms, now - 31000);
    assert_int_equal(ap_health_ready(&st, now, 30, why, sizeof why), 0);
    assert_string_equal(why, "the consumer has not polled recently");
}

/* The endpoint's 404 answer is its text and nothing more: no NUL byte from
 * the string literal sent as part of a text/plain body. The server listens
 * on a loopback port the kernel had spare a moment before. */
static void not_found_body_is_text_only(void **state) {
    (void)state;
    static ap_pump_status_t st;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof a;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
    close(s);
    ap_health_config_t hc = {"127.0.0.1", ntohs(a.sin_port), 30, &st};
    char err[256];
    ap_health_t *h = ap_health_start(&hc, err, sizeof err);
    assert_non_null(h);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    const char *req = "GET /nope HTTP/1.0\r\n\r\n";
    assert_int_equal(send(c, req, strlen(req), 0), (ssize_t)strlen(req));
    char resp[4096];
    size_t len = 0;
    for (ssize_t n; len < sizeof resp && (n = recv(c, resp + len, sizeof resp - len, 0)) > 0;) len += (size_t)n;
    close(c);
    ap_health_stop(h);
    assert_true(len > 0 && len < sizeof resp);
    assert_int_equal(strncmp(resp, "HTTP/1.", 7), 0);
    assert_int_equal(strncmp(resp + 8, " 404", 4), 0);
    const char *want = "\r\n\r\nnot found: /healthz, /readyz, /metrics\n";
    size_t wl = strlen(want);
    assert_true(len >= wl);
    assert_memory_equal(resp + len - wl, want, wl); /* the body ends the answer: no byte after the newline */
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--print") == 0) {
        fill(&snap);
        char *t = format(&snap);
        fputs(t, stdout);
        free(t);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counters_and_reasons_are_exposed),
        cmocka_unit_test(histograms_are_cumulative),
        cmocka_unit_test(inputs_lag_and_clocks),
        cmocka_unit_test(each_family_once),
        cmocka_unit_test(readiness_rule),
        cmocka_unit_test(not_found_body_is_text_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
