/* provider.c: a minimal Winsock 2 provider that keeps a record per socket in
 * the context of a WPUCreateSocketHandle handle.
 *
 * It is written as Windows provider source: it builds unchanged with libwpu on
 * Linux and with mingw-w64 for Windows. WSPStartup keeps the upcall table it
 * is given; WSPSocket makes a handle whose context is the socket's record;
 * every later call finds the record again with WPUQuerySocketHandleContext;
 * WSPCloseSocket frees it and hands the handle back with
 * WPUCloseSocketHandle. The other entry points fail with WSAEOPNOTSUPP. */
#include <winsock2.h>
#include <ws2spi.h>

#include <stdio.h>
#include <stdlib.h>

#include "provider.h"

typedef struct sock_rec {
  int af, type, protocol;
} sock_rec;

static WSPUPCALLTABLE upcalls;
static DWORD catalog_id;
static LONG startups;

/* Finds the record of one of our sockets (the lookup on every SPI call). */
static sock_rec *find(SOCKET s, LPINT lpErrno) {
  DWORD_PTR ctx = 0;
  if (upcalls.lpWPUQuerySocketHandleContext(s, &ctx, lpErrno) != 0)
    return NULL;
  return (sock_rec *)ctx;
}

static SOCKET WSPAPI hp_socket(int af, int type, int protocol,
                               LPWSAPROTOCOL_INFOW info, GROUP g, DWORD flags,
                               LPINT lpErrno) {
  (void)g;
  (void)flags;
  if (info != NULL) {
    af = af ? af : info->iAddressFamily;
    type = type ? type : info->iSocketType;
    protocol = protocol ? protocol : info->iProtocol;
  }
  sock_rec *rec = malloc(sizeof *rec);
  if (rec == NULL) {
    *lpErrno = WSAENOBUFS;
    return INVALID_SOCKET;
  }
  rec->af = af;
  rec->type = type;
  rec->protocol = protocol;
  SOCKET s =
      upcalls.lpWPUCreateSocketHandle(catalog_id, (DWORD_PTR)rec, lpErrno);
  if (s == INVALID_SOCKET)
    free(rec);
  printf("  [provider] WSPSocket(af %d, type %d, protocol %d): "
         "WPUCreateSocketHandle(%lu, record %p) = 0x%llx\n",
         af, type, protocol, (unsigned long)catalog_id, (void *)rec,
         (unsigned long long)s);
  return s;
}

static int WSPAPI hp_closesocket(SOCKET s, LPINT lpErrno) {
  sock_rec *rec = find(s, lpErrno);
  if (rec == NULL)
    return SOCKET_ERROR;
  if (upcalls.lpWPUCloseSocketHandle(s, lpErrno) != 0)
    return SOCKET_ERROR;
  printf("  [provider] WSPCloseSocket(0x%llx): record %p freed, "
         "WPUCloseSocketHandle done\n",
         (unsigned long long)s, (void *)rec);
  free(rec);
  return 0;
}

static int WSPAPI hp_getsockopt(SOCKET s, int level, int optname, char *optval,
                                LPINT optlen, LPINT lpErrno) {
  sock_rec *rec = find(s, lpErrno);
  if (rec == NULL)
    return SOCKET_ERROR;
  if (optval == NULL || optlen == NULL || *optlen < (int)sizeof(int)) {
    *lpErrno = WSAEFAULT;
    return SOCKET_ERROR;
  }
  if (level != SOL_SOCKET || optname != SO_TYPE) {
    *lpErrno = WSAENOPROTOOPT;
    return SOCKET_ERROR;
  }
  *(int *)optval = rec->type;
  *optlen = sizeof(int);
  return 0;
}

static int WSPAPI hp_cleanup(LPINT lpErrno) {
  if (startups == 0) {
    *lpErrno = WSANOTINITIALISED;
    return SOCKET_ERROR;
  }
  startups--;
  return 0;
}

/* Everything else: not offered by this provider. */
#define UNSUPPORTED(ret) return (*lpErrno = WSAEOPNOTSUPP, (ret))

static SOCKET WSPAPI hp_accept(SOCKET s, struct sockaddr *a, LPINT l,
                               LPCONDITIONPROC c, DWORD_PTR d, LPINT lpErrno) {
  (void)s, (void)a, (void)l, (void)c, (void)d;
  UNSUPPORTED(INVALID_SOCKET);
}
static INT WSPAPI hp_addresstostring(LPSOCKADDR a, DWORD l,
                                     LPWSAPROTOCOL_INFOW i, LPWSTR s,
                                     LPDWORD sl, LPINT lpErrno) {
  (void)a, (void)l, (void)i, (void)s, (void)sl;
  UNSUPPORTED(SOCKET_ERROR);
}
static int WSPAPI hp_asyncselect(SOCKET s, HWND h, unsigned int m, LONG e,
                                 LPINT lpErrno) {
  (void)s, (void)h, (void)m, (void)e;
  UNSUPPORTED(SOCKET_ERROR);
}
static int WSPAPI hp_bind(SOCKET s, const struct sockaddr *n, int l,
                          LPINT lpErrno) {
  (void)s, (void)n, (void)l;
  UNSUPPORTED(SOCKET_ERROR);
}
static int WSPAPI hp_cancelblockingcall(LPINT lpErrno) {
  UNSUPPORTED(SOCKET_ERROR);
}
static int WSPAPI hp_connect(SOCKET s, const struct sockaddr *n, int l,
                             LPWSABUF cd, LPWSABUF ce, LPQOS sq, LPQOS gq,
                             LPINT lpErrno) {
  (void)s, (void)n, (void)l, (void)cd, (void)ce, (void)sq, (void)gq;
  UNSUPPORTED(SOCKET_ERROR);
}
static int WSPAPI hp_duplicatesocket(SOCKET s, DWORD p, LPWSAPROTOCOL_INFOW i,
                                     LPINT lpErrno) {
  (void)s, (void)p, (void)i;
  UNSUPPORTED(SOCKET_ERROR);
}
static int WSPAPI hp_enumnetworkevents(SOCKET s, WSAEVENT e,
                                       LPWSANETWORKEVENTS n, LPINT lpErrno) {
  (void)s, (void)e, (void)n;
  UNSUPPORTED(SOCKET_ERROR);
}
static int WSPAPI hp_eventselect(SOCKET s, WSAEVENT e, LONG n, LPINT lpErrno) {
  (void)s, (void)e, (void)n;
  UNSUPPORTED(SOCKET_ERROR);
}
static BOOL WSPAPI hp_getoverlappedresult(SOCKET s, LPWSAOVERLAPPED o,
                                          LPDWORD t, BOOL w, LPDWORD f,
                                          LPINT lpErrno) {
  (void)s, (void)o, (void)t, (void)w, (void)f;
  UNSUPPORTED(FALSE);
}
static int WSPAPI hp_getpeername(SOCKET s, struct sockaddr *n, LPINT l,
                                 LPINT lpErrno) {
  (void)s, (void)n, (void)l;
  UNSUPPORTED(SOCKET_ERROR);
}
static int WSPAPI hp_getsockname(SOCKET s, struct sockaddr *n, LPINT l,
                                 LPINT lpErrno) {
  (void)s, (void)n, (void)l;
  UNSUPPORTED(SOCKET_ERROR);
}
static BOOL WSPAPI hp_getqosbyname(SOCKET s, LPWSABUF n, LPQOS q,
                                   LPINT lpErrno) {
  (void)s, (void)n, (void)q;
  UNSUPPORTED(FALSE);
}
static int WSPAPI hp_ioctl(SOCKET s, DWORD c, LPVOID ib, DWORD il, LPVOID ob,
                           DWORD ol, LPDWORD r, LPWSAOVERLAPPED o,
                           LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                           LPWSATHREADID t, LPINT lpErrno) {
  (void)s, (void)c, (void)ib, (void)il, (void)ob, (void)ol, (void)r, (void)o,
      (void)cr, (void)t;
  UNSUPPORTED(SOCKET_ERROR);
}
static SOCKET WSPAPI hp_joinleaf(SOCKET s, const struct sockaddr *n, int l,
                                 LPWSABUF cd, LPWSABUF ce, LPQOS sq, LPQOS gq,
                                 DWORD f, LPINT lpErrno) {
  (void)s, (void)n, (void)l, (void)cd, (void)ce, (void)sq, (void)gq, (void)f;
  UNSUPPORTED(INVALID_SOCKET);
}
static int WSPAPI hp_listen(SOCKET s, int b, LPINT lpErrno) {
  (void)s, (void)b;
  UNSUPPORTED(SOCKET_ERROR);
}
static int WSPAPI hp_recv(SOCKET s, LPWSABUF b, DWORD n, LPDWORD r, LPDWORD f,
                          LPWSAOVERLAPPED o,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE c, LPWSATHREADID t,
                          LPINT lpErrno) {
  (void)s, (void)b, (void)n, (void)r, (void)f, (void)o, (void)c, (void)t;
  UNSUPPORTED(SOCKET_ERROR);
}
static int WSPAPI hp_recvdisconnect(SOCKET s, LPWSABUF d, LPINT lpErrno) {
  (void)s, (void)d;
  UNSUPPORTED(SOCKET_ERROR);
}
static int WSPAPI hp_recvfrom(SOCKET s, LPWSABUF b, DWORD n, LPDWORD r,
                              LPDWORD f, struct sockaddr *fr, LPINT fl,
                              LPWSAOVERLAPPED o,
                              LPWSAOVERLAPPED_COMPLETION_ROUTINE c,
                              LPWSATHREADID t, LPINT lpErrno) {
  (void)s, (void)b, (void)n, (void)r, (void)f, (void)fr, (void)fl, (void)o,
      (void)c, (void)t;
  UNSUPPORTED(SOCKET_ERROR);
}
static int WSPAPI hp_select(int n, fd_set *r, fd_set *w, fd_set *e,
                            const struct timeval *t, LPINT lpErrno) {
  (void)n, (void)r, (void)w, (void)e, (void)t;
  UNSUPPORTED(SOCKET_ERROR);
}
static int WSPAPI hp_send(SOCKET s, LPWSABUF b, DWORD n, LPDWORD sent, DWORD f,
                          LPWSAOVERLAPPED o,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE c, LPWSATHREADID t,
                          LPINT lpErrno) {
  (void)s, (void)b, (void)n, (void)sent, (void)f, (void)o, (void)c, (void)t;
  UNSUPPORTED(SOCKET_ERROR);
}
static int WSPAPI hp_senddisconnect(SOCKET s, LPWSABUF d, LPINT lpErrno) {
  (void)s, (void)d;
  UNSUPPORTED(SOCKET_ERROR);
}
static int WSPAPI hp_sendto(SOCKET s, LPWSABUF b, DWORD n, LPDWORD sent,
                            DWORD f, const struct sockaddr *to, int tl,
                            LPWSAOVERLAPPED o,
                            LPWSAOVERLAPPED_COMPLETION_ROUTINE c,
                            LPWSATHREADID t, LPINT lpErrno) {
  (void)s, (void)b, (void)n, (void)sent, (void)f, (void)to, (void)tl, (void)o,
      (void)c, (void)t;
  UNSUPPORTED(SOCKET_ERROR);
}
static int WSPAPI hp_setsockopt(SOCKET s, int l, int o, const char *v, int vl,
                                LPINT lpErrno) {
  (void)s, (void)l, (void)o, (void)v, (void)vl;
  UNSUPPORTED(SOCKET_ERROR);
}
static int WSPAPI hp_shutdown(SOCKET s, int h, LPINT lpErrno) {
  (void)s, (void)h;
  UNSUPPORTED(SOCKET_ERROR);
}
static INT WSPAPI hp_stringtoaddress(LPWSTR s, INT af, LPWSAPROTOCOL_INFOW i,
                                     LPSOCKADDR a, LPINT l, LPINT lpErrno) {
  (void)s, (void)af, (void)i, (void)a, (void)l;
  UNSUPPORTED(SOCKET_ERROR);
}

static const WSPPROC_TABLE procs = {
    hp_accept,
    hp_addresstostring,
    hp_asyncselect,
    hp_bind,
    hp_cancelblockingcall,
    hp_cleanup,
    hp_closesocket,
    hp_connect,
    hp_duplicatesocket,
    hp_enumnetworkevents,
    hp_eventselect,
    hp_getoverlappedresult,
    hp_getpeername,
    hp_getsockname,
    hp_getsockopt,
    hp_getqosbyname,
    hp_ioctl,
    hp_joinleaf,
    hp_listen,
    hp_recv,
    hp_recvdisconnect,
    /* mingw-w64 declares WSPSelect's timeout as `const PTIMEVAL` (a const
     * pointer), the SDK as a pointer to const; the cast serves both. */
    hp_recvfrom,
    (LPWSPSELECT)hp_select,
    hp_send,
    hp_senddisconnect,
    hp_sendto,
    hp_setsockopt,
    hp_shutdown,
    hp_socket,
    hp_stringtoaddress,
};

int WSPAPI HelloWSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                           LPWSAPROTOCOL_INFOW lpProtocolInfo,
                           WSPUPCALLTABLE UpcallTable,
                           LPWSPPROC_TABLE lpProcTable) {
  if (LOBYTE(wVersionRequested) < 2)
    return WSAVERNOTSUPPORTED;
  if (lpWSPData == NULL || lpProtocolInfo == NULL || lpProcTable == NULL)
    return WSAEFAULT;
  upcalls = UpcallTable;
  catalog_id = lpProtocolInfo->dwCatalogEntryId;
  startups++;
  lpWSPData->wVersion = MAKEWORD(2, 2);
  lpWSPData->wHighVersion = MAKEWORD(2, 2);
  static const char desc[] = "hello provider 1.0";
  for (size_t i = 0; i < sizeof desc; i++)
    lpWSPData->szDescription[i] = (WCHAR)desc[i];
  *lpProcTable = procs;
  return 0;
}
