/*
 * calendar.h - civil dates, ISO weeks and Europe/Copenhagen local time.
 *
 * Pure functions, no tz database and no clock: the arbejdspligt week is the
 * ISO week (Monday-Sunday) in Danish local time, and Denmark has followed the
 * EU summer-time rule (last Sunday of March to last Sunday of October, switch
 * at 01:00 UTC) since 1996, so the rule is computed, not looked up.
 *
 * A "day" is an Avro `date`: days since 1970-01-01 in the local calendar.
 * A "timestamp" is an Avro `timestamp-millis`: UTC milliseconds since epoch.
 */
#ifndef AP_CALENDAR_H
#define AP_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

/* Sentinel for "no date" in optional date fields (Avro union null). */
#define AP_NO_DATE INT32_MIN

/* Days of the week, ISO numbering. */
enum { AP_MONDAY = 1, AP_FRIDAY = 5, AP_SUNDAY = 7 };

int32_t ap_cal_days_from_civil(int y, int m, int d);
void ap_cal_civil_from_days(int32_t day, int *y, int *m, int *d);
/** @return ISO weekday, 1 = Monday ... 7 = Sunday. */
int ap_cal_weekday(int32_t day);
/** @return the Monday of the ISO week containing day. */
int32_t ap_cal_week_start(int32_t day);
/** @brief ISO 8601 year and week number of day (week 53 and year boundaries included). */
void ap_cal_iso_week(int32_t day, int *iso_year, int *iso_week);
/** @return Monday of ISO week (iso_year, iso_week), or AP_NO_DATE if the week does not exist. */
int32_t ap_cal_iso_week_monday(int iso_year, int iso_week);

/** @return 1 if Danish summer time (CEST, UTC+2) is in force at utc_ms. */
int ap_cal_cph_is_summer(int64_t utc_ms);
/** @return the Europe/Copenhagen calendar day of the instant utc_ms. */
int32_t ap_cal_cph_day(int64_t utc_ms);
/** @return the UTC instant of local midnight (00:00 Europe/Copenhagen) starting day. */
int64_t ap_cal_cph_midnight(int32_t day);

/** @brief Formats day as YYYY-MM-DD into out (at least 11 bytes). */
void ap_cal_format_date(int32_t day, char out[static 11]);
/** @brief Parses YYYY-MM-DD strictly. @return 0, or -1 if malformed or not a real date. */
int ap_cal_parse_date(const char *s, size_t len, int32_t *day);
/** @brief Formats utc_ms as YYYY-MM-DDTHH:MM:SS.mmmZ into out (at least 25 bytes). */
void ap_cal_format_timestamp(int64_t utc_ms, char out[static 25]);
/**
 * @brief Parses an RFC 3339 timestamp: YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM).
 * @return 0, or -1 if malformed.
 */
int ap_cal_parse_timestamp(const char *s, size_t len, int64_t *utc_ms);
/** @brief Formats an ISO week label, e.g. "2026-W02", into out (at least 9 bytes). */
void ap_cal_format_week(int32_t monday, char out[static 9]);

#endif
