/* catalog_format.c: wpu_catalog_format, the readable listing of the
 * current world's catalog (like `netsh winsock show catalog`). */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <winsock2.h>
#include <ws2spi.h>

#include <wpu/catalog.h>

#include "catalog.h"
#include "world_impl.h"

typedef struct out {
  char *buf;
  size_t size;
  size_t len; /* what the whole listing needs so far */
} out;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
outf(out *o, const char *fmt, ...) {
  char spare[1];
  va_list ap;
  va_start(ap, fmt);
  int n = o->len < o->size
              ? vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap)
              : vsnprintf(spare, 0, fmt, ap);
  va_end(ap);
  if (n > 0)
    o->len += (size_t)n;
}

/* Writes a wide string as UTF-8. */
static void out_wide(out *o, const WCHAR *s, size_t max) {
  for (size_t i = 0; i < max && s[i] != 0; i++) {
    unsigned long cp = s[i];
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < max && s[i + 1] >= 0xDC00 &&
        s[i + 1] <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (s[i + 1] - 0xDC00);
      i++;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      cp = 0xFFFD; /* an unpaired surrogate */
    }
    if (cp < 0x80)
      outf(o, "%c", (int)cp);
    else if (cp < 0x800)
      outf(o, "%c%c", (int)(0xC0 | cp >> 6), (int)(0x80 | (cp & 0x3F)));
    else if (cp < 0x10000)
      outf(o, "%c%c%c", (int)(0xE0 | cp >> 12), (int)(0x80 | (cp >> 6 & 0x3F)),
           (int)(0x80 | (cp & 0x3F)));
    else
      outf(o, "%c%c%c%c", (int)(0xF0 | cp >> 18),
           (int)(0x80 | (cp >> 12 & 0x3F)), (int)(0x80 | (cp >> 6 & 0x3F)),
           (int)(0x80 | (cp & 0x3F)));
  }
}

static const char *entry_type(int chain_len) {
  if (chain_len == LAYERED_PROTOCOL)
    return "Layered Service Provider";
  return chain_len == BASE_PROTOCOL ? "Base Service Provider"
                                    : "Layered Chain Entry";
}

static void format_entry(const WSAPROTOCOL_INFOW *i, const WCHAR *path,
                         void *user) {
  out *o = user;
  const GUID *g = &i->ProviderId;
  const char *rule = "------------------------------------------------------";
  outf(o, "Winsock Catalog Provider Entry\n%s\n", rule);
  outf(o, "%-36s%s\n", "Entry Type:", entry_type(i->ProtocolChain.ChainLen));
  outf(o, "%-36s", "Description:");
  out_wide(o, i->szProtocol, WSAPROTOCOL_LEN + 1);
  outf(o, "\n%-36s{%08lX-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}\n",
       "Provider ID:", (unsigned long)g->Data1, g->Data2, g->Data3, g->Data4[0],
       g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5],
       g->Data4[6], g->Data4[7]);
  outf(o, "%-36s", "Provider Path:");
  out_wide(o, path, MAX_PATH);
  outf(o, "\n%-36s%lu\n",
       "Catalog Entry ID:", (unsigned long)i->dwCatalogEntryId);
  outf(o, "%-36s%d\n", "Version:", i->iVersion);
  outf(o, "%-36s%d\n", "Address Family:", i->iAddressFamily);
  outf(o, "%-36s%d\n", "Max Address Length:", i->iMaxSockAddr);
  outf(o, "%-36s%d\n", "Min Address Length:", i->iMinSockAddr);
  outf(o, "%-36s%d\n", "Socket Type:", i->iSocketType);
  outf(o, "%-36s%d\n", "Protocol:", i->iProtocol);
  outf(o, "%-36s0x%lx\n", "Service Flags:", (unsigned long)i->dwServiceFlags1);
  outf(o, "%-36s0x%lx\n", "Provider Flags:", (unsigned long)i->dwProviderFlags);
  outf(o, "%-36s%d\n", "Protocol Chain Length:", i->ProtocolChain.ChainLen);
  if (i->ProtocolChain.ChainLen > BASE_PROTOCOL) {
    outf(o, "%-36s", "Protocol Chain:");
    for (int k = 0; k < i->ProtocolChain.ChainLen && k < MAX_PROTOCOL_CHAIN;
         k++)
      outf(o, k == 0 ? "%lu" : " > %lu",
           (unsigned long)i->ProtocolChain.ChainEntries[k]);
    outf(o, "\n");
  }
  outf(o, "\n");
}

static int format_entries(const wpu__catalog_entry *e, size_t n, void *user) {
  for (size_t i = 0; i < n; i++)
    format_entry(&e[i].info, e[i].path, user);
  return 0;
}

size_t wpu_catalog_format(char *buf, size_t size) {
  out o = {buf, buf == NULL ? 0 : size, 0};
  if (o.size != 0)
    buf[0] = 0;
  wpu__catalog_read(wpu__world(), format_entries, &o, 0);
  return o.len;
}
