/*
 * utf8.h - strict UTF-8 validation (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF. Every string that enters from the wire
 * or from JSON goes through it once, so the rest of the code can trust text.
 */
#ifndef AP_UTF8_H
#define AP_UTF8_H

#include <stddef.h>
#include <stdint.h>

/** @return 1 if s[0..len) is valid UTF-8, else 0. */
int ap_utf8_valid(const char *s, size_t len);
/** @brief Encodes code point cp as UTF-8 into out. @return bytes written (1-4), 0 if cp is invalid. */
int ap_utf8_encode(uint32_t cp, char out[4]);

#endif
