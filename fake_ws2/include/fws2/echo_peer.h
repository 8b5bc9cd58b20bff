/* fws2/echo_peer.h: a plain TCP echo server on 127.0.0.1, outside the
 * emulation: libuv on a thread of its own, real OS sockets (the kernel's
 * on Linux, the real ws2_32 on Windows), no Winsock call of the program. It
 * stands for any ordinary program a provider over real sockets (uvnet)
 * talks to, in tests and demos.
 *
 * Every connection gets back what it sends, in order; at the peer's FIN the
 * server finishes its writes and closes. Not supported: IPv6, UDP.
 * Thread-safety: call start and stop from one thread; any number of
 * servers may run at once; the server itself runs on its own thread. */
#ifndef FWS2_ECHO_PEER_H
#define FWS2_ECHO_PEER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fws2_echo_peer fws2_echo_peer;

/* Starts a server listening on 127.0.0.1 at a port the kernel picks
 * (*port, host byte order). Returns NULL when it cannot start (no memory,
 * no socket, no thread). */
fws2_echo_peer *fws2_echo_peer_start(uint16_t *port);

/* Closes the server and its connections, joins its thread and frees it.
 * Returns the number of bytes it echoed. */
uint64_t fws2_echo_peer_stop(fws2_echo_peer *peer);

#ifdef __cplusplus
}
#endif

#endif /* FWS2_ECHO_PEER_H */
