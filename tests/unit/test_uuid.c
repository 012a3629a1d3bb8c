/* Name-based UUIDs, version 5: the published vectors (RFC 9562 appendix A.4;
 * the example in Python's uuid documentation), more vectors from Python's
 * uuid.uuid5(), the project namespace, the version and variant bits, and
 * that derived ids carry no linear structure (the CRC-64 ids before them did:
 * see derived_ids_are_not_linear). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "arbejdspligt/uuid.h"

/* The RFC's namespaces (RFC 9562 section 6.6). */
#define NS_DNS "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
#define NS_URL "6ba7b811-9dad-11d1-80b4-00c04fd430c8"
#define NS_OID "6ba7b812-9dad-11d1-80b4-00c04fd430c8"
#define NS_X500 "6ba7b814-9dad-11d1-80b4-00c04fd430c8"

static ap_uuid_t parse(const char *s) {
    ap_uuid_t u;
    assert_int_equal(strlen(s), 36);
    for (int i = 0, at = 0; i < 16; i++, at += 2) {
        if (s[at] == '-') at++;
        unsigned v;
        assert_int_equal(sscanf(s + at, "%2x", &v), 1);
        u.bytes[i] = (uint8_t)v;
    }
    return u;
}

typedef struct vector {
    const char *ns, *name, *want, *source;
} vector_t;

static const vector_t vectors[] = {
    {NS_DNS, "www.example.com", "2ed6657d-e927-568b-95e1-2665a8aea6a2", "RFC 9562 appendix A.4"},
    {NS_DNS, "python.org", "886313e1-3b8a-5372-9b90-0c9aee199e5d", "Python uuid documentation"},
    /* python3 -c 'import uuid; print(uuid.uuid5(uuid.NAMESPACE_URL, "http://python.org/"))' and so on */
    {NS_URL, "http://python.org/", "4c565f0d-3f5a-5890-b41b-20cf47701c5e", "Python uuid.uuid5"},
    {NS_OID, "1.3.6.1", "1447fa61-5277-5fef-a9b3-fbc6e44f4af3", "Python uuid.uuid5"},
    {NS_X500, "cn=test", "aa100ae4-58f0-5dc6-8f4e-421955eaf67f", "Python uuid.uuid5"},
    {NS_DNS, "", "4ebd0208-8328-5d69-8c44-ec50939c0967", "Python uuid.uuid5 (empty name)"},
    {NS_URL, "urn:arbejdspligt:derived-id", "da525c61-9022-5cb4-866b-c4a556c268c7", "the project namespace"},
};

static void v5_matches_published_vectors(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
        ap_uuid_t ns = parse(vectors[i].ns), u;
        char got[AP_UUID_CAP];
        ap_uuid_v5(&ns, vectors[i].name, strlen(vectors[i].name), &u);
        ap_uuid_format(&u, got);
        if (strcmp(got, vectors[i].want) != 0)
            fail_msg("%s: \"%s\" gave %s, want %s", vectors[i].source, vectors[i].name, got, vectors[i].want);
    }
}

/* A name longer than one SHA-1 block (64 bytes with the namespace). */
static void v5_of_a_long_name(void **state) {
    (void)state;
    char name[201];
    memset(name, 'a', 200);
    name[200] = '\0';
    ap_uuid_t ns = parse(NS_URL), u;
    char got[AP_UUID_CAP];
    ap_uuid_v5(&ns, name, 200, &u);
    ap_uuid_format(&u, got);
    assert_string_equal(got, "7f4631a0-b493-5760-92a5-27e642bfb142"); /* uuid.uuid5(NAMESPACE_URL, "a" * 200) */
}

/* The constant in uuid.c is what its comment says it is. */
static void project_namespace_is_v5_of_its_name(void **state) {
    (void)state;
    ap_uuid_t url = parse(NS_URL), u;
    const char *name = "urn:arbejdspligt:derived-id";
    ap_uuid_v5(&url, name, strlen(name), &u);
    assert_memory_equal(u.bytes, AP_UUID_NAMESPACE.bytes, 16);
}

/* The names the services use, with ids from
 * python3 -c 'import uuid; ns = uuid.UUID("da525c61-9022-5cb4-866b-c4a556c268c7"); print(uuid.uuid5(ns, NAME))'
 * so an auditor can recompute any id without this code. */
static void derived_ids_are_v5_under_the_project_namespace(void **state) {
    (void)state;
    static const struct { const char *name, *want; } ids[] = {
        {"result|c-1|20458|1", "bd0faa7a-bbc4-5c5a-8c4b-8404001d15b0"},
        {"result|c-1|20458|2", "d58cef58-0a11-5473-a767-d89a49939801"},
        {"alert|c-1|20458|1|0|0", "996a8fc8-5996-5e78-b7ff-612d2c26895e"},
        {"dead-letter|ap.hours|3|1234", "6a41328e-5c1b-5b83-899f-5199a264fe73"},
    };
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        char got[AP_UUID_CAP], again[AP_UUID_CAP];
        ap_uuid_derive(ids[i].name, got);
        ap_uuid_derive(ids[i].name, again);
        assert_string_equal(got, ids[i].want);
        assert_string_equal(got, again); /* deterministic */
    }
}

static void version_and_variant_bits(void **state) {
    (void)state;
    char name[64], id[AP_UUID_CAP];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "result|g-%06d|%d|%d", i, 20458 + 7 * (i % 13), 1 + i % 3);
        ap_uuid_derive(name, id);
        assert_int_equal(id[14], '5');                /* version 5: name-based, SHA-1 */
        assert_non_null(strchr("89ab", id[19]));      /* variant 10xx: RFC 9562 */
        for (int k = 0; k < 36; k++)                  /* lower-case 8-4-4-4-12 */
            if (k == 8 || k == 13 || k == 18 || k == 23) assert_int_equal(id[k], '-');
            else assert_non_null(strchr("0123456789abcdef", id[k]));
        assert_int_equal(id[36], '\0');
    }
}

static int popcount(const ap_uuid_t *a, const ap_uuid_t *b) {
    int n = 0;
    for (int i = 0; i < 16; i++) n += __builtin_popcount((unsigned)(a->bytes[i] ^ b->bytes[i]));
    return n;
}

/* Names one byte apart give unrelated ids: about half of the 122 free bits
 * differ (a binomial with mean 61 and deviation 5.5; 30 is 5.6 deviations
 * below), and every position of the name matters. */
static void one_byte_apart_gives_unrelated_ids(void **state) {
    (void)state;
    const char *base = "result|c-000123|20458|1";
    size_t len = strlen(base);
    ap_uuid_t a, b;
    ap_uuid_v5(&AP_UUID_NAMESPACE, base, len, &a);
    for (size_t at = 0; at < len; at++) {
        char name[64];
        memcpy(name, base, len + 1);
        name[at] ^= 1;
        ap_uuid_v5(&AP_UUID_NAMESPACE, name, len, &b);
        int d = popcount(&a, &b);
        if (d < 30 || d > 92) fail_msg("byte %zu flipped: %d bits differ", at, d);
    }
}

/* The CRC-64 ids before version 5 were affine in the name: for names of one
 * length, id(a) ^ id(b) ^ id(c) ^ id(a ^ b ^ c) was zero. So citizen c-1's
 * and c-2's results for revisions 1 and 2 fixed each other's ids. With SHA-1
 * that sum is as random as any id. */
static void derived_ids_are_not_linear(void **state) {
    (void)state;
    static const char *quads[][4] = {
        {"result|c-1|20458|1", "result|c-2|20458|1", "result|c-1|20458|2", "result|c-2|20458|2"},
        {"dead-letter|ap.hours|0|100", "dead-letter|ap.hours|1|100", "dead-letter|ap.hours|0|101",
         "dead-letter|ap.hours|1|101"},
    };
    for (size_t q = 0; q < sizeof quads / sizeof *quads; q++) {
        ap_uuid_t id[4], sum;
        char text[AP_UUID_CAP];
        memset(&sum, 0, sizeof sum);
        for (int k = 0; k < 4; k++) {
            ap_uuid_derive(quads[q][k], text);
            id[k] = parse(text);
            for (int i = 0; i < 16; i++) sum.bytes[i] ^= id[k].bytes[i];
        }
        ap_uuid_t zero;
        memset(&zero, 0, sizeof zero);
        /* Outside the 6 fixed bits, the sum of four random ids has ~61 bits set. */
        int bits = popcount(&sum, &zero);
        if (bits < 30) fail_msg("ids of %s... are linearly related: their XOR has %d bits set", quads[q][0], bits);
        /* ...and the two halves of an id are not one another under a fixed XOR. */
        uint8_t x0[8], x1[8];
        for (int i = 0; i < 8; i++) {
            x0[i] = id[0].bytes[i] ^ id[0].bytes[8 + i];
            x1[i] = id[1].bytes[i] ^ id[1].bytes[8 + i];
        }
        assert_memory_not_equal(x0, x1, 8);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(v5_matches_published_vectors),
        cmocka_unit_test(v5_of_a_long_name),
        cmocka_unit_test(project_namespace_is_v5_of_its_name),
        cmocka_unit_test(derived_ids_are_v5_under_the_project_namespace),
        cmocka_unit_test(version_and_variant_bits),
        cmocka_unit_test(one_byte_apart_gives_unrelated_ids),
        cmocka_unit_test(derived_ids_are_not_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
