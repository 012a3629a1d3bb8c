/*
 * ap-replay - audit replay: the processor's engine run again over an input
 * stream, into an isolated state namespace, with the results written to a
 * file or to audit topics. Production state and topics are never touched.
 *
 *   ap-replay file   [--set replay.input=FILE ...]   offline: an exported file, in-process
 *                                                     state, no broker or Redis
 *   ap-replay kafka  [...]                           the input topics, from an offset or a
 *                                                     time, up to their end when it started
 *   ap-replay export [--set replay.output=FILE]      the input topics to a file (.avro: Avro
 *                                                     object container; else JSON lines)
 *
 * Filters (citizen, municipality, week range) choose which results and
 * alerts are written; every input record is still processed, because a
 * citizen's week can depend on the partition's stream clock, which all
 * citizens of the partition move. So a filtered result is the very result
 * production emitted. Dead letters pass every filter and go to
 * replay.dead_letters (a file) or, with replay.audit_prefix, to P.dead-letter:
 * the same records, ids and bytes the live processor writes.
 *
 * Offline, the engine is the library's (offline.h): the three input topics
 * of each partition are merged by the lane merge the intake uses live
 * (lane.h), so the results are byte-identical to the live services' and to
 * a Kafka replay. This file wires settings, files, producers and filters.
 */
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/config.h"
#include "arbejdspligt/events.h"
#include "arbejdspligt/export.h"
#include "arbejdspligt/intake.h"
#include "arbejdspligt/kafka.h"
#include "arbejdspligt/log.h"
#include "arbejdspligt/monitoring.h"
#include "arbejdspligt/offline.h"
#include "arbejdspligt/output.h"
#include "arbejdspligt/processor.h"
#include "arbejdspligt/pump.h"
#include "arbejdspligt/rules.h"
#include "arbejdspligt/store_memory.h"
#include "arbejdspligt/store_redis.h"

typedef struct settings {
    ap_kafka_conn_t kafka;
    char topics[AP_TOPIC_KINDS][AP_TOPIC_CAP];
    int grace_days;
    int dedup_horizon_weeks;
    int batch_size;
    int workers;
    int partitions;
    char input[1024];
    char output[1024];
    char dead_letters[1024];
    char monitoring[1024];
    char monitoring_first_month[16];
    char dl_hash_key_file[256];
    char format[8];
    char audit_prefix[96];
    int from_offset;
    char from_time[32];
    char state[8];
    char ns[32];
    char redis_host[256];
    int redis_port;
    char redis_username[128];
    char redis_password_file[1024];
    char citizens[4096];
    char municipalities[1024];
    char weeks[32];
    int alerts;
    char rule_override[64];
    char writers_dir[1024];
    char log_level[16];
    int max_line_bytes;
    int max_block_bytes;
    int unverified;
} settings_t;

#define S(name, env, type, def, field, min, max, help) \
    {name, env, type, def, offsetof(settings_t, field), sizeof(((settings_t *)0)->field), min, max, help}
static const ap_setting_t table[] = {
    AP_KAFKA_CONN_SETTINGS(S, kafka),
    S("topic.placement", "AP_TOPIC_PLACEMENT", AP_SET_STRING, "ap.placement", topics[AP_TOPIC_PLACEMENT], 0, 0,
      "Input: PlacementEvent"),
    S("topic.hours", "AP_TOPIC_HOURS", AP_SET_STRING, "ap.hours", topics[AP_TOPIC_HOURS], 0, 0, "Input: HoursEvent"),
    S("topic.exemption", "AP_TOPIC_EXEMPTION", AP_SET_STRING, "ap.exemption", topics[AP_TOPIC_EXEMPTION], 0, 0,
      "Input: ExemptionEvent, ReductionEvent, CoverageEvent, SanctionEvent"),
    S("week.grace_days", "AP_GRACE_DAYS", AP_SET_INT, "2", grace_days, 0, 60,
      "Must equal production's, or weeks close at other ticks"),
    S("dedup.horizon_weeks", "AP_DEDUP_HORIZON_WEEKS", AP_SET_INT, "4", dedup_horizon_weeks, 0, 520,
      "Closed weeks (at least; at most twice as many) an applied event id is remembered to tell a redelivery or a "
      "reused id; later a redelivery is still a no-op by version. 0: for good. Replays must use the live value"),
    S("batch.size", "AP_BATCH_SIZE", AP_SET_INT, "2048", batch_size, 1, AP_PROCESSOR_MAX_BATCH, "Records per cycle"),
    S("replay.workers", "AP_REPLAY_WORKERS", AP_SET_INT, "0", workers, 0, 64,
      "file: partitions replayed at once (0: one per CPU); the output is the same"),
    S("replay.partitions", "AP_REPLAY_PARTITIONS", AP_SET_INT, "0", partitions, 0, 1000000,
      "file: the input topics' partition count when the file records none (exports before 0.2); 0: no partition check"),
    S("replay.input", "AP_REPLAY_INPUT", AP_SET_STRING, "-", input, 0, 0, "file: the exported file (- for stdin)"),
    S("replay.output", "AP_REPLAY_OUTPUT", AP_SET_STRING, "-", output, 0, 0,
      "Results file (- for stdout); export: the file to write"),
    S("replay.dead_letters", "AP_REPLAY_DEAD_LETTERS", AP_SET_STRING, "", dead_letters, 0, 0,
      "file, kafka: write the dead letters (refused records, with the reason) to this file, as the live "
      "processor writes them to its dead-letter topic; all of them, whatever the filters"),
    S("replay.monitoring", "AP_REPLAY_MONITORING", AP_SET_STRING, "", monitoring, 0, 0,
      "Write the monthly MonitoringPartial records, as the live processor writes them to topic.monitoring: to this "
      "file, or with replay.audit_prefix (value \"topic\") to P.monitoring; empty: not written. Not with filters"),
    S("monitoring.first_month", "AP_MONITORING_FIRST_MONTH", AP_SET_STRING, "2026-01", monitoring_first_month, 0, 0,
      "The processor's setting of that name (first month of the monthly measures); must equal production's"),
    S("dead_letter.hash_key_file", "AP_DEAD_LETTER_HASH_KEY_FILE", AP_SET_STRING, "", dl_hash_key_file, 0, 0,
      "The processor's setting of that name (the HMAC in dead letters withheld for personal data)"),
    S("replay.format", "AP_REPLAY_FORMAT", AP_SET_STRING, "json", format, 0, 0,
      "json (what apctl consume prints) or hex (topic, key, exact bytes)"),
    S("replay.audit_prefix", "AP_REPLAY_AUDIT_PREFIX", AP_SET_STRING, "", audit_prefix, 0, 0,
      "kafka: write to topics P.compliance, P.alerts, P.dead-letter instead of a file"),
    S("replay.from_offset", "AP_REPLAY_FROM_OFFSET", AP_SET_INT, "0", from_offset, 0, 2147483647,
      "kafka: first offset of every input partition"),
    S("replay.from_time", "AP_REPLAY_FROM_TIME", AP_SET_STRING, "", from_time, 0, 0,
      "kafka: start at the first record at or after this RFC 3339 time instead"),
    S("replay.state", "AP_REPLAY_STATE", AP_SET_STRING, "memory", state, 0, 0,
      "kafka: memory (default) or redis (resumable; keys under replay.namespace)"),
    S("replay.namespace", "AP_REPLAY_NAMESPACE", AP_SET_STRING, "ap-replay", ns, 0, 0,
      "kafka: consumer group and Redis key prefix of this replay (never production's)"),
    S("redis.host", "AP_REDIS_HOST", AP_SET_STRING, "127.0.0.1", redis_host, 0, 0, "Redis host (state=redis)"),
    S("redis.port", "AP_REDIS_PORT", AP_SET_INT, "6379", redis_port, 1, 65535, "Redis port (state=redis)"),
    S("redis.username", "AP_REDIS_USERNAME", AP_SET_STRING, "", redis_username, 0, 0,
      "Redis ACL user (state=redis; README Security); empty: Redis's default user"),
    S("redis.password_file", "AP_REDIS_PASSWORD_FILE", AP_SET_STRING, "", redis_password_file, 0, 0,
      "File holding the Redis user's password (one line); or the variable AP_REDIS_PASSWORD. Never a setting: "
      "not on the command line, not logged"),
    S("replay.citizens", "AP_REPLAY_CITIZENS", AP_SET_STRING, "", citizens, 0, 0,
      "Only results of these citizen ids (comma-separated)"),
    S("replay.municipalities", "AP_REPLAY_MUNICIPALITIES", AP_SET_STRING, "", municipalities, 0, 0,
      "Only results of these municipality codes (comma-separated)"),
    S("replay.weeks", "AP_REPLAY_WEEKS", AP_SET_STRING, "", weeks, 0, 0,
      "Only results of these ISO weeks: 2026-W05 or 2026-W02..2026-W10"),
    S("replay.alerts", "AP_REPLAY_ALERTS", AP_SET_INT, "1", alerts, 0, 1, "Also write alerts (file output)"),
    S("replay.rule_override", "AP_REPLAY_RULE_OVERRIDE", AP_SET_STRING, "", rule_override, 0, 0,
      "Audit what-if: weekly_minutes=N replaces the 37-hour norm (results name the changed rule version)"),
    S("schemas.writers_dir", "AP_SCHEMAS_WRITERS_DIR", AP_SET_STRING, "", writers_dir, 0, 0,
      "Directory of extra writer schemas (*.avsc): newer compatible versions publishers write, resolved instead of dead-lettered; one the current schemas cannot read stops start-up"),
    S("replay.max_line_bytes", "AP_REPLAY_MAX_LINE_BYTES", AP_SET_INT, "1048576", max_line_bytes, 1024, 1 << 30,
      "file: longest JSON line read; a longer one stops the replay, naming its line"),
    S("replay.max_block_bytes", "AP_REPLAY_MAX_BLOCK_BYTES", AP_SET_INT, "67108864", max_block_bytes, 65536, 1 << 30,
      "file: largest Avro container block (compressed or inflated); a larger one stops the replay, naming it"),
    S("replay.unverified", "AP_REPLAY_UNVERIFIED", AP_SET_INT, "0", unverified, 0, 1,
      "file: 1 reads an export without a manifest (cut short, or written before 0.2) with a warning; "
      "a manifest that does not match is refused always"),
    S("log.level", "AP_LOG_LEVEL", AP_SET_STRING, "info", log_level, 0, 0, "debug, info, warn or error"),
};
#define NSETTINGS (sizeof table / sizeof *table)

static volatile sig_atomic_t run = 1;

static void on_signal(int sig) {
    (void)sig;
    run = 0;
}

/* ---------------------------------------------------------------- filters */

typedef struct filter {
    const char *citizens;       /* ",a,b," or NULL */
    const char *municipalities; /* ",101,147," or NULL */
    int32_t from_monday, to_monday;
    int alerts;
    int active; /* any filter set: records must be decoded to be judged */
    char cbuf[4100], mbuf[1030];
} filter_t;

/* ",x," in a comma-bracketed list. */
static int listed(const char *list, const char *x) {
    char needle[AP_ID_CAP + 2];
    snprintf(needle, sizeof needle, ",%s,", x);
    return strstr(list, needle) != NULL;
}

static int parse_week(const char *s, size_t len, int32_t *monday) {
    int y, w;
    char buf[16];
    if (len >= sizeof buf) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (sscanf(buf, "%4d-W%2d", &y, &w) != 2 || w < 1 || w > 53) return -1;
    *monday = ap_cal_iso_week_monday(y, w);
    int iy, iw;
    ap_cal_iso_week(*monday, &iy, &iw);
    return iy == y && iw == w ? 0 : -1;
}

static int filter_init(filter_t *f, const settings_t *cfg, char *err, size_t errlen) {
    memset(f, 0, sizeof *f);
    f->from_monday = INT32_MIN;
    f->to_monday = INT32_MAX;
    f->alerts = cfg->alerts;
    if (cfg->citizens[0]) { snprintf(f->cbuf, sizeof f->cbuf, ",%s,", cfg->citizens); f->citizens = f->cbuf; }
    if (cfg->municipalities[0]) {
        snprintf(f->mbuf, sizeof f->mbuf, ",%s,", cfg->municipalities);
        f->municipalities = f->mbuf;
    }
    if (cfg->weeks[0]) {
        const char *dots = strstr(cfg->weeks, "..");
        size_t a = dots ? (size_t)(dots - cfg->weeks) : strlen(cfg->weeks);
        if (parse_week(cfg->weeks, a, &f->from_monday) ||
            parse_week(dots ? dots + 2 : cfg->weeks, dots ? strlen(dots + 2) : a, &f->to_monday) ||
            f->to_monday < f->from_monday) {
            snprintf(err, errlen, "replay.weeks: want 2026-W05 or 2026-W02..2026-W10, got \"%s\"", cfg->weeks);
            return -1;
        }
    }
    f->active = f->citizens || f->municipalities || cfg->weeks[0];
    return 0;
}

static int keep(void *ctx, const ap_event_t *ev) {
    const filter_t *f = ctx;
    const char *citizen, *muni;
    int32_t monday;
    if (ev->type == AP_EV_RESULT) {
        citizen = ev->u.result.citizen_id, muni = ev->u.result.municipality_code, monday = ev->u.result.week_start;
    } else if (ev->type == AP_EV_ALERT && f->alerts) {
        citizen = ev->u.alert.citizen_id, muni = ev->u.alert.municipality_code, monday = ev->u.alert.week_start;
    } else {
        return 0;
    }
    if (f->citizens && !listed(f->citizens, citizen)) return 0;
    if (f->municipalities && !listed(f->municipalities, muni)) return 0;
    return monday >= f->from_monday && monday <= f->to_monday;
}

/* The processor's output in a replay: results and alerts through the
 * filters to inner; dead letters, unfiltered, to dead (the audit topics or
 * the replay.dead_letters file), or nowhere if dead.produce is NULL. A dead
 * letter passes every filter: a record that could not be read cannot be
 * told to belong to a citizen, municipality or week. */
typedef struct filtered_output {
    ap_output_t inner;
    ap_output_t dead;
    filter_t *filter;
    const char *dead_letter_topic;
    ap_output_t mon;              /* monitoring partials (never filtered: off with filters) */
    const char *monitoring_topic; /* "" : none */
} filtered_output_t;

/* Whether a result or alert passes the filters: 1 yes, 0 no, -1 (err) if
 * it does not decode. The offline engine asks it of every output record
 * (ap_offline_keep_fn, ctx a filtered_output_t): dead letters and
 * monitoring partials pass. */
static int filter_pass(void *ctx, const char *topic, const void *value, size_t len, const ap_event_t *event,
                       char *err, size_t errlen) {
    const filtered_output_t *fo = ctx;
    if (!fo->filter->active || strcmp(topic, fo->dead_letter_topic) == 0 ||
        (fo->monitoring_topic[0] && strcmp(topic, fo->monitoring_topic) == 0))
        return 1;
    ap_event_t ev;
    ap_codec_error_t cerr;
    if (!event && ap_events_decode(value, len, &ev, &cerr) != AP_CODEC_OK) {
        snprintf(err, errlen, "output record does not decode: %s", cerr.msg);
        return -1;
    }
    return keep(fo->filter, event ? event : &ev);
}

static int filtered_produce(void *ctx, const char *topic, const void *key, size_t keylen, const void *value,
                            size_t len, const ap_event_t *event, char *err, size_t errlen) {
    filtered_output_t *fo = ctx;
    if (fo->monitoring_topic[0] && strcmp(topic, fo->monitoring_topic) == 0)
        return fo->mon.produce ? fo->mon.produce(fo->mon.ctx, topic, key, keylen, value, len, event, err, errlen) : 0;
    if (strcmp(topic, fo->dead_letter_topic) == 0)
        return fo->dead.produce ? fo->dead.produce(fo->dead.ctx, topic, key, keylen, value, len, event, err, errlen) : 0;
    int pass = filter_pass(fo, topic, value, len, event, err, errlen);
    if (pass <= 0) return pass;
    return fo->inner.produce(fo->inner.ctx, topic, key, keylen, value, len, event, err, errlen);
}

static int filtered_flush(void *ctx, int timeout_ms, char *err, size_t errlen) {
    filtered_output_t *fo = ctx;
    if (fo->inner.flush(fo->inner.ctx, timeout_ms, err, errlen)) return -1;
    if (fo->dead.flush && fo->dead.ctx != fo->inner.ctx && fo->dead.flush(fo->dead.ctx, timeout_ms, err, errlen)) return -1;
    if (fo->mon.flush && fo->mon.ctx != fo->inner.ctx && fo->mon.ctx != fo->dead.ctx)
        return fo->mon.flush(fo->mon.ctx, timeout_ms, err, errlen);
    return 0;
}

/* ----------------------------------------------------------------- export */

static int export_write(void *ctx, const ap_record_t *r) {
    char err[256];
    if (ap_export_write(ctx, r, err, sizeof err)) { ap_log_error("export failed", "error=\"%s\"", err); return 1; }
    return 0;
}

/* Reads every input topic-partition from the beginning to its end at start. */
static int run_export(const settings_t *cfg, char *err, size_t errlen) {
    ap_export_writer_t *w = ap_export_create(cfg->output, err, errlen);
    if (!w) return -1;
    static const char *const role[] = {"group.id", "ap-replay-export", "enable.auto.commit", "false", NULL};
    rd_kafka_t *rk = NULL;
    int rc = -1;
    uint64_t written = 0;
    if (!(rk = ap_kafka_consumer_create(&cfg->kafka, role, err, errlen)) || ap_kafka_await(rk, 10000, err, errlen))
        goto done;
    /* Every input topic-partition at once, each from its start to its end at
     * this moment; the file keeps each partition's order, which is all a
     * replay needs (it sorts by topic, partition and offset). */
    enum { MAX_PARTS = 1024 };
    static int64_t low[MAX_PARTS], ends[AP_TOPIC_KINDS * MAX_PARTS];
    rd_kafka_topic_partition_list_t *all = rd_kafka_topic_partition_list_new(64);
    size_t n_parts = 0, open_parts = 0;
    for (int k = 0; k < AP_TOPIC_KINDS; k++) {
        int parts = ap_kafka_watermarks(rk, cfg->topics[k], low, ends + n_parts, MAX_PARTS, 10000, err, errlen);
        if (parts < 0) { rd_kafka_topic_partition_list_destroy(all); goto done; }
        /* The counts go first: an offline replay checks partitions with them. */
        if (ap_export_write_partitions(w, cfg->topics[k], parts, err, errlen)) {
            rd_kafka_topic_partition_list_destroy(all);
            goto done;
        }
        for (int32_t q = 0; q < parts; q++, n_parts++) {
            rd_kafka_topic_partition_list_add(all, cfg->topics[k], q)->offset = low[q];
            if (ends[n_parts] > low[q]) open_parts++;
        }
    }
    rd_kafka_assign(rk, all);
    while (open_parts && run) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
        if (!m) continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                ap_log_warn("consumer error", "error=\"%s\"", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        const char *topic = rd_kafka_topic_name(m->rkt);
        size_t i = 0;
        while (i < n_parts && !(all->elems[i].partition == m->partition && strcmp(all->elems[i].topic, topic) == 0)) i++;
        if (i < n_parts && m->offset >= all->elems[i].offset && m->offset < ends[i]) {
            ap_record_t r = {topic, m->partition, m->offset, rd_kafka_message_timestamp(m, NULL), m->key, m->key_len,
                             m->payload, m->len};
            if (export_write(w, &r)) {
                rd_kafka_message_destroy(m);
                rd_kafka_topic_partition_list_destroy(all);
                goto done;
            }
            written++;
            all->elems[i].offset = m->offset + 1;
            if (all->elems[i].offset >= ends[i]) open_parts--;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_topic_partition_list_destroy(all);
    rc = run ? 0 : -1;
    if (!run) snprintf(err, errlen, "interrupted");
done:
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    /* Only a complete export gets its manifest; an interrupted one reads as cut short. */
    if (rc) ap_export_abort(w);
    else if (ap_export_close(w, err, errlen)) rc = -1;
    if (rc == 0) ap_log_info("exported", "records=%" PRIu64 " file=%s", written, cfg->output);
    return rc;
}

/* ------------------------------------------------------------------- main */

int main(int argc, char **argv) {
    settings_t cfg;
    char err[512];
    memset(&cfg, 0, sizeof cfg);
    ap_log_set_component("replay");
    const char *usage =
        "usage: ap-replay file|kafka|export [--config FILE] [--set key=value ...]\n"
        "  file    replay an exported file offline (in-process state; no broker, no Redis)\n"
        "  kafka   replay the input topics into an isolated namespace\n"
        "  export  write the input topics to replay.output (.avro or JSON lines)";
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        ap_config_print_version(stdout, 9, "ap-replay");
        return 0;
    }
    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            ap_config_print_help(table, NSETTINGS, usage, stdout);
            return 0;
        }
        fprintf(stderr, "%s\n", usage);
        return 2;
    }
    const char *mode = argv[1];
    int rc = ap_config_load(table, NSETTINGS, &cfg, argc - 1, argv + 1, stdout, usage, err, sizeof err);
    if (rc == 1) return 0;
    if (rc < 0) { fprintf(stderr, "ap-replay: %s\n", err); return 2; }
    if (ap_log_set_level(cfg.log_level)) { fprintf(stderr, "ap-replay: bad log.level %s\n", cfg.log_level); return 2; }
    if (strcmp(mode, "file") && strcmp(mode, "kafka") && strcmp(mode, "export")) {
        fprintf(stderr, "ap-replay: unknown mode %s\n%s\n", mode, usage);
        return 2;
    }
    if (strcmp(mode, "file") && ap_kafka_conn_check(&cfg.kafka, err, sizeof err)) {
        fprintf(stderr, "ap-replay: %s\n", err);
        return 2;
    }
    ap_codec_error_t cerr;
    if (ap_events_init(&cerr)) { ap_log_error("schemas do not match the codec tables", "detail=\"%s\"", cerr.msg); return 1; }
    int n_writers;
    if (ap_config_load_writer_schemas(cfg.writers_dir, &n_writers, err, sizeof err)) {
        ap_log_error("writer schema refused", "detail=\"%s\"", err);
        return 1;
    }
    if (n_writers) ap_log_info("writer schemas registered", "dir=\"%s\" files=%d", cfg.writers_dir, n_writers);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    if (strcmp(mode, "export") == 0) {
        if (run_export(&cfg, err, sizeof err)) { fprintf(stderr, "ap-replay: %s\n", err); return 1; }
        return 0;
    }

    filter_t filter;
    if (filter_init(&filter, &cfg, err, sizeof err)) { fprintf(stderr, "ap-replay: %s\n", err); return 2; }
    if (cfg.rule_override[0] && ap_rules_override(cfg.rule_override, err, sizeof err)) {
        fprintf(stderr, "ap-replay: replay.rule_override: %s\n", err);
        return 2;
    }
    int to_kafka = strcmp(mode, "kafka") == 0 && cfg.audit_prefix[0];
    if (cfg.dead_letters[0] && to_kafka) {
        fprintf(stderr, "ap-replay: replay.dead_letters: with replay.audit_prefix they go to P.dead-letter\n");
        return 2;
    }
    if (cfg.dead_letters[0] && strcmp(cfg.dead_letters, cfg.output) == 0) {
        fprintf(stderr, "ap-replay: replay.dead_letters must name another file than replay.output\n");
        return 2;
    }
    int32_t first_month;
    if (ap_monitoring_parse_month(cfg.monitoring_first_month, &first_month)) {
        fprintf(stderr, "ap-replay: monitoring.first_month must be YYYY-MM from 2025-01 to 2099-12\n");
        return 2;
    }
    if (cfg.monitoring[0] && (to_kafka ? strcmp(cfg.monitoring, "topic") != 0
                                       : strcmp(cfg.monitoring, cfg.output) == 0 ||
                                             strcmp(cfg.monitoring, cfg.dead_letters) == 0)) {
        fprintf(stderr, "ap-replay: replay.monitoring must be \"topic\" with replay.audit_prefix, else a file of its own\n");
        return 2;
    }
    /* Partials are sums over every citizen of a lane: over a filtered subset
     * they would be other figures under the same keys. */
    int monitoring = cfg.monitoring[0] && !filter.active;
    if (cfg.monitoring[0] && filter.active)
        ap_log_warn("monitoring partials not written: they sum whole partitions, not the filtered subset",
                    "monitoring=%s", cfg.monitoring);
    ap_processor_config_t pcfg;
    memset(&pcfg, 0, sizeof pcfg);
    for (int k = 0; k < AP_TOPIC_KINDS; k++) memcpy(pcfg.input_topics[k], cfg.topics[k], AP_TOPIC_CAP);
    const char *prefix = to_kafka ? cfg.audit_prefix : "replay";
    snprintf(pcfg.compliance_topic, AP_TOPIC_CAP, "%s.compliance", prefix);
    snprintf(pcfg.alerts_topic, AP_TOPIC_CAP, "%s.alerts", prefix);
    snprintf(pcfg.dead_letter_topic, AP_TOPIC_CAP, "%s.dead-letter", prefix);
    if (monitoring) snprintf(pcfg.monitoring_topic, AP_TOPIC_CAP, "%s.monitoring", prefix);
    pcfg.monitoring_first_month = first_month;
    pcfg.grace_days = cfg.grace_days;
    pcfg.dedup_horizon_weeks = cfg.dedup_horizon_weeks;
    pcfg.flush_timeout_ms = 30000;
    if (ap_config_read_secret(cfg.dl_hash_key_file, pcfg.dead_letter_hash_key, sizeof pcfg.dead_letter_hash_key,
                              &pcfg.dead_letter_hash_key_len, err, sizeof err)) {
        fprintf(stderr, "ap-replay: dead_letter.hash_key_file: %s\n", err);
        return 2;
    }

    int exit_code = 1;
    ap_store_t *store = NULL;
    ap_output_file_t *file = NULL, *dl_file = NULL, *mon_file = NULL;
    ap_kafka_delivery_t delivery = {0};
    ap_kafka_output_t kout = {0};
    filtered_output_t fout = {{0}, {0}, &filter, pcfg.dead_letter_topic, {0}, pcfg.monitoring_topic};
    ap_processor_t *proc = NULL;
    ap_pump_t *pump = NULL;
    uint64_t records_in = 0;
    ap_processor_stats_t offline_stats = {0};
    int offline = strcmp(mode, "file") == 0;

    ap_offline_t *loaded = NULL;
    double t_read = ap_log_monotonic_s(); /* an offline replay's time includes reading the file, as before */
    if (offline) {
        /* each offline worker makes its own in-process store; the file is
         * read and verified before any output file is opened */
        ap_log_info("offline replay", "input=%s", cfg.input);
        ap_export_opts_t opts = {(size_t)cfg.max_line_bytes, (size_t)cfg.max_block_bytes, !cfg.unverified};
        const char *inputs[AP_TOPIC_KINDS] = {cfg.topics[0], cfg.topics[1], cfg.topics[2]};
        if (!(loaded = ap_offline_load(cfg.input, &opts, inputs, err, sizeof err))) {
            if (strstr(err, "has no manifest"))
                snprintf(err + strlen(err), sizeof err - strlen(err), "; replay.unverified=1 reads it anyway");
            goto fail;
        }
    } else if (strcmp(cfg.state, "redis") == 0) {
        if (strcmp(cfg.ns, "ap") == 0) { fprintf(stderr, "ap-replay: replay.namespace must not be production's (ap)\n"); return 2; }
        char password[256];
        if (ap_config_read_password(cfg.redis_password_file, "AP_REDIS_PASSWORD", password, sizeof password, err,
                                  sizeof err))
            goto fail;
        ap_store_redis_conf_t rconf = {cfg.redis_host, cfg.redis_port, cfg.redis_username, password, cfg.ns, 5000, 0, 0};
        store = ap_store_redis_connect(&rconf, err, sizeof err);
        memset(password, 0, sizeof password); /* the store keeps its own copy */
        if (!store) goto fail;
    } else if (strcmp(cfg.state, "memory") == 0) {
        store = ap_store_memory_create();
    } else {
        snprintf(err, sizeof err, "replay.state must be memory or redis");
        goto fail;
    }
    if (to_kafka) {
        if (!(kout.rk = ap_kafka_producer_create(&cfg.kafka, &delivery, NULL, err, sizeof err))) goto fail;
        kout.delivery = &delivery;
        fout.inner = fout.dead = fout.mon = ap_kafka_output(&kout);
    } else {
        ap_output_format_t fmt = strcmp(cfg.format, "hex") == 0 ? AP_OUTPUT_HEX : AP_OUTPUT_JSON;
        if (fmt == AP_OUTPUT_JSON && strcmp(cfg.format, "json") != 0) {
            snprintf(err, sizeof err, "replay.format must be json or hex");
            goto fail;
        }
        const char *topics[] = {pcfg.compliance_topic, cfg.alerts ? pcfg.alerts_topic : NULL, NULL};
        if (!(file = ap_output_file_open(cfg.output, fmt, topics, err, sizeof err))) goto fail;
        fout.inner = ap_output_file(file);
        /* As live: the same DeadLetter records, ids and bytes the processor
         * writes to its dead-letter topic, one per refused record. */
        const char *dl_topics[] = {pcfg.dead_letter_topic, NULL};
        if (cfg.dead_letters[0] && !(dl_file = ap_output_file_open(cfg.dead_letters, fmt, dl_topics, err, sizeof err)))
            goto fail;
        if (dl_file) fout.dead = ap_output_file(dl_file);
        const char *mon_topics[] = {pcfg.monitoring_topic, NULL};
        if (monitoring && !(mon_file = ap_output_file_open(cfg.monitoring, fmt, mon_topics, err, sizeof err))) goto fail;
        if (mon_file) fout.mon = ap_output_file(mon_file);
    }

    double t0 = offline ? t_read : ap_log_monotonic_s();
    if (offline) {
        /* The filters are the same function as on the Kafka path (filter_pass). */
        ap_offline_run_config_t oc = {&pcfg, cfg.partitions, (size_t)cfg.workers, (size_t)cfg.batch_size,
                                      file, dl_file, mon_file, filter_pass, &fout, &run};
        int orc = ap_offline_run(loaded, &oc, &records_in, &offline_stats, err, sizeof err);
        ap_offline_destroy(loaded); /* a national year's records: freed before the summary, as before */
        loaded = NULL;
        if (orc) goto fail;
    } else {
        /* The same partition check as live: the counts from the broker. */
        const char *inputs[AP_TOPIC_KINDS] = {cfg.topics[0], cfg.topics[1], cfg.topics[2]};
        /* Fails at once on refused credentials or certificates, within
         * seconds when no broker answers: a replay is run by hand. */
        rd_kafka_t *meta = ap_kafka_producer_create(&cfg.kafka, NULL, NULL, err, sizeof err);
        int prc = meta && ap_kafka_await(meta, 10000, err, sizeof err) == 0 ? ap_kafka_input_partitions(meta, inputs, AP_TOPIC_KINDS, pcfg.partitions, 10000, err, sizeof err)
                       : -1;
        if (meta) rd_kafka_destroy(meta);
        if (prc) goto fail;
        /* A resumable replay's namespace holds state partitioned by one count. */
        if (strcmp(cfg.state, "redis") == 0 && ap_store_redis_claim_partitions(store, pcfg.partitions[0], err, sizeof err))
            goto fail;
        proc = ap_processor_create(&pcfg, store, (ap_output_t){filtered_produce, filtered_flush, &fout});
        int64_t from_time = 0;
        if (cfg.from_time[0] && ap_cal_parse_timestamp(cfg.from_time, strlen(cfg.from_time), &from_time)) {
            snprintf(err, sizeof err, "replay.from_time: not an RFC 3339 time: %s", cfg.from_time);
            goto fail;
        }
        char group[64];
        snprintf(group, sizeof group, "%s", cfg.ns);
        ap_pump_config_t pc = {&cfg.kafka, group, "", 10000, {cfg.topics[0], cfg.topics[1], cfg.topics[2]},
                               (size_t)cfg.batch_size, cfg.from_offset ? cfg.from_offset : RD_KAFKA_OFFSET_BEGINNING,
                               from_time, 0, pcfg.partitions[0], NULL};
        if (!(pump = ap_pump_create(&pc, store, proc, &run, NULL, NULL, err, sizeof err))) goto fail;
        if (ap_pump_mark_end(pump, err, sizeof err)) goto fail;
        ap_log_info("kafka replay", "group=%s state=%s from_offset=%d from_time=%s", group, ap_store_kind(store),
                    cfg.from_offset, cfg.from_time[0] ? cfg.from_time : "-");
        /* Until every input partition is read up to where it ended at start
         * and a poll brings nothing more. */
        for (int idle = 0; run && idle < 3;) {
            long got = ap_pump_step(pump, 200);
            if (got < 0) break;
            records_in += (uint64_t)got;
            idle = got == 0 && ap_pump_at_end(pump) ? idle + 1 : 0;
        }
        if (ap_pump_stopped(pump, err, sizeof err)) goto fail;
        if (!run) { snprintf(err, sizeof err, "interrupted"); goto fail; }
    }
    double secs = ap_log_monotonic_s() - t0;
    const ap_processor_stats_t *st = offline ? &offline_stats : ap_processor_stats(proc);
    ap_log_info("replay done",
                "records=%" PRIu64 " seconds=%.3f records_per_s=%.0f applied=%" PRIu64 " dead_letters=%" PRIu64
                " results=%" PRIu64 " alerts=%" PRIu64 " written=%" PRIu64 " dead_letters_written=%" PRIu64,
                records_in, secs, secs > 0 ? (double)records_in / secs : 0.0, st->applied, st->dead_letters, st->results,
                st->alerts, file ? ap_output_file_written(file) : 0, dl_file ? ap_output_file_written(dl_file) : 0);
    if (file && !dl_file && st->dead_letters)
        ap_log_warn("dead letters not written; set replay.dead_letters=FILE to keep them",
                    "dead_letters=%" PRIu64, st->dead_letters);
    exit_code = 0;
fail:
    if (exit_code) fprintf(stderr, "ap-replay: %s\n", err);
    ap_pump_destroy(pump);
    ap_processor_destroy(proc);
    if (file && ap_output_file_close(file, err, sizeof err)) {
        fprintf(stderr, "ap-replay: %s\n", err);
        exit_code = 1;
    }
    if (dl_file && ap_output_file_close(dl_file, err, sizeof err)) {
        fprintf(stderr, "ap-replay: replay.dead_letters: %s\n", err);
        exit_code = 1;
    }
    if (mon_file && ap_output_file_close(mon_file, err, sizeof err)) {
        fprintf(stderr, "ap-replay: replay.monitoring: %s\n", err);
        exit_code = 1;
    }
    if (kout.rk) {
        if (ap_kafka_producer_drain(kout.rk, 30000)) exit_code = 1;
        rd_kafka_destroy(kout.rk);
    }
    ap_store_destroy(store);
    ap_offline_destroy(loaded); /* only if the replay did not start */
    return exit_code;
}
