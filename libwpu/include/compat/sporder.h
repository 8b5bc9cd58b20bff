/* compat/sporder.h: the SDK's sporder.h for Linux builds (Wine 8 ships
 * none), so installer code that includes it compiles unchanged.
 *
 * Wine's ws2spi.h already declares WSCWriteProviderOrder (libwpu implements
 * it: catalog.c); this header adds the SDK's function-pointer type. The
 * name-space order (WSCWriteNameSpaceOrder) is not emulated.
 */
#ifndef WPU_COMPAT_SPORDER_H
#define WPU_COMPAT_SPORDER_H

#include <winsock2.h>
#include <ws2spi.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int(WSPAPI *LPWSCWRITEPROVIDERORDER)(LPDWORD lpwdCatalogEntryId,
                                             DWORD dwNumberOfEntries);

#ifdef __cplusplus
}
#endif

#endif /* WPU_COMPAT_SPORDER_H */
