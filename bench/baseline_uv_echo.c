/* baseline_uv_echo.c: raw libuv TCP echo on 127.0.0.1 (see
 * baseline_uv_echo.h): the server bench_uvnet's clients talk to, and the
 * raw libuv client uvnet is measured against. Includes only <uv.h> and the
 * C library, and calls libuv only (the benchmark links fake_ws2's front,
 * whose socket, send, htons ... are Windows functions). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "baseline_uv_echo.h"

/* ---- The server ---- */

struct uv_echo_server {
  uv_loop_t loop;
  uv_tcp_t tcp;
  uv_async_t stop;
  uv_thread_t thread;
  struct echo_write *free_list; /* blocks to reuse (loop thread only) */
  int nfree;
};

/* A block read and written back: the write request heads its data. Blocks
 * are recycled, as a server's buffer pool would: malloc and free of 64 KiB
 * per read made glibc return and fault in pages all the time, which added
 * noise to both legs the server serves. */
#define BLOCK    65536
#define FREE_MAX 64

typedef struct echo_write {
  uv_write_t req;
  struct echo_write *next;
  char data[BLOCK];
} echo_write;

static void block_put(uv_echo_server *s, echo_write *w) {
  if (s->nfree < FREE_MAX) {
    w->next = s->free_list;
    s->free_list = w;
    s->nfree++;
  } else {
    free(w);
  }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  uv_echo_server *s = h->loop->data;
  echo_write *w = s->free_list;
  (void)suggested;
  if (w != NULL) {
    s->free_list = w->next;
    s->nfree--;
  } else {
    w = malloc(sizeof *w);
  }
  *buf = w != NULL ? uv_buf_init(w->data, BLOCK) : uv_buf_init(NULL, 0);
}

static echo_write *block_of(char *data) {
  return (echo_write *)(data - offsetof(echo_write, data));
}

static void on_closed(uv_handle_t *h) {
  free(h);
}

static void on_echoed(uv_write_t *req, int status) {
  (void)status;
  block_put(req->handle->loop->data, (echo_write *)req);
}

static void on_server_read(uv_stream_t *st, ssize_t nread,
                           const uv_buf_t *buf) {
  uv_echo_server *s = st->loop->data;
  if (buf->base != NULL && nread > 0) {
    echo_write *w = block_of(buf->base);
    uv_buf_t b = uv_buf_init(buf->base, (unsigned)nread);
    if (uv_write(&w->req, st, &b, 1, on_echoed) == 0)
      return;
  }
  if (buf->base != NULL)
    block_put(s, block_of(buf->base));
  if (nread < 0 && !uv_is_closing((uv_handle_t *)st))
    uv_close((uv_handle_t *)st, on_closed);
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
      uv_read_start((uv_stream_t *)c, on_alloc, on_server_read) != 0)
    uv_close((uv_handle_t *)c, on_closed);
}

static void close_one(uv_handle_t *h, void *arg) {
  uv_echo_server *s = arg;
  if (uv_is_closing(h))
    return;
  if (h == (uv_handle_t *)&s->tcp || h == (uv_handle_t *)&s->stop)
    uv_close(h, NULL);
  else
    uv_close(h, on_closed);
}

static void on_stop(uv_async_t *a) {
  uv_echo_server *s = a->data;
  uv_walk(&s->loop, close_one, s);
}

static void server_main(void *arg) {
  uv_echo_server *s = arg;
  uv_run(&s->loop, UV_RUN_DEFAULT);
}

static uint16_t port_of(const struct sockaddr_storage *ss) {
  const unsigned char *b =
      (const unsigned char *)&((const struct sockaddr_in *)ss)->sin_port;
  return (uint16_t)((b[0] << 8) | b[1]);
}

uv_echo_server *uv_echo_start(uint16_t *port) {
  uv_echo_server *s = calloc(1, sizeof *s);
  struct sockaddr_in a;
  struct sockaddr_storage name;
  int len = sizeof name;
  if (s == NULL || uv_loop_init(&s->loop) != 0) {
    free(s);
    return NULL;
  }
  s->stop.data = s;
  s->loop.data = s;
  if (uv_ip4_addr("127.0.0.1", 0, &a) != 0 ||
      uv_tcp_init(&s->loop, &s->tcp) != 0 ||
      uv_async_init(&s->loop, &s->stop, on_stop) != 0 ||
      uv_tcp_bind(&s->tcp, (struct sockaddr *)&a, 0) != 0 ||
      uv_listen((uv_stream_t *)&s->tcp, 64, on_connection) != 0 ||
      uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&name, &len) != 0 ||
      uv_thread_create(&s->thread, server_main, s) != 0) {
    on_stop(&s->stop);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    uv_loop_close(&s->loop);
    free(s);
    return NULL;
  }
  *port = port_of(&name);
  return s;
}

void uv_echo_stop(uv_echo_server *s) {
  uv_async_send(&s->stop);
  uv_thread_join(&s->thread);
  uv_loop_close(&s->loop);
  while (s->free_list != NULL) {
    echo_write *w = s->free_list;
    s->free_list = w->next;
    free(w);
  }
  free(s);
}

/* ---- The raw libuv client ---- */

typedef struct client {
  uv_tcp_t tcp;
  uv_connect_t connect;
  uv_write_t write;
  char *out;
  char in[65536];
  size_t chunk, total, sent, got;
  uint64_t t0, t1;
  int failed;
} client;

static void next_write(client *c);

static void on_client_written(uv_write_t *req, int status) {
  client *c = req->data;
  if (status != 0) {
    c->failed = 1;
    return;
  }
  next_write(c);
}

static void next_write(client *c) {
  if (c->sent >= c->total)
    return;
  size_t n = c->total - c->sent < c->chunk ? c->total - c->sent : c->chunk;
  uv_buf_t b = uv_buf_init(c->out, (unsigned)n);
  c->write.data = c;
  c->sent += n;
  if (uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1, on_client_written))
    c->failed = 1;
}

static void on_client_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  client *c = h->data;
  (void)suggested;
  *buf = uv_buf_init(c->in, sizeof c->in);
}

static void on_client_read(uv_stream_t *st, ssize_t nread,
                           const uv_buf_t *buf) {
  client *c = st->data;
  (void)buf;
  if (nread < 0) {
    c->failed = 1;
    uv_close((uv_handle_t *)st, NULL);
    return;
  }
  c->got += (size_t)nread;
  if (c->got >= c->total) {
    c->t1 = uv_hrtime();
    uv_close((uv_handle_t *)st, NULL);
  }
}

static void on_client_connect(uv_connect_t *req, int status) {
  client *c = req->data;
  if (status != 0) {
    c->failed = 1;
    uv_close((uv_handle_t *)&c->tcp, NULL);
    return;
  }
  c->t0 = uv_hrtime();
  uv_read_start((uv_stream_t *)&c->tcp, on_client_alloc, on_client_read);
  next_write(c);
}

double uv_echo_client_bps(uint16_t port, size_t chunk, size_t total) {
  uv_loop_t loop;
  client *c = calloc(1, sizeof *c);
  struct sockaddr_in a;
  if (c == NULL || (c->out = calloc(1, chunk)) == NULL ||
      uv_loop_init(&loop) != 0) {
    if (c != NULL)
      free(c->out);
    free(c);
    return 0;
  }
  c->chunk = chunk;
  c->total = total;
  c->tcp.data = c;
  c->connect.data = c;
  double bps = 0;
  if (uv_ip4_addr("127.0.0.1", port, &a) == 0 &&
      uv_tcp_init(&loop, &c->tcp) == 0) {
    if (uv_tcp_connect(&c->connect, &c->tcp, (struct sockaddr *)&a,
                       on_client_connect) != 0)
      uv_close((uv_handle_t *)&c->tcp, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (!c->failed && c->t1 > c->t0)
      bps = (double)total / ((double)(c->t1 - c->t0) / 1e9);
  }
  uv_loop_close(&loop);
  free(c->out);
  free(c);
  return bps;
}

double uv_process_cpu_seconds(void) {
  uv_rusage_t ru;
  if (uv_getrusage(&ru) != 0)
    return 0;
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}
