/* uvnet_echo_peer.c: test_uvnet's plain TCP echo server (see
 * uvnet_echo_peer.h): its own libuv loop and thread; <uv.h> only, never a
 * Windows header, and libuv only (the test links fake_ws2's front, whose
 * socket, send, ... are Windows functions). */
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "uvnet_echo_peer.h"

struct echo_peer {
  uv_loop_t loop;
  uv_tcp_t server;
  uv_async_t stop;
  uv_thread_t thread;
  uint64_t echoed; /* loop thread only until joined */
};

typedef struct echo_write {
  uv_write_t req;
  char *data;
} echo_write;

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  buf->base = malloc(suggested);
  buf->len = buf->base != NULL ? suggested : 0;
}

static void on_closed(uv_handle_t *h) {
  free(h);
}

static void on_written(uv_write_t *req, int status) {
  echo_write *w = (echo_write *)req;
  (void)status;
  free(w->data);
  free(w);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  (void)status;
  if (!uv_is_closing((uv_handle_t *)req->handle))
    uv_close((uv_handle_t *)req->handle, on_closed);
  free(req);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  echo_peer *p = st->loop->data;
  if (nread > 0) {
    echo_write *w = malloc(sizeof *w);
    uv_buf_t b = uv_buf_init(buf->base, (unsigned)nread);
    if (w == NULL) {
      free(buf->base);
      return;
    }
    w->data = buf->base;
    p->echoed += (uint64_t)nread;
    if (uv_write(&w->req, st, &b, 1, on_written) != 0) {
      free(w->data);
      free(w);
    }
    return;
  }
  free(buf->base);
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
  uv_tcp_t *c = malloc(sizeof *c);
  if (c == NULL || uv_tcp_init(server->loop, c) != 0) {
    free(c);
    return;
  }
  if (uv_accept(server, (uv_stream_t *)c) != 0 ||
      uv_read_start((uv_stream_t *)c, on_alloc, on_read) != 0)
    uv_close((uv_handle_t *)c, on_closed);
}

static void close_one(uv_handle_t *h, void *arg) {
  echo_peer *p = arg;
  if (uv_is_closing(h))
    return;
  if (h == (uv_handle_t *)&p->server || h == (uv_handle_t *)&p->stop)
    uv_close(h, NULL);
  else
    uv_close(h, on_closed);
}

static void on_stop(uv_async_t *a) {
  echo_peer *p = a->data;
  uv_walk(&p->loop, close_one, p);
}

static void run(void *arg) {
  echo_peer *p = arg;
  uv_run(&p->loop, UV_RUN_DEFAULT);
}

echo_peer *echo_peer_start(uint16_t *port) {
  echo_peer *p = calloc(1, sizeof *p);
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

uint64_t echo_peer_stop(echo_peer *p) {
  uv_async_send(&p->stop);
  uv_thread_join(&p->thread);
  uv_loop_close(&p->loop);
  uint64_t n = p->echoed;
  free(p);
  return n;
}
