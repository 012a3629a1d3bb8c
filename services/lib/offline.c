/* offline.c - the offline engine: an exported file replayed in-process,
 * partitions side by side, lines in partition order. See offline.h. */
#include "arbejdspligt/offline.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arbejdspligt/buf.h"
#include "arbejdspligt/lane.h"
#include "arbejdspligt/log.h"
#include "arbejdspligt/store_memory.h"

/* One input record of the file, held in memory (pointing into the view). */
typedef struct held {
    int32_t partition;
    uint8_t kind, is_tick;
    uint32_t keylen, len;
    int64_t offset, timestamp;
    int64_t tick_time;
    const uint8_t *key, *value; /* NULL: none */
} held_t;

struct ap_offline {
    char topics[AP_TOPIC_KINDS][AP_TOPIC_CAP];
    held_t *recs;  /* in file order (sorted in place if the file was not in export order) */
    size_t n, cap;
    uint32_t *idx; /* recs sorted (sort_held) */
    ap_export_view_t *view; /* owns what recs point to */
    uint64_t ignored;       /* records of other topics */
};

static int collect(void *ctx, const ap_record_t *r) {
    ap_offline_t *o = ctx;
    int kind = -1;
    for (int k = 0; k < AP_TOPIC_KINDS; k++)
        if (strcmp(o->topics[k], r->topic) == 0) kind = k;
    if (kind < 0) { o->ignored++; return 0; }
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 4096;
        o->recs = realloc(o->recs, o->cap * sizeof *o->recs);
        if (!o->recs) abort();
    }
    held_t *h = &o->recs[o->n++];
    memset(h, 0, sizeof *h);
    h->kind = (uint8_t)kind;
    h->partition = r->partition;
    h->offset = r->offset;
    h->timestamp = r->timestamp;
    h->key = r->key;
    h->keylen = (uint32_t)r->keylen;
    h->value = r->payload;
    h->len = (uint32_t)r->len;
    h->is_tick = (uint8_t)ap_events_tick_time(r->payload, r->len, &h->tick_time); /* as the intake decides */
    return 0;
}

static int cmp_held(const void *a, const void *b) {
    const held_t *x = a, *y = b;
    if (x->partition != y->partition) return x->partition < y->partition ? -1 : 1;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

/* One partition's records: [lo, hi) of the sorted order. */
typedef struct part_range {
    size_t lo, hi;
} part_range_t;

/* Orders the records by partition, topic kind and offset, as indices
 * (o->idx) into the records, which stay where they were read (a second copy
 * of a national year's records would be half a gigabyte of fresh pages), and
 * lists each partition's range. An export lists each topic-partition in
 * strictly increasing offsets, so one pass counts the records per (partition,
 * kind) and checks that order, and a second places the indices: no random
 * access, and no duplicates to drop. A file in any other order (a merge of
 * overlapping exports, say), or with partition numbers no Kafka topic has, is
 * sorted in place and its repeated records dropped. */
static void sort_held(ap_offline_t *o, part_range_t **ranges, size_t *n_ranges) {
    if (o->n > UINT32_MAX) abort(); /* 4 billion records: far beyond a year */
    if (!(o->idx = malloc((o->n ? o->n : 1) * sizeof *o->idx))) abort();
    int32_t top = -1;
    int ordered = 1;
    for (size_t i = 0; i < o->n; i++) {
        if (o->recs[i].partition > top) top = o->recs[i].partition;
        if (o->recs[i].partition < 0) ordered = 0;
    }
    size_t nb = ordered && top < (1 << 16) ? ((size_t)top + 1) * AP_TOPIC_KINDS : 0;
    size_t *at = nb ? calloc(nb + 1, sizeof *at) : NULL;
    int64_t *last = nb ? malloc(nb * sizeof *last) : NULL;
    if (nb && (!at || !last)) abort();
    ordered = nb > 0;
    for (size_t b = 0; b < nb; b++) last[b] = INT64_MIN;
    for (size_t i = 0; ordered && i < o->n; i++) {
        size_t b = (size_t)o->recs[i].partition * AP_TOPIC_KINDS + o->recs[i].kind;
        ordered = o->recs[i].offset > last[b];
        last[b] = o->recs[i].offset;
        at[b + 1]++;
    }
    free(last);
    *ranges = NULL;
    *n_ranges = 0;
    if (ordered) {
        for (size_t b = 1; b <= nb; b++) at[b] += at[b - 1];
        size_t *next = malloc((nb ? nb : 1) * sizeof *next);
        if (!next) abort();
        memcpy(next, at, nb * sizeof *next);
        for (size_t i = 0; i < o->n; i++)
            o->idx[next[(size_t)o->recs[i].partition * AP_TOPIC_KINDS + o->recs[i].kind]++] = (uint32_t)i;
        free(next);
        if (!(*ranges = malloc((nb / AP_TOPIC_KINDS + 1) * sizeof **ranges))) abort();
        for (size_t b = 0; b < nb; b += AP_TOPIC_KINDS)
            if (at[b + AP_TOPIC_KINDS] > at[b]) (*ranges)[(*n_ranges)++] = (part_range_t){at[b], at[b + AP_TOPIC_KINDS]};
        free(at);
        return;
    }
    free(at);
    if (o->n) qsort(o->recs, o->n, sizeof *o->recs, cmp_held);
    size_t w = 0; /* the same record twice (overlapping exports): keep one */
    for (size_t i = 0; i < o->n; i++)
        if (w == 0 || cmp_held(&o->recs[w - 1], &o->recs[i]) != 0) o->recs[w++] = o->recs[i];
    o->n = w;
    for (size_t i = 0; i < o->n; i++) o->idx[i] = (uint32_t)i;
    if (!(*ranges = malloc((o->n ? o->n : 1) * sizeof **ranges))) abort();
    for (size_t lo = 0, hi; lo < o->n; lo = hi) {
        for (hi = lo; hi < o->n && o->recs[hi].partition == o->recs[lo].partition;) hi++;
        (*ranges)[(*n_ranges)++] = (part_range_t){lo, hi};
    }
}

/* Record i of the sorted order. */
static const held_t *sorted_at(const ap_offline_t *o, size_t i) { return &o->recs[o->idx[i]]; }

/* What the lane merge sees of a topic's next record: the one at pos, if
 * the topic's range [pos, end) has one. */
static ap_lane_head_t head_at(const ap_offline_t *o, size_t pos, size_t end) {
    if (pos >= end) return (ap_lane_head_t){0, 0, 0};
    const held_t *h = sorted_at(o, pos);
    return (ap_lane_head_t){1, h->is_tick, h->tick_time};
}

/* The processing order of one partition's records [lo, hi) of the sorted
 * order (by topic kind, then offset), as the intake's lanes deliver them
 * live: the lane merge of lane.h, with each topic's whole range pending
 * from the start. Ticks never released stay held (as live), and so does
 * everything behind them. order gets indices into o->recs. */
static size_t lane_order(const ap_offline_t *o, size_t lo, size_t hi, size_t *order) {
    size_t start[AP_TOPIC_KINDS], end[AP_TOPIC_KINDS], pos[AP_TOPIC_KINDS], held_at[AP_TOPIC_KINDS] = {0};
    size_t n = 0;
    for (int k = 0; k < AP_TOPIC_KINDS; k++) start[k] = end[k] = hi;
    for (size_t i = hi; i-- > lo;) start[sorted_at(o, i)->kind] = i;
    ap_lane_t lane;
    ap_lane_init(&lane); /* a lane is every input topic's partition N */
    ap_lane_head_t head[AP_TOPIC_KINDS];
    for (int k = 0; k < AP_TOPIC_KINDS; k++) {
        end[k] = start[k];
        while (end[k] < hi && sorted_at(o, end[k])->kind == k) end[k]++;
        pos[k] = start[k];
        head[k] = head_at(o, pos[k], end[k]);
    }
    int k;
    ap_lane_step_t step;
    while ((step = ap_lane_next(&lane, head, &k)) != AP_LANE_IDLE) {
        if (step == AP_LANE_EMIT) order[n++] = o->idx[pos[k]++];
        else if (step == AP_LANE_HOLD) held_at[k] = pos[k]++;
        else order[n++] = o->idx[held_at[k]]; /* AP_LANE_RELEASE */
        head[k] = head_at(o, pos[k], end[k]);
    }
    return n;
}

/* Partitions are independent (all events of a citizen arrive on one
 * partition, and each partition has its own stream clock), so workers replay
 * whole partitions side by side, each with its own processor and in-process
 * store, and the lines are written in partition order: the same bytes one
 * worker writes. A partition's lines wait in memory until every partition
 * before it is written; from then on they stream. */
typedef struct part_out {
    size_t lo, hi;     /* its records in the sorted file */
    ap_buf_t lines;    /* formatted, not yet written */
    uint64_t n_lines;
    ap_buf_t dl_lines; /* its dead letters, the same way, for dl_file */
    uint64_t n_dl_lines;
    ap_buf_t mon_lines; /* its monitoring partials, for mon_file */
    uint64_t n_mon_lines;
    int done;
} part_out_t;

typedef struct offline_run {
    const ap_offline_run_config_t *cfg;
    const ap_processor_config_t *pcfg; /* cfg's, with the partition counts checked */
    ap_output_file_t *file;
    ap_output_file_t *dl_file; /* replay.dead_letters, or NULL */
    ap_output_file_t *mon_file; /* replay.monitoring, or NULL */
    const ap_offline_t *o;
    part_out_t *parts;
    size_t n_parts, longest;
    pthread_mutex_t mu; /* guards what follows, and writes to file */
    size_t next;        /* next partition to take */
    size_t head;        /* first partition not wholly written */
    int failed;
    char err[512];
    ap_processor_stats_t stats; /* summed over workers */
} offline_run_t;

typedef struct worker {
    offline_run_t *run;
    size_t part; /* the partition being replayed */
    pthread_t thread;
} worker_t;

/* Streams a partition's lines once every partition before it is written. */
#define STREAM_BYTES (256 * 1024)

static int part_produce(void *ctx, const char *topic, const void *key, size_t keylen, const void *value, size_t len,
                        const ap_event_t *event, char *err, size_t errlen) {
    worker_t *w = ctx;
    offline_run_t *r = w->run;
    part_out_t *po = &r->parts[w->part];
    ap_output_file_t *f = r->file;
    ap_buf_t *lines = &po->lines;
    uint64_t *n = &po->n_lines;
    if (strcmp(topic, r->pcfg->dead_letter_topic) == 0) f = r->dl_file, lines = &po->dl_lines, n = &po->n_dl_lines;
    else if (r->pcfg->monitoring_topic[0] && strcmp(topic, r->pcfg->monitoring_topic) == 0)
        f = r->mon_file, lines = &po->mon_lines, n = &po->n_mon_lines;
    if (!f) return 0;
    if (r->cfg->keep) { /* e.g. ap-replay's filters (results and alerts; dead letters and partials pass) */
        int keep = r->cfg->keep(r->cfg->keep_ctx, topic, value, len, event, err, errlen);
        if (keep <= 0) return keep;
    }
    int got = ap_output_file_format(f, topic, key, keylen, value, len, event, lines, err, errlen);
    if (got > 0) (*n)++;
    return got < 0 ? -1 : 0;
}

/* Writes what a partition has formatted so far to its files. */
static int part_write(offline_run_t *r, part_out_t *po, char *err, size_t errlen) {
    int rc = ap_output_file_write(r->file, po->lines.data, po->lines.len, po->n_lines, err, errlen);
    if (rc == 0 && r->dl_file)
        rc = ap_output_file_write(r->dl_file, po->dl_lines.data, po->dl_lines.len, po->n_dl_lines, err, errlen);
    if (rc == 0 && r->mon_file)
        rc = ap_output_file_write(r->mon_file, po->mon_lines.data, po->mon_lines.len, po->n_mon_lines, err, errlen);
    ap_buf_reset(&po->lines);
    ap_buf_reset(&po->dl_lines);
    ap_buf_reset(&po->mon_lines);
    po->n_lines = po->n_dl_lines = po->n_mon_lines = 0;
    return rc;
}

static int part_flush(void *ctx, int timeout_ms, char *err, size_t errlen) {
    (void)timeout_ms;
    worker_t *w = ctx;
    offline_run_t *r = w->run;
    part_out_t *po = &r->parts[w->part];
    if (po->lines.len + po->dl_lines.len + po->mon_lines.len < STREAM_BYTES) return 0;
    int rc = 0;
    pthread_mutex_lock(&r->mu);
    if (r->head == w->part) rc = part_write(r, po, err, errlen);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

/* Marks a partition replayed and writes every finished one in order. */
static int part_done(offline_run_t *r, size_t part, char *err, size_t errlen) {
    int rc = 0;
    pthread_mutex_lock(&r->mu);
    r->parts[part].done = 1;
    while (rc == 0 && r->head < r->n_parts && r->parts[r->head].done) {
        part_out_t *po = &r->parts[r->head++];
        rc = part_write(r, po, err, errlen);
        ap_buf_free(&po->lines);
        ap_buf_free(&po->dl_lines);
        ap_buf_free(&po->mon_lines);
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

static int replay_partition(offline_run_t *r, ap_processor_t *proc, const part_out_t *po, size_t *order,
                            ap_record_t *batch, char *err, size_t errlen) {
    const ap_offline_t *o = r->o;
    size_t n = lane_order(o, po->lo, po->hi, order);
    if (n < po->hi - po->lo)
        ap_log_info("records wait behind ticks the other topics never reached", "partition=%" PRId32 " records=%zu",
                    sorted_at(o, po->lo)->partition, po->hi - po->lo - n);
    for (size_t i = 0; i < n && *r->cfg->run;) {
        size_t m = 0;
        for (; m < r->cfg->batch_size && i + m < n; m++) {
            const held_t *h = &o->recs[order[i + m]];
            batch[m] = (ap_record_t){o->topics[h->kind], h->partition, h->offset, h->timestamp,
                                     h->key, h->keylen, h->value, h->len};
        }
        for (size_t off = 0; off < m;) {
            size_t consumed = 0;
            if (ap_processor_process(proc, batch + off, m - off, &consumed, NULL, err, errlen)) return -1;
            off += consumed;
        }
        i += m;
    }
    if (!*r->cfg->run) { snprintf(err, errlen, "interrupted"); return -1; }
    return 0;
}

static void sum_stats(ap_processor_stats_t *to, const ap_processor_stats_t *s) {
    to->applied += s->applied, to->duplicates += s->duplicates, to->superseded += s->superseded;
    to->dead_letters += s->dead_letters, to->ticks += s->ticks, to->results += s->results;
    to->alerts += s->alerts, to->weeks_closed += s->weeks_closed, to->cycles += s->cycles;
    to->months_evaluated += s->months_evaluated, to->monitoring_records += s->monitoring_records;
    to->us_apply += s->us_apply, to->us_evaluate += s->us_evaluate, to->us_flush += s->us_flush;
    to->us_commit += s->us_commit;
}

/* Each partition gets a processor and store of its own, released when it is
 * done: under the store contract (store.h: all events of a citizen arrive on
 * one partition, as live) nothing of one partition's state is read by
 * another, and a national year's state is never in memory all at once. */
static void *worker_main(void *arg) {
    worker_t *w = arg;
    offline_run_t *r = w->run;
    char err[512] = "";
    ap_output_t lines = {part_produce, part_flush, w}; /* part_produce sends dead letters to dl_lines */
    size_t *order = calloc(r->longest ? r->longest : 1, sizeof *order);
    ap_record_t *batch = calloc(AP_PROCESSOR_MAX_BATCH, sizeof *batch);
    if (!order || !batch) abort();
    int rc = 0;
    while (rc == 0) {
        pthread_mutex_lock(&r->mu);
        size_t part = r->failed ? r->n_parts : r->next++;
        pthread_mutex_unlock(&r->mu);
        if (part >= r->n_parts) break;
        w->part = part;
        ap_store_t *store = ap_store_memory_create();
        ap_processor_t *proc = ap_processor_create(r->pcfg, store, lines);
        if (!(rc = replay_partition(r, proc, &r->parts[part], order, batch, err, sizeof err)))
            rc = part_done(r, part, err, sizeof err);
        pthread_mutex_lock(&r->mu);
        sum_stats(&r->stats, ap_processor_stats(proc));
        pthread_mutex_unlock(&r->mu);
        ap_processor_destroy(proc);
        ap_store_destroy(store);
    }
    pthread_mutex_lock(&r->mu);
    if (rc && !r->failed) { r->failed = 1; snprintf(r->err, sizeof r->err, "%s", err); }
    pthread_mutex_unlock(&r->mu);
    free(order);
    free(batch);
    return NULL;
}

ap_offline_t *ap_offline_load(const char *path, const ap_export_opts_t *opts,
                              const char *const topics[AP_TOPIC_KINDS], char *err, size_t errlen) {
    ap_offline_t *o = calloc(1, sizeof *o);
    if (!o) abort();
    for (int k = 0; k < AP_TOPIC_KINDS; k++) snprintf(o->topics[k], sizeof o->topics[k], "%s", topics[k]);
    double t0 = ap_log_monotonic_s();
    if (ap_export_read_view(path, opts, &o->view, collect, o, err, errlen) < 0) {
        ap_offline_destroy(o);
        return NULL;
    }
    ap_log_info("file read", "records=%zu seconds=%.3f in_place=%d verified=%d", o->n, ap_log_monotonic_s() - t0,
                ap_export_view_in_place(o->view), ap_export_view_verified(o->view));
    if (!ap_export_view_verified(o->view))
        ap_log_warn("the file has no manifest: it may be cut short; read because replay.unverified=1", "records=%zu", o->n);
    return o;
}

size_t ap_offline_records(const ap_offline_t *o) { return o->n; }

void ap_offline_destroy(ap_offline_t *o) {
    if (!o) return;
    free(o->recs);
    free(o->idx);
    ap_export_view_free(o->view);
    free(o);
}

int ap_offline_run(ap_offline_t *op, const ap_offline_run_config_t *cfg, uint64_t *records_in,
                   ap_processor_stats_t *stats, char *err, size_t errlen) {
    if (op->idx) { /* sorted and replayed already */
        snprintf(err, errlen, "the offline engine replays its records once");
        return -1;
    }
    ap_offline_t o = *op; /* the records are sorted below; op gets them back at the end */
    const ap_processor_config_t *pcfg = cfg->processor;
    offline_run_t r = {.cfg = cfg, .pcfg = pcfg, .file = cfg->results, .dl_file = cfg->dead_letters,
                       .mon_file = cfg->monitoring, .o = &o};
    worker_t *workers = NULL;
    size_t n_workers = 0;
    int rc = 0;
    if (o.ignored) ap_log_warn("records of other topics ignored", "records=%" PRIu64, o.ignored);
    /* The partition check needs the counts the topics had: from the file's
     * count records (export.h), else replay.partitions, else no check. */
    ap_processor_config_t checked = *pcfg;
    r.pcfg = &checked;
    for (int k = 0; k < AP_TOPIC_KINDS; k++) {
        checked.partitions[k] = ap_export_view_partitions(o.view, o.topics[k]);
        if (!checked.partitions[k]) checked.partitions[k] = cfg->partitions;
        if (checked.partitions[k] != checked.partitions[0]) {
            snprintf(err, errlen,
                     "input topics have different partition counts (%s=%" PRId32 " %s=%" PRId32
                     "): the live processor refuses to start on them (README Co-partitioning)",
                     o.topics[0], checked.partitions[0], o.topics[k], checked.partitions[k]);
            rc = -1;
            goto done;
        }
    }
    if (!checked.partitions[0])
        ap_log_warn("the file records no partition counts; records are not checked against murmur2 partitions",
                    "hint=\"%s\"", "set replay.partitions to the topics' count");
    part_range_t *ranges;
    sort_held(&o, &ranges, &r.n_parts);
    *records_in = o.n;
    if (!(r.parts = calloc(r.n_parts ? r.n_parts : 1, sizeof *r.parts))) abort();
    for (size_t k = 0; k < r.n_parts; k++) {
        r.parts[k] = (part_out_t){ranges[k].lo, ranges[k].hi, AP_BUF_INIT, 0, AP_BUF_INIT, 0, AP_BUF_INIT, 0, 0};
        if (ranges[k].hi - ranges[k].lo > r.longest) r.longest = ranges[k].hi - ranges[k].lo;
    }
    free(ranges);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    n_workers = cfg->workers ? cfg->workers : cpus > 0 ? (size_t)cpus : 1;
    if (n_workers > r.n_parts) n_workers = r.n_parts ? r.n_parts : 1;
    ap_log_info("replaying partitions", "partitions=%zu workers=%zu", r.n_parts, n_workers);
    pthread_mutex_init(&r.mu, NULL);
    if (!(workers = calloc(n_workers, sizeof *workers))) abort();
    for (size_t i = 0; i < n_workers; i++) {
        workers[i].run = &r;
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i])) abort();
    }
    for (size_t i = 0; i < n_workers; i++) pthread_join(workers[i].thread, NULL);
    pthread_mutex_destroy(&r.mu);
    *stats = r.stats;
    if (r.failed) { snprintf(err, errlen, "%s", r.err); rc = -1; }
done:
    for (size_t k = 0; k < r.n_parts; k++) {
        ap_buf_free(&r.parts[k].lines);
        ap_buf_free(&r.parts[k].dl_lines);
        ap_buf_free(&r.parts[k].mon_lines);
    }
    free(r.parts);
    free(workers);
    *op = o;
    return rc;
}

