/* test_stacked.c: two LSPs stacked over a base provider, installed with the
 * installer library as on Windows: ifs_lsp over memnet's base entries, then
 * counting_lsp over ifs_lsp's chains, giving chains [Dc, Di, base]. The
 * application's sockets are counting_lsp's; below them ifs_lsp's IFS
 * handles, below those memnet. Data flows, counting_lsp counts it, ifs_lsp's
 * rewrite and inspection run (its vendor ioctls pass through counting_lsp),
 * and removing ifs_lsp unstacks counting_lsp onto the base entries. */
#include <winsock2.h>
#include <ws2spi.h>

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
#include <wpu/sockets.h>
#include <wpu/wpu.h>

#include "counting_lsp.h"
#include "ifs_lsp.h"
#include "installer.h"

static const WCHAR ifs_path[] = L"%SystemRoot%\\system32\\ifs_lsp.dll";
static const WCHAR counting_path[] =
    L"%SystemRoot%\\system32\\counting_lsp.dll";
static const lspinst_protocol four[4] = {{AF_INET, SOCK_STREAM, IPPROTO_TCP},
                                         {AF_INET, SOCK_DGRAM, IPPROTO_UDP},
                                         {AF_INET6, SOCK_STREAM, IPPROTO_TCP},
                                         {AF_INET6, SOCK_DGRAM, IPPROTO_UDP}};
static DWORD base[4], di, ci[4], dc, cc[4];

static void register_modules(void) {
  const wpu_export memnet[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))fws2_memnet_WSPStartup}};
  const wpu_export ifs[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))IfsWSPStartup},
      {"GetLspGuid", (FARPROC)(void (*)(void))IfsGetLspGuid}};
  const wpu_export counting[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))CountingWSPStartup}};
  DWORD rc = wpu_module_register(fws2_memnet_path, memnet, 1, NULL);
  assert_true(rc == 0 || rc == ERROR_BUSY);
  rc = wpu_module_register(ifs_path, ifs, 2, IfsDllMain);
  assert_true(rc == 0 || rc == ERROR_BUSY);
  rc = wpu_module_register(counting_path, counting, 1, CountingDllMain);
  assert_true(rc == 0 || rc == ERROR_BUSY);
}

static int setup(void **state) {
  if (fws2_world_setup(state) != 0)
    return -1;
  register_modules();
  DWORD lower[4];
  if (wpu_catalog_install_standard(&fws2_memnet_provider_id, fws2_memnet_path,
                                   base) != 0 ||
      lspinst_select(four, 4, TRUE, lower) != 0 ||
      lspinst_install(&ifs_lsp_provider_id, ifs_path, L"ifs_lsp", LSPINST_IFS,
                      lower, 4, &di, ci) != 0 ||
      lspinst_select(four, 4, FALSE, lower) != 0 ||
      lspinst_install(&COUNTING_LSP_GUID, counting_path, L"counting_lsp", 0,
                      lower, 4, &dc, cc) != 0)
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

static int pending(SOCKET l) {
  fd_set r;
  FD_ZERO(&r);
  FD_SET(l, &r);
  struct timeval tv = {0, 0};
  return select(0, &r, NULL, NULL, &tv);
}

static void recv_all(SOCKET s, char *buf, int len) {
  for (int got = 0; got < len;) {
    int n = recv(s, buf + got, len - got, 0);
    assert_true(n > 0);
    got += n;
  }
}

static counting_lsp_stats counts(SOCKET s) {
  counting_lsp_stats st;
  DWORD n = 0;
  assert_int_equal(WSAIoctl(s, SIO_COUNTING_LSP_GET_STATS, NULL, 0, &st,
                            sizeof st, &n, NULL, NULL),
                   0);
  return st;
}

static ifs_lsp_stats ifs_stats(SOCKET s) {
  ifs_lsp_stats st;
  DWORD n = 0;
  assert_int_equal(WSAIoctl(s, SIO_IFS_LSP_GET_STATS, NULL, 0, &st, sizeof st,
                            &n, NULL, NULL),
                   0);
  return st;
}

static void the_catalog_holds_chains_dc_di_base_first(void **state) {
  (void)state;
  for (int i = 0; i < 4; i++) {
    WSAPROTOCOL_INFOW top, e;
    assert_int_equal(wpu_catalog_at((size_t)i, &top), 0);
    assert_int_equal(top.dwCatalogEntryId, cc[i]);
    assert_int_equal(wpu_catalog_get(cc[i], &e, NULL, 0), 0);
    assert_int_equal(e.ProtocolChain.ChainLen, 3);
    assert_int_equal(e.ProtocolChain.ChainEntries[0], dc);
    assert_int_equal(e.ProtocolChain.ChainEntries[1], di);
    assert_int_equal(e.ProtocolChain.ChainEntries[2], base[i]);
  }
}

static void application_sockets_are_the_upper_layers_handles(void **state) {
  (void)state;
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_not_equal(s, INVALID_SOCKET);
  DWORD cat = 0;
  /* counting_lsp is non-IFS: its own WPUCreateSocketHandle handle. */
  assert_int_equal(wpu_socket_query(s, &cat), WPU_SOCKET_CREATED);
  assert_int_equal(cat, cc[WPU_CATALOG_TCP_IPV4]);
  assert_int_equal(closesocket(s), 0);
}

static void data_flows_through_both_layers_and_both_observe_it(void **state) {
  (void)state;
  struct sockaddr_in a;
  SOCKET l = listener(&a);
  SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  DWORD n = 0;
  assert_int_equal(
      WSAIoctl(c, SIO_IFS_LSP_SET_PATTERN, "hello", 5, NULL, 0, &n, NULL, NULL),
      0);
  assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof a), 0);
  SOCKET s = accept(l, NULL, NULL);
  assert_int_not_equal(s, INVALID_SOCKET);
  assert_int_equal(send(c, "hello, world", 12, 0), 12);
  char buf[12];
  recv_all(s, buf, 12);
  assert_memory_equal(buf, "hello, world", 12);
  assert_int_equal(send(s, "bye", 3, 0), 3);
  recv_all(c, buf, 3);
  counting_lsp_stats cs = counts(c);
  assert_int_equal(cs.bytes_sent, 12);
  assert_int_equal(cs.bytes_received, 3);
  assert_int_equal(counts(s).bytes_received, 12);
  /* The same sends reached ifs_lsp below (its ioctl passes through
   * counting_lsp's WSPIoctl to ifs_lsp's, on ifs_lsp's handle). */
  ifs_lsp_stats is = ifs_stats(c);
  assert_int_equal(is.sends, 1);
  assert_int_equal(is.bytes_sent, 12);
  assert_int_equal(is.pattern_hits, 1);
  assert_int_equal(ifs_stats(s).bytes_sent, 3);
  closesocket(c);
  closesocket(s);
  closesocket(l);
}

static void ifs_lsps_rewrite_applies_under_counting_lsp(void **state) {
  (void)state;
  struct sockaddr_in p, q;
  SOCKET lp = listener(&p), lq = listener(&q);
  SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  ifs_lsp_redirect r;
  memset(&r, 0, sizeof r);
  memcpy(&r.from, &p, sizeof p);
  memcpy(&r.to, &q, sizeof q);
  DWORD n = 0;
  assert_int_equal(WSAIoctl(c, SIO_IFS_LSP_ADD_REDIRECT, &r, sizeof r, NULL, 0,
                            &n, NULL, NULL),
                   0);
  assert_int_equal(connect(c, (struct sockaddr *)&p, sizeof p), 0);
  assert_int_equal(ifs_stats(c).connects_redirected, 1);
  assert_int_equal(pending(lq), 1);
  assert_int_equal(pending(lp), 0);
  SOCKET s = accept(lq, NULL, NULL);
  assert_int_equal(send(c, "via q", 5, 0), 5);
  char buf[5];
  recv_all(s, buf, 5);
  assert_memory_equal(buf, "via q", 5);
  assert_int_equal(counts(c).bytes_sent, 5);
  closesocket(c);
  closesocket(s);
  closesocket(lp);
  closesocket(lq);
}

static void readfile_on_the_top_socket_goes_through_counting_lsp(void **state) {
  (void)state;
  struct sockaddr_in a;
  SOCKET l = listener(&a);
  SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof a), 0);
  SOCKET s = accept(l, NULL, NULL);
  LONG before = fws2_readwrite_redirections();
  DWORD done = 0;
  assert_true(WriteFile((HANDLE)c, "file", 4, &done, NULL));
  char buf[4];
  assert_true(ReadFile((HANDLE)s, buf, 4, &done, NULL));
  assert_int_equal(done, 4);
  /* WPUCreateSocketHandle handles: the front redirected both to
   * counting_lsp, which counted them and passed them on to ifs_lsp. */
  assert_int_equal(fws2_readwrite_redirections(), before + 2);
  assert_int_equal(counts(c).bytes_sent, 4);
  assert_int_equal(counts(s).bytes_received, 4);
  assert_int_equal(ifs_stats(c).bytes_sent, 4);
  closesocket(c);
  closesocket(s);
  closesocket(l);
}

static void cleanup_unloads_every_layer(void **state) {
  (void)state;
  WCHAR ifs[MAX_PATH], mem[MAX_PATH];
  assert_true(ExpandEnvironmentStringsW(ifs_path, ifs, MAX_PATH) > 0);
  assert_true(ExpandEnvironmentStringsW(fws2_memnet_path, mem, MAX_PATH) > 0);
  SOCKET s = socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
  assert_int_not_equal(s, INVALID_SOCKET);
  assert_non_null(GetModuleHandleW(ifs)); /* loaded by counting_lsp */
  assert_non_null(GetModuleHandleW(mem)); /* loaded by ifs_lsp */
  closesocket(s);
  while (WSACleanup() == 0)
    ;
  assert_null(GetModuleHandleW(ifs));
  assert_null(GetModuleHandleW(mem));
  WSADATA d;
  assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
}

static void removing_ifs_lsp_unstacks_counting_lsp_onto_the_base(void **state) {
  (void)state;
  while (WSACleanup() == 0)
    ;
  assert_int_equal(lspinst_uninstall(&ifs_lsp_provider_id), 0);
  WSAPROTOCOL_INFOW e;
  assert_int_equal(wpu_catalog_get(cc[0], &e, NULL, 0), 0);
  assert_int_equal(e.ProtocolChain.ChainLen, 2);
  assert_int_equal(e.ProtocolChain.ChainEntries[1], base[0]);
  WSADATA d;
  assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
  struct sockaddr_in a;
  SOCKET l = listener(&a);
  SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof a), 0);
  SOCKET s = accept(l, NULL, NULL);
  assert_int_equal(send(c, "direct", 6, 0), 6);
  char buf[6];
  recv_all(s, buf, 6);
  assert_int_equal(counts(c).bytes_sent, 6);
  /* No ifs_lsp below any more: memnet does not know its ioctl. */
  ifs_lsp_stats st;
  DWORD n = 0;
  assert_int_equal(WSAIoctl(c, SIO_IFS_LSP_GET_STATS, NULL, 0, &st, sizeof st,
                            &n, NULL, NULL),
                   SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEINVAL);
  closesocket(c);
  closesocket(s);
  closesocket(l);
}

/* ---- Overlapped I/O through both layers ---- */

#define WAIT_MS 20000

/* A connected pair of overlapped sockets. */
static void connected_pair(SOCKET *c, SOCKET *s) {
  struct sockaddr_in a;
  SOCKET l = listener(&a);
  *c = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                  WSA_FLAG_OVERLAPPED);
  assert_int_not_equal(*c, INVALID_SOCKET);
  assert_int_equal(connect(*c, (struct sockaddr *)&a, sizeof a), 0);
  *s = accept(l, NULL, NULL);
  assert_int_not_equal(*s, INVALID_SOCKET);
  closesocket(l);
}

static void overlapped_io_completes_to_the_clients_port(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_non_null(port);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)c, port, 0xc1, 0), port);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)s, port, 0x51, 0), port);
  char in[16];
  WSABUF rb = {sizeof in, in};
  WSAOVERLAPPED rov, sov;
  memset(&rov, 0, sizeof rov);
  memset(&sov, 0, sizeof sov);
  DWORD n = 0, flags = 0;
  assert_int_equal(WSARecv(s, &rb, 1, &n, &flags, &rov, NULL), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  WSABUF sb = {7, "stacked"};
  int rc = WSASend(c, &sb, 1, &n, 0, &sov, NULL);
  assert_true(rc == 0 || WSAGetLastError() == WSA_IO_PENDING);
  int seen_send = 0, seen_recv = 0;
  for (int i = 0; i < 2; i++) {
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED ov = NULL;
    assert_true(GetQueuedCompletionStatus(port, &bytes, &key, &ov, WAIT_MS));
    if (ov == (LPOVERLAPPED)&sov) {
      assert_int_equal(key, 0xc1);
      seen_send++;
    } else {
      assert_ptr_equal(ov, (LPOVERLAPPED)&rov);
      assert_int_equal(key, 0x51);
      seen_recv++;
    }
    assert_int_equal(bytes, 7);
  }
  assert_int_equal(seen_send, 1);
  assert_int_equal(seen_recv, 1);
  assert_memory_equal(in, "stacked", 7);
  assert_int_equal(counts(c).bytes_sent, 7);
  assert_int_equal(counts(s).bytes_received, 7);
  assert_int_equal(ifs_stats(c).bytes_sent, 7);
  closesocket(c);
  closesocket(s);
  CloseHandle(port);
}

static struct {
  DWORD err, bytes, thread;
  LPWSAOVERLAPPED ov;
  int calls;
} routine_seen;

static void CALLBACK on_done(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov,
                             DWORD flags) {
  (void)flags;
  routine_seen.err = err;
  routine_seen.bytes = bytes;
  routine_seen.ov = ov;
  routine_seen.thread = GetCurrentThreadId();
  routine_seen.calls++;
}

static void
overlapped_io_runs_the_completion_routine_in_the_caller(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  memset(&routine_seen, 0, sizeof routine_seen);
  char in[16];
  WSABUF rb = {sizeof in, in};
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  DWORD n = 0, flags = 0;
  assert_int_equal(WSARecv(s, &rb, 1, &n, &flags, &ov, on_done), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  assert_int_equal(send(c, "routine", 7, 0), 7);
  /* The routine runs in this thread's alertable wait. */
  assert_int_equal(SleepEx(WAIT_MS, TRUE), WAIT_IO_COMPLETION);
  assert_int_equal(routine_seen.calls, 1);
  assert_int_equal(routine_seen.err, 0);
  assert_int_equal(routine_seen.bytes, 7);
  assert_ptr_equal(routine_seen.ov, &ov);
  assert_int_equal(routine_seen.thread, GetCurrentThreadId());
  assert_memory_equal(in, "routine", 7);
  assert_int_equal(counts(s).bytes_received, 7);
  closesocket(c);
  closesocket(s);
}

static void overlapped_io_signals_the_clients_event(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  char in[16];
  WSABUF rb = {sizeof in, in};
  WSAOVERLAPPED rov, sov;
  memset(&rov, 0, sizeof rov);
  memset(&sov, 0, sizeof sov);
  rov.hEvent = WSACreateEvent();
  sov.hEvent = WSACreateEvent();
  DWORD n = 0, flags = 0;
  assert_int_equal(WSARecv(s, &rb, 1, &n, &flags, &rov, NULL), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
  WSABUF sb = {5, "event"};
  int rc = WSASend(c, &sb, 1, &n, 0, &sov, NULL);
  assert_true(rc == 0 || WSAGetLastError() == WSA_IO_PENDING);
  WSAEVENT both[2] = {rov.hEvent, sov.hEvent};
  assert_int_equal(WSAWaitForMultipleEvents(2, both, TRUE, WAIT_MS, FALSE),
                   WSA_WAIT_EVENT_0);
  assert_true(WSAGetOverlappedResult(c, &sov, &n, FALSE, &flags));
  assert_int_equal(n, 5);
  assert_true(WSAGetOverlappedResult(s, &rov, &n, FALSE, &flags));
  assert_int_equal(n, 5);
  assert_int_equal(rov.OffsetHigh, 0); /* the error the LSP wrote */
  assert_memory_equal(in, "event", 5);
  assert_int_equal(counts(c).bytes_sent, 5);
  assert_int_equal(counts(s).bytes_received, 5);
  assert_int_equal(ifs_stats(c).bytes_sent, 5);
  WSACloseEvent(rov.hEvent);
  WSACloseEvent(sov.hEvent);
  closesocket(c);
  closesocket(s);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(the_catalog_holds_chains_dc_di_base_first),
      T(application_sockets_are_the_upper_layers_handles),
      T(data_flows_through_both_layers_and_both_observe_it),
      T(ifs_lsps_rewrite_applies_under_counting_lsp),
      T(readfile_on_the_top_socket_goes_through_counting_lsp),
      T(overlapped_io_completes_to_the_clients_port),
      T(overlapped_io_runs_the_completion_routine_in_the_caller),
      T(overlapped_io_signals_the_clients_event),
      T(cleanup_unloads_every_layer),
      T(removing_ifs_lsp_unstacks_counting_lsp_onto_the_base),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
