/* The strict JSON reader: valid documents, every rejection class, the writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "arbejdspligt/json.h"
#include "arbejdspligt/utf8.h"

static ap_json_doc_t doc = AP_JSON_DOC_INIT;

static int parse(const char *s) { return ap_json_parse(&doc, s, strlen(s)); }

static void parses_objects_arrays_and_scalars(void **state) {
    (void)state;
    assert_int_equal(parse(" {\"a\": [1, -2, 3.5e2, true, false, null], \"b\": {\"c\": \"d\"}} "), 0);
    const ap_json_node_t *root = &doc.nodes[0];
    assert_int_equal(root->type, AP_JSON_OBJECT);
    assert_int_equal(root->count, 2);
    const ap_json_node_t *a = ap_json_member(&doc, root, "a");
    assert_non_null(a);
    assert_int_equal(a->count, 6);
    int64_t v;
    const ap_json_node_t *n = ap_json_first(&doc, a);
    assert_int_equal(ap_json_int64(n, &v), 0);
    assert_int_equal(v, 1);
    n = ap_json_next(&doc, n);
    assert_int_equal(ap_json_int64(n, &v), 0);
    assert_int_equal(v, -2);
    n = ap_json_next(&doc, n);
    assert_int_equal(ap_json_int64(n, &v), -1); /* not an integer */
    assert_int_equal(ap_json_next(&doc, n)->type, AP_JSON_TRUE);
    assert_true(ap_json_is_string(ap_json_member(&doc, ap_json_member(&doc, root, "b"), "c"), "d"));
    assert_null(ap_json_member(&doc, root, "zz"));
}

static void decodes_escapes_and_surrogates(void **state) {
    (void)state;
    assert_int_equal(parse("\"a\\\"b\\\\c\\/d\\n\\u00e6\\ud83d\\ude00\""), 0);
    assert_string_equal(doc.nodes[0].str, "a\"b\\c/d\n\xc3\xa6\xf0\x9f\x98\x80");
    assert_int_equal(doc.nodes[0].len, 14);
}

static void integer_bounds(void **state) {
    (void)state;
    int64_t v;
    assert_int_equal(parse("9223372036854775807"), 0);
    assert_int_equal(ap_json_int64(&doc.nodes[0], &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(parse("-9223372036854775808"), 0);
    assert_int_equal(ap_json_int64(&doc.nodes[0], &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(parse("9223372036854775808"), 0);
    assert_int_equal(ap_json_int64(&doc.nodes[0], &v), -1);
}

static void rejects_malformed_input(void **state) {
    (void)state;
    const char *bad[] = {
        "", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "01", "1.", "-", "1e", "tru", "nul",
        "\"unterminated", "\"bad \\x escape\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\u0000\"", "\"tab\tinside\"",
        "{\"a\":1,\"a\":2}", "[1] [2]", "\"\xc3\x28\"", "\"\xed\xa0\x80\"", "\"\xc0\xaf\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (parse(bad[i]) != -1) fail_msg("accepted bad input %zu: %s", i, bad[i]);
        assert_true(doc.err[0] != '\0');
    }
}

static void rejects_deep_nesting(void **state) {
    (void)state;
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    assert_int_equal(ap_json_parse(&doc, deep, sizeof deep), -1);
    assert_non_null(strstr(doc.err, "nesting"));
}

static void writer_escapes_what_it_must(void **state) {
    (void)state;
    ap_buf_t b = AP_BUF_INIT;
    ap_json_write_string(&b, "a\"b\\c\n\x01\xc3\xa6", 9);
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa6\"");
    /* And it reads back to the same bytes. */
    assert_int_equal(ap_json_parse(&doc, b.data, b.len), 0);
    assert_memory_equal(doc.nodes[0].str, "a\"b\\c\n\x01\xc3\xa6", 9);
    ap_buf_free(&b);
}

/* Every byte value at every position of a string longer than the writer's
 * eight-byte step, against a byte-by-byte escaper written from RFC 8259. */
static void writer_escapes_every_byte_at_every_position(void **state) {
    (void)state;
    ap_buf_t got = AP_BUF_INIT;
    char in[40], want[40 * 6 + 3];
    for (int c = 0; c < 256; c++)
        for (size_t at = 0; at < sizeof in; at++) {
            memset(in, 'x', sizeof in);
            in[at] = (char)c;
            size_t n = 0;
            want[n++] = '"';
            for (size_t i = 0; i < sizeof in; i++) {
                unsigned char b = (unsigned char)in[i];
                if (b == '"' || b == '\\') want[n++] = '\\', want[n++] = (char)b;
                else if (b == '\n') want[n++] = '\\', want[n++] = 'n';
                else if (b == '\r') want[n++] = '\\', want[n++] = 'r';
                else if (b == '\t') want[n++] = '\\', want[n++] = 't';
                else if (b == '\b') want[n++] = '\\', want[n++] = 'b';
                else if (b == '\f') want[n++] = '\\', want[n++] = 'f';
                else if (b < 0x20) n += (size_t)snprintf(want + n, 7, "\\u%04x", b);
                else want[n++] = (char)b;
            }
            want[n++] = '"';
            ap_buf_reset(&got);
            ap_json_write_string(&got, in, sizeof in);
            if (got.len != n || memcmp(got.data, want, n) != 0) fail_msg("byte 0x%02x at %zu escaped wrongly", c, at);
        }
    ap_buf_free(&got);
}

/* ap_buf_append_int replaced printf on the output path: same digits, edge values too. */
static void integers_written_like_printf(void **state) {
    (void)state;
    const int64_t values[] = {0, 7, -7, 10, -10, 1234567890123LL, INT64_MAX, INT64_MIN, INT32_MIN, -1};
    ap_buf_t b = AP_BUF_INIT;
    char want[32];
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        ap_buf_reset(&b);
        ap_buf_append_str(&b, "x=");
        ap_buf_append_int(&b, values[i]);
        snprintf(want, sizeof want, "x=%lld", (long long)values[i]);
        assert_string_equal(b.data, want); /* also checks the terminating NUL */
        assert_int_equal(b.len, strlen(want));
    }
    ap_json_write_string(&b, "a\"b", 3);
    assert_int_equal(b.data[b.len], '\0');
    ap_buf_free(&b);
}

/* Strict UTF-8 at every position of a string longer than the eight-byte
 * ASCII step, so both the step and the byte-wise path see each case. */
static void utf8_checked_at_every_position(void **state) {
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        int valid;
    } seqs[] = {
        {"\xC3\xA6", 2, 1},          /* ae */
        {"\xE2\x82\xAC", 3, 1},      /* euro sign */
        {"\xF0\x9F\x98\x80", 4, 1},  /* outside the BMP */
        {"\xC3", 1, 0},              /* cut short */
        {"\xE2\x82", 2, 0},          /* cut short */
        {"\xC3\x28", 2, 0},          /* bad continuation */
        {"\xC0\xAF", 2, 0},          /* overlong */
        {"\xED\xA0\x80", 3, 0},      /* surrogate */
        {"\xF4\x90\x80\x80", 4, 0},  /* past U+10FFFF */
        {"\x80", 1, 0},              /* lone continuation */
        {"\xFF", 1, 0},
    };
    char buf[64];
    for (size_t k = 0; k < sizeof seqs / sizeof *seqs; k++)
        for (size_t at = 0; at + seqs[k].len <= 40; at++) {
            memset(buf, 'a', 40);
            memcpy(buf + at, seqs[k].bytes, seqs[k].len);
            if (ap_utf8_valid(buf, 40) != seqs[k].valid) fail_msg("sequence %zu at %zu: wrong verdict", k, at);
            /* ending right after it: a cut sequence at the very end */
            if (ap_utf8_valid(buf, at + seqs[k].len) != seqs[k].valid) fail_msg("sequence %zu ending at %zu", k, at);
        }
    memset(buf, 'a', 40);
    assert_true(ap_utf8_valid(buf, 40));
    assert_true(ap_utf8_valid(buf, 0));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_objects_arrays_and_scalars), cmocka_unit_test(decodes_escapes_and_surrogates),
        cmocka_unit_test(integer_bounds),  cmocka_unit_test(rejects_malformed_input),
        cmocka_unit_test(rejects_deep_nesting), cmocka_unit_test(writer_escapes_what_it_must),
        cmocka_unit_test(writer_escapes_every_byte_at_every_position),
        cmocka_unit_test(integers_written_like_printf), cmocka_unit_test(utf8_checked_at_every_position),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ap_json_doc_free(&doc);
    return rc;
}
