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

/* The body of a front function that forwards to the WSP function fn of
 * socket s's provider: fn(s, args..., &err), the last error set from err
 * on failure. */
#define FWS2_FORWARD(s, fn, ...)                                               \
  do {                                                                         \
    wpu_provider *pv_ = fws2__provider(s);                                     \
    if (pv_ == NULL)                                                           \
      return SOCKET_ERROR;                                                     \
    int err_ = 0;                                                              \
    int rc_ = wpu_provider_procs(pv_)->fn(s, __VA_ARGS__, &err_);              \
    wpu_provider_release(pv_);                                                 \
    return fws2__result(rc_, err_);                                            \
  } while (0)

/* Counts ReadFile/WriteFile calls on WPUCreateSocketHandle handles that
 * were redirected to the owner's WSPRecv/WSPSend (the seed page's
 * performance penalty, made visible). */
extern volatile LONG fws2__redirections;

#endif /* FWS2_FRONT_H */
