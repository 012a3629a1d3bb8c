package dk.arbejdspligt.peer;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;

/**
 * The core of ap-processor's weekly rules (services/lib/rules.c,
 * ap_rules_evaluate: plan_week and the credited hours), as values in and a
 * value out: required minutes, credited minutes and the status. Findings,
 * alerts, adjustments and offered minutes are left out (README.md beside
 * pom.xml). Days are days since 1970-01-01, as Avro's date.
 */
final class Rules {
    private Rules() {}

    /** An open-ended to_date / valid_to. */
    static final int NO_DATE = Integer.MIN_VALUE;
    /** 37 hours a week (seed 002); a working day owes a fifth. */
    static final int NORM_MINUTES_PER_WEEK = 2220;
    /** 2025-01-01: the first day of the 37-hour obligation (AP-2025.1-IMPL). */
    static final int DAY_2025_01_01 = 20089;
    /** 2014-01-01: before it no rule version is in force and no week is evaluated. */
    static final int DAY_2014_01_01 = 16071;
    static final ZoneId CPH = ZoneId.of("Europe/Copenhagen");

    // ActivityKind symbols the rules name (schemas/HoursEvent.avsc order).
    static final int NYTTEINDSATS = 0, SAERLIGT_TILRETTELAGT = 1, VIRKSOMHEDSPRAKTIK = 2, LOENTILSKUD = 3,
                     VEJLEDNING_OPKVALIFICERING = 5, SOCIAL_SUNDHED = 9, TRANSPORT = 10, JOBSAMTALE = 11;
    /** PlacementAction CANCELLED; ExemptionKind IGU; HoursAction RETRACTED. */
    static final int PLACEMENT_CANCELLED = 3, EXEMPT_IGU = 9, HOURS_RETRACTED = 2;

    static int weekday(int day) { return Math.floorMod(day + 3, 7) + 1; } // 1 = Monday; day 0 was a Thursday
    static int weekStart(int day) { return day - (weekday(day) - 1); }
    static int cphDay(long utcMs) { return (int) LocalDate.ofInstant(Instant.ofEpochMilli(utcMs), CPH).toEpochDay(); }
    static int firstRuleMonday() {
        int m = weekStart(DAY_2014_01_01);
        return m + 3 >= DAY_2014_01_01 ? m : m + 7;
    }
    static boolean inRange(int day, int from, int to) { return day >= from && (to == NO_DATE || day <= to); }

    record Coverage(String id, int from, int to) {}
    record Placement(String id, int action, int offerType, int start, int end) {
        boolean activeOn(int day) { return action != PLACEMENT_CANCELLED && end >= start && start <= day && end >= day; }
    }
    record Exemption(String id, int kind, int from, int to, boolean tiedToPlacement) {}
    record Reduction(String id, int from, int to, int assessedOn, long recordedAt, int reducedMinutes) {}
    record Hours(String reportId, int action, int date, int kind, int minutes, boolean journal) {}

    /** Entities of one citizen, each list sorted by id (as rules.c sorts them). */
    record Citizen(List<Coverage> coverage, List<Placement> placements, List<Exemption> exemptions,
                   List<Reduction> reductions) {}

    enum Status { COMPLIANT, NOT_COMPLIANT, EXEMPT, NOT_COVERED }

    record Result(Status status, int required, int credited) {}

    static boolean counts(int kind, boolean journal) {
        if (kind < 0 || kind == JOBSAMTALE) return false;                             // "Jobsamtaler ... indgaar ikke" (seed 002)
        if (kind == SOCIAL_SUNDHED || kind == TRANSPORT) return journal;    // only when journalised (seed 002)
        return true;
    }

    static boolean isOffer(int kind) {
        return kind == NYTTEINDSATS || kind == SAERLIGT_TILRETTELAGT || kind == VIRKSOMHEDSPRAKTIK || kind == LOENTILSKUD
            || kind == VEJLEDNING_OPKVALIFICERING;
    }

    /**
     * One citizen-week: each covered working day without a whole-person
     * exemption owes 444 min, or a fifth of the reduced weekly minutes in
     * force (the most recently assessed wins); IGU days are not covered;
     * hours count on covered days by kind, offer hours only with a placement
     * of that offer type in force. Null when no rule version is in force.
     */
    static Result evaluate(Citizen c, List<Hours> hours, int ws) {
        int thursday = ws + 3;
        if (thursday < DAY_2014_01_01) return null;
        boolean obligation = thursday >= DAY_2025_01_01;
        boolean[] covered = new boolean[7];
        int required = 0, lastCovered = -1, coveredWeekdays = 0, owedDays = 0;
        for (int d = 0; d < 7; d++) {
            int day = ws + d;
            boolean cov = false;
            for (Coverage x : c.coverage()) if (inRange(day, x.from(), x.to())) { cov = true; break; }
            boolean igu = false;
            for (Exemption e : c.exemptions()) if (e.kind() == EXEMPT_IGU && inRange(day, e.from(), e.to())) { igu = true; break; }
            covered[d] = cov && !igu;
            if (!covered[d]) continue;
            lastCovered = d;
            if (d >= 5) continue;
            coveredWeekdays++;
            boolean exempt = false;
            for (Exemption e : c.exemptions())
                if (!e.tiedToPlacement() && e.kind() != EXEMPT_IGU && inRange(day, e.from(), e.to())) { exempt = true; break; }
            if (exempt) continue;
            owedDays++;
            Reduction best = null;
            for (Reduction r : c.reductions()) {
                if (!inRange(day, r.from(), r.to())) continue;
                if (best == null || r.assessedOn() > best.assessedOn()
                    || (r.assessedOn() == best.assessedOn() && r.recordedAt() > best.recordedAt()))
                    best = r;
            }
            required += best != null ? best.reducedMinutes() / 5 : NORM_MINUTES_PER_WEEK / 5;
        }
        if (!obligation || lastCovered < 0) return new Result(Status.NOT_COVERED, 0, 0);
        int credited = 0;
        for (Hours h : hours) {
            int d = h.date() - ws;
            if (h.action() == HOURS_RETRACTED || d < 0 || d > 6 || !covered[d] || !counts(h.kind(), h.journal())) continue;
            if (isOffer(h.kind())) {
                boolean placed = false;
                for (Placement p : c.placements()) if (p.offerType() == h.kind() && p.activeOn(h.date())) { placed = true; break; }
                if (!placed) continue;
            }
            credited += h.minutes();
        }
        Status s = coveredWeekdays > 0 && owedDays == 0 ? Status.EXEMPT
                 : credited >= required               ? Status.COMPLIANT
                                                      : Status.NOT_COMPLIANT;
        return new Result(s, required, credited);
    }
}
