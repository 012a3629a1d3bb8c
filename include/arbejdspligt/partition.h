/*
 * partition.h - which partition a keyed record belongs on.
 *
 * The input topics are co-partitioned by citizen id (README
 * "Co-partitioning"): a citizen's events must all be on partition
 * murmur2(key) mod partition count, the Java client's default partitioner
 * (Kafka's Utils.murmur2 with seed 0x9747b28c, then toPositive, i.e. the top
 * bit cleared). librdkafka calls it "murmur2"/"murmur2_random"; its own
 * default ("consistent_random", CRC32) names other partitions for the same
 * key, which is what the processor's partition check catches.
 *
 * Pure: no I/O, no allocation. tests/unit/test_partition.c checks the hash
 * against Kafka's and librdkafka's published vectors and against
 * librdkafka's rd_kafka_msg_partitioner_murmur2 over random keys.
 */
#ifndef AP_PARTITION_H
#define AP_PARTITION_H

#include <stddef.h>
#include <stdint.h>

/** @return Kafka's murmur2 of key[0..len) (Utils.murmur2), as an unsigned 32-bit value; len 0 is the empty key. */
uint32_t ap_partition_murmur2(const void *key, size_t len);

/**
 * @brief The partition a record with this key belongs on among `count`
 * partitions: (murmur2(key) & 0x7fffffff) mod count, as the Java producer and
 * librdkafka's murmur2 partitioners choose it.
 * @return the partition, or -1 if count < 1.
 */
int32_t ap_partition_for_key(const void *key, size_t len, int32_t count);

#endif
