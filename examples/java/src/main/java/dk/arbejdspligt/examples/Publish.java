package dk.arbejdspligt.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dk.arbejdspligt.v1.CoverageEvent;
import dk.arbejdspligt.v1.ExemptionEvent;
import dk.arbejdspligt.v1.HoursEvent;
import dk.arbejdspligt.v1.PlacementEvent;
import dk.arbejdspligt.v1.ReductionEvent;
import dk.arbejdspligt.v1.SanctionEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.avro.Conversion;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalType;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes arbejdspligt input events, one JSON object a line (the format of
 * {@code apctl produce} and {@code deploy/demo/*.jsonl}: the record's fields
 * by name, {@code "schema"} naming the record type), to one Kafka topic.
 *
 * <p>What every publisher must do, and this kit shows:
 * <ul>
 *   <li>write each event with the classes generated from {@code schemas/*.avsc}
 *       in Avro <b>single-object encoding</b>: {@code toByteBuffer()} of a
 *       generated class writes {@code C3 01}, the schema's CRC-64-AVRO
 *       fingerprint (8 bytes, little-endian), then the binary body;</li>
 *   <li>key it by {@code citizen_id};</li>
 *   <li>leave the partitioner alone: the Java client's default partitions a
 *       keyed record by murmur2 of its key, the partition the processor
 *       expects (README "Co-partitioning").</li>
 * </ul>
 *
 * <pre>
 *   Publish --brokers HOST:PORT --topic ap.hours hours.jsonl
 *   Publish --hex --topic ap.hours hours.jsonl    (print "key hex" per record; no Kafka)
 * </pre>
 * The brokers default to $AP_KAFKA_BROKERS. Exit status 0 when every record
 * was acknowledged by the broker (acks=all, idempotent), 1 otherwise.
 */
public final class Publish {
  private Publish() {}

  /** One input record type: a new, empty instance and its single-object encoder. */
  private record Type(Supplier<SpecificRecordBase> create, Encoder encode) {}

  @FunctionalInterface
  private interface Encoder {
    ByteBuffer encode(SpecificRecordBase r) throws IOException;
  }

  /**
   * The input schemas by name. Each generated class's toByteBuffer() is the
   * single-object encoding with that class's schema (and so its fingerprint).
   */
  private static final Map<String, Type> TYPES = Map.of(
      "PlacementEvent", new Type(PlacementEvent::new, r -> ((PlacementEvent) r).toByteBuffer()),
      "HoursEvent", new Type(HoursEvent::new, r -> ((HoursEvent) r).toByteBuffer()),
      "ExemptionEvent", new Type(ExemptionEvent::new, r -> ((ExemptionEvent) r).toByteBuffer()),
      "ReductionEvent", new Type(ReductionEvent::new, r -> ((ReductionEvent) r).toByteBuffer()),
      "CoverageEvent", new Type(CoverageEvent::new, r -> ((CoverageEvent) r).toByteBuffer()),
      "SanctionEvent", new Type(SanctionEvent::new, r -> ((SanctionEvent) r).toByteBuffer()));

  public static void main(String[] args) throws Exception {
    String brokers = System.getenv("AP_KAFKA_BROKERS");
    String topic = null;
    boolean hex = false;
    List<String> files = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--brokers" -> brokers = args[++i];
        case "--topic" -> topic = args[++i];
        case "--hex" -> hex = true;
        default -> files.add(args[i]);
      }
    }
    if (topic == null || (!hex && brokers == null)) {
      System.err.println("usage: Publish [--brokers HOST:PORT] --topic T [--hex] [FILE.jsonl ...] (stdin without files)");
      System.exit(2);
    }
    List<String> lines = new ArrayList<>();
    if (files.isEmpty()) {
      lines.addAll(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).lines().toList());
    }
    for (String f : files) lines.addAll(Files.readAllLines(Path.of(f), StandardCharsets.UTF_8));

    ObjectMapper json = new ObjectMapper();
    List<String> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    int lineno = 0;
    for (String line : lines) {
      lineno++;
      if (line.isBlank()) continue;
      try {
        JsonNode n = json.readTree(line);
        String name = n.path("schema").asText("");
        Type type = TYPES.get(name);
        if (type == null) throw new IllegalArgumentException("unknown or missing schema \"" + name + "\"");
        SpecificRecordBase event = type.create().get();
        fill(event, n);
        ByteBuffer bytes = type.encode().encode(event);
        byte[] value = new byte[bytes.remaining()];
        bytes.get(value);
        keys.add(event.get("citizen_id").toString());
        values.add(value);
      } catch (IOException | RuntimeException e) {
        System.err.println("publish: line " + lineno + ": " + e.getMessage());
        System.exit(1);
      }
    }

    if (hex) {
      for (int i = 0; i < keys.size(); i++) System.out.println(keys.get(i) + " " + toHex(values.get(i)));
      return;
    }
    System.exit(produce(brokers, topic, keys, values));
  }

  /** Sends every record, waits for the broker's acknowledgements; returns the exit status. */
  private static int produce(String brokers, String topic, List<String> keys, List<byte[]> values) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    // Nothing lost, nothing twice, order kept per partition.
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    // No partitioner.class: the default hashes a record's key with murmur2,
    // (murmur2(key) & 0x7fffffff) % partitions, which the processor checks.
    AtomicLong failed = new AtomicLong();
    AtomicReference<String> lastError = new AtomicReference<>("");
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < keys.size(); i++) {
        producer.send(new ProducerRecord<>(topic, keys.get(i), values.get(i)), (md, e) -> {
          if (e != null) {
            failed.incrementAndGet();
            lastError.set(e.toString());
          }
        });
      }
      producer.flush();
    }
    if (failed.get() > 0) {
      System.err.println("publish: " + failed.get() + " of " + keys.size() + " records failed: " + lastError.get());
      return 1;
    }
    System.err.println("publish: " + keys.size() + " records delivered");
    return 0;
  }

  /**
   * Sets every field of a generated record from a JSON object with the same
   * field names: dates as "YYYY-MM-DD", timestamps RFC 3339, enums by symbol,
   * optional fields null or absent (then the schema's default). A field the
   * schema lacks is an error, as in apctl: a misspelt optional field must not
   * vanish silently.
   */
  static void fill(SpecificRecordBase r, JsonNode n) {
    Schema schema = r.getSchema();
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!f.equals("schema") && schema.getField(f) == null) {
        throw new IllegalArgumentException(schema.getName() + " has no field \"" + f + "\"");
      }
    }
    SpecificData model = r.getSpecificData();
    for (Schema.Field f : schema.getFields()) {
      JsonNode v = n.get(f.name());
      Object value;
      if (v == null) {
        if (!f.hasDefaultValue()) throw new IllegalArgumentException(f.name() + ": required");
        value = model.getDefaultValue(f);
      } else if (v.isNull()) {
        if (!nullable(f.schema())) throw new IllegalArgumentException(f.name() + ": may not be null");
        value = null;
      } else {
        value = value(model, f.schema(), v, f.name());
      }
      r.put(f.pos(), value);
    }
  }

  private static boolean nullable(Schema s) {
    return s.getType() == Schema.Type.NULL
        || (s.getType() == Schema.Type.UNION && s.getTypes().stream().anyMatch(Publish::nullable));
  }

  /** The generated classes' value for a JSON value of schema s (never JSON null). */
  private static Object value(SpecificData model, Schema s, JsonNode v, String where) {
    if (s.getType() == Schema.Type.UNION) {
      // The input schemas' unions are ["null", T]: the value is a T.
      for (Schema b : s.getTypes()) {
        if (b.getType() != Schema.Type.NULL) return value(model, b, v, where);
      }
      throw new IllegalArgumentException(where + ": no branch for " + v);
    }
    LogicalType lt = s.getLogicalType();
    Object raw = switch (s.getType()) {
      case STRING -> text(v, where);
      case INT -> lt != null && lt.getName().equals("date")
          ? (Object) (int) LocalDate.parse(text(v, where)).toEpochDay()
          : (Object) number(v, where).intValueExact();
      case LONG -> lt != null && lt.getName().equals("timestamp-millis")
          ? (Object) OffsetDateTime.parse(text(v, where)).toInstant().toEpochMilli()
          : (Object) number(v, where).longValueExact();
      case BOOLEAN -> v.booleanValue();
      case ENUM -> {
        String sym = text(v, where);
        if (!s.hasEnumSymbol(sym)) throw new IllegalArgumentException(where + ": no symbol " + sym);
        yield model.createEnum(sym, s);
      }
      case ARRAY -> {
        List<Object> out = new ArrayList<>();
        for (JsonNode e : v) out.add(value(model, s.getElementType(), e, where + "[]"));
        yield out;
      }
      case RECORD -> {
        SpecificRecordBase nested = (SpecificRecordBase) model.newRecord(null, s);
        fill(nested, v);
        yield nested;
      }
      default -> throw new IllegalArgumentException(where + ": type " + s.getType() + " not supported");
    };
    // The generated classes hold logical types as Java types (UUID, LocalDate,
    // Instant) through their model's conversions; the encoder converts back.
    Conversion<?> c = lt == null ? null : model.getConversionFor(lt);
    return c == null ? raw : Conversions.convertToLogicalType(raw, s, lt, c);
  }

  private static String text(JsonNode v, String where) {
    if (!v.isTextual()) throw new IllegalArgumentException(where + ": expected a string, got " + v);
    return v.textValue();
  }

  private static java.math.BigInteger number(JsonNode v, String where) {
    if (!v.isIntegralNumber()) throw new IllegalArgumentException(where + ": expected a whole number, got " + v);
    return v.bigIntegerValue();
  }

  private static String toHex(byte[] b) {
    StringBuilder sb = new StringBuilder(b.length * 2);
    for (byte x : b) sb.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
    return sb.toString();
  }
}
