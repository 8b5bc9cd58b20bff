/* bench_memnet.c: memnet through the ws2_32 front, against a Unix-domain
 * socket pair in the same run (line format: see bench_handles.c).
 *
 *   memnet_stream:  one thread send()s 64 KiB chunks, another recv()s them
 *   memnet_cycle:   world create, WSAStartup, socket, listen, connect,
 *                   accept, 1 KiB echo, closes, WSACleanup, world destroy
 *                   (median of many)
 */
#include <winsock2.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <platform.h>
#include <wpu/wpu.h>

#include "baselines.h"

#define CHUNK (64 * 1024)

static SOCKET listener(struct sockaddr_in *a) {
  SOCKET l = socket(AF_INET, SOCK_STREAM, 0);
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int len = sizeof *a;
  bind(l, (struct sockaddr *)a, sizeof *a);
  getsockname(l, (struct sockaddr *)a, &len);
  listen(l, 4);
  return l;
}

typedef struct {
  SOCKET s;
  size_t total;
} reader_args;

static void reader(void *arg) {
  reader_args *r = arg;
  char *buf = malloc(CHUNK);
  size_t got = 0;
  while (got < r->total) {
    int n = recv(r->s, buf, CHUNK, 0);
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  free(buf);
}

static double memnet_stream_bps(size_t total) {
  struct sockaddr_in a;
  SOCKET l = listener(&a);
  SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
  connect(c, (struct sockaddr *)&a, sizeof a);
  SOCKET s = accept(l, NULL, NULL);
  char *buf = calloc(1, CHUNK);
  reader_args r = {s, total};
  uint64_t t0 = wpu_plat_hrtime();
  wpu_plat_thread *t;
  wpu_plat_thread_create(&t, reader, &r);
  size_t sent = 0;
  while (sent < total) {
    int n = send(c, buf, CHUNK, 0);
    if (n <= 0)
      break;
    sent += (size_t)n;
  }
  wpu_plat_thread_join(t);
  double secs = (double)(wpu_plat_hrtime() - t0) / 1e9;
  free(buf);
  closesocket(c);
  closesocket(s);
  closesocket(l);
  return (double)total / secs;
}

static double memnet_cycle_ns(void) {
  char buf[1024];
  memset(buf, 7, sizeof buf);
  uint64_t t0 = wpu_plat_hrtime();
  wpu_world *w;
  WSADATA d;
  if (wpu_world_create(NULL, &w) != 0 || WSAStartup(MAKEWORD(2, 2), &d) != 0)
    return 0;
  struct sockaddr_in a;
  SOCKET l = listener(&a);
  SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
  connect(c, (struct sockaddr *)&a, sizeof a);
  SOCKET s = accept(l, NULL, NULL);
  send(c, buf, sizeof buf, 0);
  recv(s, buf, sizeof buf, MSG_WAITALL);
  send(s, buf, sizeof buf, 0);
  recv(c, buf, sizeof buf, MSG_WAITALL);
  closesocket(c);
  closesocket(s);
  closesocket(l);
  WSACleanup();
  wpu_world_destroy(w);
  return (double)(wpu_plat_hrtime() - t0);
}

static int cmp(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

static double median(double *v, size_t n) {
  qsort(v, n, sizeof *v, cmp);
  return v[n / 2];
}

int main(void) {
  enum { CYCLES = 2001 };
  static double wc[CYCLES], bc[CYCLES];
  for (int i = 0; i < CYCLES; i++) {
    wc[i] = memnet_cycle_ns();
    bc[i] = socketpair_cycle_ns();
  }
  bench_print("memnet_cycle_median", median(wc, CYCLES) / 1e3, "us",
              "unix_socketpair_cycle", median(bc, CYCLES) / 1e3, 1);

  wpu_world *w;
  WSADATA d;
  if (wpu_world_create(NULL, &w) != 0 || WSAStartup(MAKEWORD(2, 2), &d) != 0) {
    fprintf(stderr, "bench: cannot start\n");
    return 1;
  }
  const size_t total = (size_t)512 << 20;
  double mb = 0, bb = 0;
  for (int r = 0; r < 3; r++) {
    double x = memnet_stream_bps(total),
           y = socketpair_stream_bps(total, CHUNK);
    mb = x > mb ? x : mb;
    bb = y > bb ? y : bb;
  }
  bench_print("memnet_stream_64k", mb / 1e9, "GB/s", "unix_socketpair",
              bb / 1e9, 0);
  WSACleanup();
  return wpu_world_destroy(w) == 0 ? 0 : 1;
}
