/*
 * sha256.h: SHA-256 (FIPS 180-4), incremental, so a body can be hashed as it
 * is decoded. Owns nothing but the hash state; no I/O, no allocation.
 *
 * Who may include it: anyone (the MIME dump, tests, later the store).
 */
#ifndef POUCH_SHA256_H
#define POUCH_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes hashed so far */
	unsigned char buf[64];
	size_t nbuf;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *p, size_t n);
void sha256_final(struct sha256 *s, unsigned char out[32]);
/* One shot, as 64 lowercase hex digits plus NUL. */
void sha256_hex(const void *p, size_t n, char out[65]);
/* Finishes s into 64 lowercase hex digits plus NUL. */
void sha256_final_hex(struct sha256 *s, char out[65]);

#endif
