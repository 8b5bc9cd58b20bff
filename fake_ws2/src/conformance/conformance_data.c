/* conformance_data.c: the conformance checks of the catalog and of data
 * transfer: streams, datagrams, overlapped I/O with its three
 * notifications, ReadFile/WriteFile, close with I/O in flight.
 *
 * Overlapped structures and buffers a request may still complete into
 * after a failed check returns are static: the check's sockets are closed
 * after it returns, which ends such requests. */
#include <stdlib.h>
#include <string.h>

#include <wpu/catalog.h>
#include <wpu/sockets.h>

#include "conformance_internal.h"

/* ---- catalog ---- */

static void check_entry(ck *c, const WSAPROTOCOL_INFOW *e, int type) {
  DWORD id = e->dwCatalogEntryId;
  DWORD len = 0;
  WSAEnumProtocolsW(NULL, NULL, &len);
  WSAPROTOCOL_INFOW *all = malloc(len > 0 ? len : 1);
  CK_EXPECT(c, all != NULL, "out of memory");
  int n = WSAEnumProtocolsW(NULL, all, &len);
  BOOL listed = FALSE;
  for (int i = 0; i < n; i++)
    listed = listed || all[i].dwCatalogEntryId == id;
  free(all);
  CK_EXPECT(c, listed,
            "entry %lu must be visible to applications (WSAEnumProtocolsW); "
            "it is not listed",
            (unsigned long)id);
  const WSAPROTOCOLCHAIN *ch = &e->ProtocolChain;
  if (ch->ChainLen > 1) {
    WSAPROTOCOL_INFOW first, last;
    CK_EXPECT(c,
              wpu_catalog_get(ch->ChainEntries[0], &first, NULL, 0) == 0 &&
                  first.ProtocolChain.ChainLen == LAYERED_PROTOCOL,
              "chain entry %lu must start with its layer's hidden entry "
              "(ChainLen 0); ChainEntries[0] is %lu",
              (unsigned long)id, (unsigned long)ch->ChainEntries[0]);
    CK_EXPECT(c,
              wpu_catalog_get(ch->ChainEntries[ch->ChainLen - 1], &last, NULL,
                              0) == 0 &&
                  last.ProtocolChain.ChainLen == BASE_PROTOCOL,
              "chain entry %lu must end with a base entry (ChainLen 1); its "
              "last entry %lu is not one",
              (unsigned long)id,
              (unsigned long)ch->ChainEntries[ch->ChainLen - 1]);
  }
  SOCKET s = ck_socket(c, type);
  if (s == INVALID_SOCKET)
    return;
  DWORD to = 0;
  wpu_socket_kind kind = wpu_socket_query(s, &to);
  CK_EXPECT(c, kind != WPU_SOCKET_NONE && to == id,
            "a socket made from entry %lu must dispatch to that entry "
            "(WPUCreateSocketHandle, or WPUModifyIFSHandle, with its catalog "
            "id); socket 0x%llx dispatches to entry %lu",
            (unsigned long)id, (unsigned long long)s, (unsigned long)to);
  int got = 0, optlen = sizeof got;
  CK_EXPECT(c,
            getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&got, &optlen) == 0 &&
                got == type,
            "getsockopt(SO_TYPE) on a socket of entry %lu: expected %d, got "
            "%d (error %d)",
            (unsigned long)id, type, got, WSAGetLastError());
  ck_close(c, s);
}

void ck_catalog(ck *c) {
  check_entry(c, &c->tcp, SOCK_STREAM);
  if (!ck_failed(c))
    check_entry(c, &c->udp, SOCK_DGRAM);
}

/* ---- stream ---- */

#define BIG (256u * 1024u)

static char big_out[BIG], big_in[BIG + 1];
static struct {
  SOCKET s;
  int err;
} sender;

static DWORD WINAPI send_big(LPVOID arg) {
  (void)arg;
  DWORD done = 0;
  while (done < BIG) {
    int n = send(sender.s, big_out + done,
                 (int)(BIG - done < 20000 ? BIG - done : 20000), 0);
    if (n <= 0) {
      sender.err = WSAGetLastError();
      return 1;
    }
    done += (DWORD)n;
  }
  shutdown(sender.s, SD_SEND);
  return 0;
}

void ck_stream(ck *c) {
  SOCKET cl, sv;
  if (!ck_pair(c, &cl, &sv))
    return;
  char a[] = "first-", b[] = "second-", d[] = "third";
  WSABUF bufs[3] = {{6, a}, {7, b}, {5, d}};
  DWORD sent = 0;
  CK_EXPECT(c, WSASend(cl, bufs, 3, &sent, 0, NULL, NULL) == 0 && sent == 18,
            "a blocking WSASend of three buffers (18 bytes): expected 18 "
            "sent, got %lu (error %d)",
            (unsigned long)sent, WSAGetLastError());
  char in[32];
  DWORD got = ck_recv_all(c, sv, in, 18);
  CK_EXPECT(c, got == 18 && memcmp(in, "first-second-third", 18) == 0,
            "after a WSASend of \"first-\" \"second-\" \"third\" the peer "
            "must receive \"first-second-third\"; it received %s (%lu bytes)",
            ck_show(in, got), (unsigned long)got);
  for (DWORD i = 0; i < BIG; i++)
    big_out[i] = (char)(i * 7 + i / 251);
  sender.s = cl;
  sender.err = 0;
  if (ck_thread(c, send_big, NULL) == NULL)
    return;
  got = ck_recv_all(c, sv, big_in, BIG + 1);
  CK_EXPECT(c, got == BIG,
            "256 KiB sent by another thread: the peer must receive them all "
            "before the end of the stream; it received %lu bytes (sender "
            "error %d)",
            (unsigned long)got, sender.err);
  for (DWORD i = 0; i < BIG; i++)
    CK_EXPECT(c, big_in[i] == big_out[i],
              "256 KiB sent by another thread arrived changed: the first "
              "difference is at byte %lu (expected 0x%02x, got 0x%02x)",
              (unsigned long)i, (unsigned char)big_out[i],
              (unsigned char)big_in[i]);
}

void ck_stream_shutdown(ck *c) {
  SOCKET cl, sv;
  if (!ck_pair(c, &cl, &sv))
    return;
  CK_EXPECT(c, send(cl, "bye", 3, 0) == 3, "send failed with %d",
            WSAGetLastError());
  CK_EXPECT(c, shutdown(cl, SD_SEND) == 0, "shutdown(SD_SEND) failed with %d",
            WSAGetLastError());
  char in[8];
  DWORD got = ck_recv_all(c, sv, in, 3);
  CK_EXPECT(c, got == 3 && memcmp(in, "bye", 3) == 0,
            "the bytes sent before shutdown must arrive: expected \"bye\", "
            "got %s",
            ck_show(in, got));
  CK_EXPECT(c, ck_readable(c, sv),
            "after the peer's shutdown(SD_SEND) the socket must be readable "
            "(end of stream); it was not within %lu ms",
            (unsigned long)c->wait);
  int n = recv(sv, in, sizeof in, 0);
  CK_EXPECT(c, n == 0,
            "recv after the peer's shutdown(SD_SEND) must return 0; it "
            "returned %d (error %d)",
            n, WSAGetLastError());
  CK_EXPECT(c, send(sv, "ok", 2, 0) == 2,
            "send on the half-closed connection's other direction failed "
            "with %d",
            WSAGetLastError());
  CK_EXPECT(c, ck_close(c, sv) == 0, "closesocket failed with %d",
            WSAGetLastError());
  got = ck_recv_all(c, cl, in, 2);
  CK_EXPECT(c, got == 2 && memcmp(in, "ok", 2) == 0,
            "bytes sent before a graceful closesocket must arrive: expected "
            "\"ok\", got %s",
            ck_show(in, got));
  CK_EXPECT(c, ck_readable(c, cl), "end of stream not reported within %lu ms",
            (unsigned long)c->wait);
  n = recv(cl, in, sizeof in, 0);
  CK_EXPECT(c, n == 0,
            "recv after the peer's graceful closesocket must return 0; it "
            "returned %d (error %d)",
            n, WSAGetLastError());
}

/* ---- datagram ---- */

void ck_datagram(ck *c) {
  struct sockaddr_in aa, ba;
  SOCKET a = ck_bound(c, SOCK_DGRAM, &aa);
  if (a == INVALID_SOCKET)
    return;
  SOCKET b = ck_bound(c, SOCK_DGRAM, &ba);
  if (b == INVALID_SOCKET)
    return;
  const char *msgs[2] = {"one", "two!"};
  for (int i = 0; i < 2; i++) {
    int len = (int)strlen(msgs[i]);
    CK_EXPECT(
        c, sendto(a, msgs[i], len, 0, (struct sockaddr *)&ba, sizeof ba) == len,
        "sendto of %d bytes failed with %d", len, WSAGetLastError());
  }
  for (int i = 0; i < 2; i++) {
    char in[64];
    struct sockaddr_in from;
    memset(&from, 0, sizeof from);
    int fromlen = sizeof from, len = (int)strlen(msgs[i]);
    CK_EXPECT(c, ck_readable(c, b),
              "datagram %d was not readable within %lu ms", i + 1,
              (unsigned long)c->wait);
    int n = recvfrom(b, in, sizeof in, 0, (struct sockaddr *)&from, &fromlen);
    CK_EXPECT(c, n == len && memcmp(in, msgs[i], (size_t)len) == 0,
              "datagrams keep their boundaries and order: recvfrom %d "
              "expected \"%s\", got %s (%d, error %d)",
              i + 1, msgs[i], ck_show(in, n > 0 ? (DWORD)n : 0), n,
              WSAGetLastError());
    CK_EXPECT(c,
              from.sin_family == AF_INET && from.sin_port == aa.sin_port &&
                  from.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
              "recvfrom must report the source 127.0.0.1:%u; it reported "
              "family %d port %u",
              ntohs(aa.sin_port), from.sin_family, ntohs(from.sin_port));
  }
  CK_EXPECT(c,
            sendto(a, "0123456789", 10, 0, (struct sockaddr *)&ba, sizeof ba) ==
                10,
            "sendto failed with %d", WSAGetLastError());
  char tiny[4];
  CK_EXPECT(c, ck_readable(c, b), "datagram 3 was not readable within %lu ms",
            (unsigned long)c->wait);
  int n = recv(b, tiny, sizeof tiny, 0);
  int err = WSAGetLastError();
  CK_EXPECT(c, n == SOCKET_ERROR && err == WSAEMSGSIZE,
            "a 10-byte datagram received into 4 bytes must fail with "
            "WSAEMSGSIZE; recv returned %d (error %d)",
            n, err);
}

/* ---- overlapped ---- */

static WSAOVERLAPPED ov1, ov2;
static char inbuf[64];

/* Starts an overlapped WSARecv on s into inbuf that must pend. */
static BOOL recv_pending(ck *c, SOCKET s, WSAOVERLAPPED *ov, HANDLE ev,
                         LPWSAOVERLAPPED_COMPLETION_ROUTINE routine) {
  memset(ov, 0, sizeof *ov);
  memset(inbuf, 0, sizeof inbuf);
  ov->hEvent = ev;
  WSABUF b = {sizeof inbuf, inbuf};
  DWORD got = 0, flags = 0;
  int rc = WSARecv(s, &b, 1, &got, &flags, ov, routine);
  int err = WSAGetLastError();
  if (rc == SOCKET_ERROR && err == WSA_IO_PENDING)
    return TRUE;
  ck_fail(c,
          "an overlapped WSARecv with no data to read must pend "
          "(WSA_IO_PENDING); it returned %d with error %d",
          rc, rc == 0 ? 0 : err);
  return FALSE;
}

void ck_overlapped_event(ck *c) {
  SOCKET cl, sv;
  if (!ck_pair(c, &cl, &sv))
    return;
  HANDLE ev = ck_event(c), ev2 = ck_event(c);
  if (ev == NULL || ev2 == NULL || !recv_pending(c, sv, &ov1, ev, NULL))
    return;
  CK_EXPECT(c, WaitForSingleObject(ev, 0) == WAIT_TIMEOUT,
            "the WSARecv's event was signaled before any data came");
  CK_EXPECT(c, send(cl, "ping", 4, 0) == 4, "send failed with %d",
            WSAGetLastError());
  DWORD w = WSAWaitForMultipleEvents(1, &ev, FALSE, c->wait, FALSE);
  CK_EXPECT(c, w == WSA_WAIT_EVENT_0,
            "expected the pending WSARecv's event within %lu ms of the "
            "peer's send; WSAWaitForMultipleEvents returned %lu",
            (unsigned long)c->wait, (unsigned long)w);
  DWORD bytes = 0, flags = 0;
  BOOL ok = WSAGetOverlappedResult(sv, &ov1, &bytes, FALSE, &flags);
  CK_EXPECT(c, ok && bytes == 4 && memcmp(inbuf, "ping", 4) == 0,
            "WSAGetOverlappedResult of the completed WSARecv: expected 4 "
            "bytes \"ping\", got %s, %lu bytes %s (error %d)",
            ok ? "TRUE" : "FALSE", (unsigned long)bytes, ck_show(inbuf, bytes),
            ok ? 0 : WSAGetLastError());
  memset(&ov2, 0, sizeof ov2);
  ov2.hEvent = ev2;
  static char out[] = "pong!";
  WSABUF b = {5, out};
  DWORD sent = 0;
  int rc = WSASend(sv, &b, 1, &sent, 0, &ov2, NULL);
  int err = WSAGetLastError();
  CK_EXPECT(c, rc == 0 || err == WSA_IO_PENDING,
            "an overlapped WSASend failed with %d", err);
  w = WSAWaitForMultipleEvents(1, &ev2, FALSE, c->wait, FALSE);
  CK_EXPECT(c, w == WSA_WAIT_EVENT_0,
            "an overlapped WSASend must signal its event when done (also "
            "when it succeeded at once); not within %lu ms",
            (unsigned long)c->wait);
  ok = WSAGetOverlappedResult(sv, &ov2, &bytes, FALSE, &flags);
  CK_EXPECT(c, ok && bytes == 5,
            "WSAGetOverlappedResult of the WSASend: expected 5 bytes, got "
            "%lu (error %d)",
            (unsigned long)bytes, ok ? 0 : WSAGetLastError());
  char in[8];
  DWORD got = ck_recv_all(c, cl, in, 5);
  CK_EXPECT(c, got == 5 && memcmp(in, "pong!", 5) == 0,
            "the overlapped WSASend's bytes: expected \"pong!\", the peer got "
            "%s",
            ck_show(in, got));
}

/* What the routine saw: written and read with interlocked operations, as
 * a broken provider may run it on another thread. */
static volatile LONG routine_calls, routine_thread, routine_err, routine_bytes;
static void *volatile routine_ov;

static LONG get(volatile LONG *v) {
  return InterlockedCompareExchange(v, 0, 0);
}

static void CALLBACK on_recv(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov,
                             DWORD flags) {
  (void)flags;
  InterlockedExchange(&routine_thread, (LONG)GetCurrentThreadId());
  InterlockedExchange(&routine_err, (LONG)err);
  InterlockedExchange(&routine_bytes, (LONG)bytes);
  InterlockedExchangePointer((void *volatile *)&routine_ov, ov);
  InterlockedIncrement(&routine_calls);
}

void ck_overlapped_routine(ck *c) {
  SOCKET cl, sv;
  if (!ck_pair(c, &cl, &sv))
    return;
  InterlockedExchange(&routine_calls, 0);
  InterlockedExchange(&routine_thread, 0);
  if (!recv_pending(c, sv, &ov1, NULL, on_recv))
    return;
  CK_EXPECT(c, send(cl, "ping", 4, 0) == 4, "send failed with %d",
            WSAGetLastError());
  LONG early = get(&routine_calls);
  DWORD me = GetCurrentThreadId();
  DWORD w = SleepEx(c->wait, TRUE);
  LONG calls = get(&routine_calls);
  DWORD thread = (DWORD)get(&routine_thread);
  CK_EXPECT(c, calls == 0 || thread == me,
            "the completion routine ran on thread %lu, not on the thread "
            "that issued the WSARecv (%lu): it must be queued as an APC to "
            "the request's WSATHREADID",
            (unsigned long)thread, (unsigned long)me);
  CK_EXPECT(c, early == 0,
            "the completion routine ran before the issuing thread entered an "
            "alertable wait");
  CK_EXPECT(c, w == WAIT_IO_COMPLETION && calls == 1,
            "expected the completion routine to run as an APC during "
            "SleepEx(%lu, TRUE); SleepEx returned %lu, the routine ran %ld "
            "times",
            (unsigned long)c->wait, (unsigned long)w, (long)calls);
  DWORD err = (DWORD)get(&routine_err), bytes = (DWORD)get(&routine_bytes);
  void *ov = InterlockedCompareExchangePointer((void *volatile *)&routine_ov,
                                               NULL, NULL);
  CK_EXPECT(
      c, err == 0 && bytes == 4 && ov == &ov1 && memcmp(inbuf, "ping", 4) == 0,
      "the completion routine must get (0, 4, the request's overlapped) "
      "and the data \"ping\"; it got (%lu, %lu, %s) and %s",
      (unsigned long)err, (unsigned long)bytes,
      ov == &ov1 ? "the overlapped" : "another pointer",
      ck_show(inbuf, bytes < 64 ? bytes : 64));
}

#define KEY ((ULONG_PTR)0xC0FFEE)

/* The next packet of port within the timeout: TRUE if one came. */
static BOOL packet(ck *c, HANDLE port, BOOL *ok, DWORD *bytes, ULONG_PTR *key,
                   LPOVERLAPPED *ov, DWORD *err) {
  *ov = NULL;
  *ok = GetQueuedCompletionStatus(port, bytes, key, ov, c->wait);
  *err = *ok ? 0 : GetLastError();
  return *ov != NULL;
}

void ck_overlapped_port(ck *c) {
  SOCKET cl, sv;
  if (!ck_pair(c, &cl, &sv))
    return;
  HANDLE port = ck_port(c);
  if (port == NULL)
    return;
  CK_EXPECT(c, CreateIoCompletionPort((HANDLE)sv, port, KEY, 0) == port,
            "associating the socket with a completion port failed with %lu",
            (unsigned long)GetLastError());
  if (!recv_pending(c, sv, &ov1, NULL, NULL))
    return;
  CK_EXPECT(c, send(cl, "ping", 4, 0) == 4, "send failed with %d",
            WSAGetLastError());
  BOOL ok;
  DWORD bytes = 0, err = 0;
  ULONG_PTR key = 0;
  LPOVERLAPPED got = NULL;
  CK_EXPECT(c, packet(c, port, &ok, &bytes, &key, &got, &err),
            "expected a completion packet for the WSARecv within %lu ms; "
            "none came (GetQueuedCompletionStatus: error %lu)",
            (unsigned long)c->wait, (unsigned long)err);
  CK_EXPECT(c, ok && got == (LPOVERLAPPED)&ov1 && key == KEY && bytes == 4,
            "the WSARecv's packet must carry (TRUE, 4 bytes, key 0x%llx, its "
            "overlapped); it carried (%s, %lu bytes, key 0x%llx, %s)",
            (unsigned long long)KEY, ok ? "TRUE" : "FALSE",
            (unsigned long)bytes, (unsigned long long)key,
            got == (LPOVERLAPPED)&ov1 ? "its overlapped" : "another pointer");
  memset(&ov2, 0, sizeof ov2);
  static char out[] = "pong!";
  WSABUF b = {5, out};
  DWORD sent = 0;
  int rc = WSASend(sv, &b, 1, &sent, 0, &ov2, NULL);
  int e = WSAGetLastError();
  CK_EXPECT(c, rc == 0 || e == WSA_IO_PENDING,
            "an overlapped WSASend failed with %d", e);
  CK_EXPECT(c, packet(c, port, &ok, &bytes, &key, &got, &err),
            "expected a completion packet for the WSASend (also when it "
            "succeeded at once) within %lu ms; none came",
            (unsigned long)c->wait);
  CK_EXPECT(c, ok && got == (LPOVERLAPPED)&ov2 && key == KEY && bytes == 5,
            "the WSASend's packet must carry (TRUE, 5 bytes, key 0x%llx, its "
            "overlapped); it carried (%s, %lu bytes, key 0x%llx)",
            (unsigned long long)KEY, ok ? "TRUE" : "FALSE",
            (unsigned long)bytes, (unsigned long long)key);
}

/* ---- ReadFile / WriteFile ---- */

void ck_readfile_writefile(ck *c) {
  SOCKET cl, sv;
  if (!ck_pair(c, &cl, &sv))
    return;
  DWORD n = 0;
  CK_EXPECT(c, WriteFile((HANDLE)cl, "write", 5, &n, NULL) && n == 5,
            "WriteFile of 5 bytes on the socket: expected 5 written, got %lu "
            "(error %lu)",
            (unsigned long)n, (unsigned long)GetLastError());
  char in[16];
  DWORD got = ck_recv_all(c, sv, in, 5);
  CK_EXPECT(c, got == 5 && memcmp(in, "write", 5) == 0,
            "recv after the peer's WriteFile of \"write\" got %s (ReadFile "
            "and WriteFile on an IFS handle go straight to the base "
            "provider, bypassing a layer that changes data)",
            ck_show(in, got));
  CK_EXPECT(c, send(sv, "read!", 5, 0) == 5, "send failed with %d",
            WSAGetLastError());
  CK_EXPECT(c, ck_readable(c, cl), "not readable within %lu ms",
            (unsigned long)c->wait);
  memset(in, 0, sizeof in);
  BOOL ok = ReadFile((HANDLE)cl, in, sizeof in, &n, NULL);
  CK_EXPECT(c, ok && n == 5 && memcmp(in, "read!", 5) == 0,
            "ReadFile on the socket after the peer sent \"read!\" got %s "
            "(%s, error %lu; ReadFile on an IFS handle goes straight to the "
            "base provider, bypassing a layer that changes data)",
            ck_show(in, ok ? n : 0), ok ? "TRUE" : "FALSE",
            ok ? 0ul : (unsigned long)GetLastError());
}

/* ---- closesocket with I/O in flight ---- */

void ck_close_inflight(ck *c) {
  SOCKET cl, sv;
  if (!ck_pair(c, &cl, &sv))
    return;
  HANDLE port = ck_port(c), ev = ck_event(c);
  if (port == NULL || ev == NULL)
    return;
  CK_EXPECT(c, CreateIoCompletionPort((HANDLE)sv, port, KEY, 0) == port,
            "associating the socket with a completion port failed with %lu",
            (unsigned long)GetLastError());
  if (!recv_pending(c, sv, &ov1, ev, NULL))
    return;
  CK_EXPECT(c, ck_close(c, sv) == 0, "closesocket failed with %d",
            WSAGetLastError());
  DWORD w = WSAWaitForMultipleEvents(1, &ev, FALSE, c->wait, FALSE);
  CK_EXPECT(c, w == WSA_WAIT_EVENT_0,
            "closesocket with a WSARecv in flight must end it: its event was "
            "not signaled within %lu ms",
            (unsigned long)c->wait);
  BOOL ok;
  DWORD bytes = 0, err = 0;
  ULONG_PTR key = 0;
  LPOVERLAPPED got = NULL;
  CK_EXPECT(c, packet(c, port, &ok, &bytes, &key, &got, &err),
            "closesocket with a WSARecv in flight must post its completion to "
            "the port; none came within %lu ms",
            (unsigned long)c->wait);
  CK_EXPECT(c, !ok && got == (LPOVERLAPPED)&ov1 && err == WSA_OPERATION_ABORTED,
            "the aborted WSARecv's packet: expected FALSE with "
            "WSA_OPERATION_ABORTED (995) for its overlapped; got %s with "
            "error %lu (%s)",
            ok ? "TRUE" : "FALSE", (unsigned long)err,
            got == (LPOVERLAPPED)&ov1 ? "its overlapped" : "another pointer");
}
