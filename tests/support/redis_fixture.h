/*
 * redis_fixture.h - the Redis of the env fixture (tests/CMakeLists.txt), for
 * the C tests that need a real redis-server: where it listens, the store
 * connected as the least-privilege ACL user every test runs as, and an admin
 * connection for what only a test does (reading keys back, dropping a test's
 * keys, killing connections). Header-only (static inline functions): include it from
 * one test file per executable.
 *
 * deploy/scripts/env.sh writes DIR/env.sh (AP_REDIS_PORT, AP_REDIS_USERNAME)
 * and the password files DIR/redis-<user>.password; redis-acl.sh there says
 * what each user may do.
 */
#ifndef AP_TEST_REDIS_FIXTURE_H
#define AP_TEST_REDIS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "arbejdspligt/config.h"
#include "arbejdspligt/store_redis.h"

/* The admin user of the env (all keys, all commands): test helpers only. */
#define FIXTURE_REDIS_ADMIN "ap-admin"

typedef struct fixture_redis {
    int port;
    char user[64];          /* the services' ACL user */
    char password[256];
    char admin_password[256];
    char erasure_password[256]; /* of ap-erasure, the user apctl forget runs as */
} fixture_redis_t;

/** @brief Reads the fixture's Redis port, user and passwords from $AP_TEST_ENV. @return 0, or -1 with the reason on stderr. */
static inline int fixture_redis(fixture_redis_t *f) {
    const char *dir = getenv("AP_TEST_ENV");
    char path[512], line[256], err[256];
    memset(f, 0, sizeof *f);
    if (!dir) { fprintf(stderr, "AP_TEST_ENV not set\n"); return -1; }
    snprintf(path, sizeof path, "%s/env.sh", dir);
    FILE *env = fopen(path, "r");
    if (!env) { fprintf(stderr, "no %s: is the env fixture running?\n", path); return -1; }
    while (fgets(line, sizeof line, env)) {
        sscanf(line, "export AP_REDIS_PORT=%d", &f->port);
        sscanf(line, "export AP_REDIS_USERNAME=%63s", f->user);
    }
    fclose(env);
    snprintf(path, sizeof path, "%s/redis-%s.password", dir, f->user);
    if (!f->user[0] || ap_config_read_password(path, NULL, f->password, sizeof f->password, err, sizeof err)) {
        fprintf(stderr, "fixture: no Redis user: %s\n", f->user[0] ? err : "AP_REDIS_USERNAME missing");
        return -1;
    }
    snprintf(path, sizeof path, "%s/redis-%s.password", dir, FIXTURE_REDIS_ADMIN);
    if (ap_config_read_password(path, NULL, f->admin_password, sizeof f->admin_password, err, sizeof err)) {
        fprintf(stderr, "fixture: %s\n", err);
        return -1;
    }
    snprintf(path, sizeof path, "%s/redis-ap-erasure.password", dir);
    if (ap_config_read_password(path, NULL, f->erasure_password, sizeof f->erasure_password, err, sizeof err)) {
        fprintf(stderr, "fixture: %s\n", err);
        return -1;
    }
    return 0;
}

/** @brief The store on the fixture's Redis as the services' ACL user, under `prefix`; NULL with err set. */
static inline ap_store_t *fixture_store(const fixture_redis_t *f, const char *prefix, int timeout_ms, char *err,
                                 size_t errlen) {
    ap_store_redis_conf_t conf = {"127.0.0.1", f->port, f->user, f->password, prefix, timeout_ms, 0, 0};
    return ap_store_redis_connect(&conf, err, errlen);
}

/** @brief A plain connection authenticated as `user`; NULL (reason on stderr) if refused. */
static inline redisContext *fixture_redis_as(const fixture_redis_t *f, const char *user, const char *password) {
    redisContext *c = redisConnect("127.0.0.1", f->port);
    if (!c || c->err) {
        fprintf(stderr, "fixture: connect: %s\n", c ? c->errstr : "out of memory");
        if (c) redisFree(c);
        return NULL;
    }
    redisReply *r = redisCommand(c, "AUTH %s %s", user, password);
    int ok = r && r->type == REDIS_REPLY_STATUS;
    if (!ok) fprintf(stderr, "fixture: AUTH %s: %s\n", user, r && r->type == REDIS_REPLY_ERROR ? r->str : "no reply");
    if (r) freeReplyObject(r);
    if (!ok) { redisFree(c); return NULL; }
    return c;
}

/** @brief A connection as the env's admin user (test helpers only); NULL if refused. */
static inline redisContext *fixture_redis_admin(const fixture_redis_t *f) {
    return fixture_redis_as(f, FIXTURE_REDIS_ADMIN, f->admin_password);
}

/** @brief Deletes every key under "<prefix>:", so repeated runs do not fill the fixture's Redis (as admin: the services' user may not delete). */
static inline void fixture_redis_drop(const fixture_redis_t *f, const char *prefix) {
    redisContext *c = fixture_redis_admin(f);
    if (!c) return;
    redisReply *keys = redisCommand(c, "KEYS %s:*", prefix);
    for (size_t i = 0; keys && keys->type == REDIS_REPLY_ARRAY && i < keys->elements; i++)
        freeReplyObject(redisCommand(c, "DEL %b", keys->element[i]->str, keys->element[i]->len));
    if (keys) freeReplyObject(keys);
    redisFree(c);
}

#endif
