/* lane.c - the lane merge shared by the live intake and the offline engine. See lane.h. */
#include "arbejdspligt/lane.h"

#include <string.h>

/* Where a round is (ap_lane_t.phase). */
enum { PHASE_RELEASE, PHASE_DRAIN };

void ap_lane_init(ap_lane_t *l) {
    memset(l, 0, sizeof *l);
    for (int k = 0; k < AP_LANE_TOPICS; k++) l->assigned[k] = 1;
}

int ap_lane_tick_ready(const ap_lane_t *l, int k) {
    for (int j = 0; j < AP_LANE_TOPICS; j++) {
        if (j == k || !l->assigned[j]) continue; /* an unassigned topic cannot hold the lane */
        if (!((l->waiting[j] && l->held_time[j] >= l->held_time[k]) || l->released[j] >= l->held_time[k])) return 0;
    }
    return 1;
}

void ap_lane_rewind(ap_lane_t *l) { l->phase = PHASE_RELEASE, l->cursor = 0, l->moved = 0, l->passed = 0; }

void ap_lane_reset_topic(ap_lane_t *l, int k, int assigned) {
    l->assigned[k] = assigned;
    l->waiting[k] = 0;
    l->held_time[k] = 0;
    l->released[k] = 0;
    ap_lane_rewind(l);
}

unsigned ap_lane_restore(ap_lane_t *l, const int64_t ticks[AP_LANE_TOPICS]) {
    unsigned stopped = 0;
    for (int k = 0; k < AP_LANE_TOPICS; k++) l->released[k] = ticks[k];
    for (int k = 0; k < AP_LANE_TOPICS; k++) {
        int behind = 0;
        for (int j = 0; j < AP_LANE_TOPICS; j++) behind |= j != k && ticks[j] < ticks[k];
        if (!behind) continue;
        l->waiting[k] = 1;
        l->held_time[k] = ticks[k];
        stopped |= 1u << k;
    }
    ap_lane_rewind(l);
    return stopped;
}

/* The round of lane.h as a resumable loop: each call does one move and
 * keeps its place (phase, cursor), so a caller can hand out a record between
 * two decisions. passed: the current release pass let a tick through;
 * moved: the current drain pass handed out or held something. */
ap_lane_step_t ap_lane_next(ap_lane_t *l, const ap_lane_head_t head[AP_LANE_TOPICS], int *k) {
    for (;;) {
        if (l->phase == PHASE_RELEASE) {
            for (; l->cursor < AP_LANE_TOPICS; l->cursor++) {
                int j = l->cursor;
                if (!l->waiting[j] || !ap_lane_tick_ready(l, j)) continue;
                l->released[j] = l->held_time[j];
                l->waiting[j] = 0;
                l->passed = 1;
                l->cursor++;
                *k = j;
                return AP_LANE_RELEASE;
            }
            /* Every ready tick goes out before any record behind one. */
            if (l->passed) l->passed = 0, l->cursor = 0;
            else l->phase = PHASE_DRAIN, l->cursor = 0;
            continue;
        }
        for (; l->cursor < AP_LANE_TOPICS; l->cursor++) {
            int j = l->cursor;
            if (l->waiting[j] || !head[j].pending) continue;
            l->moved = 1;
            *k = j;
            if (!head[j].is_tick) return AP_LANE_EMIT; /* the topic drains on: cursor stays */
            l->waiting[j] = 1;
            l->held_time[j] = head[j].tick_time;
            l->cursor++;
            return AP_LANE_HOLD;
        }
        if (!l->moved) {
            ap_lane_rewind(l);
            return AP_LANE_IDLE;
        }
        l->moved = 0;
        l->phase = PHASE_RELEASE, l->cursor = 0;
    }
}
