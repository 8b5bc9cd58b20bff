/* events.c: readiness and event objects of the ws2_32 front (select,
 * WSAEventSelect, WSAEnumNetworkEvents, WSAAsyncSelect, WSACreateEvent,
 * WSASetEvent, WSAResetEvent, WSACloseEvent, WSAWaitForMultipleEvents).
 *
 * select goes to the WSPSelect of the provider of the first socket found in
 * the sets (read, then write, then except), as ws2_32 does; that provider
 * handles the sets. WSA events are kernel32 manual-reset events, and
 * WSAWaitForMultipleEvents is WaitForMultipleObjectsEx with Winsock's
 * names for the results (alertable waits run the thread's APCs, e.g.
 * completion routines, and return WSA_WAIT_IO_COMPLETION). */
#include "front.h"

/* mingw-w64 declares the timeout as `const PTIMEVAL` (a const pointer to a
 * mutable timeval) where the SDK and Wine have `const struct timeval *`. */
#ifdef _WIN32
typedef const PTIMEVAL select_timeout;
#else
typedef const struct timeval *select_timeout;
#endif

static int select_sets(int nfds, fd_set *readfds, fd_set *writefds,
                       fd_set *exceptfds, select_timeout timeout);

int WSAAPI select(int nfds, fd_set *readfds, fd_set *writefds,
                  fd_set *exceptfds, select_timeout timeout) {
  FWS2_CALL(0);
  int rc = select_sets(nfds, readfds, writefds, exceptfds, timeout);
  fws2__called(&fh_, rc, rc == SOCKET_ERROR);
  return rc;
}

static int select_sets(int nfds, fd_set *readfds, fd_set *writefds,
                       fd_set *exceptfds, select_timeout timeout) {
  if (!fws2__front_started())
    return SOCKET_ERROR;
  SOCKET first = INVALID_SOCKET;
  fd_set *sets[3] = {readfds, writefds, exceptfds};
  for (int i = 0; i < 3 && first == INVALID_SOCKET; i++)
    if (sets[i] != NULL && sets[i]->fd_count > 0)
      first = sets[i]->fd_array[0];
  if (first == INVALID_SOCKET) {
    WSASetLastError(WSAEINVAL); /* nothing to wait for */
    return SOCKET_ERROR;
  }
  wpu_provider *p = fws2__provider(first);
  if (p == NULL)
    return SOCKET_ERROR;
  int err = 0;
  int rc = wpu_provider_procs(p)->lpWSPSelect(
      nfds, readfds, writefds, exceptfds, (struct timeval *)timeout, &err);
  wpu_provider_release(p);
  return fws2__result(rc, err);
}

int WSAAPI WSAEventSelect(SOCKET s, WSAEVENT hEventObject,
                          LONG lNetworkEvents) {
  FWS2_FORWARD(s, lpWSPEventSelect, hEventObject, lNetworkEvents);
}

int WSAAPI WSAEnumNetworkEvents(SOCKET s, WSAEVENT hEventObject,
                                LPWSANETWORKEVENTS lpNetworkEvents) {
  FWS2_FORWARD(s, lpWSPEnumNetworkEvents, hEventObject, lpNetworkEvents);
}

int WSAAPI WSAAsyncSelect(SOCKET s, HWND hWnd, u_int wMsg, LONG lEvent) {
  FWS2_FORWARD(s, lpWSPAsyncSelect, hWnd, wMsg, lEvent);
}

#ifndef _WIN32
/* WSA events are Windows' own on the Windows build. */
WSAEVENT WSAAPI WSACreateEvent(void) {
  HANDLE h = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (h == NULL) {
    WSASetLastError(WSA_NOT_ENOUGH_MEMORY);
    return WSA_INVALID_EVENT;
  }
  return h;
}

static BOOL event_result(BOOL ok) {
  if (!ok)
    WSASetLastError(WSA_INVALID_HANDLE);
  return ok;
}

BOOL WSAAPI WSASetEvent(WSAEVENT hEvent) {
  return event_result(SetEvent(hEvent));
}

BOOL WSAAPI WSAResetEvent(WSAEVENT hEvent) {
  return event_result(ResetEvent(hEvent));
}

BOOL WSAAPI WSACloseEvent(WSAEVENT hEvent) {
  return event_result(CloseHandle(hEvent));
}

DWORD WSAAPI WSAWaitForMultipleEvents(DWORD cEvents, const WSAEVENT *lphEvents,
                                      BOOL fWaitAll, DWORD dwTimeout,
                                      BOOL fAlertable) {
  DWORD rc = WaitForMultipleObjectsEx(cEvents, lphEvents, fWaitAll, dwTimeout,
                                      fAlertable);
  if (rc == WAIT_FAILED) {
    DWORD e = GetLastError();
    WSASetLastError(e == ERROR_INVALID_HANDLE      ? WSA_INVALID_HANDLE
                    : e == ERROR_NOT_ENOUGH_MEMORY ? WSA_NOT_ENOUGH_MEMORY
                                                   : WSA_INVALID_PARAMETER);
  }
  return rc; /* WSA_WAIT_EVENT_0, _IO_COMPLETION, _TIMEOUT, _FAILED */
}
#endif /* !_WIN32 */
