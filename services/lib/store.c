/* store.c - the state-store interface: dispatch to the implementation. See store.h. */
#include "arbejdspligt/store.h"

#include <stdlib.h>

#include "arbejdspligt/calendar.h"

void ap_store_event_span(const ap_event_t *ev, int32_t *from, int32_t *to) {
    int32_t a, b;
    switch (ev->type) {
    case AP_EV_HOURS:
        *from = *to = ap_cal_week_start(ev->u.hours.activity_date);
        return;
    case AP_EV_SANCTION: /* only the month it counts in, via its week; the rules never read it */
        *from = *to = ap_cal_week_start(ev->u.sanction.decision_date);
        return;
    case AP_EV_PLACEMENT: a = ev->u.placement.start_date; b = ev->u.placement.end_date; break;
    case AP_EV_EXEMPTION: a = ev->u.exemption.from_date; b = ev->u.exemption.to_date; break;
    case AP_EV_REDUCTION: a = ev->u.reduction.valid_from; b = ev->u.reduction.valid_to; break;
    case AP_EV_COVERAGE: a = ev->u.coverage.from_date; b = ev->u.coverage.to_date; break;
    default: *from = 1, *to = 0; return;
    }
    /* Week W's rules read up to day W + 14: its alerts look at the next
     * week (plan gap, what ends then, lineage) and ask whether a placement
     * ending on that week's Sunday is followed the day after. So the first
     * week it can change is the first W with W + 14 >= a. */
    *from = ap_cal_week_start(a - 8);
    *to = b == AP_NO_DATE ? INT32_MAX : ap_cal_week_start(b);
}

int ap_store_span_clip(int32_t from, int32_t to, ap_store_dirty_t closed, int32_t *lo, int32_t *hi) {
    int32_t l = from > closed.from_monday ? from : closed.from_monday;
    int32_t h = to < closed.to_monday ? to : closed.to_monday;
    if (l > h) return 0;
    if ((int64_t)h - l > 7 * AP_STORE_MAX_LATE_WEEKS) l = h - 7 * AP_STORE_MAX_LATE_WEEKS;
    *lo = l;
    *hi = h;
    return 1;
}

void ap_store_destroy(ap_store_t *s) {
    if (s) s->ops->destroy(s);
}

int ap_store_reconnect(ap_store_t *s) { return s->ops->reconnect(s); }
const char *ap_store_error(const ap_store_t *s) { return s->err; }
int ap_store_ping(ap_store_t *s) { return s->ops->ping(s); }
const char *ap_store_kind(const ap_store_t *s) { return s->ops->kind; }

int32_t ap_store_generation(int32_t closed_monday, int horizon_weeks) {
    if (horizon_weeks <= 0 || closed_monday == AP_NO_DATE) return 0;
    /* Floor divisions: a week number is the same whatever the sign. */
    int32_t week = closed_monday >= 0 ? closed_monday / 7 : -((6 - closed_monday) / 7);
    int32_t g = week >= 0 ? week / horizon_weeks : -((horizon_weeks - 1 - week) / horizon_weeks);
    return g + 1 > 0 ? g + 1 : 0;
}

int ap_store_apply(ap_store_t *s, const ap_store_item_t *items, size_t n, int32_t partition, int32_t generation,
                   int *outcomes) {
    return s->ops->apply(s, items, n, partition, generation, 0, outcomes);
}

int ap_store_apply_fenced(ap_store_t *s, const ap_store_item_t *items, size_t n, int32_t partition,
                          int32_t generation, int64_t epoch, int *outcomes) {
    return s->ops->apply(s, items, n, partition, generation, epoch, outcomes);
}

int ap_store_claim(ap_store_t *s, int32_t partition, int64_t *epoch) { return s->ops->claim(s, partition, epoch); }

int ap_store_dirty(ap_store_t *s, int32_t partition, char ***citizens, int32_t **mondays, size_t *n) {
    return s->ops->dirty(s, partition, citizens, mondays, n);
}

int ap_store_load_weeks(ap_store_t *s, const char *const *citizens, const int32_t *mondays, size_t n,
                        ap_citizen_state_t *scratch, ap_store_week_fn fn, void *ctx) {
    return s->ops->load_weeks(s, citizens, mondays, n, scratch, fn, ctx);
}

int ap_store_clock_get(ap_store_t *s, int32_t partition, ap_partition_clock_t *out) {
    return s->ops->clock_get(s, partition, out);
}

int ap_store_citizens(ap_store_t *s, int32_t partition, char ***out, size_t *n) {
    return s->ops->citizens(s, partition, out, n);
}

void ap_store_free_list(char **list, size_t n) {
    for (size_t i = 0; i < n; i++) free(list[i]);
    free(list);
}

int ap_store_results_get(ap_store_t *s, const char *const *citizens, const int32_t *mondays, size_t n,
                         ap_result_record_t *out) {
    return s->ops->results_get(s, citizens, mondays, n, out);
}

int ap_store_commit_cycle(ap_store_t *s, const ap_store_result_t *results, size_t n_results,
                          const ap_store_clock_t *clocks, size_t n_clocks, const ap_store_position_t *positions,
                          size_t n_positions, const ap_store_evaluated_t *evaluated, size_t n_evaluated) {
    ap_store_cycle_t c = {results, n_results, clocks, n_clocks, positions, n_positions, evaluated, n_evaluated, NULL, 0, NULL, 0};
    return s->ops->commit_cycle(s, &c);
}

int ap_store_commit(ap_store_t *s, const ap_store_cycle_t *cycle) { return s->ops->commit_cycle(s, cycle); }

int ap_store_month_results_get(ap_store_t *s, int32_t partition, int32_t month, ap_store_month_result_t **out,
                               size_t *n) {
    return s->ops->month_results_get(s, partition, month, out, n);
}

int ap_store_position_get(ap_store_t *s, const char *topic, int32_t partition, int64_t *next) {
    return s->ops->position_get(s, topic, partition, next);
}

void ap_store_invalidate(ap_store_t *s) {
    if (s->ops->invalidate) s->ops->invalidate(s);
}
