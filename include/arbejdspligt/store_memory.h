/*
 * store_memory.h - the state store (store.h) in process memory: hash tables,
 * no I/O. For offline replay of exported files and for tests. It answers
 * every call exactly as the Redis store does; nothing survives the process.
 *
 * Ownership: see store.h; release with ap_store_destroy(). Not thread-safe.
 */
#ifndef AP_STORE_MEMORY_H
#define AP_STORE_MEMORY_H

#include "arbejdspligt/store.h"

/** @return an empty store (aborts if out of memory, like every allocation here). */
ap_store_t *ap_store_memory_create(void);

#endif
