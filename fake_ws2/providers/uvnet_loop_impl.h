/* uvnet_loop_impl.h: what uvnet_loop.c (the loop thread, its request queue
 * and buffers) and uvnet_loop_sock.c (the sockets) share (internal to the
 * two files, which are uvnet's only <uv.h> users; see uvnet_loop.h). */
#ifndef FWS2_UVNET_LOOP_IMPL_H
#define FWS2_UVNET_LOOP_IMPL_H

#include <stddef.h>

#include <uv.h>

#include "uvnet_loop.h"

typedef enum req_kind {
  R_TCP_NEW,
  R_UDP_NEW,
  R_BIND,
  R_LISTEN,
  R_CONNECT,
  R_UDP_CONNECT,
  R_READ_START,
  R_READ_STOP,
  R_WRITE,
  R_SEND,
  R_SHUTDOWN,
  R_CLOSE,
  R_NAME,
  R_OPTION,
  R_STOP
} req_kind;

typedef struct uvl_req {
  struct uvl_req *next;
  req_kind kind;
  int heap; /* the loop frees it once run */
  uvl_sock *sock;
  uvl_addr addr; /* bind, connect, send: the address; name: the result */
  int has_addr;
  int a, b; /* family, flags, backlog, reset, peer, option and value */
  const uvl_callbacks *cb;
  void *ctx;
  uv_sem_t *done; /* synchronous: posted once result is set */
  int result;
} uvl_req;

/* A write or a datagram send: the request, libuv's, and the data. */
typedef struct wreq {
  uvl_req req;
  union {
    uv_write_t w;
    uv_udp_send_t u;
  } uv;
  struct wreq *next_free; /* in the loop's pool */
  int pooled;             /* UVL_READ_BLOCK bytes of data: recycled */
  size_t len;
  max_align_t data[];
} wreq;

/* Most recycled write buffers a loop keeps. */
#define POOL_MAX 64

struct uvl_sock {
  union {
    uv_handle_t h;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_udp_t udp;
  } u;
  uvl_loop *loop;
  const uvl_callbacks *cb;
  void *ctx;
  int udp;
  int reading;
  int closing;     /* uvl_close was run: report nothing but closed */
  int connected;   /* a stream with a peer */
  int shutting;    /* a uv_shutdown in flight */
  int shut;        /* the FIN was sent */
  int close_after; /* close once the shutdown is done */
  char *lent;      /* the buffer lend gave for the read in progress */
  int fd;          /* a connected stream's descriptor (uvl_try_write), or -1 */
  int has_peer;    /* UDP: a default peer (uvl_udp_connect) */
  uvl_addr peer;
  uv_shutdown_t shutdown;
  uv_connect_t connect;
  uvl_req connect_req; /* at most one connect is asked for at a time */
  uvl_req close_req;
};

struct uvl_loop {
  uv_loop_t loop;
  uv_async_t wake;
  uv_prepare_t prepare;   /* runs before_wait */
  uv_timer_t drive_timer; /* ends a drive's wait (uvl_drive) */
  void (*before_wait)(void *arg);
  void *arg;
  uv_thread_t thread;
  uv_mutex_t mu;
  uvl_req *head, *tail;
  wreq *pool; /* write buffers to reuse (under mu) */
  int npool;
  /* Who runs the libuv loop: the thread holding the baton, the loop
   * thread or a driver (uvl_drive). Under mu: */
  uv_mutex_t baton;
  uv_cond_t idle;      /* the loop thread waits on it while others drive */
  int in_round;        /* the loop thread holds the baton (or is taking it) */
  int polling;         /* a thread is in a round: requests must wake it */
  int drivers;         /* drivers waiting for the baton or running */
  uint64_t last_drive; /* when the last drive ended (uv_hrtime), 0: never */
  int kicked;          /* the loop thread must run a round now */
  int stopping;        /* uvl_loop_stop was called: no more drives */
  int interrupted;     /* atomic: uvl_drive_interrupt since the last drive */
};

/* ---- uvnet_loop.c ---- */

/* Queues r for the loop and wakes it (any thread). */
void uvl__submit(uvl_loop *l, uvl_req *r);
/* Runs r on the loop and waits for its result (not on the loop thread). */
int uvl__call(uvl_loop *l, uvl_req *r);
/* A heap request for s, or NULL. */
uvl_req *uvl__req_new(uvl_sock *s, req_kind kind);
/* A write buffer of len bytes (pooled: a recycled UVL_READ_BLOCK one). */
char *uvl__buf_alloc(uvl_loop *l, size_t len, int pooled);
/* Frees a write buffer, keeping pooled ones for reuse. */
void uvl__pool_put(uvl_loop *l, wreq *w);

/* ---- uvnet_loop_sock.c ---- */

/* Runs a request on the loop thread. */
void uvl__run(uvl_loop *l, uvl_req *r);
/* A UVL_E* error for a libuv one. */
int uvl__map_err(int e);

#endif /* FWS2_UVNET_LOOP_IMPL_H */
