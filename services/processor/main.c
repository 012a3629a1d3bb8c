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
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arbejdspligt/config.h"
#include "arbejdspligt/events.h"
#include "arbejdspligt/intake.h"
#include "arbejdspligt/kafka.h"
#include "arbejdspligt/log.h"
#include "arbejdspligt/processor.h"
#include "arbejdspligt/store.h"

typedef struct settings {
    char brokers[512];
    char group_id[128];
    char instance_id[128];
    int session_timeout_ms;
    char topics[AP_TOPIC_KINDS][AP_TOPIC_CAP];
    char compliance_topic[AP_TOPIC_CAP];
    char alerts_topic[AP_TOPIC_CAP];
    char dead_letter_topic[AP_TOPIC_CAP];
    char redis_host[256];
    int redis_port;
    char redis_prefix[32];
    int batch_size;
    int grace_days;
    int flush_timeout_ms;
    int stats_interval_s;
    char log_level[16];
} settings_t;

#define S(name, env, type, def, field, min, max, help) \
    {name, env, type, def, offsetof(settings_t, field), sizeof(((settings_t *)0)->field), min, max, help}
static const ap_setting_t table[] = {
    S("kafka.brokers", "AP_KAFKA_BROKERS", AP_SET_STRING, "127.0.0.1:9092", brokers, 0, 0, "Kafka bootstrap servers"),
    S("kafka.group_id", "AP_GROUP_ID", AP_SET_STRING, "ap-processor", group_id, 0, 0, "Consumer group of the processors"),
    S("kafka.instance_id", "AP_INSTANCE_ID", AP_SET_STRING, "", instance_id, 0, 0,
      "Static group member id (e.g. the host name): a restarted instance gets its partitions back at once"),
    S("kafka.session_timeout_ms", "AP_SESSION_TIMEOUT_MS", AP_SET_INT, "45000", session_timeout_ms, 6000, 300000,
      "How long the group waits for a silent member before moving its partitions"),
    S("topic.placement", "AP_TOPIC_PLACEMENT", AP_SET_STRING, "ap.placement", topics[AP_TOPIC_PLACEMENT], 0, 0,
      "Input: PlacementEvent"),
    S("topic.hours", "AP_TOPIC_HOURS", AP_SET_STRING, "ap.hours", topics[AP_TOPIC_HOURS], 0, 0, "Input: HoursEvent"),
    S("topic.exemption", "AP_TOPIC_EXEMPTION", AP_SET_STRING, "ap.exemption", topics[AP_TOPIC_EXEMPTION], 0, 0,
      "Input: ExemptionEvent, ReductionEvent, CoverageEvent"),
    S("topic.compliance", "AP_TOPIC_COMPLIANCE", AP_SET_STRING, "ap.compliance", compliance_topic, 0, 0,
      "Output: ComplianceResult"),
    S("topic.alerts", "AP_TOPIC_ALERTS", AP_SET_STRING, "ap.alerts", alerts_topic, 0, 0, "Output: Alert"),
    S("topic.dead_letter", "AP_TOPIC_DEAD_LETTER", AP_SET_STRING, "ap.dead-letter", dead_letter_topic, 0, 0,
      "Output: DeadLetter"),
    S("redis.host", "AP_REDIS_HOST", AP_SET_STRING, "127.0.0.1", redis_host, 0, 0, "Redis host"),
    S("redis.port", "AP_REDIS_PORT", AP_SET_INT, "6379", redis_port, 1, 65535, "Redis port"),
    S("redis.prefix", "AP_REDIS_PREFIX", AP_SET_STRING, "ap", redis_prefix, 0, 0,
      "Key prefix: separates state namespaces (production, replay, tests)"),
    S("batch.size", "AP_BATCH_SIZE", AP_SET_INT, "1000", batch_size, 1, AP_PROCESSOR_MAX_BATCH,
      "Records per processing cycle (one Redis pipeline, one commit)"),
    S("week.grace_days", "AP_GRACE_DAYS", AP_SET_INT, "2", grace_days, 0, 60,
      "Days after a week ends (stream time) before its result is final"),
    S("kafka.flush_timeout_ms", "AP_FLUSH_TIMEOUT_MS", AP_SET_INT, "30000", flush_timeout_ms, 100, 600000,
      "How long a cycle waits for outputs to be acknowledged before retrying"),
    S("log.stats_interval_s", "AP_STATS_INTERVAL_S", AP_SET_INT, "10", stats_interval_s, 1, 3600,
      "Seconds between progress lines"),
    S("log.level", "AP_LOG_LEVEL", AP_SET_STRING, "info", log_level, 0, 0, "debug, info, warn or error"),
};
#define NSETTINGS (sizeof table / sizeof *table)

static volatile sig_atomic_t run = 1;

static void on_signal(int sig) {
    (void)sig;
    run = 0;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The intake asks the store where each assigned partition stands. */
static int stored_position(void *ctx, const char *topic, int32_t partition, int64_t *next) {
    return ap_store_position_get(ctx, topic, partition, next);
}

/* ...and which ticks it has already processed on a partition. */
static int stored_ticks(void *ctx, int32_t partition, int64_t ticks[AP_INTAKE_TOPICS]) {
    ap_partition_clock_t c;
    if (ap_store_clock_get(ctx, partition, &c)) return -1;
    for (int k = 0; k < AP_INTAKE_TOPICS; k++) ticks[k] = c.tick[k];
    return 0;
}

/* The intake needs to recognise ticks, the barriers of its lanes. */
static int tick_time(void *ctx, const rd_kafka_message_t *m, int64_t *at) {
    (void)ctx;
    uint64_t fp;
    ap_codec_error_t err;
    ap_tick_t tick;
    const ap_record_desc_t *d = ap_events_desc(AP_EV_TICK);
    if (!m->payload || ap_codec_peek(m->payload, m->len, &fp, &err) != AP_CODEC_OK || fp != d->fingerprint) return 0;
    if (ap_codec_decode(d, m->payload, m->len, &tick, &err) != AP_CODEC_OK) return 0; /* dead-lettered later */
    *at = tick.occurred_at;
    return 1;
}

/* Retry delays double up to 5 s: quick after a blip, gentle in an outage. */
static int next_backoff(int ms) { return ms * 2 > 5000 ? 5000 : ms * 2; }

/* Waits until Redis answers: assignment reads the positions from it. */
static void await_store(ap_store_t *store) {
    for (int backoff = 200; run && ap_store_ping(store) && ap_store_reconnect(store);) {
        ap_log_warn("redis unavailable, retrying", "error=\"%s\" retry_ms=%d", ap_store_error(store), backoff);
        sleep_ms(backoff);
        backoff = next_backoff(backoff);
    }
}

/* Replaces the consumer: the new one is assigned partitions afresh and seeks
 * each to the position the store has. Returns NULL only when stopping. */
static ap_intake_t *reopen_intake(ap_intake_t *old, const settings_t *cfg, const char *const *topics,
                                  ap_store_t *store) {
    char err[512];
    ap_intake_t *in = NULL;
    ap_intake_close(old);
    ap_intake_destroy(old);
    await_store(store);
    while (run && !(in = ap_intake_create(cfg->brokers, cfg->group_id, cfg->instance_id, cfg->session_timeout_ms, topics,
                                          stored_position, stored_ticks, tick_time, store, err, sizeof err))) {
        ap_log_error("cannot recreate consumer, retrying", "error=\"%s\"", err);
        sleep_ms(1000);
    }
    return in;
}

static void log_stats(const ap_processor_stats_t *s) {
    ap_log_info("progress",
                "applied=%" PRIu64 " duplicates=%" PRIu64 " superseded=%" PRIu64 " dead_letters=%" PRIu64
                " ticks=%" PRIu64 " weeks_closed=%" PRIu64 " results=%" PRIu64 " alerts=%" PRIu64,
                s->applied, s->duplicates, s->superseded, s->dead_letters, s->ticks, s->weeks_closed, s->results,
                s->alerts);
}

int main(int argc, char **argv) {
    settings_t cfg;
    char err[512];
    int exit_code = 1;
    ap_store_t *store = NULL;
    rd_kafka_t *producer = NULL;
    ap_intake_t *intake = NULL;
    ap_processor_t *proc = NULL;
    ap_kafka_delivery_t delivery = {0};
    rd_kafka_message_t **msgs = NULL;
    ap_record_t *records = NULL;
    memset(&cfg, 0, sizeof cfg);

    ap_log_set_component("processor");
    int rc = ap_config_load(table, NSETTINGS, &cfg, argc, argv, stdout,
                            "usage: ap-processor [--config FILE] [--set key=value ...]", err, sizeof err);
    if (rc == 1) return 0;
    if (rc < 0) { fprintf(stderr, "ap-processor: %s\n", err); return 2; }
    if (ap_log_set_level(cfg.log_level)) { fprintf(stderr, "ap-processor: bad log.level %s\n", cfg.log_level); return 2; }

    ap_codec_error_t cerr;
    if (ap_events_init(&cerr)) { ap_log_error("schemas do not match the codec tables", "detail=\"%s\"", cerr.msg); return 1; }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    /* Redis may come up after us: wait for it rather than crash-loop. */
    for (int backoff = 200; run && !(store = ap_store_connect(cfg.redis_host, cfg.redis_port, cfg.redis_prefix, 5000, err,
                                                               sizeof err));) {
        ap_log_warn("redis unavailable, retrying", "error=\"%s\" retry_ms=%d", err, backoff);
        sleep_ms(backoff);
        backoff = next_backoff(backoff);
    }
    if (!store) goto cleanup;

    if (!(producer = ap_kafka_producer_create(cfg.brokers, &delivery, NULL, err, sizeof err))) {
        ap_log_error("cannot create producer", "error=\"%s\"", err);
        goto cleanup;
    }
    const char *topics[AP_TOPIC_KINDS] = {cfg.topics[0], cfg.topics[1], cfg.topics[2]};
    if (!(intake = ap_intake_create(cfg.brokers, cfg.group_id, cfg.instance_id, cfg.session_timeout_ms, topics,
                                    stored_position, stored_ticks, tick_time, store, err, sizeof err))) {
        ap_log_error("cannot create consumer", "error=\"%s\"", err);
        goto cleanup;
    }
    ap_processor_config_t pcfg;
    memset(&pcfg, 0, sizeof pcfg);
    for (int k = 0; k < AP_TOPIC_KINDS; k++) memcpy(pcfg.input_topics[k], cfg.topics[k], AP_TOPIC_CAP);
    memcpy(pcfg.compliance_topic, cfg.compliance_topic, AP_TOPIC_CAP);
    memcpy(pcfg.alerts_topic, cfg.alerts_topic, AP_TOPIC_CAP);
    memcpy(pcfg.dead_letter_topic, cfg.dead_letter_topic, AP_TOPIC_CAP);
    pcfg.grace_days = cfg.grace_days;
    pcfg.flush_timeout_ms = cfg.flush_timeout_ms;
    proc = ap_processor_create(&pcfg, store, producer, &delivery);
    msgs = calloc((size_t)cfg.batch_size, sizeof *msgs);
    records = calloc((size_t)cfg.batch_size, sizeof *records);
    if (!msgs || !records) goto cleanup;

    ap_log_info("started", "brokers=%s group=%s inputs=%s,%s,%s redis=%s:%d prefix=%s", cfg.brokers, cfg.group_id,
                cfg.topics[0], cfg.topics[1], cfg.topics[2], cfg.redis_host, cfg.redis_port, cfg.redis_prefix);
    double last_stats = now_s();
    exit_code = 0;
    while (run) {
        /* A fatal client error (a fenced static member, an idempotent
         * producer that lost its state) is not the end: make a new client.
         * Positions live in the store, so nothing is skipped or repeated. */
        if (ap_intake_fatal(intake, err, sizeof err)) {
            ap_log_error("consumer must be recreated", "error=\"%s\"", err);
            if (!(intake = reopen_intake(intake, &cfg, topics, store))) break;
        }
        size_t n = ap_intake_poll(intake, msgs, (size_t)cfg.batch_size, 100);
        for (size_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = msgs[i];
            records[i] = (ap_record_t){rd_kafka_topic_name(m->rkt), m->partition, m->offset,
                                       rd_kafka_message_timestamp(m, NULL), m->key, m->key_len, m->payload, m->len};
        }
        size_t off = 0;
        int backoff = 100, rewind = 0;
        while (off < n && !rewind) {
            size_t consumed = 0;
            if (ap_processor_process(proc, records + off, n - off, &consumed, err, sizeof err) == 0) {
                /* The store holds the new positions with the state; the broker
                 * commit only feeds lag monitoring. */
                ap_intake_commit(intake, msgs + off, consumed);
                off += consumed;
                backoff = 100;
                continue;
            }
            /* Nothing of this cycle is recorded; retrying it is safe. */
            ap_log_warn("cycle failed, retrying", "error=\"%s\" retry_ms=%d", err, backoff);
            if (!run) {
                ap_log_warn("stopping with unrecorded records; they will be read again", "records=%zu", n - off);
                break;
            }
            sleep_ms(backoff);
            backoff = next_backoff(backoff);
            if (ap_store_ping(store)) {
                /* Redis went away. It may come back without its last second of
                 * writes (AOF everysec), positions included: reconnect, then
                 * rewind the consumer to the positions the store has now. */
                await_store(store);
                rewind = 1;
                continue;
            }
            if (rd_kafka_fatal_error(producer, err, sizeof err)) {
                /* Queued outputs of the failed producer are dropped with it; the
                 * retried cycle produces them again (same event ids). */
                ap_log_error("producer failed fatally; recreating it", "error=\"%s\"", err);
                rd_kafka_t *fresh = ap_kafka_producer_create(cfg.brokers, &delivery, NULL, err, sizeof err);
                if (fresh) {
                    rd_kafka_purge(producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
                    rd_kafka_destroy(producer);
                    producer = fresh;
                    ap_processor_set_producer(proc, producer);
                }
            }
        }
        ap_intake_release(msgs, n);
        if (rewind && run) {
            ap_log_warn("redis reconnected; rewinding the consumer to the stored positions", "%s", "");
            if (!(intake = reopen_intake(intake, &cfg, topics, store))) break;
        }
        if (now_s() - last_stats >= cfg.stats_interval_s) {
            log_stats(ap_processor_stats(proc));
            last_stats = now_s();
        }
    }
    log_stats(ap_processor_stats(proc));
    ap_log_info("stopping", "%s", "reason=signal");

cleanup:
    if (intake) {
        ap_intake_close(intake); /* leaves the group so partitions move at once */
        ap_intake_destroy(intake);
    }
    if (producer) {
        int left = ap_kafka_producer_drain(producer, 10000);
        if (left) { ap_log_error("outputs still queued at exit", "messages=%d", left); exit_code = 1; }
        rd_kafka_destroy(producer);
    }
    ap_processor_destroy(proc);
    ap_store_destroy(store);
    free(msgs);
    free(records);
    return exit_code;
}
