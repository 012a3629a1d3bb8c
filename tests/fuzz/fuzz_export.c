/* libFuzzer harness: the export readers on a file written from the input
 * (the in-place / inflating container reader when it starts "Obj\x01", else
 * JSON lines), through both entry points, with small bounds so the bound
 * checks are reached; every record handed out lies inside what was read.
 * See README "Tests" (fuzz). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arbejdspligt/events.h"
#include "arbejdspligt/export.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void remove_file(void) { unlink(path); }

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    ap_codec_error_t err;
    if (ap_events_init(&err)) abort();
    snprintf(path, sizeof path, "/tmp/ap-fuzz-export-%ld", (long)getpid());
    atexit(remove_file);
    return 0;
}

/* Touches every byte a record points to (ASan checks they are readable). */
static int touch(void *ctx, const ap_record_t *r) {
    uint64_t *sum = ctx;
    *sum += strlen(r->topic);
    for (size_t i = 0; i < r->keylen; i++) *sum += ((const uint8_t *)r->key)[i];
    for (size_t i = 0; i < r->len; i++) *sum += ((const uint8_t *)r->payload)[i];
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f)) abort();
    ap_export_opts_t opts = {4096, 1 << 20, size % 2};
    char err[512];
    uint64_t sum = 0;
    ap_export_view_t *v = NULL;
    int rc = ap_export_read_view(path, &opts, &v, touch, &sum, err, sizeof err);
    if (rc != 0 && rc != -1) abort();
    (void)ap_export_view_partitions(v, "ap.hours");
    (void)ap_export_view_verified(v);
    ap_export_view_free(v);
    rc = ap_export_read(path, &opts, touch, &sum, err, sizeof err);
    if (rc != 0 && rc != -1) abort();
    return 0;
}
