/* memnet_io.c: how memnet waits and completes: blocked callers, overlapped
 * requests and their three notifications, the queues of pending
 * operations, the WSPSend/WSPSendTo/WSPRecv/WSPRecvFrom entry points (which
 * hand the work to the stream or datagram code) and
 * WSPGetOverlappedResult.
 *
 * A blocked caller waits on the socket's own manual-reset event (a second
 * caller blocked on the same socket at once gets an event of its own), linked
 * in the socket's waiter list under the lock, so that a change made after it
 * looked cannot be missed; mn_wake signals and unlinks every waiter.
 *
 * An overlapped request is accepted, then completed at once or queued;
 * either way it is notified, as Windows does without skip-on-success:
 * with a completion routine, the results go into the overlapped and an APC
 * (WPUQueueApc on the submitting thread's WSATHREADID, copied at
 * submission) calls the routine with (error, bytes, overlapped, flags);
 * otherwise wpu_ifs_complete_overlapped records the results, sets hEvent
 * and posts to the port associated with the handle (unless hEvent's low bit
 * is set). The flags of a receive go into Offset, where
 * WSPGetOverlappedResult finds them. An immediate failure is returned and
 * not notified.
 *
 * Not supported: skip-on-success modes (SetFileCompletionNotificationModes
 * is not emulated: every completion notifies); cancelling one operation
 * (CancelIoEx): only closesocket ends pending operations
 * (WSA_OPERATION_ABORTED); a completion routine without a WSATHREADID
 * (WSAEFAULT).
 */
#include <stdlib.h>
#include <string.h>

#include "memnet_internal.h"

/* ---- Waiting ---- */

void mn_waiter_link(mn_socket *s, mn_waiter *w) {
  w->prev = NULL;
  w->next = s->waiters;
  if (s->waiters != NULL)
    s->waiters->prev = w;
  s->waiters = w;
  w->linked = TRUE;
}

void mn_waiter_unlink(mn_socket *s, mn_waiter *w) {
  if (!w->linked)
    return;
  if (w->prev != NULL)
    w->prev->next = w->next;
  else
    s->waiters = w->next;
  if (w->next != NULL)
    w->next->prev = w->prev;
  w->linked = FALSE;
}

void mn_wake(mn_socket *s) {
  mn_waiter *w = s->waiters;
  s->waiters = NULL;
  while (w != NULL) {
    mn_waiter *next = w->next;
    w->linked = FALSE;
    SetEvent(w->event);
    w = next;
  }
}

void mn_changed(mn_socket *s) {
  mn_wake(s);
  mn_events_poll(s);
}

int mn_wait(mn_socket *s, DWORD timeout) {
  if (s->closed)
    return WSAEINTR;
  mn_waiter w;
  BOOL own = !s->wake_busy;
  if (own) {
    s->wake_busy = TRUE;
    w.event = s->wake;
    ResetEvent(w.event);
  } else if ((w.event = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL) {
    return WSAENOBUFS;
  }
  mn_waiter_link(s, &w);
  LeaveCriticalSection(&mn.lock);
  DWORD r = WaitForSingleObject(w.event, timeout != 0 ? timeout : INFINITE);
  EnterCriticalSection(&mn.lock);
  mn_waiter_unlink(s, &w);
  if (own)
    s->wake_busy = FALSE;
  else
    CloseHandle(w.event);
  if (s->closed)
    return WSAEINTR;
  return r == WAIT_TIMEOUT ? WSAETIMEDOUT : 0;
}

/* ---- Overlapped notification ---- */

typedef struct mn_apc {
  LPWSAOVERLAPPED_COMPLETION_ROUTINE routine;
  LPWSAOVERLAPPED ov;
  DWORD err, bytes, flags;
} mn_apc;

static void CALLBACK mn_apc_run(DWORD_PTR context) {
  mn_apc *a = (mn_apc *)context;
  a->routine(a->err, a->bytes, a->ov, a->flags);
  free(a);
}

int mn_notify_begin(mn_notify *n, SOCKET h, LPWSAOVERLAPPED ov,
                    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                    LPWSATHREADID thread) {
  if (routine != NULL && thread == NULL)
    return WSAEFAULT;
  memset(n, 0, sizeof *n);
  n->handle = h;
  n->ov = ov;
  n->routine = routine;
  if (routine != NULL)
    n->thread = *thread;
  mn_notify_start(n);
  return 0;
}

void mn_notify_start(const mn_notify *n) {
  LPWSAOVERLAPPED ov = n->ov;
  /* Accepted: in progress, and the event (not the application's own when
   * a routine is given) non-signaled. */
  ov->InternalHigh = 0;
  InterlockedExchangePointer((void *volatile *)&ov->Internal,
                             (void *)(ULONG_PTR)WSS_OPERATION_IN_PROGRESS);
  if (n->routine == NULL && ov->hEvent != NULL)
    ResetEvent((HANDLE)((ULONG_PTR)ov->hEvent & ~(ULONG_PTR)1));
}

void mn_notify_complete(const mn_notify *n, DWORD err, DWORD bytes,
                        DWORD flags) {
  LPWSAOVERLAPPED ov = n->ov;
  ov->Offset = flags;
  if (n->routine == NULL) {
    int e;
    wpu_ifs_complete_overlapped(n->handle, ov, err, bytes, &e);
    return;
  }
  /* The results first, then the APC that calls the routine. */
  ov->InternalHigh = bytes;
  ov->OffsetHigh = err;
  InterlockedExchangePointer((void *volatile *)&ov->Internal,
                             (void *)(ULONG_PTR)MN_STATUS(err));
  mn_apc *a = malloc(sizeof *a);
  if (a == NULL)
    return;
  a->routine = n->routine;
  a->ov = ov;
  a->err = err;
  a->bytes = bytes;
  a->flags = flags;
  WSATHREADID thread = n->thread;
  int e;
  if (mn.up.lpWPUQueueApc(&thread, mn_apc_run, (DWORD_PTR)a, &e) != 0)
    free(a); /* the thread is gone */
}

/* ---- Pending operations ---- */

mn_op *mn_op_new(const mn_notify *n, const WSABUF *bufs, DWORD nbufs) {
  mn_op *op = malloc(sizeof *op + (size_t)nbufs * sizeof(WSABUF));
  if (op == NULL)
    return NULL;
  memset(op, 0, sizeof *op);
  op->note = *n;
  op->nbufs = nbufs;
  if (nbufs > 0)
    memcpy(op->bufs, bufs, (size_t)nbufs * sizeof(WSABUF));
  return op;
}

void mn_opq_push(mn_opq *q, mn_op *op) {
  op->next = NULL;
  if (q->tail != NULL)
    q->tail->next = op;
  else
    q->head = op;
  q->tail = op;
}

mn_op *mn_opq_pop(mn_opq *q) {
  mn_op *op = q->head;
  if (op != NULL) {
    q->head = op->next;
    if (q->head == NULL)
      q->tail = NULL;
  }
  return op;
}

void mn_opq_abort(mn_opq *q, DWORD err) {
  mn_op *op;
  while ((op = mn_opq_pop(q)) != NULL) {
    mn_notify_complete(&op->note, err, op->done, 0);
    free(op);
  }
}

DWORD mn_bufs_total(const WSABUF *bufs, DWORD n, int *err) {
  DWORD total = 0;
  if (n > 0 && bufs == NULL) {
    *err = WSAEFAULT;
    return 0;
  }
  for (DWORD i = 0; i < n; i++) {
    if (bufs[i].len > 0 && bufs[i].buf == NULL) {
      *err = WSAEFAULT;
      return 0;
    }
    total += bufs[i].len;
  }
  *err = 0;
  return total;
}

DWORD mn_bufs_put(const WSABUF *bufs, DWORD n, DWORD at, const char *data,
                  DWORD len) {
  DWORD done = 0;
  for (DWORD i = 0; i < n && done < len; i++) {
    if (at >= bufs[i].len) {
      at -= bufs[i].len;
      continue;
    }
    DWORD k = bufs[i].len - at;
    if (k > len - done)
      k = len - done;
    memcpy(bufs[i].buf + at, data + done, k);
    done += k;
    at = 0;
  }
  return done;
}

DWORD mn_bufs_get(const WSABUF *bufs, DWORD n, DWORD at, char *data,
                  DWORD len) {
  DWORD done = 0;
  for (DWORD i = 0; i < n && done < len; i++) {
    if (at >= bufs[i].len) {
      at -= bufs[i].len;
      continue;
    }
    DWORD k = bufs[i].len - at;
    if (k > len - done)
      k = len - done;
    memcpy(data + done, bufs[i].buf + at, k);
    done += k;
    at = 0;
  }
  return done;
}

/* ---- The send and receive entry points ---- */

static int do_send(SOCKET h, LPWSABUF bufs, DWORD n, LPDWORD sent, DWORD flags,
                   BOOL sendto, const struct sockaddr *to, int tolen,
                   LPWSAOVERLAPPED ov,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                   LPWSATHREADID thread, LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e;
  mn_bufs_total(bufs, n, &e);
  mn_notify note;
  const mn_notify *ovn = NULL;
  mn_addr dest;
  const mn_addr *dst = NULL;
  DWORD got = 0;
  if (e == 0 && ov == NULL && sent == NULL)
    e = WSAEFAULT;
  if (e == 0 && ov != NULL && routine != NULL && thread == NULL)
    e = WSAEFAULT;
  if (e == 0 && sendto && to != NULL && s->type == SOCK_DGRAM) {
    e = mn_addr_parse(s, to, tolen, &dest);
    dst = &dest;
  }
  if (e == 0 && ov != NULL) {
    memset(&note, 0, sizeof note);
    note.handle = h;
    note.ov = ov;
    note.routine = routine;
    if (routine != NULL)
      note.thread = *thread;
    ovn = &note;
  }
  if (e == 0) {
    if (s->type == SOCK_STREAM)
      e = mn_stream_send(s, bufs, n, &got, flags, ovn);
    else
      e = mn_dgram_send(s, bufs, n, &got, flags, dst, ovn);
  }
  mn_leave(s);
  if (e == 0 && sent != NULL)
    *sent = got;
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

int WSPAPI mn_WSPSend(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD sent,
                      DWORD flags, LPWSAOVERLAPPED ov,
                      LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                      LPWSATHREADID thread, LPINT err) {
  return do_send(s, bufs, n, sent, flags, FALSE, NULL, 0, ov, routine, thread,
                 err);
}

int WSPAPI mn_WSPSendTo(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD sent,
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
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e;
  mn_bufs_total(bufs, n, &e);
  mn_notify note;
  const mn_notify *ovn = NULL;
  DWORD count = 0;
  if (e == 0 && (flags == NULL || (ov == NULL && got == NULL)))
    e = WSAEFAULT;
  if (e == 0 && ov != NULL && routine != NULL && thread == NULL)
    e = WSAEFAULT;
  if (e == 0 && s->type == SOCK_DGRAM && from != NULL &&
      (fromlen == NULL || *fromlen < mn_addr_len(s->af)))
    e = WSAEFAULT;
  if (e == 0 && ov != NULL) {
    memset(&note, 0, sizeof note);
    note.handle = h;
    note.ov = ov;
    note.routine = routine;
    if (routine != NULL)
      note.thread = *thread;
    ovn = &note;
  }
  if (e == 0) {
    if (s->type == SOCK_STREAM)
      e = mn_stream_recv(s, bufs, n, &count, flags, ovn);
    else
      e = mn_dgram_recv(s, bufs, n, &count, flags, from, fromlen, ovn);
  }
  mn_leave(s);
  /* A truncated datagram still delivers its first part. */
  if ((e == 0 || e == WSAEMSGSIZE) && got != NULL)
    *got = count;
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

int WSPAPI mn_WSPRecv(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD got,
                      LPDWORD flags, LPWSAOVERLAPPED ov,
                      LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                      LPWSATHREADID thread, LPINT err) {
  return do_recv(s, bufs, n, got, flags, NULL, NULL, ov, routine, thread, err);
}

int WSPAPI mn_WSPRecvFrom(SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD got,
                          LPDWORD flags, struct sockaddr *from, LPINT fromlen,
                          LPWSAOVERLAPPED ov,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                          LPWSATHREADID thread, LPINT err) {
  return do_recv(s, bufs, n, got, flags, from, fromlen, ov, routine, thread,
                 err);
}

/* ---- WSPGetOverlappedResult ---- */

static ULONG_PTR status_of(LPWSAOVERLAPPED ov) {
  return (ULONG_PTR)InterlockedCompareExchangePointer(
      (void *volatile *)&ov->Internal, NULL, NULL);
}

BOOL WSPAPI mn_WSPGetOverlappedResult(SOCKET h, LPWSAOVERLAPPED ov,
                                      LPDWORD bytes, BOOL wait, LPDWORD flags,
                                      LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return FALSE;
  mn_leave(s);
  if (ov == NULL || bytes == NULL || flags == NULL) {
    *err = WSAEFAULT;
    return FALSE;
  }
  if (status_of(ov) == WSS_OPERATION_IN_PROGRESS) {
    if (!wait) {
      *err = WSA_IO_INCOMPLETE;
      return FALSE;
    }
    HANDLE ev = (HANDLE)((ULONG_PTR)ov->hEvent & ~(ULONG_PTR)1);
    if (ev == NULL || WaitForSingleObject(ev, INFINITE) != WAIT_OBJECT_0) {
      *err = WSA_INVALID_HANDLE;
      return FALSE;
    }
    if (status_of(ov) == WSS_OPERATION_IN_PROGRESS) {
      *err = WSA_IO_INCOMPLETE; /* the event was set by someone else */
      return FALSE;
    }
  }
  if (ov->OffsetHigh != 0) {
    *err = (int)ov->OffsetHigh;
    return FALSE;
  }
  *bytes = (DWORD)ov->InternalHigh;
  *flags = ov->Offset;
  return TRUE;
}
