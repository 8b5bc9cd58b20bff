/* uvnet_events.c: readiness and network events: what select sees
 * (WSPSelect), the network event record with WSPEventSelect and
 * WSPEnumNetworkEvents, and WSPAsyncSelect's messages. The bookkeeping is
 * wsp_common's (the documented recording and re-enabling rules); this file
 * says when each condition holds on a uvnet socket.
 *
 * Read: bytes received, end of stream, a broken connection, a connection
 * to accept, a datagram. Write: a connected stream (or any datagram
 * socket) with room in its send buffer, or whose sends fail at once.
 * Except: a failed non-blocking connect. FD_CLOSE: the peer's FIN once
 * everything before it was read, or a reset (with WSAECONNRESET). Both
 * WSPEventSelect and WSPAsyncSelect make the socket non-blocking; an
 * accepted socket inherits the registration.
 *
 * Not supported: out-of-band data in the except set, closing a socket
 * while another thread selects on it (the select fails with WSAENOTSOCK).
 */
#include "uvnet_internal.h"

BOOL un_readable(const un_socket *s) {
  if (s->type == SOCK_DGRAM)
    return s->dq.head != NULL;
  if (s->state == UN_LISTENING)
    return s->q_head != NULL;
  if (s->state != UN_CONNECTED)
    return FALSE;
  return s->rq_bytes > 0 || s->conn_error != 0 || un_stream_eof(s);
}

BOOL un_writable(const un_socket *s) {
  if (s->type == SOCK_DGRAM)
    return un_send_room(s) > 0;
  if (s->state != UN_CONNECTED)
    return FALSE;
  return s->conn_error != 0 || s->shut_send || un_send_room(s) > 0;
}

static BOOL due(void *sock, LONG event, int *err) {
  un_socket *s = sock;
  BOOL stream = s->type == SOCK_STREAM;
  switch (event) {
  case FD_READ:
    if (!stream)
      return s->dq.head != NULL;
    return s->state == UN_CONNECTED && s->rq_bytes > 0 && s->conn_error == 0;
  case FD_WRITE:
    return un_writable(s);
  case FD_ACCEPT:
    return s->state == UN_LISTENING && s->q_head != NULL;
  case FD_CLOSE:
    if (!stream || s->state != UN_CONNECTED)
      return FALSE;
    *err = s->conn_error;
    return s->conn_error != 0 || un_stream_eof(s);
  default:
    return FALSE;
  }
}

void un_events_poll(un_socket *s) {
  if (s->closed || s->handle == INVALID_SOCKET)
    return;
  wsp_events_poll(&un.up, &s->ev, s->handle, due, s);
}

void un_events_reenable(un_socket *s, LONG events) {
  wsp_events_reenable(&s->ev, events);
  un_events_poll(s);
}

int WSPAPI un_WSPEventSelect(SOCKET h, WSAEVENT ev, LONG events, LPINT err) {
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = wsp_events_select(&s->ev, ev, events);
  if (e == 0) {
    s->nonblocking = TRUE;
    un_events_poll(s);
  }
  un_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

int WSPAPI un_WSPEnumNetworkEvents(SOCKET h, WSAEVENT ev,
                                   LPWSANETWORKEVENTS out, LPINT err) {
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = wsp_events_enum(&s->ev, ev, out);
  un_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

int WSPAPI un_WSPAsyncSelect(SOCKET h, HWND hwnd, unsigned int msg, LONG events,
                             LPINT err) {
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = wsp_events_async_select(&s->ev, hwnd, msg, events);
  if (e == 0) {
    s->nonblocking = TRUE;
    un_events_poll(s);
  }
  un_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

/* ---- WSPSelect ---- */

static void *select_find(SOCKET h) {
  return un_find(h);
}

static BOOL select_ready(void *sock, int set) {
  un_socket *s = sock;
  if (set == 0)
    return un_readable(s);
  if (set == 1)
    return un_writable(s);
  return s->connect_failed;
}

static wsp_waitq *select_waitq(void *sock) {
  return &((un_socket *)sock)->waiters;
}

static void select_pin(void *sock) {
  ((un_socket *)sock)->refs++;
}

static void select_unpin(void *sock) {
  un_socket_release(sock);
}

int WSPAPI un_WSPSelect(int nfds, fd_set *r, fd_set *w, fd_set *x,
                        const struct timeval *timeout, LPINT err) {
  (void)nfds; /* ignored, as by Windows */
  static const wsp_select_ops ops = {&un.lock,     select_find, select_ready,
                                     select_waitq, select_pin,  select_unpin};
  if (InterlockedCompareExchange(&un.startups, 0, 0) == 0) {
    *err = WSANOTINITIALISED;
    return SOCKET_ERROR;
  }
  uvl_kick(un.loop); /* the loop thread polls, whoever drove it before */
  return wsp_select(&ops, r, w, x, timeout, err);
}
