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
 * world and ends with it; without a current world the install functions
 * use libwpu's implicit world (as kernel32 does) and the others see an
 * empty catalog.
 *
 * Catalog entry ids start at 1001 and grow; an id is never reused within a
 * world. For a base entry (ChainLen 1) ChainEntries[0] is its own id.
 *
 * Errors are Winsock error codes (0 = success). All functions are
 * thread-safe; changes are serialised and readers see each change whole.
 */
#ifndef WPU_CATALOG_H
#define WPU_CATALOG_H

#include <stddef.h>
#include <winsock2.h>
#include <ws2spi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Most entries a world's catalog holds; an install beyond it fails with
 * WSAENOBUFS. */
#define WPU_CATALOG_MAX_ENTRIES 4096

/* The four standard base entries, in this order. */
enum {
  WPU_CATALOG_TCP_IPV4 = 0,
  WPU_CATALOG_UDP_IPV4 = 1,
  WPU_CATALOG_TCP_IPV6 = 2,
  WPU_CATALOG_UDP_IPV6 = 3,
  WPU_CATALOG_STANDARD_COUNT = 4
};

/* Installs the standard base entries (TCP/IPv4, UDP/IPv4, TCP/IPv6,
 * UDP/IPv6, as MSAFD describes them: XP1_IFS_HANDLES, ChainLen 1, ...,
 * named "libwpu Tcpip [TCP/IP]" and so on) for provider_id at path (as
 * stored), at the end of the catalog, as WSCInstallProvider would. ids (may
 * be NULL) receives their catalog entry ids, in the order of the enum
 * above. Errors: those of WSCInstallProvider (WSAEINVAL for a NULL or too
 * long path or a NULL provider_id, WSANO_RECOVERY when provider_id is
 * installed already, WSAENOBUFS, WSA_NOT_ENOUGH_MEMORY). */
int wpu_catalog_install_standard(const GUID *provider_id, const WCHAR *path,
                                 DWORD ids[WPU_CATALOG_STANDARD_COUNT]);

/* Installs an LSP over the given entries as an installer does: a hidden
 * layered (dummy) entry with ChainLen 0 under lsp_id, named name, at the end
 * of the catalog, and one chain entry per lower entry (lower_ids[n], base
 * entries or other chains) whose ChainEntries are [dummy, lower chain...],
 * each under a GUID of its own, named "<name> over [<lower name>]", placed
 * first in the catalog in the order of lower_ids. This is
 * WSCInstallProviderAndChains with explicit lower entries. ifs sets
 * XP1_IFS_HANDLES on the dummy and the chains (an IFS LSP), else it is
 * cleared. dummy_id and chain_ids (n entries) may be NULL.
 * Errors: WSAEINVAL (NULL lsp_id, lower_ids or name, n == 0, a bad path or
 * name, lsp_id or name installed already, a lower id that is not a base
 * or chain entry, an id given twice), WSANO_RECOVERY (a chain would exceed
 * MAX_PROTOCOL_CHAIN), WSAEINPROGRESS (another change is in progress),
 * WSAENOBUFS (WPU_CATALOG_MAX_ENTRIES), WSA_NOT_ENOUGH_MEMORY. */
int wpu_catalog_install_lsp(const GUID *lsp_id, const WCHAR *path,
                            const WCHAR *name, const DWORD *lower_ids, size_t n,
                            BOOL ifs, DWORD *dummy_id, DWORD *chain_ids);

/* Copies the entry with catalog id id and its stored path, terminated
 * (path may be NULL; path_cch counts WCHARs). Errors: WSAEINVAL (no such
 * entry), WSAEFAULT (info is NULL), WSAENOBUFS (path too small; nothing is
 * copied). */
int wpu_catalog_get(DWORD id, WSAPROTOCOL_INFOW *info, WCHAR *path,
                    size_t path_cch);

/* Number of entries, hidden ones included. */
size_t wpu_catalog_count(void);

/* Copies the entry at position index in catalog order. Errors: WSAEINVAL
 * (index out of range), WSAEFAULT. */
int wpu_catalog_at(size_t index, WSAPROTOCOL_INFOW *info);

/* Writes a readable listing of the catalog (like `netsh winsock show
 * catalog`: one block per entry, in catalog order, with its entry type,
 * description, provider GUID, path, catalog id, version, address family,
 * address lengths, type, protocol, service and provider flags, chain length
 * and, for chains, the chain) into buf as UTF-8, NUL terminated, truncating
 * to size (buf may be NULL when size is 0). Returns the length the whole
 * listing needs (without the NUL), as snprintf does; 0 for an empty
 * catalog. */
size_t wpu_catalog_format(char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* WPU_CATALOG_H */
