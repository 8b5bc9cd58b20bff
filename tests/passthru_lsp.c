/* passthru_lsp.c: the pass-through LSP of the mock and conformance suites,
 * IFS and non-IFS, with deliberate breakages (passthru_lsp.h). Windows
 * provider source. */
#include <winsock2.h>
#include <ws2spi.h>

#include <stdlib.h>
#include <string.h>

#include <wpu/catalog.h>

#include "passthru_lsp.h"

volatile pt_break pt_breakage;

const GUID pt_ifs_id = {
    0x5e1f0a11, 0x2b3c, 0x4d5e, {0x8f, 0x90, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 1}};
const GUID pt_nonifs_id = {
    0x5e1f0a11, 0x2b3c, 0x4d5e, {0x8f, 0x90, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 2}};
const WCHAR pt_ifs_path[] = L"%SystemRoot%\\system32\\pt_ifs_lsp.dll";
const WCHAR pt_nonifs_path[] = L"%SystemRoot%\\system32\\pt_nonifs_lsp.dll";

#define MAX_LAYERS 8
#define PT_MSG     (WM_USER + 77)

typedef struct layer {
  DWORD chain_id; /* our entry */
  WSAPROTOCOL_INFOW lower_info;
  HMODULE module;
  WSPPROC_TABLE next;
} layer;

typedef struct pt_sock {
  struct pt_sock *next_sock;
  SOCKET app, lower;
  layer *ly;
  BOOL closing;
  LONG pending;
  HWND app_hwnd;
  UINT app_msg;
} pt_sock;

/* A request of the application in flight (non-IFS). */
typedef struct pt_ov {
  WSAOVERLAPPED lov; /* first: the packet's overlapped is this */
  pt_sock *rec;
  LPWSAOVERLAPPED app_ov;
  LPWSAOVERLAPPED_COMPLETION_ROUTINE routine;
  WSATHREADID thread;
  DWORD err, bytes, flags;
} pt_ov;

static struct {
  BOOL ifs;
  WSPUPCALLTABLE up;
  LONG startups;
  layer layers[MAX_LAYERS];
  int nlayers;
  CRITICAL_SECTION lock;
  pt_sock *socks;
  HANDLE port, worker;
  HANDLE win_thread, win_ready;
  HWND hwnd;
} pt;

static volatile LONG lower_data_calls;

LONG pt_lower_data_calls(void) {
  return InterlockedCompareExchange(&lower_data_calls, 0, 0);
}

static const WSPPROC_TABLE *next0(void) {
  return &pt.layers[0].next;
}

/* ---- Socket records ---- */

static pt_sock *rec_add(SOCKET lower, layer *ly) {
  pt_sock *r = calloc(1, sizeof *r);
  if (r == NULL)
    return NULL;
  r->lower = lower;
  r->app = lower;
  r->ly = ly;
  EnterCriticalSection(&pt.lock);
  r->next_sock = pt.socks;
  pt.socks = r;
  LeaveCriticalSection(&pt.lock);
  return r;
}

static void rec_remove(pt_sock *r) {
  EnterCriticalSection(&pt.lock);
  for (pt_sock **p = &pt.socks; *p != NULL; p = &(*p)->next_sock)
    if (*p == r) {
      *p = r->next_sock;
      break;
    }
  LeaveCriticalSection(&pt.lock);
  free(r);
}

/* The record of application handle s (either kind), or NULL with
 * WSAENOTSOCK. */
static pt_sock *rec_find(SOCKET s, LPINT err) {
  pt_sock *found = NULL;
  if (!pt.ifs) {
    DWORD_PTR ctx = 0;
    if (pt.up.lpWPUQuerySocketHandleContext(s, &ctx, err) != 0)
      return NULL;
    found = (pt_sock *)ctx;
  } else {
    EnterCriticalSection(&pt.lock);
    for (pt_sock *r = pt.socks; r != NULL; r = r->next_sock)
      if (r->app == s)
        found = r;
    LeaveCriticalSection(&pt.lock);
  }
  if (found == NULL || found->closing) {
    *err = WSAENOTSOCK;
    return NULL;
  }
  return found;
}

static pt_sock *rec_by_lower(SOCKET lower) {
  pt_sock *found = NULL;
  EnterCriticalSection(&pt.lock);
  for (pt_sock *r = pt.socks; r != NULL; r = r->next_sock)
    if (r->lower == lower)
      found = r;
  LeaveCriticalSection(&pt.lock);
  return found;
}

/* Makes the application's handle for a new lower socket. */
static SOCKET wrap(SOCKET lower, layer *ly, LPINT err) {
  if (pt.ifs) {
    if (pt_breakage != PT_BREAK_NO_MODIFY &&
        pt.up.lpWPUModifyIFSHandle(ly->chain_id, lower, err) != lower) {
      int e;
      ly->next.lpWSPCloseSocket(lower, &e);
      return INVALID_SOCKET;
    }
    if (rec_add(lower, ly) == NULL) {
      *err = WSAENOBUFS;
      return INVALID_SOCKET;
    }
    return lower;
  }
  pt_sock *r = rec_add(lower, ly);
  if (r == NULL) {
    *err = WSAENOBUFS;
    return INVALID_SOCKET;
  }
  r->app = pt.up.lpWPUCreateSocketHandle(ly->chain_id, (DWORD_PTR)r, err);
  if (r->app == INVALID_SOCKET ||
      CreateIoCompletionPort((HANDLE)lower, pt.port, (ULONG_PTR)r, 0) == NULL) {
    int e;
    if (r->app != INVALID_SOCKET) {
      pt.up.lpWPUCloseSocketHandle(r->app, &e);
      *err = WSAENOBUFS;
    }
    ly->next.lpWSPCloseSocket(lower, &e);
    rec_remove(r);
    return INVALID_SOCKET;
  }
  return r->app;
}

/* ---- Completion (non-IFS) ---- */

static void CALLBACK apc_routine(DWORD_PTR ctx) {
  pt_ov *o = (pt_ov *)ctx;
  o->routine(o->err, o->bytes, o->app_ov, o->flags);
  free(o);
}

/* The last reference of a closed socket closes its handle. */
static void rec_done(pt_sock *r) {
  EnterCriticalSection(&pt.lock);
  BOOL last = --r->pending == 0 && r->closing;
  LeaveCriticalSection(&pt.lock);
  if (last) {
    int e;
    pt.up.lpWPUCloseSocketHandle(r->app, &e);
    rec_remove(r);
  }
}

static void complete_app(pt_ov *o) {
  pt_sock *r = o->rec;
  LPWSAOVERLAPPED a = o->app_ov;
  pt_break b = pt_breakage;
  if (b == PT_BREAK_NEVER_COMPLETE ||
      (b == PT_BREAK_DROP_ABORTED && o->err == WSA_OPERATION_ABORTED)) {
    free(o);
    rec_done(r);
    return;
  }
  a->Offset = o->flags;
  if (o->routine != NULL) {
    a->InternalHigh = o->bytes;
    a->OffsetHigh = o->err;
    a->Internal = o->err == 0 ? 0 : (0xC0070000u | (o->err & 0xffffu));
    if (b == PT_BREAK_ROUTINE_DIRECT) {
      apc_routine((DWORD_PTR)o);
    } else {
      int e;
      if (pt.up.lpWPUQueueApc(&o->thread, apc_routine, (DWORD_PTR)o, &e) != 0)
        free(o);
    }
  } else if (b == PT_BREAK_NO_PORT) {
    a->InternalHigh = o->bytes;
    a->OffsetHigh = o->err;
    a->Internal = o->err == 0 ? 0 : (0xC0070000u | (o->err & 0xffffu));
    if (a->hEvent != NULL)
      SetEvent((HANDLE)((ULONG_PTR)a->hEvent & ~(ULONG_PTR)1));
    free(o);
  } else {
    int e;
    WPUCompleteOverlappedRequest(r->app, a, o->err, o->bytes, &e);
    free(o);
  }
  rec_done(r);
}

static DWORD WINAPI worker(LPVOID arg) {
  (void)arg;
  for (;;) {
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED ov = NULL;
    BOOL ok = GetQueuedCompletionStatus(pt.port, &bytes, &key, &ov, INFINITE);
    if (ov == NULL)
      return 0; /* the quit packet, or the port is gone */
    pt_ov *o = (pt_ov *)ov;
    o->bytes = bytes;
    o->err = ok ? 0 : GetLastError();
    o->flags = o->lov.Offset;
    complete_app(o);
  }
}

/* Sends an application request down (non-IFS): with a substitute
 * overlapped when the application's is given. */
typedef int (*down_fn)(pt_sock *r, LPWSAOVERLAPPED ov, void *args, LPINT err);

static int submit(pt_sock *r, LPWSAOVERLAPPED app_ov,
                  LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                  LPWSATHREADID thread, down_fn fn, void *args, LPINT err) {
  if (app_ov == NULL || pt.ifs)
    return fn(r, app_ov, args, err);
  if (routine != NULL && thread == NULL) {
    *err = WSAEFAULT;
    return SOCKET_ERROR;
  }
  pt_ov *o = calloc(1, sizeof *o);
  if (o == NULL) {
    *err = WSAENOBUFS;
    return SOCKET_ERROR;
  }
  o->rec = r;
  o->app_ov = app_ov;
  o->routine = routine;
  if (routine != NULL)
    o->thread = *thread;
  app_ov->Internal = WSS_OPERATION_IN_PROGRESS;
  app_ov->InternalHigh = 0;
  if (routine == NULL && app_ov->hEvent != NULL)
    ResetEvent((HANDLE)((ULONG_PTR)app_ov->hEvent & ~(ULONG_PTR)1));
  EnterCriticalSection(&pt.lock);
  r->pending++;
  LeaveCriticalSection(&pt.lock);
  int rc = fn(r, &o->lov, args, err);
  if (rc != 0 && *err != WSA_IO_PENDING) {
    free(o); /* failed at once: no completion comes */
    EnterCriticalSection(&pt.lock);
    r->pending--;
    LeaveCriticalSection(&pt.lock);
  }
  return rc;
}

/* ---- Data ---- */

typedef struct xfer {
  LPWSABUF bufs;
  DWORD n;
  LPDWORD count;
  DWORD flags;
  LPDWORD lpflags;
  const struct sockaddr *to;
  int tolen;
  struct sockaddr *from;
  LPINT fromlen;
  LPWSATHREADID thread;
} xfer;

static void xor_bufs(LPWSABUF b, DWORD n, DWORD count) {
  for (DWORD i = 0; i < n && count > 0; i++)
    for (DWORD j = 0; j < b[i].len && count > 0; j++, count--)
      b[i].buf[j] ^= 0x20;
}

static int down_send(pt_sock *r, LPWSAOVERLAPPED ov, void *args, LPINT err) {
  xfer *x = args;
  InterlockedIncrement(&lower_data_calls);
  WSABUF local[16];
  LPWSABUF bufs = x->bufs;
  DWORD total = 0;
  for (DWORD i = 0; i < x->n; i++)
    total += x->bufs[i].len;
  pt_break b = pt_breakage;
  BOOL changed = FALSE;
  if ((b == PT_BREAK_DROP_BYTE || b == PT_BREAK_REORDER) && x->n <= 16 &&
      total > 1) {
    for (DWORD i = 0; i < x->n; i++)
      local[i] = x->bufs[b == PT_BREAK_REORDER ? x->n - 1 - i : i];
    if (b == PT_BREAK_DROP_BYTE && local[x->n - 1].len > 0)
      local[x->n - 1].len--;
    bufs = local;
    changed = TRUE;
  }
  if (b == PT_BREAK_XOR && ov == NULL)
    xor_bufs(x->bufs, x->n, total);
  int rc =
      x->to != NULL
          ? r->ly->next.lpWSPSendTo(r->lower, bufs, x->n, x->count, x->flags,
                                    x->to, x->tolen, ov, NULL, x->thread, err)
          : r->ly->next.lpWSPSend(r->lower, bufs, x->n, x->count, x->flags, ov,
                                  NULL, x->thread, err);
  if (b == PT_BREAK_XOR && ov == NULL)
    xor_bufs(x->bufs, x->n, total); /* the application's bytes back */
  if (rc == 0 && changed && b == PT_BREAK_DROP_BYTE && x->count != NULL)
    *x->count = total; /* claims the dropped byte */
  return rc;
}

static int down_recv(pt_sock *r, LPWSAOVERLAPPED ov, void *args, LPINT err) {
  xfer *x = args;
  InterlockedIncrement(&lower_data_calls);
  BOOL from = x->from != NULL || x->fromlen != NULL;
  int rc = from ? r->ly->next.lpWSPRecvFrom(
                      r->lower, x->bufs, x->n, x->count, x->lpflags,
                      pt_breakage == PT_BREAK_DGRAM_FROM ? NULL : x->from,
                      pt_breakage == PT_BREAK_DGRAM_FROM ? NULL : x->fromlen,
                      ov, NULL, x->thread, err)
                : r->ly->next.lpWSPRecv(r->lower, x->bufs, x->n, x->count,
                                        x->lpflags, ov, NULL, x->thread, err);
  if (rc == 0 && ov == NULL && pt_breakage == PT_BREAK_XOR && x->count != NULL)
    xor_bufs(x->bufs, x->n, *x->count);
  return rc;
}

static int WSPAPI pt_send(SOCKET s, LPWSABUF b, DWORD n, LPDWORD sent,
                          DWORD flags, LPWSAOVERLAPPED ov,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                          LPWSATHREADID t, LPINT err) {
  pt_sock *r = rec_find(s, err);
  if (r == NULL)
    return SOCKET_ERROR;
  if (pt.ifs && ov != NULL) /* the next layer completes it itself */
    return r->ly->next.lpWSPSend(s, b, n, sent, flags, ov, cr, t, err);
  xfer x = {b, n, sent, flags, NULL, NULL, 0, NULL, NULL, t};
  return submit(r, ov, cr, t, down_send, &x, err);
}

static int WSPAPI pt_sendto(SOCKET s, LPWSABUF b, DWORD n, LPDWORD sent,
                            DWORD flags, const struct sockaddr *to, int tolen,
                            LPWSAOVERLAPPED ov,
                            LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                            LPWSATHREADID t, LPINT err) {
  pt_sock *r = rec_find(s, err);
  if (r == NULL)
    return SOCKET_ERROR;
  if (pt.ifs && ov != NULL)
    return r->ly->next.lpWSPSendTo(s, b, n, sent, flags, to, tolen, ov, cr, t,
                                   err);
  xfer x = {b, n, sent, flags, NULL, to, tolen, NULL, NULL, t};
  return submit(r, ov, cr, t, down_send, &x, err);
}

static int WSPAPI pt_recv(SOCKET s, LPWSABUF b, DWORD n, LPDWORD got,
                          LPDWORD flags, LPWSAOVERLAPPED ov,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                          LPWSATHREADID t, LPINT err) {
  pt_sock *r = rec_find(s, err);
  if (r == NULL)
    return SOCKET_ERROR;
  if (pt.ifs && ov != NULL)
    return r->ly->next.lpWSPRecv(s, b, n, got, flags, ov, cr, t, err);
  xfer x = {b, n, got, 0, flags, NULL, 0, NULL, NULL, t};
  return submit(r, ov, cr, t, down_recv, &x, err);
}

static int WSPAPI pt_recvfrom(SOCKET s, LPWSABUF b, DWORD n, LPDWORD got,
                              LPDWORD flags, struct sockaddr *from,
                              LPINT fromlen, LPWSAOVERLAPPED ov,
                              LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                              LPWSATHREADID t, LPINT err) {
  pt_sock *r = rec_find(s, err);
  if (r == NULL)
    return SOCKET_ERROR;
  if (pt.ifs && ov != NULL)
    return r->ly->next.lpWSPRecvFrom(s, b, n, got, flags, from, fromlen, ov, cr,
                                     t, err);
  xfer x = {b, n, got, 0, flags, NULL, 0, from, fromlen, t};
  return submit(r, ov, cr, t, down_recv, &x, err);
}

static BOOL WSPAPI pt_getoverlappedresult(SOCKET s, LPWSAOVERLAPPED ov,
                                          LPDWORD bytes, BOOL wait,
                                          LPDWORD flags, LPINT err) {
  pt_sock *r = rec_find(s, err);
  if (r == NULL)
    return FALSE;
  if (pt.ifs)
    return r->ly->next.lpWSPGetOverlappedResult(s, ov, bytes, wait, flags, err);
  if (ov == NULL || bytes == NULL || flags == NULL) {
    *err = WSAEFAULT;
    return FALSE;
  }
  if (((volatile WSAOVERLAPPED *)ov)->Internal == WSS_OPERATION_IN_PROGRESS) {
    HANDLE ev = (HANDLE)((ULONG_PTR)ov->hEvent & ~(ULONG_PTR)1);
    if (!wait) {
      *err = WSA_IO_INCOMPLETE;
      return FALSE;
    }
    if (ev == NULL) {
      *err = WSA_INVALID_HANDLE;
      return FALSE;
    }
    WaitForSingleObject(ev, INFINITE);
  }
  MemoryBarrier();
  *bytes = (DWORD)ov->InternalHigh;
  *flags = ov->Offset;
  if (ov->OffsetHigh != 0) {
    *err = (int)ov->OffsetHigh;
    return FALSE;
  }
  return TRUE;
}

/* ---- Sockets ---- */

static layer *layer_of(const WSAPROTOCOL_INFOW *info) {
  for (int i = 0; i < pt.nlayers; i++)
    if (info != NULL && pt.layers[i].chain_id == info->dwCatalogEntryId)
      return &pt.layers[i];
  return pt.nlayers > 0 ? &pt.layers[0] : NULL;
}

static SOCKET WSPAPI pt_socket(int af, int type, int protocol,
                               LPWSAPROTOCOL_INFOW info, GROUP g, DWORD flags,
                               LPINT err) {
  layer *ly = layer_of(info);
  if (ly == NULL) {
    *err = WSAEINVAL;
    return INVALID_SOCKET;
  }
  SOCKET lower =
      ly->next.lpWSPSocket(af, type, protocol, &ly->lower_info, g, flags, err);
  if (lower == INVALID_SOCKET)
    return INVALID_SOCKET;
  return wrap(lower, ly, err);
}

static SOCKET WSPAPI pt_accept(SOCKET s, struct sockaddr *addr, LPINT addrlen,
                               LPCONDITIONPROC cond, DWORD_PTR data,
                               LPINT err) {
  pt_sock *r = rec_find(s, err);
  if (r == NULL)
    return INVALID_SOCKET;
  if (pt_breakage == PT_BREAK_IGNORE_CONDITION)
    cond = NULL;
  SOCKET lower =
      r->ly->next.lpWSPAccept(r->lower, addr, addrlen, cond, data, err);
  if (lower == INVALID_SOCKET)
    return INVALID_SOCKET;
  return wrap(lower, r->ly, err);
}

static int WSPAPI pt_closesocket(SOCKET s, LPINT err) {
  pt_sock *r = rec_find(s, err);
  if (r == NULL)
    return SOCKET_ERROR;
  if (pt.ifs) {
    int rc = r->ly->next.lpWSPCloseSocket(s, err);
    if (rc == 0)
      rec_remove(r);
    return rc;
  }
  EnterCriticalSection(&pt.lock);
  r->closing = TRUE;
  r->pending++; /* ours, while closing */
  LeaveCriticalSection(&pt.lock);
  int rc = r->ly->next.lpWSPCloseSocket(r->lower, err);
  rec_done(r); /* the handle goes after the last aborted request */
  return rc;
}

/* Calls that only swap the handle. */
#define FIND_OR(ret)                                                           \
  pt_sock *r = rec_find(s, err);                                               \
  if (r == NULL)                                                               \
    return ret;

static int WSPAPI pt_bind(SOCKET s, const struct sockaddr *n, int l,
                          LPINT err) {
  FIND_OR(SOCKET_ERROR);
  return r->ly->next.lpWSPBind(r->lower, n, l, err);
}
static int WSPAPI pt_listen(SOCKET s, int b, LPINT err) {
  FIND_OR(SOCKET_ERROR);
  return r->ly->next.lpWSPListen(r->lower, b, err);
}
static int WSPAPI pt_connect(SOCKET s, const struct sockaddr *n, int l,
                             LPWSABUF cd, LPWSABUF ce, LPQOS sq, LPQOS gq,
                             LPINT err) {
  FIND_OR(SOCKET_ERROR);
  return r->ly->next.lpWSPConnect(r->lower, n, l, cd, ce, sq, gq, err);
}
static int WSPAPI pt_shutdown(SOCKET s, int how, LPINT err) {
  FIND_OR(SOCKET_ERROR);
  return r->ly->next.lpWSPShutdown(r->lower, how, err);
}
static int WSPAPI pt_getsockname(SOCKET s, struct sockaddr *n, LPINT l,
                                 LPINT err) {
  FIND_OR(SOCKET_ERROR);
  return r->ly->next.lpWSPGetSockName(r->lower, n, l, err);
}
static int WSPAPI pt_getpeername(SOCKET s, struct sockaddr *n, LPINT l,
                                 LPINT err) {
  FIND_OR(SOCKET_ERROR);
  return r->ly->next.lpWSPGetPeerName(r->lower, n, l, err);
}
static int WSPAPI pt_getsockopt(SOCKET s, int lv, int o, char *v, LPINT l,
                                LPINT err) {
  FIND_OR(SOCKET_ERROR);
  return r->ly->next.lpWSPGetSockOpt(r->lower, lv, o, v, l, err);
}
static int WSPAPI pt_setsockopt(SOCKET s, int lv, int o, const char *v, int l,
                                LPINT err) {
  FIND_OR(SOCKET_ERROR);
  return r->ly->next.lpWSPSetSockOpt(r->lower, lv, o, v, l, err);
}
static int WSPAPI pt_recvdisconnect(SOCKET s, LPWSABUF d, LPINT err) {
  FIND_OR(SOCKET_ERROR);
  return r->ly->next.lpWSPRecvDisconnect(r->lower, d, err);
}
static int WSPAPI pt_senddisconnect(SOCKET s, LPWSABUF d, LPINT err) {
  FIND_OR(SOCKET_ERROR);
  return r->ly->next.lpWSPSendDisconnect(r->lower, d, err);
}
static int WSPAPI pt_duplicatesocket(SOCKET s, DWORD pid,
                                     LPWSAPROTOCOL_INFOW info, LPINT err) {
  FIND_OR(SOCKET_ERROR);
  return r->ly->next.lpWSPDuplicateSocket(r->lower, pid, info, err);
}
static BOOL WSPAPI pt_getqosbyname(SOCKET s, LPWSABUF n, LPQOS q, LPINT err) {
  FIND_OR(FALSE);
  return r->ly->next.lpWSPGetQOSByName(r->lower, n, q, err);
}
static SOCKET WSPAPI pt_joinleaf(SOCKET s, const struct sockaddr *n, int l,
                                 LPWSABUF cd, LPWSABUF ce, LPQOS sq, LPQOS gq,
                                 DWORD f, LPINT err) {
  FIND_OR(INVALID_SOCKET);
  SOCKET lower =
      r->ly->next.lpWSPJoinLeaf(r->lower, n, l, cd, ce, sq, gq, f, err);
  if (lower == INVALID_SOCKET || lower == r->lower)
    return lower == r->lower ? s : INVALID_SOCKET;
  return wrap(lower, r->ly, err);
}

typedef struct ioctl_args {
  DWORD code;
  LPVOID in;
  DWORD inlen;
  LPVOID out;
  DWORD outlen;
  LPDWORD ret;
  LPWSATHREADID thread;
} ioctl_args;

static int down_ioctl(pt_sock *r, LPWSAOVERLAPPED ov, void *args, LPINT err) {
  ioctl_args *a = args;
  return r->ly->next.lpWSPIoctl(r->lower, a->code, a->in, a->inlen, a->out,
                                a->outlen, a->ret, ov, NULL, a->thread, err);
}

static int WSPAPI pt_ioctl(SOCKET s, DWORD code, LPVOID in, DWORD inlen,
                           LPVOID out, DWORD outlen, LPDWORD ret,
                           LPWSAOVERLAPPED ov,
                           LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                           LPWSATHREADID t, LPINT err) {
  FIND_OR(SOCKET_ERROR);
  if (pt.ifs)
    return r->ly->next.lpWSPIoctl(s, code, in, inlen, out, outlen, ret, ov, cr,
                                  t, err);
  ioctl_args a = {code, in, inlen, out, outlen, ret, t};
  return submit(r, ov, cr, t, down_ioctl, &a, err);
}

/* ---- Readiness ---- */

static int WSPAPI pt_eventselect(SOCKET s, WSAEVENT ev, LONG events,
                                 LPINT err) {
  FIND_OR(SOCKET_ERROR);
  return r->ly->next.lpWSPEventSelect(r->lower, ev, events, err);
}

static int WSPAPI pt_enumnetworkevents(SOCKET s, WSAEVENT ev,
                                       LPWSANETWORKEVENTS ne, LPINT err) {
  FIND_OR(SOCKET_ERROR);
  int rc = r->ly->next.lpWSPEnumNetworkEvents(r->lower, ev, ne, err);
  if (rc == 0 && pt_breakage == PT_BREAK_ENUM_NOTHING)
    ne->lNetworkEvents = 0;
  return rc;
}

static int WSPAPI pt_select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
                            const struct timeval *timeout, LPINT err) {
  if (pt.ifs)
    return next0()->lpWSPSelect(nfds, rd, wr, ex, (struct timeval *)timeout,
                                err);
  fd_set *app[3] = {rd, wr, ex};
  fd_set low[3];
  pt_sock *map[3][FD_SETSIZE];
  int total = 0;
  for (int i = 0; i < 3; i++) {
    FD_ZERO(&low[i]);
    for (u_int j = 0; app[i] != NULL && j < app[i]->fd_count; j++) {
      pt_sock *r = rec_find(app[i]->fd_array[j], err);
      if (r == NULL)
        return SOCKET_ERROR;
      map[i][j] = r;
      low[i].fd_array[low[i].fd_count++] = r->lower;
      total++;
    }
  }
  if (pt_breakage == PT_BREAK_SELECT_ALL)
    return total; /* every socket, ready or not */
  int rc = next0()->lpWSPSelect(
      nfds, app[0] ? &low[0] : NULL, app[1] ? &low[1] : NULL,
      app[2] ? &low[2] : NULL, (struct timeval *)timeout, err);
  if (rc == SOCKET_ERROR)
    return rc;
  for (int i = 0; i < 3; i++) {
    if (app[i] == NULL)
      continue;
    u_int k = 0, n = app[i]->fd_count;
    for (u_int j = 0; j < n; j++)
      if (pt.up.lpWPUFDIsSet(map[i][j]->lower, &low[i]))
        app[i]->fd_array[k++] = map[i][j]->app;
    app[i]->fd_count = k;
  }
  return rc;
}

/* WSPAsyncSelect (non-IFS): the next layer posts to our hidden window,
 * which re-posts for the application's handle. */
static LRESULT CALLBACK relay_proc(HWND h, UINT m, WPARAM w, LPARAM l) {
  if (m != PT_MSG)
    return DefWindowProcW(h, m, w, l);
  pt_sock *r = rec_by_lower((SOCKET)w);
  if (r != NULL && r->app_hwnd != NULL)
    pt.up.lpWPUPostMessage(
        r->app_hwnd, r->app_msg,
        pt_breakage == PT_BREAK_ASYNC_LOWER ? (WPARAM)r->lower : (WPARAM)r->app,
        l);
  return 0;
}

static const WCHAR relay_class[] = L"pt_lsp_relay";

static DWORD WINAPI window_thread(LPVOID arg) {
  (void)arg;
  WNDCLASSW wc;
  memset(&wc, 0, sizeof wc);
  wc.lpfnWndProc = relay_proc;
  wc.lpszClassName = relay_class;
  RegisterClassW(&wc);
  pt.hwnd = CreateWindowExW(0, relay_class, L"", 0, 0, 0, 0, 0, HWND_MESSAGE,
                            NULL, NULL, NULL);
  SetEvent(pt.win_ready);
  MSG msg;
  while (pt.hwnd != NULL && GetMessageW(&msg, NULL, 0, 0) > 0)
    DispatchMessageW(&msg);
  if (pt.hwnd != NULL)
    DestroyWindow(pt.hwnd);
  UnregisterClassW(relay_class, NULL);
  return 0;
}

static int WSPAPI pt_asyncselect(SOCKET s, HWND hwnd, unsigned int msg,
                                 LONG events, LPINT err) {
  FIND_OR(SOCKET_ERROR);
  if (pt.ifs)
    return r->ly->next.lpWSPAsyncSelect(s, hwnd, msg, events, err);
  EnterCriticalSection(&pt.lock);
  if (pt.win_thread == NULL) {
    pt.win_ready = CreateEventW(NULL, TRUE, FALSE, NULL);
    pt.win_thread = CreateThread(NULL, 0, window_thread, NULL, 0, NULL);
    WaitForSingleObject(pt.win_ready, INFINITE);
  }
  LeaveCriticalSection(&pt.lock);
  r->app_hwnd = hwnd;
  r->app_msg = msg;
  return r->ly->next.lpWSPAsyncSelect(r->lower, pt.hwnd, PT_MSG, events, err);
}

/* ---- Provider-wide ---- */

static INT WSPAPI pt_addresstostring(LPSOCKADDR a, DWORD l,
                                     LPWSAPROTOCOL_INFOW i, LPWSTR s,
                                     LPDWORD sl, LPINT err) {
  (void)i;
  return next0()->lpWSPAddressToString(a, l, &pt.layers[0].lower_info, s, sl,
                                       err);
}
static INT WSPAPI pt_stringtoaddress(LPWSTR s, INT af, LPWSAPROTOCOL_INFOW i,
                                     LPSOCKADDR a, LPINT l, LPINT err) {
  (void)i;
  return next0()->lpWSPStringToAddress(s, af, &pt.layers[0].lower_info, a, l,
                                       err);
}
static int WSPAPI pt_cancelblockingcall(LPINT err) {
  return next0()->lpWSPCancelBlockingCall(err);
}

static void stop_threads(void) {
  if (pt.worker != NULL) {
    PostQueuedCompletionStatus(pt.port, 0, 0, NULL);
    WaitForSingleObject(pt.worker, INFINITE);
    CloseHandle(pt.worker);
    pt.worker = NULL;
  }
  if (pt.port != NULL) {
    CloseHandle(pt.port);
    pt.port = NULL;
  }
  if (pt.win_thread != NULL) {
    PostMessageW(pt.hwnd, WM_QUIT, 0, 0);
    WaitForSingleObject(pt.win_thread, INFINITE);
    CloseHandle(pt.win_thread);
    CloseHandle(pt.win_ready);
    pt.win_thread = pt.win_ready = NULL;
    pt.hwnd = NULL;
  }
}

static int WSPAPI pt_cleanup(LPINT err) {
  if (pt.startups <= 0) {
    *err = WSANOTINITIALISED;
    return SOCKET_ERROR;
  }
  /* One layer per WSPStartup: clean up the most recent one's next layer. */
  if (--pt.startups > 0) {
    layer *ly = &pt.layers[--pt.nlayers];
    ly->next.lpWSPCleanup(err);
    FreeLibrary(ly->module);
    return 0;
  }
  /* The last: close what the application left open; the worker completes
   * the aborted requests before it stops. */
  pt_sock *mine = NULL;
  EnterCriticalSection(&pt.lock);
  for (pt_sock **p = &pt.socks; *p != NULL;) {
    pt_sock *r = *p;
    if (r->closing) { /* closed: its last completion frees it */
      p = &r->next_sock;
      continue;
    }
    *p = r->next_sock;
    r->next_sock = mine;
    mine = r;
    r->closing = TRUE;
    r->pending++; /* ours: the worker's completions never free it */
  }
  LeaveCriticalSection(&pt.lock);
  for (pt_sock *r = mine; r != NULL; r = r->next_sock) {
    int e;
    r->ly->next.lpWSPCloseSocket(r->lower, &e);
  }
  stop_threads();
  while (mine != NULL) {
    pt_sock *r = mine;
    mine = r->next_sock;
    int e;
    if (!pt.ifs)
      pt.up.lpWPUCloseSocketHandle(r->app, &e);
    free(r);
  }
  while (pt.socks != NULL) { /* closed, completions lost (a breakage) */
    pt_sock *r = pt.socks;
    pt.socks = r->next_sock;
    int e;
    pt.up.lpWPUCloseSocketHandle(r->app, &e);
    free(r);
  }
  layer *ly = &pt.layers[--pt.nlayers];
  ly->next.lpWSPCleanup(err);
  FreeLibrary(ly->module);
  DeleteCriticalSection(&pt.lock);
  return 0;
}

static const WSPPROC_TABLE pt_procs = {
    pt_accept,
    pt_addresstostring,
    pt_asyncselect,
    pt_bind,
    pt_cancelblockingcall,
    pt_cleanup,
    pt_closesocket,
    pt_connect,
    pt_duplicatesocket,
    pt_enumnetworkevents,
    pt_eventselect,
    pt_getoverlappedresult,
    pt_getpeername,
    pt_getsockname,
    pt_getsockopt,
    pt_getqosbyname,
    pt_ioctl,
    pt_joinleaf,
    pt_listen,
    pt_recv,
    pt_recvdisconnect,
    pt_recvfrom,
    (LPWSPSELECT)pt_select,
    pt_send,
    pt_senddisconnect,
    pt_sendto,
    pt_setsockopt,
    pt_shutdown,
    pt_socket,
    pt_stringtoaddress,
};

/* Loads and starts the next layer of our chain entry info. */
static int load_next(const WSAPROTOCOL_INFOW *info, layer *ly) {
  if (info->ProtocolChain.ChainLen < 2)
    return WSAEINVAL;
  DWORD lower_id = info->ProtocolChain.ChainEntries[1];
  WCHAR stored[MAX_PATH], path[MAX_PATH];
  if (wpu_catalog_get(lower_id, &ly->lower_info, stored, MAX_PATH) != 0)
    return WSAEINVAL;
  if (ExpandEnvironmentStringsW(stored, path, MAX_PATH) == 0)
    return WSAEINVAL;
  ly->module = LoadLibraryW(path);
  if (ly->module == NULL)
    return WSAEPROVIDERFAILEDINIT;
  LPWSPSTARTUP start =
      (LPWSPSTARTUP)(void (*)(void))GetProcAddress(ly->module, "WSPStartup");
  WSPDATA data;
  if (start == NULL ||
      start(MAKEWORD(2, 2), &data, &ly->lower_info, pt.up, &ly->next) != 0) {
    FreeLibrary(ly->module);
    return WSAEPROVIDERFAILEDINIT;
  }
  ly->chain_id = info->dwCatalogEntryId;
  return 0;
}

static int startup(BOOL ifs, WORD version, LPWSPDATA data,
                   LPWSAPROTOCOL_INFOW info, WSPUPCALLTABLE up,
                   LPWSPPROC_TABLE procs) {
  if (LOBYTE(version) < 2)
    return WSAVERNOTSUPPORTED;
  if (data == NULL || info == NULL || procs == NULL)
    return WSAEFAULT;
  if (pt.nlayers == MAX_LAYERS)
    return WSAENOBUFS;
  if (pt.startups == 0) {
    memset(&pt, 0, sizeof pt);
    InitializeCriticalSection(&pt.lock);
    pt.ifs = ifs;
    pt.up = up;
    if (!ifs) {
      pt.port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
      pt.worker = CreateThread(NULL, 0, worker, NULL, 0, NULL);
    }
  }
  int rc = load_next(info, &pt.layers[pt.nlayers]);
  if (rc != 0) {
    if (pt.startups == 0) {
      stop_threads();
      DeleteCriticalSection(&pt.lock);
    }
    return rc;
  }
  pt.nlayers++;
  pt.startups++;
  memset(data, 0, sizeof *data);
  data->wVersion = data->wHighVersion = MAKEWORD(2, 2);
  *procs = pt_procs;
  return 0;
}

int WSPAPI pt_ifs_WSPStartup(WORD v, LPWSPDATA d, LPWSAPROTOCOL_INFOW i,
                             WSPUPCALLTABLE u, LPWSPPROC_TABLE p) {
  return startup(TRUE, v, d, i, u, p);
}

int WSPAPI pt_nonifs_WSPStartup(WORD v, LPWSPDATA d, LPWSAPROTOCOL_INFOW i,
                                WSPUPCALLTABLE u, LPWSPPROC_TABLE p) {
  return startup(FALSE, v, d, i, u, p);
}
