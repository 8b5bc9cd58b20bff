/* memnet_stream.c: memnet's streams: WSPListen, WSPConnect (for both
 * socket types), WSPAccept with condition functions, stream send and
 * receive, WSPShutdown, WSPRecvDisconnect, WSPSendDisconnect, and what
 * closing does to a connection or a listening socket.
 *
 * A connection is two socket records, each with a ring of MN_WINDOW bytes
 * holding what the other end sent and it has not read. connect makes the
 * server end at once and queues it on the listener (backlog, then
 * WSAECONNREFUSED); without SO_CONDITIONAL_ACCEPT the connection is
 * established then (data may flow before accept; a condition function's
 * CF_REJECT resets it), with it the connect waits for the accept's
 * decision (CF_REJECT: WSAECONNREFUSED; CF_DEFER: WSATRY_AGAIN, stays
 * queued). A non-blocking connect always answers WSAEWOULDBLOCK and reports
 * through FD_CONNECT, select and SO_ERROR.
 *
 * Sends copy into the peer's ring what fits: a non-blocking send that does
 * not fit sends part (or fails with WSAEWOULDBLOCK when the window is
 * full); a blocking one waits for the reader; an overlapped one completes
 * once all its bytes are in the ring. shutdown(SD_SEND) makes the peer's
 * receives return 0 after the data; closesocket does the same (a reset
 * instead with SO_LINGER {1, 0} or unread data, as TCP), and the peer's
 * later sends fail with WSAECONNRESET.
 *
 * Not supported: out-of-band data, MSG_WAITALL except on blocking
 * non-overlapped receives, connect data, QOS (see memnet.c).
 */
#include <stdlib.h>
#include <string.h>

#include "memnet_internal.h"

/* memnet_ext.c: whether s is the accept socket of a waiting AcceptEx
 * (listen and connect on it fail with WSAEINVAL). */
BOOL mn_acceptex_pending(const mn_socket *s);

/* ---- The ring ---- */

DWORD mn_ring_space(const mn_socket *s) {
  return s->ring != NULL ? MN_WINDOW - s->ring_len : 0;
}

static DWORD min_dw(DWORD a, DWORD b) {
  return a < b ? a : b;
}

/* Appends up to len bytes of the buffers (from offset at) to r's ring. */
static DWORD ring_write(mn_socket *r, const WSABUF *bufs, DWORD n, DWORD at,
                        DWORD len) {
  DWORD done = 0;
  len = min_dw(len, mn_ring_space(r));
  while (done < len) {
    DWORD tail = (r->ring_head + r->ring_len) % MN_WINDOW;
    DWORD chunk = min_dw(MN_WINDOW - tail, len - done);
    DWORD got = wsp_bufs_get(bufs, n, at + done, r->ring + tail, chunk);
    r->ring_len += got;
    done += got;
    if (got < chunk)
      break;
  }
  return done;
}

/* Copies up to len bytes of r's ring into the buffers (from offset at),
 * consuming them unless peek. */
static DWORD ring_read(mn_socket *r, const WSABUF *bufs, DWORD n, DWORD at,
                       DWORD len, BOOL peek) {
  DWORD head = r->ring_head, done = 0;
  len = min_dw(len, r->ring_len);
  while (done < len) {
    DWORD chunk = min_dw(MN_WINDOW - head, len - done);
    wsp_bufs_put(bufs, n, at + done, r->ring + head, chunk);
    head = (head + chunk) % MN_WINDOW;
    done += chunk;
  }
  if (!peek) {
    r->ring_head = head;
    r->ring_len -= done;
    if (r->ring_len == 0)
      r->ring_head = 0;
  }
  return done;
}

BOOL mn_stream_eof(const mn_socket *s) {
  return s->fin && (s->peer == NULL || s->peer->sendq.head == NULL);
}

void mn_stream_flow(mn_socket *r) {
  mn_socket *w = r->peer;
  BOOL progress;
  do {
    progress = FALSE;
    while (w != NULL && w->sendq.head != NULL && mn_ring_space(r) > 0) {
      wsp_op *op = w->sendq.head;
      DWORD put =
          ring_write(r, op->bufs, op->nbufs, op->done, op->total - op->done);
      op->done += put;
      progress = progress || put > 0;
      if (op->done < op->total)
        break;
      wsp_opq_pop(&w->sendq);
      wsp_notify_complete(&mn.up, &op->note, 0, op->total, 0);
      free(op);
      progress = TRUE;
    }
    while (r->recvq.head != NULL) {
      wsp_op *op = r->recvq.head;
      DWORD err = 0, bytes = 0;
      if (r->conn_error != 0)
        err = (DWORD)r->conn_error;
      else if (r->ring_len > 0)
        bytes = ring_read(r, op->bufs, op->nbufs, 0, op->total,
                          (op->flags & MSG_PEEK) != 0);
      else if (!mn_stream_eof(r))
        break;
      wsp_opq_pop(&r->recvq);
      wsp_notify_complete(&mn.up, &op->note, err, bytes, 0);
      free(op);
      progress = TRUE;
    }
  } while (progress);
  mn_changed(r);
  if (w != NULL)
    mn_changed(w);
}

/* ---- Sending and receiving ---- */

static int send_check(const mn_socket *s, DWORD flags) {
  if (flags & MSG_OOB)
    return WSAEOPNOTSUPP;
  if (s->state != MN_CONNECTED)
    return WSAENOTCONN;
  if (s->shut_send)
    return WSAESHUTDOWN;
  if (s->conn_error != 0)
    return s->conn_error;
  if (s->peer == NULL || s->peer_gone)
    return WSAECONNRESET;
  return 0;
}

int mn_stream_send(mn_socket *s, const WSABUF *bufs, DWORD n, LPDWORD sent,
                   DWORD flags, const wsp_notify *ovn) {
  int e = send_check(s, flags);
  if (e != 0)
    return e;
  mn_events_reenable(s, FD_WRITE);
  DWORD total = 0;
  for (DWORD i = 0; i < n; i++)
    total += bufs[i].len;
  if (ovn != NULL) {
    mn_socket *r = s->peer;
    if (s->sendq.head == NULL && total <= mn_ring_space(r)) {
      ring_write(r, bufs, n, 0, total);
      wsp_notify_start(ovn);
      wsp_notify_complete(&mn.up, ovn, 0, total, 0);
      *sent = total;
      mn_stream_flow(r);
      return 0;
    }
    wsp_op *op = wsp_op_new(ovn, bufs, n);
    if (op == NULL)
      return WSAENOBUFS;
    op->total = total;
    if (s->sendq.head == NULL)
      op->done = ring_write(r, bufs, n, 0, total);
    wsp_notify_start(ovn);
    wsp_opq_push(&s->sendq, op);
    mn_stream_flow(r);
    return WSA_IO_PENDING;
  }
  DWORD done = 0;
  for (;;) {
    if ((e = send_check(s, flags)) != 0)
      return e;
    if (s->sendq.head == NULL) {
      DWORD put = ring_write(s->peer, bufs, n, done, total - done);
      done += put;
      if (put > 0)
        mn_stream_flow(s->peer);
    }
    if (done == total) {
      *sent = done;
      return 0;
    }
    if (s->nonblocking) {
      if (done > 0) {
        *sent = done; /* a partial send */
        return 0;
      }
      s->ev.write_wanted = TRUE;
      return WSAEWOULDBLOCK;
    }
    if ((e = mn_wait(s, s->opt.sndtimeo)) != 0)
      return e;
  }
}

int mn_stream_recv(mn_socket *s, const WSABUF *bufs, DWORD n, LPDWORD got,
                   LPDWORD flags, const wsp_notify *ovn) {
  DWORD in = *flags;
  BOOL peek = (in & MSG_PEEK) != 0;
  if (in & MSG_OOB)
    return WSAEOPNOTSUPP;
  if (in & ~(DWORD)(MSG_PEEK | MSG_WAITALL))
    return WSAEOPNOTSUPP;
  if (s->state != MN_CONNECTED)
    return WSAENOTCONN;
  if (s->shut_recv)
    return WSAESHUTDOWN;
  if ((in & MSG_WAITALL) && (ovn != NULL || s->nonblocking))
    return WSAEOPNOTSUPP;
  *flags = 0;
  wsp_events_reenable(&s->ev, FD_READ); /* recorded again below if due */
  DWORD total = 0;
  for (DWORD i = 0; i < n; i++)
    total += bufs[i].len;
  if (ovn != NULL) {
    if (s->recvq.head == NULL &&
        (s->conn_error != 0 || s->ring_len > 0 || mn_stream_eof(s))) {
      if (s->conn_error != 0)
        return s->conn_error;
      DWORD bytes = ring_read(s, bufs, n, 0, total, peek);
      wsp_notify_start(ovn);
      wsp_notify_complete(&mn.up, ovn, 0, bytes, 0);
      *got = bytes;
      mn_stream_flow(s);
      return 0;
    }
    wsp_op *op = wsp_op_new(ovn, bufs, n);
    if (op == NULL)
      return WSAENOBUFS;
    op->total = total;
    op->flags = in;
    wsp_notify_start(ovn);
    wsp_opq_push(&s->recvq, op);
    mn_events_poll(s);
    return WSA_IO_PENDING;
  }
  DWORD done = 0;
  int e;
  for (;;) {
    if (s->shut_recv)
      return WSAESHUTDOWN;
    if (s->recvq.head == NULL) {
      if (s->conn_error != 0)
        return s->conn_error;
      if (s->ring_len > 0) {
        done += ring_read(s, bufs, n, done, total - done, peek);
        mn_stream_flow(s);
        if (!(in & MSG_WAITALL) || peek || done == total) {
          *got = done;
          return 0;
        }
        continue;
      }
      if (mn_stream_eof(s) || total == 0) {
        *got = done;
        return 0;
      }
    }
    if (s->nonblocking) {
      mn_events_poll(s);
      return WSAEWOULDBLOCK;
    }
    if ((e = mn_wait(s, s->opt.rcvtimeo)) != 0)
      return e;
  }
}

/* ---- The accept queue ---- */

static void q_push(mn_socket *l, mn_socket *e, BOOL front) {
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

static void q_remove(mn_socket *e) {
  mn_socket *l = e->listener;
  mn_socket *prev = NULL;
  for (mn_socket *x = l->q_head; x != NULL; prev = x, x = x->q_next) {
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

void mn_embryo_drop(mn_socket *e) {
  if (e->listener != NULL)
    q_remove(e);
  if (e->peer != NULL)
    e->peer->peer = NULL;
  e->peer = NULL;
  mn_socket_release(e);
}

/* A connect that did not happen: the socket is unconnected again. */
static void connect_fail(mn_socket *c, int err) {
  c->state = MN_FRESH;
  c->peer = NULL;
  c->connect_failed = TRUE;
  c->connect_error = err;
  if (c->nonblocking) {
    c->opt.so_error = err;
    wsp_events_connected(&c->ev, err);
  }
  mn_changed(c);
  mn_connect_resolved(c, err);
}

/* A conditional connect was accepted: the caller is connected. */
static void establish_client(mn_socket *c) {
  c->state = MN_CONNECTED;
  c->ev.write_wanted = TRUE;
  if (c->nonblocking) {
    wsp_events_connected(&c->ev, 0);
  }
  mn_changed(c);
  mn_connect_resolved(c, 0);
}

/* The connection ends before anyone read it: the other end is reset. */
static void reset_peer(mn_socket *p) {
  p->peer = NULL;
  p->conn_error = WSAECONNRESET;
  p->peer_gone = TRUE;
  p->ring_len = 0;
  p->ring_head = 0;
  wsp_opq_abort(&mn.up, &p->sendq, WSAECONNRESET);
  mn_stream_flow(p);
}

/* Refuses (conditional) or resets (established) queued connection e, out
 * of its queue, and frees it. */
static void embryo_reject(mn_socket *e) {
  mn_socket *c = e->peer;
  if (c != NULL) {
    c->peer = NULL;
    e->peer = NULL;
    if (e->state == MN_CONNECTING)
      connect_fail(c, WSAECONNREFUSED);
    else
      reset_peer(c);
  }
  mn_embryo_drop(e);
}

/* ---- Listen, connect, accept ---- */

int WSPAPI mn_WSPListen(SOCKET h, int backlog, LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = 0;
  if (s->type != SOCK_STREAM)
    e = WSAEOPNOTSUPP;
  else if (s->state == MN_CONNECTED || s->state == MN_CONNECTING)
    e = WSAEISCONN;
  else if (!s->bound || mn_acceptex_pending(s))
    e = WSAEINVAL;
  if (e == 0) {
    if (backlog > 200 || backlog == SOMAXCONN)
      backlog = 200;
    s->backlog = backlog < 1 ? 1 : backlog;
    s->state = MN_LISTENING;
    mn_changed(s);
  }
  mn_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

/* Queues a connection from c to listener l (established unless l is
 * conditional). */
static int connect_to(mn_socket *c, mn_socket *l, const wsp_addr *to) {
  mn_socket *e = mn_socket_new(c->af, SOCK_STREAM, c->protocol, &l->info);
  if (e == NULL)
    return WSAENOBUFS;
  if (c->ring == NULL)
    c->ring = malloc(MN_WINDOW);
  e->ring = malloc(MN_WINDOW);
  if (c->ring == NULL || e->ring == NULL) {
    mn_socket_release(e);
    return WSAENOBUFS;
  }
  c->ring_head = c->ring_len = 0;
  c->fin = c->peer_gone = FALSE;
  c->conn_error = 0;
  mn_source_addr(c, &c->local);
  c->remote = *to;
  e->bound = TRUE;
  e->accepted = TRUE;
  e->local = *to;
  e->remote = c->local;
  e->peer = c;
  c->peer = e;
  if (l->opt.conditional) {
    e->state = MN_CONNECTING;
    c->state = MN_CONNECTING;
  } else {
    e->state = MN_CONNECTED;
    c->state = MN_CONNECTED;
    c->ev.write_wanted = TRUE;
  }
  q_push(l, e, FALSE);
  mn_acceptex_serve(l);
  mn_changed(l);
  return 0;
}

int mn_stream_connect(mn_socket *s, const wsp_addr *to, BOOL overlapped) {
  if (s->state == MN_LISTENING || mn_acceptex_pending(s))
    return WSAEINVAL;
  if (s->state == MN_CONNECTED)
    return WSAEISCONN;
  if (s->state == MN_CONNECTING)
    return WSAEALREADY;
  int e = mn_check_destination(to);
  if (e == 0)
    e = mn_autobind(s);
  if (e != 0)
    return e;
  s->connect_failed = FALSE;
  s->connect_error = 0;
  mn_socket *l = mn_find_listener(to);
  if (l == NULL || l->q_len >= l->backlog) {
    connect_fail(s, WSAECONNREFUSED);
    return s->nonblocking && !overlapped ? WSAEWOULDBLOCK : WSAECONNREFUSED;
  }
  if ((e = connect_to(s, l, to)) != 0)
    return e;
  if (overlapped)
    return s->state == MN_CONNECTED ? 0 : WSA_IO_PENDING;
  if (s->state == MN_CONNECTED) {
    if (s->nonblocking) {
      wsp_events_connected(&s->ev, 0);
      mn_changed(s);
      return WSAEWOULDBLOCK;
    }
    mn_changed(s);
    return 0;
  }
  if (s->nonblocking)
    return WSAEWOULDBLOCK;
  while (s->state == MN_CONNECTING) {
    if ((e = mn_wait(s, 0)) != 0)
      return e;
  }
  return s->state == MN_CONNECTED ? 0 : s->connect_error;
}

int WSPAPI mn_WSPConnect(SOCKET h, const struct sockaddr *name, int namelen,
                         LPWSABUF caller, LPWSABUF callee, LPQOS sqos,
                         LPQOS gqos, LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = 0;
  wsp_addr to;
  if (sqos != NULL || gqos != NULL || (caller != NULL && caller->len > 0))
    e = WSAEOPNOTSUPP;
  else if (s->type == SOCK_DGRAM && name != NULL &&
           namelen >= (int)sizeof(name->sa_family) &&
           name->sa_family == AF_UNSPEC)
    e = mn_dgram_connect(s, NULL); /* dissolves the association */
  else if ((e = wsp_addr_parse(s->af, name, namelen, &to)) == 0)
    e = s->type == SOCK_STREAM ? mn_stream_connect(s, &to, FALSE)
                               : mn_dgram_connect(s, &to);
  if (e == 0 && callee != NULL)
    callee->len = 0;
  mn_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

/* Runs the condition function for queued connection e without the lock
 * (it may call back into memnet); e is out of the queue meanwhile. */
static int ask_condition(mn_socket *e, LPCONDITIONPROC cond, DWORD_PTR data) {
  wsp_addr caller = e->remote, callee = e->local;
  WSABUF caller_id, callee_id;
  caller_id.len = (ULONG)wsp_addr_len(e->af);
  caller_id.buf = (char *)&caller;
  callee_id.len = (ULONG)wsp_addr_len(e->af);
  callee_id.buf = (char *)&callee;
  GROUP g = 0;
  LeaveCriticalSection(&mn.lock);
  int verdict = cond(&caller_id, NULL, NULL, NULL, &callee_id, NULL, &g, data);
  EnterCriticalSection(&mn.lock);
  return verdict;
}

/* What the accepted socket takes from its listening socket. */
static void inherit(mn_socket *e, const mn_socket *l) {
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

static int accept_one(mn_socket *l, struct sockaddr *addr, LPINT addrlen,
                      LPCONDITIONPROC cond, DWORD_PTR data, SOCKET *out) {
  int e;
  if (l->type != SOCK_STREAM)
    return WSAEOPNOTSUPP;
  if (l->state != MN_LISTENING)
    return WSAEINVAL;
  if (addr != NULL && (addrlen == NULL || *addrlen < wsp_addr_len(l->af)))
    return WSAEFAULT;
  mn_socket *c;
  while ((c = l->q_head) == NULL) {
    if (l->nonblocking)
      return WSAEWOULDBLOCK;
    if ((e = mn_wait(l, 0)) != 0)
      return e;
    if (l->state != MN_LISTENING)
      return WSAEINVAL;
  }
  q_remove(c);
  if (cond != NULL) {
    int verdict = ask_condition(c, cond, data);
    if (l->closed) {
      embryo_reject(c);
      return WSAEINTR;
    }
    if (verdict == CF_DEFER) {
      q_push(l, c, TRUE);
      return WSATRY_AGAIN;
    }
    if (verdict == CF_REJECT) {
      embryo_reject(c);
      return WSAECONNREFUSED;
    }
    if (verdict != CF_ACCEPT) {
      q_push(l, c, TRUE);
      return WSAEINVAL;
    }
  }
  if (c->state == MN_CONNECTING && c->peer == NULL) {
    mn_embryo_drop(c); /* the caller gave up while we decided */
    return WSAECONNRESET;
  }
  inherit(c, l);
  if ((e = mn_socket_register(c)) != 0) {
    q_push(l, c, TRUE);
    return e;
  }
  if (c->state == MN_CONNECTING) { /* conditional: established now */
    c->state = MN_CONNECTED;
    establish_client(c->peer);
  }
  c->ev.write_wanted = TRUE;
  if (addr != NULL)
    wsp_addr_copy_out(&c->remote, addr, addrlen);
  else if (addrlen != NULL)
    *addrlen = wsp_addr_len(c->af);
  mn_events_poll(c);
  *out = c->handle;
  return 0;
}

SOCKET WSPAPI mn_WSPAccept(SOCKET h, struct sockaddr *addr, LPINT addrlen,
                           LPCONDITIONPROC cond, DWORD_PTR data, LPINT err) {
  mn_socket *l = mn_enter(h, err);
  if (l == NULL)
    return INVALID_SOCKET;
  SOCKET out = INVALID_SOCKET;
  int e = accept_one(l, addr, addrlen, cond, data, &out);
  /* accept re-enables FD_ACCEPT, unless the condition deferred. */
  if (e != WSATRY_AGAIN && !l->closed)
    mn_events_reenable(l, FD_ACCEPT);
  mn_leave(l);
  if (e != 0) {
    *err = e;
    return INVALID_SOCKET;
  }
  return out;
}

mn_socket *mn_stream_dequeue(mn_socket *l) {
  mn_socket *e = l->q_head;
  if (e != NULL)
    q_remove(e);
  return e;
}

int mn_stream_adopt(mn_socket *a, mn_socket *e) {
  mn_socket *client = e->peer;
  BOOL pending = e->state == MN_CONNECTING;
  if (pending && client == NULL) {
    mn_embryo_drop(e); /* the caller gave up */
    return WSAECONNRESET;
  }
  free(a->ring);
  a->ring = e->ring;
  e->ring = NULL;
  a->ring_head = e->ring_head;
  a->ring_len = e->ring_len;
  a->fin = e->fin;
  a->peer_gone = e->peer_gone;
  a->conn_error = e->conn_error;
  a->local = e->local;
  a->remote = e->remote;
  a->bound = TRUE;
  a->accepted = TRUE;
  a->state = MN_CONNECTED;
  a->peer = client;
  if (client != NULL)
    client->peer = a;
  e->peer = NULL;
  mn_socket_release(e);
  if (pending)
    establish_client(client);
  a->ev.write_wanted = TRUE;
  mn_changed(a);
  return 0;
}

/* ---- Shutdown and close ---- */

static void shut_send(mn_socket *s) {
  if (s->shut_send)
    return;
  s->shut_send = TRUE;
  if (s->type == SOCK_STREAM && s->peer != NULL) {
    s->peer->fin = TRUE;
    mn_stream_flow(s->peer);
  }
}

int WSPAPI mn_WSPShutdown(SOCKET h, int how, LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = 0;
  if (how != SD_RECEIVE && how != SD_SEND && how != SD_BOTH)
    e = WSAEINVAL;
  else if (s->type == SOCK_STREAM && s->state != MN_CONNECTED)
    e = WSAENOTCONN;
  if (e == 0) {
    if (how != SD_SEND)
      s->shut_recv = TRUE;
    if (how != SD_RECEIVE)
      shut_send(s);
    mn_changed(s);
  }
  mn_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

int WSPAPI mn_WSPRecvDisconnect(SOCKET h, LPWSABUF data, LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = 0;
  if (s->type != SOCK_STREAM || s->state != MN_CONNECTED)
    e = WSAENOTCONN;
  if (e == 0) {
    s->shut_recv = TRUE;
    if (data != NULL)
      data->len = 0; /* no disconnect data, ever */
    mn_changed(s);
  }
  mn_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

int WSPAPI mn_WSPSendDisconnect(SOCKET h, LPWSABUF data, LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = 0;
  if (s->type != SOCK_STREAM || s->state != MN_CONNECTED)
    e = WSAENOTCONN;
  else if (data != NULL && data->len > 0)
    e = WSAENOPROTOOPT;
  if (e == 0) {
    shut_send(s);
    mn_changed(s);
  }
  mn_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

void mn_stream_close(mn_socket *s, BOOL reset) {
  if (s->state == MN_LISTENING) {
    while (s->q_head != NULL)
      embryo_reject(s->q_head);
    return;
  }
  if (s->connect_op != NULL) { /* a ConnectEx in flight */
    wsp_op *op = s->connect_op;
    s->connect_op = NULL;
    wsp_notify_complete(&mn.up, &op->note, WSA_OPERATION_ABORTED, 0, 0);
    free(op);
  }
  mn_socket *p = s->peer;
  if (p == NULL)
    return;
  s->peer = NULL;
  p->peer = NULL;
  if (p->state == MN_CONNECTING) { /* a connect still waiting for accept */
    mn_socket *l = p->listener;
    if (l != NULL) {
      mn_embryo_drop(p);
      mn_changed(l);
    }
    return;
  }
  if (reset || s->ring_len > 0) {
    reset_peer(p);
    return;
  }
  p->fin = TRUE;
  p->peer_gone = TRUE;
  wsp_opq_abort(&mn.up, &p->sendq, WSAECONNRESET);
  mn_stream_flow(p);
}
