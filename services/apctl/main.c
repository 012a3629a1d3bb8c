/*
 * apctl - operator's tool: publish events from JSON lines, publish stream
 * ticks, print topics as JSON lines, create topics, show schema fingerprints.
 *
 *   apctl produce --topic T [--schema NAME] [--no-validate] [--partition N] < events.jsonl
 *   apctl produce-hex --topic T [--key K] < records.hex     (raw bytes; for tests)
 *   apctl tick --topic T [--topic T ...] --at 2026-02-02T00:00:00Z
 *   apctl consume --topic T [--wait-for N] [--timeout-ms MS] [--hex] [--follow] [--registry-url URL]
 *                 (--hex: "<topic> <key> <hex of the value>", the exact bytes)
 *   apctl create-topics --partitions N [--replication-factor R] [--retention-ms MS] [--config k=v] T [T ...]
 *   apctl topic-config TOPIC KEY
 *   apctl forget CITIZEN_ID [--redis-host H] [--redis-port P] [--redis-user U] [--prefix P]
 *                 (the password: $AP_REDIS_PASSWORD_FILE or $AP_REDIS_PASSWORD, never an argument)
 *   apctl partition --partitions N KEY [KEY ...]   (where murmur2 puts each key)
 *   apctl redrive --topic DEAD_LETTER_TOPIC [--reason CODE] [--from RFC3339] [--to RFC3339]
 *                 [--from-offset N] [--to-offset N] [--dry-run]
 *   apctl lag --group G --topic T [--topic T ...]
 *   apctl diff LEFT.jsonl RIGHT.jsonl [--json REPORT] [--ignore field,field]
 *   apctl status CITIZEN_ID [--week YYYY-Www]   (a provisional result from Redis, never emitted)
 *   apctl report [--input RESULTS.jsonl ...] [--alerts ALERTS.jsonl] [--monitoring FILE ...] --output PAGE.html
 *                 (HTML, report.h)
 *   apctl monitoring [--topic T | --input FILE ...] [--json] [--followup YEAR | --publish-followup]
 *                 (MonitoringPartial records folded per municipality and month, monitoring_fold.h)
 *   apctl fingerprints
 *
 * The broker comes from --brokers or AP_KAFKA_BROKERS (default 127.0.0.1:9092);
 * TLS and SASL from the kafka.* settings every binary shares (kafka.h,
 * README Security): the environment (AP_KAFKA_SECURITY_PROTOCOL, ...,
 * AP_KAFKA_SASL_PASSWORD or _FILE), --kafka-config FILE (kafka.* keys) and
 * --set key=value, in that order.
 * AP_SCHEMAS_WRITERS_DIR names extra writer schemas, as ap-processor's
 * schemas.writers_dir does (records written with them are resolved).
 * JSON field names are the schema's; dates are "YYYY-MM-DD", timestamps
 * RFC 3339, enums their symbols, optional fields null or absent. A line's
 * record type is its "schema" member (or --schema).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/config.h"
#include "arbejdspligt/events.h"
#include "arbejdspligt/export.h"
#include "arbejdspligt/followup.h"
#include "arbejdspligt/kafka.h"
#include "arbejdspligt/lines.h"
#include "arbejdspligt/log.h"
#include "arbejdspligt/monitoring_fold.h"
#include "arbejdspligt/partition.h"
#include "arbejdspligt/processor.h"
#include "arbejdspligt/registry.h"
#include "arbejdspligt/report.h"
#include "arbejdspligt/schema.h"
#include "arbejdspligt/store_redis.h"
#include "arbejdspligt/uuid.h"

#define MAX_TOPICS 8

typedef struct opts {
    ap_kafka_conn_t kafka;
    const char *config;     /* --kafka-config: a file of kafka.* settings */
    const char *topics[MAX_TOPICS];
    int n_topics;
    const char *schema;
    const char *key;
    const char *at;
    const char *source;
    const char *json_report; /* diff --json */
    const char *ignore;      /* diff --ignore */
    int validate;
    int hex; /* consume --hex */
    int follow; /* consume --follow: go on printing what arrives until stopped */
    const char *registry_url; /* consume --registry-url: reads registry-framed records */
    const char *week; /* status --week YYYY-Www */
    int dry_run; /* redrive --dry-run */
    int partitions;
    int replication_factor; /* create-topics */
    const char *retention_ms; /* create-topics: "-1" (kept until deleted) by default */
    const char *configs[MAX_TOPICS + 1]; /* create-topics --config key=value */
    int n_configs;
    const char *redis_host, *redis_prefix, *redis_user; /* forget */
    int redis_port;
    int partition;          /* produce --partition: explicit, else -1 (the murmur2 partitioner) */
    const char *reason;     /* redrive --reason */
    const char *from, *to;  /* redrive --from/--to: the original records' timestamps */
    int64_t from_offset, to_offset; /* redrive: dead-letter topic offsets, inclusive */
    long wait_for;
    long timeout_ms;
    long max_line_bytes; /* produce, monitoring: longest line read */
    const char *inputs[32];  /* monitoring --input: files instead of the topic */
    int n_inputs;
    int json_out;            /* monitoring --json: one JSON object per row */
    int followup_year;       /* monitoring --followup YEAR */
    int publish_followup;    /* monitoring --publish-followup */
    const char *monitoring_topic; /* monitoring without --topic/--input: $AP_TOPIC_MONITORING or ap.monitoring */
    const char *followup_topic;   /* --followup-topic: $AP_TOPIC_FOLLOWUP or ap.followup */
    const char *followup_override; /* --followup-override name=value,...: an audit's what-if */
    char **rest;
    int n_rest;
} opts_t;

static int usage(void) {
    fprintf(stderr,
            "usage:\n"
            "  apctl produce --topic T [--schema NAME] [--no-validate] [--partition N] [--max-line-bytes N (1048576)]\n"
            "                < events.jsonl\n"
            "  apctl produce-hex --topic T [--key K] < records.hex\n"
            "  apctl tick --topic T [--topic T ...] --at RFC3339 [--source NAME]\n"
            "  apctl consume --topic T [--wait-for N] [--timeout-ms MS] [--hex] [--follow]\n"
            "                [--registry-url URL (default $AP_REGISTRY_URL)]   (reads registry-framed records too)\n"
            "  apctl create-topics --partitions N [--replication-factor R (1)] [--retention-ms MS|default (-1: kept)]\n"
            "                [--config key=value ...] TOPIC...\n"
            "  apctl topic-config TOPIC KEY   (e.g. retention.ms)\n"
            "  apctl forget CITIZEN_ID [--redis-host H] [--redis-port P] [--redis-user U] [--prefix P]   (erase the\n"
            "                citizen's state from Redis; defaults $AP_REDIS_HOST, $AP_REDIS_PORT, $AP_REDIS_USERNAME,\n"
            "                $AP_REDIS_PREFIX or ap; password from the file $AP_REDIS_PASSWORD_FILE or $AP_REDIS_PASSWORD;\n"
            "                a user allowed to delete, e.g. ap-erasure of deploy/scripts/redis-acl.sh)\n"
            "  apctl partition --partitions N KEY...   (the partition murmur2 names for each key)\n"
            "  apctl redrive --topic DEAD_LETTER_TOPIC [--reason CODE (WRONG_PARTITION)] [--from RFC3339] [--to RFC3339]\n"
            "                [--from-offset N] [--to-offset N] [--dry-run]   (re-publish dead letters where they belong)\n"
            "  apctl lag --group G --topic T [--topic T ...]   (records not yet committed by G)\n"
            "  apctl diff LEFT.jsonl RIGHT.jsonl [--json REPORT] [--ignore field,field]\n"
            "  apctl status CITIZEN_ID [--week YYYY-Www] [--redis-host H] [--redis-port P] [--prefix X]\n"
            "  apctl report [--input RESULTS.jsonl ...] [--alerts ALERTS.jsonl] [--monitoring FILE ...]\n"
            "                --output PAGE.html [--title TEXT]   (--monitoring: MonitoringPartial records, as monitoring's --input)\n"
            "  apctl monitoring [--topic T (default $AP_TOPIC_MONITORING or ap.monitoring) | --input FILE ...] [--json]\n"
            "                [--max-line-bytes N]   (one row per municipality and month; FILE: JSON lines or hex lines as\n"
            "                consume and ap-replay write them, or an *.avro export)\n"
            "                [--followup YEAR] [--followup-override name=value,...]   (the annual follow-up, FU-2026.1)\n"
            "                [--publish-followup [--followup-topic T (default $AP_TOPIC_FOLLOWUP or ap.followup)]]\n"
            "  apctl fingerprints\n"
            "common: --brokers HOST:PORT (default $AP_KAFKA_BROKERS or 127.0.0.1:9092)\n"
            "        --kafka-config FILE, --set kafka.KEY=VALUE, $AP_KAFKA_*: TLS and SASL (README Security;\n"
            "        passwords only from files or the environment)\n"
            "        $AP_SCHEMAS_WRITERS_DIR: extra writer schemas (*.avsc), as ap-processor's schemas.writers_dir\n");
    return 2;
}

#define S(name, env, type, def, field, min, max, help) \
    {name, env, type, def, offsetof(opts_t, field), sizeof(((opts_t *)0)->field), min, max, help}
/* The Kafka connection settings, as in every binary. */
static const ap_setting_t kafka_table[] = {AP_KAFKA_CONN_SETTINGS(S, kafka)};
#define NKAFKA (sizeof kafka_table / sizeof *kafka_table)

static int parse_opts(int argc, char **argv, opts_t *o) {
    memset(o, 0, sizeof *o);
    char err[512];
    const char *brokers = NULL;
    o->validate = 1;
    o->partitions = 3;
    o->replication_factor = 1;
    o->redis_host = getenv("AP_REDIS_HOST") ? getenv("AP_REDIS_HOST") : "127.0.0.1";
    o->redis_port = getenv("AP_REDIS_PORT") ? atoi(getenv("AP_REDIS_PORT")) : 6379;
    o->redis_prefix = getenv("AP_REDIS_PREFIX") ? getenv("AP_REDIS_PREFIX") : "ap";
    o->redis_user = getenv("AP_REDIS_USERNAME") ? getenv("AP_REDIS_USERNAME") : "";
    o->retention_ms = "-1";
    o->partition = RD_KAFKA_PARTITION_UA;
    o->reason = "WRONG_PARTITION";
    o->to_offset = INT64_MAX;
    o->timeout_ms = 10000;
    o->max_line_bytes = AP_LINES_DEFAULT_MAX;
    o->source = "apctl";
    o->registry_url = getenv("AP_REGISTRY_URL");
    o->monitoring_topic = getenv("AP_TOPIC_MONITORING") ? getenv("AP_TOPIC_MONITORING") : "ap.monitoring";
    o->followup_topic = getenv("AP_TOPIC_FOLLOWUP") ? getenv("AP_TOPIC_FOLLOWUP") : "ap.followup";
    o->rest = calloc((size_t)argc, sizeof *o->rest);
    int monitoring = strcmp(argv[1], "monitoring") == 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        /* monitoring's flags (diff's --json takes a file name). */
        if (monitoring && strcmp(a, "--json") == 0) { o->json_out = 1; continue; }
        if (monitoring && strcmp(a, "--publish-followup") == 0) { o->publish_followup = 1; continue; }
        if (strcmp(a, "--no-validate") == 0) { o->validate = 0; continue; }
        if (strcmp(a, "--hex") == 0) { o->hex = 1; continue; }
        if (strcmp(a, "--follow") == 0) { o->follow = 1; continue; }
        if (strcmp(a, "--dry-run") == 0) { o->dry_run = 1; continue; }
        if (a[0] == '-' && a[1] == '-') {
            if (!v) { fprintf(stderr, "apctl: %s needs a value\n", a); return -1; }
            i++;
            if (strcmp(a, "--brokers") == 0) brokers = v;
            else if (strcmp(a, "--kafka-config") == 0) o->config = v;
            else if (strcmp(a, "--set") == 0) continue; /* applied below, after the environment */
            else if (strcmp(a, "--topic") == 0 && o->n_topics < MAX_TOPICS) o->topics[o->n_topics++] = v;
            else if (strcmp(a, "--schema") == 0 || strcmp(a, "--group") == 0) o->schema = v;
            else if (strcmp(a, "--key") == 0) o->key = v;
            else if (strcmp(a, "--at") == 0) o->at = v;
            else if (strcmp(a, "--week") == 0) o->week = v;
            else if (strcmp(a, "--registry-url") == 0) o->registry_url = v;
            else if (strcmp(a, "--json") == 0) o->json_report = v;
            else if (strcmp(a, "--input") == 0 && o->n_inputs < 32) o->inputs[o->n_inputs++] = v;
            else if (strcmp(a, "--followup") == 0) {
                if ((o->followup_year = atoi(v)) < 2000 || o->followup_year > 2099) {
                    fprintf(stderr, "apctl: --followup expects a year 2000-2099\n");
                    return -1;
                }
            }
            else if (strcmp(a, "--followup-topic") == 0) o->followup_topic = v;
            else if (strcmp(a, "--followup-override") == 0) o->followup_override = v;
            else if (strcmp(a, "--ignore") == 0) o->ignore = v;
            else if (strcmp(a, "--source") == 0) o->source = v;
            else if (strcmp(a, "--partitions") == 0) o->partitions = atoi(v);
            else if (strcmp(a, "--replication-factor") == 0) o->replication_factor = atoi(v);
            else if (strcmp(a, "--redis-host") == 0) o->redis_host = v;
            else if (strcmp(a, "--redis-port") == 0) o->redis_port = atoi(v);
            else if (strcmp(a, "--redis-user") == 0) o->redis_user = v;
            else if (strcmp(a, "--prefix") == 0) o->redis_prefix = v;
            else if (strcmp(a, "--retention-ms") == 0) o->retention_ms = strcmp(v, "default") == 0 ? NULL : v;
            else if (strcmp(a, "--config") == 0 && o->n_configs < MAX_TOPICS) o->configs[o->n_configs++] = v;
            else if (strcmp(a, "--partition") == 0) o->partition = atoi(v);
            else if (strcmp(a, "--reason") == 0) o->reason = v;
            else if (strcmp(a, "--from") == 0) o->from = v;
            else if (strcmp(a, "--to") == 0) o->to = v;
            else if (strcmp(a, "--from-offset") == 0) o->from_offset = strtoll(v, NULL, 10);
            else if (strcmp(a, "--to-offset") == 0) o->to_offset = strtoll(v, NULL, 10);
            else if (strcmp(a, "--wait-for") == 0) o->wait_for = strtol(v, NULL, 10);
            else if (strcmp(a, "--timeout-ms") == 0) o->timeout_ms = strtol(v, NULL, 10);
            else if (strcmp(a, "--max-line-bytes") == 0) {
                if ((o->max_line_bytes = strtol(v, NULL, 10)) < 1) {
                    fprintf(stderr, "apctl: --max-line-bytes must be positive\n");
                    return -1;
                }
            }
            else { fprintf(stderr, "apctl: unknown option %s\n", a); return -1; }
        } else {
            o->rest[o->n_rest++] = argv[i];
        }
    }
    /* Kafka settings: default < --kafka-config < environment < --set < --brokers. */
    if (ap_config_load_env(kafka_table, NKAFKA, o, o->config, err, sizeof err)) {
        fprintf(stderr, "apctl: %s\n", err);
        return -1;
    }
    for (int i = 2; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--set") != 0) continue;
        char *kv = argv[++i], *eq = strchr(kv, '=');
        if (!eq) { fprintf(stderr, "apctl: --set expects key=value\n"); return -1; }
        *eq = '\0';
        int rc = ap_config_set(kafka_table, NKAFKA, o, kv, eq + 1, err, sizeof err);
        *eq = '=';
        if (rc) { fprintf(stderr, "apctl: %s\n", err); return -1; }
    }
    if (brokers && ap_config_set(kafka_table, NKAFKA, o, "kafka.brokers", brokers, err, sizeof err)) {
        fprintf(stderr, "apctl: --brokers: %s\n", err);
        return -1;
    }
    return 0;
}

/* Whether rk reaches the brokers: a refused password or certificate ends
 * the command at once with librdkafka's reason, not after a timeout. */
static int reachable(rd_kafka_t *rk) {
    char err[512];
    if (ap_kafka_await(rk, 10000, err, sizeof err) == 0) return 1;
    fprintf(stderr, "apctl: %s\n", err);
    return 0;
}

/* A consumer for the commands that read (not in a group's rebalances). */
static rd_kafka_t *consumer(const opts_t *o, const char *group) {
    char err[512];
    const char *role[] = {"group.id", group, "enable.auto.commit", "false", NULL};
    rd_kafka_t *rk = ap_kafka_consumer_create(&o->kafka, role, err, sizeof err);
    if (!rk) { fprintf(stderr, "apctl: %s\n", err); return NULL; }
    if (!reachable(rk)) { rd_kafka_destroy(rk); return NULL; }
    return rk;
}

static rd_kafka_t *producer(const opts_t *o, ap_kafka_delivery_t *d) {
    char err[512];
    rd_kafka_t *rk = ap_kafka_producer_create(&o->kafka, d, NULL, err, sizeof err);
    if (!rk) fprintf(stderr, "apctl: %s\n", err);
    else if (!reachable(rk)) { rd_kafka_destroy(rk); rk = NULL; }
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
    ap_buf_t lb = AP_BUF_INIT;
    char err[512], why[AP_TEXT_CAP];
    long lineno = 0, sent = 0;
    int rc = 0, partitions = -1, got;
    static const char *const ignore[] = {"schema", NULL};
    /* Bounded: a 100 MB line once took 2.5 GB (lines.h). */
    static ap_lines_t lr;
    ap_lines_init(&lr, STDIN_FILENO, (size_t)o->max_line_bytes);
    while ((got = ap_lines_read(&lr, &lb)) != 0) {
        lineno++;
        if (got < 0) {
            if (got == -1) fprintf(stderr, "apctl: line %ld: longer than %ld bytes (--max-line-bytes)\n", lineno, o->max_line_bytes);
            else fprintf(stderr, "apctl: line %ld: %s\n", lineno, strerror(errno));
            rc = 1;
            break;
        }
        const char *line = lb.data;
        size_t len = lb.len;
        if (len == 0) continue;
        if (ap_json_parse(&doc, line, len)) {
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
            const char *key = ev.type <= AP_EV_SANCTION ? ev.u.h.citizen_id
                              : ev.type == AP_EV_RESULT ? ev.u.result.citizen_id
                              : ev.type == AP_EV_ALERT  ? ev.u.alert.citizen_id : NULL;
            /* --partition overrides the partitioner (tests use it to misroute on purpose). */
            if (ap_kafka_produce(rk, o->topics[0], o->partition, key, key ? strlen(key) : 0, out.data, out.len, err,
                                 sizeof err))
                rc = 1;
            sent++;
        }
        if (rc) { fprintf(stderr, "apctl: line %ld: %s\n", lineno, err); break; }
    }
    ap_buf_free(&lb);
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
    char err[512];
    long sent = ap_kafka_produce_ticks(rk, (const char *const *)o->topics, (size_t)o->n_topics, at, o->source, err,
                                       sizeof err);
    if (sent < 0) fprintf(stderr, "apctl: %s\n", err);
    int frc = finish(rk, &d, sent < 0 ? 0 : sent);
    return sent < 0 ? 1 : frc;
}

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

static int64_t total_available(rd_kafka_t *rk, const char *topic, int parts, int64_t *low, int64_t *high) {
    int64_t total = 0;
    for (int p = 0; p < parts; p++) {
        if (rd_kafka_query_watermark_offsets(rk, topic, p, &low[p], &high[p], 10000)) low[p] = high[p] = 0;
        total += high[p] - low[p];
    }
    return total;
}

/* Schemas of registry-framed records met so far: id -> fingerprint. */
typedef struct registry_ids {
    ap_registry_url_t url;
    int have_url;
    size_t n;
    struct { int32_t id; uint64_t fp; } ids[64];
    ap_buf_t so; /* the record in single-object encoding: the decoded event points into it */
} registry_ids_t;

/* Decodes a registry-framed record: its schema fetched from the registry
 * once per id, and the record read as the single-object encoding of that
 * schema (the same body behind another header); ev is valid until the next
 * call (it may point into r->so). @return AP_CODEC_OK or a status with err. */
static ap_codec_status_t decode_registry_framed(registry_ids_t *r, const void *buf, size_t len, ap_event_t *ev,
                                                ap_codec_error_t *cerr) {
    int32_t id;
    uint64_t fp = 0;
    size_t i;
    ap_registry_unframe(buf, len, &id);
    for (i = 0; i < r->n && r->ids[i].id != id; i++) {}
    if (i < r->n) fp = r->ids[i].fp;
    else {
        char err[512];
        ap_buf_t schema = AP_BUF_INIT;
        if (!r->have_url) snprintf(err, sizeof err, "registry-framed record (schema id %d): give --registry-url", (int)id);
        else if (ap_registry_schema_by_id(&r->url, id, 10000, &schema, err, sizeof err) == 0 &&
                 ap_schema_fingerprint(schema.data, schema.len, &fp, err, sizeof err) == 0) {
            if (r->n < sizeof r->ids / sizeof *r->ids) r->ids[r->n++].id = id, r->ids[r->n - 1].fp = fp;
        }
        ap_buf_free(&schema);
        if (!fp) {
            snprintf(cerr->msg, sizeof cerr->msg, "%.150s", err);
            return AP_CODEC_UNKNOWN_FINGERPRINT;
        }
    }
    ap_buf_reset(&r->so);
    ap_registry_to_single_object(&r->so, fp, buf, len);
    return ap_events_decode((const uint8_t *)r->so.data, r->so.len, ev, cerr);
}

/* The registry of the topic being read (decode_message), set up by read_topic. */
static registry_ids_t registry;

/* Decodes a record as read from a topic: single-object encoded, or
 * registry-framed (its schema from the registry). ev is valid until the next
 * call. @return AP_CODEC_OK or a status with cerr. */
static ap_codec_status_t decode_message(const rd_kafka_message_t *m, ap_event_t *ev, ap_codec_error_t *cerr) {
    int32_t rid;
    return ap_registry_unframe(m->payload, m->len, &rid) ? decode_registry_framed(&registry, m->payload, m->len, ev, cerr)
                                                          : ap_events_decode(m->payload, m->len, ev, cerr);
}

/* Called for each record read from a topic. */
typedef void (*topic_fn)(void *ctx, const rd_kafka_message_t *m);

/* Reads topic from its low watermarks: waits until at least o->wait_for
 * records exist (or the timeout), then hands every record up to the high
 * watermarks seen to fn; following (o->follow), every record until stopped.
 * The one reader of consume, monitoring and the follow-up's topic. (A
 * compacted topic has gaps in its offsets: the read then ends at the timeout;
 * a monitoring reader's fold says what is missing.)
 * @return 0, 1 (the topic cannot be read), 2 (a bad --registry-url) or 3
 *         (fewer than --wait-for records). */
static int read_topic(const opts_t *o, const char *topic, topic_fn fn, void *ctx) {
    char err[512];
    rd_kafka_t *rk = consumer(o, "apctl-reader");
    if (!rk) return 1;
    int parts = ap_kafka_partition_count(rk, topic, 10000, err, sizeof err), rc = 0;
    if (parts < 0) { fprintf(stderr, "apctl: %s\n", err); rd_kafka_destroy(rk); return 1; }
    int64_t *low = calloc((size_t)parts, sizeof *low), *high = calloc((size_t)parts, sizeof *high);
    double deadline = ap_log_monotonic_s() + o->timeout_ms / 1e3;
    int64_t avail;
    /* Wait until at least --wait-for records exist (or the timeout), then read to the end. */
    while ((avail = total_available(rk, topic, parts, low, high)) < o->wait_for && ap_log_monotonic_s() < deadline) {
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (avail < o->wait_for) {
        fprintf(stderr, "apctl: only %" PRId64 " of %ld records on %s after %ld ms\n", avail, o->wait_for, topic,
                o->timeout_ms);
        rc = 3;
    }
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(parts);
    int64_t remaining = 0;
    for (int p = 0; p < parts; p++) {
        /* Following: every partition, also those empty now. */
        if (high[p] <= low[p] && !o->follow) continue;
        rd_kafka_topic_partition_list_add(list, topic, p)->offset = low[p];
        remaining += high[p] - low[p];
    }
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (o->follow) {
        signal(SIGINT, on_stop);
        signal(SIGTERM, on_stop);
    }
    ap_buf_free(&registry.so);
    memset(&registry, 0, sizeof registry);
    if (o->registry_url && o->registry_url[0]) {
        if (ap_registry_url_parse(o->registry_url, &registry.url, err, sizeof err)) {
            fprintf(stderr, "apctl: %s\n", err);
            rc = 2;
        } else registry.have_url = 1;
    }
    while (o->follow ? !stop_requested : remaining > 0 && ap_log_monotonic_s() < deadline + 30) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, o->follow ? 200 : 500);
        if (!m) continue;
        if (!m->err && (o->follow || m->offset < high[m->partition])) {
            fn(ctx, m);
            remaining--;
        }
        rd_kafka_message_destroy(m);
    }
    ap_buf_free(&registry.so);
    free(low);
    free(high);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

/* consume: prints one record as a line (hex, or JSON). */
static void print_message(void *ctx, const rd_kafka_message_t *m) {
    const opts_t *o = ctx;
    ap_buf_t out = AP_BUF_INIT;
    ap_event_t ev;
    ap_codec_error_t cerr;
    if (o->hex) {
        /* The same line format as ap-replay's replay.format=hex. */
        ap_buf_append_str(&out, o->topics[0]);
        ap_buf_append_byte(&out, ' ');
        if (m->key) ap_buf_append(&out, m->key, m->key_len);
        ap_buf_append_byte(&out, ' ');
        ap_buf_append_hex(&out, m->payload, m->len);
    } else if (m->len && ((const char *)m->payload)[0] == '{' && !memchr(m->payload, '\n', m->len)) {
        /* A JSON mirror's record (topic.compliance_json): as it is. */
        ap_buf_append(&out, m->payload, m->len);
    } else if (decode_message(m, &ev, &cerr) == AP_CODEC_OK)
        ap_events_to_json(&ev, &out);
    else {
        ap_buf_append_str(&out, "{\"schema\":null,\"error\":");
        ap_json_write_string(&out, cerr.msg, strlen(cerr.msg));
        ap_buf_append_byte(&out, '}');
    }
    printf("%s\n", out.data ? out.data : "");
    if (o->follow) fflush(stdout); /* a pipe reader sees each record as it comes */
    ap_buf_free(&out);
}

static int cmd_consume(const opts_t *o) {
    if (o->n_topics != 1) return usage();
    return read_topic(o, o->topics[0], print_message, (void *)o);
}

/* Prints the records a consumer group has not yet committed on the topics. */
static int cmd_lag(const opts_t *o) {
    if (!o->n_topics || !o->schema) {
        fprintf(stderr, "apctl: lag needs --group G and --topic\n");
        return 2;
    }
    char err[512];
    /* Reads the group's committed offsets; commits nothing itself. */
    rd_kafka_t *rk = consumer(o, o->schema);
    if (!rk) return 1;
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

static int cmd_topic_config(const opts_t *o) {
    if (o->n_rest != 2) return usage();
    ap_kafka_delivery_t d = {0};
    rd_kafka_t *rk = producer(o, &d);
    char err[512], value[512];
    if (!rk) return 1;
    int rc = ap_kafka_topic_config(rk, o->rest[0], o->rest[1], value, sizeof value, 10000, err, sizeof err);
    if (rc) fprintf(stderr, "apctl: %s\n", err);
    else printf("%s\n", value);
    rd_kafka_destroy(rk);
    return rc ? 1 : 0;
}

/* Right to erasure: one citizen's state out of Redis (store_redis.h). The
 * citizen id is never printed or logged: it may be the subject's only link
 * to the request. */
/* Connects to the Redis store as the options say, the password from a file
 * or the environment only (as the services); NULL after printing why. */
static ap_store_t *open_store(const opts_t *o) {
    char err[512], password[256];
    if (ap_config_read_password(getenv("AP_REDIS_PASSWORD_FILE"), "AP_REDIS_PASSWORD", password, sizeof password, err,
                                sizeof err)) {
        fprintf(stderr, "apctl: %s\n", err);
        return NULL;
    }
    ap_store_redis_conf_t conf = {o->redis_host, o->redis_port, o->redis_user, password, o->redis_prefix, 5000, 0, 0};
    ap_store_t *store = ap_store_redis_connect(&conf, err, sizeof err);
    memset(password, 0, sizeof password); /* the store keeps its own copy */
    if (!store) fprintf(stderr, "apctl: %s\n", err);
    return store;
}

static int cmd_forget(const opts_t *o) {
    if (o->n_rest != 1) return usage();
    ap_store_t *store = open_store(o);
    if (!store) return 1;
    size_t removed = 0;
    int rc = ap_store_redis_forget(store, o->rest[0], &removed);
    if (rc) fprintf(stderr, "apctl: forget: %s\n", ap_store_error(store));
    else printf("forgot one citizen under prefix %s: %zu keys and entries removed\n", o->redis_prefix, removed);
    ap_store_destroy(store);
    return rc ? 1 : 0;
}

/* Where a citizen stands now: the week evaluated from the stored state with
 * the processor's rules, labelled provisional (final false), beside the last
 * emitted revision; printed as the JSON of a result and its alerts. */
static int cmd_status(const opts_t *o) {
    if (o->n_rest != 1) return usage();
    char err[512];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    int32_t monday = ap_cal_week_start(ap_cal_cph_day(now_ms)); /* this week in Copenhagen */
    if (o->week) {
        int y, w;
        char tail;
        if (sscanf(o->week, "%d-W%d%c", &y, &w, &tail) != 2 || (monday = ap_cal_iso_week_monday(y, w)) == AP_NO_DATE) {
            fprintf(stderr, "apctl: --week wants YYYY-Www, e.g. 2026-W05\n");
            return 2;
        }
    }
    ap_store_t *store = open_store(o);
    if (!store) return 1;
    static ap_week_eval_t eval;
    static ap_input_ref_t lineage[AP_MAX_INPUTS];
    int rc = ap_processor_evaluate_now(store, o->rest[0], monday, now_ms, &eval, lineage, err, sizeof err);
    ap_store_destroy(store);
    if (rc) {
        fprintf(stderr, "apctl: status: %s\n", err);
        return 1;
    }
    ap_buf_t out = AP_BUF_INIT;
    ap_event_t ev;
    ev.type = AP_EV_RESULT;
    ev.u.result = eval.result;
    ap_events_to_json(&ev, &out);
    printf("%s\n", out.data);
    for (size_t k = 0; k < eval.n_alerts; k++) {
        ap_buf_reset(&out);
        ev.type = AP_EV_ALERT;
        ev.u.alert = eval.alerts[k];
        ap_events_to_json(&ev, &out);
        printf("%s\n", out.data);
    }
    ap_buf_free(&out);
    return 0;
}

static int cmd_create_topics(const opts_t *o) {
    if (!o->n_rest || o->partitions < 1 || o->replication_factor < 1) return usage();
    ap_kafka_delivery_t d = {0};
    rd_kafka_t *rk = producer(o, &d);
    char err[512];
    if (!rk) return 1;
    /* Input topics are the audit record: nothing is deleted for age unless
     * asked (--retention-ms); README Security, "Retention and erasure". */
    ap_kafka_topic_spec_t spec = {o->partitions, o->replication_factor, o->retention_ms, o->configs};
    int rc = ap_kafka_create_topics(rk, (const char *const *)o->rest, (size_t)o->n_rest, &spec, 20000, err, sizeof err);
    if (rc) fprintf(stderr, "apctl: %s\n", err);
    rd_kafka_destroy(rk);
    return rc ? 1 : 0;
}


/* Prints the partition each key belongs on: what a producer must choose. */
static int cmd_partition(const opts_t *o) {
    if (!o->n_rest || o->partitions < 1) return usage();
    for (int i = 0; i < o->n_rest; i++) printf("%d\n", (int)ap_partition_for_key(o->rest[i], strlen(o->rest[i]), o->partitions));
    return 0;
}

/* ---------------------------------------------------------------- redrive */

/* A dead-letter reason symbol (schemas/DeadLetter.avsc) to its code, or -1. */
static int reason_code(const char *name) {
    const ap_record_desc_t *d = ap_events_desc(AP_EV_DEAD_LETTER);
    for (size_t f = 0; f < d->nfields; f++) {
        if (strcmp(d->fields[f].name, "reason_code") != 0) continue;
        for (int32_t k = 0; k < d->fields[f].nsymbols; k++)
            if (strcmp(d->fields[f].symbols[k], name) == 0) return k;
    }
    return -1;
}

/* A topic's partition count, looked up once per topic. */
typedef struct counts {
    char topic[8][AP_TEXT_CAP];
    int n[8];
    int used;
} counts_t;

static int count_of(rd_kafka_t *rk, counts_t *c, const char *topic, char *err, size_t errlen) {
    for (int i = 0; i < c->used; i++)
        if (strcmp(c->topic[i], topic) == 0) return c->n[i];
    int n = ap_kafka_partition_count(rk, topic, 10000, err, errlen);
    if (n > 0 && c->used < 8) {
        snprintf(c->topic[c->used], sizeof c->topic[0], "%s", topic);
        c->n[c->used++] = n;
    }
    return n;
}

/* Re-publishes chosen dead letters (by reason, the original records' time,
 * and/or offsets on the dead-letter topic) to their source topic, key and
 * bytes unchanged, on the partition murmur2 names: once a misconfigured
 * producer is fixed, nothing it wrote is lost. Idempotent: a redriven event
 * keeps its event id, and the processor applies an event id once (the
 * store's dedup set), so redriving twice changes no result. Reads the
 * dead-letter topic up to its end at start. */
static int cmd_redrive(const opts_t *o) {
    int64_t from = INT64_MIN, to = INT64_MAX;
    int want = reason_code(o->reason);
    if (o->n_topics != 1 || want < 0 || (o->from && ap_cal_parse_timestamp(o->from, strlen(o->from), &from)) ||
        (o->to && ap_cal_parse_timestamp(o->to, strlen(o->to), &to))) {
        fprintf(stderr, "apctl: redrive needs --topic DEAD_LETTER_TOPIC; --reason a DeadLetterReason symbol; "
                        "--from/--to RFC 3339 times\n");
        return 2;
    }
    char err[512];
    rd_kafka_t *rk = consumer(o, "apctl-redrive");
    if (!rk) return 1;
    ap_kafka_delivery_t d = {0};
    rd_kafka_t *prod = o->dry_run ? NULL : producer(o, &d);
    int parts = ap_kafka_partition_count(rk, o->topics[0], 10000, err, sizeof err), rc = 0;
    if (parts < 0 || (!o->dry_run && !prod)) {
        if (parts < 0) fprintf(stderr, "apctl: %s\n", err);
        if (prod) rd_kafka_destroy(prod);
        rd_kafka_destroy(rk);
        return 1;
    }
    int64_t *low = calloc((size_t)parts, sizeof *low), *high = calloc((size_t)parts, sizeof *high);
    if (!low || !high) abort();
    total_available(rk, o->topics[0], parts, low, high);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(parts);
    int64_t remaining = 0;
    for (int p = 0; p < parts; p++) {
        int64_t start = low[p] > o->from_offset ? low[p] : o->from_offset;
        int64_t end = o->to_offset < high[p] - 1 ? o->to_offset + 1 : high[p];
        if (end <= start) { high[p] = low[p]; continue; }
        rd_kafka_topic_partition_list_add(list, o->topics[0], p)->offset = start;
        high[p] = end;
        remaining += end - start;
    }
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    counts_t counts = {0};
    long sent = 0, chosen = 0, unkeyed = 0;
    double deadline = ap_log_monotonic_s() + o->timeout_ms / 1e3 + 30;
    while (remaining > 0 && rc == 0 && ap_log_monotonic_s() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (!m) continue;
        ap_event_t ev;
        ap_codec_error_t cerr;
        if (m->err || m->offset >= high[m->partition]) { rd_kafka_message_destroy(m); continue; }
        remaining--;
        if (ap_events_decode(m->payload, m->len, &ev, &cerr) != AP_CODEC_OK || ev.type != AP_EV_DEAD_LETTER) {
            fprintf(stderr, "apctl: %s partition %d offset %" PRId64 " is not a DeadLetter; skipped\n", o->topics[0],
                    (int)m->partition, m->offset);
            rd_kafka_message_destroy(m);
            continue;
        }
        const ap_dead_letter_t *dl = &ev.u.dead_letter;
        if (dl->reason_code != want || dl->record_timestamp < from || dl->record_timestamp > to) {
            rd_kafka_message_destroy(m);
            continue;
        }
        chosen++;
        /* Without a key there is no partition to name (the processor
         * dead-letters such records as INVALID_EVENT anyway). */
        if (!dl->key.len) { unkeyed++; rd_kafka_message_destroy(m); continue; }
        int n = count_of(rk, &counts, dl->source_topic, err, sizeof err);
        int32_t to_part = n > 0 ? ap_partition_for_key(dl->key.ptr, dl->key.len, n) : -1;
        if (to_part < 0) {
            fprintf(stderr, "apctl: %s\n", err);
            rc = 1;
        } else if (o->dry_run) {
            /* No key printed: it is a citizen id. */
            printf("%s partition %d offset %" PRId64 " -> partition %d\n", dl->source_topic, (int)dl->source_partition,
                   dl->source_offset, (int)to_part);
        } else if (ap_kafka_produce(prod, dl->source_topic, to_part, dl->key.ptr, dl->key.len, dl->payload.ptr,
                                    dl->payload.len, err, sizeof err)) {
            fprintf(stderr, "apctl: %s\n", err);
            rc = 1;
        } else {
            sent++;
        }
        rd_kafka_message_destroy(m);
    }
    if (remaining > 0 && rc == 0) {
        fprintf(stderr, "apctl: %" PRId64 " dead letters not read in time\n", remaining);
        rc = 1;
    }
    free(low);
    free(high);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    fprintf(stderr, "apctl: %ld dead letters chosen (%s), %ld without a key skipped\n", chosen, o->reason, unkeyed);
    if (o->dry_run) return rc;
    int frc = finish(prod, &d, sent);
    return rc ? rc : frc;
}

/* ----------------------------------------------------------------- diff */

/* One result set: the latest revision of every (citizen, ISO week), kept as
 * its compact JSON line, in an open-addressing table keyed by that triple. */
typedef struct entry {
    char *key;  /* "citizen|year|week" */
    char *line; /* the record as read */
    long revision;
} entry_t;

typedef struct rset {
    entry_t *slots;
    size_t cap, n;
} rset_t;

static uint64_t fnv(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static entry_t *rset_slot(rset_t *r, const char *key) {
    size_t i = (size_t)(fnv(key) & (r->cap - 1));
    while (r->slots[i].key && strcmp(r->slots[i].key, key) != 0) i = (i + 1) & (r->cap - 1);
    return &r->slots[i];
}

static void rset_put(rset_t *r, const char *key, const char *line, long revision) {
    if ((r->n + 1) * 2 > r->cap) { /* grow and rehash */
        rset_t bigger = {calloc(r->cap ? r->cap * 2 : 1024, sizeof(entry_t)), r->cap ? r->cap * 2 : 1024, 0};
        if (!bigger.slots) abort();
        for (size_t i = 0; i < r->cap; i++)
            if (r->slots[i].key) { *rset_slot(&bigger, r->slots[i].key) = r->slots[i]; bigger.n++; }
        free(r->slots);
        *r = bigger;
    }
    entry_t *e = rset_slot(r, key);
    if (e->key && e->revision >= revision) return; /* keep the latest revision */
    if (!e->key) { e->key = strdup(key); r->n++; }
    free(e->line);
    e->line = strdup(line);
    e->revision = revision;
    if (!e->key || !e->line) abort();
}

static void rset_free(rset_t *r) {
    for (size_t i = 0; i < r->cap; i++) { free(r->slots[i].key); free(r->slots[i].line); }
    free(r->slots);
}

static int rset_load(const char *path, rset_t *r) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) { fprintf(stderr, "apctl: cannot open %s: %s\n", path, strerror(errno)); return -1; }
    ap_json_doc_t doc = AP_JSON_DOC_INIT;
    char *line = NULL, key[AP_ID_CAP + 32];
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    int rc = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (!len) continue;
        const ap_json_node_t *root, *c, *y, *w, *rev;
        int64_t year, week, revision = 0;
        if (ap_json_parse(&doc, line, (size_t)len) || (root = &doc.nodes[0])->type != AP_JSON_OBJECT ||
            !(c = ap_json_member(&doc, root, "citizen_id")) || c->type != AP_JSON_STRING ||
            ap_json_int64(y = ap_json_member(&doc, root, "iso_year"), &year) ||
            ap_json_int64(w = ap_json_member(&doc, root, "iso_week"), &week)) {
            fprintf(stderr, "apctl: %s:%ld: not a compliance result\n", path, lineno);
            rc = -1;
            break;
        }
        if ((rev = ap_json_member(&doc, root, "revision"))) ap_json_int64(rev, &revision);
        snprintf(key, sizeof key, "%.64s|%lld|%02lld", c->str, (long long)year, (long long)week);
        rset_put(r, key, line, (long)revision);
    }
    free(line);
    ap_json_doc_free(&doc);
    if (f != stdin) fclose(f);
    return rc;
}

/* Compact JSON of a node, to compare values of any type. */
static void node_json(const ap_json_doc_t *d, const ap_json_node_t *n, ap_buf_t *out) {
    switch (n->type) {
    case AP_JSON_NULL: ap_buf_append_str(out, "null"); break;
    case AP_JSON_TRUE: ap_buf_append_str(out, "true"); break;
    case AP_JSON_FALSE: ap_buf_append_str(out, "false"); break;
    case AP_JSON_NUMBER: ap_buf_append(out, n->str, n->len); break;
    case AP_JSON_STRING: ap_json_write_string(out, n->str, n->len); break;
    case AP_JSON_ARRAY:
    case AP_JSON_OBJECT:
        ap_buf_append_byte(out, n->type == AP_JSON_ARRAY ? '[' : '{');
        for (const ap_json_node_t *c = ap_json_first(d, n); c; c = ap_json_next(d, c)) {
            if (c != ap_json_first(d, n)) ap_buf_append_byte(out, ',');
            if (n->type == AP_JSON_OBJECT) {
                ap_json_write_string(out, c->key, c->key_len);
                ap_buf_append_byte(out, ':');
            }
            node_json(d, c, out);
        }
        ap_buf_append_byte(out, n->type == AP_JSON_ARRAY ? ']' : '}');
        break;
    }
}

static int cmp_keys(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Field-level differences of two records, appended as a JSON array of
 * {"field","left","right"}; fields named in ignore are skipped. Returns the count. */
static int field_diff(const char *left, const char *right, const char *ignore, ap_buf_t *json, ap_buf_t *text) {
    ap_json_doc_t a = AP_JSON_DOC_INIT, b = AP_JSON_DOC_INIT;
    ap_buf_t va = AP_BUF_INIT, vb = AP_BUF_INIT;
    int n = 0;
    ap_json_parse(&a, left, strlen(left));
    ap_json_parse(&b, right, strlen(right));
    ap_buf_append_byte(json, '[');
    for (const ap_json_node_t *f = ap_json_first(&a, &a.nodes[0]); f; f = ap_json_next(&a, f)) {
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)f->key_len, f->key);
        char pattern[70];
        snprintf(pattern, sizeof pattern, ",%s,", name);
        if (ignore && strstr(ignore, pattern)) continue;
        const ap_json_node_t *g = ap_json_member(&b, &b.nodes[0], name);
        ap_buf_reset(&va);
        ap_buf_reset(&vb);
        node_json(&a, f, &va);
        if (g) node_json(&b, g, &vb);
        else ap_buf_append_str(&vb, "(absent)");
        if (strcmp(va.data, vb.data) == 0) continue;
        if (n++) ap_buf_append_byte(json, ',');
        ap_buf_appendf(json, "{\"field\":\"%s\",\"left\":%s,\"right\":%s}", name, va.data, g ? vb.data : "null");
        ap_buf_appendf(text, "      %-20s %s -> %s\n", name, va.data, vb.data);
    }
    ap_buf_append_byte(json, ']');
    ap_buf_free(&va);
    ap_buf_free(&vb);
    ap_json_doc_free(&a);
    ap_json_doc_free(&b);
    return n;
}

/* apctl diff LEFT RIGHT [--json FILE] [--ignore f1,f2]: compares two sets of
 * compliance results (JSON lines, e.g. from apctl consume), latest revision
 * per citizen-week. Exit 0 when identical, 1 when they differ. */
static int cmd_diff(const opts_t *o) {
    if (o->n_rest != 2) {
        fprintf(stderr, "apctl: diff needs two files (JSON lines; - for stdin)\n");
        return 2;
    }
    rset_t l = {0}, r = {0};
    if (rset_load(o->rest[0], &l) || rset_load(o->rest[1], &r)) return 2;
    char ignore[512] = ",";
    if (o->ignore) snprintf(ignore, sizeof ignore, ",%s,", o->ignore);
    /* Every key of either side, sorted, so the report is stable. */
    char **keys = calloc(l.n + r.n + 1, sizeof *keys);
    size_t nk = 0;
    for (size_t i = 0; i < l.cap; i++) if (l.slots[i].key) keys[nk++] = l.slots[i].key;
    for (size_t i = 0; i < r.cap; i++)
        if (r.slots[i].key && !rset_slot(&l, r.slots[i].key)->key) keys[nk++] = r.slots[i].key;
    qsort(keys, nk, sizeof *keys, cmp_keys);
    ap_buf_t json = AP_BUF_INIT, text = AP_BUF_INIT, fields = AP_BUF_INIT;
    long identical = 0, changed = 0, missing = 0, extra = 0;
    ap_buf_append_str(&json, "{\"differences\":[");
    for (size_t i = 0; i < nk; i++) {
        entry_t *a = rset_slot(&l, keys[i]), *b = rset_slot(&r, keys[i]);
        const char *kind;
        ap_buf_reset(&fields);
        size_t text_at = text.len;
        if (a->key && b->key) {
            ap_buf_t fj = AP_BUF_INIT;
            ap_buf_appendf(&text, "changed  %s\n", keys[i]);
            if (!field_diff(a->line, b->line, ignore, &fj, &text)) {
                identical++;
                text.len = text_at;
                text.data[text.len] = '\0';
                ap_buf_free(&fj);
                continue;
            }
            changed++;
            kind = "changed";
            ap_buf_append(&fields, fj.data, fj.len);
            ap_buf_free(&fj);
        } else if (a->key) {
            missing++;
            kind = "missing";
            ap_buf_appendf(&text, "missing  %s (only on the left)\n", keys[i]);
            ap_buf_append_str(&fields, "[]");
        } else {
            extra++;
            kind = "extra";
            ap_buf_appendf(&text, "extra    %s (only on the right)\n", keys[i]);
            ap_buf_append_str(&fields, "[]");
        }
        if (changed + missing + extra > 1) ap_buf_append_byte(&json, ',');
        ap_buf_appendf(&json, "{\"key\":");
        ap_json_write_string(&json, keys[i], strlen(keys[i]));
        ap_buf_appendf(&json, ",\"kind\":\"%s\",\"fields\":%s}", kind, fields.data);
    }
    ap_buf_appendf(&json, "],\"identical\":%ld,\"changed\":%ld,\"missing\":%ld,\"extra\":%ld}", identical, changed,
                   missing, extra);
    printf("%s", text.len ? text.data : "");
    printf("identical %ld, changed %ld, missing %ld, extra %ld (citizen-weeks, latest revision each)\n", identical,
           changed, missing, extra);
    int rc = changed + missing + extra ? 1 : 0;
    if (o->json_report) {
        char err[256] = "";
        FILE *f = ap_output_create_private(o->json_report, err, sizeof err) ? NULL : fopen(o->json_report, "w");
        if (!f || fprintf(f, "%s\n", json.data) < 0 || fclose(f)) {
            fprintf(stderr, "apctl: cannot write %s%s%s\n", o->json_report, err[0] ? ": " : "", err);
            rc = 2;
        }
    }
    free(keys);
    ap_buf_free(&json);
    ap_buf_free(&text);
    ap_buf_free(&fields);
    rset_free(&l);
    rset_free(&r);
    return rc;
}

/* One row of `apctl fingerprints`: the fingerprint as a 64-bit number in
 * big-endian hex (what Java's SchemaNormalization.parsingFingerprint64
 * returns, printed), and as the bytes a record carries after C3 01
 * (little-endian: the order fastavro prints and a hex dump of a record
 * shows). Publishers compare one or the other; both are labelled. */
static void print_fingerprint(const char *name, uint64_t fp, const char *version) {
    char wire[17];
    for (int i = 0; i < 8; i++) snprintf(wire + 2 * i, 3, "%02x", (unsigned)((fp >> (8 * i)) & 0xff));
    printf("%-18s %016" PRIx64 "  %s  %s\n", name, fp, wire, version);
}

/* --------------------------------------------------------------- report */

/* Called for each non-empty line of a file; returns 0, or -1 with why set
 * (the reader then stops and names the line). */
typedef int (*line_fn)(void *ctx, const char *line, size_t len, char *why, size_t whylen);

/* Reads a file of lines (or stdin for "-"), each at most max_line bytes,
 * handing every non-empty one to fn; stops at the first line it cannot
 * read, with the line number. The one line reader of report and monitoring.
 * Returns 0 or -1. */
static int read_lines(const char *path, long max_line, line_fn fn, void *ctx) {
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { fprintf(stderr, "apctl: cannot open %s: %s\n", path, strerror(errno)); return -1; }
    static ap_lines_t lr; /* 32 KiB: not on the stack */
    ap_lines_init(&lr, fd, (size_t)max_line);
    ap_buf_t lb = AP_BUF_INIT;
    char why[256];
    long lineno = 0;
    int got, rc = 0;
    while ((got = ap_lines_read(&lr, &lb)) != 0) {
        lineno++;
        if (got < 0) {
            if (got == -1) fprintf(stderr, "apctl: %s:%ld: longer than %ld bytes (--max-line-bytes)\n", path, lineno, max_line);
            else fprintf(stderr, "apctl: %s:%ld: %s\n", path, lineno, strerror(errno));
            rc = -1;
            break;
        }
        if (lb.len == 0) continue;
        if (fn(ctx, lb.data, lb.len, why, sizeof why)) {
            fprintf(stderr, "apctl: %s:%ld: %s\n", path, lineno, why);
            rc = -1;
            break;
        }
    }
    ap_buf_free(&lb);
    if (fd != STDIN_FILENO) close(fd);
    return rc;
}

static int report_line(void *ctx, const char *line, size_t len, char *why, size_t whylen) {
    return ap_report_add_json(ctx, line, len, why, whylen) == AP_REPORT_INVALID ? -1 : 0;
}

/* ----------------------------------------------------------- monitoring */

/* A fold being filled, and what went wrong on the way. */
typedef struct mon_reader {
    ap_monitoring_fold_t *fold;
    long errors; /* conflicts, mixed partition counts, records refused */
} mon_reader_t;

/* Reports an outcome that is not plain adding (one line each, no personal
 * data: monitoring records carry counts only). */
static void mon_outcome(mon_reader_t *mr, ap_mon_fold_outcome_t o, const char *why) {
    if (o == AP_MON_FOLD_ADDED || o == AP_MON_FOLD_DUPLICATE || o == AP_MON_FOLD_IGNORED) return;
    fprintf(stderr, "apctl: monitoring: %s: %s\n", ap_monitoring_fold_outcome_name(o), why);
    mr->errors++;
}

/* Folds an encoded record (a topic's, a hex line's, an export's); other record types are skipped. */
static void mon_add_bytes(mon_reader_t *mr, const ap_event_t *ev) {
    char why[256];
    if (ev->type != AP_EV_MONITORING) return;
    mon_outcome(mr, ap_monitoring_fold_add(mr->fold, &ev->u.monitoring, why, sizeof why), why);
}

static void mon_message(void *ctx, const rd_kafka_message_t *m) {
    mon_reader_t *mr = ctx;
    static ap_event_t ev; /* large: not on the stack; valid until the next decode */
    ap_codec_error_t cerr;
    char why[256];
    if (m->len && ((const char *)m->payload)[0] == '{')
        mon_outcome(mr, ap_monitoring_fold_add_json(mr->fold, m->payload, m->len, why, sizeof why), why);
    else if (decode_message(m, &ev, &cerr) == AP_CODEC_OK) mon_add_bytes(mr, &ev);
    else {
        fprintf(stderr, "apctl: monitoring: offset %" PRId64 " of partition %d: %s\n", m->offset, (int)m->partition,
                cerr.msg);
        mr->errors++;
    }
}

/* A line of monitoring input: a JSON record (apctl consume, ap-replay
 * replay.format=json) or "<topic> <key> <hex>" (consume --hex, replay.format=hex). */
static int mon_line(void *ctx, const char *line, size_t len, char *why, size_t whylen) {
    mon_reader_t *mr = ctx;
    if (line[0] == '{') {
        ap_mon_fold_outcome_t o = ap_monitoring_fold_add_json(mr->fold, line, len, why, whylen);
        if (o == AP_MON_FOLD_INVALID) return -1;
        mon_outcome(mr, o, why);
        return 0;
    }
    const char *sp1 = memchr(line, ' ', len), *sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line)) : NULL;
    if (!sp2) {
        snprintf(why, whylen, "neither a JSON record nor \"<topic> <key> <hex>\"");
        return -1;
    }
    const char *hex = sp2 + 1;
    size_t nhex = len - (size_t)(hex - line), n = 0;
    uint8_t *bytes = malloc(nhex / 2 + 1);
    if (!bytes) abort();
    for (size_t i = 0; i + 1 < nhex; i += 2) {
        int hi = hexval(hex[i]), lo = hexval(hex[i + 1]);
        if (hi < 0 || lo < 0) break;
        bytes[n++] = (uint8_t)(hi << 4 | lo);
    }
    static ap_event_t ev;
    ap_codec_error_t cerr;
    int rc = 0;
    if (n * 2 != nhex) {
        snprintf(why, whylen, "the value is not hex");
        rc = -1;
    } else if (ap_events_decode(bytes, n, &ev, &cerr) != AP_CODEC_OK) {
        snprintf(why, whylen, "%s", cerr.msg);
        rc = -1;
    } else mon_add_bytes(mr, &ev);
    free(bytes);
    return rc;
}

static int mon_export_record(void *ctx, const ap_record_t *r) {
    static ap_event_t ev;
    ap_codec_error_t cerr;
    if (ap_events_decode(r->payload, r->len, &ev, &cerr) == AP_CODEC_OK) mon_add_bytes(ctx, &ev);
    return 0; /* an export's other records (inputs, bad bytes) are not monitoring's */
}

/* Fills the fold from --input files (JSON or hex lines; *.avro: an export,
 * export.h) or, without any, from the topic. Returns 0 or an exit code. */
static int mon_read_file(const char *path, long max_line, mon_reader_t *mr) {
    size_t len = strlen(path);
    if (len > 5 && strcmp(path + len - 5, ".avro") == 0) {
        char err[512];
        if (ap_export_read(path, NULL, mon_export_record, mr, err, sizeof err) < 0) {
            fprintf(stderr, "apctl: %s: %s\n", path, err);
            return -1;
        }
        return 0;
    }
    return read_lines(path, max_line, mon_line, mr);
}

static int mon_read(const opts_t *o, mon_reader_t *mr) {
    if (!o->n_inputs) return read_topic(o, o->n_topics ? o->topics[0] : o->monitoring_topic, mon_message, mr);
    for (int i = 0; i < o->n_inputs; i++)
        if (mon_read_file(o->inputs[i], o->max_line_bytes, mr)) return 1;
    return 0;
}

/* Appends part/whole as a percentage with one decimal ("66.7"), or null. */
static void mon_share(ap_buf_t *out, int64_t part, int64_t whole, int json) {
    int32_t pm = ap_monitoring_share_pm(part, whole);
    if (pm < 0) ap_buf_append_str(out, json ? "null" : "-");
    else ap_buf_appendf(out, "%d.%d", (int)(pm / 10), (int)(pm % 10));
}

/* One (municipality, month) as one JSON object: status, every measure, the
 * breakdowns (by symbol name, as the record), shares and the mean computed
 * here from the counts; measures null when the month is not complete. */
static void mon_json_row(ap_buf_t *out, const char *muni, int y, int m, const ap_mon_sums_t *s,
                         const ap_mon_fold_status_t *st, int complete) {
    ap_buf_append_str(out, "{\"municipality_code\":");
    if (muni) ap_json_write_string(out, muni, strlen(muni));
    else ap_buf_append_str(out, "null");
    ap_buf_appendf(out, ",\"year\":%d,\"month\":%d,\"complete\":%s,\"status\":\"%s\",\"partition_count\":%d,"
                        "\"lanes_present\":%d,\"partials_missing\":%d,\"measures\":",
                   y, m, complete ? "true" : "false", ap_monitoring_fold_state_name(st->state), (int)st->partition_count,
                   (int)st->lanes_present, (int)st->partials_missing);
    if (!complete) {
        ap_buf_append_str(out, "null}");
        return;
    }
    static ap_monitoring_t rec; /* the breakdowns by name, as a record carries them */
    memset(&rec, 0, sizeof rec);
    ap_monitoring_sums_to_record(s, &rec);
    ap_buf_appendf(out, "{\"covered_citizens\":%" PRId64 ",\"covered_on_last_day\":%" PRId64
                        ",\"moved_in_citizens\":%" PRId64 ",\"with_activity\":%" PRId64 ",\"with_activity_share_pct\":",
                   s->covered_citizens, s->covered_on_last_day, s->moved_in_citizens, s->with_activity);
    mon_share(out, s->with_activity, s->covered_citizens, 1);
    ap_buf_appendf(out, ",\"with_paid_hours\":%" PRId64 ",\"exemption_citizens_by_kind_sum\":%" PRId64
                        ",\"exemptions\":[", s->with_paid_hours, ap_monitoring_exemption_citizens(s));
    for (uint32_t i = 0; i < rec.n_exemptions; i++)
        ap_buf_appendf(out, "%s{\"kind\":\"%s\",\"citizens\":%d,\"days\":%" PRId64 "}", i ? "," : "",
                       rec.exemptions[i].kind, (int)rec.exemptions[i].citizens, rec.exemptions[i].days);
    ap_buf_appendf(out, "],\"placement_exempted_citizens\":%" PRId64 ",\"exempt_all_month\":%" PRId64
                        ",\"offer_citizens_by_type_sum\":%" PRId64 ",\"offer_types\":[",
                   s->placement_exempted_citizens, s->exempt_all_month, ap_monitoring_offer_citizens(s));
    for (uint32_t i = 0; i < rec.n_offer_types; i++)
        ap_buf_appendf(out, "%s{\"offer_type\":\"%s\",\"citizens\":%d,\"citizen_days\":%" PRId64 "}", i ? "," : "",
                       rec.offer_types[i].offer_type, (int)rec.offer_types[i].citizens, rec.offer_types[i].citizen_days);
    ap_buf_append_str(out, "],\"exits\":[");
    for (uint32_t i = 0; i < rec.n_exits; i++)
        ap_buf_appendf(out, "%s{\"reason\":\"%s\",\"citizens\":%d}", i ? "," : "", rec.exits[i].reason,
                       (int)rec.exits[i].citizens);
    ap_buf_appendf(out, "],\"exits_work_education_flexjob\":%" PRId64 ",\"exits_other_benefit\":%" PRId64
                        ",\"duration_known\":%" PRId64 ",\"duration_unknown\":%" PRId64
                        ",\"duration_days_sum\":%" PRId64 ",\"duration_mean_days\":",
                   ap_monitoring_exits_m5(s), ap_monitoring_exits_m6(s), s->duration_known, s->duration_unknown,
                   s->duration_days_sum);
    int64_t mean = ap_monitoring_mean_days(s);
    if (mean < 0) ap_buf_append_str(out, "null");
    else ap_buf_appendf(out, "%" PRId64, mean);
    ap_buf_append_str(out, ",\"duration_buckets\":[");
    for (uint32_t i = 0; i < rec.n_duration_buckets; i++)
        ap_buf_appendf(out, "%s{\"min_days\":%d,\"citizens\":%d}", i ? "," : "", (int)rec.duration_buckets[i].min_days,
                       (int)rec.duration_buckets[i].citizens);
    ap_buf_appendf(out, "],\"sanctions\":%" PRId64 ",\"sanctioned_citizens\":%" PRId64 ",\"weeks_owed\":%" PRId64
                        ",\"weeks_met\":%" PRId64 ",\"weeks_met_share_pct\":",
                   s->sanctions, s->sanctioned_citizens, s->weeks_owed, s->weeks_met);
    mon_share(out, s->weeks_met, s->weeks_owed, 1);
    ap_buf_appendf(out, ",\"weeks_offer_gap\":%" PRId64 ",\"weeks_offer_and_attendance_gap\":%" PRId64
                        ",\"weeks_offer_gap_incl_both\":%" PRId64 ",\"weeks_attendance_gap\":%" PRId64
                        ",\"weeks_exempt\":%" PRId64 ",\"weeks_partly_exempt\":%" PRId64
                        ",\"required_minutes\":%" PRId64 ",\"offered_minutes\":%" PRId64
                        ",\"credited_minutes\":%" PRId64 "}}",
                   s->weeks_offer_gap, s->weeks_offer_and_attendance_gap,
                   s->weeks_offer_gap + s->weeks_offer_and_attendance_gap, s->weeks_attendance_gap, s->weeks_exempt,
                   s->weeks_partly_exempt, s->required_minutes, s->offered_minutes, s->credited_minutes);
}

/* The text table's columns after month, municipality and status: each
 * value right-aligned under its heading. */
static const char *const mon_columns[] = {
    "M1:covered", "last-day", "M2:activity", "share%", "paid", "M3:exempt", "all-month", "M4:offered", "M5:work",
    "educ", "flex", "M6:other", "M7:mean-days", "M8:sanctions", "|", "weeks:owed", "met", "offer-gap", "attend-gap",
    "exempt", "met%"};
#define MON_NCOL (sizeof mon_columns / sizeof *mon_columns)

static void mon_text_heading(ap_buf_t *out) {
    ap_buf_appendf(out, "%-7s %-5s %-36s", "month", "muni", "status");
    for (size_t c = 0; c < MON_NCOL; c++) ap_buf_appendf(out, " %s", mon_columns[c]);
    ap_buf_append_byte(out, '\n');
}

/* One (municipality, month) as one text row; an incomplete month shows its
 * status and no figure, never a smaller total. */
static void mon_text_row(ap_buf_t *out, const char *muni, int y, int m, const ap_mon_sums_t *s,
                         const ap_mon_fold_status_t *st, int complete) {
    char status[64];
    if (complete) snprintf(status, sizeof status, "complete");
    else if (st->state == AP_MON_TOTAL_INCOMPLETE && st->partials_missing)
        snprintf(status, sizeof status, "incomplete (%d of %d lanes, %d missing)", (int)st->lanes_present,
                 (int)st->partition_count, (int)st->partials_missing);
    else if (st->state == AP_MON_TOTAL_INCOMPLETE)
        snprintf(status, sizeof status, "incomplete (%d of %d lanes)", (int)st->lanes_present, (int)st->partition_count);
    else snprintf(status, sizeof status, "refused: %s", ap_monitoring_fold_state_name(st->state));
    ap_buf_appendf(out, complete ? "%04d-%02d %-5s %-36s" : "%04d-%02d %-5s %s", y, m, muni ? muni : "all", status);
    if (complete) {
        int64_t v[MON_NCOL] = {s->covered_citizens, s->covered_on_last_day, s->with_activity, 0, s->with_paid_hours,
                               ap_monitoring_exemption_citizens(s), s->exempt_all_month, ap_monitoring_offer_citizens(s),
                               s->exits[AP_END_ORDINARY_WORK], s->exits[AP_END_EDUCATION], s->exits[AP_END_FLEXJOB],
                               ap_monitoring_exits_m6(s), ap_monitoring_mean_days(s), s->sanctions, 0, s->weeks_owed,
                               s->weeks_met, s->weeks_offer_gap + s->weeks_offer_and_attendance_gap,
                               s->weeks_attendance_gap, s->weeks_exempt, 0};
        for (size_t c = 0; c < MON_NCOL; c++) {
            ap_buf_t cell = AP_BUF_INIT;
            if (c == 3) mon_share(&cell, s->with_activity, s->covered_citizens, 0);
            else if (c == MON_NCOL - 1) mon_share(&cell, s->weeks_met, s->weeks_owed, 0);
            else if (c == 14) ap_buf_append_str(&cell, "|");
            else if (c == 12 && v[c] < 0) ap_buf_append_str(&cell, "-"); /* no known start date */
            else ap_buf_appendf(&cell, "%" PRId64, v[c]);
            ap_buf_appendf(out, " %*s", (int)strlen(mon_columns[c]), cell.data);
            ap_buf_free(&cell);
        }
    }
    ap_buf_append_byte(out, '\n');
}

/* Prints every (municipality, month) held, months in order, the nation last
 * in each month. */
static void mon_print_totals(const opts_t *o, ap_monitoring_fold_t *fold) {
    const int32_t *months;
    size_t nm = ap_monitoring_fold_months(fold, &months);
    ap_buf_t out = AP_BUF_INIT;
    if (!o->json_out) mon_text_heading(&out);
    for (size_t i = 0; i < nm; i++) {
        int y = months[i] / 100, m = months[i] % 100;
        const char *const *codes;
        size_t nc = ap_monitoring_fold_municipalities(fold, months[i], months[i], &codes);
        /* Copied: the list belongs to the fold, and totals do not touch it,
         * but the next listing would. */
        char (*muni)[AP_MUNI_CAP] = calloc(nc + 1, sizeof *muni);
        for (size_t k = 0; k < nc; k++) snprintf(muni[k], AP_MUNI_CAP, "%s", codes[k]);
        for (size_t k = 0; k <= nc; k++) {
            const char *code = k < nc ? muni[k] : NULL;
            ap_mon_sums_t s;
            ap_mon_fold_status_t st;
            int complete = ap_monitoring_fold_total(fold, code, y, m, &s, &st) == 0;
            if (o->json_out) {
                mon_json_row(&out, code, y, m, &s, &st, complete);
                ap_buf_append_byte(&out, '\n');
            } else mon_text_row(&out, code, y, m, &s, &st, complete);
        }
        free(muni);
    }
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    ap_buf_free(&out);
}

/* The follow-up rule for year: the version table's, or an audit's override. */
static int mon_followup_params(const opts_t *o, int year, ap_followup_params_t *p) {
    const ap_followup_params_t *base = ap_followup_version_for(year);
    char why[256];
    if (!base) {
        fprintf(stderr, "apctl: no follow-up rule governs %d (FU-2026.1 governs the years from 2026)\n", year);
        return -1;
    }
    if (!o->followup_override) { *p = *base; return 0; }
    if (ap_followup_override(base, o->followup_override, p, why, sizeof why)) {
        fprintf(stderr, "apctl: --followup-override: %s\n", why);
        return -1;
    }
    return 0;
}

/* --followup YEAR: each municipality's latest assessment the fold can give. */
static int mon_print_followup(const opts_t *o, ap_monitoring_fold_t *fold, int year) {
    ap_followup_params_t p;
    if (mon_followup_params(o, year, &p)) return 2;
    const char *const *codes;
    size_t nc = ap_monitoring_fold_municipalities(fold, year * 100 + 1, year * 100 + 12, &codes);
    char (*muni)[AP_MUNI_CAP] = calloc(nc + 1, sizeof *muni);
    for (size_t k = 0; k < nc; k++) snprintf(muni[k], AP_MUNI_CAP, "%s", codes[k]);
    ap_buf_t out = AP_BUF_INIT;
    if (!o->json_out)
        ap_buf_appendf(&out, "follow-up %d, rule %s: a month is challenged when more than %d.%02d %% of its owed "
                             "citizen-weeks have an offer gap (assessable from %d owed weeks); the year when at least "
                             "%d of 12 months are\n",
                       year, p.version, (int)(p.threshold_bp / 100), (int)(p.threshold_bp % 100), (int)p.min_weeks_owed,
                       (int)p.min_months);
    int rc = 0;
    for (size_t k = 0; k < nc; k++) {
        ap_followup_result_t res[AP_FOLLOWUP_MAX_REVISIONS];
        char why[256];
        int n = ap_followup_series(fold, muni[k], year, &p, res, why, sizeof why);
        if (n < 0) {
            if (o->json_out)
                ap_buf_appendf(&out, "{\"municipality_code\":\"%s\",\"year\":%d,\"available\":false,\"why\":", muni[k], year);
            else ap_buf_appendf(&out, "municipality %s: not available: ", muni[k]);
            if (o->json_out) { ap_json_write_string(&out, why, strlen(why)); ap_buf_append_str(&out, "}\n"); }
            else ap_buf_appendf(&out, "%s\n", why);
            rc = 1;
            continue;
        }
        const ap_followup_t *f = &res[n - 1].rec;
        if (o->json_out) {
            static ap_event_t ev;
            ap_events_clear(&ev, AP_EV_FOLLOWUP);
            ev.u.followup = *f;
            ap_events_to_json(&ev, &out);
            ap_buf_append_byte(&out, '\n');
        } else {
            int ay = f->as_of_month == 12 ? year : year + 1, am = f->as_of_month == 12 ? 12 : f->as_of_month - 12;
            ap_buf_appendf(&out, "municipality %s: %s (%d of 12 months challenged), revision %d as of the lanes' close "
                                 "of %04d-%02d\n  month    owed  offer-gap  share%%  assessable  challenged\n",
                           f->municipality_code, f->challenged ? "CHALLENGED" : "not challenged",
                           (int)f->challenged_months, (int)f->revision, ay, am);
            for (uint32_t i = 0; i < f->n_months; i++) {
                const ap_followup_month_t *x = &f->months[i];
                char share[16] = "-";
                if (x->share_bp != INT32_MIN) snprintf(share, sizeof share, "%d.%02d", x->share_bp / 100, x->share_bp % 100);
                ap_buf_appendf(&out, "  %04d-%02d %5d  %9d  %6s  %-10s  %s\n", year, (int)x->month, (int)x->weeks_owed,
                               (int)x->offer_gap_weeks, share, x->assessable ? "yes" : "no", x->challenged ? "yes" : "no");
            }
        }
        for (int i = 0; i < n; i++) ap_followup_result_free(&res[i]);
    }
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    ap_buf_free(&out);
    free(muni);
    return rc;
}

/* The event ids already on the follow-up topic. */
typedef struct id_set {
    char (*ids)[AP_UUID_CAP];
    size_t n, cap;
} id_set_t;

static void collect_followup_id(void *ctx, const rd_kafka_message_t *m) {
    id_set_t *set = ctx;
    static ap_event_t ev;
    ap_codec_error_t cerr;
    if (decode_message(m, &ev, &cerr) != AP_CODEC_OK || ev.type != AP_EV_FOLLOWUP) return;
    if (set->n == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 64;
        set->ids = realloc(set->ids, set->cap * sizeof *set->ids);
        if (!set->ids) abort();
    }
    snprintf(set->ids[set->n++], AP_UUID_CAP, "%s", ev.u.followup.event_id);
}

static int id_known(const id_set_t *set, const char *id) {
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->ids[i], id) == 0) return 1;
    return 0;
}

/* --publish-followup: every FollowUp revision the fold can give, of every
 * year from 2026 whose December every lane has closed, that the topic does
 * not hold yet. Idempotent: ids are derived from key and revision, and those
 * on the topic are skipped, so a rerun (a timer) writes only what is new. A
 * key's revisions go to one partition (the key's) in order. */
static int mon_publish_followup(const opts_t *o, ap_monitoring_fold_t *fold) {
    if (o->followup_override) {
        fprintf(stderr, "apctl: --followup-override is an audit's what-if: printed, never published\n");
        return 2;
    }
    id_set_t known = {0};
    opts_t ro = *o;
    ro.wait_for = 0;
    ro.follow = 0;
    int rc = read_topic(&ro, o->followup_topic, collect_followup_id, &known);
    if (rc == 1 || rc == 2) { free(known.ids); return 1; }
    rc = 0;
    ap_kafka_delivery_t d = {0};
    rd_kafka_t *rk = producer(o, &d);
    if (!rk) { free(known.ids); return 1; }
    long sent = 0, skipped = 0, waiting = 0;
    const int32_t *months;
    size_t nm = ap_monitoring_fold_months(fold, &months);
    int first = nm ? months[0] / 100 : 0, last = nm ? months[nm - 1] / 100 : -1;
    ap_buf_t val = AP_BUF_INIT;
    for (int year = first < 2026 ? 2026 : first; year <= last && rc == 0; year++) {
        ap_followup_params_t p;
        if (mon_followup_params(o, year, &p)) continue;
        int64_t close;
        if (ap_monitoring_fold_lane_close(fold, year, 12, 0, &close, NULL)) continue; /* December not closed */
        const char *const *codes;
        size_t nc = ap_monitoring_fold_municipalities(fold, year * 100 + 1, year * 100 + 12, &codes);
        char (*muni)[AP_MUNI_CAP] = calloc(nc + 1, sizeof *muni);
        for (size_t k = 0; k < nc; k++) snprintf(muni[k], AP_MUNI_CAP, "%s", codes[k]);
        for (size_t k = 0; k < nc && rc == 0; k++) {
            ap_followup_result_t res[AP_FOLLOWUP_MAX_REVISIONS];
            char why[256], key[32], err[512];
            int n = ap_followup_series(fold, muni[k], year, &p, res, why, sizeof why);
            if (n < 0) {
                fprintf(stderr, "apctl: follow-up %s %d not yet: %s\n", muni[k], year, why);
                waiting++;
                continue;
            }
            snprintf(key, sizeof key, "%s|%d", muni[k], year);
            for (int i = 0; i < n; i++) {
                if (id_known(&known, res[i].rec.event_id)) { skipped++; continue; }
                static ap_event_t ev;
                ap_events_clear(&ev, AP_EV_FOLLOWUP);
                ev.u.followup = res[i].rec;
                ap_buf_reset(&val);
                ap_events_encode(&ev, &val);
                if (ap_kafka_produce(rk, o->followup_topic, RD_KAFKA_PARTITION_UA, key, strlen(key), val.data, val.len,
                                     err, sizeof err)) {
                    fprintf(stderr, "apctl: %s: %s\n", key, err);
                    rc = 1;
                    break;
                }
                sent++;
            }
            for (int i = 0; i < n; i++) ap_followup_result_free(&res[i]);
        }
        free(muni);
    }
    ap_buf_free(&val);
    free(known.ids);
    fprintf(stderr, "apctl: follow-up: %ld revisions new, %ld already on %s, %ld municipality-years not yet assessable\n",
            sent, skipped, o->followup_topic, waiting);
    int frc = finish(rk, &d, sent);
    return rc ? rc : frc;
}

/* apctl monitoring [--topic T | --input FILE ...] [--json] [--followup YEAR]
 * [--publish-followup] [--followup-topic T] [--followup-override SPEC]:
 * MonitoringPartial records folded (monitoring_fold.h) into one row per
 * municipality and month. Exit 0; 1 when a record was refused, conflicted
 * or mixed partition counts (the rows say which months), or a follow-up is
 * not available; 2 on usage. */
static int cmd_monitoring(const opts_t *o) {
    if (o->n_topics > 1) return usage();
    mon_reader_t mr = {ap_monitoring_fold_create(), 0};
    int rc = mon_read(o, &mr);
    if (rc == 0) {
        ap_mon_fold_counts_t c = ap_monitoring_fold_counts(mr.fold);
        fprintf(stderr, "apctl: monitoring: %" PRId64 " records read: %" PRId64 " held, %" PRId64 " duplicates, %" PRId64
                        " conflicts, %" PRId64 " mixed, %" PRId64 " refused, %" PRId64 " of other types\n",
                c.records, c.added + c.mixed, c.duplicates, c.conflicts, c.mixed, c.invalid + c.full, c.ignored);
        if (o->publish_followup) rc = mon_publish_followup(o, mr.fold);
        else if (o->followup_year) rc = mon_print_followup(o, mr.fold, o->followup_year);
        else mon_print_totals(o, mr.fold);
        if (!rc && mr.errors) rc = 1;
    }
    ap_monitoring_fold_destroy(mr.fold);
    return rc;
}

/* apctl report [--input FILE ...] [--alerts FILE ...] [--monitoring FILE ...] --output FILE.html [--title TEXT]:
 * compliance results (and alerts) as JSON lines, as `apctl consume` prints
 * them, and monitoring records (files as `apctl monitoring --input` reads;
 * a topic: `apctl consume --topic ap.monitoring > FILE` first), into one
 * self-contained HTML page (report.h). Its own options: the
 * other commands' are about Kafka. The page is written to a temporary file
 * and renamed, so a reader never sees half a page. */
static int cmd_report(int argc, char **argv) {
    const char *inputs[32], *output = NULL, *title = NULL, *monitoring[32];
    int n_inputs = 0, n_monitoring = 0, rc = 0;
    long max_line = AP_LINES_DEFAULT_MAX;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) { fprintf(stderr, "apctl: report: %s needs a value\n", a); return 2; }
        i++;
        if ((strcmp(a, "--input") == 0 || strcmp(a, "--alerts") == 0) && n_inputs < 32) inputs[n_inputs++] = v;
        else if (strcmp(a, "--monitoring") == 0 && n_monitoring < 32) monitoring[n_monitoring++] = v;
        else if (strcmp(a, "--output") == 0) output = v;
        else if (strcmp(a, "--title") == 0) title = v;
        else if (strcmp(a, "--max-line-bytes") == 0 && (max_line = strtol(v, NULL, 10)) > 0) continue;
        else { fprintf(stderr, "apctl: report: unknown option %s\n", a); return 2; }
    }
    if (!output) { fprintf(stderr, "apctl: report needs --output FILE.html\n"); return 2; }
    if (!n_inputs) inputs[n_inputs++] = "-";
    ap_report_t *r = ap_report_create();
    ap_buf_t html = AP_BUF_INIT, tmp = AP_BUF_INIT;
    FILE *f = NULL;
    /* Monitoring records (as `apctl monitoring --input` reads them) fill
     * each municipality's monitoring part from the same fold. */
    mon_reader_t mr = {n_monitoring ? ap_monitoring_fold_create() : NULL, 0};
    for (int i = 0; i < n_monitoring && rc == 0; i++)
        if (mon_read_file(monitoring[i], max_line, &mr)) rc = 1;
    if (mr.errors) rc = 1; /* conflicts or refused records: said on stderr, no page half right */
    ap_report_set_monitoring(r, mr.fold);
    for (int i = 0; i < n_inputs && rc == 0; i++)
        if (read_lines(inputs[i], max_line, report_line, r)) rc = 1;
    if (rc) goto cleanup;
    /* The caption: when and from what (file names only, escaped by the module). */
    char when[25], generated[512];
    ap_cal_format_timestamp((int64_t)time(NULL) * 1000, when);
    int at = snprintf(generated, sizeof generated, "%.19sZ from", when);
    for (int i = 0; i < n_inputs && at > 0 && (size_t)at < sizeof generated; i++) {
        const char *base = strrchr(inputs[i], '/');
        at += snprintf(generated + at, sizeof generated - (size_t)at, "%s %s", i ? "," : "",
                       strcmp(inputs[i], "-") == 0 ? "stdin" : base ? base + 1 : inputs[i]);
    }
    ap_report_page_t page = {title, generated};
    ap_report_render_html(r, &page, &html);
    ap_buf_appendf(&tmp, "%s.tmp", output);
    if (!(f = fopen(tmp.data, "w")) || fwrite(html.data, 1, html.len, f) != html.len || fclose(f) ||
        rename(tmp.data, output)) {
        fprintf(stderr, "apctl: cannot write %s: %s\n", output, strerror(errno));
        f = NULL;
        unlink(tmp.data);
        rc = 1;
        goto cleanup;
    }
    f = NULL;
    ap_report_counts_t c = ap_report_counts(r);
    const ap_report_cell_t *cells;
    size_t n = ap_report_cells(r, &cells);
    fprintf(stderr, "apctl: report %s: %" PRId64 " citizen-weeks in %zu municipality-months (%" PRId64
                    " results, %" PRId64 " alerts read; %" PRId64 " superseded, %" PRId64 " duplicates)\n",
            output, c.citizen_weeks, n, c.results, c.alerts, c.superseded, c.duplicates);
cleanup:
    ap_buf_free(&html);
    ap_buf_free(&tmp);
    ap_report_destroy(r);
    ap_monitoring_fold_destroy(mr.fold);
    return rc;
}

static int cmd_fingerprints(void) {
    printf("# fingerprint: CRC-64-AVRO of the schema's Parsing Canonical Form, as a number (big-endian hex)\n"
           "# wire order:  the same 8 bytes as a record carries them after C3 01 (little-endian; fastavro's order)\n"
           "%-18s %-16s  %-16s  %s\n", "schema", "fingerprint", "wire order", "version");
    for (int t = 0; t < AP_EV_COUNT; t++) {
        const ap_record_desc_t *d = ap_events_desc((ap_event_type_t)t);
        print_fingerprint(d->name, d->fingerprint, "current");
    }
    /* The other writer schemas read by resolution: released versions that
     * differ from the current one, and $AP_SCHEMAS_WRITERS_DIR's. */
    ap_event_type_t type;
    uint64_t fp;
    int version;
    char label[32];
    for (int i = 0; ap_events_writer(i, &type, &fp, &version) == 0; i++) {
        if (version) snprintf(label, sizeof label, "released v%d", version);
        else snprintf(label, sizeof label, "registered");
        print_fingerprint(ap_events_desc(type)->name, fp, label);
    }
    return 0;
}

int main(int argc, char **argv) {
    opts_t o;
    ap_codec_error_t cerr;
    if (argc < 2) return usage();
    if (strcmp(argv[1], "--version") == 0) {
        ap_config_print_version(stdout, 5, "apctl");
        return 0;
    }
    ap_log_set_component("apctl");
    /* A command-line tool reports its own errors; librdkafka's transient
     * warnings would only be noise here unless asked for. */
    if (ap_log_set_level(getenv("AP_LOG_LEVEL") ? getenv("AP_LOG_LEVEL") : "error")) ap_log_set_level("error");
    if (ap_events_init(&cerr)) { fprintf(stderr, "apctl: %s\n", cerr.msg); return 1; }
    /* The processor's schemas.writers_dir, so consume reads what it reads. */
    char err[512];
    if (ap_config_load_writer_schemas(getenv("AP_SCHEMAS_WRITERS_DIR"), NULL, err, sizeof err)) {
        fprintf(stderr, "apctl: %s\n", err);
        return 1;
    }
    if (strcmp(argv[1], "report") == 0) return cmd_report(argc, argv); /* no Kafka: options of its own */
    if (parse_opts(argc, argv, &o)) return 2;
    const char *cmd = argv[1];
    int rc;
    if (strcmp(cmd, "produce") == 0) rc = cmd_produce(&o);
    else if (strcmp(cmd, "produce-hex") == 0) rc = cmd_produce_hex(&o);
    else if (strcmp(cmd, "tick") == 0) rc = cmd_tick(&o);
    else if (strcmp(cmd, "consume") == 0) rc = cmd_consume(&o);
    else if (strcmp(cmd, "create-topics") == 0) rc = cmd_create_topics(&o);
    else if (strcmp(cmd, "topic-config") == 0) rc = cmd_topic_config(&o);
    else if (strcmp(cmd, "forget") == 0) rc = cmd_forget(&o);
    else if (strcmp(cmd, "redrive") == 0) rc = cmd_redrive(&o);
    else if (strcmp(cmd, "partition") == 0) rc = cmd_partition(&o);
    else if (strcmp(cmd, "lag") == 0) rc = cmd_lag(&o);
    else if (strcmp(cmd, "diff") == 0) rc = cmd_diff(&o);
    else if (strcmp(cmd, "monitoring") == 0) rc = cmd_monitoring(&o);
    else if (strcmp(cmd, "fingerprints") == 0) rc = cmd_fingerprints();
    else if (strcmp(cmd, "status") == 0) rc = cmd_status(&o);
    else rc = usage();
    free(o.rest);
    return rc;
}
