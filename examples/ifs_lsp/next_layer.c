/* next_layer.c: how ifs_lsp finds and loads the layer below it, as real
 * LSPs do: the whole catalog through WSCEnumProtocols (hidden entries
 * included), this LSP's position in the chain, the next entry's DLL path
 * through WSCGetProviderPath, ExpandEnvironmentStringsW, LoadLibraryW and
 * GetProcAddress("WSPStartup"). */
#include <winsock2.h>
#include <ws2spi.h>

#include <string.h>

#include "next_layer.h"

/* The whole catalog, from the heap (HeapFree it). WSCEnumProtocols is
 * asked for the size first (WSAENOBUFS), then for the entries; if the
 * catalog grew in between, again. */
static int enum_catalog(HANDLE heap, WSAPROTOCOL_INFOW **out, int *count) {
  DWORD len = 0;
  int err = 0;
  for (int tries = 0; tries < 8; tries++) {
    WSAPROTOCOL_INFOW *buf = NULL;
    if (len != 0) {
      buf = HeapAlloc(heap, 0, len);
      if (buf == NULL)
        return WSAENOBUFS;
    }
    int n = WSCEnumProtocols(NULL, buf, &len, &err);
    if (n != SOCKET_ERROR) {
      *out = buf;
      *count = n;
      return 0;
    }
    if (buf != NULL)
      HeapFree(heap, 0, buf);
    if (err != WSAENOBUFS)
      return err;
  }
  return WSAENOBUFS;
}

static const WSAPROTOCOL_INFOW *by_id(const WSAPROTOCOL_INFOW *all, int n,
                                      DWORD id) {
  for (int i = 0; i < n; i++)
    if (all[i].dwCatalogEntryId == id)
      return &all[i];
  return NULL;
}

/* This LSP's own chain entry for the part of `chain` from position k (its
 * dummy) down: the entry [dummy, chain[k+1..]]. */
static DWORD own_entry(const WSAPROTOCOL_INFOW *all, int n, DWORD dummy,
                       const WSAPROTOCOLCHAIN *chain, int k) {
  int rest = chain->ChainLen - k;
  for (int i = 0; i < n; i++) {
    const WSAPROTOCOLCHAIN *c = &all[i].ProtocolChain;
    if (c->ChainLen == rest && c->ChainEntries[0] == dummy &&
        memcmp(&c->ChainEntries[1], &chain->ChainEntries[k + 1],
               (size_t)(rest - 1) * sizeof(DWORD)) == 0)
      return all[i].dwCatalogEntryId;
  }
  return 0;
}

static int load(HANDLE heap, const WSAPROTOCOL_INFOW *next,
                ifs_next_layer *out) {
  WCHAR stored[MAX_PATH], path[MAX_PATH];
  int len = MAX_PATH, err = 0;
  (void)heap;
  if (WSCGetProviderPath((LPGUID)&next->ProviderId, stored, &len, &err) != 0)
    return err;
  DWORD n = ExpandEnvironmentStringsW(stored, path, MAX_PATH);
  if (n == 0 || n > MAX_PATH)
    return WSAEPROVIDERFAILEDINIT;
  out->module = LoadLibraryW(path);
  if (out->module == NULL)
    return WSAEPROVIDERFAILEDINIT;
  out->startup =
      (LPWSPSTARTUP)(void (*)(void))GetProcAddress(out->module, "WSPStartup");
  if (out->startup == NULL) {
    FreeLibrary(out->module);
    out->module = NULL;
    return WSAEPROVIDERFAILEDINIT;
  }
  return 0;
}

int ifs_next_layer_load(HANDLE heap, const GUID *lsp_id,
                        const WSAPROTOCOL_INFOW *chain, ifs_next_layer *out) {
  WSAPROTOCOL_INFOW *all = NULL;
  int n = 0;
  memset(out, 0, sizeof *out);
  int err = enum_catalog(heap, &all, &n);
  if (err != 0)
    return err;
  /* Our dummy: the hidden entry (ChainLen 0) with our provider GUID. */
  DWORD dummy = 0;
  for (int i = 0; i < n && dummy == 0; i++)
    if (all[i].ProtocolChain.ChainLen == LAYERED_PROTOCOL &&
        memcmp(&all[i].ProviderId, lsp_id, sizeof *lsp_id) == 0)
      dummy = all[i].dwCatalogEntryId;
  /* Our position: the dummy, or one of our chain entries (installers that
   * put the next LSP's chain entry, not its dummy, into a chain). */
  const WSAPROTOCOLCHAIN *c = &chain->ProtocolChain;
  int k = -1;
  for (int i = 0; i < c->ChainLen && i < MAX_PROTOCOL_CHAIN && k < 0; i++) {
    const WSAPROTOCOL_INFOW *e = by_id(all, n, c->ChainEntries[i]);
    if (dummy != 0 && (c->ChainEntries[i] == dummy ||
                       (e != NULL && e->ProtocolChain.ChainLen > 1 &&
                        e->ProtocolChain.ChainEntries[0] == dummy)))
      k = i;
  }
  const WSAPROTOCOL_INFOW *next = k >= 0 && k + 1 < c->ChainLen
                                      ? by_id(all, n, c->ChainEntries[k + 1])
                                      : NULL;
  if (next == NULL) {
    err = WSAEPROVIDERFAILEDINIT;
  } else {
    out->self_id = c->ChainEntries[k] == dummy && k == 0
                       ? chain->dwCatalogEntryId
                       : own_entry(all, n, dummy, c, k);
    /* No entry of ours for this sub-chain: chain->dwCatalogEntryId would
     * be another layer's (the upper LSP's, when stacked), and handles
     * registered under it would go to that layer's table. */
    if (out->self_id == 0)
      err = WSAEPROVIDERFAILEDINIT;
  }
  if (err == 0) {
    out->is_base = next->ProtocolChain.ChainLen == BASE_PROTOCOL;
    if (out->is_base)
      out->base_info = *next;
    err = load(heap, next, out);
  }
  if (all != NULL)
    HeapFree(heap, 0, all);
  return err;
}
