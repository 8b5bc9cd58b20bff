/* uvnet_loop.h: uvnet's I/O core: real loopback TCP and UDP sockets driven
 * by one libuv loop thread (internal).
 *
 * The neutral interface between uvnet's provider side (Windows headers) and
 * uvnet_loop.c and uvnet_loop_sock.c, the only uvnet files that include
 * <uv.h>: no Windows type and no libuv type appears here. A loop is one
 * thread running a libuv loop; other threads hand it requests through a
 * thread-safe queue (a uv_async_t wakes it). Requests run in the order
 * they were made.
 *
 * Two kinds of calls:
 * - synchronous ones (uvl_tcp_new, uvl_udp_new, uvl_bind, uvl_listen,
 *   uvl_udp_connect, uvl_name, uvl_set_option) wait for the loop to run
 *   them and return its result; they must not be called on the loop
 *   thread (from a callback), and should not be called while holding a
 *   lock a callback takes;
 * - asynchronous ones (uvl_connect, uvl_read_start, uvl_read_stop,
 *   uvl_write, uvl_send, uvl_shutdown, uvl_close) return
 *   at once; their outcome, if any, comes through the socket's callbacks;
 * - uvl_try_write, which does not involve the loop: the caller's thread
 *   writes the kernel socket itself (Linux; on Windows it writes nothing).
 *
 * Callbacks run on the thread running the loop (the loop thread, or a
 * thread in uvl_drive), one round at a time, with the ctx given for the
 * socket and plain C arguments. A socket's last callback is closed; after
 * uvl_close the caller makes no other call on it.
 *
 * Errors are 0 or one of the negative UVL_E* values below.
 *
 * Addresses are uvl_addr: family 4 or 6, the address bytes in network order
 * (4 or 16 of them) and the port in host order. The loop does not police
 * addresses: uvnet checks that they are loopback before it asks.
 *
 * Not supported: pipes, TTYs and other libuv handles; TCP
 * keep-alive intervals (on or off only); receiving a datagram larger than
 * UVL_DGRAM_MAX.
 */
#ifndef FWS2_UVNET_LOOP_H
#define FWS2_UVNET_LOOP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct uvl_addr {
  int family; /* 4 or 6 */
  uint8_t addr[16];
  uint16_t port; /* host order */
} uvl_addr;

/* Errors (negative; 0 is success). */
enum {
  UVL_EOF = -1,           /* end of stream */
  UVL_EADDRINUSE = -2,    /* address or port in use */
  UVL_EADDRNOTAVAIL = -3, /* address not local */
  UVL_ECONNREFUSED = -4,
  UVL_ECONNRESET = -5,
  UVL_ECONNABORTED = -6,
  UVL_ETIMEDOUT = -7,
  UVL_ENOMEM = -8,       /* out of memory or buffers */
  UVL_EMSGSIZE = -9,     /* datagram too large */
  UVL_ENETUNREACH = -10, /* no route */
  UVL_EPIPE = -11,       /* send after the connection ended */
  UVL_ECANCELED = -12,   /* the socket was closed first */
  UVL_EINVAL = -13,
  UVL_EMFILE = -14, /* out of descriptors */
  UVL_EACCES = -15,
  UVL_ENOTCONN = -16,
  UVL_EIO = -17 /* anything else */
};

/* Largest datagram received whole. */
#define UVL_DGRAM_MAX 65536u
/* Size of the blocks stream bytes arrive in. */
#define UVL_READ_BLOCK 65536u

typedef struct uvl_loop uvl_loop;
typedef struct uvl_sock uvl_sock;

/* What a socket reports; every member may be NULL when not needed. */
typedef struct uvl_callbacks {
  /* Stream bytes arrived: data is a block of len bytes from the loop's
   * buffers, now the callee's (uvl_buf_free it: blocks are recycled). Returns
   * non-zero to go on reading, 0 to stop (uvl_read_start starts again). */
  int (*read)(void *ctx, char *data, size_t len);
  /* Streams, optional: a buffer of the callee's for the next read (its
   * size in *len, at least 1), or NULL for one of the loop's blocks (read). The
   * buffer stays the loop's until filled returns it, which happens before
   * any other callback of the socket. */
  char *(*lend)(void *ctx, size_t *len);
  /* The read into a buffer from lend ended with n bytes (0: none; an error
   * or the end then follows through read_end). Returns as read does. */
  int (*filled)(void *ctx, char *buf, size_t n);
  /* The stream's reading ended: UVL_EOF (the peer's FIN, after the last
   * byte) or an error (UVL_ECONNRESET ...). Reading has stopped. */
  void (*read_end)(void *ctx, int err);
  /* A datagram arrived from *from: data as for read (len may be 0). */
  void (*datagram)(void *ctx, char *data, size_t len, const uvl_addr *from);
  /* A uvl_write or uvl_send of len bytes ended (status 0 or an error;
   * UVL_ECANCELED when the socket closed first), in submission order. */
  void (*written)(void *ctx, size_t len, int status);
  /* uvl_connect ended: status, and when 0 the socket's own and its peer's
   * addresses (reading starts then). */
  void (*connected)(void *ctx, int status, const uvl_addr *local,
                    const uvl_addr *peer);
  /* A listening socket's kernel accepted conn (local and peer addresses).
   * Returns the ctx for conn (which gets the listener's callbacks, and
   * reads at once), or NULL: conn is reset and closed. */
  void *(*accepted)(void *ctx, uvl_sock *conn, const uvl_addr *local,
                    const uvl_addr *peer);
  /* The socket is closed and freed: its last callback. */
  void (*closed)(void *ctx);
} uvl_callbacks;

/* Starts a loop and its thread. before_wait (may be NULL) is called with
 * arg on the thread running the loop before every poll for I/O (which may
 * block), after the callbacks of the round before it, at the end of every
 * round (the next one may run on another thread), and once more when the
 * loop ends. 0, UVL_ENOMEM or UVL_EIO. */
int uvl_loop_start(void (*before_wait)(void *arg), void *arg, uvl_loop **out);
/* Runs what was asked, closes every socket still open (their callbacks
 * run, closed last), stops the thread and waits for it, and frees the
 * loop. Not on the loop thread. */
void uvl_loop_stop(uvl_loop *loop);
/* No time limit, for uvl_drive. */
#define UVL_INFINITE UINT32_MAX

/* Runs one round of the loop on the calling thread (the loop thread then
 * leaves it to drivers for a while; see uvnet_loop.c): waits at most
 * timeout_ms for I/O, runs the callbacks it brings and before_wait, and
 * returns 0; returns at once after uvl_drive_interrupt, and fails with
 * UVL_ECANCELED once uvl_loop_stop was called. A round of 0 ms runs only
 * when no thread runs the loop (else it returns 0 at once), and is not
 * interrupted. Any thread but the loop's,
 * not from a callback, one at a time (the caller serializes drivers). */
int uvl_drive(uvl_loop *loop, uint32_t timeout_ms);
/* Makes the drive in progress, or the next one, return soon. Any thread;
 * does not block. */
void uvl_drive_interrupt(uvl_loop *loop);
/* The loop thread runs a round now, even while it leaves the loop to
 * drivers: for a thread about to block for a socket's I/O. Any thread. */
void uvl_kick(uvl_loop *loop);

/* A new TCP socket of family 4 or 6 (the kernel socket exists on return).
 * cb is kept (it must outlive the socket); ctx is passed to it. */
int uvl_tcp_new(uvl_loop *loop, int family, const uvl_callbacks *cb, void *ctx,
                uvl_sock **out);
/* A new UDP socket, as uvl_tcp_new. */
int uvl_udp_new(uvl_loop *loop, int family, const uvl_callbacks *cb, void *ctx,
                uvl_sock **out);

/* Binding flags. */
#define UVL_BIND_REUSEADDR 1 /* UDP: share the port (TCP always may) */

/* Binds to *addr (IPv6 sockets are IPv6-only) and gives the address bound
 * (the port chosen for port 0) in *bound (may be NULL). */
int uvl_bind(uvl_sock *s, const uvl_addr *addr, int flags, uvl_addr *bound);
/* Listens (TCP, bound). Connections are accepted by the loop as the kernel
 * completes them and reported through accepted. */
int uvl_listen(uvl_sock *s, int backlog);
/* Connects a TCP socket; the result comes through connected. */
void uvl_connect(uvl_sock *s, const uvl_addr *to);
/* Sets (to != NULL) or dissolves (NULL) a UDP socket's default peer: the
 * loop's, the kernel socket stays unconnected (the binding is kept); from
 * then on datagrams from anyone else are dropped as they arrive. */
int uvl_udp_connect(uvl_sock *s, const uvl_addr *to);
/* Starts/stops reading a stream (read, read_end) or receiving datagrams
 * (datagram). Starting twice, or stopping when stopped, does nothing. */
void uvl_read_start(uvl_sock *s);
void uvl_read_stop(uvl_sock *s);

/* A buffer of len bytes for uvl_write/uvl_send on loop's sockets (which
 * take it), or NULL. Buffers of up to UVL_READ_BLOCK bytes are recycled by
 * the loop, as the blocks received bytes arrive in (thread-safe). */
char *uvl_buf_new(uvl_loop *loop, size_t len);
/* Frees a buffer from uvl_buf_new that was never handed on, or a block
 * the read or datagram callback handed over. Any thread, while the loop
 * exists. */
void uvl_buf_free(uvl_loop *loop, char *buf);
/* Writes len bytes of buf (from uvl_buf_new, taken) to a connected stream
 * after what was written before; then written. */
void uvl_write(uvl_sock *s, char *buf, size_t len);
/* Sends buf (from uvl_buf_new, taken) as one datagram to *to, or to the
 * default peer when to is NULL; then written. */
void uvl_send(uvl_sock *s, char *buf, size_t len, const uvl_addr *to);
/* A piece of a caller's buffer for uvl_try_write. */
typedef struct uvl_iov {
  const char *base;
  size_t len;
} uvl_iov;
#define UVL_IOV_MAX 16

/* Writes to a connected stream, on the calling thread and without waiting,
 * what the kernel takes at once of the n pieces (n <= UVL_IOV_MAX): no
 * copy, no loop. Returns the byte count (0: none now, or no connection
 * yet), or a negative error. Any thread; the caller makes sure that none of
 * its uvl_write calls on s is still waiting in the loop, that nobody else
 * writes s meanwhile and that s is not closed meanwhile (uvl_close waits
 * for it). Windows: always 0 (the loop writes everything). */
long uvl_try_write(uvl_sock *s, const uvl_iov *iov, size_t n);
/* Reads from a connected stream, on the calling thread and without
 * waiting, what the kernel has at once, into the n pieces (n <=
 * UVL_IOV_MAX; their base is written): no loop, no copy. Only while no
 * thread runs the loop (else 0), so that none of the loop's reads of s
 * comes between. Returns the byte count (0: none now, the end of the
 * stream, the loop busy or no connection yet: the loop reports the end
 * and what follows), or a negative error. The caller makes sure, as for
 * uvl_try_write, that s stays open, and that no read of s by the loop is
 * in progress or owed to an earlier reader (nothing lent, nothing
 * received and not taken yet). Windows: always 0. */
long uvl_try_read(uvl_sock *s, const uvl_iov *iov, size_t n);
/* Ends the stream's sending side (FIN) once earlier writes are done. */
void uvl_shutdown(uvl_sock *s);
/* Closes the socket. reset: at once, with a RST (SO_LINGER {1, 0});
 * pending writes end with UVL_ECANCELED. Otherwise a connected stream
 * first finishes its writes and sends its FIN. closed comes last. */
void uvl_close(uvl_sock *s, int reset);

/* The socket's own (peer == 0) or its peer's address. */
int uvl_name(uvl_sock *s, int peer, uvl_addr *out);

/* Options for uvl_set_option. */
enum {
  UVL_OPT_NODELAY = 1,   /* TCP_NODELAY, 0 or 1 */
  UVL_OPT_KEEPALIVE = 2, /* SO_KEEPALIVE, 0 or 1 */
  UVL_OPT_SNDBUF = 3,    /* SO_SNDBUF, bytes */
  UVL_OPT_RCVBUF = 4     /* SO_RCVBUF, bytes */
};
int uvl_set_option(uvl_sock *s, int option, int value);

/* Text of an address's IP part ("127.0.0.1", "::1") into out (cap bytes,
 * NUL-terminated). 0 or UVL_EINVAL. Thread-safe, needs no loop. */
int uvl_addr_format(const uvl_addr *a, char *out, size_t cap);
/* Parses an IPv4 (family 4, dotted quad) or IPv6 (family 6) address
 * without port or brackets into *out (port 0). 0 or UVL_EINVAL. */
int uvl_addr_parse(int family, const char *text, uvl_addr *out);

#ifdef __cplusplus
}
#endif

#endif /* FWS2_UVNET_LOOP_H */
