/* log.c - logfmt lines on stderr. See log.h. */
#include "arbejdspligt/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static ap_log_level_t min_level = AP_LOG_INFO;
static const char *component = "arbejdspligt";
static const char *const names[] = {"debug", "info", "warn", "error"};

int ap_log_set_level(const char *name) {
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) { min_level = (ap_log_level_t)i; return 0; }
    return -1;
}

void ap_log_set_component(const char *name) { component = name; }

void ap_log(ap_log_level_t level, const char *msg, const char *kv_fmt, ...) {
    if (level < min_level) return;
    char line[1024], ts[32];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now); /* wall clock for logs only, never for rules */
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    int n = snprintf(line, sizeof line, "ts=%s.%03ldZ level=%s component=%s msg=\"%s\"", ts, now.tv_nsec / 1000000,
                     names[level], component, msg);
    if (n > 0 && (size_t)n < sizeof line && kv_fmt && *kv_fmt) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, kv_fmt);
        vsnprintf(line + n, sizeof line - (size_t)n, kv_fmt, ap);
        va_end(ap);
    }
    /* One write per line so lines from threads do not interleave. */
    fprintf(stderr, "%s\n", line);
}

double ap_log_monotonic_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
