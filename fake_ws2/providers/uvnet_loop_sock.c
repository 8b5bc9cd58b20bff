/* uvnet_loop_sock.c: uvnet's kernel sockets over libuv: errors and
 * addresses, the sockets' libuv callbacks, the requests the loop runs for
 * them, and the socket calls of uvnet_loop.h (see uvnet_loop.c for the
 * loop thread and what holds for both files). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <errno.h>
#include <sys/socket.h>
#endif

#include "uvnet_loop_impl.h"

/* ---- Errors and addresses ---- */

int uvl__map_err(int e) {
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
    return uvl__map_err(e);
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
  char *small = uvl__buf_alloc(l, n, 0);
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
    s->cb->read_end(s->ctx, uvl__map_err((int)nread));
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

static void write_done(wreq *w, uvl_sock *s, int status) {
  if (!s->closing && s->cb->written != NULL)
    s->cb->written(s->ctx, w->len, uvl__map_err(status));
  uvl__pool_put(s->loop, w);
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
    s->cb->connected(s->ctx, uvl__map_err(status), &local, &peer);
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
    return uvl__map_err(e);
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
    return uvl__map_err(e);
  /* A TCP bind's EADDRINUSE is reported here (libuv delays it). */
  return get_name(s, 0, &r->addr);
}

static int run_option(uvl_req *r) {
  uvl_sock *s = r->sock;
  int v = r->b;
  switch (r->a) {
  case UVL_OPT_NODELAY:
    return s->udp ? UVL_EINVAL
                  : uvl__map_err(uv_tcp_nodelay(&s->u.tcp, v != 0));
  case UVL_OPT_KEEPALIVE:
    return s->udp ? UVL_EINVAL
                  : uvl__map_err(uv_tcp_keepalive(&s->u.tcp, v != 0, 60));
  case UVL_OPT_SNDBUF:
    return v <= 0 ? UVL_EINVAL : uvl__map_err(uv_send_buffer_size(&s->u.h, &v));
  case UVL_OPT_RCVBUF:
    return v <= 0 ? UVL_EINVAL : uvl__map_err(uv_recv_buffer_size(&s->u.h, &v));
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
  if (h == (uv_handle_t *)&l->wake || h == (uv_handle_t *)&l->prepare ||
      h == (uv_handle_t *)&l->drive_timer) {
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

void uvl__run(uvl_loop *l, uvl_req *r) {
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
    r->result = uvl__map_err(uv_listen(&s->u.stream, r->a, on_connection));
    break;
  case R_CONNECT:
    to_sockaddr(&r->addr, &ss);
    r->result = uvl__map_err(uv_tcp_connect(
        &s->connect, &s->u.tcp, (struct sockaddr *)&ss, on_connect));
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

/* ---- Requests ---- */

static int new_sock(uvl_loop *l, req_kind kind, int family,
                    const uvl_callbacks *cb, void *ctx, uvl_sock **out) {
  uvl_req r;
  memset(&r, 0, sizeof r);
  r.kind = kind;
  r.a = family;
  r.cb = cb;
  r.ctx = ctx;
  int e = uvl__call(l, &r);
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
  int e = uvl__call(s->loop, &r);
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
  return uvl__call(s->loop, &r);
}

void uvl_connect(uvl_sock *s, const uvl_addr *to) {
  uvl_req *r = &s->connect_req;
  memset(r, 0, sizeof *r);
  r->kind = R_CONNECT;
  r->sock = s;
  r->addr = *to;
  uvl__submit(s->loop, r);
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
  return uvl__call(s->loop, &r);
}

static void simple(uvl_sock *s, req_kind kind, int a) {
  uvl_req *r = uvl__req_new(s, kind);
  if (r == NULL)
    return; /* out of memory: the request is lost */
  r->a = a;
  uvl__submit(s->loop, r);
}

void uvl_read_start(uvl_sock *s) {
  simple(s, R_READ_START, 0);
}

void uvl_read_stop(uvl_sock *s) {
  simple(s, R_READ_STOP, 0);
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
  uvl__submit(s->loop, &w->req);
}

void uvl_write(uvl_sock *s, char *buf, size_t len) {
  submit_write(s, R_WRITE, buf, len, NULL);
}

void uvl_send(uvl_sock *s, char *buf, size_t len, const uvl_addr *to) {
  submit_write(s, R_SEND, buf, len, to);
}

#ifndef _WIN32
/* One sendmsg (out) or recvmsg of a connected stream's descriptor, without
 * waiting: the byte count, 0 when the kernel has no room or nothing now
 * (or the end, reading), or a UVL_E* error. */
static long fd_msg(int fd, const uvl_iov *iov, size_t n, int out) {
  struct iovec v[UVL_IOV_MAX];
  struct msghdr m;
  for (size_t i = 0; i < n; i++) {
    v[i].iov_base = (void *)iov[i].base;
    v[i].iov_len = iov[i].len;
  }
  memset(&m, 0, sizeof m);
  m.msg_iov = v;
  m.msg_iovlen = n;
  ssize_t r;
  do
    r = out ? sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL)
            : recvmsg(fd, &m, MSG_DONTWAIT);
  while (r < 0 && errno == EINTR);
  if (r >= 0)
    return (long)r;
  if (errno == EAGAIN || errno == EWOULDBLOCK)
    return 0;
  return uvl__map_err(uv_translate_sys_error(errno));
}
#endif

/* uvl_try_write (out) and uvl_try_read. */
static long try_io(uvl_sock *s, const uvl_iov *iov, size_t n, int out) {
#ifdef _WIN32
  (void)s;
  (void)iov;
  (void)n;
  (void)out;
  return 0;
#else
  if (s->fd < 0 || n == 0 || n > UVL_IOV_MAX)
    return 0;
  if (out)
    return fd_msg(s->fd, iov, n, 1);
  /* The baton: no round runs meanwhile (try: never waits under the
   * caller's lock, which the loop's callbacks take). A read of 0 is the
   * end, which the kernel repeats to the loop's next read. */
  if (uv_mutex_trylock(&s->loop->baton) != 0)
    return 0;
  long r = fd_msg(s->fd, iov, n, 0);
  uv_mutex_unlock(&s->loop->baton);
  return r;
#endif
}

long uvl_try_write(uvl_sock *s, const uvl_iov *iov, size_t n) {
  return try_io(s, iov, n, 1);
}

long uvl_try_read(uvl_sock *s, const uvl_iov *iov, size_t n) {
  return try_io(s, iov, n, 0);
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
  uvl__submit(s->loop, r);
}

int uvl_name(uvl_sock *s, int peer, uvl_addr *out) {
  uvl_req r;
  memset(&r, 0, sizeof r);
  r.kind = R_NAME;
  r.sock = s;
  r.a = peer;
  int e = uvl__call(s->loop, &r);
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
  return uvl__call(s->loop, &r);
}
