/*
 * offline.h - the offline engine: the processor run over an exported file
 * (export.h) with in-process state, no broker and no Redis. The offline side
 * of what the pump (pump.h) is live: ap-replay's `file` mode wires settings
 * and output files to it.
 *
 * What it does, in order:
 *   - ap_offline_load reads the whole file and checks it against its
 *     manifest before anything is processed or written (an export is
 *     evidence: a cut or changed one must not give results), keeping the
 *     records of the three input topics in place (pointing into the file's
 *     view, never copied);
 *   - ap_offline_run orders them by partition, topic and offset, merges each
 *     partition's three topics with the lane merge the live intake uses
 *     (lane.h), and replays whole partitions side by side on `workers`
 *     threads, each partition with a processor and in-process store of its
 *     own (store.h: all events of a citizen arrive on one partition, so no
 *     partition reads another's state), released when it is done;
 *   - the lines are written in partition order, so any number of workers
 *     writes the bytes one worker writes: a partition's lines wait in memory
 *     until every partition before it is written, and from then on stream.
 *
 * The results are byte-identical to the live services' and to a Kafka
 * replay of the same records (tests/replay/three_way.sh).
 *
 * Ownership: ap_offline_load returns an engine the caller frees with
 * ap_offline_destroy (it owns the file's view and the record index). The
 * run borrows the processor configuration, the output files and the run
 * flag; it closes nothing. Errors are returned as -1 (NULL) with a message
 * in err; nothing is printed but the log lines of log.h.
 */
#ifndef AP_OFFLINE_H
#define AP_OFFLINE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "arbejdspligt/events.h"
#include "arbejdspligt/export.h"
#include "arbejdspligt/output.h"
#include "arbejdspligt/processor.h"

typedef struct ap_offline ap_offline_t;

/**
 * @brief Reads the exported file at path ("-": stdin) as opts says
 * (export.h), keeping the records of topics[AP_TOPIC_PLACEMENT ..
 * AP_TOPIC_EXEMPTION]; records of other topics are counted and ignored.
 * @return the engine, or NULL with err set (a file without a manifest says
 * "has no manifest").
 */
ap_offline_t *ap_offline_load(const char *path, const ap_export_opts_t *opts,
                              const char *const topics[AP_TOPIC_KINDS], char *err, size_t errlen);

/** @return the input records held (those of the three topics, before repeated ones are dropped). */
size_t ap_offline_records(const ap_offline_t *o);

/**
 * @brief Says whether an output record is written: 1 yes, 0 no, -1 on error
 * (err set; the replay stops). event is the decoded record when the
 * processor has it, else NULL (decode value if needed).
 */
typedef int (*ap_offline_keep_fn)(void *ctx, const char *topic, const void *value, size_t len,
                                  const ap_event_t *event, char *err, size_t errlen);

typedef struct ap_offline_run_config {
    /* Borrowed. Its partition counts are replaced by the file's (export.h
     * count records) or else by `partitions`. */
    const ap_processor_config_t *processor;
    int32_t partitions;   /* the input topics' partition count when the file records none; 0: no check */
    size_t workers;       /* partitions replayed at once; 0: one per CPU */
    size_t batch_size;    /* records per processor cycle, 1 .. AP_PROCESSOR_MAX_BATCH */
    /* Where the lines go (borrowed, not closed): results and alerts;
     * processor->dead_letter_topic to dead_letters and
     * processor->monitoring_topic to monitoring, each dropped if NULL. */
    ap_output_file_t *results;
    ap_output_file_t *dead_letters;
    ap_output_file_t *monitoring;
    ap_offline_keep_fn keep; /* NULL: every record */
    void *keep_ctx;
    volatile sig_atomic_t *run; /* borrowed; set to 0 (a signal): the replay stops, "interrupted" */
} ap_offline_run_config_t;

/**
 * @brief Replays the records once (call it once per engine).
 * @return 0 with *records_in (records replayed) and *stats (summed over the
 * partitions' processors), or -1 with err: input topics of different
 * partition counts, a processor or write error, or interrupted.
 */
int ap_offline_run(ap_offline_t *o, const ap_offline_run_config_t *cfg, uint64_t *records_in,
                   ap_processor_stats_t *stats, char *err, size_t errlen);

/** @brief Frees the engine and the file's view; NULL is a no-op. */
void ap_offline_destroy(ap_offline_t *o);

#endif
