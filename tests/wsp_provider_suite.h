/* wsp_provider_suite.h: the tests and helpers the base providers' suites
 * (test_memnet.c, test_uvnet.c) share word for word: the same Winsock
 * behaviour asked of each provider through its own proc table. Include once,
 * after wsp_provider_harness.h, with WSPH_PROVIDER_ID defined (the
 * provider's GUID); a suite lists the tests it runs. Tests whose
 * provider does something its own way (timing, addresses it refuses, what
 * the kernel does) stay in the suite's file. */
#ifndef WSP_PROVIDER_SUITE_H
#define WSP_PROVIDER_SUITE_H

static int xsend(SOCKET s, const void *buf, DWORD len, DWORD *sent, int *err) {
  WSABUF wb = {len, (char *)buf};
  return p.lpWSPSend(s, &wb, 1, sent, 0, NULL, NULL, NULL, err);
}

static int xrecv(SOCKET s, void *buf, DWORD len, DWORD *got, int *err) {
  WSABUF wb = {len, (char *)buf};
  DWORD flags = 0;
  return p.lpWSPRecv(s, &wb, 1, got, &flags, NULL, NULL, NULL, err);
}

/* Receives exactly text (blocking receives wait for it). */
static void must_recv(SOCKET s, const char *text) {
  char buf[256];
  DWORD got = 0;
  int err = 0;
  size_t want = strlen(text), have = 0;
  while (have < want) {
    assert_int_equal(xrecv(s, buf + have, (DWORD)(want - have), &got, &err), 0);
    assert_true(got > 0);
    have += got;
  }
  assert_memory_equal(buf, text, want);
}

/* select on one socket in one set (0 read, 1 write, 2 except). */
static int select1(SOCKET s, int which, long usec) {
  fd_set sets[3];
  for (int i = 0; i < 3; i++)
    FD_ZERO(&sets[i]);
  FD_SET(s, &sets[which]);
  struct timeval tv = {usec / 1000000, usec % 1000000};
  int err = 0;
  int n = p.lpWSPSelect(0, &sets[0], &sets[1], &sets[2], &tv, &err);
  assert_int_not_equal(n, SOCKET_ERROR);
  return n;
}

static void must_send(SOCKET s, const char *text) {
  DWORD sent = 0;
  int err = 0;
  assert_int_equal(xsend(s, text, (DWORD)strlen(text), &sent, &err), 0);
  assert_int_equal(sent, strlen(text));
}

static void nonblocking(SOCKET s, u_long on) {
  DWORD ret = 0;
  int err = 0;
  assert_int_equal(p.lpWSPIoctl(s, FIONBIO, &on, sizeof on, NULL, 0, &ret, NULL,
                                NULL, NULL, &err),
                   0);
}

static int so_error(SOCKET s) {
  int v = -1, len = sizeof v, err = 0;
  assert_int_equal(
      p.lpWSPGetSockOpt(s, SOL_SOCKET, SO_ERROR, (char *)&v, &len, &err), 0);
  return v;
}

static HANDLE must_event(void) {
  HANDLE e = CreateEventW(NULL, TRUE, FALSE, NULL);
  assert_non_null(e);
  return e;
}

static HANDLE must_thread(LPTHREAD_START_ROUTINE fn, void *arg) {
  HANDLE t = CreateThread(NULL, 0, fn, arg, 0, NULL);
  assert_non_null(t);
  return t;
}

static void join(HANDLE t) {
  assert_int_equal(WaitForSingleObject(t, WAIT_MS), WAIT_OBJECT_0);
  CloseHandle(t);
}

static void sockets_are_ifs_handles_of_the_callers_catalog_entry(void **state) {
  (void)state;
  SOCKET t = mk(&tcp4), u = mk(&udp6);
  DWORD cat = 0;
  assert_int_equal(wpu_socket_query(t, &cat), WPU_SOCKET_IFS);
  assert_int_equal(cat, CAT_TCP4);
  assert_int_equal(wpu_socket_query(u, &cat), WPU_SOCKET_IFS);
  assert_int_equal(cat, CAT_UDP6);
  WSAPROTOCOL_INFOW info;
  int len = sizeof info, err = 0;
  assert_int_equal(p.lpWSPGetSockOpt(u, SOL_SOCKET, SO_PROTOCOL_INFOW,
                                     (char *)&info, &len, &err),
                   0);
  assert_int_equal(info.dwCatalogEntryId, CAT_UDP6);
  assert_true(IsEqualGUID(&info.ProviderId, &WSPH_PROVIDER_ID));
  closes(t);
  closes(u);
}

static void calls_on_foreign_handles_fail_with_wsaenotsock(void **state) {
  (void)state;
  int err = 0;
  SOCKET mine = mk(&tcp4);
  DWORD_PTR slot = 0;
  assert_int_equal(wpu_ifs_handle_context(mine, &slot, &err), 0);
  /* Another base provider's IFS handle whose context is one of the provider's
   * slot numbers, an LSP's handle, an event, a closed socket. */
  SOCKET other = wpu_ifs_handle_create(slot, &err);
  assert_int_not_equal(other, INVALID_SOCKET);
  SOCKET lsp = WPUCreateSocketHandle(2001, slot, &err);
  assert_int_not_equal(lsp, INVALID_SOCKET);
  HANDLE ev = must_event();
  SOCKET closed = mk(&tcp4);
  closes(closed);
  SOCKET foreign[] = {other, lsp, (SOCKET)ev, closed, INVALID_SOCKET};
  for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
    char buf[4];
    DWORD n;
    int type, len = sizeof type;
    err = 0;
    assert_int_equal(xsend(foreign[i], "x", 1, &n, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAENOTSOCK);
    err = 0;
    assert_int_equal(xrecv(foreign[i], buf, sizeof buf, &n, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAENOTSOCK);
    err = 0;
    assert_int_equal(p.lpWSPGetSockOpt(foreign[i], SOL_SOCKET, SO_TYPE,
                                       (char *)&type, &len, &err),
                     SOCKET_ERROR);
    assert_int_equal(err, WSAENOTSOCK);
    err = 0;
    assert_int_equal(p.lpWSPCloseSocket(foreign[i], &err), SOCKET_ERROR);
    assert_int_equal(err, WSAENOTSOCK);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(foreign[i], &r);
    struct timeval tv = {0, 0};
    err = 0;
    assert_int_equal(p.lpWSPSelect(0, &r, NULL, NULL, &tv, &err), SOCKET_ERROR);
    assert_int_equal(err, WSAENOTSOCK);
  }
  assert_int_equal(wpu_ifs_handle_close(other, &err), 0);
  assert_int_equal(WPUCloseSocketHandle(lsp, &err), 0);
  CloseHandle(ev);
  closes(mine);
}

static void startup_fills_all_thirty_entries(void **state) {
  (void)state;
  void *entries[30];
  assert_int_equal(sizeof p, sizeof entries);
  memcpy(entries, &p, sizeof entries);
  for (int i = 0; i < 30; i++)
    assert_non_null(entries[i]);
}

static void
accepted_sockets_are_registered_under_the_listeners_entry(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  DWORD cat = 0;
  assert_int_equal(wpu_socket_query(a, &cat), WPU_SOCKET_IFS);
  assert_int_equal(cat, CAT_TCP4);
  closes(c);
  closes(a);
}

typedef struct {
  SOCKET s;
  char buf[64];
  DWORD got;
  int rc, err;
  HANDLE started;
} recv_job;

static DWORD WINAPI blocking_recv(LPVOID arg) {
  recv_job *j = arg;
  if (j->started != NULL)
    SetEvent(j->started);
  j->rc = xrecv(j->s, j->buf, sizeof j->buf, &j->got, &j->err);
  return 0;
}

static void stream_blocking_recv_waits_for_the_peers_send(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  recv_job j = {a};
  HANDLE t = must_thread(blocking_recv, &j);
  must_send(c, "wake");
  join(t);
  assert_int_equal(j.rc, 0);
  assert_int_equal(j.got, 4);
  assert_memory_equal(j.buf, "wake", 4);
  closes(c);
  closes(a);
}

static void stream_blocking_recv_is_interrupted_by_closesocket(void **state) {
  (void)state;
  /* The closing thread cannot see the receiver block: before it does, the
   * receive fails with WSAENOTSOCK; once it blocks, with WSAEINTR. Retry
   * until the blocked case has happened. */
  BOOL interrupted = FALSE;
  for (int i = 0; i < 200 && !interrupted; i++) {
    SOCKET c, a;
    pair(&c, &a);
    recv_job j = {a};
    j.started = must_event();
    HANDLE t = must_thread(blocking_recv, &j);
    assert_int_equal(WaitForSingleObject(j.started, WAIT_MS), WAIT_OBJECT_0);
    closes(a);
    join(t);
    assert_int_equal(j.rc, SOCKET_ERROR);
    assert_true(j.err == WSAEINTR || j.err == WSAENOTSOCK);
    interrupted = j.err == WSAEINTR;
    CloseHandle(j.started);
    closes(c);
  }
  assert_true(interrupted);
}

static void listen_on_a_datagram_socket_fails_with_wsaeopnotsupp(void **state) {
  (void)state;
  SOCKET u = mk(&udp4), t = mk(&tcp4);
  bind4(u, 0);
  int err = 0;
  assert_int_equal(p.lpWSPListen(u, 5, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEOPNOTSUPP);
  assert_int_equal(p.lpWSPListen(t, 5, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL); /* not bound */
  SOCKET a = p.lpWSPAccept(t, NULL, NULL, NULL, 0, &err);
  assert_int_equal(a, INVALID_SOCKET);
  assert_int_equal(err, WSAEINVAL);
  char buf[4];
  DWORD got;
  assert_int_equal(xrecv(t, buf, sizeof buf, &got, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAENOTCONN);
  assert_int_equal(p.lpWSPShutdown(t, SD_SEND, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAENOTCONN);
  closes(u);
  closes(t);
}

static int cond_calls;

static USHORT cond_caller_port;

static int CALLBACK decide(LPWSABUF caller, LPWSABUF caller_data, LPQOS sqos,
                           LPQOS gqos, LPWSABUF callee, LPWSABUF callee_data,
                           GROUP *g, DWORD_PTR data) {
  (void)caller_data, (void)sqos, (void)gqos, (void)callee_data, (void)g;
  cond_calls++;
  if (caller != NULL && caller->len >= sizeof(struct sockaddr_in))
    cond_caller_port = port_of((struct sockaddr *)caller->buf);
  if (callee == NULL)
    return CF_REJECT;
  return (int)data;
}

static int xsendto(SOCKET s, const void *buf, DWORD len, const void *to,
                   int tolen, int *err) {
  WSABUF wb = {len, (char *)buf};
  DWORD sent = 0;
  int rc = p.lpWSPSendTo(s, &wb, 1, &sent, 0, (const struct sockaddr *)to,
                         tolen, NULL, NULL, NULL, err);
  if (rc == 0)
    assert_int_equal(sent, len);
  return rc;
}

static int xrecvfrom(SOCKET s, void *buf, DWORD len, DWORD *got, DWORD *flags,
                     void *from, int *fromlen, int *err) {
  WSABUF wb = {len, (char *)buf};
  *flags = 0;
  return p.lpWSPRecvFrom(s, &wb, 1, got, flags, (struct sockaddr *)from,
                         fromlen, NULL, NULL, NULL, err);
}

static void dgram_sendto_and_recvfrom_report_the_source(void **state) {
  (void)state;
  SOCKET r = mk(&udp4), s = mk(&udp4);
  bind4(r, 0);
  struct sockaddr_in to = in4(local_port(r));
  int err = 0;
  assert_int_equal(xsendto(s, "one", 3, &to, sizeof to, &err), 0);
  assert_int_equal(xsendto(s, "two!", 4, &to, sizeof to, &err), 0);
  char buf[16];
  DWORD got = 0, flags;
  struct sockaddr_in from;
  int fromlen = sizeof from;
  assert_int_equal(
      xrecvfrom(r, buf, sizeof buf, &got, &flags, &from, &fromlen, &err), 0);
  assert_int_equal(got, 3); /* one datagram per receive */
  assert_memory_equal(buf, "one", 3);
  assert_int_equal(fromlen, sizeof from);
  assert_int_equal(port_of((struct sockaddr *)&from), local_port(s));
  assert_int_equal(((BYTE *)&from.sin_addr)[0], 127);
  assert_int_equal(
      xrecvfrom(r, buf, sizeof buf, &got, &flags, NULL, NULL, &err), 0);
  assert_int_equal(got, 4);
  assert_memory_equal(buf, "two!", 4);
  nonblocking(r, 1);
  assert_int_equal(
      xrecvfrom(r, buf, sizeof buf, &got, &flags, NULL, NULL, &err),
      SOCKET_ERROR);
  assert_int_equal(err, WSAEWOULDBLOCK);
  closes(r);
  closes(s);
}

static void dgram_over_ipv6_loopback(void **state) {
  (void)state;
  SOCKET r = mk(&udp6), s = mk(&udp6);
  int err = 0;
  bind6_any(r);
  struct sockaddr_in6 to = in6(local_port(r));
  assert_int_equal(xsendto(s, "v6", 2, &to, sizeof to, &err), 0);
  char buf[8];
  DWORD got = 0, flags;
  struct sockaddr_in6 from;
  int fromlen = sizeof from;
  assert_int_equal(
      xrecvfrom(r, buf, sizeof buf, &got, &flags, &from, &fromlen, &err), 0);
  assert_int_equal(got, 2);
  assert_int_equal(from.sin6_family, AF_INET6);
  assert_int_equal(port_of((struct sockaddr *)&from), local_port(s));
  closes(r);
  closes(s);
}

static void dgram_truncates_with_wsaemsgsize_and_msg_partial(void **state) {
  (void)state;
  SOCKET r = mk(&udp4), s = mk(&udp4);
  bind4(r, 0);
  struct sockaddr_in to = in4(local_port(r));
  int err = 0;
  assert_int_equal(xsendto(s, "0123456789", 10, &to, sizeof to, &err), 0);
  assert_int_equal(xsendto(s, "next", 4, &to, sizeof to, &err), 0);
  char buf[4];
  DWORD got = 0, flags;
  assert_int_equal(
      xrecvfrom(r, buf, sizeof buf, &got, &flags, NULL, NULL, &err),
      SOCKET_ERROR);
  assert_int_equal(err, WSAEMSGSIZE);
  assert_int_equal(got, 4);
  assert_true(flags & MSG_PARTIAL);
  assert_memory_equal(buf, "0123", 4);
  /* The rest of that datagram is gone. */
  assert_int_equal(
      xrecvfrom(r, buf, sizeof buf, &got, &flags, NULL, NULL, &err), 0);
  assert_int_equal(got, 4);
  assert_memory_equal(buf, "next", 4);
  static char huge[70000];
  assert_int_equal(xsendto(s, huge, sizeof huge, &to, sizeof to, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEMSGSIZE);
  closes(r);
  closes(s);
}

static void dgram_recv_on_an_unbound_socket_fails_with_wsaeinval(void **state) {
  (void)state;
  SOCKET u = mk(&udp4);
  char buf[4];
  DWORD got;
  int err = 0;
  assert_int_equal(xrecv(u, buf, sizeof buf, &got, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  closes(u);
}

static int submit_recv(SOCKET s, WSAOVERLAPPED *ov, char *buf, DWORD len,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, int *err) {
  WSABUF wb = {len, buf};
  DWORD flags = 0, got = 0;
  return p.lpWSPRecv(s, &wb, 1, &got, &flags, ov, routine,
                     routine != NULL ? wpu_thread_id_current() : NULL, err);
}

static int submit_send(SOCKET s, WSAOVERLAPPED *ov, const char *buf, DWORD len,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, DWORD *sent,
                       int *err) {
  WSABUF wb = {len, (char *)buf};
  return p.lpWSPSend(s, &wb, 1, sent, 0, ov, routine,
                     routine != NULL ? wpu_thread_id_current() : NULL, err);
}

static void
overlapped_send_completing_at_once_still_sets_the_event(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = must_event();
  DWORD sent = 0;
  int err = 0;
  assert_int_equal(submit_send(c, &ov, "now", 3, NULL, &sent, &err), 0);
  assert_int_equal(sent, 3);
  assert_int_equal(WaitForSingleObject(ov.hEvent, 0), WAIT_OBJECT_0);
  DWORD bytes = 0, flags = 0;
  assert_true(p.lpWSPGetOverlappedResult(c, &ov, &bytes, FALSE, &flags, &err));
  assert_int_equal(bytes, 3);
  must_recv(a, "now");
  CloseHandle(ov.hEvent);
  closes(c);
  closes(a);
}

static int routine_calls;

static DWORD routine_err, routine_bytes, routine_tid;

static LPWSAOVERLAPPED routine_ov;

static void CALLBACK on_done(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov,
                             DWORD flags) {
  (void)flags;
  routine_calls++;
  routine_err = err;
  routine_bytes = bytes;
  routine_ov = ov;
  routine_tid = GetCurrentThreadId();
}

static void
overlapped_send_completing_at_once_still_queues_the_routine(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  DWORD sent = 0;
  int err = 0;
  routine_calls = 0;
  assert_int_equal(submit_send(c, &ov, "hi", 2, on_done, &sent, &err), 0);
  assert_int_equal(routine_calls, 0);
  assert_int_equal(SleepEx(WAIT_MS, TRUE), WAIT_IO_COMPLETION);
  assert_int_equal(routine_calls, 1);
  assert_int_equal(routine_bytes, 2);
  must_recv(a, "hi");
  closes(c);
  closes(a);
}

static void
overlapped_send_completing_at_once_still_posts_a_packet(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  assert_ptr_equal(CreateIoCompletionPort((HANDLE)c, port, 0x55, 0), port);
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  DWORD sent = 0;
  int err = 0;
  assert_int_equal(submit_send(c, &ov, "pkt", 3, NULL, &sent, &err), 0);
  DWORD bytes = 0;
  ULONG_PTR key = 0;
  LPOVERLAPPED got = NULL;
  assert_true(GetQueuedCompletionStatus(port, &bytes, &key, &got, WAIT_MS));
  assert_int_equal(bytes, 3);
  assert_int_equal(key, 0x55);
  assert_ptr_equal(got, (LPOVERLAPPED)&ov);
  /* With the low bit of hEvent set: the event, and no packet. */
  HANDLE ev = must_event();
  ov.hEvent = (HANDLE)((ULONG_PTR)ev | 1);
  assert_int_equal(submit_send(c, &ov, "low", 3, NULL, &sent, &err), 0);
  assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
  assert_false(GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
  assert_int_equal(GetLastError(), WAIT_TIMEOUT);
  must_recv(a, "pktlow");
  CloseHandle(ev);
  CloseHandle(port);
  closes(c);
  closes(a);
}

static void overlapped_recvfrom_fills_the_source_at_completion(void **state) {
  (void)state;
  SOCKET r = mk(&udp4), s = mk(&udp4);
  bind4(r, 0);
  WSAOVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = must_event();
  char buf[4];
  WSABUF wb = {sizeof buf, buf};
  DWORD flags = 0, got = 0;
  struct sockaddr_in from;
  int fromlen = sizeof from, err = 0;
  assert_int_equal(p.lpWSPRecvFrom(r, &wb, 1, &got, &flags,
                                   (struct sockaddr *)&from, &fromlen, &ov,
                                   NULL, NULL, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSA_IO_PENDING);
  struct sockaddr_in to = in4(local_port(r));
  assert_int_equal(xsendto(s, "toolong", 7, &to, sizeof to, &err), 0);
  assert_int_equal(WaitForSingleObject(ov.hEvent, WAIT_MS), WAIT_OBJECT_0);
  DWORD bytes = 0;
  assert_false(p.lpWSPGetOverlappedResult(r, &ov, &bytes, FALSE, &flags, &err));
  assert_int_equal(err, WSAEMSGSIZE);
  assert_int_equal(ov.InternalHigh, 4);
  assert_true(ov.Offset & MSG_PARTIAL);
  assert_int_equal(port_of((struct sockaddr *)&from), local_port(s));
  CloseHandle(ov.hEvent);
  closes(r);
  closes(s);
}

typedef struct {
  SOCKET s;
  const char *text;
} send_job;

static DWORD WINAPI send_later(LPVOID arg) {
  send_job *j = arg;
  DWORD sent = 0;
  int err = 0;
  return (DWORD)xsend(j->s, j->text, (DWORD)strlen(j->text), &sent, &err);
}

typedef struct {
  SOCKET s;
  int n, err;
  fd_set set;
} select_job;

static DWORD WINAPI blocking_select(LPVOID arg) {
  select_job *j = arg;
  FD_ZERO(&j->set);
  FD_SET(j->s, &j->set);
  struct timeval tv = {WAIT_MS / 1000, 0};
  j->n = p.lpWSPSelect(0, &j->set, NULL, NULL, &tv, &j->err);
  return 0;
}

static void select_wakes_when_another_thread_sends(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  select_job j = {a};
  HANDLE t = must_thread(blocking_select, &j);
  must_send(c, "s");
  join(t);
  assert_int_equal(j.n, 1);
  assert_true(j.set.fd_array[0] == a);
  closes(c);
  closes(a);
}

static LONG enum_events(SOCKET s, HANDLE ev, WSANETWORKEVENTS *ne) {
  int err = 0;
  assert_int_equal(p.lpWSPEnumNetworkEvents(s, ev, ne, &err), 0);
  return ne->lNetworkEvents;
}

static void
event_select_records_fd_accept_and_accepted_sockets_inherit_it(void **state) {
  (void)state;
  USHORT port;
  SOCKET l = listener(&port);
  HANDLE ev = must_event();
  WSANETWORKEVENTS ne;
  int err = 0;
  assert_int_equal(p.lpWSPEventSelect(l, ev, FD_ACCEPT | FD_WRITE, &err), 0);
  assert_int_equal(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
  SOCKET c = mk(&tcp4);
  assert_int_equal(connect4(c, port, &err), 0);
  assert_int_equal(WaitForSingleObject(ev, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(enum_events(l, ev, &ne), FD_ACCEPT);
  SOCKET a = accept_plain(l);
  /* The accepted socket has the listener's selection: FD_WRITE. */
  assert_int_equal(WaitForSingleObject(ev, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(enum_events(a, ev, &ne), FD_WRITE);
  char buf[4];
  DWORD got;
  assert_int_equal(xrecv(a, buf, sizeof buf, &got, &err), SOCKET_ERROR);
  assert_int_equal(err, WSAEWOULDBLOCK); /* inherited non-blocking mode */
  closes(a);
  closes(c);
  closes(l);
  CloseHandle(ev);
}

static void event_select_reports_a_reset_in_fd_close(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  HANDLE ev = must_event();
  WSANETWORKEVENTS ne;
  int err = 0;
  assert_int_equal(p.lpWSPEventSelect(a, ev, FD_CLOSE, &err), 0);
  LINGER lg = {1, 0};
  assert_int_equal(
      p.lpWSPSetSockOpt(c, SOL_SOCKET, SO_LINGER, (char *)&lg, sizeof lg, &err),
      0);
  closes(c);
  assert_int_equal(WaitForSingleObject(ev, WAIT_MS), WAIT_OBJECT_0);
  assert_int_equal(enum_events(a, NULL, &ne), FD_CLOSE);
  assert_int_equal(ne.iErrorCode[FD_CLOSE_BIT], WSAECONNRESET);
  /* Without an event object, WSPEnumNetworkEvents leaves it alone. */
  assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
  closes(a);
  CloseHandle(ev);
}

static LRESULT CALLBACK plain_proc(HWND h, UINT m, WPARAM w, LPARAM l) {
  return DefWindowProcW(h, m, w, l);
}

static HWND message_window(const WCHAR *cls) {
  WNDCLASSW wc;
  memset(&wc, 0, sizeof wc);
  wc.lpfnWndProc = plain_proc;
  wc.lpszClassName = cls;
  assert_int_not_equal(RegisterClassW(&wc), 0);
  HWND hwnd = CreateWindowExW(0, cls, cls, 0, 0, 0, 0, 0, HWND_MESSAGE, NULL,
                              NULL, NULL);
  assert_non_null(hwnd);
  return hwnd;
}

#define WM_SOCK (WM_USER + 42)

static void
async_select_with_an_invalid_window_fails_with_wsaeinval(void **state) {
  (void)state;
  SOCKET s = mk(&tcp4);
  int err = 0;
  assert_int_equal(p.lpWSPAsyncSelect(s, (HWND)(ULONG_PTR)0x40000abc, WM_SOCK,
                                      FD_READ, &err),
                   SOCKET_ERROR);
  assert_int_equal(err, WSAEINVAL);
  closes(s);
}

static BOOL wide_is(const WCHAR *w, const char *s) {
  for (; *s != 0; w++, s++)
    if (*w != (WCHAR)(BYTE)*s)
      return FALSE;
  return *w == 0;
}

/* The byte at offset i of a stream seeded with seed. */
static BYTE stream_pattern(DWORD i, BYTE seed) {
  return (BYTE)(seed + i * 31u + (i >> 11));
}

#define STREAM_BYTES (1u << 20)

typedef struct {
  SOCKET s;
  BYTE seed;
  DWORD done;
  int failed;
} stream_job;

static DWORD WINAPI stream_writer(LPVOID arg) {
  stream_job *j = arg;
  BYTE chunk[7001];
  DWORD size = 1;
  while (j->done < STREAM_BYTES) {
    size = size * 7 % 7001 + 1;
    if (size > STREAM_BYTES - j->done)
      size = STREAM_BYTES - j->done;
    for (DWORD i = 0; i < size; i++)
      chunk[i] = stream_pattern(j->done + i, j->seed);
    DWORD sent = 0;
    int err = 0;
    if (xsend(j->s, chunk, size, &sent, &err) != 0 || sent != size) {
      j->failed = err != 0 ? err : -1;
      return 1;
    }
    j->done += sent;
  }
  return 0;
}

static DWORD WINAPI stream_reader(LPVOID arg) {
  stream_job *j = arg;
  BYTE chunk[5003];
  DWORD size = 3;
  while (j->done < STREAM_BYTES) {
    size = size * 13 % 5003 + 1;
    DWORD got = 0;
    int err = 0;
    if (xrecv(j->s, chunk, size, &got, &err) != 0 || got == 0) {
      j->failed = err != 0 ? err : -1;
      return 1;
    }
    for (DWORD i = 0; i < got; i++) {
      if (chunk[i] != stream_pattern(j->done + i, j->seed)) {
        j->failed = -2;
        return 1;
      }
    }
    j->done += got;
  }
  return 0;
}

static void two_threads_stream_a_megabyte_each_way_byte_exact(void **state) {
  (void)state;
  SOCKET c, a;
  pair(&c, &a);
  stream_job jobs[4] = {{c, 11}, {a, 11}, {a, 77}, {c, 77}};
  LPTHREAD_START_ROUTINE fns[4] = {stream_writer, stream_reader, stream_writer,
                                   stream_reader};
  HANDLE t[4];
  for (int i = 0; i < 4; i++)
    t[i] = must_thread(fns[i], &jobs[i]);
  for (int i = 0; i < 4; i++)
    join(t[i]);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(jobs[i].failed, 0);
    assert_int_equal(jobs[i].done, STREAM_BYTES);
  }
  closes(c);
  closes(a);
}

#endif /* WSP_PROVIDER_SUITE_H */
