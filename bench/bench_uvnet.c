/* bench_uvnet.c: uvnet through the ws2_32 front against raw libuv, both
 * talking to the same libuv TCP echo server (fws2/echo_peer.h) on 127.0.0.1 in
 * the same run (line format: see bench_handles.c; ratio > 1: uvnet better).
 *
 *   uvnet_echo_64k / uvnet_echo_1k: one thread echoes total bytes through
 *     the server with overlapped WSASend/WSARecv of 64 KiB (1 KiB) and a
 *     completion port (one send and two receives outstanding), as a
 *     Windows server would; echoed bytes per second, first send to last
 *     byte back, best of REPS.
 *   ..._blocking_2threads: one thread WSASend()s the bytes in blocking
 *     sends, another WSARecv()s them back in blocking receives.
 *   raw_libuv_echo: one libuv loop writes the same chunks (the next once
 *     the previous write is done) and reads the echo in 64 KiB reads.
 *   ..._cpu: CPU time (user + system, the whole process: the echo server's
 *     share is the same for every leg) per MiB echoed, least of REPS; it
 *     says more than the rate when other processes share the machine.
 *
 * uvnet is installed in a fresh world as ws2_32 would load it: registered
 * as a module and installed with the standard entries before WSAStartup.
 * `bench_uvnet all|iocp|blocking|uvnet|libuv|iocp+libuv [64k|1k]` runs
 * some legs (and sizes) only, for profiling.
 */
#include <winsock2.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fws2/echo_peer.h>
#include <fws2/uvnet.h>
#include <platform.h>
#include <wpu/catalog.h>
#include <wpu/modules.h>
#include <wpu/wpu.h>

#include "baseline_uv_echo.h"
#include "baselines.h"

#define REPS 9

typedef struct {
  SOCKET s;
  size_t chunk, total, got;
} reader_args;

static void reader(void *arg) {
  reader_args *r = arg;
  char *buf = malloc(r->chunk);
  while (buf != NULL && r->got < r->total) {
    WSABUF b = {(ULONG)r->chunk, buf};
    DWORD n = 0, flags = 0;
    if (WSARecv(r->s, &b, 1, &n, &flags, NULL, NULL) != 0 || n == 0)
      break;
    r->got += n;
  }
  free(buf);
}

static SOCKET connect_echo(uint16_t port);

static double uvnet_echo_bps(uint16_t port, size_t chunk, size_t total) {
  SOCKET c = connect_echo(port);
  if (c == INVALID_SOCKET)
    return 0;
  char *buf = calloc(1, chunk);
  reader_args r = {c, chunk, total, 0};
  wpu_plat_thread *t;
  uint64_t t0 = wpu_plat_hrtime();
  if (buf == NULL || wpu_plat_thread_create(&t, reader, &r) != 0) {
    free(buf);
    closesocket(c);
    return 0;
  }
  size_t sent = 0;
  while (sent < total) {
    WSABUF b = {(ULONG)(total - sent < chunk ? total - sent : chunk), buf};
    DWORD n = 0;
    if (WSASend(c, &b, 1, &n, 0, NULL, NULL) != 0)
      break;
    sent += n;
  }
  wpu_plat_thread_join(t);
  double secs = (double)(wpu_plat_hrtime() - t0) / 1e9;
  free(buf);
  closesocket(c);
  return r.got == total ? (double)total / secs : 0;
}

/* A connected uvnet stream to the echo server, or INVALID_SOCKET. */
static SOCKET connect_echo(uint16_t port) {
  SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (c != INVALID_SOCKET && connect(c, (struct sockaddr *)&a, sizeof a) != 0) {
    closesocket(c);
    c = INVALID_SOCKET;
  }
  return c;
}

/* The echo as a Windows server would write it: one thread, overlapped
 * WSASend/WSARecv completing through a port, one send (as the libuv
 * client) and RECVS receives outstanding. */
#define RECVS 2

static double uvnet_iocp_bps(uint16_t port, size_t chunk, size_t total) {
  SOCKET c = connect_echo(port);
  if (c == INVALID_SOCKET)
    return 0;
  HANDLE cp = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  char *out = calloc(1, chunk), *in = malloc(chunk * RECVS);
  WSAOVERLAPPED sov, rov[RECVS];
  size_t sent = 0, got = 0;
  int ok = cp != NULL && out != NULL && in != NULL &&
           CreateIoCompletionPort((HANDLE)c, cp, 1, 0) == cp;
  uint64_t t0 = wpu_plat_hrtime();
  for (int i = 0; ok && i < RECVS; i++) {
    WSABUF b = {(ULONG)chunk, in + i * chunk};
    DWORD n = 0, flags = 0;
    memset(&rov[i], 0, sizeof rov[i]);
    ok = WSARecv(c, &b, 1, &n, &flags, &rov[i], NULL) == 0 ||
         WSAGetLastError() == WSA_IO_PENDING;
  }
  size_t posted = 0;
  while (ok && got < total) {
    if (posted == sent && sent < total) { /* the next send */
      WSABUF b = {(ULONG)(total - sent < chunk ? total - sent : chunk), out};
      DWORD n = 0;
      memset(&sov, 0, sizeof sov);
      ok = WSASend(c, &b, 1, &n, 0, &sov, NULL) == 0 ||
           WSAGetLastError() == WSA_IO_PENDING;
      posted += b.len;
    }
    OVERLAPPED_ENTRY e[8];
    ULONG k = 0;
    if (!ok || !GetQueuedCompletionStatusEx(cp, e, 8, &k, 10000, FALSE))
      break;
    for (ULONG i = 0; ok && i < k; i++) {
      if (e[i].lpOverlapped == (LPOVERLAPPED)&sov) {
        sent += e[i].dwNumberOfBytesTransferred;
        continue;
      }
      WSAOVERLAPPED *ov = (WSAOVERLAPPED *)e[i].lpOverlapped;
      got += e[i].dwNumberOfBytesTransferred;
      ok = e[i].dwNumberOfBytesTransferred > 0;
      if (got < total && ok) { /* received: receive again */
        WSABUF b = {(ULONG)chunk, in + (ov - rov) * chunk};
        DWORD n = 0, flags = 0;
        memset(ov, 0, sizeof *ov);
        ok = WSARecv(c, &b, 1, &n, &flags, ov, NULL) == 0 ||
             WSAGetLastError() == WSA_IO_PENDING;
      }
    }
  }
  double secs = (double)(wpu_plat_hrtime() - t0) / 1e9;
  closesocket(c); /* ends the receives still outstanding */
  if (cp != NULL)
    CloseHandle(cp);
  free(out);
  free(in);
  return ok && got == total ? (double)total / secs : 0;
}

static int start_uvnet(wpu_world **w) {
  const wpu_export exports[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))fws2_uvnet_WSPStartup}};
  WSADATA d;
  if (wpu_world_create(NULL, w) != 0)
    return -1;
  DWORD rc = wpu_module_register(fws2_uvnet_path, exports, 1, NULL);
  if ((rc != 0 && rc != ERROR_BUSY) ||
      wpu_catalog_install_standard(&fws2_uvnet_provider_id, fws2_uvnet_path,
                                   NULL) != 0 ||
      WSAStartup(MAKEWORD(2, 2), &d) != 0)
    return -1;
  return 0;
}

/* Which legs run: all, or some (for profiling). */
static int run_iocp = 1, run_blocking = 1, run_libuv = 1;
/* Which sizes run: both, or one. */
static int run_64k = 1, run_1k = 1;

/* One leg's best rate and its least CPU time per MiB (the whole process,
 * echo server included: the same work in every leg). */
typedef struct leg {
  double bps, cpu_us_per_mib;
} leg;

static void run_leg(leg *l, double (*fn)(uint16_t, size_t, size_t),
                    uint16_t port, size_t chunk, size_t total) {
  double c0 = uv_process_cpu_seconds();
  double bps = fn(port, chunk, total);
  double cpu =
      (uv_process_cpu_seconds() - c0) * 1e6 / ((double)total / 1048576);
  if (bps > l->bps)
    l->bps = bps;
  if (bps > 0 && (l->cpu_us_per_mib == 0 || cpu < l->cpu_us_per_mib))
    l->cpu_us_per_mib = cpu;
}

static void measure(uint16_t port, size_t chunk, size_t total,
                    const char *metric) {
  leg iocp = {0, 0}, blocking = {0, 0}, raw = {0, 0};
  char name[96];
  for (int r = 0; r < REPS; r++) {
    if (run_iocp)
      run_leg(&iocp, uvnet_iocp_bps, port, chunk, total);
    if (run_blocking)
      run_leg(&blocking, uvnet_echo_bps, port, chunk, total);
    if (run_libuv)
      run_leg(&raw, uv_echo_client_bps, port, chunk, total);
  }
  snprintf(name, sizeof name, "%s_blocking_2threads", metric);
  if (!run_libuv) {
    /* Profiling without the baseline: figures only, under another prefix
     * (a bench line always has its baseline). */
    if (run_iocp)
      printf("profile: %s value=%.3f unit=MB/s\n", metric, iocp.bps / 1e6);
    if (run_blocking)
      printf("profile: %s value=%.3f unit=MB/s\n", name, blocking.bps / 1e6);
    return;
  }
  if (run_iocp)
    bench_print(metric, iocp.bps / 1e6, "MB/s", "raw_libuv_echo", raw.bps / 1e6,
                0);
  if (run_blocking)
    bench_print(name, blocking.bps / 1e6, "MB/s", "raw_libuv_echo",
                raw.bps / 1e6, 0);
  snprintf(name, sizeof name, "%s_cpu", metric);
  if (run_iocp)
    bench_print(name, iocp.cpu_us_per_mib, "us_cpu/MiB", "raw_libuv_echo",
                raw.cpu_us_per_mib, 1);
  if (!run_iocp && !run_blocking)
    printf("profile: %s raw_libuv_echo value=%.3f unit=MB/s\n", metric,
           raw.bps / 1e6);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "all") != 0) {
    /* uvnet, iocp, blocking, libuv or iocp+libuv: those legs only */
    const char *a = argv[1];
    run_iocp = strcmp(a, "uvnet") == 0 || strncmp(a, "iocp", 4) == 0;
    run_blocking = strcmp(a, "uvnet") == 0 || strcmp(a, "blocking") == 0;
    run_libuv = strcmp(a, "libuv") == 0 || strcmp(a, "iocp+libuv") == 0;
  }
  if (argc > 2) { /* 64k or 1k: that size only */
    run_64k = strcmp(argv[2], "64k") == 0;
    run_1k = strcmp(argv[2], "1k") == 0;
  }
  uint16_t port = 0;
  fws2_echo_peer *server = fws2_echo_peer_start(&port);
  wpu_world *w = NULL;
  if (server == NULL || start_uvnet(&w) != 0) {
    fprintf(stderr, "bench: cannot start\n");
    return 1;
  }
  if (run_64k)
    measure(port, 64 * 1024, (size_t)256 << 20, "uvnet_echo_64k");
  if (run_1k)
    measure(port, 1024, (size_t)32 << 20, "uvnet_echo_1k");
  WSACleanup();
  size_t leaks = wpu_world_destroy(w);
  fws2_echo_peer_stop(server);
  return leaks == 0 ? 0 : 1;
}
