/* overlap.c: counting_lsp's overlapped substitution (the seed page's
 * pattern): the LSP's completion port and its worker thread, WSPSend,
 * WSPSendTo, WSPRecv, WSPRecvFrom and WSPGetOverlappedResult.
 *
 * The application's completion port (if any) is associated with OUR handle;
 * the next layer's socket has no such association and the LSP cannot know
 * the port. So an overlapped call is not passed down as it is: the LSP
 * makes an lsp_op whose first member is a WSAOVERLAPPED of its own (hEvent
 * NULL, no completion routine), which references the application's
 * overlapped, routine and WSATHREADID, and calls the next layer with it on
 * the next layer's socket, associated once with the LSP's own completion
 * port. The next layer completes the substitute there (also when it
 * finished at once, as Windows does). The worker thread takes the packet,
 * asks the next layer for the results (WSPGetOverlappedResult), counts the
 * bytes (the post-processing), writes the results into the application's
 * overlapped and completes it: WPUQueueApc of the application's routine to
 * its thread, or WPUCompleteOverlappedRequest on our handle, which sets the
 * application's event and posts to the application's port with the
 * application's key and overlapped. Then the substitute is freed and the
 * socket's reference dropped (which may close the handle of a socket closed
 * meanwhile).
 *
 * An overlapped call the next layer accepted always returns WSA_IO_PENDING
 * (also when it finished at once: the completion is notified either way).
 * One the next layer refused at once returns its error and is not notified.
 * Non-overlapped calls go down as they are and are counted on return.
 *
 * WSPGetOverlappedResult reads the application's overlapped, which only
 * this LSP completes: Internal != WSS_OPERATION_IN_PROGRESS means done,
 * with the bytes in InternalHigh, the error in OffsetHigh and the flags in
 * Offset. Waiting (fWait) needs an event; without one it fails with
 * WSA_IO_INCOMPLETE while the operation is in progress. */
#include <string.h>

#include "lsp_internal.h"

#define KEY_WAKE ((ULONG_PTR)1) /* a packet that only wakes the worker */

static void complete(lsp_op *op, DWORD bytes, BOOL ok, DWORD status);

static DWORD WINAPI worker(LPVOID arg) {
  HANDLE port = arg; /* its own: g.port is cleared at stop */
  for (;;) {
    if (InterlockedCompareExchange(&g.stopping, 0, 0) &&
        InterlockedCompareExchange(&g.inflight, 0, 0) == 0)
      return 0;
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED ov = NULL;
    BOOL ok = GetQueuedCompletionStatus(port, &bytes, &key, &ov, INFINITE);
    if (ov == NULL) {
      if (!ok && key != KEY_WAKE)
        return 1; /* the port is gone */
      continue;
    }
    complete((lsp_op *)ov, bytes, ok, ok ? 0 : GetLastError());
  }
}

int lsp_overlap_start(void) {
  g.inflight = 0;
  g.stopping = 0;
  g.port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
  if (g.port == NULL)
    return WSAENOBUFS;
  g.worker = CreateThread(NULL, 0, worker, g.port, 0, NULL);
  if (g.worker == NULL) {
    CloseHandle(g.port);
    return WSAENOBUFS;
  }
  return 0;
}

BOOL lsp_overlap_stop(void) {
  InterlockedExchange(&g.stopping, 1);
  PostQueuedCompletionStatus(g.port, 0, KEY_WAKE, NULL);
  if (WaitForSingleObject(g.worker, STOP_WAIT_MS) != WAIT_OBJECT_0) {
    /* The next layers still own lsp_op structures (on our heap) and may
     * complete them to our port at any time: the worker, the port, the
     * heap and this module stay (a deliberate leak, see global_stop). */
    g.worker = g.port = NULL;
    return FALSE;
  }
  CloseHandle(g.worker);
  CloseHandle(g.port);
  g.worker = g.port = NULL;
  return TRUE;
}

/* ---- Submission ---- */

lsp_op *lsp_op_begin(lsp_socket *s, lsp_op_kind kind, LPWSAOVERLAPPED app_ov,
                     LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                     LPWSATHREADID thread, LPINT err) {
  /* The next layer's socket reports to our port, once associated. */
  EnterCriticalSection(&s->lock);
  if (!s->associated &&
      CreateIoCompletionPort((HANDLE)s->lower, g.port, 0, 0) != NULL)
    s->associated = TRUE;
  BOOL associated = s->associated;
  LeaveCriticalSection(&s->lock);
  if (!associated) {
    *err = WSAEINVAL; /* the next layer's socket cannot report to a port */
    return NULL;
  }
  lsp_op *op = lsp_alloc(sizeof *op);
  if (op == NULL) {
    *err = WSAENOBUFS;
    return NULL;
  }
  op->kind = kind;
  op->sock = s;
  op->app_ov = app_ov;
  op->routine = routine;
  if (routine != NULL) {
    if (thread != NULL) {
      op->thread = *thread;
    } else if (g.up.lpWPUOpenCurrentThread(&op->thread, err) == 0) {
      op->close_thread = TRUE; /* extension functions get no WSATHREADID */
    } else {
      lsp_free(op);
      return NULL;
    }
  } else if (app_ov->hEvent != NULL) {
    /* A new operation starts with its event cleared (low bit: the
     * application's "no port" flag, not part of the handle). */
    ResetEvent((HANDLE)((ULONG_PTR)app_ov->hEvent & ~(ULONG_PTR)1));
  }
  /* The provider's fields of the application's structure (Microsoft's
   * WSAOVERLAPPED page for providers): in progress now; the error, flags
   * and bytes are written at completion. */
  app_ov->InternalHigh = 0;
  app_ov->Offset = 0;
  app_ov->OffsetHigh = 0;
  app_ov->Internal = WSS_OPERATION_IN_PROGRESS;
  lsp_socket_addref(s);
  InterlockedIncrement(&g.inflight);
  return op;
}

static void op_end(lsp_op *op) {
  int e;
  if (op->close_thread)
    g.up.lpWPUCloseThread(&op->thread, &e);
  if (op->accepted != NULL)
    lsp_socket_deref(op->accepted);
  lsp_socket_deref(op->sock);
  lsp_free(op);
  InterlockedDecrement(&g.inflight); /* last: the worker may stop now */
}

int lsp_op_submitted(lsp_op *op, int rc, int lower_err, LPINT err) {
  if (rc == 0 || lower_err == WSA_IO_PENDING) {
    *err = WSA_IO_PENDING; /* op may be complete and freed already */
    return SOCKET_ERROR;
  }
  /* Refused at once: nothing will be notified; the structure says so. */
  op->app_ov->OffsetHigh = (DWORD)lower_err;
  op->app_ov->Offset = 0;
  op->app_ov->InternalHigh = 0;
  op->app_ov->Internal = 0;
  op_end(op);
  *err = lower_err;
  return SOCKET_ERROR;
}

/* ---- Completion ---- */

static void CALLBACK run_routine(DWORD_PTR context) {
  /* Runs in the application's thread, in an alertable wait. The routine
   * was kept in Internal (the provider's field) by lsp_notify. */
  LPWSAOVERLAPPED ov = (LPWSAOVERLAPPED)context;
  LPWSAOVERLAPPED_COMPLETION_ROUTINE routine =
      (LPWSAOVERLAPPED_COMPLETION_ROUTINE)ov->Internal;
  ov->Internal = 0;
  routine(ov->OffsetHigh, (DWORD)ov->InternalHigh, ov, ov->Offset);
}

volatile LONG lsp_lost_completions;

/* A completion the application will never see: counted and reported to
 * the debugger (the operation itself is over; nothing else can be done). */
static void lost(const WCHAR *what) {
  InterlockedIncrement(&lsp_lost_completions);
  OutputDebugStringW(what);
}

void lsp_notify(SOCKET handle, LPWSAOVERLAPPED ov,
                LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                LPWSATHREADID thread, DWORD err, DWORD bytes, DWORD flags) {
  int e;
  /* The provider writes the results itself on both paths, before the
   * upcall (Microsoft's WSAOVERLAPPED page: OffsetHigh the error, Offset
   * the flags, InternalHigh the bytes); WPUCompleteOverlappedRequest then
   * ends the operation (Internal) and signals it. */
  ov->Offset = flags;
  ov->OffsetHigh = err;
  ov->InternalHigh = bytes;
  if (routine != NULL) {
    ov->Internal = (ULONG_PTR)routine;
    if (g.up.lpWPUQueueApc(thread, run_routine, (DWORD_PTR)ov, &e) != 0) {
      ov->Internal = 0; /* done, but the routine will not run */
      lost(L"counting_lsp: WPUQueueApc failed, a completion routine is "
           L"lost\n");
    }
  } else if (WPUCompleteOverlappedRequest(handle, ov, err, bytes, &e) != 0) {
    ov->Internal = 0;
    lost(L"counting_lsp: WPUCompleteOverlappedRequest failed, a completion "
         L"is lost\n");
  }
}

static void complete(lsp_op *op, DWORD bytes, BOOL ok, DWORD status) {
  lsp_socket *s = op->sock;
  DWORD cb = 0, flags = 0;
  int err = 0;
  if (!s->provider->procs.lpWSPGetOverlappedResult(s->lower, &op->ov, &cb,
                                                   FALSE, &flags, &err)) {
    if (err == WSAENOTSOCK || err == WSANOTINITIALISED) {
      /* The next layer's socket is closed: the packet's own status. */
      cb = bytes;
      flags = 0;
      err = ok ? 0
               : (status == ERROR_OPERATION_ABORTED ? WSA_OPERATION_ABORTED
                                                    : (int)status);
    }
  }
  /* Post-processing: the counting this LSP exists for. */
  if (err == 0) {
    switch (op->kind) {
    case LSP_OP_SEND:
    case LSP_OP_CONNECTEX:
      lsp_count(s, TRUE, cb);
      break;
    case LSP_OP_RECV:
      lsp_count(s, FALSE, cb);
      break;
    case LSP_OP_ACCEPTEX:
      lsp_count(op->accepted, FALSE, cb);
      break;
    default:
      break;
    }
  }
  lsp_notify(s->handle, op->app_ov, op->routine, &op->thread, (DWORD)err, cb,
             flags);
  op_end(op);
}

/* ---- Send and receive ---- */

static int send_common(SOCKET h, LPWSABUF bufs, DWORD n, LPDWORD sent,
                       DWORD flags, const struct sockaddr *to, int tolen,
                       BOOL has_to, LPWSAOVERLAPPED ov,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                       LPWSATHREADID thread, LPINT lpErrno) {
  lsp_socket *s = lsp_socket_ref(h, lpErrno);
  if (s == NULL)
    return SOCKET_ERROR;
  const WSPPROC_TABLE *next = &s->provider->procs;
  int rc;
  if (ov == NULL) {
    rc = has_to ? next->lpWSPSendTo(s->lower, bufs, n, sent, flags, to, tolen,
                                    NULL, NULL, thread, lpErrno)
                : next->lpWSPSend(s->lower, bufs, n, sent, flags, NULL, NULL,
                                  thread, lpErrno);
    if (rc == 0)
      lsp_count(s, TRUE, *sent);
  } else {
    lsp_op *op = lsp_op_begin(s, LSP_OP_SEND, ov, routine, thread, lpErrno);
    if (op == NULL) {
      rc = SOCKET_ERROR;
    } else {
      DWORD done = 0;
      int e = 0;
      rc = has_to ? next->lpWSPSendTo(s->lower, bufs, n, &done, flags, to,
                                      tolen, &op->ov, NULL, &op->thread, &e)
                  : next->lpWSPSend(s->lower, bufs, n, &done, flags, &op->ov,
                                    NULL, &op->thread, &e);
      rc = lsp_op_submitted(op, rc, e, lpErrno);
    }
  }
  lsp_socket_deref(s);
  return rc;
}

int WSPAPI lsp_WSPSend(SOCKET h, LPWSABUF lpBuffers, DWORD dwBufferCount,
                       LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                       LPWSAOVERLAPPED lpOverlapped,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                       LPWSATHREADID lpThreadId, LPINT lpErrno) {
  return send_common(h, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags,
                     NULL, 0, FALSE, lpOverlapped, lpCompletionRoutine,
                     lpThreadId, lpErrno);
}

int WSPAPI lsp_WSPSendTo(SOCKET h, LPWSABUF lpBuffers, DWORD dwBufferCount,
                         LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                         const struct sockaddr *lpTo, int iTolen,
                         LPWSAOVERLAPPED lpOverlapped,
                         LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                         LPWSATHREADID lpThreadId, LPINT lpErrno) {
  return send_common(h, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags,
                     lpTo, iTolen, TRUE, lpOverlapped, lpCompletionRoutine,
                     lpThreadId, lpErrno);
}

static int recv_common(SOCKET h, LPWSABUF bufs, DWORD n, LPDWORD got,
                       LPDWORD flags, struct sockaddr *from, LPINT fromlen,
                       BOOL has_from, LPWSAOVERLAPPED ov,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                       LPWSATHREADID thread, LPINT lpErrno) {
  lsp_socket *s = lsp_socket_ref(h, lpErrno);
  if (s == NULL)
    return SOCKET_ERROR;
  const WSPPROC_TABLE *next = &s->provider->procs;
  int rc;
  if (ov == NULL) {
    rc = has_from ? next->lpWSPRecvFrom(s->lower, bufs, n, got, flags, from,
                                        fromlen, NULL, NULL, thread, lpErrno)
                  : next->lpWSPRecv(s->lower, bufs, n, got, flags, NULL, NULL,
                                    thread, lpErrno);
    if (rc == 0)
      lsp_count(s, FALSE, *got);
  } else {
    lsp_op *op = lsp_op_begin(s, LSP_OP_RECV, ov, routine, thread, lpErrno);
    if (op == NULL) {
      rc = SOCKET_ERROR;
    } else {
      /* The caller's flags go down; the results' flags come back through
       * the next layer's WSPGetOverlappedResult. from/fromlen are the
       * application's: the next layer fills them when it completes. */
      DWORD done = 0;
      int e = 0;
      rc = has_from
               ? next->lpWSPRecvFrom(s->lower, bufs, n, &done, flags, from,
                                     fromlen, &op->ov, NULL, &op->thread, &e)
               : next->lpWSPRecv(s->lower, bufs, n, &done, flags, &op->ov, NULL,
                                 &op->thread, &e);
      rc = lsp_op_submitted(op, rc, e, lpErrno);
    }
  }
  lsp_socket_deref(s);
  return rc;
}

int WSPAPI lsp_WSPRecv(SOCKET h, LPWSABUF lpBuffers, DWORD dwBufferCount,
                       LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags,
                       LPWSAOVERLAPPED lpOverlapped,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                       LPWSATHREADID lpThreadId, LPINT lpErrno) {
  return recv_common(h, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags,
                     NULL, NULL, FALSE, lpOverlapped, lpCompletionRoutine,
                     lpThreadId, lpErrno);
}

int WSPAPI lsp_WSPRecvFrom(
    SOCKET h, LPWSABUF lpBuffers, DWORD dwBufferCount,
    LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags, struct sockaddr *lpFrom,
    LPINT lpFromlen, LPWSAOVERLAPPED lpOverlapped,
    LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
    LPWSATHREADID lpThreadId, LPINT lpErrno) {
  return recv_common(h, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags,
                     lpFrom, lpFromlen, TRUE, lpOverlapped, lpCompletionRoutine,
                     lpThreadId, lpErrno);
}

/* ---- Results ---- */

BOOL WSPAPI lsp_WSPGetOverlappedResult(SOCKET h, LPWSAOVERLAPPED lpOverlapped,
                                       LPDWORD lpcbTransfer, BOOL fWait,
                                       LPDWORD lpdwFlags, LPINT lpErrno) {
  lsp_socket *s = lsp_socket_ref(h, lpErrno);
  if (s == NULL)
    return FALSE;
  lsp_socket_deref(s);
  if (lpOverlapped == NULL || lpcbTransfer == NULL || lpdwFlags == NULL) {
    *lpErrno = WSAEFAULT;
    return FALSE;
  }
  LPWSAOVERLAPPED ov = lpOverlapped;
  HANDLE ev = (HANDLE)((ULONG_PTR)ov->hEvent & ~(ULONG_PTR)1);
  if (InterlockedCompareExchangePointer((void *volatile *)&ov->Internal, NULL,
                                        NULL) ==
      (void *)(ULONG_PTR)WSS_OPERATION_IN_PROGRESS) {
    if (!fWait || ev == NULL) {
      *lpErrno = WSA_IO_INCOMPLETE;
      return FALSE;
    }
    if (WaitForSingleObject(ev, INFINITE) != WAIT_OBJECT_0) {
      *lpErrno = WSA_INVALID_HANDLE;
      return FALSE;
    }
    if (InterlockedCompareExchangePointer((void *volatile *)&ov->Internal, NULL,
                                          NULL) ==
        (void *)(ULONG_PTR)WSS_OPERATION_IN_PROGRESS) {
      *lpErrno = WSA_IO_INCOMPLETE; /* someone else set the event */
      return FALSE;
    }
  }
  *lpcbTransfer = (DWORD)ov->InternalHigh;
  *lpdwFlags = ov->Offset;
  if (ov->OffsetHigh != 0) {
    *lpErrno = (int)ov->OffsetHigh;
    return FALSE;
  }
  return TRUE;
}
