/*
 * health.h - ap-processor's HTTP endpoint for operators and orchestrators
 * (libmicrohttpd, in a thread of its own, off the processing path):
 *   GET /healthz  200 "ok" while the process runs (liveness)
 *   GET /readyz   200 "ready", or 503 with the reason (readiness, see
 *                 ap_health_ready)
 *   GET /metrics  Prometheus text (metrics.h)
 * The main thread publishes a metrics snapshot after its steps; readiness is
 * read live from the pump's status (pump.h), so it stays true to the moment
 * even while the main thread is blocked in a retry.
 *
 * Nothing personal is served: counters, topics and partitions only. Bind it
 * to loopback (the default) unless a scraper or a probe needs it elsewhere.
 *
 * Ownership: the server borrows the pump status (it must outlive the
 * server); ap_health_stop() joins the thread and frees everything.
 */
#ifndef AP_HEALTH_H
#define AP_HEALTH_H

#include <stddef.h>

#include "arbejdspligt/metrics.h"
#include "arbejdspligt/pump.h"

typedef struct ap_health ap_health_t;

typedef struct ap_health_config {
    const char *address;      /* IPv4 address to bind, e.g. "127.0.0.1" or "0.0.0.0" */
    int port;                 /* > 0 */
    double ready_max_retry_s; /* a retry lasting longer makes /readyz fail */
    const ap_pump_status_t *status;
} ap_health_config_t;

/** @return the running server, or NULL with err set (e.g. the port is taken). */
ap_health_t *ap_health_start(const ap_health_config_t *cfg, char *err, size_t errlen);

/** @brief Replaces the snapshot /metrics serves (copied; ready and retrying are filled in live). */
void ap_health_publish(ap_health_t *h, const ap_metrics_snapshot_t *m);

void ap_health_stop(ap_health_t *h);

/**
 * @brief The readiness rule (pure): ready when the consumer has input
 * partitions assigned and has polled within max_retry_s, and no failed cycle
 * or unavailable store has been retried for longer than max_retry_s (a Kafka
 * or Redis outage shows there: outputs cannot be acknowledged, or the store
 * does not answer). now_ms as in pump.h.
 * @return 1 ready, or 0 with the reason in why.
 */
int ap_health_ready(const ap_pump_status_t *st, int64_t now_ms, double max_retry_s, char *why, size_t whylen);

#endif
