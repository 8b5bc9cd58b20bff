/* provider.c: a trivial Winsock 2 provider, written as Windows source, for
 * the package check: WSPSocket makes a WPUCreateSocketHandle handle,
 * WSPCloseSocket closes it; nothing else. */
#include <winsock2.h>
#include <ws2spi.h>

#include <string.h>
#include <wchar.h>

#include "provider.h"

static WSPUPCALLTABLE upcalls;
static DWORD catalog_id;

static SOCKET WSPAPI tiny_socket(int af, int type, int protocol,
                                 LPWSAPROTOCOL_INFOW info, GROUP g, DWORD flags,
                                 LPINT lpErrno) {
  (void)af;
  (void)type;
  (void)protocol;
  (void)info;
  (void)g;
  (void)flags;
  return upcalls.lpWPUCreateSocketHandle(catalog_id, (DWORD_PTR)0x7117,
                                         lpErrno);
}

static int WSPAPI tiny_closesocket(SOCKET s, LPINT lpErrno) {
  return upcalls.lpWPUCloseSocketHandle(s, lpErrno) == 0 ? 0 : SOCKET_ERROR;
}

int WSPAPI TinyWSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                          LPWSAPROTOCOL_INFOW lpProtocolInfo,
                          WSPUPCALLTABLE UpcallTable,
                          LPWSPPROC_TABLE lpProcTable) {
  if (LOBYTE(wVersionRequested) < 2)
    return WSAVERNOTSUPPORTED;
  upcalls = UpcallTable;
  catalog_id = lpProtocolInfo->dwCatalogEntryId;
  memset(lpWSPData, 0, sizeof *lpWSPData);
  lpWSPData->wVersion = MAKEWORD(2, 2);
  lpWSPData->wHighVersion = MAKEWORD(2, 2);
  wcscpy(lpWSPData->szDescription, L"tiny");
  memset(lpProcTable, 0, sizeof *lpProcTable);
  lpProcTable->lpWSPSocket = tiny_socket;
  lpProcTable->lpWSPCloseSocket = tiny_closesocket;
  return 0;
}
