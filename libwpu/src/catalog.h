/* catalog.h: the world's catalog as the rest of libwpu and the front use it
 * (internal; see catalog.c, and wpu/catalog.h for the public side).
 *
 * Every function is thread-safe and takes the catalog's own lock only for
 * the time of a copy: callers hold no lock of theirs across them, and may
 * call them from anywhere, including a provider's WSPStartup.
 * wpu__catalog_knows and wpu__catalog_free are declared in world_impl.h.
 */
#ifndef WPU_CATALOG_INTERNAL_H
#define WPU_CATALOG_INTERNAL_H

#include <stddef.h>

#include <winsock2.h>
#include <ws2spi.h>
#include <wpu/world.h>

/* Copies the entry with catalog id id of world w: its WSAPROTOCOL_INFOW
 * into *info (info may be NULL) and its stored path (unexpanded,
 * terminated) into path[cch] (path may be NULL). Returns 0, WSAEINVAL (w is
 * NULL or has no such entry) or WSAENOBUFS (cch smaller than the path and
 * its terminator; nothing is copied then). */
int wpu__catalog_get(wpu_world *w, DWORD id, WSAPROTOCOL_INFOW *info,
                     WCHAR *path, size_t cch);

/* Copies the first max entries of world w's catalog, in catalog order
 * (hidden and layered entries included), into out, and returns how many
 * entries the catalog has, all of them consistent with one moment: a
 * return value above max means out holds only part of it (call again with
 * a larger buffer; the catalog may have changed in between). out may be
 * NULL when max is 0. A NULL w has an empty catalog. */
size_t wpu__catalog_snapshot(wpu_world *w, WSAPROTOCOL_INFOW *out, size_t max);

/* The bodies of WSAEnumProtocolsW/A (the application view: no hidden and
 * no layered entries), with their signature and errors (the thread's last
 * error). Linux exports them under the Windows names; the Windows build
 * routes ws2_32's import pointers to them (mingw/route.c). */
int WSAAPI wpu__enum_protocols_w(LPINT lpiProtocols,
                                 LPWSAPROTOCOL_INFOW lpProtocolBuffer,
                                 LPDWORD lpdwBufferLength);
int WSAAPI wpu__enum_protocols_a(LPINT lpiProtocols,
                                 LPWSAPROTOCOL_INFOA lpProtocolBuffer,
                                 LPDWORD lpdwBufferLength);

/* A catalog entry as stored. */
typedef struct wpu__catalog_entry {
  WSAPROTOCOL_INFOW info;
  WCHAR path[MAX_PATH]; /* as stored: unexpanded, terminated */
} wpu__catalog_entry;

/* The one way the readers (catalog_read.c, catalog_format.c) see a world's
 * catalog: calls fn with its n entries, in catalog order, under the
 * catalog's lock (one consistent moment; fn must not call into the
 * catalog), and returns what fn returns, or none when world w has no
 * catalog (a NULL w has none). */
typedef int (*wpu__catalog_reader)(const wpu__catalog_entry *e, size_t n,
                                   void *user);
int wpu__catalog_read(wpu_world *w, wpu__catalog_reader fn, void *user,
                      int none);

#endif /* WPU_CATALOG_INTERNAL_H */
