/* Kafka connection settings (issue 15 §1): the shared settings rows, secrets
 * from files and the environment, the passthrough, the checks between
 * settings, and the librdkafka configuration built from them. No broker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "arbejdspligt/config.h"
#include "arbejdspligt/kafka.h"

typedef struct cfg {
    ap_kafka_conn_t kafka;
    int other;
} cfg_t;

#define S(name, env, type, def, field, min, max, help) \
    {name, env, type, def, offsetof(cfg_t, field), sizeof(((cfg_t *)0)->field), min, max, help}
static const ap_setting_t table[] = {
    AP_KAFKA_CONN_SETTINGS(S, kafka),
    S("other", "APT_OTHER", AP_SET_INT, "1", other, 0, 9, "other"),
};
#define N (sizeof table / sizeof *table)

static const char *const vars[] = {
    "AP_KAFKA_BROKERS", "AP_KAFKA_SECURITY_PROTOCOL", "AP_KAFKA_SSL_CA_FILE", "AP_KAFKA_SSL_CERTIFICATE_FILE",
    "AP_KAFKA_SSL_KEY_FILE", "AP_KAFKA_SSL_KEY_PASSWORD", "AP_KAFKA_SSL_KEY_PASSWORD_FILE", "AP_KAFKA_SSL_VERIFY",
    "AP_KAFKA_SASL_MECHANISM", "AP_KAFKA_SASL_USERNAME", "AP_KAFKA_SASL_PASSWORD", "AP_KAFKA_SASL_PASSWORD_FILE",
    "AP_KAFKA_PROPERTY_SOCKET_KEEPALIVE_ENABLE", "AP_KAFKA_PROPERTY_CLIENT_ID", "AP_CONFIG", NULL,
};

static void clear_env(void) {
    for (int i = 0; vars[i]; i++) unsetenv(vars[i]);
}

static int load(cfg_t *c, int argc, char **argv, char *err) {
    memset(c, 0, sizeof *c);
    FILE *devnull = fopen("/dev/null", "w");
    int rc = ap_config_load(table, N, c, argc, argv, devnull, "usage", err, 512);
    fclose(devnull);
    return rc;
}

/* Secret files are mode 600 (others' readable ones are refused). */
static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, 0600);
}

/* Every binary gets the same names and defaults: plaintext, verification on. */
static void defaults(void **state) {
    (void)state;
    clear_env();
    cfg_t c;
    char err[512], *argv[] = {"prog", NULL};
    assert_int_equal(load(&c, 1, argv, err), 0);
    assert_string_equal(c.kafka.brokers, "127.0.0.1:9092");
    assert_string_equal(c.kafka.security_protocol, "plaintext");
    assert_int_equal(c.kafka.ssl_verify, 1);
    assert_string_equal(c.kafka.sasl_password, "");
    assert_string_equal(c.kafka.properties, "");
    assert_int_equal(ap_kafka_conn_check(&c.kafka, err, sizeof err), 0);
}

/* A secret: from the file its key names (one line, mode 600), from its
 * variable, or from VAR_FILE; both variables at once is an error. */
static void secrets_from_files_and_environment(void **state) {
    (void)state;
    clear_env();
    char dir[] = "/tmp/ap-kafka-test-XXXXXX", path[128], conf[128], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/pw", dir);
    snprintf(conf, sizeof conf, "%s/client.conf", dir);
    write_file(path, "s3cret-from-file\r\n");
    char line[300];
    snprintf(line, sizeof line, "kafka.sasl_password_file = %s\n", path);
    write_file(conf, line);
    cfg_t c;
    char *argv[] = {"prog", "--config", conf, NULL};
    assert_int_equal(load(&c, 3, argv, err), 0);
    assert_string_equal(c.kafka.sasl_password, "s3cret-from-file");

    setenv("AP_KAFKA_SASL_PASSWORD", "s3cret-from-env", 1);
    assert_int_equal(load(&c, 3, argv, err), 0);
    assert_string_equal(c.kafka.sasl_password, "s3cret-from-env"); /* the environment over the file */

    setenv("AP_KAFKA_SASL_PASSWORD_FILE", path, 1);
    assert_int_equal(load(&c, 3, argv, err), -1);
    assert_non_null(strstr(err, "give one"));
    unsetenv("AP_KAFKA_SASL_PASSWORD");
    char *none[] = {"prog", NULL};
    assert_int_equal(load(&c, 1, none, err), 0);
    assert_string_equal(c.kafka.sasl_password, "s3cret-from-file");

    /* --set names a file, never the secret itself. */
    unsetenv("AP_KAFKA_SASL_PASSWORD_FILE");
    char key_pw[128], set[200];
    snprintf(key_pw, sizeof key_pw, "%s/keypw", dir);
    write_file(key_pw, "key-passphrase\n");
    snprintf(set, sizeof set, "kafka.ssl_key_password_file=%s", key_pw);
    char *argv2[] = {"prog", "--set", set, NULL};
    assert_int_equal(load(&c, 3, argv2, err), 0);
    assert_string_equal(c.kafka.ssl_key_password, "key-passphrase");

    /* Missing and empty files are errors that name the file, not a value. */
    char missing[] = "kafka.sasl_password_file=/nonexistent/pw";
    char *argv3[] = {"prog", "--set", missing, NULL};
    assert_int_equal(load(&c, 3, argv3, err), -1);
    assert_non_null(strstr(err, "/nonexistent/pw"));
    write_file(path, "\n");
    setenv("AP_KAFKA_SASL_PASSWORD_FILE", path, 1);
    assert_int_equal(load(&c, 1, none, err), -1);
    assert_non_null(strstr(err, "kafka.sasl_password_file"));
    write_file(path, "two\nlines\n");
    assert_int_equal(load(&c, 1, none, err), -1);
    assert_non_null(strstr(err, "one line"));
    assert_null(strstr(err, "lines"));
    /* A file others may read is refused, its content never echoed. */
    write_file(path, "readable-by-all\n");
    chmod(path, 0644);
    assert_int_equal(load(&c, 1, none, err), -1);
    assert_non_null(strstr(err, "chmod 600"));
    assert_null(strstr(err, "readable-by-all"));
    unsetenv("AP_KAFKA_SASL_PASSWORD_FILE");

    /* Too long for the buffer: an error without the secret in it. */
    char big[400];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    setenv("AP_KAFKA_SASL_PASSWORD", big, 1);
    assert_int_equal(load(&c, 1, none, err), -1);
    assert_null(strstr(err, "xxxxxxxx"));
    unsetenv("AP_KAFKA_SASL_PASSWORD");
    remove(path);
    remove(key_pw);
    remove(conf);
    rmdir(dir);
}

/* --help lists the secret's names but never its value. */
static void help_never_prints_a_secret(void **state) {
    (void)state;
    clear_env();
    setenv("AP_KAFKA_SASL_PASSWORD", "do-not-print-me", 1);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    cfg_t c;
    char err[512], *argv[] = {"prog", "--help", NULL};
    memset(&c, 0, sizeof c);
    assert_int_equal(ap_config_load(table, N, &c, 2, argv, out, "usage", err, sizeof err), 1);
    fclose(out);
    assert_null(strstr(buf, "do-not-print-me"));
    assert_non_null(strstr(buf, "kafka.sasl_password_file"));
    assert_non_null(strstr(buf, "AP_KAFKA_SASL_PASSWORD[_FILE]"));
    assert_non_null(strstr(buf, "kafka.property.NAME"));
    free(buf);
    unsetenv("AP_KAFKA_SASL_PASSWORD");
}

/* kafka.property.NAME from file, environment and --set, later sources
 * replacing earlier ones; bad names refused. */
static void passthrough_properties(void **state) {
    (void)state;
    clear_env();
    char path[] = "/tmp/ap-kafka-props-XXXXXX", err[512];
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "kafka.property.client.id = from-file\nkafka.property.socket.keepalive.enable=false\n");
    fclose(f);
    setenv("AP_KAFKA_PROPERTY_SOCKET_KEEPALIVE_ENABLE", "true", 1);
    char set[] = "kafka.property.client.id=from-set";
    char *argv[] = {"prog", "--config", path, "--set", set, NULL};
    cfg_t c;
    assert_int_equal(load(&c, 5, argv, err), 0);
    char name[64], value[64];
    size_t pos = 0;
    int n = 0, seen_id = 0, seen_ka = 0;
    while (ap_config_property_next(c.kafka.properties, &pos, name, sizeof name, value, sizeof value)) {
        n++;
        if (strcmp(name, "client.id") == 0) seen_id = strcmp(value, "from-set") == 0;
        if (strcmp(name, "socket.keepalive.enable") == 0) seen_ka = strcmp(value, "true") == 0;
    }
    assert_int_equal(n, 2);
    assert_true(seen_id);
    assert_true(seen_ka);
    unsetenv("AP_KAFKA_PROPERTY_SOCKET_KEEPALIVE_ENABLE");

    char bad[] = "kafka.property.bad name=x";
    char *argv2[] = {"prog", "--set", bad, NULL};
    assert_int_equal(load(&c, 3, argv2, err), -1);
    char empty[] = "kafka.property.=x";
    char *argv3[] = {"prog", "--set", empty, NULL};
    assert_int_equal(load(&c, 3, argv3, err), -1);
    assert_non_null(strstr(err, "unknown setting"));
    remove(path);
}

/* Settings that contradict each other stop start-up, naming the settings. */
static void checks_between_settings(void **state) {
    (void)state;
    static const struct {
        const char *why;
        const char *const set[8]; /* key, value pairs */
        const char *error;        /* NULL: accepted */
    } rows[] = {
        {"TLS with a CA", {"kafka.security_protocol", "ssl", "kafka.ssl_ca_file", "/ca.pem"}, NULL},
        {"SCRAM over TLS", {"kafka.security_protocol", "sasl_ssl", "kafka.sasl_mechanism", "SCRAM-SHA-512",
                            "kafka.sasl_username", "u"}, NULL},
        {"SCRAM without TLS is allowed (the password is not sent)",
         {"kafka.security_protocol", "sasl_plaintext", "kafka.sasl_mechanism", "SCRAM-SHA-256", "kafka.sasl_username", "u"},
         NULL},
        {"unknown protocol", {"kafka.security_protocol", "tls"}, "kafka.security_protocol must be"},
        {"a CA file without TLS", {"kafka.ssl_ca_file", "/ca.pem"}, "kafka.ssl_ca_file is set but"},
        {"verification off without TLS", {"kafka.ssl_verify", "0"}, "kafka.ssl_verify=0 is set but"},
        {"a certificate without its key", {"kafka.security_protocol", "ssl", "kafka.ssl_certificate_file", "/c.pem"},
         "go together"},
        {"SASL without a mechanism", {"kafka.security_protocol", "sasl_ssl", "kafka.sasl_username", "u"},
         "needs kafka.sasl_mechanism"},
        {"an unknown mechanism", {"kafka.security_protocol", "sasl_ssl", "kafka.sasl_mechanism", "GSSAPI"},
         "needs kafka.sasl_mechanism"},
        {"PLAIN without TLS", {"kafka.security_protocol", "sasl_plaintext", "kafka.sasl_mechanism", "PLAIN",
                               "kafka.sasl_username", "u"}, "PLAIN sends the password in clear"},
        {"a mechanism without SASL", {"kafka.sasl_mechanism", "PLAIN"}, "SASL is not used"},
        {"SCRAM without a user", {"kafka.security_protocol", "sasl_ssl", "kafka.sasl_mechanism", "SCRAM-SHA-512"},
         "needs kafka.sasl_username and a password"},
        {"a passthrough of a named setting", {"kafka.property.sasl.password", "x"}, "kafka.property.sasl.password is not accepted"},
        {"a passthrough the guarantees rest on", {"kafka.property.enable.idempotence", "false"}, "is not accepted"},
        {"a passthrough of anything else", {"kafka.property.socket.keepalive.enable", "true"}, NULL},
    };
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
        clear_env();
        setenv("AP_KAFKA_SASL_PASSWORD", "pw", 1);
        cfg_t c;
        char err[512] = "", *argv[] = {"prog", NULL};
        assert_int_equal(load(&c, 1, argv, err), 0);
        for (int i = 0; rows[r].set[i]; i += 2)
            assert_int_equal(ap_config_set(table, N, &c, rows[r].set[i], rows[r].set[i + 1], err, sizeof err), 0);
        /* The password counts only where SASL is used. */
        if (!strstr(c.kafka.security_protocol, "sasl")) c.kafka.sasl_password[0] = '\0';
        int rc = ap_kafka_conn_check(&c.kafka, err, sizeof err);
        if (rc != (rows[r].error ? -1 : 0) || (rows[r].error && !strstr(err, rows[r].error)))
            fail_msg("%s: rc=%d err=\"%s\"", rows[r].why, rc, err);
    }
    unsetenv("AP_KAFKA_SASL_PASSWORD");
}

static void get(rd_kafka_conf_t *conf, const char *name, char *out, size_t len) {
    size_t n = len;
    assert_int_equal(rd_kafka_conf_get(conf, name, out, &n), RD_KAFKA_CONF_OK);
}

/* The librdkafka configuration: named settings mapped, verification on by
 * default, the role's settings, then the passthrough (which may tune them). */
static void conf_from_settings(void **state) {
    (void)state;
    ap_kafka_conn_t c;
    memset(&c, 0, sizeof c);
    snprintf(c.brokers, sizeof c.brokers, "b1:9093");
    snprintf(c.security_protocol, sizeof c.security_protocol, "sasl_ssl");
    snprintf(c.ssl_ca_file, sizeof c.ssl_ca_file, "/etc/ca.pem");
    c.ssl_verify = 1;
    snprintf(c.sasl_mechanism, sizeof c.sasl_mechanism, "SCRAM-SHA-512");
    snprintf(c.sasl_username, sizeof c.sasl_username, "svc");
    snprintf(c.sasl_password, sizeof c.sasl_password, "pw");
    snprintf(c.properties, sizeof c.properties, "linger.ms=77\nclient.id=abc\n");
    const char *role[] = {"linger.ms", "5", "fetch.wait.max.ms", "20", NULL};
    char err[512], v[256];
    rd_kafka_conf_t *conf = ap_kafka_conf_new(&c, role, err, sizeof err);
    assert_non_null(conf);
    get(conf, "bootstrap.servers", v, sizeof v);
    assert_string_equal(v, "b1:9093");
    get(conf, "security.protocol", v, sizeof v);
    assert_string_equal(v, "sasl_ssl");
    get(conf, "sasl.mechanisms", v, sizeof v);
    assert_string_equal(v, "SCRAM-SHA-512");
    get(conf, "sasl.username", v, sizeof v);
    assert_string_equal(v, "svc");
    get(conf, "ssl.ca.location", v, sizeof v);
    assert_string_equal(v, "/etc/ca.pem");
    get(conf, "enable.ssl.certificate.verification", v, sizeof v);
    assert_string_equal(v, "true");
    get(conf, "ssl.endpoint.identification.algorithm", v, sizeof v);
    assert_string_equal(v, "https");
    get(conf, "linger.ms", v, sizeof v);
    assert_string_equal(v, "77"); /* the passthrough after the role */
    get(conf, "fetch.wait.max.ms", v, sizeof v);
    assert_string_equal(v, "20");
    get(conf, "client.id", v, sizeof v);
    assert_string_equal(v, "abc");
    rd_kafka_conf_destroy(conf);

    /* Verification off turns off both checks. */
    c.ssl_verify = 0;
    conf = ap_kafka_conf_new(&c, NULL, err, sizeof err);
    assert_non_null(conf);
    get(conf, "enable.ssl.certificate.verification", v, sizeof v);
    assert_string_equal(v, "false");
    get(conf, "ssl.endpoint.identification.algorithm", v, sizeof v);
    assert_string_equal(v, "none");
    rd_kafka_conf_destroy(conf);

    /* A passthrough librdkafka refuses: named, but its value not echoed. */
    snprintf(c.properties, sizeof c.properties, "linger.ms=not-a-number-s3cret\n");
    assert_null(ap_kafka_conf_new(&c, NULL, err, sizeof err));
    assert_non_null(strstr(err, "kafka.property.linger.ms"));
    assert_null(strstr(err, "s3cret"));
    snprintf(c.properties, sizeof c.properties, "no.such.property=1\n");
    assert_null(ap_kafka_conf_new(&c, NULL, err, sizeof err));
    assert_non_null(strstr(err, "kafka.property.no.such.property"));

    /* Settings that contradict each other never reach librdkafka. */
    c.properties[0] = '\0';
    snprintf(c.sasl_mechanism, sizeof c.sasl_mechanism, "PLAIN");
    snprintf(c.security_protocol, sizeof c.security_protocol, "sasl_plaintext");
    c.ssl_ca_file[0] = '\0';
    c.ssl_verify = 1;
    assert_null(ap_kafka_conf_new(&c, NULL, err, sizeof err));
    assert_non_null(strstr(err, "PLAIN"));
}

/* The start-up line says how, never who or with what. */
static void describe_names_no_secret(void **state) {
    (void)state;
    ap_kafka_conn_t c;
    memset(&c, 0, sizeof c);
    snprintf(c.security_protocol, sizeof c.security_protocol, "sasl_ssl");
    snprintf(c.sasl_mechanism, sizeof c.sasl_mechanism, "SCRAM-SHA-256");
    snprintf(c.sasl_username, sizeof c.sasl_username, "svc-user");
    snprintf(c.sasl_password, sizeof c.sasl_password, "pw-value");
    c.ssl_verify = 1;
    char out[128];
    ap_kafka_conn_describe(&c, out, sizeof out);
    assert_string_equal(out, "security=sasl_ssl sasl=SCRAM-SHA-256 verify=on");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(secrets_from_files_and_environment),
        cmocka_unit_test(help_never_prints_a_secret),
        cmocka_unit_test(passthrough_properties),
        cmocka_unit_test(checks_between_settings),
        cmocka_unit_test(conf_from_settings),
        cmocka_unit_test(describe_names_no_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
