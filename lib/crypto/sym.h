/* Symmetric crypto primitives on OpenSSL 3 EVP: the only place in rsplab that calls a block cipher
 * or a MAC. Each is a named primitive pinned by known-answer tests (sym_test.c) before protocol code
 * uses it (style.md §13.8).
 *
 * Algorithms are fetched once, on first use, and kept for the life of the process; the cipher and
 * MAC contexts are reused per thread, so a call costs what the raw EVP calls cost.
 *
 * All functions return 0 or a negative errno: -EINVAL for a bad key length or a length that is not
 * a multiple of the block size (these functions never pad), -EIO when OpenSSL fails. Keys are never
 * logged. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AES_BLOCK 16
#define DES_BLOCK 8

/* AES-128/192/256-CBC (key_len 16, 24 or 32), no padding; len a multiple of 16; out may equal in. */
int crypto_aes_cbc(bool encrypt, const uint8_t *key, size_t key_len, const uint8_t iv[AES_BLOCK], const uint8_t *in,
		   size_t len, uint8_t *out);

/* AES-CMAC (NIST SP 800-38B, RFC 4493) over any length; the full 16-byte MAC. */
int crypto_aes_cmac(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len, uint8_t mac[AES_BLOCK]);

/* Triple DES in CBC mode: key_len 16 (2-key, K1‖K2, K3 = K1) or 24 (3-key). No padding; len a
 * multiple of 8; out may equal in. */
int crypto_des3_cbc(bool encrypt, const uint8_t *key, size_t key_len, const uint8_t iv[DES_BLOCK], const uint8_t *in,
		    size_t len, uint8_t *out);

/* Triple DES CBC-MAC with IV 0: the last ciphertext block of a CBC encryption (ISO/IEC 9797-1 MAC
 * algorithm 1 with the full block cipher, as TS 102 225 §5.1.3.1 uses it). len a multiple of 8: the
 * caller pads, because padding rules belong to the protocol. */
int crypto_des3_cbc_mac(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len, uint8_t mac[DES_BLOCK]);

/* CRC-32 as ISO/IEC 13239 / ITU-T V.42 (reflected polynomial 0xEDB88320, initial value and final XOR
 * FFFFFFFF), the Redundancy Check of TS 102 225 §5.1.2. */
uint32_t crypto_crc32(const uint8_t *buf, size_t len);

/* Fill buf with cryptographically strong random bytes (RAND_bytes). 0 or -EIO. */
int crypto_random(uint8_t *buf, size_t len);

/* Constant-time comparison for MACs and cryptograms: true if equal. */
bool crypto_mem_equal(const void *a, const void *b, size_t len);
