/* catalog.c: the world's Winsock catalog and its changes: the installer
 * functions (WSCInstallProvider, WSCInstallProviderAndChains and its 64_32
 * form, WSCDeinstallProvider, WSCUpdateProvider, WSCWriteProviderOrder) and
 * wpu/catalog.h's installers. The readers (WSCEnumProtocols,
 * WSAEnumProtocolsW/A, WSCGetProviderPath, WPUGetProviderPath, the entry
 * lookups) are catalog_read.c's and the listing catalog_format.c's, both
 * through wpu__catalog_read.
 *
 * A world's catalog is an ordered array of entries (a WSAPROTOCOL_INFOW and
 * the provider path as stored), made on first use and freed with the
 * world. Catalog entry ids start at 1001 and only grow. Readers copy under
 * the catalog's mutex. A change builds a new array outside the mutex (the
 * world's allocator is never called with it held) and swaps it in, so
 * readers see each change whole. Changes run one at a time per world:
 * WSCInstallProviderAndChains fails with WSAEINPROGRESS while another change
 * is in progress, the other functions wait for it; a change started inside
 * another on the same thread (from the world's allocator) fails with
 * WSAEINPROGRESS (WSCInstallProviderAndChains) or WSANO_RECOVERY.
 *
 * Without a current world, the install functions make libwpu's implicit
 * world (as kernel32 does); the other WSC functions see an empty catalog;
 * WSAEnumProtocols and WPUGetProviderPath fail with WSANOTINITIALISED.
 *
 * Not supported: 64-bit Windows' separate 32-bit catalog (the *32
 * functions; WSCInstallProviderAndChains64_32 installs into the one catalog
 * and keeps only the native path); WSAProviderConfigChange notifications;
 * privilege checks (anyone may change the catalog); loading a provider to
 * check its proc table (WSAEINVALIDPROCTABLE is never returned); name-space
 * providers. WSASYSCALLFAILURE and WSAENETDOWN cannot happen here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <winsock2.h>
#include <ws2spi.h>
#ifdef _WIN32
#include <sporder.h>
#endif

#include <wpu/catalog.h>

#include <platform.h>

#include "hooks_impl.h"
#include "blocking.h"
#include "catalog.h"
#include "world_impl.h"

#define FIRST_ID 1001

typedef struct wpu_catalog wpu_catalog;

typedef wpu__catalog_entry entry;

struct wpu_catalog {
  wpu_allocator alloc;
  wpu_plat_mutex *mu;  /* guards the fields below */
  wpu_plat_cond *idle; /* broadcast when a change ends */
  entry *entries;      /* count entries in catalog order, replaced whole */
  size_t count;
  DWORD next_id;
  int changing; /* between begin_change and end_change */
};

/* Whether this thread is inside a change (of any world's catalog). */
static _Thread_local int changing_here;

/* ---- Wide strings (WCHAR is 2 bytes here whatever wchar_t is) ---- */

static size_t wlen(const WCHAR *s, size_t max) {
  size_t n = 0;
  while (n < max && s[n] != 0)
    n++;
  return n;
}

static WCHAR fold(WCHAR c) {
  return c >= 'A' && c <= 'Z' ? (WCHAR)(c - 'A' + 'a') : c;
}

static int wsame_ci(const WCHAR *a, const WCHAR *b) {
  for (;; a++, b++) {
    if (fold(*a) != fold(*b))
      return 0;
    if (*a == 0)
      return 1;
  }
}

static int wstarts_ci(const WCHAR *s, const char *prefix) {
  for (; *prefix != 0; s++, prefix++)
    if (fold(*s) != fold((WCHAR)(unsigned char)*prefix))
      return 0;
  return 1;
}

/* Appends src to dst[cap] at *len, truncating, keeping dst terminated. */
static void wappend(WCHAR *dst, size_t cap, size_t *len, const WCHAR *src) {
  for (; *src != 0 && *len + 1 < cap; src++)
    dst[(*len)++] = *src;
  dst[*len] = 0;
}

static void wappend_ascii(WCHAR *dst, size_t cap, size_t *len,
                          const char *src) {
  for (; *src != 0 && *len + 1 < cap; src++)
    dst[(*len)++] = (WCHAR)(unsigned char)*src;
  dst[*len] = 0;
}

/* ---- Validation ---- */

static int path_ok(const WCHAR *p) {
  return p != NULL && p[0] != 0 && wlen(p, MAX_PATH) < MAX_PATH;
}

static int name_ok(const WCHAR *n) {
  return n != NULL && n[0] != 0 &&
         wlen(n, WSAPROTOCOL_LEN + 1) <= WSAPROTOCOL_LEN;
}

static int info_ok(const WSAPROTOCOL_INFOW *i) {
  return i->ProtocolChain.ChainLen >= 0 &&
         i->ProtocolChain.ChainLen <= MAX_PROTOCOL_CHAIN &&
         wlen(i->szProtocol, WSAPROTOCOL_LEN + 1) <= WSAPROTOCOL_LEN;
}

static int same_guid(const GUID *a, const GUID *b) {
  return memcmp(a, b, sizeof *a) == 0;
}

static int same_triple(const WSAPROTOCOL_INFOW *a, const WSAPROTOCOL_INFOW *b) {
  return a->iAddressFamily == b->iAddressFamily &&
         a->iSocketType == b->iSocketType && a->iProtocol == b->iProtocol;
}

static int has_guid(const entry *e, size_t n, const GUID *g) {
  for (size_t i = 0; i < n; i++)
    if (same_guid(&e[i].info.ProviderId, g))
      return 1;
  return 0;
}

static const entry *find_id(const entry *e, size_t n, DWORD id) {
  for (size_t i = 0; i < n; i++)
    if (e[i].info.dwCatalogEntryId == id)
      return &e[i];
  return NULL;
}

/* ---- The world's catalog ---- */

static void free_catalog(wpu_catalog *c) {
  if (c->entries != NULL)
    c->alloc.free(c->entries, c->alloc.user);
  wpu_plat_cond_free(c->idle);
  wpu_plat_mutex_free(c->mu);
  c->alloc.free(c, c->alloc.user);
}

/* The catalog of w, or NULL when it has none yet. */
static wpu_catalog *peek(wpu_world *w) {
  return w == NULL ? NULL : __atomic_load_n(&w->catalog, __ATOMIC_ACQUIRE);
}

/* The catalog of w, made on first use; NULL when out of memory. */
static wpu_catalog *catalog_of(wpu_world *w) {
  wpu_catalog *c = peek(w);
  if (c != NULL || w == NULL)
    return c;
  wpu_catalog *fresh = w->alloc.malloc(sizeof *fresh, w->alloc.user);
  if (fresh == NULL)
    return NULL;
  memset(fresh, 0, sizeof *fresh);
  fresh->alloc = w->alloc;
  fresh->next_id = FIRST_ID;
  fresh->mu = wpu_plat_mutex_new();
  fresh->idle = wpu_plat_cond_new();
  if (fresh->mu == NULL || fresh->idle == NULL) {
    free_catalog(fresh);
    return NULL;
  }
  if (__atomic_compare_exchange_n(&w->catalog, &c, fresh, 0, __ATOMIC_ACQ_REL,
                                  __ATOMIC_ACQUIRE))
    return fresh;
  free_catalog(fresh); /* another thread made it first */
  return c;
}

void wpu__catalog_free(wpu_world *w) {
  wpu_catalog *c = peek(w);
  if (c != NULL) {
    w->catalog = NULL;
    free_catalog(c);
  }
}

/* Starts a change. While it lasts, c->entries and c->count are stable and
 * may be read without the mutex (only the changer writes them). */
static int begin_change(wpu_catalog *c, int wait, int busy_error) {
  if (changing_here)
    return busy_error;
  wpu_plat_mutex_lock(c->mu);
  while (c->changing) {
    if (!wait) {
      wpu_plat_mutex_unlock(c->mu);
      return busy_error;
    }
    wpu_plat_cond_wait(c->idle, c->mu);
  }
  c->changing = 1;
  wpu_plat_mutex_unlock(c->mu);
  changing_here = 1;
  return 0;
}

static void end_change(wpu_catalog *c) {
  wpu_plat_mutex_lock(c->mu);
  c->changing = 0;
  wpu_plat_cond_broadcast(c->idle);
  wpu_plat_mutex_unlock(c->mu);
  changing_here = 0;
}

/* A new entry array for n entries (NULL for none). */
static int alloc_entries(wpu_catalog *c, size_t n, entry **out) {
  *out = NULL;
  if (n == 0)
    return 0;
  *out = c->alloc.malloc(n * sizeof(entry), c->alloc.user);
  return *out == NULL ? -1 : 0;
}

/* Makes fresh (n entries) the catalog. */
static void commit(wpu_catalog *c, entry *fresh, size_t n, DWORD next_id) {
  wpu_plat_mutex_lock(c->mu);
  entry *old = c->entries;
  c->entries = fresh;
  c->count = n;
  c->next_id = next_id;
  wpu_plat_mutex_unlock(c->mu);
  if (old != NULL)
    c->alloc.free(old, c->alloc.user);
}

/* Fills in what the catalog owns in an entry. */
static void set_entry(entry *e, const GUID *guid, DWORD id, const WCHAR *path) {
  e->info.dwCatalogEntryId = id;
  e->info.ProviderId = *guid;
  if (e->info.ProtocolChain.ChainLen == BASE_PROTOCOL)
    e->info.ProtocolChain.ChainEntries[0] = id; /* as Windows does */
  size_t n = wlen(path, MAX_PATH - 1);
  memcpy(e->path, path, n * sizeof(WCHAR));
  e->path[n] = 0;
}

/* ---- WSCInstallProvider ---- */

static int install(const GUID *guid, const WCHAR *path,
                   const WSAPROTOCOL_INFOW *list, size_t n, DWORD *first) {
  if (guid == NULL || !path_ok(path))
    return WSAEINVAL;
  if (list == NULL)
    return WSAEFAULT;
  if (n == 0)
    return WSAEINVAL;
  for (size_t i = 0; i < n; i++)
    if (!info_ok(&list[i]))
      return WSAEINVAL;
  wpu_world *w = wpu__world_implicit();
  wpu_catalog *c = catalog_of(w);
  if (c == NULL)
    return WSA_NOT_ENOUGH_MEMORY;
  int err = begin_change(c, 1, WSANO_RECOVERY);
  if (err != 0)
    return err;
  entry *fresh;
  if (has_guid(c->entries, c->count, guid)) {
    err = WSANO_RECOVERY; /* the provider is already installed */
  } else if (n > WPU_CATALOG_MAX_ENTRIES - c->count) {
    err = WSAENOBUFS;
  } else if (alloc_entries(c, c->count + n, &fresh) != 0) {
    err = WSA_NOT_ENOUGH_MEMORY;
  } else {
    if (c->count != 0)
      memcpy(fresh, c->entries, c->count * sizeof(entry));
    DWORD id = c->next_id;
    if (first != NULL)
      *first = id;
    for (size_t i = 0; i < n; i++) {
      fresh[c->count + i].info = list[i];
      set_entry(&fresh[c->count + i], guid, id++, path);
    }
    commit(c, fresh, c->count + n, id);
  }
  end_change(c);
  return err;
}

int WSPAPI WSCInstallProvider(LPGUID lpProviderId,
                              const WCHAR *lpszProviderDllPath,
                              const LPWSAPROTOCOL_INFOW lpProtocolInfoList,
                              DWORD dwNumberOfEntries, LPINT lpErrno) {
  if (lpErrno == NULL) {
    WSASetLastError(WSAEFAULT);
    return SOCKET_ERROR;
  }
  int err = install(lpProviderId, lpszProviderDllPath, lpProtocolInfoList,
                    dwNumberOfEntries, NULL);
  if (err != 0) {
    *lpErrno = err;
    return SOCKET_ERROR;
  }
  return 0;
}

/* ---- WSCInstallProviderAndChains ---- */

typedef struct lsp_request {
  const GUID *guid;
  const WCHAR *path;
  const WCHAR *name;
  DWORD flags;                   /* 0 or XP1_IFS_HANDLES */
  const WSAPROTOCOL_INFOW *list; /* matched by (af, type, protocol) */
  size_t n;
  const DWORD *lower_ids; /* instead of list: exactly these entries */
  DWORD *dummy_id;        /* may be NULL */
  DWORD *chain_ids;       /* may be NULL */
} lsp_request;

/* Where the new chains are built (NULL while only counting). */
typedef struct chain_builder {
  const lsp_request *r;
  const entry *old;
  size_t count;
  entry *fresh;
  size_t made;  /* chains so far */
  DWORD dummy;  /* the dummy's id */
  size_t first; /* index in old of the first lower entry */
} chain_builder;

/* A GUID for a chain entry of its own: the LSP's, moved by the entry's id
 * (Windows makes a random one), unique in the catalog. */
static GUID chain_guid(const chain_builder *b, DWORD id) {
  GUID g = *b->r->guid;
  g.Data1 += id;
  while (same_guid(&g, b->r->guid) || has_guid(b->old, b->count, &g) ||
         has_guid(b->fresh, b->made, &g))
    g.Data1++;
  return g;
}

/* Takes the entry old[j] as a lower entry: checks the chain length and,
 * when building, makes its chain entry [dummy, old[j]'s chain...]. */
static int take(chain_builder *b, size_t j) {
  const WSAPROTOCOL_INFOW *x = &b->old[j].info;
  if (x->ProtocolChain.ChainLen + 1 > MAX_PROTOCOL_CHAIN)
    return WSANO_RECOVERY;
  if (b->made == 0)
    b->first = j;
  if (b->fresh != NULL) {
    entry *e = &b->fresh[b->made];
    DWORD id = b->dummy + 1 + (DWORD)b->made;
    e->info = *x;
    memset(&e->info.ProtocolChain, 0, sizeof e->info.ProtocolChain);
    e->info.ProtocolChain.ChainLen = x->ProtocolChain.ChainLen + 1;
    e->info.ProtocolChain.ChainEntries[0] = b->dummy;
    memcpy(&e->info.ProtocolChain.ChainEntries[1],
           x->ProtocolChain.ChainEntries,
           (size_t)x->ProtocolChain.ChainLen * sizeof(DWORD));
    e->info.dwServiceFlags1 =
        (x->dwServiceFlags1 & ~(DWORD)XP1_IFS_HANDLES) | b->r->flags;
    size_t len = 0;
    e->info.szProtocol[0] = 0;
    wappend(e->info.szProtocol, WSAPROTOCOL_LEN + 1, &len, b->r->name);
    wappend_ascii(e->info.szProtocol, WSAPROTOCOL_LEN + 1, &len, " over [");
    wappend(e->info.szProtocol, WSAPROTOCOL_LEN + 1, &len, x->szProtocol);
    wappend_ascii(e->info.szProtocol, WSAPROTOCOL_LEN + 1, &len, "]");
    GUID g = chain_guid(b, id);
    set_entry(e, &g, id, b->r->path);
    if (b->r->chain_ids != NULL)
      b->r->chain_ids[b->made] = id;
  }
  b->made++;
  return 0;
}

/* Picks the lower entries, in the order the chains will have. */
static int select_lowers(chain_builder *b) {
  const lsp_request *r = b->r;
  const entry *old = b->old;
  int err = 0;
  if (r->lower_ids != NULL) {
    for (size_t i = 0; i < r->n && err == 0; i++) {
      const entry *x = find_id(old, b->count, r->lower_ids[i]);
      if (x == NULL || x->info.ProtocolChain.ChainLen < BASE_PROTOCOL)
        return WSAEINVAL;
      for (size_t k = 0; k < i; k++)
        if (r->lower_ids[k] == r->lower_ids[i])
          return WSAEINVAL;
      err = take(b, (size_t)(x - old));
    }
    return err;
  }
  if (r->list != NULL) {
    /* The top-most entry for each (af, type, protocol); duplicates of an
     * earlier element are ignored. */
    for (size_t i = 0; i < r->n && err == 0; i++) {
      size_t k = 0;
      while (k < i && !same_triple(&r->list[k], &r->list[i]))
        k++;
      if (k < i)
        continue;
      size_t j = 0;
      while (j < b->count && !(old[j].info.ProtocolChain.ChainLen >= 1 &&
                               same_triple(&old[j].info, &r->list[i])))
        j++;
      if (j == b->count)
        return WSAEINVAL; /* no match */
      err = take(b, j);
    }
    return err;
  }
  /* Every base protocol, once per (af, type, protocol). */
  for (size_t j = 0; j < b->count && err == 0; j++) {
    if (old[j].info.ProtocolChain.ChainLen != BASE_PROTOCOL)
      continue;
    size_t k = 0;
    while (k < j && !(old[k].info.ProtocolChain.ChainLen == BASE_PROTOCOL &&
                      same_triple(&old[k].info, &old[j].info)))
      k++;
    if (k == j)
      err = take(b, j);
  }
  if (err == 0 && b->made == 0)
    err = WSANO_RECOVERY; /* no base provider */
  return err;
}

/* The hidden layered entry (ChainLen 0) the chains name first. */
static void make_dummy(const chain_builder *b, entry *e) {
  const lsp_request *r = b->r;
  e->info = b->old[b->first].info;
  e->info.dwServiceFlags1 =
      (e->info.dwServiceFlags1 & ~(DWORD)XP1_IFS_HANDLES) | r->flags;
  e->info.dwProviderFlags &=
      ~(DWORD)(PFL_MATCHES_PROTOCOL_ZERO | PFL_RECOMMENDED_PROTO_ENTRY);
  e->info.dwProviderFlags |= PFL_HIDDEN;
  e->info.iSocketType = 0;
  e->info.iProtocol = 0;
  e->info.iProtocolMaxOffset = 0;
  memset(&e->info.ProtocolChain, 0, sizeof e->info.ProtocolChain);
  e->info.ProtocolChain.ChainLen = LAYERED_PROTOCOL;
  size_t len = 0;
  wappend(e->info.szProtocol, WSAPROTOCOL_LEN + 1, &len, r->name);
  set_entry(e, r->guid, b->dummy, r->path);
}

static int install_lsp(const lsp_request *r, int no_memory) {
  if (r->guid == NULL || !path_ok(r->path) || !name_ok(r->name) ||
      (r->list != NULL && r->n == 0) ||
      (r->flags & ~(DWORD)XP1_IFS_HANDLES) != 0)
    return WSAEINVAL;
  wpu_catalog *c = catalog_of(wpu__world_implicit());
  if (c == NULL)
    return no_memory;
  int err = begin_change(c, 0, WSAEINPROGRESS);
  if (err != 0)
    return err;
  chain_builder b = {r, c->entries, c->count, NULL, 0, c->next_id, 0};
  for (size_t i = 0; i < c->count && err == 0; i++)
    if (same_guid(&c->entries[i].info.ProviderId, r->guid) ||
        wsame_ci(c->entries[i].info.szProtocol, r->name))
      err = WSAEINVAL; /* the provider id or the name exists already */
  if (err == 0)
    err = select_lowers(&b);
  size_t made = b.made, total = c->count + 1 + made;
  if (err == 0 && 1 + made > WPU_CATALOG_MAX_ENTRIES - c->count)
    err = WSAENOBUFS;
  if (err == 0 && alloc_entries(c, total, &b.fresh) != 0)
    err = no_memory;
  if (err == 0) {
    /* The chains first, then the catalog as it was, then the dummy. */
    b.made = 0;
    select_lowers(&b);
    if (c->count != 0)
      memcpy(&b.fresh[made], c->entries, c->count * sizeof(entry));
    make_dummy(&b, &b.fresh[total - 1]);
    if (r->dummy_id != NULL)
      *r->dummy_id = b.dummy;
    commit(c, b.fresh, total, b.dummy + 1 + (DWORD)made);
  }
  end_change(c);
  return err;
}

static int chains_result(const lsp_request *r, LPINT lpErrno) {
  if (lpErrno == NULL) {
    WSASetLastError(WSAEFAULT);
    return SOCKET_ERROR;
  }
  int err = install_lsp(r, WSAENOBUFS);
  if (err != 0) {
    *lpErrno = err;
    return SOCKET_ERROR;
  }
  return 0;
}

/* mingw-w64 declares the list as LPWSAPROTOCOL_INFO (the ANSI structure
 * unless UNICODE); the functions read WSAPROTOCOL_INFOW, as documented. */
#if defined(_WIN32) && !defined(_WIN64)
#define CHAINS_LIST const LPWSAPROTOCOL_INFO
#else
#define CHAINS_LIST LPWSAPROTOCOL_INFOW
#endif
#if defined(_WIN32) && defined(_WIN64)
#define CHAINS64_LIST const LPWSAPROTOCOL_INFO
#else
#define CHAINS64_LIST LPWSAPROTOCOL_INFOW
#endif

int WSPAPI WSCInstallProviderAndChains(
    LPGUID lpProviderId, const LPWSTR lpszProviderDllPath,
    const LPWSTR lpszLspName, DWORD dwServiceFlags,
    CHAINS_LIST lpProtocolInfoList, DWORD dwNumberOfEntries,
    LPDWORD lpdwCatalogEntryId, LPINT lpErrno) {
  lsp_request r = {lpProviderId,
                   lpszProviderDllPath,
                   lpszLspName,
                   dwServiceFlags,
                   (const WSAPROTOCOL_INFOW *)(const void *)lpProtocolInfoList,
                   dwNumberOfEntries,
                   NULL,
                   lpdwCatalogEntryId,
                   NULL};
  return chains_result(&r, lpErrno);
}

int WSPAPI WSCInstallProviderAndChains64_32(
    LPGUID lpProviderId, const LPWSTR lpszProviderDllPath,
    const LPWSTR lpszProviderDllPath32, const LPWSTR lpszLspName,
    DWORD dwServiceFlags, CHAINS64_LIST lpProtocolInfoList,
    DWORD dwNumberOfEntries, LPDWORD lpdwCatalogEntryId, LPINT lpErrno) {
  if (lpErrno == NULL) {
    WSASetLastError(WSAEFAULT);
    return SOCKET_ERROR;
  }
  /* Without a 32-bit path, the 64-bit DLL must be in %windir%\system32
   * (and the 32-bit one in syswow64). */
  int bad32 = lpszProviderDllPath32 == NULL
                  ? lpszProviderDllPath == NULL ||
                        !wstarts_ci(lpszProviderDllPath, "%windir%\\system32\\")
                  : !path_ok(lpszProviderDllPath32);
  if (bad32) {
    *lpErrno = WSAEINVAL;
    return SOCKET_ERROR;
  }
  return WSCInstallProviderAndChains(
      lpProviderId, lpszProviderDllPath, lpszLspName, dwServiceFlags,
      (void *)lpProtocolInfoList, dwNumberOfEntries, lpdwCatalogEntryId,
      lpErrno);
}

/* ---- WSCDeinstallProvider, WSCUpdateProvider, WSCWriteProviderOrder ---- */

int WSPAPI WSCDeinstallProvider(LPGUID lpProviderId, LPINT lpErrno) {
  if (lpErrno == NULL) {
    WSASetLastError(WSAEFAULT);
    return SOCKET_ERROR;
  }
  wpu_catalog *c = peek(wpu__world());
  int err = lpProviderId == NULL || c == NULL
                ? WSAEINVAL
                : begin_change(c, 1, WSANO_RECOVERY);
  if (err != 0) {
    *lpErrno = err;
    return SOCKET_ERROR;
  }
  size_t gone = 0;
  for (size_t i = 0; i < c->count; i++)
    gone += same_guid(&c->entries[i].info.ProviderId, lpProviderId);
  entry *fresh;
  if (gone == 0) {
    err = WSAEINVAL;
  } else if (alloc_entries(c, c->count - gone, &fresh) != 0) {
    err = WSA_NOT_ENOUGH_MEMORY;
  } else {
    size_t n = 0;
    for (size_t i = 0; i < c->count; i++)
      if (!same_guid(&c->entries[i].info.ProviderId, lpProviderId))
        fresh[n++] = c->entries[i];
    commit(c, fresh, n, c->next_id);
  }
  end_change(c);
  if (err != 0) {
    *lpErrno = err;
    return SOCKET_ERROR;
  }
  return 0;
}

static int update(const GUID *guid, const WCHAR *path,
                  const WSAPROTOCOL_INFOW *list, size_t n) {
  if (guid == NULL || !path_ok(path))
    return WSAEINVAL;
  if (list == NULL)
    return WSAEFAULT;
  if (n == 0 || n > WPU_CATALOG_MAX_ENTRIES)
    return WSAEINVAL; /* more entries than a provider can have */
  for (size_t i = 0; i < n; i++) {
    if (!info_ok(&list[i]))
      return WSAEINVAL;
    for (size_t k = 0; k < i; k++)
      if (list[k].dwCatalogEntryId == list[i].dwCatalogEntryId)
        return WSAEINVAL;
  }
  wpu_catalog *c = peek(wpu__world());
  if (c == NULL)
    return WSAEINVAL;
  int err = begin_change(c, 1, WSANO_RECOVERY);
  if (err != 0)
    return err;
  if (!has_guid(c->entries, c->count, guid))
    err = WSAEINVAL;
  for (size_t i = 0; i < n && err == 0; i++) {
    const entry *e = find_id(c->entries, c->count, list[i].dwCatalogEntryId);
    if (e == NULL || !same_guid(&e->info.ProviderId, guid))
      err = WSAEINVAL; /* not an entry of this provider */
  }
  entry *fresh;
  if (err == 0 && alloc_entries(c, c->count, &fresh) != 0)
    err = WSA_NOT_ENOUGH_MEMORY;
  if (err == 0) {
    memcpy(fresh, c->entries, c->count * sizeof(entry));
    for (size_t j = 0; j < c->count; j++) {
      if (!same_guid(&fresh[j].info.ProviderId, guid))
        continue;
      for (size_t i = 0; i < n; i++)
        if (list[i].dwCatalogEntryId == fresh[j].info.dwCatalogEntryId)
          fresh[j].info = list[i];
      set_entry(&fresh[j], guid, fresh[j].info.dwCatalogEntryId, path);
    }
    commit(c, fresh, c->count, c->next_id);
  }
  end_change(c);
  return err;
}

int WSPAPI WSCUpdateProvider(LPGUID lpProviderId,
                             const WCHAR *lpszProviderDllPath,
                             const LPWSAPROTOCOL_INFOW lpProtocolInfoList,
                             DWORD dwNumberOfEntries, LPINT lpErrno) {
  if (lpErrno == NULL) {
    WSASetLastError(WSAEFAULT);
    return SOCKET_ERROR;
  }
  int err = update(lpProviderId, lpszProviderDllPath, lpProtocolInfoList,
                   dwNumberOfEntries);
  if (err != 0) {
    *lpErrno = err;
    return SOCKET_ERROR;
  }
  return 0;
}

int WSPAPI WSCWriteProviderOrder(LPDWORD lpwdCatalogEntryId,
                                 DWORD dwNumberOfEntries) {
  if (lpwdCatalogEntryId == NULL)
    return WSAEINVAL;
  wpu_catalog *c = peek(wpu__world());
  if (c == NULL)
    return dwNumberOfEntries == 0 ? 0 : WSAEINVAL;
  int err = begin_change(c, 1, WSANO_RECOVERY);
  if (err != 0)
    return err;
  /* The list must hold each catalog id exactly once. */
  if (dwNumberOfEntries != c->count)
    err = WSAEINVAL;
  for (DWORD i = 0; i < dwNumberOfEntries && err == 0; i++) {
    if (find_id(c->entries, c->count, lpwdCatalogEntryId[i]) == NULL)
      err = WSAEINVAL;
    for (DWORD k = 0; k < i && err == 0; k++)
      if (lpwdCatalogEntryId[k] == lpwdCatalogEntryId[i])
        err = WSAEINVAL;
  }
  entry *fresh;
  if (err == 0 && alloc_entries(c, c->count, &fresh) != 0)
    err = WSA_NOT_ENOUGH_MEMORY;
  if (err == 0) {
    for (size_t i = 0; i < c->count; i++)
      fresh[i] = *find_id(c->entries, c->count, lpwdCatalogEntryId[i]);
    commit(c, fresh, c->count, c->next_id);
  }
  end_change(c);
  return err;
}

/* ---- Internal API (world_impl.h) ---- */

int wpu__catalog_knows(wpu_world *w, DWORD id) {
  if (id == 0)
    return 0;
  wpu_catalog *c = peek(w);
  if (c == NULL)
    return 1;
  wpu_plat_mutex_lock(c->mu);
  /* An empty catalog takes every id: tests that drive a provider without
   * installing it keep working. */
  int known = c->count == 0 || find_id(c->entries, c->count, id) != NULL;
  wpu_plat_mutex_unlock(c->mu);
  return known;
}

/* ---- wpu/catalog.h ---- */

static void standard_entry(WSAPROTOCOL_INFOW *i, int af, int type, int protocol,
                           const char *name) {
  memset(i, 0, sizeof *i);
  if (type == SOCK_STREAM) {
    i->dwServiceFlags1 = XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER |
                         XP1_GRACEFUL_CLOSE | XP1_EXPEDITED_DATA |
                         XP1_IFS_HANDLES;
  } else {
    i->dwServiceFlags1 = XP1_CONNECTIONLESS | XP1_MESSAGE_ORIENTED |
                         XP1_SUPPORT_BROADCAST | XP1_SUPPORT_MULTIPOINT |
                         XP1_IFS_HANDLES;
    /* The largest UDP payload: 65535 less the IPv4 and UDP headers; IPv6's
     * payload length excludes its own header. */
    i->dwMessageSize = af == AF_INET ? 65507 : 65527;
  }
  i->dwProviderFlags = PFL_MATCHES_PROTOCOL_ZERO;
  i->ProtocolChain.ChainLen = BASE_PROTOCOL;
  i->iVersion = 2;
  i->iAddressFamily = af;
  /* sizeof(SOCKADDR_IN), sizeof(SOCKADDR_IN6) */
  i->iMaxSockAddr = i->iMinSockAddr = af == AF_INET ? 16 : 28;
  i->iSocketType = type;
  i->iProtocol = protocol;
  i->iNetworkByteOrder = BIGENDIAN;
  i->iSecurityScheme = SECURITY_PROTOCOL_NONE;
  size_t len = 0;
  wappend_ascii(i->szProtocol, WSAPROTOCOL_LEN + 1, &len, name);
}

int wpu_catalog_install_standard(const GUID *provider_id, const WCHAR *path,
                                 DWORD ids[WPU_CATALOG_STANDARD_COUNT]) {
  WSAPROTOCOL_INFOW list[WPU_CATALOG_STANDARD_COUNT];
  standard_entry(&list[WPU_CATALOG_TCP_IPV4], AF_INET, SOCK_STREAM, IPPROTO_TCP,
                 "libwpu Tcpip [TCP/IP]");
  standard_entry(&list[WPU_CATALOG_UDP_IPV4], AF_INET, SOCK_DGRAM, IPPROTO_UDP,
                 "libwpu Tcpip [UDP/IP]");
  standard_entry(&list[WPU_CATALOG_TCP_IPV6], AF_INET6, SOCK_STREAM,
                 IPPROTO_TCP, "libwpu Tcpip [TCP/IPv6]");
  standard_entry(&list[WPU_CATALOG_UDP_IPV6], AF_INET6, SOCK_DGRAM, IPPROTO_UDP,
                 "libwpu Tcpip [UDP/IPv6]");
  DWORD first = 0;
  int err =
      install(provider_id, path, list, WPU_CATALOG_STANDARD_COUNT, &first);
  if (err == 0 && ids != NULL)
    for (DWORD i = 0; i < WPU_CATALOG_STANDARD_COUNT; i++)
      ids[i] = first + i;
  return err;
}

int wpu_catalog_install_lsp(const GUID *lsp_id, const WCHAR *path,
                            const WCHAR *name, const DWORD *lower_ids, size_t n,
                            BOOL ifs, DWORD *dummy_id, DWORD *chain_ids) {
  if (lower_ids == NULL || n == 0)
    return WSAEINVAL;
  lsp_request r = {lsp_id,   path, name,      ifs ? XP1_IFS_HANDLES : 0,
                   NULL,     n,    lower_ids, dummy_id,
                   chain_ids};
  return install_lsp(&r, WSA_NOT_ENOUGH_MEMORY);
}

/* ---- For the readers (catalog_read.c, catalog_format.c) ---- */

int wpu__catalog_read(wpu_world *w, wpu__catalog_reader fn, void *user,
                      int none) {
  wpu_catalog *c = peek(w);
  if (c == NULL)
    return none;
  wpu_plat_mutex_lock(c->mu);
  int r = fn(c->entries, c->count, user);
  wpu_plat_mutex_unlock(c->mu);
  return r;
}
