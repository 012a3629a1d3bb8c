/*
 * uuid.h - name-based UUIDs, version 5 (RFC 9562 section 5.5, formerly RFC
 * 4122 section 4.3): SHA-1 of a namespace UUID and a name, with the version
 * and variant bits set.
 *
 * Every id the services make themselves (results, alerts, dead letters,
 * `apctl tick`, `ap-generate`) is ap_uuid_derive() of a name that says what
 * it identifies ("result|<citizen>|<monday>|<revision>", ...), under the
 * project's namespace AP_UUID_NAMESPACE. Same name, same id, on every
 * machine and in every replay; consumers drop repeats by these ids, so two
 * names must not share an id by anything but SHA-1 colliding.
 *
 * The SHA-1 is libuuid's uuid_generate_sha1() (util-linux, Debian's
 * uuid-dev). Pure: bytes in, bytes out; no allocation, no I/O, thread-safe.
 * Tested against the RFC's published example and Python's uuid.uuid5() in
 * tests/unit/test_uuid.c.
 */
#ifndef AP_UUID_H
#define AP_UUID_H

#include <stddef.h>
#include <stdint.h>

/* A UUID as text: 8-4-4-4-12 lower-case hex digits and the NUL. */
#define AP_UUID_CAP 37

/* The 16 bytes of a UUID, in network order (as RFC 9562 lays them out). */
typedef struct ap_uuid {
    uint8_t bytes[16];
} ap_uuid_t;

/* The project's namespace for derived ids, da525c61-9022-5cb4-866b-c4a556c268c7
 * (see uuid.c for how it was made). Changing it changes every derived id. */
extern const ap_uuid_t AP_UUID_NAMESPACE;

/** @brief out = the version-5 UUID of name[0..len) under namespace ns. */
void ap_uuid_v5(const ap_uuid_t *ns, const void *name, size_t len, ap_uuid_t *out);

/** @brief Formats u as 36 lower-case characters and a NUL. */
void ap_uuid_format(const ap_uuid_t *u, char out[static AP_UUID_CAP]);

/** @brief The derived id of name (NUL-terminated) under AP_UUID_NAMESPACE, formatted: same name, same id. */
void ap_uuid_derive(const char *name, char out[static AP_UUID_CAP]);

#endif
