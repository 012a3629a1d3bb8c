/* health.c - /healthz, /readyz and /metrics over libmicrohttpd. See health.h. */
#include "arbejdspligt/health.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "arbejdspligt/log.h"

struct ap_health {
    ap_health_config_t cfg;
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock; /* guards snapshot */
    ap_metrics_snapshot_t snapshot;
    int published;
};

int ap_health_ready(const ap_pump_status_t *st, int64_t now_ms, double max_retry_s, char *why, size_t whylen) {
    int64_t max_ms = (int64_t)(max_retry_s * 1000);
    int64_t since = atomic_load(&st->retrying_since_ms), polled = atomic_load(&st->last_poll_ms);
    if (since && now_ms - since > max_ms) {
        snprintf(why, whylen, "retrying for %.1f s (Kafka or Redis unavailable, see the log)",
                 (double)(now_ms - since) / 1000);
        return 0;
    }
    if (!polled || now_ms - polled > max_ms) {
        snprintf(why, whylen, "%s", polled ? "the consumer has not polled recently" : "not consuming yet");
        return 0;
    }
    if (atomic_load(&st->assigned) <= 0) {
        snprintf(why, whylen, "%s", atomic_load(&st->assignments) ? "no input partitions assigned"
                                                                   : "waiting for the group's assignment");
        return 0;
    }
    return 1;
}

static int64_t now_ms(void) { return (int64_t)(ap_log_monotonic_s() * 1000); }

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type, const char *body,
                               size_t len) {
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls) {
    (void)version, (void)upload, (void)con_cls;
    ap_health_t *h = cls;
    if (*upload_size) return MHD_NO; /* no request bodies here */
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "GET only\n", 9);
    const char *text = "text/plain; charset=utf-8";
    if (strcmp(url, "/healthz") == 0) return respond(c, MHD_HTTP_OK, text, "ok\n", 3);
    char why[160], body[200];
    int ready = ap_health_ready(h->cfg.status, now_ms(), h->cfg.ready_max_retry_s, why, sizeof why);
    if (strcmp(url, "/readyz") == 0) {
        if (ready) return respond(c, MHD_HTTP_OK, text, "ready\n", 6);
        int n = snprintf(body, sizeof body, "not ready: %s\n", why);
        return respond(c, MHD_HTTP_SERVICE_UNAVAILABLE, text, body, (size_t)n < sizeof body ? (size_t)n : sizeof body - 1);
    }
    if (strcmp(url, "/metrics") == 0) {
        ap_metrics_snapshot_t *m = malloc(sizeof *m); /* large: not on the server thread's stack */
        if (!m) return MHD_NO;
        pthread_mutex_lock(&h->lock);
        *m = h->snapshot;
        pthread_mutex_unlock(&h->lock);
        int64_t since = atomic_load(&h->cfg.status->retrying_since_ms);
        m->ready = ready;
        m->retrying_s = since ? (double)(now_ms() - since) / 1000 : 0;
        m->assigned = atomic_load(&h->cfg.status->assigned);
        ap_buf_t out = AP_BUF_INIT;
        ap_metrics_format(m, &out);
        free(m);
        enum MHD_Result rc =
            respond(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", out.data ? out.data : "", out.len);
        ap_buf_free(&out);
        return rc;
    }
    return respond(c, MHD_HTTP_NOT_FOUND, text, "not found: /healthz, /readyz, /metrics\n", 39);
}

ap_health_t *ap_health_start(const ap_health_config_t *cfg, char *err, size_t errlen) {
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)cfg->port);
    if (cfg->port <= 0 || cfg->port > 65535 || inet_pton(AF_INET, cfg->address, &addr.sin_addr) != 1) {
        snprintf(err, errlen, "http: bad address %.64s:%d (an IPv4 address and a port)", cfg->address, cfg->port);
        return NULL;
    }
    ap_health_t *h = calloc(1, sizeof *h);
    if (!h) abort();
    h->cfg = *cfg;
    pthread_mutex_init(&h->lock, NULL);
    /* One thread polls every connection: probes and scrapes are rare and
     * short. Few connections, short timeouts: a slow client cannot pile up. */
    h->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)cfg->port, NULL, NULL, on_request, h,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT,
                                 (unsigned)16, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (!h->daemon) {
        snprintf(err, errlen, "http: cannot listen on %.64s:%d (port taken?)", cfg->address, cfg->port);
        pthread_mutex_destroy(&h->lock);
        free(h);
        return NULL;
    }
    return h;
}

void ap_health_publish(ap_health_t *h, const ap_metrics_snapshot_t *m) {
    pthread_mutex_lock(&h->lock);
    h->snapshot = *m;
    h->published = 1;
    pthread_mutex_unlock(&h->lock);
}

void ap_health_stop(ap_health_t *h) {
    if (!h) return;
    MHD_stop_daemon(h->daemon);
    pthread_mutex_destroy(&h->lock);
    free(h);
}
