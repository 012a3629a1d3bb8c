/* report.c - compliance results counted per municipality and month, and the
 * HTML page that shows them. See report.h. */
#include "arbejdspligt/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/json.h"

/* One citizen-week: the figures of its latest result revision. The citizen
 * id is the key only; it is never written to the page. */
typedef struct week {
    char citizen[AP_ID_CAP];
    int32_t monday;
    char muni[AP_MUNI_CAP];
    int has_result;
    int32_t result_rev;  /* revision of the result held */
    int32_t max_rev;     /* highest revision seen, of a result or an alert */
    int32_t status, required, credited, shortfall, offered, cause;
    int final, partly_exempt;
    char rule_version[AP_RULE_VERSION_CAP];
    char engine_version[AP_ENGINE_VERSION_CAP];
} week_t;

/* One alert: only what is counted (never its detail text). */
typedef struct alert {
    size_t week;       /* index into weeks */
    int32_t revision;
    int32_t code, audience;
} alert_t;

/* Open addressing from a string key to an index. */
typedef struct strmap {
    char **keys;
    size_t *vals;
    size_t cap, n;
} strmap_t;

struct ap_report {
    week_t *weeks;
    size_t n_weeks, cap_weeks;
    alert_t *alerts;
    size_t n_alerts, cap_alerts;
    strmap_t week_index;   /* "citizen|monday" -> weeks[] */
    strmap_t alert_ids;    /* event_id -> alerts[] */
    ap_report_counts_t counts;
    /* Aggregation, rebuilt when dirty. */
    int dirty;
    ap_report_cell_t *cells;
    size_t n_cells;
    int64_t alerts_superseded;
    ap_monitoring_fold_t *monitoring; /* borrowed; NULL: no monitoring records given */
};

void ap_report_set_monitoring(ap_report_t *r, ap_monitoring_fold_t *fold) { r->monitoring = fold; }

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) abort(); /* as buf.h: no progress without memory */
    return q;
}

static uint64_t fnv(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static size_t *map_slot(strmap_t *m, const char *key, char ***kslot) {
    size_t i = (size_t)(fnv(key) & (m->cap - 1));
    while (m->keys[i] && strcmp(m->keys[i], key) != 0) i = (i + 1) & (m->cap - 1);
    *kslot = &m->keys[i];
    return &m->vals[i];
}

/* @return the index stored under key, or SIZE_MAX. */
static size_t map_get(strmap_t *m, const char *key) {
    if (!m->cap) return SIZE_MAX;
    char **k;
    size_t *v = map_slot(m, key, &k);
    return *k ? *v : SIZE_MAX;
}

static void map_put(strmap_t *m, const char *key, size_t val) {
    if ((m->n + 1) * 2 > m->cap) {
        strmap_t big = {NULL, NULL, m->cap ? m->cap * 2 : 256, 0};
        big.keys = xrealloc(NULL, big.cap * sizeof *big.keys);
        big.vals = xrealloc(NULL, big.cap * sizeof *big.vals);
        memset(big.keys, 0, big.cap * sizeof *big.keys);
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i]) continue;
            char **k;
            size_t *v = map_slot(&big, m->keys[i], &k);
            *k = m->keys[i];
            *v = m->vals[i];
            big.n++;
        }
        free(m->keys);
        free(m->vals);
        *m = big;
    }
    char **k;
    size_t *v = map_slot(m, key, &k);
    if (!*k) {
        size_t len = strlen(key) + 1;
        *k = xrealloc(NULL, len);
        memcpy(*k, key, len);
        m->n++;
    }
    *v = val;
}

static void map_free(strmap_t *m) {
    for (size_t i = 0; i < m->cap; i++) free(m->keys[i]);
    free(m->keys);
    free(m->vals);
}

ap_report_t *ap_report_create(void) {
    ap_report_t *r = xrealloc(NULL, sizeof *r);
    memset(r, 0, sizeof *r);
    return r;
}

void ap_report_destroy(ap_report_t *r) {
    if (!r) return;
    free(r->weeks);
    free(r->alerts);
    free(r->cells);
    map_free(&r->week_index);
    map_free(&r->alert_ids);
    free(r);
}

const char *ap_report_outcome_name(ap_report_outcome_t o) {
    static const char *const names[] = {"added", "replaced", "superseded", "duplicate", "ignored", "invalid"};
    return (unsigned)o < sizeof names / sizeof *names ? names[o] : "?";
}

/* The week of (citizen, monday), created if new (*created set). */
static week_t *week_for(ap_report_t *r, const char *citizen, int32_t monday, const char *muni, int *created) {
    char key[AP_ID_CAP + 16];
    snprintf(key, sizeof key, "%s|%" PRId32, citizen, monday);
    size_t i = map_get(&r->week_index, key);
    *created = i == SIZE_MAX;
    if (*created) {
        if (r->n_weeks == r->cap_weeks) {
            r->cap_weeks = r->cap_weeks ? r->cap_weeks * 2 : 256;
            r->weeks = xrealloc(r->weeks, r->cap_weeks * sizeof *r->weeks);
        }
        i = r->n_weeks++;
        week_t *w = &r->weeks[i];
        memset(w, 0, sizeof *w);
        snprintf(w->citizen, sizeof w->citizen, "%s", citizen);
        w->monday = monday;
        snprintf(w->muni, sizeof w->muni, "%s", muni);
        w->result_rev = w->max_rev = INT32_MIN;
        map_put(&r->week_index, key, i);
    }
    return &r->weeks[i];
}

/* The report spans the months between the first and the last week it holds,
 * so one absurd date would make millions of empty months: weeks outside the
 * years 2000-2099 are refused. */
static int week_in_range(int32_t monday) {
    return monday >= ap_cal_days_from_civil(2000, 1, 1) && monday < ap_cal_days_from_civil(2100, 1, 1);
}

ap_report_outcome_t ap_report_add_result(ap_report_t *r, const ap_result_t *res) {
    if (!week_in_range(res->week_start)) return AP_REPORT_INVALID;
    int created;
    r->counts.results++;
    r->dirty = 1;
    week_t *w = week_for(r, res->citizen_id, res->week_start, res->municipality_code, &created);
    ap_report_outcome_t o = !w->has_result ? AP_REPORT_ADDED
                            : res->revision > w->result_rev ? AP_REPORT_REPLACED
                            : res->revision == w->result_rev ? AP_REPORT_DUPLICATE : AP_REPORT_SUPERSEDED;
    /* A later revision replaces an earlier one (ComplianceResult's doc): the
     * older one is counted as superseded, whichever came first. */
    if (o == AP_REPORT_DUPLICATE) { r->counts.duplicates++; return o; }
    if (o != AP_REPORT_ADDED) r->counts.superseded++;
    if (o == AP_REPORT_SUPERSEDED) return o;
    w->has_result = 1;
    w->result_rev = res->revision;
    if (res->revision > w->max_rev) w->max_rev = res->revision;
    snprintf(w->muni, sizeof w->muni, "%s", res->municipality_code);
    w->status = res->status;
    w->required = res->required_minutes;
    w->credited = res->credited_minutes;
    w->shortfall = res->shortfall_minutes;
    w->offered = res->offered_minutes;
    w->cause = res->shortfall_cause;
    w->final = res->final;
    w->partly_exempt = 0;
    for (uint32_t i = 0; i < res->n_adjustments && i < AP_MAX_ADJUSTMENTS; i++)
        if (res->adjustments[i].kind == AP_ADJ_EXEMPTION) w->partly_exempt = 1;
    snprintf(w->rule_version, sizeof w->rule_version, "%s", res->rule_version);
    snprintf(w->engine_version, sizeof w->engine_version, "%s", res->engine_version);
    return o;
}

ap_report_outcome_t ap_report_add_alert(ap_report_t *r, const ap_alert_t *al) {
    if (!week_in_range(al->week_start)) return AP_REPORT_INVALID;
    int created;
    r->counts.alerts++;
    r->dirty = 1;
    /* Alert ids are derived (version-5 UUIDs of citizen, week, revision,
     * position and code), so the same alert read twice has the same id. */
    if (map_get(&r->alert_ids, al->event_id) != SIZE_MAX) { r->counts.duplicates++; return AP_REPORT_DUPLICATE; }
    size_t wi;
    {
        week_t *w = week_for(r, al->citizen_id, al->week_start, al->municipality_code, &created);
        wi = (size_t)(w - r->weeks);
        if (al->revision > w->max_rev) w->max_rev = al->revision;
    }
    if (r->n_alerts == r->cap_alerts) {
        r->cap_alerts = r->cap_alerts ? r->cap_alerts * 2 : 256;
        r->alerts = xrealloc(r->alerts, r->cap_alerts * sizeof *r->alerts);
    }
    alert_t *a = &r->alerts[r->n_alerts];
    a->week = wi;
    a->revision = al->revision;
    a->code = al->code;
    a->audience = al->audience;
    map_put(&r->alert_ids, al->event_id, r->n_alerts++);
    /* Whether it is of the latest revision is decided when counting: a newer
     * revision may still come. */
    return AP_REPORT_ADDED;
}

ap_report_outcome_t ap_report_add_json(ap_report_t *r, const char *line, size_t len, char *err, size_t errlen) {
    static const char *const ignore[] = {"schema", "inputs", NULL};
    ap_json_doc_t doc = AP_JSON_DOC_INIT;
    ap_event_t *ev = NULL;
    ap_report_outcome_t o = AP_REPORT_INVALID;
    if (err && errlen) err[0] = '\0';
    if (ap_json_parse(&doc, line, len)) {
        snprintf(err, errlen, "not JSON: %s", doc.err);
        goto cleanup;
    }
    const ap_json_node_t *root = &doc.nodes[0], *sn;
    if (root->type != AP_JSON_OBJECT || !(sn = ap_json_member(&doc, root, "schema")) || sn->type != AP_JSON_STRING) {
        snprintf(err, errlen, "not a record: no \"schema\" member");
        goto cleanup;
    }
    ap_event_type_t t = ap_events_type_by_name(sn->str, sn->len);
    if (t != AP_EV_RESULT && t != AP_EV_ALERT) {
        o = AP_REPORT_IGNORED;
        goto cleanup;
    }
    ev = xrealloc(NULL, sizeof *ev); /* a result is large: not on the stack */
    ap_codec_error_t cerr;
    if (ap_codec_from_json(ap_events_desc(t), &doc, root, ignore, &ev->u, &cerr) != AP_CODEC_OK) {
        snprintf(err, errlen, "%s", cerr.msg);
        goto cleanup;
    }
    if (!week_in_range(t == AP_EV_RESULT ? ev->u.result.week_start : ev->u.alert.week_start)) {
        snprintf(err, errlen, "week_start outside the years 2000-2099");
        goto cleanup;
    }
    o = t == AP_EV_RESULT ? ap_report_add_result(r, &ev->u.result) : ap_report_add_alert(r, &ev->u.alert);
cleanup:
    if (o == AP_REPORT_INVALID) r->counts.invalid++;
    if (o == AP_REPORT_IGNORED) r->counts.ignored++;
    free(ev);
    ap_json_doc_free(&doc);
    return o;
}

/* ---------------------------------------------------------- aggregation */

/* The month a week belongs to: its Thursday's (ISO 8601: the week's year
 * is its Thursday's year; the same rule gives it one month). */
static void week_month(int32_t monday, int *year, int *month) {
    int d;
    ap_cal_civil_from_days(monday + 3, year, month, &d);
}

typedef struct item {
    const week_t *w;
    int year, month;
} item_t;

static int cmp_item(const void *a, const void *b) {
    const item_t *x = a, *y = b;
    int c = strcmp(x->w->muni, y->w->muni);
    if (c) return c;
    if (x->year != y->year) return x->year < y->year ? -1 : 1;
    if (x->month != y->month) return x->month < y->month ? -1 : 1;
    return strcmp(x->w->citizen, y->w->citizen);
}

static int cmp_cell(const ap_report_cell_t *c, const char *muni, int year, int month) {
    int k = strcmp(c->municipality_code, muni);
    if (k) return k;
    if (c->year != year) return c->year < year ? -1 : 1;
    return c->month < month ? -1 : c->month > month;
}

static ap_report_cell_t *find_cell(ap_report_t *r, const char *muni, int year, int month) {
    size_t lo = 0, hi = r->n_cells;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_cell(&r->cells[mid], muni, year, month);
        if (c == 0) return &r->cells[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static int covered(int32_t status) {
    return status == AP_STATUS_COMPLIANT || status == AP_STATUS_NOT_COMPLIANT || status == AP_STATUS_EXEMPT;
}

/* README Alerts: without an audience (records before v3) the code decides. */
static int job_centre_alert(const alert_t *a) {
    if (a->audience >= 0) return a->audience == AP_AUDIENCE_JOB_CENTRE;
    return a->code == AP_ALERT_OFFER_GAP || a->code == AP_ALERT_PLAN_GAP || a->code == AP_ALERT_PLACEMENT_ENDING;
}

static void count_week(ap_report_cell_t *c, const week_t *w) {
    if (!w->has_result) return;
    if (!w->final) c->weeks_provisional++;
    switch (w->status) {
    case AP_STATUS_EXEMPT: c->weeks_exempt++; return;
    case AP_STATUS_NOT_COVERED: c->weeks_not_covered++; return;
    case AP_STATUS_COMPLIANT: c->weeks_met++; break;
    case AP_STATUS_NOT_COMPLIANT:
        c->weeks_short++;
        switch (w->cause) {
        case AP_CAUSE_OFFER_GAP: c->offer_gap++; break;
        case AP_CAUSE_ATTENDANCE_GAP: c->attendance_gap++; break;
        case AP_CAUSE_OFFER_AND_ATTENDANCE_GAP: c->offer_and_attendance_gap++; break;
        default: c->cause_unknown++; break; /* null (before v2); NONE never goes with a shortfall */
        }
        break;
    default: return;
    }
    c->weeks_owed++;
    if (w->partly_exempt) c->weeks_partly_exempt++;
    c->required_minutes += w->required;
    c->credited_minutes += w->credited;
    c->shortfall_minutes += w->shortfall;
    if (w->offered == INT32_MIN) c->offered_unknown++;
    else c->offered_minutes += w->offered;
}

static void aggregate(ap_report_t *r) {
    if (!r->dirty && (r->cells || !r->n_weeks)) return;
    free(r->cells);
    r->cells = NULL;
    r->n_cells = 0;
    r->alerts_superseded = 0;
    item_t *items = xrealloc(NULL, r->n_weeks * sizeof *items);
    for (size_t i = 0; i < r->n_weeks; i++) {
        items[i].w = &r->weeks[i];
        week_month(r->weeks[i].monday, &items[i].year, &items[i].month);
    }
    qsort(items, r->n_weeks, sizeof *items, cmp_item);
    r->cells = xrealloc(NULL, (r->n_weeks ? r->n_weeks : 1) * sizeof *r->cells);
    for (size_t i = 0; i < r->n_weeks;) {
        ap_report_cell_t *c = &r->cells[r->n_cells++];
        memset(c, 0, sizeof *c);
        snprintf(c->municipality_code, sizeof c->municipality_code, "%s", items[i].w->muni);
        c->year = items[i].year;
        c->month = items[i].month;
        /* The cell's weeks, grouped by citizen: a citizen is covered in the
         * month if any of its weeks there is. */
        while (i < r->n_weeks && cmp_cell(c, items[i].w->muni, items[i].year, items[i].month) == 0) {
            size_t j = i;
            int any = 0;
            for (; j < r->n_weeks && cmp_item(&items[i], &items[j]) == 0; j++) {
                count_week(c, items[j].w);
                any |= items[j].w->has_result && covered(items[j].w->status);
            }
            c->citizens_covered += any;
            i = j;
        }
    }
    for (size_t i = 0; i < r->n_alerts; i++) {
        const alert_t *a = &r->alerts[i];
        const week_t *w = &r->weeks[a->week];
        /* Only the alerts emitted with the week's latest revision. */
        if (a->revision != w->max_rev) { r->alerts_superseded++; continue; }
        int y, m;
        week_month(w->monday, &y, &m);
        ap_report_cell_t *c = find_cell(r, w->muni, y, m);
        if (!c) continue; /* cannot happen: every week has its cell */
        c->alerts++;
        if (job_centre_alert(a)) c->alerts_job_centre++;
        else c->alerts_case++;
        if (a->code >= 0 && a->code < AP_REPORT_ALERT_CODES) c->alerts_by_code[a->code]++;
    }
    free(items);
    r->dirty = 0;
}

size_t ap_report_cells(ap_report_t *r, const ap_report_cell_t **cells) {
    aggregate(r);
    *cells = r->n_cells ? r->cells : NULL;
    return r->n_cells;
}

ap_report_counts_t ap_report_counts(ap_report_t *r) {
    aggregate(r);
    ap_report_counts_t c = r->counts;
    c.superseded += r->alerts_superseded;
    c.citizen_weeks = 0; /* weeks with a result: an alert may name a week without one (a plan for the next) */
    for (size_t i = 0; i < r->n_weeks; i++) c.citizen_weeks += r->weeks[i].has_result;
    return c;
}

/* ------------------------------------------------------------- rendering */

void ap_report_html_escape(ap_buf_t *out, const char *s, size_t len) {
    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case '&': ap_buf_append_str(out, "&amp;"); break;
        case '<': ap_buf_append_str(out, "&lt;"); break;
        case '>': ap_buf_append_str(out, "&gt;"); break;
        case '"': ap_buf_append_str(out, "&quot;"); break;
        case '\'': ap_buf_append_str(out, "&#39;"); break;
        default: ap_buf_append_byte(out, (uint8_t)s[i]); break;
        }
    }
}

static void esc(ap_buf_t *out, const char *s) { ap_report_html_escape(out, s, strlen(s)); }

/* Minutes as hours and minutes, "37:00" (as the demo's table). */
static void hm(ap_buf_t *out, int64_t minutes) {
    if (minutes < 0) { ap_buf_append_byte(out, '-'); minutes = -minutes; }
    ap_buf_appendf(out, "%" PRId64 ":%02d", minutes / 60, (int)(minutes % 60));
}

/* part / whole as a percentage with one decimal, "66.7 %"; "–" when whole is 0. */
static void percent(ap_buf_t *out, int64_t part, int64_t whole) {
    if (whole <= 0) { ap_buf_append_str(out, "&ndash;"); return; }
    int64_t pm = (part * 2000 / whole + 1) / 2; /* per mille, rounded half up */
    ap_buf_appendf(out, "%" PRId64 ".%" PRId64 "&nbsp;%%", pm / 10, pm % 10);
}

/* A chart series: the cell field it shows, its name and colour. */
typedef struct series {
    const char *key;    /* data-series attribute and CSS class */
    const char *label;  /* legend text */
    const char *colour;
    size_t field;       /* offsetof an int64_t in ap_report_cell_t */
} series_t;

#define F(name) offsetof(ap_report_cell_t, name)
#define NS(a) (sizeof(a) / sizeof *(a))

static int64_t value(const ap_report_cell_t *c, size_t field) {
    return c ? *(const int64_t *)(const void *)((const char *)c + field) : 0;
}

/* A round upper bound for an axis: 1, 2 or 5 times a power of ten. */
static int64_t nice_max(int64_t v) {
    if (v <= 0) return 1;
    int64_t p = 1;
    while (p * 10 <= v) p *= 10;
    if (v <= p) return p;
    if (v <= 2 * p) return 2 * p;
    if (v <= 5 * p) return 5 * p;
    return 10 * p;
}

/* Months of the page: every month from the first to the last with data, so
 * every municipality's charts share one axis. */
typedef struct month_range {
    int first_y, first_m;
    size_t n;
} month_range_t;

static void nth_month(const month_range_t *mr, size_t i, int *y, int *m) {
    int k = mr->first_m - 1 + (int)i;
    *y = mr->first_y + k / 12;
    *m = k % 12 + 1;
}

/* The municipality's cell of month i of the range, or NULL (all zero). */
static const ap_report_cell_t *cell_at(const ap_report_cell_t *cells, size_t n, int y, int m) {
    for (size_t i = 0; i < n; i++)
        if (cells[i].year == y && cells[i].month == m) return &cells[i];
    return NULL;
}

enum { CHART_H = 160, CHART_TOP = 28, CHART_LEFT = 44, CHART_BOTTOM = 40 };

/*
 * One bar chart as inline SVG: per month one group of bars (grouped) or one
 * stacked bar. Each bar is a <rect class="bar" data-series data-month
 * data-value> with a <title> (a tooltip without script), each group has its
 * value printed above it, so the figures are readable without hovering.
 */
static void render_chart(ap_buf_t *out, const char *muni, const char *id, const char *title,
                         const ap_report_cell_t *cells, size_t n, const month_range_t *mr, const series_t *s,
                         size_t ns, int stacked) {
    size_t bars = stacked ? 1 : ns;
    /* A month's group is at least as wide as its label ("2026-01"). */
    int bar_w = 16, group_w = (int)bars * bar_w + 14 < 56 ? 56 : (int)bars * bar_w + 14;
    int gap = group_w - (int)bars * bar_w;
    int plot_w = (int)mr->n * group_w;
    int legend_w = 0;
    for (size_t k = 0; k < ns; k++) legend_w += 24 + 7 * (int)strlen(s[k].label);
    int w = CHART_LEFT + (plot_w > legend_w ? plot_w : legend_w) + 16;
    if (w < 300) w = 300;
    int h = CHART_TOP + CHART_H + CHART_BOTTOM + 22;
    int64_t max = 0;
    for (size_t i = 0; i < mr->n; i++) {
        int y, m;
        nth_month(mr, i, &y, &m);
        const ap_report_cell_t *c = cell_at(cells, n, y, m);
        int64_t sum = 0;
        for (size_t k = 0; k < ns; k++) {
            int64_t v = value(c, s[k].field);
            if (stacked) sum += v;
            else if (v > max) max = v;
        }
        if (stacked && sum > max) max = sum;
    }
    int64_t top = nice_max(max);
    ap_buf_appendf(out, "<figure class=\"chart\"><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
                        "class=\"chart\" id=\"%s-", id);
    esc(out, muni);
    ap_buf_appendf(out, "\" data-chart=\"%s\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                        "aria-labelledby=\"t-%s-", id, w, h, w, h, id);
    esc(out, muni);
    ap_buf_appendf(out, "\"><title id=\"t-%s-", id);
    esc(out, muni);
    ap_buf_append_str(out, "\">");
    esc(out, title);
    ap_buf_append_str(out, ", municipality ");
    esc(out, muni);
    ap_buf_append_str(out, "</title>\n");
    ap_buf_appendf(out, "<text class=\"chart-title\" x=\"%d\" y=\"16\">", CHART_LEFT);
    esc(out, title);
    ap_buf_append_str(out, "</text>\n");
    /* Axis: gridlines at 0, half and the top. */
    int base = CHART_TOP + CHART_H;
    for (int g = 0; g <= 2; g++) {
        if (g == 1 && top % 2) continue; /* no half line where half is not a whole count */
        int y = base - CHART_H * g / 2;
        ap_buf_appendf(out, "<line class=\"grid\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
                            "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%" PRId64 "</text>\n",
                       CHART_LEFT, y, CHART_LEFT + plot_w, y, CHART_LEFT - 6, y + 4, top * g / 2);
    }
    size_t label_every = mr->n > 24 ? (mr->n + 11) / 12 : 1;
    for (size_t i = 0; i < mr->n; i++) {
        int y, m;
        nth_month(mr, i, &y, &m);
        char month[16];
        snprintf(month, sizeof month, "%04d-%02d", y % 10000, m);
        const ap_report_cell_t *c = cell_at(cells, n, y, m);
        int x0 = CHART_LEFT + (int)i * group_w + gap / 2;
        int64_t acc = 0;
        for (size_t k = 0; k < ns; k++) {
            int64_t v = value(c, s[k].field);
            int bh = (int)(v * CHART_H / top);
            int x = stacked ? x0 : x0 + (int)k * bar_w;
            int y0 = stacked ? base - (int)((acc + v) * CHART_H / top) : base - bh;
            if (stacked) bh = (int)((acc + v) * CHART_H / top) - (int)(acc * CHART_H / top);
            ap_buf_appendf(out, "<rect class=\"bar %s\" data-series=\"%s\" data-month=\"%s\" data-value=\"%" PRId64
                                "\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s %s: %" PRId64
                                "</title></rect>",
                           s[k].key, s[k].key, month, v, x, y0, bar_w - 2, bh, s[k].colour, month, s[k].label, v);
            if (!stacked)
                ap_buf_appendf(out, "<text class=\"value\" data-series=\"%s\" data-month=\"%s\" x=\"%d\" y=\"%d\" "
                                    "text-anchor=\"middle\">%" PRId64 "</text>",
                               s[k].key, month, x + (bar_w - 2) / 2, y0 - 3, v);
            acc += v;
        }
        if (stacked)
            ap_buf_appendf(out, "<text class=\"value\" data-series=\"total\" data-month=\"%s\" x=\"%d\" y=\"%d\" "
                                "text-anchor=\"middle\">%" PRId64 "</text>",
                           month, x0 + (bar_w - 2) / 2, base - (int)(acc * CHART_H / top) - 3, acc);
        if (i % label_every == 0)
            ap_buf_appendf(out, "<text class=\"month\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>",
                           x0 + ((int)bars * bar_w - 2) / 2, base + 14, month);
        ap_buf_append_byte(out, '\n');
    }
    /* Legend. */
    int lx = CHART_LEFT, ly = base + 30;
    for (size_t k = 0; k < ns; k++) {
        ap_buf_appendf(out, "<rect class=\"swatch\" x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                            "<text class=\"legend\" x=\"%d\" y=\"%d\">%s</text>",
                       lx, ly, s[k].colour, lx + 14, ly + 9, s[k].label);
        lx += 24 + 7 * (int)strlen(s[k].label);
    }
    ap_buf_append_str(out, "\n</svg></figure>\n");
}

static const series_t covered_series[] = {
    {"citizens_covered", "citizens covered", "#4e79a7", F(citizens_covered)},
};
static const series_t owed_series[] = {
    {"weeks_owed", "weeks owed", "#9c9c9c", F(weeks_owed)},
    {"weeks_met", "weeks met", "#59a14f", F(weeks_met)},
};
static const series_t gap_series[] = {
    {"offer_gap", "offer gap", "#e15759", F(offer_gap)},
    {"attendance_gap", "attendance gap", "#f28e2b", F(attendance_gap)},
    {"offer_and_attendance_gap", "both", "#b07aa1", F(offer_and_attendance_gap)},
    {"cause_unknown", "cause not recorded", "#bab0ac", F(cause_unknown)},
};
static const series_t exempt_series[] = {
    {"weeks_exempt", "exempt weeks", "#76b7b2", F(weeks_exempt)},
    {"weeks_partly_exempt", "partly exempt", "#edc948", F(weeks_partly_exempt)},
};

/* The table's columns: heading, cell field, how to print it. */
typedef enum { COL_COUNT, COL_HOURS, COL_OFFERED, COL_SHARE } col_kind_t;
typedef struct column {
    const char *key, *heading;
    col_kind_t kind;
    size_t field, whole; /* COL_SHARE: field / whole */
} column_t;

static const column_t columns[] = {
    {"citizens_covered", "citizens covered", COL_COUNT, F(citizens_covered), 0},
    {"weeks_owed", "weeks owed", COL_COUNT, F(weeks_owed), 0},
    {"weeks_met", "weeks met", COL_COUNT, F(weeks_met), 0},
    {"share_met", "share met", COL_SHARE, F(weeks_met), F(weeks_owed)},
    {"weeks_short", "weeks short", COL_COUNT, F(weeks_short), 0},
    {"offer_gap", "offer gap", COL_COUNT, F(offer_gap), 0},
    {"attendance_gap", "attendance gap", COL_COUNT, F(attendance_gap), 0},
    {"offer_and_attendance_gap", "both gaps", COL_COUNT, F(offer_and_attendance_gap), 0},
    {"cause_unknown", "cause not recorded", COL_COUNT, F(cause_unknown), 0},
    {"weeks_exempt", "exempt weeks", COL_COUNT, F(weeks_exempt), 0},
    {"weeks_partly_exempt", "partly exempt", COL_COUNT, F(weeks_partly_exempt), 0},
    {"required_minutes", "hours required", COL_HOURS, F(required_minutes), 0},
    {"offered_minutes", "hours offered", COL_OFFERED, F(offered_minutes), F(offered_unknown)},
    {"credited_minutes", "hours credited", COL_HOURS, F(credited_minutes), 0},
    {"alerts_job_centre", "alerts (job centre)", COL_COUNT, F(alerts_job_centre), 0},
    {"alerts_case", "alerts (case)", COL_COUNT, F(alerts_case), 0},
    {"weeks_not_covered", "not covered", COL_COUNT, F(weeks_not_covered), 0},
    {"weeks_provisional", "provisional", COL_COUNT, F(weeks_provisional), 0},
};

static void render_row(ap_buf_t *out, const ap_report_cell_t *c, const char *label) {
    ap_buf_append_str(out, "<tr><th scope=\"row\">");
    esc(out, label);
    ap_buf_append_str(out, "</th>");
    for (size_t k = 0; k < NS(columns); k++) {
        const column_t *col = &columns[k];
        ap_buf_appendf(out, "<td data-field=\"%s\">", col->key);
        if (col->kind == COL_COUNT) ap_buf_appendf(out, "%" PRId64, value(c, col->field));
        else if (col->kind == COL_HOURS) hm(out, value(c, col->field));
        else if (col->kind == COL_OFFERED) {
            /* Results written before v2 carry no offer: say so, never 0:00. */
            int64_t unknown = value(c, col->whole), owed = value(c, F(weeks_owed));
            if (owed > 0 && unknown == owed) ap_buf_append_str(out, "not recorded");
            else {
                hm(out, value(c, col->field));
                if (unknown) ap_buf_appendf(out, " (%" PRId64 " weeks not recorded)", unknown);
            }
        }
        else percent(out, value(c, col->field), value(c, col->whole));
        ap_buf_append_str(out, "</td>");
    }
    ap_buf_append_str(out, "</tr>\n");
}

static void render_table_head(ap_buf_t *out, const char *first) {
    ap_buf_appendf(out, "<thead><tr><th scope=\"col\">%s</th>", first);
    for (size_t k = 0; k < NS(columns); k++) ap_buf_appendf(out, "<th scope=\"col\">%s</th>", columns[k].heading);
    ap_buf_append_str(out, "</tr></thead>\n");
}

static void add_cell(ap_report_cell_t *sum, const ap_report_cell_t *c) {
    for (size_t k = 0; k < NS(columns); k++) {
        if (columns[k].kind == COL_SHARE) continue;
        *(int64_t *)(void *)((char *)sum + columns[k].field) += value(c, columns[k].field);
    }
    sum->offered_unknown += c->offered_unknown;
}

/* part/whole in per mille as "66.7&nbsp;%", "&ndash;" when whole is 0 (the
 * readers' shared rounding, monitoring_fold.h). */
static void share_pm(ap_buf_t *out, int64_t part, int64_t whole) {
    int32_t pm = ap_monitoring_share_pm(part, whole);
    if (pm < 0) ap_buf_append_str(out, "&ndash;");
    else ap_buf_appendf(out, "%d.%d&nbsp;%%", (int)(pm / 10), (int)(pm % 10));
}

/* The monitoring table's columns after the month. */
static const char *const mon_headings[] = {
    "M1 covered", "covered at month end", "M2 with activity", "share", "with paid hours", "M3 exemptions (by kind)",
    "exempt all month", "M4 offers (by type)", "M5 exits: work", "education", "flexjob", "M6 exits: other benefits",
    "M7 mean days on support", "M8 sanctions", "weeks owed", "met", "offer gap (incl. both)", "attendance gap",
    "exempt", "share met"};
#define MON_COLS (sizeof mon_headings / sizeof *mon_headings)

/* One month of the monitoring table: the measures of a complete month, or
 * what makes it incomplete (never a smaller total). */
static void render_monitoring_row(ap_buf_t *out, ap_monitoring_fold_t *fold, const char *muni, int y, int m) {
    ap_mon_sums_t s;
    ap_mon_fold_status_t st;
    int complete = ap_monitoring_fold_total(fold, muni, y, m, &s, &st) == 0;
    ap_buf_appendf(out, "<tr data-month=\"%04d-%02d\" data-complete=\"%s\"><th scope=\"row\">%04d-%02d</th>", y, m,
                   complete ? "true" : "false", y, m);
    if (!complete) {
        ap_buf_appendf(out, "<td class=\"incomplete\" colspan=\"%zu\">", MON_COLS);
        if (st.state == AP_MON_TOTAL_INCOMPLETE)
            ap_buf_appendf(out, "incomplete (%d of %d lanes%s", (int)st.lanes_present, (int)st.partition_count,
                           st.partials_missing ? ", partials missing)" : ")");
        else ap_buf_appendf(out, "not totalled: %s", ap_monitoring_fold_state_name(st.state));
        ap_buf_append_str(out, "</td></tr>\n");
        return;
    }
    int64_t mean = ap_monitoring_mean_days(&s);
    int64_t v[MON_COLS] = {s.covered_citizens, s.covered_on_last_day, s.with_activity, 0, s.with_paid_hours,
                           ap_monitoring_exemption_citizens(&s), s.exempt_all_month, ap_monitoring_offer_citizens(&s),
                           s.exits[AP_END_ORDINARY_WORK], s.exits[AP_END_EDUCATION], s.exits[AP_END_FLEXJOB],
                           ap_monitoring_exits_m6(&s), mean, s.sanctions, s.weeks_owed, s.weeks_met,
                           s.weeks_offer_gap + s.weeks_offer_and_attendance_gap, s.weeks_attendance_gap,
                           s.weeks_exempt, 0};
    static const char *const keys[MON_COLS] = {
        "covered_citizens", "covered_on_last_day", "with_activity", "share_with_activity", "with_paid_hours",
        "exemptions", "exempt_all_month", "offers", "exits_work", "exits_education", "exits_flexjob",
        "exits_other_benefit", "mean_duration_days", "sanctions", "weeks_owed", "weeks_met", "weeks_offer_gap",
        "weeks_attendance_gap", "weeks_exempt", "share_weeks_met"};
    for (size_t c = 0; c < MON_COLS; c++) {
        ap_buf_appendf(out, "<td data-field=\"%s\">", keys[c]);
        if (c == 3) share_pm(out, s.with_activity, s.covered_citizens);
        else if (c == MON_COLS - 1) share_pm(out, s.weeks_met, s.weeks_owed);
        else if (c == 12 && mean < 0) ap_buf_append_str(out, "&ndash;");
        else ap_buf_appendf(out, "%" PRId64, v[c]);
        ap_buf_append_str(out, "</td>");
    }
    ap_buf_append_str(out, "</tr>\n");
}

/* The monitoring part of a municipality's section: per month the fold holds
 * a record of it (a partial, or a manifest entry), STAR's measures and the
 * weekly figures by the municipality of residence on the month's last day. */
static void render_monitoring(ap_buf_t *out, ap_report_t *r, const char *muni) {
    ap_buf_append_str(out, "<div class=\"monitoring\" data-part=\"monitoring\"><h3>Monthly monitoring measures</h3>");
    if (!r->monitoring) {
        ap_buf_append_str(out, "<p>No monitoring records given: STAR's monthly measures (ap.monitoring, issue 16) "
                               "appear here when the report is given them (<code>apctl report --monitoring "
                               "FILE</code>).</p></div>\n");
        return;
    }
    const int32_t *months;
    size_t nm = ap_monitoring_fold_months(r->monitoring, &months);
    /* Copied: the listings belong to the fold and the next one reuses them. */
    int32_t *mine = malloc((nm ? nm : 1) * sizeof *mine);
    int32_t *all = malloc((nm ? nm : 1) * sizeof *all);
    if (!mine || !all) abort();
    memcpy(all, months, nm * sizeof *all);
    size_t n = 0;
    for (size_t i = 0; i < nm; i++) {
        const char *const *codes;
        size_t nc = ap_monitoring_fold_municipalities(r->monitoring, all[i], all[i], &codes);
        for (size_t k = 0; k < nc; k++)
            if (strcmp(codes[k], muni) == 0) { mine[n++] = all[i]; break; }
    }
    if (!n) ap_buf_append_str(out, "<p>No monitoring records of this municipality.</p>");
    else {
        ap_buf_append_str(out, "<div class=\"table-wrap\"><table class=\"monitoring\" data-municipality=\"");
        esc(out, muni);
        ap_buf_append_str(out, "\"><caption>Municipality ");
        esc(out, muni);
        ap_buf_append_str(out, ", STAR's measures per calendar month (municipality of residence on the month's last "
                               "day) and the weekly figures (weeks by their Thursday)</caption><thead><tr>"
                               "<th scope=\"col\">month</th>");
        for (size_t c = 0; c < MON_COLS; c++) ap_buf_appendf(out, "<th scope=\"col\">%s</th>", mon_headings[c]);
        ap_buf_append_str(out, "</tr></thead><tbody>\n");
        for (size_t i = 0; i < n; i++) render_monitoring_row(out, r->monitoring, muni, mine[i] / 100, mine[i] % 100);
        ap_buf_append_str(out, "</tbody></table></div>");
    }
    ap_buf_append_str(out, "</div>\n");
    free(mine);
    free(all);
}

/* Opens a municipality's section (id, data attribute and heading). */
static void section_open(ap_buf_t *out, const char *muni) {
    ap_buf_append_str(out, "<section class=\"municipality\" id=\"municipality-");
    esc(out, muni);
    ap_buf_append_str(out, "\" data-municipality=\"");
    esc(out, muni);
    ap_buf_append_str(out, "\">\n<h2>Municipality ");
    esc(out, muni);
    ap_buf_append_str(out, "</h2>\n");
}

static const char style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:24px;color:#222;"
    "max-width:1400px}"
    "h1{font-size:1.5em}h2{margin-top:2em;border-bottom:1px solid #ccc}h3{font-size:1.05em}"
    "table{border-collapse:collapse;font-size:.8em;margin:8px 0}.table-wrap{overflow-x:auto}"
    "th,td{border:1px solid #ddd;padding:3px 6px;text-align:right}th{background:#f3f3f3}tbody th{white-space:nowrap}"
    "tbody th{text-align:left}tfoot td,tfoot th{font-weight:bold}"
    ".charts{display:flex;flex-wrap:wrap;gap:12px}figure.chart{margin:0}"
    "svg.chart{background:#fafafa;border:1px solid #e5e5e5}"
    "svg .grid{stroke:#ddd}svg text{font-size:11px;fill:#333}svg .chart-title{font-size:13px;font-weight:bold}"
    "svg .value{font-size:10px}svg .axis,svg .month{fill:#666}"
    ".note,.monitoring p{color:#555;font-size:.9em}dl.definitions dt{font-weight:bold;margin-top:.5em}"
    "footer{margin-top:3em;border-top:1px solid #ccc;padding-top:8px;color:#555;font-size:.85em}";

/* Distinct non-empty rule (or engine) versions of the results, escaped,
 * comma-separated: a handful in practice, so a short list, not a table. */
static void distinct_versions(ap_buf_t *out, const ap_report_t *r, int engine) {
    enum { MAX_SHOWN = 16 };
    const char *seen[MAX_SHOWN];
    size_t n = 0, more = 0;
    for (size_t i = 0; i < r->n_weeks; i++) {
        const week_t *w = &r->weeks[i];
        const char *v = engine ? w->engine_version : w->rule_version;
        if (!w->has_result || !v[0]) continue;
        size_t j = 0;
        while (j < n && strcmp(seen[j], v) != 0) j++;
        if (j < n) continue;
        if (n == MAX_SHOWN) { more++; continue; } /* may count one value twice: only said as "more" */
        seen[n++] = v;
    }
    for (size_t j = 0; j < n; j++) {
        if (j) ap_buf_append_str(out, ", ");
        esc(out, seen[j]);
    }
    if (!n) ap_buf_append_str(out, "&ndash;");
    if (more) ap_buf_append_str(out, " and more");
}

int ap_report_render_html(ap_report_t *r, const ap_report_page_t *page, ap_buf_t *out) {
    aggregate(r);
    ap_report_counts_t counts = ap_report_counts(r);
    const char *title = page && page->title ? page->title : "arbejdspligt: compliance per municipality and month";
    ap_buf_append_str(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    esc(out, title);
    ap_buf_appendf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n<h1>", style);
    esc(out, title);
    ap_buf_append_str(out, "</h1>\n");
    if (page && page->generated) {
        ap_buf_append_str(out, "<p class=\"generated\">Generated ");
        esc(out, page->generated);
        ap_buf_append_str(out, ".</p>\n");
    }
    ap_buf_appendf(out, "<p class=\"inputs\">Inputs: <span data-count=\"results\">%" PRId64 "</span> results and "
                        "<span data-count=\"alerts\">%" PRId64 "</span> alerts read; "
                        "<span data-count=\"citizen_weeks\">%" PRId64 "</span> citizen-weeks counted, each at its "
                        "latest revision (<span data-count=\"superseded\">%" PRId64 "</span> older revisions and "
                        "<span data-count=\"duplicates\">%" PRId64 "</span> duplicates not counted). Rule versions: ",
                   counts.results, counts.alerts, counts.citizen_weeks, counts.superseded, counts.duplicates);
    distinct_versions(out, r, 0);
    ap_buf_append_str(out, ". Engine versions: ");
    distinct_versions(out, r, 1);
    ap_buf_append_str(out, ".</p>\n<p class=\"note\">A week belongs to the month of its Thursday (the ISO 8601 rule "
                           "that also gives a week its year), so each week is counted in exactly one month. "
                           "Definitions are at the end of the page.</p>\n</header>\n");

    /* The month axis shared by every chart. */
    month_range_t mr = {0, 0, 0};
    if (r->n_cells) {
        int fy = r->cells[0].year, fm = r->cells[0].month, ly = fy, lm = fm;
        for (size_t i = 0; i < r->n_cells; i++) {
            const ap_report_cell_t *c = &r->cells[i];
            if (c->year * 12 + c->month < fy * 12 + fm) { fy = c->year; fm = c->month; }
            if (c->year * 12 + c->month > ly * 12 + lm) { ly = c->year; lm = c->month; }
        }
        mr.first_y = fy;
        mr.first_m = fm;
        mr.n = (size_t)((ly * 12 + lm) - (fy * 12 + fm) + 1);
    }

    /* Overview: one row per municipality, all months. */
    ap_buf_append_str(out, "<section id=\"overview\"><h2>All municipalities</h2>\n");
    if (!r->n_cells) ap_buf_append_str(out, "<p class=\"empty\">No compliance results in the input.</p>\n");
    else {
        ap_buf_append_str(out, "<p class=\"note\">Totals over every month of the input. Citizens covered here is "
                               "the sum of the monthly counts (a citizen covered in two months counts twice).</p>\n"
                               "<div class=\"table-wrap\"><table class=\"overview\">");
        render_table_head(out, "municipality");
        ap_buf_append_str(out, "<tbody>\n");
        for (size_t i = 0; i < r->n_cells;) {
            ap_report_cell_t sum;
            memset(&sum, 0, sizeof sum);
            size_t j = i;
            for (; j < r->n_cells && strcmp(r->cells[j].municipality_code, r->cells[i].municipality_code) == 0; j++)
                add_cell(&sum, &r->cells[j]);
            render_row(out, &sum, r->cells[i].municipality_code);
            i = j;
        }
        ap_buf_append_str(out, "</tbody></table></div>\n");
    }
    ap_buf_append_str(out, "</section>\n");

    /* Per municipality: charts, the monthly table, the monitoring part. */
    for (size_t i = 0; i < r->n_cells;) {
        const char *muni = r->cells[i].municipality_code;
        size_t j = i;
        while (j < r->n_cells && strcmp(r->cells[j].municipality_code, muni) == 0) j++;
        const ap_report_cell_t *mc = &r->cells[i];
        size_t n = j - i;
        section_open(out, muni);
        ap_buf_append_str(out, "<div class=\"charts\">\n");
        render_chart(out, muni, "covered", "Citizens covered", mc, n, &mr, covered_series, NS(covered_series), 0);
        render_chart(out, muni, "owed", "Citizen-weeks owed and met", mc, n, &mr, owed_series, NS(owed_series), 0);
        render_chart(out, muni, "gaps", "Weeks short, by cause", mc, n, &mr, gap_series, NS(gap_series), 1);
        render_chart(out, muni, "exempt", "Exempt weeks", mc, n, &mr, exempt_series, NS(exempt_series), 0);
        ap_buf_append_str(out, "</div>\n<div class=\"table-wrap\"><table class=\"figures\" data-municipality=\"");
        esc(out, muni);
        ap_buf_append_str(out, "\"><caption>Municipality ");
        esc(out, muni);
        ap_buf_append_str(out, ", per month</caption>");
        render_table_head(out, "month");
        ap_buf_append_str(out, "<tbody>\n");
        ap_report_cell_t sum;
        memset(&sum, 0, sizeof sum);
        for (size_t k = 0; k < n; k++) {
            char label[16];
            snprintf(label, sizeof label, "%04d-%02d", mc[k].year % 10000, mc[k].month);
            render_row(out, &mc[k], label);
            add_cell(&sum, &mc[k]);
        }
        ap_buf_append_str(out, "</tbody><tfoot>");
        render_row(out, &sum, "all months");
        ap_buf_append_str(out, "</tfoot></table></div>\n");
        render_monitoring(out, r, muni);
        ap_buf_append_str(out, "</section>\n");
        i = j;
    }
    /* Municipalities with monitoring records and no compliance result. */
    if (r->monitoring) {
        const char *const *codes;
        size_t nc = ap_monitoring_fold_municipalities(r->monitoring, 0, INT32_MAX, &codes);
        char (*only)[AP_MUNI_CAP] = malloc((nc ? nc : 1) * sizeof *only);
        if (!only) abort();
        size_t n_only = 0;
        for (size_t k = 0; k < nc; k++) {
            size_t c = 0;
            while (c < r->n_cells && strcmp(r->cells[c].municipality_code, codes[k]) != 0) c++;
            if (c == r->n_cells) snprintf(only[n_only++], AP_MUNI_CAP, "%s", codes[k]);
        }
        for (size_t k = 0; k < n_only; k++) {
            section_open(out, only[k]);
            render_monitoring(out, r, only[k]);
            ap_buf_append_str(out, "</section>\n");
        }
        free(only);
    }

    ap_buf_append_str(
        out,
        "<section id=\"definitions\"><h2>Definitions</h2>\n<dl class=\"definitions\">\n"
        "<dt>Month</dt><dd>A week (ISO 8601, Monday to Sunday) belongs to the month of its Thursday.</dd>\n"
        "<dt>Municipality</dt><dd>The municipality the result names: responsible on the week's last covered day. "
        "STAR's monthly measures count by the municipality of residence on the month's last day; the two differ "
        "only for citizens who moved.</dd>\n"
        "<dt>Latest revision</dt><dd>A later result for the same citizen and week replaces an earlier one; only the "
        "latest is counted, and only the alerts emitted with it.</dd>\n"
        "<dt>Citizens covered</dt><dd>Distinct citizens with at least one week in the month that is compliant, not "
        "compliant or exempt.</dd>\n"
        "<dt>Weeks owed</dt><dd>Citizen-weeks with hours required (status COMPLIANT or NOT_COMPLIANT); "
        "<em>met</em>: COMPLIANT, credited at least the requirement.</dd>\n"
        "<dt>Offer gap, attendance gap, both</dt><dd>The cause of a short week (shortfall_cause): offered below "
        "the requirement and the citizen attended what there was (the job centre's); offered at least the "
        "requirement and credited below it (the citizen's); offered below the requirement and credited below the "
        "offer (both). <em>Cause not recorded</em>: results written before the cause existed.</dd>\n"
        "<dt>Exempt weeks</dt><dd>Weeks with no owed day left after exemptions (status EXEMPT). <em>Partly "
        "exempt</em>: owed weeks with some days exempted.</dd>\n"
        "<dt>Hours</dt><dd>Sums over owed weeks: required after proration, reductions and exemptions; offered by "
        "the placements in force (weeks without the figure left out); credited.</dd>\n"
        "<dt>Alerts</dt><dd>Alerts of the latest revisions, by audience: the job centre (offer and plan gaps, "
        "placements ending) or the case worker.</dd>\n"
        "<dt>Monthly monitoring measures</dt><dd>STAR's eight measures (seed 002, Monitorering) per calendar month, "
        "counted by the municipality of residence on the month's last day, and the weekly figures of the ISO weeks "
        "whose Thursday is in the month, from ap.monitoring: the sum over every partition of its latest partials. "
        "A month is shown only when complete (every partition's lane record and every partial it lists); otherwise "
        "it says incomplete, never a smaller total. Shares and the mean duration are computed here from the counts; "
        "exemptions and offers are summed over kinds (a citizen with two kinds counts under each).</dd>\n"
        "<dt>Not covered, provisional</dt><dd>NOT_COVERED results (emitted only with a finding); weeks whose "
        "latest result is not final.</dd>\n"
        "</dl>\n</section>\n"
        "<footer><p>No personal data: this page shows counts and sums per municipality and month only; it "
        "carries no citizen id, no name, no CPR number and no alert text. Counts are not suppressed, so a small "
        "count in a small municipality may still point to a person: treat the page as internal.</p>"
        "<p>Made by <code>apctl report</code> from compliance results as <code>apctl consume --topic "
        "ap.compliance</code> prints them. No script, no external resource.</p></footer>\n"
        "</body>\n</html>\n");
    return 0;
}
