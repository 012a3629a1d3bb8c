/* registry.c - registry framing and a minimal schema registry client. See registry.h. */
#include "arbejdspligt/registry.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "arbejdspligt/codec.h"
#include "arbejdspligt/events.h"
#include "arbejdspligt/json.h"

int ap_registry_url_parse(const char *url, ap_registry_url_t *u, char *err, size_t errlen) {
    memset(u, 0, sizeof *u);
    if (strncmp(url, "https://", 8) == 0) {
        snprintf(err, errlen, "registry.url: https is not supported (plain http only)");
        return -1;
    }
    if (strncmp(url, "http://", 7) != 0) {
        snprintf(err, errlen, "registry.url must start with http://");
        return -1;
    }
    const char *h = url + 7, *end = h + strcspn(h, "/"), *colon = memchr(h, ':', (size_t)(end - h));
    const char *hend = colon ? colon : end;
    if (hend == h || (size_t)(hend - h) >= sizeof u->host) {
        snprintf(err, errlen, "registry.url: bad host");
        return -1;
    }
    memcpy(u->host, h, (size_t)(hend - h));
    u->port = 80;
    if (colon) {
        char *pe;
        long port = strtol(colon + 1, &pe, 10);
        if (pe != end || colon + 1 == end || port < 1 || port > 65535) {
            snprintf(err, errlen, "registry.url: bad port");
            return -1;
        }
        u->port = (int)port;
    }
    size_t plen = strlen(end);
    while (plen && end[plen - 1] == '/') plen--;
    if (plen >= sizeof u->path) {
        snprintf(err, errlen, "registry.url: path too long");
        return -1;
    }
    memcpy(u->path, end, plen);
    return 0;
}

void ap_registry_request(ap_buf_t *out, const ap_registry_url_t *u, const char *method, const char *path,
                         const char *body, size_t len) {
    ap_buf_appendf(out, "%s %s%s HTTP/1.1\r\nHost: %s:%d\r\n", method, u->path, path, u->host, u->port);
    ap_buf_append_str(out, "Accept: application/vnd.schemaregistry.v1+json, application/json\r\n"
                           "User-Agent: arbejdspligt\r\nConnection: close\r\n");
    if (body) {
        ap_buf_appendf(out, "Content-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: %zu\r\n\r\n",
                       len);
        ap_buf_append(out, body, len);
    } else {
        ap_buf_append_str(out, "\r\n");
    }
}

/* The value of header name in hdr[0..len) (lines end with CRLF), or NULL. */
static const char *header(const char *hdr, size_t len, const char *name, size_t *vlen) {
    size_t n = strlen(name);
    for (const char *p = hdr, *end = hdr + len; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        if ((size_t)(eol - p) > n && p[n] == ':' && strncasecmp(p, name, n) == 0) {
            const char *v = p + n + 1, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t')) v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            *vlen = (size_t)(ve - v);
            return v;
        }
        p = eol + 1;
    }
    return NULL;
}

int ap_registry_response(const char *resp, size_t len, int *status, ap_buf_t *body, char *err, size_t errlen) {
    const char *end = resp + len;
    if (len < 12 || strncmp(resp, "HTTP/1.", 7) != 0 || resp[8] != ' ') {
        snprintf(err, errlen, "not an HTTP/1.x response");
        return -1;
    }
    int st = 0;
    for (int i = 9; i < 12; i++) {
        if (resp[i] < '0' || resp[i] > '9') {
            snprintf(err, errlen, "bad HTTP status line");
            return -1;
        }
        st = st * 10 + (resp[i] - '0');
    }
    const char *hdr_end = NULL;
    for (const char *p = resp; p + 3 < end; p++)
        if (memcmp(p, "\r\n\r\n", 4) == 0) { hdr_end = p; break; }
    if (!hdr_end) {
        snprintf(err, errlen, "HTTP response ends in its headers");
        return -1;
    }
    const char *b = hdr_end + 4;
    size_t hlen = (size_t)(hdr_end - resp) + 2, telen = 0, vlen = 0;
    /* Each header's own length: with both present, chunked decides (RFC 9112 §6.3). */
    const char *te = header(resp, hlen, "Transfer-Encoding", &telen);
    const char *cl = header(resp, hlen, "Content-Length", &vlen);
    if (te && telen == 7 && strncasecmp(te, "chunked", 7) == 0) {
        /* chunk-size [; ext] CRLF data CRLF ... 0 CRLF [trailers] CRLF */
        while (1) {
            char *pe;
            const char *eol = memchr(b, '\n', (size_t)(end - b));
            if (!eol) break;
            unsigned long n = strtoul(b, &pe, 16);
            if (pe == b) break;
            b = eol + 1;
            if (n == 0) { *status = st; return 0; }
            if (n > (size_t)(end - b) || (size_t)(end - b) - n < 2) break;
            ap_buf_append(body, b, n);
            b += n + 2;
        }
        snprintf(err, errlen, "bad chunked HTTP body");
        return -1;
    }
    if (cl) {
        char num[24];
        if (vlen == 0 || vlen >= sizeof num) {
            snprintf(err, errlen, "bad Content-Length");
            return -1;
        }
        memcpy(num, cl, vlen);
        num[vlen] = 0;
        char *pe;
        unsigned long long n = strtoull(num, &pe, 10);
        if (*pe || n > (size_t)(end - b)) {
            snprintf(err, errlen, "HTTP body shorter than its Content-Length");
            return -1;
        }
        ap_buf_append(body, b, (size_t)n);
    } else {
        ap_buf_append(body, b, (size_t)(end - b)); /* to the end of the connection */
    }
    *status = st;
    return 0;
}

void ap_registry_register_body(ap_buf_t *out, const char *schema, size_t len) {
    ap_buf_append_str(out, "{\"schema\":");
    ap_json_write_string(out, schema, len);
    ap_buf_append_byte(out, '}');
}

/* The member name of a JSON object body. */
static const ap_json_node_t *member(ap_json_doc_t *doc, const char *body, size_t len, const char *name, char *err,
                                    size_t errlen) {
    if (ap_json_parse(doc, body, len)) {
        snprintf(err, errlen, "registry answer is not JSON: %s", doc->err);
        return NULL;
    }
    const ap_json_node_t *n = doc->nodes[0].type == AP_JSON_OBJECT ? ap_json_member(doc, &doc->nodes[0], name) : NULL;
    if (!n) snprintf(err, errlen, "registry answer has no \"%s\"", name);
    return n;
}

int ap_registry_parse_id(const char *body, size_t len, int32_t *id, char *err, size_t errlen) {
    ap_json_doc_t doc = AP_JSON_DOC_INIT;
    int64_t v;
    int rc = -1;
    const ap_json_node_t *n = member(&doc, body, len, "id", err, errlen);
    if (n && (n->type != AP_JSON_NUMBER || ap_json_int64(n, &v) || v < 0 || v > INT32_MAX))
        snprintf(err, errlen, "registry answer's \"id\" is not a schema id");
    else if (n) {
        *id = (int32_t)v;
        rc = 0;
    }
    ap_json_doc_free(&doc);
    return rc;
}

int ap_registry_parse_schema(const char *body, size_t len, ap_buf_t *schema, char *err, size_t errlen) {
    ap_json_doc_t doc = AP_JSON_DOC_INIT;
    int rc = -1;
    const ap_json_node_t *n = member(&doc, body, len, "schema", err, errlen);
    if (n && n->type != AP_JSON_STRING) snprintf(err, errlen, "registry answer's \"schema\" is not a string");
    else if (n) {
        ap_buf_append(schema, n->str, n->len);
        rc = 0;
    }
    ap_json_doc_free(&doc);
    return rc;
}

/* The single-object header's fingerprint (little-endian), or -1 if buf is not single-object encoded. */
static int so_fingerprint(const uint8_t *b, size_t len, uint64_t *fp) {
    if (len < AP_REGISTRY_SO_HEADER || b[0] != 0xC3 || b[1] != 0x01) return -1;
    uint64_t v = 0;
    for (int i = 9; i >= 2; i--) v = v << 8 | b[i];
    *fp = v;
    return 0;
}

int ap_registry_frame(ap_buf_t *out, int32_t id, uint64_t fp, const void *value, size_t len) {
    const uint8_t *b = value;
    uint64_t have;
    if (so_fingerprint(b, len, &have) || (fp && have != fp)) return -1;
    uint8_t h[AP_REGISTRY_HEADER] = {0, (uint8_t)((uint32_t)id >> 24), (uint8_t)((uint32_t)id >> 16),
                                     (uint8_t)((uint32_t)id >> 8), (uint8_t)id};
    ap_buf_append(out, h, sizeof h);
    ap_buf_append(out, b + AP_REGISTRY_SO_HEADER, len - AP_REGISTRY_SO_HEADER);
    return 0;
}

int ap_registry_unframe(const void *buf, size_t len, int32_t *id) {
    const uint8_t *b = buf;
    if (len < AP_REGISTRY_HEADER || b[0] != 0) return 0;
    *id = (int32_t)((uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 8 | b[4]);
    return 1;
}

int ap_registry_to_single_object(ap_buf_t *out, uint64_t fp, const void *buf, size_t len) {
    int32_t id;
    if (!ap_registry_unframe(buf, len, &id)) return -1;
    uint8_t h[AP_REGISTRY_SO_HEADER] = {0xC3, 0x01};
    for (int i = 0; i < 8; i++) h[2 + i] = (uint8_t)(fp >> (8 * i));
    ap_buf_append(out, h, sizeof h);
    ap_buf_append(out, (const uint8_t *)buf + AP_REGISTRY_HEADER, len - AP_REGISTRY_HEADER);
    return 0;
}

/* Connects to u within timeout_ms (SO_SNDTIMEO bounds connect on Linux). @return the socket or -1. */
static int dial(const ap_registry_url_t *u, int timeout_ms, char *err, size_t errlen) {
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char port[8];
    snprintf(port, sizeof port, "%d", u->port);
    int gai = getaddrinfo(u->host, port, &hints, &res);
    if (gai) {
        snprintf(err, errlen, "registry %s: %s", u->host, gai_strerror(gai));
        return -1;
    }
    int fd = -1, last = 0;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) { last = errno; continue; }
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (connect(fd, a->ai_addr, a->ai_addrlen)) {
            last = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) snprintf(err, errlen, "registry %s:%d: %s", u->host, u->port, strerror(last));
    return fd;
}

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Bounds fd's next send and recv by what is left until deadline. @return 0, or -1 once it has passed. */
static int time_left(int fd, int64_t deadline) {
    int64_t left = deadline - mono_ms();
    if (left <= 0) return -1;
    struct timeval tv = {(time_t)(left / 1000), (suseconds_t)(left % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return 0;
}

int ap_registry_call(const ap_registry_url_t *u, const char *method, const char *path, const char *body,
                     size_t len, int timeout_ms, int *status, ap_buf_t *body_out, char *err, size_t errlen) {
    ap_buf_t req = AP_BUF_INIT, resp = AP_BUF_INIT;
    int rc = -1, fd = dial(u, timeout_ms, err, errlen);
    if (fd < 0) goto cleanup;
    /* The exchange as a whole within timeout_ms: a registry (or a proxy)
     * that trickles its answer cannot hold the caller past it. */
    int64_t deadline = mono_ms() + timeout_ms;
    ap_registry_request(&req, u, method, path, body, len);
    for (size_t off = 0; off < req.len;) {
        if (time_left(fd, deadline)) {
            snprintf(err, errlen, "registry %s:%d: send: timed out", u->host, u->port);
            goto cleanup;
        }
        ssize_t n = send(fd, req.data + off, req.len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            snprintf(err, errlen, "registry %s:%d: send: %s", u->host, u->port, strerror(errno));
            goto cleanup;
        }
        off += (size_t)n;
    }
    /* Connection: close, so the answer ends where the connection does. */
    for (;;) {
        if (time_left(fd, deadline)) {
            snprintf(err, errlen, "registry %s:%d: no answer: timed out", u->host, u->port);
            goto cleanup;
        }
        ap_buf_reserve(&resp, 16384);
        ssize_t n = recv(fd, resp.data + resp.len, resp.cap - resp.len - 1, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            snprintf(err, errlen, "registry %s:%d: no answer: %s", u->host, u->port,
                     errno == EAGAIN ? "timed out" : strerror(errno));
            goto cleanup;
        }
        if (n == 0) break;
        resp.len += (size_t)n;
        resp.data[resp.len] = 0;
        if (resp.len > AP_REGISTRY_MAX_RESPONSE) {
            snprintf(err, errlen, "registry answer larger than %u bytes", AP_REGISTRY_MAX_RESPONSE);
            goto cleanup;
        }
    }
    rc = ap_registry_response(resp.data ? resp.data : "", resp.len, status, body_out, err, errlen);
cleanup:
    if (fd >= 0) close(fd);
    ap_buf_free(&req);
    ap_buf_free(&resp);
    return rc;
}

/* The outcome of a call's status: 0 for 2xx; -1 (retry) for 5xx and for
 * 408 and 429, which say "not now" rather than "no"; 1 otherwise, with err. */
static int judge(int status, const ap_buf_t *body, const char *what, char *err, size_t errlen) {
    if (status >= 200 && status < 300) return 0;
    /* The registry's error message names the subject or schema, never record
     * contents. Callers log err as one quoted value (error="..."): its
     * quotes and backslashes escaped, control characters as spaces, so a
     * JSON answer or a newline in it cannot end the value or the line. */
    int w = snprintf(err, errlen, "registry %s: HTTP %d: ", what, status);
    /* Whole escapes only: a cut never leaves a lone backslash at the end. */
    for (size_t i = 0, n = w > 0 ? (size_t)w : 0; i < body->len && i < 200 && n + 3 <= errlen; i++) {
        unsigned char c = (unsigned char)body->data[i];
        if (c == '"' || c == '\\') err[n++] = '\\';
        err[n++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
        err[n] = 0;
    }
    return status >= 500 || status == 408 || status == 429 ? -1 : 1;
}

int ap_registry_register(const ap_registry_url_t *u, const char *subject, const char *schema, size_t len,
                         int timeout_ms, int32_t *id, char *err, size_t errlen) {
    ap_buf_t req = AP_BUF_INIT, resp = AP_BUF_INIT, path = AP_BUF_INIT;
    int status = 0, rc;
    ap_registry_register_body(&req, schema, len);
    /* Subjects here are topic names + "-value": [A-Za-z0-9._-], nothing to escape. */
    ap_buf_appendf(&path, "/subjects/%s/versions", subject);
    rc = ap_registry_call(u, "POST", path.data, req.data, req.len, timeout_ms, &status, &resp, err, errlen);
    if (rc == 0) rc = judge(status, &resp, subject, err, errlen);
    if (rc == 0 && ap_registry_parse_id(resp.data ? resp.data : "", resp.len, id, err, errlen)) rc = 1;
    ap_buf_free(&req);
    ap_buf_free(&resp);
    ap_buf_free(&path);
    return rc;
}

int ap_registry_schema_by_id(const ap_registry_url_t *u, int32_t id, int timeout_ms, ap_buf_t *schema, char *err,
                             size_t errlen) {
    ap_buf_t resp = AP_BUF_INIT;
    char path[64];
    int status = 0;
    snprintf(path, sizeof path, "/schemas/ids/%d", (int)id);
    int rc = ap_registry_call(u, "GET", path, NULL, 0, timeout_ms, &status, &resp, err, errlen);
    if (rc == 0) rc = judge(status, &resp, path, err, errlen);
    if (rc == 0 && ap_registry_parse_schema(resp.data ? resp.data : "", resp.len, schema, err, errlen)) rc = 1;
    ap_buf_free(&resp);
    return rc;
}

int ap_registry_output_add(ap_registry_output_t *ro, const char *topic, uint64_t fingerprint, int32_t id) {
    if (ro->n == AP_REGISTRY_MAX_TOPICS || strlen(topic) >= sizeof ro->topics[0].topic) return -1;
    snprintf(ro->topics[ro->n].topic, sizeof ro->topics[0].topic, "%s", topic);
    ro->topics[ro->n].fingerprint = fingerprint;
    ro->topics[ro->n].id = id;
    ro->n++;
    return 0;
}

int ap_registry_output_register(ap_registry_output_t *ro, const ap_registry_url_t *u, const char *topic,
                                ap_event_type_t t, int timeout_ms, char *err, size_t errlen) {
    const ap_record_desc_t *d = ap_events_desc(t);
    char subject[160];
    int32_t id;
    if (snprintf(subject, sizeof subject, "%s-value", topic) >= (int)sizeof subject) {
        snprintf(err, errlen, "topic name too long for a subject");
        return 1;
    }
    int rc = ap_registry_register(u, subject, d->schema_text, d->schema_len, timeout_ms, &id, err, errlen);
    if (rc) return rc;
    if (ap_registry_output_add(ro, topic, d->fingerprint, id)) {
        snprintf(err, errlen, "more than %d framed topics", AP_REGISTRY_MAX_TOPICS);
        return 1;
    }
    return 0;
}

static int output_produce(void *ctx, const char *topic, const void *key, size_t keylen, const void *value, size_t len,
                          const ap_event_t *event, char *err, size_t errlen) {
    ap_registry_output_t *ro = ctx;
    for (size_t i = 0; i < ro->n; i++) {
        if (strcmp(ro->topics[i].topic, topic) != 0) continue;
        ap_buf_reset(&ro->scratch);
        if (ap_registry_frame(&ro->scratch, ro->topics[i].id, ro->topics[i].fingerprint, value, len)) {
            /* A record of another schema than the one registered for the
             * topic would be read with the wrong schema: refuse it. */
            snprintf(err, errlen, "record for %s is not of the schema registered for it", topic);
            return -1;
        }
        return ro->inner.produce(ro->inner.ctx, topic, key, keylen, ro->scratch.data, ro->scratch.len, event, err,
                                 errlen);
    }
    return ro->inner.produce(ro->inner.ctx, topic, key, keylen, value, len, event, err, errlen);
}

static int output_flush(void *ctx, int timeout_ms, char *err, size_t errlen) {
    ap_registry_output_t *ro = ctx;
    return ro->inner.flush(ro->inner.ctx, timeout_ms, err, errlen);
}

ap_output_t ap_registry_output(ap_registry_output_t *ro) {
    return (ap_output_t){output_produce, output_flush, ro};
}

void ap_registry_output_free(ap_registry_output_t *ro) {
    ap_buf_free(&ro->scratch);
}
