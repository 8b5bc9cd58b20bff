/* lsp_internal.h: what the files of counting_lsp share (internal).
 *
 * provider.c  WSPStartup/WSPCleanup, the next layers (one lsp_provider per
 *             protocol chain the LSP was started for) and the private heap.
 * sockets.c   the socket records, their handles and references, and the
 *             WSP* entries that only translate the handle.
 * overlap.c   the overlapped substitution: lsp_op, the completion port and
 *             its worker, WSPSend/WSPRecv & co, WSPGetOverlappedResult.
 * extension.c WSPIoctl (statistics, extension functions) and the LSP's own
 *             AcceptEx, ConnectEx and DisconnectEx.
 * asyncselect.c WSPAsyncSelect through a hidden relay window.
 *
 * Locks: g.lock (a critical section) guards the provider list, the socket
 * list and every record's closing flag; a record's own lock guards its
 * counters. g.lock is never held across a call into the next layer.
 */
#ifndef COUNTING_LSP_INTERNAL_H
#define COUNTING_LSP_INTERNAL_H

#include <winsock2.h>
#include <ws2spi.h>
#include <mswsock.h>

#include "counting_lsp.h"

/* One protocol chain the LSP serves and the next layer below it. */
typedef struct lsp_provider {
  struct lsp_provider *next;
  DWORD started_for;       /* catalog id of the entry WSPStartup got */
  WSAPROTOCOL_INFOW layer; /* our entry: handles are made under its id */
  WSAPROTOCOL_INFOW down;  /* what the next layer's WSPSocket gets */
  HMODULE module;          /* the next layer's DLL */
  WSPPROC_TABLE procs;     /* the next layer's entries */
  WSPDATA data;            /* the next layer's WSPDATA */
  LONG startups;           /* its WSPStartup calls, to balance */
  LPFN_ACCEPTEX accept_ex; /* its extension functions, on first use */
  LPFN_CONNECTEX connect_ex;
  LPFN_DISCONNECTEX disconnect_ex;
} lsp_provider;

/* One socket of the application. The record is the context of its handle;
 * both live until the last reference goes: the open handle holds one, every
 * call in progress one, every overlapped operation in flight one. */
typedef struct lsp_socket {
  struct lsp_socket *prev, *next; /* g.sockets */
  SOCKET handle;                  /* ours, from WPUCreateSocketHandle */
  SOCKET lower;                   /* the next layer's */
  lsp_provider *provider;
  volatile LONG refs;
  BOOL closing;    /* the application closed it (g.lock) */
  BOOL associated; /* lower is associated with g.port (lock) */
  HWND hwnd;       /* WSPAsyncSelect's window, or NULL (g.lock) */
  UINT msg;        /* and message (g.lock) */
  CRITICAL_SECTION lock;
  counting_lsp_stats stats; /* lock */
} lsp_socket;

typedef struct lsp_globals {
  CRITICAL_SECTION lock;
  HANDLE heap;   /* private heap for every record */
  HANDLE port;   /* completions of the next layers' operations */
  HANDLE worker; /* drains port */
  WSPUPCALLTABLE up;
  LONG startups; /* WSPStartup calls not yet cleaned up */
  lsp_provider *providers;
  lsp_socket *sockets;
  volatile LONG inflight; /* operations the next layers still owe */
  volatile LONG stopping; /* the last WSPCleanup is stopping the worker */
  HANDLE freed;           /* auto-reset: set whenever a record is freed */
  BOOL leaked; /* a cleanup timed out and left everything allocated */
} lsp_globals;

/* Longest the last WSPCleanup waits for the completion worker, and then
 * for the calls still in progress, before it leaks what they use. */
#define STOP_WAIT_MS 30000

extern lsp_globals g;

/* provider.c */
void *lsp_alloc(size_t size); /* zeroed; NULL when out of memory */
void lsp_free(void *p);
/* The provider for the chain entry info (started now if WSPStartup was not
 * called for it: ws2_32 may call WSPSocket for an entry first), or NULL
 * with *err. */
lsp_provider *lsp_provider_for(const WSAPROTOCOL_INFOW *info, LPINT err);
int WSPAPI lsp_WSPCleanup(LPINT lpErrno);
/* The module's HINSTANCE from CountingDllMain (NULL when none ran). */
HINSTANCE lsp_instance(void);

/* sockets.c */
/* A new record and handle for the next layer's socket lower (accepted
 * from parent, which may be NULL); on failure lower is closed and
 * INVALID_SOCKET returned with *err. */
SOCKET lsp_socket_create(lsp_provider *p, SOCKET lower,
                         const lsp_socket *parent, LPINT err);
/* The record of our handle s, referenced; NULL with WSAENOTSOCK when s is
 * not a live socket of ours (or the application closed it). */
lsp_socket *lsp_socket_ref(SOCKET s, LPINT err);
void lsp_socket_addref(lsp_socket *s);
void lsp_socket_deref(lsp_socket *s);
/* Closes every socket still open (the last WSPCleanup). */
void lsp_socket_close_all(void);
/* Adds a completed operation to s's counters. */
void lsp_count(lsp_socket *s, BOOL send, DWORD bytes);
extern const WSPPROC_TABLE lsp_proc_table;

/* overlap.c */
typedef enum lsp_op_kind {
  LSP_OP_SEND,
  LSP_OP_RECV,
  LSP_OP_IOCTL,
  LSP_OP_ACCEPTEX,
  LSP_OP_CONNECTEX,
  LSP_OP_DISCONNECTEX
} lsp_op_kind;

/* The substitute overlapped structure: what the next layer sees. */
typedef struct lsp_op {
  WSAOVERLAPPED ov; /* first member: the port hands back &ov */
  lsp_op_kind kind;
  lsp_socket *sock;
  lsp_socket *accepted; /* AcceptEx: the accept socket, referenced */
  LPWSAOVERLAPPED app_ov;
  LPWSAOVERLAPPED_COMPLETION_ROUTINE routine;
  WSATHREADID thread;
  BOOL close_thread; /* thread came from WPUOpenCurrentThread */
} lsp_op;

int lsp_overlap_start(void);
/* Stops the completion worker; FALSE when it did not end in STOP_WAIT_MS
 * (the next layers still owe completions: nothing may be freed). */
BOOL lsp_overlap_stop(void);
/* Completions that could not be delivered (a failed WPUQueueApc or
 * WPUCompleteOverlappedRequest), since the module was loaded. */
extern volatile LONG lsp_lost_completions;
/* Prepares the substitution of the application's app_ov on s (references
 * s); NULL with *err. thread may be NULL (extension functions). */
lsp_op *lsp_op_begin(lsp_socket *s, lsp_op_kind kind, LPWSAOVERLAPPED app_ov,
                     LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                     LPWSATHREADID thread, LPINT err);
/* After the next layer's call: returns SOCKET_ERROR with WSA_IO_PENDING in
 * *err when the operation is under way (the completion comes through
 * g.port), else undoes op and returns SOCKET_ERROR with lower_err. */
int lsp_op_submitted(lsp_op *op, int rc, int lower_err, LPINT err);
/* Notifies the application of a finished operation as ws2_32 expects from
 * a non-IFS provider: WPUQueueApc of the completion routine, else
 * WPUCompleteOverlappedRequest (event and/or the port of handle). */
void lsp_notify(SOCKET handle, LPWSAOVERLAPPED ov,
                LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                LPWSATHREADID thread, DWORD err, DWORD bytes, DWORD flags);

int WSPAPI lsp_WSPSend(SOCKET, LPWSABUF, DWORD, LPDWORD, DWORD, LPWSAOVERLAPPED,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE, LPWSATHREADID,
                       LPINT);
int WSPAPI lsp_WSPSendTo(SOCKET, LPWSABUF, DWORD, LPDWORD, DWORD,
                         const struct sockaddr *, int, LPWSAOVERLAPPED,
                         LPWSAOVERLAPPED_COMPLETION_ROUTINE, LPWSATHREADID,
                         LPINT);
int WSPAPI lsp_WSPRecv(SOCKET, LPWSABUF, DWORD, LPDWORD, LPDWORD,
                       LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE,
                       LPWSATHREADID, LPINT);
int WSPAPI lsp_WSPRecvFrom(SOCKET, LPWSABUF, DWORD, LPDWORD, LPDWORD,
                           struct sockaddr *, LPINT, LPWSAOVERLAPPED,
                           LPWSAOVERLAPPED_COMPLETION_ROUTINE, LPWSATHREADID,
                           LPINT);
BOOL WSPAPI lsp_WSPGetOverlappedResult(SOCKET, LPWSAOVERLAPPED, LPDWORD, BOOL,
                                       LPDWORD, LPINT);

/* asyncselect.c */
int WSPAPI lsp_WSPAsyncSelect(SOCKET, HWND, unsigned int, LONG, LPINT);
void lsp_async_accepting(BOOL begin); /* around the next layer's accept */
/* A record for the next layer's socket lower exists now: messages parked
 * for it are relayed (from the relay thread, in order). */
void lsp_async_created(SOCKET lower);
void lsp_async_stop(void); /* the last WSPCleanup */

/* extension.c */
int WSPAPI lsp_WSPIoctl(SOCKET, DWORD, LPVOID, DWORD, LPVOID, DWORD, LPDWORD,
                        LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE,
                        LPWSATHREADID, LPINT);

#endif /* COUNTING_LSP_INTERNAL_H */
