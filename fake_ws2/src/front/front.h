/* front.h: what the files of the ws2_32 front share (internal).
 *
 * The front is what applications (and tests) call: the ws2_32 API. Each
 * call checks WSAStartup, finds the catalog entry a socket is associated
 * with (WPUCreateSocketHandle or WPUModifyIFSHandle), starts that entry's
 * provider if needed (wpu_provider_acquire) and calls its WSP function, then
 * turns the provider's *lpErrno into the thread's last error, as ws2_32
 * does. */
#ifndef FWS2_FRONT_H
#define FWS2_FRONT_H

#include <winsock2.h>
#include <ws2spi.h>

/* Whether WSAStartup has been called (and not balanced) in this world;
 * sets WSANOTINITIALISED as the last error when not. */
int fws2__front_started(void);

#include <wpu/hooks.h>
#include <wpu/providers.h>

/* The provider of socket s's catalog entry, with a reference the caller
 * drops with wpu_provider_release after its call (a WSACleanup meanwhile
 * waits for it), or NULL with the last error set (WSANOTINITIALISED,
 * WSAENOTSOCK, or the provider start error). */
wpu_provider *fws2__provider(SOCKET s);

/* Returns rc, setting err as the thread's last error when rc is
 * SOCKET_ERROR (or INVALID_SOCKET). */
static inline int fws2__result(int rc, int err) {
  if (rc == SOCKET_ERROR)
    WSASetLastError(err);
  return rc;
}

/* The report of a front call to the world's hooks (wpu/hooks.h: the
 * trace and the checker see application calls through it): FWS2_CALL at
 * the entry names the call (__func__) and its socket; fws2__called at the
 * return gives the result and whether it failed (the last error then
 * holds the error). */
#define FWS2_CALL(s) FWS2_CALL_AS(__func__, s)
/* The same under an explicit name (a function whose C name is not the
 * Windows one). */
#define FWS2_CALL_AS(fname, s)                                                 \
  wpu_hook_call fh_ = {0};                                                     \
  fh_.kind = WPU_HOOK_FRONT;                                                   \
  fh_.name = (fname);                                                          \
  fh_.socket = (SOCKET)(s);                                                    \
  wpu_hook_enter(&fh_)

static inline void fws2__called(wpu_hook_call *c, intptr_t result, int failed) {
  if (!c->live)
    return;
  c->result = result;
  c->failed = failed;
  c->error = failed ? WSAGetLastError() : 0;
  wpu_hook_exit(c);
}

/* The body of a front function that forwards to the WSP function fn of
 * socket s's provider: fn(s, args..., &err), the last error set from err
 * on failure. */
#define FWS2_FORWARD(s, fn, ...)                                               \
  do {                                                                         \
    FWS2_CALL(s);                                                              \
    wpu_provider *pv_ = fws2__provider(s);                                     \
    if (pv_ == NULL) {                                                         \
      fws2__called(&fh_, SOCKET_ERROR, 1);                                     \
      return SOCKET_ERROR;                                                     \
    }                                                                          \
    int err_ = 0;                                                              \
    int rc_ = wpu_provider_procs(pv_)->fn(s, __VA_ARGS__, &err_);              \
    wpu_provider_release(pv_);                                                 \
    rc_ = fws2__result(rc_, err_);                                             \
    fws2__called(&fh_, rc_, rc_ == SOCKET_ERROR);                              \
    return rc_;                                                                \
  } while (0)

/* Counts ReadFile/WriteFile calls on WPUCreateSocketHandle handles that
 * were redirected to the owner's WSPRecv/WSPSend (the seed page's
 * performance penalty, made visible). */
extern volatile LONG fws2__redirections;

#ifdef _WIN32
/* ReadFile/WriteFile on the world's socket handles (io.c); win_routes.c
 * sends kernel32's import pointers here for those handles. */
BOOL WINAPI fws2__ReadFile(HANDLE hFile, LPVOID lpBuffer,
                           DWORD nNumberOfBytesToRead,
                           LPDWORD lpNumberOfBytesRead,
                           LPOVERLAPPED lpOverlapped);
BOOL WINAPI fws2__WriteFile(HANDLE hFile, LPCVOID lpBuffer,
                            DWORD nNumberOfBytesToWrite,
                            LPDWORD lpNumberOfBytesWritten,
                            LPOVERLAPPED lpOverlapped);
#endif

#endif /* FWS2_FRONT_H */
