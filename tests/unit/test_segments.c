/*
 * Move weeks split by municipality (issue 16 §4, docs/monitoring-design.md
 * §5): seed 002, "Tilflytningskommunen har ansvaret for indsatsen fra første
 * dag for tilflytningen" (the new municipality is responsible from the first
 * day of the move-in). Named <rule>__<source> as in test_rules_cases.c; the
 * figures are worked out by hand (444 min is a fifth of 37 h). Then design
 * §6 property 4 over generated worlds: segments add up to the week.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arbejdspligt/events.h"
#include "../support/rules_world.h"

#define W "2026-01-05" /* ISO week 2026-W02, Monday */

static void assert_segment(const ap_segment_t *s, const char *muni, const char *from, const char *to, int32_t required,
                           int32_t offered, int32_t credited, int32_t cause) {
    assert_string_equal(s->municipality_code, muni);
    assert_int_equal(s->from_date, D(from));
    assert_int_equal(s->to_date, D(to));
    assert_int_equal(s->required_minutes, required);
    assert_int_equal(s->offered_minutes, offered);
    assert_int_equal(s->credited_minutes, credited);
    assert_int_equal(s->shortfall_cause, cause);
}

/* The figures of a result the split must leave alone. */
static void assert_same_week(const ap_week_eval_t *a, const ap_week_eval_t *b) {
    assert_int_equal(a->result.status, b->result.status);
    assert_int_equal(a->result.required_minutes, b->result.required_minutes);
    assert_int_equal(a->result.offered_minutes, b->result.offered_minutes);
    assert_int_equal(a->result.credited_minutes, b->result.credited_minutes);
    assert_int_equal(a->result.shortfall_cause, b->result.shortfall_cause);
    assert_int_equal(a->n_alerts, b->n_alerts);
    for (size_t i = 0; i < a->n_alerts; i++) {
        assert_int_equal(a->alerts[i].code, b->alerts[i].code);
        assert_int_equal(a->alerts[i].shortfall_minutes, b->alerts[i].shortfall_minutes);
    }
}

/* A move on Wednesday: 101 owns Monday-Tuesday, 751 Wednesday-Sunday.
 * 101 offered its days (pl-a, 2223 min a week, on Monday-Tuesday: 889) and
 * the citizen attended them; 751 offered only pl-x, 303 min a week that run
 * all week, and the citizen attended those and a Saturday of paid work.
 * pl-x in the week: 303; in 101's two days 303 x 2/5 = 121.2 -> 121; rounded
 * down on its own 751's three days would be 181.8 -> 181, one minute lost,
 * so the last segment takes the remainder 303 - 121 = 182. */
static void segments__seed002_tilflytning(void **s) {
    (void)s;
    world_t w = {0};
    coverage(&w, "cv-a", "101", "2025-12-01", "2026-01-06");
    coverage(&w, "cv-b", "751", "2026-01-07", NULL);
    placement(&w, "pl-a", AP_ACT_NYTTEINDSATS, "2025-12-01", "2026-01-06", 2223);
    placement(&w, "pl-x", AP_ACT_VEJLEDNING_OPKVALIFICERING, "2025-12-01", "2026-03-31", 303);
    hours(&w, "2026-01-05", AP_ACT_NYTTEINDSATS, 444, NULL);
    hours(&w, "2026-01-06", AP_ACT_NYTTEINDSATS, 444, NULL);
    hours(&w, "2026-01-07", AP_ACT_VEJLEDNING_OPKVALIFICERING, 182, NULL);
    hours(&w, "2026-01-10", AP_ACT_LOENTIMER, 60, NULL); /* Saturday: 751's */
    ap_week_eval_t e = evaluate(&w, W);
    const ap_result_t *r = &e.result;
    assert_int_equal(r->required_minutes, 2220);
    assert_int_equal(r->offered_minutes, 889 + 303);
    assert_int_equal(r->credited_minutes, 888 + 182 + 60);
    assert_int_equal(r->status, AP_STATUS_NOT_COMPLIANT);
    /* The week: offered below required, credited below offered: both gaps. */
    assert_int_equal(r->shortfall_cause, AP_CAUSE_OFFER_AND_ATTENDANCE_GAP);
    assert_string_equal(r->municipality_code, "751"); /* the last covered day's, as before */
    assert_int_equal(r->n_segments, 2);
    /* 101 met its share (cause NONE); 751 offered too little and the
     * citizen attended all it offered: an offer gap only. */
    assert_segment(&r->segments[0], "101", "2026-01-05", "2026-01-06", 888, 889 + 121, 888, AP_CAUSE_NONE);
    assert_segment(&r->segments[1], "751", "2026-01-07", "2026-01-11", 1332, 182, 242, AP_CAUSE_OFFER_GAP);
    assert_int_equal(r->segments[0].required_minutes + r->segments[1].required_minutes, r->required_minutes);
    assert_int_equal(r->segments[0].offered_minutes + r->segments[1].offered_minutes, r->offered_minutes);
    assert_int_equal(r->segments[0].credited_minutes + r->segments[1].credited_minutes, r->credited_minutes);
    assert_int_equal(303 * 3 / 5, 181); /* what rounding 751's share on its own would have given */

    /* The old period left open: the latest move-in still wins from Wednesday. */
    w.cov[0].to_date = AP_NO_DATE;
    ap_week_eval_t open = evaluate(&w, W);
    assert_int_equal(open.result.n_segments, 2);
    assert_memory_equal(open.result.segments, r->segments, 2 * sizeof *r->segments);
    w.cov[0].to_date = D("2026-01-06");

    /* Failing: the same periods in one municipality (a change of period,
     * not a move) give no segments, and status, figures and alerts are the
     * split week's. */
    snprintf(w.cov[1].h.municipality_code, AP_MUNI_CAP, "101");
    ap_week_eval_t same = evaluate(&w, W);
    assert_int_equal(same.result.n_segments, 0);
    assert_same_week(&same, &e);
    snprintf(w.cov[1].h.municipality_code, AP_MUNI_CAP, "751");

    /* Failing: a week without a move has no segments. */
    world_t x = {0};
    coverage(&x, "cv-a", "101", "2025-12-01", NULL);
    placement(&x, "pl-a", AP_ACT_NYTTEINDSATS, "2025-12-01", "2026-03-31", 1200);
    week_of(&x, W, AP_ACT_NYTTEINDSATS, 1200, NULL);
    assert_int_equal(evaluate(&x, W).result.n_segments, 0);

    /* Failing: coverage ending Tuesday with no period after it: no segments. */
    x.cov[0].to_date = D("2026-01-06");
    ap_week_eval_t ended = evaluate(&x, W);
    assert_int_equal(ended.result.required_minutes, 888);
    assert_int_equal(ended.result.n_segments, 0);
}

/* The move-in day is the new municipality's, also on a weekend: a move on
 * Saturday leaves 751 the weekend with nothing owed and nothing offered
 * (its cause NONE), and 101 the whole working week. Uncovered days belong to
 * no one: an IGU Wednesday (seed 004: "Hvis man er i IGU, er man ude af
 * arbejdspligten") is in neither figure, and a move back and forth makes
 * three segments in date order. */
static void segments_move_in_day_and_uncovered_days__seed002_seed004(void **s) {
    (void)s;
    world_t w = {0};
    coverage(&w, "cv-a", "101", "2025-12-01", "2026-01-09");
    coverage(&w, "cv-b", "751", "2026-01-10", NULL);
    placement(&w, "pl-a", AP_ACT_NYTTEINDSATS, "2025-12-01", "2026-03-31", 2220);
    week_of(&w, W, AP_ACT_NYTTEINDSATS, 2220, NULL);
    ap_week_eval_t e = evaluate(&w, W);
    assert_int_equal(e.result.status, AP_STATUS_COMPLIANT);
    assert_int_equal(e.result.n_segments, 2);
    assert_segment(&e.result.segments[0], "101", "2026-01-05", "2026-01-09", 2220, 2220, 2220, AP_CAUSE_NONE);
    assert_segment(&e.result.segments[1], "751", "2026-01-10", "2026-01-11", 0, 0, 0, AP_CAUSE_NONE);

    /* 101 Monday-Tuesday, IGU on Wednesday, 751 Thursday, 101 again from Friday. */
    world_t x = {0};
    coverage(&x, "cv-a", "101", "2025-12-01", "2026-01-07");
    coverage(&x, "cv-b", "751", "2026-01-08", "2026-01-08");
    coverage(&x, "cv-c", "101", "2026-01-09", NULL);
    exemption(&x, "ex-igu", AP_EXEMPT_IGU, "2026-01-07", "2026-01-07", NULL);
    placement(&x, "pl-a", AP_ACT_NYTTEINDSATS, "2025-12-01", "2026-03-31", 2220);
    week_of(&x, W, AP_ACT_NYTTEINDSATS, 2220, NULL); /* 444 a day; Wednesday's is outside coverage */
    e = evaluate(&x, W);
    assert_int_equal(e.result.required_minutes, 4 * 444);
    assert_int_equal(e.result.n_segments, 3);
    assert_segment(&e.result.segments[0], "101", "2026-01-05", "2026-01-06", 888, 888, 888, AP_CAUSE_NONE);
    assert_segment(&e.result.segments[1], "751", "2026-01-08", "2026-01-08", 444, 444, 444, AP_CAUSE_NONE);
    assert_segment(&e.result.segments[2], "101", "2026-01-09", "2026-01-11", 444, 444, 444, AP_CAUSE_NONE);

    /* A cancelled placement and a placement-tied exemption (LAS § 13 stk. 7)
     * offer nothing in any segment, as in the week's figure; an interview
     * placement never offers (seed 002: "Jobsamtaler ... indgår ikke"). */
    x.pl[0].action = AP_PLACEMENT_CANCELLED;
    placement(&x, "pl-b", AP_ACT_VIRKSOMHEDSPRAKTIK, "2025-12-01", "2026-03-31", 1000);
    placement(&x, "pl-j", AP_ACT_JOBSAMTALE, "2025-12-01", "2026-03-31", 600);
    exemption(&x, "ex-b", AP_EXEMPT_HEALTH, "2026-01-08", "2026-01-08", "pl-b");
    e = evaluate(&x, W);
    assert_int_equal(e.result.offered_minutes, 1000 * 3 / 5);
    assert_int_equal(e.result.segments[0].offered_minutes, 400);
    assert_int_equal(e.result.segments[1].offered_minutes, 0);
    assert_int_equal(e.result.segments[2].offered_minutes, 200);
    /* Nytteindsats hours are no longer credited (no placement of it in
     * force, seed 003): 101's first days lack offers and attendance, 751's
     * Thursday only offers (nothing offered, nothing owed by attendance). */
    assert_int_equal(e.result.credited_minutes, 0);
    assert_int_equal(e.result.segments[0].shortfall_cause, AP_CAUSE_OFFER_AND_ATTENDANCE_GAP);
    assert_int_equal(e.result.segments[1].shortfall_cause, AP_CAUSE_OFFER_GAP);
}

/* --------------------------------------------- design §6, property 4 */

/* xorshift64*: a fixed seed, so every run checks the same worlds. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(uint32_t n) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 33) % n;
}

static void date_of(int32_t day, char out[11]) { ap_cal_format_date(day, out); }

/* One citizen around the week starting ws: 1-4 coverage periods in three
 * municipalities (moves, gaps, overlaps, open ends), offers of any kind
 * (cancelled, interviews, unjournalised), exemptions (whole, tied to a
 * placement, IGU), reductions, hours of any kind on any day. */
static void random_world(world_t *w, int32_t ws) {
    static const char *const munis[] = {"101", "147", "751"};
    char from[11], to[11], id[16];
    memset(w, 0, sizeof *w);
    int ncov = 1 + (int)rnd(4);
    for (int i = 0; i < ncov; i++) {
        snprintf(id, sizeof id, "cv-%d", i);
        date_of(ws - 3 + (int32_t)rnd(11), from);
        date_of(ws + (int32_t)rnd(12), to);
        ap_coverage_t *c = coverage(w, id, munis[rnd(3)], from, rnd(3) ? to : NULL);
        if (c->to_date != AP_NO_DATE && c->to_date < c->from_date) c->to_date = c->from_date;
    }
    int npl = (int)rnd(5);
    for (int i = 0; i < npl; i++) {
        snprintf(id, sizeof id, "pl-%d", i);
        int32_t a = ws - 4 + (int32_t)rnd(10);
        date_of(a, from);
        date_of(a + (int32_t)rnd(12), to);
        ap_placement_t *p = placement(w, id, (int)rnd(AP_ACT_COUNT), from, to, 1 + (int)rnd(2400));
        if (!rnd(8)) p->action = AP_PLACEMENT_CANCELLED;
        if (rnd(2)) snprintf(p->journal_ref, sizeof p->journal_ref, "J-%d", i);
    }
    int nex = (int)rnd(3);
    for (int i = 0; i < nex; i++) {
        snprintf(id, sizeof id, "ex-%d", i);
        int32_t a = ws - 2 + (int32_t)rnd(9);
        date_of(a, from);
        date_of(a + (int32_t)rnd(5), to);
        int kind = rnd(4) ? (int)rnd(AP_EXEMPT_COUNT) : AP_EXEMPT_IGU;
        const char *tied = npl && !rnd(3) ? w->pl[rnd((uint32_t)npl)].placement_id : NULL;
        exemption(w, id, kind, from, to, tied);
    }
    if (npl && !rnd(4)) {
        date_of(ws - 1 + (int32_t)rnd(5), from);
        reduction(w, "rd-0", 5 * (1 + (int)rnd(400)), from, NULL, "2025-12-01", w->pl[0].placement_id);
    }
    int nh = (int)rnd(20);
    for (int i = 0; i < nh; i++) {
        date_of(ws + (int32_t)rnd(7), from);
        hours(w, from, (int)rnd(AP_ACT_COUNT), 1 + (int)rnd(600), rnd(2) ? "J-h" : NULL);
    }
}

/* For every generated week whose covered days lie in more than one
 * municipality: segments in date order, not overlapping, consecutive ones
 * in different municipalities; every covered day in exactly one, of the
 * municipality ap_rules_municipality_on names; their required, offered and
 * credited minutes sum to the week's; each cause by the week's table. Every
 * other week has none. */
static void segments_add_up_to_the_week__property4(void **s) {
    (void)s;
    static const char *const mondays[] = {"2026-01-05", "2026-03-30", "2026-12-28", "2025-06-02"};
    int split = 0, three = 0;
    enum { CASES = 20000 };
    for (int n = 0; n < CASES; n++) {
        world_t w;
        int32_t ws = D(mondays[rnd(4)]);
        random_world(&w, ws);
        ap_week_input_t in = {"c-1", ws, w.cov, w.ncov, w.pl, w.npl, w.hrs, w.nhrs, w.ex, w.nex, w.red, w.nred, NULL, 0};
        ap_week_eval_t e;
        assert_int_equal(ap_rules_evaluate(&in, &e), 0);
        const ap_result_t *r = &e.result;
        /* How many municipalities the covered days lie in. */
        char seen[7][AP_MUNI_CAP];
        int nseen = 0;
        for (int d = 0; d < 7; d++) {
            char m[AP_MUNI_CAP];
            if (!e.days[d].covered) continue;
            assert_int_equal(ap_rules_municipality_on(w.cov, w.ncov, ws + d, m), 0);
            int k = 0;
            while (k < nseen && strcmp(seen[k], m) != 0) k++;
            if (k == nseen) memcpy(seen[nseen++], m, AP_MUNI_CAP);
        }
        if (nseen < 2) {
            if (r->n_segments != 0) fail_msg("case %d: %u segments in one municipality", n, r->n_segments);
            continue;
        }
        if (r->n_segments < 2 || r->n_segments > AP_MAX_SEGMENTS) fail_msg("case %d: %u segments", n, r->n_segments);
        split++;
        three += r->n_segments > 2;
        int64_t required = 0, offered = 0, credited = 0;
        for (uint32_t k = 0; k < r->n_segments; k++) {
            const ap_segment_t *g = &r->segments[k];
            if (g->from_date < ws || g->from_date > g->to_date || g->to_date > ws + 6)
                fail_msg("case %d: segment %u out of the week or reversed", n, k);
            if (k > 0 && (g->from_date <= r->segments[k - 1].to_date ||
                          strcmp(g->municipality_code, r->segments[k - 1].municipality_code) == 0))
                fail_msg("case %d: segment %u overlaps or repeats its predecessor", n, k);
            if (!e.days[g->from_date - ws].covered || !e.days[g->to_date - ws].covered)
                fail_msg("case %d: segment %u does not start and end on covered days", n, k);
            if (g->offered_minutes < 0) fail_msg("case %d: segment %u offers %d", n, k, g->offered_minutes);
            int32_t want = AP_CAUSE_NONE;
            if (g->credited_minutes < g->required_minutes) {
                int og = g->offered_minutes < g->required_minutes;
                int ag = g->credited_minutes < (og ? g->offered_minutes : g->required_minutes);
                want = og && ag ? AP_CAUSE_OFFER_AND_ATTENDANCE_GAP : og ? AP_CAUSE_OFFER_GAP : AP_CAUSE_ATTENDANCE_GAP;
            }
            if (g->shortfall_cause != want) fail_msg("case %d: segment %u cause %d, want %d", n, k, g->shortfall_cause, want);
            required += g->required_minutes;
            offered += g->offered_minutes;
            credited += g->credited_minutes;
        }
        if (required != r->required_minutes || offered != r->offered_minutes || credited != r->credited_minutes)
            fail_msg("case %d: segments sum to %lld/%lld/%lld, the week is %d/%d/%d", n, (long long)required,
                     (long long)offered, (long long)credited, r->required_minutes, r->offered_minutes,
                     r->credited_minutes);
        for (int d = 0; d < 7; d++) {
            int in_segments = 0;
            char m[AP_MUNI_CAP];
            for (uint32_t k = 0; k < r->n_segments; k++)
                if (ws + d >= r->segments[k].from_date && ws + d <= r->segments[k].to_date) {
                    in_segments++;
                    if (e.days[d].covered && (ap_rules_municipality_on(w.cov, w.ncov, ws + d, m) ||
                                              strcmp(m, r->segments[k].municipality_code) != 0))
                        fail_msg("case %d: day %d is not %s's", n, d, r->segments[k].municipality_code);
                }
            if (e.days[d].covered && in_segments != 1) fail_msg("case %d: covered day %d in %d segments", n, d, in_segments);
        }
    }
    print_message("%d of %d generated weeks split, %d of them in three or more segments\n", split, CASES, three);
    /* The generator must exercise the split: a good share of moves, some with three segments. */
    if (split < CASES / 10 || three < CASES / 100) fail_msg("only %d split weeks, %d with three segments", split, three);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(segments__seed002_tilflytning),
        cmocka_unit_test(segments_move_in_day_and_uncovered_days__seed002_seed004),
        cmocka_unit_test(segments_add_up_to_the_week__property4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
