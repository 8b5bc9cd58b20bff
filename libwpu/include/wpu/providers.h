/* wpu/providers.h: starting providers as ws2_32 does.
 *
 * ws2_32 starts the provider of a catalog entry the first time an
 * application uses the entry: ExpandEnvironmentStringsW of the stored path,
 * LoadLibraryW, GetProcAddress("WSPStartup"), then WSPStartup(version,
 * &WSPDATA, &that entry's WSAPROTOCOL_INFOW, the upcall table by value,
 * &proc table). Each catalog entry is started once (an LSP is called again
 * for each of its entries, as real LSPs expect); a DLL is loaded once per
 * path and reference-counted by LoadLibrary. The started providers belong to
 * the current world; wpu_providers_cleanup() (the front calls it on the last
 * WSACleanup) calls WSPCleanup once per successful WSPStartup, newest first,
 * and frees the libraries. WSPCleanup's return value is ignored (some real
 * providers always fail it).
 *
 * Errors are Winsock error codes. Thread-safe.
 */
#ifndef WPU_PROVIDERS_H
#define WPU_PROVIDERS_H

#include <winsock2.h>
#include <ws2spi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Starts the provider of catalog entry id if it is not started yet and
 * gives its proc table (valid until wpu_providers_cleanup or the end of the
 * world) and, when info is not NULL, the WSAPROTOCOL_INFOW it was started
 * with. Errors: WSANOTINITIALISED (no world), WSAEINVAL (no such entry),
 * WSAEPROVIDERFAILEDINIT (the DLL cannot be loaded, has no WSPStartup, or
 * WSPStartup failed: its error is reported through the world's report
 * hook), WSAEINVALIDPROCTABLE (a NULL entry in the proc table; the provider
 * is cleaned up again), WSA_NOT_ENOUGH_MEMORY. */
int wpu_provider_start(DWORD catalog_id, const WSPPROC_TABLE **procs,
                       const WSAPROTOCOL_INFOW **info);

/* Calls WSPCleanup for every started entry, newest first, and FreeLibrary
 * for their libraries. Returns the number of entries cleaned up. */
int wpu_providers_cleanup(void);

/* Number of started entries. */
int wpu_providers_started(void);

#ifdef __cplusplus
}
#endif

#endif /* WPU_PROVIDERS_H */
