/* test_module_so.c: a tiny provider-shaped shared object for
 * test_kernel32_modules (Linux only). LoadLibrary loads it with dlopen,
 * calls its DllMain and finds its WSPStartup with dlsym. It is written as
 * Windows source and built with the Windows headers, but without libwpu: a
 * shared object linking libwpu's static library would carry a second,
 * separate copy of it.
 *
 * What DllMain saw is kept in exported variables the test reads through
 * GetProcAddress while the object is loaded; test_so_watch() hands it a
 * counter of the test's own for DLL_PROCESS_DETACH, which happens as the
 * object is unloaded. With WPU_TEST_SO_FAIL_ATTACH set in the (Linux)
 * environment, DLL_PROCESS_ATTACH returns FALSE. */
#include <winsock2.h>
#include <ws2spi.h>

#include <stdlib.h>

LONG test_so_attach_calls;
HINSTANCE test_so_hinstance;
LPVOID test_so_attach_reserved = (LPVOID)1;

static LONG *detach_calls;
static LPVOID *detach_reserved;

void WINAPI test_so_watch(LONG *calls, LPVOID *reserved) {
  detach_calls = calls;
  detach_reserved = reserved;
}

BOOL WINAPI DllMain(HINSTANCE hinstDLL, DWORD fdwReason, LPVOID lpvReserved) {
  switch (fdwReason) {
  case DLL_PROCESS_ATTACH:
    test_so_attach_calls++;
    test_so_hinstance = hinstDLL;
    test_so_attach_reserved = lpvReserved;
    return getenv("WPU_TEST_SO_FAIL_ATTACH") == NULL;
  case DLL_PROCESS_DETACH:
    if (detach_calls != NULL)
      (*detach_calls)++;
    if (detach_reserved != NULL)
      *detach_reserved = lpvReserved;
    break;
  default:
    break;
  }
  return TRUE;
}

int WSPAPI WSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                      LPWSAPROTOCOL_INFOW lpProtocolInfo,
                      WSPUPCALLTABLE UpcallTable, LPWSPPROC_TABLE lpProcTable) {
  (void)lpProtocolInfo;
  (void)UpcallTable;
  (void)lpProcTable;
  if (lpWSPData == NULL)
    return WSAEFAULT;
  lpWSPData->wVersion = wVersionRequested;
  lpWSPData->wHighVersion = wVersionRequested;
  return NO_ERROR;
}
