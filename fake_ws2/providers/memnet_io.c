/* memnet_io.c: how memnet waits and completes: blocked callers, the start
 * of overlapped requests, the WSPSend/WSPSendTo/WSPRecv/WSPRecvFrom entry
 * points (which hand the work to the stream or datagram code) and
 * WSPGetOverlappedResult. The mechanism is wsp_common's (waiters,
 * overlapped notification, operation queues, WSABUF copies); this file
 * adds what memnet's sockets mean by it: a closed socket ends its waits
 * with WSAEINTR.
 *
 * An overlapped request is accepted, then completed at once or queued;
 * either way it is notified (wsp_notify_complete). An immediate failure is
 * returned and not notified.
 *
 * Not supported: skip-on-success modes (SetFileCompletionNotificationModes
 * is not emulated: every completion notifies); cancelling one operation
 * (CancelIoEx): only closesocket ends pending operations
 * (WSA_OPERATION_ABORTED); a completion routine without a WSATHREADID
 * (WSAEFAULT).
 */
#include <stdlib.h>
#include <string.h>

#include "memnet_internal.h"

/* ---- Waiting ---- */

void mn_wake(mn_socket *s) {
  wsp_waitq_wake(&s->waiters);
}

void mn_changed(mn_socket *s) {
  mn_wake(s);
  mn_events_poll(s);
}

int mn_wait(mn_socket *s, DWORD timeout) {
  if (s->closed)
    return WSAEINTR;
  int r = wsp_waitq_wait(&s->waiters, &mn.lock, timeout);
  return s->closed ? WSAEINTR : r;
}

int mn_notify_begin(wsp_notify *n, SOCKET h, LPWSAOVERLAPPED ov,
                    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                    LPWSATHREADID thread) {
  int e = wsp_notify_init(n, h, ov, routine, thread);
  if (e == 0)
    wsp_notify_start(n);
  return e;
}

/* ---- The send and receive entry points ---- */

static int do_send(SOCKET h, LPWSABUF bufs, DWORD n, LPDWORD sent, DWORD flags,
                   BOOL sendto, const struct sockaddr *to, int tolen,
                   LPWSAOVERLAPPED ov,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                   LPWSATHREADID thread, LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e;
  wsp_bufs_total(bufs, n, &e);
  wsp_notify note;
  const wsp_notify *ovn = NULL;
  wsp_addr dest;
  const wsp_addr *dst = NULL;
  DWORD got = 0;
  if (e == 0 && ov == NULL && sent == NULL)
    e = WSAEFAULT;
  if (e == 0 && ov != NULL &&
      (e = wsp_notify_init(&note, h, ov, routine, thread)) == 0)
    ovn = &note;
  if (e == 0 && sendto && to != NULL && s->type == SOCK_DGRAM) {
    e = wsp_addr_parse(s->af, to, tolen, &dest);
    dst = &dest;
  }
  if (e == 0) {
    if (s->type == SOCK_STREAM)
      e = mn_stream_send(s, bufs, n, &got, flags, ovn);
    else
      e = mn_dgram_send(s, bufs, n, &got, flags, dst, ovn);
  }
  mn_leave(s);
  if (e == 0 && sent != NULL)
    *sent = got;
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

int WSPAPI mn_WSPSend(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD sent,
                      DWORD flags, LPWSAOVERLAPPED ov,
                      LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                      LPWSATHREADID thread, LPINT err) {
  return do_send(s, bufs, n, sent, flags, FALSE, NULL, 0, ov, routine, thread,
                 err);
}

int WSPAPI mn_WSPSendTo(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD sent,
                        DWORD flags, const struct sockaddr *to, int tolen,
                        LPWSAOVERLAPPED ov,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                        LPWSATHREADID thread, LPINT err) {
  return do_send(s, bufs, n, sent, flags, TRUE, to, tolen, ov, routine, thread,
                 err);
}

static int do_recv(SOCKET h, LPWSABUF bufs, DWORD n, LPDWORD got, LPDWORD flags,
                   struct sockaddr *from, LPINT fromlen, LPWSAOVERLAPPED ov,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                   LPWSATHREADID thread, LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e;
  wsp_bufs_total(bufs, n, &e);
  wsp_notify note;
  const wsp_notify *ovn = NULL;
  DWORD count = 0;
  if (e == 0 && (flags == NULL || (ov == NULL && got == NULL)))
    e = WSAEFAULT;
  if (e == 0 && ov != NULL &&
      (e = wsp_notify_init(&note, h, ov, routine, thread)) == 0)
    ovn = &note;
  if (e == 0 && s->type == SOCK_DGRAM && from != NULL &&
      (fromlen == NULL || *fromlen < wsp_addr_len(s->af)))
    e = WSAEFAULT;
  if (e == 0) {
    if (s->type == SOCK_STREAM)
      e = mn_stream_recv(s, bufs, n, &count, flags, ovn);
    else
      e = mn_dgram_recv(s, bufs, n, &count, flags, from, fromlen, ovn);
  }
  mn_leave(s);
  /* A truncated datagram still delivers its first part. */
  if ((e == 0 || e == WSAEMSGSIZE) && got != NULL)
    *got = count;
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

int WSPAPI mn_WSPRecv(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD got,
                      LPDWORD flags, LPWSAOVERLAPPED ov,
                      LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                      LPWSATHREADID thread, LPINT err) {
  return do_recv(s, bufs, n, got, flags, NULL, NULL, ov, routine, thread, err);
}

int WSPAPI mn_WSPRecvFrom(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD got,
                          LPDWORD flags, struct sockaddr *from, LPINT fromlen,
                          LPWSAOVERLAPPED ov,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                          LPWSATHREADID thread, LPINT err) {
  return do_recv(s, bufs, n, got, flags, from, fromlen, ov, routine, thread,
                 err);
}

/* ---- WSPGetOverlappedResult ---- */

BOOL WSPAPI mn_WSPGetOverlappedResult(SOCKET h, LPWSAOVERLAPPED ov,
                                      LPDWORD bytes, BOOL wait, LPDWORD flags,
                                      LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return FALSE;
  mn_leave(s);
  return wsp_overlapped_result(ov, bytes, wait, flags, err);
}
