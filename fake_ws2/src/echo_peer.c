/* echo_peer.c: the plain loopback TCP echo server (fws2/echo_peer.h): its
 * own libuv loop and thread, real OS sockets; <uv.h> only, never a Windows
 * header, and libuv only (programs that use it link fake_ws2's front, whose
 * socket, send, ... are Windows functions). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include <fws2/echo_peer.h>

struct fws2_echo_peer {
  uv_loop_t loop;
  uv_tcp_t server;
  uv_async_t stop;
  uv_thread_t thread;
  uint64_t echoed;              /* loop thread only until joined */
  struct echo_block *free_list; /* blocks to reuse (loop thread only) */
  int nfree;
};

/* A block read and written back; the write request heads its data. Blocks
 * are recycled, as a server's buffer pool would be: a malloc and free of
 * 64 KiB per read made glibc hand pages back and fault them in again all
 * the time (bench_uvnet measured it as noise in both of its legs). */
#define BLOCK    65536
#define FREE_MAX 64

typedef struct echo_block {
  uv_write_t req;
  struct echo_block *next;
  char data[BLOCK];
} echo_block;

/* A connection stops reading while more than BACKLOG bytes of its echo
 * wait to be written (the client does not read them yet), and reads again
 * once they are down to half, as a server with bounded memory does (without
 * it, a client that sends faster than it reads made the server queue
 * blocks without end). */
#define BACKLOG (4 * BLOCK)

typedef struct echo_conn {
  uv_tcp_t tcp; /* first: the handle is the connection */
  int paused;
} echo_conn;

static echo_block *block_of(const char *data) {
  return (echo_block *)(data - offsetof(echo_block, data));
}

static void block_put(fws2_echo_peer *p, echo_block *b) {
  if (p->nfree < FREE_MAX) {
    b->next = p->free_list;
    p->free_list = b;
    p->nfree++;
  } else {
    free(b);
  }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  fws2_echo_peer *p = h->loop->data;
  echo_block *b = p->free_list;
  (void)suggested;
  if (b != NULL) {
    p->free_list = b->next;
    p->nfree--;
  } else {
    b = malloc(sizeof *b);
  }
  *buf = b != NULL ? uv_buf_init(b->data, BLOCK) : uv_buf_init(NULL, 0);
}

static void on_closed(uv_handle_t *h) {
  free(h);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

static void on_written(uv_write_t *req, int status) {
  echo_conn *c = (echo_conn *)req->handle;
  block_put(req->handle->loop->data, (echo_block *)req);
  if (status != 0) { /* the peer is gone: so is the connection */
    if (!uv_is_closing((uv_handle_t *)c))
      uv_close((uv_handle_t *)c, on_closed);
    return;
  }
  if (c->paused &&
      uv_stream_get_write_queue_size((uv_stream_t *)c) <= BACKLOG / 2 &&
      uv_read_start((uv_stream_t *)c, on_alloc, on_read) == 0)
    c->paused = 0;
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  (void)status;
  if (!uv_is_closing((uv_handle_t *)req->handle))
    uv_close((uv_handle_t *)req->handle, on_closed);
  free(req);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  fws2_echo_peer *p = st->loop->data;
  if (nread > 0) {
    uv_buf_t b = uv_buf_init(buf->base, (unsigned)nread);
    p->echoed += (uint64_t)nread;
    if (uv_write(&block_of(buf->base)->req, st, &b, 1, on_written) != 0)
      block_put(p, block_of(buf->base));
    else if (uv_stream_get_write_queue_size(st) > BACKLOG &&
             uv_read_stop(st) == 0)
      ((echo_conn *)st)->paused = 1;
    return;
  }
  if (buf->base != NULL)
    block_put(p, block_of(buf->base));
  if (nread == 0)
    return;
  /* The end (FIN) or an error: finish the writes, then close. */
  uv_shutdown_t *req = malloc(sizeof *req);
  if (req == NULL || uv_shutdown(req, st, on_shutdown) != 0) {
    free(req);
    if (!uv_is_closing((uv_handle_t *)st))
      uv_close((uv_handle_t *)st, on_closed);
  }
}

static void on_connection(uv_stream_t *server, int status) {
  if (status != 0)
    return;
  echo_conn *c = calloc(1, sizeof *c);
  if (c == NULL || uv_tcp_init(server->loop, &c->tcp) != 0) {
    free(c);
    return;
  }
  if (uv_accept(server, (uv_stream_t *)c) != 0 ||
      uv_read_start((uv_stream_t *)c, on_alloc, on_read) != 0)
    uv_close((uv_handle_t *)c, on_closed);
}

static void close_one(uv_handle_t *h, void *arg) {
  fws2_echo_peer *p = arg;
  if (uv_is_closing(h))
    return;
  if (h == (uv_handle_t *)&p->server || h == (uv_handle_t *)&p->stop)
    uv_close(h, NULL);
  else
    uv_close(h, on_closed);
}

static void on_stop(uv_async_t *a) {
  fws2_echo_peer *p = a->data;
  uv_walk(&p->loop, close_one, p);
}

static void run(void *arg) {
  fws2_echo_peer *p = arg;
  uv_run(&p->loop, UV_RUN_DEFAULT);
}

fws2_echo_peer *fws2_echo_peer_start(uint16_t *port) {
  fws2_echo_peer *p = calloc(1, sizeof *p);
  struct sockaddr_in a;
  struct sockaddr_storage name;
  int len = sizeof name;
  if (p == NULL || uv_loop_init(&p->loop) != 0) {
    free(p);
    return NULL;
  }
  p->loop.data = p;
  p->stop.data = p;
  if (uv_ip4_addr("127.0.0.1", 0, &a) != 0 ||
      uv_tcp_init(&p->loop, &p->server) != 0 ||
      uv_async_init(&p->loop, &p->stop, on_stop) != 0 ||
      uv_tcp_bind(&p->server, (struct sockaddr *)&a, 0) != 0 ||
      uv_listen((uv_stream_t *)&p->server, 64, on_connection) != 0 ||
      uv_tcp_getsockname(&p->server, (struct sockaddr *)&name, &len) != 0 ||
      uv_thread_create(&p->thread, run, p) != 0) {
    on_stop(&p->stop);
    uv_run(&p->loop, UV_RUN_DEFAULT);
    uv_loop_close(&p->loop);
    free(p);
    return NULL;
  }
  /* Network order, read by hand (ntohs may be the front's). */
  const unsigned char *b =
      (const unsigned char *)&((struct sockaddr_in *)&name)->sin_port;
  *port = (uint16_t)((b[0] << 8) | b[1]);
  return p;
}

uint64_t fws2_echo_peer_stop(fws2_echo_peer *p) {
  uv_async_send(&p->stop);
  uv_thread_join(&p->thread);
  uv_loop_close(&p->loop);
  uint64_t n = p->echoed;
  while (p->free_list != NULL) {
    echo_block *b = p->free_list;
    p->free_list = b->next;
    free(b);
  }
  free(p);
  return n;
}
