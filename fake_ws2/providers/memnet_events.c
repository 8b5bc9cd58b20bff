/* memnet_events.c: readiness and network events: what select sees
 * (WSPSelect), the network event record with WSPEventSelect and
 * WSPEnumNetworkEvents, and WSPAsyncSelect's messages.
 *
 * Recording follows the WSAEventSelect/WSAAsyncSelect reference pages: an
 * event is recorded (event object set, or one message posted through
 * WPUPostMessage with WSAMAKESELECTREPLY) when its condition holds, then
 * not again until its re-enabling call: FD_READ by a receive, FD_ACCEPT by
 * an accept (not one that returns WSATRY_AGAIN), FD_WRITE by a send, once
 * writable again after a send failed with WSAEWOULDBLOCK (and after a
 * connect or accept); FD_CONNECT once per connect; FD_CLOSE once, when the
 * peer's shutdown or close has been read up to the end (at once on a
 * reset, with WSAECONNRESET). Registering clears the record and records
 * what holds already. Both functions make the socket non-blocking; an
 * accepted socket inherits the registration. FD_OOB, FD_QOS, FD_GROUP_QOS,
 * FD_ROUTING_INTERFACE_CHANGE and FD_ADDRESS_LIST_CHANGE are accepted and
 * never recorded.
 *
 * The bookkeeping is wsp_common's (wsp_events, wsp_select); this file says
 * when each condition holds on a memnet socket.
 *
 * WSPSelect takes fd_sets of memnet handles (WSAENOTSOCK for another's,
 * WSAEINVAL when all sets are empty), waits on every socket at once (one
 * event per call) and rewrites the sets to the ready ones. Read: data, end
 * of stream, a reset, a connection to accept, a datagram. Write: a
 * connected stream with room (or failing at once), any datagram socket.
 * Except: a failed non-blocking connect.
 *
 * Not supported: out-of-band data in the except set, closing a socket
 * while another thread selects on it (the select fails with WSAENOTSOCK).
 */
#include "memnet_internal.h"

BOOL mn_readable(const mn_socket *s) {
  if (s->type == SOCK_DGRAM)
    return s->dq.head != NULL;
  if (s->state == MN_LISTENING)
    return s->q_head != NULL;
  if (s->state != MN_CONNECTED)
    return FALSE;
  return s->ring_len > 0 || s->conn_error != 0 || mn_stream_eof(s);
}

BOOL mn_writable(const mn_socket *s) {
  if (s->type == SOCK_DGRAM)
    return TRUE;
  if (s->state != MN_CONNECTED)
    return FALSE;
  return s->conn_error != 0 || s->peer == NULL || s->peer_gone ||
         s->shut_send || mn_ring_space(s->peer) > 0;
}

/* FD_CONNECT, FD_WRITE's wish and FD_CLOSE's once are wsp_events'. */
static BOOL due(void *sock, LONG event, int *err) {
  const mn_socket *s = sock;
  BOOL stream = s->type == SOCK_STREAM;
  switch (event) {
  case FD_READ:
    if (!stream)
      return s->dq.head != NULL;
    return s->state == MN_CONNECTED && s->ring_len > 0 && s->conn_error == 0;
  case FD_WRITE:
    return mn_writable(s);
  case FD_ACCEPT:
    return s->state == MN_LISTENING && s->q_head != NULL;
  case FD_CLOSE:
    if (!stream || s->state != MN_CONNECTED)
      return FALSE;
    *err = s->conn_error;
    return s->conn_error != 0 || (s->ring_len == 0 && mn_stream_eof(s));
  default:
    return FALSE;
  }
}

void mn_events_poll(mn_socket *s) {
  if (s->closed || s->handle == INVALID_SOCKET)
    return;
  wsp_events_poll(&mn.up, &s->ev, s->handle, due, s);
}

void mn_events_reenable(mn_socket *s, LONG ev) {
  wsp_events_reenable(&s->ev, ev);
  mn_events_poll(s);
}

int WSPAPI mn_WSPEventSelect(SOCKET h, WSAEVENT ev, LONG events, LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = wsp_events_select(&s->ev, ev, events);
  if (e == 0) {
    s->nonblocking = TRUE;
    mn_events_poll(s);
  }
  mn_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

int WSPAPI mn_WSPEnumNetworkEvents(SOCKET h, WSAEVENT ev,
                                   LPWSANETWORKEVENTS out, LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = wsp_events_enum(&s->ev, ev, out);
  mn_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

int WSPAPI mn_WSPAsyncSelect(SOCKET h, HWND hwnd, unsigned int msg, LONG events,
                             LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = wsp_events_async_select(&s->ev, hwnd, msg, events);
  if (e == 0) {
    s->nonblocking = TRUE;
    mn_events_poll(s);
  }
  mn_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

/* ---- WSPSelect ---- */

static void *select_find(SOCKET h) {
  return mn_find(h);
}

static BOOL select_ready(void *sock, int set) {
  const mn_socket *s = sock;
  if (set == 0)
    return mn_readable(s);
  if (set == 1)
    return mn_writable(s);
  return s->connect_failed;
}

static wsp_waitq *select_waitq(void *sock) {
  return &((mn_socket *)sock)->waiters;
}

static void select_pin(void *sock) {
  ((mn_socket *)sock)->refs++;
}

static void select_unpin(void *sock) {
  mn_socket_release(sock);
}

int WSPAPI mn_WSPSelect(int nfds, fd_set *r, fd_set *w, fd_set *x,
                        const struct timeval *timeout, LPINT err) {
  (void)nfds; /* ignored, as by Windows */
  static const wsp_select_ops ops = {&mn.lock,     select_find, select_ready,
                                     select_waitq, select_pin,  select_unpin};
  if (InterlockedCompareExchange(&mn.startups, 0, 0) == 0) {
    *err = WSANOTINITIALISED;
    return SOCKET_ERROR;
  }
  return wsp_select(&ops, r, w, x, timeout, err);
}
