package dk.arbejdspligt.peer;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * One task's processor: partition N of the three input topics (co-partitioned
 * by citizen id, one sub-topology, so one task sees all three). Decodes the
 * single-object Avro records, keeps each citizen's latest entity versions and
 * hours reports in RocksDB, and closes weeks on the partition's stream clock
 * (the smallest last StreamTick over the three topics), as ap-processor does.
 *
 * Store keys put the citizen id first and "\0" after it, so one citizen's keys
 * are contiguous and a range scan reads them:
 *   entities  citizen\0K\0entity_id      K = C(overage) P(lacement) E(xemption) R(eduction)
 *   hours     citizen\0MMMMMM\0report_id  MMMMMM = the Monday of activity_date (days, 6 digits)
 *   reports   citizen\0report_id          -> the Monday it is stored under, and its version
 *   clock     "clock"                     -> last tick per topic, first and last closed Monday
 * Every value starts with the version (recorded_at, event_id): the later
 * version wins, as in the store of ap-processor.
 */
final class CoreProcessor implements Processor<byte[], byte[], String, String> {
    static final String ENTITIES = "peer-entities", HOURS = "peer-hours", REPORTS = "peer-reports", CLOCK = "peer-clock";

    private static final AtomicLong applied = new AtomicLong(), superseded = new AtomicLong(),
        undecodable = new AtomicLong(), ticks = new AtomicLong(), results = new AtomicLong(),
        weeksClosed = new AtomicLong();

    static String stats() {
        return "applied=" + applied + " superseded=" + superseded + " undecodable=" + undecodable + " ticks=" + ticks
               + " weeks_closed=" + weeksClosed + " results=" + results;
    }

    private static final String[] ACTIVITY = {"NYTTEINDSATS", "SAERLIGT_TILRETTELAGT_NYTTEINDSATS",
        "VIRKSOMHEDSPRAKTIK", "LOENTILSKUD", "ORDINAER_UDDANNELSE", "VEJLEDNING_OPKVALIFICERING",
        "FORBEREDELSE_JOBSOEGNING", "LOENTIMER", "SOCIALT_FRIKORT", "SOCIAL_SUNDHED", "TRANSPORT", "JOBSAMTALE"};
    private static final String[] PLACEMENT_ACTION = {"REGISTERED", "CHANGED", "ENDED", "CANCELLED"};
    private static final String[] HOURS_ACTION = {"REPORTED", "CORRECTED", "RETRACTED"};
    private static final String[] EXEMPTION_KIND = {"HEALTH", "PREGNANCY", "PARENTAL_LEAVE", "ADOPTION",
        "BEREAVEMENT_LEAVE", "LESS_INTENSIVE", "STATE_PENSION_AGE", "EARLY_RETIREMENT_TARGET", "STU", "IGU",
        "FOERTIDSPENSION_TARGET_GROUP", "AKTIVITETSPARAT_MENTAL_ILLNESS", "AKTIVITETSPARAT_SUBSTANCE_ABUSE",
        "AKTIVITETSPARAT_HOMELESSNESS", "OTHER_REASONABLE_CAUSE"};

    private final Map<Long, Schema> schemas;
    private final Map<Long, GenericDatumReader<GenericRecord>> readers = new HashMap<>();
    private final String[] topics;
    private final int graceDays;
    private BinaryDecoder decoder;
    private ProcessorContext<String, String> ctx;
    private KeyValueStore<String, byte[]> entities, hours, reports, clockStore;
    /* The partition clock, kept in the clock store on every change. */
    private final long[] tick = new long[3];
    private int firstMonday = Rules.NO_DATE, closedMonday = Rules.NO_DATE;

    CoreProcessor(Map<Long, Schema> schemas, String[] topics, int graceDays) {
        this.schemas = schemas;
        this.topics = topics;
        this.graceDays = graceDays;
    }

    @Override
    public void init(ProcessorContext<String, String> context) {
        ctx = context;
        entities = context.getStateStore(ENTITIES);
        hours = context.getStateStore(HOURS);
        reports = context.getStateStore(REPORTS);
        clockStore = context.getStateStore(CLOCK);
        byte[] c = clockStore.get("clock");
        if (c != null) {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(c))) {
                for (int k = 0; k < 3; k++) tick[k] = in.readLong();
                firstMonday = in.readInt();
                closedMonday = in.readInt();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Override
    public void process(Record<byte[], byte[]> rec) {
        RecordMetadata md = ctx.recordMetadata().orElseThrow();
        int kind = -1;
        for (int k = 0; k < 3; k++) if (topics[k].equals(md.topic())) kind = k;
        GenericRecord ev = decode(rec.value());
        if (ev == null || kind < 0) { undecodable.incrementAndGet(); return; }
        String type = ev.getSchema().getName();
        boolean allowed = switch (kind) {
            case 0 -> type.equals("PlacementEvent") || type.equals("StreamTick");
            case 1 -> type.equals("HoursEvent") || type.equals("StreamTick");
            default -> !type.equals("PlacementEvent") && !type.equals("HoursEvent");
        };
        if (!allowed) { undecodable.incrementAndGet(); return; }
        try {
            switch (type) {
                case "StreamTick" -> onTick(kind, (Long) ev.get("occurred_at"));
                case "HoursEvent" -> applyHours(ev);
                case "PlacementEvent", "CoverageEvent", "ExemptionEvent", "ReductionEvent" -> applyEntity(type, ev);
                default -> { } // SanctionEvent: the weekly rules do not read it
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /* Single-object encoding: C3 01, the writer schema's CRC-64-AVRO
     * fingerprint little-endian, the body. Null when it is not one of ours. */
    private GenericRecord decode(byte[] v) {
        if (v == null || v.length < 10 || (v[0] & 0xff) != 0xC3 || v[1] != 0x01) return null;
        long fp = 0;
        for (int i = 0; i < 8; i++) fp |= (v[2 + i] & 0xffL) << (8 * i);
        Schema s = schemas.get(fp);
        if (s == null) return null;
        GenericDatumReader<GenericRecord> r = readers.computeIfAbsent(fp, x -> new GenericDatumReader<>(s));
        decoder = DecoderFactory.get().binaryDecoder(v, 10, v.length - 10, decoder);
        try {
            GenericRecord out = r.read(null, decoder);
            return decoder.isEnd() ? out : null;
        } catch (Exception e) {
            return null; // cut short or otherwise damaged
        }
    }

    private static String str(GenericRecord r, String f) {
        if (r.getSchema().getField(f) == null) return null;
        Object o = r.get(f);
        return o == null ? null : o.toString();
    }
    private static int date(GenericRecord r, String f) {
        if (r.getSchema().getField(f) == null) return Rules.NO_DATE;
        Object o = r.get(f);
        return o == null ? Rules.NO_DATE : (Integer) o;
    }
    private static int sym(GenericRecord r, String f, String[] symbols, int dflt) {
        String s = str(r, f);
        for (int i = 0; s != null && i < symbols.length; i++) if (symbols[i].equals(s)) return i;
        return dflt;
    }

    /* A version is (recorded_at, event_id); the later one wins. */
    private static boolean newer(long at, String id, DataInputStream cur) throws IOException {
        long curAt = cur.readLong();
        String curId = cur.readUTF();
        return at > curAt || (at == curAt && id.compareTo(curId) > 0);
    }

    private void noteFirstMonday(int day) throws IOException {
        if (day == Rules.NO_DATE) return;
        int m = Rules.weekStart(day);
        if (firstMonday == Rules.NO_DATE || m < firstMonday) { firstMonday = m; saveClock(); }
    }

    private void applyHours(GenericRecord ev) throws IOException {
        String citizen = str(ev, "citizen_id"), report = str(ev, "report_id"), id = str(ev, "event_id");
        long at = (Long) ev.get("recorded_at");
        int day = date(ev, "activity_date"), monday = Rules.weekStart(day);
        String rkey = citizen + "\0" + report;
        byte[] cur = reports.get(rkey);
        int oldMonday = Rules.NO_DATE;
        if (cur != null) {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(cur));
            if (!newer(at, id, in)) { superseded.incrementAndGet(); return; }
            oldMonday = in.readInt();
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream(48);
        DataOutputStream out = new DataOutputStream(b);
        out.writeLong(at);
        out.writeUTF(id);
        out.writeInt(monday);
        reports.put(rkey, b.toByteArray());
        if (oldMonday != Rules.NO_DATE && oldMonday != monday) hours.delete(hoursKey(citizen, oldMonday, report));
        b.reset();
        out.writeByte(sym(ev, "action", HOURS_ACTION, 0));
        out.writeInt(day);
        out.writeByte(sym(ev, "activity_kind", ACTIVITY, -1));
        out.writeInt((Integer) ev.get("minutes"));
        String j = str(ev, "journal_ref");
        out.writeBoolean(j != null && !j.isEmpty());
        hours.put(hoursKey(citizen, monday, report), b.toByteArray());
        applied.incrementAndGet();
        noteFirstMonday(day);
    }

    private static String hoursKey(String citizen, int monday, String report) {
        return citizen + "\0" + String.format("%06d", monday) + "\0" + report;
    }

    private void applyEntity(String type, GenericRecord ev) throws IOException {
        String citizen = str(ev, "citizen_id"), id = str(ev, "event_id");
        long at = (Long) ev.get("recorded_at");
        char k;
        String entity;
        switch (type) {
            case "CoverageEvent" -> { k = 'C'; entity = str(ev, "coverage_id"); }
            case "PlacementEvent" -> { k = 'P'; entity = str(ev, "placement_id"); }
            case "ExemptionEvent" -> { k = 'E'; entity = str(ev, "exemption_id"); }
            default -> { k = 'R'; entity = str(ev, "reduction_id"); }
        }
        String key = citizen + "\0" + k + "\0" + entity;
        byte[] cur = entities.get(key);
        if (cur != null && !newer(at, id, new DataInputStream(new ByteArrayInputStream(cur)))) {
            superseded.incrementAndGet();
            return;
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        DataOutputStream out = new DataOutputStream(b);
        out.writeLong(at);
        out.writeUTF(id);
        int first;
        switch (k) {
            case 'C' -> {
                out.writeInt(first = date(ev, "from_date"));
                out.writeInt(date(ev, "to_date"));
            }
            case 'P' -> {
                out.writeByte(sym(ev, "action", PLACEMENT_ACTION, 0));
                out.writeByte(sym(ev, "offer_type", ACTIVITY, -1));
                out.writeInt(first = date(ev, "start_date"));
                out.writeInt(date(ev, "end_date"));
            }
            case 'E' -> {
                out.writeByte(sym(ev, "kind", EXEMPTION_KIND, 0));
                out.writeInt(first = date(ev, "from_date"));
                out.writeInt(date(ev, "to_date"));
                String pl = str(ev, "placement_id");
                out.writeBoolean(pl != null && !pl.isEmpty());
            }
            default -> {
                out.writeInt(first = date(ev, "valid_from"));
                out.writeInt(date(ev, "valid_to"));
                out.writeInt(date(ev, "assessed_on"));
                out.writeInt((Integer) ev.get("reduced_minutes_per_week"));
            }
        }
        entities.put(key, b.toByteArray());
        applied.incrementAndGet();
        noteFirstMonday(first);
    }

    private void saveClock() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(40);
        DataOutputStream out = new DataOutputStream(b);
        for (int k = 0; k < 3; k++) out.writeLong(tick[k]);
        out.writeInt(firstMonday);
        out.writeInt(closedMonday);
        clockStore.put("clock", b.toByteArray());
    }

    /* Week W closes when the partition's watermark (the smallest last tick
     * over the three topics) passes W's Sunday 24:00 Europe/Copenhagen plus
     * the grace days; then every citizen with entities on the partition is
     * evaluated for W (ap-processor's on_tick). */
    private void onTick(int kind, long at) throws IOException {
        ticks.incrementAndGet();
        if (at <= tick[kind]) return;
        tick[kind] = at;
        long wm = Math.min(tick[0], Math.min(tick[1], tick[2]));
        if (wm <= 0 || firstMonday == Rules.NO_DATE) { saveClock(); return; }
        int last = Rules.weekStart(Rules.cphDay(wm) - graceDays) - 7;
        int from = closedMonday != Rules.NO_DATE ? closedMonday + 7 : firstMonday;
        from = Math.max(from, Rules.firstRuleMonday());
        if (last >= from) {
            for (int w = from; w <= last; w += 7) closeWeek(w, wm);
            closedMonday = last;
        }
        saveClock();
    }

    private void closeWeek(int ws, long wm) throws IOException {
        weeksClosed.incrementAndGet();
        String week = java.time.LocalDate.ofEpochDay(ws).toString();
        try (KeyValueIterator<String, byte[]> it = entities.all()) {
            String citizen = null;
            List<Rules.Coverage> cov = new ArrayList<>();
            List<Rules.Placement> pl = new ArrayList<>();
            List<Rules.Exemption> ex = new ArrayList<>();
            List<Rules.Reduction> red = new ArrayList<>();
            while (true) {
                KeyValue<String, byte[]> kv = it.hasNext() ? it.next() : null;
                String c = kv == null ? null : kv.key.substring(0, kv.key.indexOf('\0'));
                if (citizen != null && !citizen.equals(c)) {
                    evaluate(citizen, new Rules.Citizen(cov, pl, ex, red), ws, week, wm);
                    cov = new ArrayList<>();
                    pl = new ArrayList<>();
                    ex = new ArrayList<>();
                    red = new ArrayList<>();
                }
                if (kv == null) break;
                citizen = c;
                int z = kv.key.indexOf('\0');
                char k = kv.key.charAt(z + 1);
                String id = kv.key.substring(z + 3);
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(kv.value));
                long at = in.readLong();
                in.readUTF();
                switch (k) {
                    case 'C' -> cov.add(new Rules.Coverage(id, in.readInt(), in.readInt()));
                    case 'P' -> pl.add(new Rules.Placement(id, in.readByte(), in.readByte(), in.readInt(), in.readInt()));
                    case 'E' -> ex.add(new Rules.Exemption(id, in.readByte(), in.readInt(), in.readInt(), in.readBoolean()));
                    default -> red.add(new Rules.Reduction(id, in.readInt(), in.readInt(), in.readInt(), at, in.readInt()));
                }
            }
        }
    }

    private void evaluate(String citizen, Rules.Citizen c, int ws, String week, long wm) throws IOException {
        List<Rules.Hours> hs = new ArrayList<>();
        String prefix = citizen + "\0" + String.format("%06d", ws) + "\0";
        try (KeyValueIterator<String, byte[]> it = hours.prefixScan(prefix, new org.apache.kafka.common.serialization.StringSerializer())) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(kv.value));
                hs.add(new Rules.Hours(kv.key.substring(prefix.length()), in.readByte(), in.readInt(), in.readByte(),
                                       in.readInt(), in.readBoolean()));
            }
        }
        Rules.Result r = Rules.evaluate(c, hs, ws);
        // ap-processor writes NOT_COVERED weeks only with a finding or as a
        // revision; the peer has neither, so it writes none.
        if (r == null || r.status() == Rules.Status.NOT_COVERED) return;
        String json = "{\"citizen_id\":\"" + citizen.replace("\\", "\\\\").replace("\"", "\\\"") + "\",\"week_start\":\""
                      + week + "\",\"status\":\"" + r.status() + "\",\"required_minutes\":" + r.required()
                      + ",\"credited_minutes\":" + r.credited() + ",\"closed_at\":" + wm + "}";
        ctx.forward(new Record<>(citizen, json, wm));
        results.incrementAndGet();
    }

    @Override
    public void close() {}
}
