/* io.c: data transfer through the ws2_32 front (send, recv, sendto,
 * recvfrom, WSASend, WSARecv, WSASendTo, WSARecvFrom,
 * WSAGetOverlappedResult) and kernel32's ReadFile/WriteFile on socket
 * handles (Linux: the only files the emulation has).
 *
 * Every call passes the calling thread's WSATHREADID
 * (wpu_thread_id_current), valid for the thread's life, so a provider can
 * queue the completion routine to it later. ReadFile/WriteFile follow the
 * seed page: on a WPUCreateSocketHandle handle they become the owner's
 * WSPRecv/WSPSend (counted: fws2_readwrite_redirections); on an IFS handle
 * they go straight to the base provider that made the handle, bypassing any
 * layer. Other handles fail with ERROR_INVALID_HANDLE. */
#include <wpu/providers.h>
#include <wpu/sockets.h>
#include <wpu/threads.h>

#include <fws2/front.h>

#include "front.h"

volatile LONG fws2__redirections;

LONG fws2_readwrite_redirections(void) {
  return InterlockedCompareExchange(&fws2__redirections, 0, 0);
}

int WSAAPI WSASend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                   LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                   LPWSAOVERLAPPED lpOverlapped,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) {
  FWS2_FORWARD(s, lpWSPSend, lpBuffers, dwBufferCount, lpNumberOfBytesSent,
               dwFlags, lpOverlapped, lpCompletionRoutine,
               wpu_thread_id_current());
}

int WSAAPI WSASendTo(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                     LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                     const struct sockaddr *lpTo, int iTolen,
                     LPWSAOVERLAPPED lpOverlapped,
                     LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) {
  FWS2_FORWARD(s, lpWSPSendTo, lpBuffers, dwBufferCount, lpNumberOfBytesSent,
               dwFlags, lpTo, iTolen, lpOverlapped, lpCompletionRoutine,
               wpu_thread_id_current());
}

int WSAAPI WSARecv(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                   LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags,
                   LPWSAOVERLAPPED lpOverlapped,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) {
  FWS2_FORWARD(s, lpWSPRecv, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd,
               lpFlags, lpOverlapped, lpCompletionRoutine,
               wpu_thread_id_current());
}

int WSAAPI WSARecvFrom(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                       LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags,
                       struct sockaddr *lpFrom, LPINT lpFromlen,
                       LPWSAOVERLAPPED lpOverlapped,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) {
  FWS2_FORWARD(s, lpWSPRecvFrom, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd,
               lpFlags, lpFrom, lpFromlen, lpOverlapped, lpCompletionRoutine,
               wpu_thread_id_current());
}

static int send_body(SOCKET s, const char *buf, int len, int flags) {
  WSABUF b = {(ULONG)len, (char *)buf};
  DWORD sent = 0;
  if (len < 0) {
    WSASetLastError(WSAEFAULT);
    return SOCKET_ERROR;
  }
  if (WSASend(s, &b, 1, &sent, (DWORD)flags, NULL, NULL) != 0)
    return SOCKET_ERROR;
  return (int)sent;
}

int WSAAPI send(SOCKET s, const char *buf, int len, int flags) {
  FWS2_CALL(s);
  int rc = send_body(s, buf, len, flags);
  fws2__called(&fh_, rc, rc == SOCKET_ERROR);
  return rc;
}

static int sendto_body(SOCKET s, const char *buf, int len, int flags,
                       const struct sockaddr *to, int tolen) {
  WSABUF b = {(ULONG)len, (char *)buf};
  DWORD sent = 0;
  if (len < 0) {
    WSASetLastError(WSAEFAULT);
    return SOCKET_ERROR;
  }
  if (WSASendTo(s, &b, 1, &sent, (DWORD)flags, to, tolen, NULL, NULL) != 0)
    return SOCKET_ERROR;
  return (int)sent;
}

int WSAAPI sendto(SOCKET s, const char *buf, int len, int flags,
                  const struct sockaddr *to, int tolen) {
  FWS2_CALL(s);
  int rc = sendto_body(s, buf, len, flags, to, tolen);
  fws2__called(&fh_, rc, rc == SOCKET_ERROR);
  return rc;
}

static int recv_body(SOCKET s, char *buf, int len, int flags) {
  WSABUF b = {(ULONG)len, buf};
  DWORD got = 0, f = (DWORD)flags;
  if (len < 0) {
    WSASetLastError(WSAEFAULT);
    return SOCKET_ERROR;
  }
  if (WSARecv(s, &b, 1, &got, &f, NULL, NULL) != 0)
    return SOCKET_ERROR;
  return (int)got;
}

int WSAAPI recv(SOCKET s, char *buf, int len, int flags) {
  FWS2_CALL(s);
  int rc = recv_body(s, buf, len, flags);
  fws2__called(&fh_, rc, rc == SOCKET_ERROR);
  return rc;
}

static int recvfrom_body(SOCKET s, char *buf, int len, int flags,
                         struct sockaddr *from, int *fromlen) {
  WSABUF b = {(ULONG)len, buf};
  DWORD got = 0, f = (DWORD)flags;
  if (len < 0) {
    WSASetLastError(WSAEFAULT);
    return SOCKET_ERROR;
  }
  if (WSARecvFrom(s, &b, 1, &got, &f, from, fromlen, NULL, NULL) != 0)
    return SOCKET_ERROR;
  return (int)got;
}

int WSAAPI recvfrom(SOCKET s, char *buf, int len, int flags,
                    struct sockaddr *from, int *fromlen) {
  FWS2_CALL(s);
  int rc = recvfrom_body(s, buf, len, flags, from, fromlen);
  fws2__called(&fh_, rc, rc == SOCKET_ERROR);
  return rc;
}

BOOL WSAAPI WSAGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED lpOverlapped,
                                   LPDWORD lpcbTransfer, BOOL fWait,
                                   LPDWORD lpdwFlags) {
  FWS2_CALL(s);
  wpu_provider *p = fws2__provider(s);
  BOOL ok = FALSE;
  if (p != NULL) {
    int err = 0;
    ok = wpu_provider_procs(p)->lpWSPGetOverlappedResult(
        s, lpOverlapped, lpcbTransfer, fWait, lpdwFlags, &err);
    wpu_provider_release(p);
    if (!ok)
      WSASetLastError(err);
  }
  fws2__called(&fh_, ok, !ok);
  return ok;
}

/* ---- ReadFile / WriteFile on socket handles. On Windows these are
 * fws2__ReadFile/fws2__WriteFile, which win_routes.c calls for the
 * world's socket handles (everything else goes to kernel32's own). ---- */
#ifdef _WIN32
#define FRONT_READFILE  fws2__ReadFile
#define FRONT_WRITEFILE fws2__WriteFile
#else
#define FRONT_READFILE  ReadFile
#define FRONT_WRITEFILE WriteFile
#endif

/* The provider ReadFile/WriteFile use for h, referenced, or NULL (last
 * error set). */
static wpu_provider *file_provider(HANDLE h) {
  DWORD catalog_id = 0;
  SOCKET s = (SOCKET)h;
  switch (wpu_socket_query(s, &catalog_id)) {
  case WPU_SOCKET_CREATED:
    InterlockedIncrement(&fws2__redirections);
    break;
  case WPU_SOCKET_IFS:
    catalog_id = wpu_ifs_handle_owner(s); /* the base provider itself */
    break;
  default:
    SetLastError(ERROR_INVALID_HANDLE);
    return NULL;
  }
  wpu_provider *p = NULL;
  int rc = catalog_id == 0 ? WSAENOTSOCK : wpu_provider_acquire(catalog_id, &p);
  if (rc != 0) {
    SetLastError(rc);
    return NULL;
  }
  return p;
}

static BOOL file_result(int rc, int err, LPOVERLAPPED ov) {
  if (rc == 0)
    return TRUE;
  /* A datagram larger than the buffer: ReadFile's ERROR_MORE_DATA, with
   * the part that fitted counted. */
  if (err == WSAEMSGSIZE) {
    SetLastError(ERROR_MORE_DATA);
    return FALSE;
  }
  /* Overlapped I/O in progress is ERROR_IO_PENDING (= WSA_IO_PENDING). */
  SetLastError(err == WSA_IO_PENDING && ov != NULL ? ERROR_IO_PENDING : err);
  return FALSE;
}

BOOL WINAPI FRONT_READFILE(HANDLE hFile, LPVOID lpBuffer,
                           DWORD nNumberOfBytesToRead,
                           LPDWORD lpNumberOfBytesRead,
                           LPOVERLAPPED lpOverlapped) {
  FWS2_CALL_AS("ReadFile", hFile);
  fh_.overlapped = (LPWSAOVERLAPPED)lpOverlapped;
  wpu_provider *p = file_provider(hFile);
  if (p == NULL) {
    fws2__called(&fh_, FALSE, 1);
    return FALSE;
  }
  WSABUF b = {nNumberOfBytesToRead, lpBuffer};
  DWORD got = 0, flags = 0;
  int err = 0;
  int rc = wpu_provider_procs(p)->lpWSPRecv((SOCKET)hFile, &b, 1, &got, &flags,
                                            (LPWSAOVERLAPPED)lpOverlapped, NULL,
                                            wpu_thread_id_current(), &err);
  wpu_provider_release(p);
  if (lpNumberOfBytesRead != NULL)
    *lpNumberOfBytesRead = rc == 0 || err == WSAEMSGSIZE ? got : 0;
  BOOL ok = file_result(rc, err, lpOverlapped);
  fws2__called(&fh_, ok, !ok);
  return ok;
}

BOOL WINAPI FRONT_WRITEFILE(HANDLE hFile, LPCVOID lpBuffer,
                            DWORD nNumberOfBytesToWrite,
                            LPDWORD lpNumberOfBytesWritten,
                            LPOVERLAPPED lpOverlapped) {
  FWS2_CALL_AS("WriteFile", hFile);
  fh_.overlapped = (LPWSAOVERLAPPED)lpOverlapped;
  wpu_provider *p = file_provider(hFile);
  if (p == NULL) {
    fws2__called(&fh_, FALSE, 1);
    return FALSE;
  }
  WSABUF b = {nNumberOfBytesToWrite, (char *)lpBuffer};
  DWORD sent = 0;
  int err = 0;
  int rc = wpu_provider_procs(p)->lpWSPSend((SOCKET)hFile, &b, 1, &sent, 0,
                                            (LPWSAOVERLAPPED)lpOverlapped, NULL,
                                            wpu_thread_id_current(), &err);
  wpu_provider_release(p);
  if (lpNumberOfBytesWritten != NULL)
    *lpNumberOfBytesWritten = rc == 0 ? sent : 0;
  BOOL ok = file_result(rc, err, lpOverlapped);
  fws2__called(&fh_, ok, !ok);
  return ok;
}
