/* startup.c: WSAStartup/WSACleanup, the front's per-world state, and the
 * default world a program that calls only Windows APIs gets.
 *
 * The first WSAStartup without a world makes one (libwpu's implicit world)
 * and, when its catalog is empty, installs the standard base entries (TCP
 * and UDP over IPv4 and IPv6) of memnet, fake_ws2's in-memory base
 * provider, or, with FWS2_BASE=uvnet in the environment, of uvnet (real
 * loopback sockets). Version negotiation follows Microsoft's page: 1.0
 * to 2.2 are supported, a higher request gets 2.2, a lower one
 * WSAVERNOTSUPPORTED. The last WSACleanup cleans up every started provider
 * (WSPCleanup). */
#include <string.h>

#include <fws2/front.h>
#include <fws2/memnet.h>
#include <fws2/uvnet.h>
#include <stdlib.h>
#include <wpu/catalog.h>
#include <wpu/modules.h>
#include <wpu/providers.h>
#include <wpu/sockets.h>
#include <wpu/world.h>

#include "front.h"

typedef struct front_state {
  volatile LONG startups;
  WORD version;
} front_state;

static const char state_key = 0; /* its address names the attachment */

static void free_state(void *value) {
  HeapFree(GetProcessHeap(), 0, value);
}

static front_state *state(wpu_world *w, int create) {
  front_state *s = wpu_world_attachment(w, &state_key);
  if (s != NULL || !create)
    return s;
  s = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *s);
  if (s == NULL)
    return NULL;
  if (wpu_world_attach(w, &state_key, s, free_state) != 0) {
    HeapFree(GetProcessHeap(), 0, s);
    return wpu_world_attachment(w, &state_key);
  }
  return s;
}

int fws2__front_started(void) {
  wpu_world *w = wpu_world_current();
  front_state *s = w == NULL ? NULL : state(w, 0);
  if (s == NULL || s->startups <= 0) {
    WSASetLastError(WSANOTINITIALISED);
    return 0;
  }
  return 1;
}

wpu_provider *fws2__provider(SOCKET s) {
  if (!fws2__front_started())
    return NULL;
  DWORD catalog_id = 0;
  if (wpu_socket_query(s, &catalog_id) == WPU_SOCKET_NONE || catalog_id == 0) {
    WSASetLastError(WSAENOTSOCK);
    return NULL;
  }
  wpu_provider *p;
  int rc = wpu_provider_acquire(catalog_id, &p);
  if (rc != 0) {
    WSASetLastError(rc);
    return NULL;
  }
  return p;
}

int fws2_install_default_base(void) {
  LPWSPSTARTUP startup = fws2_memnet_WSPStartup;
  const GUID *id = &fws2_memnet_provider_id;
  const WCHAR *path = fws2_memnet_path;
  /* FWS2_BASE=uvnet: real loopback sockets instead of memory. */
  const char *base = getenv("FWS2_BASE");
  if (base != NULL && strcmp(base, "uvnet") == 0) {
    startup = fws2_uvnet_WSPStartup;
    id = &fws2_uvnet_provider_id;
    path = fws2_uvnet_path;
  }
  const wpu_export exports[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))startup}};
  DWORD rc = wpu_module_register(path, exports, 1, NULL);
  if (rc != 0 && rc != ERROR_BUSY) /* busy: registered and loaded already */
    return WSASYSNOTREADY;
  return wpu_catalog_install_standard(id, path, NULL);
}

static int startup(WORD wVersionRequested, LPWSADATA lpWSAData);

int WSAAPI WSAStartup(WORD wVersionRequested, LPWSADATA lpWSAData) {
  FWS2_CALL(0);
  int rc = startup(wVersionRequested, lpWSAData);
  if (rc != 0)
    WSASetLastError(rc); /* for the report; WSAStartup returns it */
  fws2__called(&fh_, rc, rc != 0);
  return rc;
}

static int startup(WORD wVersionRequested, LPWSADATA lpWSAData) {
  BYTE major = LOBYTE(wVersionRequested), minor = HIBYTE(wVersionRequested);
  if (lpWSAData == NULL)
    return WSAEFAULT;
  if (major < 1)
    return WSAVERNOTSUPPORTED;
  WORD version = (major > 2 || (major == 2 && minor > 2)) ? MAKEWORD(2, 2)
                                                          : wVersionRequested;
  memset(lpWSAData, 0, sizeof *lpWSAData);
  lpWSAData->wVersion = version;
  lpWSAData->wHighVersion = MAKEWORD(2, 2);
  strcpy(lpWSAData->szDescription, "WinSock 2.0");
  strcpy(lpWSAData->szSystemStatus, "Running");
  if (major == 1) {
    lpWSAData->iMaxSockets = 32767;
    lpWSAData->iMaxUdpDg = 65467;
  }
  wpu_world *w = wpu_world_default();
  if (w == NULL)
    return WSASYSNOTREADY;
  front_state *s = state(w, 1);
  if (s == NULL)
    return WSA_NOT_ENOUGH_MEMORY;
  /* Two first WSAStartup calls may race: the loser's install finds the
   * provider installed, which is what it wanted. */
  if (wpu_catalog_count() == 0 && fws2_install_default_base() != 0 &&
      wpu_catalog_count() == 0)
    return WSASYSNOTREADY;
  s->version = version;
  InterlockedIncrement(&s->startups);
  return 0;
}

static int cleanup(void);

int WSAAPI WSACleanup(void) {
  FWS2_CALL(0);
  int rc = cleanup();
  fws2__called(&fh_, rc, rc == SOCKET_ERROR);
  return rc;
}

static int cleanup(void) {
  wpu_world *w = wpu_world_current();
  front_state *s = w == NULL ? NULL : state(w, 0);
  if (s == NULL || s->startups <= 0) {
    WSASetLastError(WSANOTINITIALISED);
    return SOCKET_ERROR;
  }
  if (InterlockedDecrement(&s->startups) == 0)
    wpu_providers_cleanup();
  return 0;
}
