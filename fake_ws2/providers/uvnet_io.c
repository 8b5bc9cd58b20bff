/* uvnet_io.c: how uvnet's callers wait, and its send and receive entry
 * points: WSPSend, WSPSendTo, WSPRecv, WSPRecvFrom (which check their
 * arguments and hand the work to the stream or datagram code) and
 * WSPGetOverlappedResult.
 *
 * A blocked caller waits on the socket's waiter list (wsp_waitq), woken by
 * whatever changes the socket: the caller's peer through the loop thread's
 * callbacks, another caller, or closesocket (WSAEINTR).
 *
 * An overlapped request is accepted, then completed at once or queued;
 * either way it is notified through wsp_notify_complete (an APC to the
 * copied WSATHREADID for a completion routine; otherwise the event and the
 * completion port associated with the handle), as Windows does without
 * skip-on-success. An immediate failure is returned and not notified.
 *
 * Not supported: skip-on-success modes; cancelling one operation
 * (CancelIoEx): only closesocket ends pending operations
 * (WSA_OPERATION_ABORTED); a completion routine without a WSATHREADID
 * (WSAEFAULT).
 */
#include <string.h>

#include "uvnet_internal.h"

int un_wait(un_socket *s, DWORD timeout) {
  if (s->closed)
    return WSAEINTR;
  uvl_kick(un.loop); /* the loop thread polls, whoever drove it before */
  int e = wsp_waitq_wait(&s->waiters, &un.lock, timeout);
  if (s->closed)
    return WSAEINTR;
  return e;
}

static int do_send(SOCKET h, LPWSABUF bufs, DWORD n, LPDWORD sent, DWORD flags,
                   BOOL sendto, const struct sockaddr *to, int tolen,
                   LPWSAOVERLAPPED ov,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                   LPWSATHREADID thread, LPINT err) {
  un_socket *s = un_enter(h, err);
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
  if (e == 0 && sendto && to != NULL && s->type == SOCK_DGRAM) {
    e = wsp_addr_parse(s->af, to, tolen, &dest);
    dst = &dest;
  }
  if (e == 0 && ov != NULL &&
      (e = wsp_notify_init(&note, h, ov, routine, thread)) == 0)
    ovn = &note;
  if (e == 0) {
    if (s->type == SOCK_STREAM)
      e = un_stream_send(s, bufs, n, &got, flags, ovn);
    else
      e = un_dgram_send(s, bufs, n, &got, flags, dst, ovn);
  }
  un_leave(s);
  if (e == 0 && sent != NULL)
    *sent = got;
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

int WSPAPI un_WSPSend(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD sent,
                      DWORD flags, LPWSAOVERLAPPED ov,
                      LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                      LPWSATHREADID thread, LPINT err) {
  return do_send(s, bufs, n, sent, flags, FALSE, NULL, 0, ov, routine, thread,
                 err);
}

int WSPAPI un_WSPSendTo(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD sent,
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
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e;
  wsp_bufs_total(bufs, n, &e);
  wsp_notify note;
  const wsp_notify *ovn = NULL;
  DWORD count = 0;
  if (e == 0 && (flags == NULL || (ov == NULL && got == NULL)))
    e = WSAEFAULT;
  if (e == 0 && s->type == SOCK_DGRAM && from != NULL &&
      (fromlen == NULL || *fromlen < wsp_addr_len(s->af)))
    e = WSAEFAULT;
  if (e == 0 && ov != NULL &&
      (e = wsp_notify_init(&note, h, ov, routine, thread)) == 0)
    ovn = &note;
  if (e == 0) {
    if (s->type == SOCK_STREAM)
      e = un_stream_recv(s, bufs, n, &count, flags, ovn);
    else
      e = un_dgram_recv(s, bufs, n, &count, flags, from, fromlen, ovn);
  }
  un_leave(s);
  /* A truncated datagram still delivers its first part. */
  if ((e == 0 || e == WSAEMSGSIZE) && got != NULL)
    *got = count;
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

int WSPAPI un_WSPRecv(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD got,
                      LPDWORD flags, LPWSAOVERLAPPED ov,
                      LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                      LPWSATHREADID thread, LPINT err) {
  return do_recv(s, bufs, n, got, flags, NULL, NULL, ov, routine, thread, err);
}

int WSPAPI un_WSPRecvFrom(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD got,
                          LPDWORD flags, struct sockaddr *from, LPINT fromlen,
                          LPWSAOVERLAPPED ov,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                          LPWSATHREADID thread, LPINT err) {
  return do_recv(s, bufs, n, got, flags, from, fromlen, ov, routine, thread,
                 err);
}

BOOL WSPAPI un_WSPGetOverlappedResult(SOCKET h, LPWSAOVERLAPPED ov,
                                      LPDWORD bytes, BOOL wait, LPDWORD flags,
                                      LPINT err) {
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return FALSE;
  un_leave(s);
  return wsp_overlapped_result(ov, bytes, wait, flags, err);
}
