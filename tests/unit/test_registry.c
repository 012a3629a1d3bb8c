/* Registry framing and the schema registry client's pure parts (issue 17 §4):
 * URLs, requests, responses (Content-Length, chunked, to the end, broken),
 * the answers' JSON, the header swap both ways on real records, and the
 * framing output's routing by topic. No network: bytes in, bytes out. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "arbejdspligt/events.h"
#include "arbejdspligt/registry.h"

static void url_parse(void **state) {
    (void)state;
    char err[128];
    ap_registry_url_t u;
    assert_int_equal(ap_registry_url_parse("http://127.0.0.1:8081/apis/ccompat/v7/", &u, err, sizeof err), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 8081);
    assert_string_equal(u.path, "/apis/ccompat/v7");
    assert_int_equal(ap_registry_url_parse("http://registry", &u, err, sizeof err), 0);
    assert_string_equal(u.host, "registry");
    assert_int_equal(u.port, 80);
    assert_string_equal(u.path, "");
    /* Refused, each with a reason. */
    const char *bad[] = {"https://r:8081", "r:8081", "http://:8081", "http://r:0", "http://r:70000", "http://r:80x/",
                         "http://r:/", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        assert_int_equal(ap_registry_url_parse(bad[i], &u, err, sizeof err), -1);
        assert_true(err[0] != 0);
    }
}

static void request_bytes(void **state) {
    (void)state;
    char err[128];
    ap_registry_url_t u;
    ap_buf_t b = AP_BUF_INIT;
    assert_int_equal(ap_registry_url_parse("http://h:81/base", &u, err, sizeof err), 0);
    ap_registry_request(&b, &u, "POST", "/subjects/t-value/versions", "{}", 2);
    assert_string_equal(b.data, "POST /base/subjects/t-value/versions HTTP/1.1\r\nHost: h:81\r\n"
                                "Accept: application/vnd.schemaregistry.v1+json, application/json\r\n"
                                "User-Agent: arbejdspligt\r\nConnection: close\r\n"
                                "Content-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: 2\r\n\r\n{}");
    ap_buf_reset(&b);
    ap_registry_request(&b, &u, "GET", "/schemas/ids/7", NULL, 0);
    assert_non_null(strstr(b.data, "GET /base/schemas/ids/7 HTTP/1.1\r\n"));
    assert_null(strstr(b.data, "Content-Length"));
    assert_int_equal(memcmp(b.data + b.len - 4, "\r\n\r\n", 4), 0);
    ap_buf_free(&b);
}

/* One response table: the bytes, the status and body wanted (NULL: malformed). */
static void responses(void **state) {
    (void)state;
    static const struct {
        const char *in;
        int status;
        const char *body;
    } rows[] = {
        {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n{\"id\":1}", 200, "{\"id\":1}"},
        {"HTTP/1.1 200 OK\r\ncontent-length:  8 \r\n\r\n{\"id\":1}trailing", 200, "{\"id\":1}"},
        {"HTTP/1.1 409 Conflict\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"er\r\n6;x=y\r\nror\":1\r\n1\r\n}\r\n0\r\n\r\n",
         409, "{\"error\":1}"},
        {"HTTP/1.0 500 Oops\r\nServer: x\r\n\r\nto the end", 500, "to the end"},
        {"HTTP/1.1 204 No Content\r\n\r\n", 204, ""},
        {"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{\"id\":1}", 0, NULL},   /* body cut short */
        {"HTTP/1.1 200 OK\r\nContent-Length: 1", 0, NULL},                  /* headers cut short */
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nabc", 0, NULL}, /* chunk cut short */
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, NULL},
        {"HTTP/1.1 2x0 OK\r\n\r\n", 0, NULL},
        {"SSH-2.0-OpenSSH\r\n\r\n", 0, NULL},
        {"", 0, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        ap_buf_t body = AP_BUF_INIT;
        char err[128] = "";
        int status = -1;
        int rc = ap_registry_response(rows[i].in, strlen(rows[i].in), &status, &body, err, sizeof err);
        if (!rows[i].body) {
            assert_int_equal(rc, -1);
            assert_true(err[0] != 0);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(status, rows[i].status);
            assert_int_equal(body.len, strlen(rows[i].body));
            assert_memory_equal(body.data ? body.data : "", rows[i].body, body.len);
        }
        ap_buf_free(&body);
    }
}

/* RFC 9112 §6.3: with both Transfer-Encoding: chunked and Content-Length
 * (a proxy's or a broken server's answer), the chunked coding decides the
 * body and Content-Length is ignored, whichever header comes first. */
static void chunked_wins_over_content_length(void **state) {
    (void)state;
    static const char *const rows[] = {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 18\r\n\r\n8\r\n{\"id\":1}\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 18\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n{\"id\":1}\r\n0\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        ap_buf_t body = AP_BUF_INIT;
        char err[128] = "";
        int status = -1;
        assert_int_equal(ap_registry_response(rows[i], strlen(rows[i]), &status, &body, err, sizeof err), 0);
        assert_int_equal(status, 200);
        assert_int_equal(body.len, 8);
        assert_memory_equal(body.data, "{\"id\":1}", 8);
        ap_buf_free(&body);
    }
}

/* A listening socket on a spare loopback port (port 0), for the local servers below. */
static int listen_loopback(uint16_t *port) {
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof a;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lfd, 1), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
    *port = ntohs(a.sin_port);
    return lfd;
}

/* A registry that answers one byte every 50 ms for about 3 s: each read
 * gets something well within the timeout, so only a bound on the whole call
 * stops the processor from waiting at start-up as long as the trickle lasts. */
static void *trickle_server(void *arg) {
    int lfd = *(int *)arg, fd = accept(lfd, NULL, NULL);
    if (fd < 0) return NULL;
    char req[4096];
    (void)recv(fd, req, sizeof req, 0);
    const char *hdr = "HTTP/1.1 200 OK\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    for (size_t i = 0; i < strlen(hdr); i++) {
        if (send(fd, hdr + i, 1, MSG_NOSIGNAL) != 1) break; /* the client gave up */
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    close(fd);
    return NULL;
}

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void call_bounded_as_a_whole(void **state) {
    (void)state;
    uint16_t port;
    int lfd = listen_loopback(&port);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, trickle_server, &lfd), 0);
    ap_registry_url_t u = {"127.0.0.1", port, ""};
    ap_buf_t body = AP_BUF_INIT;
    char err[256] = "";
    int status = 0;
    double t0 = mono_s();
    int rc = ap_registry_call(&u, "GET", "/schemas/ids/1", NULL, 0, 300, &status, &body, err, sizeof err);
    double took = mono_s() - t0;
    pthread_join(t, NULL);
    close(lfd);
    ap_buf_free(&body);
    assert_int_equal(rc, -1);
    assert_true(err[0] != 0);
    assert_true(took < 1.5);
}

/* A registry that answers one request with fixed bytes. */
typedef struct answer_server {
    int lfd;
    const char *answer;
} answer_server_t;

static void *answer_once(void *arg) {
    const answer_server_t *a = arg;
    int fd = accept(a->lfd, NULL, NULL);
    if (fd < 0) return NULL;
    char req[8192];
    (void)recv(fd, req, sizeof req, 0);
    (void)send(fd, a->answer, strlen(a->answer), MSG_NOSIGNAL);
    close(fd);
    return NULL;
}

/* A refusal's text goes into err and from there into a key=value log line
 * as error="...": the registry's answer (JSON, so quotes; perhaps a
 * newline) must not end the value early or start a line of its own. */
static void refusal_fits_one_log_value(void **state) {
    (void)state;
    uint16_t port;
    int lfd = listen_loopback(&port);
    answer_server_t srv = {lfd, "HTTP/1.1 409 Conflict\r\n\r\n"
                                "{\"error_code\":409,\"message\":\"incompatible\nlevel=error msg=\\\"forged\"}"};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, answer_once, &srv), 0);
    ap_registry_url_t u = {"127.0.0.1", port, ""};
    char err[512] = "";
    int32_t id = 0;
    int rc = ap_registry_register(&u, "ap.results-value", "\"int\"", 5, 2000, &id, err, sizeof err);
    pthread_join(t, NULL);
    close(lfd);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "HTTP 409"));
    assert_non_null(strstr(err, "incompatible"));
    for (const char *p = err; *p; p++) {
        assert_true((unsigned char)*p >= 0x20 && *p != 0x7f); /* no newline, no control character */
        if (*p == '"') assert_true(p > err && p[-1] == '\\');     /* every quote escaped */
        if (*p == '\\') { assert_true(p[1] == '"' || p[1] == '\\'); p++; }
    }
}

/* A registry that says "not now" (429 Too Many Requests, 408 Request
 * Timeout) is retried like one that is down, not taken for a refusal that
 * stops the processor (found by review). */
static void not_now_is_retried(void **state) {
    (void)state;
    static const char *const answers_[] = {"HTTP/1.1 429 Too Many Requests\r\n\r\n", "HTTP/1.1 408 Request Timeout\r\n\r\n",
                                           "HTTP/1.1 503 Service Unavailable\r\n\r\n", "HTTP/1.1 404 Not Found\r\n\r\n"};
    static const int want[] = {-1, -1, -1, 1};
    for (size_t k = 0; k < sizeof want / sizeof *want; k++) {
        uint16_t port;
        int lfd = listen_loopback(&port);
        answer_server_t srv = {lfd, answers_[k]};
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, answer_once, &srv), 0);
        ap_registry_url_t u = {"127.0.0.1", port, ""};
        char err[512] = "";
        int32_t id = 0;
        int rc = ap_registry_register(&u, "ap.results-value", "\"int\"", 5, 2000, &id, err, sizeof err);
        pthread_join(t, NULL);
        close(lfd);
        assert_int_equal(rc, want[k]);
    }
}

static void answers(void **state) {
    (void)state;
    char err[128];
    int32_t id = 0;
    assert_int_equal(ap_registry_parse_id("{\"id\":42}", 9, &id, err, sizeof err), 0);
    assert_int_equal(id, 42);
    const char *bad[] = {"{\"id\":-1}", "{\"id\":1.5}", "{\"id\":\"1\"}", "{\"version\":1}", "[1]", "{", "{\"id\":2147483648}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(ap_registry_parse_id(bad[i], strlen(bad[i]), &id, err, sizeof err), -1);

    /* The register body is the schema as one JSON string, and reads back. */
    const char *schema = "{\"type\":\"record\",\"name\":\"X\",\"doc\":\"a \\\"quote\\\"\\n\",\"fields\":[]}";
    ap_buf_t body = AP_BUF_INIT, back = AP_BUF_INIT;
    ap_registry_register_body(&body, schema, strlen(schema));
    assert_int_equal(ap_registry_parse_schema(body.data, body.len, &back, err, sizeof err), 0);
    assert_string_equal(back.data, schema);
    assert_int_equal(ap_registry_parse_schema("{\"schema\":1}", 12, &back, err, sizeof err), -1);
    ap_buf_free(&body);
    ap_buf_free(&back);
}

/* A real output record (an alert), single-object encoded. */
static void encode_alert(ap_buf_t *out) {
    ap_event_t ev;
    ap_events_clear(&ev, AP_EV_ALERT);
    snprintf(ev.u.alert.citizen_id, sizeof ev.u.alert.citizen_id, "c-1");
    snprintf(ev.u.alert.municipality_code, sizeof ev.u.alert.municipality_code, "101");
    ap_events_encode(&ev, out);
}

static void framing_both_ways(void **state) {
    (void)state;
    ap_buf_t so = AP_BUF_INIT, framed = AP_BUF_INIT, back = AP_BUF_INIT;
    encode_alert(&so);
    uint64_t fp = ap_events_desc(AP_EV_ALERT)->fingerprint;
    assert_int_equal(ap_registry_frame(&framed, 0x01020304, fp, so.data, so.len), 0);
    /* 0x00, the id big-endian, then the same Avro body. */
    assert_int_equal(framed.len, so.len - AP_REGISTRY_SO_HEADER + AP_REGISTRY_HEADER);
    assert_memory_equal(framed.data, "\x00\x01\x02\x03\x04", 5);
    assert_memory_equal(framed.data + 5, so.data + 10, so.len - 10);
    int32_t id = 0;
    assert_int_equal(ap_registry_unframe(framed.data, framed.len, &id), 1);
    assert_int_equal(id, 0x01020304);
    assert_int_equal(ap_registry_to_single_object(&back, fp, framed.data, framed.len), 0);
    assert_int_equal(back.len, so.len);
    assert_memory_equal(back.data, so.data, so.len);
    /* A single-object record is never taken for a framed one, and back. */
    assert_int_equal(ap_registry_unframe(so.data, so.len, &id), 0);
    assert_int_equal(ap_registry_unframe("\x00\x01\x02\x03", 4, &id), 0);
    /* Framing refuses what is not single-object, or of another schema. */
    ap_buf_reset(&back);
    assert_int_equal(ap_registry_frame(&back, 1, fp, framed.data, framed.len), -1);
    assert_int_equal(ap_registry_frame(&back, 1, fp ^ 1, so.data, so.len), -1);
    assert_int_equal(ap_registry_frame(&back, 1, fp, so.data, 9), -1);
    assert_int_equal(back.len, 0);
    ap_buf_free(&so);
    ap_buf_free(&framed);
    ap_buf_free(&back);
}

/* What the framing output hands on: topic, bytes. */
typedef struct seen {
    char topic[64];
    ap_buf_t value;
    int flushed;
} seen_t;

static int seen_produce(void *ctx, const char *topic, const void *key, size_t keylen, const void *value, size_t len,
                        const ap_event_t *event, char *err, size_t errlen) {
    (void)key, (void)keylen, (void)event, (void)err, (void)errlen;
    seen_t *s = ctx;
    snprintf(s->topic, sizeof s->topic, "%s", topic);
    ap_buf_reset(&s->value);
    ap_buf_append(&s->value, value, len);
    return 0;
}

static int seen_flush(void *ctx, int timeout_ms, char *err, size_t errlen) {
    (void)timeout_ms, (void)err, (void)errlen;
    ((seen_t *)ctx)->flushed++;
    return 0;
}

static void output_frames_known_topics_only(void **state) {
    (void)state;
    seen_t seen = {{0}, AP_BUF_INIT, 0};
    ap_registry_output_t ro;
    memset(&ro, 0, sizeof ro);
    ro.inner = (ap_output_t){seen_produce, seen_flush, &seen};
    uint64_t fp = ap_events_desc(AP_EV_ALERT)->fingerprint;
    assert_int_equal(ap_registry_output_add(&ro, "ap.alerts", fp, 7), 0);
    assert_int_equal(ap_registry_output_add(&ro, "ap.compliance", ap_events_desc(AP_EV_RESULT)->fingerprint, 8), 0);
    ap_output_t out = ap_registry_output(&ro);
    ap_buf_t so = AP_BUF_INIT;
    encode_alert(&so);
    char err[128];
    assert_int_equal(out.produce(out.ctx, "ap.alerts", "c-1", 3, so.data, so.len, NULL, err, sizeof err), 0);
    assert_string_equal(seen.topic, "ap.alerts");
    assert_memory_equal(seen.value.data, "\x00\x00\x00\x00\x07", 5);
    /* A JSON mirror passes through as it is. */
    assert_int_equal(out.produce(out.ctx, "ap.alerts-json", "c-1", 3, "{}", 2, NULL, err, sizeof err), 0);
    assert_int_equal(seen.value.len, 2);
    /* An alert on the results topic would be read with the wrong schema: refused. */
    assert_int_equal(out.produce(out.ctx, "ap.compliance", "c-1", 3, so.data, so.len, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "ap.compliance"));
    assert_int_equal(out.flush(out.ctx, 10, err, sizeof err), 0);
    assert_int_equal(seen.flushed, 1);
    for (int i = 2; i < AP_REGISTRY_MAX_TOPICS; i++) assert_int_equal(ap_registry_output_add(&ro, "t", 1, i), 0);
    assert_int_equal(ap_registry_output_add(&ro, "one-too-many", 1, 99), -1);
    ap_registry_output_free(&ro);
    ap_buf_free(&so);
    ap_buf_free(&seen.value);
}

static int setup(void **state) {
    (void)state;
    ap_codec_error_t err;
    return ap_events_init(&err);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(url_parse),
        cmocka_unit_test(request_bytes),
        cmocka_unit_test(responses),
        cmocka_unit_test(chunked_wins_over_content_length),
        cmocka_unit_test(answers),
        cmocka_unit_test(call_bounded_as_a_whole),
        cmocka_unit_test(refusal_fits_one_log_value),
        cmocka_unit_test(not_now_is_retried),
        cmocka_unit_test(framing_both_ways),
        cmocka_unit_test(output_frames_known_topics_only),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
