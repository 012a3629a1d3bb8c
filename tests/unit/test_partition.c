/* Kafka's murmur2 partitioner (partition.h): the published vectors of
 * Kafka's own tests (UtilsTest.testMurmur2) and librdkafka's
 * (rdmurmur2.c unittest_murmur2), and agreement with librdkafka's
 * rd_kafka_msg_partitioner_murmur2 over many random keys and counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <librdkafka/rdkafka.h>

#include "arbejdspligt/partition.h"

typedef struct vector {
    const char *key;
    int32_t java; /* Utils.murmur2 as Java prints it: a signed int */
} vector_t;

/* Kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java. */
static const vector_t kafka_vectors[] = {
    {"21", -973932308},
    {"foobar", -790332482},
    {"a-little-bit-long-string", -985981536},
    {"a-little-bit-longer-string", -1486304829},
    {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
    {"abc", 479470107},
};

/* librdkafka src/rdmurmur2.c, unittest_murmur2 (checked there against Java):
 * every tail length 0-3 and unaligned starts. */
static const struct {
    const char *key;
    uint32_t hash;
} rdkafka_vectors[] = {
    {"kafka", 0xd067cf64u},
    {"giberish123456789", 0x8f552b0cu},
    {"1234", 0x9fc97b14u},
    {"234", 0xe7c009cau},
    {"34", 0x873930dau},
    {"4", 0x5a4b5ca1u},
    {"PreAmbleWillBeRemoved,ThePrePartThatIs", 0x78424f1cu},
    {"reAmbleWillBeRemoved,ThePrePartThatIs", 0x4a62b377u},
    {"eAmbleWillBeRemoved,ThePrePartThatIs", 0xe0e4e09eu},
    {"AmbleWillBeRemoved,ThePrePartThatIs", 0x62b8b43fu},
    {"", 0x106e08d9u},
};

static void murmur2__kafka_utils_test(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof kafka_vectors / sizeof *kafka_vectors; i++) {
        uint32_t h = ap_partition_murmur2(kafka_vectors[i].key, strlen(kafka_vectors[i].key));
        assert_int_equal((int32_t)h, kafka_vectors[i].java);
    }
}

static void murmur2__librdkafka_unittest(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof rdkafka_vectors / sizeof *rdkafka_vectors; i++)
        assert_int_equal(ap_partition_murmur2(rdkafka_vectors[i].key, strlen(rdkafka_vectors[i].key)),
                         rdkafka_vectors[i].hash);
    /* No key hashes as the empty key (librdkafka's NULL row). */
    assert_int_equal(ap_partition_murmur2(NULL, 0), 0x106e08d9u);
}

/* toPositive clears the sign bit (not abs), then mod the count. */
static void partition_for_key__to_positive_then_mod(void **state) {
    (void)state;
    /* "kafka": 0xd067cf64 & 0x7fffffff = 1348980580 (librdkafka's older vector). */
    assert_int_equal(ap_partition_for_key("kafka", 5, 1000000007), 1348980580 % 1000000007);
    assert_int_equal(ap_partition_for_key("kafka", 5, 6), 1348980580 % 6);
    assert_int_equal(ap_partition_for_key("21", 2, 1), 0);
    assert_int_equal(ap_partition_for_key("21", 2, 0), -1);
    assert_int_equal(ap_partition_for_key("21", 2, -3), -1);
}

/* xorshift64*: a fixed seed, so a failure is reproducible. */
static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint64_t next_random(void) {
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dULL;
}

/* The partition librdkafka's murmur2 partitioner (what a correctly set up
 * librdkafka producer uses) picks, for 200,000 random keys of 0-64 bytes
 * (any byte, text-like ids too) and partition counts 1-1000. */
static void partition_for_key__agrees_with_librdkafka(void **state) {
    (void)state;
    unsigned char key[64];
    for (int i = 0; i < 200000; i++) {
        size_t len = (size_t)(next_random() % (sizeof key + 1));
        int text = i & 1;
        for (size_t j = 0; j < len; j++) {
            uint64_t r = next_random();
            key[j] = text ? (unsigned char)("0123456789abcdef-c"[r % 18]) : (unsigned char)r;
        }
        int32_t count = (int32_t)(next_random() % 1000) + 1;
        int32_t want = rd_kafka_msg_partitioner_murmur2(NULL, key, len, count, NULL, NULL);
        int32_t got = ap_partition_for_key(key, len, count);
        if (got != want) fail_msg("key %d (%zu bytes), %d partitions: %d, librdkafka %d", i, len, count, got, want);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(murmur2__kafka_utils_test),
        cmocka_unit_test(murmur2__librdkafka_unittest),
        cmocka_unit_test(partition_for_key__to_positive_then_mod),
        cmocka_unit_test(partition_for_key__agrees_with_librdkafka),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
