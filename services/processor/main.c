/*
 * ap-processor - consumes the placement, hours and exemption topics, keeps
 * per-citizen state in Redis, and emits compliance results, alerts and dead
 * letters. Run as many instances as there are input partitions to share: the
 * consumer group's range assignment keeps each citizen on one instance.
 *
 * Shutdown (SIGTERM/SIGINT): finish the batch in hand, commit, close the
 * consumer (leaving the group), flush the producer, exit 0.
 */
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arbejdspligt/config.h"
#include "arbejdspligt/events.h"
#include "arbejdspligt/health.h"
#include "arbejdspligt/kafka.h"
#include "arbejdspligt/log.h"
#include "arbejdspligt/monitoring.h"
#include "arbejdspligt/notify.h"
#include "arbejdspligt/processor.h"
#include "arbejdspligt/pump.h"
#include "arbejdspligt/registry.h"
#include "arbejdspligt/store_redis.h"

typedef struct settings {
    ap_kafka_conn_t kafka;
    char group_id[128];
    char instance_id[128];
    int session_timeout_ms;
    int queue_kib;
    char topics[AP_TOPIC_KINDS][AP_TOPIC_CAP];
    char compliance_topic[AP_TOPIC_CAP];
    char alerts_topic[AP_TOPIC_CAP];
    char dead_letter_topic[AP_TOPIC_CAP];
    char compliance_json_topic[AP_TOPIC_CAP];
    char alerts_json_topic[AP_TOPIC_CAP];
    char latest_topic[AP_TOPIC_CAP];
    char monitoring_topic[AP_TOPIC_CAP];
    char monitoring_first_month[16];
    char dl_hash_key_file[256];
    char redis_host[256];
    int redis_port;
    char redis_username[128];
    char redis_password_file[1024];
    char redis_prefix[32];
    int redis_cache_mib;
    int redis_wait_replicas;
    int redis_wait_timeout_ms;
    int batch_size;
    int grace_days;
    int dedup_horizon_weeks;
    int flush_timeout_ms;
    int stats_interval_s;
    char http_address[64];
    int http_port;
    int http_ready_max_retry_s;
    char writers_dir[1024];
    char log_level[16];
    char framing[16];
    char registry_url[512];
    int registry_timeout_ms;
} settings_t;

#define S(name, env, type, def, field, min, max, help) \
    {name, env, type, def, offsetof(settings_t, field), sizeof(((settings_t *)0)->field), min, max, help}
static const ap_setting_t table[] = {
    AP_KAFKA_CONN_SETTINGS(S, kafka),
    S("kafka.group_id", "AP_GROUP_ID", AP_SET_STRING, "ap-processor", group_id, 0, 0, "Consumer group of the processors"),
    S("kafka.instance_id", "AP_INSTANCE_ID", AP_SET_STRING, "", instance_id, 0, 0,
      "Static group member id (e.g. the host name): a restarted instance gets its partitions back at once"),
    S("kafka.session_timeout_ms", "AP_SESSION_TIMEOUT_MS", AP_SET_INT, "45000", session_timeout_ms, 6000, 300000,
      "How long the group waits for a silent member before moving its partitions"),
    S("kafka.queue_kib", "AP_KAFKA_QUEUE_KIB", AP_SET_INT, "4096", queue_kib, 1024, 1048576,
      "Input prefetched by the consumer, in KiB (bounds its memory; README Benchmark)"),
    S("topic.placement", "AP_TOPIC_PLACEMENT", AP_SET_STRING, "ap.placement", topics[AP_TOPIC_PLACEMENT], 0, 0,
      "Input: PlacementEvent"),
    S("topic.hours", "AP_TOPIC_HOURS", AP_SET_STRING, "ap.hours", topics[AP_TOPIC_HOURS], 0, 0, "Input: HoursEvent"),
    S("topic.exemption", "AP_TOPIC_EXEMPTION", AP_SET_STRING, "ap.exemption", topics[AP_TOPIC_EXEMPTION], 0, 0,
      "Input: ExemptionEvent, ReductionEvent, CoverageEvent, SanctionEvent"),
    S("topic.compliance", "AP_TOPIC_COMPLIANCE", AP_SET_STRING, "ap.compliance", compliance_topic, 0, 0,
      "Output: ComplianceResult"),
    S("topic.alerts", "AP_TOPIC_ALERTS", AP_SET_STRING, "ap.alerts", alerts_topic, 0, 0, "Output: Alert"),
    S("topic.dead_letter", "AP_TOPIC_DEAD_LETTER", AP_SET_STRING, "ap.dead-letter", dead_letter_topic, 0, 0,
      "Output: DeadLetter"),
    S("topic.compliance_json", "AP_TOPIC_COMPLIANCE_JSON", AP_SET_STRING, "", compliance_json_topic, 0, 0,
      "Optional output: every result also as JSON (for tools without Avro); empty: off"),
    S("topic.alerts_json", "AP_TOPIC_ALERTS_JSON", AP_SET_STRING, "", alerts_json_topic, 0, 0,
      "Optional output: every alert also as JSON; empty: off"),
    S("topic.latest", "AP_TOPIC_LATEST", AP_SET_STRING, "", latest_topic, 0, 0,
      "Optional output: every result keyed citizen|week, for a compacted topic of each week's latest revision"),
    S("topic.monitoring", "AP_TOPIC_MONITORING", AP_SET_STRING, "ap.monitoring", monitoring_topic, 0, 0,
      "Output: MonitoringPartial, the monthly measures per municipality (README Monitoring); empty: off"),
    S("monitoring.first_month", "AP_MONITORING_FIRST_MONTH", AP_SET_STRING, "2026-01", monitoring_first_month, 0, 0,
      "First calendar month (YYYY-MM, from 2025-01) of the monthly measures; replays must use the live value"),
    S("dead_letter.hash_key_file", "AP_DEAD_LETTER_HASH_KEY_FILE", AP_SET_STRING, "", dl_hash_key_file, 0, 0,
      "File (mode 600) with the key of the HMAC-SHA256 a dead letter withheld for personal data carries"),
    S("redis.host", "AP_REDIS_HOST", AP_SET_STRING, "127.0.0.1", redis_host, 0, 0, "Redis host"),
    S("redis.port", "AP_REDIS_PORT", AP_SET_INT, "6379", redis_port, 1, 65535, "Redis port"),
    S("redis.username", "AP_REDIS_USERNAME", AP_SET_STRING, "", redis_username, 0, 0,
      "Redis ACL user (README Security); empty: Redis's default user"),
    S("redis.password_file", "AP_REDIS_PASSWORD_FILE", AP_SET_STRING, "", redis_password_file, 0, 0,
      "File holding the Redis user's password (one line); or the variable AP_REDIS_PASSWORD. Never a setting: "
      "not on the command line, not logged"),
    S("redis.prefix", "AP_REDIS_PREFIX", AP_SET_STRING, "ap", redis_prefix, 0, 0,
      "Key prefix: separates state namespaces (production, replay, tests)"),
    S("redis.cache_mib", "AP_REDIS_CACHE_MIB", AP_SET_INT, "8", redis_cache_mib, 0, 4096,
      "Bound of the in-process copy of citizens' entities, so week closes read only hours (0: off)"),
    S("redis.wait_replicas", "AP_REDIS_WAIT_REPLICAS", AP_SET_INT, "0", redis_wait_replicas, 0, 16,
      "Replicas that must acknowledge each cycle (Redis WAIT) before its offsets count as committed; fewer: "
      "the cycle is retried (0: a single node, no wait; README Partition ownership)"),
    S("redis.wait_timeout_ms", "AP_REDIS_WAIT_TIMEOUT_MS", AP_SET_INT, "1000", redis_wait_timeout_ms, 1, 60000,
      "How long a cycle waits for redis.wait_replicas acknowledgements"),
    S("batch.size", "AP_BATCH_SIZE", AP_SET_INT, "1000", batch_size, 1, AP_PROCESSOR_MAX_BATCH,
      "Records per processing cycle (one Redis pipeline, one commit)"),
    S("week.grace_days", "AP_GRACE_DAYS", AP_SET_INT, "2", grace_days, 0, 60,
      "Days after a week ends (stream time) before its result is final"),
    S("dedup.horizon_weeks", "AP_DEDUP_HORIZON_WEEKS", AP_SET_INT, "4", dedup_horizon_weeks, 0, 520,
      "Closed weeks (at least; at most twice as many) an applied event id is remembered to tell a redelivery or a "
      "reused id; later a redelivery is still a no-op by version. 0: for good. Replays must use the live value"),
    S("kafka.flush_timeout_ms", "AP_FLUSH_TIMEOUT_MS", AP_SET_INT, "30000", flush_timeout_ms, 100, 600000,
      "How long a cycle waits for outputs to be acknowledged before retrying"),
    S("log.stats_interval_s", "AP_STATS_INTERVAL_S", AP_SET_INT, "10", stats_interval_s, 1, 3600,
      "Seconds between progress lines"),
    S("schemas.writers_dir", "AP_SCHEMAS_WRITERS_DIR", AP_SET_STRING, "", writers_dir, 0, 0,
      "Directory of extra writer schemas (*.avsc): newer compatible versions publishers write, resolved instead of dead-lettered; one the current schemas cannot read stops start-up"),
    S("output.framing", "AP_OUTPUT_FRAMING", AP_SET_STRING, "single-object", framing, 0, 0,
      "Avro outputs as single-object (C3 01 + fingerprint) or registry (0 + schema id; README Outputs)"),
    S("registry.url", "AP_REGISTRY_URL", AP_SET_STRING, "", registry_url, 0, 0,
      "Schema registry's Confluent-compatible API (plain http://host:port[/path]) for output.framing=registry"),
    S("registry.timeout_ms", "AP_REGISTRY_TIMEOUT_MS", AP_SET_INT, "5000", registry_timeout_ms, 100, 60000,
      "Bound of each schema registry request at start-up"),
    S("log.level", "AP_LOG_LEVEL", AP_SET_STRING, "info", log_level, 0, 0, "debug, info, warn or error"),
    S("http.port", "AP_HTTP_PORT", AP_SET_INT, "0", http_port, 0, 65535,
      "Port of /healthz, /readyz and /metrics (Prometheus); 0: no HTTP endpoint"),
    S("http.address", "AP_HTTP_ADDRESS", AP_SET_STRING, "127.0.0.1", http_address, 0, 0,
      "IPv4 address the HTTP endpoint binds (0.0.0.0 for probes and scrapers from elsewhere)"),
    S("http.ready_max_retry_s", "AP_HTTP_READY_MAX_RETRY_S", AP_SET_INT, "30", http_ready_max_retry_s, 1, 3600,
      "/readyz fails once Kafka or Redis has been retried this long"),
};
#define NSETTINGS (sizeof table / sizeof *table)

static volatile sig_atomic_t run = 1;

static void on_signal(int sig) {
    (void)sig;
    run = 0;
}


typedef struct producer_owner {
    const ap_kafka_conn_t *kafka;
    ap_kafka_output_t out;
} producer_owner_t;

/* After a failed cycle: a producer that failed fatally (e.g. an idempotent
 * producer that lost its state) is replaced. Its queued outputs are dropped
 * with it; the retried cycle produces them again (same event ids). */
static void recover_producer(void *ctx) {
    producer_owner_t *o = ctx;
    char err[512];
    if (!rd_kafka_fatal_error(o->out.rk, err, sizeof err)) return;
    ap_log_error("producer failed fatally; recreating it", "error=\"%s\"", err);
    rd_kafka_t *fresh = ap_kafka_producer_create(o->kafka, o->out.delivery, NULL, err, sizeof err);
    if (!fresh) return;
    rd_kafka_purge(o->out.rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_destroy(o->out.rk);
    o->out.rk = fresh;
}

/* The snapshot /metrics serves (large: static). */
static ap_metrics_snapshot_t snapshot;

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); /* for the age of stream clocks only, never for rules */
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Fills the snapshot from the processor, the store and the consumer, and
 * hands it to the HTTP thread. Main thread only. */
static void publish_metrics(ap_health_t *h, ap_processor_t *proc, ap_store_t *store, ap_pump_t *pump,
                            double start_time_s) {
    if (!h) return;
    ap_metrics_snapshot_t *m = &snapshot;
    memset(m, 0, sizeof *m);
    m->version = ap_events_engine_version();
    m->start_time_s = start_time_s;
    m->now_ms = wall_ms();
    if (proc) {
        const ap_processor_stats_t *st = ap_processor_stats(proc);
        m->applied = st->applied, m->duplicates = st->duplicates, m->superseded = st->superseded;
        m->dead_letters = st->dead_letters, m->ticks = st->ticks, m->weeks_closed = st->weeks_closed;
        m->results = st->results, m->alerts = st->alerts, m->cycles = st->cycles;
        m->months_evaluated = st->months_evaluated, m->monitoring_records = st->monitoring_records;
        memcpy(m->dead_letters_by_reason, st->dead_letters_by_reason, sizeof m->dead_letters_by_reason);
        memcpy(m->stage, st->stage, sizeof m->stage);
    }
    if (store) ap_store_redis_counters(store, &m->redis_round_trips, &m->cache_hits, &m->cache_misses);
    rd_kafka_t *rk = pump ? ap_pump_consumer(pump) : NULL;
    rd_kafka_topic_partition_list_t *assigned = NULL;
    if (rk && rd_kafka_assignment(rk, &assigned) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_position(rk, assigned);
        for (int i = 0; i < assigned->cnt && m->n_inputs < AP_METRICS_MAX_INPUTS; i++) {
            const rd_kafka_topic_partition_t *tp = &assigned->elems[i];
            ap_metrics_input_t *in = &m->inputs[m->n_inputs++];
            snprintf(in->topic, sizeof in->topic, "%s", tp->topic);
            in->partition = tp->partition;
            in->position = tp->offset >= 0 ? tp->offset : -1;
            int64_t low, high;
            /* Cached from the last fetch: no request to the broker. */
            in->end = rd_kafka_get_watermark_offsets(rk, tp->topic, tp->partition, &low, &high) == 0 && high >= 0
                          ? high : -1;
        }
        /* The stream clocks of the partitions this instance owns now. */
        int32_t parts[AP_METRICS_MAX_INPUTS];
        int64_t marks[AP_METRICS_MAX_INPUTS];
        size_t n = proc ? ap_processor_watermarks(proc, parts, marks, AP_METRICS_MAX_INPUTS) : 0;
        for (size_t i = 0; i < n; i++) {
            int owned = 0;
            for (int k = 0; k < assigned->cnt && !owned; k++) owned = assigned->elems[k].partition == parts[i];
            if (owned) m->clocks[m->n_clocks++] = (ap_metrics_clock_t){parts[i], marks[i]};
        }
        rd_kafka_topic_partition_list_destroy(assigned);
    }
    ap_health_publish(h, m);
}

/* systemd's watchdog (WatchdogSec=), fed from a thread of its own while the
 * main loop shows signs of life: during start-up (its waits are signal-aware
 * and bounded by their backoff), then whenever the pump polls or takes a turn
 * of a retry. A main loop stuck longer than the watchdog interval gets the
 * process restarted; an outage being retried does not. */
typedef struct watchdog {
    uint64_t usec;
    const ap_pump_status_t *status;
    _Atomic int consuming; /* the pump runs: judge by its heartbeat */
    _Atomic int stop;
} watchdog_t;

static void *watchdog_main(void *arg) {
    watchdog_t *w = arg;
    int64_t limit_ms = (int64_t)(w->usec / 1000), every_ms = limit_ms / 3, last_ping = 0;
    while (!atomic_load(&w->stop)) {
        int64_t now = (int64_t)(ap_log_monotonic_s() * 1000), beat = atomic_load(&w->status->heartbeat_ms);
        if (now - last_ping >= every_ms && (!atomic_load(&w->consuming) || (beat && now - beat < limit_ms))) {
            ap_notify_watchdog();
            last_ping = now;
        }
        struct timespec ts = {0, 100 * 1000000L}; /* short naps: a stop is not kept waiting */
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void log_stats(const ap_processor_stats_t *s) {
    ap_log_info("progress",
                "applied=%" PRIu64 " duplicates=%" PRIu64 " superseded=%" PRIu64 " dead_letters=%" PRIu64
                " ticks=%" PRIu64 " weeks_closed=%" PRIu64 " results=%" PRIu64 " alerts=%" PRIu64 " cycles=%" PRIu64
                " ms_apply=%" PRIu64 " ms_evaluate=%" PRIu64 " ms_flush=%" PRIu64 " ms_commit=%" PRIu64,
                s->applied, s->duplicates, s->superseded, s->dead_letters, s->ticks, s->weeks_closed, s->results,
                s->alerts, s->cycles, s->us_apply / 1000, s->us_evaluate / 1000, s->us_flush / 1000, s->us_commit / 1000);
}

int main(int argc, char **argv) {
    settings_t cfg;
    char err[512];
    int exit_code = 1;
    ap_store_t *store = NULL;
    ap_pump_t *pump = NULL;
    ap_processor_t *proc = NULL;
    ap_kafka_delivery_t delivery = {0};
    producer_owner_t producer = {0};
    ap_health_t *health = NULL;
    static ap_registry_output_t framed; /* output.framing=registry: wraps the producer's output */
    ap_output_t output;
    static ap_pump_status_t pump_status; /* read by the HTTP and watchdog threads */
    static watchdog_t watchdog;
    pthread_t watchdog_thread;
    int watchdog_running = 0;
    memset(&cfg, 0, sizeof cfg);

    ap_log_set_component("processor");
    /* glibc raises its mmap threshold each time a large block is freed, after
     * which librdkafka's fetch buffers (hundreds of KiB, freed in any order)
     * come from the heap and fragment it: resident memory crept up over a
     * national year (end of run 45 -> 51 MiB anonymous from 4 to 52 weeks;
     * with a fixed threshold 41 MiB at both). A fixed threshold keeps such
     * blocks in their own mappings, returned to the system when freed. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    int rc = ap_config_load(table, NSETTINGS, &cfg, argc, argv, stdout,
                            "usage: ap-processor [--config FILE] [--set key=value ...]", err, sizeof err);
    if (rc == 1) return 0;
    if (rc < 0) { fprintf(stderr, "ap-processor: %s\n", err); return 2; }
    if (ap_log_set_level(cfg.log_level)) { fprintf(stderr, "ap-processor: bad log.level %s\n", cfg.log_level); return 2; }
    if (ap_kafka_conn_check(&cfg.kafka, err, sizeof err)) { fprintf(stderr, "ap-processor: %s\n", err); return 2; }
    int registry_framing = strcmp(cfg.framing, "registry") == 0;
    ap_registry_url_t registry_url;
    if (!registry_framing && strcmp(cfg.framing, "single-object") != 0) {
        fprintf(stderr, "ap-processor: output.framing must be single-object or registry\n");
        return 2;
    }
    if (registry_framing && ap_registry_url_parse(cfg.registry_url, &registry_url, err, sizeof err)) {
        fprintf(stderr, "ap-processor: %s\n", err);
        return 2;
    }

    int32_t first_month;
    if (ap_monitoring_parse_month(cfg.monitoring_first_month, &first_month)) {
        fprintf(stderr, "ap-processor: monitoring.first_month must be YYYY-MM from 2025-01 to 2099-12, got \"%s\"\n",
                cfg.monitoring_first_month);
        return 2;
    }

    ap_codec_error_t cerr;
    if (ap_events_init(&cerr)) { ap_log_error("schemas do not match the codec tables", "detail=\"%s\"", cerr.msg); return 1; }
    /* The HTTP endpoint first: liveness answers while we wait for Redis and
     * Kafka, and readiness says what we wait for. */
    double start_time_s = (double)wall_ms() / 1000;
    if (cfg.http_port) {
        ap_health_config_t hc = {cfg.http_address, cfg.http_port, cfg.http_ready_max_retry_s, &pump_status};
        if (!(health = ap_health_start(&hc, err, sizeof err))) {
            ap_log_error("cannot start the HTTP endpoint", "error=\"%s\"", err);
            fprintf(stderr, "ap-processor: %s\n", err);
            return 2;
        }
        publish_metrics(health, NULL, NULL, NULL, start_time_s);
        ap_log_info("http endpoint listening", "address=%s port=%d paths=/healthz,/readyz,/metrics", cfg.http_address,
                    cfg.http_port);
    }
    int n_writers;
    if (ap_config_load_writer_schemas(cfg.writers_dir, &n_writers, err, sizeof err)) {
        ap_log_error("writer schema refused", "detail=\"%s\"", err);
        return 1;
    }
    if (n_writers) ap_log_info("writer schemas registered", "dir=\"%s\" files=%d", cfg.writers_dir, n_writers);

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    watchdog.usec = ap_notify_watchdog_usec();
    watchdog.status = &pump_status;
    if (watchdog.usec && pthread_create(&watchdog_thread, NULL, watchdog_main, &watchdog) == 0) watchdog_running = 1;
    ap_notify_status("waiting for Redis and Kafka");

    /* The password is read once: a password rotated in Redis is picked up
     * by a restart (README Security). */
    char redis_password[256];
    if (ap_config_read_password(cfg.redis_password_file, "AP_REDIS_PASSWORD", redis_password, sizeof redis_password,
                              err, sizeof err)) {
        fprintf(stderr, "ap-processor: %s\n", err);
        return 2;
    }
    ap_store_redis_conf_t rconf = {cfg.redis_host, cfg.redis_port, cfg.redis_username, redis_password,
                                   cfg.redis_prefix, 5000, cfg.redis_wait_replicas, cfg.redis_wait_timeout_ms};
    /* Redis may come up after us: wait for it rather than crash-loop. */
    for (int backoff = 200; run && !(store = ap_store_redis_connect(&rconf, err, sizeof err));) {
        if (strncmp(err, "layout:", 7) == 0) { /* not a matter of waiting */
            ap_log_error("redis state of another key layout", "error=\"%s\"", err + 8);
            break;
        }
        /* Refused credentials need an operator (the password file or the ACL
         * user); retried all the same, so fixing the ACL needs no restart. */
        if (strncmp(err, "auth:", 5) == 0)
            ap_log_error("redis authentication failed, retrying", "user=%s error=\"%s\" retry_ms=%d",
                         cfg.redis_username[0] ? cfg.redis_username : "default", err + 6, backoff);
        else
            ap_log_warn("redis unavailable, retrying", "error=\"%s\" retry_ms=%d", err, backoff);
        ap_pump_backoff(&backoff);
    }
    memset(redis_password, 0, sizeof redis_password); /* the store keeps its own copy */
    if (!store) {
        if (!run) exit_code = 0; /* asked to stop while waiting: a clean stop */
        goto cleanup;
    }
    ap_store_redis_set_cache(store, (size_t)cfg.redis_cache_mib << 20);

    producer.kafka = &cfg.kafka;
    producer.out.delivery = &delivery;
    if (!(producer.out.rk = ap_kafka_producer_create(&cfg.kafka, &delivery, NULL, err, sizeof err))) {
        ap_log_error("cannot create producer", "error=\"%s\"", err);
        fprintf(stderr, "ap-processor: %s\n", err);
        exit_code = 2;
        goto cleanup;
    }
    if (!cfg.kafka.ssl_verify) ap_log_warn("TLS verification of the Kafka brokers is off", "%s", "setting=kafka.ssl_verify");
    /* Kafka may come up after us: wait for it, as for Redis. But a refused
     * authentication or certificate is a configuration error that waiting
     * does not fix: at start-up it is fatal, with the reason (exit 2, as for
     * a bad setting; a supervisor restarting us would only repeat it). Once
     * running, the same failure is retried: a rotated password or
     * certificate must not stop a running service. */
    for (int backoff = 200; run;) {
        int arc = ap_kafka_await(producer.out.rk, 1000, err, sizeof err); /* short: a stop is noticed soon */
        if (arc == 0) break;
        if (arc > 0) {
            ap_log_error("cannot start", "error=\"%s\"", err);
            fprintf(stderr, "ap-processor: %s\n", err);
            exit_code = 2;
            goto cleanup;
        }
        ap_log_warn("kafka unavailable, retrying", "error=\"%s\" retry_ms=%d", err, backoff);
        ap_pump_backoff(&backoff);
    }
    if (!run) { /* asked to stop while waiting for Kafka: a clean stop */
        exit_code = 0;
        goto cleanup;
    }
    const char *outputs[7] = {cfg.compliance_topic, cfg.alerts_topic, cfg.dead_letter_topic};
    size_t n_outputs = 3;
    if (cfg.monitoring_topic[0]) outputs[n_outputs++] = cfg.monitoring_topic;
    if (cfg.compliance_json_topic[0]) outputs[n_outputs++] = cfg.compliance_json_topic;
    if (cfg.alerts_json_topic[0]) outputs[n_outputs++] = cfg.alerts_json_topic;
    if (cfg.latest_topic[0]) outputs[n_outputs++] = cfg.latest_topic;
    if (ap_kafka_producer_warm(producer.out.rk, outputs, n_outputs, 5000, err, sizeof err))
        ap_log_warn("output topics not looked up yet", "error=\"%s\"", err); /* the first produce will */
    /* Co-partitioning is checked, not assumed: every input topic must have
     * the same partition count (a citizen's placement and hours must meet on
     * one partition number), and the processor checks each record against
     * it. Topics may be created after we start: wait for them, as for Redis. */
    const char *inputs[AP_TOPIC_KINDS] = {cfg.topics[0], cfg.topics[1], cfg.topics[2]};
    int32_t counts[AP_TOPIC_KINDS] = {0};
    int prc;
    for (int backoff = 200; run && (prc = ap_kafka_input_partitions(producer.out.rk, inputs, AP_TOPIC_KINDS, counts,
                                                                    5000, err, sizeof err)) < 0;) {
        ap_log_warn("input topics unavailable, retrying", "error=\"%s\" retry_ms=%d", err, backoff);
        ap_pump_backoff(&backoff);
    }
    if (!run) {
        exit_code = 0;
        goto cleanup;
    }
    if (prc > 0) {
        ap_log_error("cannot start", "error=\"%s\"", err);
        fprintf(stderr, "ap-processor: %s\n", err);
        goto cleanup;
    }
    /* ...and the state in this namespace must be partitioned by that count
     * (a restart after partitions were added would read keys that now hash
     * elsewhere). Not retried: only a replay into a new prefix helps. */
    if (ap_store_redis_claim_partitions(store, counts[0], err, sizeof err)) {
        ap_log_error("cannot start", "error=\"%s\"", err);
        fprintf(stderr, "ap-processor: %s\n", err);
        goto cleanup;
    }
    ap_processor_config_t pcfg;
    memset(&pcfg, 0, sizeof pcfg);
    for (int k = 0; k < AP_TOPIC_KINDS; k++) pcfg.partitions[k] = counts[k];
    for (int k = 0; k < AP_TOPIC_KINDS; k++) memcpy(pcfg.input_topics[k], cfg.topics[k], AP_TOPIC_CAP);
    memcpy(pcfg.compliance_topic, cfg.compliance_topic, AP_TOPIC_CAP);
    memcpy(pcfg.alerts_topic, cfg.alerts_topic, AP_TOPIC_CAP);
    memcpy(pcfg.dead_letter_topic, cfg.dead_letter_topic, AP_TOPIC_CAP);
    memcpy(pcfg.compliance_json_topic, cfg.compliance_json_topic, AP_TOPIC_CAP);
    memcpy(pcfg.alerts_json_topic, cfg.alerts_json_topic, AP_TOPIC_CAP);
    memcpy(pcfg.latest_topic, cfg.latest_topic, AP_TOPIC_CAP);
    memcpy(pcfg.monitoring_topic, cfg.monitoring_topic, AP_TOPIC_CAP);
    pcfg.monitoring_first_month = first_month;
    pcfg.grace_days = cfg.grace_days;
    pcfg.dedup_horizon_weeks = cfg.dedup_horizon_weeks;
    if (ap_config_read_secret(cfg.dl_hash_key_file, pcfg.dead_letter_hash_key, sizeof pcfg.dead_letter_hash_key,
                              &pcfg.dead_letter_hash_key_len, err, sizeof err)) {
        ap_log_error("bad dead_letter.hash_key_file", "error=\"%s\"", err);
        goto cleanup;
    }
    pcfg.flush_timeout_ms = cfg.flush_timeout_ms;
    pcfg.heartbeat_ms = &pump_status.heartbeat_ms; /* a close of many weeks is a sign of life too */
    output = ap_kafka_output(&producer.out);
    if (registry_framing) {
        /* The schemas of what we write, registered before the first record:
         * a reader must find every id it meets. The registry may come up
         * after us: wait for it, as for Redis and Kafka; a refusal (e.g. a
         * schema the subject's compatibility rule rejects) needs an operator. */
        ap_notify_status("registering schemas");
        struct { const char *topic; ap_event_type_t type; } subjects[] = {
            {cfg.compliance_topic, AP_EV_RESULT}, {cfg.alerts_topic, AP_EV_ALERT},
            {cfg.dead_letter_topic, AP_EV_DEAD_LETTER}, {cfg.latest_topic, AP_EV_RESULT},
            {cfg.monitoring_topic, AP_EV_MONITORING}};
        framed.inner = output;
        for (size_t i = 0; run && i < sizeof subjects / sizeof *subjects; i++) {
            if (!subjects[i].topic[0]) continue; /* topic.latest or topic.monitoring off */
            int rrc;
            for (int backoff = 200; run && (rrc = ap_registry_output_register(&framed, &registry_url, subjects[i].topic,
                                                                              subjects[i].type, cfg.registry_timeout_ms,
                                                                              err, sizeof err)) < 0;) {
                ap_log_warn("schema registry unavailable, retrying", "error=\"%s\" retry_ms=%d", err, backoff);
                ap_pump_backoff(&backoff);
            }
            if (!run) break;
            if (rrc > 0) {
                ap_log_error("schema registry refused a schema", "subject=%s-value error=\"%s\"", subjects[i].topic, err);
                fprintf(stderr, "ap-processor: %s\n", err);
                exit_code = 2;
                goto cleanup;
            }
            ap_log_info("schema registered", "subject=%s-value id=%d", subjects[i].topic,
                        (int)framed.topics[framed.n - 1].id);
        }
        if (!run) {
            exit_code = 0;
            goto cleanup;
        }
        output = ap_registry_output(&framed);
    }
    proc = ap_processor_create(&pcfg, store, output);

    ap_pump_config_t pc = {&cfg.kafka, cfg.group_id, cfg.instance_id, cfg.session_timeout_ms,
                           {cfg.topics[0], cfg.topics[1], cfg.topics[2]}, (size_t)cfg.batch_size,
                           RD_KAFKA_OFFSET_BEGINNING, 0, cfg.queue_kib, counts[0], &pump_status};
    if (!(pump = ap_pump_create(&pc, store, proc, &run, recover_producer, &producer, err, sizeof err))) {
        if (!run) exit_code = 0;
        else ap_log_error("cannot create consumer", "error=\"%s\"", err);
        goto cleanup;
    }

    char security[128];
    ap_kafka_conn_describe(&cfg.kafka, security, sizeof security);
    ap_log_info("started",
                "brokers=%s %s group=%s inputs=%s,%s,%s partitions=%" PRId32 " redis=%s:%d redis_user=%s prefix=%s"
                " framing=%s",
                cfg.kafka.brokers, security, cfg.group_id, cfg.topics[0], cfg.topics[1], cfg.topics[2], counts[0],
                cfg.redis_host, cfg.redis_port, cfg.redis_username[0] ? cfg.redis_username : "default", cfg.redis_prefix,
                cfg.framing);
    double last_stats = ap_log_monotonic_s(), last_metrics = 0;
    exit_code = 0;
    atomic_store(&watchdog.consuming, 1);
    ap_notify_ready("consuming");
    while (ap_pump_step(pump, 100) >= 0) {
        double now = ap_log_monotonic_s();
        if (now - last_stats >= cfg.stats_interval_s) {
            log_stats(ap_processor_stats(proc));
            last_stats = now;
        }
        if (health && now - last_metrics >= 1.0) { /* a scrape sees at most a second old counters */
            publish_metrics(health, proc, store, pump, start_time_s);
            last_metrics = now;
        }
    }
    log_stats(ap_processor_stats(proc));
    if (ap_pump_stopped(pump, err, sizeof err)) {
        /* Not a clean stop: a supervisor must not just restart us into it. */
        fprintf(stderr, "ap-processor: %s\n", err);
        exit_code = 1;
    } else {
        ap_log_info("stopping", "%s", "reason=signal");
    }

cleanup:
    ap_notify_stopping();
    if (watchdog_running) {
        atomic_store(&watchdog.stop, 1);
        pthread_join(watchdog_thread, NULL);
    }
    ap_health_stop(health); /* before what its snapshot came from */
    ap_pump_destroy(pump);
    if (producer.out.rk) {
        int left = ap_kafka_producer_drain(producer.out.rk, 10000);
        if (left) { ap_log_error("outputs still queued at exit", "messages=%d", left); exit_code = 1; }
        rd_kafka_destroy(producer.out.rk);
    }
    ap_processor_destroy(proc);
    ap_registry_output_free(&framed);
    ap_store_destroy(store);
    return exit_code;
}
