/* intake.c - group membership with sink-owned offsets, tick-aligned lanes. See intake.h. */
#include "arbejdspligt/intake.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arbejdspligt/log.h"

#define MAX_LANES 1024

typedef struct lane_topic {
    rd_kafka_queue_t *q;       /* the partition's own queue, NULL if not assigned */
    rd_kafka_message_t *held;  /* a tick waiting at the barrier */
    int phantom;               /* waiting at a tick processed before a restart (no message) */
    int64_t held_time;
    int64_t released_time;     /* the last tick let through */
} lane_topic_t;

typedef struct lane {
    int32_t partition;
    int used;
    lane_topic_t t[AP_INTAKE_TOPICS];
} lane_t;

struct ap_intake {
    rd_kafka_t *rk;
    char topics[AP_INTAKE_TOPICS][256];
    ap_intake_offset_fn offset_fn;
    ap_intake_clock_fn clock_fn;
    ap_intake_tick_fn tick_fn;
    void *ctx;
    lane_t *lanes;
    size_t rr;       /* lane to read first next time, for fairness */
    size_t assigned; /* topic-partitions assigned */
    /* the batch being filled by ap_intake_poll */
    rd_kafka_message_t **out;
    size_t n_out, max_out;
};

static int topic_index(const ap_intake_t *in, const char *topic) {
    for (int k = 0; k < AP_INTAKE_TOPICS; k++)
        if (strcmp(in->topics[k], topic) == 0) return k;
    return -1;
}

static lane_t *lane_for(ap_intake_t *in, int32_t partition, int create) {
    lane_t *free_slot = NULL;
    for (size_t i = 0; i < MAX_LANES; i++) {
        if (in->lanes[i].used && in->lanes[i].partition == partition) return &in->lanes[i];
        if (!in->lanes[i].used && !free_slot) free_slot = &in->lanes[i];
    }
    if (!create || !free_slot) return NULL;
    memset(free_slot, 0, sizeof *free_slot);
    free_slot->used = 1;
    free_slot->partition = partition;
    return free_slot;
}

static void restore_barrier(ap_intake_t *in, lane_t *l);

static void assign(ap_intake_t *in, rd_kafka_topic_partition_list_t *parts) {
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        int64_t next;
        int rc = in->offset_fn(in->ctx, p->topic, p->partition, &next);
        /* Without a stored position (new partition, or the store is down),
         * fall back to the broker's committed offset: it is never ahead of
         * the store's, because the store is written first. */
        p->offset = rc == 0 ? next : RD_KAFKA_OFFSET_INVALID;
        if (rc < 0) ap_log_warn("no stored position; using the committed offset", "topic=%s partition=%" PRId32,
                                p->topic, p->partition);
    }
    rd_kafka_resp_err_t e = rd_kafka_assign(in->rk, parts);
    if (e) ap_log_error("assign failed", "error=\"%s\"", rd_kafka_err2str(e));
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        int k = topic_index(in, p->topic);
        lane_t *l = lane_for(in, p->partition, 1);
        if (k < 0 || !l) continue;
        lane_topic_t *t = &l->t[k];
        t->q = rd_kafka_queue_get_partition(in->rk, p->topic, p->partition);
        if (t->q) rd_kafka_queue_forward(t->q, NULL); /* read it ourselves, lane by lane */
        t->held = NULL;
        t->phantom = 0;
        t->released_time = 0;
        in->assigned++;
        ap_log_info("partition assigned", "topic=%s partition=%" PRId32 " offset=%" PRId64, p->topic, p->partition,
                    p->offset);
    }
    for (size_t i = 0; i < MAX_LANES; i++) {
        lane_t *l = &in->lanes[i];
        int fresh = 0;
        for (int k = 0; k < AP_INTAKE_TOPICS; k++) fresh |= l->t[k].q && !l->t[k].released_time && !l->t[k].held;
        if (l->used && fresh) restore_barrier(in, l);
    }
}

/* Rebuilds a lane's barrier from the ticks the store has processed: a topic
 * whose last processed tick is later than another topic's waits (without a
 * message to hand out) until the others catch up, exactly as it would have
 * without the restart. */
static void restore_barrier(ap_intake_t *in, lane_t *l) {
    int64_t ticks[AP_INTAKE_TOPICS] = {0};
    if (in->clock_fn(in->ctx, l->partition, ticks)) {
        ap_log_warn("cannot read the partition clock; lane starts without a barrier", "partition=%" PRId32, l->partition);
        return;
    }
    for (int k = 0; k < AP_INTAKE_TOPICS; k++) l->t[k].released_time = ticks[k];
    for (int k = 0; k < AP_INTAKE_TOPICS; k++) {
        int behind = 0;
        for (int j = 0; j < AP_INTAKE_TOPICS; j++) behind |= j != k && ticks[j] < ticks[k];
        if (!behind) continue;
        l->t[k].phantom = 1;
        l->t[k].held_time = ticks[k];
        ap_log_info("lane barrier restored", "partition=%" PRId32 " topic=%s tick=%" PRId64, l->partition, in->topics[k],
                    ticks[k]);
    }
}

static void revoke(ap_intake_t *in, rd_kafka_topic_partition_list_t *parts) {
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        int k = topic_index(in, p->topic);
        lane_t *l = lane_for(in, p->partition, 0);
        if (k < 0 || !l) continue;
        lane_topic_t *t = &l->t[k];
        if (t->held) rd_kafka_message_destroy(t->held);
        if (t->q) rd_kafka_queue_destroy(t->q);
        memset(t, 0, sizeof *t);
        if (in->assigned) in->assigned--;
        int any = 0;
        for (int j = 0; j < AP_INTAKE_TOPICS; j++) any |= l->t[j].q != NULL;
        if (!any) l->used = 0;
        /* Records of a revoked partition not yet handed out are dropped: the
         * new owner reads them again from the stored position. */
        size_t w = 0;
        for (size_t r = 0; r < in->n_out; r++) {
            rd_kafka_message_t *m = in->out[r];
            if (m->partition == p->partition && strcmp(rd_kafka_topic_name(m->rkt), p->topic) == 0)
                rd_kafka_message_destroy(m);
            else in->out[w++] = m;
        }
        in->n_out = w;
        ap_log_info("partition revoked", "topic=%s partition=%" PRId32, p->topic, p->partition);
    }
    rd_kafka_assign(in->rk, NULL);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts, void *opaque) {
    (void)rk;
    ap_intake_t *in = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) assign(in, parts);
    else revoke(in, parts);
}

ap_intake_t *ap_intake_create(const char *brokers, const char *group_id, const char *instance_id,
                              int session_timeout_ms, const char *const topics[AP_INTAKE_TOPICS],
                              ap_intake_offset_fn offset_fn, ap_intake_clock_fn clock_fn, ap_intake_tick_fn tick_fn,
                              void *ctx, char *err, size_t errlen) {
    ap_intake_t *in = calloc(1, sizeof *in);
    if (!in) abort();
    in->lanes = calloc(MAX_LANES, sizeof *in->lanes);
    if (!in->lanes) abort();
    for (int k = 0; k < AP_INTAKE_TOPICS; k++) snprintf(in->topics[k], sizeof in->topics[k], "%s", topics[k]);
    in->offset_fn = offset_fn;
    in->clock_fn = clock_fn;
    in->tick_fn = tick_fn;
    in->ctx = ctx;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_topic_partition_list_t *subs = NULL;
    const char *settings[][2] = {
        {"bootstrap.servers", brokers},
        {"group.id", group_id},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", "earliest"},
        /* range gives partition N of every subscribed topic to one member: a lane */
        {"partition.assignment.strategy", "range"},
        {"enable.partition.eof", "false"},
        /* a stopped topic at a barrier holds at most this much locally */
        {"queued.max.messages.kbytes", "16384"},
    };
    for (size_t i = 0; i < sizeof settings / sizeof *settings; i++)
        if (rd_kafka_conf_set(conf, settings[i][0], settings[i][1], err, errlen) != RD_KAFKA_CONF_OK) goto fail;
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", session_timeout_ms);
    if (rd_kafka_conf_set(conf, "session.timeout.ms", timeout, err, errlen) != RD_KAFKA_CONF_OK) goto fail;
    if (instance_id && *instance_id &&
        rd_kafka_conf_set(conf, "group.instance.id", instance_id, err, errlen) != RD_KAFKA_CONF_OK)
        goto fail;
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_opaque(conf, in);
    in->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, errlen);
    if (!in->rk) goto fail;
    conf = NULL;
    rd_kafka_poll_set_consumer(in->rk);
    subs = rd_kafka_topic_partition_list_new(AP_INTAKE_TOPICS);
    for (int k = 0; k < AP_INTAKE_TOPICS; k++) rd_kafka_topic_partition_list_add(subs, topics[k], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(in->rk, subs);
    rd_kafka_topic_partition_list_destroy(subs);
    if (e) {
        snprintf(err, errlen, "subscribe failed: %s", rd_kafka_err2str(e));
        goto fail;
    }
    return in;
fail:
    if (conf) rd_kafka_conf_destroy(conf);
    ap_intake_destroy(in);
    return NULL;
}

/* A record of lane l, topic k: a tick stops the topic, anything else goes out. */
static void take(ap_intake_t *in, lane_topic_t *t, rd_kafka_message_t *m) {
    int64_t tick;
    if (in->tick_fn(in->ctx, m, &tick)) {
        t->held = m;
        t->held_time = tick;
    } else {
        in->out[in->n_out++] = m;
    }
}

/* Lets a held tick through once every other topic of the lane has reached a
 * tick at least as late (held or already released). */
static void release_ticks(ap_intake_t *in, lane_t *l) {
    int changed = 1;
    while (changed) {
        changed = 0;
        for (int k = 0; k < AP_INTAKE_TOPICS && in->n_out < in->max_out; k++) {
            lane_topic_t *t = &l->t[k];
            if (!t->held && !t->phantom) continue;
            int ready = 1;
            for (int j = 0; j < AP_INTAKE_TOPICS && ready; j++) {
                const lane_topic_t *o = &l->t[j];
                if (j == k || !o->q) continue; /* an unassigned topic cannot hold the lane */
                ready = ((o->held || o->phantom) && o->held_time >= t->held_time) || o->released_time >= t->held_time;
            }
            if (!ready) continue;
            if (t->held) in->out[in->n_out++] = t->held; /* a phantom was processed already: nothing to hand out */
            t->released_time = t->held_time;
            t->held = NULL;
            t->phantom = 0;
            changed = 1;
        }
    }
}

static void read_lane(ap_intake_t *in, lane_t *l) {
    for (int k = 0; k < AP_INTAKE_TOPICS; k++) {
        lane_topic_t *t = &l->t[k];
        while (t->q && !t->held && !t->phantom && in->n_out < in->max_out) {
            rd_kafka_message_t *m = rd_kafka_consume_queue(t->q, 0);
            if (!m) break;
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    ap_log_warn("partition error", "topic=%s error=\"%s\"", in->topics[k], rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
                continue;
            }
            take(in, t, m);
        }
    }
    release_ticks(in, l);
}

/* Serves rebalances and errors. A record can reach the consumer queue when it
 * was fetched before its lane was set up; it is the earliest of its lane. */
static void serve_consumer_queue(ap_intake_t *in) {
    rd_kafka_message_t *m;
    while ((m = rd_kafka_consumer_poll(in->rk, 0))) {
        if (m->err) {
            ap_log_warn("consumer error", "error=\"%s\"", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        int k = topic_index(in, rd_kafka_topic_name(m->rkt));
        lane_t *l = k < 0 ? NULL : lane_for(in, m->partition, 0);
        if (!l || l->t[k].held || l->t[k].phantom || in->n_out >= in->max_out) {
            /* Cannot place it in order: drop it; the stored position brings it back after a restart
             * of the lane (we re-seek below). */
            rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
            rd_kafka_topic_partition_list_add(list, rd_kafka_topic_name(m->rkt), m->partition)->offset = m->offset;
            rd_kafka_seek_partitions(in->rk, list, 1000);
            rd_kafka_topic_partition_list_destroy(list);
            rd_kafka_message_destroy(m);
            continue;
        }
        take(in, &l->t[k], m);
    }
}

static void sleep_ms(int ms) {
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

size_t ap_intake_poll(ap_intake_t *in, rd_kafka_message_t **msgs, size_t max, int timeout_ms) {
    in->out = msgs;
    in->n_out = 0;
    in->max_out = max;
    for (int waited = 0;; waited++) {
        serve_consumer_queue(in);
        for (size_t i = 0; i < MAX_LANES && in->n_out < max; i++) {
            lane_t *l = &in->lanes[(in->rr + i) % MAX_LANES];
            if (l->used) read_lane(in, l);
        }
        in->rr = (in->rr + 1) % MAX_LANES;
        if (in->n_out > 0 || waited >= timeout_ms) break;
        sleep_ms(1);
    }
    in->out = NULL;
    return in->n_out;
}

void ap_intake_release(rd_kafka_message_t **msgs, size_t n) {
    for (size_t i = 0; i < n; i++) rd_kafka_message_destroy(msgs[i]);
}

void ap_intake_commit(ap_intake_t *in, rd_kafka_message_t *const *msgs, size_t n) {
    if (!n) return;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);
    for (size_t i = 0; i < n; i++) {
        const char *topic = rd_kafka_topic_name(msgs[i]->rkt);
        rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(list, topic, msgs[i]->partition);
        if (!tp) tp = rd_kafka_topic_partition_list_add(list, topic, msgs[i]->partition);
        if (msgs[i]->offset + 1 > tp->offset) tp->offset = msgs[i]->offset + 1;
    }
    /* Asynchronous and informational (lag monitoring): positions live in the store. */
    rd_kafka_commit(in->rk, list, 1);
    rd_kafka_topic_partition_list_destroy(list);
}

size_t ap_intake_assigned(const ap_intake_t *in) { return in->assigned; }

void ap_intake_close(ap_intake_t *in) {
    if (!in || !in->rk) return;
    for (size_t i = 0; i < MAX_LANES; i++)
        for (int k = 0; k < AP_INTAKE_TOPICS; k++) {
            lane_topic_t *t = &in->lanes[i].t[k];
            if (t->held) rd_kafka_message_destroy(t->held);
            if (t->q) rd_kafka_queue_destroy(t->q); /* must precede consumer close */
            memset(t, 0, sizeof *t);
        }
    rd_kafka_consumer_close(in->rk);
}

void ap_intake_destroy(ap_intake_t *in) {
    if (!in) return;
    if (in->rk) rd_kafka_destroy(in->rk);
    free(in->lanes);
    free(in);
}
