/* The processor's cycle, against the in-process store and an output that
 * keeps what it is given: which records a cycle takes when ticks of several
 * partitions share it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/events.h"
#include "arbejdspligt/partition.h"
#include "arbejdspligt/processor.h"
#include "arbejdspligt/schema.h"
#include "arbejdspligt/store_memory.h"
#include "arbejdspligt/uuid.h"

#define DAY_MS 86400000LL

/* Output: counts compliance results per citizen key, and dead letters. */
typedef struct seen {
    int results_a, results_b, dead_letters;
    int reason[8];           /* reason codes of the dead letters */
    char why[8][AP_TEXT_CAP]; /* and their texts */
    int32_t credited_a;      /* credited minutes of a's last result */
} seen_t;

static int keep(void *ctx, const char *topic, const void *key, size_t keylen, const void *value, size_t len,
                const ap_event_t *event, char *err, size_t errlen) {
    (void)event, (void)err, (void)errlen;
    seen_t *s = ctx;
    if (strcmp(topic, "t.dead-letter") == 0 && s->dead_letters < 8) {
        s->reason[s->dead_letters] = event->u.dead_letter.reason_code;
        snprintf(s->why[s->dead_letters], AP_TEXT_CAP, "%s", event->u.dead_letter.reason);
    }
    if (strcmp(topic, "t.dead-letter") == 0) s->dead_letters++;
    if (strcmp(topic, "t.compliance") != 0) return 0;
    if (keylen == 1 && memcmp(key, "a", 1) == 0) {
        ap_event_t ev;
        ap_codec_error_t cerr;
        s->results_a++;
        if (ap_events_decode(value, len, &ev, &cerr) == AP_CODEC_OK) s->credited_a = ev.u.result.credited_minutes;
    }
    if (keylen == 1 && memcmp(key, "b", 1) == 0) s->results_b++;
    return 0;
}

static int flushed(void *ctx, int timeout_ms, char *err, size_t errlen) {
    (void)ctx, (void)timeout_ms, (void)err, (void)errlen;
    return 0;
}

static int next_event;

static void header(ap_header_t *h, const char *citizen, int64_t at) {
    snprintf(h->event_id, AP_UUID_CAP, "00000000-0000-4000-8000-%012d", ++next_event);
    snprintf(h->citizen_id, AP_ID_CAP, "%s", citizen);
    strcpy(h->municipality_code, "101");
    h->occurred_at = at;
    h->recorded_at = at;
    strcpy(h->source_system, "test");
}

static ap_event_t coverage(const char *citizen) {
    ap_event_t ev;
    ap_events_clear(&ev, AP_EV_COVERAGE);
    header(&ev.u.coverage.h, citizen, ap_cal_days_from_civil(2026, 1, 5) * DAY_MS);
    strcpy(ev.u.coverage.coverage_id, "cv-1");
    ev.u.coverage.action = AP_COVERAGE_STARTED;
    ev.u.coverage.from_date = ap_cal_days_from_civil(2026, 1, 5);
    ev.u.coverage.to_date = AP_NO_DATE;
    ev.u.coverage.benefit_type = AP_BEN_KONTANTHJAELP;
    return ev;
}

static ap_event_t hours(const char *citizen, const char *report, int32_t date) {
    ap_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_HOURS;
    header(&ev.u.hours.h, citizen, ((int64_t)date + 1) * DAY_MS);
    snprintf(ev.u.hours.report_id, AP_ID_CAP, "%s", report);
    ev.u.hours.action = AP_HOURS_REPORTED;
    ev.u.hours.activity_date = date;
    ev.u.hours.activity_kind = AP_ACT_LOENTIMER; /* paid hours: count without a placement (an offer's would not, seed 003) */
    ev.u.hours.minutes = 240;
    return ev;
}

static ap_event_t tick(int64_t at) {
    ap_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_TICK;
    snprintf(ev.u.tick.event_id, AP_UUID_CAP, "00000000-0000-4000-8000-%012d", ++next_event);
    ev.u.tick.occurred_at = at;
    strcpy(ev.u.tick.source_system, "test");
    return ev;
}

static const char *topics[AP_TOPIC_KINDS] = {"t.placement", "t.hours", "t.exemption"};
static ap_buf_t bytes[16];
static ap_record_t records[16];
static size_t n_records;
static int64_t offsets[8][AP_TOPIC_KINDS];

/* The processor's settings every test here starts from. */
static void test_config(ap_processor_config_t *cfg) {
    memset(cfg, 0, sizeof *cfg);
    for (int k = 0; k < AP_TOPIC_KINDS; k++) snprintf(cfg->input_topics[k], AP_TOPIC_CAP, "%s", topics[k]);
    strcpy(cfg->compliance_topic, "t.compliance");
    strcpy(cfg->alerts_topic, "t.alerts");
    strcpy(cfg->dead_letter_topic, "t.dead-letter");
    cfg->grace_days = 2;
}

static void add(int32_t partition, int kind, const ap_event_t *ev, const char *key) {
    size_t i = n_records++;
    ap_buf_reset(&bytes[i]);
    ap_events_encode(ev, &bytes[i]);
    records[i] = (ap_record_t){topics[kind], partition, offsets[partition][kind]++, 0, key, key ? strlen(key) : 0,
                               bytes[i].data, bytes[i].len};
}

static void add_ticks(int32_t partition, int64_t at) {
    for (int k = 0; k < AP_TOPIC_KINDS; k++) {
        ap_event_t t = tick(at);
        add(partition, k, &t, NULL);
    }
}

/* Every test starts here: the registry bound, no records, offsets from 0. */
static void fresh_stream(void) {
    ap_codec_error_t cerr;
    assert_int_equal(ap_events_init(&cerr), 0);
    n_records = 0;
    memset(offsets, 0, sizeof offsets);
}

/* Partition 0 closes week 2026-W02 at its ticks, and a late hours report of
 * partition 0 follows in the batch; partition 1's records and ticks come
 * after it. The late record waits for the next cycle (it changes the week
 * just evaluated, whose result is written at the cycle's end), but
 * partition 1 goes on in this cycle: its week closes now, not a cycle later. */
static void a_closed_partition_waits_and_the_others_go_on(void **state) {
    (void)state;
    ap_codec_error_t cerr;
    assert_int_equal(ap_events_init(&cerr), 0);
    int64_t after_w02 = ap_cal_days_from_civil(2026, 1, 15) * DAY_MS; /* W02 ends Jan 11, + 2 days grace */
    ap_event_t ev;
    ev = coverage("a"), add(0, AP_TOPIC_EXEMPTION, &ev, "a");
    ev = hours("a", "r-1", ap_cal_days_from_civil(2026, 1, 6)), add(0, AP_TOPIC_HOURS, &ev, "a");
    add_ticks(0, after_w02);
    const size_t late = n_records;
    ev = hours("a", "r-2", ap_cal_days_from_civil(2026, 1, 7)), add(0, AP_TOPIC_HOURS, &ev, "a");
    ev = coverage("b"), add(1, AP_TOPIC_EXEMPTION, &ev, "b");
    add_ticks(1, after_w02);
    assert_int_equal(n_records, 10);

    seen_t seen = {0};
    ap_store_t *store = ap_store_memory_create();
    ap_processor_config_t cfg;
    test_config(&cfg);
    ap_processor_t *proc = ap_processor_create(&cfg, store, (ap_output_t){keep, flushed, &seen});

    void *tags[16];
    for (size_t i = 0; i < n_records; i++) tags[i] = &records[0] + i; /* any distinct values */
    const ap_record_t late_record = records[late];
    void *late_tag = tags[late];
    size_t consumed = 0;
    char err[256];
    assert_int_equal(ap_processor_process(proc, records, n_records, &consumed, tags, err, sizeof err), 0);
    assert_int_equal(consumed, n_records - 1);
    assert_int_equal(seen.results_a, 1);
    assert_int_equal(seen.results_b, 1); /* partition 1 closed in the same cycle */
    assert_int_equal(seen.dead_letters, 0);
    /* The late record is last, its tag with it; the taken keep their order. */
    assert_ptr_equal(records[n_records - 1].payload, late_record.payload);
    assert_ptr_equal(tags[n_records - 1], late_tag);
    for (size_t i = 1; i < consumed; i++)
        if (records[i - 1].partition == records[i].partition && records[i - 1].topic == records[i].topic)
            assert_true(records[i - 1].offset < records[i].offset);
    assert_int_equal(records[late].partition, 1); /* partition 1's records moved up */

    /* The next cycle takes it: week W02 of "a" is marked dirty for the
     * partition's next tick, and nothing is emitted yet. */
    assert_int_equal(ap_processor_process(proc, records + consumed, 1, &consumed, tags + n_records - 1, err, sizeof err), 0);
    assert_int_equal(consumed, 1);
    assert_int_equal(seen.results_a, 1);
    assert_int_equal(ap_processor_stats(proc)->applied, 4);

    ap_processor_destroy(proc);
    ap_store_destroy(store);
    for (size_t i = 0; i < 16; i++) ap_buf_free(&bytes[i]);
}

/* A store that keeps the bytes it is asked to store (the memory store keeps structs). */
static const ap_store_ops_t *real_ops;
static ap_store_ops_t spy_ops;
static ap_buf_t stored[16];
static size_t n_stored;

static int spy_apply(ap_store_t *s, const ap_store_item_t *items, size_t n, int32_t partition, int32_t generation,
                     int64_t epoch, int *outcomes) {
    for (size_t i = 0; i < n && n_stored < 16; i++) {
        ap_buf_reset(&stored[n_stored]);
        ap_buf_append(&stored[n_stored++], items[i].encoded.ptr, items[i].encoded.len);
    }
    return real_ops->apply(s, items, n, partition, generation, epoch, outcomes);
}

/* Issue 14 §5: a publisher writes HoursEvent with one more optional field
 * (default null). Once that schema is known (registered at start-up, as
 * schemas.writers_dir does), its records are applied, not dead-lettered,
 * and stored as the current schema's bytes. */
static void a_newer_compatible_schema_is_applied_not_dead_lettered(void **state) {
    (void)state;
    ap_codec_error_t cerr;
    assert_int_equal(ap_events_init(&cerr), 0);
    size_t clen;
    const char *current = ap_events_schema_text("HoursEvent", &clen);
    const char *end = strrchr(current, ']');
    char v2[8192];
    snprintf(v2, sizeof v2, "%.*s, {\"name\": \"approved_by\", \"type\": [\"null\", \"string\"], \"default\": null}%s",
             (int)(end - current), current, end);
    assert_int_equal(ap_events_add_writer(v2, strlen(v2), "HoursEvent.v2.avsc", &cerr), 0);
    uint64_t fp2;
    char msg[128];
    assert_int_equal(ap_schema_fingerprint(v2, strlen(v2), &fp2, msg, sizeof msg), 0);

    n_records = 0;
    memset(offsets, 0, sizeof offsets);
    int64_t after_w02 = ap_cal_days_from_civil(2026, 1, 15) * DAY_MS;
    ap_event_t ev = coverage("a"), h = hours("a", "r-1", ap_cal_days_from_civil(2026, 1, 6));
    add(0, AP_TOPIC_EXEMPTION, &ev, "a");
    add(0, AP_TOPIC_HOURS, &h, "a");
    /* As v2 writes it: v2's fingerprint, the v1 fields, then the new field
     * (Avro writes fields in schema order): union branch 1, "team-lead". */
    ap_buf_t *b = &bytes[n_records - 1];
    for (int i = 0; i < 8; i++) b->data[2 + i] = (char)(fp2 >> (8 * i));
    ap_buf_append(b, "\x02\x12team-lead", 11);
    records[n_records - 1].payload = b->data, records[n_records - 1].len = b->len;
    add_ticks(0, after_w02);

    seen_t seen = {0};
    ap_store_t *store = ap_store_memory_create();
    real_ops = store->ops;
    spy_ops = *real_ops;
    spy_ops.apply = spy_apply;
    store->ops = &spy_ops;
    n_stored = 0;
    ap_processor_config_t cfg;
    test_config(&cfg);
    ap_processor_t *proc = ap_processor_create(&cfg, store, (ap_output_t){keep, flushed, &seen});
    size_t consumed = 0;
    char err[256];
    assert_int_equal(ap_processor_process(proc, records, n_records, &consumed, NULL, err, sizeof err), 0);
    assert_int_equal(consumed, n_records);
    assert_int_equal(seen.dead_letters, 0);
    assert_int_equal(ap_processor_stats(proc)->applied, 2);
    assert_int_equal(seen.results_a, 1);
    assert_int_equal(seen.credited_a, 240); /* the v2 report's minutes count */

    /* Stored: the current schema's encoding of the report. */
    ap_buf_t want = AP_BUF_INIT;
    ap_events_encode(&h, &want);
    assert_int_equal(n_stored, 2);
    assert_int_equal(stored[1].len, want.len);
    assert_memory_equal(stored[1].data, want.data, want.len);
    ap_buf_free(&want);

    store->ops = real_ops;
    ap_processor_destroy(proc);
    ap_store_destroy(store);
    for (size_t i = 0; i < 16; i++) ap_buf_free(&bytes[i]), ap_buf_free(&stored[i]);
}

/* Runs every record of `records` through the processor, cycle after cycle. */
static void process_all(ap_processor_t *proc) {
    size_t at = 0;
    char err[256];
    while (at < n_records) {
        size_t consumed = 0;
        assert_int_equal(ap_processor_process(proc, records + at, n_records - at, &consumed, NULL, err, sizeof err),
                         0);
        assert_true(consumed > 0);
        at += consumed;
    }
    n_records = 0;
}

/* Issue 15 §5: applied ids are forgotten after the dedup horizon (ids of
 * generation g go when the partition's clock reaches g + 2). A redelivery
 * of records older than that is superseded by the versions they wrote, and
 * changes no result; within the horizon, or with the horizon off, it is a
 * duplicate. */
static void redelivery_after_the_dedup_horizon_changes_nothing(void **state) {
    (void)state;
    ap_codec_error_t cerr;
    assert_int_equal(ap_events_init(&cerr), 0);
    for (int horizon = 0; horizon <= 1; horizon++) {
        n_records = 0;
        memset(offsets, 0, sizeof offsets);
        seen_t seen = {0};
        ap_store_t *store = ap_store_memory_create();
        ap_processor_config_t cfg;
        test_config(&cfg);
        cfg.dedup_horizon_weeks = horizon;
        ap_processor_t *proc = ap_processor_create(&cfg, store, (ap_output_t){keep, flushed, &seen});
        ap_event_t cv = coverage("a"), h = hours("a", "r-1", ap_cal_days_from_civil(2026, 1, 6));
        add(0, AP_TOPIC_EXEMPTION, &cv, "a");
        add(0, AP_TOPIC_HOURS, &h, "a");
        process_all(proc);
        /* Close W02 .. W06, one week per cycle: five generations with a horizon of one week. */
        for (int w = 0; w < 5; w++) {
            add_ticks(0, (ap_cal_days_from_civil(2026, 1, 15) + 7 * w) * DAY_MS);
            process_all(proc);
        }
        const ap_processor_stats_t *st = ap_processor_stats(proc);
        assert_int_equal(st->applied, 2);
        assert_int_equal(seen.results_a, 5);
        assert_int_equal(seen.credited_a, 0); /* W06: nothing reported */
        /* The very records again (a producer's retry, a re-published batch), then a tick. */
        add(0, AP_TOPIC_EXEMPTION, &cv, "a");
        add(0, AP_TOPIC_HOURS, &h, "a");
        add_ticks(0, (ap_cal_days_from_civil(2026, 1, 15) + 7 * 5) * DAY_MS);
        process_all(proc);
        assert_int_equal(st->applied, 2);
        assert_int_equal(st->duplicates, horizon ? 0 : 2);
        assert_int_equal(st->superseded, horizon ? 2 : 0);
        assert_int_equal(seen.results_a, 6); /* W07 only: no revision of W02 */
        assert_int_equal(seen.dead_letters, 0);
        ap_processor_destroy(proc);
        ap_store_destroy(store);
    }
    for (size_t i = 0; i < 16; i++) ap_buf_free(&bytes[i]);
}

/* A close of many weeks shows it is alive through the heartbeat (the
 * watchdog of a systemd unit feeds on it): a tick six years on closes over
 * 300 weeks of one citizen in one evaluation. */
static void a_long_close_beats_the_heart(void **state) {
    (void)state;
    fresh_stream();
    seen_t seen = {0};
    ap_store_t *store = ap_store_memory_create();
    ap_processor_config_t cfg;
    test_config(&cfg);
    static _Atomic int64_t heartbeat;
    atomic_store(&heartbeat, 0);
    cfg.heartbeat_ms = &heartbeat;
    ap_processor_t *proc = ap_processor_create(&cfg, store, (ap_output_t){keep, flushed, &seen});
    ap_event_t cv = coverage("a");
    add(0, AP_TOPIC_EXEMPTION, &cv, "a");
    process_all(proc);
    assert_int_equal(atomic_load(&heartbeat), 0); /* nothing evaluated yet */
    add_ticks(0, ap_cal_days_from_civil(2032, 1, 1) * DAY_MS);
    process_all(proc);
    assert_true(seen.results_a > 300);
    assert_true(atomic_load(&heartbeat) > 0);
    ap_processor_destroy(proc);
    ap_store_destroy(store);
    for (size_t i = 0; i < 16; i++) ap_buf_free(&bytes[i]);
}

/* Output that decodes and keeps what it is given (the first of each kind). */
typedef struct captured {
    ap_event_t result, alert, dead_letter;
    int results, alerts, dead_letters;
} captured_t;

static int capture(void *ctx, const char *topic, const void *key, size_t keylen, const void *value, size_t len,
                   const ap_event_t *event, char *err, size_t errlen) {
    (void)topic, (void)key, (void)keylen, (void)event, (void)err, (void)errlen;
    captured_t *c = ctx;
    ap_event_t ev;
    ap_codec_error_t cerr;
    assert_int_equal(ap_events_decode(value, len, &ev, &cerr), AP_CODEC_OK); /* the bytes, not the struct */
    if (ev.type == AP_EV_RESULT && !c->results++) c->result = ev;
    if (ev.type == AP_EV_ALERT && !c->alerts++) c->alert = ev;
    if (ev.type == AP_EV_DEAD_LETTER && !c->dead_letters++) c->dead_letter = ev;
    return 0;
}

/* Output format 2 (issue 14): results and alerts name the build that wrote
 * them, and every derived id is the version-5 UUID of its name (uuid.h), so
 * anyone can recompute it from the record. */
static void outputs_carry_engine_version_and_v5_ids(void **state) {
    (void)state;
    fresh_stream();
    int32_t monday = ap_cal_days_from_civil(2026, 1, 5);
    ap_event_t ev;
    ev = coverage("c"), add(0, AP_TOPIC_EXEMPTION, &ev, "c");
    ev = hours("c", "r-1", monday + 1), add(0, AP_TOPIC_HOURS, &ev, "c"); /* 240 of 2220 minutes: short */
    records[n_records] = (ap_record_t){topics[AP_TOPIC_HOURS], 0, offsets[0][AP_TOPIC_HOURS]++, 0, "c", 1,
                                       "\xc3\x01garbage", 9};
    n_records++;
    add_ticks(0, ap_cal_days_from_civil(2026, 1, 15) * DAY_MS);

    captured_t got;
    memset(&got, 0, sizeof got);
    ap_store_t *store = ap_store_memory_create();
    ap_processor_config_t cfg;
    test_config(&cfg);
    ap_processor_t *proc = ap_processor_create(&cfg, store, (ap_output_t){capture, flushed, &got});
    size_t consumed = 0;
    char err[256];
    assert_int_equal(ap_processor_process(proc, records, n_records, &consumed, NULL, err, sizeof err), 0);
    assert_int_equal(consumed, n_records);
    assert_int_equal(got.results, 1);
    assert_true(got.alerts >= 1);
    assert_int_equal(got.dead_letters, 1);

    /* "<major>.<minor>.<patch>/format-4", the same in results and alerts */
    const char *version = got.result.u.result.engine_version;
    int major, minor, patch, format, end = 0;
    assert_int_equal(sscanf(version, "%d.%d.%d/format-%d%n", &major, &minor, &patch, &format, &end), 4);
    assert_int_equal((size_t)end, strlen(version));
    assert_int_equal(format, AP_OUTPUT_FORMAT);
    assert_int_equal(format, 4);
    assert_string_equal(version, ap_events_engine_version());
    assert_string_equal(got.alert.u.alert.engine_version, version);

    char name[128], want[AP_UUID_CAP];
    snprintf(name, sizeof name, "result|c|%d|1", (int)monday);
    ap_uuid_derive(name, want);
    assert_string_equal(got.result.u.result.event_id, want);
    snprintf(name, sizeof name, "alert|c|%d|1|0|%d", (int)monday, (int)got.alert.u.alert.code);
    ap_uuid_derive(name, want);
    assert_string_equal(got.alert.u.alert.event_id, want);
    ap_uuid_derive("dead-letter|t.hours|0|1", want);
    assert_string_equal(got.dead_letter.u.dead_letter.event_id, want);
    assert_int_equal(got.result.u.result.event_id[14], '5');

    ap_processor_destroy(proc);
    ap_store_destroy(store);
    for (size_t i = 0; i < 16; i++) ap_buf_free(&bytes[i]);
}

/* Co-partitioning (issue 14): with 4 partitions, citizen "a" belongs on
 * murmur2("a") mod 4. Her coverage is there; one hours report was written
 * to the next partition (as a librdkafka producer with its default CRC32
 * partitioner would) and one has no key. Both are dead letters, the first
 * WRONG_PARTITION naming the right partition, and neither is applied: her
 * week has no credited minutes. Ticks go to every partition unchecked. */
static void a_record_off_its_murmur2_partition_is_a_dead_letter(void **state) {
    (void)state;
    fresh_stream();
    int32_t home = ap_partition_for_key("a", 1, 4), wrong = (home + 1) % 4;
    int64_t after_w02 = ap_cal_days_from_civil(2026, 1, 15) * DAY_MS;
    ap_event_t ev;
    ev = coverage("a"), add(home, AP_TOPIC_EXEMPTION, &ev, "a");
    ev = hours("a", "r-1", ap_cal_days_from_civil(2026, 1, 6)), add(wrong, AP_TOPIC_HOURS, &ev, "a");
    ev = hours("a", "r-2", ap_cal_days_from_civil(2026, 1, 7)), add(home, AP_TOPIC_HOURS, &ev, NULL);
    add_ticks(home, after_w02);
    add_ticks(wrong, after_w02);

    seen_t seen = {0};
    ap_store_t *store = ap_store_memory_create();
    ap_processor_config_t cfg;
    test_config(&cfg);
    for (int k = 0; k < AP_TOPIC_KINDS; k++) cfg.partitions[k] = 4;
    ap_processor_t *proc = ap_processor_create(&cfg, store, (ap_output_t){keep, flushed, &seen});
    char err[256], want[AP_TEXT_CAP];
    size_t done = 0;
    while (done < n_records) {
        size_t consumed = 0;
        assert_int_equal(ap_processor_process(proc, records + done, n_records - done, &consumed, NULL, err, sizeof err), 0);
        done += consumed;
    }
    assert_int_equal(seen.dead_letters, 2);
    assert_int_equal(seen.reason[0], AP_DL_WRONG_PARTITION);
    snprintf(want, sizeof want, "key belongs on partition %d of 4 (murmur2), not %d", (int)home, (int)wrong);
    assert_string_equal(seen.why[0], want);
    /* No key: the key is not the citizen id, checked first (there is no
     * partition a missing key could be redriven to). */
    assert_int_equal(seen.reason[1], AP_DL_INVALID_EVENT);
    assert_int_equal(ap_processor_stats(proc)->applied, 1); /* the coverage only */
    assert_int_equal(seen.results_a, 1);
    assert_int_equal(seen.credited_a, 0);

    ap_processor_destroy(proc);
    ap_store_destroy(store);
    for (size_t i = 0; i < 16; i++) ap_buf_free(&bytes[i]);
}

/* A sanction of citizen "a" (monitoring design §1.4). Its event id is its
 * own series, so the other inputs' ids are those of a run without it. */
static ap_event_t sanction(int n, int32_t decided, const char *journal_ref) {
    ap_event_t ev;
    ap_events_clear(&ev, AP_EV_SANCTION);
    snprintf(ev.u.sanction.h.event_id, AP_UUID_CAP, "00000000-0000-4000-8000-5a0c%08d", n);
    strcpy(ev.u.sanction.h.citizen_id, "a");
    strcpy(ev.u.sanction.h.municipality_code, "101");
    ev.u.sanction.h.occurred_at = ev.u.sanction.h.recorded_at = ((int64_t)decided + 1) * DAY_MS + n;
    strcpy(ev.u.sanction.h.source_system, "test");
    strcpy(ev.u.sanction.sanction_id, "sa-1");
    ev.u.sanction.action = n > 1 ? AP_SANCTION_CHANGED : AP_SANCTION_DECIDED;
    ev.u.sanction.decision_date = decided;
    snprintf(ev.u.sanction.journal_ref, AP_ID_CAP, "%s", journal_ref);
    return ev;
}

/* Output that keeps every result and alert, byte for byte, and the dead letters. */
typedef struct outputs {
    ap_buf_t bytes;
    int results;
    seen_t dead;
} outputs_t;

static int keep_outputs(void *ctx, const char *topic, const void *key, size_t keylen, const void *value, size_t len,
                        const ap_event_t *event, char *err, size_t errlen) {
    outputs_t *o = ctx;
    if (strcmp(topic, "t.dead-letter") == 0) return keep(&o->dead, topic, key, keylen, value, len, event, err, errlen);
    o->results += strcmp(topic, "t.compliance") == 0;
    ap_buf_appendf(&o->bytes, "%s:%zu:", topic, len);
    ap_buf_append(&o->bytes, value, len);
    return 0;
}

/* Runs two weeks of citizen "a" (coverage, an hours report), with or
 * without sanctions, and returns the processor's stats; out holds what it wrote. */
static ap_processor_stats_t run_with_sanctions(int with, outputs_t *out) {
    ap_codec_error_t cerr;
    assert_int_equal(ap_events_init(&cerr), 0);
    n_records = 0;
    next_event = 0;
    memset(offsets, 0, sizeof offsets);
    int32_t w02 = ap_cal_days_from_civil(2026, 1, 5);
    ap_event_t ev;
    ev = coverage("a"), add(0, AP_TOPIC_EXEMPTION, &ev, "a");
    ev = hours("a", "r-1", w02 + 1), add(0, AP_TOPIC_HOURS, &ev, "a");
    if (with) {
        ev = sanction(1, w02 + 2, "j-1"), add(0, AP_TOPIC_EXEMPTION, &ev, "a");
        ev = sanction(2, w02 + 2, "j-2"), add(0, AP_TOPIC_HOURS, &ev, "a");    /* wrong topic */
        ev = sanction(3, w02 + 2, ""), add(0, AP_TOPIC_EXEMPTION, &ev, "a");   /* no journal note */
    }
    add_ticks(0, (w02 + 10) * DAY_MS); /* W02 closes */
    size_t first = n_records;
    if (with) { ev = sanction(4, w02 + 3, "j-4"), add(0, AP_TOPIC_EXEMPTION, &ev, "a"); } /* late, into closed W02 */
    add_ticks(0, (w02 + 17) * DAY_MS); /* W03 closes */

    ap_store_t *store = ap_store_memory_create();
    ap_processor_config_t cfg;
    test_config(&cfg);
    ap_processor_t *proc = ap_processor_create(&cfg, store, (ap_output_t){keep_outputs, flushed, out});
    char err[256];
    /* Two batches: the late sanction arrives after W02 was closed and emitted. */
    size_t bounds[2][2] = {{0, first}, {first, n_records}};
    for (int b = 0; b < 2; b++)
        for (size_t done = bounds[b][0]; done < bounds[b][1];) {
            size_t consumed = 0;
            assert_int_equal(ap_processor_process(proc, records + done, bounds[b][1] - done, &consumed, NULL, err,
                                                  sizeof err), 0);
            done += consumed;
        }
    ap_processor_stats_t st = *ap_processor_stats(proc);
    ap_processor_destroy(proc);
    ap_store_destroy(store);
    return st;
}

/* Monitoring design §1.4: a SanctionEvent is applied on the exemption topic
 * only (elsewhere a WRONG_TOPIC dead letter, like any record off its topic),
 * is validated like any input, and changes no byte of any result or alert:
 * not its figures, not its lineage, and a late one in a closed week makes
 * no revision. */
static void sanctions_are_applied_on_the_exemption_topic_and_change_no_output(void **state) {
    (void)state;
    outputs_t with = {AP_BUF_INIT, 0, {0}}, without = {AP_BUF_INIT, 0, {0}};
    ap_processor_stats_t a = run_with_sanctions(1, &with), b = run_with_sanctions(0, &without);
    assert_int_equal(with.dead.dead_letters, 2);
    assert_int_equal(with.dead.reason[0], AP_DL_WRONG_TOPIC);
    assert_string_equal(with.dead.why[0], "SanctionEvent does not belong on topic t.hours");
    assert_int_equal(with.dead.reason[1], AP_DL_INVALID_EVENT);
    assert_non_null(strstr(with.dead.why[1], "journal_ref"));
    assert_int_equal(without.dead.dead_letters, 0);
    assert_int_equal(a.applied, b.applied + 2); /* the first sanction and its late change */
    assert_true(with.results >= 2);             /* W02 and W03 at least */
    assert_int_equal(with.results, without.results);
    assert_int_equal(a.results, b.results);
    assert_int_equal(with.bytes.len, without.bytes.len);
    assert_memory_equal(with.bytes.data, without.bytes.data, with.bytes.len);
    ap_buf_free(&with.bytes);
    ap_buf_free(&without.bytes);
    for (size_t i = 0; i < 16; i++) ap_buf_free(&bytes[i]);
}

static int contains(const char *buf, size_t len, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(buf + i, needle, n) == 0) return 1;
    return 0;
}

/* Output that keeps the dead letters' bytes, Kafka keys and decoded fields. */
typedef struct letters {
    int n;
    ap_dead_letter_t dl[8];
    size_t kafka_keylen[8];
    ap_buf_t bytes[8];
} letters_t;

static int keep_letters(void *ctx, const char *topic, const void *key, size_t keylen, const void *value, size_t len,
                        const ap_event_t *event, char *err, size_t errlen) {
    (void)key, (void)event, (void)err, (void)errlen;
    letters_t *l = ctx;
    if (strcmp(topic, "t.dead-letter") != 0 || l->n == 8) return 0;
    ap_buf_reset(&l->bytes[l->n]);
    ap_buf_append(&l->bytes[l->n], value, len);
    ap_event_t ev;
    ap_codec_error_t cerr;
    assert_int_equal(ap_events_decode((const uint8_t *)l->bytes[l->n].data, len, &ev, &cerr), AP_CODEC_OK);
    l->dl[l->n] = ev.u.dead_letter;
    l->kafka_keylen[l->n++] = keylen;
    return 0;
}

/* Issue 15 §3: a record refused for personal data (a CPR number in any text
 * field, or as its Kafka key, also on the wrong topic) is dead-lettered
 * without its bytes and key: where it is, why, and an HMAC-SHA256 of its
 * bytes under dead_letter.hash_key by which its publisher can find it.
 * Other refusals keep the record whole. */
static void a_record_with_personal_data_is_withheld(void **state) {
    (void)state;
    fresh_stream();
    ap_event_t ev;
    ev = hours("c-0101901234", "r-1", ap_cal_days_from_civil(2026, 1, 6)), add(0, AP_TOPIC_HOURS, &ev, "c-0101901234");
    ev = hours("a", "r-2", ap_cal_days_from_civil(2026, 1, 6));
    strcpy(ev.u.hours.journal_ref, "j/010190-1234");
    add(0, AP_TOPIC_HOURS, &ev, "a");
    ev = hours("a", "r-3", ap_cal_days_from_civil(2026, 1, 6)), add(0, AP_TOPIC_HOURS, &ev, "0101901234");
    ev = hours("c-0101901234", "r-4", ap_cal_days_from_civil(2026, 1, 6)), add(0, AP_TOPIC_PLACEMENT, &ev, "x");
    ev = hours("a", "r-5", ap_cal_days_from_civil(2026, 1, 6)), add(0, AP_TOPIC_PLACEMENT, &ev, "a");

    letters_t got;
    memset(&got, 0, sizeof got);
    ap_store_t *store = ap_store_memory_create();
    ap_processor_config_t cfg;
    test_config(&cfg);
    memcpy(cfg.dead_letter_hash_key, "publisher-shared-secret", 23);
    cfg.dead_letter_hash_key_len = 23;
    ap_processor_t *proc = ap_processor_create(&cfg, store, (ap_output_t){keep_letters, flushed, &got});
    char err[256];
    size_t done = 0;
    while (done < n_records) {
        size_t consumed = 0;
        assert_int_equal(ap_processor_process(proc, records + done, n_records - done, &consumed, NULL, err, sizeof err), 0);
        done += consumed;
    }
    assert_int_equal(got.n, 5);
    static const char *const why[4] = {"citizen_id looks like a CPR number", "journal_ref looks like a CPR number",
                                       "record key looks like a CPR number", "citizen_id looks like a CPR number"};
    for (int i = 0; i < 4; i++) {
        const ap_dead_letter_t *d = &got.dl[i];
        assert_int_equal(d->reason_code, AP_DL_INVALID_EVENT);
        assert_int_equal(d->key.len, 0);
        assert_int_equal(d->payload.len, 0);
        assert_int_equal(got.kafka_keylen[i], 0);
        assert_int_equal(d->source_offset, records[i].offset);
        /* The publisher's way to find it: HMAC-SHA256 of the record's bytes. */
        unsigned char md[32];
        unsigned int mdlen = 0;
        assert_non_null(HMAC(EVP_sha256(), "publisher-shared-secret", 23, records[i].payload, records[i].len, md, &mdlen));
        char want[AP_TEXT_CAP] = "", hex[65];
        for (unsigned k = 0; k < 32; k++) snprintf(hex + 2 * k, 3, "%02x", md[k]);
        snprintf(want, sizeof want, "%s; record withheld (personal data); hmac-sha256 %s", why[i], hex);
        assert_string_equal(d->reason, want);
        /* Nothing of the number anywhere in the dead letter's bytes. */
        assert_false(contains(got.bytes[i].data, got.bytes[i].len, "0101901234"));
        assert_false(contains(got.bytes[i].data, got.bytes[i].len, "010190-1234"));
    }
    /* A refusal for anything else keeps the record, as before. */
    assert_int_equal(got.dl[4].reason_code, AP_DL_WRONG_TOPIC);
    assert_int_equal(got.dl[4].payload.len, records[4].len);
    assert_int_equal(got.kafka_keylen[4], 1);
    assert_int_equal(ap_processor_stats(proc)->applied, 0);
    ap_processor_destroy(proc);
    ap_store_destroy(store);
    for (int i = 0; i < 8; i++) ap_buf_free(&got.bytes[i]);
}

/* Output that keeps every result's citizen, week, status and revision. */
typedef struct results {
    int n;
    struct { char citizen[AP_ID_CAP]; int32_t week_start; int32_t status, revision, shortfall_cause; } r[16];
} results_t;

static int keep_results(void *ctx, const char *topic, const void *key, size_t keylen, const void *value, size_t len,
                        const ap_event_t *event, char *err, size_t errlen) {
    (void)key, (void)keylen, (void)event, (void)err, (void)errlen;
    results_t *k = ctx;
    if (strcmp(topic, "t.compliance") != 0) return 0;
    ap_event_t ev;
    ap_codec_error_t cerr;
    assert_int_equal(ap_events_decode(value, len, &ev, &cerr), AP_CODEC_OK);
    assert_true(k->n < 16);
    snprintf(k->r[k->n].citizen, sizeof k->r[k->n].citizen, "%s", ev.u.result.citizen_id);
    k->r[k->n].week_start = ev.u.result.week_start;
    k->r[k->n].status = ev.u.result.status;
    k->r[k->n].revision = ev.u.result.revision;
    k->r[k->n++].shortfall_cause = ev.u.result.shortfall_cause;
    return 0;
}

/* Issue 16 §5, when a not-covered week emits a result (README "Rules": such
 * weeks "produce a result only if they raise a finding or revise an earlier
 * result"; seed 002 / 004: the obligation covers recipients in coverage).
 * "a" is covered from 2026-W02: the weeks before close without a result.
 * "b" is covered only from W03 but has a kontantydelse nytteindsats of 21 h
 * a week from W02 (seed 001: "maksimalt ... 20 timer om ugen"): W02 is
 * NOT_COVERED with a finding, so it is emitted. Then "a"'s coverage is moved
 * to start in W03: W02 says something new (NOT_COVERED), revision 2. */
static void not_covered_weeks_emit_a_result_only_when_they_say_something(void **state) {
    (void)state;
    fresh_stream();
    const int32_t w02 = ap_cal_days_from_civil(2026, 1, 5), w03 = w02 + 7;
    ap_event_t ev;
    ev = coverage("a"), add(0, AP_TOPIC_EXEMPTION, &ev, "a");
    ev = coverage("b"), ev.u.coverage.from_date = w03, add(0, AP_TOPIC_EXEMPTION, &ev, "b");
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_PLACEMENT;
    header(&ev.u.placement.h, "b", (int64_t)w02 * DAY_MS);
    strcpy(ev.u.placement.placement_id, "pl-b");
    ev.u.placement.action = AP_PLACEMENT_REGISTERED;
    ev.u.placement.offer_type = AP_ACT_NYTTEINDSATS;
    ev.u.placement.job_type = -1;
    ev.u.placement.start_date = w02;
    ev.u.placement.end_date = w02 + 80;
    ev.u.placement.planned_minutes_per_week = 1260;
    ev.u.placement.benefit_type = AP_BEN_KONTANTYDELSE;
    add(0, AP_TOPIC_PLACEMENT, &ev, "b");
    add_ticks(0, ap_cal_days_from_civil(2026, 1, 14) * DAY_MS); /* W02 ends Jan 11, + 2 days grace */

    results_t got;
    memset(&got, 0, sizeof got);
    ap_store_t *store = ap_store_memory_create();
    ap_processor_config_t cfg;
    test_config(&cfg);
    ap_processor_t *proc = ap_processor_create(&cfg, store, (ap_output_t){keep_results, flushed, &got});
    process_all(proc);
    assert_true(ap_processor_stats(proc)->weeks_closed >= 3); /* 2025-W52, 2026-W01 and W02 at least */
    assert_int_equal(got.n, 2);
    int ia = strcmp(got.r[0].citizen, "a") == 0 ? 0 : 1, ib = 1 - ia;
    assert_string_equal(got.r[ia].citizen, "a");
    assert_int_equal(got.r[ia].week_start, w02);
    assert_int_equal(got.r[ia].status, AP_STATUS_NOT_COMPLIANT);
    assert_int_equal(got.r[ia].shortfall_cause, AP_CAUSE_OFFER_GAP); /* nothing offered, nothing attended */
    assert_string_equal(got.r[ib].citizen, "b");
    assert_int_equal(got.r[ib].week_start, w02);
    assert_int_equal(got.r[ib].status, AP_STATUS_NOT_COVERED);
    assert_int_equal(got.r[ib].revision, 1);

    /* a's coverage now starts in W03 (a later record of the same period). */
    n_records = 0;
    ev = coverage("a");
    ev.u.coverage.action = AP_COVERAGE_CHANGED;
    ev.u.coverage.from_date = w03;
    ev.u.coverage.h.recorded_at += DAY_MS;
    add(0, AP_TOPIC_EXEMPTION, &ev, "a");
    add_ticks(0, ap_cal_days_from_civil(2026, 1, 15) * DAY_MS);
    process_all(proc);
    assert_int_equal(got.n, 3);
    assert_string_equal(got.r[2].citizen, "a");
    assert_int_equal(got.r[2].week_start, w02);
    assert_int_equal(got.r[2].status, AP_STATUS_NOT_COVERED);
    assert_int_equal(got.r[2].revision, 2);

    ap_processor_destroy(proc);
    ap_store_destroy(store);
    for (size_t i = 0; i < 16; i++) ap_buf_free(&bytes[i]);
}

/* ------------------------------------------------------------ monitoring */

/* What the processor wrote to the monitoring topic, decoded, in order. */
typedef struct partials {
    struct partial {
        char key[48];
        char muni[AP_MUNI_CAP];
        int32_t partition, partition_count, revision, covered, weeks_owed, exits;
        uint32_t manifest;
        char manifest_codes[8][AP_MUNI_CAP];
        int32_t manifest_revisions[8];
    } p[32];
    size_t n;
} partials_t;

static int keep_partials(void *ctx, const char *topic, const void *key, size_t keylen, const void *value, size_t len,
                         const ap_event_t *event, char *err, size_t errlen) {
    (void)event, (void)err, (void)errlen;
    partials_t *k = ctx;
    if (strcmp(topic, "t.monitoring") != 0) return 0;
    ap_event_t ev;
    ap_codec_error_t cerr;
    assert_int_equal(ap_events_decode(value, len, &ev, &cerr), AP_CODEC_OK);
    assert_int_equal(ev.type, AP_EV_MONITORING);
    assert_true(k->n < 32);
    struct partial *x = &k->p[k->n++];
    const ap_monitoring_t *m = &ev.u.monitoring;
    snprintf(x->key, sizeof x->key, "%.*s", (int)keylen, (const char *)key);
    snprintf(x->muni, sizeof x->muni, "%s", m->municipality_code);
    x->partition = m->partition, x->partition_count = m->partition_count, x->revision = m->revision;
    x->covered = m->covered_citizens, x->weeks_owed = m->weeks_owed;
    for (uint32_t i = 0; i < m->n_exits; i++) x->exits += m->exits[i].citizens;
    x->manifest = m->manifest.n;
    const ap_field_desc_t *mf = NULL;
    const ap_record_desc_t *d = ap_events_desc(AP_EV_MONITORING);
    for (size_t i = 0; i < d->nfields; i++)
        if (strcmp(d->fields[i].name, "manifest") == 0) mf = &d->fields[i];
    for (uint32_t i = 0; i < m->manifest.n && i < 8; i++) {
        ap_mon_manifest_entry_t e;
        assert_int_equal(ap_codec_view_item(mf, &m->manifest, i, &e, &cerr), AP_CODEC_OK);
        memcpy(x->manifest_codes[i], e.municipality_code, AP_MUNI_CAP);
        x->manifest_revisions[i] = e.revision;
    }
    char name[96];
    snprintf(name, sizeof name, "monitoring|%s|%d", x->key, (int)m->revision);
    char want[AP_UUID_CAP];
    ap_uuid_derive(name, want);
    assert_string_equal(m->event_id, want);
    return 0;
}

/* Issue 16 §2 (README Monitoring): January 2026 closes on a partition with
 * the week holding 31 January (2026-W05, to Sunday 1 February, + 2 days
 * grace), not before; each municipality gets a partial and the lane a record
 * with the manifest, lane last; a partition without events writes its lane
 * record too. A late move of one citizen to the other municipality revises
 * both partials (the left one to zeros, never deleted) and the lane record;
 * a tick with nothing new writes nothing. */
static void months_close_with_their_last_week_and_are_revised(void **state) {
    (void)state;
    fresh_stream();
    /* Two citizens whose keys belong on partition 0 of 2. */
    char ca[8] = "", cb[8] = "";
    for (int i = 0; i < 100 && !cb[0]; i++) {
        char c[8];
        snprintf(c, sizeof c, "c%d", i);
        if (ap_partition_for_key(c, strlen(c), 2) != 0) continue;
        if (!ca[0]) memcpy(ca, c, sizeof c);
        else memcpy(cb, c, sizeof c);
    }
    ap_event_t ev;
    ev = coverage(ca), add(0, AP_TOPIC_EXEMPTION, &ev, ca);
    ap_event_t b_cov = coverage(cb);
    strcpy(b_cov.u.coverage.h.municipality_code, "147");
    add(0, AP_TOPIC_EXEMPTION, &b_cov, cb);
    add_ticks(0, ap_cal_days_from_civil(2026, 2, 3) * DAY_MS); /* W05 ends 1 Feb: + 2 days is the 4th */
    add_ticks(1, ap_cal_days_from_civil(2026, 2, 3) * DAY_MS);

    partials_t got;
    memset(&got, 0, sizeof got);
    ap_store_t *store = ap_store_memory_create();
    ap_processor_config_t cfg;
    test_config(&cfg);
    strcpy(cfg.monitoring_topic, "t.monitoring");
    cfg.monitoring_first_month = 202601;
    for (int k = 0; k < AP_TOPIC_KINDS; k++) cfg.partitions[k] = 2;
    ap_processor_t *proc = ap_processor_create(&cfg, store, (ap_output_t){keep_partials, flushed, &got});
    process_all(proc);
    assert_int_equal(got.n, 0); /* W05 not closed yet: January stays open */

    n_records = 0;
    add_ticks(0, ap_cal_days_from_civil(2026, 2, 4) * DAY_MS);
    add_ticks(1, ap_cal_days_from_civil(2026, 2, 4) * DAY_MS);
    process_all(proc);
    assert_int_equal(got.n, 4);
    assert_string_equal(got.p[0].key, "101|2026-01|0");
    assert_string_equal(got.p[1].key, "147|2026-01|0");
    assert_string_equal(got.p[2].key, "*|2026-01|0");
    assert_string_equal(got.p[3].key, "*|2026-01|1");
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(got.p[i].revision, 1);
        assert_int_equal(got.p[i].partition_count, 2);
    }
    assert_int_equal(got.p[0].covered, 1);
    assert_int_equal(got.p[1].covered, 1);
    assert_int_equal(got.p[0].weeks_owed, 4); /* W02-W05: covered from 5 January */
    assert_string_equal(got.p[2].muni, "");     /* the lane record: null municipality */
    assert_int_equal(got.p[2].covered, 2);
    assert_int_equal(got.p[2].manifest, 2);
    assert_string_equal(got.p[2].manifest_codes[0], "101");
    assert_string_equal(got.p[2].manifest_codes[1], "147");
    assert_int_equal(got.p[3].covered, 0); /* a partition without events says so */
    assert_int_equal(got.p[3].manifest, 0);
    assert_int_equal(ap_processor_stats(proc)->months_evaluated, 2);

    /* b's coverage, corrected late: it was 101's all along. */
    n_records = 0;
    b_cov.u.coverage.action = AP_COVERAGE_CHANGED;
    strcpy(b_cov.u.coverage.h.municipality_code, "101");
    b_cov.u.coverage.h.recorded_at += 30 * DAY_MS;
    snprintf(b_cov.u.coverage.h.event_id, AP_UUID_CAP, "00000000-0000-4000-8000-%012d", ++next_event);
    add(0, AP_TOPIC_EXEMPTION, &b_cov, cb);
    add_ticks(0, ap_cal_days_from_civil(2026, 2, 5) * DAY_MS);
    process_all(proc);
    assert_int_equal(got.n, 7);
    assert_string_equal(got.p[4].key, "101|2026-01|0");
    assert_int_equal(got.p[4].revision, 2);
    assert_int_equal(got.p[4].covered, 2);
    assert_string_equal(got.p[5].key, "147|2026-01|0");
    assert_int_equal(got.p[5].revision, 2);
    assert_int_equal(got.p[5].covered, 0);
    assert_int_equal(got.p[5].weeks_owed, 0);
    assert_string_equal(got.p[6].key, "*|2026-01|0");
    assert_int_equal(got.p[6].revision, 2);
    assert_int_equal(got.p[6].covered, 2);
    assert_int_equal(got.p[6].manifest, 2);
    assert_int_equal(got.p[6].manifest_revisions[0], 2);
    assert_int_equal(got.p[6].manifest_revisions[1], 2);

    /* Nothing new: nothing written. */
    n_records = 0;
    add_ticks(0, ap_cal_days_from_civil(2026, 2, 6) * DAY_MS);
    process_all(proc);
    assert_int_equal(got.n, 7);

    ap_processor_destroy(proc);
    ap_store_destroy(store);
    for (size_t i = 0; i < 16; i++) ap_buf_free(&bytes[i]);
}

/* Segments through the processor (issue 16 §4): "a" moves from 101 to 751
 * in 2026-W02, and the closed week's result carries the split; then the
 * move-in day is corrected from Wednesday to Thursday, and the revision
 * carries the corrected split while the week's figures and municipality
 * stay. (The revision digest is of the encoded record, so it covers the
 * segments by construction; a correction also changes the lineage, so this
 * test cannot tell the two apart.) */
typedef struct split_seen {
    int n;
    int32_t revision[4];
    uint32_t n_segments[4];
    int32_t first_to[4]; /* to_date of the first segment */
    int32_t required[4];
    char municipality[4][AP_MUNI_CAP];
} split_seen_t;

static int keep_split(void *ctx, const char *topic, const void *key, size_t keylen, const void *value, size_t len,
                      const ap_event_t *event, char *err, size_t errlen) {
    (void)key, (void)keylen, (void)event, (void)err, (void)errlen;
    split_seen_t *k = ctx;
    if (strcmp(topic, "t.compliance") != 0) return 0;
    ap_event_t ev;
    ap_codec_error_t cerr;
    assert_int_equal(ap_events_decode(value, len, &ev, &cerr), AP_CODEC_OK);
    assert_true(k->n < 4);
    k->revision[k->n] = ev.u.result.revision;
    k->n_segments[k->n] = ev.u.result.n_segments;
    k->first_to[k->n] = ev.u.result.n_segments ? ev.u.result.segments[0].to_date : AP_NO_DATE;
    k->required[k->n] = ev.u.result.required_minutes;
    memcpy(k->municipality[k->n++], ev.u.result.municipality_code, AP_MUNI_CAP);
    return 0;
}

static void a_corrected_move_in_day_revises_the_segments(void **state) {
    (void)state;
    fresh_stream();
    const int32_t w02 = ap_cal_days_from_civil(2026, 1, 5);
    ap_event_t old = coverage("a"), moved = coverage("a");
    old.u.coverage.to_date = w02 + 1; /* Tuesday */
    strcpy(moved.u.coverage.coverage_id, "cv-2");
    strcpy(moved.u.coverage.h.municipality_code, "751");
    moved.u.coverage.from_date = w02 + 2; /* Wednesday */
    add(0, AP_TOPIC_EXEMPTION, &old, "a");
    add(0, AP_TOPIC_EXEMPTION, &moved, "a");
    add_ticks(0, ap_cal_days_from_civil(2026, 1, 14) * DAY_MS);

    split_seen_t got;
    memset(&got, 0, sizeof got);
    ap_store_t *store = ap_store_memory_create();
    ap_processor_config_t cfg;
    test_config(&cfg);
    ap_processor_t *proc = ap_processor_create(&cfg, store, (ap_output_t){keep_split, flushed, &got});
    process_all(proc);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.revision[0], 1);
    assert_int_equal(got.n_segments[0], 2);
    assert_int_equal(got.first_to[0], w02 + 1);

    /* The move was on Thursday: both periods corrected, later records. */
    n_records = 0;
    old.u.coverage.action = moved.u.coverage.action = AP_COVERAGE_CHANGED;
    old.u.coverage.to_date = w02 + 2;
    moved.u.coverage.from_date = w02 + 3;
    old.u.coverage.h.recorded_at += DAY_MS;
    moved.u.coverage.h.recorded_at += DAY_MS;
    snprintf(old.u.coverage.h.event_id, AP_UUID_CAP, "00000000-0000-4000-8000-%012d", ++next_event);
    snprintf(moved.u.coverage.h.event_id, AP_UUID_CAP, "00000000-0000-4000-8000-%012d", ++next_event);
    add(0, AP_TOPIC_EXEMPTION, &old, "a");
    add(0, AP_TOPIC_EXEMPTION, &moved, "a");
    add_ticks(0, ap_cal_days_from_civil(2026, 1, 15) * DAY_MS);
    process_all(proc);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.revision[1], 2);
    assert_int_equal(got.n_segments[1], 2);
    assert_int_equal(got.first_to[1], w02 + 2);
    assert_int_equal(got.required[1], got.required[0]);
    assert_string_equal(got.municipality[1], got.municipality[0]);

    ap_processor_destroy(proc);
    ap_store_destroy(store);
    for (size_t i = 0; i < 16; i++) ap_buf_free(&bytes[i]);
}

/* A processor whose first month is that of a partition without events
 * (nothing counted yet anywhere) writes the lane record alone. */
static void a_first_month_without_citizens_writes_the_lane_record(void **state) {
    (void)state;
    fresh_stream();
    add_ticks(1, ap_cal_days_from_civil(2026, 3, 10) * DAY_MS); /* closes January and February */
    partials_t got;
    memset(&got, 0, sizeof got);
    ap_store_t *store = ap_store_memory_create();
    ap_processor_config_t cfg;
    test_config(&cfg);
    strcpy(cfg.monitoring_topic, "t.monitoring");
    cfg.monitoring_first_month = 202601;
    ap_processor_t *proc = ap_processor_create(&cfg, store, (ap_output_t){keep_partials, flushed, &got});
    process_all(proc);
    assert_int_equal(got.n, 2);
    assert_string_equal(got.p[0].key, "*|2026-01|1");
    assert_string_equal(got.p[1].key, "*|2026-02|1");
    assert_int_equal(got.p[1].covered, 0);
    assert_int_equal(got.p[1].manifest, 0);
    ap_processor_destroy(proc);
    ap_store_destroy(store);
    for (size_t i = 0; i < 16; i++) ap_buf_free(&bytes[i]);
}

/* Fencing (store.h): once another instance has claimed partition 0, a cycle
 * of this one that writes it ends as AP_PROCESSOR_FENCED, not as a retryable
 * failure, and records nothing (state, clock, positions); after its next
 * claim the same records go through. */
static void a_fenced_cycle_records_nothing(void **state) {
    (void)state;
    fresh_stream();
    ap_event_t ev;
    ev = coverage("a"), add(0, AP_TOPIC_EXEMPTION, &ev, "a");
    ev = hours("a", "r-1", ap_cal_days_from_civil(2026, 1, 6)), add(0, AP_TOPIC_HOURS, &ev, "a");
    const size_t first = n_records;
    ev = hours("a", "r-2", ap_cal_days_from_civil(2026, 1, 7)), add(0, AP_TOPIC_HOURS, &ev, "a");
    add_ticks(0, ap_cal_days_from_civil(2026, 1, 15) * DAY_MS);

    seen_t seen = {0};
    ap_store_t *store = ap_store_memory_create();
    ap_processor_config_t cfg;
    test_config(&cfg);
    ap_processor_t *proc = ap_processor_create(&cfg, store, (ap_output_t){keep, flushed, &seen});
    int64_t mine = 0, theirs = 0, again = 0;
    assert_int_equal(ap_store_claim(store, 0, &mine), 0);
    ap_processor_own(proc, 0, mine);
    size_t consumed = 0;
    char err[256];
    assert_int_equal(ap_processor_process(proc, records, first, &consumed, NULL, err, sizeof err), 0);
    assert_int_equal(consumed, first);

    assert_int_equal(ap_store_claim(store, 0, &theirs), 0); /* another instance took partition 0 */
    assert_int_equal(ap_processor_process(proc, records + first, n_records - first, &consumed, NULL, err, sizeof err),
                     AP_PROCESSOR_FENCED);
    assert_non_null(strstr(err, "fenced"));
    assert_true(ap_processor_stats(proc)->fenced == 1);
    int64_t next = 0;
    assert_int_equal(ap_store_position_get(store, "t.hours", 0, &next), 0);
    assert_true(next == 1); /* the position after r-1: nothing of the refused cycle */
    assert_int_equal(ap_store_position_get(store, "t.placement", 0, &next), 1);
    ap_partition_clock_t c;
    assert_int_equal(ap_store_clock_get(store, 0, &c), 0);
    assert_true(c.tick[0] == 0 && c.tick[1] == 0 && c.tick[2] == 0);
    const char *cit = "a";
    int32_t w02 = ap_cal_days_from_civil(2026, 1, 5);
    ap_result_record_t rec;
    assert_int_equal(ap_store_results_get(store, &cit, &w02, 1, &rec), 0);
    assert_int_equal(rec.revision, 0);

    /* Assigned again (a new claim): the same records are processed in full. */
    assert_int_equal(ap_store_claim(store, 0, &again), 0);
    ap_processor_own(proc, 0, again);
    assert_int_equal(ap_processor_process(proc, records + first, n_records - first, &consumed, NULL, err, sizeof err), 0);
    assert_int_equal(ap_store_position_get(store, "t.hours", 0, &next), 0);
    assert_true(next == 3);
    assert_int_equal(ap_store_results_get(store, &cit, &w02, 1, &rec), 0);
    assert_int_equal(rec.revision, 1);

    ap_processor_destroy(proc);
    ap_store_destroy(store);
    for (size_t i = 0; i < 16; i++) ap_buf_free(&bytes[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_closed_partition_waits_and_the_others_go_on),
        cmocka_unit_test(outputs_carry_engine_version_and_v5_ids),
        cmocka_unit_test(a_newer_compatible_schema_is_applied_not_dead_lettered),
        cmocka_unit_test(a_record_off_its_murmur2_partition_is_a_dead_letter),
        cmocka_unit_test(sanctions_are_applied_on_the_exemption_topic_and_change_no_output),
        cmocka_unit_test(a_record_with_personal_data_is_withheld),
        cmocka_unit_test(redelivery_after_the_dedup_horizon_changes_nothing),
        cmocka_unit_test(a_long_close_beats_the_heart),
        cmocka_unit_test(not_covered_weeks_emit_a_result_only_when_they_say_something),
        cmocka_unit_test(months_close_with_their_last_week_and_are_revised),
        cmocka_unit_test(a_first_month_without_citizens_writes_the_lane_record),
        cmocka_unit_test(a_corrected_move_in_day_revises_the_segments),
        cmocka_unit_test(a_fenced_cycle_records_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
