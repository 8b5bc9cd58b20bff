/* sockets.c: counting_lsp's socket records and handles, and the WSP*
 * entries that only translate our handle to the next layer's socket.
 *
 * Every socket the LSP gives out is a WPUCreateSocketHandle handle under
 * our own catalog entry, whose context is the lsp_socket record; every call
 * finds the record again with WPUQuerySocketHandleContext. So ws2_32 sends
 * every call on the socket to us, ReadFile/WriteFile included (as WSPRecv
 * and WSPSend). The record is reference-counted: closesocket closes the
 * next layer's socket at once (which ends its pending operations) but the
 * handle and the record stay until the last operation in flight has been
 * completed to the application; only then does WPUCloseSocketHandle run.
 * Calls on a socket the application closed fail with WSAENOTSOCK.
 *
 * WSPCancelBlockingCall asks every next layer and succeeds when one of them
 * cancelled a call of this thread (WSAEINVAL otherwise). */
#include <string.h>

#include "lsp_internal.h"

/* ---- Records ---- */

SOCKET lsp_socket_create(lsp_provider *p, SOCKET lower,
                         const lsp_socket *parent, LPINT err) {
  if (lower == INVALID_SOCKET)
    return INVALID_SOCKET;
  int e;
  lsp_socket *s = lsp_alloc(sizeof *s);
  if (s == NULL) {
    p->procs.lpWSPCloseSocket(lower, &e);
    *err = WSAENOBUFS;
    return INVALID_SOCKET;
  }
  s->lower = lower;
  s->provider = p;
  s->refs = 1; /* the open handle */
  InitializeCriticalSection(&s->lock);
  s->handle = g.up.lpWPUCreateSocketHandle(p->layer.dwCatalogEntryId,
                                           (DWORD_PTR)s, err);
  if (s->handle == INVALID_SOCKET) {
    p->procs.lpWSPCloseSocket(lower, &e);
    DeleteCriticalSection(&s->lock);
    lsp_free(s);
    return INVALID_SOCKET;
  }
  EnterCriticalSection(&g.lock);
  if (parent != NULL) { /* accepted sockets keep WSAAsyncSelect's target */
    s->hwnd = parent->hwnd;
    s->msg = parent->msg;
  }
  s->next = g.sockets;
  if (g.sockets != NULL)
    g.sockets->prev = s;
  g.sockets = s;
  SOCKET handle = s->handle; /* s may go as soon as g.lock is left */
  LeaveCriticalSection(&g.lock);
  if (parent != NULL)
    lsp_async_created(lower);
  return handle;
}

lsp_socket *lsp_socket_ref(SOCKET h, LPINT err) {
  DWORD_PTR ctx = 0;
  lsp_socket *s = NULL;
  EnterCriticalSection(&g.lock);
  /* The context of a handle of ANOTHER non-IFS provider (a handle in a
   * select set, SO_UPDATE_ACCEPT_CONTEXT's optval, AcceptEx's accept
   * socket) is that provider's pointer, or any value: it is used only if it
   * is one of our live records, found in our list (never dereferenced
   * before). O(sockets); a real LSP with many sockets would use a set. */
  if (g.up.lpWPUQuerySocketHandleContext(h, &ctx, err) == 0) {
    s = g.sockets;
    while (s != NULL && s != (lsp_socket *)ctx)
      s = s->next;
    if (s != NULL && (s->closing || s->handle != h))
      s = NULL;
    if (s != NULL)
      InterlockedIncrement(&s->refs);
  }
  LeaveCriticalSection(&g.lock);
  if (s == NULL)
    *err = WSAENOTSOCK;
  return s;
}

void lsp_socket_addref(lsp_socket *s) {
  InterlockedIncrement(&s->refs);
}

void lsp_socket_deref(lsp_socket *s) {
  if (InterlockedDecrement(&s->refs) != 0)
    return;
  /* Unlinked and the handle closed under g.lock, so that no lookup can find
   * the record once it is being freed. */
  int e;
  EnterCriticalSection(&g.lock);
  if (s->prev != NULL)
    s->prev->next = s->next;
  else
    g.sockets = s->next;
  if (s->next != NULL)
    s->next->prev = s->prev;
  g.up.lpWPUCloseSocketHandle(s->handle, &e);
  LeaveCriticalSection(&g.lock);
  DeleteCriticalSection(&s->lock);
  lsp_free(s);
  SetEvent(g.freed); /* the last WSPCleanup may be waiting for this */
}

/* Marks s closing; FALSE when it was already. */
static BOOL mark_closing(lsp_socket *s) {
  EnterCriticalSection(&g.lock);
  BOOL first = !s->closing;
  s->closing = TRUE;
  LeaveCriticalSection(&g.lock);
  return first;
}

void lsp_socket_close_all(void) {
  for (;;) {
    EnterCriticalSection(&g.lock);
    lsp_socket *s = g.sockets;
    while (s != NULL && s->closing)
      s = s->next;
    if (s != NULL) {
      s->closing = TRUE;
      InterlockedIncrement(&s->refs);
    }
    LeaveCriticalSection(&g.lock);
    if (s == NULL)
      return;
    /* Abortive, as nonifslsp does: the process is giving up its sockets. */
    LINGER l = {1, 0};
    int e;
    s->provider->procs.lpWSPSetSockOpt(s->lower, SOL_SOCKET, SO_LINGER,
                                       (const char *)&l, sizeof l, &e);
    s->provider->procs.lpWSPCloseSocket(s->lower, &e);
    lsp_socket_deref(s); /* the open handle */
    lsp_socket_deref(s);
  }
}

void lsp_count(lsp_socket *s, BOOL send, DWORD bytes) {
  EnterCriticalSection(&s->lock);
  if (send) {
    s->stats.bytes_sent += bytes;
    s->stats.sends++;
  } else {
    s->stats.bytes_received += bytes;
    s->stats.receives++;
  }
  LeaveCriticalSection(&s->lock);
}

/* The body of an entry that calls the next layer's fn with its socket. */
#define FORWARD(h, fn, ...)                                                    \
  do {                                                                         \
    lsp_socket *s_ = lsp_socket_ref(h, lpErrno);                               \
    if (s_ == NULL)                                                            \
      return SOCKET_ERROR;                                                     \
    int rc_ = s_->provider->procs.fn(s_->lower, __VA_ARGS__, lpErrno);         \
    lsp_socket_deref(s_);                                                      \
    return rc_;                                                                \
  } while (0)

/* ---- Socket life ---- */

static SOCKET WSPAPI lsp_WSPSocket(int af, int type, int protocol,
                                   LPWSAPROTOCOL_INFOW lpProtocolInfo, GROUP g_,
                                   DWORD dwFlags, LPINT lpErrno) {
  lsp_provider *p = lsp_provider_for(lpProtocolInfo, lpErrno);
  if (p == NULL)
    return INVALID_SOCKET;
  /* The next layer gets its own entry (or our chain, for another LSP),
   * with the caller's dwProviderReserved (duplicated sockets carry theirs
   * there). Our completion port needs overlapped sockets below. */
  WSAPROTOCOL_INFOW down = p->down;
  down.dwProviderReserved = lpProtocolInfo->dwProviderReserved;
  SOCKET lower = p->procs.lpWSPSocket(af, type, protocol, &down, g_,
                                      dwFlags | WSA_FLAG_OVERLAPPED, lpErrno);
  return lsp_socket_create(p, lower, NULL, lpErrno);
}

static int WSPAPI lsp_WSPCloseSocket(SOCKET h, LPINT lpErrno) {
  lsp_socket *s = lsp_socket_ref(h, lpErrno);
  if (s == NULL)
    return SOCKET_ERROR;
  if (!mark_closing(s)) { /* another thread closed it meanwhile */
    lsp_socket_deref(s);
    *lpErrno = WSAENOTSOCK;
    return SOCKET_ERROR;
  }
  if (s->provider->procs.lpWSPCloseSocket(s->lower, lpErrno) != 0) {
    /* e.g. WSAEWOULDBLOCK (non-blocking linger): the socket stays open */
    EnterCriticalSection(&g.lock);
    s->closing = FALSE;
    LeaveCriticalSection(&g.lock);
    lsp_socket_deref(s);
    return SOCKET_ERROR;
  }
  lsp_socket_deref(s); /* the open handle: last one unless I/O is in flight */
  lsp_socket_deref(s);
  return 0;
}

static SOCKET WSPAPI lsp_WSPAccept(SOCKET h, struct sockaddr *addr,
                                   LPINT addrlen, LPCONDITIONPROC lpfnCondition,
                                   DWORD_PTR dwCallbackData, LPINT lpErrno) {
  lsp_socket *s = lsp_socket_ref(h, lpErrno);
  if (s == NULL)
    return INVALID_SOCKET;
  lsp_async_accepting(TRUE);
  SOCKET lower = s->provider->procs.lpWSPAccept(
      s->lower, addr, addrlen, lpfnCondition, dwCallbackData, lpErrno);
  SOCKET a = lsp_socket_create(s->provider, lower, s, lpErrno);
  lsp_async_accepting(FALSE);
  lsp_socket_deref(s);
  return a;
}

static SOCKET WSPAPI lsp_WSPJoinLeaf(SOCKET h, const struct sockaddr *name,
                                     int namelen, LPWSABUF lpCallerData,
                                     LPWSABUF lpCalleeData, LPQOS lpSQOS,
                                     LPQOS lpGQOS, DWORD dwFlags,
                                     LPINT lpErrno) {
  lsp_socket *s = lsp_socket_ref(h, lpErrno);
  if (s == NULL)
    return INVALID_SOCKET;
  SOCKET lower = s->provider->procs.lpWSPJoinLeaf(
      s->lower, name, namelen, lpCallerData, lpCalleeData, lpSQOS, lpGQOS,
      dwFlags, lpErrno);
  /* A new socket only when the next layer made one (c_root sessions). */
  SOCKET r = lower == INVALID_SOCKET ? INVALID_SOCKET
             : lower == s->lower
                 ? h
                 : lsp_socket_create(s->provider, lower, NULL, lpErrno);
  lsp_socket_deref(s);
  return r;
}

static int WSPAPI lsp_WSPDuplicateSocket(SOCKET h, DWORD dwProcessId,
                                         LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                         LPINT lpErrno) {
  lsp_socket *s = lsp_socket_ref(h, lpErrno);
  if (s == NULL)
    return SOCKET_ERROR;
  int rc = s->provider->procs.lpWSPDuplicateSocket(s->lower, dwProcessId,
                                                   lpProtocolInfo, lpErrno);
  if (rc == 0) {
    /* The target process must come back to us: our entry, with the next
     * layer's dwProviderReserved (WSPSocket passes it down again). */
    DWORD reserved = lpProtocolInfo->dwProviderReserved;
    *lpProtocolInfo = s->provider->layer;
    lpProtocolInfo->dwProviderReserved = reserved;
  }
  lsp_socket_deref(s);
  return rc;
}

/* ---- Pass-through calls ---- */

static int WSPAPI lsp_WSPBind(SOCKET h, const struct sockaddr *name,
                              int namelen, LPINT lpErrno) {
  FORWARD(h, lpWSPBind, name, namelen);
}

static int WSPAPI lsp_WSPListen(SOCKET h, int backlog, LPINT lpErrno) {
  FORWARD(h, lpWSPListen, backlog);
}

static int WSPAPI lsp_WSPConnect(SOCKET h, const struct sockaddr *name,
                                 int namelen, LPWSABUF lpCallerData,
                                 LPWSABUF lpCalleeData, LPQOS lpSQOS,
                                 LPQOS lpGQOS, LPINT lpErrno) {
  FORWARD(h, lpWSPConnect, name, namelen, lpCallerData, lpCalleeData, lpSQOS,
          lpGQOS);
}

static int WSPAPI lsp_WSPGetPeerName(SOCKET h, struct sockaddr *name,
                                     LPINT namelen, LPINT lpErrno) {
  FORWARD(h, lpWSPGetPeerName, name, namelen);
}

static int WSPAPI lsp_WSPGetSockName(SOCKET h, struct sockaddr *name,
                                     LPINT namelen, LPINT lpErrno) {
  FORWARD(h, lpWSPGetSockName, name, namelen);
}

static int WSPAPI lsp_WSPShutdown(SOCKET h, int how, LPINT lpErrno) {
  FORWARD(h, lpWSPShutdown, how);
}

static int WSPAPI lsp_WSPRecvDisconnect(SOCKET h, LPWSABUF lpInboundData,
                                        LPINT lpErrno) {
  FORWARD(h, lpWSPRecvDisconnect, lpInboundData);
}

static int WSPAPI lsp_WSPSendDisconnect(SOCKET h, LPWSABUF lpOutboundData,
                                        LPINT lpErrno) {
  FORWARD(h, lpWSPSendDisconnect, lpOutboundData);
}

/* The application's event goes straight to the next layer, which signals
 * it for its socket: the events are the same. */
static int WSPAPI lsp_WSPEventSelect(SOCKET h, WSAEVENT hEventObject,
                                     LONG lNetworkEvents, LPINT lpErrno) {
  FORWARD(h, lpWSPEventSelect, hEventObject, lNetworkEvents);
}

static int WSPAPI lsp_WSPEnumNetworkEvents(SOCKET h, WSAEVENT hEventObject,
                                           LPWSANETWORKEVENTS lpNetworkEvents,
                                           LPINT lpErrno) {
  FORWARD(h, lpWSPEnumNetworkEvents, hEventObject, lpNetworkEvents);
}

static BOOL WSPAPI lsp_WSPGetQOSByName(SOCKET h, LPWSABUF lpQOSName,
                                       LPQOS lpQOS, LPINT lpErrno) {
  lsp_socket *s = lsp_socket_ref(h, lpErrno);
  if (s == NULL)
    return FALSE;
  BOOL ok =
      s->provider->procs.lpWSPGetQOSByName(s->lower, lpQOSName, lpQOS, lpErrno);
  lsp_socket_deref(s);
  return ok;
}

static int WSPAPI lsp_WSPCancelBlockingCall(LPINT lpErrno) {
  int ok = 0, e;
  EnterCriticalSection(&g.lock);
  lsp_provider *first = g.providers;
  LeaveCriticalSection(&g.lock);
  /* Providers are only added at the head and freed by the last cleanup. */
  for (lsp_provider *p = first; p != NULL; p = p->next)
    if (p->procs.lpWSPCancelBlockingCall(&e) == 0)
      ok = 1;
  if (ok)
    return 0;
  *lpErrno = WSAEINVAL;
  return SOCKET_ERROR;
}

/* ---- Options ---- */

static int WSPAPI lsp_WSPGetSockOpt(SOCKET h, int level, int optname,
                                    char *optval, LPINT optlen, LPINT lpErrno) {
  lsp_socket *s = lsp_socket_ref(h, lpErrno);
  if (s == NULL)
    return SOCKET_ERROR;
  int rc = 0;
  if (level == SOL_SOCKET &&
      (optname == SO_PROTOCOL_INFOW || optname == SO_PROTOCOL_INFOA)) {
    /* Our entry: the application's socket is a socket of the chain. */
    int need = optname == SO_PROTOCOL_INFOW ? sizeof(WSAPROTOCOL_INFOW)
                                            : sizeof(WSAPROTOCOL_INFOA);
    if (optval == NULL || optlen == NULL || *optlen < need) {
      if (optlen != NULL)
        *optlen = need;
      *lpErrno = WSAEFAULT;
      rc = SOCKET_ERROR;
    } else if (optname == SO_PROTOCOL_INFOW) {
      memcpy(optval, &s->provider->layer, sizeof(WSAPROTOCOL_INFOW));
      *optlen = need;
    } else {
      WSAPROTOCOL_INFOA a;
      memcpy(&a, &s->provider->layer, offsetof(WSAPROTOCOL_INFOA, szProtocol));
      if (WideCharToMultiByte(CP_ACP, 0, s->provider->layer.szProtocol, -1,
                              a.szProtocol, sizeof a.szProtocol, NULL,
                              NULL) == 0)
        a.szProtocol[0] = 0;
      memcpy(optval, &a, sizeof a);
      *optlen = need;
    }
  } else {
    rc = s->provider->procs.lpWSPGetSockOpt(s->lower, level, optname, optval,
                                            optlen, lpErrno);
  }
  lsp_socket_deref(s);
  return rc;
}

static int WSPAPI lsp_WSPSetSockOpt(SOCKET h, int level, int optname,
                                    const char *optval, int optlen,
                                    LPINT lpErrno) {
  lsp_socket *s = lsp_socket_ref(h, lpErrno);
  if (s == NULL)
    return SOCKET_ERROR;
  int rc;
  if (level == SOL_SOCKET && optname == SO_UPDATE_ACCEPT_CONTEXT) {
    /* optval names the listening socket: ours, so the next layer needs its
     * own. */
    lsp_socket *l = optval != NULL && optlen >= (int)sizeof(SOCKET)
                        ? lsp_socket_ref(*(const SOCKET *)optval, lpErrno)
                        : NULL;
    if (l == NULL) {
      *lpErrno = optval == NULL || optlen < (int)sizeof(SOCKET) ? WSAEFAULT
                                                                : WSAENOTSOCK;
      rc = SOCKET_ERROR;
    } else {
      rc = s->provider->procs.lpWSPSetSockOpt(s->lower, level, optname,
                                              (const char *)&l->lower,
                                              sizeof l->lower, lpErrno);
      lsp_socket_deref(l);
    }
  } else {
    rc = s->provider->procs.lpWSPSetSockOpt(s->lower, level, optname, optval,
                                            optlen, lpErrno);
  }
  lsp_socket_deref(s);
  return rc;
}

/* ---- select ---- */

/* Translates our handles in the application's sets to the next layer's;
 * one provider's WSPSelect serves them all (the first socket's). */
static int WSPAPI lsp_WSPSelect(int nfds, fd_set *readfds, fd_set *writefds,
                                fd_set *exceptfds,
                                const struct timeval *timeout, LPINT lpErrno) {
  fd_set *sets[3] = {readfds, writefds, exceptfds};
  /* The application's sets may be larger than this file's FD_SETSIZE (64
   * with Wine's and mingw-w64's headers; applications define their own):
   * the lower sets and the records are sized from fd_count, on our heap. */
  fd_set *lower[3] = {NULL, NULL, NULL};
  lsp_socket **recs[3] = {NULL, NULL, NULL};
  u_int got[3] = {0, 0, 0};
  lsp_provider *p = NULL;
  int rc = 0;
  for (int k = 0; k < 3 && rc == 0; k++) {
    if (sets[k] == NULL)
      continue;
    u_int n = sets[k]->fd_count;
    lower[k] = lsp_alloc(offsetof(fd_set, fd_array) +
                         (n > 0 ? n : 1) * sizeof(SOCKET));
    recs[k] = lsp_alloc((n > 0 ? n : 1) * sizeof(lsp_socket *));
    if (lower[k] == NULL || recs[k] == NULL) {
      *lpErrno = WSAENOBUFS;
      rc = SOCKET_ERROR;
      break;
    }
    lower[k]->fd_count = 0;
    for (u_int i = 0; i < n; i++) {
      lsp_socket *s = lsp_socket_ref(sets[k]->fd_array[i], lpErrno);
      if (s == NULL) {
        rc = SOCKET_ERROR;
        break;
      }
      recs[k][got[k]++] = s;
      lower[k]->fd_array[lower[k]->fd_count++] = s->lower;
      if (p == NULL)
        p = s->provider;
    }
  }
  if (rc == 0 && p == NULL) {
    *lpErrno = WSAEINVAL; /* no socket at all */
    rc = SOCKET_ERROR;
  }
  if (rc == 0)
    /* (void *): mingw-w64 declares the timeout `const PTIMEVAL`, the SDK
     * `const struct timeval *`; this suits both. */
    rc = p->procs.lpWSPSelect(nfds, lower[0], lower[1], lower[2],
                              (void *)timeout, lpErrno);
  for (int k = 0; k < 3; k++) {
    if (rc != SOCKET_ERROR && sets[k] != NULL) {
      u_int n = 0;
      for (u_int i = 0; i < got[k]; i++)
        if (g.up.lpWPUFDIsSet(recs[k][i]->lower, lower[k]))
          sets[k]->fd_array[n++] = recs[k][i]->handle;
      sets[k]->fd_count = n;
    }
    for (u_int i = 0; i < got[k]; i++)
      lsp_socket_deref(recs[k][i]);
    lsp_free(lower[k]);
    lsp_free(recs[k]);
  }
  return rc;
}

/* ---- Addresses (no socket: the chain's next layer) ---- */

static INT WSPAPI lsp_WSPAddressToString(LPSOCKADDR lpsaAddress,
                                         DWORD dwAddressLength,
                                         LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                         LPWSTR lpszAddressString,
                                         LPDWORD lpdwAddressStringLength,
                                         LPINT lpErrno) {
  lsp_provider *p = lsp_provider_for(lpProtocolInfo, lpErrno);
  if (p == NULL)
    return SOCKET_ERROR;
  return p->procs.lpWSPAddressToString(lpsaAddress, dwAddressLength, &p->down,
                                       lpszAddressString,
                                       lpdwAddressStringLength, lpErrno);
}

static INT WSPAPI lsp_WSPStringToAddress(LPWSTR AddressString,
                                         INT AddressFamily,
                                         LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                         LPSOCKADDR lpAddress,
                                         LPINT lpAddressLength, LPINT lpErrno) {
  lsp_provider *p = lsp_provider_for(lpProtocolInfo, lpErrno);
  if (p == NULL)
    return SOCKET_ERROR;
  return p->procs.lpWSPStringToAddress(AddressString, AddressFamily, &p->down,
                                       lpAddress, lpAddressLength, lpErrno);
}

const WSPPROC_TABLE lsp_proc_table = {
    lsp_WSPAccept,
    lsp_WSPAddressToString,
    lsp_WSPAsyncSelect,
    lsp_WSPBind,
    lsp_WSPCancelBlockingCall,
    lsp_WSPCleanup,
    lsp_WSPCloseSocket,
    lsp_WSPConnect,
    lsp_WSPDuplicateSocket,
    lsp_WSPEnumNetworkEvents,
    lsp_WSPEventSelect,
    lsp_WSPGetOverlappedResult,
    lsp_WSPGetPeerName,
    lsp_WSPGetSockName,
    lsp_WSPGetSockOpt,
    lsp_WSPGetQOSByName,
    lsp_WSPIoctl,
    lsp_WSPJoinLeaf,
    lsp_WSPListen,
    lsp_WSPRecv,
    lsp_WSPRecvDisconnect,
    lsp_WSPRecvFrom,
    (LPWSPSELECT)lsp_WSPSelect, /* the timeout's const differs, as above */
    lsp_WSPSend,
    lsp_WSPSendDisconnect,
    lsp_WSPSendTo,
    lsp_WSPSetSockOpt,
    lsp_WSPShutdown,
    lsp_WSPSocket,
    lsp_WSPStringToAddress,
};
