/*
 * schema.h - Avro schema identity: Parsing Canonical Form and the CRC-64-AVRO
 * fingerprint, as defined in the Avro specification ("Schema Resolution" /
 * "Parsing Canonical Form for Schemas" / "Schema Fingerprints").
 *
 * avro-c 1.11 implements neither, and single-object encoding needs both: the
 * 8-byte fingerprint after the C3 01 marker names the writer's schema.
 * Pure: text in, text/number out.
 */
#ifndef AP_SCHEMA_H
#define AP_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "arbejdspligt/buf.h"

/* The spec's EMPTY constant: initial value and polynomial of CRC-64-AVRO. */
#define AP_SCHEMA_CRC64_EMPTY 0xc15d213aa4d7a795ULL

/** @return the CRC-64-AVRO fingerprint of data[0..len). */
uint64_t ap_schema_crc64(const void *data, size_t len);
/** @brief Continues a CRC-64-AVRO computation (start with AP_SCHEMA_CRC64_EMPTY). */
uint64_t ap_schema_crc64_update(uint64_t fp, const void *data, size_t len);

/**
 * @brief Writes the Parsing Canonical Form of the schema JSON text to out.
 * @return 0, or -1 with a message in err (malformed JSON or not a schema).
 */
int ap_schema_canonical(const char *json, size_t len, ap_buf_t *out, char *err, size_t errlen);

/** @brief Fingerprint of the schema's canonical form. @return 0, or -1 with err set. */
int ap_schema_fingerprint(const char *json, size_t len, uint64_t *fp, char *err, size_t errlen);

#endif
