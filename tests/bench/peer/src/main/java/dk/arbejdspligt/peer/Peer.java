package dk.arbejdspligt.peer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The benchmark's peer: a Kafka Streams application doing the core of
 * ap-processor's weekly job on the same input topics (see README.md beside
 * pom.xml for what it leaves out). Settings are key=value arguments:
 *
 * <pre>
 *   brokers=HOST:PORT      bootstrap servers (required)
 *   prefix=P               topics P.placement, P.hours, P.exemption in, P.peer-compliance out
 *   schemas=DIR            the project's schemas/ (every *.avsc below it, released/ included)
 *   state.dir=DIR          where RocksDB keeps the state stores
 *   app.id=ID              application.id, also the consumer group (default ap-peer)
 *   output=TOPIC           default P.peer-compliance
 *   grace.days=N           a week closes N days after it ends (default 2, as ap-processor)
 *   threads=N              num.stream.threads (default 1)
 * </pre>
 *
 * It runs until SIGTERM/SIGINT, printing a progress line every 10 s and a
 * final line with its counters on the way out.
 */
public final class Peer {
    private Peer() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> cfg = new HashMap<>();
        cfg.put("app.id", "ap-peer");
        cfg.put("grace.days", "2");
        cfg.put("threads", "1");
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                System.err.println("peer: want key=value, got " + a);
                System.exit(2);
            }
            cfg.put(a.substring(0, eq), a.substring(eq + 1));
        }
        for (String k : new String[] {"brokers", "prefix", "schemas", "state.dir"}) {
            if (!cfg.containsKey(k)) {
                System.err.println("peer: missing " + k + "=...");
                System.exit(2);
            }
        }
        String prefix = cfg.get("prefix");
        String output = cfg.getOrDefault("output", prefix + ".peer-compliance");
        Map<Long, Schema> schemas = loadSchemas(Path.of(cfg.get("schemas")));
        int grace = Integer.parseInt(cfg.get("grace.days"));

        Topology t = new Topology();
        t.addSource("placement", prefix + ".placement");
        t.addSource("hours", prefix + ".hours");
        t.addSource("exemption", prefix + ".exemption");
        String[] topics = {prefix + ".placement", prefix + ".hours", prefix + ".exemption"};
        t.addProcessor("core", () -> new CoreProcessor(schemas, topics, grace), "placement", "hours", "exemption");
        // Persistent (RocksDB) stores with changelogs: per-citizen entities,
        // hours reports by week, the report index, and the partition clock.
        for (String s : new String[] {CoreProcessor.ENTITIES, CoreProcessor.HOURS, CoreProcessor.REPORTS,
                                      CoreProcessor.CLOCK}) {
            t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(s), Serdes.String(),
                                                        Serdes.ByteArray()),
                            "core");
        }
        t.addSink("out", output, Serdes.String().serializer(), Serdes.String().serializer(), "core");

        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, cfg.get("app.id"));
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.get("brokers"));
        p.put(StreamsConfig.STATE_DIR_CONFIG, cfg.get("state.dir"));
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(cfg.get("threads")));
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArray().getClass());
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArray().getClass());
        // The benchmark's broker is a single node.
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

        KafkaStreams streams = new KafkaStreams(t, p);
        CountDownLatch done = new CountDownLatch(1);
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) done.countDown();
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close();
            System.err.println("peer: stopped " + CoreProcessor.stats());
        }));
        streams.start();
        System.err.println("peer: started app.id=" + cfg.get("app.id") + " schemas=" + schemas.size()
                           + " output=" + output);
        while (!done.await(10, java.util.concurrent.TimeUnit.SECONDS)) {
            System.err.println("peer: progress " + CoreProcessor.stats());
        }
        System.err.println("peer: state " + streams.state());
        System.exit(streams.state() == KafkaStreams.State.ERROR ? 1 : 0);
    }

    /** Every schema under dir by its CRC-64-AVRO fingerprint (single-object encoding). */
    static Map<Long, Schema> loadSchemas(Path dir) throws IOException {
        Map<Long, Schema> out = new HashMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.filter(x -> x.toString().endsWith(".avsc"))::iterator) {
                try {
                    Schema s = new Schema.Parser().parse(f.toFile());
                    out.put(SchemaNormalization.parsingFingerprint64(s), s);
                } catch (Exception e) {
                    System.err.println("peer: skipping schema " + f + ": " + e.getMessage());
                }
            }
        }
        return out;
    }
}
