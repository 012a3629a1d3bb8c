/* kafka.c - librdkafka set-up and never-drop produce. See kafka.h. */
#include "arbejdspligt/kafka.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arbejdspligt/buf.h"
#include "arbejdspligt/events.h"
#include "arbejdspligt/log.h"
#include "arbejdspligt/uuid.h"

static int set(rd_kafka_conf_t *conf, const char *k, const char *v, char *err, size_t errlen) {
    if (rd_kafka_conf_set(conf, k, v, err, errlen) != RD_KAFKA_CONF_OK) return -1;
    return 0;
}

static int set_all(rd_kafka_conf_t *conf, const char *const *kv, char *err, size_t errlen) {
    for (; kv && kv[0] && kv[1]; kv += 2)
        if (set(conf, kv[0], kv[1], err, errlen)) return -1;
    return 0;
}

/* ------------------------------------------------------------ security */

/* Properties a passthrough must not set: those with a named setting (one
 * way to say a thing; secrets only from files or the environment), and
 * those the delivery guarantees rest on (kafka.h, intake.h). */
static const char *const reserved[] = {
    "bootstrap.servers", "metadata.broker.list", "security.protocol", "ssl.ca.location",
    "ssl.certificate.location", "ssl.key.location", "ssl.key.password", "enable.ssl.certificate.verification",
    "ssl.endpoint.identification.algorithm", "sasl.mechanisms", "sasl.mechanism", "sasl.username", "sasl.password",
    "enable.idempotence", "acks", "request.required.acks", "partitioner", "group.id", "group.instance.id",
    "enable.auto.commit", "enable.auto.offset.store", "auto.offset.reset", "partition.assignment.strategy",
    "session.timeout.ms", "queued.max.messages.kbytes", NULL,
};

static int one_of(const char *v, const char *const *set) {
    for (; *set; set++)
        if (strcmp(v, *set) == 0) return 1;
    return 0;
}

int ap_kafka_conn_check(const ap_kafka_conn_t *c, char *err, size_t errlen) {
    static const char *const protocols[] = {"plaintext", "ssl", "sasl_plaintext", "sasl_ssl", NULL};
    static const char *const mechanisms[] = {"SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN", "OAUTHBEARER", NULL};
    if (!one_of(c->security_protocol, protocols)) {
        snprintf(err, errlen, "kafka.security_protocol must be plaintext, ssl, sasl_plaintext or sasl_ssl, not \"%.20s\"",
                 c->security_protocol);
        return -1;
    }
    int tls = strstr(c->security_protocol, "ssl") != NULL, sasl = strncmp(c->security_protocol, "sasl_", 5) == 0;
    /* A TLS file with plaintext is a protocol forgotten, not a wish. */
    const char *tls_only = c->ssl_ca_file[0] ? "kafka.ssl_ca_file"
                           : c->ssl_certificate_file[0] ? "kafka.ssl_certificate_file"
                           : c->ssl_key_file[0] ? "kafka.ssl_key_file"
                           : c->ssl_key_password[0] ? "kafka.ssl_key_password_file"
                           : !c->ssl_verify ? "kafka.ssl_verify=0" : NULL;
    if (!tls && tls_only) {
        snprintf(err, errlen, "%s is set but kafka.security_protocol is %s: TLS is not used (ssl or sasl_ssl?)",
                 tls_only, c->security_protocol);
        return -1;
    }
    if (!c->ssl_certificate_file[0] != !c->ssl_key_file[0]) {
        snprintf(err, errlen, "kafka.ssl_certificate_file and kafka.ssl_key_file go together: give both or neither");
        return -1;
    }
    if (c->ssl_key_password[0] && !c->ssl_key_file[0]) {
        snprintf(err, errlen, "kafka.ssl_key_password_file is set but there is no kafka.ssl_key_file");
        return -1;
    }
    const char *sasl_only = c->sasl_mechanism[0] ? "kafka.sasl_mechanism"
                            : c->sasl_username[0] ? "kafka.sasl_username"
                            : c->sasl_password[0] ? "kafka.sasl_password_file" : NULL;
    if (!sasl && sasl_only) {
        snprintf(err, errlen, "%s is set but kafka.security_protocol is %s: SASL is not used (sasl_ssl?)", sasl_only,
                 c->security_protocol);
        return -1;
    }
    if (sasl && !one_of(c->sasl_mechanism, mechanisms)) {
        snprintf(err, errlen,
                 "kafka.security_protocol %s needs kafka.sasl_mechanism SCRAM-SHA-512, SCRAM-SHA-256, PLAIN or "
                 "OAUTHBEARER (got \"%.20s\")", c->security_protocol, c->sasl_mechanism);
        return -1;
    }
    /* PLAIN sends the password as it is: only inside TLS. */
    if (sasl && !tls && strcmp(c->sasl_mechanism, "PLAIN") == 0) {
        snprintf(err, errlen, "kafka.sasl_mechanism PLAIN sends the password in clear: use kafka.security_protocol sasl_ssl");
        return -1;
    }
    if (sasl && strcmp(c->sasl_mechanism, "OAUTHBEARER") != 0 && (!c->sasl_username[0] || !c->sasl_password[0])) {
        snprintf(err, errlen, "kafka.sasl_mechanism %s needs kafka.sasl_username and a password "
                 "(kafka.sasl_password_file, AP_KAFKA_SASL_PASSWORD or AP_KAFKA_SASL_PASSWORD_FILE)", c->sasl_mechanism);
        return -1;
    }
    char name[128], value[8];
    for (size_t pos = 0; ap_config_property_next(c->properties, &pos, name, sizeof name, value, sizeof value);)
        if (one_of(name, reserved)) {
            snprintf(err, errlen, "kafka.property.%s is not accepted: it has a named kafka.* setting or the delivery "
                     "guarantees rest on it (README Security)", name);
            return -1;
        }
    return 0;
}

void ap_kafka_conn_describe(const ap_kafka_conn_t *c, char *out, size_t outlen) {
    int tls = strstr(c->security_protocol, "ssl") != NULL;
    snprintf(out, outlen, "security=%s%s%s%s%s", c->security_protocol, c->sasl_mechanism[0] ? " sasl=" : "",
             c->sasl_mechanism, tls ? (c->ssl_verify ? " verify=on" : " verify=OFF") : "",
             c->ssl_certificate_file[0] ? " client_certificate=yes" : "");
}

/* The last authentication or TLS failure a client reported, for
 * ap_kafka_await. Error callbacks run on whichever thread polls; a lock
 * keeps the slot whole. */
static pthread_mutex_t refusal_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    const rd_kafka_t *rk;
    char reason[384];
} refusal;

static int is_refusal(int err) {
    return err == RD_KAFKA_RESP_ERR__AUTHENTICATION || err == RD_KAFKA_RESP_ERR__SSL ||
           err == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED || err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
           err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED;
}

/* librdkafka's errors (a broker down, a failed authentication) as log lines,
 * as librdkafka logs them without this callback; refusals are remembered. */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)opaque;
    ap_log(AP_LOG_ERROR, "librdkafka", "facility=ERROR error=%s detail=\"%s\"", rd_kafka_err2name(err), reason);
    if (!is_refusal(err)) return;
    pthread_mutex_lock(&refusal_lock);
    refusal.rk = rk;
    snprintf(refusal.reason, sizeof refusal.reason, "%s", reason);
    pthread_mutex_unlock(&refusal_lock);
}

/* librdkafka's own log lines go through our logger (they carry no personal data). */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk;
    ap_log(level <= 3 ? AP_LOG_ERROR : level <= 4 ? AP_LOG_WARN : AP_LOG_DEBUG, "librdkafka", "facility=%s detail=\"%s\"",
           fac, buf);
}

/* Sets a property whose value must not appear in a message: librdkafka's
 * "Invalid value" text quotes it. */
static int set_quiet(rd_kafka_conf_t *conf, const char *prefix, const char *k, const char *v, char *err,
                     size_t errlen) {
    char why[512];
    if (rd_kafka_conf_set(conf, k, v, why, sizeof why) == RD_KAFKA_CONF_OK) return 0;
    if (*v && strstr(why, v)) snprintf(err, errlen, "%s%s: librdkafka refused its value", prefix, k);
    else snprintf(err, errlen, "%s%s: %s", prefix, k, why);
    return -1;
}

rd_kafka_conf_t *ap_kafka_conf_new(const ap_kafka_conn_t *c, const char *const *role, char *err, size_t errlen) {
    if (ap_kafka_conn_check(c, err, errlen)) return NULL;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int tls = strstr(c->security_protocol, "ssl") != NULL;
    if (set(conf, "bootstrap.servers", c->brokers, err, errlen) ||
        set(conf, "security.protocol", c->security_protocol, err, errlen))
        goto fail;
    if (tls) {
        /* Verification on by default: the CA chain and (librdkafka 2.0's
         * default "https") the host name against the certificate. */
        const char *kv[] = {"ssl.ca.location", c->ssl_ca_file, "ssl.certificate.location", c->ssl_certificate_file,
                            "ssl.key.location", c->ssl_key_file, NULL};
        for (int i = 0; kv[i]; i += 2)
            if (kv[i + 1][0] && set(conf, kv[i], kv[i + 1], err, errlen)) goto fail;
        if (c->ssl_key_password[0] && set_quiet(conf, "", "ssl.key.password", c->ssl_key_password, err, errlen)) goto fail;
        if (!c->ssl_verify && (set(conf, "enable.ssl.certificate.verification", "false", err, errlen) ||
                               set(conf, "ssl.endpoint.identification.algorithm", "none", err, errlen)))
            goto fail;
    }
    if (c->sasl_mechanism[0]) {
        if (set(conf, "sasl.mechanisms", c->sasl_mechanism, err, errlen)) goto fail;
        if (c->sasl_username[0] && set(conf, "sasl.username", c->sasl_username, err, errlen)) goto fail;
        if (c->sasl_password[0] && set_quiet(conf, "", "sasl.password", c->sasl_password, err, errlen)) goto fail;
    }
    if (set_all(conf, role, err, errlen)) goto fail;
    /* The passthrough last: what we did not foresee, including tuning of our
     * own choices (linger.ms, fetch sizes), but not the reserved ones. */
    char name[128], value[AP_KAFKA_PROPERTIES_CAP];
    for (size_t pos = 0; ap_config_property_next(c->properties, &pos, name, sizeof name, value, sizeof value);)
        if (set_quiet(conf, "kafka.property.", name, value, err, errlen)) goto fail;
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_error_cb(conf, on_error);
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

/* rd_kafka_new, with a hint where OpenSSL's words are cryptic: a key that
 * will not load is most often a wrong or missing passphrase. */
static rd_kafka_t *client_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, const ap_kafka_conn_t *conn, char *err,
                              size_t errlen) {
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, errlen);
    if (rk) return rk; /* rd_kafka_new took conf */
    rd_kafka_conf_destroy(conf);
    if (strstr(err, "ssl.key")) {
        size_t used = strlen(err);
        snprintf(err + used, errlen - used, " (cannot load kafka.ssl_key_file %.200s: is it PEM, and is its passphrase, "
                 "kafka.ssl_key_password_file, right?)", conn->ssl_key_file);
    }
    return NULL;
}

rd_kafka_t *ap_kafka_consumer_create(const ap_kafka_conn_t *conn, const char *const *role, char *err, size_t errlen) {
    rd_kafka_conf_t *conf = ap_kafka_conf_new(conn, role, err, errlen);
    return conf ? client_new(RD_KAFKA_CONSUMER, conf, conn, err, errlen) : NULL;
}

int ap_kafka_await(rd_kafka_t *rk, int timeout_ms, char *err, size_t errlen) {
    double deadline = ap_log_monotonic_s() + timeout_ms / 1e3;
    for (;;) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, NULL, &md, 500);
        if (md) rd_kafka_metadata_destroy(md);
        rd_kafka_poll(rk, 0); /* serves on_error */
        pthread_mutex_lock(&refusal_lock);
        /* A refusal of rk ends the wait; once connected, an earlier one was
         * passing (and the slot must not outlive rk). */
        int refused = e && refusal.rk == rk;
        if (refused)
            snprintf(err, errlen, "Kafka refused the connection (authentication or TLS): %s", refusal.reason);
        if (refusal.rk == rk) refusal.rk = NULL;
        pthread_mutex_unlock(&refusal_lock);
        if (!e) return 0;
        if (refused) return 1;
        if (ap_log_monotonic_s() >= deadline) {
            snprintf(err, errlen, "no Kafka broker answered within %d ms: %s", timeout_ms, rd_kafka_err2str(e));
            return -1;
        }
    }
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

rd_kafka_t *ap_kafka_producer_create(const ap_kafka_conn_t *conn, ap_kafka_delivery_t *delivery, const char *const *extra,
                                     char *err, size_t errlen) {
    /* Ours first, the caller's extra next (it may tune linger.ms), both
     * before conn's passthrough (ap_kafka_conf_new). */
    static const char *const ours[] = {"enable.idempotence", "true", "acks", "all", "linger.ms", "5",
                                       "batch.num.messages", "10000", "compression.codec", "lz4",
                                       "partitioner", "murmur2_random", NULL};
    const char *role[64];
    size_t n = 0;
    for (const char *const *kv = ours; *kv; kv++) role[n++] = *kv;
    for (const char *const *kv = extra; kv && kv[0] && kv[1] && n + 3 < sizeof role / sizeof *role; kv += 2) {
        role[n++] = kv[0];
        role[n++] = kv[1];
    }
    role[n] = NULL;
    rd_kafka_conf_t *conf = ap_kafka_conf_new(conn, role, err, errlen);
    rd_kafka_t *rk = NULL;
    if (!conf) return NULL;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, delivery);
    rk = client_new(RD_KAFKA_PRODUCER, conf, conn, err, errlen);
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

long ap_kafka_produce_ticks(rd_kafka_t *rk, const char *const *topics, size_t n, int64_t at, const char *source,
                            char *err, size_t errlen) {
    ap_buf_t out = AP_BUF_INIT;
    char name[512];
    long queued = 0;
    for (size_t t = 0; t < n; t++) {
        int parts = ap_kafka_partition_count(rk, topics[t], 10000, err, errlen);
        if (parts < 0) { queued = -1; break; }
        for (int p = 0; p < parts; p++) {
            ap_event_t ev;
            memset(&ev, 0, sizeof ev);
            ev.type = AP_EV_TICK;
            snprintf(name, sizeof name, "tick|%s|%d|%" PRId64 "|%s", topics[t], p, at, source);
            ap_uuid_derive(name, ev.u.tick.event_id);
            ev.u.tick.occurred_at = at;
            snprintf(ev.u.tick.source_system, sizeof ev.u.tick.source_system, "%s", source);
            ap_buf_reset(&out);
            ap_events_encode(&ev, &out);
            if (ap_kafka_produce(rk, topics[t], p, NULL, 0, out.data, out.len, err, errlen)) {
                ap_buf_free(&out);
                return -1;
            }
            queued++;
        }
    }
    ap_buf_free(&out);
    return queued;
}
