/* test_ifs_lsp.c: ifs_lsp installed over memnet's four base entries in the
 * emulated catalog, used through the ws2_32 front as an application would:
 * its overrides run (socket handles re-registered, connect rewrite, send
 * inspection, vendor ioctls), every other call goes to the base provider's
 * own entry points, ReadFile/WriteFile bypass it, and the next layer is
 * loaded through the catalog and unloaded at the last cleanup. */
#include <winsock2.h>
#include <ws2spi.h>
#include <ws2tcpip.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#include <fws2/front.h>
#include <fws2/memnet.h>
#include <wpu/catalog.h>
#include <wpu/modules.h>
#include <wpu/providers.h>
#include <wpu/sockets.h>
#include <wpu/world.h>
#include <wpu/wpu.h>

#include "ifs_lsp.h"

#define WAIT_MS 10000

static const WCHAR lsp_path[] = L"%SystemRoot%\\system32\\ifs_lsp.dll";
static DWORD base[WPU_CATALOG_STANDARD_COUNT];
static DWORD chains[WPU_CATALOG_STANDARD_COUNT];
static DWORD dummy;

static void register_modules(void) {
  const wpu_export memnet[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))fws2_memnet_WSPStartup}};
  const wpu_export lsp[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))IfsWSPStartup},
      {"GetLspGuid", (FARPROC)(void (*)(void))IfsGetLspGuid}};
  DWORD rc = wpu_module_register(fws2_memnet_path, memnet, 1, NULL);
  assert_true(rc == 0 || rc == ERROR_BUSY);
  rc = wpu_module_register(lsp_path, lsp, 2, IfsDllMain);
  assert_true(rc == 0 || rc == ERROR_BUSY);
}

/* memnet's base entries, ifs_lsp over all four, WSAStartup. */
static int setup(void **state) {
  if (fws2_world_setup(state) != 0)
    return -1;
  register_modules();
  if (wpu_catalog_install_standard(&fws2_memnet_provider_id, fws2_memnet_path,
                                   base) != 0 ||
      wpu_catalog_install_lsp(&ifs_lsp_provider_id, lsp_path, L"ifs_lsp", base,
                              WPU_CATALOG_STANDARD_COUNT, TRUE, &dummy,
                              chains) != 0)
    return -1;
  WSADATA d;
  return WSAStartup(MAKEWORD(2, 2), &d) == 0 ? 0 : -1;
}

static int teardown(void **state) {
  while (WSACleanup() == 0)
    ;
  return fws2_world_teardown(state);
}

static struct sockaddr_in loopback(u_short port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

/* A listening TCP socket on an ephemeral loopback port, its address in *a. */
static SOCKET listener(struct sockaddr_in *a) {
  SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_not_equal(l, INVALID_SOCKET);
  *a = loopback(0);
  assert_int_equal(bind(l, (struct sockaddr *)a, sizeof *a), 0);
  int len = sizeof *a;
  assert_int_equal(getsockname(l, (struct sockaddr *)a, &len), 0);
  assert_int_equal(listen(l, 4), 0);
  return l;
}

/* Whether l has a connection waiting (select, no wait). */
static int pending(SOCKET l) {
  fd_set r;
  FD_ZERO(&r);
  FD_SET(l, &r);
  struct timeval tv = {0, 0};
  int n = select(0, &r, NULL, NULL, &tv);
  assert_true(n >= 0);
  return n;
}

static void connected_pair(SOCKET *c, SOCKET *s) {
  struct sockaddr_in a;
  SOCKET l = listener(&a);
  *c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_not_equal(*c, INVALID_SOCKET);
  assert_int_equal(connect(*c, (struct sockaddr *)&a, sizeof a), 0);
  *s = accept(l, NULL, NULL);
  assert_int_not_equal(*s, INVALID_SOCKET);
  assert_int_equal(closesocket(l), 0);
}

static ifs_lsp_stats stats_of(SOCKET s) {
  ifs_lsp_stats st;
  DWORD n = 0;
  memset(&st, 0xcc, sizeof st);
  assert_int_equal(WSAIoctl(s, SIO_IFS_LSP_GET_STATS, NULL, 0, &st, sizeof st,
                            &n, NULL, NULL),
                   0);
  assert_int_equal(n, sizeof st);
  return st;
}

static int add_redirect(SOCKET s, const void *from, const void *to, int len) {
  ifs_lsp_redirect r;
  memset(&r, 0, sizeof r);
  memcpy(&r.from, from, (size_t)len);
  memcpy(&r.to, to, (size_t)len);
  DWORD n = 0;
  return WSAIoctl(s, SIO_IFS_LSP_ADD_REDIRECT, &r, sizeof r, NULL, 0, &n, NULL,
                  NULL) == 0
             ? 0
             : WSAGetLastError();
}

static void recv_all(SOCKET s, char *buf, int len) {
  for (int got = 0; got < len;) {
    int n = recv(s, buf + got, len - got, 0);
    assert_true(n > 0);
    got += n;
  }
}

/* ---- The proc table ---- */

static void
proc_table_overrides_seven_entries_and_keeps_the_base_ones(void **state) {
  (void)state;
  wpu_provider *p = NULL;
  assert_int_equal(wpu_provider_acquire(chains[WPU_CATALOG_TCP_IPV4], &p), 0);
  const WSPPROC_TABLE *lsp = wpu_provider_procs(p);
  WSAPROTOCOL_INFOW b;
  assert_int_equal(wpu_catalog_get(base[WPU_CATALOG_TCP_IPV4], &b, NULL, 0), 0);
  WSPDATA d;
  WSPPROC_TABLE memnet;
  assert_int_equal(fws2_memnet_WSPStartup(MAKEWORD(2, 2), &d, &b,
                                          wpu_upcall_table(), &memnet),
                   0);
  void *const *x = (void *const *)lsp, *const *y = (void *const *)&memnet;
  /* WSPPROC_TABLE order: Accept 0, Cleanup 5, CloseSocket 6, Connect 7,
   * Ioctl 16, Send 23, Socket 28. */
  const int overridden[] = {0, 5, 6, 7, 16, 23, 28};
  int same = 0;
  for (int i = 0; i < 30; i++) {
    int over = 0;
    for (size_t k = 0; k < sizeof overridden / sizeof *overridden; k++)
      over |= overridden[k] == i;
    if (over)
      assert_ptr_not_equal(x[i], y[i]);
    else
      same += x[i] == y[i];
  }
  assert_int_equal(same, 23); /* the base provider's own functions */
  int err;
  memnet.lpWSPCleanup(&err);
  wpu_provider_release(p);
}

static void
sockets_are_base_handles_registered_under_the_chain_entry(void **state) {
  (void)state;
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_not_equal(s, INVALID_SOCKET);
  DWORD cat = 0;
  assert_int_equal(wpu_socket_query(s, &cat), WPU_SOCKET_IFS);
  assert_int_equal(cat, chains[WPU_CATALOG_TCP_IPV4]);
  /* Made and first registered by the base provider, as MSAFD does. */
  assert_int_equal(wpu_ifs_handle_owner(s), base[WPU_CATALOG_TCP_IPV4]);
  SOCKET u = socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
  assert_int_equal(wpu_socket_query(u, &cat), WPU_SOCKET_IFS);
  assert_int_equal(cat, chains[WPU_CATALOG_UDP_IPV6]);
  assert_int_equal(closesocket(s), 0);
  assert_int_equal(closesocket(u), 0);
}

static void accepted_sockets_belong_to_the_layer(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  DWORD cat = 0;
  assert_int_equal(wpu_socket_query(s, &cat), WPU_SOCKET_IFS);
  assert_int_equal(cat, chains[WPU_CATALOG_TCP_IPV4]);
  assert_int_equal(send(s, "pong", 4, 0), 4);
  assert_int_equal(stats_of(s).bytes_sent, 4);
  char buf[4];
  recv_all(c, buf, 4);
  assert_memory_equal(buf, "pong", 4);
  closesocket(c);
  closesocket(s);
}

/* ---- Connect-time rewrite ---- */

static void
connect_to_a_redirected_address_reaches_the_rules_target(void **state) {
  (void)state;
  struct sockaddr_in p, q;
  SOCKET lp = listener(&p), lq = listener(&q);
  SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_equal(add_redirect(c, &p, &q, sizeof p), 0);
  assert_int_equal(stats_of(c).connects_redirected, 0);
  assert_int_equal(connect(c, (struct sockaddr *)&p, sizeof p), 0);
  assert_int_equal(stats_of(c).connects_redirected, 1);
  struct sockaddr_in peer;
  int len = sizeof peer;
  /* getpeername is the base provider's own: the real peer, Q. */
  assert_int_equal(getpeername(c, (struct sockaddr *)&peer, &len), 0);
  assert_int_equal(peer.sin_port, q.sin_port);
  assert_int_equal(pending(lq), 1);
  assert_int_equal(pending(lp), 0);
  SOCKET s = accept(lq, NULL, NULL);
  assert_int_not_equal(s, INVALID_SOCKET);
  assert_int_equal(send(c, "hi", 2, 0), 2);
  char buf[2];
  recv_all(s, buf, 2);
  assert_memory_equal(buf, "hi", 2);
  closesocket(s);
  closesocket(c);
  closesocket(lp);
  closesocket(lq);
}

static void connect_to_other_addresses_is_not_rewritten(void **state) {
  (void)state;
  struct sockaddr_in p, q, r;
  SOCKET lp = listener(&p), lq = listener(&q), lr = listener(&r);
  SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_equal(add_redirect(c, &p, &q, sizeof p), 0);
  assert_int_equal(connect(c, (struct sockaddr *)&r, sizeof r), 0);
  assert_int_equal(stats_of(c).connects_redirected, 0);
  assert_int_equal(pending(lr), 1);
  assert_int_equal(pending(lq), 0);
  closesocket(c);
  closesocket(lp);
  closesocket(lq);
  closesocket(lr);
}

static void clearing_the_rules_stops_the_rewrite(void **state) {
  (void)state;
  struct sockaddr_in p, q;
  SOCKET lp = listener(&p), lq = listener(&q);
  SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_equal(add_redirect(c, &p, &q, sizeof p), 0);
  DWORD n = 0;
  assert_int_equal(WSAIoctl(c, SIO_IFS_LSP_CLEAR_REDIRECTS, NULL, 0, NULL, 0,
                            &n, NULL, NULL),
                   0);
  assert_int_equal(connect(c, (struct sockaddr *)&p, sizeof p), 0);
  assert_int_equal(pending(lp), 1);
  assert_int_equal(pending(lq), 0);
  closesocket(c);
  closesocket(lp);
  closesocket(lq);
}

static void
rules_set_on_one_socket_apply_to_every_socket_of_the_layer(void **state) {
  (void)state;
  struct sockaddr_in6 p, q;
  SOCKET l6[2];
  for (int i = 0; i < 2; i++) {
    l6[i] = socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in6 *a = i == 0 ? &p : &q;
    memset(a, 0, sizeof *a);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    assert_int_equal(bind(l6[i], (struct sockaddr *)a, sizeof *a), 0);
    int len = sizeof *a;
    assert_int_equal(getsockname(l6[i], (struct sockaddr *)a, &len), 0);
    assert_int_equal(listen(l6[i], 2), 0);
  }
  SOCKET cfg = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  assert_int_equal(add_redirect(cfg, &p, &q, sizeof p), 0);
  SOCKET c = socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
  assert_int_equal(connect(c, (struct sockaddr *)&p, sizeof p), 0);
  assert_int_equal(stats_of(c).connects_redirected, 1);
  assert_int_equal(pending(l6[1]), 1);
  assert_int_equal(pending(l6[0]), 0);
  closesocket(c);
  closesocket(cfg);
  closesocket(l6[0]);
  closesocket(l6[1]);
}

/* ---- Send inspection ---- */

static void send_counts_bytes_and_pattern_hits_across_calls(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  DWORD n = 0;
  assert_int_equal(WSAIoctl(c, SIO_IFS_LSP_SET_PATTERN, "SECRET", 6, NULL, 0,
                            &n, NULL, NULL),
                   0);
  assert_int_equal(send(c, "xxSEC", 5, 0), 5);
  /* Two buffers in one call; the pattern spans the calls and the buffers. */
  WSABUF b[2] = {{4, "RETy"}, {7, "SECRETS"}};
  DWORD sent = 0;
  assert_int_equal(WSASend(c, b, 2, &sent, 0, NULL, NULL), 0);
  assert_int_equal(sent, 11);
  ifs_lsp_stats st = stats_of(c);
  assert_int_equal(st.sends, 2);
  assert_int_equal(st.bytes_sent, 16);
  assert_int_equal(st.pattern_hits, 2);
  char buf[16];
  recv_all(s, buf, 16); /* the data itself is untouched */
  assert_memory_equal(buf, "xxSECRETySECRETS", 16);
  closesocket(c);
  closesocket(s);
}

typedef struct {
  SOCKET s;
  int failures;
} sender_args;

static DWORD WINAPI sender(LPVOID arg) {
  sender_args *a = arg;
  for (int i = 0; i < 100; i++)
    a->failures += send(a->s, "0123456789", 10, 0) != 10;
  return 0;
}

static void sends_from_several_threads_are_all_counted(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  sender_args args[2] = {{c, 0}, {c, 0}};
  HANDLE t[2];
  for (int i = 0; i < 2; i++) {
    t[i] = CreateThread(NULL, 0, sender, &args[i], 0, NULL);
    assert_non_null(t[i]);
  }
  assert_int_equal(WaitForMultipleObjects(2, t, TRUE, WAIT_MS), WAIT_OBJECT_0);
  for (int i = 0; i < 2; i++) {
    CloseHandle(t[i]);
    assert_int_equal(args[i].failures, 0);
  }
  ifs_lsp_stats st = stats_of(c);
  assert_int_equal(st.sends, 200);
  assert_int_equal(st.bytes_sent, 2000);
  closesocket(c);
  closesocket(s);
}

/* ---- Everything else goes to the base provider ---- */

static void other_ioctls_reach_the_base_provider(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  assert_int_equal(send(c, "abc", 3, 0), 3);
  u_long avail = 0;
  assert_int_equal(ioctlsocket(s, FIONREAD, &avail), 0);
  assert_int_equal(avail, 3);
  u_long on = 1;
  assert_int_equal(ioctlsocket(s, FIONBIO, &on), 0);
  char buf[8];
  assert_int_equal(recv(s, buf, sizeof buf, 0), 3);
  assert_int_equal(recv(s, buf, sizeof buf, 0), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
  closesocket(c);
  closesocket(s);
}

static void vendor_ioctls_reject_bad_input(void **state) {
  (void)state;
  SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  DWORD n = 0;
  ifs_lsp_redirect r;
  memset(&r, 0, sizeof r);
  assert_int_equal(WSAIoctl(c, SIO_IFS_LSP_ADD_REDIRECT, &r, sizeof r - 1, NULL,
                            0, &n, NULL, NULL),
                   SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
  struct sockaddr_in a = loopback(1);
  struct sockaddr_in6 b;
  memset(&b, 0, sizeof b);
  b.sin6_family = AF_INET6;
  memcpy(&r.from, &a, sizeof a);
  memcpy(&r.to, &b, sizeof b); /* families differ */
  assert_int_equal(WSAIoctl(c, SIO_IFS_LSP_ADD_REDIRECT, &r, sizeof r, NULL, 0,
                            &n, NULL, NULL),
                   SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEINVAL);
  char big[IFS_LSP_MAX_PATTERN + 1] = {0};
  assert_int_equal(WSAIoctl(c, SIO_IFS_LSP_SET_PATTERN, big, sizeof big, NULL,
                            0, &n, NULL, NULL),
                   SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEINVAL);
  ifs_lsp_stats st;
  assert_int_equal(WSAIoctl(c, SIO_IFS_LSP_GET_STATS, NULL, 0, &st,
                            sizeof st - 1, &n, NULL, NULL),
                   SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEFAULT);
  /* A full table; the same `from` again replaces its rule. */
  for (int i = 0; i < IFS_LSP_MAX_REDIRECTS; i++) {
    struct sockaddr_in f = loopback((u_short)(1000 + i));
    assert_int_equal(add_redirect(c, &f, &a, sizeof f), 0);
  }
  struct sockaddr_in f = loopback(1000);
  assert_int_equal(add_redirect(c, &f, &f, sizeof f), 0);
  f = loopback(999);
  assert_int_equal(add_redirect(c, &f, &a, sizeof f), WSAENOBUFS);
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  assert_int_equal(WSAIoctl(c, SIO_IFS_LSP_GET_STATS, NULL, 0, &st, sizeof st,
                            &n, &ov, NULL),
                   SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEOPNOTSUPP);
  closesocket(c);
}

/* ReadFile/WriteFile on an IFS handle go straight to the base provider
 * (the seed page; the front does this, on Windows through kernel32's
 * routed import pointers). */
static void writefile_and_readfile_bypass_the_layer(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  DWORD n = 0;
  assert_int_equal(WSAIoctl(c, SIO_IFS_LSP_SET_PATTERN, "SECRET", 6, NULL, 0,
                            &n, NULL, NULL),
                   0);
  LONG redirections = fws2_readwrite_redirections();
  DWORD written = 0;
  assert_true(WriteFile((HANDLE)c, "SECRET", 6, &written, NULL));
  assert_int_equal(written, 6);
  ifs_lsp_stats st = stats_of(c);
  assert_int_equal(st.sends, 0); /* the layer never saw it */
  assert_int_equal(st.bytes_sent, 0);
  assert_int_equal(st.pattern_hits, 0);
  char buf[6];
  DWORD got = 0;
  assert_true(ReadFile((HANDLE)s, buf, sizeof buf, &got, NULL));
  assert_int_equal(got, 6);
  assert_memory_equal(buf, "SECRET", 6);
  /* Not WPUCreateSocketHandle handles: nothing went through a layer's
   * WSPRecv/WSPSend. */
  assert_int_equal(fws2_readwrite_redirections(), redirections);
  assert_int_equal(send(c, "SECRET", 6, 0), 6); /* send does see it */
  assert_int_equal(stats_of(c).pattern_hits, 1);
  recv_all(s, buf, 6);
  closesocket(c);
  closesocket(s);
}

/* ---- Loading and unloading the next layer ---- */

static void
the_next_layer_is_loaded_from_the_catalog_and_freed_at_cleanup(void **state) {
  (void)state;
  WCHAR path[MAX_PATH];
  assert_true(ExpandEnvironmentStringsW(fws2_memnet_path, path, MAX_PATH) > 0);
  assert_null(GetModuleHandleW(path)); /* nobody has loaded memnet yet */
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_not_equal(s, INVALID_SOCKET);
  assert_non_null(GetModuleHandleW(path)); /* ifs_lsp did */
  closesocket(s);
  while (WSACleanup() == 0)
    ;
  assert_null(GetModuleHandleW(path));
  WSADATA d;
  assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
}

static const GUID nowhere_id = {
    0x0badf00d, 0x1234, 0x4321, {0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 7}};

static void
startup_fails_when_the_next_layers_dll_cannot_be_loaded(void **state) {
  (void)state;
  /* A base entry whose DLL does not exist, and ifs_lsp over it under a
   * second GUID is not possible (one dummy per GUID): start over. */
  while (WSACleanup() == 0)
    ;
  int err = 0;
  assert_int_equal(WSCDeinstallProvider((LPGUID)&ifs_lsp_provider_id, &err), 0);
  for (int i = 0; i < WPU_CATALOG_STANDARD_COUNT; i++) {
    WSAPROTOCOL_INFOW e;
    assert_int_equal(wpu_catalog_get(chains[i], &e, NULL, 0), 0);
    assert_int_equal(WSCDeinstallProvider(&e.ProviderId, &err), 0);
  }
  WSAPROTOCOL_INFOW b;
  assert_int_equal(fws2_memnet_protocol_info(AF_INET, SOCK_STREAM, &b), 0);
  b.ProviderId = nowhere_id;
  b.iVersion = 7; /* so that it is told apart from memnet's entry */
  WCHAR missing[] = L"C:\\nowhere\\missing.dll";
  assert_int_equal(
      WSCInstallProvider((LPGUID)&nowhere_id, missing, &b, 1, &err), 0);
  size_t n = wpu_catalog_count();
  DWORD id = 0;
  for (size_t i = 0; i < n; i++) {
    WSAPROTOCOL_INFOW e;
    assert_int_equal(wpu_catalog_at(i, &e), 0);
    if (memcmp(&e.ProviderId, &nowhere_id, sizeof nowhere_id) == 0)
      id = e.dwCatalogEntryId;
  }
  DWORD chain = 0;
  assert_int_equal(wpu_catalog_install_lsp(&ifs_lsp_provider_id, lsp_path,
                                           L"ifs_lsp", &id, 1, TRUE, NULL,
                                           &chain),
                   0);
  WSADATA d;
  assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
  WSAPROTOCOL_INFOW e;
  assert_int_equal(wpu_catalog_get(chain, &e, NULL, 0), 0);
  SOCKET s = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                        FROM_PROTOCOL_INFO, &e, 0, 0);
  assert_int_equal(s, INVALID_SOCKET);
  assert_int_equal(WSAGetLastError(), WSAEPROVIDERFAILEDINIT);
}

/* ---- Review fixes ---- */

/* "scribble": memnet as a base provider, except that an overlapped WSPSend,
 * once memnet has it, overwrites the caller's buffers, as an application
 * may once the send has completed (which can be before WSPSend returns). */
static const GUID scribble_id = {
    0x5c41b0e2, 0x0d1f, 0x4a3b, {0x91, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 8}};
static const WCHAR scribble_path[] = L"C:\\providers\\scribble.dll";
static WSPPROC_TABLE scribble_next;

static int WSPAPI scribble_send(SOCKET s, LPWSABUF b, DWORD n, LPDWORD sent,
                                DWORD flags, LPWSAOVERLAPPED ov,
                                LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                                LPWSATHREADID t, LPINT err) {
  int rc = scribble_next.lpWSPSend(s, b, n, sent, flags, ov, cr, t, err);
  if (ov != NULL)
    for (DWORD i = 0; i < n; i++)
      memset(b[i].buf, '#', b[i].len);
  return rc;
}

static int WSPAPI scribble_startup(WORD v, LPWSPDATA d,
                                   LPWSAPROTOCOL_INFOW info, WSPUPCALLTABLE up,
                                   LPWSPPROC_TABLE t) {
  int rc = fws2_memnet_WSPStartup(v, d, info, up, t);
  if (rc == 0) {
    scribble_next = *t;
    t->lpWSPSend = scribble_send;
  }
  return rc;
}

static int setup_scribble(void **state) {
  if (fws2_world_setup(state) != 0)
    return -1;
  register_modules();
  const wpu_export ex[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))scribble_startup}};
  DWORD rc = wpu_module_register(scribble_path, ex, 1, NULL);
  if (rc != 0 && rc != ERROR_BUSY)
    return -1;
  if (wpu_catalog_install_standard(&scribble_id, scribble_path, base) != 0 ||
      wpu_catalog_install_lsp(&ifs_lsp_provider_id, lsp_path, L"ifs_lsp", base,
                              WPU_CATALOG_STANDARD_COUNT, TRUE, &dummy,
                              chains) != 0)
    return -1;
  WSADATA d;
  return WSAStartup(MAKEWORD(2, 2), &d) == 0 ? 0 : -1;
}

static void
overlapped_sends_are_inspected_before_the_buffers_go_down(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  DWORD n = 0;
  assert_int_equal(WSAIoctl(c, SIO_IFS_LSP_SET_PATTERN, "SECRET", 6, NULL, 0,
                            &n, NULL, NULL),
                   0);
  char data[] = "a SECRET";
  WSABUF b = {8, data};
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = WSACreateEvent();
  int rc = WSASend(c, &b, 1, &n, 0, &ov, NULL);
  assert_true(rc == 0 || WSAGetLastError() == WSA_IO_PENDING);
  assert_int_equal(
      WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, WAIT_MS, FALSE),
      WSA_WAIT_EVENT_0);
  assert_memory_equal(data, "########", 8); /* the buffer was reused */
  ifs_lsp_stats st = stats_of(c);
  assert_int_equal(st.sends, 1);
  assert_int_equal(st.bytes_sent, 8);
  assert_int_equal(st.pattern_hits, 1); /* what was sent, not what is now */
  char got[8];
  recv_all(s, got, 8);
  assert_memory_equal(got, "a SECRET", 8);
  WSACloseEvent(ov.hEvent);
  closesocket(c);
  closesocket(s);
}

static void startup_fails_without_an_own_entry_for_the_sub_chain(void **state) {
  (void)state;
  /* ifs_lsp loaded (its DllMain ran) and started for its chains. */
  SOCKET keep = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_not_equal(keep, INVALID_SOCKET);
  /* A second base entry, which ifs_lsp was not installed over. */
  WSAPROTOCOL_INFOW b;
  assert_int_equal(fws2_memnet_protocol_info(AF_INET, SOCK_STREAM, &b), 0);
  b.ProviderId = nowhere_id;
  b.iVersion = 7;
  int err = 0;
  WCHAR path[MAX_PATH];
  size_t k = 0;
  do
    path[k] = fws2_memnet_path[k];
  while (fws2_memnet_path[k++] != 0);
  assert_int_equal(WSCInstallProvider((LPGUID)&nowhere_id, path, &b, 1, &err),
                   0);
  DWORD other = 0;
  for (size_t i = 0; i < wpu_catalog_count(); i++) {
    WSAPROTOCOL_INFOW e;
    assert_int_equal(wpu_catalog_at(i, &e), 0);
    if (memcmp(&e.ProviderId, &nowhere_id, sizeof nowhere_id) == 0)
      other = e.dwCatalogEntryId;
  }
  assert_int_not_equal(other, 0);
  /* An upper LSP's chain [upper, ifs_lsp, base] (its own entry id first),
   * as it passes it to ifs_lsp's WSPStartup. */
  WSAPROTOCOL_INFOW info;
  assert_int_equal(wpu_catalog_get(other, &info, NULL, 0), 0);
  info.dwCatalogEntryId = 0x7777;
  info.ProtocolChain.ChainLen = 3;
  info.ProtocolChain.ChainEntries[0] = 0x7777;
  info.ProtocolChain.ChainEntries[1] = dummy;
  info.ProtocolChain.ChainEntries[2] = other;
  WSPDATA data;
  WSPPROC_TABLE procs;
  /* No ifs_lsp entry [dummy, other]: it has no catalog id of its own to
   * register handles under (0x7777 is the upper layer's). */
  assert_int_equal(
      IfsWSPStartup(MAKEWORD(2, 2), &data, &info, wpu_upcall_table(), &procs),
      WSAEPROVIDERFAILEDINIT);
  /* The same over a base it is installed over works. */
  info.ProtocolChain.ChainEntries[2] = base[WPU_CATALOG_TCP_IPV4];
  assert_int_equal(
      IfsWSPStartup(MAKEWORD(2, 2), &data, &info, wpu_upcall_table(), &procs),
      0);
  assert_int_equal(procs.lpWSPCleanup(&err), 0);
  closesocket(keep);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(proc_table_overrides_seven_entries_and_keeps_the_base_ones),
      T(sockets_are_base_handles_registered_under_the_chain_entry),
      T(accepted_sockets_belong_to_the_layer),
      T(connect_to_a_redirected_address_reaches_the_rules_target),
      T(connect_to_other_addresses_is_not_rewritten),
      T(clearing_the_rules_stops_the_rewrite),
      T(rules_set_on_one_socket_apply_to_every_socket_of_the_layer),
      T(send_counts_bytes_and_pattern_hits_across_calls),
      T(sends_from_several_threads_are_all_counted),
      T(other_ioctls_reach_the_base_provider),
      T(vendor_ioctls_reject_bad_input),
      T(writefile_and_readfile_bypass_the_layer),
      T(the_next_layer_is_loaded_from_the_catalog_and_freed_at_cleanup),
      T(startup_fails_when_the_next_layers_dll_cannot_be_loaded),
      T(startup_fails_without_an_own_entry_for_the_sub_chain),
      cmocka_unit_test_setup_teardown(
          overlapped_sends_are_inspected_before_the_buffers_go_down,
          setup_scribble, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
