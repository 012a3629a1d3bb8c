/* intake.c - group membership with sink-owned offsets, tick-aligned lanes. See intake.h. */
#include "arbejdspligt/intake.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arbejdspligt/lane.h"
#include "arbejdspligt/log.h"

_Static_assert(AP_INTAKE_TOPICS == AP_LANE_TOPICS, "a lane is the three input topics");

#define MAX_LANES 1024

/* A record fetched and not yet handed out, with what the merge needs of it. */
typedef struct pending {
    rd_kafka_message_t *m;
    int is_tick;
    int64_t tick_time;
} pending_t;

/* Records of a topic-partition not yet handed out, in fetch order: those
 * behind a held tick, or fetched while the batch was full. */
typedef struct backlog {
    pending_t *m;
    size_t head, len, cap;
} backlog_t;

/* What the intake keeps of a topic in a lane; the merge state (assigned,
 * waiting, tick times) is the lane's ap_lane_t. */
typedef struct lane_topic {
    int paused;
    rd_kafka_message_t *held; /* a tick waiting at the barrier; NULL while merge.waiting
                                 means a tick processed before a restart (ap_lane_restore) */
    backlog_t wait;
} lane_topic_t;

typedef struct lane {
    int32_t partition;
    int used;
    ap_lane_t merge; /* the order of the lane's records (lane.h) */
    lane_topic_t t[AP_INTAKE_TOPICS];
} lane_t;

struct ap_intake {
    rd_kafka_t *rk;
    char topics[AP_INTAKE_TOPICS][256];
    ap_intake_claim_fn claim_fn;
    ap_intake_offset_fn offset_fn;
    ap_intake_clock_fn clock_fn;
    ap_intake_tick_fn tick_fn;
    void *ctx;
    lane_t *lanes;
    size_t assigned;  /* topic-partitions assigned */
    unsigned long assignments; /* rebalances that assigned (the pump re-reads partition counts after one) */
    int store_failed; /* positions or barriers could not be read: consume nothing, recreate */
    /* the batch being filled by ap_intake_poll */
    rd_kafka_message_t **out;
    size_t n_out, max_out;
    size_t ticks_out; /* ticks released into it */
    double last_wake; /* monotonic seconds of the last wake_fetchers request */
};

/* After a tick is released into a batch, the poll waits this long for more:
 * a scheduler ticks every partition at once, and ticks that miss the batch
 * would wait a whole cycle (acknowledgement and transaction) to close their
 * weeks, instead of sharing this one. */
#define TICK_GATHER_MS 5

/* Waking parked fetchers (see wake_fetchers): after this long without a
 * record, at most once per interval, waiting this long for the answer. */
#define WAKE_AFTER_MS 5
#define WAKE_INTERVAL_MS 20
#define WAKE_TIMEOUT_MS 100

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
    ap_lane_init(&free_slot->merge);
    for (int k = 0; k < AP_INTAKE_TOPICS; k++) free_slot->merge.assigned[k] = 0; /* until assigned */
    return free_slot;
}

static void backlog_push(backlog_t *b, pending_t m) {
    if (b->head + b->len == b->cap) {
        if (b->head) { /* compact before growing */
            memmove(b->m, b->m + b->head, b->len * sizeof *b->m);
            b->head = 0;
        }
        if (b->len == b->cap) {
            b->cap = b->cap ? b->cap * 2 : 64;
            b->m = realloc(b->m, b->cap * sizeof *b->m);
            if (!b->m) abort();
        }
    }
    b->m[b->head + b->len++] = m;
}

/* Forgets topic k of a lane (revoked, or assigned anew), and whether it is ours. */
static void lane_topic_clear(lane_t *l, int k, int assigned) {
    lane_topic_t *t = &l->t[k];
    if (t->held) rd_kafka_message_destroy(t->held);
    for (size_t i = 0; i < t->wait.len; i++) rd_kafka_message_destroy(t->wait.m[t->wait.head + i].m);
    free(t->wait.m);
    memset(t, 0, sizeof *t);
    ap_lane_reset_topic(&l->merge, k, assigned);
}

/* Pausing stops fetching, so what waits behind a barrier stays small. */
static void set_paused(ap_intake_t *in, int k, int32_t partition, lane_topic_t *t, int pause) {
    if (t->paused == pause) return;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, in->topics[k], partition);
    if (pause) rd_kafka_pause_partitions(in->rk, list);
    else rd_kafka_resume_partitions(in->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    t->paused = pause;
}

static void restore_barrier(ap_intake_t *in, lane_t *l);

static void assign(ap_intake_t *in, rd_kafka_topic_partition_list_t *parts) {
    in->assignments++;
    /* Take each partition (lane) first, once: after the claim the previous
     * owner can write nothing more to it, so the positions and barriers read
     * next are final (store.h, fencing). */
    for (int i = 0; i < parts->cnt && in->claim_fn; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++) seen |= parts->elems[j].partition == parts->elems[i].partition;
        if (!seen && in->claim_fn(in->ctx, parts->elems[i].partition) < 0) in->store_failed = 1;
    }
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        int64_t next;
        int rc = in->offset_fn(in->ctx, p->topic, p->partition, &next);
        /* The store is the only source of positions. Without one, start at
         * the beginning (applying again is a no-op), never at the broker's
         * committed offset: after Redis loses its last second of writes that
         * offset can be ahead of the state, and records would be skipped. */
        p->offset = rc == 0 ? next : RD_KAFKA_OFFSET_BEGINNING;
        /* Unknown position or barrier: reading would risk running ahead of
         * the state or past a barrier. Read nothing; the owner recreates us. */
        if (rc < 0) in->store_failed = 1;
    }
    rd_kafka_resp_err_t e = rd_kafka_assign(in->rk, parts);
    if (e) ap_log_error("assign failed", "error=\"%s\"", rd_kafka_err2str(e));
    /* Lag monitoring reads the broker's committed offsets, which trail the
     * store's positions when an instance died between its cycle's
     * transaction and its (asynchronous) broker commit. Commit the stored
     * positions now: with nothing left to read, no cycle would ever do it,
     * and the group would show lag it does not have. */
    rd_kafka_topic_partition_list_t *stored = rd_kafka_topic_partition_list_new(parts->cnt);
    for (int i = 0; i < parts->cnt; i++)
        if (parts->elems[i].offset >= 0)
            rd_kafka_topic_partition_list_add(stored, parts->elems[i].topic, parts->elems[i].partition)->offset =
                parts->elems[i].offset;
    if (stored->cnt) rd_kafka_commit(in->rk, stored, 1);
    rd_kafka_topic_partition_list_destroy(stored);
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        int k = topic_index(in, p->topic);
        lane_t *l = lane_for(in, p->partition, 1);
        if (k < 0 || !l) continue;
        lane_topic_clear(l, k, 1);
        in->assigned++;
        ap_log_info("partition assigned", "topic=%s partition=%" PRId32 " offset=%" PRId64, p->topic, p->partition,
                    p->offset);
    }
    for (size_t i = 0; i < MAX_LANES; i++) {
        lane_t *l = &in->lanes[i];
        int fresh = 0;
        for (int k = 0; k < AP_INTAKE_TOPICS; k++)
            fresh |= l->merge.assigned[k] && !l->merge.released[k] && !l->merge.waiting[k];
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
        in->store_failed = 1;
        return;
    }
    unsigned stopped = ap_lane_restore(&l->merge, ticks);
    for (int k = 0; k < AP_INTAKE_TOPICS; k++) {
        if (!(stopped & 1u << k)) continue;
        set_paused(in, k, l->partition, &l->t[k], 1);
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
        lane_topic_clear(l, k, 0);
        if (in->assigned) in->assigned--;
        int any = 0;
        for (int j = 0; j < AP_INTAKE_TOPICS; j++) any |= l->merge.assigned[j];
        if (!any) l->used = 0;
        /* Records of a revoked partition not yet handed out are dropped: the
         * new owner reads them again from the stored position. */
        size_t w = 0;
        for (size_t r = 0; in->out && r < in->n_out; r++) {
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

ap_intake_t *ap_intake_create(const ap_kafka_conn_t *conn, const char *group_id, const char *instance_id,
                              int session_timeout_ms, int queue_kib, const char *const topics[AP_INTAKE_TOPICS],
                              ap_intake_claim_fn claim_fn, ap_intake_offset_fn offset_fn, ap_intake_clock_fn clock_fn,
                              ap_intake_tick_fn tick_fn, void *ctx, char *err, size_t errlen) {
    ap_intake_t *in = calloc(1, sizeof *in);
    if (!in) abort();
    in->lanes = calloc(MAX_LANES, sizeof *in->lanes);
    if (!in->lanes) abort();
    for (int k = 0; k < AP_INTAKE_TOPICS; k++) snprintf(in->topics[k], sizeof in->topics[k], "%s", topics[k]);
    in->claim_fn = claim_fn;
    in->offset_fn = offset_fn;
    in->clock_fn = clock_fn;
    in->tick_fn = tick_fn;
    in->ctx = ctx;
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_topic_partition_list_t *subs = NULL;
    char queue[16];
    snprintf(queue, sizeof queue, "%d", queue_kib > 0 ? queue_kib : 4096);
    const char *settings[][2] = {
        {"group.id", group_id},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", "earliest"},
        /* range gives partition N of every subscribed topic to one member: a lane */
        {"partition.assignment.strategy", "range"},
        {"enable.partition.eof", "false"},
        /* Bound what librdkafka prefetches (one queue for the whole
         * consumer): records fetched behind a barrier wait in memory. A full
         * queue parks the fetcher for up to a second in librdkafka 2.0;
         * wake_fetchers ends that as soon as the queue runs dry, so the
         * queue can be small. Measured over 4 weeks: 1-4 MiB equally fast,
         * peak RSS 41-49 MiB (8 MiB without the wake-up: 25 % slower, 61
         * MiB); but below 4 MiB p99 latency at 10,000 events/s rose by a
         * fifth, so 4 MiB it is. */
        {"queued.max.messages.kbytes", queue},
        /* A fetched message pins its whole fetch response (decompressed):
         * keep them small. Per partition 256 KiB: a tick held at a barrier
         * pins one such response per topic-partition (peak RSS 66 -> 57 MiB
         * over 4 weeks, same throughput; a 1 MiB fetch with a 4 MiB queue
         * took it to 40 MiB but read a third slower). */
        {"fetch.max.bytes", "2097152"},
        {"max.partition.fetch.bytes", "262144"},
        /* One fetch request at a time goes to a broker, and a partition
         * resumed after a barrier joins only the next one: with the default
         * (500 ms) the long poll of a request over idle partitions held up
         * week closes by up to that much. An idle consumer pays with about
         * 50 small requests a second. */
        {"fetch.wait.max.ms", "20"},
    };
    /* Brokers, TLS, SASL and the passthrough come from conn (kafka.h). */
    const char *role[2 * sizeof settings / sizeof *settings + 1];
    for (size_t i = 0; i < sizeof settings / sizeof *settings; i++) {
        role[2 * i] = settings[i][0];
        role[2 * i + 1] = settings[i][1];
    }
    role[2 * sizeof settings / sizeof *settings] = NULL;
    if (!(conf = ap_kafka_conf_new(conn, role, err, errlen))) goto fail;
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

/* A record of topic k in lane l, in fetch order: it joins the topic's
 * backlog, and the lane merge (lane.h) decides when it goes out. */
static void route(ap_intake_t *in, lane_t *l, int k, rd_kafka_message_t *m) {
    pending_t p = {m, 0, 0};
    p.is_tick = in->tick_fn(in->ctx, m, &p.tick_time) != 0;
    backlog_push(&l->t[k].wait, p);
}

static ap_lane_head_t head_of(const lane_topic_t *t) {
    if (!t->wait.len) return (ap_lane_head_t){0, 0, 0};
    const pending_t *p = &t->wait.m[t->wait.head];
    return (ap_lane_head_t){1, p->is_tick, p->tick_time};
}

static rd_kafka_message_t *backlog_pop(backlog_t *b) {
    rd_kafka_message_t *m = b->m[b->head++].m;
    if (!--b->len) b->head = 0;
    return m;
}

/* Hands out the lane's records in the merge's order until it is idle or the
 * batch is full: every ready tick before any record that waited behind one,
 * so the processor sees the same records before each tick whatever the
 * fetch timing (a record after tick T of one topic never slips in before the
 * equal tick of another topic). A held tick pauses its topic-partition
 * (librdkafka stops fetching it); once it is let through and its backlog is
 * handed out, the topic-partition resumes. */
static void release_ticks(ap_intake_t *in, lane_t *l) {
    ap_lane_head_t head[AP_INTAKE_TOPICS];
    for (int k = 0; k < AP_INTAKE_TOPICS; k++) head[k] = head_of(&l->t[k]);
    ap_lane_rewind(&l->merge); /* a round cut short by a full batch starts again */
    int k;
    ap_lane_step_t step;
    while (in->n_out < in->max_out && (step = ap_lane_next(&l->merge, head, &k)) != AP_LANE_IDLE) {
        lane_topic_t *t = &l->t[k];
        if (step == AP_LANE_EMIT) {
            in->out[in->n_out++] = backlog_pop(&t->wait);
        } else if (step == AP_LANE_HOLD) {
            t->held = backlog_pop(&t->wait);
            set_paused(in, k, l->partition, t, 1);
        } else if (t->held) { /* AP_LANE_RELEASE; without a message it was processed before a restart */
            in->out[in->n_out++] = t->held, in->ticks_out++;
            t->held = NULL;
        }
        head[k] = head_of(t);
        if (!l->merge.waiting[k] && !t->wait.len) set_paused(in, k, l->partition, t, 0);
    }
}

/* librdkafka 2.0 (Debian 12's) parks a fetcher once the consumer's queue
 * is full and looks again only when its broker thread next wakes, up to a
 * second later (later releases made that fetch.queue.backoff.ms). A queue
 * that holds less than a second of input then runs dry and the consumer
 * waits: measured, a third of a bulk run was empty polls. So when the queue
 * has been empty for WAKE_AFTER_MS while partitions we read have records
 * left (cached high watermark past our position), the intake asks their
 * leaders for end offsets: the request wakes each leader's broker thread,
 * which then fetches at once. Nothing else depends on the answer. */
static void wake_fetchers(ap_intake_t *in) {
    double now = ap_log_monotonic_s();
    if (now - in->last_wake < WAKE_INTERVAL_MS / 1000.0) return;
    rd_kafka_topic_partition_list_t *ours = rd_kafka_topic_partition_list_new(16);
    rd_kafka_topic_partition_list_t *behind = rd_kafka_topic_partition_list_new(16);
    for (size_t i = 0; i < MAX_LANES; i++) {
        const lane_t *l = &in->lanes[i];
        if (!l->used) continue;
        for (int k = 0; k < AP_INTAKE_TOPICS; k++)
            if (l->merge.assigned[k] && !l->t[k].paused) rd_kafka_topic_partition_list_add(ours, in->topics[k], l->partition);
    }
    if (ours->cnt && rd_kafka_position(in->rk, ours) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < ours->cnt; i++) {
            const rd_kafka_topic_partition_t *tp = &ours->elems[i];
            int64_t lo, hi;
            if (tp->err || tp->offset < 0) continue; /* nothing read yet: its first fetch is not parked */
            if (rd_kafka_get_watermark_offsets(in->rk, tp->topic, tp->partition, &lo, &hi) || hi <= tp->offset) continue;
            rd_kafka_topic_partition_list_add(behind, tp->topic, tp->partition)->offset = RD_KAFKA_OFFSET_END;
        }
    }
    if (behind->cnt) {
        in->last_wake = now;
        ap_log_debug("waking parked fetchers", "partitions=%d", behind->cnt);
        rd_kafka_offsets_for_times(in->rk, behind, WAKE_TIMEOUT_MS);
    }
    rd_kafka_topic_partition_list_destroy(ours);
    rd_kafka_topic_partition_list_destroy(behind);
}

size_t ap_intake_poll(ap_intake_t *in, rd_kafka_message_t **msgs, size_t max, int timeout_ms) {
    in->out = msgs;
    in->n_out = 0;
    in->max_out = max;
    in->ticks_out = 0;
    double gather_until = 0;
    /* What waits behind released barriers goes first. */
    for (size_t i = 0; i < MAX_LANES && in->n_out < max; i++)
        if (in->lanes[i].used) release_ticks(in, &in->lanes[i]);
    int wait = timeout_ms;
    while (in->n_out < max && !in->store_failed) {
        int t = in->n_out ? 0 : wait;
        if (in->ticks_out) {
            double now = ap_log_monotonic_s();
            if (!gather_until) gather_until = now + TICK_GATHER_MS / 1000.0;
            t = now < gather_until ? (int)((gather_until - now) * 1000) + 1 : 0;
        }
        /* An empty queue for WAKE_AFTER_MS may be a parked fetcher. */
        int first = !in->n_out && t > WAKE_AFTER_MS ? WAKE_AFTER_MS : t;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(in->rk, first);
        if (!m && first < t) {
            wake_fetchers(in);
            m = rd_kafka_consumer_poll(in->rk, t - first);
        }
        wait = 0;
        if (!m) break;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                ap_log_warn("consumer error", "error=\"%s\"", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        int k = topic_index(in, rd_kafka_topic_name(m->rkt));
        lane_t *l = k < 0 ? NULL : lane_for(in, m->partition, 0);
        if (!l || !l->merge.assigned[k]) { /* not ours (any more) */
            rd_kafka_message_destroy(m);
            continue;
        }
        route(in, l, k, m);
        release_ticks(in, l);
    }
    if (in->store_failed) { /* consume nothing until recreated */
        ap_intake_release(msgs, in->n_out);
        in->n_out = 0;
    }
    size_t n = in->n_out;
    /* Outside a poll (e.g. the revocation in ap_intake_close) there is no batch. */
    in->out = NULL;
    in->n_out = 0;
    return n;
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

unsigned long ap_intake_assignments(const ap_intake_t *in) { return in->assignments; }

rd_kafka_t *ap_intake_handle(ap_intake_t *in) { return in->rk; }

int ap_intake_position(ap_intake_t *in, const char *topic, int32_t partition, int64_t *next) {
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic, partition);
    int rc = -1;
    if (rd_kafka_position(in->rk, list) == RD_KAFKA_RESP_ERR_NO_ERROR && !list->elems[0].err) {
        rc = list->elems[0].offset < 0 ? 1 : 0;
        *next = list->elems[0].offset;
    }
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

int ap_intake_fatal(const ap_intake_t *in, char *err, size_t errlen) {
    if (in->store_failed) {
        snprintf(err, errlen, "partitions could not be claimed or their stored positions read when assigned");
        return 1;
    }
    return rd_kafka_fatal_error(in->rk, err, errlen) != RD_KAFKA_RESP_ERR_NO_ERROR;
}

void ap_intake_close(ap_intake_t *in) {
    if (!in || !in->rk) return;
    for (size_t i = 0; i < MAX_LANES; i++)
        for (int k = 0; k < AP_INTAKE_TOPICS; k++) lane_topic_clear(&in->lanes[i], k, 0);
    rd_kafka_consumer_close(in->rk);
}

void ap_intake_destroy(ap_intake_t *in) {
    if (!in) return;
    if (in->rk) rd_kafka_destroy(in->rk);
    free(in->lanes);
    free(in);
}
