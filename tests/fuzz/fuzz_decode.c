/* libFuzzer harness: the single-object decoders on arbitrary bytes (what any
 * Kafka producer can put on an input topic), then validation of what decodes,
 * and the encoder on it: a decoded event re-encodes to bytes that decode and
 * encode to the same bytes again. See README "Tests" (fuzz). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arbejdspligt/events.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    ap_codec_error_t err;
    if (ap_events_init(&err)) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static ap_event_t ev, again; /* large: not on the stack */
    ap_codec_error_t err;
    int64_t at;
    (void)ap_events_tick_time(data, size, &at);
    (void)ap_events_is_current(data, size);
    if (ap_events_decode(data, size, &ev, &err) != AP_CODEC_OK) return 0;
    char why[512];
    if (ev.type <= AP_EV_TICK) (void)ap_events_validate(&ev, why, sizeof why);
    ap_buf_t a = AP_BUF_INIT, b = AP_BUF_INIT, json = AP_BUF_INIT;
    ap_events_encode(&ev, &a);
    ap_events_to_json(&ev, &json);
    if (ap_events_decode((const uint8_t *)a.data, a.len, &again, &err) != AP_CODEC_OK) abort();
    ap_events_encode(&again, &b);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) abort();
    ap_buf_free(&a);
    ap_buf_free(&b);
    ap_buf_free(&json);
    return 0;
}
