/* fws2/front.h: the ws2_32 front, seen from a test.
 *
 * On Linux fake_ws2 provides the application side of ws2_32 under its
 * Windows names (WSAStartup, socket, WSASend, select, ...): each call goes
 * through the current world's catalog to the provider of the socket's
 * catalog entry, as ws2_32 does. Programs written against <winsock2.h>
 * compile unchanged and need no wpu_/fws2_ call: the first WSAStartup
 * without a world makes a default world with memnet's standard entries
 * (uvnet's, over real loopback sockets, when FWS2_BASE=uvnet on Linux).
 * This header adds what a test may want beyond the Windows API.
 *
 * Executables that link fake_ws2 must not export the front's names to
 * shared libraries (libuv calls the C library's socket, send, ...):
 * wpu_add_test() and wpu_add_provider_test() link with
 * -Wl,--exclude-libs,ALL for that.
 */
#ifndef FWS2_FRONT_PUBLIC_H
#define FWS2_FRONT_PUBLIC_H

#include <winsock2.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Registers memnet as a module and installs its standard base entries (TCP
 * and UDP over IPv4 and IPv6) in the current world's catalog. Returns 0 or
 * a Winsock error. */
int fws2_install_default_base(void);

/* Number of ReadFile/WriteFile calls on WPUCreateSocketHandle handles the
 * front turned into the owner's WSPRecv/WSPSend so far (process-wide). */
LONG fws2_readwrite_redirections(void);

#ifdef __cplusplus
}
#endif

#endif /* FWS2_FRONT_PUBLIC_H */
