/* test_hello_so.c: hello_provider built as a shared object, exporting
 * WSPStartup as a provider DLL does (test_front loads it through the
 * catalog path with LoadLibraryW, that is dlopen). */
#include <winsock2.h>
#include <ws2spi.h>

#include "provider.h"

__attribute__((visibility("default"))) int WSPAPI
WSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
           LPWSAPROTOCOL_INFOW lpProtocolInfo, WSPUPCALLTABLE UpcallTable,
           LPWSPPROC_TABLE lpProcTable) {
  return HelloWSPStartup(wVersionRequested, lpWSPData, lpProtocolInfo,
                         UpcallTable, lpProcTable);
}
