/* partition.c - Kafka's murmur2 partitioner. See partition.h. */
#include "arbejdspligt/partition.h"

/* Murmur2 (Austin Appleby) as Kafka's Java client computes it: 32-bit, seed
 * 0x9747b28c, little-endian 4-byte blocks, the tail bytes mixed in last.
 * Unsigned arithmetic gives the same bits as Java's wrapping int. */
uint32_t ap_partition_murmur2(const void *key, size_t len) {
    const uint32_t m = 0x5bd1e995u;
    const unsigned char *p = key;
    uint32_t h = 0x9747b28cu ^ (uint32_t)len;
    size_t blocks = len / 4;
    for (size_t i = 0; i < blocks; i++, p += 4) {
        uint32_t k = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        k *= m;
        k ^= k >> 24;
        k *= m;
        h *= m;
        h ^= k;
    }
    switch (len & 3) {
    case 3: h ^= (uint32_t)p[2] << 16; /* fall through */
    case 2: h ^= (uint32_t)p[1] << 8;  /* fall through */
    case 1:
        h ^= (uint32_t)p[0];
        h *= m;
        break;
    default: break;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

int32_t ap_partition_for_key(const void *key, size_t len, int32_t count) {
    if (count < 1) return -1;
    /* Java's toPositive (clear the sign bit), not abs(): abs(INT_MIN) is negative. */
    return (int32_t)((ap_partition_murmur2(key, len) & 0x7fffffffu) % (uint32_t)count);
}
