/* wpu/providers.h: starting providers as ws2_32 does.
 *
 * ws2_32 starts a provider the first time an application uses one of its
 * catalog entries: ExpandEnvironmentStringsW of the stored path,
 * LoadLibraryW, GetProcAddress("WSPStartup"), then WSPStartup(version,
 * &WSPDATA, &that entry's WSAPROTOCOL_INFOW, the upcall table by value,
 * &proc table). One started instance serves every entry of the same
 * provider GUID (an LSP's chain entries each have their own GUID, so each
 * gets its own WSPStartup, as real LSPs expect). No lock is held while
 * WSPStartup runs: it may itself call the front; another thread asking for
 * the same provider waits for it, the same thread asking again fails.
 *
 * The started providers belong to the current world. wpu_providers_cleanup
 * (the front calls it on the last WSACleanup) retires them all: each gets
 * its WSPCleanup and FreeLibrary once the last call in progress through it
 * has released it (calls hold a reference from wpu_provider_acquire to
 * wpu_provider_release). WSPCleanup's result is ignored (some real
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

typedef struct wpu_provider wpu_provider;

/* Starts the provider of catalog entry catalog_id if it is not started yet
 * and takes a reference on it (release it with wpu_provider_release).
 * Errors: WSANOTINITIALISED (no world), WSAEINVAL (no such entry),
 * WSAEPROVIDERFAILEDINIT (the DLL cannot be loaded, has no WSPStartup,
 * WSPStartup failed — its error goes to the world's report hook — or
 * WSPStartup of this provider, on this thread, asked for itself),
 * WSAEINVALIDPROCTABLE (a NULL entry in the proc table; the provider is
 * cleaned up again), WSA_NOT_ENOUGH_MEMORY. */
int wpu_provider_acquire(DWORD catalog_id, wpu_provider **out);

/* The proc table and the WSAPROTOCOL_INFOW WSPStartup got, valid while the
 * reference is held. */
const WSPPROC_TABLE *wpu_provider_procs(const wpu_provider *p);
const WSAPROTOCOL_INFOW *wpu_provider_info(const wpu_provider *p);

/* Drops a reference; the last one of a retired provider cleans it up. */
void wpu_provider_release(wpu_provider *p);

/* Retires every started provider (see above). Returns how many. */
int wpu_providers_cleanup(void);

/* Number of started providers (not retired). */
int wpu_providers_started(void);

#ifdef __cplusplus
}
#endif

#endif /* WPU_PROVIDERS_H */
