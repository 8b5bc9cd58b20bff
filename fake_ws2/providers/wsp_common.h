/* wsp_common.h: the mechanism fake_ws2's base providers share (internal).
 *
 * What every base provider of fake_ws2 does the same way, whatever carries
 * its bytes: the table from IFS handles to socket records, overlapped
 * requests and their three notifications, queues of pending operations and
 * WSABUF arrays, the threads blocked on a socket (blocking calls and
 * select), network-event bookkeeping with the documented re-enabling rules
 * and WSPAsyncSelect's messages, WSPSelect and WSPGetOverlappedResult.
 * memnet and uvnet are built on it.
 *
 * It is Windows provider source (winsock2.h, ws2spi.h, kernel32 events, the
 * upcall table, libwpu's wpu_ifs_* functions). Nothing here takes a lock
 * (but wsp_guard_enter, the startup guard): each function runs under the
 * provider's own lock, which the caller holds, except where a function says
 * it releases it while waiting.
 *
 * Not supported: skip-on-success completion modes (every completion
 * notifies, as Windows does by default); a completion routine without a
 * WSATHREADID (WSAEFAULT); FD_OOB, FD_QOS, FD_GROUP_QOS,
 * FD_ROUTING_INTERFACE_CHANGE and FD_ADDRESS_LIST_CHANGE are accepted in a
 * mask and never recorded.
 */
#ifndef FWS2_WSP_COMMON_H
#define FWS2_WSP_COMMON_H

#include <winsock2.h>
#include <ws2spi.h>
#include <ws2tcpip.h>

#ifndef FD_ALL_EVENTS
#define FD_ALL_EVENTS ((1 << FD_MAX_EVENTS) - 1)
#endif

/* An NTSTATUS carrying a Win32 error (FACILITY_NTWIN32), for Internal. */
#define WSP_STATUS(e) ((e) == 0 ? 0 : (0xC0070000u | ((e)&0xffffu)))

/* ---- The socket table ---- */

/* Socket records by slot number; a handle's IFS context is its slot (slot 0
 * is never used, so a foreign context of 0 never matches). */
typedef struct wsp_table {
  void **slots;
  DWORD nslots;
  DWORD *free_slots;
  DWORD nfree;
} wsp_table;

/* Gives rec a slot: its number, or 0 when out of memory. */
DWORD wsp_table_add(wsp_table *t, void *rec);
/* Frees slot i. */
void wsp_table_remove(wsp_table *t, DWORD i);
/* The record behind IFS handle h, or NULL when h is not an IFS handle, or
 * its context is not one of t's slots. The caller checks that the record's
 * own handle is h (another provider's IFS handle may carry any context). */
void *wsp_table_find(const wsp_table *t, SOCKET h);
/* Releases the table's memory. */
void wsp_table_free(wsp_table *t);

/* Makes an IFS handle for slot and registers it with WPUModifyIFSHandle
 * under catalog_id, as MSAFD does. The handle, or INVALID_SOCKET with the
 * error in *err. */
SOCKET wsp_handle_create(const WSPUPCALLTABLE *up, DWORD catalog_id, DWORD slot,
                         int *err);

/* WSPSocket's arguments: takes af, type and protocol from info where they
 * say FROM_PROTOCOL_INFO (af and type also when 0; protocol 0 means the
 * type's), and checks them: 0, or WSAEINVAL (no info, a socket group, a
 * multipoint flag), WSAEAFNOSUPPORT (not AF_INET or AF_INET6),
 * WSAESOCKTNOSUPPORT (not SOCK_STREAM or SOCK_DGRAM) or WSAEPROTONOSUPPORT
 * (not TCP for a stream, UDP for a datagram socket). */
int wsp_socket_args(int *af, int *type, int *protocol,
                    const WSAPROTOCOL_INFOW *info, GROUP g, DWORD flags);

/* ---- Startup and the catalog entry ---- */

/* Copies src into dst (cap characters, terminator included), cut short
 * where it does not fit. */
void wsp_copy_wide(WCHAR *dst, size_t cap, const WCHAR *src);
/* WSPStartup's argument checks: 0, WSAVERNOTSUPPORTED (below 2.0) or
 * WSAEFAULT (data, info or procs NULL). */
int wsp_startup_check(WORD version, LPWSPDATA data, LPWSAPROTOCOL_INFOW info,
                      LPWSPPROC_TABLE procs);
/* Fills WSPStartup's data: version 2.2 and the description. */
void wsp_startup_data(LPWSPDATA data, const WCHAR *description);
/* A spin lock for what a critical section cannot guard: its own
 * initialisation and deletion (startup and cleanup). */
void wsp_guard_enter(volatile LONG *guard);
void wsp_guard_leave(volatile LONG *guard);
/* The catalog entry of a base provider's TCP or UDP socket over IPv4 or
 * IPv6: IFS handles, provider, szProtocol "<name> TCP/IPv4" and so on.
 * 0, or WSAEINVAL (another family or type, or info NULL). */
int wsp_protocol_info(int af, int type, const GUID *provider, const WCHAR *name,
                      LPWSAPROTOCOL_INFOW info);

/* ---- Addresses (wsp_addr.c) ---- */

typedef union wsp_addr {
  struct sockaddr sa;
  struct sockaddr_in in4;
  struct sockaddr_in6 in6;
} wsp_addr;

/* The sockaddr size of family af (AF_INET6, else AF_INET). */
int wsp_addr_len(int af);
/* Checks name/namelen for a socket of family af and copies it to out
 * (IPv6 flow info and scope id cleared: scope ids are ignored): 0,
 * WSAEFAULT or WSAEAFNOSUPPORT. */
int wsp_addr_parse(int af, const struct sockaddr *name, int namelen,
                   wsp_addr *out);
/* a's IP address bytes (network order) and their number, 4 or 16. */
const BYTE *wsp_addr_ip(const wsp_addr *a, int *len);
BOOL wsp_addr_is_any(const wsp_addr *a);
/* 127.0.0.0/8 or ::1. */
BOOL wsp_addr_is_loopback(const wsp_addr *a);
USHORT wsp_addr_port(const wsp_addr *a); /* host order */
void wsp_addr_set_port(wsp_addr *a, USHORT port);
BOOL wsp_addr_same_ip(const wsp_addr *a, const wsp_addr *b);
BOOL wsp_addr_equal(const wsp_addr *a, const wsp_addr *b);
/* 127.0.0.1 or ::1 with port. */
void wsp_addr_loopback(int af, USHORT port, wsp_addr *out);
/* Copies a to name/namelen: 0 or WSAEFAULT. */
int wsp_addr_copy_out(const wsp_addr *a, struct sockaddr *name, LPINT namelen);

/* ---- Socket options (wsp_options.c) ---- */

/* Largest datagram (IPv4 UDP's limit, used for both families). */
#define WSP_DGRAM_MAX 65507u

/* The options a socket keeps and reports as set. */
typedef struct wsp_opts {
  BOOL reuseaddr, keepalive, broadcast, oobinline, nodelay, debug, dontroute;
  BOOL conditional; /* SO_CONDITIONAL_ACCEPT */
  LINGER linger;
  int rcvbuf, sndbuf;
  DWORD rcvtimeo, sndtimeo; /* ms, 0: none */
  int so_error;             /* SO_ERROR (reading it clears it) */
} wsp_opts;

/* WSPGetSockOpt for a socket of type (listening: SO_ACCEPTCONN) whose
 * catalog entry is info: 0, WSAEFAULT (optval/optlen missing or too
 * short), WSAEINVAL (a level other than SOL_SOCKET and IPPROTO_TCP) or
 * WSAENOPROTOOPT (an option not listed in wsp_options.c, or not for this
 * type). */
int wsp_opts_get(wsp_opts *o, const WSAPROTOCOL_INFOW *info, int type,
                 BOOL listening, int level, int name, char *optval,
                 LPINT optlen);
/* WSPSetSockOpt's checks, before anything changes: 0 with the int value in
 * *v, WSAEFAULT, WSAEINVAL (unknown level, a negative buffer size,
 * SO_CONDITIONAL_ACCEPT on a listening socket) or WSAENOPROTOOPT.
 * SO_UPDATE_ACCEPT_CONTEXT and SO_UPDATE_CONNECT_CONTEXT are accepted and
 * change nothing. */
int wsp_opts_check(int type, BOOL listening, int level, int name,
                   const char *optval, int optlen, int *v);
/* Stores an option wsp_opts_check accepted (v is its value). */
void wsp_opts_store(wsp_opts *o, int level, int name, const char *optval,
                    int v);

/* ---- Overlapped requests ---- */

/* How an overlapped request reports its completion, kept from submission
 * (the caller's WSATHREADID is copied: it may not outlive the call). */
typedef struct wsp_notify {
  SOCKET handle;
  LPWSAOVERLAPPED ov;
  LPWSAOVERLAPPED_COMPLETION_ROUTINE routine;
  WSATHREADID thread;
} wsp_notify;

/* Fills n for a request on h (not started yet): 0, or WSAEFAULT when a
 * routine comes without a thread id. */
int wsp_notify_init(wsp_notify *n, SOCKET h, LPWSAOVERLAPPED ov,
                    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                    LPWSATHREADID thread);
/* Marks the request accepted: Internal = WSS_OPERATION_IN_PROGRESS, and
 * the event (when no routine is given) non-signaled. */
void wsp_notify_start(const wsp_notify *n);
/* Completes it, as Windows does without skip-on-success: flags go into
 * Offset (where WSPGetOverlappedResult finds them); with a routine the
 * results go into the overlapped and an APC queued to the copied thread id
 * (WPUQueueApc) calls routine(err, bytes, ov, flags); otherwise
 * wpu_ifs_complete_overlapped records them, sets hEvent and posts to the
 * port associated with the handle (unless hEvent's low bit is set). */
void wsp_notify_complete(const WSPUPCALLTABLE *up, const wsp_notify *n,
                         DWORD err, DWORD bytes, DWORD flags);

/* A pending overlapped operation with a copy of the caller's WSABUF array
 * (the buffers themselves stay the caller's until completion). */
typedef struct wsp_op {
  struct wsp_op *next;
  wsp_notify note;
  DWORD flags;           /* receive: the caller's flags (MSG_PEEK) */
  struct sockaddr *from; /* receive: where the source goes, or NULL */
  LPINT fromlen;
  DWORD total; /* bytes in the buffers */
  DWORD done;  /* bytes moved so far */
  void *user;  /* the provider's */
  DWORD nbufs;
  WSABUF bufs[];
} wsp_op;

typedef struct wsp_opq {
  wsp_op *head, *tail;
} wsp_opq;

/* A new operation for n with a copy of bufs (total is their sum), or
 * NULL. */
wsp_op *wsp_op_new(const wsp_notify *n, const WSABUF *bufs, DWORD nbufs);
void wsp_opq_push(wsp_opq *q, wsp_op *op);
/* Puts op first: an operation that started before those queued. */
void wsp_opq_push_front(wsp_opq *q, wsp_op *op);
wsp_op *wsp_opq_pop(wsp_opq *q);
/* Completes every operation of q with err (and the bytes each moved) and
 * frees them. */
void wsp_opq_abort(const WSPUPCALLTABLE *up, wsp_opq *q, DWORD err);

/* Sum of the buffer lengths: 0 in *err, or WSAEFAULT (a NULL array or a
 * NULL buffer with a length). */
DWORD wsp_bufs_total(const WSABUF *bufs, DWORD n, int *err);
/* Copies up to len bytes of data into the buffers from offset at; returns
 * the bytes copied. */
DWORD wsp_bufs_put(const WSABUF *bufs, DWORD n, DWORD at, const char *data,
                   DWORD len);
/* Copies up to len bytes from the buffers, from offset at, into data. */
DWORD wsp_bufs_get(const WSABUF *bufs, DWORD n, DWORD at, char *data,
                   DWORD len);

/* WSPGetOverlappedResult for an overlapped request notified by
 * wsp_notify_complete (the socket already checked): waits on hEvent (low bit
 * masked) when asked and the request is in progress. TRUE with the bytes
 * and flags, or FALSE with *err: the request's error, WSA_IO_INCOMPLETE,
 * WSA_INVALID_HANDLE (no event to wait on) or WSAEFAULT. */
BOOL wsp_overlapped_result(LPWSAOVERLAPPED ov, LPDWORD bytes, BOOL wait,
                           LPDWORD flags, LPINT err);

/* ---- Datagram queues (wsp_dgram.c) ---- */

/* Most datagrams queued on one socket, whatever their size. */
#define WSP_DGRAM_QUEUE_MAX 1024u

/* A datagram received, with its source. */
typedef struct wsp_dgram {
  struct wsp_dgram *next;
  wsp_addr from;
  DWORD len;
  char *data; /* the provider's */
} wsp_dgram;

/* Frees a datagram and its data (the provider's allocation). */
typedef void (*wsp_dgram_release_fn)(wsp_dgram *d);

/* Datagrams received, oldest first. */
typedef struct wsp_dgramq {
  wsp_dgram *head, *tail;
  DWORD bytes, count;
} wsp_dgramq;

/* Whether a datagram of len bytes must be dropped: the queue holds
 * WSP_DGRAM_QUEUE_MAX datagrams, or rcvbuf bytes would be passed (an empty
 * queue takes any datagram). */
BOOL wsp_dgramq_full(const wsp_dgramq *q, DWORD len, int rcvbuf);
/* Queues d last. */
void wsp_dgramq_push(wsp_dgramq *q, wsp_dgram *d);
/* Copies the oldest datagram (there must be one) into the buffers, whose
 * sum is total, and its source to from/fromlen (when from is not NULL),
 * consuming it unless peek. 0, or WSAEMSGSIZE when truncated (*out_flags
 * gets MSG_PARTIAL); *bytes gets what was copied. */
int wsp_dgramq_take(wsp_dgramq *q, wsp_dgram_release_fn release,
                    const WSABUF *bufs, DWORD n, DWORD total, BOOL peek,
                    struct sockaddr *from, LPINT fromlen, DWORD *bytes,
                    DWORD *out_flags);
/* Completes the overlapped receives queued in recvq with the datagrams
 * queued in q, oldest first, while there are both. */
void wsp_dgramq_serve(const WSPUPCALLTABLE *up, wsp_dgramq *q,
                      wsp_dgram_release_fn release, wsp_opq *recvq);
/* Frees every queued datagram. */
void wsp_dgramq_free(wsp_dgramq *q, wsp_dgram_release_fn release);

/* ---- Threads blocked on a socket ---- */

typedef struct wsp_waiter {
  struct wsp_waiter *next, *prev;
  HANDLE event;
  BOOL linked;
} wsp_waiter;

/* A socket's waiters, and its own event for the first of them (a second
 * thread blocked on the socket at once gets an event of its own). */
typedef struct wsp_waitq {
  wsp_waiter *head;
  HANDLE own;
  BOOL own_busy;
} wsp_waitq;

/* 0, or WSAENOBUFS (no event). */
int wsp_waitq_init(wsp_waitq *q);
void wsp_waitq_free(wsp_waitq *q);
void wsp_waitq_link(wsp_waitq *q, wsp_waiter *w);
void wsp_waitq_unlink(wsp_waitq *q, wsp_waiter *w);
/* Wakes (and unlinks) every waiter. */
void wsp_waitq_wake(wsp_waitq *q);
/* The same, except that q's own event is not set but returned (or NULL
 * when its first waiter is not waiting): the caller sets it once it has
 * left its lock, so that the woken thread does not find the lock still
 * held and sleep again. Only for a caller that keeps q alive until then;
 * a waiter may see a spurious wake (wsp_waitq_wait returns 0 early). */
HANDLE wsp_waitq_wake_deferred(wsp_waitq *q);
/* Waits for the next wake, releasing lock (held on entry and on return)
 * while waiting; timeout in ms, 0 for none. 0, WSAETIMEDOUT or
 * WSAENOBUFS. The caller pins its socket across the call and checks
 * afterwards whether it was closed. */
int wsp_waitq_wait(wsp_waitq *q, CRITICAL_SECTION *lock, DWORD timeout);

/* ---- Network events ---- */

/* One socket's WSPEventSelect or WSPAsyncSelect registration (never both)
 * and its record. */
typedef struct wsp_events {
  LONG mask;
  WSAEVENT event;
  HWND hwnd;
  UINT msg;
  LONG recorded;             /* for WSPEnumNetworkEvents */
  int errors[FD_MAX_EVENTS]; /* by FD_*_BIT */
  LONG disabled;             /* recorded, waiting for re-enabling */
  BOOL write_wanted;         /* FD_WRITE once writable */
  BOOL connect_due;          /* an FD_CONNECT to record */
  int connect_error;         /* and its error */
  BOOL close_done;           /* FD_CLOSE recorded already */
} wsp_events;

/* Whether the condition of FD_READ, FD_WRITE (writable), FD_ACCEPT or
 * FD_CLOSE holds on the provider's socket sock now, and with which error.
 * FD_CONNECT comes from connect_due, FD_WRITE also needs write_wanted,
 * FD_CLOSE is recorded once. */
typedef BOOL (*wsp_due_fn)(void *sock, LONG event, int *err);

/* Records the enabled events whose condition holds: one message each
 * through WPUPostMessage (WSAMAKESELECTREPLY) for WSPAsyncSelect, else in
 * the record, setting the event object. Each stays disabled until its
 * re-enabling call (wsp_events_reenable). h is the socket's handle. */
void wsp_events_poll(const WSPUPCALLTABLE *up, wsp_events *e, SOCKET h,
                     wsp_due_fn due, void *sock);
/* Re-enables events (the caller polls afterwards). */
void wsp_events_reenable(wsp_events *e, LONG events);
/* An FD_CONNECT to record (err 0: connected). */
void wsp_events_connected(wsp_events *e, int err);
/* WSPEventSelect's registration: 0, or WSAEINVAL (unknown bits, or events
 * without an event object). Clears the record; the caller makes the socket
 * non-blocking and polls. */
int wsp_events_select(wsp_events *e, WSAEVENT ev, LONG events);
/* WSPAsyncSelect's registration: 0, or WSAEINVAL (unknown bits, or events
 * for a window that is not one). As wsp_events_select otherwise. */
int wsp_events_async_select(wsp_events *e, HWND hwnd, UINT msg, LONG events);
/* WSPEnumNetworkEvents: copies and clears the record, resets ev when not
 * NULL. 0 or WSAEFAULT. */
int wsp_events_enum(wsp_events *e, WSAEVENT ev, LPWSANETWORKEVENTS out);
/* Whether a registration is in force (FIONBIO cannot clear then). */
BOOL wsp_events_active(const wsp_events *e);
/* What an accepted socket takes from its listener: the registration, with
 * a clean record. */
void wsp_events_inherit(wsp_events *dst, const wsp_events *src);
/* Ends the registration (closesocket: no notification afterwards). */
void wsp_events_clear(wsp_events *e);

/* ---- WSPIoctl ---- */

/* What WSPIoctl's codes need of a socket. */
typedef struct wsp_ioctl_sock {
  SOCKET handle;     /* SIO_BASE_HANDLE, SIO_BSP_HANDLE* */
  BOOL *nonblocking; /* FIONBIO */
  const wsp_events *ev;
  u_long readable; /* FIONREAD: bytes a receive would take now */
  /* SIO_GET_EXTENSION_FUNCTION_POINTER: the function for guid, or NULL;
   * NULL when the provider has none. */
  void *(*extension)(const GUID *guid);
} wsp_ioctl_sock;

/* WSPIoctl's work on s: FIONBIO (WSAEINVAL when clearing it while a
 * WSPEventSelect/WSPAsyncSelect registration is in force), FIONREAD,
 * SIOCATMARK (always TRUE: no out-of-band data),
 * SIO_GET_EXTENSION_FUNCTION_POINTER, SIO_BASE_HANDLE and the
 * SIO_BSP_HANDLE* codes (s's own handle: a base provider). 0 with the bytes
 * written to out in *bytes, WSAEFAULT (in or out missing or too short) or
 * WSAEINVAL (an unknown extension, or any other code). */
int wsp_ioctl(const wsp_ioctl_sock *s, DWORD code, LPVOID in, DWORD inlen,
              LPVOID out, DWORD outlen, DWORD *bytes);

/* ---- WSPSelect ---- */

/* What wsp_select needs from a provider; all called under *lock. */
typedef struct wsp_select_ops {
  CRITICAL_SECTION *lock;
  /* The provider's socket for h, or NULL (WSAENOTSOCK). */
  void *(*find)(SOCKET h);
  /* Whether sock is ready for set 0 (read), 1 (write) or 2 (except). */
  BOOL (*ready)(void *sock, int set);
  wsp_waitq *(*waitq)(void *sock);
  /* Keep sock's record alive while the lock is released, and let go. */
  void (*pin)(void *sock);
  void (*unpin)(void *sock);
} wsp_select_ops;

/* WSPSelect: checks the sets (WSAEINVAL when all are empty or the timeout
 * is negative, WSAENOTSOCK for a handle find does not know), waits on every
 * socket at once until one is ready or the timeout passes, and rewrites
 * the sets to the ready sockets. Returns their number, or SOCKET_ERROR with
 * *err. Takes and releases ops->lock itself. nfds is ignored, as by
 * Windows. */
int wsp_select(const wsp_select_ops *ops, fd_set *r, fd_set *w, fd_set *x,
               const struct timeval *timeout, LPINT err);

#endif /* FWS2_WSP_COMMON_H */
