/*
 * ap-ticker - writes StreamTicks to every partition of the three input topics
 * on a schedule, so weeks close without anyone running `apctl tick`.
 *
 * What a tick promises (README "Ticks"): every ticker.interval_s it writes a
 * tick at T = now - ticker.delay_s, rounded down to the interval. The delay is
 * the producers' allowance: a record about time before T that a producer
 * writes after the tick is still processed, as a late change that revises the
 * weeks it touches, so the delay only decides how often that happens, never
 * whether a record counts. A week closes once every input topic of a
 * partition has a tick past its end plus week.grace_days, i.e. about
 * grace_days + delay (+ one interval) after Sunday 24:00 Copenhagen time.
 * Ticks never go back: a wall clock set back writes nothing until it has
 * passed the last tick again. Two tickers (for availability) are harmless:
 * a tick no later than the last one a partition saw changes nothing.
 *
 * Shutdown (SIGTERM/SIGINT): finish the round in hand, flush, exit 0.
 */
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/config.h"
#include "arbejdspligt/events.h"
#include "arbejdspligt/kafka.h"
#include "arbejdspligt/log.h"
#include "arbejdspligt/notify.h"

typedef struct settings {
    ap_kafka_conn_t kafka;
    char topics[3][128];
    int interval_s;
    int delay_s;
    char source[64];
    int once;
    char log_level[16];
} settings_t;

#define S(name, env, type, def, field, min, max, help) \
    {name, env, type, def, offsetof(settings_t, field), sizeof(((settings_t *)0)->field), min, max, help}
static const ap_setting_t table[] = {
    AP_KAFKA_CONN_SETTINGS(S, kafka),
    S("topic.placement", "AP_TOPIC_PLACEMENT", AP_SET_STRING, "ap.placement", topics[0], 0, 0, "Input topic to tick"),
    S("topic.hours", "AP_TOPIC_HOURS", AP_SET_STRING, "ap.hours", topics[1], 0, 0, "Input topic to tick"),
    S("topic.exemption", "AP_TOPIC_EXEMPTION", AP_SET_STRING, "ap.exemption", topics[2], 0, 0, "Input topic to tick"),
    S("ticker.interval_s", "AP_TICKER_INTERVAL_S", AP_SET_INT, "60", interval_s, 1, 86400,
      "Seconds between rounds of ticks; tick times are multiples of it"),
    S("ticker.delay_s", "AP_TICKER_DELAY_S", AP_SET_INT, "300", delay_s, 0, 315360000,
      "How far ticks stay behind the wall clock: the producers' allowance to write what happened before"),
    S("ticker.source", "AP_TICKER_SOURCE", AP_SET_STRING, "ap-ticker", source, 0, 0,
      "source_system of the ticks (part of their event ids)"),
    S("ticker.once", "AP_TICKER_ONCE", AP_SET_INT, "0", once, 0, 1, "1: write one round and exit (cron, tests)"),
    S("log.level", "AP_LOG_LEVEL", AP_SET_STRING, "info", log_level, 0, 0, "debug, info, warn or error"),
};
#define NSETTINGS (sizeof table / sizeof *table)

static volatile sig_atomic_t run = 1;

static void on_signal(int sig) {
    (void)sig;
    run = 0;
}

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); /* the ticker is where the wall clock enters the stream */
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps up to ms, waking for a stop and to feed systemd's watchdog. */
static void nap(int64_t ms, uint64_t watchdog_usec) {
    int64_t step = watchdog_usec ? (int64_t)(watchdog_usec / 3000) : 1000;
    if (step > 1000) step = 1000;
    if (step < 10) step = 10;
    while (run && ms > 0) {
        int64_t d = ms < step ? ms : step;
        struct timespec ts = {d / 1000, (d % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        ms -= d;
        if (watchdog_usec) ap_notify_watchdog();
    }
}

int main(int argc, char **argv) {
    settings_t cfg;
    char err[512];
    memset(&cfg, 0, sizeof cfg);
    ap_log_set_component("ticker");
    int rc = ap_config_load(table, NSETTINGS, &cfg, argc, argv, stdout,
                            "usage: ap-ticker [--config FILE] [--set key=value ...]", err, sizeof err);
    if (rc == 1) return 0;
    if (rc < 0) { fprintf(stderr, "ap-ticker: %s\n", err); return 2; }
    if (ap_log_set_level(cfg.log_level)) { fprintf(stderr, "ap-ticker: bad log.level %s\n", cfg.log_level); return 2; }
    if (ap_kafka_conn_check(&cfg.kafka, err, sizeof err)) { fprintf(stderr, "ap-ticker: %s\n", err); return 2; }
    ap_codec_error_t cerr;
    if (ap_events_init(&cerr)) { ap_log_error("schemas do not match the codec tables", "detail=\"%s\"", cerr.msg); return 1; }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    ap_kafka_delivery_t delivery = {0};
    rd_kafka_t *rk = ap_kafka_producer_create(&cfg.kafka, &delivery, NULL, err, sizeof err);
    if (!rk) { fprintf(stderr, "ap-ticker: %s\n", err); return 2; }
    uint64_t watchdog = ap_notify_watchdog_usec();
    const char *topics[3] = {cfg.topics[0], cfg.topics[1], cfg.topics[2]};
    char security[128];
    ap_kafka_conn_describe(&cfg.kafka, security, sizeof security);
    ap_log_info("started", "brokers=%s %s topics=%s,%s,%s interval_s=%d delay_s=%d", cfg.kafka.brokers, security,
                topics[0], topics[1], topics[2], cfg.interval_s, cfg.delay_s);

    int64_t interval_ms = (int64_t)cfg.interval_s * 1000, last = 0, started_ms = wall_ms();
    int exit_code = 0, backoff_ms = 200;
    /* Ready at once: a broker that is down is retried in the loop, with the
     * watchdog fed, instead of failing systemd's start timeout. */
    ap_notify_ready("first round of ticks pending");
    while (run) {
        int64_t at = (wall_ms() - (int64_t)cfg.delay_s * 1000) / interval_ms * interval_ms;
        if (at > last) {
            uint64_t failed_before = delivery.failed;
            long queued = ap_kafka_produce_ticks(rk, topics, 3, at, cfg.source, err, sizeof err);
            int left = queued >= 0 ? ap_kafka_producer_drain(rk, 30000) : 0;
            char when[40];
            ap_cal_format_timestamp(at, when);
            if (queued < 0 || left || delivery.failed != failed_before) {
                ap_log_warn("ticks not delivered, retrying", "at=%s error=\"%s\" retry_ms=%d", when,
                            queued < 0 ? err : delivery.last_error, backoff_ms);
                if (cfg.once && wall_ms() - started_ms > 60000) { /* a cron job must end: say so */
                    ap_log_error("ticks not delivered within 60 s, giving up", "at=%s", when);
                    exit_code = 1;
                    break;
                }
                nap(backoff_ms, watchdog);
                backoff_ms = backoff_ms < 5000 ? backoff_ms * 2 : 5000;
                continue;
            }
            backoff_ms = 200;
            last = at;
            ap_log_info("ticks written", "at=%s partitions=%ld", when, queued);
            char status[96];
            snprintf(status, sizeof status, "last tick %s on %ld partitions", when, queued);
            ap_notify_status(status);
            if (cfg.once) break;
        }
        /* Until the next multiple of the interval past the delay. */
        int64_t next = last + interval_ms + (int64_t)cfg.delay_s * 1000 - wall_ms();
        nap(next > 0 ? next : 0, watchdog);
    }
    ap_notify_stopping();
    if (ap_kafka_producer_drain(rk, 10000)) exit_code = 1;
    /* One round asked for and not written (stopped first): not a success. */
    if (cfg.once && !last) exit_code = 1;
    rd_kafka_destroy(rk);
    ap_log_info("stopping", "reason=%s", run ? "once" : "signal");
    return exit_code;
}
