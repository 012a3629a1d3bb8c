/* The single-object codec: round trips for every record type, every
 * malformed-input class, a cross-check against avro-c, and JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <avro.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/events.h"

static ap_event_t sample_placement(void) {
    ap_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_PLACEMENT;
    ap_placement_t *p = &ev.u.placement;
    strcpy(p->h.event_id, "6f1c2b9e-2d7a-4e0b-9a51-3c8d0f6e7a10");
    strcpy(p->h.citizen_id, "c-\xc3\xa6\xc3\xb8\xc3\xa5-0001");
    strcpy(p->h.municipality_code, "101");
    p->h.occurred_at = 1767600000000LL;
    p->h.recorded_at = 1767600001000LL;
    strcpy(p->h.source_system, "opera");
    p->action = AP_PLACEMENT_REGISTERED;
    strcpy(p->placement_id, "pl-1");
    p->offer_type = AP_ACT_NYTTEINDSATS;
    p->job_type = 0;
    strcpy(p->workplace_p_number, "1234567890");
    p->start_date = ap_cal_days_from_civil(2026, 1, 5);
    p->end_date = ap_cal_days_from_civil(2026, 3, 27);
    p->planned_minutes_per_week = 1200;
    p->benefit_type = AP_BEN_KONTANTHJAELP;
    return ev;
}

static ap_event_t sample_reduction(void) {
    ap_event_t ev;
    ap_events_clear(&ev, AP_EV_REDUCTION);
    ap_reduction_t *x = &ev.u.reduction;
    strcpy(x->h.event_id, "6f1c2b9e-2d7a-4e0b-9a51-3c8d0f6e7a11");
    strcpy(x->h.citizen_id, "c-2");
    strcpy(x->h.municipality_code, "751");
    x->h.occurred_at = x->h.recorded_at = 1767600000000LL;
    strcpy(x->h.source_system, "fasit");
    strcpy(x->reduction_id, "r-1");
    x->reduced_minutes_per_week = 1200;
    x->valid_from = 20460;
    x->valid_to = AP_NO_DATE;
    x->assessed_on = 20450;
    x->n_assessed = 2;
    strcpy(x->assessed_placement_ids[0], "pl-1");
    strcpy(x->assessed_placement_ids[1], "pl-2");
    return ev;
}

static const ap_input_ref_t sample_inputs[3] = {
    {"ap.exemption", 2, 7, "00000000-0000-8000-8000-00000000000a"},
    {"ap.hours", 2, 40, "00000000-0000-8000-8000-00000000000b"},
    {"ap.hours", 2, 41, "00000000-0000-8000-8000-00000000000c"},
};

static ap_event_t sample_result(void) {
    ap_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_RESULT;
    ap_result_t *r = &ev.u.result;
    strcpy(r->event_id, "00000000-0000-8000-8000-000000000001");
    strcpy(r->citizen_id, "c-3");
    strcpy(r->municipality_code, "101");
    r->iso_year = 2026;
    r->iso_week = 2;
    r->week_start = ap_cal_iso_week_monday(2026, 2);
    strcpy(r->rule_version, "AP-2025.1");
    r->status = AP_STATUS_NOT_COMPLIANT;
    r->required_minutes = 2220;
    r->credited_minutes = 1200;
    r->shortfall_minutes = 1020;
    r->revision = 1;
    r->final = true;
    r->closed_at = 1767600000000LL;
    r->n_breakdown = 2;
    r->breakdown[0] = (ap_credited_t){AP_ACT_NYTTEINDSATS, 900};
    r->breakdown[1] = (ap_credited_t){AP_ACT_TRANSPORT, 300};
    r->n_adjustments = 1;
    r->adjustments[0].kind = AP_ADJ_PRORATION;
    strcpy(r->adjustments[0].reference, "4/5 working days covered");
    r->adjustments[0].minutes = -444;
    r->inputs = (ap_array_view_t){sample_inputs, 3, {NULL, 0}};
    return ev;
}

/* Lineage is an array held outside the struct: decoding gives a view of the
 * encoded items, which reads back item by item and re-encodes to the same bytes. */
static void result_inputs_are_a_view(void **state) {
    (void)state;
    ap_event_t ev = sample_result(), out;
    ap_buf_t buf = AP_BUF_INIT, again = AP_BUF_INIT, json = AP_BUF_INIT;
    ap_codec_error_t err;
    ap_events_encode(&ev, &buf);
    assert_int_equal(ap_events_decode((const uint8_t *)buf.data, buf.len, &out, &err), AP_CODEC_OK);
    assert_null(out.u.result.inputs.items);
    assert_int_equal(out.u.result.inputs.n, 3);
    assert_true(out.u.result.inputs.raw.ptr >= (const uint8_t *)buf.data &&
                out.u.result.inputs.raw.ptr + out.u.result.inputs.raw.len <= (const uint8_t *)buf.data + buf.len);
    const ap_field_desc_t *f = NULL;
    const ap_record_desc_t *d = ap_events_desc(AP_EV_RESULT);
    for (size_t i = 0; i < d->nfields; i++)
        if (strcmp(d->fields[i].name, "inputs") == 0) f = &d->fields[i];
    assert_non_null(f);
    ap_input_ref_t ref;
    assert_int_equal(ap_codec_view_item(f, &out.u.result.inputs, 2, &ref, &err), AP_CODEC_OK);
    assert_string_equal(ref.topic, "ap.hours");
    assert_int_equal(ref.partition, 2);
    assert_true(ref.offset == 41);
    assert_string_equal(ref.event_id, sample_inputs[2].event_id);
    assert_int_not_equal(ap_codec_view_item(f, &out.u.result.inputs, 3, &ref, &err), AP_CODEC_OK);
    ap_events_encode(&out, &again);
    assert_int_equal(again.len, buf.len);
    assert_memory_equal(again.data, buf.data, buf.len);
    ap_events_to_json(&out, &json);
    assert_non_null(strstr(json.data, "\"inputs\":[{\"topic\":\"ap.exemption\",\"partition\":2,\"offset\":7,"));
    /* A truncated view is rejected when the record is decoded, not later. */
    for (size_t n = buf.len - 1; n > buf.len - 40; n--)
        assert_int_not_equal(ap_events_decode((const uint8_t *)buf.data, n, &out, &err), AP_CODEC_OK);
    ap_buf_free(&buf);
    ap_buf_free(&again);
    ap_buf_free(&json);
}

static int setup(void **state) {
    (void)state;
    ap_codec_error_t err;
    if (ap_events_init(&err)) { fprintf(stderr, "%s\n", err.msg); return -1; }
    return 0;
}

static void round_trip(const ap_event_t *in) {
    ap_buf_t buf = AP_BUF_INIT, again = AP_BUF_INIT;
    ap_event_t out;
    ap_codec_error_t err;
    ap_events_encode(in, &buf);
    assert_int_equal((uint8_t)buf.data[0], 0xC3);
    assert_int_equal((uint8_t)buf.data[1], 0x01);
    assert_int_equal(ap_events_decode((const uint8_t *)buf.data, buf.len, &out, &err), AP_CODEC_OK);
    assert_int_equal(out.type, in->type);
    ap_events_encode(&out, &again);
    assert_int_equal(again.len, buf.len);
    assert_memory_equal(again.data, buf.data, buf.len);
    ap_buf_free(&buf);
    ap_buf_free(&again);
}

static void round_trips_every_type(void **state) {
    (void)state;
    ap_event_t p = sample_placement(), r = sample_reduction(), res = sample_result();
    round_trip(&p);
    round_trip(&r);
    round_trip(&res);
    /* Field-level check on one. */
    ap_buf_t buf = AP_BUF_INIT;
    ap_event_t out;
    ap_codec_error_t err;
    ap_events_encode(&r, &buf);
    assert_int_equal(ap_events_decode((const uint8_t *)buf.data, buf.len, &out, &err), AP_CODEC_OK);
    assert_int_equal(out.u.reduction.n_assessed, 2);
    assert_string_equal(out.u.reduction.assessed_placement_ids[1], "pl-2");
    assert_int_equal(out.u.reduction.valid_to, AP_NO_DATE);
    ap_buf_free(&buf);
}

static ap_codec_status_t decode_bytes(const uint8_t *b, size_t n, ap_event_t *ev) {
    ap_codec_error_t err = {0};
    ap_codec_status_t st = ap_events_decode(b, n, ev, &err);
    if (st != AP_CODEC_OK) assert_true(err.msg[0] != '\0'); /* every failure says why */
    return st;
}

static void rejects_truncation_at_every_length(void **state) {
    (void)state;
    ap_event_t p = sample_placement(), out;
    ap_buf_t buf = AP_BUF_INIT;
    ap_events_encode(&p, &buf);
    for (size_t n = 0; n < buf.len; n++) {
        ap_codec_status_t st = decode_bytes((const uint8_t *)buf.data, n, &out);
        if (st != AP_CODEC_TRUNCATED) fail_msg("length %zu: status %d", n, st);
    }
    ap_buf_free(&buf);
}

static void rejects_wrong_marker_and_unknown_fingerprint(void **state) {
    (void)state;
    ap_event_t p = sample_placement(), out;
    ap_buf_t buf = AP_BUF_INIT;
    ap_events_encode(&p, &buf);
    uint8_t *b = (uint8_t *)buf.data;
    b[0] = 0x4F;
    assert_int_equal(decode_bytes(b, buf.len, &out), AP_CODEC_BAD_MARKER);
    b[0] = 0xC3;
    b[1] = 0x02;
    assert_int_equal(decode_bytes(b, buf.len, &out), AP_CODEC_BAD_MARKER);
    b[1] = 0x01;
    b[5] ^= 0xFF;
    assert_int_equal(decode_bytes(b, buf.len, &out), AP_CODEC_UNKNOWN_FINGERPRINT);
    ap_buf_free(&buf);
}

/* Builds header + event_id field with a chosen length varint. */
static size_t with_length(uint8_t *out, const ap_record_desc_t *d, const uint8_t *len, size_t lenlen) {
    out[0] = 0xC3;
    out[1] = 0x01;
    for (int i = 0; i < 8; i++) out[2 + i] = (uint8_t)(d->fingerprint >> (8 * i));
    memcpy(out + 10, len, lenlen);
    memset(out + 10 + lenlen, 'a', 40);
    return 10 + lenlen + 40;
}

static void rejects_negative_and_oversized_lengths(void **state) {
    (void)state;
    const ap_record_desc_t *d = ap_events_desc(AP_EV_TICK);
    uint8_t b[64];
    ap_event_t out;
    const uint8_t neg[] = {0x01};          /* zigzag -1 */
    const uint8_t big[] = {0x80, 0x01};    /* 64 > 36 */
    const uint8_t huge[] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}; /* INT64_MAX */
    const uint8_t overlong[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    const uint8_t overflow[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    assert_int_equal(decode_bytes(b, with_length(b, d, neg, 1), &out), AP_CODEC_BAD_LENGTH);
    assert_int_equal(decode_bytes(b, with_length(b, d, big, 2), &out), AP_CODEC_TOO_LONG);
    assert_int_equal(decode_bytes(b, with_length(b, d, huge, 10), &out), AP_CODEC_TOO_LONG);
    assert_int_equal(decode_bytes(b, with_length(b, d, overlong, 11), &out), AP_CODEC_BAD_VARINT);
    assert_int_equal(decode_bytes(b, with_length(b, d, overflow, 10), &out), AP_CODEC_BAD_VARINT);
    /* A length that fits the field but runs past the input. */
    const uint8_t fits[] = {0x48}; /* 36 */
    size_t n = with_length(b, d, fits, 1);
    assert_int_equal(decode_bytes(b, n - 20, &out), AP_CODEC_TRUNCATED);
}

static void rejects_bad_utf8_enum_union_and_trailing_bytes(void **state) {
    (void)state;
    ap_event_t p = sample_placement(), out;
    ap_buf_t buf = AP_BUF_INIT;
    ap_events_encode(&p, &buf);
    uint8_t *b = (uint8_t *)buf.data;
    /* citizen_id starts after the header and event_id (1 + 36 bytes): "c-" then UTF-8. */
    size_t citizen = 10 + 1 + 36 + 1;
    assert_int_equal(b[citizen], 'c');
    b[citizen + 2] = 0xC3;
    b[citizen + 3] = 0x28; /* invalid continuation byte */
    assert_int_equal(decode_bytes(b, buf.len, &out), AP_CODEC_BAD_UTF8);
    b[citizen + 2] = 0x00; /* embedded NUL is not text either */
    assert_int_equal(decode_bytes(b, buf.len, &out), AP_CODEC_BAD_UTF8);
    ap_buf_reset(&buf);

    /* Enum out of range: action is the first byte after the header fields. */
    ap_events_encode(&p, &buf);
    b = (uint8_t *)buf.data;
    ap_buf_t prefix = AP_BUF_INIT;
    ap_event_t copy = p;
    copy.u.placement.action = 3; /* CANCELLED, last valid symbol */
    ap_events_encode(&copy, &prefix);
    size_t at = 0;
    while (at < buf.len && buf.data[at] == prefix.data[at]) at++; /* first differing byte is the action */
    b[at] = 2 * 9;                                                /* zigzag 9: beyond 4 symbols */
    assert_int_equal(decode_bytes(b, buf.len, &out), AP_CODEC_BAD_ENUM);
    b[at] = 1; /* zigzag -1 */
    assert_int_equal(decode_bytes(b, buf.len, &out), AP_CODEC_BAD_ENUM);
    ap_buf_free(&prefix);

    /* Union branch 2 for journal_ref (the last field, null = 0x00). */
    ap_buf_reset(&buf);
    ap_events_encode(&p, &buf);
    b = (uint8_t *)buf.data;
    assert_int_equal(b[buf.len - 1], 0x00);
    b[buf.len - 1] = 0x04;
    assert_int_equal(decode_bytes(b, buf.len, &out), AP_CODEC_BAD_UNION);
    b[buf.len - 1] = 0x00;
    ap_buf_append_byte(&buf, 0x00);
    assert_int_equal(decode_bytes((const uint8_t *)buf.data, buf.len, &out), AP_CODEC_TRAILING_BYTES);
    ap_buf_free(&buf);
}

static void rejects_oversized_arrays(void **state) {
    (void)state;
    ap_event_t r = sample_reduction(), out;
    ap_buf_t buf = AP_BUF_INIT;
    ap_events_encode(&r, &buf);
    /* The array block count is 2 (zigzag 4) two strings before the end,
     * which since ReductionEvent v2 is journal_ref (null) and
     * assessed_placements (empty), one byte each. */
    uint8_t *b = (uint8_t *)buf.data;
    size_t at = buf.len - 1 - (1 + 4) * 2 - 1 - 2;
    assert_int_equal(b[at], 0x04);
    b[at] = 0x40; /* 32 items > AP_MAX_ASSESSED */
    assert_int_equal(decode_bytes(b, buf.len, &out), AP_CODEC_TOO_LONG);
    ap_buf_free(&buf);
}

/* avro-c, the reference implementation, must read our bodies with our schema. */
static void avro_c_reads_what_we_write(void **state) {
    (void)state;
    ap_event_t ev = sample_result();
    ap_buf_t buf = AP_BUF_INIT;
    ap_events_encode(&ev, &buf);
    const ap_record_desc_t *d = ap_events_desc(AP_EV_RESULT);
    avro_schema_t schema;
    assert_int_equal(avro_schema_from_json_length(d->schema_text, d->schema_len, &schema), 0);
    avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
    avro_value_t value;
    assert_int_equal(avro_generic_value_new(iface, &value), 0);
    avro_reader_t reader = avro_reader_memory(buf.data + AP_CODEC_HEADER_LEN, (int64_t)(buf.len - AP_CODEC_HEADER_LEN));
    assert_int_equal(avro_value_read(reader, &value), 0);

    avro_value_t field, item, sub;
    const char *s;
    size_t slen;
    int32_t i32;
    int64_t i64;
    int b;
    assert_int_equal(avro_value_get_by_name(&value, "citizen_id", &field, NULL), 0);
    assert_int_equal(avro_value_get_string(&field, &s, &slen), 0);
    assert_string_equal(s, "c-3");
    assert_int_equal(avro_value_get_by_name(&value, "shortfall_minutes", &field, NULL), 0);
    assert_int_equal(avro_value_get_int(&field, &i32), 0);
    assert_int_equal(i32, 1020);
    assert_int_equal(avro_value_get_by_name(&value, "closed_at", &field, NULL), 0);
    assert_int_equal(avro_value_get_long(&field, &i64), 0);
    assert_true(i64 == 1767600000000LL);
    assert_int_equal(avro_value_get_by_name(&value, "final", &field, NULL), 0);
    assert_int_equal(avro_value_get_boolean(&field, &b), 0);
    assert_true(b);
    assert_int_equal(avro_value_get_by_name(&value, "breakdown", &field, NULL), 0);
    size_t n;
    assert_int_equal(avro_value_get_size(&field, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(avro_value_get_by_index(&field, 1, &item, NULL), 0);
    assert_int_equal(avro_value_get_by_name(&item, "activity_kind", &sub, NULL), 0);
    int e;
    assert_int_equal(avro_value_get_enum(&sub, &e), 0);
    assert_int_equal(e, AP_ACT_TRANSPORT);
    assert_int_equal(avro_value_get_by_name(&value, "inputs", &field, NULL), 0);
    assert_int_equal(avro_value_get_size(&field, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(avro_value_get_by_index(&field, 1, &item, NULL), 0);
    assert_int_equal(avro_value_get_by_name(&item, "offset", &sub, NULL), 0);
    assert_int_equal(avro_value_get_long(&sub, &i64), 0);
    assert_true(i64 == 40);
    assert_int_equal(avro_value_get_by_name(&value, "adjustments", &field, NULL), 0);
    assert_int_equal(avro_value_get_by_index(&field, 0, &item, NULL), 0);
    assert_int_equal(avro_value_get_by_name(&item, "reference", &sub, NULL), 0);
    assert_int_equal(avro_value_get_string(&sub, &s, &slen), 0);
    assert_string_equal(s, "4/5 working days covered");

    avro_reader_free(reader);
    avro_value_decref(&value);
    avro_value_iface_decref(iface);
    avro_schema_decref(schema);
    ap_buf_free(&buf);
}

static void json_round_trip(void **state) {
    (void)state;
    ap_event_t p = sample_placement(), back;
    ap_buf_t json = AP_BUF_INIT;
    ap_events_to_json(&p, &json);
    assert_non_null(strstr(json.data, "\"schema\":\"PlacementEvent\""));
    assert_non_null(strstr(json.data, "\"start_date\":\"2026-01-05\""));
    assert_non_null(strstr(json.data, "\"occurred_at\":\"2026-01-05T08:00:00.000Z\""));
    assert_non_null(strstr(json.data, "\"journal_ref\":null"));
    ap_json_doc_t doc = AP_JSON_DOC_INIT;
    assert_int_equal(ap_json_parse(&doc, json.data, json.len), 0);
    static const char *const ignore[] = {"schema", NULL};
    ap_codec_error_t err;
    memset(&back, 0, sizeof back);
    back.type = AP_EV_PLACEMENT;
    assert_int_equal(ap_codec_from_json(ap_events_desc(AP_EV_PLACEMENT), &doc, &doc.nodes[0], ignore, &back.u, &err),
                     AP_CODEC_OK);
    assert_memory_equal(&back.u.placement, &p.u.placement, sizeof p.u.placement);

    /* Missing required field, unknown member, wrong type are all errors. */
    const char *bad[] = {"{\"event_id\":\"x\"}", "{\"nope\":1}",
                         "{\"event_id\":\"6f1c2b9e-2d7a-4e0b-9a51-3c8d0f6e7a10\",\"occurred_at\":\"yesterday\"}"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(ap_json_parse(&doc, bad[i], strlen(bad[i])), 0);
        assert_int_equal(ap_codec_from_json(ap_events_desc(AP_EV_TICK), &doc, &doc.nodes[0], NULL, &back.u, &err),
                         AP_CODEC_BAD_JSON);
        assert_true(err.msg[0] != '\0');
    }
    ap_json_doc_free(&doc);
    ap_buf_free(&json);
}

/* A sanction (SanctionEvent v1, docs/monitoring-design.md §1.4), every field set. */
static ap_event_t sample_sanction(void) {
    ap_event_t ev;
    ap_events_clear(&ev, AP_EV_SANCTION);
    ap_sanction_t *x = &ev.u.sanction;
    strcpy(x->h.event_id, "6f1c2b9e-2d7a-4e0b-9a51-3c8d0f6e7a13");
    strcpy(x->h.citizen_id, "c-4");
    strcpy(x->h.municipality_code, "461");
    x->h.occurred_at = 1770163200000LL; /* 2026-02-04T00:00:00Z */
    x->h.recorded_at = 1770166800000LL;
    strcpy(x->h.source_system, "opera");
    x->action = AP_SANCTION_CHANGED;
    strcpy(x->sanction_id, "sa-1");
    x->decision_date = ap_cal_days_from_civil(2026, 2, 4);
    x->effective_from = ap_cal_days_from_civil(2026, 2, 9);
    strcpy(x->legal_basis, "LAB \xc2\xa7 105 a, fritekst");
    strcpy(x->placement_id, "pl-9");
    strcpy(x->journal_ref, "j-sa-1");
    return ev;
}

/* SanctionEvent: bytes round trip, carry the fingerprint of
 * schemas/SanctionEvent.avsc (pinned: v1 is released, its canonical form
 * never changes; README "Publishing" lists it), decode to the same struct
 * with and without its optional fields, are read by avro-c, and go to JSON
 * and back. */
static void sanction_round_trips_with_its_fingerprint(void **state) {
    (void)state;
    ap_event_t in = sample_sanction(), out;
    ap_codec_error_t err;
    ap_buf_t buf = AP_BUF_INIT;
    round_trip(&in);
    ap_events_encode(&in, &buf);
    const ap_record_desc_t *d = ap_events_desc(AP_EV_SANCTION);
    assert_string_equal(d->name, "SanctionEvent");
    assert_true(d->fingerprint == 0x5c73ef0ef36ad49eULL);
    uint64_t fp;
    assert_int_equal(ap_codec_peek((const uint8_t *)buf.data, buf.len, &fp, &err), AP_CODEC_OK);
    assert_true(fp == d->fingerprint);
    static const uint8_t wire[8] = {0x9e, 0xd4, 0x6a, 0xf3, 0x0e, 0xef, 0x73, 0x5c};
    assert_memory_equal(buf.data + 2, wire, 8);
    assert_int_equal(ap_events_type_by_fingerprint(fp), AP_EV_SANCTION);
    memset(&out, 0x5a, sizeof out);
    assert_int_equal(ap_events_decode((const uint8_t *)buf.data, buf.len, &out, &err), AP_CODEC_OK);
    assert_int_equal(out.type, AP_EV_SANCTION);
    assert_memory_equal(&out.u.sanction, &in.u.sanction, sizeof in.u.sanction);

    /* avro-c reads our bytes with the schema text. */
    avro_schema_t schema;
    assert_int_equal(avro_schema_from_json_length(d->schema_text, d->schema_len, &schema), 0);
    avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
    avro_value_t value, field, branch;
    assert_int_equal(avro_generic_value_new(iface, &value), 0);
    avro_reader_t reader = avro_reader_memory(buf.data + AP_CODEC_HEADER_LEN, (int64_t)(buf.len - AP_CODEC_HEADER_LEN));
    assert_int_equal(avro_value_read(reader, &value), 0);
    const char *str;
    size_t slen;
    int32_t i32;
    int e;
    assert_int_equal(avro_value_get_by_name(&value, "action", &field, NULL), 0);
    assert_int_equal(avro_value_get_enum(&field, &e), 0);
    assert_int_equal(e, AP_SANCTION_CHANGED);
    assert_int_equal(avro_value_get_by_name(&value, "decision_date", &field, NULL), 0);
    assert_int_equal(avro_value_get_int(&field, &i32), 0);
    assert_int_equal(i32, ap_cal_days_from_civil(2026, 2, 4));
    assert_int_equal(avro_value_get_by_name(&value, "effective_from", &field, NULL), 0);
    assert_int_equal(avro_value_get_discriminant(&field, &e), 0);
    assert_int_equal(e, 1);
    assert_int_equal(avro_value_get_current_branch(&field, &branch), 0);
    assert_int_equal(avro_value_get_int(&branch, &i32), 0);
    assert_int_equal(i32, ap_cal_days_from_civil(2026, 2, 9));
    assert_int_equal(avro_value_get_by_name(&value, "legal_basis", &field, NULL), 0);
    assert_int_equal(avro_value_get_current_branch(&field, &branch), 0);
    assert_int_equal(avro_value_get_string(&branch, &str, &slen), 0);
    assert_string_equal(str, "LAB \xc2\xa7 105 a, fritekst");
    assert_int_equal(avro_value_get_by_name(&value, "journal_ref", &field, NULL), 0);
    assert_int_equal(avro_value_get_string(&field, &str, &slen), 0);
    assert_string_equal(str, "j-sa-1");
    avro_reader_free(reader);
    avro_value_decref(&value);
    avro_value_iface_decref(iface);
    avro_schema_decref(schema);

    /* JSON and back; then the optional fields null. */
    ap_buf_t json = AP_BUF_INIT;
    ap_events_to_json(&in, &json);
    assert_non_null(strstr(json.data, "\"schema\":\"SanctionEvent\""));
    assert_non_null(strstr(json.data, "\"decision_date\":\"2026-02-04\""));
    assert_non_null(strstr(json.data, "\"action\":\"CHANGED\""));
    ap_json_doc_t doc = AP_JSON_DOC_INIT;
    static const char *const ignore[] = {"schema", NULL};
    assert_int_equal(ap_json_parse(&doc, json.data, json.len), 0);
    ap_events_clear(&out, AP_EV_SANCTION);
    assert_int_equal(ap_codec_from_json(d, &doc, &doc.nodes[0], ignore, &out.u, &err), AP_CODEC_OK);
    assert_memory_equal(&out.u.sanction, &in.u.sanction, sizeof in.u.sanction);

    ap_event_t bare = in;
    bare.u.sanction.effective_from = AP_NO_DATE;
    memset(bare.u.sanction.legal_basis, 0, AP_TEXT_CAP);
    memset(bare.u.sanction.placement_id, 0, AP_ID_CAP);
    round_trip(&bare);
    ap_buf_reset(&json);
    ap_events_to_json(&bare, &json);
    assert_non_null(strstr(json.data, "\"effective_from\":null"));
    assert_non_null(strstr(json.data, "\"legal_basis\":null"));
    assert_int_equal(ap_json_parse(&doc, json.data, json.len), 0);
    ap_events_clear(&out, AP_EV_SANCTION);
    assert_int_equal(ap_codec_from_json(d, &doc, &doc.nodes[0], ignore, &out.u, &err), AP_CODEC_OK);
    assert_memory_equal(&out.u.sanction, &bare.u.sanction, sizeof bare.u.sanction);
    /* journal_ref is not optional in the schema: a JSON record without it is refused. */
    const char *nojournal = "{\"event_id\":\"6f1c2b9e-2d7a-4e0b-9a51-3c8d0f6e7a13\",\"citizen_id\":\"c-4\","
                            "\"municipality_code\":\"461\",\"occurred_at\":\"2026-02-04T00:00:00Z\","
                            "\"recorded_at\":\"2026-02-04T00:00:00Z\",\"source_system\":\"opera\","
                            "\"action\":\"DECIDED\",\"sanction_id\":\"sa-1\",\"decision_date\":\"2026-02-04\"}";
    assert_int_equal(ap_json_parse(&doc, nojournal, strlen(nojournal)), 0);
    assert_int_equal(ap_codec_from_json(d, &doc, &doc.nodes[0], NULL, &out.u, &err), AP_CODEC_BAD_JSON);
    ap_json_doc_free(&doc);
    ap_buf_free(&json);
    ap_buf_free(&buf);
}

static void bind_detects_a_table_that_drifted(void **state) {
    (void)state;
    static const char *const syms[] = {"A", "B"};
    typedef struct { int32_t e; int32_t n; } rec_t;
    static const ap_field_desc_t fields[] = {
        {"e", AP_FT_ENUM, AP_LT_NONE, offsetof(rec_t, e), 0, syms, 2, NULL, 0, 0},
        {"n", AP_FT_INT, AP_LT_NONE, offsetof(rec_t, n), 0, NULL, 0, NULL, 0, 0},
    };
    ap_record_desc_t d = {"R", fields, 2, sizeof(rec_t), 0, NULL, 0};
    ap_codec_error_t err;
    const char *good = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"e\",\"type\":{\"type\":\"enum\","
                       "\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}},{\"name\":\"n\",\"type\":\"int\"}]}";
    assert_int_equal(ap_codec_bind(&d, good, strlen(good), &err), 0);
    assert_true(d.fingerprint != 0);
    const char *drifted[] = {
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"n\",\"type\":\"int\"}]}",
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
        "\"symbols\":[\"B\",\"A\"]}},{\"name\":\"n\",\"type\":\"int\"}]}",
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
        "\"symbols\":[\"A\",\"B\"]}},{\"name\":\"n\",\"type\":\"long\"}]}",
    };
    for (size_t i = 0; i < 3; i++) assert_int_equal(ap_codec_bind(&d, drifted[i], strlen(drifted[i]), &err), -1);
}

/* A field may use an enum defined earlier by its name (ResultSegment's
 * shortfall_cause is the result's ShortfallCause): bind follows the name and
 * still checks the symbols; a name with no definition is refused. A field
 * read as [] when absent from JSON must have that default in the schema. */
static void bind_follows_a_named_enum_and_checks_defaults(void **state) {
    (void)state;
    static const char *const syms[] = {"A", "B"};
    typedef struct { int32_t e, f; uint32_t n; char items[2][4]; } rec_t;
    static const ap_field_desc_t fields[] = {
        {"e", AP_FT_OPT_ENUM, AP_LT_NONE, offsetof(rec_t, e), 0, syms, 2, NULL, 0, 0},
        {"f", AP_FT_ENUM, AP_LT_NONE, offsetof(rec_t, f), 0, syms, 2, NULL, 0, 0},
        {"s", AP_FT_ARRAY, AP_LT_EMPTY_DEFAULT, offsetof(rec_t, items), 2, NULL, 0, NULL, 4, offsetof(rec_t, n)},
    };
    ap_record_desc_t d = {"R", fields, 3, sizeof(rec_t), 0, NULL, 0};
    ap_codec_error_t err;
#define R_HEAD "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"e\",\"type\":[\"null\",{\"type\":\"enum\"," \
               "\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}]},"
    const char *good = R_HEAD "{\"name\":\"f\",\"type\":\"E\"},"
                              "{\"name\":\"s\",\"type\":{\"type\":\"array\",\"items\":\"string\"},\"default\":[]}]}";
    if (ap_codec_bind(&d, good, strlen(good), &err)) fail_msg("%s", err.msg);
    const char *bad[] = {
        R_HEAD "{\"name\":\"f\",\"type\":\"F\"},{\"name\":\"s\",\"type\":{\"type\":\"array\",\"items\":\"string\"},"
               "\"default\":[]}]}",
        R_HEAD "{\"name\":\"f\",\"type\":\"E\"},{\"name\":\"s\",\"type\":{\"type\":\"array\",\"items\":\"string\"}}]}",
        R_HEAD "{\"name\":\"f\",\"type\":\"E\"},{\"name\":\"s\",\"type\":{\"type\":\"array\",\"items\":\"string\"},"
               "\"default\":[\"x\"]}]}",
    };
#undef R_HEAD
    for (size_t i = 0; i < 3; i++)
        if (ap_codec_bind(&d, bad[i], strlen(bad[i]), &err) != -1) fail_msg("schema %zu bound", i);

    /* Absent from JSON: []; present: read; another array left out: still an error. */
    assert_int_equal(ap_codec_bind(&d, good, strlen(good), &err), 0);
    ap_json_doc_t doc = AP_JSON_DOC_INIT;
    rec_t v;
    const char *absent = "{\"e\":null,\"f\":\"B\"}", *present = "{\"e\":\"A\",\"f\":\"A\",\"s\":[\"x\",\"yz\"]}";
    assert_int_equal(ap_json_parse(&doc, absent, strlen(absent)), 0);
    assert_int_equal(ap_codec_from_json(&d, &doc, &doc.nodes[0], NULL, &v, &err), AP_CODEC_OK);
    assert_int_equal(v.n, 0);
    assert_int_equal(v.f, 1);
    assert_int_equal(ap_json_parse(&doc, present, strlen(present)), 0);
    assert_int_equal(ap_codec_from_json(&d, &doc, &doc.nodes[0], NULL, &v, &err), AP_CODEC_OK);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.items[1], "yz");
    ap_json_doc_free(&doc);
}

/* ComplianceResult v3's segments: binary and JSON round trips, avro-c reads
 * them (shortfall_cause by its enum's name), and a result's JSON written
 * before v3 (no "segments") reads with none, while one without "breakdown"
 * is still refused. */
static void result_segments_round_trip(void **state) {
    (void)state;
    ap_event_t ev = sample_result(), back;
    ap_result_t *r = &ev.u.result;
    r->offered_minutes = 1332;
    r->shortfall_cause = AP_CAUSE_OFFER_AND_ATTENDANCE_GAP;
    r->n_segments = 2;
    r->segments[0] = (ap_segment_t){"101", r->week_start, r->week_start + 1, 888, 888, 888, AP_CAUSE_NONE};
    r->segments[1] = (ap_segment_t){"751", r->week_start + 2, r->week_start + 6, 1332, 444, 312,
                                    AP_CAUSE_OFFER_AND_ATTENDANCE_GAP};
    round_trip(&ev);
    ap_buf_t buf = AP_BUF_INIT, json = AP_BUF_INIT;
    ap_codec_error_t err;
    ap_events_encode(&ev, &buf);
    assert_int_equal(ap_events_decode((const uint8_t *)buf.data, buf.len, &back, &err), AP_CODEC_OK);
    assert_int_equal(back.u.result.n_segments, 2);
    assert_memory_equal(back.u.result.segments, r->segments, 2 * sizeof *r->segments);

    const ap_record_desc_t *d = ap_events_desc(AP_EV_RESULT);
    avro_schema_t schema;
    assert_int_equal(avro_schema_from_json_length(d->schema_text, d->schema_len, &schema), 0);
    avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
    avro_value_t value, field, item, sub;
    assert_int_equal(avro_generic_value_new(iface, &value), 0);
    avro_reader_t reader = avro_reader_memory(buf.data + AP_CODEC_HEADER_LEN, (int64_t)(buf.len - AP_CODEC_HEADER_LEN));
    assert_int_equal(avro_value_read(reader, &value), 0);
    assert_int_equal(avro_value_get_by_name(&value, "segments", &field, NULL), 0);
    size_t n;
    int e;
    int32_t i32;
    assert_int_equal(avro_value_get_size(&field, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(avro_value_get_by_index(&field, 1, &item, NULL), 0);
    assert_int_equal(avro_value_get_by_name(&item, "shortfall_cause", &sub, NULL), 0);
    assert_int_equal(avro_value_get_enum(&sub, &e), 0);
    assert_int_equal(e, AP_CAUSE_OFFER_AND_ATTENDANCE_GAP);
    assert_int_equal(avro_value_get_by_name(&item, "credited_minutes", &sub, NULL), 0);
    assert_int_equal(avro_value_get_int(&sub, &i32), 0);
    assert_int_equal(i32, 312);
    avro_reader_free(reader);
    avro_value_decref(&value);
    avro_value_iface_decref(iface);
    avro_schema_decref(schema);

    ap_events_to_json(&ev, &json);
    assert_non_null(strstr(json.data, "\"segments\":[{\"municipality_code\":\"101\",\"from_date\":\"2026-01-05\","
                                      "\"to_date\":\"2026-01-06\",\"required_minutes\":888,\"offered_minutes\":888,"
                                      "\"credited_minutes\":888,\"shortfall_cause\":\"NONE\"},{\"municipality_code\":\"751\""));
    static const char *const ignore[] = {"schema", "inputs", NULL};
    ap_json_doc_t doc = AP_JSON_DOC_INIT;
    assert_int_equal(ap_json_parse(&doc, json.data, json.len), 0);
    assert_int_equal(ap_codec_from_json(d, &doc, &doc.nodes[0], ignore, &back.u, &err), AP_CODEC_OK);
    assert_int_equal(back.u.result.n_segments, 2);
    assert_memory_equal(back.u.result.segments, r->segments, 2 * sizeof *r->segments);

    /* The same JSON as a format-3 build wrote it: no segments member. */
    char *cut = strstr(json.data, ",\"segments\":");
    assert_non_null(cut);
    strcpy(cut, "}");
    assert_int_equal(ap_json_parse(&doc, json.data, strlen(json.data)), 0);
    if (ap_codec_from_json(d, &doc, &doc.nodes[0], ignore, &back.u, &err) != AP_CODEC_OK) fail_msg("%s", err.msg);
    assert_int_equal(back.u.result.n_segments, 0);
    assert_int_equal(back.u.result.offered_minutes, 1332);
    cut = strstr(json.data, "\"breakdown\":");
    assert_non_null(cut);
    memcpy(cut, "\"breakdowX\"", 11); /* breakdown left out (and an unknown member): refused */
    assert_int_equal(ap_json_parse(&doc, json.data, strlen(json.data)), 0);
    static const char *const ignore_x[] = {"schema", "inputs", "breakdowX", NULL};
    assert_int_equal(ap_codec_from_json(d, &doc, &doc.nodes[0], ignore_x, &back.u, &err), AP_CODEC_BAD_JSON);
    assert_non_null(strstr(err.msg, "breakdown"));
    ap_json_doc_free(&doc);
    ap_buf_free(&json);
    ap_buf_free(&buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trips_every_type),
        cmocka_unit_test(rejects_truncation_at_every_length),
        cmocka_unit_test(rejects_wrong_marker_and_unknown_fingerprint),
        cmocka_unit_test(rejects_negative_and_oversized_lengths),
        cmocka_unit_test(rejects_bad_utf8_enum_union_and_trailing_bytes),
        cmocka_unit_test(rejects_oversized_arrays),
        cmocka_unit_test(avro_c_reads_what_we_write),
        cmocka_unit_test(result_inputs_are_a_view),
        cmocka_unit_test(json_round_trip),
        cmocka_unit_test(sanction_round_trips_with_its_fingerprint),
        cmocka_unit_test(bind_detects_a_table_that_drifted),
        cmocka_unit_test(bind_follows_a_named_enum_and_checks_defaults),
        cmocka_unit_test(result_segments_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
