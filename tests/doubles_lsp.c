/* doubles_lsp.c: the shared set-up of the doubles' suites (doubles_lsp.h):
 * tiny_lsp, and a stack of two LSPs. */
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

void dl_install_memnet(void) {
  const wpu_export exports[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))fws2_memnet_WSPStartup}};
  DWORD rc = wpu_module_register(fws2_memnet_path, exports, 1, NULL);
  assert_true(rc == 0 || rc == ERROR_BUSY);
  assert_int_equal(wpu_catalog_install_standard(&fws2_memnet_provider_id,
                                                fws2_memnet_path, NULL),
                   0);
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

/* ---- stack_top (non-IFS) over stack_ifs (IFS) ---- */

static const GUID stack_top_id = {
    0x5e1f0a11,
    0x7a3c,
    0x4d2e,
    {0x9b, 0x61, 0x20, 0x44, 0x6c, 0x73, 0x70, 0x11}};
static const GUID stack_ifs_id = {
    0x5e1f0a11,
    0x7a3c,
    0x4d2e,
    {0x9b, 0x61, 0x20, 0x44, 0x6c, 0x73, 0x70, 0x12}};
static const WCHAR stack_top_path[] = L"%SystemRoot%\\system32\\stack_top.dll";
static const WCHAR stack_ifs_path[] = L"%SystemRoot%\\system32\\stack_ifs.dll";

static DWORD ifs_own;              /* stack_ifs's chain entry */
static WSAPROTOCOL_INFOW ifs_base; /* the entry under it */
static WSPPROC_TABLE ifs_next, top_next;
static WSPUPCALLTABLE ifs_up, top_up;
static HMODULE ifs_module, top_module;

static LPWSPSTARTUP load_next(const WCHAR *path, HMODULE *module) {
  WCHAR expanded[MAX_PATH];
  ExpandEnvironmentStringsW(path, expanded, MAX_PATH);
  *module = LoadLibraryW(expanded);
  return *module == NULL ? NULL
                         : (LPWSPSTARTUP)(void (*)(void))GetProcAddress(
                               *module, "WSPStartup");
}

/* stack_ifs: the base's socket, registered for its own entry whatever
 * protocol info the layer above passed. */
static SOCKET WSPAPI ifs_socket(int af, int type, int protocol,
                                LPWSAPROTOCOL_INFOW info, GROUP g, DWORD flags,
                                LPINT err) {
  (void)info;
  SOCKET s = ifs_next.lpWSPSocket(af, type, protocol, &ifs_base, g, flags, err);
  if (s == INVALID_SOCKET)
    return s;
  return ifs_up.lpWPUModifyIFSHandle(ifs_own, s, err);
}

static int WSPAPI ifs_cleanup(LPINT err) {
  int rc = ifs_next.lpWSPCleanup(err);
  FreeLibrary(ifs_module);
  return rc;
}

static int WSPAPI ifs_startup(WORD version, LPWSPDATA data,
                              LPWSAPROTOCOL_INFOW info, WSPUPCALLTABLE upcalls,
                              LPWSPPROC_TABLE procs) {
  (void)info; /* the upper layer's: stack_ifs knows its own entry */
  WSAPROTOCOL_INFOW own;
  WCHAR path[MAX_PATH];
  if (wpu_catalog_get(ifs_own, &own, NULL, 0) != 0 ||
      wpu_catalog_get(own.ProtocolChain.ChainEntries[1], &ifs_base, path,
                      MAX_PATH) != 0)
    return WSAEPROVIDERFAILEDINIT;
  LPWSPSTARTUP start = load_next(path, &ifs_module);
  if (start == NULL)
    return WSAEPROVIDERFAILEDINIT;
  int rc = start(version, data, &ifs_base, upcalls, &ifs_next);
  if (rc != 0)
    return rc;
  ifs_up = upcalls;
  *procs = ifs_next;
  procs->lpWSPSocket = ifs_socket;
  procs->lpWSPCleanup = ifs_cleanup;
  return 0;
}

/* stack_top: its own handle over the next layer's socket. */
static SOCKET WSPAPI top_socket(int af, int type, int protocol,
                                LPWSAPROTOCOL_INFOW info, GROUP g, DWORD flags,
                                LPINT err) {
  /* The next layer is an LSP: it gets this layer's protocol info. */
  SOCKET n = top_next.lpWSPSocket(af, type, protocol, info, g,
                                  flags | WSA_FLAG_OVERLAPPED, err);
  if (n == INVALID_SOCKET)
    return n;
  SOCKET s =
      top_up.lpWPUCreateSocketHandle(info->dwCatalogEntryId, (DWORD_PTR)n, err);
  if (s == INVALID_SOCKET) {
    int e;
    top_next.lpWSPCloseSocket(n, &e);
  }
  return s;
}

static int WSPAPI top_close(SOCKET s, LPINT err) {
  DWORD_PTR n;
  if (top_up.lpWPUQuerySocketHandleContext(s, &n, err) != 0)
    return SOCKET_ERROR;
  int rc = top_next.lpWSPCloseSocket((SOCKET)n, err);
  int e;
  if (top_up.lpWPUCloseSocketHandle(s, &e) != 0 && rc == 0) {
    *err = e;
    rc = SOCKET_ERROR;
  }
  return rc;
}

static int WSPAPI top_cleanup(LPINT err) {
  int rc = top_next.lpWSPCleanup(err);
  FreeLibrary(top_module);
  return rc;
}

static int WSPAPI top_startup(WORD version, LPWSPDATA data,
                              LPWSAPROTOCOL_INFOW info, WSPUPCALLTABLE upcalls,
                              LPWSPPROC_TABLE procs) {
  WSAPROTOCOL_INFOW next_entry;
  WCHAR path[MAX_PATH];
  if (info->ProtocolChain.ChainLen < 3 ||
      wpu_catalog_get(info->ProtocolChain.ChainEntries[1], &next_entry, path,
                      MAX_PATH) != 0)
    return WSAEPROVIDERFAILEDINIT;
  LPWSPSTARTUP start = load_next(path, &top_module);
  if (start == NULL)
    return WSAEPROVIDERFAILEDINIT;
  int rc = start(version, data, info, upcalls, &top_next);
  if (rc != 0)
    return rc;
  top_up = upcalls;
  *procs = top_next;
  procs->lpWSPSocket = top_socket;
  procs->lpWSPCloseSocket = top_close;
  procs->lpWSPCleanup = top_cleanup;
  return 0;
}

static DWORD register_and_install(const GUID *id, const WCHAR *path,
                                  const WCHAR *name, LPWSPSTARTUP startup,
                                  DWORD lower, BOOL ifs) {
  const wpu_export exports[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))startup}};
  DWORD rc = wpu_module_register(path, exports, 1, NULL);
  assert_true(rc == 0 || rc == ERROR_BUSY);
  DWORD chain = 0;
  assert_int_equal(
      wpu_catalog_install_lsp(id, path, name, &lower, 1, ifs, NULL, &chain), 0);
  return chain;
}

DWORD dl_install_stack(void) {
  dl_install_base();
  WSAPROTOCOL_INFOW e;
  DWORD tcp4 = 0;
  for (size_t i = 0; i < wpu_catalog_count(); i++)
    if (wpu_catalog_at(i, &e) == 0 && e.iAddressFamily == AF_INET &&
        e.iSocketType == SOCK_STREAM && e.ProtocolChain.ChainLen == 1)
      tcp4 = e.dwCatalogEntryId;
  assert_int_not_equal(tcp4, 0);
  ifs_own = register_and_install(&stack_ifs_id, stack_ifs_path, L"stack_ifs",
                                 ifs_startup, tcp4, TRUE);
  return register_and_install(&stack_top_id, stack_top_path, L"stack_top",
                              top_startup, ifs_own, FALSE);
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
