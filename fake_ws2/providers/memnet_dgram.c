/* memnet_dgram.c: memnet's datagrams: sending to the socket bound to the
 * destination, the bounded receive queue, receiving with truncation, and
 * connected datagram sockets.
 *
 * A datagram goes whole into the queue of the datagram socket bound to its
 * destination (an exact address before the wildcard), or nowhere: it is
 * dropped, as UDP drops it, when no socket is bound there, when the
 * receiver is connected to another address, or when its queue is full
 * (SO_RCVBUF bytes, WSP_DGRAM_QUEUE_MAX datagrams; an empty queue takes any
 * datagram). Sending never blocks. A receive takes one datagram: a buffer
 * too small gets its first part, MSG_PARTIAL and WSAEMSGSIZE (an
 * overlapped receive completes with that error, and notifies). An unbound
 * socket is bound to the wildcard and an ephemeral port by its first send
 * or connect; its datagrams come from loopback.
 *
 * Not supported: broadcast, multicast, ICMP port-unreachable reports
 * (SIO_UDP_CONNRESET), out-of-band flags.
 */
#include <stdlib.h>
#include <string.h>

#include "memnet_internal.h"

DWORD mn_dgram_queued_bytes(const mn_socket *s) {
  return s->dq.bytes;
}

/* A datagram and its data are one block. */
static void release(wsp_dgram *d) {
  free(d);
}

void mn_dgram_free_queue(mn_socket *s) {
  wsp_dgramq_free(&s->dq, release);
}

void mn_dgram_flow(mn_socket *s) {
  wsp_dgramq_serve(&mn.up, &s->dq, release, &s->recvq);
  mn_changed(s);
}

/* Queues a datagram from src on r, or drops it. */
static void deliver(mn_socket *r, const wsp_addr *src, const WSABUF *bufs,
                    DWORD n, DWORD total) {
  if (r->shut_recv)
    return;
  if (r->state == MN_CONNECTED && !wsp_addr_equal(&r->remote, src))
    return;
  if (wsp_dgramq_full(&r->dq, total, r->opt.rcvbuf))
    return; /* full: dropped, as UDP does */
  wsp_dgram *d = malloc(sizeof *d + total);
  if (d == NULL)
    return;
  d->from = *src;
  d->data = (char *)(d + 1);
  d->len = wsp_bufs_get(bufs, n, 0, d->data, total);
  wsp_dgramq_push(&r->dq, d);
  mn_dgram_flow(r);
}

int mn_dgram_send(mn_socket *s, const WSABUF *bufs, DWORD n, LPDWORD sent,
                  DWORD flags, const wsp_addr *to, const wsp_notify *ovn) {
  wsp_addr dest;
  int e;
  if (flags & MSG_OOB)
    return WSAEOPNOTSUPP;
  if (s->shut_send)
    return WSAESHUTDOWN;
  if (to == NULL) {
    if (s->state != MN_CONNECTED)
      return WSAENOTCONN;
    dest = s->remote;
  } else {
    if (s->state == MN_CONNECTED && !wsp_addr_equal(to, &s->remote))
      return WSAEISCONN;
    dest = *to;
  }
  if ((e = mn_check_destination(&dest)) != 0)
    return e;
  DWORD total = 0;
  for (DWORD i = 0; i < n; i++)
    total += bufs[i].len;
  if (total > WSP_DGRAM_MAX)
    return WSAEMSGSIZE;
  if ((e = mn_autobind(s)) != 0)
    return e;
  mn_events_reenable(s, FD_WRITE);
  wsp_addr src;
  mn_source_addr(s, &src);
  mn_socket *r = mn_find_dgram(&dest);
  if (r != NULL)
    deliver(r, &src, bufs, n, total);
  if (ovn != NULL) {
    wsp_notify_start(ovn);
    wsp_notify_complete(&mn.up, ovn, 0, total, 0);
  }
  *sent = total;
  return 0;
}

int mn_dgram_recv(mn_socket *s, const WSABUF *bufs, DWORD n, LPDWORD got,
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
      wsp_notify_complete(&mn.up, ovn, (DWORD)e, bytes, out_flags);
      *got = bytes;
      *flags = out_flags;
      mn_changed(s);
      return e;
    }
    wsp_op *op = wsp_op_new(ovn, bufs, n);
    if (op == NULL)
      return WSAENOBUFS;
    op->total = total;
    op->flags = in;
    op->from = from;
    op->fromlen = fromlen;
    *flags = 0;
    wsp_notify_start(ovn);
    wsp_opq_push(&s->recvq, op);
    mn_events_poll(s);
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
      mn_changed(s);
      return e;
    }
    if (s->nonblocking) {
      mn_events_poll(s);
      return WSAEWOULDBLOCK;
    }
    if ((e = mn_wait(s, s->opt.rcvtimeo)) != 0)
      return e;
  }
}

int mn_dgram_connect(mn_socket *s, const wsp_addr *to) {
  if (to == NULL) {
    s->state = MN_FRESH;
    memset(&s->remote, 0, sizeof s->remote);
    mn_changed(s);
    return 0;
  }
  int e = mn_check_destination(to);
  if (e == 0)
    e = mn_autobind(s);
  if (e != 0)
    return e;
  s->remote = *to;
  s->state = MN_CONNECTED;
  mn_changed(s);
  return 0;
}
