/* uvnet.c: uvnet's startup and cleanup (and its loop thread's life), the
 * socket table, the socket lifecycle (WSPSocket, WSPCloseSocket), socket
 * names and the proc table (options and ioctls: uvnet_options.c).
 * uvnet_internal.h says how the files share the work; uvnet_loop.c drives the
 * kernel sockets.
 *
 * uvnet is written as Windows provider source (winsock2.h, ws2spi.h,
 * kernel32, the upcall table, libwpu's wpu_ifs_* functions and fake_ws2's
 * wsp_common); its sockets are real loopback sockets of the kernel.
 *
 * Where the kernel makes uvnet differ from memnet:
 * - A connection is established by the kernel before anyone accepts it.
 *   SO_CONDITIONAL_ACCEPT is kept and reported but changes nothing: a
 *   condition function runs when WSPAccept takes the connection, and
 *   CF_REJECT then resets it (the caller's connect had succeeded; it sees
 *   WSAECONNRESET), CF_DEFER leaves it queued (WSATRY_AGAIN).
 * - A listening socket's backlog counts connections the kernel completed
 *   and nobody accepted yet; one more is reset at once (the caller sees
 *   WSAECONNRESET, not WSAECONNREFUSED).
 * - Nothing happens synchronously across sockets: bytes and datagrams
 *   arrive when the loop (its thread, or a thread that waits on a
 *   completion port: wpu/iodriver.h) delivers them, so a non-blocking receive
 *   right after the peer's send may still fail with WSAEWOULDBLOCK; a send
 *   after the peer's graceful close succeeds until the kernel sees the
 *   peer's reset. Ports are the kernel's (ephemeral ones from its range).
 * - The wildcard binds the kernel socket to 127.0.0.1 or ::1 (getsockname
 *   still reports the wildcard): a wildcard listener is not reachable
 *   through 127.0.0.2. IPv6 sockets are IPv6-only.
 * - SO_RCVBUF/SO_SNDBUF go to the kernel too; uvnet holds up to that many
 *   bytes plus UN_BUF_SLACK each way before it stops reading or makes
 *   senders wait. SO_RCVBUF bounds a datagram queue.
 *
 * Not supported (the call fails with the error given, or as said):
 * - WSPDuplicateSocket, WSPJoinLeaf, WSPGetQOSByName, QOS in WSPConnect,
 *   connect/disconnect data: WSAEOPNOTSUPP (disconnect data:
 *   WSAENOPROTOOPT); socket groups (g != 0): WSAEINVAL.
 * - Extension functions (AcceptEx, ConnectEx, ...): WSAEINVAL from
 *   SIO_GET_EXTENSION_FUNCTION_POINTER.
 * - Out-of-band data (MSG_OOB): WSAEOPNOTSUPP; MSG_WAITALL only on blocking,
 *   non-overlapped stream receives (elsewhere WSAEOPNOTSUPP).
 * - Winsock 1.1 blocking hooks: blocking calls never call them;
 *   WSPCancelBlockingCall fails with WSAEINVAL.
 * - Addresses other than 127.0.0.0/8, ::1 and the wildcards
 *   (WSAEADDRNOTAVAIL on bind, WSAENETUNREACH on connect/sendto); dual-stack
 *   (IPv4-mapped) sockets, scope ids (ignored), broadcast and multicast.
 * - SO_RCVTIMEO/SO_SNDTIMEO bound each wait of a blocking call, not the
 *   whole call (WSAETIMEDOUT). SO_LINGER {1, n > 0} closes gracefully at
 *   once; SO_EXCLUSIVEADDRUSE and the options not listed in get_sockopt:
 *   WSAENOPROTOOPT. SO_KEEPALIVE's interval is libuv's choice (60 s).
 * - No ICMP reports: datagrams to a port nobody has bound are dropped.
 * - WSPCleanup while another thread is inside a uvnet call.
 */
#include <stdlib.h>
#include <string.h>

#include <wpu/iodriver.h>
#include <wpu/sockets.h>

#include "uvnet_internal.h"

un_provider un;

/* Serialises startup and cleanup (the critical section's own life). */
static volatile LONG un_guard;

const GUID fws2_uvnet_provider_id = {
    0x6b3f1c52,
    0x0d4e,
    0x4a7b,
    {0x8e, 0x21, 0x5c, 0x9a, 0x47, 0x13, 0xd0, 0x6f}};

const WCHAR fws2_uvnet_path[] = L"%SystemRoot%\\system32\\fws2_uvnet.dll";

static BOOL started(void) {
  return InterlockedCompareExchange(&un.startups, 0, 0) > 0;
}

int un_wsa_error(int e) {
  switch (e) {
  case 0:
  case UVL_EOF:
    return 0;
  case UVL_EADDRINUSE:
    return WSAEADDRINUSE;
  case UVL_EADDRNOTAVAIL:
    return WSAEADDRNOTAVAIL;
  case UVL_ECONNREFUSED:
    return WSAECONNREFUSED;
  case UVL_ECONNRESET:
  case UVL_EPIPE:
    return WSAECONNRESET;
  case UVL_ECONNABORTED:
    return WSAECONNABORTED;
  case UVL_ETIMEDOUT:
    return WSAETIMEDOUT;
  case UVL_ENOMEM:
    return WSAENOBUFS;
  case UVL_EMSGSIZE:
    return WSAEMSGSIZE;
  case UVL_ENETUNREACH:
    return WSAENETUNREACH;
  case UVL_ECANCELED:
    return WSAEINTR;
  case UVL_EINVAL:
    return WSAEINVAL;
  case UVL_EMFILE:
    return WSAEMFILE;
  case UVL_EACCES:
    return WSAEACCES;
  case UVL_ENOTCONN:
    return WSAENOTCONN;
  default:
    return WSAENETDOWN;
  }
}

DWORD un_recv_limit(const un_socket *s) {
  return (DWORD)s->opt.rcvbuf + UN_BUF_SLACK;
}

DWORD un_send_limit(const un_socket *s) {
  return (DWORD)s->opt.sndbuf + UN_BUF_SLACK;
}

DWORD un_send_room(const un_socket *s) {
  if (s->wbusy)
    return 0;
  DWORD limit = un_send_limit(s);
  return s->wpending < limit ? limit - s->wpending : 0;
}

/* The loop's callbacks wake a socket's own waiter once they have left the
 * lock (un_cb_leave): woken under it, the waiter would find the lock held,
 * sleep again and need a second wake. The loop holds a reference to the
 * socket, so the event outlives the callback.
 *
 * For the same reason the wake-ups of threads waiting on completion ports
 * are held (wpu_wakes_hold), longer still: from the first callback of a
 * round of the loop until the loop may block again (loop_before_wait), so
 * that the completions of one round (a receive filled, the next one
 * filled, a send done) wake the application's thread once, and it takes
 * them together (bench_uvnet: 64 KiB echo). */
static __thread un_wakes *deferred;
static __thread int loop_holds;

static void loop_before_wait(void *arg) {
  (void)arg;
  if (loop_holds) {
    loop_holds = 0;
    wpu_wakes_release();
  }
}

void un_cb_enter(un_wakes *w) {
  w->n = 0;
  deferred = w;
  if (!loop_holds) {
    loop_holds = 1;
    wpu_wakes_hold();
  }
  EnterCriticalSection(&un.lock);
}

void un_cb_leave(un_wakes *w) {
  deferred = NULL;
  LeaveCriticalSection(&un.lock);
  for (int i = 0; i < w->n; i++)
    SetEvent(w->ev[i]);
}

void un_changed(un_socket *s) {
  un_wakes *w = deferred;
  if (w == NULL || w->n == UN_WAKES_MAX) {
    wsp_waitq_wake(&s->waiters);
  } else {
    HANDLE ev = wsp_waitq_wake_deferred(&s->waiters);
    int i = 0;
    while (i < w->n && w->ev[i] != ev)
      i++;
    if (ev != NULL && i == w->n)
      w->ev[w->n++] = ev;
  }
  un_events_poll(s);
}

/* ---- The socket table ---- */

un_socket *un_find(SOCKET h) {
  un_socket *s = wsp_table_find(&un.table, h);
  return s != NULL && s->handle == h && !s->closed ? s : NULL;
}

un_socket *un_enter(SOCKET h, LPINT err) {
  if (!started()) {
    *err = WSANOTINITIALISED;
    return NULL;
  }
  EnterCriticalSection(&un.lock);
  un_socket *s = un_find(h);
  if (s == NULL) {
    LeaveCriticalSection(&un.lock);
    *err = WSAENOTSOCK;
    return NULL;
  }
  s->refs++;
  return s;
}

void un_leave(un_socket *s) {
  un_socket_release(s);
  LeaveCriticalSection(&un.lock);
}

un_socket *un_socket_new(int af, int type, int protocol,
                         const WSAPROTOCOL_INFOW *info) {
  un_socket *s = calloc(1, sizeof *s);
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
  s->opt.rcvbuf = UN_DEFAULT_BUF;
  s->opt.sndbuf = UN_DEFAULT_BUF;
  s->state = UN_FRESH;
  return s;
}

int un_socket_register(un_socket *s) {
  DWORD slot = wsp_table_add(&un.table, s);
  if (slot == 0)
    return WSAENOBUFS;
  int e = 0;
  SOCKET h = wsp_handle_create(&un.up, s->info.dwCatalogEntryId, slot, &e);
  if (h == INVALID_SOCKET) {
    wsp_table_remove(&un.table, slot);
    return e;
  }
  s->handle = h;
  s->slot = slot;
  s->all_prev = NULL;
  s->all_next = un.all;
  if (un.all != NULL)
    un.all->all_prev = s;
  un.all = s;
  return 0;
}

void un_socket_release(un_socket *s) {
  if (--s->refs > 0)
    return;
  un_stream_free_queue(s);
  un_dgram_free_queue(s);
  wsp_waitq_free(&s->waiters);
  free(s);
}

void un_io_close(un_socket *s, BOOL reset) {
  if (s->io == NULL)
    return;
  if (s->io_busy > 0) { /* after the synchronous request in flight */
    s->io_close = TRUE;
    s->io_reset = s->io_reset || reset;
    return;
  }
  uvl_close(s->io, reset);
  s->io = NULL;
}

uvl_sock *un_io_begin(un_socket *s) {
  uvl_sock *io = s->io_close ? NULL : s->io;
  s->io_busy++;
  LeaveCriticalSection(&un.lock);
  return io;
}

void un_io_end(un_socket *s) {
  EnterCriticalSection(&un.lock);
  if (--s->io_busy == 0 && s->io_close) {
    s->io_close = FALSE;
    un_io_close(s, s->io_reset);
  }
}

/* The loop closed s's kernel socket: its last callback (in both callback
 * tables). */
void un_io_closed(void *ctx) {
  un_socket *s = ctx;
  EnterCriticalSection(&un.lock);
  s->io = NULL;
  s->loop_ref = FALSE;
  un_socket_release(s);
  LeaveCriticalSection(&un.lock);
}

void un_socket_close(un_socket *s) {
  if (s->closed)
    return;
  s->closed = TRUE;
  wsp_events_clear(&s->ev); /* no notification after closesocket */
  /* Pending operations end while the handle still reaches its port. */
  if (s->type == SOCK_STREAM)
    un_stream_unlend(s);
  wsp_opq_abort(&un.up, &s->recvq, WSA_OPERATION_ABORTED);
  wsp_opq_abort(&un.up, &s->sendq, WSA_OPERATION_ABORTED);
  if (s->type == SOCK_STREAM) {
    un_stream_close(s);
  } else {
    un_io_close(s, FALSE);
    un_dgram_free_queue(s);
  }
  int e;
  wpu_ifs_handle_close(s->handle, &e);
  wsp_table_remove(&un.table, s->slot);
  s->slot = 0;
  if (s->all_prev != NULL)
    s->all_prev->all_next = s->all_next;
  else
    un.all = s->all_next;
  if (s->all_next != NULL)
    s->all_next->all_prev = s->all_prev;
  s->all_prev = s->all_next = NULL;
  wsp_waitq_wake(&s->waiters); /* blocked callers fail with WSAEINTR */
  un_socket_release(s);
}

/* ---- Startup and cleanup ---- */

/* The loop as libwpu's I/O driver (wpu/iodriver.h): a thread waiting on a
 * completion port runs the loop's rounds itself (Linux; the Windows build
 * has the kernel's ports, and the loop thread does all). */
static int drive_loop(void *arg, DWORD timeout_ms) {
  return uvl_drive(arg, timeout_ms == INFINITE ? UVL_INFINITE : timeout_ms);
}

static void interrupt_loop(void *arg) {
  uvl_drive_interrupt(arg);
}

static const WSPPROC_TABLE un_procs;

int WSPAPI fws2_uvnet_WSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                                 LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                 WSPUPCALLTABLE UpcallTable,
                                 LPWSPPROC_TABLE lpProcTable) {
  int e = wsp_startup_check(wVersionRequested, lpWSPData, lpProtocolInfo,
                            lpProcTable);
  if (e != 0)
    return e;
  wsp_guard_enter(&un_guard);
  if (un.startups == 0) {
    uvl_loop *loop;
    if (uvl_loop_start(loop_before_wait, NULL, &loop) != 0) {
      wsp_guard_leave(&un_guard);
      return WSASYSNOTREADY;
    }
    memset(&un, 0, sizeof un);
    /* Spinning a little before blocking: the loop thread and the
     * application's take it in turns, each briefly (bench_uvnet: a third
     * of the context switches of blocking at once). */
    InitializeCriticalSectionAndSpinCount(&un.lock, 1000);
    un.up = UpcallTable;
    un.loop = loop;
    const wpu_io_driver driver = {drive_loop, interrupt_loop, loop};
    un.driven = wpu_io_driver_register(&driver) == 0;
  }
  InterlockedIncrement(&un.startups);
  wsp_guard_leave(&un_guard);
  wsp_startup_data(lpWSPData, L"uvnet loopback base provider");
  *lpProcTable = un_procs;
  return 0;
}

static int WSPAPI un_WSPCleanup(LPINT err) {
  wsp_guard_enter(&un_guard);
  if (un.startups == 0) {
    wsp_guard_leave(&un_guard);
    *err = WSANOTINITIALISED;
    return SOCKET_ERROR;
  }
  if (InterlockedDecrement(&un.startups) == 0) {
    EnterCriticalSection(&un.lock);
    while (un.all != NULL)
      un_socket_close(un.all);
    LeaveCriticalSection(&un.lock);
    if (un.driven) /* no waiting thread runs the loop any more */
      wpu_io_driver_unregister(un.loop);
    /* The loop closes what is left; the closed callbacks (on its thread,
     * under the lock) release the last references. */
    uvl_loop_stop(un.loop);
    un.loop = NULL;
    DeleteCriticalSection(&un.lock);
    wsp_table_free(&un.table);
  }
  wsp_guard_leave(&un_guard);
  return 0;
}

/* ---- WSPSocket and WSPCloseSocket ---- */

static SOCKET WSPAPI un_WSPSocket(int af, int type, int protocol,
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
  /* Nobody else knows s yet: the kernel socket is made without the lock
   * (the loop's callbacks take it). */
  un_socket *s = un_socket_new(af, type, protocol, info);
  if (s == NULL) {
    *err = WSAENOBUFS;
    return INVALID_SOCKET;
  }
  int family = af == AF_INET6 ? 6 : 4;
  e = type == SOCK_STREAM
          ? uvl_tcp_new(un.loop, family, &un_stream_callbacks, s, &s->io)
          : uvl_udp_new(un.loop, family, &un_dgram_callbacks, s, &s->io);
  if (e != 0) {
    un_socket_release(s);
    *err = e == UVL_EMFILE ? WSAEMFILE : WSAENOBUFS;
    return INVALID_SOCKET;
  }
  EnterCriticalSection(&un.lock);
  s->refs++; /* the loop's, until closed */
  s->loop_ref = TRUE;
  e = un_socket_register(s);
  SOCKET h = s->handle;
  if (e != 0) {
    s->closed = TRUE;
    un_io_close(s, TRUE);
    un_socket_release(s);
  }
  LeaveCriticalSection(&un.lock);
  if (e != 0) {
    *err = e;
    return INVALID_SOCKET;
  }
  return h;
}

static int WSPAPI un_WSPCloseSocket(SOCKET h, LPINT err) {
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  un_socket_close(s);
  un_leave(s);
  return 0;
}

/* ---- Names ---- */

static int WSPAPI un_WSPGetSockName(SOCKET h, struct sockaddr *name,
                                    LPINT namelen, LPINT err) {
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = !s->bound ? WSAEINVAL : wsp_addr_copy_out(&s->local, name, namelen);
  un_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

static int WSPAPI un_WSPGetPeerName(SOCKET h, struct sockaddr *name,
                                    LPINT namelen, LPINT err) {
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = s->state != UN_CONNECTED
              ? WSAENOTCONN
              : wsp_addr_copy_out(&s->remote, name, namelen);
  un_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

/* ---- Not supported ---- */

static int WSPAPI un_WSPDuplicateSocket(SOCKET h, DWORD pid,
                                        LPWSAPROTOCOL_INFOW info, LPINT err) {
  (void)pid, (void)info;
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  un_leave(s);
  *err = WSAEOPNOTSUPP;
  return SOCKET_ERROR;
}

static SOCKET WSPAPI un_WSPJoinLeaf(SOCKET h, const struct sockaddr *name,
                                    int namelen, LPWSABUF caller,
                                    LPWSABUF callee, LPQOS sqos, LPQOS gqos,
                                    DWORD flags, LPINT err) {
  (void)name, (void)namelen, (void)caller, (void)callee, (void)sqos, (void)gqos,
      (void)flags;
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return INVALID_SOCKET;
  un_leave(s);
  *err = WSAEOPNOTSUPP;
  return INVALID_SOCKET;
}

static BOOL WSPAPI un_WSPGetQOSByName(SOCKET h, LPWSABUF name, LPQOS qos,
                                      LPINT err) {
  (void)name, (void)qos;
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return FALSE;
  un_leave(s);
  *err = WSAEOPNOTSUPP;
  return FALSE;
}

static int WSPAPI un_WSPCancelBlockingCall(LPINT err) {
  *err = WSAEINVAL; /* no Winsock 1.1 blocking call in progress, ever */
  return SOCKET_ERROR;
}

/* ---- The catalog entry and the proc table ---- */

int fws2_uvnet_protocol_info(int af, int type, LPWSAPROTOCOL_INFOW info) {
  return wsp_protocol_info(af, type, &fws2_uvnet_provider_id, L"uvnet", info);
}

static const WSPPROC_TABLE un_procs = {
    un_WSPAccept,
    un_WSPAddressToString,
    un_WSPAsyncSelect,
    un_WSPBind,
    un_WSPCancelBlockingCall,
    un_WSPCleanup,
    un_WSPCloseSocket,
    un_WSPConnect,
    un_WSPDuplicateSocket,
    un_WSPEnumNetworkEvents,
    un_WSPEventSelect,
    un_WSPGetOverlappedResult,
    un_WSPGetPeerName,
    un_WSPGetSockName,
    un_WSPGetSockOpt,
    un_WSPGetQOSByName,
    un_WSPIoctl,
    un_WSPJoinLeaf,
    un_WSPListen,
    un_WSPRecv,
    un_WSPRecvDisconnect,
    un_WSPRecvFrom,
    /* mingw-w64 declares the timeout as `const PTIMEVAL`: the cast serves
     * both declarations. */
    (LPWSPSELECT)un_WSPSelect,
    un_WSPSend,
    un_WSPSendDisconnect,
    un_WSPSendTo,
    un_WSPSetSockOpt,
    un_WSPShutdown,
    un_WSPSocket,
    un_WSPStringToAddress,
};
