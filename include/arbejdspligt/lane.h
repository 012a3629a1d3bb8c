/*
 * lane.h - the lane merge: in which order one partition's records of the
 * three input topics go to the processor. Pure: no I/O, no clock, no
 * messages; the caller keeps the records and asks what comes next.
 *
 * A lane is partition N of the three input topics (README Determinism). A
 * StreamTick stops its topic until every other assigned topic of the lane
 * has also reached a tick at least as late (held, or already let through);
 * then the ready ticks go out, all of them before any record that waited
 * behind one. So a week closes after exactly the records that precede the
 * ticks in each topic, whatever the timing of the fetches.
 *
 * The merge goes in rounds, and the order within a round is part of the
 * contract (an offline replay and the live intake must agree byte for byte):
 *   1. release passes: topics 0, 1, 2 in turn, each held tick that is ready
 *      goes out; passes repeat while one lets a tick through;
 *   2. one drain pass: topics 0, 1, 2 in turn, each topic not stopped hands
 *      out its pending records up to its next tick, which it holds;
 *   3. if the drain moved anything, the next round; else the lane is idle.
 *
 * Who uses it: the live intake (intake.c) feeds a topic's records as they
 * are fetched, queued behind a held tick in its backlog, and stops asking
 * when its batch is full (ap_lane_rewind at the next poll); the offline
 * engine (offline.c) has each topic's whole sorted range as "pending" from
 * the start. The decisions are the same; what differs is only what is
 * pending when the merge is asked, which is the fetch timing that the
 * barrier makes irrelevant.
 *
 * Ownership: ap_lane_t is a plain value the caller owns; nothing to free.
 * The unit tests (tests/unit/test_lane.c) pin the order case by case.
 */
#ifndef AP_LANE_H
#define AP_LANE_H

#include <stdint.h>

/* placement, hours, exemption: a lane's topics, in this order */
#define AP_LANE_TOPICS 3

/* What the merge may see of a topic's next pending record. */
typedef struct ap_lane_head {
    int pending;       /* a record is waiting to be handed out on this topic */
    int is_tick;       /* it is a StreamTick, at tick_time */
    int64_t tick_time;
} ap_lane_head_t;

/* The next move of the lane, for topic *k (ap_lane_next). */
typedef enum ap_lane_step {
    AP_LANE_IDLE,    /* nothing moves until a record arrives or a topic changes */
    AP_LANE_EMIT,    /* hand out topic k's pending record (not a tick): the caller pops it */
    AP_LANE_HOLD,    /* topic k's pending record is a tick: the caller pops it and keeps it; topic k stops */
    AP_LANE_RELEASE, /* hand out topic k's held tick (nothing if it was restored: see ap_lane_restore) */
} ap_lane_step_t;

typedef struct ap_lane {
    int assigned[AP_LANE_TOPICS];      /* the topic's partition is ours; an unassigned topic cannot hold the lane */
    int waiting[AP_LANE_TOPICS];       /* stopped at a tick (held_time) not yet let through */
    int64_t held_time[AP_LANE_TOPICS]; /* that tick's time */
    int64_t released[AP_LANE_TOPICS];  /* the last tick let through (0: none) */
    /* private: where the round is */
    int phase, cursor, moved, passed;
} ap_lane_t;

/** @brief A lane of all three topics assigned, nothing held or released. */
void ap_lane_init(ap_lane_t *l);

/**
 * @brief The barrier rule: topic k's tick (at held_time[k]) may go through
 * once every other assigned topic j waits at a tick at least as late
 * (waiting[j] && held_time[j] >= held_time[k]) or has let one through
 * (released[j] >= held_time[k]). Ties go through together.
 * @return 1 if it may go through.
 */
int ap_lane_tick_ready(const ap_lane_t *l, int k);

/**
 * @brief Decides the lane's next move given each topic's next pending
 * record (head), and updates the lane for it (a hold stops the topic, a
 * release records the tick as let through). The caller then does the move
 * (pops the record for EMIT and HOLD, hands out the held tick for RELEASE)
 * and updates head[*k] before asking again.
 * @return the move, with *k its topic (unset for AP_LANE_IDLE).
 */
ap_lane_step_t ap_lane_next(ap_lane_t *l, const ap_lane_head_t head[AP_LANE_TOPICS], int *k);

/**
 * @brief Starts the lane's round afresh at its release passes: for a caller
 * that stopped asking before AP_LANE_IDLE (a full batch).
 */
void ap_lane_rewind(ap_lane_t *l);

/**
 * @brief Forgets topic k (revoked, or assigned anew): not waiting, nothing
 * released, assigned as given. Rewinds the round.
 */
void ap_lane_reset_topic(ap_lane_t *l, int k, int assigned);

/**
 * @brief Rebuilds a lane's barrier from the last tick processed per topic
 * before a restart (0: none): every topic's tick counts as let through, and
 * a topic whose tick is later than another topic's waits at it again, with
 * no record to hand out, until the others catch up (exactly as it would
 * have without the restart). @return a bit per topic that now waits.
 */
unsigned ap_lane_restore(ap_lane_t *l, const int64_t ticks[AP_LANE_TOPICS]);

#endif
