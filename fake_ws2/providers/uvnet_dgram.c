/* uvnet_dgram.c: uvnet's datagrams: the loop thread's datagram callbacks,
 * sending, the bounded receive queue, receiving with truncation, and
 * connected datagram sockets.
 *
 * A datagram the loop receives goes whole to a pending overlapped receive
 * or into the socket's queue, or nowhere: it is dropped, as UDP drops it,
 * when the queue is full (SO_RCVBUF bytes, WSP_DGRAM_QUEUE_MAX datagrams;
 * an empty queue takes any datagram) or the socket was shut down for
 * receiving. Sending copies the datagram for the loop and completes at
 * once; only when un_send_limit bytes are waiting for the kernel does a
 * blocking send wait (a non-blocking one fails with WSAEWOULDBLOCK). A
 * receive takes one datagram: a buffer too small gets its first part,
 * MSG_PARTIAL and WSAEMSGSIZE (an overlapped receive completes with that
 * error, and notifies). An unbound socket is bound to the wildcard (the
 * kernel's loopback) and an ephemeral port by its first send or connect;
 * it receives once bound. A connected socket hears only its peer (the
 * kernel filters).
 *
 * Not supported: broadcast, multicast, ICMP port-unreachable reports
 * (SIO_UDP_CONNRESET), out-of-band flags.
 */
#include <stdlib.h>
#include <string.h>

#include "uvnet_internal.h"

/* A datagram's data is a block of the loop's. */
static void release(wsp_dgram *d) {
  uvl_buf_free(un.loop, d->data);
  free(d);
}

void un_dgram_free_queue(un_socket *s) {
  wsp_dgramq_free(&s->dq, release);
}

/* Serves pending overlapped receives from the queue. */
static void serve(un_socket *s) {
  wsp_dgramq_serve(&un.up, &s->dq, release, &s->recvq);
}

/* ---- The loop's callbacks (loop thread) ---- */

static void cb_datagram(void *ctx, char *data, size_t len,
                        const uvl_addr *from) {
  un_socket *s = ctx;
  un_wakes wakes;
  un_cb_enter(&wakes);
  wsp_dgram *d = NULL;
  BOOL full = wsp_dgramq_full(&s->dq, (DWORD)len, s->opt.rcvbuf);
  if (!s->closed && !s->shut_recv && !full && len <= WSP_DGRAM_MAX)
    d = malloc(sizeof *d);
  if (d == NULL) {
    uvl_buf_free(un.loop, data); /* dropped, as UDP does */
  } else {
    un_addr_from_uvl(from, &d->from);
    d->data = data;
    d->len = (DWORD)len;
    wsp_dgramq_push(&s->dq, d);
    serve(s);
    un_changed(s);
  }
  un_cb_leave(&wakes);
}

static void cb_written(void *ctx, size_t len, int status) {
  un_socket *s = ctx;
  (void)status; /* a datagram's fate is not reported */
  un_wakes wakes;
  un_cb_enter(&wakes);
  s->wpending = len < s->wpending ? s->wpending - (DWORD)len : 0;
  if (!s->closed)
    un_changed(s);
  un_cb_leave(&wakes);
}

const uvl_callbacks un_dgram_callbacks = {
    .datagram = cb_datagram,
    .written = cb_written,
    .closed = un_io_closed,
};

/* ---- Sending and receiving ---- */

int un_dgram_send(un_socket *s, const WSABUF *bufs, DWORD n, LPDWORD sent,
                  DWORD flags, const wsp_addr *to, const wsp_notify *ovn) {
  wsp_addr dest;
  BOOL to_peer; /* the kernel's default peer */
  int e;
  if (flags & MSG_OOB)
    return WSAEOPNOTSUPP;
  if (s->shut_send)
    return WSAESHUTDOWN;
  if (to == NULL) {
    if (s->state != UN_CONNECTED)
      return WSAENOTCONN;
    dest = s->remote;
    to_peer = TRUE;
  } else {
    if (s->state == UN_CONNECTED && !wsp_addr_equal(to, &s->remote))
      return WSAEISCONN;
    dest = *to;
    to_peer = s->state == UN_CONNECTED;
  }
  if ((e = un_check_destination(&dest)) != 0)
    return e;
  DWORD total = 0;
  for (DWORD i = 0; i < n; i++)
    total += bufs[i].len;
  if (total > WSP_DGRAM_MAX)
    return WSAEMSGSIZE;
  if ((e = un_autobind(s)) != 0)
    return e;
  un_events_reenable(s, FD_WRITE);
  while (s->wpending > 0 && total > un_send_room(s)) {
    if (s->nonblocking) {
      s->ev.write_wanted = TRUE;
      return WSAEWOULDBLOCK;
    }
    if ((e = un_wait(s, s->opt.sndtimeo)) != 0)
      return e;
  }
  if (s->io == NULL)
    return WSAENOTSOCK;
  char *buf = uvl_buf_new(un.loop, total);
  if (buf == NULL)
    return WSAENOBUFS;
  wsp_bufs_get(bufs, n, 0, buf, total);
  s->wpending += total;
  uvl_addr k;
  un_addr_to_uvl(&dest, &k);
  uvl_send(s->io, buf, total, to_peer ? NULL : &k);
  if (ovn != NULL) {
    wsp_notify_start(ovn);
    wsp_notify_complete(&un.up, ovn, 0, total, 0);
  }
  *sent = total;
  return 0;
}

int un_dgram_recv(un_socket *s, const WSABUF *bufs, DWORD n, LPDWORD got,
                  LPDWORD flags, struct sockaddr *from, LPINT fromlen,
                  const wsp_notify *ovn) {
  DWORD in = *flags;
  BOOL peek = (in & MSG_PEEK) != 0;
  if (in & ~(DWORD)MSG_PEEK)
    return WSAEOPNOTSUPP; /* MSG_OOB, MSG_WAITALL */
  if (!s->bound)
    return WSAEINVAL;
  if (s->shut_recv)
    return WSAESHUTDOWN;
  wsp_events_reenable(&s->ev, FD_READ); /* recorded again below if due */
  DWORD total = 0;
  for (DWORD i = 0; i < n; i++)
    total += bufs[i].len;
  DWORD bytes = 0, out_flags = 0;
  int e;
  if (ovn != NULL) {
    if (s->recvq.head == NULL && s->dq.head != NULL) {
      e = wsp_dgramq_take(&s->dq, release, bufs, n, total, peek, from, fromlen,
                          &bytes, &out_flags);
      wsp_notify_start(ovn);
      wsp_notify_complete(&un.up, ovn, (DWORD)e, bytes, out_flags);
      *got = bytes;
      *flags = out_flags;
      un_changed(s);
      return e;
    }
    wsp_op *op = wsp_op_new(ovn, bufs, n);
    if (op == NULL)
      return WSAENOBUFS;
    op->flags = in;
    op->from = from;
    op->fromlen = fromlen;
    *flags = 0;
    wsp_notify_start(ovn);
    wsp_opq_push(&s->recvq, op);
    un_events_poll(s);
    return WSA_IO_PENDING;
  }
  for (;;) {
    if (s->shut_recv)
      return WSAESHUTDOWN;
    if (s->recvq.head == NULL && s->dq.head != NULL) {
      e = wsp_dgramq_take(&s->dq, release, bufs, n, total, peek, from, fromlen,
                          &bytes, &out_flags);
      *got = bytes;
      *flags = out_flags;
      un_changed(s);
      return e;
    }
    if (s->nonblocking) {
      un_events_poll(s);
      return WSAEWOULDBLOCK;
    }
    if ((e = un_wait(s, s->opt.rcvtimeo)) != 0)
      return e;
  }
}

int un_dgram_connect(un_socket *s, const wsp_addr *to) {
  int e;
  uvl_addr k;
  if (to != NULL) {
    if ((e = un_check_destination(to)) != 0 || (e = un_autobind(s)) != 0)
      return e;
    un_addr_to_uvl(to, &k);
  }
  uvl_sock *io = un_io_begin(s);
  int r = io == NULL ? UVL_EINVAL : uvl_udp_connect(io, to != NULL ? &k : NULL);
  un_io_end(s);
  if (s->closed)
    return WSAEINTR;
  if (r != 0)
    return un_wsa_error(r);
  if (to != NULL) {
    s->remote = *to;
    s->state = UN_CONNECTED;
  } else {
    s->state = UN_FRESH;
    memset(&s->remote, 0, sizeof s->remote);
  }
  un_changed(s);
  return 0;
}
