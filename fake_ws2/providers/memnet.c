/* memnet.c: memnet's startup and cleanup, the socket table, the socket
 * lifecycle (WSPSocket, WSPCloseSocket), options, ioctls, socket names and
 * the proc table. memnet_internal.h says how the files share the work.
 *
 * memnet is written as Windows provider source: winsock2.h, ws2spi.h,
 * ws2tcpip.h, kernel32 critical sections and events, the upcall table, and
 * libwpu's wpu_ifs_* functions standing in for the kernel's file objects.
 *
 * Not supported (the call fails with the error given, or as said):
 * - WSPDuplicateSocket, WSPJoinLeaf, WSPGetQOSByName, QOS in WSPConnect,
 *   connect/disconnect data: WSAEOPNOTSUPP (disconnect data:
 *   WSAENOPROTOOPT); socket groups (g != 0): WSAEINVAL.
 * - Out-of-band data (MSG_OOB): WSAEOPNOTSUPP; MSG_WAITALL only on blocking,
 *   non-overlapped stream receives (elsewhere WSAEOPNOTSUPP).
 * - Winsock 1.1 blocking hooks: blocking calls never call them;
 *   WSPCancelBlockingCall fails with WSAEINVAL.
 * - Addresses other than 127.0.0.0/8, ::1 and the wildcards
 *   (WSAEADDRNOTAVAIL on bind, WSAENETUNREACH on connect/sendto); dual-stack
 *   (IPv4-mapped) sockets, scope ids (ignored), broadcast and multicast.
 * - SO_RCVBUF/SO_SNDBUF are kept and reported but the stream window is
 *   fixed (64 KiB per direction); SO_RCVBUF bounds a datagram queue.
 *   SO_RCVTIMEO/SO_SNDTIMEO bound each wait of a blocking call, not the
 *   whole call (WSAETIMEDOUT).
 *   SO_LINGER {1, n > 0} closes gracefully at once; SO_EXCLUSIVEADDRUSE
 *   and the other options not listed in getsockopt: WSAENOPROTOOPT.
 * - No ICMP: datagrams to a port nobody has bound are dropped silently.
 * - Extension functions: AcceptEx, ConnectEx, GetAcceptExSockaddrs and
 *   DisconnectEx (memnet_ext.c); TransmitFile, TransmitPackets, WSARecvMsg,
 *   WSASendMsg, WSAPoll and RIO: WSAEINVAL from
 *   SIO_GET_EXTENSION_FUNCTION_POINTER.
 * - WSPCleanup while another thread is inside a memnet call.
 */
#include <stdlib.h>
#include <string.h>

#include "memnet_internal.h"

mn_provider mn;

/* Serialises startup and cleanup (the critical section's own life). */
static volatile LONG mn_guard;

const GUID fws2_memnet_provider_id = {
    0xf24026d6,
    0x5a69,
    0x4f96,
    {0x9b, 0x4f, 0xde, 0x64, 0x2e, 0x43, 0x3e, 0x04}};

const WCHAR fws2_memnet_path[] = L"%SystemRoot%\\system32\\fws2_memnet.dll";

static BOOL started(void) {
  return InterlockedCompareExchange(&mn.startups, 0, 0) > 0;
}

/* ---- The socket table ---- */

mn_socket *mn_find(SOCKET h) {
  mn_socket *s = wsp_table_find(&mn.table, h);
  return s != NULL && s->handle == h && !s->closed ? s : NULL;
}

mn_socket *mn_enter(SOCKET h, LPINT err) {
  if (!started()) {
    *err = WSANOTINITIALISED;
    return NULL;
  }
  EnterCriticalSection(&mn.lock);
  mn_socket *s = mn_find(h);
  if (s == NULL) {
    LeaveCriticalSection(&mn.lock);
    *err = WSAENOTSOCK;
    return NULL;
  }
  s->refs++;
  return s;
}

void mn_leave(mn_socket *s) {
  mn_socket_release(s);
  LeaveCriticalSection(&mn.lock);
}

mn_socket *mn_socket_new(int af, int type, int protocol,
                         const WSAPROTOCOL_INFOW *info) {
  mn_socket *s = calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
  if (wsp_waitq_init(&s->waiters) != 0) {
    free(s);
    return NULL;
  }
  s->handle = INVALID_SOCKET;
  s->refs = 1;
  s->af = af;
  s->type = type;
  s->protocol = protocol;
  s->info = *info;
  s->opt.rcvbuf = MN_DEFAULT_BUF;
  s->opt.sndbuf = MN_DEFAULT_BUF;
  s->state = MN_FRESH;
  return s;
}

int mn_socket_register(mn_socket *s) {
  DWORD slot = wsp_table_add(&mn.table, s);
  if (slot == 0)
    return WSAENOBUFS;
  int e = 0;
  SOCKET h = wsp_handle_create(&mn.up, s->info.dwCatalogEntryId, slot, &e);
  if (h == INVALID_SOCKET) {
    wsp_table_remove(&mn.table, slot);
    return e;
  }
  s->handle = h;
  s->slot = slot;
  s->all_prev = NULL;
  s->all_next = mn.all;
  if (mn.all != NULL)
    mn.all->all_prev = s;
  mn.all = s;
  return 0;
}

void mn_socket_release(mn_socket *s) {
  if (--s->refs > 0)
    return;
  mn_dgram_free_queue(s);
  free(s->ring);
  wsp_waitq_free(&s->waiters);
  free(s);
}

void mn_socket_close(mn_socket *s) {
  if (s->closed)
    return;
  s->closed = TRUE;
  wsp_events_clear(&s->ev); /* no notification after closesocket */
  /* Pending operations end while the handle still reaches its port. */
  wsp_opq_abort(&mn.up, &s->recvq, WSA_OPERATION_ABORTED);
  wsp_opq_abort(&mn.up, &s->sendq, WSA_OPERATION_ABORTED);
  mn_acceptex_abort(s, WSA_OPERATION_ABORTED);
  if (s->type == SOCK_STREAM)
    mn_stream_close(s, s->opt.linger.l_onoff && s->opt.linger.l_linger == 0);
  else
    mn_dgram_free_queue(s);
  int e;
  wpu_ifs_handle_close(s->handle, &e);
  wsp_table_remove(&mn.table, s->slot);
  s->slot = 0;
  if (s->all_prev != NULL)
    s->all_prev->all_next = s->all_next;
  else
    mn.all = s->all_next;
  if (s->all_next != NULL)
    s->all_next->all_prev = s->all_prev;
  s->all_prev = s->all_next = NULL;
  mn_wake(s); /* blocked callers fail with WSAEINTR */
  mn_socket_release(s);
}

/* ---- Startup and cleanup ---- */

static const WSPPROC_TABLE mn_procs;

int WSPAPI fws2_memnet_WSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                                  LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                  WSPUPCALLTABLE UpcallTable,
                                  LPWSPPROC_TABLE lpProcTable) {
  int e = wsp_startup_check(wVersionRequested, lpWSPData, lpProtocolInfo,
                            lpProcTable);
  if (e != 0)
    return e;
  wsp_guard_enter(&mn_guard);
  if (mn.startups == 0) {
    memset(&mn, 0, sizeof mn);
    InitializeCriticalSection(&mn.lock);
    mn.up = UpcallTable;
    mn.next_port = MN_EPHEMERAL_FIRST;
  }
  InterlockedIncrement(&mn.startups);
  wsp_guard_leave(&mn_guard);
  wsp_startup_data(lpWSPData, L"memnet in-memory base provider");
  *lpProcTable = mn_procs;
  return 0;
}

static int WSPAPI mn_WSPCleanup(LPINT err) {
  wsp_guard_enter(&mn_guard);
  if (mn.startups == 0) {
    wsp_guard_leave(&mn_guard);
    *err = WSANOTINITIALISED;
    return SOCKET_ERROR;
  }
  if (InterlockedDecrement(&mn.startups) == 0) {
    EnterCriticalSection(&mn.lock);
    while (mn.all != NULL)
      mn_socket_close(mn.all);
    LeaveCriticalSection(&mn.lock);
    DeleteCriticalSection(&mn.lock);
    wsp_table_free(&mn.table);
  }
  wsp_guard_leave(&mn_guard);
  return 0;
}

/* ---- WSPSocket and WSPCloseSocket ---- */

static SOCKET WSPAPI mn_WSPSocket(int af, int type, int protocol,
                                  LPWSAPROTOCOL_INFOW info, GROUP g,
                                  DWORD flags, LPINT err) {
  if (!started()) {
    *err = WSANOTINITIALISED;
    return INVALID_SOCKET;
  }
  int e = wsp_socket_args(&af, &type, &protocol, info, g, flags);
  if (e != 0) {
    *err = e;
    return INVALID_SOCKET;
  }
  EnterCriticalSection(&mn.lock);
  mn_socket *s = mn_socket_new(af, type, protocol, info);
  e = s == NULL ? WSAENOBUFS : mn_socket_register(s);
  SOCKET h = INVALID_SOCKET;
  if (e == 0)
    h = s->handle;
  else if (s != NULL)
    mn_socket_release(s);
  LeaveCriticalSection(&mn.lock);
  if (e != 0)
    *err = e;
  return h;
}

static int WSPAPI mn_WSPCloseSocket(SOCKET h, LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  mn_socket_close(s);
  mn_leave(s);
  return 0;
}

/* ---- Options ---- */

static int get_sockopt(mn_socket *s, int level, int name, char *optval,
                       LPINT optlen) {
  return wsp_opts_get(&s->opt, &s->info, s->type, s->state == MN_LISTENING,
                      level, name, optval, optlen);
}

static int WSPAPI mn_WSPGetSockOpt(SOCKET h, int level, int name, char *optval,
                                   LPINT optlen, LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = get_sockopt(s, level, name, optval, optlen);
  mn_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

static int set_sockopt(mn_socket *s, int level, int name, const char *optval,
                       int optlen) {
  int v;
  int e = wsp_opts_check(s->type, s->state == MN_LISTENING, level, name, optval,
                         optlen, &v);
  if (e == 0)
    wsp_opts_store(&s->opt, level, name, optval, v);
  return e;
}

static int WSPAPI mn_WSPSetSockOpt(SOCKET h, int level, int name,
                                   const char *optval, int optlen, LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = set_sockopt(s, level, name, optval, optlen);
  mn_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

/* ---- WSPIoctl ---- */

static int do_ioctl(mn_socket *s, DWORD code, LPVOID in, DWORD inlen,
                    LPVOID out, DWORD outlen, DWORD *bytes) {
  wsp_ioctl_sock io = {s->handle, &s->nonblocking, &s->ev,
                       s->type == SOCK_STREAM ? s->ring_len
                                              : mn_dgram_queued_bytes(s),
                       mn_extension};
  return wsp_ioctl(&io, code, in, inlen, out, outlen, bytes);
}

static int WSPAPI mn_WSPIoctl(SOCKET h, DWORD code, LPVOID in, DWORD inlen,
                              LPVOID out, DWORD outlen, LPDWORD returned,
                              LPWSAOVERLAPPED ov,
                              LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                              LPWSATHREADID thread, LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = 0;
  DWORD bytes = 0;
  wsp_notify n;
  if (ov == NULL && returned == NULL)
    e = WSAEFAULT;
  else if (ov != NULL && routine != NULL && thread == NULL)
    e = WSAEFAULT;
  else
    e = do_ioctl(s, code, in, inlen, out, outlen, &bytes);
  if (e == 0 && returned != NULL)
    *returned = bytes;
  /* Completed at once, and notified as Windows does without
   * skip-on-success. */
  if (e == 0 && ov != NULL && mn_notify_begin(&n, h, ov, routine, thread) == 0)
    wsp_notify_complete(&mn.up, &n, 0, bytes, 0);
  mn_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

/* ---- Names ---- */

static int WSPAPI mn_WSPGetSockName(SOCKET h, struct sockaddr *name,
                                    LPINT namelen, LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = !s->bound ? WSAEINVAL : wsp_addr_copy_out(&s->local, name, namelen);
  mn_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

static int WSPAPI mn_WSPGetPeerName(SOCKET h, struct sockaddr *name,
                                    LPINT namelen, LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = s->state != MN_CONNECTED
              ? WSAENOTCONN
              : wsp_addr_copy_out(&s->remote, name, namelen);
  mn_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

/* ---- Not supported ---- */

static int WSPAPI mn_WSPDuplicateSocket(SOCKET h, DWORD pid,
                                        LPWSAPROTOCOL_INFOW info, LPINT err) {
  (void)pid, (void)info;
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  mn_leave(s);
  *err = WSAEOPNOTSUPP;
  return SOCKET_ERROR;
}

static SOCKET WSPAPI mn_WSPJoinLeaf(SOCKET h, const struct sockaddr *name,
                                    int namelen, LPWSABUF caller,
                                    LPWSABUF callee, LPQOS sqos, LPQOS gqos,
                                    DWORD flags, LPINT err) {
  (void)name, (void)namelen, (void)caller, (void)callee, (void)sqos, (void)gqos,
      (void)flags;
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return INVALID_SOCKET;
  mn_leave(s);
  *err = WSAEOPNOTSUPP;
  return INVALID_SOCKET;
}

static BOOL WSPAPI mn_WSPGetQOSByName(SOCKET h, LPWSABUF name, LPQOS qos,
                                      LPINT err) {
  (void)name, (void)qos;
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return FALSE;
  mn_leave(s);
  *err = WSAEOPNOTSUPP;
  return FALSE;
}

static int WSPAPI mn_WSPCancelBlockingCall(LPINT err) {
  *err = WSAEINVAL; /* no Winsock 1.1 blocking call in progress, ever */
  return SOCKET_ERROR;
}

/* ---- The catalog entry and the proc table ---- */

int fws2_memnet_protocol_info(int af, int type, LPWSAPROTOCOL_INFOW info) {
  return wsp_protocol_info(af, type, &fws2_memnet_provider_id, L"memnet", info);
}

static const WSPPROC_TABLE mn_procs = {
    mn_WSPAccept,
    mn_WSPAddressToString,
    mn_WSPAsyncSelect,
    mn_WSPBind,
    mn_WSPCancelBlockingCall,
    mn_WSPCleanup,
    mn_WSPCloseSocket,
    mn_WSPConnect,
    mn_WSPDuplicateSocket,
    mn_WSPEnumNetworkEvents,
    mn_WSPEventSelect,
    mn_WSPGetOverlappedResult,
    mn_WSPGetPeerName,
    mn_WSPGetSockName,
    mn_WSPGetSockOpt,
    mn_WSPGetQOSByName,
    mn_WSPIoctl,
    mn_WSPJoinLeaf,
    mn_WSPListen,
    mn_WSPRecv,
    mn_WSPRecvDisconnect,
    mn_WSPRecvFrom,
    /* mingw-w64 declares the timeout as `const PTIMEVAL`: the cast serves
     * both declarations. */
    (LPWSPSELECT)mn_WSPSelect,
    mn_WSPSend,
    mn_WSPSendDisconnect,
    mn_WSPSendTo,
    mn_WSPSetSockOpt,
    mn_WSPShutdown,
    mn_WSPSocket,
    mn_WSPStringToAddress,
};
