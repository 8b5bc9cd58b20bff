/* catalog_read.c: the catalog's readers: WSCEnumProtocols,
 * WSAEnumProtocolsW/A, WSCGetProviderPath, the WPUGetProviderPath upcall,
 * wpu_catalog_count/at/get (wpu/catalog.h) and the internal
 * wpu__catalog_get and wpu__catalog_snapshot (catalog.h). Each reads the
 * world's catalog at one moment through wpu__catalog_read (catalog.c owns
 * the catalog and its changes). */
#include <stddef.h>
#include <string.h>

#include <winsock2.h>
#include <ws2spi.h>

#include <wpu/catalog.h>

#include "blocking.h"
#include "catalog.h"
#include "hooks_impl.h"
#include "world_impl.h"

/* Length of a stored path (WCHAR is 2 bytes here whatever wchar_t is). */
static size_t path_len(const WCHAR *s) {
  size_t n = 0;
  while (n < MAX_PATH && s[n] != 0)
    n++;
  return n;
}

static const wpu__catalog_entry *find_id(const wpu__catalog_entry *e, size_t n,
                                         DWORD id) {
  for (size_t i = 0; i < n; i++)
    if (e[i].info.dwCatalogEntryId == id)
      return &e[i];
  return NULL;
}

/* ---- Enumeration ---- */

static int filter_ok(const INT *protocols) {
  return protocols == NULL || protocols[0] != 0;
}

/* Whether an entry is reported: by WSAEnumProtocols (app_view) only base
 * entries and chains that are not hidden; and only those of the listed
 * protocols (an entry covers iProtocol to iProtocol+iProtocolMaxOffset). */
static int wanted(const WSAPROTOCOL_INFOW *i, const INT *protocols,
                  int app_view) {
  if (app_view && (i->ProtocolChain.ChainLen == LAYERED_PROTOCOL ||
                   (i->dwProviderFlags & PFL_HIDDEN) != 0))
    return 0;
  if (protocols == NULL)
    return 1;
  for (; *protocols != 0; protocols++)
    if ((long long)*protocols >= i->iProtocol &&
        (long long)*protocols <=
            (long long)i->iProtocol + i->iProtocolMaxOffset)
      return 1;
  return 0;
}

typedef void (*put_fn)(void *dst, size_t index, const WSAPROTOCOL_INFOW *src);

static void put_w(void *dst, size_t index, const WSAPROTOCOL_INFOW *src) {
  ((WSAPROTOCOL_INFOW *)dst)[index] = *src;
}

static void put_a(void *dst, size_t index, const WSAPROTOCOL_INFOW *src) {
  WSAPROTOCOL_INFOA *a = &((WSAPROTOCOL_INFOA *)dst)[index];
  /* The members before szProtocol have the same layout. */
  memcpy(a, src, offsetof(WSAPROTOCOL_INFOW, szProtocol));
  /* The name in the ANSI code page, as Windows converts it. */
  if (WideCharToMultiByte(CP_ACP, 0, src->szProtocol, -1, a->szProtocol,
                          WSAPROTOCOL_LEN + 1, NULL, NULL) == 0)
    a->szProtocol[WSAPROTOCOL_LEN] = 0; /* truncated: keep it terminated */
}

typedef struct enum_job {
  const INT *protocols;
  int app_view;
  void *buf;
  DWORD *len;
  size_t elem;
  put_fn put;
  int count;
} enum_job;

/* Counts the wanted entries, then copies them when they fit. */
static int enum_read(const wpu__catalog_entry *e, size_t n, void *user) {
  enum_job *j = user;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    k += wanted(&e[i].info, j->protocols, j->app_view);
  if (k != 0 && (j->buf == NULL || *j->len < k * j->elem)) {
    *j->len = (DWORD)(k * j->elem);
    return WSAENOBUFS;
  }
  k = 0;
  for (size_t i = 0; i < n; i++)
    if (wanted(&e[i].info, j->protocols, j->app_view))
      j->put(j->buf, k++, &e[i].info);
  j->count = (int)k;
  return 0;
}

/* The common body of WSCEnumProtocols and WSAEnumProtocolsW/A: fills buf
 * with elem-sized structures and sets *count, or returns an error. */
static int enumerate(const INT *protocols, int app_view, void *buf, DWORD *len,
                     size_t elem, put_fn put, int *count) {
  if (len == NULL)
    return WSAEFAULT;
  if (!filter_ok(protocols))
    return WSAEINVAL; /* an empty protocol list */
  enum_job j = {protocols, app_view, buf, len, elem, put, 0};
  int err = wpu__catalog_read(wpu__world(), enum_read, &j, 0);
  *count = j.count;
  return err;
}

int WSPAPI WSCEnumProtocols(LPINT lpiProtocols,
                            LPWSAPROTOCOL_INFOW lpProtocolBuffer,
                            LPDWORD lpdwBufferLength, LPINT lpErrno) {
  if (lpErrno == NULL) {
    WSASetLastError(WSAEFAULT);
    return SOCKET_ERROR;
  }
  int count;
  int err = enumerate(lpiProtocols, 0, lpProtocolBuffer, lpdwBufferLength,
                      sizeof(WSAPROTOCOL_INFOW), put_w, &count);
  if (err != 0) {
    *lpErrno = err;
    return SOCKET_ERROR;
  }
  return count;
}

static int app_enumerate(LPINT protocols, void *buf, LPDWORD len, size_t elem,
                         put_fn put) {
  int count, err;
  if (wpu__world() == NULL)
    err = WSANOTINITIALISED;
  else if (wpu__is_blocking())
    err = WSAEINPROGRESS; /* inside a Winsock 1.1 blocking call */
  else
    err = enumerate(protocols, 1, buf, len, elem, put, &count);
  if (err != 0) {
    WSASetLastError(err);
    return SOCKET_ERROR;
  }
  return count;
}

int WSAAPI wpu__enum_protocols_w(LPINT lpiProtocols,
                                 LPWSAPROTOCOL_INFOW lpProtocolBuffer,
                                 LPDWORD lpdwBufferLength) {
  return app_enumerate(lpiProtocols, lpProtocolBuffer, lpdwBufferLength,
                       sizeof(WSAPROTOCOL_INFOW), put_w);
}

int WSAAPI wpu__enum_protocols_a(LPINT lpiProtocols,
                                 LPWSAPROTOCOL_INFOA lpProtocolBuffer,
                                 LPDWORD lpdwBufferLength) {
  return app_enumerate(lpiProtocols, lpProtocolBuffer, lpdwBufferLength,
                       sizeof(WSAPROTOCOL_INFOA), put_a);
}

#ifndef _WIN32
/* Windows' own are DECLSPEC_IMPORT; the Windows build routes them here. */
int WSAAPI WSAEnumProtocolsW(LPINT lpiProtocols,
                             LPWSAPROTOCOL_INFOW lpProtocolBuffer,
                             LPDWORD lpdwBufferLength) {
  return wpu__enum_protocols_w(lpiProtocols, lpProtocolBuffer,
                               lpdwBufferLength);
}

int WSAAPI WSAEnumProtocolsA(LPINT lpiProtocols,
                             LPWSAPROTOCOL_INFOA lpProtocolBuffer,
                             LPDWORD lpdwBufferLength) {
  return wpu__enum_protocols_a(lpiProtocols, lpProtocolBuffer,
                               lpdwBufferLength);
}
#endif

/* ---- Provider paths ---- */

typedef struct path_job {
  const GUID *guid;
  WCHAR *path;
  LPINT len;
} path_job;

/* The stored path of the first entry of a provider id, and its size in
 * WCHARs with the terminator in *len (also when the buffer is too small). */
static int path_read(const wpu__catalog_entry *e, size_t n, void *user) {
  path_job *j = user;
  for (size_t i = 0; i < n; i++) {
    if (memcmp(&e[i].info.ProviderId, j->guid, sizeof *j->guid) != 0)
      continue;
    size_t need = path_len(e[i].path) + 1;
    if (j->len == NULL)
      return WSAEFAULT;
    if (j->path == NULL || *j->len < 0 || (size_t)*j->len < need) {
      *j->len = (INT)need;
      return WSAEFAULT;
    }
    memcpy(j->path, e[i].path, need * sizeof(WCHAR));
    *j->len = (INT)need;
    return 0;
  }
  return WSAEINVAL;
}

int WSPAPI WSCGetProviderPath(LPGUID lpProviderId, WCHAR *lpszProviderDllPath,
                              LPINT lpProviderDllPathLen, LPINT lpErrno) {
  if (lpErrno == NULL) {
    WSASetLastError(WSAEFAULT);
    return SOCKET_ERROR;
  }
  path_job j = {lpProviderId, lpszProviderDllPath, lpProviderDllPathLen};
  int err = lpProviderId == NULL
                ? WSAEINVAL
                : wpu__catalog_read(wpu__world(), path_read, &j, WSAEINVAL);
  if (err != 0) {
    *lpErrno = err;
    return SOCKET_ERROR;
  }
  return 0;
}

static int get_provider_path(LPGUID lpProviderId, WCHAR *lpszProviderDllPath,
                             LPINT lpProviderDllPathLen, LPINT lpErrno);

int WSPAPI WPUGetProviderPath(LPGUID lpProviderId, WCHAR *lpszProviderDllPath,
                              LPINT lpProviderDllPathLen, LPINT lpErrno) {
  WPU_HOOKED(int, SOCKET_ERROR, WPU_HOOK_UPCALL, "WPUGetProviderPath", 0, 0,
             NULL, lpErrno,
             get_provider_path(lpProviderId, lpszProviderDllPath,
                               lpProviderDllPathLen, lpErrno));
}

static int get_provider_path(LPGUID lpProviderId, WCHAR *lpszProviderDllPath,
                             LPINT lpProviderDllPathLen, LPINT lpErrno) {
  if (lpErrno != NULL && wpu__world() == NULL) {
    *lpErrno = WSANOTINITIALISED;
    return SOCKET_ERROR;
  }
  return WSCGetProviderPath(lpProviderId, lpszProviderDllPath,
                            lpProviderDllPathLen, lpErrno);
}

/* ---- One entry, or all (catalog.h, wpu/catalog.h) ---- */

typedef struct get_job {
  DWORD id;
  size_t index; /* by position when id is 0 */
  WSAPROTOCOL_INFOW *info;
  WCHAR *path;
  size_t cch;
} get_job;

static int get_read(const wpu__catalog_entry *e, size_t n, void *user) {
  get_job *j = user;
  const wpu__catalog_entry *x = j->id != 0     ? find_id(e, n, j->id)
                                : j->index < n ? &e[j->index]
                                               : NULL;
  if (x == NULL)
    return WSAEINVAL;
  size_t need = path_len(x->path) + 1;
  if (j->path != NULL && j->cch < need)
    return WSAENOBUFS;
  if (j->info != NULL)
    *j->info = x->info;
  if (j->path != NULL)
    memcpy(j->path, x->path, need * sizeof(WCHAR));
  return 0;
}

int wpu__catalog_get(wpu_world *w, DWORD id, WSAPROTOCOL_INFOW *info,
                     WCHAR *path, size_t cch) {
  get_job j = {id, 0, info, path, cch};
  return id == 0 ? WSAEINVAL : wpu__catalog_read(w, get_read, &j, WSAEINVAL);
}

typedef struct snapshot_job {
  WSAPROTOCOL_INFOW *out;
  size_t max;
} snapshot_job;

static int snapshot_read(const wpu__catalog_entry *e, size_t n, void *user) {
  snapshot_job *j = user;
  for (size_t i = 0; i < n && i < j->max; i++)
    j->out[i] = e[i].info;
  return (int)n;
}

size_t wpu__catalog_snapshot(wpu_world *w, WSAPROTOCOL_INFOW *out, size_t max) {
  snapshot_job j = {out, max};
  return (size_t)wpu__catalog_read(w, snapshot_read, &j, 0);
}

size_t wpu_catalog_count(void) {
  return wpu__catalog_snapshot(wpu__world(), NULL, 0);
}

int wpu_catalog_at(size_t index, WSAPROTOCOL_INFOW *info) {
  if (info == NULL)
    return WSAEFAULT;
  get_job j = {0, index, info, NULL, 0};
  return wpu__catalog_read(wpu__world(), get_read, &j, WSAEINVAL);
}

int wpu_catalog_get(DWORD id, WSAPROTOCOL_INFOW *info, WCHAR *path,
                    size_t path_cch) {
  if (info == NULL)
    return WSAEFAULT;
  return wpu__catalog_get(wpu__world(), id, info, path, path_cch);
}
