/* calendar.c - civil dates, ISO weeks, Europe/Copenhagen. See calendar.h. */
#include "arbejdspligt/calendar.h"

#include <stdio.h>
#include <string.h>

#define MS_PER_DAY 86400000LL
#define MS_PER_HOUR 3600000LL

/* Floor division, so days before 1970 behave like days after it. */
static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* Proleptic Gregorian calendar in 400-year eras (146097 days each). */
int32_t ap_cal_days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    const int64_t era = floor_div(y, 400);
    const int64_t yoe = y - era * 400;                        /* [0, 399] */
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1; /* [0, 365] */
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* [0, 146096] */
    return (int32_t)(era * 146097 + doe - 719468);
}

void ap_cal_civil_from_days(int32_t day, int *y, int *m, int *d) {
    const int64_t z = (int64_t)day + 719468;
    const int64_t era = floor_div(z, 146097);
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int ap_cal_weekday(int32_t day) {
    /* 1970-01-01 was a Thursday (ISO 4): weekday = (day + 3) mod 7 + 1. */
    int64_t a = (int64_t)day + 3;
    return (int)(a - 7 * floor_div(a, 7)) + 1;
}

int32_t ap_cal_week_start(int32_t day) { return day - (ap_cal_weekday(day) - 1); }

void ap_cal_iso_week(int32_t day, int *iso_year, int *iso_week) {
    /* The ISO year is the year of the week's Thursday. */
    int32_t thursday = ap_cal_week_start(day) + 3;
    int y, m, d;
    ap_cal_civil_from_days(thursday, &y, &m, &d);
    *iso_year = y;
    *iso_week = (thursday - ap_cal_days_from_civil(y, 1, 1)) / 7 + 1;
}

int32_t ap_cal_iso_week_monday(int iso_year, int iso_week) {
    if (iso_week < 1 || iso_week > 53) return AP_NO_DATE;
    /* 4 January is always in week 1. */
    int32_t monday = ap_cal_week_start(ap_cal_days_from_civil(iso_year, 1, 4)) + (iso_week - 1) * 7;
    int y, w;
    ap_cal_iso_week(monday, &y, &w);
    return (y == iso_year && w == iso_week) ? monday : AP_NO_DATE;
}

/* Last Sunday of the month (m has 31 days for March and October). */
static int32_t last_sunday(int y, int m) {
    int32_t last = ap_cal_days_from_civil(y, m, 31);
    return last - (ap_cal_weekday(last) % 7);
}

int ap_cal_cph_is_summer(int64_t utc_ms) {
    int y, m, d;
    ap_cal_civil_from_days((int32_t)floor_div(utc_ms, MS_PER_DAY), &y, &m, &d);
    /* EU rule: summer time from 01:00 UTC on the last Sunday of March to
     * 01:00 UTC on the last Sunday of October. */
    int64_t start = (int64_t)last_sunday(y, 3) * MS_PER_DAY + MS_PER_HOUR;
    int64_t end = (int64_t)last_sunday(y, 10) * MS_PER_DAY + MS_PER_HOUR;
    return utc_ms >= start && utc_ms < end;
}

int32_t ap_cal_cph_day(int64_t utc_ms) {
    int64_t local = utc_ms + (ap_cal_cph_is_summer(utc_ms) ? 2 : 1) * MS_PER_HOUR;
    return (int32_t)floor_div(local, MS_PER_DAY);
}

int64_t ap_cal_cph_midnight(int32_t day) {
    /* Switches happen at 01:00 UTC, so 22:00 UTC the evening before has the
     * same offset as local midnight (22:00 or 23:00 UTC). */
    int64_t base = (int64_t)day * MS_PER_DAY;
    return base - (ap_cal_cph_is_summer(base - 2 * MS_PER_HOUR) ? 2 : 1) * MS_PER_HOUR;
}

/* Writes v as exactly n decimal digits (zero-padded): formatting is on the output hot path. */
static void put_digits(char *out, unsigned v, int n) {
    for (int i = n - 1; i >= 0; i--) { out[i] = (char)('0' + v % 10); v /= 10; }
}

void ap_cal_format_date(int32_t day, char out[static 11]) {
    int y, m, d;
    ap_cal_civil_from_days(day, &y, &m, &d);
    if (y < 0 || y > 9999) { memcpy(out, "0000-00-00", 11); return; }
    put_digits(out, y, 4);
    out[4] = '-';
    put_digits(out + 5, m, 2);
    out[7] = '-';
    put_digits(out + 8, d, 2);
    out[10] = '\0';
}

static int digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int days_in_month(int y, int m) {
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : dm[m - 1];
}

int ap_cal_parse_date(const char *s, size_t len, int32_t *day) {
    int y, m, d;
    if (len != 10 || s[4] != '-' || s[7] != '-') return -1;
    if (digits(s, 4, &y) || digits(s + 5, 2, &m) || digits(s + 8, 2, &d)) return -1;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return -1;
    *day = ap_cal_days_from_civil(y, m, d);
    return 0;
}

void ap_cal_format_timestamp(int64_t utc_ms, char out[static 25]) {
    /* Day and remainder without multiplying back (INT64_MIN would overflow). */
    int64_t day = utc_ms / MS_PER_DAY, ms = utc_ms % MS_PER_DAY;
    if (ms < 0) ms += MS_PER_DAY, day--;
    char date[11];
    /* Days past the years 0..9999 print as 0000-00-00, as ap_cal_format_date does. */
    ap_cal_format_date(day < -800000 || day > 3000000 ? INT32_MIN : (int32_t)day, date);
    /* ms is in [0, MS_PER_DAY), so every part has exactly its width. */
    unsigned h = (unsigned)(ms / MS_PER_HOUR) % 24u, mi = (unsigned)(ms / 60000 % 60), s = (unsigned)(ms / 1000 % 60),
             f = (unsigned)(ms % 1000);
    memcpy(out, date, 10);
    out[10] = 'T';
    put_digits(out + 11, h, 2);
    out[13] = ':';
    put_digits(out + 14, mi, 2);
    out[16] = ':';
    put_digits(out + 17, s, 2);
    out[19] = '.';
    put_digits(out + 20, f, 3);
    out[23] = 'Z';
    out[24] = '\0';
}

int ap_cal_parse_timestamp(const char *s, size_t len, int64_t *utc_ms) {
    int32_t day;
    int hh, mi, ss, frac = 0;
    if (len < 20 || (s[10] != 'T' && s[10] != ' ')) return -1;
    if (ap_cal_parse_date(s, 10, &day)) return -1;
    if (s[13] != ':' || s[16] != ':') return -1;
    if (digits(s + 11, 2, &hh) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &ss)) return -1;
    if (hh > 23 || mi > 59 || ss > 59) return -1;
    size_t i = 19;
    if (i < len && s[i] == '.') {
        /* Fraction: milliseconds kept, finer digits must still be digits. */
        size_t start = ++i;
        int scale = 100;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (scale) { frac += (s[i] - '0') * scale; scale /= 10; }
            i++;
        }
        if (i == start) return -1;
    }
    int64_t offset_ms = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
        offset_ms = 0;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh, om;
        if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59) return -1;
        offset_ms = ((int64_t)oh * 60 + om) * 60000 * (s[i] == '-' ? -1 : 1);
    } else {
        return -1;
    }
    *utc_ms = (int64_t)day * MS_PER_DAY + ((int64_t)hh * 3600 + mi * 60 + ss) * 1000 + frac - offset_ms;
    return 0;
}

void ap_cal_format_week(int32_t monday, char out[static 9]) {
    int y, w;
    ap_cal_iso_week(monday, &y, &w);
    snprintf(out, 9, "%04u-W%02u", (unsigned)y % 10000u, (unsigned)w % 100u);
}
