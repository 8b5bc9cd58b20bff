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
 * handle (ws2_32 then sends WSASendMsg, select and WSAPoll to us);
 * SIO_BASE_HANDLE goes down (the documentation forbids LSPs to intercept
 * it). Every other code goes to the next layer with its socket, overlapped
 * ones through the substitution. */
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
