/* wsp_dgram.c: a datagram socket's queue of received datagrams: the
 * bound on it, taking one whole (or its first part) into a receive's
 * buffers, and serving queued overlapped receives (wsp_common.h documents
 * each function).
 */
#include <stdlib.h>

#include "wsp_common.h"

BOOL wsp_dgramq_full(const wsp_dgramq *q, DWORD len, int rcvbuf) {
  return q->count >= WSP_DGRAM_QUEUE_MAX ||
         (q->count > 0 && q->bytes + len > (DWORD)rcvbuf);
}

void wsp_dgramq_push(wsp_dgramq *q, wsp_dgram *d) {
  d->next = NULL;
  if (q->tail != NULL)
    q->tail->next = d;
  else
    q->head = d;
  q->tail = d;
  q->bytes += d->len;
  q->count++;
}

int wsp_dgramq_take(wsp_dgramq *q, wsp_dgram_release_fn release,
                    const WSABUF *bufs, DWORD n, DWORD total, BOOL peek,
                    struct sockaddr *from, LPINT fromlen, DWORD *bytes,
                    DWORD *out_flags) {
  wsp_dgram *d = q->head;
  *bytes = wsp_bufs_put(bufs, n, 0, d->data, d->len < total ? d->len : total);
  if (from != NULL)
    wsp_addr_copy_out(&d->from, from, fromlen);
  BOOL truncated = d->len > total;
  *out_flags = truncated ? MSG_PARTIAL : 0;
  if (!peek) {
    q->head = d->next;
    if (q->head == NULL)
      q->tail = NULL;
    q->bytes -= d->len;
    q->count--;
    release(d);
  }
  return truncated ? WSAEMSGSIZE : 0;
}

void wsp_dgramq_serve(const WSPUPCALLTABLE *up, wsp_dgramq *q,
                      wsp_dgram_release_fn release, wsp_opq *recvq) {
  while (recvq->head != NULL && q->head != NULL) {
    wsp_op *op = wsp_opq_pop(recvq);
    DWORD bytes, flags;
    int e = wsp_dgramq_take(q, release, op->bufs, op->nbufs, op->total,
                            (op->flags & MSG_PEEK) != 0, op->from, op->fromlen,
                            &bytes, &flags);
    wsp_notify_complete(up, &op->note, (DWORD)e, bytes, flags);
    free(op);
  }
}

void wsp_dgramq_free(wsp_dgramq *q, wsp_dgram_release_fn release) {
  wsp_dgram *d = q->head;
  while (d != NULL) {
    wsp_dgram *next = d->next;
    release(d);
    d = next;
  }
  q->head = q->tail = NULL;
  q->bytes = q->count = 0;
}
