/* The bounded line reader (lines.h): line ends, CR LF, a last line without
 * '\n', empty lines, the bound exactly and one byte over it (the rest is not
 * read), and a line longer than the reader's buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "arbejdspligt/lines.h"

/* A pipe holding text (small enough for the pipe's buffer), write end closed. */
static int pipe_of(const char *text, size_t len) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], text, len), (ssize_t)len);
    close(fds[1]);
    return fds[0];
}

static void lines_and_their_ends(void **state) {
    (void)state;
    static const char text[] = "a\r\n\nbc\n\r\nlast";
    int fd = pipe_of(text, sizeof text - 1);
    static ap_lines_t lr;
    ap_buf_t line = AP_BUF_INIT;
    ap_lines_init(&lr, fd, 100);
    const char *want[] = {"a", "", "bc", "", "last"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(ap_lines_read(&lr, &line), 1);
        assert_string_equal(line.data, want[i]);
        assert_int_equal(line.len, strlen(want[i]));
    }
    assert_int_equal(ap_lines_read(&lr, &line), 0);
    assert_int_equal(ap_lines_read(&lr, &line), 0);
    close(fd);
    ap_buf_free(&line);
}

static void the_bound_holds_exactly(void **state) {
    (void)state;
    static char text[] = "12345\n123456\nnever read\n";
    int fd = pipe_of(text, sizeof text - 1);
    static ap_lines_t lr;
    ap_buf_t line = AP_BUF_INIT;
    ap_lines_init(&lr, fd, 5);
    assert_int_equal(ap_lines_read(&lr, &line), 1);
    assert_string_equal(line.data, "12345");
    assert_int_equal(ap_lines_read(&lr, &line), -1);
    close(fd);
    ap_buf_free(&line);
}

/* A line of 100 KB (three buffers' worth) comes whole; one over a 64 KB bound does not. */
static void long_lines_span_buffers(void **state) {
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    for (int i = 0; i < 100 * 1024; i++) fputc('a' + i % 26, f);
    fputs("\nend\n", f);
    fflush(f);
    static ap_lines_t lr;
    ap_buf_t line = AP_BUF_INIT;
    lseek(fileno(f), 0, SEEK_SET);
    ap_lines_init(&lr, fileno(f), 1 << 20);
    assert_int_equal(ap_lines_read(&lr, &line), 1);
    assert_int_equal(line.len, 100 * 1024);
    assert_int_equal(line.data[26 * 1000 + 3], 'd');
    assert_int_equal(ap_lines_read(&lr, &line), 1);
    assert_string_equal(line.data, "end");
    assert_int_equal(ap_lines_read(&lr, &line), 0);
    lseek(fileno(f), 0, SEEK_SET);
    ap_lines_init(&lr, fileno(f), 64 * 1024);
    assert_int_equal(ap_lines_read(&lr, &line), -1);
    assert_true(line.len <= 64 * 1024);
    fclose(f);
    ap_buf_free(&line);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_and_their_ends),
        cmocka_unit_test(the_bound_holds_exactly),
        cmocka_unit_test(long_lines_span_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
