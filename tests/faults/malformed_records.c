/* Prints one damaged record per codec failure class, as "REASON HEX" lines,
 * each made from a valid encoded HoursEvent of citizen c-anna (key c-anna),
 * for the dead-letter fault test. */
#include <stdio.h>
#include <string.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/events.h"

static ap_event_t base(int32_t action) {
    ap_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_HOURS;
    ap_hours_t *h = &ev.u.hours;
    strcpy(h->h.event_id, "6f1c2b9e-2d7a-4e0b-9a51-3c8d0f6e7a55");
    strcpy(h->h.citizen_id, "c-anna");
    strcpy(h->h.municipality_code, "101");
    h->h.occurred_at = h->h.recorded_at = 1767600000000LL;
    strcpy(h->h.source_system, "faults");
    h->action = action;
    strcpy(h->report_id, "r-malformed");
    h->activity_date = ap_cal_days_from_civil(2026, 1, 6);
    h->activity_kind = AP_ACT_NYTTEINDSATS;
    h->minutes = 60;
    return ev;
}

static void print(const char *reason, const unsigned char *b, size_t n) {
    printf("%s ", reason);
    for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
    printf("\n");
}

int main(void) {
    ap_codec_error_t err;
    if (ap_events_init(&err)) return 1;
    ap_buf_t a = AP_BUF_INIT, b = AP_BUF_INIT;
    ap_event_t ev = base(AP_HOURS_REPORTED), other = base(AP_HOURS_RETRACTED);
    ap_events_encode(&ev, &a);
    ap_events_encode(&other, &b);
    size_t n = a.len, action = 0;
    while (action < n && a.data[action] == b.data[action]) action++; /* the action byte */
    unsigned char r[1024];
    const size_t event_id = 10, citizen = 10 + 1 + 36 + 1;

    memcpy(r, a.data, n); print("TRUNCATED", r, n / 2);
    memcpy(r, a.data, n); r[0] = 0x4f; print("BAD_MARKER", r, n);
    memcpy(r, a.data, n); r[4] ^= 0xff; print("UNKNOWN_FINGERPRINT", r, n);
    memcpy(r, a.data, n); r[event_id] = 0x01; print("BAD_LENGTH", r, n);          /* length -1 */
    memcpy(r, a.data, n); r[event_id] = 0x7e; print("TOO_LONG", r, n);            /* length 63 > 36 */
    memcpy(r, a.data, n); r[citizen + 2] = 0xc3; r[citizen + 3] = 0x28; print("BAD_UTF8", r, n);
    memcpy(r, a.data, n); r[action] = 2 * 7; print("BAD_ENUM", r, n);            /* HoursAction has 3 symbols */
    memcpy(r, a.data, n); r[n - 1] = 0x06; print("BAD_UNION", r, n);             /* journal_ref branch 3 */
    /* An 11-byte varint in place of the event_id length. */
    memcpy(r, a.data, event_id);
    memset(r + event_id, 0x80, 10);
    r[event_id + 10] = 0x01;
    memcpy(r + event_id + 11, a.data + event_id + 1, n - event_id - 1);
    print("BAD_VARINT", r, n + 10);
    memcpy(r, a.data, n); r[n] = 0x00; print("TRAILING_BYTES", r, n + 1);
    ap_buf_free(&a);
    ap_buf_free(&b);
    return 0;
}
