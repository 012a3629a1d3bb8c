/* monitoring_fold.c - MonitoringPartial records folded into totals per
 * municipality and month, with completeness by the lanes' manifests. See
 * monitoring_fold.h. */
#include "arbejdspligt/monitoring_fold.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arbejdspligt/json.h"

/* One revision of one key, as read. */
typedef struct rev {
    int32_t revision;
    int32_t partition_count;
    int64_t closed_at;
    int conflict;                      /* read again with other bytes: never used */
    uint8_t *bytes;                    /* the record's encoding, for the duplicate check */
    size_t len;
    ap_mon_sums_t sums;
    ap_mon_manifest_entry_t *manifest; /* lane record: sorted by code */
    uint32_t n_manifest;
} rev_t;

/* One key: (municipality or "" for the lane record, month, partition). */
typedef struct fkey {
    char muni[AP_MUNI_CAP];
    int32_t yyyymm;
    int32_t partition;
    rev_t *revs; /* ascending revision */
    size_t n, cap;
} fkey_t;

/* One month: the partition_count its first record named. */
typedef struct fmonth {
    int32_t yyyymm;
    int32_t partition_count;
    int mixed;
} fmonth_t;

struct ap_monitoring_fold {
    fkey_t *keys;
    size_t n_keys, cap_keys;
    size_t *slots; /* open addressing into keys (index + 1; 0 empty) */
    size_t cap_slots;
    fmonth_t *months;
    size_t n_months, cap_months;
    ap_mon_fold_counts_t counts;
    int32_t *month_list; /* ap_monitoring_fold_months */
    const char **code_list; /* ap_monitoring_fold_municipalities */
    size_t cap_codes;
};

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) abort(); /* as buf.h: no progress without memory */
    return q;
}

static uint64_t key_hash(const char *muni, int32_t yyyymm, int32_t partition) {
    uint64_t h = 1469598103934665603ULL;
    for (const char *s = muni; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    h = (h ^ (uint32_t)yyyymm) * 1099511628211ULL;
    return (h ^ (uint32_t)partition) * 1099511628211ULL;
}

static size_t *slot_of(const ap_monitoring_fold_t *f, const char *muni, int32_t yyyymm, int32_t partition) {
    size_t i = (size_t)(key_hash(muni, yyyymm, partition) & (f->cap_slots - 1));
    for (;; i = (i + 1) & (f->cap_slots - 1)) {
        size_t s = f->slots[i];
        if (!s) return &f->slots[i];
        const fkey_t *k = &f->keys[s - 1];
        if (k->yyyymm == yyyymm && k->partition == partition && strcmp(k->muni, muni) == 0) return &f->slots[i];
    }
}

static fkey_t *find_key(const ap_monitoring_fold_t *f, const char *muni, int32_t yyyymm, int32_t partition) {
    if (!f->cap_slots) return NULL;
    size_t s = *slot_of(f, muni, yyyymm, partition);
    return s ? &f->keys[s - 1] : NULL;
}

static fkey_t *get_key(ap_monitoring_fold_t *f, const char *muni, int32_t yyyymm, int32_t partition) {
    fkey_t *k = find_key(f, muni, yyyymm, partition);
    if (k) return k;
    if ((f->n_keys + 1) * 2 > f->cap_slots) { /* grow and rehash */
        free(f->slots);
        f->cap_slots = f->cap_slots ? f->cap_slots * 2 : 1024;
        f->slots = xrealloc(NULL, f->cap_slots * sizeof *f->slots);
        memset(f->slots, 0, f->cap_slots * sizeof *f->slots);
        for (size_t i = 0; i < f->n_keys; i++)
            *slot_of(f, f->keys[i].muni, f->keys[i].yyyymm, f->keys[i].partition) = i + 1;
    }
    if (f->n_keys == f->cap_keys) {
        f->cap_keys = f->cap_keys ? f->cap_keys * 2 : 256;
        f->keys = xrealloc(f->keys, f->cap_keys * sizeof *f->keys);
    }
    k = &f->keys[f->n_keys++];
    memset(k, 0, sizeof *k);
    snprintf(k->muni, sizeof k->muni, "%s", muni);
    k->yyyymm = yyyymm;
    k->partition = partition;
    *slot_of(f, muni, yyyymm, partition) = f->n_keys;
    return k;
}

static rev_t *find_rev(const fkey_t *k, int32_t revision) {
    size_t lo = 0, hi = k ? k->n : 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (k->revs[mid].revision < revision) lo = mid + 1;
        else hi = mid;
    }
    return lo < (k ? k->n : 0) && k->revs[lo].revision == revision ? &k->revs[lo] : NULL;
}

static fmonth_t *find_month(const ap_monitoring_fold_t *f, int32_t yyyymm) {
    for (size_t i = 0; i < f->n_months; i++)
        if (f->months[i].yyyymm == yyyymm) return &f->months[i];
    return NULL;
}

ap_monitoring_fold_t *ap_monitoring_fold_create(void) {
    ap_monitoring_fold_t *f = xrealloc(NULL, sizeof *f);
    memset(f, 0, sizeof *f);
    return f;
}

void ap_monitoring_fold_destroy(ap_monitoring_fold_t *f) {
    if (!f) return;
    for (size_t i = 0; i < f->n_keys; i++) {
        for (size_t j = 0; j < f->keys[i].n; j++) {
            free(f->keys[i].revs[j].bytes);
            free(f->keys[i].revs[j].manifest);
        }
        free(f->keys[i].revs);
    }
    free(f->keys);
    free(f->slots);
    free(f->months);
    free(f->month_list);
    free(f->code_list);
    free(f);
}

const char *ap_monitoring_fold_outcome_name(ap_mon_fold_outcome_t o) {
    static const char *const names[] = {"added", "duplicate", "conflict", "mixed partition counts",
                                        "invalid", "too many revisions", "ignored"};
    return (unsigned)o < sizeof names / sizeof *names ? names[o] : "?";
}

const char *ap_monitoring_fold_state_name(ap_mon_fold_state_t s) {
    static const char *const names[] = {"complete", "incomplete", "mixed partition counts", "conflicting records",
                                        "lane record and partials differ"};
    return (unsigned)s < sizeof names / sizeof *names ? names[s] : "?";
}

static const ap_field_desc_t *manifest_field(void) {
    const ap_record_desc_t *d = ap_events_desc(AP_EV_MONITORING);
    for (size_t i = 0; i < d->nfields; i++)
        if (strcmp(d->fields[i].name, "manifest") == 0) return &d->fields[i];
    abort(); /* the descriptor table names it: a build error otherwise */
}

static int cmp_entry(const void *a, const void *b) {
    return strcmp(((const ap_mon_manifest_entry_t *)a)->municipality_code,
                  ((const ap_mon_manifest_entry_t *)b)->municipality_code);
}

static ap_mon_fold_outcome_t refuse(ap_monitoring_fold_t *f, ap_mon_fold_outcome_t o, char *why, size_t whylen,
                                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static ap_mon_fold_outcome_t refuse(ap_monitoring_fold_t *f, ap_mon_fold_outcome_t o, char *why, size_t whylen,
                                    const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (why && whylen) vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    if (o == AP_MON_FOLD_INVALID) f->counts.invalid++;
    else if (o == AP_MON_FOLD_FULL) f->counts.full++;
    else if (o == AP_MON_FOLD_CONFLICT) f->counts.conflicts++;
    return o;
}

ap_mon_fold_outcome_t ap_monitoring_fold_add(ap_monitoring_fold_t *f, const ap_monitoring_t *rec, char *why,
                                             size_t whylen) {
    if (why && whylen) why[0] = '\0';
    f->counts.records++;
    const char *muni = rec->municipality_code;
    char key[48];
    snprintf(key, sizeof key, "%s|%04d-%02d|%d", muni[0] ? muni : "*", (int)(rec->year % 10000),
             (int)(rec->month % 100), (int)rec->partition);
    if (rec->year < 2000 || rec->year > 2099 || rec->month < 1 || rec->month > 12)
        return refuse(f, AP_MON_FOLD_INVALID, why, whylen, "%s: month outside 2000-01..2099-12", key);
    if (rec->partition_count < 1 || rec->partition_count > AP_MON_FOLD_MAX_PARTITIONS || rec->partition < 0 ||
        rec->partition >= rec->partition_count)
        return refuse(f, AP_MON_FOLD_INVALID, why, whylen, "%s: partition %d of %d", key, (int)rec->partition,
                      (int)rec->partition_count);
    if (rec->revision < 1) return refuse(f, AP_MON_FOLD_INVALID, why, whylen, "%s: revision %d", key, (int)rec->revision);
    if (strcmp(muni, "*") == 0) return refuse(f, AP_MON_FOLD_INVALID, why, whylen, "%s: \"*\" is not a municipality", key);
    if (muni[0] && rec->manifest.n)
        return refuse(f, AP_MON_FOLD_INVALID, why, whylen, "%s: a municipality partial with a manifest", key);

    rev_t r;
    memset(&r, 0, sizeof r);
    r.revision = rec->revision;
    r.partition_count = rec->partition_count;
    r.closed_at = rec->closed_at;
    char sub[160];
    if (ap_monitoring_add_record(&r.sums, rec, sub, sizeof sub))
        return refuse(f, AP_MON_FOLD_INVALID, why, whylen, "%s: %s", key, sub);
    ap_buf_t enc = AP_BUF_INIT;
    ap_codec_encode(ap_events_desc(AP_EV_MONITORING), rec, &enc);

    int32_t yyyymm = ap_monitoring_yyyymm(rec->year, rec->month);
    fkey_t *k = find_key(f, muni, yyyymm, rec->partition);
    rev_t *old = find_rev(k, rec->revision);
    if (old) {
        int same = old->len == enc.len && memcmp(old->bytes, enc.data, enc.len) == 0;
        ap_buf_free(&enc);
        if (same) {
            f->counts.duplicates++;
            return AP_MON_FOLD_DUPLICATE;
        }
        /* Neither copy is picked: the revision is refused wherever it is needed. */
        old->conflict = 1;
        return refuse(f, AP_MON_FOLD_CONFLICT, why, whylen, "%s revision %d read twice with different content", key,
                      (int)rec->revision);
    }
    if (k && k->n >= AP_MON_FOLD_MAX_REVISIONS) {
        ap_buf_free(&enc);
        return refuse(f, AP_MON_FOLD_FULL, why, whylen, "%s: more than %d revisions", key, AP_MON_FOLD_MAX_REVISIONS);
    }
    if (!muni[0] && rec->manifest.n) {
        const ap_field_desc_t *mf = manifest_field();
        r.manifest = xrealloc(NULL, rec->manifest.n * sizeof *r.manifest);
        r.n_manifest = rec->manifest.n;
        for (uint32_t i = 0; i < rec->manifest.n; i++) {
            ap_codec_error_t cerr;
            ap_mon_manifest_entry_t *e = &r.manifest[i];
            if (ap_codec_view_item(mf, &rec->manifest, i, e, &cerr) != AP_CODEC_OK || !e->municipality_code[0] ||
                strcmp(e->municipality_code, "*") == 0 || e->revision < 1) {
                free(r.manifest);
                ap_buf_free(&enc);
                return refuse(f, AP_MON_FOLD_INVALID, why, whylen, "%s: manifest entry %u is not a partial's", key,
                              (unsigned)i);
            }
        }
        qsort(r.manifest, r.n_manifest, sizeof *r.manifest, cmp_entry);
        for (uint32_t i = 1; i < r.n_manifest; i++)
            if (strcmp(r.manifest[i - 1].municipality_code, r.manifest[i].municipality_code) == 0) {
                free(r.manifest);
                ap_buf_free(&enc);
                return refuse(f, AP_MON_FOLD_INVALID, why, whylen, "%s: manifest lists %s twice", key,
                              r.manifest[i].municipality_code);
            }
    }
    r.bytes = (uint8_t *)enc.data; /* the buffer is handed over */
    r.len = enc.len;

    k = get_key(f, muni, yyyymm, rec->partition);
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 2;
        k->revs = xrealloc(k->revs, k->cap * sizeof *k->revs);
    }
    size_t at = k->n;
    while (at > 0 && k->revs[at - 1].revision > r.revision) at--; /* out of order: keep ascending */
    memmove(&k->revs[at + 1], &k->revs[at], (k->n - at) * sizeof *k->revs);
    k->revs[at] = r;
    k->n++;

    fmonth_t *m = find_month(f, yyyymm);
    if (!m) {
        if (f->n_months == f->cap_months) {
            f->cap_months = f->cap_months ? f->cap_months * 2 : 16;
            f->months = xrealloc(f->months, f->cap_months * sizeof *f->months);
        }
        m = &f->months[f->n_months++];
        *m = (fmonth_t){yyyymm, rec->partition_count, 0};
    } else if (m->partition_count != rec->partition_count) {
        m->mixed = 1;
        f->counts.mixed++;
        snprintf(why, whylen, "%s: partition_count %d, but %d in other records of the month", key,
                 (int)rec->partition_count, (int)m->partition_count);
        return AP_MON_FOLD_MIXED;
    }
    f->counts.added++;
    return AP_MON_FOLD_ADDED;
}

ap_mon_fold_outcome_t ap_monitoring_fold_add_json(ap_monitoring_fold_t *f, const char *line, size_t len, char *why,
                                                  size_t whylen) {
    static const char *const ignore[] = {"schema", "manifest", NULL};
    ap_json_doc_t doc = AP_JSON_DOC_INIT;
    ap_monitoring_t *rec = NULL;
    ap_mon_manifest_entry_t *entries = NULL;
    ap_mon_fold_outcome_t o = AP_MON_FOLD_INVALID;
    ap_codec_error_t cerr;
    if (why && whylen) why[0] = '\0';
    if (ap_json_parse(&doc, line, len)) {
        snprintf(why, whylen, "not JSON: %s", doc.err);
        goto invalid;
    }
    const ap_json_node_t *root = &doc.nodes[0], *sn, *mn;
    if (root->type != AP_JSON_OBJECT || !(sn = ap_json_member(&doc, root, "schema")) || sn->type != AP_JSON_STRING) {
        snprintf(why, whylen, "not a record: no \"schema\" member");
        goto invalid;
    }
    if (ap_events_type_by_name(sn->str, sn->len) != AP_EV_MONITORING) {
        f->counts.records++;
        f->counts.ignored++;
        o = AP_MON_FOLD_IGNORED;
        goto cleanup;
    }
    rec = xrealloc(NULL, sizeof *rec);
    if (ap_codec_from_json(ap_events_desc(AP_EV_MONITORING), &doc, root, ignore, rec, &cerr) != AP_CODEC_OK) {
        snprintf(why, whylen, "%s", cerr.msg);
        goto invalid;
    }
    /* The manifest is an array view (codec.h: JSON cannot fill one): its
     * items are read here with the item's own descriptor. */
    memset(&rec->manifest, 0, sizeof rec->manifest);
    if ((mn = ap_json_member(&doc, root, "manifest")) && mn->type != AP_JSON_NULL) {
        const ap_field_desc_t *mf = manifest_field();
        if (mn->type != AP_JSON_ARRAY || mn->count > mf->cap) {
            snprintf(why, whylen, "field manifest: expected an array of at most %zu items", mf->cap);
            goto invalid;
        }
        entries = xrealloc(NULL, (mn->count ? mn->count : 1) * sizeof *entries);
        uint32_t n = 0;
        for (const ap_json_node_t *e = ap_json_first(&doc, mn); e; e = ap_json_next(&doc, e), n++)
            if (ap_codec_from_json(mf->item, &doc, e, NULL, &entries[n], &cerr) != AP_CODEC_OK) {
                snprintf(why, whylen, "manifest item %u: %s", (unsigned)n, cerr.msg);
                goto invalid;
            }
        rec->manifest.items = entries;
        rec->manifest.n = n;
    }
    o = ap_monitoring_fold_add(f, rec, why, whylen);
    goto cleanup;
invalid:
    f->counts.records++;
    f->counts.invalid++;
cleanup:
    free(entries);
    free(rec);
    ap_json_doc_free(&doc);
    return o;
}

/* The lane's latest record within the bound: the highest revision with
 * closed_at <= bound (a lane writes its key in revision order, so closes
 * grow with revisions), or NULL. */
static rev_t *latest_within(const fkey_t *k, int64_t bound) {
    if (!k) return NULL;
    for (size_t j = k->n; j-- > 0;)
        if (k->revs[j].closed_at <= bound) return &k->revs[j];
    return NULL;
}


int ap_monitoring_fold_total_as_of(ap_monitoring_fold_t *f, const char *muni, int year, int month,
                                   const int64_t *bound, size_t n_bound, ap_mon_sums_t *out, ap_mon_fold_status_t *st,
                                   int32_t *lane_revision) {
    memset(out, 0, sizeof *out);
    memset(st, 0, sizeof *st);
    st->state = AP_MON_TOTAL_INCOMPLETE;
    if (lane_revision) memset(lane_revision, 0, n_bound * sizeof *lane_revision);
    int32_t yyyymm = ap_monitoring_yyyymm(year, month);
    const fmonth_t *m = find_month(f, yyyymm);
    if (!m) return -1;
    st->partition_count = m->partition_count;
    if (m->mixed) {
        st->state = AP_MON_TOTAL_MIXED;
        return -1;
    }
    ap_mon_sums_t total, partials;
    memset(&total, 0, sizeof total);
    memset(&partials, 0, sizeof partials);
    int conflict = 0, inconsistent = 0;
    for (int32_t p = 0; p < m->partition_count; p++) {
        if (bound && (size_t)p >= n_bound) break;
        const rev_t *lane = latest_within(find_key(f, "", yyyymm, p), bound ? bound[p] : INT64_MAX);
        if (!lane) continue;
        st->lanes_present++;
        if (lane_revision) lane_revision[p] = lane->revision;
        if (lane->conflict) conflict = 1;
        ap_mon_sums_t lane_partials;
        memset(&lane_partials, 0, sizeof lane_partials);
        for (uint32_t i = 0; i < lane->n_manifest; i++) {
            const ap_mon_manifest_entry_t *e = &lane->manifest[i];
            const rev_t *part = find_rev(find_key(f, e->municipality_code, yyyymm, p), e->revision);
            if (!part) {
                st->partials_missing++;
                continue;
            }
            if (part->conflict) conflict = 1;
            if (muni && strcmp(muni, e->municipality_code) == 0) {
                st->lanes_listing++;
                ap_monitoring_sums_add(&total, &part->sums);
            }
            ap_monitoring_sums_add(&lane_partials, &part->sums);
        }
        if (!muni) {
            ap_monitoring_sums_add(&total, &lane->sums);
            ap_monitoring_sums_add(&partials, &lane_partials);
            /* The lane record sums its municipalities (design §2.3): a
             * difference means the records are not one lane's view. */
            if (!ap_monitoring_sums_equal(&lane->sums, &lane_partials)) inconsistent = 1;
        }
    }
    if (!muni) st->lanes_listing = st->lanes_present;
    if (conflict) st->state = AP_MON_TOTAL_CONFLICT;
    else if (st->lanes_present < m->partition_count || st->partials_missing) st->state = AP_MON_TOTAL_INCOMPLETE;
    else if (inconsistent) st->state = AP_MON_TOTAL_INCONSISTENT;
    else st->state = AP_MON_TOTAL_COMPLETE;
    if (st->state != AP_MON_TOTAL_COMPLETE) return -1;
    *out = total;
    return 0;
}

int ap_monitoring_fold_total(ap_monitoring_fold_t *f, const char *muni, int year, int month, ap_mon_sums_t *out,
                             ap_mon_fold_status_t *st) {
    return ap_monitoring_fold_total_as_of(f, muni, year, month, NULL, 0, out, st, NULL);
}

int ap_monitoring_fold_lane_close(const ap_monitoring_fold_t *f, int year, int month, int partition,
                                  int64_t *closed_at, int32_t *partition_count) {
    const rev_t *r = find_rev(find_key(f, "", ap_monitoring_yyyymm(year, month), partition), 1);
    if (!r || r->conflict) return -1;
    *closed_at = r->closed_at;
    if (partition_count) *partition_count = r->partition_count;
    return 0;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

size_t ap_monitoring_fold_months(ap_monitoring_fold_t *f, const int32_t **months) {
    f->month_list = xrealloc(f->month_list, (f->n_months ? f->n_months : 1) * sizeof *f->month_list);
    for (size_t i = 0; i < f->n_months; i++) f->month_list[i] = f->months[i].yyyymm;
    qsort(f->month_list, f->n_months, sizeof *f->month_list, cmp_i32);
    *months = f->month_list;
    return f->n_months;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

size_t ap_monitoring_fold_municipalities(ap_monitoring_fold_t *f, int32_t from, int32_t to,
                                         const char *const **codes) {
    size_t n = 0;
    for (size_t i = 0; i < f->n_keys; i++) {
        const fkey_t *k = &f->keys[i];
        if (k->yyyymm < from || k->yyyymm > to) continue;
        size_t need = n + 1;
        for (size_t j = 0; !k->muni[0] && j < k->n; j++) need += k->revs[j].n_manifest;
        if (need > f->cap_codes) {
            f->cap_codes = need * 2;
            f->code_list = xrealloc(f->code_list, f->cap_codes * sizeof *f->code_list);
        }
        if (k->muni[0]) f->code_list[n++] = k->muni;
        else
            for (size_t j = 0; j < k->n; j++)
                for (uint32_t e = 0; e < k->revs[j].n_manifest; e++)
                    f->code_list[n++] = k->revs[j].manifest[e].municipality_code;
    }
    if (n) qsort(f->code_list, n, sizeof *f->code_list, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (!u || strcmp(f->code_list[u - 1], f->code_list[i]) != 0) f->code_list[u++] = f->code_list[i];
    *codes = f->code_list;
    return u;
}

ap_mon_fold_counts_t ap_monitoring_fold_counts(const ap_monitoring_fold_t *f) { return f->counts; }

int32_t ap_monitoring_share_pm(int64_t part, int64_t whole) {
    if (whole <= 0) return -1;
    return (int32_t)((part * 2000 / whole + 1) / 2);
}

int64_t ap_monitoring_mean_days(const ap_mon_sums_t *s) {
    if (s->duration_known <= 0) return -1;
    return (s->duration_days_sum * 2 / s->duration_known + 1) / 2;
}

int64_t ap_monitoring_exits_m5(const ap_mon_sums_t *s) {
    return s->exits[AP_END_ORDINARY_WORK] + s->exits[AP_END_EDUCATION] + s->exits[AP_END_FLEXJOB];
}

int64_t ap_monitoring_exits_m6(const ap_mon_sums_t *s) { return s->exits[AP_END_OTHER_BENEFIT]; }

int64_t ap_monitoring_exemption_citizens(const ap_mon_sums_t *s) {
    int64_t n = 0;
    for (int k = 0; k < AP_EXEMPT_COUNT; k++) n += s->exemption_citizens[k];
    return n;
}

int64_t ap_monitoring_offer_citizens(const ap_mon_sums_t *s) {
    int64_t n = 0;
    for (int k = 0; k < AP_MON_OFFER_KINDS; k++) n += s->offer_citizens[k];
    return n;
}
