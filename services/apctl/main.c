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
 *   apctl report [--input RESULTS.jsonl ...] [--alerts ALERTS.jsonl] --output PAGE.html  (HTML, report.h)
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
#include "arbejdspligt/kafka.h"
#include "arbejdspligt/lines.h"
#include "arbejdspligt/log.h"
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
    long max_line_bytes; /* produce: longest JSON line read */
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
            "  apctl report [--input RESULTS.jsonl ...] [--alerts ALERTS.jsonl] --output PAGE.html [--title TEXT]\n"
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
    o->rest = calloc((size_t)argc, sizeof *o->rest);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
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
            else if (strcmp(a, "--max-line-bytes") == 0 && (o->max_line_bytes = strtol(v, NULL, 10)) < 1) {
                fprintf(stderr, "apctl: --max-line-bytes must be positive\n");
                return -1;
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

static int cmd_consume(const opts_t *o) {
    if (o->n_topics != 1) return usage();
    char err[512];
    rd_kafka_t *rk = consumer(o, "apctl-reader");
    if (!rk) return 1;
    int parts = ap_kafka_partition_count(rk, o->topics[0], 10000, err, sizeof err), rc = 0;
    if (parts < 0) { fprintf(stderr, "apctl: %s\n", err); rd_kafka_destroy(rk); return 1; }
    int64_t *low = calloc((size_t)parts, sizeof *low), *high = calloc((size_t)parts, sizeof *high);
    double deadline = ap_log_monotonic_s() + o->timeout_ms / 1e3;
    int64_t avail;
    /* Wait until at least --wait-for records exist (or the timeout), then read to the end. */
    while ((avail = total_available(rk, o->topics[0], parts, low, high)) < o->wait_for && ap_log_monotonic_s() < deadline) {
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
        /* Following: every partition, also those empty now. */
        if (high[p] <= low[p] && !o->follow) continue;
        rd_kafka_topic_partition_list_add(list, o->topics[0], p)->offset = low[p];
        remaining += high[p] - low[p];
    }
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (o->follow) {
        signal(SIGINT, on_stop);
        signal(SIGTERM, on_stop);
    }
    ap_buf_t out = AP_BUF_INIT;
    static registry_ids_t registry;
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
            ap_event_t ev;
            ap_codec_error_t cerr;
            int32_t rid;
            ap_buf_reset(&out);
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
            } else if (ap_registry_unframe(m->payload, m->len, &rid)
                           ? decode_registry_framed(&registry, m->payload, m->len, &ev, &cerr) == AP_CODEC_OK
                           : ap_events_decode(m->payload, m->len, &ev, &cerr) == AP_CODEC_OK)
                ap_events_to_json(&ev, &out);
            else {
                ap_buf_append_str(&out, "{\"schema\":null,\"error\":");
                ap_json_write_string(&out, cerr.msg, strlen(cerr.msg));
                ap_buf_append_byte(&out, '}');
            }
            printf("%s\n", out.data);
            if (o->follow) fflush(stdout); /* a pipe reader sees each record as it comes */
            remaining--;
        }
        rd_kafka_message_destroy(m);
    }
    ap_buf_free(&out);
    ap_buf_free(&registry.so);
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
    ap_store_redis_conf_t conf = {o->redis_host, o->redis_port, o->redis_user, password, o->redis_prefix, 5000};
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

/* Reads one JSON-lines file (or stdin for "-") into the report; stops at
 * the first line it cannot read, with the line number. Returns 0 or -1. */
static int report_read(ap_report_t *r, const char *path, long max_line) {
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
        if (ap_report_add_json(r, lb.data, lb.len, why, sizeof why) == AP_REPORT_INVALID) {
            fprintf(stderr, "apctl: %s:%ld: %s\n", path, lineno, why);
            rc = -1;
            break;
        }
    }
    ap_buf_free(&lb);
    if (fd != STDIN_FILENO) close(fd);
    return rc;
}

/* apctl report [--input FILE ...] [--alerts FILE ...] --output FILE.html [--title TEXT]:
 * compliance results (and alerts) as JSON lines, as `apctl consume` prints
 * them, into one self-contained HTML page (report.h). Its own options: the
 * other commands' are about Kafka. The page is written to a temporary file
 * and renamed, so a reader never sees half a page. */
static int cmd_report(int argc, char **argv) {
    const char *inputs[32], *output = NULL, *title = NULL;
    int n_inputs = 0, rc = 0;
    long max_line = AP_LINES_DEFAULT_MAX;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) { fprintf(stderr, "apctl: report: %s needs a value\n", a); return 2; }
        i++;
        if ((strcmp(a, "--input") == 0 || strcmp(a, "--alerts") == 0) && n_inputs < 32) inputs[n_inputs++] = v;
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
    for (int i = 0; i < n_inputs && rc == 0; i++)
        if (report_read(r, inputs[i], max_line)) rc = 1;
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
    else if (strcmp(cmd, "fingerprints") == 0) rc = cmd_fingerprints();
    else if (strcmp(cmd, "status") == 0) rc = cmd_status(&o);
    else rc = usage();
    free(o.rest);
    return rc;
}
