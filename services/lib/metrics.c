/* metrics.c - Prometheus text exposition of a snapshot. See metrics.h. */
#include "arbejdspligt/metrics.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "arbejdspligt/events.h"

const uint32_t ap_metrics_bucket_us[AP_METRICS_BUCKETS] = {500,    1000,   2500,   5000,    10000,   25000,
                                                           50000, 100000, 250000, 500000, 1000000, 2500000};

void ap_histogram_observe(ap_histogram_t *h, uint64_t us) {
    int b = 0;
    while (b < AP_METRICS_BUCKETS && us > ap_metrics_bucket_us[b]) b++;
    h->counts[b]++;
    h->sum_us += us;
}

static void printf_buf(ap_buf_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void printf_buf(ap_buf_t *out, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0) ap_buf_append(out, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* A label value as the text format wants it: backslash, quote and newline escaped. */
static void label_value(ap_buf_t *out, const char *v) {
    for (; *v; v++) {
        if (*v == '\\' || *v == '"') ap_buf_append_byte(out, '\\');
        if (*v == '\n') { ap_buf_append_str(out, "\\n"); continue; }
        ap_buf_append_byte(out, (uint8_t)*v);
    }
}

static void family(ap_buf_t *out, const char *name, const char *type, const char *help) {
    printf_buf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counter(ap_buf_t *out, const char *name, const char *help, uint64_t v) {
    family(out, name, "counter", help);
    printf_buf(out, "%s %" PRIu64 "\n", name, v);
}

static void gauge(ap_buf_t *out, const char *name, const char *help, double v) {
    family(out, name, "gauge", help);
    printf_buf(out, "%s %.17g\n", name, v);
}

void ap_metrics_format(const ap_metrics_snapshot_t *m, ap_buf_t *out) {
    family(out, "ap_build_info", "gauge", "The running build: engine version (project version and output format).");
    ap_buf_append_str(out, "ap_build_info{version=\"");
    label_value(out, m->version ? m->version : "");
    ap_buf_append_str(out, "\"} 1\n");
    gauge(out, "ap_process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.",
          m->start_time_s);
    gauge(out, "ap_ready", "1 when /readyz answers ready: partitions assigned, Kafka and Redis answering, no retry "
                           "lasting longer than http.ready_max_retry_s.", m->ready);
    gauge(out, "ap_retrying_seconds", "How long the current retry (a failed cycle or an unavailable store) has lasted; "
                                      "0 when none.", m->retrying_s);

    counter(out, "ap_records_applied_total", "Input events that created or changed state.", m->applied);
    counter(out, "ap_records_duplicate_total", "Input events whose id was applied before with the same bytes.",
            m->duplicates);
    counter(out, "ap_records_superseded_total",
            "Input events recorded as seen while a newer version was already stored (also redeliveries past the "
            "dedup horizon).", m->superseded);
    counter(out, "ap_ticks_total", "Stream ticks taken.", m->ticks);
    counter(out, "ap_closes_total", "Weeks closed (one per partition and week).", m->weeks_closed);
    counter(out, "ap_results_total", "Compliance results emitted (every revision).", m->results);
    counter(out, "ap_months_evaluated_total",
            "Monitoring months evaluated (one per partition and month closed or revised).", m->months_evaluated);
    counter(out, "ap_monitoring_records_total", "Monitoring partials emitted (every revision).",
            m->monitoring_records);
    counter(out, "ap_alerts_total", "Alerts emitted.", m->alerts);
    counter(out, "ap_cycles_total", "Processing cycles completed.", m->cycles);

    family(out, "ap_dead_letters_total", "counter", "Records sent to the dead-letter topic, by reason.");
    for (int r = 0; r < AP_METRICS_DL_REASONS; r++) {
        const char *name = ap_events_dead_letter_reason(r);
        if (!name) continue;
        printf_buf(out, "ap_dead_letters_total{reason=\"%s\"} %" PRIu64 "\n", name, m->dead_letters_by_reason[r]);
    }

    static const char *const stages[AP_STAGES] = {"apply", "evaluate", "flush", "commit"};
    family(out, "ap_cycle_stage_seconds", "histogram",
           "Time per processing cycle spent in each stage: decode and apply, evaluation, waiting for output "
           "acknowledgement, the Redis transaction.");
    for (int s = 0; s < AP_STAGES; s++) {
        const ap_histogram_t *h = &m->stage[s];
        uint64_t cumulative = 0;
        for (int b = 0; b < AP_METRICS_BUCKETS; b++) {
            cumulative += h->counts[b];
            printf_buf(out, "ap_cycle_stage_seconds_bucket{stage=\"%s\",le=\"%g\"} %" PRIu64 "\n", stages[s],
                       ap_metrics_bucket_us[b] / 1e6, cumulative);
        }
        cumulative += h->counts[AP_METRICS_BUCKETS];
        printf_buf(out, "ap_cycle_stage_seconds_bucket{stage=\"%s\",le=\"+Inf\"} %" PRIu64 "\n", stages[s], cumulative);
        printf_buf(out, "ap_cycle_stage_seconds_sum{stage=\"%s\"} %.6f\n", stages[s], h->sum_us / 1e6);
        printf_buf(out, "ap_cycle_stage_seconds_count{stage=\"%s\"} %" PRIu64 "\n", stages[s], cumulative);
    }

    counter(out, "ap_redis_round_trips_total", "Requests to Redis the processor waited for (a pipeline counts once).",
            m->redis_round_trips);
    counter(out, "ap_entity_cache_hits_total", "Citizens whose entities came from the in-process cache.",
            m->cache_hits);
    counter(out, "ap_entity_cache_misses_total", "Citizens whose entities were read from Redis.", m->cache_misses);

    gauge(out, "ap_partitions_assigned", "Input topic-partitions assigned to this instance.", m->assigned);
    family(out, "ap_input_position", "gauge", "Next offset this instance reads, per input topic-partition.");
    for (size_t i = 0; i < m->n_inputs; i++) {
        const ap_metrics_input_t *in = &m->inputs[i];
        if (in->position < 0) continue;
        ap_buf_append_str(out, "ap_input_position{topic=\"");
        label_value(out, in->topic);
        printf_buf(out, "\",partition=\"%" PRId32 "\"} %" PRId64 "\n", in->partition, in->position);
    }
    family(out, "ap_input_lag", "gauge", "Records behind the partition's end (high watermark), per input "
                                         "topic-partition.");
    for (size_t i = 0; i < m->n_inputs; i++) {
        const ap_metrics_input_t *in = &m->inputs[i];
        if (in->position < 0 || in->end < 0) continue;
        ap_buf_append_str(out, "ap_input_lag{topic=\"");
        label_value(out, in->topic);
        printf_buf(out, "\",partition=\"%" PRId32 "\"} %" PRId64 "\n", in->partition,
                   in->end > in->position ? in->end - in->position : 0);
    }
    family(out, "ap_tick_watermark_age_seconds", "gauge",
           "Wall time minus the partition's stream watermark (the smallest last tick of its input topics): how far "
           "week closing runs behind the clock.");
    for (size_t i = 0; i < m->n_clocks; i++) {
        const ap_metrics_clock_t *c = &m->clocks[i];
        if (!c->watermark_ms) continue;
        printf_buf(out, "ap_tick_watermark_age_seconds{partition=\"%" PRId32 "\"} %.3f\n", c->partition,
                   (double)(m->now_ms - c->watermark_ms) / 1000);
    }
}
