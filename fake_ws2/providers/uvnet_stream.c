/* uvnet_stream.c: uvnet's stream data: the loop thread's data callbacks
 * (read, lend/filled, read_end, written), stream send and receive, and
 * the stream callback table (the connection callbacks are in
 * uvnet_conn.c).
 *
 * Receiving: the loop reads the kernel socket into blocks it hands over
 * (cb_read); they queue on the socket until read, serving pending
 * overlapped receives first. While nothing is queued, the loop reads
 * straight into the buffer of the first pending overlapped receive, or of
 * a blocked receiver (cb_lend, cb_filled: no copy). A receive that finds
 * nothing queued, lent or pending reads the kernel socket itself while no
 * thread runs the loop (read_direct: no copy either). Once the queue holds
 * un_recv_limit bytes the loop stops reading (the kernel's window then
 * closes, as a real receiver's does) until a receive makes room. The
 * peer's FIN ends the stream after the queued bytes; a reset (or another
 * error) breaks the connection: queued bytes are dropped and every call
 * fails with it.
 *
 * Sending: a send of up to UN_DIRECT_MAX bytes made while nothing of the
 * socket waits in the loop and no overlapped send is queued is written by
 * the caller's thread itself (write_direct: Linux; no copy, no hop to the
 * loop); it owns the stream (wbusy) until what the kernel did not take is
 * handed to the loop, so that no other send comes between its parts.
 * Otherwise, and for that rest, sending copies the caller's bytes (outside
 * the lock) into write buffers for the loop, up to un_send_limit bytes not
 * yet written by the kernel: a
 * non-blocking send that does not fit sends part (or fails with
 * WSAEWOULDBLOCK when nothing fits); a blocking one waits for the loop's
 * writes; an overlapped one completes at once when it fits, else once all
 * its bytes are copied. shutdown(SD_SEND) sends the FIN after what was
 * written; closesocket closes gracefully (the kernel finishes the writes,
 * then the FIN), or resets with SO_LINGER {1, 0} or unread data, as TCP
 * does.
 *
 * Not supported: out-of-band data, MSG_WAITALL except on blocking
 * non-overlapped receives (see uvnet.c).
 */
#include <stdlib.h>
#include <string.h>

#include "uvnet_internal.h"

static DWORD min_dw(DWORD a, DWORD b) {
  return a < b ? a : b;
}

/* ---- Received bytes ---- */

BOOL un_stream_eof(const un_socket *s) {
  return s->fin && s->rq_bytes == 0;
}

void un_stream_free_queue(un_socket *s) {
  un_chunk *c = s->rq_head;
  while (c != NULL) {
    un_chunk *next = c->next;
    uvl_buf_free(un.loop, c->data);
    free(c);
    c = next;
  }
  s->rq_head = s->rq_tail = NULL;
  s->rq_bytes = 0;
}

static BOOL rq_push(un_socket *s, char *data, DWORD len) {
  un_chunk *c = malloc(sizeof *c);
  if (c == NULL) {
    uvl_buf_free(un.loop, data);
    return FALSE;
  }
  c->next = NULL;
  c->data = data;
  c->len = len;
  c->off = 0;
  if (s->rq_tail != NULL)
    s->rq_tail->next = c;
  else
    s->rq_head = c;
  s->rq_tail = c;
  s->rq_bytes += len;
  return TRUE;
}

/* Copies up to len queued bytes into the buffers (from offset at),
 * consuming them unless peek. */
static DWORD rq_read(un_socket *s, const WSABUF *bufs, DWORD n, DWORD at,
                     DWORD len, BOOL peek) {
  DWORD done = 0;
  un_chunk *c = s->rq_head;
  DWORD off = c != NULL ? c->off : 0;
  while (c != NULL && done < len) {
    DWORD k = min_dw(c->len - off, len - done);
    wsp_bufs_put(bufs, n, at + done, c->data + off, k);
    done += k;
    off += k;
    if (off < c->len)
      break;
    un_chunk *next = c->next;
    if (!peek) {
      s->rq_head = next;
      if (next == NULL)
        s->rq_tail = NULL;
      uvl_buf_free(un.loop, c->data);
      free(c);
    }
    c = next;
    off = 0;
  }
  if (!peek) {
    if (c != NULL)
      c->off = off;
    s->rq_bytes -= done;
  }
  return done;
}

/* Completes the pending overlapped receives that can complete. */
static void serve_recvs(un_socket *s) {
  while (s->recvq.head != NULL) {
    wsp_op *op = s->recvq.head;
    DWORD err = 0, bytes = 0;
    if (s->conn_error != 0)
      err = (DWORD)s->conn_error;
    else if (s->rq_bytes > 0)
      bytes = rq_read(s, op->bufs, op->nbufs, 0, op->total,
                      (op->flags & MSG_PEEK) != 0);
    else if (!s->fin)
      break;
    wsp_opq_pop(&s->recvq);
    wsp_notify_complete(&un.up, &op->note, err, bytes, 0);
    free(op);
  }
}

/* Reading starts again once the queue has room. */
static void resume(un_socket *s) {
  if (s->paused && s->io != NULL && s->rq_bytes < un_recv_limit(s)) {
    s->paused = FALSE;
    uvl_read_start(s->io);
  }
}

/* ---- Sending ---- */

/* Hands up to len bytes of the buffers (from offset at) to the loop: what
 * fits in the send buffer, or everything when force. */
static DWORD push(un_socket *s, const WSABUF *bufs, DWORD n, DWORD at,
                  DWORD len, BOOL force) {
  if (!force)
    len = min_dw(len, un_send_room(s));
  if (len == 0 || s->io == NULL)
    return 0;
  char *buf = uvl_buf_new(un.loop, len);
  if (buf == NULL)
    return 0;
  wsp_bufs_get(bufs, n, at, buf, len);
  s->wpending += len;
  uvl_write(s->io, buf, len);
  return len;
}

/* The room a send that owns the stream (wbusy) may use. */
static DWORD owner_room(const un_socket *s) {
  DWORD limit = un_send_limit(s);
  return s->wpending < limit ? limit - s->wpending : 0;
}

/* push for a caller's thread: the copy is made without the lock (the
 * loop's callbacks need it meanwhile). The room is reserved first and the
 * kernel socket kept (un_io_begin) until the write is asked for, so a
 * closesocket meanwhile closes it after the write. The caller owns the
 * stream (wbusy), so that sends reach the loop in the order they took it
 * and the parts of one send stay together. */
static DWORD push_unlocked(un_socket *s, const WSABUF *bufs, DWORD n, DWORD at,
                           DWORD len) {
  len = min_dw(len, owner_room(s));
  if (len == 0 || s->io == NULL)
    return 0;
  s->wpending += len;
  uvl_sock *io = un_io_begin(s);
  char *buf = io != NULL ? uvl_buf_new(un.loop, len) : NULL;
  if (buf != NULL) {
    wsp_bufs_get(bufs, n, at, buf, len);
    uvl_write(io, buf, len);
  }
  un_io_end(s);
  if (buf == NULL) {
    s->wpending -= len;
    return 0;
  }
  return len;
}

/* Moves queued overlapped sends to the loop, completing those whose bytes
 * are all handed over. */
static void flow_sends(un_socket *s, BOOL force) {
  while (s->sendq.head != NULL) {
    wsp_op *op = s->sendq.head;
    op->done +=
        push(s, op->bufs, op->nbufs, op->done, op->total - op->done, force);
    if (op->done < op->total)
      break;
    wsp_opq_pop(&s->sendq);
    wsp_notify_complete(&un.up, &op->note, 0, op->total, 0);
    free(op);
  }
}

/* Direct writing: a send of up to UN_DIRECT_MAX bytes, while nothing of s
 * waits in the loop and no overlapped send is queued, is written by the
 * caller's thread itself, straight from the caller's buffers, as far as
 * the kernel takes it at once (uvl_try_write, outside the lock: no copy, no
 * hop to the loop thread). The send then owns the stream (wbusy, *owner)
 * until write_release, after it has handed the rest to the loop, so that
 * no other send comes between its parts. Larger sends go to the loop,
 * which writes one while the caller copies the next. Measured with
 * bench_uvnet: while the loop had a thread of its own, handing 64 KiB
 * sends to it was cheaper than writing them directly; since the waiting
 * thread drives the loop (wpu/iodriver.h) and does the loop's writes
 * itself anyway, direct writing of 64 KiB sends is 3-7 % faster (no copy,
 * no request). Returns the bytes written. */
static DWORD write_direct(un_socket *s, const WSABUF *bufs, DWORD n,
                          DWORD total, BOOL *owner) {
  uvl_iov iov[UVL_IOV_MAX];
  *owner = FALSE;
  if (total == 0 || total > UN_DIRECT_MAX || n > UVL_IOV_MAX || s->wbusy ||
      s->wpending != 0 || s->sendq.head != NULL || s->io == NULL || s->io_close)
    return 0;
  for (DWORD i = 0; i < n; i++) {
    iov[i].base = bufs[i].buf;
    iov[i].len = bufs[i].len;
  }
  s->wbusy = TRUE;
  *owner = TRUE;
  uvl_sock *io = un_io_begin(s);
  long r = io != NULL ? uvl_try_write(io, iov, n) : 0;
  un_io_end(s);
  /* An error is the loop's to report: the rest goes its way. */
  return r > 0 ? (DWORD)r : 0;
}

/* The owner of the stream is done: queued sends go on, senders that found
 * the stream busy wake. */
static void write_release(un_socket *s) {
  s->wbusy = FALSE;
  flow_sends(s, FALSE);
  if (s->fin_after) { /* a shutdown came meanwhile: the FIN follows now */
    s->fin_after = FALSE;
    if (s->io != NULL) {
      un_stream_flush(s);
      uvl_shutdown(s->io);
    }
  }
  un_changed(s);
}

/* The connection is broken (reset, or another error): what was received
 * is dropped and every pending operation fails with err. */
static void broken(un_socket *s, int err) {
  if (s->conn_error != 0)
    return;
  s->conn_error = err;
  un_stream_free_queue(s);
  wsp_opq_abort(&un.up, &s->sendq, (DWORD)err);
  serve_recvs(s);
}

/* ---- The loop's callbacks (loop thread) ---- */

static int cb_read(void *ctx, char *data, size_t len) {
  un_socket *s = ctx;
  un_wakes wakes;
  un_cb_enter(&wakes);
  int more = 0;
  if (s->closed || s->conn_error != 0) {
    uvl_buf_free(un.loop, data);
  } else if (!rq_push(s, data, (DWORD)len)) {
    broken(s, WSAENOBUFS);
    un_changed(s);
  } else {
    serve_recvs(s);
    more = s->rq_bytes < un_recv_limit(s);
    s->paused = !more;
    un_changed(s);
  }
  un_cb_leave(&wakes);
  return more;
}

static void cb_read_end(void *ctx, int err) {
  un_socket *s = ctx;
  un_wakes wakes;
  un_cb_enter(&wakes);
  if (!s->closed) {
    if (err == UVL_EOF) {
      s->fin = TRUE;
      serve_recvs(s);
    } else {
      broken(s, un_wsa_error(err));
    }
    un_changed(s);
  }
  un_cb_leave(&wakes);
}

static void cb_written(void *ctx, size_t len, int status) {
  un_socket *s = ctx;
  un_wakes wakes;
  un_cb_enter(&wakes);
  if (!s->closed) {
    s->wpending = len < s->wpending ? s->wpending - (DWORD)len : 0;
    if (status != 0 && status != UVL_ECANCELED)
      broken(s, un_wsa_error(status));
    else
      flow_sends(s, FALSE);
    un_changed(s);
  }
  un_cb_leave(&wakes);
}

/* The buffer the loop's next read may go straight into: only while
 * nothing is queued (bytes stay in order) and the receive does not peek. */
static char *cb_lend(void *ctx, size_t *len) {
  un_socket *s = ctx;
  char *buf = NULL;
  un_wakes wakes;
  un_cb_enter(&wakes);
  wsp_op *op = s->recvq.head;
  if (s->closed || s->conn_error != 0 || s->fin || s->rq_bytes > 0 ||
      s->lent != UN_LENT_NONE) {
    /* not now */
  } else if (op != NULL) {
    if (!(op->flags & MSG_PEEK) && op->nbufs > 0 && op->bufs[0].len > 0) {
      buf = op->bufs[0].buf;
      *len = op->bufs[0].len;
      s->lent = UN_LENT_OP;
      s->lent_op = op;
    }
  } else if (s->reader != NULL && !s->reader->lent && s->reader->got == 0) {
    buf = s->reader->buf;
    *len = s->reader->len;
    s->reader->lent = TRUE;
    s->lent = UN_LENT_READER;
  }
  un_cb_leave(&wakes);
  return buf;
}

static int cb_filled(void *ctx, char *buf, size_t n) {
  un_socket *s = ctx;
  (void)buf;
  un_wakes wakes;
  un_cb_enter(&wakes);
  int lent = s->lent;
  s->lent = UN_LENT_NONE;
  if (lent == UN_LENT_OP) {
    wsp_op *op = s->lent_op;
    s->lent_op = NULL;
    if (s->lent_op_aborted) { /* closesocket took it out of the queue */
      s->lent_op_aborted = FALSE;
      wsp_notify_complete(&un.up, &op->note, WSA_OPERATION_ABORTED, 0, 0);
      free(op);
    } else if (n > 0) {
      wsp_opq_pop(&s->recvq); /* op, the head */
      wsp_notify_complete(&un.up, &op->note, 0, (DWORD)n, 0);
      free(op);
    }
  } else if (lent == UN_LENT_READER && s->reader != NULL) {
    s->reader->lent = FALSE;
    s->reader->got = (DWORD)n; /* filled once: not lent again */
  }
  un_changed(s);
  int more = !s->closed;
  un_cb_leave(&wakes);
  return more;
}

void un_stream_unlend(un_socket *s) {
  if (s->lent == UN_LENT_OP && !s->lent_op_aborted) {
    wsp_opq_pop(&s->recvq); /* the lent op is the head */
    s->lent_op_aborted = TRUE;
  }
}

const uvl_callbacks un_stream_callbacks = {
    .read = cb_read,
    .lend = cb_lend,
    .filled = cb_filled,
    .read_end = cb_read_end,
    .written = cb_written,
    .connected = un_conn_connected,
    .accepted = un_conn_accepted,
    .closed = un_io_closed,
};

/* ---- Sending and receiving ---- */

static int send_check(const un_socket *s, DWORD flags) {
  if (flags & MSG_OOB)
    return WSAEOPNOTSUPP;
  if (s->state != UN_CONNECTED)
    return WSAENOTCONN;
  if (s->shut_send)
    return WSAESHUTDOWN;
  if (s->conn_error != 0)
    return s->conn_error;
  return 0;
}

int un_stream_send(un_socket *s, const WSABUF *bufs, DWORD n, LPDWORD sent,
                   DWORD flags, const wsp_notify *ovn) {
  int e = send_check(s, flags);
  if (e != 0)
    return e;
  un_events_reenable(s, FD_WRITE);
  DWORD total = 0;
  for (DWORD i = 0; i < n; i++)
    total += bufs[i].len;
  BOOL owner;
  DWORD done = write_direct(s, bufs, n, total, &owner);
  if (ovn != NULL) {
    DWORD rest = total - done;
    if ((owner || s->sendq.head == NULL) &&
        rest <= (owner ? owner_room(s) : un_send_room(s))) {
      if (!owner && rest > 0) {
        s->wbusy = TRUE;
        owner = TRUE;
      }
      BOOL failed = push_unlocked(s, bufs, n, done, rest) < rest;
      if (owner)
        write_release(s);
      if (failed)
        return s->closed ? WSAEINTR : WSAENOBUFS;
      wsp_notify_start(ovn);
      wsp_notify_complete(&un.up, ovn, 0, total, 0);
      *sent = total;
      return 0;
    }
    wsp_op *op = wsp_op_new(ovn, bufs, n);
    if (op == NULL) {
      if (owner)
        write_release(s);
      return WSAENOBUFS;
    }
    wsp_notify_start(ovn);
    op->done = done;
    if (owner) { /* first, before sends queued while it wrote */
      wsp_opq_push_front(&s->sendq, op);
      write_release(s);
    } else {
      if (s->sendq.head == NULL)
        op->done = push(s, bufs, n, 0, total, FALSE);
      wsp_opq_push(&s->sendq, op);
    }
    return WSA_IO_PENDING;
  }
  /* A send that hands bytes over owns the stream (wbusy) until it has
   * handed over all of them (a blocking one waits for room meanwhile): no
   * other send comes between its parts, or overtakes it while it copies
   * outside the lock. */
  for (;;) {
    if ((e = send_check(s, flags)) != 0)
      break;
    DWORD room = owner                   ? owner_room(s)
                 : s->sendq.head == NULL ? un_send_room(s)
                                         : 0;
    if (!owner && room > 0 && done < total) {
      s->wbusy = TRUE;
      owner = TRUE;
    }
    if (room > 0 && done < total) {
      DWORD k = push_unlocked(s, bufs, n, done, total - done);
      if (k == 0) { /* closed meanwhile, or out of memory */
        e = s->closed ? WSAEINTR : WSAENOBUFS;
        break;
      }
      done += k;
    }
    if (done == total)
      break;
    if (s->nonblocking) {
      if (done == 0) { /* else a partial send */
        s->ev.write_wanted = TRUE;
        e = WSAEWOULDBLOCK;
      }
      break;
    }
    /* The copy was made without the lock: the loop may have made room
     * meanwhile, and woken nobody. */
    if ((owner                   ? owner_room(s)
         : s->sendq.head == NULL ? un_send_room(s)
                                 : 0) > 0)
      continue;
    if ((e = un_wait(s, s->opt.sndtimeo)) != 0)
      break;
  }
  if (owner)
    write_release(s);
  if (e == 0)
    *sent = done;
  return e;
}

/* Direct reading (Linux): a receive that finds nothing queued, lent or
 * pending reads the kernel socket itself, straight into the caller's
 * buffers, when no thread runs the loop (uvl_try_read: the loop then reads
 * nothing meanwhile, so the bytes stay in order). A program that drives the
 * loop from its port (wpu/iodriver.h) reads what arrived while it was busy
 * without a copy and without waiting for a round (bench_uvnet: 64 KiB
 * echo). Returns the bytes read; an error breaks the connection. */
static DWORD read_direct(un_socket *s, const WSABUF *bufs, DWORD n, DWORD at,
                         BOOL peek) {
  uvl_iov iov[UVL_IOV_MAX];
  DWORD k = 0;
  if (peek || s->io == NULL || s->io_close || s->recvq.head != NULL ||
      s->rq_bytes > 0 || s->fin || s->conn_error != 0 ||
      s->lent != UN_LENT_NONE || s->reader != NULL)
    return 0;
  for (DWORD i = 0; i < n; i++) {
    if (at >= bufs[i].len) {
      at -= bufs[i].len;
      continue;
    }
    if (k == UVL_IOV_MAX)
      return 0;
    iov[k].base = bufs[i].buf + at;
    iov[k++].len = bufs[i].len - at;
    at = 0;
  }
  long r = k > 0 ? uvl_try_read(s->io, iov, k) : 0;
  if (r < 0) {
    broken(s, un_wsa_error((int)r));
    un_changed(s); /* blocked callers, select and FD_CLOSE learn of it */
    return 0;
  }
  return (DWORD)r;
}

/* Waits for bytes as un_wait does, first offering the part of the buffers
 * from offset at to the loop when nobody else receives (*got: the bytes
 * it put there). Does not return while the loop is reading into it. */
static int wait_lending(un_socket *s, const WSABUF *bufs, DWORD n, DWORD at,
                        BOOL peek, DWORD *got) {
  un_reader r;
  memset(&r, 0, sizeof r);
  for (DWORD i = 0; i < n && !peek && s->reader == NULL; i++) {
    if (at < bufs[i].len) {
      r.buf = bufs[i].buf + at;
      r.len = bufs[i].len - at;
      s->reader = &r;
      break;
    }
    at -= bufs[i].len;
  }
  int e = un_wait(s, s->opt.rcvtimeo);
  if (s->reader == &r) {
    while (r.lent) /* the loop is reading into it: wait for the end */
      wsp_waitq_wait(&s->waiters, &un.lock, 0);
    s->reader = NULL;
  }
  *got = r.got;
  return e;
}

int un_stream_recv(un_socket *s, const WSABUF *bufs, DWORD n, LPDWORD got_out,
                   LPDWORD flags, const wsp_notify *ovn) {
  DWORD in = *flags;
  BOOL peek = (in & MSG_PEEK) != 0;
  if (in & MSG_OOB)
    return WSAEOPNOTSUPP;
  if (in & ~(DWORD)(MSG_PEEK | MSG_WAITALL))
    return WSAEOPNOTSUPP;
  if (s->state != UN_CONNECTED)
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
    DWORD direct = read_direct(s, bufs, n, 0, peek);
    if (direct > 0) {
      wsp_notify_start(ovn);
      wsp_notify_complete(&un.up, ovn, 0, direct, 0);
      *got_out = direct;
      return 0;
    }
    if (s->recvq.head == NULL &&
        (s->conn_error != 0 || s->rq_bytes > 0 || un_stream_eof(s))) {
      if (s->conn_error != 0)
        return s->conn_error;
      DWORD bytes = rq_read(s, bufs, n, 0, total, peek);
      wsp_notify_start(ovn);
      wsp_notify_complete(&un.up, ovn, 0, bytes, 0);
      *got_out = bytes;
      resume(s);
      un_changed(s);
      return 0;
    }
    wsp_op *op = wsp_op_new(ovn, bufs, n);
    if (op == NULL)
      return WSAENOBUFS;
    op->flags = in;
    wsp_notify_start(ovn);
    wsp_opq_push(&s->recvq, op);
    un_events_poll(s);
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
      if (s->rq_bytes > 0) {
        done += rq_read(s, bufs, n, done, total - done, peek);
        resume(s);
        un_changed(s);
        if (!(in & MSG_WAITALL) || peek || done == total) {
          *got_out = done;
          return 0;
        }
        continue;
      }
      if (un_stream_eof(s) || total == 0) {
        *got_out = done;
        return 0;
      }
      DWORD direct = read_direct(s, bufs, n, done, peek);
      if (direct > 0) {
        done += direct;
        if (!(in & MSG_WAITALL) || done == total) {
          *got_out = done;
          return 0;
        }
        continue;
      }
      if (s->conn_error != 0)
        continue; /* the direct read found the connection broken */
    }
    if (s->nonblocking) {
      un_events_poll(s);
      return WSAEWOULDBLOCK;
    }
    DWORD got = 0;
    if ((e = wait_lending(s, bufs, n, done, peek, &got)) != 0 && got == 0)
      return e;
    done += got;
    if (got > 0 && (!(in & MSG_WAITALL) || done == total)) {
      *got_out = done;
      return 0;
    }
  }
}

void un_stream_flush(un_socket *s) {
  flow_sends(s, TRUE);
}
