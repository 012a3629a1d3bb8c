/*
 * ap-generate - a deterministic (seeded) synthetic stream of arbejdspligt
 * events for tests and benchmarks: citizens over the 98 municipalities
 * (unevenly, as the real population), coverage, placements that start and
 * end, daily hours reports, corrections, late corrections, exemptions,
 * reductions, a share of invalid records, and a StreamTick after every week.
 * --late-moves F adds, per citizen and week with probability F, a late change
 * that moves, shortens, extends, ends or retracts an earlier entity of any
 * kind (tests/replay/late_changes.sh).
 * --sanctions F adds, per citizen and week with probability F, a sanction
 * decision (SanctionEvent on the exemption topic; monitoring design §1.4),
 * now and then a change or cancellation of last week's. Off by default, and
 * drawn from a stream of its own, so streams without it stay byte-identical.
 * --moves F moves a citizen, per week after coverage began with probability F
 * and at most once, on a working day to another municipality: the coverage period
 * ends the day before and one in the new municipality starts that day (seed
 * 002: "Tilflytningskommunen har ansvaret for indsatsen fra første dag for
 * tilflytningen"; the week is split into segments). Off by default, drawn
 * from a stream of its own like --sanctions.
 *
 *   ap-generate --citizens 2000 --weeks 15 --seed 7 --kafka --topic-prefix ap
 *   ap-generate --citizens 20 --weeks 3 --jsonl > stream.jsonl
 *   ap-generate --citizens 21000 --weeks 52 --export year.avro   (an exported stream for
 *                                    ap-replay file: offline, no broker needed)
 *   ap-generate ... --from-week 4 --weeks 8   (weeks 4..7 only: the second half of the same stream)
 *
 * The same arguments always give the same records in the same order.
 * Synthetic ids only ("g-000042"): no real person is described.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/config.h"
#include "arbejdspligt/events.h"
#include "arbejdspligt/export.h"
#include "arbejdspligt/partition.h"
#include "arbejdspligt/kafka.h"
#include "arbejdspligt/log.h"
#include "arbejdspligt/processor.h"
#include "arbejdspligt/schema.h"
#include "arbejdspligt/uuid.h"

/* The 98 municipality codes (kommunekoder). */
static const char *const municipalities[] = {
    "101", "147", "151", "153", "155", "157", "159", "161", "163", "165", "167", "169", "173", "175", "183", "185",
    "187", "190", "201", "210", "217", "219", "223", "230", "240", "250", "253", "259", "260", "265", "269", "270",
    "306", "316", "320", "326", "329", "330", "336", "340", "350", "360", "370", "376", "390", "400", "410", "420",
    "430", "440", "450", "461", "479", "480", "482", "492", "510", "530", "540", "550", "561", "563", "573", "575",
    "580", "607", "615", "621", "630", "657", "661", "665", "671", "706", "707", "710", "727", "730", "740", "741",
    "746", "751", "756", "760", "766", "773", "779", "787", "791", "810", "813", "820", "825", "840", "846", "849",
    "851", "860"};
#define N_MUNI (sizeof municipalities / sizeof *municipalities)

typedef struct opts {
    long citizens, weeks, seed, from_week;
    int32_t first_monday;
    double invalid_rate, late_rate, late_moves;
    double sanctions; /* --sanctions: per citizen-week probability of a sanction decision, 0 = none */
    double moves;     /* --moves: per citizen-week probability of the citizen's one municipality move, 0 = none */
    int kafka, jsonl, partitions;
    long rate; /* --rate: records per second at most (kafka), 0 = as fast as possible */
    const char *brokers, *prefix, *export_path;
    const char *config; /* --kafka-config: a file of kafka.* settings */
    ap_kafka_conn_t conn; /* --kafka: brokers, TLS, SASL */
} opts_t;

#define S(name, env, type, def, field, min, max, help) \
    {name, env, type, def, offsetof(opts_t, field), sizeof(((opts_t *)0)->field), min, max, help}
/* The Kafka connection settings, as in every binary (README Security). */
static const ap_setting_t kafka_table[] = {AP_KAFKA_CONN_SETTINGS(S, conn)};
#define NKAFKA (sizeof kafka_table / sizeof *kafka_table)

typedef struct gen {
    opts_t o;
    uint64_t counter;
    ap_buf_t buf;
    rd_kafka_t *rk;
    ap_kafka_delivery_t delivery;
    char topics[3][128];
    int partitions[3];
    long records, invalid;
    ap_export_writer_t *export; /* --export: an exported stream, as if read from Kafka */
    int64_t *next_offset;       /* --export: per topic and partition */
} gen_t;

/* splitmix64: small, fast, and the same on every machine. */
static uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}
typedef struct rng { uint64_t s; } rng_t;
static uint64_t next(rng_t *r) { return mix(r->s++); }
static double unit(rng_t *r) { return (double)(next(r) >> 11) / 9007199254740992.0; }
static long range(rng_t *r, long lo, long hi) { return lo + (long)(next(r) % (uint64_t)(hi - lo + 1)); }

static void new_id(gen_t *g, char out[AP_UUID_CAP]) {
    char name[64];
    snprintf(name, sizeof name, "gen|%ld|%" PRIu64, g->o.seed, g->counter++);
    ap_uuid_derive(name, out);
}

static int topic_of(ap_event_type_t t) {
    return t == AP_EV_PLACEMENT ? 0 : t == AP_EV_HOURS ? 1 : 2;
}

/* --rate: a steady stream (for latency measurements) instead of a burst. */
static void pace(gen_t *g) {
    static double start;
    static long sent;
    if (!g->o.rate) return;
    if (!sent) start = ap_log_monotonic_s();
    if (++sent % 100) return;
    double ahead = (double)sent / (double)g->o.rate - (ap_log_monotonic_s() - start);
    if (ahead > 0) {
        struct timespec ts = {(time_t)ahead, (long)((ahead - (double)(time_t)ahead) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static void emit_bytes(gen_t *g, int topic, const char *key, const void *data, size_t len, int32_t partition) {
    char err[256];
    pace(g);
    if (g->export) {
        /* Co-partitioned by key with Kafka's murmur2, as a producer must
         * (the replay dead-letters a record anywhere else). */
        if (partition == RD_KAFKA_PARTITION_UA) partition = ap_partition_for_key(key, strlen(key), g->o.partitions);
        int64_t *off = &g->next_offset[topic * g->o.partitions + partition];
        ap_record_t rec = {g->topics[topic], partition, (*off)++, 0, key, key ? strlen(key) : 0, data, len};
        if (ap_export_write(g->export, &rec, err, sizeof err)) {
            fprintf(stderr, "ap-generate: %s\n", err);
            exit(1);
        }
        return;
    }
    if (ap_kafka_produce(g->rk, g->topics[topic], partition, key, key ? strlen(key) : 0, data, len, err, sizeof err)) {
        fprintf(stderr, "ap-generate: %s\n", err);
        exit(1);
    }
}

static void emit(gen_t *g, ap_event_t *ev, rng_t *r) {
    g->records++;
    if (g->o.jsonl) {
        ap_buf_reset(&g->buf);
        ap_events_to_json(ev, &g->buf);
        puts(g->buf.data);
        return;
    }
    ap_buf_reset(&g->buf);
    ap_events_encode(ev, &g->buf);
    const char *key = ev->type == AP_EV_TICK ? NULL : ev->u.h.citizen_id;
    if (ev->type != AP_EV_TICK && r && unit(r) < g->o.invalid_rate) {
        /* Damage the record the way broken producers do, so that it can
         * never pass as valid: cut short, or a broken marker or fingerprint. */
        g->invalid++;
        if (next(r) & 1) g->buf.len = (size_t)range(r, 1, (long)g->buf.len - 1);
        else g->buf.data[range(r, 0, 9)] ^= (char)(1 << range(r, 0, 7));
    }
    emit_bytes(g, topic_of(ev->type), key, g->buf.data, g->buf.len, RD_KAFKA_PARTITION_UA);
}

static void header(gen_t *g, ap_header_t *h, const char *citizen, const char *muni, int64_t at) {
    new_id(g, h->event_id);
    snprintf(h->citizen_id, sizeof h->citizen_id, "%s", citizen);
    memcpy(h->municipality_code, muni, AP_MUNI_CAP);
    h->occurred_at = at;
    h->recorded_at = at + 3600000;
    snprintf(h->source_system, sizeof h->source_system, "generator");
}

static int64_t at_local(int32_t day, int hour) { return ap_cal_cph_midnight(day) + (int64_t)hour * 3600000; }

/* One citizen's stable profile, drawn from its own random stream. */
typedef struct citizen {
    char id[16]; /* "g-NNNNNN": short, so derived ids fit AP_ID_CAP */
    const char *muni;
    int32_t start;      /* coverage start */
    int diligence;      /* percent of the planned minutes actually reported */
    int benefit;
    int reduced;        /* reduced weekly minutes, 0 if none */
    int placement_weeks;
    int target_group;   /* jobparat or aktivitetsparat */
    int legal_basis;    /* LAB § 105 a or INL § 20 d */
    int32_t benefit_start; /* first day on public support, on or before start */
    int32_t move_day;      /* --moves: first day in move_muni, AP_NO_DATE if the citizen does not move */
    const char *move_muni;
} citizen_t;

static void profile(const gen_t *g, long i, citizen_t *c) {
    rng_t r = {mix((uint64_t)g->o.seed * 1000003ULL + (uint64_t)i)};
    snprintf(c->id, sizeof c->id, "g-%06ld", i % 10000000L);
    /* Uneven over municipalities: the big ones get most (roughly Zipf). */
    double u = unit(&r);
    c->muni = municipalities[(size_t)((double)N_MUNI * u * u * u) % N_MUNI];
    c->start = g->o.first_monday + (unit(&r) < 0.8 ? 0 : (int32_t)range(&r, 1, 6 * 7));
    double d = unit(&r);
    c->diligence = d < 0.6 ? 100 : d < 0.85 ? (int)range(&r, 50, 97) : d < 0.95 ? (int)range(&r, 0, 40) : 110;
    static const int benefits[] = {AP_BEN_KONTANTHJAELP, AP_BEN_KONTANTHJAELP, AP_BEN_KONTANTHJAELP,
                                   AP_BEN_UDDANNELSESHJAELP, AP_BEN_SELVFORSOERGELSES_OG_HJEMREJSEYDELSE,
                                   AP_BEN_ARBEJDSMARKEDSYDELSE, AP_BEN_KONTANTYDELSE};
    c->benefit = benefits[range(&r, 0, 6)];
    c->reduced = unit(&r) < 0.06 ? (int)range(&r, 3, 6) * 300 : 0;
    c->placement_weeks = (int)range(&r, 6, 16);
    /* Drawn last, so the draws above (and streams of earlier versions) stay as they were. */
    c->target_group = unit(&r) < 0.4 ? AP_TG_AKTIVITETSPARAT : AP_TG_JOBPARAT;
    c->legal_basis = unit(&r) < 0.25 ? AP_BASIS_INL_20_D : AP_BASIS_LAB_105_A;
    c->benefit_start = c->start - (int32_t)range(&r, 0, 3 * 365);
    /* --moves: the first week after coverage began whose draw (a stream of
     * its own per citizen and week, so the draws above never change) is
     * below F; found here from the weeks' own draws, not from --weeks, so a
     * stream generated in parts (--from-week) moves the same citizens on the
     * same days. At most one move, within 20 years. */
    c->move_day = AP_NO_DATE;
    c->move_muni = NULL;
    int32_t first_week = (c->start - g->o.first_monday) / 7 + 1;
    for (int32_t w = first_week; g->o.moves > 0 && w < first_week + 20 * 52; w++) {
        rng_t mr = {mix((uint64_t)g->o.seed * 2749ULL + (uint64_t)i * 6151ULL + (uint64_t)w + 0x30feULL)};
        if (unit(&mr) >= g->o.moves) continue;
        c->move_day = g->o.first_monday + 7 * w + (int32_t)range(&mr, 0, 4);
        size_t k = 0;
        while (k < N_MUNI && strcmp(municipalities[k], c->muni) != 0) k++;
        c->move_muni = municipalities[(k + 1 + (size_t)range(&mr, 0, (long)N_MUNI - 2)) % N_MUNI];
        break;
    }
}

/* The coverage fields every coverage event of c carries (CoverageEvent v2). */
static void coverage_profile(const citizen_t *c, ap_coverage_t *x) {
    x->legal_basis = c->legal_basis;
    x->target_group = c->target_group;
    x->benefit_start_date = c->benefit_start;
}

/* A drawn exemption kind made one a publisher of today writes: the
 * førtidspension symbol, not its deprecated synonym; LAS § 13 stk. 8 grounds
 * for aktivitetsparate; another reasonable cause with its journal note; and
 * for LAB § 106 the job's start, within the 6 weeks. No extra draws. */
static void exemption_profile(const citizen_t *c, ap_exemption_t *x) {
    static const int stk8[] = {AP_EXEMPT_MENTAL_ILLNESS, AP_EXEMPT_SUBSTANCE_ABUSE, AP_EXEMPT_HOMELESSNESS};
    if (x->kind == AP_EXEMPT_EARLY_RETIREMENT_TARGET) x->kind = AP_EXEMPT_FOERTIDSPENSION_TARGET;
    else if (x->kind == AP_EXEMPT_BEREAVEMENT_LEAVE && c->target_group == AP_TG_AKTIVITETSPARAT)
        x->kind = stk8[(unsigned)x->from_date % 3];
    else if (x->kind == AP_EXEMPT_STATE_PENSION_AGE) x->kind = AP_EXEMPT_OTHER_REASONABLE_CAUSE;
    snprintf(x->journal_ref, sizeof x->journal_ref, "j-%.60s", x->exemption_id);
    x->job_start_date = x->kind == AP_EXEMPT_LESS_INTENSIVE ? x->from_date + (x->from_date % 6) * 7 : AP_NO_DATE;
}

/* The journal note and the assessed placement of a generated reduction. */
static void reduction_profile(ap_reduction_t *x, int kind, int minutes) {
    snprintf(x->journal_ref, sizeof x->journal_ref, "j-%.60s", x->reduction_id);
    x->n_assessed_detail = 1;
    memcpy(x->assessed_placements[0].placement_id, x->assessed_placement_ids[0], AP_ID_CAP);
    x->assessed_placements[0].offer_type = kind;
    x->assessed_placements[0].planned_minutes_per_week = minutes;
}

static void placement(gen_t *g, const citizen_t *c, const char *pid, int kind, int32_t start, int32_t end, int minutes,
                      rng_t *r) {
    ap_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_PLACEMENT;
    ap_placement_t *p = &ev.u.placement;
    header(g, &p->h, c->id, c->muni, at_local(start, 7));
    p->action = AP_PLACEMENT_REGISTERED;
    snprintf(p->placement_id, sizeof p->placement_id, "%s", pid);
    p->offer_type = kind;
    p->job_type = kind == AP_ACT_NYTTEINDSATS ? 0 : -1;
    p->start_date = start;
    p->end_date = end;
    p->planned_minutes_per_week = minutes;
    p->benefit_type = c->benefit;
    emit(g, &ev, r);
}

static void hours(gen_t *g, const citizen_t *c, const char *rid, int32_t day, int kind, int minutes, const char *pid,
                  int action, int64_t recorded, rng_t *r) {
    ap_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_HOURS;
    ap_hours_t *h = &ev.u.hours;
    header(g, &h->h, c->id, c->muni, at_local(day, 16));
    if (recorded) h->h.recorded_at = recorded;
    h->action = action;
    snprintf(h->report_id, sizeof h->report_id, "%s", rid);
    h->activity_date = day;
    h->activity_kind = kind;
    h->minutes = minutes;
    snprintf(h->placement_id, sizeof h->placement_id, "%s", pid ? pid : "");
    emit(g, &ev, r);
}

static void tick(gen_t *g, int64_t at) {
    ap_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_TICK;
    new_id(g, ev.u.tick.event_id);
    ev.u.tick.occurred_at = at;
    snprintf(ev.u.tick.source_system, sizeof ev.u.tick.source_system, "generator");
    g->records++;
    if (g->o.jsonl) {
        ap_buf_reset(&g->buf);
        ap_events_to_json(&ev, &g->buf);
        puts(g->buf.data);
        return;
    }
    ap_buf_reset(&g->buf);
    ap_events_encode(&ev, &g->buf);
    for (int t = 0; t < 3; t++)
        for (int p = 0; p < g->partitions[t]; p++) emit_bytes(g, t, NULL, g->buf.data, g->buf.len, p);
}

/* The placements of a citizen: consecutive periods of placement_weeks weeks,
 * alternating nytteindsats (20 h) + praktik (17 h) with loentilskud (37 h). */
static int placements_on(const citizen_t *c, int32_t day, int32_t *start, int32_t *end) {
    int32_t len = c->placement_weeks * 7;
    int period = (day - c->start) / len;
    *start = c->start + period * len;
    *end = *start + len - 3; /* ends on a Friday */
    return period;
}

/* --late-moves: one late change, recorded in week `monday` after the weeks
 * it touches have closed, that moves, shortens, extends, ends or retracts an
 * earlier entity (hours report, placement, coverage period, exemption,
 * reduction) in either direction: the final results must not depend on when
 * such changes arrive (issue 14). Drawn from a random stream of its own, so
 * a stream without the option is unchanged. */
static void late_move(gen_t *g, const citizen_t *c, int32_t monday, rng_t *lr) {
    int64_t now = at_local(monday + 2, 11); /* after every version it replaces */
    int32_t ps, pe;
    int period = placements_on(c, monday - 7, &ps, &pe);
    int two = period % 2 == 0;
    char id[AP_ID_CAP];
    ap_event_t ev;
    memset(&ev, 0, sizeof ev);
    switch (range(lr, 0, 5)) {
    case 0:   /* last week's report moved into the week before it or into this week */
    case 1: { /* ... or retracted */
        int32_t day = monday - 7 + (int32_t)range(lr, 0, 4), to = day;
        int move = next(lr) & 1;
        if (move) to = next(lr) & 1 ? monday + (int32_t)range(lr, 0, 1) : day - 7 - (int32_t)range(lr, 0, 4);
        snprintf(id, sizeof id, "hr-%s-%d-a", c->id, (int)day);
        char pid[AP_ID_CAP];
        snprintf(pid, sizeof pid, "pl-%s-%d", c->id, period);
        hours(g, c, id, to, two ? AP_ACT_NYTTEINDSATS : AP_ACT_LOENTILSKUD, two ? 240 : 444, pid,
              move ? AP_HOURS_CORRECTED : AP_HOURS_RETRACTED, now, lr);
        return;
    }
    case 2: { /* last week's placement ended early, or extended */
        if (pe < ps) return;
        ev.type = AP_EV_PLACEMENT;
        ap_placement_t *p = &ev.u.placement;
        header(g, &p->h, c->id, c->muni, now - 3600000);
        p->action = AP_PLACEMENT_CHANGED;
        snprintf(p->placement_id, sizeof p->placement_id, "pl-%s-%d", c->id, period);
        p->offer_type = two ? AP_ACT_NYTTEINDSATS : AP_ACT_LOENTILSKUD;
        p->job_type = two ? 0 : -1;
        p->start_date = ps;
        p->end_date = next(lr) & 1 ? pe + 7 * (int32_t)range(lr, 1, 2) : monday - 7 - (int32_t)range(lr, 0, 10);
        if (p->end_date < ps) p->end_date = ps;
        p->planned_minutes_per_week = two ? 1200 : 2220;
        p->benefit_type = c->benefit;
        break;
    }
    case 3: { /* the coverage start corrected a week later or earlier */
        ap_events_clear(&ev, AP_EV_COVERAGE);
        coverage_profile(c, &ev.u.coverage);
        header(g, &ev.u.coverage.h, c->id, c->muni, now - 3600000);
        ev.u.coverage.action = AP_COVERAGE_CHANGED;
        snprintf(ev.u.coverage.coverage_id, AP_ID_CAP, "cv-%s", c->id);
        ev.u.coverage.from_date = c->start + (next(lr) & 1 ? 7 : -7) + (int32_t)range(lr, 0, 2);
        if (ev.u.coverage.benefit_start_date > ev.u.coverage.from_date) ev.u.coverage.benefit_start_date = ev.u.coverage.from_date;
        ev.u.coverage.to_date = AP_NO_DATE;
        ev.u.coverage.benefit_type = c->benefit;
        break;
    }
    case 4: { /* an exemption granted late for days of the last two weeks */
        ap_events_clear(&ev, AP_EV_EXEMPTION);
        header(g, &ev.u.exemption.h, c->id, c->muni, now - 3600000);
        snprintf(ev.u.exemption.exemption_id, AP_ID_CAP, "lx-%s-%d", c->id, (int)monday);
        ev.u.exemption.kind = (int32_t)range(lr, AP_EXEMPT_HEALTH, AP_EXEMPT_STU);
        ev.u.exemption.from_date = monday - 14 + (int32_t)range(lr, 0, 6);
        ev.u.exemption.to_date = ev.u.exemption.from_date + (int32_t)range(lr, 0, 9);
        exemption_profile(c, &ev.u.exemption);
        break;
    }
    default: { /* the period's reduction ended early */
        if (!c->reduced || pe < ps) return;
        ap_events_clear(&ev, AP_EV_REDUCTION);
        ap_reduction_t *x = &ev.u.reduction;
        header(g, &x->h, c->id, c->muni, now - 3600000);
        x->action = AP_REDUCTION_ENDED;
        snprintf(x->reduction_id, AP_ID_CAP, "rd-%s-%d", c->id, period);
        x->reduced_minutes_per_week = c->reduced;
        x->valid_from = ps;
        x->valid_to = monday - 7 - (int32_t)range(lr, 0, 6);
        if (x->valid_to < ps) x->valid_to = ps;
        x->assessed_on = ps - 3;
        x->n_assessed = 1;
        snprintf(x->assessed_placement_ids[0], AP_ID_CAP, "pl-%s-%d", c->id, period);
        reduction_profile(x, two ? AP_ACT_NYTTEINDSATS : AP_ACT_LOENTILSKUD, two ? 1200 : 2220);
        break;
    }
    }
    emit(g, &ev, lr);
}

/* --sanctions: a sanction decided this week about the citizen's current
 * placement, or (one in four) last week's changed or cancelled. The rules
 * never read sanctions, so results are those of the stream without them. */
static void sanction(gen_t *g, const citizen_t *c, int32_t monday, int period, rng_t *sr) {
    ap_event_t ev;
    ap_events_clear(&ev, AP_EV_SANCTION);
    ap_sanction_t *x = &ev.u.sanction;
    int revise = unit(sr) < 0.25;
    int32_t week = revise ? monday - 7 : monday;
    x->decision_date = week + (int32_t)range(sr, 0, 4);
    header(g, &x->h, c->id, c->muni, at_local(monday + (int32_t)range(sr, 0, 4), 10));
    x->action = revise ? (next(sr) & 1 ? AP_SANCTION_CANCELLED : AP_SANCTION_CHANGED) : AP_SANCTION_DECIDED;
    snprintf(x->sanction_id, AP_ID_CAP, "sa-%s-%d", c->id, (int)week);
    if (next(sr) & 1) x->effective_from = x->decision_date + 7;
    if (next(sr) & 1) snprintf(x->legal_basis, sizeof x->legal_basis, "generated; not interpreted");
    snprintf(x->placement_id, AP_ID_CAP, "pl-%s-%d", c->id, period);
    snprintf(x->journal_ref, AP_ID_CAP, "j-%.60s", x->sanction_id);
    emit(g, &ev, sr);
}

/* --moves: the period so far ends the day before the move, and one in the
 * new municipality starts on the move-in day with the same profile (the
 * benefit start stays: the citizen has been on support all along). */
static void move(gen_t *g, const citizen_t *c, rng_t *mr) {
    ap_event_t ev;
    ap_events_clear(&ev, AP_EV_COVERAGE);
    header(g, &ev.u.coverage.h, c->id, c->muni, at_local(c->move_day, 7));
    ev.u.coverage.action = AP_COVERAGE_CHANGED;
    snprintf(ev.u.coverage.coverage_id, AP_ID_CAP, "cv-%s", c->id);
    ev.u.coverage.from_date = c->start;
    ev.u.coverage.to_date = c->move_day - 1;
    ev.u.coverage.benefit_type = c->benefit;
    coverage_profile(c, &ev.u.coverage);
    emit(g, &ev, mr);
    ap_events_clear(&ev, AP_EV_COVERAGE);
    header(g, &ev.u.coverage.h, c->id, c->move_muni, at_local(c->move_day, 8));
    ev.u.coverage.action = AP_COVERAGE_STARTED;
    snprintf(ev.u.coverage.coverage_id, AP_ID_CAP, "cv-%s-moved", c->id);
    ev.u.coverage.from_date = c->move_day;
    ev.u.coverage.to_date = AP_NO_DATE;
    ev.u.coverage.benefit_type = c->benefit;
    coverage_profile(c, &ev.u.coverage);
    emit(g, &ev, mr);
}

static void generate(gen_t *g) {
    citizen_t *cs = calloc((size_t)g->o.citizens, sizeof *cs);
    for (long i = 0; i < g->o.citizens; i++) profile(g, i, &cs[i]);
    for (long w = g->o.from_week; w < g->o.weeks; w++) {
        int32_t monday = g->o.first_monday + (int32_t)w * 7;
        for (long i = 0; i < g->o.citizens; i++) {
            citizen_t *c = &cs[i];
            /* Ids depend on (week, citizen), not on what was generated before,
             * so a stream generated in parts has the same ids as in one go. */
            g->counter = ((uint64_t)w * (uint64_t)g->o.citizens + (uint64_t)i) * 1000;
            rng_t r = {mix((uint64_t)g->o.seed * 7919ULL + (uint64_t)i * 104729ULL + (uint64_t)w)};
            if (c->start > monday + 6) continue;
            int32_t first = c->start > monday ? c->start : monday;
            char pid[AP_ID_CAP], rid[AP_ID_CAP];
            if (c->start >= monday) { /* coverage (and a reduction) begin this week */
                ap_event_t ev;
                ap_events_clear(&ev, AP_EV_COVERAGE);
                header(g, &ev.u.coverage.h, c->id, c->muni, at_local(c->start, 7));
                snprintf(ev.u.coverage.coverage_id, AP_ID_CAP, "cv-%s", c->id);
                ev.u.coverage.from_date = c->start;
                ev.u.coverage.to_date = AP_NO_DATE;
                ev.u.coverage.benefit_type = c->benefit;
                coverage_profile(c, &ev.u.coverage);
                emit(g, &ev, &r);
            }
            /* --moves: before the silent citizens leave the loop; they move too. */
            if (c->move_day != AP_NO_DATE && c->move_day >= monday && c->move_day <= monday + 6) {
                rng_t mr = {mix((uint64_t)g->o.seed * 4099ULL + (uint64_t)i * 9001ULL + (uint64_t)w + 0x30ffULL)};
                move(g, c, &mr);
            }
            int32_t ps, pe;
            int period = placements_on(c, first, &ps, &pe);
            if (ps >= monday || c->start >= monday) {
                int two = period % 2 == 0;
                snprintf(pid, sizeof pid, "pl-%s-%d", c->id, period);
                placement(g, c, pid, two ? AP_ACT_NYTTEINDSATS : AP_ACT_LOENTILSKUD, ps, pe, two ? 1200 : 2220, &r);
                if (two) {
                    snprintf(pid, sizeof pid, "pp-%s-%d", c->id, period);
                    placement(g, c, pid, AP_ACT_VIRKSOMHEDSPRAKTIK, ps, pe, 1020, &r);
                }
                if (c->reduced) {
                    ap_event_t ev;
                    ap_events_clear(&ev, AP_EV_REDUCTION);
                    header(g, &ev.u.reduction.h, c->id, c->muni, at_local(ps, 7));
                    snprintf(ev.u.reduction.reduction_id, AP_ID_CAP, "rd-%s-%d", c->id, period);
                    ev.u.reduction.reduced_minutes_per_week = c->reduced;
                    ev.u.reduction.valid_from = ps;
                    ev.u.reduction.valid_to = pe;
                    ev.u.reduction.assessed_on = ps - 3;
                    ev.u.reduction.n_assessed = 1;
                    snprintf(ev.u.reduction.assessed_placement_ids[0], AP_ID_CAP, "pl-%s-%d", c->id, period);
                    reduction_profile(&ev.u.reduction, two ? AP_ACT_NYTTEINDSATS : AP_ACT_LOENTILSKUD, two ? 1200 : 2220);
                    emit(g, &ev, &r);
                }
            }
            if (unit(&r) < 0.02) { /* a short exemption, sometimes tied to one placement */
                ap_event_t ev;
                ap_events_clear(&ev, AP_EV_EXEMPTION);
                header(g, &ev.u.exemption.h, c->id, c->muni, at_local(monday, 7));
                snprintf(ev.u.exemption.exemption_id, AP_ID_CAP, "ex-%s-%ld", c->id, w);
                ev.u.exemption.kind = (int32_t)range(&r, AP_EXEMPT_HEALTH, AP_EXEMPT_STU);
                ev.u.exemption.from_date = monday + (int32_t)range(&r, 0, 4);
                ev.u.exemption.to_date = ev.u.exemption.from_date + (int32_t)range(&r, 0, 13);
                if (unit(&r) < 0.3) snprintf(ev.u.exemption.placement_id, AP_ID_CAP, "pp-%s-%d", c->id, period);
                exemption_profile(c, &ev.u.exemption);
                emit(g, &ev, &r);
            }
            if (c->diligence == 0) continue; /* a silent citizen */
            for (int d = 0; d < 5; d++) {
                int32_t day = monday + d;
                if (day < c->start) continue;
                placements_on(c, day, &ps, &pe);
                if (day > pe) continue; /* the gap between placements */
                int two = ((day - c->start) / (c->placement_weeks * 7)) % 2 == 0;
                int per_day = (two ? 240 : 444) * c->diligence / 100;
                snprintf(rid, sizeof rid, "hr-%s-%d-a", c->id, (int)day);
                snprintf(pid, sizeof pid, "%s-%s-%d", two ? "pl" : "pl", c->id, (day - c->start) / (c->placement_weeks * 7));
                hours(g, c, rid, day, two ? AP_ACT_NYTTEINDSATS : AP_ACT_LOENTILSKUD, per_day, pid, AP_HOURS_REPORTED, 0, &r);
                if (two) {
                    snprintf(rid, sizeof rid, "hr-%s-%d-b", c->id, (int)day);
                    hours(g, c, rid, day, AP_ACT_VIRKSOMHEDSPRAKTIK, 204 * c->diligence / 100, NULL, AP_HOURS_REPORTED, 0, &r);
                }
                if (unit(&r) < 0.02) { /* corrected the same week */
                    snprintf(rid, sizeof rid, "hr-%s-%d-a", c->id, (int)day);
                    hours(g, c, rid, day, two ? AP_ACT_NYTTEINDSATS : AP_ACT_LOENTILSKUD, per_day + 30, pid,
                          AP_HOURS_CORRECTED, at_local(day, 20), &r);
                }
            }
            /* A late correction of last week, after its close: a revision. */
            if (w > 0 && c->start < monday - 7 && unit(&r) < g->o.late_rate) {
                int32_t day = monday - 7 + (int32_t)range(&r, 0, 4);
                placements_on(c, day, &ps, &pe);
                if (day <= pe && day >= c->start) {
                    int two = ((day - c->start) / (c->placement_weeks * 7)) % 2 == 0;
                    snprintf(rid, sizeof rid, "hr-%s-%d-a", c->id, (int)day);
                    snprintf(pid, sizeof pid, "pl-%s-%d", c->id, (day - c->start) / (c->placement_weeks * 7));
                    hours(g, c, rid, day, two ? AP_ACT_NYTTEINDSATS : AP_ACT_LOENTILSKUD, two ? 240 : 444, pid,
                          AP_HOURS_CORRECTED, at_local(monday + 1, 9), &r);
                }
            }
            if (g->o.late_moves > 0 && w > 1 && c->start < monday - 7) {
                rng_t lr = {mix((uint64_t)g->o.seed * 6007ULL + (uint64_t)i * 7727ULL + (uint64_t)w + 0x1a7eULL)};
                if (unit(&lr) < g->o.late_moves) late_move(g, c, monday, &lr);
            }
            if (g->o.sanctions > 0 && c->start < monday) {
                rng_t sr = {mix((uint64_t)g->o.seed * 5381ULL + (uint64_t)i * 8191ULL + (uint64_t)w + 0x5a0cULL)};
                if (unit(&sr) < g->o.sanctions) sanction(g, c, monday, placements_on(c, monday, &ps, &pe), &sr);
            }
        }
        /* The week is complete: tick on every partition (closes it with a grace of up to 2 days). */
        tick(g, ap_cal_cph_midnight(monday + 7 + 3));
    }
    free(cs);
}

static int usage(void) {
    fprintf(stderr, "usage: ap-generate [--citizens N] [--weeks N] [--from-week K] [--seed N] [--first-week YYYY-MM-DD]\n"
                    "                   [--invalid-rate F] [--late-rate F] [--late-moves F] [--sanctions F] [--moves F]\n"
                    "                   [--rate RECORDS_PER_S]\n"
                    "                   (--jsonl | --kafka [--brokers B] [--kafka-config FILE] [--set kafka.KEY=VALUE ...]\n"
                    "                              [--topic-prefix P]   (TLS, SASL: README Security)\n"
                    "                    | --export FILE[.avro] [--partitions N] [--topic-prefix P])\n");
    return 2;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        ap_config_print_version(stdout, 11, "ap-generate");
        return 0;
    }
    gen_t g;
    memset(&g, 0, sizeof g);
    opts_t *o = &g.o;
    o->citizens = 100;
    o->weeks = 4;
    o->seed = 1;
    o->invalid_rate = 0.0;
    o->late_rate = 0.01;
    o->first_monday = ap_cal_iso_week_monday(2026, 2);
    o->brokers = NULL;
    o->prefix = "ap";
    o->partitions = 6;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--jsonl") == 0) o->jsonl = 1;
        else if (strcmp(a, "--kafka") == 0) o->kafka = 1;
        else if (!v) return usage();
        else if (strcmp(a, "--citizens") == 0) o->citizens = atol(v), i++;
        else if (strcmp(a, "--weeks") == 0) o->weeks = atol(v), i++;
        else if (strcmp(a, "--from-week") == 0) o->from_week = atol(v), i++;
        else if (strcmp(a, "--seed") == 0) o->seed = atol(v), i++;
        else if (strcmp(a, "--invalid-rate") == 0) o->invalid_rate = atof(v), i++;
        else if (strcmp(a, "--late-rate") == 0) o->late_rate = atof(v), i++;
        else if (strcmp(a, "--late-moves") == 0) o->late_moves = atof(v), i++;
        else if (strcmp(a, "--sanctions") == 0) o->sanctions = atof(v), i++;
        else if (strcmp(a, "--moves") == 0) o->moves = atof(v), i++;
        else if (strcmp(a, "--brokers") == 0) o->brokers = v, i++;
        else if (strcmp(a, "--kafka-config") == 0) o->config = v, i++;
        else if (strcmp(a, "--set") == 0) i++; /* applied below, after the environment */
        else if (strcmp(a, "--topic-prefix") == 0) o->prefix = v, i++;
        else if (strcmp(a, "--export") == 0) o->export_path = v, i++;
        else if (strcmp(a, "--partitions") == 0) o->partitions = atoi(v), i++;
        else if (strcmp(a, "--rate") == 0) o->rate = atol(v), i++;
        else if (strcmp(a, "--first-week") == 0) {
            int32_t d;
            if (ap_cal_parse_date(v, strlen(v), &d)) return usage();
            o->first_monday = ap_cal_week_start(d);
            i++;
        } else return usage();
    }
    if (o->jsonl + o->kafka + (o->export_path != NULL) != 1 || o->partitions < 1 || o->citizens < 1 || o->weeks < 1 || o->from_week < 0 || o->from_week >= o->weeks)
        return usage();
    ap_log_set_component("generator");
    ap_log_set_level("error");
    ap_codec_error_t cerr;
    if (ap_events_init(&cerr)) { fprintf(stderr, "ap-generate: %s\n", cerr.msg); return 1; }
    static const char *const names[3] = {"placement", "hours", "exemption"};
    if (o->kafka) {
        char err[512];
        /* default < --kafka-config < environment < --set < --brokers, as apctl */
        if (ap_config_load_env(kafka_table, NKAFKA, o, o->config, err, sizeof err)) {
            fprintf(stderr, "ap-generate: %s\n", err);
            return 2;
        }
        for (int i = 1; i + 1 < argc; i++) {
            if (strcmp(argv[i], "--set") != 0) continue;
            char *kv = argv[++i], *eq = strchr(kv, '=');
            if (!eq) return usage();
            *eq = '\0';
            int rc = ap_config_set(kafka_table, NKAFKA, o, kv, eq + 1, err, sizeof err);
            *eq = '=';
            if (rc) { fprintf(stderr, "ap-generate: %s\n", err); return 2; }
        }
        if (o->brokers && ap_config_set(kafka_table, NKAFKA, o, "kafka.brokers", o->brokers, err, sizeof err)) {
            fprintf(stderr, "ap-generate: %s\n", err);
            return 2;
        }
        /* A bulk load batches for throughput; a steady stream (--rate, the
         * latency benchmark) sends like a source system would: a record's
         * timestamp is taken when it is produced, so time spent lingering
         * here would count as the processor's latency. */
        static const char *const bulk[] = {"linger.ms", "50", "queue.buffering.max.messages", "1000000", NULL};
        static const char *const steady[] = {"queue.buffering.max.messages", "1000000", NULL};
        g.rk = ap_kafka_producer_create(&o->conn, &g.delivery, o->rate ? steady : bulk, err, sizeof err);
        if (!g.rk) { fprintf(stderr, "ap-generate: %s\n", err); return 1; }
        /* A refused password or certificate: say so now, not after a timeout. */
        if (ap_kafka_await(g.rk, 10000, err, sizeof err)) {
            fprintf(stderr, "ap-generate: %s\n", err);
            rd_kafka_destroy(g.rk);
            return 1;
        }
        for (int t = 0; t < 3; t++) {
            snprintf(g.topics[t], sizeof g.topics[t], "%s.%s", o->prefix, names[t]);
            if ((g.partitions[t] = ap_kafka_partition_count(g.rk, g.topics[t], 10000, err, sizeof err)) < 0) {
                fprintf(stderr, "ap-generate: %s\n", err);
                return 1;
            }
        }
    }
    if (o->export_path) {
        char err[512];
        if (!(g.export = ap_export_create(o->export_path, err, sizeof err))) { fprintf(stderr, "ap-generate: %s\n", err); return 1; }
        g.next_offset = calloc(3 * (size_t)o->partitions, sizeof *g.next_offset);
        for (int t = 0; t < 3; t++) {
            snprintf(g.topics[t], sizeof g.topics[t], "%s.%s", o->prefix, names[t]);
            g.partitions[t] = o->partitions;
            if (ap_export_write_partitions(g.export, g.topics[t], o->partitions, err, sizeof err)) {
                fprintf(stderr, "ap-generate: %s\n", err);
                return 1;
            }
        }
    }
    generate(&g);
    int rc = 0;
    if (g.export) {
        char err[512];
        if (ap_export_close(g.export, err, sizeof err)) { fprintf(stderr, "ap-generate: %s\n", err); rc = 1; }
        free(g.next_offset);
    }
    if (g.rk) {
        int left = ap_kafka_producer_drain(g.rk, 120000);
        if (left || g.delivery.failed) { fprintf(stderr, "ap-generate: %d undelivered, %" PRIu64 " failed\n", left, g.delivery.failed); rc = 1; }
        rd_kafka_destroy(g.rk);
    }
    fprintf(stderr, "ap-generate: %ld records (%ld invalid), %ld citizens, %ld weeks, seed %ld\n", g.records, g.invalid,
            o->citizens, o->weeks, o->seed);
    ap_buf_free(&g.buf);
    return rc;
}
