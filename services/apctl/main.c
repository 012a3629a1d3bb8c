/*
 * apctl - operator's tool: publish events from JSON lines, publish stream
 * ticks, print topics as JSON lines, create topics, show schema fingerprints.
 *
 *   apctl produce --topic T [--schema NAME] [--no-validate] < events.jsonl
 *   apctl produce-hex --topic T [--key K] < records.hex     (raw bytes; for tests)
 *   apctl tick --topic T [--topic T ...] --at 2026-02-02T00:00:00Z
 *   apctl consume --topic T [--wait-for N] [--timeout-ms MS]
 *   apctl create-topics --partitions N T [T ...]
 *   apctl lag --group G --topic T [--topic T ...]
 *   apctl fingerprints
 *
 * The broker comes from --brokers or AP_KAFKA_BROKERS (default 127.0.0.1:9092).
 * JSON field names are the schema's; dates are "YYYY-MM-DD", timestamps
 * RFC 3339, enums their symbols, optional fields null or absent. A line's
 * record type is its "schema" member (or --schema).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/events.h"
#include "arbejdspligt/kafka.h"
#include "arbejdspligt/log.h"
#include "arbejdspligt/processor.h"

#define MAX_TOPICS 8

typedef struct opts {
    const char *brokers;
    const char *topics[MAX_TOPICS];
    int n_topics;
    const char *schema;
    const char *key;
    const char *at;
    const char *source;
    int validate;
    int partitions;
    long wait_for;
    long timeout_ms;
    char **rest;
    int n_rest;
} opts_t;

static int usage(void) {
    fprintf(stderr,
            "usage:\n"
            "  apctl produce --topic T [--schema NAME] [--no-validate] < events.jsonl\n"
            "  apctl produce-hex --topic T [--key K] < records.hex\n"
            "  apctl tick --topic T [--topic T ...] --at RFC3339 [--source NAME]\n"
            "  apctl consume --topic T [--wait-for N] [--timeout-ms MS]\n"
            "  apctl create-topics --partitions N TOPIC...\n"
            "  apctl lag --group G --topic T [--topic T ...]   (records not yet committed by G)\n"
            "  apctl fingerprints\n"
            "common: --brokers HOST:PORT (default $AP_KAFKA_BROKERS or 127.0.0.1:9092)\n");
    return 2;
}

static int parse_opts(int argc, char **argv, opts_t *o) {
    memset(o, 0, sizeof *o);
    o->brokers = getenv("AP_KAFKA_BROKERS") ? getenv("AP_KAFKA_BROKERS") : "127.0.0.1:9092";
    o->validate = 1;
    o->partitions = 3;
    o->timeout_ms = 10000;
    o->source = "apctl";
    o->rest = calloc((size_t)argc, sizeof *o->rest);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-validate") == 0) { o->validate = 0; continue; }
        if (a[0] == '-' && a[1] == '-') {
            if (!v) { fprintf(stderr, "apctl: %s needs a value\n", a); return -1; }
            i++;
            if (strcmp(a, "--brokers") == 0) o->brokers = v;
            else if (strcmp(a, "--topic") == 0 && o->n_topics < MAX_TOPICS) o->topics[o->n_topics++] = v;
            else if (strcmp(a, "--schema") == 0 || strcmp(a, "--group") == 0) o->schema = v;
            else if (strcmp(a, "--key") == 0) o->key = v;
            else if (strcmp(a, "--at") == 0) o->at = v;
            else if (strcmp(a, "--source") == 0) o->source = v;
            else if (strcmp(a, "--partitions") == 0) o->partitions = atoi(v);
            else if (strcmp(a, "--wait-for") == 0) o->wait_for = strtol(v, NULL, 10);
            else if (strcmp(a, "--timeout-ms") == 0) o->timeout_ms = strtol(v, NULL, 10);
            else { fprintf(stderr, "apctl: unknown option %s\n", a); return -1; }
        } else {
            o->rest[o->n_rest++] = argv[i];
        }
    }
    return 0;
}

static rd_kafka_t *producer(const opts_t *o, ap_kafka_delivery_t *d) {
    char err[512];
    rd_kafka_t *rk = ap_kafka_producer_create(o->brokers, d, NULL, err, sizeof err);
    if (!rk) fprintf(stderr, "apctl: %s\n", err);
    return rk;
}

/* Flushes and reports; returns the exit code. */
static int finish(rd_kafka_t *rk, const ap_kafka_delivery_t *d, long sent) {
    int left = ap_kafka_producer_drain(rk, 60000);
    rd_kafka_destroy(rk);
    if (left || d->failed) {
        fprintf(stderr, "apctl: %ld sent, %" PRIu64 " failed, %d undelivered: %s\n", sent, d->failed, left, d->last_error);
        return 1;
    }
    fprintf(stderr, "apctl: %ld records delivered\n", sent);
    return 0;
}

static int cmd_produce(const opts_t *o) {
    if (o->n_topics != 1) return usage();
    ap_kafka_delivery_t d = {0};
    rd_kafka_t *rk = producer(o, &d);
    if (!rk) return 1;
    ap_json_doc_t doc = AP_JSON_DOC_INIT;
    ap_buf_t out = AP_BUF_INIT;
    char *line = NULL, err[512], why[AP_TEXT_CAP];
    size_t cap = 0;
    ssize_t len;
    long lineno = 0, sent = 0;
    int rc = 0, partitions = -1;
    static const char *const ignore[] = {"schema", NULL};
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (len == 0) continue;
        if (ap_json_parse(&doc, line, (size_t)len)) {
            fprintf(stderr, "apctl: line %ld: %s\n", lineno, doc.err);
            rc = 1;
            break;
        }
        const ap_json_node_t *sn = ap_json_member(&doc, &doc.nodes[0], "schema");
        const char *name = sn && sn->type == AP_JSON_STRING ? sn->str : o->schema;
        ap_event_t ev;
        memset(&ev, 0, sizeof ev);
        ev.type = name ? ap_events_type_by_name(name, strlen(name)) : AP_EV_COUNT;
        if (ev.type == AP_EV_COUNT) {
            fprintf(stderr, "apctl: line %ld: unknown or missing schema (give \"schema\" or --schema)\n", lineno);
            rc = 1;
            break;
        }
        ap_codec_error_t cerr;
        if (ap_codec_from_json(ap_events_desc(ev.type), &doc, &doc.nodes[0], ignore, &ev.u, &cerr) != AP_CODEC_OK) {
            fprintf(stderr, "apctl: line %ld: %s\n", lineno, cerr.msg);
            rc = 1;
            break;
        }
        if (o->validate && ev.type <= AP_EV_TICK && ap_events_validate(&ev, why, sizeof why)) {
            fprintf(stderr, "apctl: line %ld: invalid %s: %s\n", lineno, ap_events_desc(ev.type)->name, why);
            rc = 1;
            break;
        }
        ap_buf_reset(&out);
        ap_events_encode(&ev, &out);
        if (ev.type == AP_EV_TICK) { /* a tick is a promise for every partition */
            if (partitions < 0 && (partitions = ap_kafka_partition_count(rk, o->topics[0], 10000, err, sizeof err)) < 0) {
                fprintf(stderr, "apctl: %s\n", err);
                rc = 1;
                break;
            }
            for (int p = 0; p < partitions && rc == 0; p++, sent++)
                if (ap_kafka_produce(rk, o->topics[0], p, NULL, 0, out.data, out.len, err, sizeof err)) rc = 1;
        } else {
            const char *key = ev.type <= AP_EV_COVERAGE ? ev.u.h.citizen_id
                              : ev.type == AP_EV_RESULT ? ev.u.result.citizen_id
                              : ev.type == AP_EV_ALERT  ? ev.u.alert.citizen_id : NULL;
            if (ap_kafka_produce(rk, o->topics[0], RD_KAFKA_PARTITION_UA, key, key ? strlen(key) : 0, out.data, out.len,
                                 err, sizeof err))
                rc = 1;
            sent++;
        }
        if (rc) { fprintf(stderr, "apctl: line %ld: %s\n", lineno, err); break; }
    }
    free(line);
    ap_buf_free(&out);
    ap_json_doc_free(&doc);
    int frc = finish(rk, &d, sent);
    return rc ? rc : frc;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int cmd_produce_hex(const opts_t *o) {
    if (o->n_topics != 1) return usage();
    ap_kafka_delivery_t d = {0};
    rd_kafka_t *rk = producer(o, &d);
    if (!rk) return 1;
    char *line = NULL, err[512];
    size_t cap = 0;
    ssize_t len;
    long sent = 0, lineno = 0;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        size_t n = 0;
        for (ssize_t i = 0; i + 1 < len; i += 2) {
            int hi = hexval(line[i]), lo = hexval(line[i + 1]);
            if (hi < 0 || lo < 0) break;
            line[n++] = (char)(hi << 4 | lo);
        }
        if (ap_kafka_produce(rk, o->topics[0], RD_KAFKA_PARTITION_UA, o->key, o->key ? strlen(o->key) : 0, line, n, err,
                             sizeof err)) {
            fprintf(stderr, "apctl: line %ld: %s\n", lineno, err);
            rc = 1;
        }
        sent++;
    }
    free(line);
    int frc = finish(rk, &d, sent);
    return rc ? rc : frc;
}

static int cmd_tick(const opts_t *o) {
    int64_t at;
    if (!o->n_topics || !o->at || ap_cal_parse_timestamp(o->at, strlen(o->at), &at)) {
        fprintf(stderr, "apctl: tick needs --topic and --at RFC3339\n");
        return 2;
    }
    ap_kafka_delivery_t d = {0};
    rd_kafka_t *rk = producer(o, &d);
    if (!rk) return 1;
    ap_buf_t out = AP_BUF_INIT;
    char err[512], name[256];
    long sent = 0;
    int rc = 0;
    for (int t = 0; t < o->n_topics && rc == 0; t++) {
        int parts = ap_kafka_partition_count(rk, o->topics[t], 10000, err, sizeof err);
        if (parts < 0) { fprintf(stderr, "apctl: %s\n", err); rc = 1; break; }
        for (int p = 0; p < parts && rc == 0; p++) {
            ap_event_t ev;
            memset(&ev, 0, sizeof ev);
            ev.type = AP_EV_TICK;
            snprintf(name, sizeof name, "tick|%s|%d|%" PRId64 "|%s", o->topics[t], p, at, o->source);
            ap_processor_derive_id(name, ev.u.tick.event_id);
            ev.u.tick.occurred_at = at;
            snprintf(ev.u.tick.source_system, sizeof ev.u.tick.source_system, "%s", o->source);
            ap_buf_reset(&out);
            ap_events_encode(&ev, &out);
            if (ap_kafka_produce(rk, o->topics[t], p, NULL, 0, out.data, out.len, err, sizeof err)) {
                fprintf(stderr, "apctl: %s\n", err);
                rc = 1;
            }
            sent++;
        }
    }
    ap_buf_free(&out);
    int frc = finish(rk, &d, sent);
    return rc ? rc : frc;
}

static int64_t total_available(rd_kafka_t *rk, const char *topic, int parts, int64_t *low, int64_t *high) {
    int64_t total = 0;
    for (int p = 0; p < parts; p++) {
        if (rd_kafka_query_watermark_offsets(rk, topic, p, &low[p], &high[p], 10000)) low[p] = high[p] = 0;
        total += high[p] - low[p];
    }
    return total;
}

static double mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmd_consume(const opts_t *o) {
    if (o->n_topics != 1) return usage();
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", o->brokers, err, sizeof err) ||
        rd_kafka_conf_set(conf, "group.id", "apctl-reader", err, sizeof err) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err)) {
        fprintf(stderr, "apctl: %s\n", err);
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) { fprintf(stderr, "apctl: %s\n", err); rd_kafka_conf_destroy(conf); return 1; }
    int parts = ap_kafka_partition_count(rk, o->topics[0], 10000, err, sizeof err), rc = 0;
    if (parts < 0) { fprintf(stderr, "apctl: %s\n", err); rd_kafka_destroy(rk); return 1; }
    int64_t *low = calloc((size_t)parts, sizeof *low), *high = calloc((size_t)parts, sizeof *high);
    double deadline = mono_ms() + (double)o->timeout_ms;
    int64_t avail;
    /* Wait until at least --wait-for records exist (or the timeout), then read to the end. */
    while ((avail = total_available(rk, o->topics[0], parts, low, high)) < o->wait_for && mono_ms() < deadline) {
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (avail < o->wait_for) {
        fprintf(stderr, "apctl: only %" PRId64 " of %ld records on %s after %ld ms\n", avail, o->wait_for, o->topics[0],
                o->timeout_ms);
        rc = 3;
    }
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(parts);
    int64_t remaining = 0;
    for (int p = 0; p < parts; p++) {
        if (high[p] <= low[p]) continue;
        rd_kafka_topic_partition_list_add(list, o->topics[0], p)->offset = low[p];
        remaining += high[p] - low[p];
    }
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    ap_buf_t out = AP_BUF_INIT;
    while (remaining > 0 && mono_ms() < deadline + 30000) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (!m) continue;
        if (!m->err && m->offset < high[m->partition]) {
            ap_event_t ev;
            ap_codec_error_t cerr;
            ap_buf_reset(&out);
            if (ap_events_decode(m->payload, m->len, &ev, &cerr) == AP_CODEC_OK) ap_events_to_json(&ev, &out);
            else {
                ap_buf_append_str(&out, "{\"schema\":null,\"error\":");
                ap_json_write_string(&out, cerr.msg, strlen(cerr.msg));
                ap_buf_append_byte(&out, '}');
            }
            printf("%s\n", out.data);
            remaining--;
        }
        rd_kafka_message_destroy(m);
    }
    ap_buf_free(&out);
    free(low);
    free(high);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

/* Prints the records a consumer group has not yet committed on the topics. */
static int cmd_lag(const opts_t *o) {
    if (!o->n_topics || !o->schema) {
        fprintf(stderr, "apctl: lag needs --group G and --topic\n");
        return 2;
    }
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", o->brokers, err, sizeof err) ||
        rd_kafka_conf_set(conf, "group.id", o->schema, err, sizeof err)) {
        fprintf(stderr, "apctl: %s\n", err);
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) { fprintf(stderr, "apctl: %s\n", err); rd_kafka_conf_destroy(conf); return 1; }
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(16);
    int rc = 0;
    for (int t = 0; t < o->n_topics && rc == 0; t++) {
        int parts = ap_kafka_partition_count(rk, o->topics[t], 10000, err, sizeof err);
        if (parts < 0) { fprintf(stderr, "apctl: %s\n", err); rc = 1; }
        for (int p = 0; p < parts; p++) rd_kafka_topic_partition_list_add(list, o->topics[t], p);
    }
    if (rc == 0 && rd_kafka_committed(rk, list, 10000)) { fprintf(stderr, "apctl: cannot read committed offsets\n"); rc = 1; }
    int64_t lag = 0;
    for (int i = 0; rc == 0 && i < list->cnt; i++) {
        int64_t lo, hi;
        rd_kafka_topic_partition_t *tp = &list->elems[i];
        if (rd_kafka_query_watermark_offsets(rk, tp->topic, tp->partition, &lo, &hi, 10000)) { rc = 1; break; }
        lag += tp->offset >= 0 ? hi - tp->offset : hi - lo;
    }
    if (rc == 0) printf("%" PRId64 "\n", lag);
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_destroy(rk);
    return rc;
}

static int cmd_create_topics(const opts_t *o) {
    if (!o->n_rest || o->partitions < 1) return usage();
    ap_kafka_delivery_t d = {0};
    rd_kafka_t *rk = producer(o, &d);
    char err[512];
    if (!rk) return 1;
    int rc = ap_kafka_create_topics(rk, (const char *const *)o->rest, (size_t)o->n_rest, o->partitions, 20000, err, sizeof err);
    if (rc) fprintf(stderr, "apctl: %s\n", err);
    rd_kafka_destroy(rk);
    return rc ? 1 : 0;
}

static int cmd_fingerprints(void) {
    for (int t = 0; t < AP_EV_COUNT; t++) {
        const ap_record_desc_t *d = ap_events_desc((ap_event_type_t)t);
        printf("%-18s %016" PRIx64 "\n", d->name, d->fingerprint);
    }
    return 0;
}

int main(int argc, char **argv) {
    opts_t o;
    ap_codec_error_t cerr;
    if (argc < 2) return usage();
    ap_log_set_component("apctl");
    /* A command-line tool reports its own errors; librdkafka's transient
     * warnings would only be noise here unless asked for. */
    if (ap_log_set_level(getenv("AP_LOG_LEVEL") ? getenv("AP_LOG_LEVEL") : "error")) ap_log_set_level("error");
    if (ap_events_init(&cerr)) { fprintf(stderr, "apctl: %s\n", cerr.msg); return 1; }
    if (parse_opts(argc, argv, &o)) return 2;
    const char *cmd = argv[1];
    int rc;
    if (strcmp(cmd, "produce") == 0) rc = cmd_produce(&o);
    else if (strcmp(cmd, "produce-hex") == 0) rc = cmd_produce_hex(&o);
    else if (strcmp(cmd, "tick") == 0) rc = cmd_tick(&o);
    else if (strcmp(cmd, "consume") == 0) rc = cmd_consume(&o);
    else if (strcmp(cmd, "create-topics") == 0) rc = cmd_create_topics(&o);
    else if (strcmp(cmd, "lag") == 0) rc = cmd_lag(&o);
    else if (strcmp(cmd, "fingerprints") == 0) rc = cmd_fingerprints();
    else rc = usage();
    free(o.rest);
    return rc;
}
