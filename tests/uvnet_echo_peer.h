/* uvnet_echo_peer.h: a plain TCP echo server on 127.0.0.1 for
 * test_uvnet: libuv on a thread of its own, no Windows header (it stands for
 * any program uvnet talks to).
 *
 * Every connection gets back what it sends, in order; at the peer's FIN the
 * server finishes its writes and closes. Not supported: IPv6, more than one
 * server at a time per call pair. Thread-safety: start and stop from one
 * thread; the server runs on its own. */
#ifndef UVNET_ECHO_PEER_H
#define UVNET_ECHO_PEER_H

#include <stdint.h>

typedef struct echo_peer echo_peer;

/* Starts a server listening on 127.0.0.1 at a port the kernel picks
 * (*port, host order). NULL when it cannot start. */
echo_peer *echo_peer_start(uint16_t *port);

/* Closes the server and its connections, joins its thread and frees it.
 * Returns the number of bytes it echoed. */
uint64_t echo_peer_stop(echo_peer *p);

#endif /* UVNET_ECHO_PEER_H */
