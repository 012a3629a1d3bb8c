/*
 * log.h - one line per event of interest, logfmt (key=value), level-tagged,
 * to stderr. Callers must never pass personal data: log event ids, topics,
 * partitions, offsets and counts, never citizen ids or CPR numbers.
 */
#ifndef AP_LOG_H
#define AP_LOG_H

typedef enum ap_log_level { AP_LOG_DEBUG, AP_LOG_INFO, AP_LOG_WARN, AP_LOG_ERROR } ap_log_level_t;

/** @brief Sets the lowest level written. @return 0, or -1 if name is not debug/info/warn/error. */
int ap_log_set_level(const char *name);
/** @brief Names the component in every line (e.g. "processor"). The string must outlive logging. */
void ap_log_set_component(const char *name);
/** @brief Writes one line: ts=... level=... component=... msg="..." then the formatted key=value pairs. */
void ap_log(ap_log_level_t level, const char *msg, const char *kv_fmt, ...) __attribute__((format(printf, 3, 4)));

/** @brief Seconds on the monotonic clock: for durations, rates and deadlines in
 * logs and tools, never for rules or results (those use the stream clock). */
double ap_log_monotonic_s(void);

#define ap_log_debug(msg, ...) ap_log(AP_LOG_DEBUG, msg, __VA_ARGS__)
#define ap_log_info(msg, ...) ap_log(AP_LOG_INFO, msg, __VA_ARGS__)
#define ap_log_warn(msg, ...) ap_log(AP_LOG_WARN, msg, __VA_ARGS__)
#define ap_log_error(msg, ...) ap_log(AP_LOG_ERROR, msg, __VA_ARGS__)

#endif
