/* interpose.c: seeing every provider call down the chain. The module
 * lookup hands out a wrapped WSPStartup (wpu/hooks.h, wrap_startup) whose
 * proc table is a set of thunks: each reports the call to the hooks (trace,
 * faults), applies a fault's network action, calls the provider's real
 * entry, and checks the per-call rules of the contract checker (lpErrno,
 * returned handles, XP1_IFS_HANDLES, overlapped bookkeeping).
 *
 * C has no closures: there are NSLOTS sets of thunks, made by macros. A
 * slot serves one provider WSPStartup function (and the table it returns;
 * a provider returning different tables takes one slot per table). The
 * slots are process-wide and never freed: a test program can interpose on
 * at most NSLOTS distinct providers; beyond that, providers are handed out
 * unwrapped (and unseen), and a line says so once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wpu/sockets.h>

#include "check.h"

#define NSLOTS   24
#define SENTINEL 0x7eadbeef

typedef struct slot {
  LPWSPSTARTUP startup; /* NULL for a table-only slot */
  WSPPROC_TABLE real;
  int has_table;
  char name[FWS2_NAME_LEN];
  /* Who started the provider (ws2_32, or the layer above that loaded it):
   * the caller of its entries on threads with no call of ours running (a
   * layer's worker thread). */
  char loader[FWS2_NAME_LEN];
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

/* ---- Per-world records (lock held) ---- */

#define F_RESET      1
#define F_PEER_CLOSE 2

struct fws2_sock_rec {
  fws2_sock_rec *next;
  int slot;
  SOCKET s;
  DWORD entry; /* the entry it was made for */
  int flags;
};

enum { OV_PENDING = 1, OV_DONE };

struct fws2_ov_rec {
  fws2_ov_rec *next;
  LPWSAOVERLAPPED ov;
  int state;
  void *owner; /* the submission in progress that made it pending */
  int slot;
  SOCKET s;
  const char *call;
};

static unsigned bucket(uintptr_t key) {
  return (unsigned)((key >> 2) ^ (key >> 12)) % FWS2_BUCKETS;
}

static fws2_sock_rec *sock_find(fws2_state *st, int sl, SOCKET s) {
  for (fws2_sock_rec *r = st->socks[bucket(s)]; r != NULL; r = r->next)
    if (r->s == s && (sl < 0 || r->slot == sl))
      return r;
  return NULL;
}

static void sock_add(fws2_state *st, int sl, SOCKET s, DWORD entry) {
  fws2_sock_rec *r = sock_find(st, sl, s);
  if (r == NULL) {
    r = calloc(1, sizeof *r);
    if (r == NULL)
      return;
    r->next = st->socks[bucket(s)];
    st->socks[bucket(s)] = r;
  }
  r->slot = sl;
  r->s = s;
  r->entry = entry;
  r->flags = 0;
}

static void sock_remove(fws2_state *st, int sl, SOCKET s) {
  for (fws2_sock_rec **p = &st->socks[bucket(s)]; *p != NULL; p = &(*p)->next)
    if ((*p)->s == s && (*p)->slot == sl) {
      fws2_sock_rec *r = *p;
      *p = r->next;
      free(r);
      return;
    }
}

static fws2_ov_rec *ov_find(fws2_state *st, LPWSAOVERLAPPED ov) {
  for (fws2_ov_rec *r = st->ovs[bucket((uintptr_t)ov)]; r != NULL; r = r->next)
    if (r->ov == ov)
      return r;
  return NULL;
}

void fws2__interpose_free(fws2_state *st) {
  for (int b = 0; b < FWS2_BUCKETS; b++) {
    while (st->socks[b] != NULL) {
      fws2_sock_rec *r = st->socks[b];
      st->socks[b] = r->next;
      free(r);
    }
    while (st->ovs[b] != NULL) {
      fws2_ov_rec *r = st->ovs[b];
      st->ovs[b] = r->next;
      free(r);
    }
  }
}

void fws2__interpose_pending(fws2_state *st,
                             void (*fn)(LPWSAOVERLAPPED, SOCKET, const char *,
                                        const char *)) {
  for (int b = 0; b < FWS2_BUCKETS; b++)
    for (fws2_ov_rec *r = st->ovs[b]; r != NULL; r = r->next)
      if (r->state == OV_PENDING)
        fn(r->ov, r->s, fws2__slot_name(r->slot), r->call);
}

const char *fws2__provider_of_entry(DWORD entry) {
  fws2_state *st = fws2__state(0);
  for (int i = 0; st != NULL && i < st->n_entries; i++)
    if (st->entry_ids[i] == entry)
      return fws2__slot_name(st->entry_slots[i]);
  return NULL;
}

/* ---- Completions (checker side, hub.c calls it after libwpu did one) ---- */

void fws2__checker_completion(const wpu_hook_call *c) {
  int unknown = 0, twice = 0;
  const char *prov = "?";
  fws2__lock();
  fws2_state *st = fws2__state(0);
  if (st != NULL && st->checking && c->overlapped != NULL) {
    fws2_ov_rec *r = ov_find(st, c->overlapped);
    if (r == NULL || r->state == 0) {
      fws2_sock_rec *sr = sock_find(st, -1, c->socket);
      unknown =
          sr != NULL && strcmp(c->name, "WPUCompleteOverlappedRequest") == 0;
      if (sr != NULL)
        prov = fws2__slot_name(sr->slot);
    } else if (r->state == OV_DONE) {
      twice = 1;
      prov = fws2__slot_name(r->slot);
    } else {
      r->state = OV_DONE;
    }
  }
  fws2__unlock();
  if (unknown)
    fws2__violation(FWS2_RULE_UNKNOWN_OVERLAPPED, prov, c->socket, c->name,
                    "completed overlapped %p, which no call to the provider "
                    "owning the socket received",
                    (void *)c->overlapped);
  if (twice)
    fws2__violation(FWS2_RULE_DOUBLE_COMPLETION, prov, c->socket, c->name,
                    "overlapped %p completed a second time (error %lu, %lu "
                    "bytes)",
                    (void *)c->overlapped, (unsigned long)c->arg[0],
                    (unsigned long)c->arg[1]);
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
} pcall;

/* The entry of a call: reports it and returns the fault's error (0 none).
 */
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
  if (fws2__depth() == 0 && slots[sl].loader[0] != 0)
    p->c.caller = slots[sl].loader;
  int f = wpu_hook_enter(&p->c);
  fws2__lock();
  fws2_state *st = fws2__state(0);
  fws2_sock_rec *r = st != NULL && s != 0 ? sock_find(st, sl, s) : NULL;
  if (r != NULL)
    p->flags = r->flags;
  if (st != NULL && st->checking && ov != NULL && cr == NULL) {
    fws2_ov_rec *o = ov_find(st, ov);
    if (o == NULL) {
      o = calloc(1, sizeof *o);
      if (o != NULL) {
        o->ov = ov;
        o->next = st->ovs[bucket((uintptr_t)ov)];
        st->ovs[bucket((uintptr_t)ov)] = o;
      }
    }
    if (o != NULL && o->state != OV_PENDING) {
      o->state = OV_PENDING;
      o->owner = p;
      o->slot = sl;
      o->s = s;
      o->call = name;
      p->owns_ov = 1;
    }
  }
  fws2__unlock();
  return f;
}

#define begin(p, sl, name, s, ov, cr, e)                                       \
  begin_n(p, sl, name, s, ov, cr, e, 0, 0)

/* Marks a sticky fault on the socket (lock taken here). */
static void mark(pcall *p, int flag) {
  fws2__lock();
  fws2_state *st = fws2__state(0);
  if (st != NULL) {
    if (sock_find(st, p->sl, p->c.socket) == NULL)
      sock_add(st, p->sl, p->c.socket, 0);
    fws2_sock_rec *r = sock_find(st, p->sl, p->c.socket);
    if (r != NULL)
      r->flags |= flag;
  }
  fws2__unlock();
}

static const char *entry_name(char *buf, size_t cap, int sl, DWORD entry) {
  if (entry != 0)
    snprintf(buf, cap, "%s (entry %lu)", slots[sl].name, (unsigned long)entry);
  else
    snprintf(buf, cap, "%s", slots[sl].name);
  return buf;
}

/* The return of a call: the lpErrno rules, the overlapped bookkeeping, the
 * report. */
static void end(pcall *p, intptr_t result, int failed) {
  int wrote = p->err != SENTINEL;
  char who[80];
  entry_name(who, sizeof who, p->sl, 0);
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
    /* An immediate failure is not notified: nothing to complete. */
    int pending = !failed || (wrote && p->err == WSA_IO_PENDING);
    fws2__lock();
    fws2_state *st = fws2__state(0);
    fws2_ov_rec *o = st != NULL ? ov_find(st, p->c.overlapped) : NULL;
    if (o != NULL && o->owner == p) {
      o->owner = NULL;
      if (!pending && o->state == OV_PENDING)
        o->state = 0;
    }
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

/* ---- The checks on a returned socket ---- */

static void check_socket(int sl, const char *call, SOCKET s, DWORD entry,
                         int ifs) {
  char who[80];
  entry_name(who, sizeof who, sl, entry);
  DWORD dispatch = 0;
  wpu_socket_kind kind = wpu_socket_query(s, &dispatch);
  if (kind == WPU_SOCKET_NONE) {
    fws2__violation(FWS2_RULE_FOREIGN_HANDLE, who, s, call,
                    "returned a handle that is no socket of the world (not "
                    "made by WPUCreateSocketHandle nor an IFS handle)");
    return;
  }
  if (entry != 0 && dispatch != entry)
    fws2__violation(FWS2_RULE_FOREIGN_HANDLE, who, s, call,
                    "returned a %s handle that dispatches to catalog entry "
                    "%lu, not to the provider's entry %lu (%s)",
                    kind == WPU_SOCKET_IFS ? "IFS" : "WPUCreateSocketHandle",
                    (unsigned long)dispatch, (unsigned long)entry,
                    kind == WPU_SOCKET_IFS
                        ? "WPUModifyIFSHandle not called for it"
                        : "made for another entry");
  if (ifs >= 0 && ifs != (kind == WPU_SOCKET_IFS))
    fws2__violation(FWS2_RULE_IFS, who, s, call,
                    ifs ? "the catalog entry sets XP1_IFS_HANDLES but the "
                          "socket came from WPUCreateSocketHandle"
                        : "the catalog entry does not set XP1_IFS_HANDLES "
                          "but the socket is an IFS handle");
  fws2__lock();
  fws2_state *st = fws2__state(0);
  if (st != NULL)
    sock_add(st, sl, s, entry);
  fws2__unlock();
}

/* Whether entry sets XP1_IFS_HANDLES for slot sl: -1 when unknown. */
static int entry_ifs(const LPWSAPROTOCOL_INFOW info) {
  return info == NULL ? -1 : (info->dwServiceFlags1 & XP1_IFS_HANDLES) != 0;
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
  if (s != INVALID_SOCKET &&
      fws2__checking(FWS2_RULE_FOREIGN_HANDLE) + fws2__checking(FWS2_RULE_IFS) >
          0)
    check_socket(sl, "WSPSocket", s, p.c.catalog_id, entry_ifs(info));
  end(&p, (intptr_t)s, s == INVALID_SOCKET);
  return s;
}

/* The entry and IFS expectation of sockets accepted on listener s. */
static void listener_entry(int sl, SOCKET s, DWORD *entry, int *ifs) {
  *entry = 0;
  *ifs = -1;
  fws2__lock();
  fws2_state *st = fws2__state(0);
  fws2_sock_rec *r = st != NULL ? sock_find(st, sl, s) : NULL;
  if (r != NULL && r->entry != 0) {
    *entry = r->entry;
    WSAPROTOCOL_INFOW info;
    (void)info;
  }
  fws2__unlock();
  /* The IFS expectation follows the listener's own kind. */
  if (*entry != 0)
    *ifs = wpu_socket_query(s, NULL) == WPU_SOCKET_IFS;
}

static SOCKET th_accept(int sl, SOCKET s, struct sockaddr *addr, LPINT len,
                        LPCONDITIONPROC cond, DWORD_PTR data, LPINT lpErrno) {
  pcall p;
  int f = begin(&p, sl, "WSPAccept", s, NULL, NULL, lpErrno);
  SOCKET a = f ? (faulted(&p, f), INVALID_SOCKET)
               : R->lpWSPAccept(s, addr, len, cond, data, &p.err);
  if (a != INVALID_SOCKET) {
    DWORD entry;
    int ifs;
    listener_entry(sl, s, &entry, &ifs);
    check_socket(sl, "WSPAccept", a, entry, ifs);
  }
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
  if (a != INVALID_SOCKET && a != s) {
    DWORD entry;
    int ifs;
    listener_entry(sl, s, &entry, &ifs);
    check_socket(sl, "WSPJoinLeaf", a, entry, ifs);
  }
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
      sock_remove(st, sl, s);
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
  if (!slots[from].has_table || memcmp(&slots[from].real, t, sizeof *t) == 0) {
    slots[from].real = *t;
    slots[from].has_table = 1;
    return from;
  }
  for (int i = 0; i < nslots; i++)
    if (slots[i].has_table && memcmp(&slots[i].real, t, sizeof *t) == 0 &&
        strcmp(slots[i].name, slots[from].name) == 0)
      return i;
  if (nslots == NSLOTS)
    return -1;
  int i = nslots++;
  memcpy(slots[i].name, slots[from].name, sizeof slots[i].name);
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
      fws2__violation(FWS2_RULE_PROC_TABLE,
                      entry_name(who, sizeof who, sl, c.catalog_id), 0,
                      "WSPStartup",
                      "returned success with NULL entries in its proc table");
    } else {
      fws2__lock();
      int t = table_slot(sl, procs);
      if (t >= 0 && c.caller != NULL)
        snprintf(slots[t].loader, sizeof slots[t].loader, "%s", c.caller);
      fws2_state *st = fws2__state(0);
      if (t >= 0 && st != NULL) {
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

LPWSPSTARTUP fws2__interpose(LPWSPSTARTUP startup, const WCHAR *path) {
  static int warned;
  fws2__lock();
  int found = -1;
  for (int i = 0; i < nslots; i++)
    if (slots[i].startup == startup)
      found = i;
  if (found < 0 && nslots < NSLOTS) {
    found = nslots++;
    slots[found].startup = startup;
    fws2__wname(slots[found].name, sizeof slots[found].name, path);
  }
  int warn = found < 0 && !warned;
  warned |= warn;
  fws2__unlock();
  if (warn)
    fprintf(stderr,
            "fws2: more than %d providers: the others are not "
            "interposed (trace, faults and checker do not see them)\n",
            NSLOTS);
  return found < 0 ? startup : thunk_startups[found];
}
