/* Parsing Canonical Form and CRC-64-AVRO fingerprints against the test
 * vectors published with the Avro specification (share/test/data/schema-tests.txt). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arbejdspligt/schema.h"

typedef struct vector {
    const char *input;
    const char *canonical;
    int has_fp;
    int64_t fingerprint; /* as the spec prints it: signed 64-bit */
} vector_t;

static const vector_t vectors[] = {
    {"\"null\"", "\"null\"", 1, 7195948357588979594LL},
    {"{\"type\":\"null\"}", "\"null\"", 0, 0},
    {"\"boolean\"", "\"boolean\"", 1, -6970731678124411036LL},
    {"{\"type\":\"boolean\"}", "\"boolean\"", 0, 0},
    {"\"int\"", "\"int\"", 1, 8247732601305521295LL},
    {"{\"type\":\"int\"}", "\"int\"", 0, 0},
    {"\"long\"", "\"long\"", 1, -3434872931120570953LL},
    {"{\"type\":\"long\"}", "\"long\"", 0, 0},
    {"\"float\"", "\"float\"", 1, 5583340709985441680LL},
    {"{\"type\":\"float\"}", "\"float\"", 0, 0},
    {"\"double\"", "\"double\"", 1, -8181574048448539266LL},
    {"{\"type\":\"double\"}", "\"double\"", 0, 0},
    {"\"bytes\"", "\"bytes\"", 1, 5746618253357095269LL},
    {"{\"type\":\"bytes\"}", "\"bytes\"", 0, 0},
    {"\"string\"", "\"string\"", 1, -8142146995180207161LL},
    {"{\"type\":\"string\"}", "\"string\"", 0, 0},
    {"[  ]", "[]", 1, -1241056759729112623LL},
    {"[ \"int\"  ]", "[\"int\"]", 1, -5232228896498058493LL},
    {"[ \"int\" , {\"type\":\"boolean\"} ]", "[\"int\",\"boolean\"]", 1, 5392556393470105090LL},
    {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\"}", "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}", 1,
     -4824392279771201922LL},
    {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"namespace\":\"x.y\"}",
     "{\"name\":\"x.y.foo\",\"type\":\"record\",\"fields\":[]}", 1, 5916914534497305771LL},
    {"{\"fields\":[], \"type\":\"record\", \"name\":\"a.b.foo\", \"namespace\":\"x.y\"}",
     "{\"name\":\"a.b.foo\",\"type\":\"record\",\"fields\":[]}", 1, -4616218487480524110LL},
    {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"doc\":\"Useful info\"}",
     "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}", 1, -4824392279771201922LL},
    {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"aliases\":[\"foo\",\"bar\"]}",
     "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}", 1, -4824392279771201922LL},
    {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"doc\":\"foo\", \"aliases\":[\"foo\",\"bar\"]}",
     "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}", 1, -4824392279771201922LL},
    {"{\"fields\":[{\"type\":{\"type\":\"boolean\"}, \"name\":\"f1\"}], \"type\":\"record\", \"name\":\"foo\"}",
     "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[{\"name\":\"f1\",\"type\":\"boolean\"}]}", 1,
     7843277075252814651LL},
    {"{ \"fields\":[{\"type\":\"boolean\", \"aliases\":[], \"name\":\"f1\", \"default\":\"true\"},\n"
     "            {\"order\":\"descending\",\"name\":\"f2\",\"doc\":\"Hello\",\"type\":\"int\"}],\n"
     "  \"type\":\"record\", \"name\":\"foo\"\n}",
     "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[{\"name\":\"f1\",\"type\":\"boolean\"},{\"name\":\"f2\",\"type\":\"int\"}]}",
     1, -4860222112080293046LL},
    {"{\"type\":\"enum\", \"name\":\"foo\", \"symbols\":[\"A1\"]}", "{\"name\":\"foo\",\"type\":\"enum\",\"symbols\":[\"A1\"]}", 1,
     -6342190197741309591LL},
    {"{\"namespace\":\"x.y.z\", \"type\":\"enum\", \"name\":\"foo\", \"doc\":\"foo bar\", \"symbols\":[\"A1\", \"A2\"]}",
     "{\"name\":\"x.y.z.foo\",\"type\":\"enum\",\"symbols\":[\"A1\",\"A2\"]}", 1, -4448647247586288245LL},
    {"{\"name\":\"foo\",\"type\":\"fixed\",\"size\":15}", "{\"name\":\"foo\",\"type\":\"fixed\",\"size\":15}", 1,
     1756455273707447556LL},
    {"{\"namespace\":\"x.y.z\", \"type\":\"fixed\", \"name\":\"foo\", \"doc\":\"foo bar\", \"size\":32}",
     "{\"name\":\"x.y.z.foo\",\"type\":\"fixed\",\"size\":32}", 1, -3064184465700546786LL},
    {"{ \"items\":{\"type\":\"null\"}, \"type\":\"array\"}", "{\"type\":\"array\",\"items\":\"null\"}", 1,
     -589620603366471059LL},
    {"{ \"values\":\"string\", \"type\":\"map\"}", "{\"type\":\"map\",\"values\":\"string\"}", 1, -8732877298790414990LL},
    {"  {\"name\":\"PigValue\",\"type\":\"record\",\n"
     "   \"fields\":[{\"name\":\"value\", \"type\":[\"null\", \"int\", \"long\", \"PigValue\"]}]}",
     "{\"name\":\"PigValue\",\"type\":\"record\",\"fields\":[{\"name\":\"value\",\"type\":[\"null\",\"int\",\"long\",\"PigValue\"]}]}",
     1, -1759257747318642341LL},
};

static void spec_vectors_canonical_form(void **state) {
    (void)state;
    ap_buf_t out = AP_BUF_INIT;
    char err[128];
    for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
        const vector_t *v = &vectors[i];
        assert_int_equal(ap_schema_canonical(v->input, strlen(v->input), &out, err, sizeof err), 0);
        if (strcmp(out.data, v->canonical) != 0) fail_msg("vector %03zu: got %s want %s", i, out.data, v->canonical);
    }
    ap_buf_free(&out);
}

static void spec_vectors_fingerprint(void **state) {
    (void)state;
    char err[128];
    for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
        const vector_t *v = &vectors[i];
        if (!v->has_fp) continue;
        uint64_t fp;
        assert_int_equal(ap_schema_fingerprint(v->input, strlen(v->input), &fp, err, sizeof err), 0);
        if (fp != (uint64_t)v->fingerprint) fail_msg("vector %03zu: fingerprint %lld", i, (long long)fp);
    }
}

static void crc64_empty_input_is_the_seed(void **state) {
    (void)state;
    assert_true(ap_schema_crc64("", 0) == AP_SCHEMA_CRC64_EMPTY);
    /* Incremental use equals one pass. */
    uint64_t a = ap_schema_crc64("\"string\"", 8);
    uint64_t b = ap_schema_crc64_update(ap_schema_crc64_update(AP_SCHEMA_CRC64_EMPTY, "\"str", 4), "ing\"", 4);
    assert_true(a == b);
}

/* The Avro specification's own definition, one bit at a time. */
static uint64_t spec_crc64(const unsigned char *p, size_t len) {
    uint64_t fp = AP_SCHEMA_CRC64_EMPTY;
    for (size_t i = 0; i < len; i++) {
        fp ^= p[i];
        for (int b = 0; b < 8; b++) fp = (fp >> 1) ^ (AP_SCHEMA_CRC64_EMPTY & (0 - (fp & 1)));
    }
    return fp;
}

/* Eight bytes per step must equal the definition at every length, start
 * alignment and split point. */
static void crc64_equals_the_spec_definition(void **state) {
    (void)state;
    unsigned char buf[200];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) { x = x * 1103515245u + 12345u; buf[i] = (unsigned char)(x >> 16); }
    for (size_t start = 0; start < 8; start++)
        for (size_t len = 0; start + len <= sizeof buf; len += 1 + len / 16) {
            uint64_t want = spec_crc64(buf + start, len);
            if (ap_schema_crc64(buf + start, len) != want) fail_msg("start %zu length %zu", start, len);
            size_t cut = len / 3;
            uint64_t parts = ap_schema_crc64_update(ap_schema_crc64(buf + start, cut), buf + start + cut, len - cut);
            if (parts != want) fail_msg("start %zu length %zu split at %zu", start, len, cut);
        }
}

static void logical_types_and_nested_namespaces(void **state) {
    (void)state;
    const char *in = "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a.b\",\"fields\":["
                     "{\"name\":\"t\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
                     "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"X\"]}},"
                     "{\"name\":\"o\",\"type\":[\"null\",\"E\"]},"
                     "{\"name\":\"s\",\"type\":\"string\",\"default\":\"\\u00e6\"}]}";
    ap_buf_t out = AP_BUF_INIT;
    char err[128];
    assert_int_equal(ap_schema_canonical(in, strlen(in), &out, err, sizeof err), 0);
    assert_string_equal(out.data,
                        "{\"name\":\"a.b.R\",\"type\":\"record\",\"fields\":[{\"name\":\"t\",\"type\":\"long\"},"
                        "{\"name\":\"e\",\"type\":{\"name\":\"a.b.E\",\"type\":\"enum\",\"symbols\":[\"X\"]}},"
                        "{\"name\":\"o\",\"type\":[\"null\",\"a.b.E\"]},{\"name\":\"s\",\"type\":\"string\"}]}");
    ap_buf_free(&out);
}

static void malformed_schemas_are_errors(void **state) {
    (void)state;
    const char *bad[] = {"", "{", "{\"type\":\"record\",\"fields\":[]}", "{\"type\":\"fixed\",\"name\":\"f\"}",
                         "{\"type\":\"array\"}", "42", "{\"name\":\"x\"}", "{\"type\":\"enum\",\"name\":\"e\"}"};
    ap_buf_t out = AP_BUF_INIT;
    char err[128];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        assert_int_equal(ap_schema_canonical(bad[i], strlen(bad[i]), &out, err, sizeof err), -1);
        assert_true(err[0] != '\0');
    }
    ap_buf_free(&out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_vectors_canonical_form),
        cmocka_unit_test(spec_vectors_fingerprint),
        cmocka_unit_test(crc64_empty_input_is_the_seed),
        cmocka_unit_test(crc64_equals_the_spec_definition),
        cmocka_unit_test(logical_types_and_nested_namespaces),
        cmocka_unit_test(malformed_schemas_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
