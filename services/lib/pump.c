/* pump.c - the consume-process loop of the services. See pump.h. */
#include "arbejdspligt/pump.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arbejdspligt/kafka.h"
#include "arbejdspligt/log.h"

#define MAX_PARTITIONS 1024

/* A start or end offset per input topic-partition. */
typedef struct tp_offset {
    int k;
    int32_t partition;
    int64_t offset;
} tp_offset_t;

struct ap_pump {
    ap_pump_config_t cfg;
    char topics[AP_INTAKE_TOPICS][AP_TOPIC_CAP];
    ap_store_t *store;
    ap_processor_t *proc;
    volatile sig_atomic_t *run;
    ap_pump_recover_fn recover;
    void *recover_ctx;
    ap_intake_t *intake;
    rd_kafka_message_t **msgs;
    void **tags; /* msgs as the processor reorders them with the records */
    ap_record_t *records;
    tp_offset_t *starts, *ends;
    size_t n_starts, n_ends;
    unsigned long assignments_checked; /* the intake's assignment count when the partition counts were last read */
    int stopped;                       /* the partition counts changed: stop (see pump.h) */
    char why[512];
};

/* After an assignment: are the input topics still partitioned as the
 * processor checks records (cfg.partitions)? 0 yes (or not watched), 1 no
 * (p->stopped set), -1 unknown for now (metadata unavailable: asked again at
 * the next step). */
static int partitions_changed(ap_pump_t *p) {
    unsigned long seen = ap_intake_assignments(p->intake);
    if (p->cfg.partitions <= 0 || seen == p->assignments_checked) return 0;
    const char *topics[AP_INTAKE_TOPICS] = {p->topics[0], p->topics[1], p->topics[2]};
    int32_t counts[AP_INTAKE_TOPICS];
    char err[512];
    int rc = ap_kafka_input_partitions(ap_intake_handle(p->intake), topics, AP_INTAKE_TOPICS, counts, 2000, err,
                                       sizeof err);
    if (rc < 0) {
        ap_log_warn("partition counts not read after assignment; asking again", "error=\"%s\"", err);
        return -1;
    }
    p->assignments_checked = seen;
    if (rc == 0 && counts[0] == p->cfg.partitions) return 0;
    if (rc == 0)
        snprintf(err, sizeof err, "the input topics now have %" PRId32 " partitions each", counts[0]);
    snprintf(p->why, sizeof p->why,
             "%.300s; started with %" PRId32 ": the stored state is partitioned by the old count, so keys would move "
             "between partitions; replay into a fresh namespace (README Co-partitioning)",
             err, p->cfg.partitions);
    p->stopped = 1;
    return 1;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void ap_pump_backoff(int *ms) {
    sleep_ms(*ms);
    *ms = *ms * 2 > 5000 ? 5000 : *ms * 2;
}

static int topic_kind(const ap_pump_t *p, const char *topic) {
    for (int k = 0; k < AP_INTAKE_TOPICS; k++)
        if (strcmp(p->topics[k], topic) == 0) return k;
    return -1;
}

/* The intake takes each assigned partition first: a new epoch in the store,
 * which the processor then writes the partition's state under (store.h). */
static int claim(void *ctx, int32_t partition) {
    ap_pump_t *p = ctx;
    int64_t epoch;
    if (ap_store_claim(p->store, partition, &epoch)) {
        ap_log_warn("partition not claimed", "partition=%" PRId32 " error=\"%s\"", partition, ap_store_error(p->store));
        return -1;
    }
    ap_processor_own(p->proc, partition, epoch);
    ap_log_info("partition claimed", "partition=%" PRId32 " epoch=%" PRId64, partition, epoch);
    return 0;
}

/* The intake asks where each assigned partition stands: the store's
 * position, else the configured start. */
static int start_position(void *ctx, const char *topic, int32_t partition, int64_t *next) {
    ap_pump_t *p = ctx;
    /* Assigned anew: another instance may have written it meanwhile. */
    ap_store_invalidate(p->store);
    int rc = ap_store_position_get(p->store, topic, partition, next);
    if (rc != 1) return rc;
    int k = topic_kind(p, topic);
    for (size_t i = 0; i < p->n_starts; i++)
        if (p->starts[i].k == k && p->starts[i].partition == partition) { *next = p->starts[i].offset; return 0; }
    if (p->cfg.start_offset == RD_KAFKA_OFFSET_BEGINNING) return 1;
    *next = p->cfg.start_offset;
    return 0;
}

/* ...and which ticks it has already processed on a partition. */
static int stored_ticks(void *ctx, int32_t partition, int64_t ticks[AP_INTAKE_TOPICS]) {
    ap_pump_t *p = ctx;
    ap_partition_clock_t c;
    if (ap_store_clock_get(p->store, partition, &c)) return -1;
    for (int k = 0; k < AP_INTAKE_TOPICS; k++) ticks[k] = c.tick[k];
    return 0;
}

/* The intake needs to recognise ticks, the barriers of its lanes. */
static int tick_time(void *ctx, const rd_kafka_message_t *m, int64_t *at) {
    (void)ctx;
    return ap_events_tick_time(m->payload, m->len, at);
}

static int64_t now_ms(void) { return (int64_t)(ap_log_monotonic_s() * 1000); }

/* Reports a retry starting (1: keeps the first start) or over (0). */
static void set_retrying(ap_pump_t *p, int retrying) {
    if (!p->cfg.status) return;
    atomic_store(&p->cfg.status->heartbeat_ms, now_ms()); /* a retry's turn is a sign of life too */
    if (!retrying) atomic_store(&p->cfg.status->retrying_since_ms, 0);
    else if (!atomic_load(&p->cfg.status->retrying_since_ms)) atomic_store(&p->cfg.status->retrying_since_ms, now_ms());
}

/* Waits until the store answers: assignment reads the positions from it. */
static void await_store(ap_pump_t *p) {
    for (int backoff = 200; *p->run && ap_store_ping(p->store) && ap_store_reconnect(p->store);) {
        set_retrying(p, 1);
        ap_log_warn("state store unavailable, retrying", "error=\"%s\" retry_ms=%d", ap_store_error(p->store), backoff);
        ap_pump_backoff(&backoff);
    }
    if (*p->run) set_retrying(p, 0); /* the store answers again */
}

static ap_intake_t *open_intake(ap_pump_t *p, char *err, size_t errlen) {
    const char *topics[AP_INTAKE_TOPICS] = {p->topics[0], p->topics[1], p->topics[2]};
    return ap_intake_create(p->cfg.kafka, p->cfg.group_id, p->cfg.instance_id, p->cfg.session_timeout_ms,
                            p->cfg.queue_kib, topics,
                            claim, start_position, stored_ticks, tick_time, p, err, errlen);
}

/* Replaces the consumer: the new one is assigned partitions afresh and seeks
 * each to the position the store has. 0, or -1 only when stopping. */
static int reopen_intake(ap_pump_t *p) {
    char err[512];
    ap_intake_close(p->intake);
    ap_intake_destroy(p->intake);
    p->intake = NULL;
    p->assignments_checked = 0; /* the new intake counts its assignments from 0 */
    await_store(p);
    while (*p->run && !(p->intake = open_intake(p, err, sizeof err))) {
        ap_log_error("cannot recreate consumer, retrying", "error=\"%s\"", err);
        sleep_ms(1000);
    }
    return p->intake ? 0 : -1;
}

/* Asks the broker for one offset per input topic-partition: the end
 * (high watermark) if at_time is 0, else the first offset at or after it. */
static int lookup_offsets(ap_pump_t *p, int64_t at_time, tp_offset_t **out, size_t *n, char *err, size_t errlen) {
    rd_kafka_t *rk = ap_kafka_consumer_create(p->cfg.kafka, NULL, err, errlen);
    if (!rk) return -1;
    tp_offset_t *list = calloc(MAX_PARTITIONS, sizeof *list);
    if (!list) abort();
    size_t count = 0;
    int rc = 0;
    static int64_t low[MAX_PARTITIONS], high[MAX_PARTITIONS];
    for (int k = 0; k < AP_INTAKE_TOPICS && rc == 0; k++) {
        int parts = ap_kafka_watermarks(rk, p->topics[k], low, high, MAX_PARTITIONS, 10000, err, errlen);
        if (parts < 0 || count + (size_t)parts > MAX_PARTITIONS) {
            if (parts >= 0) snprintf(err, errlen, "more than %d input partitions", MAX_PARTITIONS);
            rc = -1;
            break;
        }
        if (!at_time) {
            for (int32_t q = 0; q < parts; q++) list[count++] = (tp_offset_t){k, q, high[q]};
            continue;
        }
        rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(parts);
        for (int32_t q = 0; q < parts; q++) rd_kafka_topic_partition_list_add(tl, p->topics[k], q)->offset = at_time;
        if (rd_kafka_offsets_for_times(rk, tl, 10000)) {
            snprintf(err, errlen, "offsets for the start time of %s unavailable", p->topics[k]);
            rc = -1;
        }
        for (int i = 0; rc == 0 && i < tl->cnt; i++)
            /* -1: no record at or after the time; start at the end */
            list[count++] = (tp_offset_t){k, tl->elems[i].partition,
                                          tl->elems[i].offset < 0 ? RD_KAFKA_OFFSET_END : tl->elems[i].offset};
        rd_kafka_topic_partition_list_destroy(tl);
    }
    rd_kafka_destroy(rk);
    if (rc) { free(list); return -1; }
    *out = list;
    *n = count;
    return 0;
}

ap_pump_t *ap_pump_create(const ap_pump_config_t *cfg, ap_store_t *store, ap_processor_t *proc,
                          volatile sig_atomic_t *run, ap_pump_recover_fn recover, void *recover_ctx, char *err,
                          size_t errlen) {
    ap_pump_t *p = calloc(1, sizeof *p);
    if (!p) abort();
    p->cfg = *cfg;
    for (int k = 0; k < AP_INTAKE_TOPICS; k++) snprintf(p->topics[k], sizeof p->topics[k], "%s", cfg->topics[k]);
    if (p->cfg.batch_size < 1 || p->cfg.batch_size > AP_PROCESSOR_MAX_BATCH) p->cfg.batch_size = AP_PROCESSOR_MAX_BATCH;
    p->store = store;
    p->proc = proc;
    p->run = run;
    p->recover = recover;
    p->recover_ctx = recover_ctx;
    p->msgs = calloc(p->cfg.batch_size, sizeof *p->msgs);
    p->tags = calloc(p->cfg.batch_size, sizeof *p->tags);
    p->records = calloc(p->cfg.batch_size, sizeof *p->records);
    if (!p->msgs || !p->tags || !p->records) abort();
    if (cfg->start_time_ms > 0 && lookup_offsets(p, cfg->start_time_ms, &p->starts, &p->n_starts, err, errlen)) goto fail;
    if (cfg->start_time_ms <= 0 && cfg->start_offset > 0) {
        /* An offset past a partition's end would be "out of range", and the
         * consumer would reset to the beginning: start at the end instead. */
        if (lookup_offsets(p, 0, &p->starts, &p->n_starts, err, errlen)) goto fail;
        for (size_t i = 0; i < p->n_starts; i++)
            if (cfg->start_offset < p->starts[i].offset) p->starts[i].offset = cfg->start_offset;
    }
    if (!(p->intake = open_intake(p, err, errlen))) goto fail;
    return p;
fail:
    ap_pump_destroy(p);
    return NULL;
}

long ap_pump_step(ap_pump_t *p, int timeout_ms) {
    char err[512];
    if (!*p->run || p->stopped) return -1;
    /* A fatal client error (a fenced static member) is not the end: make a
     * new consumer. Positions live in the store: nothing skipped or repeated. */
    if (ap_intake_fatal(p->intake, err, sizeof err)) {
        ap_log_error("consumer must be recreated", "error=\"%s\"", err);
        if (reopen_intake(p)) return -1;
    }
    size_t n = ap_intake_poll(p->intake, p->msgs, p->cfg.batch_size, timeout_ms);
    if (p->cfg.status) {
        atomic_store(&p->cfg.status->last_poll_ms, now_ms());
        atomic_store(&p->cfg.status->heartbeat_ms, now_ms());
        atomic_store(&p->cfg.status->assigned, (int)ap_intake_assigned(p->intake));
        atomic_store(&p->cfg.status->assignments, ap_intake_assignments(p->intake));
    }
    /* Partitions added under us: stop before processing anything more (the
     * records are released unprocessed; their positions are not recorded). */
    if (partitions_changed(p) == 1) {
        ap_log_error("input partition counts changed; stopping", "error=\"%s\"", p->why);
        ap_intake_release(p->msgs, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        rd_kafka_message_t *m = p->msgs[i];
        p->tags[i] = m;
        p->records[i] = (ap_record_t){rd_kafka_topic_name(m->rkt), m->partition, m->offset,
                                      rd_kafka_message_timestamp(m, NULL), m->key, m->key_len, m->payload, m->len};
    }
    size_t off = 0;
    int backoff = 100, rewind = 0, fenced = 0;
    while (off < n && !rewind) {
        size_t consumed = 0;
        int rc = ap_processor_process(p->proc, p->records + off, n - off, &consumed, p->tags + off, err, sizeof err);
        for (size_t i = off; i < n; i++) p->msgs[i] = p->tags[i]; /* in the records' new order */
        if (rc == 0) {
            /* The store holds the new positions with the state; the broker
             * commit only feeds lag monitoring. */
            ap_intake_commit(p->intake, p->msgs + off, consumed);
            off += consumed;
            backoff = 100;
            set_retrying(p, 0);
            continue;
        }
        if (rc == AP_PROCESSOR_FENCED) {
            /* Another instance claimed one of the batch's partitions: this
             * one was out of the group (paused or cut off past its session
             * timeout) and its assignment is stale. The refused write changed
             * nothing and no offset of the batch is committed; the new owner
             * reads these records again from the stored positions. Rejoin:
             * the new consumer claims whatever it is assigned now. */
            ap_log_error("fenced: a partition is owned by a newer epoch; dropping the batch and rejoining the group",
                         "error=\"%s\" records=%zu", err, n - off);
            rewind = 1;
            fenced = 1;
            break;
        }
        set_retrying(p, 1);
        /* Nothing of this cycle is recorded; retrying it is safe. */
        ap_log_warn("cycle failed, retrying", "error=\"%s\" retry_ms=%d", err, backoff);
        if (!*p->run) {
            ap_log_warn("stopping with unrecorded records; they will be read again", "records=%zu", n - off);
            break;
        }
        ap_pump_backoff(&backoff);
        if (ap_store_ping(p->store)) {
            /* The store went away. Redis may come back without its last
             * second of writes (AOF everysec), positions included: reconnect,
             * then rewind the consumer to the positions the store has now. */
            await_store(p);
            rewind = 1;
            continue;
        }
        if (p->recover) p->recover(p->recover_ctx);
    }
    ap_intake_release(p->msgs, n);
    if (rewind && *p->run) {
        if (!fenced) ap_log_warn("state store reconnected; rewinding the consumer to the stored positions", "%s", "");
        if (reopen_intake(p)) return -1;
    }
    return (long)off;
}

int ap_pump_mark_end(ap_pump_t *p, char *err, size_t errlen) {
    free(p->ends);
    p->ends = NULL;
    p->n_ends = 0;
    return lookup_offsets(p, 0, &p->ends, &p->n_ends, err, errlen);
}

int ap_pump_at_end(ap_pump_t *p) {
    for (size_t i = 0; i < p->n_ends; i++) {
        const tp_offset_t *e = &p->ends[i];
        int64_t pos = 0, start = 0;
        int rc = ap_intake_position(p->intake, p->topics[e->k], e->partition, &pos);
        if (rc < 0) return 0;
        if (rc == 1) { /* nothing read: at the end only if there is nothing from where we start */
            if (start_position(p, p->topics[e->k], e->partition, &start) != 0) start = 0;
            if (start == RD_KAFKA_OFFSET_END || start >= e->offset) continue;
            return 0;
        }
        if (pos < e->offset) return 0;
    }
    return 1;
}

rd_kafka_t *ap_pump_consumer(ap_pump_t *p) { return p->intake ? ap_intake_handle(p->intake) : NULL; }

int ap_pump_stopped(const ap_pump_t *p, char *err, size_t errlen) {
    if (!p->stopped) return 0;
    snprintf(err, errlen, "%s", p->why);
    return 1;
}

void ap_pump_destroy(ap_pump_t *p) {
    if (!p) return;
    if (p->intake) {
        ap_intake_close(p->intake); /* leaves the group so partitions move at once */
        ap_intake_destroy(p->intake);
    }
    free(p->msgs);
    free(p->tags);
    free(p->records);
    free(p->starts);
    free(p->ends);
    free(p);
}
