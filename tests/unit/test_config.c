/* The settings table: defaults < file < environment < --set, and clear errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "arbejdspligt/config.h"
#include "arbejdspligt/events.h"

typedef struct cfg {
    char brokers[64];
    int port;
    char required[16];
} cfg_t;

static const ap_setting_t table[] = {
    {"kafka.brokers", "APT_BROKERS", AP_SET_STRING, "localhost:9092", offsetof(cfg_t, brokers), 64, 0, 0, "brokers"},
    {"redis.port", "APT_PORT", AP_SET_INT, "6379", offsetof(cfg_t, port), sizeof(int), 1, 65535, "port"},
    {"name", "APT_NAME", AP_SET_STRING, NULL, offsetof(cfg_t, required), 16, 0, 0, "required"},
};

static int load(cfg_t *c, int argc, char **argv, char *err) {
    memset(c, 0, sizeof *c);
    FILE *devnull = fopen("/dev/null", "w");
    int rc = ap_config_load(table, 3, c, argc, argv, devnull, "usage", err, 256);
    fclose(devnull);
    return rc;
}

static void precedence(void **state) {
    (void)state;
    char path[] = "/tmp/ap-config-test-XXXXXX", err[256];
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# comment\nkafka.brokers = file:1\nredis.port=7000\nname = fromfile\n");
    fclose(f);
    cfg_t c;
    char *argv1[] = {"prog", "--config", path, NULL};
    unsetenv("APT_BROKERS");
    unsetenv("APT_PORT");
    unsetenv("APT_NAME");
    assert_int_equal(load(&c, 3, argv1, err), 0);
    assert_string_equal(c.brokers, "file:1");
    assert_int_equal(c.port, 7000);
    setenv("APT_PORT", "7100", 1);
    assert_int_equal(load(&c, 3, argv1, err), 0);
    assert_int_equal(c.port, 7100);
    char set[] = "redis.port=7200";
    char *argv2[] = {"prog", "--config", path, "--set", set, NULL};
    assert_int_equal(load(&c, 5, argv2, err), 0);
    assert_int_equal(c.port, 7200);
    unsetenv("APT_PORT");
    remove(path);
}

static void errors_are_clear(void **state) {
    (void)state;
    cfg_t c;
    char err[256];
    char *none[] = {"prog", NULL};
    unsetenv("APT_NAME");
    assert_int_equal(load(&c, 1, none, err), -1);
    assert_non_null(strstr(err, "name"));
    setenv("APT_NAME", "x", 1);
    setenv("APT_PORT", "99999", 1);
    assert_int_equal(load(&c, 1, none, err), -1);
    assert_non_null(strstr(err, "redis.port"));
    setenv("APT_PORT", "12abc", 1);
    assert_int_equal(load(&c, 1, none, err), -1);
    unsetenv("APT_PORT");
    char bad[] = "nope=1";
    char *argv[] = {"prog", "--set", bad, NULL};
    assert_int_equal(load(&c, 3, argv, err), -1);
    assert_non_null(strstr(err, "unknown setting"));
    char *help[] = {"prog", "--help", NULL};
    assert_int_equal(load(&c, 2, help, err), 1);
    unsetenv("APT_NAME");
}

/* A comment longer than the reader's line buffer is still one comment: its
 * tail was applied as a setting. A setting line that long is an error. */
static void long_lines_are_not_split(void **state) {
    (void)state;
    char path[] = "/tmp/ap-config-test-XXXXXX", err[256];
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputc('#', f);
    for (int i = 0; i < 1022; i++) fputc('x', f);
    fprintf(f, "redis.port = 7777\nname = n\n");
    fclose(f);
    cfg_t c;
    char *argv[] = {"prog", "--config", path, NULL};
    unsetenv("APT_PORT");
    unsetenv("APT_NAME");
    assert_int_equal(load(&c, 3, argv, err), 0);
    assert_int_equal(c.port, 6379);
    assert_string_equal(c.required, "n");
    f = fopen(path, "w");
    fprintf(f, "kafka.brokers = ");
    for (int i = 0; i < 1100; i++) fputc('b', f);
    fprintf(f, "\nname = n\n");
    fclose(f);
    assert_int_equal(load(&c, 3, argv, err), -1);
    assert_non_null(strstr(err, ":1: line longer than"));
    remove(path);
}

/* Writes a file into dir. */
static void put(const char *dir, const char *name, const char *text, size_t len) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

/* schemas.writers_dir: a publisher's newer compatible schema is registered;
 * an incompatible one refuses start-up, naming the field; other files are ignored. */
static void writer_schemas_from_a_directory(void **state) {
    (void)state;
    ap_codec_error_t cerr;
    assert_int_equal(ap_events_init(&cerr), 0);
    char dir[] = "/tmp/ap-writers-test-XXXXXX", err[512], text[8192];
    assert_non_null(mkdtemp(dir));
    size_t len;
    const char *hours = ap_events_schema_text("HoursEvent", &len);
    const char *end = strrchr(hours, ']');
    int n = snprintf(text, sizeof text, "%.*s, {\"name\": \"approved_by\", \"type\": [\"null\", \"string\"], \"default\": null}%s",
                     (int)(end - hours), hours, end);
    put(dir, "HoursEvent.v2.avsc", text, (size_t)n);
    put(dir, "README.txt", "not a schema", 12);
    assert_int_equal(ap_config_load_writer_schemas("", &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(ap_config_load_writer_schemas(dir, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    const char *at = strstr(hours, "\"type\": \"int\", \"doc\": \"Whole minutes");
    assert_non_null(at);
    n = snprintf(text, sizeof text, "%.*s\"type\": \"string\"%s", (int)(at - hours), hours, at + strlen("\"type\": \"int\""));
    put(dir, "a-broken.avsc", text, (size_t)n);
    assert_int_equal(ap_config_load_writer_schemas(dir, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "HoursEvent.minutes"));
    assert_int_equal(ap_config_load_writer_schemas("/nonexistent/ap-writers", &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "schemas.writers_dir"));
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Secret files: read whole (one trailing newline dropped), refused when
 * others may read them, when empty or too long; the content is never in err. */
static void secrets_come_from_private_files(void **state) {
    (void)state;
    char path[] = "/tmp/ap-secret-test-XXXXXX", err[256];
    int fd = mkstemp(path); /* mode 600 */
    FILE *f = fdopen(fd, "w");
    fputs("s3cret-key\n", f);
    fclose(f);
    unsigned char key[16];
    size_t len = 99;
    assert_int_equal(ap_config_read_secret("", key, sizeof key, &len, err, sizeof err), 0);
    assert_int_equal(len, 0);
    assert_int_equal(ap_config_read_secret(path, key, sizeof key, &len, err, sizeof err), 0);
    assert_int_equal(len, 10);
    assert_memory_equal(key, "s3cret-key", 10);
    assert_int_equal(ap_config_read_secret(path, key, 4, &len, err, sizeof err), -1);
    assert_non_null(strstr(err, "longer than 4 bytes"));
    assert_null(strstr(err, "s3cret"));
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(ap_config_read_secret(path, key, sizeof key, &len, err, sizeof err), -1);
    assert_non_null(strstr(err, "chmod 600"));
    assert_null(strstr(err, "s3cret"));
    assert_int_equal(chmod(path, 0600), 0);
    f = fopen(path, "w");
    fclose(f);
    assert_int_equal(ap_config_read_secret(path, key, sizeof key, &len, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty"));
    remove(path);
    assert_int_equal(ap_config_read_secret(path, key, sizeof key, &len, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
}

/* Writes text to a new temporary file; its path into path (a mkstemp template). */
static void temp_file(char *path, const char *text, size_t len) {
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

/* Reads a password, expecting failure, and checks the error names `names`
 * and never holds any of the secret's text. */
static void secret_refused(const char *file, const char *names, const char *secret_part) {
    char out[32], err[256];
    memset(out, 'x', sizeof out);
    assert_int_equal(ap_config_read_password(file, "APT_SECRET", out, sizeof out, err, sizeof err), -1);
    assert_non_null(strstr(err, names));
    assert_null(strstr(err, secret_part));
    assert_string_equal(out, ""); /* nothing of a refused secret is handed back */
}

/* The Redis password: one line of a private file (redis.password_file),
 * else an environment variable; the line end is not part of it; two
 * sources, an empty, multi-line, oversized or group-readable file are
 * refused, and no error text quotes the password. */
static void passwords_from_a_file_or_the_environment(void **state) {
    (void)state;
    char out[32], err[256];
    unsetenv("APT_SECRET");
    assert_int_equal(ap_config_read_password("", "APT_SECRET", out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, ""); /* none given: no AUTH */
    setenv("APT_SECRET", "from-env s3cret", 1);
    assert_int_equal(ap_config_read_password("", "APT_SECRET", out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "from-env s3cret");
    assert_int_equal(ap_config_read_password(NULL, "APT_SECRET", out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "from-env s3cret");
    char path[] = "/tmp/ap-secret-test-XXXXXX";
    temp_file(path, "pa ss#word=1\r\n", 14); /* mkstemp: mode 600, as ap_config_read_secret wants */
    secret_refused(path, "both APT_SECRET and a password file", "s3cret");
    unsetenv("APT_SECRET");
    assert_int_equal(ap_config_read_password(path, "APT_SECRET", out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "pa ss#word=1"); /* spaces, '#' and '=' are the password's own */
    assert_int_equal(ap_config_read_password(path, NULL, out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "pa ss#word=1");
    assert_int_equal(chmod(path, 0640), 0);
    secret_refused(path, "chmod 600", "ss#word");
    remove(path);
    char two[] = "/tmp/ap-secret-test-XXXXXX", empty[] = "/tmp/ap-secret-test-XXXXXX", big[] = "/tmp/ap-secret-test-XXXXXX";
    temp_file(two, "line-one\nline-two\n", 18);
    secret_refused(two, "on one line", "line-");
    temp_file(empty, "\n", 1);
    secret_refused(empty, "is empty", "\n");
    temp_file(big, "0123456789abcdefghijklmnopqrstuvwxyz", 36); /* out holds 31 */
    secret_refused(big, "longer than 31 bytes", "0123");
    secret_refused("/nonexistent/ap-secret", "cannot open secret file /nonexistent/ap-secret", "\x01");
    setenv("APT_SECRET", "0123456789abcdefghijklmnopqrstuvwxyz", 1);
    secret_refused("", "APT_SECRET is longer than 31", "0123");
    unsetenv("APT_SECRET");
    remove(two);
    remove(empty);
    remove(big);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(precedence), cmocka_unit_test(errors_are_clear),
                                       cmocka_unit_test(long_lines_are_not_split),
                                       cmocka_unit_test(secrets_come_from_private_files),
                                       cmocka_unit_test(writer_schemas_from_a_directory),
                                       cmocka_unit_test(passwords_from_a_file_or_the_environment)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
