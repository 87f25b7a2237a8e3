/* SCP80 secured packets, SMS dialect (see scp80.h).
 *
 * Command packet, TS 102 225 §5.1.1 with the TS 31.115 §4 SMS coding (CPI = UDH IEI 70, no CHI):
 *
 *   0    2    3     5    6    7     10      15      16        16+n
 *   CPL  CHL  SPI   KIc  KID  TAR   CNTR    PCNTR   RC/CC(n)  data  padding
 *                                   |<------------ ciphered (IV 0) ----------->|
 *
 * CHL = 13 + n. The RC/CC input is CPL..PCNTR ‖ data ‖ padding (the RC/CC field itself left out).
 * Both directions lay the plaintext out contiguously in the caller's buffer as exactly that input
 * with a gap for the RC/CC, so each MAC is a single call on lib/crypto.
 *
 * Response packet, TS 102 225 §5.2.1 with TS 31.115 (RPI = UDH IEI 71, no RHI):
 *
 *   UDH(02 71 00)  RPL(2)  RHL  TAR(3) | CNTR(5) PCNTR STATUS RC/CC(n) data padding |
 *
 * RHL = 10 + n; the RC/CC input is UDH ‖ RPL..STATUS ‖ data ‖ padding (pySim decode_resp).
 */
#include <errno.h>
#include <string.h>

#include "lib/crypto/sym.h"
#include "lib/scp80/scp80.h"

#define CMD_CLEAR 10   /* CPL(2) CHL SPI(2) KIc KID TAR(3) */
#define CMD_PLAIN 16   /* ... + CNTR(5) PCNTR */
#define CMD_FIXED 13   /* CHL without RC/CC: SPI..PCNTR, TS 102 225 §5.1.1 */
#define POR_FIXED 10   /* RHL without RC/CC: TAR..STATUS, TS 102 225 §5.2.1 */
#define IEI_RPI	  0x71 /* TS 31.115 §4.2: response packet identifier */

const struct value_string scp80_integrity_names[] = {
	{ SCP80_INTEG_NONE, "none" },
	{ SCP80_INTEG_RC, "rc" },
	{ SCP80_INTEG_CC, "cc" },
	{ SCP80_INTEG_DS, "ds" },
	{ 0, NULL },
};

const struct value_string scp80_counter_mode_names[] = {
	{ SCP80_CNTR_NONE, "no_counter" },
	{ SCP80_CNTR_NO_CHECK, "counter_no_check" },
	{ SCP80_CNTR_HIGHER, "counter_higher" },
	{ SCP80_CNTR_ONE_HIGHER, "counter_one_higher" },
	{ 0, NULL },
};

const struct value_string scp80_por_req_names[] = {
	{ SCP80_POR_NONE, "no_por" },
	{ SCP80_POR_REQUIRED, "por_required" },
	{ SCP80_POR_ON_ERROR, "por_on_error" },
	{ SCP80_POR_REQ_RESERVED, "reserved" },
	{ 0, NULL },
};

const struct value_string scp80_alg_coding_names[] = {
	{ SCP80_CODING_IMPLICIT, "implicit" },
	{ SCP80_CODING_DES_CBC, "des_cbc" },
	{ SCP80_CODING_3DES_2K, "3des_2k" },
	{ SCP80_CODING_3DES_3K, "3des_3k" },
	{ SCP80_CODING_DES_ECB, "des_ecb" },
	{ SCP80_CODING_AES, "aes" },
	{ SCP80_CODING_CRC16, "crc16" },
	{ SCP80_CODING_CRC32, "crc32" },
	{ SCP80_CODING_PROPRIETARY, "proprietary" },
	{ SCP80_CODING_RESERVED, "reserved" },
	{ 0, NULL },
};

const struct value_string scp80_alg_names[] = {
	{ SCP80_ALG_NONE, "none" },	  { SCP80_ALG_AES128, "aes128" },
	{ SCP80_ALG_AES192, "aes192" },	  { SCP80_ALG_AES256, "aes256" },
	{ SCP80_ALG_3DES_2K, "3des_2k" }, { SCP80_ALG_3DES_3K, "3des_3k" },
	{ SCP80_ALG_CRC32, "crc32" },	  { 0, NULL },
};

/* TS 102 225 §5.2.2 Table 5; 0B/0C from TS 31.115 §7. Names as pySim ResponseStatus. */
const struct value_string scp80_status_names[] = {
	{ SCP80_ST_POR_OK, "por_ok" },
	{ SCP80_ST_RC_CC_DS_FAILED, "rc_cc_ds_failed" },
	{ SCP80_ST_CNTR_LOW, "cntr_low" },
	{ SCP80_ST_CNTR_HIGH, "cntr_high" },
	{ SCP80_ST_CNTR_BLOCKED, "cntr_blocked" },
	{ SCP80_ST_CIPHERING_ERROR, "ciphering_error" },
	{ SCP80_ST_UNIDENTIFIED_SECURITY_ERROR, "unidentified_security_error" },
	{ SCP80_ST_INSUFFICIENT_MEMORY, "insufficient_memory" },
	{ SCP80_ST_MORE_TIME, "more_time_needed" },
	{ SCP80_ST_TAR_UNKNOWN, "tar_unknown" },
	{ SCP80_ST_INSUFFICIENT_SECURITY_LEVEL, "insufficient_security_level" },
	{ SCP80_ST_RESPONSE_VIA_SMS_SUBMIT, "actual_response_sms_submit" },
	{ SCP80_ST_RESPONSE_VIA_USSD, "actual_response_ussd" },
	{ 0, NULL },
};

const struct value_string scp80_verdict_names[] = {
	{ SCP80_V_OK, "ok" },
	{ SCP80_V_CHECK_FAILED, "rc/cc mismatch" },
	{ SCP80_V_CIPHER_LENGTH, "ciphered length not a multiple of the block size" },
	{ SCP80_V_PCNTR, "bad padding counter" },
	{ SCP80_V_CNTR_REPLAY, "counter replayed" },
	{ SCP80_V_CNTR_LOW, "counter too low" },
	{ SCP80_V_CNTR_HIGH, "counter too high" },
	{ SCP80_V_CNTR_BLOCKED, "counter blocked at its maximum" },
	{ 0, NULL },
};

enum scp80_status scp80_verdict_status(enum scp80_verdict v)
{
	switch (v) {
	case SCP80_V_OK: return SCP80_ST_POR_OK;
	case SCP80_V_CHECK_FAILED: return SCP80_ST_RC_CC_DS_FAILED;
	case SCP80_V_CIPHER_LENGTH:
	case SCP80_V_PCNTR: return SCP80_ST_CIPHERING_ERROR;
	case SCP80_V_CNTR_REPLAY:
	case SCP80_V_CNTR_LOW: return SCP80_ST_CNTR_LOW;
	case SCP80_V_CNTR_HIGH: return SCP80_ST_CNTR_HIGH;
	case SCP80_V_CNTR_BLOCKED: return SCP80_ST_CNTR_BLOCKED;
	}
	return SCP80_ST_UNIDENTIFIED_SECURITY_ERROR;
}

/* TS 102 225 §5.1.1: octet 1 b2b1 integrity, b3 ciphering, b5b4 counter; octet 2 b2b1 PoR, b4b3 PoR
 * integrity, b5 PoR ciphered, b6 PoR via SMS-SUBMIT (reserved for TS 31.115 §4.2). */
void scp80_spi_decode(struct scp80_spi *spi, const uint8_t raw[2])
{
	spi->integrity = (enum scp80_integrity)(raw[0] & 0x03);
	spi->ciphering = raw[0] & 0x04;
	spi->counter = (enum scp80_counter_mode)((raw[0] >> 3) & 0x03);
	spi->reserved1 = raw[0] & 0xE0;
	spi->por = (enum scp80_por_req)(raw[1] & 0x03);
	spi->por_integrity = (enum scp80_integrity)((raw[1] >> 2) & 0x03);
	spi->por_ciphered = raw[1] & 0x10;
	spi->por_in_submit = raw[1] & 0x20;
	spi->reserved2 = raw[1] & 0xC0;
}

void scp80_spi_encode(uint8_t raw[2], const struct scp80_spi *spi)
{
	raw[0] = (uint8_t)((spi->integrity & 0x03) | (spi->ciphering ? 0x04 : 0) | ((spi->counter & 0x03) << 3) |
			   (spi->reserved1 & 0xE0));
	raw[1] = (uint8_t)((spi->por & 0x03) | ((spi->por_integrity & 0x03) << 2) | (spi->por_ciphered ? 0x10 : 0) |
			   (spi->por_in_submit ? 0x20 : 0) | (spi->reserved2 & 0xC0));
}

const struct value_string scp80_spi_variant_names[] = {
	{ SCP80_SPI_VARIANT_1639, "SPI_1639" },
	{ SCP80_SPI_VARIANT_1621, "SPI_1621" },
	{ 0, NULL },
};

void scp80_spi_variant_bytes(enum scp80_spi_variant v, uint8_t spi[2])
{
	spi[0] = 0x16;
	spi[1] = v == SCP80_SPI_VARIANT_1621 ? 0x21 : 0x39;
}

bool scp80_spi_security_sufficient(const struct scp80_spi *spi)
{
	return spi->integrity == SCP80_INTEG_CC && spi->ciphering &&
	       (spi->counter == SCP80_CNTR_HIGHER || spi->counter == SCP80_CNTR_ONE_HIGHER);
}

/* TS 102 225 §5.1.2 (KIc) and §5.1.3.1 (KID for CC): b2b1 00 implicit, 01 DES, 10 AES, 11
 * proprietary; for DES b4b3 00 DES-CBC, 01 3DES outer-CBC 2 keys, 10 3DES 3 keys, 11 DES-ECB (KIc
 * only; reserved for a KID); for AES b4b3 00 AES-CBC / AES-CMAC, else reserved. */
static enum scp80_alg_coding block_coding(uint8_t nibble, bool is_kic)
{
	switch (nibble & 0x03) {
	case 0: return SCP80_CODING_IMPLICIT;
	case 3: return SCP80_CODING_PROPRIETARY;
	case 2: return (nibble & 0x0C) == 0 ? SCP80_CODING_AES : SCP80_CODING_RESERVED;
	}
	switch ((nibble >> 2) & 0x03) {
	case 0: return SCP80_CODING_DES_CBC;
	case 1: return SCP80_CODING_3DES_2K;
	case 2: return SCP80_CODING_3DES_3K;
	default: return is_kic ? SCP80_CODING_DES_ECB : SCP80_CODING_RESERVED;
	}
}

void scp80_kic_decode(struct scp80_keyid *k, uint8_t kic)
{
	k->key_index = kic >> 4;
	k->coding = block_coding(kic & 0x0F, true);
}

/* TS 102 225 §5.1.3.2 (KID for RC): b2b1 00 implicit, 01 CRC, 10 reserved, 11 proprietary; for CRC
 * b4b3 00 CRC16, 01 CRC32, else reserved. */
void scp80_kid_decode(struct scp80_keyid *k, uint8_t kid, enum scp80_integrity integrity)
{
	k->key_index = kid >> 4;
	if (integrity != SCP80_INTEG_RC) {
		k->coding = block_coding(kid & 0x0F, false);
		return;
	}
	switch (kid & 0x03) {
	case 0: k->coding = SCP80_CODING_IMPLICIT; return;
	case 2: k->coding = SCP80_CODING_RESERVED; return;
	case 3: k->coding = SCP80_CODING_PROPRIETARY; return;
	}
	switch ((kid >> 2) & 0x03) {
	case 0: k->coding = SCP80_CODING_CRC16; return;
	case 1: k->coding = SCP80_CODING_CRC32; return;
	default: k->coding = SCP80_CODING_RESERVED; return;
	}
}

int scp80_alg_resolve(enum scp80_alg_coding coding, size_t key_len, enum scp80_alg *alg)
{
	switch (coding) {
	case SCP80_CODING_AES:
		switch (key_len) {
		case 16: *alg = SCP80_ALG_AES128; return 0;
		case 24: *alg = SCP80_ALG_AES192; return 0;
		case 32: *alg = SCP80_ALG_AES256; return 0;
		default: return -EINVAL;
		}
	case SCP80_CODING_3DES_2K:
		if (key_len != 16)
			return -EINVAL;
		*alg = SCP80_ALG_3DES_2K;
		return 0;
	case SCP80_CODING_3DES_3K:
		if (key_len != 24)
			return -EINVAL;
		*alg = SCP80_ALG_3DES_3K;
		return 0;
	case SCP80_CODING_CRC32: *alg = SCP80_ALG_CRC32; return 0;
	default: return -ENOTSUP;
	}
}

uint64_t scp80_cntr_get(const uint8_t cntr[SCP80_CNTR_LEN])
{
	uint64_t v = 0;

	for (int i = 0; i < SCP80_CNTR_LEN; i++)
		v = v << 8 | cntr[i];
	return v;
}

void scp80_cntr_put(uint8_t cntr[SCP80_CNTR_LEN], uint64_t value)
{
	for (int i = SCP80_CNTR_LEN - 1; i >= 0; i--) {
		cntr[i] = (uint8_t)value;
		value >>= 8;
	}
}

enum scp80_verdict scp80_counter_check(enum scp80_counter_mode mode, uint64_t last, uint64_t rx, uint64_t max_gap)
{
	if (mode != SCP80_CNTR_HIGHER && mode != SCP80_CNTR_ONE_HIGHER)
		return SCP80_V_OK;
	/* TS 102 225 §5.1.1: once the RE counter reaches its maximum value, the key set is blocked. */
	if (last >= SCP80_CNTR_MAX)
		return SCP80_V_CNTR_BLOCKED;
	if (rx == last)
		return SCP80_V_CNTR_REPLAY;
	if (rx < last)
		return SCP80_V_CNTR_LOW;
	if (mode == SCP80_CNTR_ONE_HIGHER)
		return rx == last + 1 ? SCP80_V_OK : SCP80_V_CNTR_HIGH;
	if (max_gap && rx - last > max_gap)
		return SCP80_V_CNTR_HIGH;
	return SCP80_V_OK;
}

int scp80_tar_find(const uint8_t tar[SCP80_TAR_LEN], const uint8_t (*table)[SCP80_TAR_LEN], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(tar, table[i], SCP80_TAR_LEN) == 0)
			return (int)i;
	return -ENOENT;
}

/* ---- crypto helpers ---------------------------------------------------------------------------- */

static size_t alg_block(enum scp80_alg alg)
{
	switch (alg) {
	case SCP80_ALG_AES128:
	case SCP80_ALG_AES192:
	case SCP80_ALG_AES256: return AES_BLOCK;
	case SCP80_ALG_3DES_2K:
	case SCP80_ALG_3DES_3K: return DES_BLOCK;
	default: return 0;
	}
}

/* Length of the RC/CC for an integrity mode and its KID: CRC32 4 octets; CC 8 octets (AES-CMAC
 * truncated to its leftmost 8 as pySim and gsm0348 do; the DES family's MAC is one 8-octet block). */
static int check_len_for(enum scp80_integrity integ, uint8_t kid, size_t *len)
{
	struct scp80_keyid k;

	switch (integ) {
	case SCP80_INTEG_NONE: *len = 0; return 0;
	case SCP80_INTEG_RC:
		scp80_kid_decode(&k, kid, integ);
		if (k.coding != SCP80_CODING_CRC32)
			return -ENOTSUP;
		*len = 4;
		return 0;
	case SCP80_INTEG_CC: *len = 8; return 0;
	default: return -ENOTSUP; /* DS: out of scope */
	}
}

/* The algorithm for the KID of an integrity mode, checked against the key (none for NONE). */
static int kid_alg(enum scp80_integrity integ, uint8_t kid, const struct scp80_keys *keys, enum scp80_alg *alg)
{
	struct scp80_keyid k;
	int rc;

	*alg = SCP80_ALG_NONE;
	if (integ == SCP80_INTEG_NONE)
		return 0;
	scp80_kid_decode(&k, kid, integ);
	rc = scp80_alg_resolve(k.coding, keys->kid_key_len, alg);
	if (rc < 0)
		return rc;
	if (*alg != SCP80_ALG_CRC32 && !keys->kid_key)
		return -EINVAL;
	return 0;
}

static int kic_alg(bool ciphering, uint8_t kic, const struct scp80_keys *keys, enum scp80_alg *alg)
{
	struct scp80_keyid k;
	int rc;

	*alg = SCP80_ALG_NONE;
	if (!ciphering)
		return 0;
	scp80_kic_decode(&k, kic);
	rc = scp80_alg_resolve(k.coding, keys->kic_key_len, alg);
	if (rc < 0)
		return rc;
	if (!keys->kic_key || alg_block(*alg) == 0)
		return -EINVAL;
	return 0;
}

/* 3DES CBC-MAC over msg zero-padded to a multiple of 8 (the padding is not transmitted and not
 * counted in PCNTR: TS 102 225 §5.1.3.1, pySim OtaAlgoAuthDES3.sign pads the MAC input the same
 * way). Full blocks go through the MAC primitive, the zero-padded tail is one more CBC block. */
static int des3_mac(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len, uint8_t mac[DES_BLOCK])
{
	uint8_t chain[DES_BLOCK] = { 0 }, last[DES_BLOCK] = { 0 };
	size_t full = len - len % DES_BLOCK;
	int rc;

	if (full) {
		rc = crypto_des3_cbc_mac(key, key_len, msg, full, chain);
		if (rc < 0)
			return rc;
		if (full == len) {
			memcpy(mac, chain, DES_BLOCK);
			return 0;
		}
	}
	memcpy(last, msg + full, len - full);
	return crypto_des3_cbc(true, key, key_len, chain, last, DES_BLOCK, mac);
}

/* Compute the RC/CC of msg into check (len bytes). */
static int check_compute(enum scp80_alg alg, const struct scp80_keys *keys, const uint8_t *msg, size_t len,
			 uint8_t check[SCP80_CHECK_MAX])
{
	uint8_t mac[AES_BLOCK];
	uint32_t crc;
	int rc;

	switch (alg) {
	case SCP80_ALG_CRC32:
		/* TS 102 225 §5.1.3.2: CRC-32, sent most significant octet first (as pySim). */
		crc = crypto_crc32(msg, len);
		check[0] = (uint8_t)(crc >> 24);
		check[1] = (uint8_t)(crc >> 16);
		check[2] = (uint8_t)(crc >> 8);
		check[3] = (uint8_t)crc;
		return 0;
	case SCP80_ALG_AES128:
	case SCP80_ALG_AES192:
	case SCP80_ALG_AES256:
		rc = crypto_aes_cmac(keys->kid_key, keys->kid_key_len, msg, len, mac);
		if (rc < 0)
			return rc;
		memcpy(check, mac, 8); /* CC = leftmost 8 octets of the CMAC */
		return 0;
	case SCP80_ALG_3DES_2K:
	case SCP80_ALG_3DES_3K: return des3_mac(keys->kid_key, keys->kid_key_len, msg, len, check);
	default: return -EINVAL;
	}
}

static int cipher_run(enum scp80_alg alg, bool encrypt, const struct scp80_keys *keys, const uint8_t *in, size_t len,
		      uint8_t *out)
{
	static const uint8_t zero_iv[AES_BLOCK];

	if (alg_block(alg) == AES_BLOCK)
		return crypto_aes_cbc(encrypt, keys->kic_key, keys->kic_key_len, zero_iv, in, len, out);
	return crypto_des3_cbc(encrypt, keys->kic_key, keys->kic_key_len, zero_iv, in, len, out);
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Shared tail of both wraps: out[0..body_off) is the header, data‖padding follow; insert the
 * RC/CC computed over everything at body_off, then encipher from cipher_off to the end. */
static int seal(uint8_t *out, size_t body_off, size_t cipher_off, size_t body_len, enum scp80_alg mac_alg,
		size_t check_len, enum scp80_alg enc_alg, const struct scp80_keys *keys)
{
	uint8_t check[SCP80_CHECK_MAX];
	size_t total = body_off + check_len + body_len;
	int rc;

	if (check_len) {
		rc = check_compute(mac_alg, keys, out, body_off + body_len, check);
		if (rc < 0)
			return rc;
		memmove(out + body_off + check_len, out + body_off, body_len);
		memcpy(out + body_off, check, check_len);
	}
	if (enc_alg != SCP80_ALG_NONE) {
		rc = cipher_run(enc_alg, true, keys, out + cipher_off, total - cipher_off, out + cipher_off);
		if (rc < 0)
			return rc;
	}
	return (int)total;
}

/* The algorithms and sizes one protected packet needs, for the command and the PoR alike: the
 * RC/CC length and algorithm from KID, the cipher from KIc, and the padding that makes
 * `ciphered_fixed` header bytes + check + data a whole number of blocks. */
static int resolve_protection(enum scp80_integrity integrity, bool ciphering, uint8_t kic, uint8_t kid,
			      const struct scp80_keys *keys, size_t ciphered_fixed, size_t data_len, size_t *check_len,
			      enum scp80_alg *mac_alg, enum scp80_alg *enc_alg, size_t *pad)
{
	int rc;

	*pad = 0;
	if ((rc = check_len_for(integrity, kid, check_len)) < 0 || (rc = kid_alg(integrity, kid, keys, mac_alg)) < 0 ||
	    (rc = kic_alg(ciphering, kic, keys, enc_alg)) < 0)
		return rc;
	if (data_len > SCP80_CPL_MAX)
		return -EMSGSIZE;
	if (*enc_alg != SCP80_ALG_NONE) {
		size_t bs = alg_block(*enc_alg);

		*pad = (bs - (ciphered_fixed + *check_len + data_len) % bs) % bs;
	}
	return 0;
}

/* ---- command packet ---------------------------------------------------------------------------- */

int scp80_cmd_wrap(uint8_t *out, size_t out_cap, const struct scp80_cmd_params *p, const struct scp80_keys *keys,
		   const uint8_t *data, size_t data_len)
{
	enum scp80_alg enc_alg, mac_alg;
	struct scp80_spi spi;
	size_t check_len, pad, cpl;
	int rc;

	if (!out || !p || !keys || (!data && data_len))
		return -EINVAL;
	scp80_spi_decode(&spi, p->spi);
	/* TS 102 225 §5.1.1: padding to the block size over CNTR(5) PCNTR RC/CC data; PCNTR counts it. */
	rc = resolve_protection(spi.integrity, spi.ciphering, p->kic, p->kid, keys, 6, data_len, &check_len, &mac_alg,
				&enc_alg, &pad);
	if (rc < 0)
		return rc;
	cpl = 1 + CMD_FIXED + check_len + data_len + pad;
	if (cpl > SCP80_CPL_MAX)
		return -EMSGSIZE;
	if (out_cap < 2 + cpl)
		return -EMSGSIZE;

	put16(out, cpl);
	out[2] = (uint8_t)(CMD_FIXED + check_len);
	memcpy(out + 3, p->spi, 2);
	out[5] = p->kic;
	out[6] = p->kid;
	memcpy(out + 7, p->tar, SCP80_TAR_LEN);
	memcpy(out + 10, p->cntr, SCP80_CNTR_LEN);
	out[15] = (uint8_t)pad;
	if (data_len)
		memcpy(out + CMD_PLAIN, data, data_len);
	memset(out + CMD_PLAIN + data_len, 0, pad);
	return seal(out, CMD_PLAIN, CMD_CLEAR, data_len + pad, mac_alg, check_len, enc_alg, keys);
}

int scp80_cmd_decode_header(struct scp80_cmd *cmd, const uint8_t *pkt, size_t len)
{
	size_t cpl;
	int rc;

	memset(cmd, 0, sizeof(*cmd));
	if (len < 2)
		return -EAGAIN;
	cpl = (size_t)pkt[0] << 8 | pkt[1];
	/* CPL counts from CHL to the end (TS 102 225 §5.1.1). */
	if (len < 2 + cpl)
		return -EAGAIN;
	if (cpl < 1 + CMD_FIXED)
		return -EBADMSG;
	cmd->cpl = (uint16_t)cpl;
	cmd->chl = pkt[2];
	memcpy(cmd->spi_raw, pkt + 3, 2);
	scp80_spi_decode(&cmd->spi, cmd->spi_raw);
	cmd->kic = pkt[5];
	cmd->kid = pkt[6];
	memcpy(cmd->tar, pkt + 7, SCP80_TAR_LEN);
	rc = check_len_for(cmd->spi.integrity, cmd->kid, &cmd->check_len);
	if (rc < 0)
		return rc;
	if (cmd->chl != CMD_FIXED + cmd->check_len || cpl < 1 + (size_t)cmd->chl)
		return -EBADMSG;
	return (int)(2 + cpl);
}

/* PCNTR rule: with ciphering it is below the block size and within the padded data; without
 * ciphering there is no padding. */
static bool pcntr_ok(uint8_t pcntr, enum scp80_alg enc_alg, size_t region_len)
{
	if (enc_alg == SCP80_ALG_NONE)
		return pcntr == 0;
	return pcntr < alg_block(enc_alg) && pcntr <= region_len;
}

int scp80_cmd_unwrap(struct scp80_cmd *cmd, const uint8_t *pkt, size_t len, const struct scp80_keys *keys,
		     const struct scp80_counter_policy *counter, uint8_t *out, size_t out_cap)
{
	enum scp80_alg enc_alg, mac_alg;
	uint8_t check[SCP80_CHECK_MAX];
	size_t total, sec_len, region_len, cl;
	int rc;

	if (!cmd || !pkt || !keys || !out)
		return -EINVAL;
	rc = scp80_cmd_decode_header(cmd, pkt, len);
	if (rc < 0)
		return rc;
	total = (size_t)rc;
	if (out_cap < total)
		return -EMSGSIZE;
	rc = kid_alg(cmd->spi.integrity, cmd->kid, keys, &mac_alg);
	if (rc < 0)
		return rc;
	rc = kic_alg(cmd->spi.ciphering, cmd->kic, keys, &enc_alg);
	if (rc < 0)
		return rc;

	cl = cmd->check_len;
	sec_len = total - CMD_CLEAR; /* >= 6 + cl, checked by the header decode */
	memcpy(out, pkt, CMD_CLEAR);
	if (enc_alg != SCP80_ALG_NONE) {
		if (sec_len % alg_block(enc_alg)) {
			cmd->verdict = SCP80_V_CIPHER_LENGTH;
			cmd->status = scp80_verdict_status(cmd->verdict);
			return (int)total;
		}
		rc = cipher_run(enc_alg, false, keys, pkt + CMD_CLEAR, sec_len, out + CMD_CLEAR);
		if (rc < 0)
			return rc;
	} else {
		memcpy(out + CMD_CLEAR, pkt + CMD_CLEAR, sec_len);
	}
	memcpy(cmd->cntr, out + 10, SCP80_CNTR_LEN);
	cmd->pcntr = out[15];
	memcpy(cmd->check, out + CMD_PLAIN, cl);
	region_len = sec_len - 6 - cl;
	memmove(out + CMD_PLAIN, out + CMD_PLAIN + cl, region_len);

	cmd->verdict = SCP80_V_OK;
	if (cl) {
		rc = check_compute(mac_alg, keys, out, CMD_PLAIN + region_len, check);
		if (rc < 0)
			return rc;
		if (!crypto_mem_equal(check, cmd->check, cl))
			cmd->verdict = SCP80_V_CHECK_FAILED;
	}
	if (cmd->verdict == SCP80_V_OK && !pcntr_ok(cmd->pcntr, enc_alg, region_len))
		cmd->verdict = SCP80_V_PCNTR;
	/* The counter is checked only on an authentic packet, so a forged one cannot probe it. */
	if (cmd->verdict == SCP80_V_OK && counter && counter->check)
		cmd->verdict = scp80_counter_check(cmd->spi.counter, counter->last, scp80_cntr_get(cmd->cntr),
						   counter->max_gap);
	cmd->status = scp80_verdict_status(cmd->verdict);
	if (cmd->verdict == SCP80_V_OK) {
		cmd->data = out + CMD_PLAIN;
		cmd->data_len = region_len - cmd->pcntr;
	}
	return (int)total;
}

/* ---- response packet (PoR) --------------------------------------------------------------------- */

int scp80_por_wrap(uint8_t *out, size_t out_cap, const struct scp80_por_params *p, const struct scp80_keys *keys,
		   const uint8_t *data, size_t data_len)
{
	enum scp80_alg enc_alg, mac_alg;
	struct scp80_spi spi;
	size_t check_len, pad, rpl;
	int rc;

	if (!out || !p || !keys || (!data && data_len))
		return -EINVAL;
	scp80_spi_decode(&spi, p->spi);
	/* CNTR(5) PCNTR STATUS RC/CC data, padded to the block size. */
	rc = resolve_protection(spi.por_integrity, spi.por_ciphered, p->kic, p->kid, keys, 7, data_len, &check_len,
				&mac_alg, &enc_alg, &pad);
	if (rc < 0)
		return rc;
	rpl = 1 + POR_FIXED + check_len + data_len + pad;
	if (rpl > SCP80_CPL_MAX || out_cap < 3 + 2 + rpl)
		return -EMSGSIZE;

	out[0] = 0x02; /* UDHL */
	out[1] = IEI_RPI;
	out[2] = 0x00;
	put16(out + 3, rpl);
	out[5] = (uint8_t)(POR_FIXED + check_len);
	memcpy(out + 6, p->tar, SCP80_TAR_LEN);
	memcpy(out + 9, p->cntr, SCP80_CNTR_LEN);
	out[14] = (uint8_t)pad;
	out[15] = p->status;
	if (data_len)
		memcpy(out + 16, data, data_len);
	memset(out + 16 + data_len, 0, pad);
	return seal(out, 16, 9, data_len + pad, mac_alg, check_len, enc_alg, keys);
}

/* TS 23.040 §9.2.3.24: UDHL then IEI/IEDL/data elements; the PoR needs IEI 71 with length 0. */
static int udh_find_rpi(const uint8_t *buf, size_t len, size_t *udh_len)
{
	size_t udhl, pos = 1;
	bool rpi = false;

	if (len < 1)
		return -EAGAIN;
	udhl = buf[0];
	if (len < 1 + udhl)
		return -EAGAIN;
	while (pos < 1 + udhl) {
		size_t iedl;

		if (pos + 2 > 1 + udhl)
			return -EBADMSG;
		iedl = buf[pos + 1];
		if (pos + 2 + iedl > 1 + udhl)
			return -EBADMSG;
		if (buf[pos] == IEI_RPI) {
			if (iedl != 0 || rpi)
				return -EBADMSG;
			rpi = true;
		}
		pos += 2 + iedl;
	}
	if (!rpi)
		return -EBADMSG;
	*udh_len = 1 + udhl;
	return 0;
}

int scp80_por_unwrap(struct scp80_por *por, const uint8_t *buf, size_t len, const uint8_t spi_raw[2], uint8_t kic,
		     uint8_t kid, const struct scp80_keys *keys, uint8_t *out, size_t out_cap)
{
	enum scp80_alg enc_alg, mac_alg;
	uint8_t check[SCP80_CHECK_MAX];
	struct scp80_spi spi;
	size_t h, rpl, total, sec_len, region_len, cl, body;
	int rc;

	if (!por || !buf || !spi_raw || !keys || !out)
		return -EINVAL;
	memset(por, 0, sizeof(*por));
	scp80_spi_decode(&spi, spi_raw);
	rc = udh_find_rpi(buf, len, &h);
	if (rc < 0)
		return rc;
	if (len < h + 2)
		return -EAGAIN;
	rpl = (size_t)buf[h] << 8 | buf[h + 1];
	if (len < h + 2 + rpl)
		return -EAGAIN;
	if (rpl < 1 + POR_FIXED)
		return -EBADMSG;
	por->udh = buf;
	por->udh_len = h;
	por->rpl = (uint16_t)rpl;
	por->rhl = buf[h + 2];
	memcpy(por->tar, buf + h + 3, SCP80_TAR_LEN);
	rc = check_len_for(spi.por_integrity, kid, &cl);
	if (rc < 0)
		return rc;
	/* RHL must match what the command's SPI asked for (pySim decode_resp rejects a mismatch too). */
	if (por->rhl != POR_FIXED + cl || rpl < 1 + (size_t)por->rhl)
		return -EBADMSG;
	por->check_len = cl;
	total = h + 2 + rpl;
	if (out_cap < total)
		return -EMSGSIZE;
	rc = kid_alg(spi.por_integrity, kid, keys, &mac_alg);
	if (rc < 0)
		return rc;
	rc = kic_alg(spi.por_ciphered, kic, keys, &enc_alg);
	if (rc < 0)
		return rc;

	body = h + 6; /* UDH RPL(2) RHL TAR(3) */
	sec_len = total - body;
	memcpy(out, buf, body);
	if (enc_alg != SCP80_ALG_NONE) {
		if (sec_len % alg_block(enc_alg)) {
			por->verdict = SCP80_V_CIPHER_LENGTH;
			return (int)total;
		}
		rc = cipher_run(enc_alg, false, keys, buf + body, sec_len, out + body);
		if (rc < 0)
			return rc;
	} else {
		memcpy(out + body, buf + body, sec_len);
	}
	memcpy(por->cntr, out + body, SCP80_CNTR_LEN);
	por->pcntr = out[body + 5];
	por->status = out[body + 6];
	memcpy(por->check, out + body + 7, cl);
	region_len = sec_len - 7 - cl;
	memmove(out + body + 7, out + body + 7 + cl, region_len);

	por->verdict = SCP80_V_OK;
	if (cl) {
		rc = check_compute(mac_alg, keys, out, body + 7 + region_len, check);
		if (rc < 0)
			return rc;
		if (!crypto_mem_equal(check, por->check, cl))
			por->verdict = SCP80_V_CHECK_FAILED;
	}
	if (por->verdict == SCP80_V_OK && !pcntr_ok(por->pcntr, enc_alg, region_len))
		por->verdict = SCP80_V_PCNTR;
	if (por->verdict == SCP80_V_OK) {
		por->data = out + body + 7;
		por->data_len = region_len - por->pcntr;
	}
	return (int)total;
}
