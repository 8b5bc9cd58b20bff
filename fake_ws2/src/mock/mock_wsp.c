/* mock_wsp.c: the mock's 30 WSP entry points, its WSPStartup and proc
 * table. Each entry describes its call (mk_call), takes its script
 * (mk_script: CMocka's mock() and check_expected) and does what the result
 * says, or its default (see fws2/mock.h). Calls on a handle that is not a
 * mock socket fail with WSAENOTSOCK and a printed note, taking no script. */
#include <stdlib.h>
#include <string.h>

#include "mock_internal.h"

#define ID(name) FWS2_MOCK_ID_##name

/* ---- Common parts ---- */

static BOOL ours(fws2_mock_entry e, SOCKET s, LPINT lpErrno) {
  if (mk_socket_find(s, NULL))
    return TRUE;
  print_message("fws2_mock: %s got 0x%llx, which is not a socket of the mock "
                "(a layer's own handle passed down?): WSAENOTSOCK\n",
                mk_entry_name(e), (unsigned long long)s);
  *lpErrno = WSAENOTSOCK;
  return FALSE;
}

static int fail_with(const fws2_mock_result *r, LPINT lpErrno) {
  *lpErrno = r->error;
  return SOCKET_ERROR;
}

static DWORD bufs_total(const WSABUF *b, DWORD n) {
  DWORD t = 0;
  for (DWORD i = 0; b != NULL && i < n; i++)
    t += b[i].len;
  return t;
}

/* A contiguous copy of the buffers (freed by the caller), or NULL. */
static char *bufs_flat(const WSABUF *b, DWORD n, DWORD total) {
  char *p = malloc(total + 1);
  if (p == NULL)
    return NULL;
  DWORD at = 0;
  for (DWORD i = 0; b != NULL && i < n; i++) {
    if (b[i].len > 0 && b[i].buf != NULL)
      memcpy(p + at, b[i].buf, b[i].len);
    at += b[i].len;
  }
  return p;
}

static DWORD bufs_put(const WSABUF *b, DWORD n, const void *data, DWORD len) {
  DWORD done = 0;
  for (DWORD i = 0; b != NULL && i < n && done < len; i++) {
    DWORD k = b[i].len < len - done ? b[i].len : len - done;
    memcpy(b[i].buf, (const char *)data + done, k);
    done += k;
  }
  return done;
}

static void copy_addr(const fws2_mock_result *r, struct sockaddr *to,
                      LPINT tolen) {
  if (r->addr == NULL || to == NULL || tolen == NULL)
    return;
  int n = r->addrlen < *tolen ? r->addrlen : *tolen;
  memcpy(to, r->addr, (size_t)n);
  *tolen = r->addrlen;
}

/* The common end of an overlapped-capable transfer: success (notified
 * when overlapped), failure, or pending. */
static int transfer(fws2_mock_entry e, const fws2_mock_result *r, SOCKET s,
                    const WSABUF *bufs, DWORD n, BOOL receive, DWORD bytes,
                    DWORD flags_out, LPWSAOVERLAPPED ov,
                    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                    LPWSATHREADID thread, LPINT lpErrno) {
  if (r->action == FWS2_MOCK_FAIL)
    return fail_with(r, lpErrno);
  if (r->action == FWS2_MOCK_PEND && ov == NULL) {
    print_error("fws2_mock: %s was scripted to pend, but the call is not "
                "overlapped\n",
                mk_entry_name(e));
    _fail(__FILE__, __LINE__);
  }
  if (ov != NULL) {
    int err = mk_ov_begin(ov, routine, thread);
    if (err != 0) {
      *lpErrno = err;
      return SOCKET_ERROR;
    }
    if (r->action == FWS2_MOCK_PEND) {
      err = mk_ov_pend(e, s, ov, routine, thread, receive, bufs, n);
      *lpErrno = err != 0 ? err : WSA_IO_PENDING;
      return SOCKET_ERROR;
    }
    mk_ov_notify(s, ov, routine, thread, 0, bytes, flags_out);
  }
  return 0;
}

static int do_send(fws2_mock_entry e, SOCKET s, LPWSABUF lpBuffers,
                   DWORD dwBufferCount, LPDWORD lpNumberOfBytesSent,
                   DWORD dwFlags, const struct sockaddr *lpTo,
                   LPWSAOVERLAPPED lpOverlapped,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                   LPWSATHREADID lpThreadId, LPINT lpErrno) {
  if (!ours(e, s, lpErrno))
    return SOCKET_ERROR;
  DWORD total = bufs_total(lpBuffers, dwBufferCount);
  char *flat = bufs_flat(lpBuffers, dwBufferCount, total);
  mk_call c = {e, s, flat, total, dwFlags, lpTo, 0, lpOverlapped};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  free(flat);
  DWORD sent = r->bytes < total ? r->bytes : total;
  if (r->action == FWS2_MOCK_SUCCEED && lpNumberOfBytesSent != NULL)
    *lpNumberOfBytesSent = sent;
  return transfer(e, r, s, lpBuffers, dwBufferCount, FALSE, sent, 0,
                  lpOverlapped, lpCompletionRoutine, lpThreadId, lpErrno);
}

static int do_recv(fws2_mock_entry e, SOCKET s, LPWSABUF lpBuffers,
                   DWORD dwBufferCount, LPDWORD lpNumberOfBytesRecvd,
                   LPDWORD lpFlags, struct sockaddr *lpFrom, LPINT lpFromlen,
                   LPWSAOVERLAPPED lpOverlapped,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                   LPWSATHREADID lpThreadId, LPINT lpErrno) {
  if (!ours(e, s, lpErrno))
    return SOCKET_ERROR;
  DWORD cap = bufs_total(lpBuffers, dwBufferCount);
  mk_call c = {e,    s, NULL,        cap, lpFlags != NULL ? *lpFlags : 0,
               NULL, 0, lpOverlapped};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  DWORD got = 0;
  if (r->action == FWS2_MOCK_SUCCEED) {
    if (r->data != NULL)
      got = bufs_put(lpBuffers, dwBufferCount, r->data, r->len);
    else
      got = r->bytes < cap ? r->bytes : cap;
    if (lpNumberOfBytesRecvd != NULL)
      *lpNumberOfBytesRecvd = got;
    if (lpFlags != NULL)
      *lpFlags = r->flags;
    copy_addr(r, lpFrom, lpFromlen);
  }
  return transfer(e, r, s, lpBuffers, dwBufferCount, TRUE, got, r->flags,
                  lpOverlapped, lpCompletionRoutine, lpThreadId, lpErrno);
}

/* ---- The entry points ---- */

static SOCKET WSPAPI fws2_mock_WSPAccept(SOCKET s, struct sockaddr *addr,
                                         LPINT addrlen,
                                         LPCONDITIONPROC lpfnCondition,
                                         DWORD_PTR dwCallbackData,
                                         LPINT lpErrno) {
  (void)lpfnCondition, (void)dwCallbackData;
  if (!ours(ID(WSPAccept), s, lpErrno))
    return INVALID_SOCKET;
  mk_call c = {ID(WSPAccept), s, NULL, 0, 0, NULL, 0, NULL};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  if (r->action != FWS2_MOCK_SUCCEED) {
    *lpErrno = r->action == FWS2_MOCK_FAIL ? r->error : WSAEWOULDBLOCK;
    return INVALID_SOCKET;
  }
  WSAPROTOCOL_INFOW info;
  mk_socket_find(s, &info);
  SOCKET a = mk_socket_new(&info, lpErrno);
  if (a != INVALID_SOCKET)
    copy_addr(r, addr, addrlen);
  return a;
}

static INT WSPAPI fws2_mock_WSPAddressToString(
    LPSOCKADDR lpsaAddress, DWORD dwAddressLength,
    LPWSAPROTOCOL_INFOW lpProtocolInfo, LPWSTR lpszAddressString,
    LPDWORD lpdwAddressStringLength, LPINT lpErrno) {
  (void)lpProtocolInfo;
  mk_call c = {ID(WSPAddressToString),
               0,
               lpsaAddress,
               dwAddressLength,
               0,
               lpsaAddress,
               0,
               NULL};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  if (r->action != FWS2_MOCK_SUCCEED)
    return fail_with(r, lpErrno);
  DWORD need = r->len / sizeof(WCHAR) + 1;
  if (lpdwAddressStringLength == NULL) {
    *lpErrno = WSAEFAULT;
    return SOCKET_ERROR;
  }
  if (lpszAddressString == NULL || *lpdwAddressStringLength < need) {
    *lpdwAddressStringLength = need;
    *lpErrno = WSAEFAULT;
    return SOCKET_ERROR;
  }
  memcpy(lpszAddressString, r->data, r->len);
  lpszAddressString[need - 1] = 0;
  *lpdwAddressStringLength = need;
  return 0;
}

static int WSPAPI fws2_mock_WSPAsyncSelect(SOCKET s, HWND hWnd,
                                           unsigned int wMsg, LONG lEvent,
                                           LPINT lpErrno) {
  if (!ours(ID(WSPAsyncSelect), s, lpErrno))
    return SOCKET_ERROR;
  mk_call c = {ID(WSPAsyncSelect), s, NULL, 0, 0, NULL, lEvent, NULL};
  const fws2_mock_result *r = mk_script(&c, TRUE);
  if (r != NULL && r->action != FWS2_MOCK_SUCCEED)
    return fail_with(r, lpErrno);
  *lpErrno = mk_select_event(s, NULL, hWnd, wMsg, lEvent);
  return *lpErrno == 0 ? 0 : SOCKET_ERROR;
}

static int WSPAPI fws2_mock_WSPBind(SOCKET s, const struct sockaddr *name,
                                    int namelen, LPINT lpErrno) {
  if (!ours(ID(WSPBind), s, lpErrno))
    return SOCKET_ERROR;
  mk_call c = {ID(WSPBind), s, name, (DWORD)namelen, 0, name, 0, NULL};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  return r->action == FWS2_MOCK_SUCCEED ? 0 : fail_with(r, lpErrno);
}

static int WSPAPI fws2_mock_WSPCancelBlockingCall(LPINT lpErrno) {
  mk_call c = {ID(WSPCancelBlockingCall), 0, NULL, 0, 0, NULL, 0, NULL};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  return r->action == FWS2_MOCK_SUCCEED ? 0 : fail_with(r, lpErrno);
}

static int WSPAPI fws2_mock_WSPCleanup(LPINT lpErrno) {
  mk_call c = {ID(WSPCleanup), 0, NULL, 0, 0, NULL, 0, NULL};
  const fws2_mock_result *r = mk_script(&c, TRUE);
  if (r != NULL && r->action != FWS2_MOCK_SUCCEED)
    return fail_with(r, lpErrno);
  LONG left;
  do {
    left = InterlockedCompareExchange(&mk_startups, 0, 0);
    if (left <= 0) {
      *lpErrno = WSANOTINITIALISED;
      return SOCKET_ERROR;
    }
  } while (InterlockedCompareExchange(&mk_startups, left - 1, left) != left);
  if (left == 1)
    mk_socket_close_all(); /* as a base provider does at its last cleanup */
  return 0;
}

static int WSPAPI fws2_mock_WSPCloseSocket(SOCKET s, LPINT lpErrno) {
  if (!ours(ID(WSPCloseSocket), s, lpErrno))
    return SOCKET_ERROR;
  mk_call c = {ID(WSPCloseSocket), s, NULL, 0, 0, NULL, 0, NULL};
  const fws2_mock_result *r = mk_script(&c, TRUE);
  if (r != NULL && r->action != FWS2_MOCK_SUCCEED)
    return fail_with(r, lpErrno);
  *lpErrno = mk_socket_close(s);
  return *lpErrno == 0 ? 0 : SOCKET_ERROR;
}

static int WSPAPI fws2_mock_WSPConnect(SOCKET s, const struct sockaddr *name,
                                       int namelen, LPWSABUF lpCallerData,
                                       LPWSABUF lpCalleeData, LPQOS lpSQOS,
                                       LPQOS lpGQOS, LPINT lpErrno) {
  (void)lpCallerData, (void)lpCalleeData, (void)lpSQOS, (void)lpGQOS;
  if (!ours(ID(WSPConnect), s, lpErrno))
    return SOCKET_ERROR;
  mk_call c = {ID(WSPConnect), s, name, (DWORD)namelen, 0, name, 0, NULL};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  return r->action == FWS2_MOCK_SUCCEED ? 0 : fail_with(r, lpErrno);
}

static int WSPAPI fws2_mock_WSPDuplicateSocket(
    SOCKET s, DWORD dwProcessId, LPWSAPROTOCOL_INFOW lpProtocolInfo,
    LPINT lpErrno) {
  if (!ours(ID(WSPDuplicateSocket), s, lpErrno))
    return SOCKET_ERROR;
  mk_call c = {ID(WSPDuplicateSocket), s,   NULL, 0, 0, NULL,
               (LONG)dwProcessId,      NULL};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  if (r->action != FWS2_MOCK_SUCCEED)
    return fail_with(r, lpErrno);
  if (lpProtocolInfo == NULL) {
    *lpErrno = WSAEFAULT;
    return SOCKET_ERROR;
  }
  mk_socket_find(s, lpProtocolInfo);
  return 0;
}

static int WSPAPI fws2_mock_WSPEnumNetworkEvents(
    SOCKET s, WSAEVENT hEventObject, LPWSANETWORKEVENTS lpNetworkEvents,
    LPINT lpErrno) {
  if (!ours(ID(WSPEnumNetworkEvents), s, lpErrno))
    return SOCKET_ERROR;
  mk_call c = {ID(WSPEnumNetworkEvents), s, NULL, 0, 0, NULL, 0, NULL};
  const fws2_mock_result *r = mk_script(&c, TRUE);
  if (r != NULL && r->action != FWS2_MOCK_SUCCEED)
    return fail_with(r, lpErrno);
  *lpErrno = mk_enum_events(s, hEventObject, lpNetworkEvents);
  return *lpErrno == 0 ? 0 : SOCKET_ERROR;
}

static int WSPAPI fws2_mock_WSPEventSelect(SOCKET s, WSAEVENT hEventObject,
                                           LONG lNetworkEvents, LPINT lpErrno) {
  if (!ours(ID(WSPEventSelect), s, lpErrno))
    return SOCKET_ERROR;
  mk_call c = {ID(WSPEventSelect), s, NULL, 0, 0, NULL, lNetworkEvents, NULL};
  const fws2_mock_result *r = mk_script(&c, TRUE);
  if (r != NULL && r->action != FWS2_MOCK_SUCCEED)
    return fail_with(r, lpErrno);
  *lpErrno = mk_select_event(s, hEventObject, NULL, 0, lNetworkEvents);
  return *lpErrno == 0 ? 0 : SOCKET_ERROR;
}

static BOOL WSPAPI fws2_mock_WSPGetOverlappedResult(
    SOCKET s, LPWSAOVERLAPPED lpOverlapped, LPDWORD lpcbTransfer, BOOL fWait,
    LPDWORD lpdwFlags, LPINT lpErrno) {
  if (!ours(ID(WSPGetOverlappedResult), s, lpErrno))
    return FALSE;
  mk_call c = {
      ID(WSPGetOverlappedResult), s, NULL, 0, 0, NULL, fWait, lpOverlapped};
  const fws2_mock_result *r = mk_script(&c, TRUE);
  if (r != NULL) {
    if (r->action != FWS2_MOCK_SUCCEED) {
      *lpErrno = r->action == FWS2_MOCK_FAIL ? r->error : WSA_IO_INCOMPLETE;
      return FALSE;
    }
    if (lpcbTransfer != NULL)
      *lpcbTransfer = r->bytes;
    if (lpdwFlags != NULL)
      *lpdwFlags = r->flags;
    return TRUE;
  }
  if (lpOverlapped == NULL || lpcbTransfer == NULL || lpdwFlags == NULL) {
    *lpErrno = WSAEFAULT;
    return FALSE;
  }
  volatile ULONG_PTR *internal = (volatile ULONG_PTR *)&lpOverlapped->Internal;
  if (*internal == WSS_OPERATION_IN_PROGRESS) {
    HANDLE ev = (HANDLE)((ULONG_PTR)lpOverlapped->hEvent & ~(ULONG_PTR)1);
    if (!fWait) {
      *lpErrno = WSA_IO_INCOMPLETE;
      return FALSE;
    }
    if (ev == NULL) {
      *lpErrno = WSA_INVALID_HANDLE;
      return FALSE;
    }
    WaitForSingleObject(ev, INFINITE);
  }
  MemoryBarrier();
  *lpcbTransfer = (DWORD)lpOverlapped->InternalHigh;
  *lpdwFlags = lpOverlapped->Offset;
  if (lpOverlapped->OffsetHigh != 0) {
    *lpErrno = (int)lpOverlapped->OffsetHigh;
    return FALSE;
  }
  return TRUE;
}

static int name_call(fws2_mock_entry e, SOCKET s, struct sockaddr *name,
                     LPINT namelen, LPINT lpErrno) {
  if (!ours(e, s, lpErrno))
    return SOCKET_ERROR;
  mk_call c = {e, s,    NULL, namelen != NULL ? (DWORD)*namelen : 0,
               0, NULL, 0,    NULL};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  if (r->action != FWS2_MOCK_SUCCEED)
    return fail_with(r, lpErrno);
  copy_addr(r, name, namelen);
  return 0;
}

static int WSPAPI fws2_mock_WSPGetPeerName(SOCKET s, struct sockaddr *name,
                                           LPINT namelen, LPINT lpErrno) {
  return name_call(ID(WSPGetPeerName), s, name, namelen, lpErrno);
}

static int WSPAPI fws2_mock_WSPGetSockName(SOCKET s, struct sockaddr *name,
                                           LPINT namelen, LPINT lpErrno) {
  return name_call(ID(WSPGetSockName), s, name, namelen, lpErrno);
}

static int WSPAPI fws2_mock_WSPGetSockOpt(SOCKET s, int level, int optname,
                                          char *optval, LPINT optlen,
                                          LPINT lpErrno) {
  (void)level;
  if (!ours(ID(WSPGetSockOpt), s, lpErrno))
    return SOCKET_ERROR;
  mk_call c = {
      ID(WSPGetSockOpt), s,   NULL, optlen ? (DWORD)*optlen : 0, 0, NULL,
      optname,           NULL};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  if (r->action != FWS2_MOCK_SUCCEED)
    return fail_with(r, lpErrno);
  if (optval == NULL || optlen == NULL || *optlen < (int)r->len) {
    *lpErrno = WSAEFAULT;
    return SOCKET_ERROR;
  }
  if (r->len > 0)
    memcpy(optval, r->data, r->len);
  *optlen = (int)r->len;
  return 0;
}

static BOOL WSPAPI fws2_mock_WSPGetQOSByName(SOCKET s, LPWSABUF lpQOSName,
                                             LPQOS lpQOS, LPINT lpErrno) {
  (void)lpQOS;
  if (!ours(ID(WSPGetQOSByName), s, lpErrno))
    return FALSE;
  mk_call c = {ID(WSPGetQOSByName),
               s,
               lpQOSName != NULL ? lpQOSName->buf : 0,
               lpQOSName != NULL ? lpQOSName->len : 0,
               0,
               NULL,
               0,
               NULL};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  if (r->action != FWS2_MOCK_SUCCEED) {
    *lpErrno = r->error;
    return FALSE;
  }
  return TRUE;
}

static int WSPAPI
fws2_mock_WSPIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer,
                   DWORD cbInBuffer, LPVOID lpvOutBuffer, DWORD cbOutBuffer,
                   LPDWORD lpcbBytesReturned, LPWSAOVERLAPPED lpOverlapped,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                   LPWSATHREADID lpThreadId, LPINT lpErrno) {
  if (!ours(ID(WSPIoctl), s, lpErrno))
    return SOCKET_ERROR;
  mk_call c = {
      ID(WSPIoctl),          s,           lpvInBuffer, cbInBuffer, 0, NULL,
      (LONG)dwIoControlCode, lpOverlapped};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  DWORD out = 0;
  if (r->action == FWS2_MOCK_SUCCEED) {
    if (r->len > cbOutBuffer || (r->len > 0 && lpvOutBuffer == NULL)) {
      *lpErrno = WSAEFAULT;
      return SOCKET_ERROR;
    }
    if (r->len > 0)
      memcpy(lpvOutBuffer, r->data, r->len);
    out = r->len;
    if (lpcbBytesReturned != NULL)
      *lpcbBytesReturned = out;
  }
  WSABUF b = {cbOutBuffer, lpvOutBuffer};
  return transfer(ID(WSPIoctl), r, s, &b, 1, TRUE, out, 0, lpOverlapped,
                  lpCompletionRoutine, lpThreadId, lpErrno);
}

static SOCKET WSPAPI fws2_mock_WSPJoinLeaf(SOCKET s,
                                           const struct sockaddr *name,
                                           int namelen, LPWSABUF lpCallerData,
                                           LPWSABUF lpCalleeData, LPQOS lpSQOS,
                                           LPQOS lpGQOS, DWORD dwFlags,
                                           LPINT lpErrno) {
  (void)lpCallerData, (void)lpCalleeData, (void)lpSQOS, (void)lpGQOS;
  if (!ours(ID(WSPJoinLeaf), s, lpErrno))
    return INVALID_SOCKET;
  mk_call c = {ID(WSPJoinLeaf), s,    name, (DWORD)namelen,
               dwFlags,         name, 0,    NULL};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  if (r->action != FWS2_MOCK_SUCCEED) {
    *lpErrno = r->action == FWS2_MOCK_FAIL ? r->error : WSAEWOULDBLOCK;
    return INVALID_SOCKET;
  }
  WSAPROTOCOL_INFOW info;
  mk_socket_find(s, &info);
  return mk_socket_new(&info, lpErrno);
}

static int WSPAPI fws2_mock_WSPListen(SOCKET s, int backlog, LPINT lpErrno) {
  if (!ours(ID(WSPListen), s, lpErrno))
    return SOCKET_ERROR;
  mk_call c = {ID(WSPListen), s, NULL, 0, 0, NULL, backlog, NULL};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  return r->action == FWS2_MOCK_SUCCEED ? 0 : fail_with(r, lpErrno);
}

static int WSPAPI fws2_mock_WSPRecv(
    SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
    LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags, LPWSAOVERLAPPED lpOverlapped,
    LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
    LPWSATHREADID lpThreadId, LPINT lpErrno) {
  return do_recv(ID(WSPRecv), s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd,
                 lpFlags, NULL, NULL, lpOverlapped, lpCompletionRoutine,
                 lpThreadId, lpErrno);
}

static int WSPAPI fws2_mock_WSPRecvDisconnect(SOCKET s,
                                              LPWSABUF lpInboundDisconnectData,
                                              LPINT lpErrno) {
  (void)lpInboundDisconnectData;
  if (!ours(ID(WSPRecvDisconnect), s, lpErrno))
    return SOCKET_ERROR;
  mk_call c = {ID(WSPRecvDisconnect), s, NULL, 0, 0, NULL, 0, NULL};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  return r->action == FWS2_MOCK_SUCCEED ? 0 : fail_with(r, lpErrno);
}

static int WSPAPI fws2_mock_WSPRecvFrom(
    SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
    LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags, struct sockaddr *lpFrom,
    LPINT lpFromlen, LPWSAOVERLAPPED lpOverlapped,
    LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
    LPWSATHREADID lpThreadId, LPINT lpErrno) {
  return do_recv(ID(WSPRecvFrom), s, lpBuffers, dwBufferCount,
                 lpNumberOfBytesRecvd, lpFlags, lpFrom, lpFromlen, lpOverlapped,
                 lpCompletionRoutine, lpThreadId, lpErrno);
}

static BOOL in_list(SOCKET s, const SOCKET *list, int n) {
  for (int i = 0; i < n; i++)
    if (list[i] == s)
      return TRUE;
  return FALSE;
}

static int WSPAPI fws2_mock_WSPSelect(int nfds, fd_set *readfds,
                                      fd_set *writefds, fd_set *exceptfds,
                                      const struct timeval *timeout,
                                      LPINT lpErrno) {
  (void)nfds;
  fd_set *sets[3] = {readfds, writefds, exceptfds};
  SOCKET first = 0;
  for (int i = 0; i < 3 && first == 0; i++)
    if (sets[i] != NULL && sets[i]->fd_count > 0)
      first = sets[i]->fd_array[0];
  mk_call c = {ID(WSPSelect),
               first,
               NULL,
               0,
               0,
               NULL,
               timeout != NULL
                   ? (LONG)(timeout->tv_sec * 1000 + timeout->tv_usec / 1000)
                   : -1,
               NULL};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  if (r->action != FWS2_MOCK_SUCCEED)
    return fail_with(r, lpErrno);
  int count = 0;
  for (int i = 0; i < 3; i++) {
    if (sets[i] == NULL)
      continue;
    u_int k = 0;
    for (u_int j = 0; j < sets[i]->fd_count; j++)
      if (r->ready == NULL ||
          in_list(sets[i]->fd_array[j], r->ready, r->nready))
        sets[i]->fd_array[k++] = sets[i]->fd_array[j];
    sets[i]->fd_count = k;
    count += (int)k;
  }
  return count;
}

static int WSPAPI fws2_mock_WSPSend(
    SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
    LPDWORD lpNumberOfBytesSent, DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
    LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
    LPWSATHREADID lpThreadId, LPINT lpErrno) {
  return do_send(ID(WSPSend), s, lpBuffers, dwBufferCount, lpNumberOfBytesSent,
                 dwFlags, NULL, lpOverlapped, lpCompletionRoutine, lpThreadId,
                 lpErrno);
}

static int WSPAPI fws2_mock_WSPSendDisconnect(SOCKET s,
                                              LPWSABUF lpOutboundDisconnectData,
                                              LPINT lpErrno) {
  (void)lpOutboundDisconnectData;
  if (!ours(ID(WSPSendDisconnect), s, lpErrno))
    return SOCKET_ERROR;
  mk_call c = {ID(WSPSendDisconnect), s, NULL, 0, 0, NULL, 0, NULL};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  return r->action == FWS2_MOCK_SUCCEED ? 0 : fail_with(r, lpErrno);
}

static int WSPAPI fws2_mock_WSPSendTo(
    SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
    LPDWORD lpNumberOfBytesSent, DWORD dwFlags, const struct sockaddr *lpTo,
    int iTolen, LPWSAOVERLAPPED lpOverlapped,
    LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
    LPWSATHREADID lpThreadId, LPINT lpErrno) {
  (void)iTolen;
  return do_send(ID(WSPSendTo), s, lpBuffers, dwBufferCount,
                 lpNumberOfBytesSent, dwFlags, lpTo, lpOverlapped,
                 lpCompletionRoutine, lpThreadId, lpErrno);
}

static int WSPAPI fws2_mock_WSPSetSockOpt(SOCKET s, int level, int optname,
                                          const char *optval, int optlen,
                                          LPINT lpErrno) {
  (void)level;
  if (!ours(ID(WSPSetSockOpt), s, lpErrno))
    return SOCKET_ERROR;
  mk_call c = {ID(WSPSetSockOpt), s,   optval, (DWORD)optlen, 0, NULL,
               optname,           NULL};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  return r->action == FWS2_MOCK_SUCCEED ? 0 : fail_with(r, lpErrno);
}

static int WSPAPI fws2_mock_WSPShutdown(SOCKET s, int how, LPINT lpErrno) {
  if (!ours(ID(WSPShutdown), s, lpErrno))
    return SOCKET_ERROR;
  mk_call c = {ID(WSPShutdown), s, NULL, 0, 0, NULL, how, NULL};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  return r->action == FWS2_MOCK_SUCCEED ? 0 : fail_with(r, lpErrno);
}

static SOCKET WSPAPI fws2_mock_WSPSocket(int af, int type, int protocol,
                                         LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                         GROUP g, DWORD dwFlags,
                                         LPINT lpErrno) {
  (void)g;
  mk_call c = {ID(WSPSocket), 0,    NULL, (DWORD)protocol,
               dwFlags,       NULL, type, NULL};
  const fws2_mock_result *r = mk_script(&c, TRUE);
  if (r != NULL && r->action != FWS2_MOCK_SUCCEED) {
    *lpErrno = r->action == FWS2_MOCK_FAIL ? r->error : WSAEINVAL;
    return INVALID_SOCKET;
  }
  WSAPROTOCOL_INFOW info;
  memset(&info, 0, sizeof info);
  if (lpProtocolInfo != NULL)
    info = *lpProtocolInfo;
  if (af != 0 && af != FROM_PROTOCOL_INFO)
    info.iAddressFamily = af;
  if (type != 0 && type != FROM_PROTOCOL_INFO)
    info.iSocketType = type;
  return mk_socket_new(&info, lpErrno);
}

static INT WSPAPI fws2_mock_WSPStringToAddress(
    LPWSTR AddressString, INT AddressFamily, LPWSAPROTOCOL_INFOW lpProtocolInfo,
    LPSOCKADDR lpAddress, LPINT lpAddressLength, LPINT lpErrno) {
  (void)lpProtocolInfo;
  DWORD n = 0;
  while (AddressString != NULL && AddressString[n] != 0)
    n++;
  mk_call c = {ID(WSPStringToAddress), 0,   AddressString,
               n * sizeof(WCHAR),      0,   NULL,
               AddressFamily,          NULL};
  const fws2_mock_result *r = mk_script(&c, FALSE);
  if (r->action != FWS2_MOCK_SUCCEED)
    return fail_with(r, lpErrno);
  if (lpAddress == NULL || lpAddressLength == NULL ||
      *lpAddressLength < r->addrlen) {
    if (lpAddressLength != NULL)
      *lpAddressLength = r->addrlen;
    *lpErrno = WSAEFAULT;
    return SOCKET_ERROR;
  }
  copy_addr(r, lpAddress, lpAddressLength);
  return 0;
}

/* ---- The table and WSPStartup ---- */

const WSPPROC_TABLE fws2_mock_procs = {
    fws2_mock_WSPAccept,
    fws2_mock_WSPAddressToString,
    fws2_mock_WSPAsyncSelect,
    fws2_mock_WSPBind,
    fws2_mock_WSPCancelBlockingCall,
    fws2_mock_WSPCleanup,
    fws2_mock_WSPCloseSocket,
    fws2_mock_WSPConnect,
    fws2_mock_WSPDuplicateSocket,
    fws2_mock_WSPEnumNetworkEvents,
    fws2_mock_WSPEventSelect,
    fws2_mock_WSPGetOverlappedResult,
    fws2_mock_WSPGetPeerName,
    fws2_mock_WSPGetSockName,
    fws2_mock_WSPGetSockOpt,
    fws2_mock_WSPGetQOSByName,
    fws2_mock_WSPIoctl,
    fws2_mock_WSPJoinLeaf,
    fws2_mock_WSPListen,
    fws2_mock_WSPRecv,
    fws2_mock_WSPRecvDisconnect,
    fws2_mock_WSPRecvFrom,
    /* mingw-w64's LPWSPSELECT has `const PTIMEVAL`; the cast serves both. */
    (LPWSPSELECT)fws2_mock_WSPSelect,
    fws2_mock_WSPSend,
    fws2_mock_WSPSendDisconnect,
    fws2_mock_WSPSendTo,
    fws2_mock_WSPSetSockOpt,
    fws2_mock_WSPShutdown,
    fws2_mock_WSPSocket,
    fws2_mock_WSPStringToAddress,
};

int WSPAPI fws2_mock_WSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                                LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                WSPUPCALLTABLE UpcallTable,
                                LPWSPPROC_TABLE lpProcTable) {
  if (LOBYTE(wVersionRequested) < 2)
    return WSAVERNOTSUPPORTED;
  if (lpWSPData == NULL || lpProtocolInfo == NULL || lpProcTable == NULL)
    return WSAEFAULT;
  mk_up = UpcallTable;
  InterlockedIncrement(&mk_startups);
  memset(lpWSPData, 0, sizeof *lpWSPData);
  lpWSPData->wVersion = MAKEWORD(2, 2);
  lpWSPData->wHighVersion = MAKEWORD(2, 2);
  static const char desc[] = "fake_ws2 CMocka mock layer";
  for (size_t i = 0; i < sizeof desc; i++)
    lpWSPData->szDescription[i] = (WCHAR)desc[i];
  *lpProcTable = fws2_mock_procs;
  return 0;
}
