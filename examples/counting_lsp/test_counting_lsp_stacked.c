/* test_counting_lsp_stacked.c: counting_lsp over another layer ("tap", a
 * minimal IFS LSP written here) over memnet: stacking, and the WSAPoll and
 * WSASendMsg paths (SIO_EXT_POLL, SIO_EXT_SENDMSG) that need a next layer
 * answering them. */
#include <winsock2.h>
#include <ws2spi.h>
#include <ws2tcpip.h>
#include <mswsock.h>

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
#include <wpu/world.h>
#include <wpu/wpu.h>

#include "counting_lsp.h"

#include "counting_test.h"

/* ---- Stacked over another LSP ---- */

/* "tap": a minimal IFS layer between counting_lsp and memnet, written in
 * the test: it starts memnet with the base entry at the end of the chain it
 * is given and counts the WSPSend calls that pass through it. */
static const GUID tap_guid = {
    0x5a1d0c3e, 0x2b7f, 0x4d11, {0x8e, 0x90, 0x1f, 0x2e, 0x3d, 0x4c, 0x5b, 6}};
static const WCHAR tap_path[] = L"C:\\layers\\tap.dll";
static WSPPROC_TABLE tap_next;
static volatile LONG tap_sends, tap_sockets, tap_startups;

static int tap_base(const WSAPROTOCOL_INFOW *chain, WSAPROTOCOL_INFOW *base) {
  return wpu_catalog_get(
      chain->ProtocolChain.ChainEntries[chain->ProtocolChain.ChainLen - 1],
      base, NULL, 0);
}

static SOCKET WSPAPI tap_socket(int af, int type, int protocol,
                                LPWSAPROTOCOL_INFOW info, GROUP g, DWORD flags,
                                LPINT err) {
  WSAPROTOCOL_INFOW base;
  if (tap_base(info, &base) != 0) {
    *err = WSAEINVAL;
    return INVALID_SOCKET;
  }
  InterlockedIncrement(&tap_sockets);
  return tap_next.lpWSPSocket(af, type, protocol, &base, g, flags, err);
}

static int WSPAPI tap_send(SOCKET s, LPWSABUF b, DWORD n, LPDWORD sent,
                           DWORD flags, LPWSAOVERLAPPED ov,
                           LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                           LPWSATHREADID t, LPINT err) {
  InterlockedIncrement(&tap_sends);
  return tap_next.lpWSPSend(s, b, n, sent, flags, ov, cr, t, err);
}

/* What the tap's WSPIoctl saw of ws2_32's extension ioctls. */
static volatile LONG tap_polls, tap_sendmsgs;

/* SIO_EXT_POLL and SIO_EXT_SENDMSG as a base provider would answer them
 * (memnet has neither): poll reports every socket it knows (memnet's own)
 * writable and any other handle POLLNVAL; sendmsg sends the message's
 * buffers with memnet's WSPSend. */
static int WSPAPI tap_ioctl(SOCKET s, DWORD code, LPVOID in, DWORD inlen,
                            LPVOID out, DWORD outlen, LPDWORD ret,
                            LPWSAOVERLAPPED ov,
                            LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                            LPWSATHREADID t, LPINT err) {
  if (code == SIO_EXT_POLL) {
    InterlockedIncrement(&tap_polls);
    counting_lsp_poll_data *pd = in;
    assert_ptr_equal(in, out);
    int ready = 0;
    for (ULONG i = 0; i < pd->fds; i++) {
      struct sockaddr_storage a;
      int len = sizeof a, e = 0;
      BOOL mine =
          tap_next.lpWSPGetSockName(pd->fdArray[i].fd, (struct sockaddr *)&a,
                                    &len, &e) == 0 ||
          e != WSAENOTSOCK;
      pd->fdArray[i].revents = mine ? POLLWRNORM : POLLNVAL;
      ready++;
    }
    pd->result = ready;
    *ret = outlen;
    return 0;
  }
  if (code == SIO_EXT_SENDMSG) {
    InterlockedIncrement(&tap_sendmsgs);
    counting_lsp_sendmsg *sm = in;
    assert_true(inlen >= sizeof *sm);
    return tap_next.lpWSPSend(s, sm->lpMsg->lpBuffers, sm->lpMsg->dwBufferCount,
                              sm->lpNumberOfBytesSent, sm->dwFlags,
                              sm->lpOverlapped, sm->lpCompletionRoutine, t,
                              err);
  }
  return tap_next.lpWSPIoctl(s, code, in, inlen, out, outlen, ret, ov, cr, t,
                             err);
}

static int WSPAPI tap_startup(WORD v, LPWSPDATA d, LPWSAPROTOCOL_INFOW info,
                              WSPUPCALLTABLE up, LPWSPPROC_TABLE t) {
  WSAPROTOCOL_INFOW base;
  if (info->ProtocolChain.ChainLen < 2 || tap_base(info, &base) != 0)
    return WSAEINVAL;
  int rc = fws2_memnet_WSPStartup(v, d, &base, up, t);
  if (rc == 0) {
    InterlockedIncrement(&tap_startups);
    tap_next = *t;
    t->lpWSPSocket = tap_socket;
    t->lpWSPSend = tap_send;
    t->lpWSPIoctl = tap_ioctl;
  }
  return rc;
}

/* counting_lsp over tap over memnet, started; c and s connected. */
static void tap_stack(SOCKET *c, SOCKET *s) {
  tap_sends = tap_sockets = tap_startups = tap_polls = tap_sendmsgs = 0;
  const wpu_export ex[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))tap_startup}};
  DWORD r = wpu_module_register(tap_path, ex, 1, NULL);
  assert_true(r == 0 || r == ERROR_BUSY);
  DWORD tap_dummy, tap_chains[WPU_CATALOG_STANDARD_COUNT];
  assert_int_equal(wpu_catalog_install_lsp(&tap_guid, tap_path, L"tap",
                                           base_ids, WPU_CATALOG_STANDARD_COUNT,
                                           TRUE, &tap_dummy, tap_chains),
                   0);
  install_counting_over(tap_chains);
  assert_int_equal(startup(), 0);
  connected_pair(c, s);
}

static SOCKET bsp_handle(SOCKET s, DWORD code) {
  SOCKET h = INVALID_SOCKET;
  DWORD n = 0;
  assert_int_equal(WSAIoctl(s, code, NULL, 0, &h, sizeof h, &n, NULL, NULL), 0);
  return h;
}

static void
wsapoll_through_the_layer_reaches_the_next_layer_translated(void **state) {
  (void)state;
  SOCKET c, s;
  tap_stack(&c, &s);
  /* ws2_32's WSAPoll: SIO_BSP_HANDLE_POLL, then SIO_EXT_POLL to that. */
  SOCKET bsp = bsp_handle(c, _WSAIOR(IOC_WS2, 29));
  assert_int_equal(bsp, c);
  char buf[sizeof(counting_lsp_poll_data) + sizeof(WSAPOLLFD)];
  counting_lsp_poll_data *pd = (counting_lsp_poll_data *)buf;
  memset(buf, 0, sizeof buf);
  pd->fds = 2;
  pd->timeout = 0;
  pd->fdArray[0].fd = c;
  pd->fdArray[0].events = POLLWRNORM;
  pd->fdArray[1].fd = s;
  pd->fdArray[1].events = POLLWRNORM;
  DWORD n = 0;
  assert_int_equal(WSAIoctl(bsp, SIO_EXT_POLL, buf, sizeof buf, buf, sizeof buf,
                            &n, NULL, NULL),
                   0);
  assert_int_equal(tap_polls, 1);
  /* The next layer saw its own sockets; the caller gets its own back. */
  assert_int_equal(pd->result, 2);
  assert_int_equal(pd->fdArray[0].fd, c);
  assert_int_equal(pd->fdArray[1].fd, s);
  assert_int_equal(pd->fdArray[0].revents, POLLWRNORM);
  assert_int_equal(pd->fdArray[1].revents, POLLWRNORM);
  closesocket(c);
  closesocket(s);
}

static void wsasendmsg_through_the_layer_is_counted_as_a_send(void **state) {
  (void)state;
  SOCKET c, s;
  tap_stack(&c, &s);
  SOCKET bsp = bsp_handle(c, _WSAIOR(IOC_WS2, 27)); /* SIO_BSP_HANDLE */
  assert_int_equal(bsp, c);
  WSABUF b = {5, "msg-1"};
  WSAMSG msg;
  memset(&msg, 0, sizeof msg);
  msg.lpBuffers = &b;
  msg.dwBufferCount = 1;
  DWORD sent = 0, n = 0;
  counting_lsp_sendmsg sm = {&msg, 0, &sent, NULL, NULL};
  assert_int_equal(
      WSAIoctl(bsp, SIO_EXT_SENDMSG, &sm, sizeof sm, NULL, 0, &n, NULL, NULL),
      0);
  assert_int_equal(sent, 5);
  /* Overlapped, with an event: completed through the layer. */
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = WSACreateEvent();
  WSABUF b2 = {5, "msg-2"};
  msg.lpBuffers = &b2;
  counting_lsp_sendmsg so = {&msg, 0, NULL, &ov, NULL};
  int rc =
      WSAIoctl(bsp, SIO_EXT_SENDMSG, &so, sizeof so, NULL, 0, &n, NULL, NULL);
  assert_true(rc == 0 || WSAGetLastError() == WSA_IO_PENDING);
  assert_int_equal(
      WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, WAIT_MS, FALSE),
      WSA_WAIT_EVENT_0);
  DWORD flags = 0;
  assert_true(WSAGetOverlappedResult(c, &ov, &n, FALSE, &flags));
  assert_int_equal(n, 5);
  char got[10];
  recv_exactly(s, got, 10);
  assert_memory_equal(got, "msg-1msg-2", 10);
  assert_int_equal(tap_sendmsgs, 2);
  counting_lsp_stats st = stats_of(c);
  assert_int_equal(st.sends, 2);
  assert_int_equal(st.bytes_sent, 10);
  WSACloseEvent(ov.hEvent);
  closesocket(c);
  closesocket(s);
}

static void stacks_over_another_lsp(void **state) {
  (void)state;
  SOCKET c, s;
  tap_stack(&c, &s); /* counting over tap over memnet */
  DWORD catalog_id = 0;
  assert_int_equal(wpu_socket_query(c, &catalog_id), WPU_SOCKET_CREATED);
  assert_int_equal(catalog_id, lsp_chains[WPU_CATALOG_TCP_IPV4]);
  assert_true(tap_startups >= 1);
  assert_int_equal(tap_sockets, 2); /* listener and client (accept: memnet) */
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = WSACreateEvent();
  WSABUF b = {6, "layers"};
  DWORD n = 0, flags = 0;
  int rc = WSASend(c, &b, 1, &n, 0, &ov, NULL);
  assert_true(rc == 0 || WSAGetLastError() == WSA_IO_PENDING);
  assert_int_equal(
      WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, WAIT_MS, FALSE),
      WSA_WAIT_EVENT_0);
  assert_true(WSAGetOverlappedResult(c, &ov, &n, FALSE, &flags));
  assert_int_equal(n, 6);
  char buf[8];
  recv_exactly(s, buf, 6);
  assert_memory_equal(buf, "layers", 6);
  assert_int_equal(tap_sends, 1);
  assert_int_equal(stats_of(c).bytes_sent, 6);
  assert_int_equal(stats_of(s).bytes_received, 6);
  WSACloseEvent(ov.hEvent);
  closesocket(c);
  closesocket(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(stacks_over_another_lsp, setup_base_only,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          wsapoll_through_the_layer_reaches_the_next_layer_translated,
          setup_base_only, teardown),
      cmocka_unit_test_setup_teardown(
          wsasendmsg_through_the_layer_is_counted_as_a_send, setup_base_only,
          teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
