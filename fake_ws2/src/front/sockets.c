/* sockets.c: socket creation and the per-socket calls of the ws2_32 front
 * (socket, WSASocketW/A, closesocket, bind, listen, accept, WSAAccept,
 * connect, WSAConnect, shutdown, getsockname, getpeername, getsockopt,
 * setsockopt, ioctlsocket, WSAIoctl, WSADuplicateSocketW/A).
 *
 * socket/WSASocket pick the first catalog entry, in catalog order, that an
 * application may see (not PFL_HIDDEN, not a layered dummy entry) and
 * matches the address family, type and protocol (0 matches any), as
 * ws2_32 does; with lpProtocolInfo they use that entry. The provider's
 * WSPSocket gets the entry's WSAPROTOCOL_INFOW. Everything else goes to the
 * proc table of the entry the handle is associated with. */
#include <string.h>

#include <wpu/catalog.h>
#include <wpu/providers.h>
#include <wpu/threads.h>

#include "front.h"

static int visible(const WSAPROTOCOL_INFOW *e) {
  return !(e->dwProviderFlags & PFL_HIDDEN) && e->ProtocolChain.ChainLen != 0;
}

/* Finds the entry for (af, type, protocol); returns 0 or the error ws2_32
 * reports for the closest miss. */
static int pick_entry(int af, int type, int protocol, WSAPROTOCOL_INFOW *out) {
  int have_af = 0, have_type = 0;
  size_t n = wpu_catalog_count();
  for (size_t i = 0; i < n; i++) {
    WSAPROTOCOL_INFOW e;
    if (wpu_catalog_at(i, &e) != 0 || !visible(&e))
      continue;
    if (af != AF_UNSPEC && e.iAddressFamily != af)
      continue;
    have_af = 1;
    if (type != 0 && e.iSocketType != type)
      continue;
    have_type = 1;
    /* Protocol 0 matches only entries that say so (WSAPROTOCOL_INFOW's
     * PFL_MATCHES_PROTOCOL_ZERO); the range sum cannot overflow in 64 bits. */
    if (protocol == 0 ? !(e.dwProviderFlags & PFL_MATCHES_PROTOCOL_ZERO)
                      : (protocol < e.iProtocol ||
                         (long long)protocol >
                             (long long)e.iProtocol + e.iProtocolMaxOffset))
      continue;
    *out = e;
    return 0;
  }
  if (!have_af)
    return WSAEAFNOSUPPORT;
  if (!have_type)
    return WSAESOCKTNOSUPPORT;
  return WSAEPROTONOSUPPORT;
}

static SOCKET socket_w(int af, int type, int protocol,
                       LPWSAPROTOCOL_INFOW lpProtocolInfo, GROUP g,
                       DWORD dwFlags);

SOCKET WSAAPI WSASocketW(int af, int type, int protocol,
                         LPWSAPROTOCOL_INFOW lpProtocolInfo, GROUP g,
                         DWORD dwFlags) {
  FWS2_CALL(0);
  SOCKET s = socket_w(af, type, protocol, lpProtocolInfo, g, dwFlags);
  fws2__called(&fh_, (intptr_t)s, s == INVALID_SOCKET);
  return s;
}

static SOCKET socket_w(int af, int type, int protocol,
                       LPWSAPROTOCOL_INFOW lpProtocolInfo, GROUP g,
                       DWORD dwFlags) {
  if (!fws2__front_started())
    return INVALID_SOCKET;
  WSAPROTOCOL_INFOW entry;
  LPWSAPROTOCOL_INFOW info;
  if (lpProtocolInfo != NULL) {
    if (wpu_catalog_get(lpProtocolInfo->dwCatalogEntryId, &entry, NULL, 0) !=
        0) {
      WSASetLastError(WSAEINVAL);
      return INVALID_SOCKET;
    }
    info = lpProtocolInfo; /* e.g. from WSADuplicateSocket: keep its data */
    if (af == FROM_PROTOCOL_INFO)
      af = lpProtocolInfo->iAddressFamily;
    if (type == FROM_PROTOCOL_INFO)
      type = lpProtocolInfo->iSocketType;
    if (protocol == FROM_PROTOCOL_INFO)
      protocol = lpProtocolInfo->iProtocol;
  } else {
    int rc = pick_entry(af, type, protocol, &entry);
    if (rc != 0) {
      WSASetLastError(rc);
      return INVALID_SOCKET;
    }
    info = &entry;
  }
  wpu_provider *p;
  int rc = wpu_provider_acquire(entry.dwCatalogEntryId, &p);
  if (rc != 0) {
    WSASetLastError(rc);
    return INVALID_SOCKET;
  }
  int err = 0;
  SOCKET s = wpu_provider_procs(p)->lpWSPSocket(af, type, protocol, info, g,
                                                dwFlags, &err);
  wpu_provider_release(p);
  if (s == INVALID_SOCKET)
    WSASetLastError(err);
  return s;
}

SOCKET WSAAPI WSASocketA(int af, int type, int protocol,
                         LPWSAPROTOCOL_INFOA lpProtocolInfo, GROUP g,
                         DWORD dwFlags) {
  if (lpProtocolInfo == NULL)
    return WSASocketW(af, type, protocol, NULL, g, dwFlags);
  /* The two layouts differ only in the trailing name. */
  WSAPROTOCOL_INFOW w;
  memcpy(&w, lpProtocolInfo, offsetof(WSAPROTOCOL_INFOW, szProtocol));
  if (MultiByteToWideChar(CP_ACP, 0, lpProtocolInfo->szProtocol, -1,
                          w.szProtocol, WSAPROTOCOL_LEN + 1) == 0)
    w.szProtocol[0] = 0;
  return WSASocketW(af, type, protocol, &w, g, dwFlags);
}

SOCKET WSAAPI socket(int af, int type, int protocol) {
  FWS2_CALL(0);
  SOCKET s = WSASocketW(af, type, protocol, NULL, 0, WSA_FLAG_OVERLAPPED);
  fws2__called(&fh_, (intptr_t)s, s == INVALID_SOCKET);
  return s;
}

int WSAAPI closesocket(SOCKET s) {
  FWS2_CALL(s);
  wpu_provider *p = fws2__provider(s);
  int rc = SOCKET_ERROR;
  if (p != NULL) {
    int err = 0; /* WSPCloseSocket takes no argument but lpErrno */
    rc = wpu_provider_procs(p)->lpWSPCloseSocket(s, &err);
    wpu_provider_release(p);
    rc = fws2__result(rc, err);
  }
  fws2__called(&fh_, rc, rc == SOCKET_ERROR);
  return rc;
}

int WSAAPI bind(SOCKET s, const struct sockaddr *name, int namelen) {
  FWS2_FORWARD(s, lpWSPBind, name, namelen);
}

int WSAAPI listen(SOCKET s, int backlog) {
  FWS2_FORWARD(s, lpWSPListen, backlog);
}

SOCKET WSAAPI WSAAccept(SOCKET s, struct sockaddr *addr, LPINT addrlen,
                        LPCONDITIONPROC lpfnCondition,
                        DWORD_PTR dwCallbackData) {
  FWS2_CALL(s);
  wpu_provider *p = fws2__provider(s);
  SOCKET a = INVALID_SOCKET;
  if (p != NULL) {
    int err = 0;
    a = wpu_provider_procs(p)->lpWSPAccept(s, addr, addrlen, lpfnCondition,
                                           dwCallbackData, &err);
    wpu_provider_release(p);
    if (a == INVALID_SOCKET)
      WSASetLastError(err);
  }
  fws2__called(&fh_, (intptr_t)a, a == INVALID_SOCKET);
  return a;
}

SOCKET WSAAPI accept(SOCKET s, struct sockaddr *addr, int *addrlen) {
  FWS2_CALL(s);
  SOCKET a = WSAAccept(s, addr, addrlen, NULL, 0);
  fws2__called(&fh_, (intptr_t)a, a == INVALID_SOCKET);
  return a;
}

int WSAAPI WSAConnect(SOCKET s, const struct sockaddr *name, int namelen,
                      LPWSABUF lpCallerData, LPWSABUF lpCalleeData,
                      LPQOS lpSQOS, LPQOS lpGQOS) {
  FWS2_FORWARD(s, lpWSPConnect, name, namelen, lpCallerData, lpCalleeData,
               lpSQOS, lpGQOS);
}

int WSAAPI connect(SOCKET s, const struct sockaddr *name, int namelen) {
  FWS2_CALL(s);
  int rc = WSAConnect(s, name, namelen, NULL, NULL, NULL, NULL);
  fws2__called(&fh_, rc, rc == SOCKET_ERROR);
  return rc;
}

int WSAAPI shutdown(SOCKET s, int how) {
  FWS2_FORWARD(s, lpWSPShutdown, how);
}

int WSAAPI getsockname(SOCKET s, struct sockaddr *name, int *namelen) {
  FWS2_FORWARD(s, lpWSPGetSockName, name, namelen);
}

int WSAAPI getpeername(SOCKET s, struct sockaddr *name, int *namelen) {
  FWS2_FORWARD(s, lpWSPGetPeerName, name, namelen);
}

int WSAAPI getsockopt(SOCKET s, int level, int optname, char *optval,
                      int *optlen) {
  FWS2_FORWARD(s, lpWSPGetSockOpt, level, optname, optval, optlen);
}

int WSAAPI setsockopt(SOCKET s, int level, int optname, const char *optval,
                      int optlen) {
  FWS2_FORWARD(s, lpWSPSetSockOpt, level, optname, optval, optlen);
}

int WSAAPI WSAIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer,
                    DWORD cbInBuffer, LPVOID lpvOutBuffer, DWORD cbOutBuffer,
                    LPDWORD lpcbBytesReturned, LPWSAOVERLAPPED lpOverlapped,
                    LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) {
  FWS2_FORWARD(s, lpWSPIoctl, dwIoControlCode, lpvInBuffer, cbInBuffer,
               lpvOutBuffer, cbOutBuffer, lpcbBytesReturned, lpOverlapped,
               lpCompletionRoutine, wpu_thread_id_current());
}

int WSAAPI ioctlsocket(SOCKET s, LONG cmd, u_long *argp) {
  DWORD returned = 0;
  return WSAIoctl(s, (DWORD)cmd, argp, sizeof *argp, argp, sizeof *argp,
                  &returned, NULL, NULL);
}

int WSAAPI WSADuplicateSocketW(SOCKET s, DWORD dwProcessId,
                               LPWSAPROTOCOL_INFOW lpProtocolInfo) {
  FWS2_FORWARD(s, lpWSPDuplicateSocket, dwProcessId, lpProtocolInfo);
}

int WSAAPI WSADuplicateSocketA(SOCKET s, DWORD dwProcessId,
                               LPWSAPROTOCOL_INFOA lpProtocolInfo) {
  if (lpProtocolInfo == NULL) {
    WSASetLastError(WSAEFAULT);
    return SOCKET_ERROR;
  }
  WSAPROTOCOL_INFOW w;
  int rc = WSADuplicateSocketW(s, dwProcessId, &w);
  if (rc != 0)
    return rc;
  memcpy(lpProtocolInfo, &w, offsetof(WSAPROTOCOL_INFOA, szProtocol));
  WideCharToMultiByte(CP_ACP, 0, w.szProtocol, -1, lpProtocolInfo->szProtocol,
                      sizeof lpProtocolInfo->szProtocol, NULL, NULL);
  return 0;
}
