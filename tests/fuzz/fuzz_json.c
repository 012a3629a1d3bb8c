/* libFuzzer harness: the strict JSON reader on arbitrary text, and the
 * JSON-to-event path of `apctl produce` and JSON-lines exports
 * (ap_codec_from_json, validation, encoding): an event read from JSON encodes
 * to bytes that decode. The string writer's output reads back as the same
 * string. See README "Tests" (fuzz). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arbejdspligt/events.h"
#include "arbejdspligt/json.h"
#include "arbejdspligt/utf8.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    ap_codec_error_t err;
    if (ap_events_init(&err)) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static ap_event_t ev, back;
    static ap_json_doc_t doc = AP_JSON_DOC_INIT, doc2 = AP_JSON_DOC_INIT; /* reused, as the readers do */
    const char *text = (const char *)data;
    /* Any valid UTF-8 without NUL written as a JSON string reads back as itself. */
    if (ap_utf8_valid(text, size) && !memchr(text, 0, size)) {
        ap_buf_t s = AP_BUF_INIT;
        ap_json_write_string(&s, text, size);
        if (ap_json_parse(&doc2, s.data, s.len) || doc2.nodes[0].type != AP_JSON_STRING || doc2.nodes[0].len != size ||
            memcmp(doc2.nodes[0].str, text, size) != 0)
            abort();
        ap_buf_free(&s);
    }
    if (ap_json_parse(&doc, text, size)) return 0;
    const ap_json_node_t *root = &doc.nodes[0];
    if (root->type != AP_JSON_OBJECT) return 0;
    const ap_json_node_t *sn = ap_json_member(&doc, root, "schema");
    ap_event_type_t type = sn && sn->type == AP_JSON_STRING ? ap_events_type_by_name(sn->str, sn->len) : AP_EV_HOURS;
    if (type == AP_EV_COUNT) return 0;
    static const char *const ignore[] = {"schema", NULL};
    ap_codec_error_t err;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    if (ap_codec_from_json(ap_events_desc(type), &doc, root, ignore, &ev.u, &err) != AP_CODEC_OK) return 0;
    char why[512];
    if (type <= AP_EV_TICK) (void)ap_events_validate(&ev, why, sizeof why);
    ap_buf_t out = AP_BUF_INIT;
    ap_events_encode(&ev, &out);
    if (ap_events_decode((const uint8_t *)out.data, out.len, &back, &err) != AP_CODEC_OK || back.type != type) abort();
    ap_buf_free(&out);
    return 0;
}
