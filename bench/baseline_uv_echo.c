/* baseline_uv_echo.c: the raw libuv TCP echo client uvnet is measured
 * against (see baseline_uv_echo.h). Includes only <uv.h> and the C
 * library, and calls libuv only (the benchmark links fake_ws2's front,
 * whose socket, send, htons ... are Windows functions). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "baseline_uv_echo.h"

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
