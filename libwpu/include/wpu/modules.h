/* wpu/modules.h: provider DLLs on Linux.
 *
 * ws2_32 and LSPs load providers with ExpandEnvironmentStringsW +
 * LoadLibraryW of the path stored in the catalog, then GetProcAddress
 * "WSPStartup". On Linux a provider is usually linked into the test itself:
 * wpu_module_register() maps a DLL path to its exported functions and
 * optional DllMain, and LoadLibraryW/A, GetProcAddress, FreeLibrary,
 * GetModuleHandleW/A and GetModuleFileNameW/A resolve through that registry
 * (DllMain gets DLL_PROCESS_ATTACH on the first load and DLL_PROCESS_DETACH
 * on the last FreeLibrary, with the module's HINSTANCE). A path that is not
 * registered but names a shared object (.so) is loaded with dlopen, its
 * exports found with dlsym. Paths compare case-insensitively after
 * environment expansion, and a registration matches by file name alone when
 * the directory differs (Windows' search order finds system32 DLLs by
 * name).
 *
 * Registrations are process-wide (they describe code linked into the
 * program, not state of a world). All functions are thread-safe.
 * libwpu/src/win32/module.c describes the kernel32 side in full.
 */
#ifndef WPU_MODULES_H
#define WPU_MODULES_H

#include <stddef.h>
#include <winsock2.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wpu_export {
  const char *name; /* e.g. "WSPStartup" */
  FARPROC proc;
} wpu_export;

typedef BOOL(WINAPI *wpu_dll_main)(HINSTANCE hinstDLL, DWORD fdwReason,
                                   LPVOID lpvReserved);

/* Registers (or replaces) the module for path: its exports (copied; names
 * must stay valid) and DllMain (may be NULL). The path is expanded
 * (ExpandEnvironmentStringsW) when registered; a registration with the same
 * expanded path (case-insensitive) is replaced. Returns 0, or
 * ERROR_INVALID_PARAMETER (NULL or empty path, or n > 0 with NULL exports),
 * ERROR_BUSY (the module is loaded now), ERROR_NOT_ENOUGH_MEMORY. */
DWORD wpu_module_register(const WCHAR *path, const wpu_export *exports,
                          size_t n, wpu_dll_main dll_main);

/* Removes the registration made for path (compared as wpu_module_register
 * does). Returns 0, ERROR_MOD_NOT_FOUND, ERROR_BUSY (loaded now),
 * ERROR_INVALID_PARAMETER (NULL or empty path) or ERROR_NOT_ENOUGH_MEMORY. */
DWORD wpu_module_unregister(const WCHAR *path);

#ifdef __cplusplus
}
#endif

#endif /* WPU_MODULES_H */
