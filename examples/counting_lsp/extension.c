/* extension.c: counting_lsp's WSPIoctl (its statistics ioctl, extension
 * function pointers, the base-handle queries) and its own AcceptEx,
 * ConnectEx and DisconnectEx.
 *
 * SIO_GET_EXTENSION_FUNCTION_POINTER: a non-IFS LSP cannot hand out the
 * next layer's functions: the application would call them with our handles,
 * which the next layer does not know, and the I/O would bypass the layer.
 * So, as nonifslsp does:
 * - WSAID_ACCEPTEX, WSAID_CONNECTEX, WSAID_DISCONNECTEX get the LSP's own
 *   functions, which translate the handles and run the operation through
 *   the overlapped substitution (overlap.c) like WSPSend. The next layer's
 *   function is loaded first, so an application learns at once when it has
 *   none (its error is returned).
 * - WSAID_GETACCEPTEXSOCKADDRS takes no socket: the next layer's function
 *   is returned as it is.
 * - Any other GUID (TransmitFile, TransmitPackets, WSARecvMsg, WSASendMsg,
 *   WSAPoll, RIO, ...) fails with WSAEINVAL: the layer does not implement
 *   them, and the next layer's would bypass it.
 * SIO_BSP_HANDLE, SIO_BSP_HANDLE_SELECT, SIO_BSP_HANDLE_POLL return our own
 * handle, as nonifslsp does for SIO_BSP_HANDLE(_POLL): ws2_32 then sends
 * WSASendMsg (SIO_EXT_SENDMSG), select (WSPSelect) and WSAPoll
 * (SIO_EXT_POLL) to us, and the LSP handles each:
 * - SIO_EXT_SENDMSG (in: counting_lsp_sendmsg) is a send: the next layer
 *   gets the same ioctl on its socket, synchronous ones counted on return,
 *   overlapped ones (lpOverlapped in the structure) through the
 *   substitution, counted at completion. The ioctl's own lpOverlapped must
 *   be NULL (WSAEINVAL otherwise: ws2_32 never passes one).
 * - SIO_EXT_POLL (in and out: counting_lsp_poll_data) is translated: each
 *   fd of ours becomes the next layer's socket (others are left as they
 *   are: the next layer reports them POLLNVAL), the next layer's WSPIoctl
 *   runs on a copy, and the result and each revents come back into the
 *   caller's output with the caller's fds. Synchronous only (WSAEINVAL
 *   with an overlapped structure); WSAEFAULT when the buffers are smaller
 *   than fds entries.
 * SIO_BASE_HANDLE goes down (the documentation forbids LSPs to intercept
 * it). Every other code goes to the next layer with its socket, overlapped
 * ones through the substitution. */
#include <stddef.h>
#include <string.h>

#include "lsp_internal.h"

#ifndef SIO_BSP_HANDLE
#define SIO_BSP_HANDLE _WSAIOR(IOC_WS2, 27)
#endif
#ifndef SIO_BSP_HANDLE_SELECT
#define SIO_BSP_HANDLE_SELECT _WSAIOR(IOC_WS2, 28)
#endif
#ifndef SIO_BSP_HANDLE_POLL
#define SIO_BSP_HANDLE_POLL _WSAIOR(IOC_WS2, 29)
#endif

static const GUID accept_ex_id = WSAID_ACCEPTEX;
static const GUID connect_ex_id = WSAID_CONNECTEX;
static const GUID disconnect_ex_id = WSAID_DISCONNECTEX;
static const GUID sockaddrs_id = WSAID_GETACCEPTEXSOCKADDRS;

/* The next layer's extension function id for s's chain, loaded through its
 * WSPIoctl on first use; NULL with *err. */
static void *next_function(lsp_socket *s, const GUID *id, void **slot,
                           LPINT err) {
  void *fn = InterlockedCompareExchangePointer(slot, NULL, NULL);
  if (fn != NULL)
    return fn;
  GUID guid = *id;
  DWORD returned = 0;
  if (s->provider->procs.lpWSPIoctl(
          s->lower, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, &fn,
          sizeof fn, &returned, NULL, NULL, NULL, err) != 0)
    return NULL;
  if (fn == NULL) {
    *err = WSAEINVAL;
    return NULL;
  }
  InterlockedExchangePointer(slot, fn);
  return fn;
}

/* The end of an extension function: its BOOL, the error as last error. */
static BOOL ext_result(int rc, int err) {
  if (rc == 0)
    return TRUE;
  WSASetLastError(err);
  return FALSE;
}

static BOOL WINAPI ext_AcceptEx(SOCKET sListenSocket, SOCKET sAcceptSocket,
                                PVOID lpOutputBuffer, DWORD dwReceiveDataLength,
                                DWORD dwLocalAddressLength,
                                DWORD dwRemoteAddressLength,
                                LPDWORD lpdwBytesReceived,
                                LPOVERLAPPED lpOverlapped) {
  int err = 0;
  lsp_socket *l = lsp_socket_ref(sListenSocket, &err);
  if (l == NULL)
    return ext_result(SOCKET_ERROR, err);
  lsp_socket *a = lsp_socket_ref(sAcceptSocket, &err);
  LPFN_ACCEPTEX fn =
      a == NULL ? NULL
                : next_function(l, &accept_ex_id,
                                (void **)&l->provider->accept_ex, &err);
  int rc = SOCKET_ERROR;
  if (fn != NULL && lpOverlapped == NULL)
    err = WSAEINVAL; /* AcceptEx is overlapped only */
  else if (fn != NULL) {
    lsp_op *op = lsp_op_begin(l, LSP_OP_ACCEPTEX, (LPWSAOVERLAPPED)lpOverlapped,
                              NULL, NULL, &err);
    if (op != NULL) {
      op->accepted = a; /* counted there; the op keeps our reference */
      a = NULL;
      BOOL ok =
          fn(l->lower, op->accepted->lower, lpOutputBuffer, dwReceiveDataLength,
             dwLocalAddressLength, dwRemoteAddressLength, lpdwBytesReceived,
             (LPOVERLAPPED)&op->ov);
      rc = lsp_op_submitted(op, ok ? 0 : SOCKET_ERROR,
                            ok ? 0 : WSAGetLastError(), &err);
    }
  }
  if (a != NULL)
    lsp_socket_deref(a);
  lsp_socket_deref(l);
  return ext_result(rc, err);
}

static BOOL WINAPI ext_ConnectEx(SOCKET s, const struct sockaddr *name,
                                 int namelen, PVOID lpSendBuffer,
                                 DWORD dwSendDataLength, LPDWORD lpdwBytesSent,
                                 LPOVERLAPPED lpOverlapped) {
  int err = 0;
  lsp_socket *r = lsp_socket_ref(s, &err);
  if (r == NULL)
    return ext_result(SOCKET_ERROR, err);
  LPFN_CONNECTEX fn =
      next_function(r, &connect_ex_id, (void **)&r->provider->connect_ex, &err);
  int rc = SOCKET_ERROR;
  if (fn != NULL && lpOverlapped == NULL)
    err = WSAEINVAL; /* ConnectEx is overlapped only */
  else if (fn != NULL) {
    lsp_op *op = lsp_op_begin(r, LSP_OP_CONNECTEX,
                              (LPWSAOVERLAPPED)lpOverlapped, NULL, NULL, &err);
    if (op != NULL) {
      BOOL ok = fn(r->lower, name, namelen, lpSendBuffer, dwSendDataLength,
                   lpdwBytesSent, (LPOVERLAPPED)&op->ov);
      rc = lsp_op_submitted(op, ok ? 0 : SOCKET_ERROR,
                            ok ? 0 : WSAGetLastError(), &err);
    }
  }
  lsp_socket_deref(r);
  return ext_result(rc, err);
}

static BOOL WINAPI ext_DisconnectEx(SOCKET s, LPOVERLAPPED lpOverlapped,
                                    DWORD dwFlags, DWORD dwReserved) {
  int err = 0;
  lsp_socket *r = lsp_socket_ref(s, &err);
  if (r == NULL)
    return ext_result(SOCKET_ERROR, err);
  LPFN_DISCONNECTEX fn = next_function(
      r, &disconnect_ex_id, (void **)&r->provider->disconnect_ex, &err);
  int rc = SOCKET_ERROR;
  if (fn != NULL && lpOverlapped == NULL) {
    rc = fn(r->lower, NULL, dwFlags, dwReserved) ? 0 : SOCKET_ERROR;
    if (rc != 0)
      err = WSAGetLastError();
  } else if (fn != NULL) {
    lsp_op *op = lsp_op_begin(r, LSP_OP_DISCONNECTEX,
                              (LPWSAOVERLAPPED)lpOverlapped, NULL, NULL, &err);
    if (op != NULL) {
      BOOL ok = fn(r->lower, (LPOVERLAPPED)&op->ov, dwFlags, dwReserved);
      rc = lsp_op_submitted(op, ok ? 0 : SOCKET_ERROR,
                            ok ? 0 : WSAGetLastError(), &err);
    }
  }
  lsp_socket_deref(r);
  return ext_result(rc, err);
}

/* An ioctl answered here: the output is ready; an overlapped caller is
 * also notified, as for any overlapped call that succeeds at once. */
static int answered(SOCKET h, DWORD bytes, LPDWORD returned, LPWSAOVERLAPPED ov,
                    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                    LPWSATHREADID thread, LPINT err) {
  if (returned != NULL)
    *returned = bytes;
  if (ov != NULL) {
    if (routine != NULL && thread == NULL) {
      *err = WSAEFAULT;
      return SOCKET_ERROR;
    }
    ov->Internal = WSS_OPERATION_IN_PROGRESS;
    lsp_notify(h, ov, routine, thread, 0, bytes, 0);
  }
  return 0;
}

static int extension_pointer(lsp_socket *s, LPVOID in, DWORD inlen, LPVOID out,
                             DWORD outlen, void **fn, LPINT err) {
  if (in == NULL || inlen < sizeof(GUID) || out == NULL ||
      outlen < sizeof(void *)) {
    *err = WSAEFAULT;
    return SOCKET_ERROR;
  }
  GUID id;
  memcpy(&id, in, sizeof id);
  lsp_provider *p = s->provider;
  void *lower = NULL;
  if (IsEqualGUID(&id, &accept_ex_id)) {
    lower = next_function(s, &id, (void **)&p->accept_ex, err);
    *fn = (void *)ext_AcceptEx;
  } else if (IsEqualGUID(&id, &connect_ex_id)) {
    lower = next_function(s, &id, (void **)&p->connect_ex, err);
    *fn = (void *)ext_ConnectEx;
  } else if (IsEqualGUID(&id, &disconnect_ex_id)) {
    lower = next_function(s, &id, (void **)&p->disconnect_ex, err);
    *fn = (void *)ext_DisconnectEx;
  } else if (IsEqualGUID(&id, &sockaddrs_id)) {
    void *slot = NULL;
    lower = next_function(s, &id, &slot, err);
    *fn = lower;
  } else {
    *err = WSAEINVAL;
    return SOCKET_ERROR;
  }
  if (lower == NULL)
    return SOCKET_ERROR;
  memcpy(out, fn, sizeof *fn);
  return 0;
}

/* The size of a poll data with n entries; 0 when it overflows. */
static size_t poll_size(ULONG n) {
  size_t head = offsetof(counting_lsp_poll_data, fdArray);
  if (n > (((size_t)-1) - head) / sizeof(WSAPOLLFD))
    return 0;
  return head + (size_t)n * sizeof(WSAPOLLFD);
}

static int ext_poll(lsp_socket *s, LPVOID in, DWORD inlen, LPVOID out,
                    DWORD outlen, LPDWORD returned, LPWSATHREADID thread,
                    LPINT err) {
  size_t head = offsetof(counting_lsp_poll_data, fdArray);
  if (in == NULL || out == NULL || inlen < head) {
    *err = WSAEFAULT;
    return SOCKET_ERROR;
  }
  ULONG fds;
  memcpy(&fds, (const char *)in + offsetof(counting_lsp_poll_data, fds),
         sizeof fds);
  size_t size = poll_size(fds);
  if (size == 0 || inlen < size || outlen < size) {
    *err = WSAEFAULT;
    return SOCKET_ERROR;
  }
  counting_lsp_poll_data *down = lsp_alloc(size);
  lsp_socket **recs = lsp_alloc((fds > 0 ? fds : 1) * sizeof *recs);
  if (down == NULL || recs == NULL) {
    lsp_free(down);
    lsp_free(recs);
    *err = WSAENOBUFS;
    return SOCKET_ERROR;
  }
  memcpy(down, in, size);
  for (ULONG i = 0; i < fds; i++) {
    int e;
    recs[i] = lsp_socket_ref(down->fdArray[i].fd, &e);
    if (recs[i] != NULL)
      down->fdArray[i].fd = recs[i]->lower;
  }
  DWORD bytes = 0;
  int rc = s->provider->procs.lpWSPIoctl(s->lower, SIO_EXT_POLL, down,
                                         (DWORD)size, down, (DWORD)size, &bytes,
                                         NULL, NULL, thread, err);
  if (rc == 0) {
    /* The caller's fds with the next layer's answers. */
    counting_lsp_poll_data *app = out;
    if (out != in)
      memcpy(out, in, size);
    app->result = down->result;
    for (ULONG i = 0; i < fds; i++)
      app->fdArray[i].revents = down->fdArray[i].revents;
    if (returned != NULL)
      *returned = (DWORD)size;
  }
  for (ULONG i = 0; i < fds; i++)
    if (recs[i] != NULL)
      lsp_socket_deref(recs[i]);
  lsp_free(recs);
  lsp_free(down);
  return rc;
}

static int ext_sendmsg(lsp_socket *s, LPVOID in, DWORD inlen, LPVOID out,
                       DWORD outlen, LPDWORD returned, LPWSATHREADID thread,
                       LPINT err) {
  if (in == NULL || inlen < sizeof(counting_lsp_sendmsg)) {
    *err = WSAEFAULT;
    return SOCKET_ERROR;
  }
  counting_lsp_sendmsg app, down;
  memcpy(&app, in, sizeof app);
  down = app;
  const WSPPROC_TABLE *next = &s->provider->procs;
  if (app.lpOverlapped == NULL) {
    DWORD sent = 0;
    down.lpNumberOfBytesSent = &sent;
    int rc = next->lpWSPIoctl(s->lower, SIO_EXT_SENDMSG, &down, sizeof down,
                              out, outlen, returned, NULL, NULL, thread, err);
    if (rc == 0) {
      lsp_count(s, TRUE, sent);
      if (app.lpNumberOfBytesSent != NULL)
        *app.lpNumberOfBytesSent = sent;
    }
    return rc;
  }
  lsp_op *op = lsp_op_begin(s, LSP_OP_SEND, app.lpOverlapped,
                            app.lpCompletionRoutine, thread, err);
  if (op == NULL)
    return SOCKET_ERROR;
  DWORD done = 0;
  int e = 0;
  down.lpNumberOfBytesSent = &done;
  down.lpOverlapped = &op->ov;
  down.lpCompletionRoutine = NULL;
  int rc = next->lpWSPIoctl(s->lower, SIO_EXT_SENDMSG, &down, sizeof down, out,
                            outlen, returned, NULL, NULL, &op->thread, &e);
  return lsp_op_submitted(op, rc, e, err);
}

int WSPAPI lsp_WSPIoctl(SOCKET h, DWORD dwIoControlCode, LPVOID lpvInBuffer,
                        DWORD cbInBuffer, LPVOID lpvOutBuffer,
                        DWORD cbOutBuffer, LPDWORD lpcbBytesReturned,
                        LPWSAOVERLAPPED lpOverlapped,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                        LPWSATHREADID lpThreadId, LPINT lpErrno) {
  lsp_socket *s = lsp_socket_ref(h, lpErrno);
  if (s == NULL)
    return SOCKET_ERROR;
  int rc = SOCKET_ERROR;
  void *fn = NULL;
  switch (dwIoControlCode) {
  case SIO_COUNTING_LSP_GET_STATS:
    if (lpvOutBuffer == NULL || cbOutBuffer < sizeof(counting_lsp_stats)) {
      *lpErrno = WSAEFAULT;
      break;
    }
    EnterCriticalSection(&s->lock);
    memcpy(lpvOutBuffer, &s->stats, sizeof s->stats);
    LeaveCriticalSection(&s->lock);
    rc = answered(h, sizeof(counting_lsp_stats), lpcbBytesReturned,
                  lpOverlapped, lpCompletionRoutine, lpThreadId, lpErrno);
    break;
  case SIO_GET_EXTENSION_FUNCTION_POINTER:
    if (extension_pointer(s, lpvInBuffer, cbInBuffer, lpvOutBuffer, cbOutBuffer,
                          &fn, lpErrno) == 0)
      rc = answered(h, sizeof fn, lpcbBytesReturned, lpOverlapped,
                    lpCompletionRoutine, lpThreadId, lpErrno);
    break;
  case SIO_BSP_HANDLE:
  case SIO_BSP_HANDLE_SELECT:
  case SIO_BSP_HANDLE_POLL:
    if (lpvOutBuffer == NULL || cbOutBuffer < sizeof(SOCKET)) {
      *lpErrno = WSAEFAULT;
      break;
    }
    memcpy(lpvOutBuffer, &h, sizeof h);
    rc = answered(h, sizeof h, lpcbBytesReturned, lpOverlapped,
                  lpCompletionRoutine, lpThreadId, lpErrno);
    break;
  case SIO_EXT_POLL:
  case SIO_EXT_SENDMSG:
    if (lpOverlapped != NULL) {
      *lpErrno = WSAEINVAL;
      break;
    }
    rc = dwIoControlCode == SIO_EXT_POLL
             ? ext_poll(s, lpvInBuffer, cbInBuffer, lpvOutBuffer, cbOutBuffer,
                        lpcbBytesReturned, lpThreadId, lpErrno)
             : ext_sendmsg(s, lpvInBuffer, cbInBuffer, lpvOutBuffer,
                           cbOutBuffer, lpcbBytesReturned, lpThreadId, lpErrno);
    break;
  default:
    if (lpOverlapped == NULL) {
      rc = s->provider->procs.lpWSPIoctl(
          s->lower, dwIoControlCode, lpvInBuffer, cbInBuffer, lpvOutBuffer,
          cbOutBuffer, lpcbBytesReturned, NULL, NULL, lpThreadId, lpErrno);
    } else {
      lsp_op *op = lsp_op_begin(s, LSP_OP_IOCTL, lpOverlapped,
                                lpCompletionRoutine, lpThreadId, lpErrno);
      if (op != NULL) {
        int e = 0;
        rc = s->provider->procs.lpWSPIoctl(
            s->lower, dwIoControlCode, lpvInBuffer, cbInBuffer, lpvOutBuffer,
            cbOutBuffer, lpcbBytesReturned, &op->ov, NULL, &op->thread, &e);
        rc = lsp_op_submitted(op, rc, e, lpErrno);
      }
    }
    break;
  }
  lsp_socket_deref(s);
  return rc;
}
