/* test_front.c: the ws2_32 front: WSAStartup/WSACleanup, socket selection
 * through the catalog, dispatch to the provider of each handle, the three
 * overlapped notification mechanisms, select, event select, ReadFile and
 * WriteFile on socket handles, over memnet. */
#include <winsock2.h>
#include <ws2spi.h>
#include <ws2tcpip.h>
#include <sporder.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#include <fws2/front.h>
#include <wpu/wpu.h>
#include <wpu/catalog.h>
#include <wpu/modules.h>
#include <wpu/providers.h>
#include <fws2/memnet.h>

#define WAIT_MS 10000

static int setup(void **state) {
  if (fws2_world_setup(state) != 0)
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

/* A connected pair through a listener: c (client) and s (accepted). */
static void connected_pair(SOCKET *c, SOCKET *s) {
  SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_not_equal(l, INVALID_SOCKET);
  struct sockaddr_in a = loopback(0);
  assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
  int len = sizeof a;
  assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
  assert_int_not_equal(a.sin_port, 0);
  assert_int_equal(listen(l, 4), 0);
  *c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_not_equal(*c, INVALID_SOCKET);
  assert_int_equal(connect(*c, (struct sockaddr *)&a, sizeof a), 0);
  *s = accept(l, NULL, NULL);
  assert_int_not_equal(*s, INVALID_SOCKET);
  assert_int_equal(closesocket(l), 0);
}

/* ---- Startup ---- */

static void wsastartup_negotiates_the_highest_common_version(void **state) {
  (void)state;
  WSADATA d;
  assert_int_equal(WSAStartup(MAKEWORD(3, 0), &d), 0);
  assert_int_equal(d.wVersion, MAKEWORD(2, 2));
  assert_int_equal(d.wHighVersion, MAKEWORD(2, 2));
  assert_int_equal(WSAStartup(MAKEWORD(1, 1), &d), 0);
  assert_int_equal(d.wVersion, MAKEWORD(1, 1));
  assert_int_equal(WSACleanup(), 0);
  assert_int_equal(WSACleanup(), 0);
}

static void wsastartup_rejects_version_zero_and_null_data(void **state) {
  (void)state;
  WSADATA d;
  assert_int_equal(WSAStartup(MAKEWORD(0, 9), &d), WSAVERNOTSUPPORTED);
  assert_int_equal(WSAStartup(MAKEWORD(2, 2), NULL), WSAEFAULT);
}

static void
calls_after_the_last_wsacleanup_fail_with_notinitialised(void **state) {
  (void)state;
  assert_int_equal(WSACleanup(), 0);
  assert_int_equal(socket(AF_INET, SOCK_STREAM, 0), INVALID_SOCKET);
  assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
  assert_int_equal(WSACleanup(), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
  WSADATA d;
  assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0); /* for teardown */
}

static void last_wsacleanup_cleans_up_every_started_provider(void **state) {
  (void)state;
  SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
  assert_int_not_equal(s, INVALID_SOCKET);
  assert_true(wpu_providers_started() > 0);
  assert_int_equal(closesocket(s), 0);
  assert_int_equal(WSACleanup(), 0);
  assert_int_equal(wpu_providers_started(), 0);
  WSADATA d;
  assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
}

/* ---- Socket selection and dispatch ---- */

static void socket_comes_from_the_matching_catalog_entry(void **state) {
  (void)state;
  SOCKET s = socket(AF_INET6, SOCK_DGRAM, 0);
  assert_int_not_equal(s, INVALID_SOCKET);
  WSAPROTOCOL_INFOW info;
  int len = sizeof info;
  assert_int_equal(
      getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&info, &len), 0);
  assert_int_equal(info.iAddressFamily, AF_INET6);
  assert_int_equal(info.iSocketType, SOCK_DGRAM);
  DWORD catalog_id = 0;
  assert_int_equal(wpu_socket_query(s, &catalog_id), WPU_SOCKET_IFS);
  assert_int_equal(catalog_id, info.dwCatalogEntryId);
  assert_int_equal(closesocket(s), 0);
}

static void every_visible_catalog_entry_makes_a_socket(void **state) {
  (void)state;
  DWORD size = 0;
  assert_int_equal(WSAEnumProtocolsW(NULL, NULL, &size), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAENOBUFS);
  WSAPROTOCOL_INFOW entries[16];
  assert_true(size <= sizeof entries);
  int n = WSAEnumProtocolsW(NULL, entries, &size);
  assert_int_equal(n, 4); /* memnet's TCP and UDP over IPv4 and IPv6 */
  for (int i = 0; i < n; i++) {
    SOCKET s =
        WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                   &entries[i], 0, WSA_FLAG_OVERLAPPED);
    assert_int_not_equal(s, INVALID_SOCKET);
    DWORD catalog_id = 0;
    assert_int_equal(wpu_socket_query(s, &catalog_id), WPU_SOCKET_IFS);
    assert_int_equal(catalog_id, entries[i].dwCatalogEntryId);
    assert_int_equal(closesocket(s), 0);
  }
}

static void socket_with_unknown_family_fails_with_eafnosupport(void **state) {
  (void)state;
  assert_int_equal(socket(AF_APPLETALK, SOCK_STREAM, 0), INVALID_SOCKET);
  assert_int_equal(WSAGetLastError(), WSAEAFNOSUPPORT);
  assert_int_equal(socket(AF_INET, SOCK_RAW, 0), INVALID_SOCKET);
  assert_int_equal(WSAGetLastError(), WSAESOCKTNOSUPPORT);
}

static void calls_on_a_non_socket_fail_with_enotsock(void **state) {
  (void)state;
  HANDLE e = CreateEventW(NULL, TRUE, FALSE, NULL);
  assert_int_equal(closesocket((SOCKET)e), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
  assert_int_equal(send((SOCKET)0x40001234, "x", 1, 0), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
  CloseHandle(e);
}

static void stream_data_flows_through_the_front(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  assert_int_equal(send(c, "hello", 5, 0), 5);
  char buf[16];
  assert_int_equal(recv(s, buf, sizeof buf, 0), 5);
  assert_memory_equal(buf, "hello", 5);
  assert_int_equal(shutdown(c, SD_SEND), 0);
  assert_int_equal(recv(s, buf, sizeof buf, 0), 0);
  assert_int_equal(closesocket(c), 0);
  assert_int_equal(closesocket(s), 0);
}

/* ---- Overlapped, three ways ---- */

static void overlapped_recv_signals_the_event(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  char buf[8];
  WSABUF b = {sizeof buf, buf};
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = WSACreateEvent();
  DWORD got = 0, flags = 0;
  int rc = WSARecv(s, &b, 1, &got, &flags, &ov, NULL);
  assert_true(rc == 0 || WSAGetLastError() == WSA_IO_PENDING);
  assert_int_equal(send(c, "abc", 3, 0), 3);
  assert_int_equal(
      WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, WAIT_MS, FALSE),
      WSA_WAIT_EVENT_0);
  assert_true(WSAGetOverlappedResult(s, &ov, &got, FALSE, &flags));
  assert_int_equal(got, 3);
  assert_memory_equal(buf, "abc", 3);
  WSACloseEvent(ov.hEvent);
  closesocket(c);
  closesocket(s);
}

static DWORD routine_bytes;
static DWORD routine_thread;

static void CALLBACK on_recv(DWORD error, DWORD bytes, LPWSAOVERLAPPED ov,
                             DWORD flags) {
  (void)error;
  (void)ov;
  (void)flags;
  routine_bytes = bytes;
  routine_thread = GetCurrentThreadId();
}

static void
overlapped_recv_runs_the_completion_routine_when_alertable(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  char buf[8];
  WSABUF b = {sizeof buf, buf};
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  DWORD got = 0, flags = 0;
  routine_bytes = 0;
  int rc = WSARecv(s, &b, 1, &got, &flags, &ov, on_recv);
  assert_true(rc == 0 || WSAGetLastError() == WSA_IO_PENDING);
  assert_int_equal(send(c, "abcd", 4, 0), 4);
  assert_int_equal(routine_bytes, 0); /* not before an alertable wait */
  assert_int_equal(SleepEx(WAIT_MS, TRUE), WAIT_IO_COMPLETION);
  assert_int_equal(routine_bytes, 4);
  assert_int_equal(routine_thread, GetCurrentThreadId());
  closesocket(c);
  closesocket(s);
}

static void overlapped_send_posts_to_the_associated_port(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)c, port, 0xc0ffee, 0), port);
  WSABUF b = {5, "hello"};
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  DWORD sent = 0;
  int rc = WSASend(c, &b, 1, &sent, 0, &ov, NULL);
  assert_true(rc == 0 || WSAGetLastError() == WSA_IO_PENDING);
  DWORD bytes = 0;
  ULONG_PTR key = 0;
  LPOVERLAPPED got = NULL;
  /* A packet even when the send completed at once. */
  assert_true(GetQueuedCompletionStatus(port, &bytes, &key, &got, WAIT_MS));
  assert_int_equal(bytes, 5);
  assert_int_equal(key, 0xc0ffee);
  assert_ptr_equal(got, (LPOVERLAPPED)&ov);
  closesocket(c);
  closesocket(s);
  CloseHandle(port);
}

/* ---- Readiness ---- */

static void select_reports_a_readable_socket(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  fd_set r;
  FD_ZERO(&r);
  FD_SET(s, &r);
  struct timeval zero = {0, 0};
  assert_int_equal(select(0, &r, NULL, NULL, &zero), 0);
  assert_int_equal(send(c, "x", 1, 0), 1);
  FD_ZERO(&r);
  FD_SET(s, &r);
  struct timeval ten = {10, 0};
  assert_int_equal(select(0, &r, NULL, NULL, &ten), 1);
  assert_true(FD_ISSET(s, &r));
  closesocket(c);
  closesocket(s);
}

static void select_with_empty_sets_fails_with_einval(void **state) {
  (void)state;
  fd_set r;
  FD_ZERO(&r);
  struct timeval zero = {0, 0};
  assert_int_equal(select(0, &r, NULL, NULL, &zero), SOCKET_ERROR);
  assert_int_equal(WSAGetLastError(), WSAEINVAL);
}

static void event_select_signals_fd_read(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  WSAEVENT e = WSACreateEvent();
  assert_int_equal(WSAEventSelect(s, e, FD_READ | FD_CLOSE), 0);
  assert_int_equal(send(c, "x", 1, 0), 1);
  assert_int_equal(WSAWaitForMultipleEvents(1, &e, FALSE, WAIT_MS, FALSE),
                   WSA_WAIT_EVENT_0);
  WSANETWORKEVENTS ne;
  assert_int_equal(WSAEnumNetworkEvents(s, e, &ne), 0);
  assert_true(ne.lNetworkEvents & FD_READ);
  assert_int_equal(ne.iErrorCode[FD_READ_BIT], 0);
  WSACloseEvent(e);
  closesocket(c);
  closesocket(s);
}

/* ---- ReadFile / WriteFile (on Windows routed to the front for socket
 * handles) ---- */

static void
write_file_and_read_file_on_ifs_handles_reach_the_base(void **state) {
  (void)state;
  SOCKET c, s;
  connected_pair(&c, &s);
  LONG before = fws2_readwrite_redirections();
  DWORD n = 0;
  assert_true(WriteFile((HANDLE)c, "file", 4, &n, NULL));
  assert_int_equal(n, 4);
  char buf[8];
  assert_true(ReadFile((HANDLE)s, buf, sizeof buf, &n, NULL));
  assert_int_equal(n, 4);
  assert_memory_equal(buf, "file", 4);
  /* IFS handles: no redirection through a layer. */
  assert_int_equal(fws2_readwrite_redirections(), before);
  closesocket(c);
  closesocket(s);
}

static void read_file_on_a_non_socket_fails_with_invalid_handle(void **state) {
  (void)state;
  char buf[4];
  DWORD n = 7;
  SetLastError(0);
  assert_false(ReadFile((HANDLE)0x40000abc, buf, sizeof buf, &n, NULL));
  assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
}

/* ---- Addresses ---- */

static void address_helpers_parse_and_print_loopback(void **state) {
  (void)state;
  assert_int_equal(inet_addr("127.0.0.1"), htonl(INADDR_LOOPBACK));
  assert_int_equal(inet_addr("1.2.3.256"), INADDR_NONE);
  struct in6_addr a6;
  assert_int_equal(inet_pton(AF_INET6, "::1", &a6), 1);
  char text[64];
  assert_string_equal(inet_ntop(AF_INET6, &a6, text, sizeof text), "::1");
  assert_int_equal(inet_pton(AF_INET6, "fe80::1:2", &a6), 1);
  assert_string_equal(inet_ntop(AF_INET6, &a6, text, sizeof text), "fe80::1:2");
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  assert_int_equal(getaddrinfo("localhost", "80", &hints, &res), 0);
  assert_int_equal(res->ai_family, AF_INET);
  assert_int_equal(((struct sockaddr_in *)res->ai_addr)->sin_port, htons(80));
  freeaddrinfo(res);
  assert_int_not_equal(getaddrinfo("example.com", NULL, NULL, &res), 0);
}

#ifndef _WIN32
/* ---- A provider from a shared object ---- */

static void installed_shared_object_provider_serves_its_entries(void **state) {
  (void)state;
  static const GUID hello_id = {
      0x5e1f0a11, 0x1234, 0x4cde, {0x80, 0x01, 0x02, 0x03, 0x04, 0x05, 6, 7}};
  const char *so = WPU_TEST_HELLO_SO;
  WCHAR path[MAX_PATH];
  size_t n = strlen(so);
  assert_true(n < MAX_PATH);
  for (size_t i = 0; i <= n; i++)
    path[i] = (unsigned char)so[i];
  WSAPROTOCOL_INFOW info;
  memset(&info, 0, sizeof info);
  info.dwServiceFlags1 = XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER;
  info.ProviderId = hello_id;
  info.ProtocolChain.ChainLen = BASE_PROTOCOL;
  info.iVersion = 2;
  info.iAddressFamily = AF_INET;
  info.iMaxSockAddr = sizeof(struct sockaddr_in);
  info.iMinSockAddr = sizeof(struct sockaddr_in);
  info.iSocketType = SOCK_STREAM;
  info.iProtocol = IPPROTO_TCP;
  static const char name[] = "hello provider (shared object)";
  for (size_t i = 0; i < sizeof name; i++)
    info.szProtocol[i] = (unsigned char)name[i];
  int err = 0;
  assert_int_equal(WSCInstallProvider((LPGUID)&hello_id, path, &info, 1, &err),
                   0);
  /* Its entry, as the catalog numbered it. */
  DWORD ids[64];
  size_t count = wpu_catalog_count(), found = 0;
  for (size_t i = 0; i < count; i++) {
    WSAPROTOCOL_INFOW e;
    assert_int_equal(wpu_catalog_at(i, &e), 0);
    if (memcmp(&e.ProviderId, &hello_id, sizeof hello_id) == 0)
      ids[found++] = e.dwCatalogEntryId;
  }
  assert_int_equal(found, 1);
  assert_int_equal(wpu_catalog_get(ids[0], &info, NULL, 0), 0);
  SOCKET s = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                        FROM_PROTOCOL_INFO, &info, 0, 0);
  assert_int_not_equal(s, INVALID_SOCKET);
  DWORD catalog_id = 0;
  /* The hello provider makes WPUCreateSocketHandle handles. */
  assert_int_equal(wpu_socket_query(s, &catalog_id), WPU_SOCKET_CREATED);
  assert_int_equal(catalog_id, ids[0]);
  int type = 0, len = sizeof type;
  assert_int_equal(getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len), 0);
  assert_int_equal(type, SOCK_STREAM);
  assert_int_equal(closesocket(s), 0);
}
#endif

/* ---- Provider start-up and cleanup ---- */

/* A provider wrapped around memnet that counts its startups and cleanups,
 * can hold a getsockopt in flight, and can call the front from WSPStartup. */
static volatile LONG wrap_startups, wrap_cleanups;
static WSPPROC_TABLE wrap_lower;
static HANDLE wrap_in_call, wrap_release; /* getsockopt in flight */
static int wrap_reenter;

static int WSPAPI wrap_cleanup(LPINT err) {
  InterlockedIncrement(&wrap_cleanups);
  return wrap_lower.lpWSPCleanup(err);
}

static int WSPAPI wrap_getsockopt(SOCKET s, int level, int name, char *val,
                                  LPINT len, LPINT err) {
  if (wrap_in_call != NULL) {
    SetEvent(wrap_in_call);
    WaitForSingleObject(wrap_release, WAIT_MS);
  }
  return wrap_lower.lpWSPGetSockOpt(s, level, name, val, len, err);
}

static int WSPAPI wrap_startup(WORD v, LPWSPDATA d, LPWSAPROTOCOL_INFOW info,
                               WSPUPCALLTABLE up, LPWSPPROC_TABLE t) {
  InterlockedIncrement(&wrap_startups);
  if (wrap_reenter) {
    /* As an LSP probing its lower layer through ws2_32 would. */
    SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (s == INVALID_SOCKET)
      return WSAEPROVIDERFAILEDINIT;
    closesocket(s);
  }
  int rc = fws2_memnet_WSPStartup(v, d, info, up, t);
  if (rc == 0) {
    wrap_lower = *t;
    t->lpWSPCleanup = wrap_cleanup;
    t->lpWSPGetSockOpt = wrap_getsockopt;
  }
  return rc;
}

static const GUID wrap_id = {
    0x77a11e57, 0x0bad, 0x4c0d, {0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 1, 2}};
static const WCHAR wrap_path[] = {'C', ':', '\\', 'w', 'r', 'a',
                                  'p', '.', 'd',  'l', 'l', 0};

/* Installs the wrapper's TCP and UDP entries (IPv4) after memnet's and
 * returns their catalog ids. */
static void install_wrapper(DWORD ids[2]) {
  wrap_startups = wrap_cleanups = 0;
  wrap_in_call = wrap_release = NULL;
  const wpu_export ex[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))wrap_startup}};
  DWORD rc = wpu_module_register(wrap_path, ex, 1, NULL);
  assert_true(rc == 0 || rc == ERROR_BUSY);
  WSAPROTOCOL_INFOW info[2];
  assert_int_equal(fws2_memnet_protocol_info(AF_INET, SOCK_STREAM, &info[0]),
                   0);
  assert_int_equal(fws2_memnet_protocol_info(AF_INET, SOCK_DGRAM, &info[1]), 0);
  info[0].ProviderId = info[1].ProviderId = wrap_id;
  int err = 0;
  assert_int_equal(
      WSCInstallProvider((LPGUID)&wrap_id, (WCHAR *)wrap_path, info, 2, &err),
      0);
  size_t n = wpu_catalog_count(), k = 0;
  for (size_t i = 0; i < n; i++) {
    WSAPROTOCOL_INFOW e;
    assert_int_equal(wpu_catalog_at(i, &e), 0);
    if (memcmp(&e.ProviderId, &wrap_id, sizeof wrap_id) == 0)
      ids[k++] = e.dwCatalogEntryId;
  }
  assert_int_equal(k, 2);
}

static SOCKET socket_of_entry(DWORD id) {
  WSAPROTOCOL_INFOW info;
  assert_int_equal(wpu_catalog_get(id, &info, NULL, 0), 0);
  return WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                    &info, 0, 0);
}

static void a_provider_is_started_once_for_all_its_entries(void **state) {
  (void)state;
  DWORD ids[2];
  install_wrapper(ids);
  SOCKET a = socket_of_entry(ids[0]);
  SOCKET b = socket_of_entry(ids[1]);
  assert_int_not_equal(a, INVALID_SOCKET);
  assert_int_not_equal(b, INVALID_SOCKET);
  assert_int_equal(wrap_startups, 1); /* one WSPStartup per provider GUID */
  closesocket(a);
  closesocket(b);
  assert_int_equal(WSACleanup(), 0);
  assert_int_equal(wrap_cleanups, 1);
  WSADATA d;
  assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
}

static DWORD WINAPI socket_thread(LPVOID arg) {
  SOCKET s = socket_of_entry(*(DWORD *)arg);
  if (s == INVALID_SOCKET)
    return 1;
  closesocket(s);
  return 0;
}

static void wspstartup_may_call_the_front_itself(void **state) {
  (void)state;
  DWORD ids[2];
  install_wrapper(ids);
  wrap_reenter = 1;
  HANDLE t = CreateThread(NULL, 0, socket_thread, &ids[0], 0, NULL);
  DWORD w = WaitForSingleObject(t, WAIT_MS);
  wrap_reenter = 0;
  assert_int_equal(w, WAIT_OBJECT_0); /* no deadlock */
  DWORD code = 9;
  GetExitCodeThread(t, &code);
  assert_int_equal(code, 0);
  CloseHandle(t);
}

typedef struct {
  SOCKET s;
  int rc;
} call_args;

static DWORD WINAPI getsockopt_thread(LPVOID arg) {
  call_args *a = arg;
  int type = 0, len = sizeof type;
  a->rc = getsockopt(a->s, SOL_SOCKET, SO_TYPE, (char *)&type, &len);
  return 0;
}

static void last_wsacleanup_waits_for_calls_in_flight(void **state) {
  (void)state;
  DWORD ids[2];
  install_wrapper(ids);
  call_args a = {socket_of_entry(ids[0]), -1};
  assert_int_not_equal(a.s, INVALID_SOCKET);
  wrap_in_call = CreateEventW(NULL, TRUE, FALSE, NULL);
  wrap_release = CreateEventW(NULL, TRUE, FALSE, NULL);
  HANDLE t = CreateThread(NULL, 0, getsockopt_thread, &a, 0, NULL);
  assert_int_equal(WaitForSingleObject(wrap_in_call, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(WSACleanup(), 0);
  /* The call in flight still holds the provider: no WSPCleanup yet. */
  assert_int_equal(wrap_cleanups, 0);
  SetEvent(wrap_release);
  assert_int_equal(WaitForSingleObject(t, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(a.rc, 0);
  assert_int_equal(wrap_cleanups, 1); /* run by the call's release */
  CloseHandle(t);
  CloseHandle(wrap_in_call);
  CloseHandle(wrap_release);
  wrap_in_call = wrap_release = NULL;
  WSADATA d;
  assert_int_equal(WSAStartup(MAKEWORD(2, 2), &d), 0);
}

static void protocol_zero_selects_only_entries_that_match_it(void **state) {
  (void)state;
  static const GUID sctp_id = {0x5c7b0000, 0x1, 0x2, {3, 4, 5, 6, 7, 8, 9, 10}};
  WSAPROTOCOL_INFOW info;
  assert_int_equal(fws2_memnet_protocol_info(AF_INET, SOCK_STREAM, &info), 0);
  info.ProviderId = sctp_id;
  info.dwProviderFlags = 0; /* no PFL_MATCHES_PROTOCOL_ZERO */
  info.iProtocol = 132;
  int err = 0;
  assert_int_equal(WSCInstallProvider((LPGUID)&sctp_id,
                                      (WCHAR *)fws2_memnet_path, &info, 1,
                                      &err),
                   0);
  /* Put it first: protocol 0 must still skip it. */
  DWORD order[32];
  size_t n = wpu_catalog_count();
  assert_true(n <= 32);
  for (size_t i = 0; i < n; i++) {
    WSAPROTOCOL_INFOW e;
    wpu_catalog_at(i, &e);
    order[(i + 1) % n] = e.dwCatalogEntryId; /* the last one moves first */
  }
  assert_int_equal(WSCWriteProviderOrder(order, (DWORD)n), 0);
  DWORD sctp_entry = order[0];
  SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
  assert_int_not_equal(s, INVALID_SOCKET);
  DWORD catalog_id = 0;
  wpu_socket_query(s, &catalog_id);
  assert_int_not_equal(catalog_id, sctp_entry);
  closesocket(s);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(wsastartup_negotiates_the_highest_common_version),
      T(wsastartup_rejects_version_zero_and_null_data),
      T(calls_after_the_last_wsacleanup_fail_with_notinitialised),
      T(last_wsacleanup_cleans_up_every_started_provider),
      T(socket_comes_from_the_matching_catalog_entry),
      T(every_visible_catalog_entry_makes_a_socket),
      T(socket_with_unknown_family_fails_with_eafnosupport),
      T(calls_on_a_non_socket_fail_with_enotsock),
      T(stream_data_flows_through_the_front),
      T(overlapped_recv_signals_the_event),
      T(overlapped_recv_runs_the_completion_routine_when_alertable),
      T(overlapped_send_posts_to_the_associated_port),
      T(select_reports_a_readable_socket),
      T(select_with_empty_sets_fails_with_einval),
      T(event_select_signals_fd_read),
      T(write_file_and_read_file_on_ifs_handles_reach_the_base),
      T(read_file_on_a_non_socket_fails_with_invalid_handle),
      T(address_helpers_parse_and_print_loopback),
      T(a_provider_is_started_once_for_all_its_entries),
      T(wspstartup_may_call_the_front_itself),
      T(last_wsacleanup_waits_for_calls_in_flight),
      T(protocol_zero_selects_only_entries_that_match_it),
#ifndef _WIN32
      T(installed_shared_object_provider_serves_its_entries),
#endif
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
