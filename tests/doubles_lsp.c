/* doubles_lsp.c: the shared set-up of the doubles' suites (doubles_lsp.h).
 */
#include <winsock2.h>
#include <ws2spi.h>
#include <ws2tcpip.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/front.h>
#include <fws2/memnet.h>
#include <wpu/catalog.h>
#include <wpu/modules.h>
#include <wpu/sockets.h>

#include "doubles_lsp.h"

static const GUID lsp_id = {0x5e1f0a11,
                            0x7a3c,
                            0x4d2e,
                            {0x9b, 0x61, 0x20, 0x44, 0x6c, 0x73, 0x70, 0x01}};
static const WCHAR lsp_path[] = L"%SystemRoot%\\system32\\tiny_lsp.dll";

/* The LSP's state (one chain entry per world in these suites). */
static WSPPROC_TABLE next;
static WSPUPCALLTABLE up;
static HMODULE next_module;

static SOCKET WSPAPI lsp_socket(int af, int type, int protocol,
                                LPWSAPROTOCOL_INFOW info, GROUP g, DWORD flags,
                                LPINT err) {
  WSAPROTOCOL_INFOW lower;
  if (wpu_catalog_get(info->ProtocolChain.ChainEntries[1], &lower, NULL, 0) !=
      0) {
    *err = WSAEINVAL;
    return INVALID_SOCKET;
  }
  SOCKET s = next.lpWSPSocket(af, type, protocol, &lower, g, flags, err);
  if (s == INVALID_SOCKET)
    return s;
  return up.lpWPUModifyIFSHandle(info->dwCatalogEntryId, s, err);
}

/* The chain entry of the listening socket s (the LSP's: it registered it).
 */
static SOCKET WSPAPI lsp_accept(SOCKET s, struct sockaddr *addr, LPINT len,
                                LPCONDITIONPROC cond, DWORD_PTR data,
                                LPINT err) {
  DWORD entry = 0;
  wpu_socket_query(s, &entry);
  SOCKET a = next.lpWSPAccept(s, addr, len, cond, data, err);
  if (a == INVALID_SOCKET)
    return a;
  return up.lpWPUModifyIFSHandle(entry, a, err);
}

static int WSPAPI lsp_cleanup(LPINT err) {
  int rc = next.lpWSPCleanup(err);
  FreeLibrary(next_module);
  return rc;
}

static int WSPAPI lsp_startup(WORD version, LPWSPDATA data,
                              LPWSAPROTOCOL_INFOW info, WSPUPCALLTABLE upcalls,
                              LPWSPPROC_TABLE procs) {
  WSAPROTOCOL_INFOW lower;
  WCHAR path[MAX_PATH], expanded[MAX_PATH];
  if (info->ProtocolChain.ChainLen < 2 ||
      wpu_catalog_get(info->ProtocolChain.ChainEntries[1], &lower, path,
                      MAX_PATH) != 0)
    return WSAEPROVIDERFAILEDINIT;
  ExpandEnvironmentStringsW(path, expanded, MAX_PATH);
  next_module = LoadLibraryW(expanded);
  LPWSPSTARTUP start = next_module == NULL
                           ? NULL
                           : (LPWSPSTARTUP)(void (*)(void))GetProcAddress(
                                 next_module, "WSPStartup");
  if (start == NULL)
    return WSAEPROVIDERFAILEDINIT;
  int rc = start(version, data, &lower, upcalls, &next);
  if (rc != 0)
    return rc;
  up = upcalls;
  *procs = next; /* everything else goes straight down */
  procs->lpWSPSocket = lsp_socket;
  procs->lpWSPAccept = lsp_accept;
  procs->lpWSPCleanup = lsp_cleanup;
  return 0;
}

void dl_install_base(void) {
  assert_int_equal(fws2_install_default_base(), 0);
}

DWORD dl_install(void) {
  dl_install_base();
  const wpu_export exports[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))lsp_startup}};
  DWORD rc = wpu_module_register(lsp_path, exports, 1, NULL);
  assert_true(rc == 0 || rc == ERROR_BUSY);
  WSAPROTOCOL_INFOW e;
  DWORD tcp4 = 0;
  for (size_t i = 0; i < wpu_catalog_count(); i++)
    if (wpu_catalog_at(i, &e) == 0 && e.iAddressFamily == AF_INET &&
        e.iSocketType == SOCK_STREAM && e.ProtocolChain.ChainLen == 1)
      tcp4 = e.dwCatalogEntryId;
  assert_int_not_equal(tcp4, 0);
  DWORD chain = 0;
  assert_int_equal(wpu_catalog_install_lsp(&lsp_id, lsp_path, L"tiny_lsp",
                                           &tcp4, 1, TRUE, NULL, &chain),
                   0);
  return chain;
}

void dl_tcp_pair(SOCKET *client, SOCKET *server) {
  SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_not_equal(l, INVALID_SOCKET);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(l, 4), 0);
  int len = sizeof a;
  assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
  *client = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_not_equal(*client, INVALID_SOCKET);
  assert_int_equal(connect(*client, (struct sockaddr *)&a, sizeof a), 0);
  *server = accept(l, NULL, NULL);
  assert_int_not_equal(*server, INVALID_SOCKET);
  assert_int_equal(closesocket(l), 0);
}
