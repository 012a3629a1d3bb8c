/* Civil dates, ISO weeks (week 53, year boundaries) and Europe/Copenhagen DST. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arbejdspligt/calendar.h"

static int32_t D(const char *s) {
    int32_t d;
    assert_int_equal(ap_cal_parse_date(s, strlen(s), &d), 0);
    return d;
}

static void civil_round_trip_over_four_centuries(void **state) {
    (void)state;
    for (int32_t day = -146097; day <= 146097; day += 7) {
        int y, m, d;
        ap_cal_civil_from_days(day, &y, &m, &d);
        assert_int_equal(ap_cal_days_from_civil(y, m, d), day);
    }
    assert_int_equal(ap_cal_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(ap_cal_days_from_civil(2000, 3, 1), 11017);
}

static void weekdays(void **state) {
    (void)state;
    assert_int_equal(ap_cal_weekday(0), 4);                 /* 1970-01-01 Thursday */
    assert_int_equal(ap_cal_weekday(D("2026-11-23")), 1);  /* Monday */
    assert_int_equal(ap_cal_weekday(D("2026-11-22")), 7);  /* Sunday */
    assert_int_equal(ap_cal_weekday(D("1969-12-31")), 3);  /* before the epoch */
    assert_int_equal(ap_cal_week_start(D("2026-11-29")), D("2026-11-23"));
}

static void iso_weeks_at_year_boundaries(void **state) {
    (void)state;
    static const struct { const char *date; int year, week; } cases[] = {
        {"2024-12-30", 2025, 1},  /* arbejdspligt's first week starts in 2024 */
        {"2025-01-01", 2025, 1},  {"2026-01-01", 2026, 1},  {"2026-12-31", 2026, 53},
        {"2027-01-03", 2026, 53}, /* week 53 runs into the next year */
        {"2027-01-04", 2027, 1},  {"2020-12-31", 2020, 53}, {"2021-01-03", 2020, 53},
        {"2008-12-29", 2009, 1},  {"2010-01-03", 2009, 53},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int y, w;
        ap_cal_iso_week(D(cases[i].date), &y, &w);
        if (y != cases[i].year || w != cases[i].week) fail_msg("%s: got %d-W%d", cases[i].date, y, w);
    }
    assert_int_equal(ap_cal_iso_week_monday(2026, 53), D("2026-12-28"));
    assert_int_equal(ap_cal_iso_week_monday(2025, 53), AP_NO_DATE); /* 2025 has 52 weeks */
    char label[9];
    ap_cal_format_week(D("2027-01-01"), label);
    assert_string_equal(label, "2026-W53");
}

static void copenhagen_summer_time(void **state) {
    (void)state;
    int64_t t;
    /* 2026: CEST from 29 March 01:00 UTC to 25 October 01:00 UTC. */
    assert_int_equal(ap_cal_parse_timestamp("2026-03-29T00:59:59Z", 20, &t), 0);
    assert_false(ap_cal_cph_is_summer(t));
    assert_int_equal(ap_cal_parse_timestamp("2026-03-29T01:00:00Z", 20, &t), 0);
    assert_true(ap_cal_cph_is_summer(t));
    assert_int_equal(ap_cal_parse_timestamp("2026-10-25T00:59:59Z", 20, &t), 0);
    assert_true(ap_cal_cph_is_summer(t));
    assert_int_equal(ap_cal_parse_timestamp("2026-10-25T01:00:00Z", 20, &t), 0);
    assert_false(ap_cal_cph_is_summer(t));
    /* 22:30 UTC on a summer Sunday is already Monday in Copenhagen. */
    assert_int_equal(ap_cal_parse_timestamp("2026-06-14T22:30:00Z", 20, &t), 0);
    assert_int_equal(ap_cal_cph_day(t), D("2026-06-15"));
    /* ...but 22:30 UTC in winter is still Sunday 23:30. */
    assert_int_equal(ap_cal_parse_timestamp("2026-01-11T22:30:00Z", 20, &t), 0);
    assert_int_equal(ap_cal_cph_day(t), D("2026-01-11"));
    /* Local midnights: summer 22:00 UTC, winter 23:00 UTC, and on DST weeks. */
    assert_int_equal(ap_cal_parse_timestamp("2026-06-14T22:00:00Z", 20, &t), 0);
    assert_true(ap_cal_cph_midnight(D("2026-06-15")) == t);
    assert_int_equal(ap_cal_parse_timestamp("2026-01-11T23:00:00Z", 20, &t), 0);
    assert_true(ap_cal_cph_midnight(D("2026-01-12")) == t);
    assert_int_equal(ap_cal_parse_timestamp("2026-03-30T00:00:00+02:00", 25, &t), 0);
    assert_true(ap_cal_cph_midnight(D("2026-03-30")) == t); /* Monday after spring-forward: CEST */
    assert_int_equal(ap_cal_parse_timestamp("2026-03-29T00:00:00+01:00", 25, &t), 0);
    assert_true(ap_cal_cph_midnight(D("2026-03-29")) == t); /* the switch day itself starts in CET */
    assert_int_equal(ap_cal_parse_timestamp("2026-10-25T22:00:00Z", 20, &t), 0);
    assert_true(ap_cal_cph_midnight(D("2026-10-26")) == t + 3600000); /* 23:00 UTC, CET again */
}

static void timestamps_parse_and_format(void **state) {
    (void)state;
    int64_t t;
    char out[25];
    assert_int_equal(ap_cal_parse_timestamp("2026-01-05T08:30:00.250Z", 24, &t), 0);
    ap_cal_format_timestamp(t, out);
    assert_string_equal(out, "2026-01-05T08:30:00.250Z");
    assert_int_equal(ap_cal_parse_timestamp("2026-01-05T09:30:00.25+01:00", 28, &t), 0);
    ap_cal_format_timestamp(t, out);
    assert_string_equal(out, "2026-01-05T08:30:00.250Z");
    /* The extremes a record may carry: no overflow (UBSan aborts on one),
     * a date outside 0000..9999 shown as zeros, the time of day exact. */
    ap_cal_format_timestamp(INT64_MIN, out);
    assert_string_equal(out, "0000-00-00T16:47:04.192Z");
    ap_cal_format_timestamp(INT64_MAX, out);
    assert_string_equal(out, "0000-00-00T07:12:55.807Z");
    ap_cal_format_timestamp(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    const char *bad[] = {"2026-01-05", "2026-01-05T25:00:00Z", "2026-02-30T00:00:00Z", "2026-01-05T08:30:00",
                         "2026-01-05T08:30:00.Z", "2026-01-05T08:30:00Zjunk", "2026-13-01T00:00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(ap_cal_parse_timestamp(bad[i], strlen(bad[i]), &t), -1);
    int32_t d;
    assert_int_equal(ap_cal_parse_date("2024-02-29", 10, &d), 0);
    assert_int_equal(ap_cal_parse_date("2025-02-29", 10, &d), -1);
    assert_int_equal(ap_cal_parse_date("2025-1-01", 9, &d), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(civil_round_trip_over_four_centuries), cmocka_unit_test(weekdays),
        cmocka_unit_test(iso_weeks_at_year_boundaries), cmocka_unit_test(copenhagen_summer_time),
        cmocka_unit_test(timestamps_parse_and_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
