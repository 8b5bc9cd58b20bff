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
#include <stdlib.h>
#include <string.h>

#include "memnet_internal.h"

static const struct {
  LONG event;
  int bit;
} events[] = {
    {FD_READ, FD_READ_BIT},     {FD_WRITE, FD_WRITE_BIT},
    {FD_ACCEPT, FD_ACCEPT_BIT}, {FD_CONNECT, FD_CONNECT_BIT},
    {FD_CLOSE, FD_CLOSE_BIT},
};

BOOL mn_readable(const mn_socket *s) {
  if (s->type == SOCK_DGRAM)
    return s->dq_head != NULL;
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

static BOOL due(const mn_socket *s, LONG event, int *err) {
  BOOL stream = s->type == SOCK_STREAM;
  *err = 0;
  switch (event) {
  case FD_READ:
    if (!stream)
      return s->dq_head != NULL;
    return s->state == MN_CONNECTED && s->ring_len > 0 && s->conn_error == 0;
  case FD_WRITE:
    return s->write_wanted && mn_writable(s);
  case FD_ACCEPT:
    return s->state == MN_LISTENING && s->q_head != NULL;
  case FD_CONNECT:
    *err = s->connect_event_error;
    return s->connect_event;
  case FD_CLOSE:
    if (!stream || s->close_recorded || s->state != MN_CONNECTED)
      return FALSE;
    *err = s->conn_error;
    return s->conn_error != 0 || (s->ring_len == 0 && mn_stream_eof(s));
  default:
    return FALSE;
  }
}

void mn_events_poll(mn_socket *s) {
  if (s->closed || s->handle == INVALID_SOCKET || s->ev_mask == 0)
    return;
  BOOL signal = FALSE;
  for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
    LONG ev = events[i].event;
    int err;
    if (!(s->ev_mask & ev) || (s->disabled & ev) || !due(s, ev, &err))
      continue;
    s->disabled |= ev;
    if (ev == FD_WRITE)
      s->write_wanted = FALSE;
    else if (ev == FD_CONNECT)
      s->connect_event = FALSE;
    else if (ev == FD_CLOSE)
      s->close_recorded = TRUE;
    if (s->as_hwnd != NULL) {
      mn.up.lpWPUPostMessage(s->as_hwnd, s->as_msg, (WPARAM)s->handle,
                             (LPARAM)WSAMAKESELECTREPLY(ev, err));
    } else {
      s->net_events |= ev;
      s->net_errors[events[i].bit] = err;
      signal = TRUE;
    }
  }
  if (signal && s->ev_event != NULL)
    SetEvent(s->ev_event);
}

void mn_events_reenable(mn_socket *s, LONG ev) {
  s->disabled &= ~ev;
  mn_events_poll(s);
}

/* A new registration: a clean record, then what holds already. */
static void registered(mn_socket *s, LONG events) {
  s->ev_mask = events;
  s->nonblocking = TRUE;
  s->net_events = 0;
  memset(s->net_errors, 0, sizeof s->net_errors);
  s->disabled = 0;
  s->write_wanted = TRUE;
  s->close_recorded = FALSE;
  mn_events_poll(s);
}

int WSPAPI mn_WSPEventSelect(SOCKET h, WSAEVENT ev, LONG events, LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = 0;
  if ((events & ~FD_ALL_EVENTS) != 0 || (events != 0 && ev == NULL))
    e = WSAEINVAL;
  if (e == 0) {
    s->as_hwnd = NULL; /* cancels WSPAsyncSelect */
    s->as_msg = 0;
    s->ev_event = events != 0 ? ev : NULL;
    registered(s, events);
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
  int e = 0;
  if (out == NULL) {
    e = WSAEFAULT;
  } else {
    out->lNetworkEvents = s->net_events;
    memcpy(out->iErrorCode, s->net_errors, sizeof out->iErrorCode);
    s->net_events = 0;
    memset(s->net_errors, 0, sizeof s->net_errors);
    if (ev != NULL)
      ResetEvent(ev);
  }
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
  int e = 0;
  if ((events & ~FD_ALL_EVENTS) != 0 || (events != 0 && !IsWindow(hwnd)))
    e = WSAEINVAL;
  if (e == 0) {
    s->ev_event = NULL; /* cancels WSPEventSelect */
    s->as_hwnd = events != 0 ? hwnd : NULL;
    s->as_msg = msg;
    registered(s, events);
  }
  mn_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

/* ---- WSPSelect ---- */

/* The longest single wait of a select (about 24.8 days), below INFINITE. */
#define SELECT_WAIT_MAX 0x7fffffffu

static BOOL ready_in(const mn_socket *s, int set) {
  if (set == 0)
    return mn_readable(s);
  if (set == 1)
    return mn_writable(s);
  return s->connect_failed;
}

int WSPAPI mn_WSPSelect(int nfds, fd_set *r, fd_set *w, fd_set *x,
                        const struct timeval *timeout, LPINT err) {
  (void)nfds; /* ignored, as by Windows */
  fd_set *sets[3] = {r, w, x};
  size_t total = 0;
  for (int i = 0; i < 3; i++)
    if (sets[i] != NULL)
      total += sets[i]->fd_count;
  if (InterlockedCompareExchange(&mn.startups, 0, 0) == 0) {
    *err = WSANOTINITIALISED;
    return SOCKET_ERROR;
  }
  if (total == 0 ||
      (timeout != NULL && (timeout->tv_sec < 0 || timeout->tv_usec < 0))) {
    *err = WSAEINVAL;
    return SOCKET_ERROR;
  }
  /* In 64 bits: tv_sec up to 2^31 - 1 is almost 25,000 days. */
  ULONGLONG ms = 0;
  if (timeout != NULL)
    ms = (ULONGLONG)timeout->tv_sec * 1000 +
         ((ULONGLONG)timeout->tv_usec + 999) / 1000;
  ULONGLONG deadline = GetTickCount64() + ms;
  mn_socket **socks = calloc(total, sizeof *socks);
  BYTE *ready = calloc(total, 1);
  mn_waiter *nodes = calloc(total, sizeof *nodes);
  HANDLE ev = NULL;
  int e = 0, result = 0;
  if (socks == NULL || ready == NULL || nodes == NULL)
    e = WSAENOBUFS;
  EnterCriticalSection(&mn.lock);
  while (e == 0) {
    size_t k = 0;
    int n = 0;
    for (int i = 0; i < 3 && e == 0; i++) {
      for (u_int j = 0; sets[i] != NULL && j < sets[i]->fd_count; j++, k++) {
        if ((socks[k] = mn_find(sets[i]->fd_array[j])) == NULL) {
          e = WSAENOTSOCK;
          break;
        }
        ready[k] = (BYTE)ready_in(socks[k], i);
        n += ready[k];
      }
    }
    if (e != 0)
      break;
    ULONGLONG now = GetTickCount64();
    if (n > 0 || (timeout != NULL && now >= deadline)) {
      k = 0;
      for (int i = 0; i < 3; i++) {
        if (sets[i] == NULL)
          continue;
        u_int kept = 0;
        for (u_int j = 0; j < sets[i]->fd_count; j++, k++)
          if (ready[k])
            sets[i]->fd_array[kept++] = sets[i]->fd_array[j];
        sets[i]->fd_count = kept;
      }
      result = n;
      break;
    }
    if (ev == NULL && (ev = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL) {
      e = WSAENOBUFS;
      break;
    }
    ResetEvent(ev);
    for (k = 0; k < total; k++) {
      socks[k]->refs++;
      nodes[k].event = ev;
      mn_waiter_link(socks[k], &nodes[k]);
    }
    LeaveCriticalSection(&mn.lock);
    /* A long timeout is waited in chunks, each below INFINITE; the loop
     * looks again after each. */
    ULONGLONG left = deadline - now;
    WaitForSingleObject(ev, timeout == NULL          ? INFINITE
                            : left > SELECT_WAIT_MAX ? SELECT_WAIT_MAX
                                                     : (DWORD)left);
    EnterCriticalSection(&mn.lock);
    for (k = 0; k < total; k++) {
      mn_waiter_unlink(socks[k], &nodes[k]);
      mn_socket_release(socks[k]);
    }
  }
  LeaveCriticalSection(&mn.lock);
  if (ev != NULL)
    CloseHandle(ev);
  free(socks);
  free(ready);
  free(nodes);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return result;
}
