/* wpu/catalog.h: the world's Winsock catalog as tests and the front see it.
 *
 * The catalog is the emulated counterpart of the registry's protocol catalog
 * (WINSOCK_CATALOG): an ordered list of WSAPROTOCOL_INFOW entries, each
 * with a catalog entry id assigned by the catalog, the provider's GUID and
 * the provider DLL path as stored (unexpanded, e.g.
 * L"%SystemRoot%\\system32\\memnet.dll"). Providers and installers change it
 * with the documented WSC* functions (WSCInstallProvider,
 * WSCInstallProviderAndChains, WSCDeinstallProvider, WSCWriteProviderOrder,
 * WSCUpdateProvider) and read it with WSCEnumProtocols, WSCGetProviderPath,
 * WPUGetProviderPath; applications with WSAEnumProtocolsW/A. This header
 * adds what tests need beyond those. The catalog belongs to the current
 * world and ends with it.
 *
 * Errors are Winsock error codes (0 = success). All functions are
 * thread-safe.
 */
#ifndef WPU_CATALOG_H
#define WPU_CATALOG_H

#include <stddef.h>
#include <winsock2.h>
#include <ws2spi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The four standard base entries, in this order. */
enum {
  WPU_CATALOG_TCP_IPV4 = 0,
  WPU_CATALOG_UDP_IPV4 = 1,
  WPU_CATALOG_TCP_IPV6 = 2,
  WPU_CATALOG_UDP_IPV6 = 3,
  WPU_CATALOG_STANDARD_COUNT = 4
};

/* Installs the standard base entries (TCP/IPv4, UDP/IPv4, TCP/IPv6,
 * UDP/IPv6, as MSAFD describes them: XP1_IFS_HANDLES, ChainLen 1, ...)
 * for provider_id at path (as stored). ids (may be NULL) receives their
 * catalog entry ids, in the order of the enum above. */
int wpu_catalog_install_standard(const GUID *provider_id, const WCHAR *path,
                                 DWORD ids[WPU_CATALOG_STANDARD_COUNT]);

/* Installs an LSP over the given entries as an installer does: a hidden
 * layered (dummy) entry with ChainLen 0, and one chain entry per lower entry
 * whose ChainEntries are [dummy, lower chain...], ordered before the entries
 * they layer. ifs sets XP1_IFS_HANDLES on the chains (an IFS LSP).
 * dummy_id and chain_ids (n entries) may be NULL. */
int wpu_catalog_install_lsp(const GUID *lsp_id, const WCHAR *path,
                            const WCHAR *name, const DWORD *lower_ids, size_t n,
                            BOOL ifs, DWORD *dummy_id, DWORD *chain_ids);

/* Copies the entry with catalog id id and its stored path (path may be
 * NULL; path_cch counts WCHARs). Errors: WSAEINVAL (no such entry),
 * WSAEFAULT (info is NULL), WSAENOBUFS (path too small). */
int wpu_catalog_get(DWORD id, WSAPROTOCOL_INFOW *info, WCHAR *path,
                    size_t path_cch);

/* Number of entries, hidden ones included. */
size_t wpu_catalog_count(void);

/* Copies the entry at position index in catalog order. Errors: WSAEINVAL
 * (index out of range), WSAEFAULT. */
int wpu_catalog_at(size_t index, WSAPROTOCOL_INFOW *info);

/* Writes a readable listing of the catalog (like `netsh winsock show
 * catalog`: one block per entry with its description, catalog id, provider
 * GUID, path, chain, address family, type, protocol, flags) into buf, NUL
 * terminated, truncating to size. Returns the length the whole listing
 * needs (without the NUL), as snprintf does. */
size_t wpu_catalog_format(char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* WPU_CATALOG_H */
