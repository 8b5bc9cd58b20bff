/* uvnet_conn.c: uvnet's stream connections: the loop thread's connect
 * and accept callbacks, WSPListen, WSPConnect (for both socket types),
 * WSPAccept with condition functions, WSPShutdown, WSPRecvDisconnect,
 * WSPSendDisconnect, and what closing does to a connection or a listening
 * socket.
 *
 * Connections: the kernel connects and accepts; the loop reports accepted
 * connections (un_conn_accepted), which queue on the listener (beyond its
 * backlog they are reset) and read until WSPAccept takes them. A condition
 * function runs then: CF_REJECT resets the connection (WSAECONNREFUSED to
 * the accepting caller, WSAECONNRESET to the connecting one), CF_DEFER
 * keeps it queued (WSATRY_AGAIN). A non-blocking connect answers
 * WSAEWOULDBLOCK and reports through FD_CONNECT, select and SO_ERROR.
 *
 * shutdown(SD_SEND) sends the FIN after what was written (queued
 * overlapped sends first); closesocket closes gracefully (the kernel
 * finishes the writes, then the FIN), or resets with SO_LINGER {1, 0} or
 * unread data, as TCP does.
 *
 * Not supported: connect data, QOS, disconnect data (see uvnet.c).
 */
#include <stdlib.h>
#include <string.h>

#include "uvnet_internal.h"

/* ---- The loop's callbacks (loop thread) ---- */

void un_conn_connected(void *ctx, int status, const uvl_addr *local,
                       const uvl_addr *peer) {
  un_socket *s = ctx;
  (void)peer;
  un_wakes wakes;
  un_cb_enter(&wakes);
  if (!s->closed && s->state == UN_CONNECTING) {
    if (status == 0) {
      s->state = UN_CONNECTED;
      s->bound = TRUE;
      un_addr_from_uvl(local, &s->local);
      s->ev.write_wanted = TRUE;
      if (s->nonblocking)
        wsp_events_connected(&s->ev, 0);
    } else {
      int e = un_wsa_error(status);
      s->state = UN_FRESH;
      s->connect_failed = TRUE;
      s->connect_error = e;
      if (s->nonblocking) {
        s->opt.so_error = e;
        wsp_events_connected(&s->ev, e);
      }
    }
    un_changed(s);
  }
  un_cb_leave(&wakes);
}

static void q_push(un_socket *l, un_socket *e, BOOL front) {
  e->listener = l;
  if (front) {
    e->q_next = l->q_head;
    l->q_head = e;
    if (l->q_tail == NULL)
      l->q_tail = e;
  } else {
    e->q_next = NULL;
    if (l->q_tail != NULL)
      l->q_tail->q_next = e;
    else
      l->q_head = e;
    l->q_tail = e;
  }
  l->q_len++;
}

static void q_remove(un_socket *e) {
  un_socket *l = e->listener;
  un_socket *prev = NULL;
  for (un_socket *x = l->q_head; x != NULL; prev = x, x = x->q_next) {
    if (x != e)
      continue;
    if (prev != NULL)
      prev->q_next = e->q_next;
    else
      l->q_head = e->q_next;
    if (l->q_tail == e)
      l->q_tail = prev;
    l->q_len--;
    break;
  }
  e->listener = NULL;
  e->q_next = NULL;
}

/* Resets a connection nobody will accept and drops the reference its
 * queue (or its taker) held. */
static void embryo_drop(un_socket *e) {
  if (e->listener != NULL)
    q_remove(e);
  e->closed = TRUE;
  un_io_close(e, TRUE);
  un_stream_free_queue(e);
  un_socket_release(e);
}

void *un_conn_accepted(void *ctx, uvl_sock *conn, const uvl_addr *local,
                       const uvl_addr *peer) {
  un_socket *l = ctx;
  un_socket *e = NULL;
  un_wakes wakes;
  un_cb_enter(&wakes);
  if (!l->closed && l->state == UN_LISTENING && l->q_len < l->backlog &&
      (e = un_socket_new(l->af, SOCK_STREAM, l->protocol, &l->info)) != NULL) {
    e->io = conn;
    e->refs++; /* the loop's; the first is the queue's */
    e->loop_ref = TRUE;
    e->state = UN_CONNECTED;
    e->bound = TRUE;
    e->accepted = TRUE;
    un_addr_from_uvl(local, &e->local);
    un_addr_from_uvl(peer, &e->remote);
    q_push(l, e, FALSE);
    un_changed(l);
  }
  un_cb_leave(&wakes);
  return e; /* NULL: the loop resets the connection */
}

/* ---- Listen, connect, accept ---- */

int WSPAPI un_WSPListen(SOCKET h, int backlog, LPINT err) {
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = 0;
  if (s->type != SOCK_STREAM)
    e = WSAEOPNOTSUPP;
  else if (s->state == UN_CONNECTED || s->state == UN_CONNECTING)
    e = WSAEISCONN;
  else if (!s->bound)
    e = WSAEINVAL;
  if (e == 0) {
    if (backlog > UN_BACKLOG_MAX || backlog == SOMAXCONN)
      backlog = UN_BACKLOG_MAX;
    if (backlog < 1)
      backlog = 1;
    s->backlog = backlog;
    if (s->state != UN_LISTENING) {
      /* Listening before the kernel is: its first connection may come
       * before the request returns. */
      s->state = UN_LISTENING;
      uvl_sock *io = un_io_begin(s);
      int k = io == NULL ? UVL_EINVAL : uvl_listen(io, UN_BACKLOG_MAX);
      un_io_end(s);
      e = s->closed ? WSAEINTR : un_wsa_error(k);
      if (e != 0 && !s->closed)
        s->state = UN_FRESH;
    }
  }
  if (e == 0)
    un_changed(s);
  un_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

static int stream_connect(un_socket *s, const wsp_addr *to) {
  if (s->state == UN_LISTENING)
    return WSAEINVAL;
  if (s->state == UN_CONNECTED)
    return WSAEISCONN;
  if (s->state == UN_CONNECTING)
    return WSAEALREADY;
  int e = un_check_destination(to);
  if (e != 0)
    return e;
  if (s->io == NULL)
    return WSAEINVAL;
  /* An unbound socket is bound by the kernel's connect, to loopback (the
   * destination is). */
  s->connect_failed = FALSE;
  s->connect_error = 0;
  s->state = UN_CONNECTING;
  s->remote = *to;
  uvl_addr k;
  un_addr_to_uvl(to, &k);
  uvl_connect(s->io, &k);
  if (s->nonblocking)
    return WSAEWOULDBLOCK;
  while (s->state == UN_CONNECTING) {
    if ((e = un_wait(s, 0)) != 0)
      return e;
  }
  return s->state == UN_CONNECTED ? 0 : s->connect_error;
}

int WSPAPI un_WSPConnect(SOCKET h, const struct sockaddr *name, int namelen,
                         LPWSABUF caller, LPWSABUF callee, LPQOS sqos,
                         LPQOS gqos, LPINT err) {
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = 0;
  wsp_addr to;
  if (sqos != NULL || gqos != NULL || (caller != NULL && caller->len > 0))
    e = WSAEOPNOTSUPP;
  else if (s->type == SOCK_DGRAM && name != NULL &&
           namelen >= (int)sizeof(name->sa_family) &&
           name->sa_family == AF_UNSPEC)
    e = un_dgram_connect(s, NULL); /* dissolves the association */
  else if ((e = wsp_addr_parse(s->af, name, namelen, &to)) == 0)
    e = s->type == SOCK_STREAM ? stream_connect(s, &to)
                               : un_dgram_connect(s, &to);
  if (e == 0 && callee != NULL)
    callee->len = 0;
  un_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

/* Runs the condition function for connection e without the lock (it may
 * call back into uvnet); e is out of the queue meanwhile. */
static int ask_condition(un_socket *e, LPCONDITIONPROC cond, DWORD_PTR data) {
  wsp_addr caller = e->remote, callee = e->local;
  WSABUF caller_id, callee_id;
  caller_id.len = (ULONG)wsp_addr_len(e->af);
  caller_id.buf = (char *)&caller;
  callee_id.len = (ULONG)wsp_addr_len(e->af);
  callee_id.buf = (char *)&callee;
  GROUP g = 0;
  LeaveCriticalSection(&un.lock);
  int verdict = cond(&caller_id, NULL, NULL, NULL, &callee_id, NULL, &g, data);
  EnterCriticalSection(&un.lock);
  return verdict;
}

/* What the accepted socket takes from its listening socket. */
static void inherit(un_socket *e, const un_socket *l) {
  e->nonblocking = l->nonblocking;
  wsp_events_inherit(&e->ev, &l->ev);
  e->opt.linger = l->opt.linger;
  e->opt.rcvbuf = l->opt.rcvbuf;
  e->opt.sndbuf = l->opt.sndbuf;
  e->opt.rcvtimeo = l->opt.rcvtimeo;
  e->opt.sndtimeo = l->opt.sndtimeo;
  e->opt.nodelay = l->opt.nodelay;
  e->opt.keepalive = l->opt.keepalive;
  e->opt.oobinline = l->opt.oobinline;
}

static int accept_one(un_socket *l, struct sockaddr *addr, LPINT addrlen,
                      LPCONDITIONPROC cond, DWORD_PTR data, SOCKET *out) {
  int e;
  if (l->type != SOCK_STREAM)
    return WSAEOPNOTSUPP;
  if (l->state != UN_LISTENING)
    return WSAEINVAL;
  if (addr != NULL && (addrlen == NULL || *addrlen < wsp_addr_len(l->af)))
    return WSAEFAULT;
  un_socket *c;
  while ((c = l->q_head) == NULL) {
    if (l->nonblocking)
      return WSAEWOULDBLOCK;
    if ((e = un_wait(l, 0)) != 0)
      return e;
    if (l->state != UN_LISTENING)
      return WSAEINVAL;
  }
  q_remove(c); /* the queue's reference is ours now */
  if (cond != NULL) {
    int verdict = ask_condition(c, cond, data);
    if (l->closed) {
      embryo_drop(c);
      return WSAEINTR;
    }
    if (verdict == CF_DEFER) {
      q_push(l, c, TRUE);
      return WSATRY_AGAIN;
    }
    if (verdict == CF_REJECT) {
      embryo_drop(c); /* the kernel had accepted it: a reset */
      return WSAECONNREFUSED;
    }
    if (verdict != CF_ACCEPT) {
      q_push(l, c, TRUE);
      return WSAEINVAL;
    }
  }
  inherit(c, l);
  if ((e = un_socket_register(c)) != 0) {
    q_push(l, c, TRUE);
    return e;
  }
  /* The reference becomes the handle's. */
  if (addr != NULL)
    wsp_addr_copy_out(&c->remote, addr, addrlen);
  else if (addrlen != NULL)
    *addrlen = wsp_addr_len(c->af);
  un_events_poll(c);
  *out = c->handle;
  return 0;
}

SOCKET WSPAPI un_WSPAccept(SOCKET h, struct sockaddr *addr, LPINT addrlen,
                           LPCONDITIONPROC cond, DWORD_PTR data, LPINT err) {
  un_socket *l = un_enter(h, err);
  if (l == NULL)
    return INVALID_SOCKET;
  SOCKET out = INVALID_SOCKET;
  int e = accept_one(l, addr, addrlen, cond, data, &out);
  /* accept re-enables FD_ACCEPT, unless the condition deferred. */
  if (e != WSATRY_AGAIN && !l->closed)
    un_events_reenable(l, FD_ACCEPT);
  un_leave(l);
  if (e != 0) {
    *err = e;
    return INVALID_SOCKET;
  }
  return out;
}

/* ---- Shutdown and close ---- */

static void shut_send(un_socket *s) {
  if (s->shut_send)
    return;
  s->shut_send = TRUE;
  if (s->type != SOCK_STREAM || s->io == NULL)
    return;
  if (s->wbusy) { /* after the send handing bytes over (uvnet_stream.c) */
    s->fin_after = TRUE;
    return;
  }
  un_stream_flush(s); /* queued sends go out before the FIN */
  uvl_shutdown(s->io);
}

int WSPAPI un_WSPShutdown(SOCKET h, int how, LPINT err) {
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = 0;
  if (how != SD_RECEIVE && how != SD_SEND && how != SD_BOTH)
    e = WSAEINVAL;
  else if (s->type == SOCK_STREAM && s->state != UN_CONNECTED)
    e = WSAENOTCONN;
  if (e == 0) {
    if (how != SD_SEND)
      s->shut_recv = TRUE;
    if (how != SD_RECEIVE)
      shut_send(s);
    un_changed(s);
  }
  un_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

int WSPAPI un_WSPRecvDisconnect(SOCKET h, LPWSABUF data, LPINT err) {
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = 0;
  if (s->type != SOCK_STREAM || s->state != UN_CONNECTED)
    e = WSAENOTCONN;
  if (e == 0) {
    s->shut_recv = TRUE;
    if (data != NULL)
      data->len = 0; /* no disconnect data, ever */
    un_changed(s);
  }
  un_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

int WSPAPI un_WSPSendDisconnect(SOCKET h, LPWSABUF data, LPINT err) {
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = 0;
  if (s->type != SOCK_STREAM || s->state != UN_CONNECTED)
    e = WSAENOTCONN;
  else if (data != NULL && data->len > 0)
    e = WSAENOPROTOOPT;
  if (e == 0) {
    shut_send(s);
    un_changed(s);
  }
  un_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

void un_stream_close(un_socket *s) {
  if (s->state == UN_LISTENING) {
    while (s->q_head != NULL)
      embryo_drop(s->q_head);
    un_io_close(s, FALSE);
    return;
  }
  /* Unread bytes (here or still in the kernel) make TCP reset, as does
   * SO_LINGER {1, 0}. */
  BOOL reset = (s->opt.linger.l_onoff && s->opt.linger.l_linger == 0) ||
               s->rq_bytes > 0 || s->paused;
  un_io_close(s, reset);
  un_stream_free_queue(s);
}
