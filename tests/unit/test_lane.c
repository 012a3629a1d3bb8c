/* The lane merge (lane.h): table cases written out by hand; agreement with
 * the order the offline replay gave before the merge was shared (its
 * lane_order of services/replay/main.c, kept here as the reference) over
 * many random lanes; and the live intake's way of asking (records arriving
 * one at a time in any interleaving, batches cut short) giving every record
 * the same ticks before it as the offline order.
 *
 * A lane is written as three strings, one per topic, of space-separated
 * tokens: a record is any name, a tick is "T<time><name>" (T5a: a tick at
 * 5). An order is the tokens handed out, space-separated; a tick released
 * after a restart (no record) is "(k)". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arbejdspligt/lane.h"

#define MAX_TOKENS 256

typedef struct token {
    char name[24];
    int is_tick;
    int64_t time;
} token_t;

typedef struct topic {
    token_t t[MAX_TOKENS];
    size_t n;
} topic_t;

static void parse(const char *s, topic_t *tp) {
    tp->n = 0;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        token_t *t = &tp->t[tp->n++];
        snprintf(t->name, sizeof t->name, "%s", w);
        t->is_tick = w[0] == 'T';
        t->time = t->is_tick ? strtoll(w + 1, NULL, 10) : 0;
    }
}

static void append(char *out, size_t cap, const char *name) {
    size_t len = strlen(out);
    snprintf(out + len, cap - len, "%s%s", len ? " " : "", name);
}

static ap_lane_head_t head_of(const topic_t *tp, size_t pos) {
    if (pos >= tp->n) return (ap_lane_head_t){0, 0, 0};
    return (ap_lane_head_t){1, tp->t[pos].is_tick, tp->t[pos].time};
}

/* The offline way: each topic's whole list pending from the start. */
static void merge_whole(ap_lane_t *lane, const topic_t tp[AP_LANE_TOPICS], char *out, size_t cap) {
    size_t pos[AP_LANE_TOPICS] = {0}, held_at[AP_LANE_TOPICS] = {0};
    int held[AP_LANE_TOPICS] = {0};
    ap_lane_head_t head[AP_LANE_TOPICS];
    out[0] = '\0';
    for (int k = 0; k < AP_LANE_TOPICS; k++) head[k] = head_of(&tp[k], 0);
    int k;
    ap_lane_step_t step;
    while ((step = ap_lane_next(lane, head, &k)) != AP_LANE_IDLE) {
        if (step == AP_LANE_EMIT) append(out, cap, tp[k].t[pos[k]++].name);
        else if (step == AP_LANE_HOLD) held_at[k] = pos[k]++, held[k] = 1;
        else if (held[k]) append(out, cap, tp[k].t[held_at[k]].name), held[k] = 0;
        else append(out, cap, (const char *[]){"(0)", "(1)", "(2)"}[k]); /* restored: no record */
        head[k] = head_of(&tp[k], pos[k]);
    }
}

static void order_of(const char *t0, const char *t1, const char *t2, const int assigned[AP_LANE_TOPICS], char *out,
                     size_t cap) {
    static topic_t tp[AP_LANE_TOPICS];
    parse(t0, &tp[0]), parse(t1, &tp[1]), parse(t2, &tp[2]);
    ap_lane_t lane;
    ap_lane_init(&lane);
    if (assigned)
        for (int k = 0; k < AP_LANE_TOPICS; k++) lane.assigned[k] = assigned[k];
    merge_whole(&lane, tp, out, cap);
}

typedef struct lane_case {
    const char *name;
    const char *topic[AP_LANE_TOPICS];
    int assigned[AP_LANE_TOPICS]; /* all zero: all assigned */
    const char *want;
} lane_case_t;

static const lane_case_t cases[] = {
    {"records behind a tick wait until every topic reached it",
     {"a T1x b", "c T1y d", "e T1z f"}, {0}, "a c e T1x T1y T1z b d f"},
    {"ties go out together, in topic order, before any record behind them",
     {"T1a x", "T1b y", "T1c z"}, {0}, "T1a T1b T1c x y z"},
    {"a topic whose ticks never arrive holds the lane: the rest waits (as live)",
     {"a T2x b", "c d", "T2z e"}, {0}, "a c d"},
    {"an unassigned topic cannot hold the lane (live: its partition is another member's)",
     {"a T2x b", "", "T2z e"}, {1, 0, 1}, "a T2x T2z b e"},
    {"an earlier tick goes out alone; the later ones wait for the topic that was behind",
     {"T1a a T2a b", "T2b c", "T2c d"}, {0}, "T1a a T2a T2b T2c b c d"},
    {"uneven ticks: each goes once every other topic has one at least as late",
     {"T3a a", "T1b b T3b c", "T2c d T3c e"}, {0}, "T1b b T2c d T3a T3b T3c a c e"},
    {"a later tick on another topic lets an earlier one through",
     {"a T1x b", "T5y c", "T7z d"}, {0}, "a T1x b"},
    {"no ticks at all: each topic in turn, whole",
     {"a b", "c", "d e"}, {0}, "a b c d e"},
    {"an empty lane is idle", {"", "", ""}, {0}, ""},
};

static void lane__table_cases(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const lane_case_t *c = &cases[i];
        int any = c->assigned[0] | c->assigned[1] | c->assigned[2];
        char got[2048];
        order_of(c->topic[0], c->topic[1], c->topic[2], any ? c->assigned : NULL, got, sizeof got);
        if (strcmp(got, c->want) != 0) fail_msg("%s:\n  got  \"%s\"\n  want \"%s\"", c->name, got, c->want);
    }
}

/* After a restart a topic whose processed tick is ahead waits at it with no
 * record (intake.h): here topics 0 and 2 processed tick 5, topic 1 only 3. */
static void lane__restored_barrier(void **state) {
    (void)state;
    static topic_t tp[AP_LANE_TOPICS];
    parse("a", &tp[0]), parse("x T5b y", &tp[1]), parse("c", &tp[2]);
    ap_lane_t lane;
    ap_lane_init(&lane);
    assert_int_equal(ap_lane_restore(&lane, (const int64_t[]){5, 3, 5}), 5u); /* topics 0 and 2 wait */
    char got[256];
    merge_whole(&lane, tp, got, sizeof got);
    assert_string_equal(got, "x (0) T5b (2) a y c");
    /* Equal ticks everywhere: nobody waits. */
    ap_lane_init(&lane);
    assert_int_equal(ap_lane_restore(&lane, (const int64_t[]){4, 4, 4}), 0u);
}

/* ----------------------------------------------------------- reference */

/* The offline replay's order before the merge was shared: lane_order and
 * ap_intake_tick_ready as they were in services/replay/main.c and intake.c
 * (commit e6924a9), over the same token lists. */
static int old_tick_ready(int k, const int waiting[3], const int64_t held_time[3], const int64_t released[3]) {
    for (int j = 0; j < 3; j++) {
        if (j == k) continue;
        if (!((waiting[j] && held_time[j] >= held_time[k]) || released[j] >= held_time[k])) return 0;
    }
    return 1;
}

static void old_lane_order(const topic_t tp[3], char *out, size_t cap) {
    size_t pos[3] = {0};
    int held[3] = {0};
    int64_t held_time[3] = {0}, released[3] = {0};
    out[0] = '\0';
    for (;;) {
        for (int k = 0; k < 3; k++)
            while (!held[k] && pos[k] < tp[k].n) {
                const token_t *h = &tp[k].t[pos[k]];
                if (h->is_tick) { held[k] = 1; held_time[k] = h->time; break; }
                append(out, cap, tp[k].t[pos[k]++].name);
            }
        int changed = 1, any = 0;
        while (changed) {
            changed = 0;
            for (int k = 0; k < 3; k++) {
                if (!held[k] || !old_tick_ready(k, held, held_time, released)) continue;
                append(out, cap, tp[k].t[pos[k]++].name);
                released[k] = held_time[k];
                held[k] = 0;
                changed = any = 1;
            }
        }
        if (!any) break;
    }
}

static uint32_t rnd_state = 2463534242u;
static uint32_t rnd(void) { /* xorshift32: the same lanes every run */
    rnd_state ^= rnd_state << 13, rnd_state ^= rnd_state >> 17, rnd_state ^= rnd_state << 5;
    return rnd_state;
}

/* A random lane: up to 40 records a topic, a tenth to a third of them
 * ticks, at nondecreasing times from 1 per topic (as a ticker writes them), some
 * topics' ticks stopping early. */
static void random_lane(topic_t tp[3], int id) {
    int tick_every = 3 + (int)(rnd() % 8);
    for (int k = 0; k < 3; k++) {
        size_t n = rnd() % 41;
        int64_t time = 1; /* a tick's time is never 0 (0 reads as "none let through") */
        int stop = rnd() % 5 == 0 ? (int)(rnd() % 4) : 1000;
        tp[k].n = 0;
        for (size_t i = 0; i < n; i++) {
            token_t *t = &tp[k].t[tp[k].n++];
            t->is_tick = stop > 0 && (int)(rnd() % (unsigned)tick_every) == 0;
            if (t->is_tick) {
                stop--;
                time += rnd() % 3; /* ties are common */
                t->time = time;
                snprintf(t->name, sizeof t->name, "T%lld.%d.%zu", (long long)time, k, i);
            } else {
                snprintf(t->name, sizeof t->name, "r%d.%d.%zu", id % 10, k, i);
            }
        }
    }
}

static void lane__offline_order_unchanged(void **state) {
    (void)state;
    static topic_t tp[3];
    static char got[16384], want[16384];
    for (int i = 0; i < 20000; i++) {
        random_lane(tp, i);
        ap_lane_t lane;
        ap_lane_init(&lane);
        merge_whole(&lane, tp, got, sizeof got);
        old_lane_order(tp, want, sizeof want);
        if (strcmp(got, want) != 0) fail_msg("lane %d:\n  got  %s\n  want %s", i, got, want);
    }
}

/* ------------------------------------------------------------ streaming */

/* The live intake's way (intake.c): records arrive one at a time in some
 * interleaving of the topics and join their topic's backlog; after each
 * arrival the merge runs until idle or the batch is full; a full batch ends
 * the poll, and the next poll starts the round again (ap_lane_rewind). */
static void merge_streaming(const topic_t tp[3], char *out, size_t cap) {
    size_t arrived[3] = {0}, pos[3] = {0}, held_at[3] = {0};
    ap_lane_t lane;
    ap_lane_init(&lane);
    ap_lane_head_t head[3];
    out[0] = '\0';
    size_t total = tp[0].n + tp[1].n + tp[2].n, seen = 0;
    for (int idle_polls = 0; idle_polls < 2;) {
        size_t batch = 1 + rnd() % 5, n_out = 0;
        int moved = 0;
        for (;;) {
            for (int k = 0; k < 3; k++) head[k] = pos[k] < arrived[k] ? head_of(&tp[k], pos[k]) : (ap_lane_head_t){0};
            ap_lane_rewind(&lane);
            int k;
            ap_lane_step_t step;
            while (n_out < batch && (step = ap_lane_next(&lane, head, &k)) != AP_LANE_IDLE) {
                moved = 1;
                if (step == AP_LANE_EMIT) append(out, cap, tp[k].t[pos[k]++].name), n_out++;
                else if (step == AP_LANE_HOLD) held_at[k] = pos[k]++;
                else append(out, cap, tp[k].t[held_at[k]].name), n_out++;
                head[k] = pos[k] < arrived[k] ? head_of(&tp[k], pos[k]) : (ap_lane_head_t){0};
            }
            if (n_out >= batch || seen == total || rnd() % 7 == 0) break; /* full, or the poll ran dry */
            int k2;
            do k2 = (int)(rnd() % 3);
            while (arrived[k2] == tp[k2].n);
            arrived[k2]++, seen++, moved = 1;
        }
        idle_polls = moved || seen < total ? 0 : idle_polls + 1;
    }
}

/* Where each token went: its index in the order, -1 if never handed out;
 * and the times of the ticks in the order they went out. */
static void positions(const char *order, const topic_t tp[3], int at[3][MAX_TOKENS], char ticks[], size_t cap) {
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < tp[k].n; i++) at[k][i] = -1;
    ticks[0] = '\0';
    char buf[16384];
    snprintf(buf, sizeof buf, "%s", order);
    int idx = 0;
    for (char *save = NULL, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save), idx++) {
        for (int k = 0; k < 3; k++)
            for (size_t i = 0; i < tp[k].n; i++)
                if (strcmp(tp[k].t[i].name, w) == 0) at[k][i] = idx;
        if (w[0] == 'T') { /* its time: "T3.1.8" -> "3" */
            char time[24];
            snprintf(time, sizeof time, "%lld", strtoll(w + 1, NULL, 10));
            append(ticks, cap, time);
        }
    }
}

/* What the live and offline orders share, whatever the fetch timing: the
 * same records handed out, each topic in its own order, the ticks' times in
 * the same sequence, and before every record the same lane clock (per topic, the
 * time of the latest tick let through). What they do not share: how records
 * of different topics interleave between ticks, and, when a topic repeats a
 * tick time, on which side of another topic's tick of that same time a
 * record or a tick falls (it changes no clock). */
static void lane__streaming_gives_each_record_the_same_clock(void **state) {
    (void)state;
    static topic_t tp[3];
    static char live[16384], offline[16384], live_ticks[16384], offline_ticks[16384];
    static int at_live[3][MAX_TOKENS], at_offline[3][MAX_TOKENS];
    for (int i = 0; i < 5000; i++) {
        random_lane(tp, i);
        ap_lane_t lane;
        ap_lane_init(&lane);
        merge_whole(&lane, tp, offline, sizeof offline);
        merge_streaming(tp, live, sizeof live);
        positions(live, tp, at_live, live_ticks, sizeof live_ticks);
        positions(offline, tp, at_offline, offline_ticks, sizeof offline_ticks);
        if (strcmp(live_ticks, offline_ticks) != 0)
            fail_msg("lane %d ticks:\n  live    %s\n  offline %s", i, live_ticks, offline_ticks);
        for (int k = 0; k < 3; k++)
            for (size_t j = 0; j < tp[k].n; j++) {
                if ((at_live[k][j] < 0) != (at_offline[k][j] < 0))
                    fail_msg("lane %d: %s handed out in one order only\n  live    %s\n  offline %s", i, tp[k].t[j].name,
                             live, offline);
                if (j && at_live[k][j] >= 0 && at_live[k][j] < at_live[k][j - 1])
                    fail_msg("lane %d: topic %d out of order", i, k);
                if (tp[k].t[j].is_tick || at_live[k][j] < 0) continue;
                /* the lane clock before it: per topic, the latest tick let through */
                for (int q = 0; q < 3; q++) {
                    int64_t clock_live = 0, clock_offline = 0;
                    for (size_t u = 0; u < tp[q].n; u++) {
                        if (!tp[q].t[u].is_tick) continue;
                        if (at_live[q][u] >= 0 && at_live[q][u] < at_live[k][j]) clock_live = tp[q].t[u].time;
                        if (at_offline[q][u] >= 0 && at_offline[q][u] < at_offline[k][j])
                            clock_offline = tp[q].t[u].time;
                    }
                    if (clock_live != clock_offline)
                        fail_msg("lane %d: %s after topic %d's tick %lld live, %lld offline\n  live    %s\n  offline %s",
                                 i, tp[k].t[j].name, q, (long long)clock_live, (long long)clock_offline, live, offline);
                }
            }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lane__table_cases),
        cmocka_unit_test(lane__restored_barrier),
        cmocka_unit_test(lane__offline_order_unchanged),
        cmocka_unit_test(lane__streaming_gives_each_record_the_same_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
