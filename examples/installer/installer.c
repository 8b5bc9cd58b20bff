/* installer.c: installs and removes an LSP with WSCInstallProvider,
 * WSCWriteProviderOrder, WSCUpdateProvider and WSCDeinstallProvider, as
 * Windows LSP installers do (installer.h describes the layout). */
#include <winsock2.h>
#include <ws2spi.h>
#include <sporder.h>

#include <stdlib.h>
#include <string.h>

#include "installer.h"

static int same_guid(const GUID *a, const GUID *b) {
  return memcmp(a, b, sizeof *a) == 0;
}

int lspinst_enum(WSAPROTOCOL_INFOW **entries, size_t *count) {
  if (entries == NULL || count == NULL)
    return WSAEFAULT;
  DWORD len = 0;
  int err = 0;
  /* Ask for the size, then for the entries; again if the catalog grew. */
  for (int tries = 0; tries < 8; tries++) {
    WSAPROTOCOL_INFOW *buf = len == 0 ? NULL : malloc(len);
    if (len != 0 && buf == NULL)
      return WSAENOBUFS;
    int n = WSCEnumProtocols(NULL, buf, &len, &err);
    if (n != SOCKET_ERROR) {
      *entries = buf;
      *count = (size_t)n;
      return 0;
    }
    free(buf);
    if (err != WSAENOBUFS)
      return err;
  }
  return WSAENOBUFS;
}

static const WSAPROTOCOL_INFOW *by_id(const WSAPROTOCOL_INFOW *all, size_t n,
                                      DWORD id) {
  for (size_t i = 0; i < n; i++)
    if (all[i].dwCatalogEntryId == id)
      return &all[i];
  return NULL;
}

static const WSAPROTOCOL_INFOW *dummy_of(const WSAPROTOCOL_INFOW *all, size_t n,
                                         const GUID *lsp_id) {
  for (size_t i = 0; i < n; i++)
    if (all[i].ProtocolChain.ChainLen == LAYERED_PROTOCOL &&
        same_guid(&all[i].ProviderId, lsp_id))
      return &all[i];
  return NULL;
}

static int chain_has(const WSAPROTOCOLCHAIN *c, DWORD id, int from) {
  for (int i = from; i < c->ChainLen; i++)
    if (c->ChainEntries[i] == id)
      return 1;
  return 0;
}

int lspinst_find(const GUID *lsp_id, DWORD *dummy_id) {
  if (lsp_id == NULL || dummy_id == NULL)
    return WSAEFAULT;
  WSAPROTOCOL_INFOW *all;
  size_t n;
  int err = lspinst_enum(&all, &n);
  if (err != 0)
    return err;
  const WSAPROTOCOL_INFOW *d = dummy_of(all, n, lsp_id);
  if (d == NULL)
    err = WSASERVICE_NOT_FOUND;
  else
    *dummy_id = d->dwCatalogEntryId;
  free(all);
  return err;
}

int lspinst_select(const lspinst_protocol *protocols, size_t n, BOOL base_only,
                   DWORD *ids) {
  if (protocols == NULL || ids == NULL)
    return WSAEFAULT;
  WSAPROTOCOL_INFOW *all;
  size_t count;
  int err = lspinst_enum(&all, &count);
  if (err != 0)
    return err;
  for (size_t p = 0; p < n && err == 0; p++) {
    const WSAPROTOCOL_INFOW *hit = NULL;
    for (size_t i = 0; i < count && hit == NULL; i++) {
      const WSAPROTOCOL_INFOW *e = &all[i];
      if (e->ProtocolChain.ChainLen == LAYERED_PROTOCOL ||
          (e->dwProviderFlags & PFL_HIDDEN) != 0 ||
          (base_only && e->ProtocolChain.ChainLen != BASE_PROTOCOL))
        continue;
      if (e->iAddressFamily == protocols[p].af &&
          e->iSocketType == protocols[p].type &&
          e->iProtocol == protocols[p].protocol)
        hit = e;
    }
    if (hit == NULL)
      err = WSAEPROTONOSUPPORT;
    else
      ids[p] = hit->dwCatalogEntryId;
  }
  free(all);
  return err;
}

/* dst = "<name> over [<lower>]", cut to WSAPROTOCOL_LEN characters. */
static void chain_name(WCHAR *dst, const WCHAR *name, const WCHAR *lower) {
  static const WCHAR over[] = {' ', 'o', 'v', 'e', 'r', ' ', '[', 0};
  size_t k = 0;
  const WCHAR *parts[] = {name, over, lower};
  for (int p = 0; p < 3; p++)
    for (const WCHAR *s = parts[p]; *s != 0 && k < WSAPROTOCOL_LEN; s++)
      dst[k++] = *s;
  if (k < WSAPROTOCOL_LEN)
    dst[k++] = ']';
  dst[k] = 0;
}

static GUID chain_guid(const GUID *lsp_id, size_t i) {
  GUID g = *lsp_id;
  g.Data1 += (unsigned long)(i + 1);
  return g;
}

/* Removes what an install put in so far: chains 0..n-1 and the dummy. */
static void roll_back(const GUID *lsp_id, size_t n) {
  int ignored;
  for (size_t i = 0; i < n; i++) {
    GUID g = chain_guid(lsp_id, i);
    WSCDeinstallProvider(&g, &ignored);
  }
  WSCDeinstallProvider((LPGUID)lsp_id, &ignored);
}

/* Whether the layered chain entry x has a non-IFS layer in it: x itself or
 * an entry of its chain before the base (the last one), as instlsp's
 * IsNonIfsProvider checks, by XP1_IFS_HANDLES. An entry of the chain that
 * is not in the catalog counts as non-IFS (nothing says otherwise). */
static int has_non_ifs_layer(const WSAPROTOCOL_INFOW *all, size_t count,
                             const WSAPROTOCOL_INFOW *x) {
  const WSAPROTOCOLCHAIN *c = &x->ProtocolChain;
  if (c->ChainLen <= BASE_PROTOCOL)
    return 0;
  if (!(x->dwServiceFlags1 & XP1_IFS_HANDLES))
    return 1;
  for (int k = 0; k < c->ChainLen - 1 && k < MAX_PROTOCOL_CHAIN; k++) {
    const WSAPROTOCOL_INFOW *e = by_id(all, count, c->ChainEntries[k]);
    if (e == NULL || !(e->dwServiceFlags1 & XP1_IFS_HANDLES))
      return 1;
  }
  return 0;
}

/* Checks the install's arguments against the catalog. */
static int check_install(const WSAPROTOCOL_INFOW *all, size_t count,
                         const GUID *lsp_id, const WCHAR *name, DWORD flags,
                         const DWORD *lower_ids, size_t n) {
  size_t name_len = 0;
  while (name[name_len] != 0 && name_len <= WSAPROTOCOL_LEN)
    name_len++;
  if (n == 0 || name_len == 0 || name_len > WSAPROTOCOL_LEN)
    return WSAEINVAL;
  for (size_t i = 0; i < count; i++)
    if (same_guid(&all[i].ProviderId, lsp_id))
      return WSAEALREADY;
  for (size_t i = 0; i < n; i++) {
    const WSAPROTOCOL_INFOW *x = by_id(all, count, lower_ids[i]);
    if (x == NULL || x->ProtocolChain.ChainLen < BASE_PROTOCOL)
      return WSAEINVAL; /* unknown, or a dummy entry */
    for (size_t k = 0; k < i; k++)
      if (lower_ids[k] == lower_ids[i])
        return WSAEINVAL;
    if (x->ProtocolChain.ChainLen >= MAX_PROTOCOL_CHAIN)
      return WSANO_RECOVERY;
    /* An IFS layer hands out the lower provider's handles: over a non-IFS
     * layer those would be that layer's WPUCreateSocketHandle handles,
     * which only it understands. IFS layers go below every non-IFS one. */
    if ((flags & LSPINST_IFS) && has_non_ifs_layer(all, count, x))
      return WSAEINVAL;
  }
  return 0;
}

/* Puts the entries whose chain contains dummy first, the rest after them,
 * each group in its present order. */
static int order_chains_first(DWORD dummy) {
  WSAPROTOCOL_INFOW *all;
  size_t n;
  int err = lspinst_enum(&all, &n);
  if (err != 0)
    return err;
  DWORD *order = malloc((n + 1) * sizeof *order);
  if (order == NULL) {
    free(all);
    return WSAENOBUFS;
  }
  size_t k = 0;
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < n; i++) {
      int ours = all[i].ProtocolChain.ChainLen > BASE_PROTOCOL &&
                 chain_has(&all[i].ProtocolChain, dummy, 0);
      if (ours == (pass == 0))
        order[k++] = all[i].dwCatalogEntryId;
    }
  }
  err = WSCWriteProviderOrder(order, (DWORD)k);
  free(order);
  free(all);
  return err;
}

int lspinst_install(const GUID *lsp_id, const WCHAR *path, const WCHAR *name,
                    DWORD flags, const DWORD *lower_ids, size_t n,
                    DWORD *dummy_id, DWORD *chain_ids) {
  if (lsp_id == NULL || path == NULL || name == NULL || lower_ids == NULL)
    return WSAEFAULT;
  WSAPROTOCOL_INFOW *all;
  size_t count;
  int err = lspinst_enum(&all, &count);
  if (err != 0)
    return err;
  err = check_install(all, count, lsp_id, name, flags, lower_ids, n);
  if (err != 0) {
    free(all);
    return err;
  }

  /* The hidden dummy entry: a copy of the first lower entry, layered,
   * without a socket type or protocol of its own. */
  WSAPROTOCOL_INFOW d = *by_id(all, count, lower_ids[0]);
  if (flags & LSPINST_IFS)
    d.dwServiceFlags1 |= XP1_IFS_HANDLES;
  else
    d.dwServiceFlags1 &= ~(DWORD)XP1_IFS_HANDLES;
  d.iSocketType = 0;
  d.iProtocol = 0;
  d.dwProviderFlags |= PFL_HIDDEN;
  d.dwProviderFlags &= ~(DWORD)PFL_MATCHES_PROTOCOL_ZERO;
  d.ProviderId = *lsp_id;
  d.dwCatalogEntryId = 0;
  memset(&d.ProtocolChain, 0, sizeof d.ProtocolChain);
  d.ProtocolChain.ChainLen = LAYERED_PROTOCOL;
  size_t i = 0;
  for (; name[i] != 0; i++)
    d.szProtocol[i] = name[i];
  d.szProtocol[i] = 0;
  if (WSCInstallProvider((LPGUID)lsp_id, (WCHAR *)path, &d, 1, &err) != 0) {
    free(all);
    return err;
  }
  DWORD dummy = 0;
  err = lspinst_find(lsp_id, &dummy);

  /* The chains: [dummy, lower chain...], each under a GUID of its own. */
  size_t done = 0;
  for (; done < n && err == 0; done++) {
    WSAPROTOCOL_INFOW e = *by_id(all, count, lower_ids[done]);
    WSAPROTOCOLCHAIN *c = &e.ProtocolChain;
    memmove(&c->ChainEntries[1], &c->ChainEntries[0],
            (size_t)c->ChainLen * sizeof(DWORD));
    c->ChainEntries[0] = dummy;
    c->ChainLen++;
    if (flags & LSPINST_IFS)
      e.dwServiceFlags1 |= XP1_IFS_HANDLES;
    else
      e.dwServiceFlags1 &= ~(DWORD)XP1_IFS_HANDLES;
    chain_name(e.szProtocol, name,
               by_id(all, count, lower_ids[done])->szProtocol);
    e.ProviderId = chain_guid(lsp_id, done);
    e.dwCatalogEntryId = 0;
    if (WSCInstallProvider(&e.ProviderId, (WCHAR *)path, &e, 1, &err) != 0)
      break;
  }
  free(all);
  if (err == 0)
    err = order_chains_first(dummy);
  if (err == 0 && chain_ids != NULL) {
    err = lspinst_enum(&all, &count);
    for (size_t k = 0; k < n && err == 0; k++) {
      GUID g = chain_guid(lsp_id, k);
      for (size_t j = 0; j < count; j++)
        if (same_guid(&all[j].ProviderId, &g))
          chain_ids[k] = all[j].dwCatalogEntryId;
    }
    if (err == 0)
      free(all);
  }
  if (err != 0) {
    roll_back(lsp_id, done);
    return err;
  }
  if (dummy_id != NULL)
    *dummy_id = dummy;
  return 0;
}

/* Rewrites the chains of LSPs stacked over the one being removed without
 * its ids (its dummy and its chain entries). */
static int unstack(const WSAPROTOCOL_INFOW *all, size_t n, DWORD dummy) {
  for (size_t i = 0; i < n; i++) {
    WSAPROTOCOL_INFOW e = all[i];
    WSAPROTOCOLCHAIN *c = &e.ProtocolChain;
    if (c->ChainLen <= BASE_PROTOCOL || c->ChainEntries[0] == dummy)
      continue;
    int k = 1, changed = 0;
    for (int j = 1; j < c->ChainLen; j++) {
      const WSAPROTOCOL_INFOW *x = by_id(all, n, c->ChainEntries[j]);
      int gone = c->ChainEntries[j] == dummy ||
                 (x != NULL && x->ProtocolChain.ChainLen > BASE_PROTOCOL &&
                  x->ProtocolChain.ChainEntries[0] == dummy);
      if (gone)
        changed = 1;
      else
        c->ChainEntries[k++] = c->ChainEntries[j];
    }
    if (!changed)
      continue;
    for (int j = k; j < c->ChainLen; j++)
      c->ChainEntries[j] = 0;
    c->ChainLen = k;
    WCHAR path[MAX_PATH];
    int len = MAX_PATH, err = 0;
    if (WSCGetProviderPath(&e.ProviderId, path, &len, &err) != 0 ||
        WSCUpdateProvider(&e.ProviderId, path, &e, 1, &err) != 0)
      return err;
  }
  return 0;
}

int lspinst_uninstall(const GUID *lsp_id) {
  if (lsp_id == NULL)
    return WSAEFAULT;
  WSAPROTOCOL_INFOW *all;
  size_t n;
  int err = lspinst_enum(&all, &n);
  if (err != 0)
    return err;
  const WSAPROTOCOL_INFOW *d = dummy_of(all, n, lsp_id);
  DWORD dummy = d == NULL ? 0 : d->dwCatalogEntryId;
  err = d == NULL ? WSASERVICE_NOT_FOUND : unstack(all, n, dummy);
  /* Its chains, then the dummy. */
  for (size_t i = 0; i < n && err == 0; i++) {
    const WSAPROTOCOLCHAIN *c = &all[i].ProtocolChain;
    if (c->ChainLen > BASE_PROTOCOL && c->ChainEntries[0] == dummy)
      WSCDeinstallProvider(&all[i].ProviderId, &err);
  }
  if (err == 0)
    WSCDeinstallProvider((LPGUID)lsp_id, &err);
  free(all);
  return err;
}
