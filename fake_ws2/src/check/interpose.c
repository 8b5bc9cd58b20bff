/* interpose.c: seeing every provider call down the chain. The module
 * lookup hands out a wrapped WSPStartup (wpu/hooks.h, wrap_startup) whose
 * proc table is a set of thunks: each reports the call to the hooks (trace,
 * faults), applies a fault's network action, calls the provider's real
 * entry, and checks the per-call rules of the contract checker (lpErrno,
 * overlapped bookkeeping; records.c checks returned handles).
 *
 * C has no closures: there are NSLOTS sets of thunks, made by macros. A
 * slot serves one provider (its WSPStartup function and module path) and
 * the table it returns; a provider returning different tables takes one
 * slot per table. The slots are process-wide and never freed: a test
 * program can interpose on at most NSLOTS distinct providers; beyond that,
 * providers are handed out unwrapped, which fails the test when the world
 * traces or checks (it would pass unseen). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <wpu/sockets.h>

#include "interpose.h"

#define NSLOTS   24
#define SENTINEL 0x7eadbeef
#define PATH_LEN 260

/* Written under the lock before the slot's thunks are handed out, never
 * changed after (the thunks read them without the lock). */
typedef struct slot {
  LPWSPSTARTUP startup; /* NULL for a table-only slot */
  WCHAR path[PATH_LEN]; /* the module's path, as the lookup gave it */
  WSPPROC_TABLE real;
  int has_table;
  char name[FWS2_NAME_LEN];
} slot;

static slot slots[NSLOTS];
static int nslots;
static const WSPPROC_TABLE thunk_tables[NSLOTS];
static const LPWSPSTARTUP thunk_startups[NSLOTS];

_Thread_local int fws2__replaying;

const char *fws2__slot_name(int i) {
  return i >= 0 && i < nslots ? slots[i].name : "?";
}

int fws2__slot_count(void) {
  return nslots;
}

void fws2__complete(SOCKET s, LPWSAOVERLAPPED ov, DWORD err, DWORD bytes) {
  int e;
  fws2__replaying = 1;
  if (wpu_socket_query(s, NULL) == WPU_SOCKET_IFS)
    wpu_ifs_complete_overlapped(s, ov, err, bytes, &e);
  else
    WPUCompleteOverlappedRequest(s, ov, err, bytes, &e);
  fws2__replaying = 0;
}

/* ---- One provider call ---- */

typedef struct pcall {
  wpu_hook_call c;
  int sl;
  int err; /* what the provider writes */
  LPINT user_errno;
  int flags; /* the socket's sticky faults */
  int owns_ov;
  char loader[FWS2_NAME_LEN]; /* the caller on a thread of the provider's */
} pcall;

/* The entry of a call: reports it and returns the fault's error (0 none).
 * arg: a byte count (sends), the socket type is added for sends. */
static int begin_n(pcall *p, int sl, const char *name, SOCKET s,
                   LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                   LPINT lpErrno, uintptr_t count, DWORD entry) {
  memset(p, 0, sizeof *p);
  p->c.arg[0] = count;
  p->c.catalog_id = entry;
  p->sl = sl;
  p->err = SENTINEL;
  p->user_errno = lpErrno;
  p->c.kind = WPU_HOOK_PROVIDER;
  p->c.name = name;
  p->c.socket = s;
  p->c.overlapped = ov;
  p->c.callee = slots[sl].name;
  int worker = fws2__depth() == 0;
  fws2__lock();
  fws2_state *st = fws2__state(0);
  fws2_sock_rec *r = st != NULL && s != 0 ? fws2__sock_find(st, sl, s) : NULL;
  int track = r == NULL || r->overlapped;
  if (r != NULL) {
    p->flags = r->flags;
    p->c.arg[1] = (uintptr_t)r->type;
  }
  /* On a thread with no call of ours (a layer's worker), the caller is who
   * started the provider in this world. */
  if (worker && st != NULL && st->loaders[sl][0] != 0) {
    memcpy(p->loader, st->loaders[sl], sizeof p->loader);
    p->c.caller = p->loader;
  }
  fws2__unlock();
  int f = wpu_hook_enter(&p->c);
  /* Overlapped bookkeeping: not for operations with a completion routine
   * (the provider's own APC) nor on sockets made without
   * WSA_FLAG_OVERLAPPED (the overlapped is ignored there). */
  if (ov != NULL && cr == NULL && track) {
    fws2__lock();
    st = fws2__state(0);
    if (st != NULL && st->checking)
      p->owns_ov = fws2__ov_submit(st, ov, p, sl, s, name);
    fws2__unlock();
  }
  return f;
}

#define begin(p, sl, name, s, ov, cr, e)                                       \
  begin_n(p, sl, name, s, ov, cr, e, 0, 0)

/* Marks a sticky fault on the socket (lock taken here). */
static void mark(pcall *p, int flag) {
  fws2__lock();
  fws2_state *st = fws2__state(0);
  fws2_sock_rec *r = st != NULL ? fws2__sock_add(st, p->sl, p->c.socket) : NULL;
  if (r != NULL)
    r->flags |= flag;
  fws2__unlock();
}

/* The return of a call: the lpErrno rules, the overlapped bookkeeping, the
 * report. */
static void end(pcall *p, intptr_t result, int failed) {
  int wrote = p->err != SENTINEL;
  const char *who = slots[p->sl].name;
  if (p->c.fault == 0 || p->c.action != FWS2_FAULT_FAIL) {
    if (failed && (!wrote || p->err == 0))
      fws2__violation(FWS2_RULE_ERRNO, who, p->c.socket, p->c.name,
                      "returned failure (%lld) without setting *lpErrno%s",
                      (long long)result, wrote ? " (it wrote 0)" : "");
    else if (!failed && wrote && p->err != 0)
      fws2__violation(FWS2_RULE_STALE_ERROR, who, p->c.socket, p->c.name,
                      "returned success (%lld) with *lpErrno set to %d",
                      (long long)result, p->err);
  }
  if (p->user_errno != NULL && wrote)
    *p->user_errno = p->err;
  if (p->owns_ov) {
    int pending = !failed || (wrote && p->err == WSA_IO_PENDING);
    fws2__lock();
    fws2_state *st = fws2__state(0);
    if (st != NULL)
      fws2__ov_submitted(st, p->c.overlapped, p, pending);
    fws2__unlock();
  }
  p->c.result = result;
  p->c.failed = failed;
  p->c.error = failed && wrote ? p->err : 0;
  wpu_hook_exit(&p->c);
}

/* Applies a plain fault: the call fails with the error. */
static int faulted(pcall *p, int f) {
  if (p->c.action == FWS2_FAULT_RESET) {
    mark(p, F_RESET);
    f = WSAECONNRESET;
  } else if (p->c.action == FWS2_FAULT_REFUSE) {
    f = WSAECONNREFUSED;
  }
  p->err = f;
  return f;
}

/* ---- The thunk bodies ---- */

#define R (&slots[sl].real)

static SOCKET th_socket(int sl, int af, int type, int protocol,
                        LPWSAPROTOCOL_INFOW info, GROUP g, DWORD flags,
                        LPINT lpErrno) {
  pcall p;
  int f = begin_n(&p, sl, "WSPSocket", 0, NULL, NULL, lpErrno, 0,
                  info != NULL ? info->dwCatalogEntryId : 0);
  SOCKET s = f ? (faulted(&p, f), INVALID_SOCKET)
               : R->lpWSPSocket(af, type, protocol, info, g, flags, &p.err);
  if (s != INVALID_SOCKET) {
    fws2_sock_info si = {
        p.c.catalog_id,
        info == NULL ? -1 : (info->dwServiceFlags1 & XP1_IFS_HANDLES) != 0,
        type, (flags & WSA_FLAG_OVERLAPPED) != 0};
    if (type == 0 && info != NULL)
      si.type = info->iSocketType;
    fws2__check_socket(sl, "WSPSocket", s, &si);
  }
  end(&p, (intptr_t)s, s == INVALID_SOCKET);
  return s;
}

/* A socket accepted (or joined) on s: checked like s's. */
static void check_derived(int sl, const char *call, SOCKET s, SOCKET a) {
  fws2_sock_info si = {0, -1, 0, 1};
  fws2__lock();
  fws2_state *st = fws2__state(0);
  fws2_sock_rec *r = st != NULL ? fws2__sock_find(st, sl, s) : NULL;
  if (r != NULL) {
    si.entry = r->entry;
    si.type = r->type;
    si.overlapped = r->overlapped;
  }
  fws2__unlock();
  /* The IFS expectation follows the listener's own kind. */
  if (si.entry != 0)
    si.ifs = wpu_socket_query(s, NULL) == WPU_SOCKET_IFS;
  fws2__check_socket(sl, call, a, &si);
}

static SOCKET th_accept(int sl, SOCKET s, struct sockaddr *addr, LPINT len,
                        LPCONDITIONPROC cond, DWORD_PTR data, LPINT lpErrno) {
  pcall p;
  int f = begin(&p, sl, "WSPAccept", s, NULL, NULL, lpErrno);
  SOCKET a = f ? (faulted(&p, f), INVALID_SOCKET)
               : R->lpWSPAccept(s, addr, len, cond, data, &p.err);
  if (a != INVALID_SOCKET)
    check_derived(sl, "WSPAccept", s, a);
  end(&p, (intptr_t)a, a == INVALID_SOCKET);
  return a;
}

static SOCKET th_join_leaf(int sl, SOCKET s, const struct sockaddr *name,
                           int namelen, LPWSABUF caller, LPWSABUF callee,
                           LPQOS sqos, LPQOS gqos, DWORD flags, LPINT lpErrno) {
  pcall p;
  int f = begin(&p, sl, "WSPJoinLeaf", s, NULL, NULL, lpErrno);
  SOCKET a = f ? (faulted(&p, f), INVALID_SOCKET)
               : R->lpWSPJoinLeaf(s, name, namelen, caller, callee, sqos, gqos,
                                  flags, &p.err);
  if (a != INVALID_SOCKET && a != s)
    check_derived(sl, "WSPJoinLeaf", s, a);
  end(&p, (intptr_t)a, a == INVALID_SOCKET);
  return a;
}

static int th_close(int sl, SOCKET s, LPINT lpErrno) {
  pcall p;
  int f = begin(&p, sl, "WSPCloseSocket", s, NULL, NULL, lpErrno);
  int rc = f ? (faulted(&p, f), SOCKET_ERROR) : R->lpWSPCloseSocket(s, &p.err);
  if (rc == 0) {
    fws2__lock();
    fws2_state *st = fws2__state(0);
    if (st != NULL)
      fws2__sock_remove(st, sl, s);
    fws2__unlock();
  }
  end(&p, rc, rc == SOCKET_ERROR);
  return rc;
}

/* The simple calls: report, fault or call, check, return. */
#define SIMPLE(fn, name, s, call)                                              \
  pcall p;                                                                     \
  int f = begin(&p, sl, name, s, NULL, NULL, lpErrno);                         \
  int rc = f ? (faulted(&p, f), SOCKET_ERROR) : R->fn call;                    \
  end(&p, rc, rc == SOCKET_ERROR);                                             \
  return rc

static int th_bind(int sl, SOCKET s, const struct sockaddr *name, int len,
                   LPINT lpErrno) {
  SIMPLE(lpWSPBind, "WSPBind", s, (s, name, len, &p.err));
}

static int th_listen(int sl, SOCKET s, int backlog, LPINT lpErrno) {
  SIMPLE(lpWSPListen, "WSPListen", s, (s, backlog, &p.err));
}

static int th_connect(int sl, SOCKET s, const struct sockaddr *name, int len,
                      LPWSABUF caller, LPWSABUF callee, LPQOS sqos, LPQOS gqos,
                      LPINT lpErrno) {
  SIMPLE(lpWSPConnect, "WSPConnect", s,
         (s, name, len, caller, callee, sqos, gqos, &p.err));
}

static int th_async_select(int sl, SOCKET s, HWND hwnd, unsigned int msg,
                           LONG ev, LPINT lpErrno) {
  SIMPLE(lpWSPAsyncSelect, "WSPAsyncSelect", s, (s, hwnd, msg, ev, &p.err));
}

static int th_cancel_blocking(int sl, LPINT lpErrno) {
  SIMPLE(lpWSPCancelBlockingCall, "WSPCancelBlockingCall", 0, (&p.err));
}

static int th_duplicate(int sl, SOCKET s, DWORD pid, LPWSAPROTOCOL_INFOW info,
                        LPINT lpErrno) {
  SIMPLE(lpWSPDuplicateSocket, "WSPDuplicateSocket", s, (s, pid, info, &p.err));
}

static int th_enum_events(int sl, SOCKET s, WSAEVENT ev, LPWSANETWORKEVENTS ne,
                          LPINT lpErrno) {
  SIMPLE(lpWSPEnumNetworkEvents, "WSPEnumNetworkEvents", s,
         (s, ev, ne, &p.err));
}

static int th_event_select(int sl, SOCKET s, WSAEVENT ev, LONG events,
                           LPINT lpErrno) {
  SIMPLE(lpWSPEventSelect, "WSPEventSelect", s, (s, ev, events, &p.err));
}

static int th_peer_name(int sl, SOCKET s, struct sockaddr *name, LPINT len,
                        LPINT lpErrno) {
  SIMPLE(lpWSPGetPeerName, "WSPGetPeerName", s, (s, name, len, &p.err));
}

static int th_sock_name(int sl, SOCKET s, struct sockaddr *name, LPINT len,
                        LPINT lpErrno) {
  SIMPLE(lpWSPGetSockName, "WSPGetSockName", s, (s, name, len, &p.err));
}

static int th_get_opt(int sl, SOCKET s, int level, int opt, char *val,
                      LPINT len, LPINT lpErrno) {
  SIMPLE(lpWSPGetSockOpt, "WSPGetSockOpt", s,
         (s, level, opt, val, len, &p.err));
}

static int th_set_opt(int sl, SOCKET s, int level, int opt, const char *val,
                      int len, LPINT lpErrno) {
  SIMPLE(lpWSPSetSockOpt, "WSPSetSockOpt", s,
         (s, level, opt, val, len, &p.err));
}

static int th_recv_disconnect(int sl, SOCKET s, LPWSABUF data, LPINT lpErrno) {
  SIMPLE(lpWSPRecvDisconnect, "WSPRecvDisconnect", s, (s, data, &p.err));
}

static int th_send_disconnect(int sl, SOCKET s, LPWSABUF data, LPINT lpErrno) {
  SIMPLE(lpWSPSendDisconnect, "WSPSendDisconnect", s, (s, data, &p.err));
}

static int th_shutdown(int sl, SOCKET s, int how, LPINT lpErrno) {
  SIMPLE(lpWSPShutdown, "WSPShutdown", s, (s, how, &p.err));
}

static int th_select(int sl, int nfds, fd_set *r, fd_set *w, fd_set *x,
                     const struct timeval *t, LPINT lpErrno) {
  pcall p;
  int f = begin(&p, sl, "WSPSelect", 0, NULL, NULL, lpErrno);
  int rc = f ? (faulted(&p, f), SOCKET_ERROR)
             : ((int(WSPAPI *)(int, fd_set *, fd_set *, fd_set *,
                               const struct timeval *, LPINT))(
                    void (*)(void))R->lpWSPSelect)(nfds, r, w, x, t, &p.err);
  end(&p, rc, rc == SOCKET_ERROR);
  return rc;
}

static int th_ioctl(int sl, SOCKET s, DWORD code, LPVOID in, DWORD cbin,
                    LPVOID out, DWORD cbout, LPDWORD ret, LPWSAOVERLAPPED ov,
                    LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPWSATHREADID t,
                    LPINT lpErrno) {
  pcall p;
  int f = begin(&p, sl, "WSPIoctl", s, ov, cr, lpErrno);
  int rc =
      f ? (faulted(&p, f), SOCKET_ERROR)
        : R->lpWSPIoctl(s, code, in, cbin, out, cbout, ret, ov, cr, t, &p.err);
  end(&p, rc, rc == SOCKET_ERROR);
  return rc;
}

static BOOL th_get_ov_result(int sl, SOCKET s, LPWSAOVERLAPPED ov,
                             LPDWORD bytes, BOOL wait, LPDWORD flags,
                             LPINT lpErrno) {
  pcall p;
  int f = begin(&p, sl, "WSPGetOverlappedResult", s, NULL, NULL, lpErrno);
  p.c.overlapped = ov;
  BOOL ok = f ? (faulted(&p, f), FALSE)
              : R->lpWSPGetOverlappedResult(s, ov, bytes, wait, flags, &p.err);
  end(&p, ok, !ok);
  return ok;
}

static BOOL th_qos(int sl, SOCKET s, LPWSABUF name, LPQOS qos, LPINT lpErrno) {
  pcall p;
  int f = begin(&p, sl, "WSPGetQOSByName", s, NULL, NULL, lpErrno);
  BOOL ok =
      f ? (faulted(&p, f), FALSE) : R->lpWSPGetQOSByName(s, name, qos, &p.err);
  end(&p, ok, !ok);
  return ok;
}

static INT th_addr_to_string(int sl, LPSOCKADDR a, DWORD alen,
                             LPWSAPROTOCOL_INFOW info, LPWSTR out,
                             LPDWORD outlen, LPINT lpErrno) {
  SIMPLE(lpWSPAddressToString, "WSPAddressToString", 0,
         (a, alen, info, out, outlen, &p.err));
}

static INT th_string_to_addr(int sl, LPWSTR str, INT af,
                             LPWSAPROTOCOL_INFOW info, LPSOCKADDR a, LPINT alen,
                             LPINT lpErrno) {
  SIMPLE(lpWSPStringToAddress, "WSPStringToAddress", 0,
         (str, af, info, a, alen, &p.err));
}

static int th_cleanup(int sl, LPINT lpErrno);
static int th_startup(int sl, WORD version, LPWSPDATA data,
                      LPWSAPROTOCOL_INFOW info, WSPUPCALLTABLE up,
                      LPWSPPROC_TABLE procs);

/* ---- Data transfer, where the network faults live ---- */

static DWORD total(const WSABUF *b, DWORD n) {
  DWORD t = 0;
  for (DWORD i = 0; i < n; i++)
    t += b[i].len;
  return t;
}

/* The first `limit` bytes of bufs, in out (at most 16 buffers). */
static DWORD truncate_bufs(const WSABUF *bufs, DWORD n, DWORD limit,
                           WSABUF *out) {
  DWORD k = 0;
  for (DWORD i = 0; i < n && k < 16 && limit > 0; i++) {
    out[k] = bufs[i];
    if (out[k].len > limit)
      out[k].len = limit;
    limit -= out[k].len;
    k++;
  }
  return k;
}

/* A send that a fault turned into "sent, nothing sent" (a lost datagram):
 * success with every byte, an overlapped one completed. */
static int pretend_sent(pcall *p, SOCKET s, DWORD bytes, LPDWORD sent,
                        LPWSAOVERLAPPED ov) {
  if (sent != NULL)
    *sent = bytes;
  if (ov != NULL)
    fws2__complete(s, ov, 0, bytes);
  (void)p;
  return 0;
}

static int th_send_common(int sl, int to, SOCKET s, LPWSABUF bufs, DWORD n,
                          LPDWORD sent, DWORD flags,
                          const struct sockaddr *addr, int addrlen,
                          LPWSAOVERLAPPED ov,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                          LPWSATHREADID t, LPINT lpErrno) {
  pcall p;
  int f = begin_n(&p, sl, to ? "WSPSendTo" : "WSPSend", s, ov, cr, lpErrno,
                  total(bufs, n), 0);
  int rc;
  WSABUF part[16];
  if (!f && (p.flags & F_RESET)) {
    p.err = WSAECONNRESET;
    rc = SOCKET_ERROR;
  } else if (f && p.c.action == FWS2_FAULT_DROP_DATAGRAM && cr == NULL) {
    rc = pretend_sent(&p, s, total(bufs, n), sent, ov);
  } else if (f && p.c.action == FWS2_FAULT_PARTIAL_SEND) {
    DWORD k = truncate_bufs(bufs, n, (DWORD)p.c.action_arg, part);
    rc = to ? R->lpWSPSendTo(s, part, k, sent, flags, addr, addrlen, ov, cr, t,
                             &p.err)
            : R->lpWSPSend(s, part, k, sent, flags, ov, cr, t, &p.err);
  } else if (f && p.c.action != FWS2_FAULT_DROP_DATAGRAM &&
             p.c.action != FWS2_FAULT_PEER_CLOSE) {
    faulted(&p, f);
    rc = SOCKET_ERROR;
  } else {
    rc = to ? R->lpWSPSendTo(s, bufs, n, sent, flags, addr, addrlen, ov, cr, t,
                             &p.err)
            : R->lpWSPSend(s, bufs, n, sent, flags, ov, cr, t, &p.err);
  }
  end(&p, rc, rc == SOCKET_ERROR);
  return rc;
}

static int th_send(int sl, SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD sent,
                   DWORD flags, LPWSAOVERLAPPED ov,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPWSATHREADID t,
                   LPINT lpErrno) {
  return th_send_common(sl, 0, s, bufs, n, sent, flags, NULL, 0, ov, cr, t,
                        lpErrno);
}

static int th_send_to(int sl, SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD sent,
                      DWORD flags, const struct sockaddr *to, int tolen,
                      LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                      LPWSATHREADID t, LPINT lpErrno) {
  return th_send_common(sl, 1, s, bufs, n, sent, flags, to, tolen, ov, cr, t,
                        lpErrno);
}

static int th_recv_common(int sl, int from, SOCKET s, LPWSABUF bufs, DWORD n,
                          LPDWORD got, LPDWORD flags, struct sockaddr *addr,
                          LPINT addrlen, LPWSAOVERLAPPED ov,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE cr,
                          LPWSATHREADID t, LPINT lpErrno) {
  pcall p;
  int f = begin(&p, sl, from ? "WSPRecvFrom" : "WSPRecv", s, ov, cr, lpErrno);
  int rc;
  if (f && p.c.action == FWS2_FAULT_PEER_CLOSE && cr == NULL) {
    mark(&p, F_PEER_CLOSE);
    p.flags |= F_PEER_CLOSE;
    f = 0;
  }
  if (!f && (p.flags & F_RESET)) {
    p.err = WSAECONNRESET;
    rc = SOCKET_ERROR;
  } else if (!f && (p.flags & F_PEER_CLOSE) && cr == NULL) {
    /* A graceful close: 0 bytes. */
    if (got != NULL)
      *got = 0;
    if (flags != NULL)
      *flags = 0;
    if (ov != NULL)
      fws2__complete(s, ov, 0, 0);
    rc = 0;
  } else if (f && p.c.action != FWS2_FAULT_PEER_CLOSE &&
             p.c.action != FWS2_FAULT_PARTIAL_SEND &&
             p.c.action != FWS2_FAULT_DROP_DATAGRAM) {
    faulted(&p, f);
    rc = SOCKET_ERROR;
  } else {
    rc = from ? R->lpWSPRecvFrom(s, bufs, n, got, flags, addr, addrlen, ov, cr,
                                 t, &p.err)
              : R->lpWSPRecv(s, bufs, n, got, flags, ov, cr, t, &p.err);
  }
  end(&p, rc, rc == SOCKET_ERROR);
  return rc;
}

static int th_recv(int sl, SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD got,
                   LPDWORD flags, LPWSAOVERLAPPED ov,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPWSATHREADID t,
                   LPINT lpErrno) {
  return th_recv_common(sl, 0, s, bufs, n, got, flags, NULL, NULL, ov, cr, t,
                        lpErrno);
}

static int th_recv_from(int sl, SOCKET s, LPWSABUF bufs, DWORD n, LPDWORD got,
                        LPDWORD flags, struct sockaddr *from, LPINT fromlen,
                        LPWSAOVERLAPPED ov,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, LPWSATHREADID t,
                        LPINT lpErrno) {
  return th_recv_common(sl, 1, s, bufs, n, got, flags, from, fromlen, ov, cr, t,
                        lpErrno);
}

#include "interpose_thunks.h"

/* ---- Start-up and clean-up ---- */

/* The slot serving table t, taken from `from` (lock held): from itself
 * when it has no table yet or the same one, else another. -1 when full. */
static int table_slot(int from, const WSPPROC_TABLE *t) {
  if (!slots[from].has_table) {
    slots[from].real = *t;
    slots[from].has_table = 1;
    return from;
  }
  if (memcmp(&slots[from].real, t, sizeof *t) == 0)
    return from;
  for (int i = 0; i < nslots; i++)
    if (slots[i].has_table && memcmp(&slots[i].real, t, sizeof *t) == 0 &&
        strcmp(slots[i].name, slots[from].name) == 0)
      return i;
  if (nslots == NSLOTS)
    return -1;
  int i = nslots++;
  memcpy(slots[i].name, slots[from].name, sizeof slots[i].name);
  memcpy(slots[i].path, slots[from].path, sizeof slots[i].path);
  slots[i].real = *t;
  slots[i].has_table = 1;
  return i;
}

static int table_complete(const WSPPROC_TABLE *t) {
  const void *const *e = (const void *const *)t;
  for (size_t i = 0; i < sizeof *t / sizeof(void *); i++)
    if (e[i] == NULL)
      return 0;
  return 1;
}

/* A provider the interposer cannot serve (lock NOT held): fails the test
 * when the world traces or checks, since it would pass unseen. */
static void not_interposed(const char *name, const char *why) {
  fws2__lock();
  fws2_state *st = fws2__state(0);
  int checking = st != NULL && st->checking;
  int tracing = st != NULL && st->tracing;
  fws2__unlock();
  if (checking) {
    fws2__violation(FWS2_RULE_NOT_INTERPOSED, name, 0, "WSPStartup",
                    "not interposed: %s; the trace, the faults and the "
                    "checker do not see it",
                    why);
  } else if (tracing) {
    char text[160];
    snprintf(text, sizeof text, "%s not interposed: %s", name, why);
    fws2__trace_note(FWS2_TRACE_VIOLATION, "WSPStartup", name, 0, text);
    print_error("fws2: provider %s\n", text);
    fws2__lock();
    if ((st = fws2__state(0)) != NULL)
      st->unreported++; /* fails the test (fws2/trace.h) */
    fws2__unlock();
  } else {
    fprintf(stderr, "fws2: provider %s not interposed: %s\n", name, why);
  }
}

static int th_startup(int sl, WORD version, LPWSPDATA data,
                      LPWSAPROTOCOL_INFOW info, WSPUPCALLTABLE up,
                      LPWSPPROC_TABLE procs) {
  wpu_hook_call c = {0};
  c.kind = WPU_HOOK_PROVIDER;
  c.name = "WSPStartup";
  c.callee = slots[sl].name;
  c.catalog_id = info != NULL ? info->dwCatalogEntryId : 0;
  int f = wpu_hook_enter(&c);
  int rc = f ? f : slots[sl].startup(version, data, info, up, procs);
  if (rc == 0 && procs != NULL) {
    if (!table_complete(procs)) {
      char who[80];
      snprintf(who, sizeof who, "%s (entry %lu)", slots[sl].name,
               (unsigned long)c.catalog_id);
      fws2__violation(FWS2_RULE_PROC_TABLE, who, 0, "WSPStartup",
                      "returned success with NULL entries in its proc table");
    } else {
      fws2__lock();
      int t = table_slot(sl, procs);
      fws2_state *st = fws2__state(0);
      if (t >= 0 && st != NULL) {
        if (c.caller != NULL)
          snprintf(st->loaders[t], sizeof st->loaders[t], "%s", c.caller);
        st->starts[t]++;
        if (c.catalog_id != 0 && st->n_entries < 64) {
          int known = 0;
          for (int i = 0; i < st->n_entries; i++)
            known |= st->entry_ids[i] == c.catalog_id;
          if (!known) {
            st->entry_ids[st->n_entries] = c.catalog_id;
            st->entry_slots[st->n_entries++] = t;
          }
        }
      }
      fws2__unlock();
      if (t >= 0)
        *procs = thunk_tables[t];
      else
        not_interposed(slots[sl].name, "its second proc table found every "
                                       "interposer slot taken");
    }
  }
  c.result = rc;
  c.failed = rc != 0;
  c.error = rc;
  wpu_hook_exit(&c);
  return rc;
}

static int th_cleanup(int sl, LPINT lpErrno) {
  pcall p;
  int f = begin(&p, sl, "WSPCleanup", 0, NULL, NULL, lpErrno);
  int rc = f ? (faulted(&p, f), SOCKET_ERROR) : R->lpWSPCleanup(&p.err);
  int extra = 0, starts = 0, cleanups = 0;
  fws2__lock();
  fws2_state *st = fws2__state(0);
  if (st != NULL && !f) {
    cleanups = ++st->cleanups[sl];
    starts = st->starts[sl];
    extra = cleanups > starts;
  }
  fws2__unlock();
  if (extra)
    fws2__violation(FWS2_RULE_CLEANUP, slots[sl].name, 0, "WSPCleanup",
                    "WSPCleanup called %d times, but WSPStartup succeeded "
                    "only %d times",
                    cleanups, starts);
  /* WSPCleanup's result is ignored (some providers always fail it): the
   * lpErrno rule still applies. */
  end(&p, rc, rc == SOCKET_ERROR);
  return rc;
}

static int same_path(const WCHAR *a, const WCHAR *b) {
  size_t i = 0;
  for (; a[i] != 0 && i + 1 < PATH_LEN; i++)
    if (a[i] != b[i])
      return 0;
  return a[i] == b[i] || i + 1 == PATH_LEN;
}

LPWSPSTARTUP fws2__interpose(LPWSPSTARTUP startup, const WCHAR *path) {
  static const WCHAR none[1] = {0};
  if (path == NULL)
    path = none;
  fws2__lock();
  int found = -1;
  for (int i = 0; i < nslots && found < 0; i++)
    if (slots[i].startup == startup && same_path(slots[i].path, path))
      found = i;
  if (found < 0 && nslots < NSLOTS) {
    found = nslots;
    slots[found].startup = startup;
    size_t n = 0;
    for (; path[n] != 0 && n + 1 < PATH_LEN; n++)
      slots[found].path[n] = path[n];
    slots[found].path[n] = 0;
    fws2__wname(slots[found].name, sizeof slots[found].name, path);
    nslots++;
  }
  fws2__unlock();
  if (found < 0) {
    char name[FWS2_NAME_LEN];
    fws2__wname(name, sizeof name, path);
    char why[96];
    snprintf(why, sizeof why, "more than %d providers in the test program",
             NSLOTS);
    not_interposed(name, why);
    return startup;
  }
  return thunk_startups[found];
}
