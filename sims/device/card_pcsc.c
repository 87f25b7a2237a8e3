/* PC/SC backend on libpcsclite (pcsc-lab.md): a real reader, or pcscd + vsmartcard-vpcd with the
 * simulated card. One SCARDHANDLE is held for the whole run (pcscd powers an unused card off after
 * ~0.5 s, which would cold-reset the eUICC: pitfall 8); power on / reset / off are SCardReconnect /
 * SCardDisconnect dispositions. pcscd is found through PCSCLITE_CSOCK_NAME as usual. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "sims/device/card.h"

struct pcsc {
	SCARDCONTEXT ctx;
	SCARDHANDLE h;
	bool connected;
	DWORD proto;
	char reader[256];
};

/* pcsc-lab pitfall 7: these all mean "the card is gone" */
static int map_err(LONG rv)
{
	switch (rv) {
	case SCARD_S_SUCCESS: return 0;
	case SCARD_W_REMOVED_CARD:
	case SCARD_E_NOT_TRANSACTED:
	case SCARD_W_UNPOWERED_CARD:
	case SCARD_E_NO_SMARTCARD: return -ENXIO;
	case SCARD_E_NO_SERVICE:
	case SCARD_E_NO_READERS_AVAILABLE:
	case SCARD_E_UNKNOWN_READER: return -ENODEV;
	case SCARD_E_INSUFFICIENT_BUFFER: return -EMSGSIZE;
	default: return -EIO;
	}
}

static int read_atr(struct pcsc *p, uint8_t atr[DEV_CARD_ATR_MAX])
{
	char name[256];
	DWORD nlen = sizeof(name), state, proto, alen = DEV_CARD_ATR_MAX;
	LONG rv = SCardStatus(p->h, name, &nlen, &state, &proto, atr, &alen);
	if (rv != SCARD_S_SUCCESS)
		return map_err(rv);
	return (int)alen;
}

static int pcsc_connect(struct pcsc *p, uint8_t atr[DEV_CARD_ATR_MAX])
{
	LONG rv = SCardConnect(p->ctx, p->reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &p->h,
			       &p->proto);
	if (rv != SCARD_S_SUCCESS)
		return map_err(rv);
	p->connected = true;
	return read_atr(p, atr);
}

static int pcsc_power_on(void *priv, uint8_t atr[DEV_CARD_ATR_MAX])
{
	struct pcsc *p = priv;
	if (!p->connected)
		return pcsc_connect(p, atr);
	LONG rv = SCardReconnect(p->h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, SCARD_UNPOWER_CARD,
				 &p->proto);
	return rv == SCARD_S_SUCCESS ? read_atr(p, atr) : map_err(rv);
}

static int pcsc_reset(void *priv, uint8_t atr[DEV_CARD_ATR_MAX])
{
	struct pcsc *p = priv;
	if (!p->connected)
		return pcsc_connect(p, atr);
	LONG rv = SCardReconnect(p->h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, SCARD_RESET_CARD,
				 &p->proto);
	return rv == SCARD_S_SUCCESS ? read_atr(p, atr) : map_err(rv);
}

static int pcsc_power_off(void *priv)
{
	struct pcsc *p = priv;
	if (!p->connected)
		return 0;
	p->connected = false;
	return map_err(SCardDisconnect(p->h, SCARD_UNPOWER_CARD));
}

static int pcsc_transmit(void *priv, const uint8_t *capdu, size_t len, uint8_t *rapdu, size_t cap)
{
	struct pcsc *p = priv;
	const SCARD_IO_REQUEST *pci = p->proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
	DWORD rlen = (DWORD)cap;
	if (!p->connected)
		return -ENODEV;
	LONG rv = SCardTransmit(p->h, pci, capdu, (DWORD)len, NULL, rapdu, &rlen);
	if (rv != SCARD_S_SUCCESS)
		return map_err(rv);
	return (int)rlen;
}

static void pcsc_destroy(void *priv)
{
	struct pcsc *p = priv;
	if (!p)
		return;
	if (p->connected)
		SCardDisconnect(p->h, SCARD_LEAVE_CARD);
	SCardReleaseContext(p->ctx);
	free(p);
}

const struct dev_card_ops dev_pcsc_ops = {
	.name = "pcsc",
	.power_on = pcsc_power_on,
	.reset = pcsc_reset,
	.power_off = pcsc_power_off,
	.transmit = pcsc_transmit,
	.destroy = pcsc_destroy,
};

int dev_pcsc_open(void **priv_out, const char *reader)
{
	struct pcsc *p;
	char *list = NULL;
	DWORD n = SCARD_AUTOALLOCATE;
	int rc;

	if (!priv_out)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
	if (rv != SCARD_S_SUCCESS) {
		free(p);
		return map_err(rv);
	}
	rv = SCardListReaders(p->ctx, NULL, (LPSTR)&list, &n);
	if (rv != SCARD_S_SUCCESS) {
		rc = map_err(rv);
		goto fail;
	}
	/* pcsc-lab pitfall 14: select readers by name, the list order is not the config order */
	rc = -ENODEV;
	for (const char *r = list; r && *r; r += strlen(r) + 1) {
		if (reader && strcmp(r, reader))
			continue;
		if (strlen(r) >= sizeof(p->reader))
			continue;
		if (!reader) {
			SCARD_READERSTATE st = { .szReader = r, .dwCurrentState = SCARD_STATE_UNAWARE };
			if (SCardGetStatusChange(p->ctx, 0, &st, 1) != SCARD_S_SUCCESS ||
			    !(st.dwEventState & SCARD_STATE_PRESENT)) {
				rc = -ENXIO;
				continue;
			}
		}
		strcpy(p->reader, r);
		rc = 0;
		break;
	}
	SCardFreeMemory(p->ctx, list);
	if (rc < 0)
		goto fail;
	*priv_out = p;
	return 0;
fail:
	pcsc_destroy(p);
	return rc;
}
