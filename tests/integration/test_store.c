/* What only the Redis store does, against a real redis-server (started by the
 * env fixture): its connection (failure to connect, refused credentials, a
 * dropped connection, a server that lost the apply script), what its
 * least-privilege ACL user may not do, its key layout and its entity cache
 * (store_redis.h); and random call sequences against it (with and without
 * the cache) and the memory store side by side, every answer compared. What every store answers is in
 * tests/unit/test_store_contract.c, which also runs against Redis
 * (integration_store_contract). */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/schema.h"
#include "arbejdspligt/store_memory.h"
#include "arbejdspligt/store_redis.h"
#include "../support/redis_fixture.h"

static ap_store_t *store;
static char prefix[32];
static fixture_redis_t redis;

static int setup(void **state) {
    (void)state;
    char err[256];
    if (fixture_redis(&redis)) return -1;
    ap_codec_error_t cerr;
    if (ap_events_init(&cerr)) return -1;
    /* Under "ap": the key patterns of the fixture's ACL user (redis-acl.sh). */
    snprintf(prefix, sizeof prefix, "apt%d", (int)getpid());
    store = fixture_store(&redis, prefix, 5000, err, sizeof err);
    if (!store) fprintf(stderr, "%s\n", err);
    return store ? 0 : -1;
}

/* Drops the test's keys, so repeated runs do not fill the fixture's Redis. */
static int teardown(void **state) {
    (void)state;
    ap_store_destroy(store);
    fixture_redis_drop(&redis, prefix);
    return 0;
}

/* As the env's admin user: reading keys back, killing connections. */
static redisContext *admin(void) {
    redisContext *c = fixture_redis_admin(&redis);
    assert_non_null(c);
    return c;
}

static ap_event_t hours_event(const char *event_id, int64_t recorded_at, const char *date, int minutes) {
    ap_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_HOURS;
    snprintf(ev.u.hours.h.event_id, AP_UUID_CAP, "%s", event_id);
    strcpy(ev.u.hours.h.citizen_id, "c-store");
    strcpy(ev.u.hours.h.municipality_code, "101");
    ev.u.hours.h.occurred_at = 1767600000000LL;
    ev.u.hours.h.recorded_at = recorded_at;
    strcpy(ev.u.hours.h.source_system, "test");
    strcpy(ev.u.hours.report_id, "r-1");
    ap_cal_parse_date(date, 10, &ev.u.hours.activity_date);
    ev.u.hours.activity_kind = AP_ACT_NYTTEINDSATS;
    ev.u.hours.minutes = minutes;
    return ev;
}

/* Applies one event; @return the store's return code, the outcome in *outcome. */
static int apply_at(const ap_event_t *ev, int32_t partition, const char *topic, int64_t offset, int *outcome,
                    ap_buf_t *encoded) {
    ap_buf_reset(encoded);
    ap_events_encode(ev, encoded);
    ap_store_item_t item = {ev, {(const uint8_t *)encoded->data, encoded->len}, {1, 0}, topic, offset};
    *outcome = -1;
    return ap_store_apply(store, &item, 1, partition, 0, outcome);
}

static void a_closed_port_fails_to_connect(void **state) {
    (void)state;
    char err[256] = "";
    /* Port 1 (tcpmux) is not a Redis anywhere we run. */
    ap_store_redis_conf_t conf = {"127.0.0.1", 1, redis.user, redis.password, "aptx", 1000, 0, 0};
    ap_store_t *s = ap_store_redis_connect(&conf, err, sizeof err);
    assert_null(s);
    assert_non_null(strstr(err, "connect"));
    assert_int_not_equal(strncmp(err, "auth:", 5), 0); /* transient, not a credentials problem */
}

/* Connecting as `user` with `password`: NULL, and an error that starts
 * "auth:", says "authentication failed", and holds no password. */
static void refused(const char *user, const char *password) {
    char err[256] = "";
    ap_store_redis_conf_t conf = {"127.0.0.1", redis.port, user, password, prefix, 1000, 0, 0};
    assert_null(ap_store_redis_connect(&conf, err, sizeof err));
    assert_int_equal(strncmp(err, "auth:", 5), 0);
    assert_non_null(strstr(err, "authentication failed"));
    if (password[0]) assert_null(strstr(err, password));
    assert_null(strstr(err, redis.password));
}

/* A wrong password, an unknown user, or none where Redis wants one (the
 * default user is off) is a clear "authentication failed" error the
 * processor logs and retries, not a crash or a "SCRIPT LOAD" puzzle. */
static void refused_credentials_are_a_clear_error(void **state) {
    (void)state;
    refused(redis.user, "not-the-password-7Qx");
    refused("ap-nobody", redis.password);
    refused("", ""); /* no AUTH at all */
    refused("", redis.password); /* the default user's (requirepass) AUTH */
    /* The same user and password do connect (what setup did). */
    char err[256];
    ap_store_t *s = fixture_store(&redis, prefix, 1000, err, sizeof err);
    assert_non_null(s);
    ap_store_destroy(s);
}

/* Expects reply r (freed here) to be a NOPERM error. */
static void assert_noperm(redisReply *r, const char *what) {
    assert_non_null(r);
    if (r->type != REDIS_REPLY_ERROR || strncmp(r->str, "NOPERM", 6) != 0)
        fail_msg("%s: expected NOPERM, got type %d \"%s\"", what, r->type, r->type == REDIS_REPLY_ERROR ? r->str : "");
    freeReplyObject(r);
}

/* Least privilege, asserted against the real Redis: the services' ACL user
 * (the one every test runs as) reads and writes keys under its patterns with
 * the store's commands, and nothing else, also not from inside a Lua script
 * (scripts run with their caller's permissions). */
static void the_acl_user_is_confined_to_its_keys_and_commands(void **state) {
    (void)state;
    redisContext *c = fixture_redis_as(&redis, redis.user, redis.password);
    assert_non_null(c);
    redisReply *r = redisCommand(c, "SET %s:acl yes", prefix); /* its own namespace */
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    assert_noperm(redisCommand(c, "SET outside:acl yes"), "SET outside its patterns");
    assert_noperm(redisCommand(c, "GET outside:acl"), "GET outside its patterns");
    assert_noperm(redisCommand(c, "HGETALL zz:{c:x}:pl"), "HGETALL outside its patterns");
    assert_noperm(redisCommand(c, "DEL %s:acl", prefix), "DEL (not a command the store uses)");
    assert_noperm(redisCommand(c, "FLUSHALL"), "FLUSHALL");
    assert_noperm(redisCommand(c, "CONFIG GET dir"), "CONFIG");
    assert_noperm(redisCommand(c, "KEYS *"), "KEYS");
    assert_noperm(redisCommand(c, "EVAL %s 0", "return 1"), "EVAL");
    assert_noperm(redisCommand(c, "SCRIPT FLUSH"), "SCRIPT FLUSH");
    assert_noperm(redisCommand(c, "ACL LIST"), "ACL");
    assert_noperm(redisCommand(c, "MONITOR"), "MONITOR");
    /* It may load a script, but the script can do no more than the user. */
    const char *scripts[] = {"return redis.call('SET', KEYS[1], 'x')", "return redis.call('SET', 'outside:lua', 'x')",
                             "return redis.call('FLUSHALL')", "return redis.call('DEL', KEYS[1])"};
    const char *keys[] = {"outside:lua", NULL, NULL, NULL};
    for (int i = 0; i < 4; i++) {
        r = redisCommand(c, "SCRIPT LOAD %s", scripts[i]);
        assert_int_equal(r->type, REDIS_REPLY_STRING);
        char sha[41];
        snprintf(sha, sizeof sha, "%s", r->str);
        freeReplyObject(r);
        char own[64];
        snprintf(own, sizeof own, "%s:acl", prefix);
        r = redisCommand(c, "EVALSHA %s 1 %s", sha, keys[i] ? keys[i] : own);
        assert_non_null(r);
        assert_int_equal(r->type, REDIS_REPLY_ERROR);
        /* Refused by Redis before the script runs (a declared key), or by redis.call inside it. */
        assert_true(strncmp(r->str, "NOPERM", 6) == 0 || strstr(r->str, "The user executing the script can't"));
        freeReplyObject(r);
    }
    redisFree(c);
    /* Nothing of it happened: the admin sees the namespace intact, nothing outside. */
    c = admin();
    r = redisCommand(c, "EXISTS outside:acl outside:lua %s:acl", prefix);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    redisFree(c);
    /* The store under a prefix outside the user's patterns says why. */
    char err[256] = "";
    assert_null(fixture_store(&redis, "outside", 1000, err, sizeof err));
    assert_non_null(strstr(err, "NOPERM"));
}

/* A prefix is claimed for the build's key layout; state written before
 * layouts were named (an applied SET) or under another layout is refused
 * with a "layout:" error, not misread. */
static void another_key_layout_is_refused(void **state) {
    (void)state;
    char p1[64], p2[64], err[256] = "";
    snprintf(p1, sizeof p1, "%s:fresh", prefix);
    snprintf(p2, sizeof p2, "%s:old", prefix);
    ap_store_t *s = fixture_store(&redis, p1, 1000, err, sizeof err);
    assert_non_null(s);
    ap_store_destroy(s);
    redisContext *c = admin();
    redisReply *r = redisCommand(c, "GET %s:layout", p1);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_string_equal(r->str, "3");
    freeReplyObject(r);
    s = fixture_store(&redis, p1, 1000, err, sizeof err); /* again: the same layout */
    assert_non_null(s);
    ap_store_destroy(s);
    freeReplyObject(redisCommand(c, "SADD %s:{p:0}:applied c-1|00000000-0000-4000-8000-000000000001", p2));
    assert_null(fixture_store(&redis, p2, 1000, err, sizeof err));
    assert_int_equal(strncmp(err, "layout:", 7), 0);
    freeReplyObject(redisCommand(c, "SET %s:layout 9", p1));
    assert_null(fixture_store(&redis, p1, 1000, err, sizeof err));
    assert_non_null(strstr(err, "layout 9"));
    redisFree(c);
}

/* Number of keys matching pattern, and whether set/hash key holds member/field. */
static long count_keys(redisContext *c, const char *pattern) {
    redisReply *r = redisCommand(c, "KEYS %s", pattern);
    long n = r && r->type == REDIS_REPLY_ARRAY ? (long)r->elements : -1;
    if (r) freeReplyObject(r);
    return n;
}

static long int_reply(redisContext *c, const char *fmt, const char *key, const char *member) {
    redisReply *r = redisCommand(c, fmt, key, member);
    long n = r && r->type == REDIS_REPLY_INTEGER ? (long)r->integer : -1;
    if (r) freeReplyObject(r);
    return n;
}

/* Layout 2 (one applied hash per partition) is upgraded in place: its ids
 * become generation 0's, remembered in generations 0 and 1 and forgotten
 * from 2 on, as if written by this build. */
static void layout_2_is_upgraded_in_place(void **state) {
    (void)state;
    char p2[64], err[256] = "", key[128];
    snprintf(p2, sizeof p2, "%s:v2", prefix);
    redisContext *c = admin();
    /* What a layout-2 build left: the layout, a partition's applied hash. */
    ap_buf_t b = AP_BUF_INIT;
    ap_event_t ev = hours_event("00000000-0000-4000-8000-0000000000d1", 1000, "2026-01-07", 30);
    ap_events_encode(&ev, &b);
    char digest[17];
    snprintf(digest, sizeof digest, "%016" PRIx64, ap_schema_crc64(b.data, b.len));
    freeReplyObject(redisCommand(c, "SET %s:layout 2", p2));
    freeReplyObject(redisCommand(c, "HSET %s:{p:0}:applied c-store|%s %s", p2, ev.u.hours.h.event_id, digest));
    ap_store_t *s = fixture_store(&redis, p2, 1000, err, sizeof err);
    assert_non_null(s);
    redisReply *r = redisCommand(c, "GET %s:layout", p2);
    assert_string_equal(r->str, "3");
    freeReplyObject(r);
    snprintf(key, sizeof key, "%s:{p:0}:applied", p2);
    assert_int_equal(int_reply(c, "EXISTS %s%s", key, ""), 0);
    snprintf(key, sizeof key, "%s:{p:0}:applied-0", p2);
    assert_int_equal(int_reply(c, "HLEN %s%s", key, ""), 1);
    ap_store_item_t item = {&ev, {(const uint8_t *)b.data, b.len}, {1, 0}, "in.hours", 0};
    int outcome;
    assert_int_equal(ap_store_apply(s, &item, 1, 0, 1, &outcome), 0);
    assert_int_equal(outcome, AP_APPLY_DUPLICATE); /* remembered: its digest came along */
    assert_int_equal(ap_store_apply(s, &item, 1, 0, 2, &outcome), 0);
    assert_int_equal(outcome, AP_APPLY_APPLIED); /* forgotten; never stored by the old build in this test */
    assert_int_equal(int_reply(c, "EXISTS %s%s", key, ""), 0); /* generation 0 dropped */
    ap_store_destroy(s);
    s = fixture_store(&redis, p2, 1000, err, sizeof err); /* and it stays layout 3 */
    assert_non_null(s);
    ap_store_destroy(s);
    redisFree(c);
    ap_buf_free(&b);
}

/* Issue 15 §5: the applied ids stay bounded. However many generations pass,
 * a partition keeps at most two applied hashes (the current and the one
 * before), holding exactly the ids of those generations. */
static void applied_ids_are_bounded_by_generation(void **state) {
    (void)state;
    redisContext *c = admin();
    char pattern[128], key[128];
    snprintf(pattern, sizeof pattern, "%s:{p:11}:applied-*", prefix);
    ap_buf_t b = AP_BUF_INIT;
    enum { PER_GEN = 50 };
    int32_t generations[] = {0, 1, 2, 3, 7, 8, 8, 20};
    for (size_t g = 0; g < sizeof generations / sizeof *generations; g++) {
        for (int i = 0; i < PER_GEN; i++) {
            char id[AP_UUID_CAP];
            snprintf(id, sizeof id, "00000000-0000-4000-8000-%06zu%06d", g, i);
            ap_event_t ev = hours_event(id, 1000 + (int64_t)g, "2026-01-07", 30);
            snprintf(ev.u.hours.report_id, AP_ID_CAP, "r-%zu-%d", g, i);
            ev.u.hours.activity_date += (int32_t)(7 * g);
            ap_buf_reset(&b);
            ap_events_encode(&ev, &b);
            ap_store_item_t item = {&ev, {(const uint8_t *)b.data, b.len}, {1, 0}, "in.hours", i};
            int outcome;
            assert_int_equal(ap_store_apply(store, &item, 1, 11, generations[g], &outcome), 0);
            assert_int_equal(outcome, AP_APPLY_APPLIED);
        }
        int32_t now = generations[g];
        long want_keys = 0; /* the distinct generations written that are now or the one before */
        for (size_t k = 0; k <= g; k++)
            want_keys += generations[k] >= now - 1 && (k == 0 || generations[k] != generations[k - 1]);
        assert_int_equal(count_keys(c, pattern), want_keys);
        snprintf(key, sizeof key, "%s:{p:11}:applied-%d", prefix, (int)now);
        assert_true(int_reply(c, "HLEN %s%s", key, "") >= PER_GEN);
        snprintf(key, sizeof key, "%s:{p:11}:dedup-gen", prefix);
        redisReply *r = redisCommand(c, "GET %s", key);
        assert_int_equal(strtol(r->str, NULL, 10), now);
        freeReplyObject(r);
    }
    redisFree(c);
    ap_buf_free(&b);
}

/* Issue 15 §5: apctl forget erases exactly one citizen's state: its own keys
 * and its entries in the partition's sets and hashes; citizens whose ids a
 * glob pattern of the first would match are untouched. */
static void forgetting_a_citizen_removes_exactly_its_state(void **state) {
    (void)state;
    static const char *const who[] = {"c*1", "cX1", "c?1", "c[1]", "c*11"};
    enum { N = sizeof who / sizeof *who };
    ap_buf_t b = AP_BUF_INIT;
    int outcome;
    int32_t monday = ap_cal_days_from_civil(2026, 1, 5);
    for (int i = 0; i < N; i++) {
        char id[AP_UUID_CAP];
        snprintf(id, sizeof id, "00000000-0000-4000-8000-0000000001%02d", i);
        ap_event_t ev = hours_event(id, 1000, "2026-01-07", 30 + i);
        strcpy(ev.u.hours.h.citizen_id, who[i]);
        ap_store_item_t item = {&ev, {NULL, 0}, {monday, monday}, "in.hours", i};
        ap_buf_reset(&b);
        ap_events_encode(&ev, &b);
        item.encoded = (ap_bytes_t){(const uint8_t *)b.data, b.len};
        assert_int_equal(ap_store_apply(store, &item, 1, 7, 0, &outcome), 0);
        assert_int_equal(outcome, AP_APPLY_APPLIED);
        ap_store_result_t res = {who[i], monday, {1, 42}};
        assert_int_equal(ap_store_commit_cycle(store, &res, 1, NULL, 0, NULL, 0, NULL, 0), 0);
    }
    /* A sanction each for the first two: their :sa hashes (monitoring design §1.4). */
    for (int i = 0; i < 2; i++) {
        ap_event_t ev;
        ap_events_clear(&ev, AP_EV_SANCTION);
        snprintf(ev.u.sanction.h.event_id, AP_UUID_CAP, "00000000-0000-4000-8000-0000000002%02d", i);
        strcpy(ev.u.sanction.h.citizen_id, who[i]);
        strcpy(ev.u.sanction.h.municipality_code, "101");
        ev.u.sanction.h.occurred_at = ev.u.sanction.h.recorded_at = 1000;
        strcpy(ev.u.sanction.h.source_system, "test");
        strcpy(ev.u.sanction.sanction_id, "sa-1");
        ev.u.sanction.decision_date = monday + 2;
        strcpy(ev.u.sanction.journal_ref, "j-1");
        ap_store_item_t item = {&ev, {NULL, 0}, {monday, monday}, "in.exemption", i};
        ap_buf_reset(&b);
        ap_events_encode(&ev, &b);
        item.encoded = (ap_bytes_t){(const uint8_t *)b.data, b.len};
        assert_int_equal(ap_store_apply(store, &item, 1, 7, 0, &outcome), 0);
        assert_int_equal(outcome, AP_APPLY_APPLIED);
    }
    size_t removed = 0;
    /* The services' user may not delete (README Security): erasure is ap-erasure's. */
    assert_int_equal(ap_store_redis_forget(store, "c*1", &removed), -1);
    assert_non_null(strstr(ap_store_error(store), "NOPERM"));
    assert_int_equal(ap_store_reconnect(store), 0);
    char err[256];
    ap_store_redis_conf_t conf = {"127.0.0.1", redis.port, "ap-erasure", redis.erasure_password, prefix, 5000, 0, 0};
    ap_store_t *eraser = ap_store_redis_connect(&conf, err, sizeof err);
    assert_non_null(eraser);
    removed = 0;
    assert_int_equal(ap_store_redis_forget(eraser, "c*1", &removed), 0);
    ap_store_destroy(eraser);
    /* week hash, result record, sanctions hash; citizens, applied (hours, sanction), hx, dirty entries */
    assert_int_equal(removed, 8);
    redisContext *c = admin();
    char key[128], pattern[128];
    snprintf(pattern, sizeof pattern, "%s:{c:c\\*1}:*", prefix);
    assert_int_equal(count_keys(c, pattern), 0);
    snprintf(key, sizeof key, "%s:{p:7}:citizens", prefix);
    assert_int_equal(int_reply(c, "SISMEMBER %s %s", key, "c*1"), 0);
    for (int i = 1; i < N; i++) {
        assert_int_equal(int_reply(c, "SISMEMBER %s %s", key, who[i]), 1);
        snprintf(pattern, sizeof pattern, "%s:{c:%s}:*", prefix, who[i]);
        char lit[64];
        snprintf(lit, sizeof lit, "%s:{c:%s}:res", prefix, who[i]);
        assert_int_equal(int_reply(c, "EXISTS %s%s", lit, ""), 1);
    }
    snprintf(key, sizeof key, "%s:{c:%s}:sa", prefix, who[1]);
    assert_int_equal(int_reply(c, "EXISTS %s%s", key, ""), 1); /* the other citizen's sanction stays */
    snprintf(key, sizeof key, "%s:{p:7}:applied-0", prefix);
    assert_int_equal(int_reply(c, "HLEN %s%s", key, ""), N); /* N - 1 hours reports and cX1's sanction */
    snprintf(key, sizeof key, "%s:{p:7}:hx", prefix);
    assert_int_equal(int_reply(c, "HLEN %s%s", key, ""), N - 1);
    snprintf(key, sizeof key, "%s:{p:7}:dirty", prefix);
    assert_int_equal(int_reply(c, "SCARD %s%s", key, ""), N - 1);
    redisFree(c);
    /* The others load as before; the forgotten one has nothing. */
    ap_result_record_t rec[N];
    const char *cits[N];
    int32_t mondays[N];
    for (int i = 0; i < N; i++) cits[i] = who[i], mondays[i] = monday;
    assert_int_equal(ap_store_results_get(store, cits, mondays, N, rec), 0);
    assert_int_equal(rec[0].revision, 0);
    for (int i = 1; i < N; i++) assert_int_equal(rec[i].revision, 1);
    ap_buf_free(&b);
}

/* The key layout of store_redis.h, read back with plain Redis commands: the
 * stored value is the version (recorded_at as 20 digits, event id as 36), the
 * span (two Mondays, 11 characters each), the source (partition 10, offset
 * 20, topic length 3, topic), then the record; the applied hash of the
 * call's dedup generation holds the record's CRC-64 in hex. */
static void stored_values_follow_the_key_layout(void **state) {
    (void)state;
    ap_buf_t b = AP_BUF_INIT;
    ap_event_t ev = hours_event("00000000-0000-4000-8000-0000000000c1", 1767600000123LL, "2026-01-07", 30);
    strcpy(ev.u.hours.report_id, "r-layout");
    int outcome;
    assert_int_equal(apply_at(&ev, 3, "in.hours", 17, &outcome, &b), 0);
    assert_int_equal(outcome, AP_APPLY_APPLIED);

    redisContext *c = admin();
    char key[160], want[200];
    snprintf(key, sizeof key, "%s:{c:c-store}:h:%d", prefix, (int)ap_cal_days_from_civil(2026, 1, 5));
    redisReply *r = redisCommand(c, "HGET %s r-layout", key);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    int32_t monday = ap_cal_days_from_civil(2026, 1, 5);
    int n = snprintf(want, sizeof want, "%020lld%-36s%011d%011d%010d%020d%03d%s", 1767600000123LL,
                     ev.u.hours.h.event_id, (int)monday, (int)monday, 3, 17, 8, "in.hours");
    assert_int_equal(r->len, (size_t)n + b.len);
    assert_memory_equal(r->str, want, (size_t)n);
    assert_memory_equal(r->str + n, b.data, b.len); /* the record as it was read */
    freeReplyObject(r);

    snprintf(want, sizeof want, "%s:{p:3}:hx", prefix);
    r = redisCommand(c, "HGET %s c-store|r-layout", want);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_int_equal(strtol(r->str, NULL, 10), ap_cal_days_from_civil(2026, 1, 5)); /* the report's week */
    freeReplyObject(r);
    snprintf(want, sizeof want, "%s:{p:3}:applied-0", prefix); /* generation 0 */
    r = redisCommand(c, "HGET %s c-store|%s", want, ev.u.hours.h.event_id);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    char digest[17];
    snprintf(digest, sizeof digest, "%016" PRIx64, ap_schema_crc64(b.data, b.len));
    assert_string_equal(r->str, digest);
    freeReplyObject(r);
    snprintf(want, sizeof want, "%s:{p:3}:citizens", prefix);
    r = redisCommand(c, "SISMEMBER %s c-store", want);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    redisFree(c);
    ap_buf_free(&b);
}

/* A dropped connection: ping says so, and reconnect makes the store usable
 * (so it authenticated again: the default user is off). */
static void a_dropped_connection_is_noticed(void **state) {
    (void)state;
    assert_int_equal(ap_store_ping(store), 0);
    redisContext *c = admin();
    /* Every other normal client of the fixture's private Redis: the store's. */
    redisReply *r = redisCommand(c, "CLIENT KILL SKIPME yes TYPE normal");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer >= 1);
    freeReplyObject(r);
    redisFree(c);
    assert_int_equal(ap_store_ping(store), -1);
    assert_int_equal(ap_store_reconnect(store), 0);
    assert_int_equal(ap_store_ping(store), 0);
    int64_t next;
    assert_int_equal(ap_store_position_get(store, "in.none", 0, &next), 1);
}

/* A restarted Redis has lost our Lua script: the store must notice and
 * reconnect (which loads it again) instead of failing forever. */
static void a_lost_script_forces_a_reconnect(void **state) {
    (void)state;
    redisContext *c = admin();
    freeReplyObject(redisCommand(c, "SCRIPT FLUSH"));
    redisFree(c);
    ap_buf_t b = AP_BUF_INIT;
    ap_event_t ev = hours_event("00000000-0000-4000-8000-00000000000a", 6000, "2026-02-02", 30);
    strcpy(ev.u.hours.report_id, "r-noscript");
    int outcome;
    assert_int_equal(apply_at(&ev, 0, "t", 0, &outcome, &b), -1);
    assert_non_null(strstr(ap_store_error(store), "NOSCRIPT"));
    assert_int_equal(ap_store_ping(store), -1); /* the connection is known to be unusable */
    assert_int_equal(ap_store_reconnect(store), 0);
    assert_int_equal(ap_store_ping(store), 0);
    assert_int_equal(apply_at(&ev, 0, "t", 0, &outcome, &b), 0);
    assert_int_equal(outcome, AP_APPLY_APPLIED); /* the failed call applied nothing */
    ap_buf_free(&b);
}

/* ------------------------------------------------------------ entity cache */

static ap_event_t placement_event(int n, int planned_minutes) {
    ap_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_PLACEMENT;
    snprintf(ev.u.placement.h.event_id, AP_UUID_CAP, "00000000-0000-4000-8000-0000000001%02d", n);
    strcpy(ev.u.placement.h.citizen_id, "c-cache");
    strcpy(ev.u.placement.h.municipality_code, "101");
    ev.u.placement.h.occurred_at = 1767600000000LL;
    ev.u.placement.h.recorded_at = 1767600000000LL + n; /* each a newer version */
    strcpy(ev.u.placement.h.source_system, "test");
    strcpy(ev.u.placement.placement_id, "p-cache");
    ev.u.placement.job_type = -1;
    ap_cal_parse_date("2026-01-05", 10, &ev.u.placement.start_date);
    ap_cal_parse_date("2026-06-28", 10, &ev.u.placement.end_date);
    ev.u.placement.planned_minutes_per_week = planned_minutes;
    return ev;
}

static int planned_seen(void *ctx, size_t index, const ap_week_input_t *in, const ap_week_sources_t *src) {
    (void)index;
    (void)src;
    *(int *)ctx = in->n_placements == 1 ? in->placements[0].planned_minutes_per_week : -1;
    return 0;
}

/* The planned minutes of c-cache's one placement, as store s loads them. */
static int planned(ap_store_t *s) {
    static ap_citizen_state_t scratch;
    const char *citizen = "c-cache";
    int32_t monday;
    ap_cal_parse_date("2026-01-12", 10, &monday);
    int seen = -2;
    assert_int_equal(ap_store_load_weeks(s, &citizen, &monday, 1, &scratch, planned_seen, &seen), 0);
    return seen;
}

static void write_placement(ap_store_t *s, int n, int planned_minutes) {
    ap_buf_t b = AP_BUF_INIT;
    ap_event_t ev = placement_event(n, planned_minutes);
    ap_events_encode(&ev, &b);
    ap_store_item_t item = {&ev, {(const uint8_t *)b.data, b.len}, {1, 0}, "in.placement", n};
    int outcome = -1;
    assert_int_equal(ap_store_apply(s, &item, 1, 0, 0, &outcome), 0);
    assert_int_equal(outcome, AP_APPLY_APPLIED);
    ap_buf_free(&b);
}

/* The cache holds what its store last read and wrote; a write by another
 * instance (`other`, same namespace) is seen once the store is told to
 * forget (partitions assigned), or after a reconnect. The stale read in
 * between is the proof that loads were served from the cache: the cache is
 * only correct because one instance alone writes a partition's citizens. */
static void the_entity_cache_forgets_on_request(void **state) {
    (void)state;
    char err[256];
    ap_store_t *other = fixture_store(&redis, prefix, 5000, err, sizeof err);
    assert_non_null(other);
    ap_store_redis_set_cache(store, 1 << 20);
    write_placement(store, 1, 600);
    assert_int_equal(planned(store), 600);
    write_placement(other, 2, 900);
    assert_int_equal(planned(store), 600); /* from the cache */
    ap_store_invalidate(store);
    assert_int_equal(planned(store), 900);
    write_placement(store, 3, 1200); /* its own write drops the entry */
    assert_int_equal(planned(store), 1200);
    write_placement(other, 4, 1500);
    assert_int_equal(ap_store_reconnect(store), 0); /* Redis may have restarted */
    assert_int_equal(planned(store), 1500);
    ap_store_redis_set_cache(store, 64); /* too small for any citizen: every load reads Redis */
    assert_int_equal(planned(store), 1500);
    write_placement(other, 5, 1800);
    assert_int_equal(planned(store), 1800);
    ap_store_redis_set_cache(store, 0);
    assert_int_equal(planned(other), 1800); /* `other` has no cache at all */
    ap_store_destroy(other);
}

/* A value stored by a processor of another schema version (here one whose
 * PlacementEvent had one more optional field) is read through resolution,
 * like input: upgrading the processor does not make stored state unreadable. */
static void a_value_stored_in_another_schema_version_loads(void **state) {
    (void)state;
    char err[256], ns[40];
    ap_codec_error_t cerr;
    size_t len;
    const char *cur = ap_events_schema_text("PlacementEvent", &len), *end = strrchr(cur, ']');
    char other[8192];
    snprintf(other, sizeof other, "%.*s, {\"name\": \"legacy_ref\", \"type\": [\"null\", \"string\"], \"default\": null}%s",
             (int)(end - cur), cur, end);
    assert_int_equal(ap_events_add_writer(other, strlen(other), "PlacementEvent.other.avsc", &cerr), 0);
    uint64_t fp;
    assert_int_equal(ap_schema_fingerprint(other, strlen(other), &fp, err, sizeof err), 0);
    snprintf(ns, sizeof ns, "%sv", prefix);
    ap_store_t *s = fixture_store(&redis, ns, 5000, err, sizeof err);
    assert_non_null(s);
    ap_event_t ev = placement_event(1, 720);
    ap_buf_t b = AP_BUF_INIT;
    ap_events_encode(&ev, &b);
    for (int i = 0; i < 8; i++) b.data[2 + i] = (char)(fp >> (8 * i));
    ap_buf_append(&b, "\x02\x04L7", 4); /* legacy_ref = "L7" */
    ap_store_item_t item = {&ev, {(const uint8_t *)b.data, b.len}, {1, 0}, "in.placement", 1};
    int outcome = -1;
    assert_int_equal(ap_store_apply(s, &item, 1, 0, 0, &outcome), 0);
    assert_int_equal(outcome, AP_APPLY_APPLIED);
    assert_int_equal(planned(s), 720);
    ap_buf_free(&b);
    ap_store_destroy(s);
    fixture_redis_drop(&redis, ns);
    assert_int_equal(ap_events_init(&cerr), 0); /* forget it again */
}

/* ------------------------------------------- the memory store answers alike */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* Few citizens, few ids and timestamps, so that duplicates, superseded
 * versions, moves between weeks and both bounds all happen. "c-big" gets
 * enough ids to reach AP_MAX_ENTITIES and AP_MAX_HOURS_PER_WEEK. */
static const char *const sim_citizens[] = {"c-1", "c-2", "c-big", "C-3", "c|4"};
#define SIM_CITIZENS 5
static char long_topic[300];

/* A random input event. What validation keeps out of the services must still
 * be stored alike: short event ids (Redis pads them to 36 characters),
 * negative and extreme timestamps (compared as Redis compares their text). */
/* Citizen i's events arrive on partition i % SIM_PARTITIONS (keyed, see store.h). */
#define SIM_PARTITIONS 4

static void sim_event(ap_event_t *ev, int32_t monday, int32_t partition) {
    static const int64_t odd_times[] = {0, -1, -2, -1000, 1, INT64_MAX, INT64_MIN};
    memset(ev, 0, sizeof *ev);
    uint32_t of_partition = (SIM_CITIZENS - 1 - (uint32_t)partition) / SIM_PARTITIONS + 1;
    const char *citizen = sim_citizens[(uint32_t)partition + SIM_PARTITIONS * rnd(of_partition)];
    int big = strcmp(citizen, "c-big") == 0;
    char id[AP_ID_CAP];
    snprintf(id, sizeof id, "id-%u", rnd(big ? 300 : 6));
    switch (rnd(7)) {
    case 6:
        ev->type = AP_EV_SANCTION;
        strcpy(ev->u.sanction.sanction_id, id);
        ev->u.sanction.action = (int32_t)rnd(3);
        ev->u.sanction.decision_date = monday + (int32_t)rnd(30);
        ev->u.sanction.effective_from = rnd(2) ? AP_NO_DATE : monday + 7;
        if (rnd(2)) strcpy(ev->u.sanction.legal_basis, "fritekst");
        strcpy(ev->u.sanction.journal_ref, "j-1");
        break;
    case 0:
        ev->type = AP_EV_COVERAGE;
        strcpy(ev->u.coverage.coverage_id, id);
        ev->u.coverage.from_date = monday + (int32_t)rnd(40);
        ev->u.coverage.to_date = AP_NO_DATE;
        break;
    case 1:
        ev->type = AP_EV_PLACEMENT;
        strcpy(ev->u.placement.placement_id, id);
        ev->u.placement.job_type = -1;
        ev->u.placement.start_date = monday;
        ev->u.placement.end_date = monday + (int32_t)rnd(50);
        ev->u.placement.planned_minutes_per_week = (int32_t)rnd(3000);
        if (rnd(2)) strcpy(ev->u.placement.journal_ref, "j-1");
        break;
    case 2:
        ev->type = AP_EV_EXEMPTION;
        strcpy(ev->u.exemption.exemption_id, id);
        ev->u.exemption.from_date = monday;
        ev->u.exemption.to_date = rnd(2) ? AP_NO_DATE : monday + 9;
        break;
    case 3:
        ev->type = AP_EV_REDUCTION;
        strcpy(ev->u.reduction.reduction_id, id);
        ev->u.reduction.valid_from = monday;
        ev->u.reduction.valid_to = AP_NO_DATE;
        ev->u.reduction.n_assessed = rnd(4);
        for (uint32_t i = 0; i < ev->u.reduction.n_assessed; i++)
            snprintf(ev->u.reduction.assessed_placement_ids[i], AP_ID_CAP, "pl-%u", rnd(9));
        break;
    default:
        ev->type = AP_EV_HOURS;
        snprintf(ev->u.hours.report_id, AP_ID_CAP, "r-%u", rnd(big ? 600 : 10));
        ev->u.hours.activity_date = monday + (int32_t)rnd(big ? 9 : 21);
        ev->u.hours.minutes = (int32_t)rnd(500);
        ev->u.hours.activity_kind = (int32_t)rnd(AP_ACT_COUNT);
        break;
    }
    ap_header_t *h = &ev->u.h;
    unsigned n = rnd(100000);
    if (rnd(6) == 0) snprintf(h->event_id, AP_UUID_CAP, "e-%u", n);
    else snprintf(h->event_id, AP_UUID_CAP, "0000000%c-0000-4000-8000-%012u", rnd(5) ? 'a' : 'A', n);
    strcpy(h->citizen_id, citizen);
    strcpy(h->municipality_code, "101");
    h->recorded_at = rnd(10) ? (int64_t)rnd(1000000) - 1000 : odd_times[rnd(7)];
    h->occurred_at = (int64_t)rnd(1000);
    strcpy(h->source_system, rnd(2) ? "s" : "source-system");
}

/* One loaded entity, for comparing loads whose order differs. */
typedef struct sim_row {
    const char *id;
    const char *bytes;
    ap_input_ref_t src;
} sim_row_t;

static int sim_row_cmp(const void *a, const void *b) {
    return strcmp(((const sim_row_t *)a)->id, ((const sim_row_t *)b)->id);
}

/* A week as loaded from one store: its entities by kind, sorted by id. */
typedef struct sim_week {
    size_t n[6];
    size_t size[6];
    sim_row_t rows[6][AP_MAX_HOURS_PER_WEEK];
    char bytes[6][AP_MAX_HOURS_PER_WEEK][sizeof(ap_reduction_t)];
} sim_week_t;

static void sim_keep(sim_week_t *w, int k, const void *arr, size_t n, size_t size, size_t id_off,
                     const ap_input_ref_t *src) {
    w->n[k] = n;
    w->size[k] = size;
    for (size_t i = 0; i < n; i++) {
        memcpy(w->bytes[k][i], (const char *)arr + i * size, size);
        w->rows[k][i] = (sim_row_t){w->bytes[k][i] + id_off, w->bytes[k][i], src[i]};
    }
    qsort(w->rows[k], n, sizeof w->rows[k][0], sim_row_cmp);
}

static int sim_on_week(void *ctx, size_t index, const ap_week_input_t *in, const ap_week_sources_t *src) {
    (void)index;
    sim_week_t *w = ctx;
    sim_keep(w, 0, in->coverage, in->n_coverage, sizeof *in->coverage, offsetof(ap_coverage_t, coverage_id),
             src->coverage);
    sim_keep(w, 1, in->placements, in->n_placements, sizeof *in->placements,
             offsetof(ap_placement_t, placement_id), src->placements);
    sim_keep(w, 2, in->exemptions, in->n_exemptions, sizeof *in->exemptions,
             offsetof(ap_exemption_t, exemption_id), src->exemptions);
    sim_keep(w, 3, in->reductions, in->n_reductions, sizeof *in->reductions,
             offsetof(ap_reduction_t, reduction_id), src->reductions);
    sim_keep(w, 4, in->hours, in->n_hours, sizeof *in->hours, offsetof(ap_hours_t, report_id), src->hours);
    sim_keep(w, 5, in->sanctions, in->n_sanctions, sizeof *in->sanctions, offsetof(ap_sanction_t, sanction_id),
             src->sanctions);
    return 0;
}

/* Loads one week from both stores and compares every entity, byte for byte, and its source. */
static void sim_compare_week(ap_store_t *const st[2], const char *citizen, int32_t monday) {
    static sim_week_t w[2];
    static ap_citizen_state_t scratch;
    for (int s = 0; s < 2; s++) {
        memset(w[s].n, 0xff, sizeof w[s].n);
        assert_int_equal(ap_store_load_weeks(st[s], &citizen, &monday, 1, &scratch, sim_on_week, &w[s]), 0);
    }
    for (int k = 0; k < 6; k++) {
        assert_int_equal(w[0].n[k], w[1].n[k]);
        for (size_t i = 0; i < w[0].n[k]; i++) {
            const sim_row_t *a = &w[0].rows[k][i], *b = &w[1].rows[k][i];
            assert_memory_equal(a->bytes, b->bytes, w[0].size[k]);
            assert_string_equal(a->src.topic, b->src.topic);
            assert_int_equal(a->src.partition, b->src.partition);
            assert_true(a->src.offset == b->src.offset);
            assert_string_equal(a->src.event_id, b->src.event_id);
        }
    }
}

typedef struct sim_mark {
    char citizen[AP_ID_CAP];
    int32_t monday;
} sim_mark_t;

static int sim_mark_cmp(const void *a, const void *b) {
    const sim_mark_t *x = a, *y = b;
    int c = strcmp(x->citizen, y->citizen);
    return c ? c : (x->monday > y->monday) - (x->monday < y->monday);
}

/* A partition's dirty marks, sorted. @return how many. */
static size_t sim_dirty(ap_store_t *st, int32_t partition, sim_mark_t *out, size_t cap) {
    char **cit;
    int32_t *mon;
    size_t n;
    assert_int_equal(ap_store_dirty(st, partition, &cit, &mon, &n), 0);
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        snprintf(out[i].citizen, AP_ID_CAP, "%s", cit[i]);
        out[i].monday = mon[i];
    }
    ap_store_free_list(cit, n);
    free(mon);
    qsort(out, n, sizeof *out, sim_mark_cmp);
    return n;
}

/* Compares what the cycle writes and the partition reads: clocks, citizens, positions, result records. */
static void sim_compare_reads(ap_store_t *const st[2], const char *const *topics, int32_t monday) {
    for (int32_t p = 0; p < 6; p++) {
        ap_partition_clock_t clk[2];
        char **list[2];
        size_t n[2];
        for (int s = 0; s < 2; s++) {
            assert_int_equal(ap_store_clock_get(st[s], p, &clk[s]), 0);
            assert_int_equal(ap_store_citizens(st[s], p, &list[s], &n[s]), 0);
        }
        for (int k = 0; k < 3; k++) assert_true(clk[0].tick[k] == clk[1].tick[k]); /* field by field: padding */
        assert_int_equal(clk[0].first_monday, clk[1].first_monday);
        assert_int_equal(clk[0].closed_monday, clk[1].closed_monday);
        assert_int_equal(clk[0].closed_month, clk[1].closed_month);
        assert_int_equal(n[0], n[1]);
        for (size_t i = 0; i < n[0]; i++) assert_string_equal(list[0][i], list[1][i]);
        for (int s = 0; s < 2; s++) ap_store_free_list(list[s], n[s]);
        for (int t = 0; t < 2; t++) {
            int64_t next[2] = {-1, -1};
            int rc0 = ap_store_position_get(st[0], topics[t], p, &next[0]);
            assert_int_equal(rc0, ap_store_position_get(st[1], topics[t], p, &next[1]));
            assert_true(next[0] == next[1]);
        }
    }
    int32_t mondays[SIM_CITIZENS];
    ap_result_record_t rec[2][SIM_CITIZENS];
    for (int i = 0; i < SIM_CITIZENS; i++) mondays[i] = monday + 7 * (int32_t)rnd(4);
    for (int s = 0; s < 2; s++)
        assert_int_equal(ap_store_results_get(st[s], sim_citizens, mondays, SIM_CITIZENS, rec[s]), 0);
    for (int i = 0; i < SIM_CITIZENS; i++) {
        assert_int_equal(rec[0][i].revision, rec[1][i].revision);
        assert_true(rec[0][i].digest == rec[1][i].digest);
    }
}

/* Random call sequences against the memory store and a Redis store whose
 * entity cache holds up to cache_bytes. */
static void simulate(const char *name, size_t cache_bytes) {
    /* An empty Redis namespace of its own, under the prefix teardown clears. */
    char sim_prefix[40], err[256];
    snprintf(sim_prefix, sizeof sim_prefix, "%s:%s", prefix, name);
    ap_store_t *st[2] = {ap_store_memory_create(),
                         fixture_store(&redis, sim_prefix, 5000, err, sizeof err)};
    assert_non_null(st[1]);
    ap_store_redis_set_cache(st[1], cache_bytes);
    int32_t monday = ap_cal_days_from_civil(2026, 1, 5);
    memset(long_topic, 't', sizeof long_topic - 1); /* past Kafka's 249: Redis keeps 249 */
    const char *topics[3] = {"in.a", "in.b", long_topic};
    static ap_event_t evs[8];
    static ap_buf_t enc[8];
    static sim_mark_t marks[2][4096];
    long outcomes[5] = {0};
    /* Each partition's past records (a ring), to redeliver one of them: the
     * last, or an older one, perhaps from a generation now forgotten. */
    static ap_event_t past[SIM_PARTITIONS][32];
    static int past_kept[SIM_PARTITIONS][32]; /* it was applied, superseded or a duplicate: in the state */
    size_t n_past[SIM_PARTITIONS] = {0};
    /* Each partition's dedup generation: it moves on, sometimes by several,
     * and a call sometimes passes an older one (the store keeps the largest). */
    int32_t gen[SIM_PARTITIONS] = {0};
    long redelivered_forgotten = 0;
    rng_state = 0x9e3779b97f4a7c15ULL;
    for (int step = 0; step < 4000; step++) {
        uint32_t op = rnd(10);
        if (op < 6) { /* apply a batch */
            ap_store_item_t items[8];
            int out[2][8];
            size_t n = 1 + rnd(8);
            int32_t partition = (int32_t)rnd(SIM_PARTITIONS);
            if (rnd(25) == 0) gen[partition] += 1 + (int32_t)rnd(2) * (int32_t)rnd(3);
            int32_t call_gen = rnd(20) ? gen[partition] : gen[partition] - 2;
            int redelivery[8] = {0}; /* 1 + ring slot of the record redelivered */
            size_t slot[8];
            for (size_t i = 0; i < n; i++) {
                /* Sometimes a redelivery: the very record again, recent or
                 * old (a reused id with other bytes is a conflict, see sim_event). */
                size_t np = n_past[partition];
                if (np && rnd(6) == 0) {
                    size_t back = rnd(2) ? 1 : 1 + rnd(np < 32 ? (uint32_t)np : 32);
                    evs[i] = past[partition][(np - back) % 32];
                    redelivery[i] = 1 + past_kept[partition][(np - back) % 32];
                } else {
                    sim_event(&evs[i], monday, partition);
                }
                slot[i] = np % 32;
                past[partition][slot[i]] = evs[i];
                n_past[partition]++;
                ap_buf_reset(&enc[i]);
                ap_events_encode(&evs[i], &enc[i]);
                int32_t from = monday + 7 * (int32_t)rnd(4) - (rnd(5) ? 0 : 3);
                ap_store_dirty_t dirty = {from, from + 7 * (int32_t)rnd(3) - 7 + (int32_t)rnd(2)};
                int64_t offset = (int64_t)rnd(1u << 30) * (rnd(2) ? 1 : -1);
                items[i] = (ap_store_item_t){&evs[i], {(const uint8_t *)enc[i].data, enc[i].len}, dirty,
                                             topics[rnd(3)], offset};
            }
            for (int s = 0; s < 2; s++)
                assert_int_equal(ap_store_apply(st[s], items, n, partition, call_gen, out[s]), 0);
            assert_memory_equal(out[0], out[1], n * sizeof out[0][0]);
            for (size_t i = 0; i < n; i++) {
                outcomes[out[0][i]]++;
                /* A record once taken into the state is never applied again,
                 * its id remembered (a duplicate) or forgotten (superseded:
                 * the state holds that version or a newer one). */
                if (redelivery[i] == 2) {
                    assert_int_not_equal(out[0][i], AP_APPLY_APPLIED);
                    if (out[0][i] == AP_APPLY_SUPERSEDED) redelivered_forgotten++;
                }
                past_kept[partition][slot[i]] = out[0][i] != AP_APPLY_LIMIT || redelivery[i] == 2;
            }
        } else if (op < 8) { /* load weeks, known citizens or not */
            const char *citizen = rnd(8) ? sim_citizens[rnd(SIM_CITIZENS)] : "c-nobody";
            sim_compare_week(st, citizen, monday + 7 * (int32_t)rnd(4) - 7);
        } else { /* compare the dirty marks, then end a cycle clearing some */
            int32_t partition = (int32_t)rnd(4);
            size_t n = sim_dirty(st[0], partition, marks[0], 4096);
            assert_int_equal(sim_dirty(st[1], partition, marks[1], 4096), n);
            for (size_t i = 0; i < n; i++) {
                assert_string_equal(marks[0][i].citizen, marks[1][i].citizen);
                assert_int_equal(marks[0][i].monday, marks[1][i].monday);
            }
            ap_store_evaluated_t done[64];
            ap_store_result_t res[3];
            ap_store_clock_t clocks[2];
            ap_store_position_t pos[2];
            size_t n_done = 0, n_res = rnd(4), n_clocks = rnd(3), n_pos = rnd(3);
            for (size_t i = 0; i < n && n_done < 64; i++)
                if (rnd(2))
                    done[n_done++] = (ap_store_evaluated_t){marks[0][i].citizen, marks[0][i].monday,
                                                            rnd(6) ? partition : partition + 1};
            for (size_t i = 0; i < n_res; i++)
                res[i] = (ap_store_result_t){sim_citizens[rnd(SIM_CITIZENS)], monday + 7 * (int32_t)rnd(4),
                                             {(int32_t)rnd(9), (uint64_t)rnd(1u << 31) << 33 ^ rnd(1u << 31)}};
            for (size_t i = 0; i < n_clocks; i++)
                clocks[i] = (ap_store_clock_t){(int32_t)rnd(5),
                                               {{rnd(100), -(int64_t)rnd(100), INT64_MAX - rnd(3)},
                                                rnd(2) ? AP_NO_DATE : monday, monday + 7, (int32_t)(202600 + rnd(12) + 1)}};
            for (size_t i = 0; i < n_pos; i++)
                pos[i] = (ap_store_position_t){topics[rnd(2)], (int32_t)rnd(5), (int64_t)rnd(1u << 31) * 3};
            for (int s = 0; s < 2; s++)
                assert_int_equal(
                    ap_store_commit_cycle(st[s], res, n_res, clocks, n_clocks, pos, n_pos, done, n_done), 0);
            sim_compare_reads(st, topics, monday);
        }
    }
    /* Every week of every citizen, at the end. */
    for (int c = 0; c < SIM_CITIZENS; c++)
        for (int w = -1; w < 4; w++) sim_compare_week(st, sim_citizens[c], monday + 7 * w);
    /* The sequence did reach every outcome, and redelivered forgotten ids
     * (else it proved less than it seems). */
    for (int o = 0; o < 5; o++) assert_true(outcomes[o] > 0);
    assert_true(redelivered_forgotten > 0);
    for (int i = 0; i < 8; i++) ap_buf_free(&enc[i]);
    ap_store_destroy(st[0]);
    ap_store_destroy(st[1]);
}

static void the_memory_store_answers_alike(void **state) {
    (void)state;
    simulate("sim", 0);
}

/* With the entity cache: 4 KiB holds a few of the citizens, so loads come
 * from the cache, from Redis, and from Redis once the cache is full. */
static void a_cached_redis_store_answers_alike(void **state) {
    (void)state;
    simulate("simc", 4096);
}

/* Two instances on one namespace (two connections, as two processors): the
 * second claim of a partition fences the first's writes, in the apply script
 * and in the cycle transaction, with nothing written; the owner's go through,
 * and the fenced connection stays usable (it is not a Redis failure). */
static void a_second_instance_fences_the_first(void **state) {
    (void)state;
    char err[256];
    ap_store_t *b = fixture_store(&redis, prefix, 5000, err, sizeof err);
    assert_non_null(b);
    int64_t ea = 0, eb = 0;
    assert_int_equal(ap_store_claim(store, 9, &ea), 0);
    assert_int_equal(ap_store_claim(b, 9, &eb), 0);
    assert_true(eb == ea + 1);
    ap_event_t ev = hours_event("00000000-0000-4000-8000-0000000009f1", 1000, "2026-01-06", 60);
    ap_buf_t encoded = AP_BUF_INIT;
    ap_events_encode(&ev, &encoded);
    ap_store_item_t item = {&ev, {(const uint8_t *)encoded.data, encoded.len}, {1, 0}, "in.hours", 41};
    int outcome = -1;
    assert_int_equal(ap_store_apply_fenced(store, &item, 1, 9, 0, ea, &outcome), AP_STORE_FENCED);
    assert_non_null(strstr(ap_store_error(store), "fenced: partition 9"));
    ap_store_position_t pos = {"in.hours", 9, 42};
    ap_store_fence_t fence = {9, ea};
    ap_store_cycle_t cy = {NULL, 0, NULL, 0, &pos, 1, NULL, 0, NULL, 0, &fence, 1};
    assert_int_equal(ap_store_commit(store, &cy), AP_STORE_FENCED);
    int64_t next = 0;
    assert_int_equal(ap_store_position_get(store, "in.hours", 9, &next), 1); /* nothing written */
    char **citizens;
    size_t n;
    assert_int_equal(ap_store_citizens(store, 9, &citizens, &n), 0);
    ap_store_free_list(citizens, n);
    assert_int_equal(n, 0);
    assert_int_equal(ap_store_ping(store), 0);

    assert_int_equal(ap_store_apply_fenced(b, &item, 1, 9, 0, eb, &outcome), 0);
    assert_int_equal(outcome, AP_APPLY_APPLIED);
    fence.epoch = eb;
    assert_int_equal(ap_store_commit(b, &cy), 0);
    assert_int_equal(ap_store_position_get(store, "in.hours", 9, &next), 0);
    assert_true(next == 42);
    ap_buf_free(&encoded);
    ap_store_destroy(b);
}

/* redis.wait_replicas: with no replica attached, WAIT 1 times out and the
 * commit fails (retryable, not fenced); with 0 it is not sent. */
static void a_cycle_waits_for_its_replicas(void **state) {
    (void)state;
    char err[256];
    ap_store_redis_conf_t conf = {"127.0.0.1", redis.port, redis.user, redis.password, prefix, 5000, 1, 100};
    ap_store_t *w = ap_store_redis_connect(&conf, err, sizeof err);
    assert_non_null(w);
    ap_store_position_t pos = {"in.hours", 8, 7};
    ap_store_cycle_t cy = {NULL, 0, NULL, 0, &pos, 1, NULL, 0, NULL, 0, NULL, 0};
    assert_int_equal(ap_store_commit(w, &cy), -1);
    assert_non_null(strstr(ap_store_error(w), "0 of 1 replicas acknowledged"));
    assert_int_equal(ap_store_ping(w), 0);
    ap_store_destroy(w);
    assert_int_equal(ap_store_commit(store, &cy), 0); /* wait_replicas 0 */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_closed_port_fails_to_connect),
        cmocka_unit_test(refused_credentials_are_a_clear_error),
        cmocka_unit_test(the_acl_user_is_confined_to_its_keys_and_commands),
        cmocka_unit_test(another_key_layout_is_refused),
        cmocka_unit_test(layout_2_is_upgraded_in_place),
        cmocka_unit_test(applied_ids_are_bounded_by_generation),
        cmocka_unit_test(forgetting_a_citizen_removes_exactly_its_state),
        cmocka_unit_test(stored_values_follow_the_key_layout),
        cmocka_unit_test(a_dropped_connection_is_noticed),
        cmocka_unit_test(a_lost_script_forces_a_reconnect),
        cmocka_unit_test(the_entity_cache_forgets_on_request),
        cmocka_unit_test(a_value_stored_in_another_schema_version_loads),
        cmocka_unit_test(the_memory_store_answers_alike),
        cmocka_unit_test(a_cached_redis_store_answers_alike),
        cmocka_unit_test(a_second_instance_fences_the_first),
        cmocka_unit_test(a_cycle_waits_for_its_replicas),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
