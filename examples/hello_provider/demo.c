/* demo.c: plays ws2_32's part for the hello provider and prints what
 * happened: a world, WSPStartup with the emulated upcall table, sockets made,
 * used and closed through the provider's proc table, cleanup, leak check. */
#include <winsock2.h>
#include <ws2spi.h>

#include <stdio.h>
#include <string.h>

#include <wpu/wpu.h>

#include "provider.h"

#define CATALOG_ID 1001

static void narrow(const WCHAR *w, char *out, size_t n) {
  size_t i = 0;
  for (; w[i] && i + 1 < n; i++)
    out[i] = (char)w[i];
  out[i] = 0;
}

int main(void) {
  wpu_world *world = NULL;
  int rc = wpu_world_create(NULL, &world);
  printf("[ws2_32] wpu_world_create -> %d\n", rc);
  if (rc != 0)
    return 1;

  WSAPROTOCOL_INFOW info;
  memset(&info, 0, sizeof info);
  info.dwCatalogEntryId = CATALOG_ID;
  info.iAddressFamily = AF_INET;
  info.iSocketType = SOCK_STREAM;
  info.iProtocol = IPPROTO_TCP;
  info.ProtocolChain.ChainLen = BASE_PROTOCOL;

  WSPDATA data;
  WSPPROC_TABLE procs;
  memset(&procs, 0, sizeof procs);
  rc =
      HelloWSPStartup(MAKEWORD(2, 2), &data, &info, wpu_upcall_table(), &procs);
  char desc[64];
  narrow(data.szDescription, desc, sizeof desc);
  printf("[ws2_32] WSPStartup(2.2, catalog entry %d) -> %d, \"%s\"\n",
         CATALOG_ID, rc, desc);
  void *entries[30];
  memcpy(entries, &procs, sizeof entries);
  int null_entries = 0;
  for (int i = 0; i < 30; i++)
    null_entries += entries[i] == NULL;
  printf("[ws2_32] proc table: %d of 30 entries set\n", 30 - null_entries);
  if (rc != 0 || null_entries != 0)
    return 1;

  int err = 0;
  SOCKET s[3];
  for (int i = 0; i < 3; i++) {
    s[i] = procs.lpWSPSocket(AF_INET, i == 2 ? SOCK_DGRAM : SOCK_STREAM, 0,
                             &info, 0, WSA_FLAG_OVERLAPPED, &err);
    DWORD cat = 0;
    wpu_socket_kind kind = wpu_socket_query(s[i], &cat);
    printf("[ws2_32] socket 0x%llx: %s, dispatches to catalog entry %lu\n",
           (unsigned long long)s[i],
           kind == WPU_SOCKET_CREATED ? "WPUCreateSocketHandle handle" : "?",
           (unsigned long)cat);
  }
  for (int i = 0; i < 3; i++) {
    int type = 0, len = sizeof type;
    rc = procs.lpWSPGetSockOpt(s[i], SOL_SOCKET, SO_TYPE, (char *)&type, &len,
                               &err);
    printf("[ws2_32] WSPGetSockOpt(0x%llx, SO_TYPE) -> %d, type %d "
           "(context found by WPUQuerySocketHandleContext)\n",
           (unsigned long long)s[i], rc, type);
  }
  printf("[ws2_32] live handles: %lu\n",
         (unsigned long)wpu_world_handle_count(world));
  rc = procs.lpWSPCloseSocket(s[1], &err);
  printf("[ws2_32] WSPCloseSocket(0x%llx) -> %d\n", (unsigned long long)s[1],
         rc);
  int type = 0, len = sizeof type;
  rc = procs.lpWSPGetSockOpt(s[1], SOL_SOCKET, SO_TYPE, (char *)&type, &len,
                             &err);
  printf("[ws2_32] WSPGetSockOpt on the closed handle -> %d, error %d "
         "(WSAENOTSOCK is %d)\n",
         rc, err, WSAENOTSOCK);
  rc = procs.lpWSPCloseSocket(s[1], &err);
  printf("[ws2_32] WSPCloseSocket again -> %d, error %d\n", rc, err);
  procs.lpWSPCloseSocket(s[0], &err);
  procs.lpWSPCloseSocket(s[2], &err);
  rc = procs.lpWSPCleanup(&err);
  printf("[ws2_32] WSPCleanup -> %d\n", rc);
  size_t leaks = wpu_world_destroy(world);
  printf("[ws2_32] wpu_world_destroy: %lu handle(s) leaked\n",
         (unsigned long)leaks);
  printf("demo: %s\n", leaks == 0 ? "OK" : "LEAKS");
  return leaks == 0 ? 0 : 1;
}
