/* kafka.c - librdkafka set-up and never-drop produce. See kafka.h. */
#include "arbejdspligt/kafka.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arbejdspligt/log.h"

static int set(rd_kafka_conf_t *conf, const char *k, const char *v, char *err, size_t errlen) {
    if (rd_kafka_conf_set(conf, k, v, err, errlen) != RD_KAFKA_CONF_OK) return -1;
    return 0;
}

static int set_all(rd_kafka_conf_t *conf, const char *const *kv, char *err, size_t errlen) {
    for (; kv && kv[0] && kv[1]; kv += 2)
        if (set(conf, kv[0], kv[1], err, errlen)) return -1;
    return 0;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    ap_kafka_delivery_t *d = opaque;
    if (!d) return;
    if (m->err) {
        d->failed++;
        snprintf(d->last_error, sizeof d->last_error, "%s", rd_kafka_err2str(m->err));
    } else {
        d->delivered++;
    }
}

/* librdkafka's own log lines go through our logger (they carry no personal data). */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk;
    ap_log(level <= 3 ? AP_LOG_ERROR : level <= 4 ? AP_LOG_WARN : AP_LOG_DEBUG, "librdkafka", "facility=%s detail=\"%s\"",
           fac, buf);
}

rd_kafka_t *ap_kafka_producer_create(const char *brokers, ap_kafka_delivery_t *delivery, const char *const *extra,
                                     char *err, size_t errlen) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = NULL;
    if (set(conf, "bootstrap.servers", brokers, err, errlen) || set(conf, "enable.idempotence", "true", err, errlen) ||
        set(conf, "acks", "all", err, errlen) || set(conf, "linger.ms", "5", err, errlen) ||
        set(conf, "batch.num.messages", "10000", err, errlen) ||
        set(conf, "compression.codec", "lz4", err, errlen) ||
        set(conf, "partitioner", "murmur2_random", err, errlen) || set_all(conf, extra, err, errlen))
        goto cleanup;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, delivery);
    rd_kafka_conf_set_log_cb(conf, on_log);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
    if (rk) conf = NULL; /* rd_kafka_new took ownership */
cleanup:
    if (conf) rd_kafka_conf_destroy(conf);
    return rk;
}

int ap_kafka_produce(rd_kafka_t *rk, const char *topic, int32_t partition, const void *key, size_t keylen,
                     const void *payload, size_t len, char *err, size_t errlen) {
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY((void *)key, keylen), RD_KAFKA_V_VALUE((void *)payload, len), RD_KAFKA_V_END);
        if (!e) {
            rd_kafka_poll(rk, 0);
            return 0;
        }
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            snprintf(err, errlen, "produce to %s failed: %s", topic, rd_kafka_err2str(e));
            return -1;
        }
        /* Queue full: serve delivery reports until there is room; never drop. */
        rd_kafka_poll(rk, 100);
    }
}

int ap_kafka_producer_warm(rd_kafka_t *rk, const char *const *topics, size_t n, int timeout_ms, char *err,
                           size_t errlen) {
    for (size_t i = 0; i < n; i++) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topics[i], NULL);
        if (!rkt) {
            snprintf(err, errlen, "topic %s: %s", topics[i], rd_kafka_err2str(rd_kafka_last_error()));
            return -1;
        }
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
        if (!e && (md->topic_cnt != 1 || md->topics[0].err)) e = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
        if (md) rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        if (e) {
            snprintf(err, errlen, "metadata of %s: %s", topics[i], rd_kafka_err2str(e));
            return -1;
        }
    }
    return 0;
}

int ap_kafka_producer_drain(rd_kafka_t *rk, int timeout_ms) {
    rd_kafka_flush(rk, timeout_ms);
    return rd_kafka_outq_len(rk);
}

static int output_produce(void *ctx, const char *topic, const void *key, size_t keylen, const void *value, size_t len,
                          const ap_event_t *event, char *err, size_t errlen) {
    (void)event;
    ap_kafka_output_t *ko = ctx;
    return ap_kafka_produce(ko->rk, topic, RD_KAFKA_PARTITION_UA, key, keylen, value, len, err, errlen);
}

static int output_flush(void *ctx, int timeout_ms, char *err, size_t errlen) {
    ap_kafka_output_t *ko = ctx;
    if (ap_kafka_producer_drain(ko->rk, timeout_ms) > 0) {
        snprintf(err, errlen, "outputs not acknowledged in time");
        return -1;
    }
    if (ko->delivery && ko->delivery->failed != ko->failed_seen) {
        ko->failed_seen = ko->delivery->failed;
        snprintf(err, errlen, "output delivery failed: %.200s", ko->delivery->last_error);
        return -1;
    }
    return 0;
}

ap_output_t ap_kafka_output(ap_kafka_output_t *ko) {
    if (ko->delivery) ko->failed_seen = ko->delivery->failed;
    return (ap_output_t){output_produce, output_flush, ko};
}

int ap_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, char *err, size_t errlen) {
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    int n = -1;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, timeout_ms);
    if (e) snprintf(err, errlen, "metadata for %s: %s", topic, rd_kafka_err2str(e));
    else if (md->topic_cnt != 1 || md->topics[0].err)
        snprintf(err, errlen, "topic %s: %s", topic,
                 md->topic_cnt ? rd_kafka_err2str(md->topics[0].err) : "not found");
    else n = md->topics[0].partition_cnt;
    if (md) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
    return n;
}

int ap_kafka_watermarks(rd_kafka_t *rk, const char *topic, int64_t *low, int64_t *high, int max, int timeout_ms,
                        char *err, size_t errlen) {
    int parts = ap_kafka_partition_count(rk, topic, timeout_ms, err, errlen);
    if (parts > max) {
        snprintf(err, errlen, "topic %s has more than %d partitions", topic, max);
        return -1;
    }
    for (int32_t q = 0; q < parts; q++)
        if (rd_kafka_query_watermark_offsets(rk, topic, q, &low[q], &high[q], timeout_ms)) {
            snprintf(err, errlen, "offsets of %s unavailable", topic);
            return -1;
        }
    return parts;
}

/* Appends "; text" (or text) to err: every failed topic is named. */
static void add_error(char *err, size_t errlen, const char *text) {
    size_t used = strnlen(err, errlen);
    if (used + 3 >= errlen) return;
    snprintf(err + used, errlen - used, "%s%s", used ? "; " : "", text);
}

int ap_kafka_create_topics(rd_kafka_t *rk, const char *const *topics, size_t n, const ap_kafka_topic_spec_t *spec,
                           int timeout_ms, char *err, size_t errlen) {
    int partitions = spec->partitions;
    /* All of them in one request (there used to be a silent limit of 16). */
    rd_kafka_NewTopic_t **nt = calloc(n ? n : 1, sizeof *nt);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    char text[512];
    int rc = -1;
    if (!nt) abort();
    if (errlen) err[0] = '\0';
    rd_kafka_AdminOptions_set_operation_timeout(opt, timeout_ms, NULL, 0);
    for (size_t i = 0; i < n; i++) {
        if (!(nt[i] = rd_kafka_NewTopic_new(topics[i], partitions, spec->replication_factor, text, sizeof text))) {
            snprintf(err, errlen, "topic %s: %s", topics[i], text);
            goto cleanup;
        }
        rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
        if (spec->retention_ms) e = rd_kafka_NewTopic_set_config(nt[i], "retention.ms", spec->retention_ms);
        for (size_t k = 0; !e && spec->configs && spec->configs[k]; k++) {
            char kv[256];
            snprintf(kv, sizeof kv, "%s", spec->configs[k]);
            char *eq = strchr(kv, '=');
            if (!eq) {
                snprintf(err, errlen, "topic config %s: expected key=value", spec->configs[k]);
                goto cleanup;
            }
            *eq = '\0';
            e = rd_kafka_NewTopic_set_config(nt[i], kv, eq + 1);
        }
        if (e) {
            snprintf(err, errlen, "topic %s: config: %s", topics[i], rd_kafka_err2str(e));
            goto cleanup;
        }
    }
    rd_kafka_CreateTopics(rk, nt, n, opt, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 5000);
    if (!ev) {
        snprintf(err, errlen, "create topics: no answer from the broker");
        goto cleanup;
    }
    if (rd_kafka_event_error(ev)) {
        snprintf(err, errlen, "create topics: %s", rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        goto cleanup;
    }
    size_t cnt;
    const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
    rc = cnt == n ? 0 : -1;
    if (cnt != n) add_error(err, errlen, "the broker answered for fewer topics than were asked");
    for (size_t i = 0; i < cnt; i++) {
        const char *name = rd_kafka_topic_result_name(res[i]);
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
        if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            /* Existing is fine only with the count asked for: a topic with
             * another count cannot be co-partitioned with the rest. */
            char why[256];
            int have = ap_kafka_partition_count(rk, name, timeout_ms, why, sizeof why);
            if (have == partitions) continue;
            if (have < 0) snprintf(text, sizeof text, "topic %s exists, but %s", name, why);
            else snprintf(text, sizeof text, "topic %s already exists with %d partitions, not %d", name, have, partitions);
        } else if (e) {
            snprintf(text, sizeof text, "create topic %s: %s", name, rd_kafka_err2str(e));
        } else {
            continue;
        }
        add_error(err, errlen, text);
        rc = -1;
    }
    rd_kafka_event_destroy(ev);
cleanup:
    for (size_t i = 0; i < n; i++)
        if (nt[i]) rd_kafka_NewTopic_destroy(nt[i]);
    free(nt);
    rd_kafka_AdminOptions_destroy(opt);
    rd_kafka_queue_destroy(q);
    return rc;
}

int ap_kafka_topic_config(rd_kafka_t *rk, const char *topic, const char *name, char *out, size_t outlen, int timeout_ms,
                          char *err, size_t errlen) {
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    rd_kafka_AdminOptions_set_request_timeout(opt, timeout_ms, NULL, 0);
    int rc = -1;
    rd_kafka_DescribeConfigs(rk, &res, 1, opt, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 5000);
    if (!ev) {
        snprintf(err, errlen, "describe %s: no answer from the broker", topic);
    } else if (rd_kafka_event_error(ev)) {
        snprintf(err, errlen, "describe %s: %s", topic, rd_kafka_event_error_string(ev));
    } else {
        size_t nres, ncfg;
        const rd_kafka_ConfigResource_t **r = rd_kafka_DescribeConfigs_result_resources(
            rd_kafka_event_DescribeConfigs_result(ev), &nres);
        if (nres != 1 || rd_kafka_ConfigResource_error(r[0])) {
            snprintf(err, errlen, "describe %s: %s", topic,
                     nres == 1 ? rd_kafka_ConfigResource_error_string(r[0]) : "no result");
        } else {
            const rd_kafka_ConfigEntry_t **c = rd_kafka_ConfigResource_configs(r[0], &ncfg);
            snprintf(err, errlen, "topic %s has no config %s", topic, name);
            for (size_t i = 0; i < ncfg && rc; i++)
                if (strcmp(rd_kafka_ConfigEntry_name(c[i]), name) == 0) {
                    const char *v = rd_kafka_ConfigEntry_value(c[i]);
                    snprintf(out, outlen, "%s", v ? v : "");
                    rc = 0;
                }
        }
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_ConfigResource_destroy(res);
    rd_kafka_AdminOptions_destroy(opt);
    rd_kafka_queue_destroy(q);
    return rc;
}

int ap_kafka_input_partitions(rd_kafka_t *rk, const char *const *topics, size_t n, int32_t *counts, int timeout_ms,
                              char *err, size_t errlen) {
    int same = 1;
    for (size_t i = 0; i < n; i++) {
        int c = ap_kafka_partition_count(rk, topics[i], timeout_ms, err, errlen);
        if (c < 0) return -1;
        counts[i] = c;
        same &= counts[i] == counts[0];
    }
    if (same) return 0;
    int used = snprintf(err, errlen, "input topics have different partition counts (");
    for (size_t i = 0; i < n && used >= 0 && (size_t)used < errlen; i++)
        used += snprintf(err + used, errlen - (size_t)used, "%s%s=%" PRId32, i ? " " : "", topics[i], counts[i]);
    if (used >= 0 && (size_t)used < errlen)
        snprintf(err + used, errlen - (size_t)used,
                 "): a citizen's events would be on different partitions of different topics; "
                 "every input topic needs the same count (README Co-partitioning)");
    return 1;
}
