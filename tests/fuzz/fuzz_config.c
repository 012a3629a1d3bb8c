/* libFuzzer harness: the configuration file reader (ap_config_load with
 * --config FILE) on arbitrary file contents, over a table with every kind of
 * setting: never a read or write outside a setting's buffer, and a loaded
 * string setting always fits it. See README "Tests" (fuzz). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arbejdspligt/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct settings {
    char brokers[16];
    char name[4];
    int port;
    int flag;
    char required[8];
} settings_t;

#define S(name, env, type, def, field, min, max) \
    {name, env, type, def, offsetof(settings_t, field), sizeof(((settings_t *)0)->field), min, max, "help"}
static const ap_setting_t table[] = {
    S("kafka.brokers", "AP_FUZZ_BROKERS", AP_SET_STRING, "127.0.0.1:9092", brokers, 0, 0),
    S("a.name", "AP_FUZZ_NAME", AP_SET_STRING, "", name, 0, 0),
    S("redis.port", "AP_FUZZ_PORT", AP_SET_INT, "6379", port, 1, 65535),
    S("x.flag", "AP_FUZZ_FLAG", AP_SET_INT, "0", flag, -5, 5),
    S("x.required", "AP_FUZZ_REQUIRED", AP_SET_STRING, NULL, required, 0, 0),
};

static char path[64];

static void remove_file(void) { unlink(path); }

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    snprintf(path, sizeof path, "/tmp/ap-fuzz-config-%ld", (long)getpid());
    atexit(remove_file);
    unsetenv("AP_CONFIG");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f)) abort();
    settings_t s;
    memset(&s, 0, sizeof s); /* as every main does: a required string is "" until given */
    char a0[] = "fuzz", a1[] = "--config", err[512];
    char *argv[] = {a0, a1, path, NULL};
    int rc = ap_config_load(table, sizeof table / sizeof *table, &s, 3, argv, stdout, "usage", err, sizeof err);
    if (rc == 0) {
        if (!memchr(s.brokers, 0, sizeof s.brokers) || !memchr(s.name, 0, sizeof s.name) ||
            !memchr(s.required, 0, sizeof s.required) || s.port < 1 || s.port > 65535 || s.flag < -5 || s.flag > 5)
            abort();
    } else if (rc != -1 || !memchr(err, 0, sizeof err)) {
        abort();
    }
    return 0;
}
