/* store.c - the state-store interface: dispatch to the implementation. See store.h. */
#include "arbejdspligt/store.h"

#include <stdlib.h>

void ap_store_destroy(ap_store_t *s) {
    if (s) s->ops->destroy(s);
}

int ap_store_reconnect(ap_store_t *s) { return s->ops->reconnect(s); }
const char *ap_store_error(const ap_store_t *s) { return s->err; }
int ap_store_ping(ap_store_t *s) { return s->ops->ping(s); }
const char *ap_store_kind(const ap_store_t *s) { return s->ops->kind; }

int ap_store_apply(ap_store_t *s, const ap_store_item_t *items, size_t n, int32_t partition, int *outcomes) {
    return s->ops->apply(s, items, n, partition, outcomes);
}

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
    return s->ops->commit_cycle(s, results, n_results, clocks, n_clocks, positions, n_positions, evaluated,
                                n_evaluated);
}

int ap_store_position_get(ap_store_t *s, const char *topic, int32_t partition, int64_t *next) {
    return s->ops->position_get(s, topic, partition, next);
}

void ap_store_invalidate(ap_store_t *s) {
    if (s->ops->invalidate) s->ops->invalidate(s);
}
