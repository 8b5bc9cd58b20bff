/* demo.c: the end-to-end demo (README command 1): counting_lsp installed over
 * uvnet in a fresh world, a plain loopback echo peer, an application's
 * WSASend/WSARecv with a completion port; prints the catalog, the LSP's
 * per-socket byte counts and the call trace as a sequence diagram, and
 * writes the diagram as Mermaid and PlantUML source.
 *
 * Usage: lsp_demo [OUTPUT_DIR]   (default: the current directory; the
 * files are lsp_demo.mmd and lsp_demo.puml). Exits 0 when every step
 * worked and the counts match what was sent. */
#include <winsock2.h>
#include <ws2spi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fws2/echo_peer.h>
#include <fws2/trace.h>
#include <fws2/uvnet.h>
#include <wpu/catalog.h>
#include <wpu/modules.h>
#include <wpu/wpu.h>

#include "counting_lsp.h"
#include "installer.h"
#include "sequence.h"

static const WCHAR lsp_path[] = L"%SystemRoot%\\system32\\counting_lsp.dll";
static const char *const messages[] = {
    "hello, layered world", "a second message, a little longer", "bye"};
#define N_MESSAGES (sizeof messages / sizeof messages[0])
#define KEY        0xC0FFEE

static int fail(const char *what, int err) {
  printf("!! %s failed: error %d\n", what, err);
  return 1;
}

/* Installs uvnet's standard entries and counting_lsp over TCP/IPv4 with the
 * installer example's library, as a Windows installer would. */
static int install(void) {
  const wpu_export uvnet[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))fws2_uvnet_WSPStartup}};
  const wpu_export lsp[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))CountingWSPStartup}};
  DWORD base[WPU_CATALOG_STANDARD_COUNT], lower, dummy, chain;
  if (wpu_module_register(fws2_uvnet_path, uvnet, 1, NULL) != 0 ||
      wpu_module_register(lsp_path, lsp, 1, CountingDllMain) != 0)
    return fail("wpu_module_register", 0);
  int rc = wpu_catalog_install_standard(&fws2_uvnet_provider_id,
                                        fws2_uvnet_path, base);
  if (rc != 0)
    return fail("wpu_catalog_install_standard", rc);
  const lspinst_protocol tcp4 = {AF_INET, SOCK_STREAM, IPPROTO_TCP};
  if ((rc = lspinst_select(&tcp4, 1, TRUE, &lower)) != 0 ||
      (rc = lspinst_install(&COUNTING_LSP_GUID, lsp_path, L"counting_lsp", 0,
                            &lower, 1, &dummy, &chain)) != 0)
    return fail("lspinst_install", rc);
  printf("installed counting_lsp: dummy entry %lu, chain entry %lu over "
         "uvnet's TCP/IPv4 entry %lu\n\n",
         (unsigned long)dummy, (unsigned long)chain, (unsigned long)lower);
  size_t need = wpu_catalog_format(NULL, 0);
  char *listing = malloc(need + 1);
  if (listing == NULL)
    return fail("malloc", 0);
  wpu_catalog_format(listing, need + 1);
  printf("== the catalog (netsh winsock show catalog) ==\n%s\n", listing);
  free(listing);
  return 0;
}

/* Waits for the completion of one overlapped operation on the port and
 * checks it is the application's own (key and overlapped). */
static int complete(HANDLE port, LPWSAOVERLAPPED ov, DWORD *bytes) {
  ULONG_PTR key = 0;
  LPOVERLAPPED got = NULL;
  if (!GetQueuedCompletionStatus(port, bytes, &key, &got, 10000))
    return fail("GetQueuedCompletionStatus", (int)GetLastError());
  if (key != KEY || got != (LPOVERLAPPED)ov) {
    printf("!! the port delivered key %#lx, overlapped %p; expected %#x, %p\n",
           (unsigned long)key, (void *)got, KEY, (void *)ov);
    return 1;
  }
  return 0;
}

/* The application: plain Winsock, nothing of libwpu. */
static int application(u_short peer_port, counting_lsp_stats *stats,
                       size_t *sent_total) {
  WSADATA data;
  int rc = WSAStartup(MAKEWORD(2, 2), &data);
  if (rc != 0)
    return fail("WSAStartup", rc);
  SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                        WSA_FLAG_OVERLAPPED);
  if (s == INVALID_SOCKET)
    return fail("WSASocketW", WSAGetLastError());
  struct sockaddr_in peer;
  memset(&peer, 0, sizeof peer);
  peer.sin_family = AF_INET;
  peer.sin_port = htons(peer_port);
  peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, (struct sockaddr *)&peer, sizeof peer) != 0)
    return fail("connect", WSAGetLastError());
  HANDLE port = CreateIoCompletionPort((HANDLE)s, NULL, KEY, 0);
  if (port == NULL)
    return fail("CreateIoCompletionPort", (int)GetLastError());
  printf("application: socket 0x%llx connected to 127.0.0.1:%u, completion "
         "port %p\n",
         (unsigned long long)s, peer_port, (void *)port);

  *sent_total = 0;
  for (size_t i = 0; i < N_MESSAGES; i++) {
    WSAOVERLAPPED ov;
    DWORD n = 0, flags = 0, bytes = 0;
    size_t len = strlen(messages[i]);
    WSABUF buf = {(ULONG)len, (char *)messages[i]};
    memset(&ov, 0, sizeof ov);
    if (WSASend(s, &buf, 1, &n, 0, &ov, NULL) != 0 &&
        WSAGetLastError() != WSA_IO_PENDING)
      return fail("WSASend", WSAGetLastError());
    if (complete(port, &ov, &bytes) != 0)
      return 1;
    *sent_total += bytes;
    char echo[128];
    size_t got = 0;
    while (got < len) {
      WSABUF in = {(ULONG)(sizeof echo - got), echo + got};
      memset(&ov, 0, sizeof ov);
      flags = 0;
      if (WSARecv(s, &in, 1, &n, &flags, &ov, NULL) != 0 &&
          WSAGetLastError() != WSA_IO_PENDING)
        return fail("WSARecv", WSAGetLastError());
      if (complete(port, &ov, &bytes) != 0)
        return 1;
      if (bytes == 0)
        return fail("WSARecv (the peer closed early)", 0);
      got += bytes;
    }
    printf("application: sent %u bytes \"%s\", the echo came back (%u "
           "bytes)\n",
           (unsigned)len, messages[i], (unsigned)got);
    if (got != len || memcmp(echo, messages[i], len) != 0)
      return fail("the echo does not match", 0);
  }

  DWORD returned = 0;
  if (WSAIoctl(s, SIO_COUNTING_LSP_GET_STATS, NULL, 0, stats, sizeof *stats,
               &returned, NULL, NULL) != 0)
    return fail("WSAIoctl(SIO_COUNTING_LSP_GET_STATS)", WSAGetLastError());
  closesocket(s);
  CloseHandle(port);
  WSACleanup();
  return 0;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : ".";
  setvbuf(stdout, NULL, _IONBF, 0);
  wpu_world *world = NULL;
  int rc = wpu_world_create(NULL, &world);
  if (rc != 0)
    return fail("wpu_world_create", rc);
  printf("== a fresh world: counting_lsp over uvnet (real loopback "
         "sockets) ==\n");
  if (install() != 0)
    return 1;

  uint16_t peer_port = 0;
  fws2_echo_peer *peer = fws2_echo_peer_start(&peer_port);
  if (peer == NULL)
    return fail("fws2_echo_peer_start", 0);
  printf("== a plain loopback echo peer (libuv, outside the emulation) on "
         "127.0.0.1:%u ==\n",
         peer_port);

  if ((rc = fws2_trace_start(0, 0)) != 0)
    return fail("fws2_trace_start", rc);
  counting_lsp_stats stats;
  size_t sent = 0;
  memset(&stats, 0, sizeof stats);
  if (application(peer_port, &stats, &sent) != 0)
    return 1;
  fws2_trace_stop();
  uint64_t echoed = fws2_echo_peer_stop(peer);

  printf("\n== counting_lsp's counts for the socket (WSAIoctl "
         "SIO_COUNTING_LSP_GET_STATS) ==\n");
  printf("bytes sent %llu in %llu sends, bytes received %llu in %llu "
         "receives; the peer echoed %llu bytes\n",
         (unsigned long long)stats.bytes_sent, (unsigned long long)stats.sends,
         (unsigned long long)stats.bytes_received,
         (unsigned long long)stats.receives, (unsigned long long)echoed);

  printf("\n== the call trace as a sequence diagram ==\n");
  demo_print_sequence(stdout);
  char mmd[1024], puml[1024];
  snprintf(mmd, sizeof mmd, "%s/lsp_demo.mmd", dir);
  snprintf(puml, sizeof puml, "%s/lsp_demo.puml", dir);
  if ((rc = fws2_trace_save(mmd, FWS2_TRACE_MERMAID)) != 0 ||
      (rc = fws2_trace_save(puml, FWS2_TRACE_PLANTUML)) != 0)
    return fail("fws2_trace_save", rc);
  printf("\nwrote the diagram as Mermaid (%s) and PlantUML (%s)\n", mmd, puml);

  size_t leaks = wpu_world_destroy(world);
  printf("world destroyed: %lu handle(s) leaked\n", (unsigned long)leaks);
  if (stats.bytes_sent != sent || stats.bytes_received != sent ||
      stats.sends != N_MESSAGES || echoed != sent || leaks != 0) {
    printf("!! the counts do not match what the application sent (%lu "
           "bytes)\n",
           (unsigned long)sent);
    return 1;
  }
  printf("OK: the counts match the %lu bytes the application sent and "
         "received\n",
         (unsigned long)sent);
  return 0;
}
