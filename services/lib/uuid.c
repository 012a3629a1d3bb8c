/* uuid.c - name-based UUIDs, version 5. See uuid.h. */
#include "arbejdspligt/uuid.h"

#include <string.h>
#include <uuid/uuid.h>

/* The version-5 UUID of the name "urn:arbejdspligt:derived-id" under the
 * RFC's URL namespace (6ba7b811-9dad-11d1-80b4-00c04fd430c8), computed once:
 *   python3 -c 'import uuid; print(uuid.uuid5(uuid.NAMESPACE_URL, "urn:arbejdspligt:derived-id"))'
 * A name anyone can recompute, rather than a random UUID nobody can explain;
 * test_uuid.c checks the constant against it. */
const ap_uuid_t AP_UUID_NAMESPACE = {{0xda, 0x52, 0x5c, 0x61, 0x90, 0x22, 0x5c, 0xb4, 0x86, 0x6b, 0xc4, 0xa5, 0x56,
                                      0xc2, 0x68, 0xc7}};

_Static_assert(sizeof(uuid_t) == sizeof(((ap_uuid_t *)0)->bytes), "libuuid's uuid_t is 16 bytes");

void ap_uuid_v5(const ap_uuid_t *ns, const void *name, size_t len, ap_uuid_t *out) {
    /* libuuid hashes namespace then name with SHA-1 on the stack and sets
     * version 5 and the RFC variant: no allocation, safe on any thread. */
    uuid_generate_sha1(out->bytes, ns->bytes, name, len);
}

void ap_uuid_format(const ap_uuid_t *u, char out[static AP_UUID_CAP]) { uuid_unparse_lower(u->bytes, out); }

void ap_uuid_derive(const char *name, char out[static AP_UUID_CAP]) {
    ap_uuid_t u;
    ap_uuid_v5(&AP_UUID_NAMESPACE, name, strlen(name), &u);
    ap_uuid_format(&u, out);
}
