/* uvnet_loop.c: uvnet's I/O core over libuv: the loop thread, its request
 * queue, and real TCP and UDP sockets (uvnet_loop.h is the interface).
 *
 * The only uvnet file that includes <uv.h>, and it includes no Windows
 * header. It calls libuv only, never the C library's socket functions by
 * name (but sendmsg, see below): programs that link fake_ws2's ws2_32
 * front define socket, send, bind ... themselves, with the Windows calling
 * convention.
 *
 * Requests go into a queue under a mutex; a uv_async_t wakes the loop,
 * which runs them in order. A synchronous request lives on the caller's
 * stack and is finished with a semaphore; an asynchronous one is heap
 * memory the loop frees (a write's with its data, once libuv is done).
 *
 * A graceful close of a connected stream stops reading, lets earlier writes
 * finish and sends the FIN (uv_shutdown) before closing the descriptor; a
 * reset close uses uv_tcp_close_reset (SO_LINGER {1, 0}), or a plain close
 * while a shutdown is in flight (libuv does not allow both). Once a close
 * was asked for, a socket reports nothing but closed.
 *
 * uvl_try_write is the exception to "the loop does the I/O": on Linux the
 * caller's thread writes a connected stream's descriptor itself with
 * sendmsg (MSG_DONTWAIT | MSG_NOSIGNAL; no Windows program defines that
 * name), when the provider knows that nothing of the socket's waits in the
 * loop. The descriptor is published to the provider by the connected and
 * accepted callbacks, which run after it is set.
 *
 * A UDP socket's default peer is the loop's, not the kernel's: the kernel
 * socket stays unconnected, sends without an address go to the peer and
 * datagrams from anyone else are dropped on arrival. (Dissolving a kernel
 * association loses a port the kernel chose on Linux, and under Wine the
 * socket cannot be bound again, while Windows keeps the binding.)
 *
 * Not supported: see uvnet_loop.h. Receive errors of UDP sockets (ICMP
 * reports) are ignored.
 *
 * Longer than the project's usual file: being the only <uv.h> user of
 * uvnet is the point of it.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>
#ifndef _WIN32
#include <errno.h>
#include <sys/socket.h>
#endif

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
  uv_prepare_t prepare; /* runs before_wait */
  void (*before_wait)(void *arg);
  void *arg;
  uv_thread_t thread;
  uv_mutex_t mu;
  uvl_req *head, *tail;
  wreq *pool; /* write buffers to reuse (under mu) */
  int npool;
};

static char *buf_alloc(uvl_loop *l, size_t len, int pooled);

/* ---- Errors and addresses ---- */

static int map_err(int e) {
  switch (e) {
  case 0:
    return 0;
  case UV_EOF:
    return UVL_EOF;
  case UV_EADDRINUSE:
    return UVL_EADDRINUSE;
  case UV_EADDRNOTAVAIL:
    return UVL_EADDRNOTAVAIL;
  case UV_ECONNREFUSED:
    return UVL_ECONNREFUSED;
  case UV_ECONNRESET:
    return UVL_ECONNRESET;
  case UV_ECONNABORTED:
    return UVL_ECONNABORTED;
  case UV_ETIMEDOUT:
    return UVL_ETIMEDOUT;
  case UV_ENOMEM:
  case UV_ENOBUFS:
    return UVL_ENOMEM;
  case UV_EMSGSIZE:
    return UVL_EMSGSIZE;
  case UV_ENETUNREACH:
  case UV_EHOSTUNREACH:
    return UVL_ENETUNREACH;
  case UV_EPIPE:
    return UVL_EPIPE;
  case UV_ECANCELED:
    return UVL_ECANCELED;
  case UV_EINVAL:
    return UVL_EINVAL;
  case UV_EMFILE:
  case UV_ENFILE:
    return UVL_EMFILE;
  case UV_EACCES:
  case UV_EPERM:
    return UVL_EACCES;
  case UV_ENOTCONN:
    return UVL_ENOTCONN;
  default:
    return UVL_EIO;
  }
}

/* Port bytes in network order (htons and ntohs are not called: a program
 * may define them as Windows functions). */
static void put_port(void *p, uint16_t port) {
  ((unsigned char *)p)[0] = (unsigned char)(port >> 8);
  ((unsigned char *)p)[1] = (unsigned char)port;
}

static uint16_t get_port(const void *p) {
  const unsigned char *b = p;
  return (uint16_t)((b[0] << 8) | b[1]);
}

static void to_sockaddr(const uvl_addr *a, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  if (a->family == 6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    memcpy(&s6->sin6_addr, a->addr, 16);
    put_port(&s6->sin6_port, a->port);
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    memcpy(&s4->sin_addr, a->addr, 4);
    put_port(&s4->sin_port, a->port);
  }
}

static void from_sockaddr(const struct sockaddr *sa, uvl_addr *a) {
  memset(a, 0, sizeof *a);
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
    a->family = 6;
    memcpy(a->addr, &s6->sin6_addr, 16);
    a->port = get_port(&s6->sin6_port);
  } else {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
    a->family = 4;
    memcpy(a->addr, &s4->sin_addr, 4);
    a->port = get_port(&s4->sin_port);
  }
}

static int same_addr(const uvl_addr *a, const uvl_addr *b) {
  return a->family == b->family && a->port == b->port &&
         memcmp(a->addr, b->addr, a->family == 6 ? 16 : 4) == 0;
}

static int get_name(uvl_sock *s, int peer, uvl_addr *out) {
  struct sockaddr_storage ss;
  int len = sizeof ss, e;
  memset(&ss, 0, sizeof ss);
  if (s->udp && peer) {
    if (!s->has_peer)
      return UVL_ENOTCONN;
    *out = s->peer;
    return 0;
  }
  if (s->udp)
    e = peer ? uv_udp_getpeername(&s->u.udp, (struct sockaddr *)&ss, &len)
             : uv_udp_getsockname(&s->u.udp, (struct sockaddr *)&ss, &len);
  else
    e = peer ? uv_tcp_getpeername(&s->u.tcp, (struct sockaddr *)&ss, &len)
             : uv_tcp_getsockname(&s->u.tcp, (struct sockaddr *)&ss, &len);
  if (e != 0)
    return map_err(e);
  from_sockaddr((struct sockaddr *)&ss, out);
  return 0;
}

int uvl_addr_format(const uvl_addr *a, char *out, size_t cap) {
  int af = a->family == 6 ? AF_INET6 : AF_INET;
  return uv_inet_ntop(af, a->addr, out, cap) == 0 ? 0 : UVL_EINVAL;
}

int uvl_addr_parse(int family, const char *text, uvl_addr *out) {
  memset(out, 0, sizeof *out);
  out->family = family == 6 ? 6 : 4;
  int af = family == 6 ? AF_INET6 : AF_INET;
  return uv_inet_pton(af, text, out->addr) == 0 ? 0 : UVL_EINVAL;
}

/* ---- Socket callbacks (loop thread) ---- */

static void on_close(uv_handle_t *h) {
  uvl_sock *s = h->data;
  if (s->ctx != NULL && s->cb->closed != NULL)
    s->cb->closed(s->ctx);
  free(s);
}

static void close_now(uvl_sock *s, int reset) {
  if (uv_is_closing(&s->u.h))
    return;
  if (reset && !s->udp && !s->shutting &&
      uv_tcp_close_reset(&s->u.tcp, on_close) == 0)
    return;
  uv_close(&s->u.h, on_close);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  uvl_sock *s = h->data;
  (void)suggested;
  if (!s->udp && !s->closing && s->cb->lend != NULL) {
    size_t len = 0;
    char *lent = s->cb->lend(s->ctx, &len);
    if (lent != NULL && len > 0) {
      s->lent = lent;
      *buf = uv_buf_init(lent, (unsigned)(len < UINT32_MAX ? len : UINT32_MAX));
      return;
    }
  }
  buf->base = uvl_buf_new(s->loop, UVL_READ_BLOCK);
  buf->len = buf->base != NULL ? UVL_READ_BLOCK : 0;
}

/* n bytes read into a recycled block: the block itself, or, when much of
 * it is unused, a copy of the bytes in a buffer of their size (the block
 * goes back to the pool). */
static char *fit(uvl_loop *l, char *base, size_t n) {
  if (n >= UVL_READ_BLOCK / 2)
    return base;
  char *small = buf_alloc(l, n, 0);
  if (small == NULL)
    return base;
  memcpy(small, base, n);
  uvl_buf_free(l, base);
  return small;
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  uvl_sock *s = st->data;
  if (s->lent != NULL && buf->base == s->lent) {
    /* The callee's buffer, given back whatever happened. */
    s->lent = NULL;
    int more = s->cb->filled(s->ctx, buf->base, nread > 0 ? (size_t)nread : 0);
    if (nread > 0) {
      if (!more) {
        uv_read_stop(st);
        s->reading = 0;
      }
      return;
    }
  } else if (nread > 0 && !s->closing && s->cb->read != NULL) {
    char *data = fit(s->loop, buf->base, (size_t)nread);
    if (!s->cb->read(s->ctx, data, (size_t)nread)) {
      uv_read_stop(st);
      s->reading = 0;
    }
    return;
  } else {
    uvl_buf_free(s->loop, buf->base);
  }
  if (nread >= 0)
    return; /* nothing (EAGAIN) */
  uv_read_stop(st);
  s->reading = 0;
  if (!s->closing && s->cb->read_end != NULL)
    s->cb->read_end(s->ctx, map_err((int)nread));
}

static void on_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf,
                    const struct sockaddr *from, unsigned flags) {
  uvl_sock *s = u->data;
  (void)flags;
  if (nread < 0 || from == NULL || s->closing || s->cb->datagram == NULL) {
    uvl_buf_free(s->loop, buf->base);
    return;
  }
  uvl_addr a;
  from_sockaddr(from, &a);
  if (s->has_peer && !same_addr(&a, &s->peer)) {
    uvl_buf_free(s->loop, buf->base); /* it hears only its peer */
    return;
  }
  s->cb->datagram(s->ctx, fit(s->loop, buf->base, (size_t)nread), (size_t)nread,
                  &a);
}

static void pool_put(uvl_loop *l, wreq *w) {
  if (w->pooled) {
    uv_mutex_lock(&l->mu);
    if (l->npool < POOL_MAX) {
      w->next_free = l->pool;
      l->pool = w;
      l->npool++;
      w = NULL;
    }
    uv_mutex_unlock(&l->mu);
  }
  free(w);
}

static void write_done(wreq *w, uvl_sock *s, int status) {
  if (!s->closing && s->cb->written != NULL)
    s->cb->written(s->ctx, w->len, map_err(status));
  pool_put(s->loop, w);
}

static void on_write(uv_write_t *req, int status) {
  wreq *w = req->data;
  write_done(w, req->handle->data, status);
}

static void on_send(uv_udp_send_t *req, int status) {
  wreq *w = req->data;
  write_done(w, req->handle->data, status);
}

static void start_reading(uvl_sock *s) {
  if (s->reading || s->closing)
    return;
  int e = s->udp ? uv_udp_recv_start(&s->u.udp, on_alloc, on_recv)
                 : uv_read_start(&s->u.stream, on_alloc, on_read);
  s->reading = e == 0;
}

/* A connected stream's descriptor, for uvl_try_write (Linux). */
static void note_fd(uvl_sock *s) {
#ifndef _WIN32
  uv_os_fd_t fd;
  if (uv_fileno(&s->u.h, &fd) == 0)
    s->fd = fd;
#else
  (void)s;
#endif
}

static void on_connect(uv_connect_t *req, int status) {
  uvl_sock *s = req->handle->data;
  uvl_addr local, peer;
  memset(&local, 0, sizeof local);
  memset(&peer, 0, sizeof peer);
  if (s->closing)
    return;
  if (status == 0) {
    s->connected = 1;
    note_fd(s);
    get_name(s, 0, &local);
    get_name(s, 1, &peer);
  }
  if (s->cb->connected != NULL)
    s->cb->connected(s->ctx, map_err(status), &local, &peer);
  if (status == 0)
    start_reading(s);
}

static void on_connection(uv_stream_t *server, int status) {
  uvl_sock *l = server->data;
  if (status != 0 || l->closing)
    return;
  uvl_sock *c = calloc(1, sizeof *c);
  if (c == NULL)
    return; /* the kernel keeps the connection queued */
  c->loop = l->loop;
  c->cb = l->cb;
  c->fd = -1;
  c->u.h.data = c;
  if (uv_tcp_init(&l->loop->loop, &c->u.tcp) != 0) {
    free(c);
    return;
  }
  if (uv_accept(server, &c->u.stream) != 0) {
    uv_close(&c->u.h, on_close); /* ctx NULL: nobody hears of it */
    return;
  }
  c->connected = 1;
  note_fd(c);
  uvl_addr local, peer;
  memset(&local, 0, sizeof local);
  memset(&peer, 0, sizeof peer);
  get_name(c, 0, &local);
  get_name(c, 1, &peer);
  void *ctx = l->cb->accepted != NULL
                  ? l->cb->accepted(l->ctx, c, &local, &peer)
                  : NULL;
  if (ctx == NULL) {
    close_now(c, 1);
    return;
  }
  c->ctx = ctx;
  start_reading(c);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  uvl_sock *s = req->handle->data;
  (void)status;
  s->shutting = 0;
  s->shut = 1;
  if (s->close_after)
    close_now(s, 0);
}

static int start_shutdown(uvl_sock *s) {
  if (s->shutting || s->shut)
    return 0;
  int e = uv_shutdown(&s->shutdown, &s->u.stream, on_shutdown);
  if (e == 0)
    s->shutting = 1;
  return e;
}

/* ---- Running requests (loop thread) ---- */

static int run_new(uvl_loop *l, uvl_req *r) {
  uvl_sock *s = calloc(1, sizeof *s);
  if (s == NULL)
    return UVL_ENOMEM;
  s->loop = l;
  s->cb = r->cb;
  s->ctx = r->ctx;
  s->fd = -1;
  s->udp = r->kind == R_UDP_NEW;
  int af = r->a == 6 ? AF_INET6 : AF_INET;
  int e = s->udp ? uv_udp_init_ex(&l->loop, &s->u.udp, (unsigned)af)
                 : uv_tcp_init_ex(&l->loop, &s->u.tcp, (unsigned)af);
  if (e != 0) {
    free(s);
    return map_err(e);
  }
  s->u.h.data = s;
  r->sock = s;
  return 0;
}

static int run_bind(uvl_req *r) {
  uvl_sock *s = r->sock;
  struct sockaddr_storage ss;
  to_sockaddr(&r->addr, &ss);
  int e;
  if (s->udp) {
    unsigned flags = r->addr.family == 6 ? UV_UDP_IPV6ONLY : 0;
    if (r->a & UVL_BIND_REUSEADDR)
      flags |= UV_UDP_REUSEADDR;
    e = uv_udp_bind(&s->u.udp, (struct sockaddr *)&ss, flags);
  } else {
    e = uv_tcp_bind(&s->u.tcp, (struct sockaddr *)&ss,
                    r->addr.family == 6 ? UV_TCP_IPV6ONLY : 0);
  }
  if (e != 0)
    return map_err(e);
  /* A TCP bind's EADDRINUSE is reported here (libuv delays it). */
  return get_name(s, 0, &r->addr);
}

static int run_option(uvl_req *r) {
  uvl_sock *s = r->sock;
  int v = r->b;
  switch (r->a) {
  case UVL_OPT_NODELAY:
    return s->udp ? UVL_EINVAL : map_err(uv_tcp_nodelay(&s->u.tcp, v != 0));
  case UVL_OPT_KEEPALIVE:
    return s->udp ? UVL_EINVAL
                  : map_err(uv_tcp_keepalive(&s->u.tcp, v != 0, 60));
  case UVL_OPT_SNDBUF:
    return v <= 0 ? UVL_EINVAL : map_err(uv_send_buffer_size(&s->u.h, &v));
  case UVL_OPT_RCVBUF:
    return v <= 0 ? UVL_EINVAL : map_err(uv_recv_buffer_size(&s->u.h, &v));
  default:
    return UVL_EINVAL;
  }
}

static void run_write(uvl_req *r) {
  wreq *w = (wreq *)r;
  uvl_sock *s = r->sock;
  uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)w->len);
  int e;
  if (s->closing) {
    e = UV_ECANCELED;
  } else if (r->kind == R_WRITE) {
    w->uv.w.data = w;
    e = uv_write(&w->uv.w, &s->u.stream, &b, 1, on_write);
  } else if (!r->has_addr && !s->has_peer) {
    e = UV_ENOTCONN;
  } else {
    struct sockaddr_storage ss;
    to_sockaddr(r->has_addr ? &r->addr : &s->peer, &ss);
    w->uv.u.data = w;
    e = uv_udp_send(&w->uv.u, &s->u.udp, &b, 1, (struct sockaddr *)&ss,
                    on_send);
  }
  if (e != 0)
    write_done(w, s, e);
}

static void close_any(uv_handle_t *h, void *arg) {
  uvl_loop *l = arg;
  if (h == (uv_handle_t *)&l->wake || h == (uv_handle_t *)&l->prepare) {
    if (!uv_is_closing(h))
      uv_close(h, NULL);
    return;
  }
  uvl_sock *s = h->data;
  if (s != NULL && !uv_is_closing(h)) {
    s->closing = 1;
    uv_close(h, on_close);
  }
}

static void run_close(uvl_req *r) {
  uvl_sock *s = r->sock;
  int reset = r->a;
  s->closing = 1;
  if (s->reading) {
    if (s->udp)
      uv_udp_recv_stop(&s->u.udp);
    else
      uv_read_stop(&s->u.stream);
    s->reading = 0;
  }
  if (!reset && !s->udp && s->connected && !s->shut) {
    s->close_after = 1;
    if (s->shutting || start_shutdown(s) == 0)
      return; /* closed when the FIN is out */
  }
  close_now(s, reset);
}

static void run(uvl_loop *l, uvl_req *r) {
  uvl_sock *s = r->sock;
  struct sockaddr_storage ss;
  switch (r->kind) {
  case R_TCP_NEW:
  case R_UDP_NEW:
    r->result = run_new(l, r);
    break;
  case R_BIND:
    r->result = run_bind(r);
    break;
  case R_LISTEN:
    r->result = map_err(uv_listen(&s->u.stream, r->a, on_connection));
    break;
  case R_CONNECT:
    to_sockaddr(&r->addr, &ss);
    r->result = map_err(uv_tcp_connect(&s->connect, &s->u.tcp,
                                       (struct sockaddr *)&ss, on_connect));
    if (r->result != 0 && s->cb->connected != NULL) {
      uvl_addr none;
      memset(&none, 0, sizeof none);
      s->cb->connected(s->ctx, r->result, &none, &none);
    }
    break;
  case R_UDP_CONNECT:
    s->has_peer = r->has_addr;
    s->peer = r->addr;
    r->result = 0;
    break;
  case R_READ_START:
    start_reading(s);
    break;
  case R_READ_STOP:
    if (s->reading && !s->closing) {
      if (s->udp)
        uv_udp_recv_stop(&s->u.udp);
      else
        uv_read_stop(&s->u.stream);
      s->reading = 0;
    }
    break;
  case R_WRITE:
  case R_SEND:
    run_write(r);
    return; /* freed when written */
  case R_SHUTDOWN:
    if (!s->closing && !s->udp)
      start_shutdown(s);
    break;
  case R_CLOSE:
    run_close(r);
    break;
  case R_NAME:
    r->result = get_name(s, r->a, &r->addr);
    break;
  case R_OPTION:
    r->result = run_option(r);
    break;
  case R_STOP:
    uv_walk(&l->loop, close_any, l);
    break;
  }
  if (r->done != NULL)
    uv_sem_post(r->done);
  else if (r->heap)
    free(r);
}

static void on_wake(uv_async_t *a) {
  uvl_loop *l = a->data;
  uv_mutex_lock(&l->mu);
  uvl_req *r = l->head;
  l->head = l->tail = NULL;
  uv_mutex_unlock(&l->mu);
  while (r != NULL) {
    uvl_req *next = r->next;
    run(l, r);
    r = next;
  }
}

static void submit(uvl_loop *l, uvl_req *r) {
  r->next = NULL;
  uv_mutex_lock(&l->mu);
  if (l->tail != NULL)
    l->tail->next = r;
  else
    l->head = r;
  l->tail = r;
  uv_mutex_unlock(&l->mu);
  uv_async_send(&l->wake);
}

/* Runs r on the loop and waits for it. */
static int call(uvl_loop *l, uvl_req *r) {
  uv_sem_t sem;
  if (uv_sem_init(&sem, 0) != 0)
    return UVL_ENOMEM;
  r->done = &sem;
  submit(l, r);
  uv_sem_wait(&sem);
  uv_sem_destroy(&sem);
  return r->result;
}

/* A heap request for s, or NULL. */
static uvl_req *req_new(uvl_sock *s, req_kind kind) {
  uvl_req *r = calloc(1, sizeof *r);
  if (r != NULL) {
    r->kind = kind;
    r->heap = 1;
    r->sock = s;
  }
  return r;
}

/* ---- The loop ---- */

/* Prepare handles run right before the loop polls for I/O, which may
 * block. */
static void on_prepare(uv_prepare_t *p) {
  uvl_loop *l = p->data;
  l->before_wait(l->arg);
}

static void loop_main(void *arg) {
  uvl_loop *l = arg;
  uv_run(&l->loop, UV_RUN_DEFAULT);
  if (l->before_wait != NULL)
    l->before_wait(l->arg);
}

static void close_unclosed(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

/* Undoes a start that failed after the mutex was made: closes the handles
 * made so far and frees the loop. */
static int start_failed(uvl_loop *l) {
  uv_walk(&l->loop, close_unclosed, NULL);
  uv_run(&l->loop, UV_RUN_DEFAULT);
  uv_loop_close(&l->loop);
  uv_mutex_destroy(&l->mu);
  free(l);
  return UVL_EIO;
}

int uvl_loop_start(void (*before_wait)(void *arg), void *arg, uvl_loop **out) {
  uvl_loop *l = calloc(1, sizeof *l);
  if (l == NULL)
    return UVL_ENOMEM;
  if (uv_loop_init(&l->loop) != 0) {
    free(l);
    return UVL_EIO;
  }
  if (uv_mutex_init(&l->mu) != 0) {
    uv_loop_close(&l->loop);
    free(l);
    return UVL_EIO;
  }
  l->before_wait = before_wait;
  l->arg = arg;
  l->wake.data = l;
  l->prepare.data = l;
  if (uv_async_init(&l->loop, &l->wake, on_wake) != 0 ||
      (before_wait != NULL &&
       (uv_prepare_init(&l->loop, &l->prepare) != 0 ||
        uv_prepare_start(&l->prepare, on_prepare) != 0)) ||
      uv_thread_create(&l->thread, loop_main, l) != 0)
    return start_failed(l);
  *out = l;
  return 0;
}

void uvl_loop_stop(uvl_loop *l) {
  uvl_req stop;
  memset(&stop, 0, sizeof stop);
  stop.kind = R_STOP;
  submit(l, &stop);
  uv_thread_join(&l->thread);
  /* Whatever was asked after the stop: nothing runs it any more. */
  for (uvl_req *r = l->head, *next; r != NULL; r = next) {
    next = r->next;
    if (r->done != NULL) {
      r->result = UVL_ECANCELED;
      uv_sem_post(r->done);
    } else if (r->heap || r->kind == R_WRITE || r->kind == R_SEND) {
      free(r); /* a write's request heads its buffer */
    }
  }
  uv_loop_close(&l->loop);
  uv_mutex_destroy(&l->mu);
  while (l->pool != NULL) {
    wreq *w = l->pool;
    l->pool = w->next_free;
    free(w);
  }
  free(l);
}

int uvl_on_loop_thread(const uvl_loop *l) {
  uv_thread_t self = uv_thread_self();
  return uv_thread_equal(&self, &l->thread);
}

/* ---- Requests ---- */

static int new_sock(uvl_loop *l, req_kind kind, int family,
                    const uvl_callbacks *cb, void *ctx, uvl_sock **out) {
  uvl_req r;
  memset(&r, 0, sizeof r);
  r.kind = kind;
  r.a = family;
  r.cb = cb;
  r.ctx = ctx;
  int e = call(l, &r);
  if (e == 0)
    *out = r.sock;
  return e;
}

int uvl_tcp_new(uvl_loop *l, int family, const uvl_callbacks *cb, void *ctx,
                uvl_sock **out) {
  return new_sock(l, R_TCP_NEW, family, cb, ctx, out);
}

int uvl_udp_new(uvl_loop *l, int family, const uvl_callbacks *cb, void *ctx,
                uvl_sock **out) {
  return new_sock(l, R_UDP_NEW, family, cb, ctx, out);
}

int uvl_bind(uvl_sock *s, const uvl_addr *addr, int flags, uvl_addr *bound) {
  uvl_req r;
  memset(&r, 0, sizeof r);
  r.kind = R_BIND;
  r.sock = s;
  r.addr = *addr;
  r.a = flags;
  int e = call(s->loop, &r);
  if (e == 0 && bound != NULL)
    *bound = r.addr;
  return e;
}

int uvl_listen(uvl_sock *s, int backlog) {
  uvl_req r;
  memset(&r, 0, sizeof r);
  r.kind = R_LISTEN;
  r.sock = s;
  r.a = backlog;
  return call(s->loop, &r);
}

void uvl_connect(uvl_sock *s, const uvl_addr *to) {
  uvl_req *r = &s->connect_req;
  memset(r, 0, sizeof *r);
  r->kind = R_CONNECT;
  r->sock = s;
  r->addr = *to;
  submit(s->loop, r);
}

int uvl_udp_connect(uvl_sock *s, const uvl_addr *to) {
  uvl_req r;
  memset(&r, 0, sizeof r);
  r.kind = R_UDP_CONNECT;
  r.sock = s;
  if (to != NULL) {
    r.addr = *to;
    r.has_addr = 1;
  }
  return call(s->loop, &r);
}

static void simple(uvl_sock *s, req_kind kind, int a) {
  uvl_req *r = req_new(s, kind);
  if (r == NULL)
    return; /* out of memory: the request is lost */
  r->a = a;
  submit(s->loop, r);
}

void uvl_read_start(uvl_sock *s) {
  simple(s, R_READ_START, 0);
}

void uvl_read_stop(uvl_sock *s) {
  simple(s, R_READ_STOP, 0);
}

char *uvl_buf_new(uvl_loop *l, size_t len) {
  return buf_alloc(l, len, len <= UVL_READ_BLOCK);
}

/* A buffer of len bytes; pooled: a recycled UVL_READ_BLOCK one. */
static char *buf_alloc(uvl_loop *l, size_t len, int pooled) {
  wreq *w = NULL;
  if (pooled) {
    uv_mutex_lock(&l->mu);
    if ((w = l->pool) != NULL) {
      l->pool = w->next_free;
      l->npool--;
    }
    uv_mutex_unlock(&l->mu);
  }
  if (w == NULL &&
      (w = malloc(sizeof *w + (pooled ? UVL_READ_BLOCK : len))) == NULL)
    return NULL;
  memset(&w->req, 0, sizeof w->req);
  w->pooled = pooled;
  w->len = len;
  return (char *)w->data;
}

void uvl_buf_free(uvl_loop *l, char *buf) {
  if (buf != NULL)
    pool_put(l, (wreq *)(buf - offsetof(wreq, data)));
}

static void submit_write(uvl_sock *s, req_kind kind, char *buf, size_t len,
                         const uvl_addr *to) {
  wreq *w = (wreq *)(buf - offsetof(wreq, data));
  w->req.kind = kind;
  w->req.sock = s;
  w->len = len;
  if (to != NULL) {
    w->req.addr = *to;
    w->req.has_addr = 1;
  }
  submit(s->loop, &w->req);
}

void uvl_write(uvl_sock *s, char *buf, size_t len) {
  submit_write(s, R_WRITE, buf, len, NULL);
}

void uvl_send(uvl_sock *s, char *buf, size_t len, const uvl_addr *to) {
  submit_write(s, R_SEND, buf, len, to);
}

long uvl_try_write(uvl_sock *s, const uvl_iov *iov, size_t n) {
#ifdef _WIN32
  (void)s;
  (void)iov;
  (void)n;
  return 0;
#else
  struct iovec v[UVL_IOV_MAX];
  struct msghdr m;
  if (s->fd < 0 || n == 0 || n > UVL_IOV_MAX)
    return 0;
  for (size_t i = 0; i < n; i++) {
    v[i].iov_base = (void *)iov[i].base;
    v[i].iov_len = iov[i].len;
  }
  memset(&m, 0, sizeof m);
  m.msg_iov = v;
  m.msg_iovlen = n;
  ssize_t r;
  do
    r = sendmsg(s->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r >= 0)
    return (long)r;
  if (errno == EAGAIN || errno == EWOULDBLOCK)
    return 0;
  return map_err(uv_translate_sys_error(errno));
#endif
}

void uvl_shutdown(uvl_sock *s) {
  simple(s, R_SHUTDOWN, 0);
}

void uvl_close(uvl_sock *s, int reset) {
  uvl_req *r = &s->close_req;
  memset(r, 0, sizeof *r);
  r->kind = R_CLOSE;
  r->sock = s;
  r->a = reset;
  submit(s->loop, r);
}

int uvl_name(uvl_sock *s, int peer, uvl_addr *out) {
  uvl_req r;
  memset(&r, 0, sizeof r);
  r.kind = R_NAME;
  r.sock = s;
  r.a = peer;
  int e = call(s->loop, &r);
  if (e == 0)
    *out = r.addr;
  return e;
}

int uvl_set_option(uvl_sock *s, int option, int value) {
  uvl_req r;
  memset(&r, 0, sizeof r);
  r.kind = R_OPTION;
  r.sock = s;
  r.a = option;
  r.b = value;
  return call(s->loop, &r);
}
