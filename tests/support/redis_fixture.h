/*
 * redis_fixture.h - the Redis of the env fixture (tests/CMakeLists.txt), for
 * the C tests that need a real redis-server: where it listens, and dropping a
 * test's keys afterwards. Header-only (static functions): include it from one
 * test file per executable.
 */
#ifndef AP_TEST_REDIS_FIXTURE_H
#define AP_TEST_REDIS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include <hiredis/hiredis.h>

/** @brief Reads the fixture's Redis port from $AP_TEST_ENV/env.sh. @return 0, or -1 with the reason on stderr. */
static int fixture_redis_port(int *port) {
    const char *dir = getenv("AP_TEST_ENV");
    char path[512], line[256];
    if (!dir) { fprintf(stderr, "AP_TEST_ENV not set\n"); return -1; }
    snprintf(path, sizeof path, "%s/env.sh", dir);
    FILE *f = fopen(path, "r");
    if (!f) { fprintf(stderr, "no %s: is the env fixture running?\n", path); return -1; }
    while (fgets(line, sizeof line, f)) sscanf(line, "export AP_REDIS_PORT=%d", port);
    fclose(f);
    return 0;
}

/** @brief Deletes every key under "<prefix>:", so repeated runs do not fill the fixture's Redis. */
static void fixture_redis_drop(int port, const char *prefix) {
    redisContext *c = redisConnect("127.0.0.1", port);
    if (!c || c->err) { if (c) redisFree(c); return; }
    redisReply *keys = redisCommand(c, "KEYS %s:*", prefix);
    for (size_t i = 0; keys && keys->type == REDIS_REPLY_ARRAY && i < keys->elements; i++)
        freeReplyObject(redisCommand(c, "DEL %b", keys->element[i]->str, keys->element[i]->len));
    if (keys) freeReplyObject(keys);
    redisFree(c);
}

#endif
