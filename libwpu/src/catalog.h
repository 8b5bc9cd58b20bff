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

/* Calls fn with every entry of world w's catalog (its WSAPROTOCOL_INFOW
 * and stored path), in catalog order, under the catalog's lock: fn must not
 * call into the catalog. Nothing happens for a world without a catalog. */
typedef void (*wpu__catalog_visitor)(const WSAPROTOCOL_INFOW *info,
                                     const WCHAR *path, void *user);
void wpu__catalog_visit(wpu_world *w, wpu__catalog_visitor fn, void *user);

#endif /* WPU_CATALOG_INTERNAL_H */
