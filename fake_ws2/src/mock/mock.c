/* mock.c: the mock next layer's state and machinery: installation, the
 * per-world state (mock sockets, pending requests, script counts, result
 * storage), taking a call's script and checking its parameters through
 * CMocka, overlapped completion as the kernel does it for a base
 * provider, and network events. The entry points are in mock_wsp.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wpu/modules.h>
#include <wpu/sockets.h>
#include <wpu/world.h>

#include "mock_internal.h"

const GUID fws2_mock_provider_id = {
    0x3c0c4b5e,
    0x9d1a,
    0x4e57,
    {0xa8, 0x1b, 0x6d, 0x0f, 0x2a, 0x5c, 0x11, 0x7e}};

const WCHAR fws2_mock_path[] = L"%SystemRoot%\\system32\\fws2_mock.dll";

WSPUPCALLTABLE mk_up;
volatile LONG mk_startups;

#define MK_STATUS(e) ((e) == 0 ? 0 : (0xC0070000u | ((e)&0xffffu)))

/* ---- Per-world state ---- */

static const char state_key = 0; /* its address names the attachment */

typedef struct mk_block {
  struct mk_block *next;
} mk_block;

static void state_free(void *value) {
  mk_state *st = value;
  while (st->socks != NULL) { /* their handles are the world's */
    mk_sock *k = st->socks;
    st->socks = k->next;
    free(k);
  }
  while (st->ops != NULL) {
    fws2_mock_op *op = st->ops;
    st->ops = op->next;
    free(op);
  }
  while (st->blocks != NULL) {
    mk_block *b = st->blocks;
    st->blocks = b->next;
    free(b);
  }
  DeleteCriticalSection(&st->lock);
  free(st);
}

mk_state *mk_state_get(void) {
  wpu_world *w = wpu_world_current();
  if (w == NULL)
    return NULL;
  mk_state *st = wpu_world_attachment(w, &state_key);
  if (st != NULL)
    return st;
  st = calloc(1, sizeof *st);
  if (st == NULL)
    return NULL;
  InitializeCriticalSection(&st->lock);
  st->last = INVALID_SOCKET;
  if (wpu_world_attach(w, &state_key, st, state_free) != 0) {
    DeleteCriticalSection(&st->lock);
    free(st);
    return wpu_world_attachment(w, &state_key); /* another thread won */
  }
  return st;
}

static void *state_alloc(size_t n) {
  mk_state *st = mk_state_get();
  if (st == NULL)
    return NULL;
  mk_block *b = calloc(1, sizeof(mk_block) + n + 16);
  if (b == NULL)
    return NULL;
  EnterCriticalSection(&st->lock);
  b->next = st->blocks;
  st->blocks = b;
  LeaveCriticalSection(&st->lock);
  return (char *)b + ((sizeof(mk_block) + 15) & ~(size_t)15);
}

/* ---- Installing ---- */

int fws2_mock_install(const fws2_mock_layer *layer, fws2_mock_ids *ids) {
  if (wpu_world_current() == NULL || mk_state_get() == NULL)
    return WSANOTINITIALISED;
  if (layer != NULL &&
      (layer->id == NULL || layer->path == NULL || layer->name == NULL))
    return WSAEINVAL;
  fws2_mock_ids local;
  if (ids == NULL)
    ids = &local;
  memset(ids, 0, sizeof *ids);
  const wpu_export mock_exports[] = {
      {"WSPStartup", (FARPROC)(void (*)(void))fws2_mock_WSPStartup}};
  DWORD rc = wpu_module_register(fws2_mock_path, mock_exports, 1, NULL);
  if (rc != 0 && rc != ERROR_BUSY)
    return WSASYSNOTREADY;
  int err = wpu_catalog_install_standard(&fws2_mock_provider_id, fws2_mock_path,
                                         ids->base);
  if (err != 0 || layer == NULL)
    return err;
  if (layer->startup != NULL) {
    const wpu_export lsp_exports[] = {
        {"WSPStartup", (FARPROC)(void (*)(void))layer->startup}};
    rc = wpu_module_register(layer->path, lsp_exports, 1, NULL);
    if (rc != 0 && rc != ERROR_BUSY)
      return WSASYSNOTREADY;
  }
  return wpu_catalog_install_lsp(layer->id, layer->path, layer->name, ids->base,
                                 WPU_CATALOG_STANDARD_COUNT, layer->ifs,
                                 &ids->dummy, ids->chain);
}

/* ---- Results ---- */

static fws2_mock_result *result_new(fws2_mock_action a, size_t extra) {
  fws2_mock_result *r = state_alloc(sizeof *r + extra);
  if (r != NULL)
    r->action = a;
  return r;
}

const fws2_mock_result *fws2_mock_ok(DWORD bytes) {
  fws2_mock_result *r = result_new(FWS2_MOCK_SUCCEED, 0);
  if (r != NULL)
    r->bytes = bytes;
  return r;
}

const fws2_mock_result *fws2_mock_error(int error) {
  fws2_mock_result *r = result_new(FWS2_MOCK_FAIL, 0);
  if (r != NULL)
    r->error = error;
  return r;
}

const fws2_mock_result *fws2_mock_pend(void) {
  return result_new(FWS2_MOCK_PEND, 0);
}

const fws2_mock_result *fws2_mock_data(const void *data, DWORD len) {
  fws2_mock_result *r = result_new(FWS2_MOCK_SUCCEED, len);
  if (r == NULL)
    return NULL;
  if (len > 0)
    memcpy(r + 1, data, len);
  r->data = r + 1;
  r->len = len;
  r->bytes = FWS2_MOCK_ALL;
  return r;
}

const fws2_mock_result *fws2_mock_addr(const struct sockaddr *addr,
                                       int addrlen) {
  if (addrlen < 0)
    addrlen = 0;
  fws2_mock_result *r = result_new(FWS2_MOCK_SUCCEED, (size_t)addrlen);
  if (r == NULL)
    return NULL;
  memcpy(r + 1, addr, (size_t)addrlen);
  r->addr = (const struct sockaddr *)(r + 1);
  r->addrlen = addrlen;
  r->bytes = FWS2_MOCK_ALL;
  return r;
}

const fws2_mock_result *fws2_mock_ready(const SOCKET *ready, int nready) {
  if (nready < 0)
    nready = 0;
  fws2_mock_result *r =
      result_new(FWS2_MOCK_SUCCEED, (size_t)nready * sizeof(SOCKET));
  if (r == NULL)
    return NULL;
  memcpy(r + 1, ready, (size_t)nready * sizeof(SOCKET));
  r->ready = (const SOCKET *)(r + 1);
  r->nready = nready;
  r->bytes = FWS2_MOCK_ALL;
  return r;
}

const fws2_mock_result *fws2_mock_check(const fws2_mock_result *r,
                                        unsigned mask) {
  if (r == NULL)
    return NULL;
  fws2_mock_result *c = result_new(r->action, 0);
  if (c == NULL)
    return NULL;
  *c = *r; /* the data it points to stays r's (kept as long) */
  c->check = mask;
  return c;
}

/* ---- Scripts and checks ---- */

static const char *const entry_names[] = {
#define MK_NAME_(name) #name,
    FWS2_MOCK_ENTRIES(MK_NAME_)
#undef MK_NAME_
};

static const char *const mock_names[] = {
#define MK_MOCK_NAME_(name) "fws2_mock_" #name,
    FWS2_MOCK_ENTRIES(MK_MOCK_NAME_)
#undef MK_MOCK_NAME_
};

const char *mk_entry_name(fws2_mock_entry e) {
  return (unsigned)e < FWS2_MOCK_ENTRY_COUNT ? entry_names[e] : "?";
}

void fws2__mock_scripted(fws2_mock_entry fn, int n) {
  mk_state *st = mk_state_get();
  if (st == NULL || (unsigned)fn >= FWS2_MOCK_ENTRY_COUNT)
    return;
  EnterCriticalSection(&st->lock);
  if (n < 0 || st->scripted[fn] < 0)
    st->scripted[fn] = -1; /* will_return_always/maybe: from now on */
  else
    st->scripted[fn] += n;
  LeaveCriticalSection(&st->lock);
}

static void describe(const mk_call *c, char *buf, size_t size) {
  snprintf(buf, size,
           "%s(s=0x%llx, len=%lu, flags=0x%lx, code=%ld, overlapped=%s)",
           mk_entry_name(c->entry), (unsigned long long)c->s,
           (unsigned long)c->len, (unsigned long)c->flags, (long)c->code,
           c->overlapped != NULL ? "yes" : "no");
}

const fws2_mock_result *mk_script(const mk_call *c, BOOL has_default) {
  mk_state *st = mk_state_get();
  BOOL queued = FALSE;
  if (st != NULL) {
    EnterCriticalSection(&st->lock);
    if (st->scripted[c->entry] != 0) {
      if (st->scripted[c->entry] > 0)
        st->scripted[c->entry]--;
      queued = TRUE;
    }
    LeaveCriticalSection(&st->lock);
  }
  char what[200];
  if (!queued) {
    if (has_default)
      return NULL;
    describe(c, what, sizeof what);
    print_error("fws2_mock: unexpected call to the next layer: %s; nothing "
                "was scripted for it (fws2_mock_will(%s, ...))\n",
                what, mk_entry_name(c->entry));
    _fail(__FILE__, __LINE__);
    return NULL;
  }
  const char *fn = mock_names[c->entry];
  const fws2_mock_result *r =
      (const fws2_mock_result *)(uintptr_t)_mock(fn, __FILE__, __LINE__);
  if (r == NULL) {
    describe(c, what, sizeof what);
    print_error("fws2_mock: %s got a NULL result (out of memory making it?)\n",
                what);
    _fail(__FILE__, __LINE__);
    return NULL;
  }
  unsigned m = r->check;
  if (m & FWS2_MOCK_CHECK_SOCKET)
    _check_expected(fn, "s", __FILE__, __LINE__,
                    cast_to_largest_integral_type(c->s));
  if (m & FWS2_MOCK_CHECK_DATA)
    _check_expected(fn, "data", __FILE__, __LINE__,
                    cast_ptr_to_largest_integral_type(c->data));
  if (m & FWS2_MOCK_CHECK_LEN)
    _check_expected(fn, "len", __FILE__, __LINE__,
                    cast_to_largest_integral_type(c->len));
  if (m & FWS2_MOCK_CHECK_FLAGS)
    _check_expected(fn, "flags", __FILE__, __LINE__,
                    cast_to_largest_integral_type(c->flags));
  if (m & FWS2_MOCK_CHECK_ADDR)
    _check_expected(fn, "addr", __FILE__, __LINE__,
                    cast_ptr_to_largest_integral_type(c->addr));
  if (m & FWS2_MOCK_CHECK_CODE)
    _check_expected(fn, "code", __FILE__, __LINE__,
                    cast_to_largest_integral_type(c->code));
  if (m & FWS2_MOCK_CHECK_OVERLAPPED)
    _check_expected(fn, "overlapped", __FILE__, __LINE__,
                    cast_ptr_to_largest_integral_type(c->overlapped));
  return r;
}

/* ---- Sockets ---- */

static mk_sock *sock_find(mk_state *st, SOCKET s) {
  for (mk_sock *k = st->socks; k != NULL; k = k->next)
    if (k->h == s)
      return k;
  return NULL;
}

SOCKET mk_socket_new(const WSAPROTOCOL_INFOW *info, LPINT err) {
  mk_state *st = mk_state_get();
  if (st == NULL) {
    *err = WSANOTINITIALISED;
    return INVALID_SOCKET;
  }
  mk_sock *k = calloc(1, sizeof *k);
  if (k == NULL) {
    *err = WSAENOBUFS;
    return INVALID_SOCKET;
  }
  if (info != NULL)
    k->info = *info;
  k->catalog_id = k->info.dwCatalogEntryId;
  SOCKET h = wpu_ifs_handle_create((DWORD_PTR)k, err);
  if (h == INVALID_SOCKET) {
    free(k);
    return INVALID_SOCKET;
  }
  if (mk_up.lpWPUModifyIFSHandle(k->catalog_id, h, err) != h) {
    int e;
    wpu_ifs_handle_close(h, &e);
    free(k);
    return INVALID_SOCKET;
  }
  k->h = h;
  EnterCriticalSection(&st->lock);
  k->next = st->socks;
  st->socks = k;
  st->nsocks++;
  st->last = h;
  LeaveCriticalSection(&st->lock);
  return h;
}

BOOL mk_socket_find(SOCKET s, WSAPROTOCOL_INFOW *info) {
  mk_state *st = mk_state_get();
  if (st == NULL)
    return FALSE;
  EnterCriticalSection(&st->lock);
  mk_sock *k = sock_find(st, s);
  if (k != NULL && info != NULL)
    *info = k->info;
  LeaveCriticalSection(&st->lock);
  return k != NULL;
}

/* Takes socket s (NULL: every socket) and its pending requests out of the
 * state; the caller aborts them and closes the handles. */
static void close_some(mk_state *st, const SOCKET *only) {
  mk_sock *gone = NULL;
  fws2_mock_op *ops = NULL, **tail = &ops;
  EnterCriticalSection(&st->lock);
  for (mk_sock **pk = &st->socks; *pk != NULL;) {
    mk_sock *k = *pk;
    if (only != NULL && k->h != *only) {
      pk = &k->next;
      continue;
    }
    *pk = k->next;
    k->next = gone;
    gone = k;
    st->nsocks--;
  }
  for (fws2_mock_op **po = &st->ops; *po != NULL;) {
    fws2_mock_op *op = *po;
    BOOL mine = FALSE;
    for (mk_sock *k = gone; k != NULL && !mine; k = k->next)
      mine = k->h == op->s;
    if (!mine) {
      po = &op->next;
      continue;
    }
    *po = op->next;
    op->next = NULL;
    *tail = op;
    tail = &op->next;
  }
  LeaveCriticalSection(&st->lock);
  /* Abort first: the completion needs the live handle for its port. */
  while (ops != NULL) {
    fws2_mock_op *op = ops;
    ops = op->next;
    mk_ov_notify(op->s, op->ov, op->routine, &op->thread, WSA_OPERATION_ABORTED,
                 0, 0);
    free(op);
  }
  while (gone != NULL) {
    mk_sock *k = gone;
    gone = k->next;
    int e;
    wpu_ifs_handle_close(k->h, &e);
    free(k);
  }
}

int mk_socket_close(SOCKET s) {
  mk_state *st = mk_state_get();
  if (st == NULL || !mk_socket_find(s, NULL))
    return WSAENOTSOCK;
  close_some(st, &s);
  return 0;
}

void mk_socket_close_all(void) {
  mk_state *st = mk_state_get();
  if (st != NULL)
    close_some(st, NULL);
}

SOCKET fws2_mock_last_socket(void) {
  mk_state *st = mk_state_get();
  if (st == NULL)
    return INVALID_SOCKET;
  EnterCriticalSection(&st->lock);
  SOCKET s = st->last;
  LeaveCriticalSection(&st->lock);
  return s;
}

int fws2_mock_socket_count(void) {
  mk_state *st = mk_state_get();
  if (st == NULL)
    return 0;
  EnterCriticalSection(&st->lock);
  int n = st->nsocks;
  LeaveCriticalSection(&st->lock);
  return n;
}

/* ---- Overlapped requests ---- */

int mk_ov_begin(LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                LPWSATHREADID thread) {
  if (routine != NULL && thread == NULL)
    return WSAEFAULT;
  ov->InternalHigh = 0;
  InterlockedExchangePointer((void *volatile *)&ov->Internal,
                             (void *)(ULONG_PTR)WSS_OPERATION_IN_PROGRESS);
  if (routine == NULL && ov->hEvent != NULL)
    ResetEvent((HANDLE)((ULONG_PTR)ov->hEvent & ~(ULONG_PTR)1));
  return 0;
}

int mk_ov_pend(fws2_mock_entry e, SOCKET s, LPWSAOVERLAPPED ov,
               LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID thread,
               BOOL receive, const WSABUF *bufs, DWORD nbufs) {
  mk_state *st = mk_state_get();
  if (st == NULL)
    return WSANOTINITIALISED;
  if (bufs == NULL)
    nbufs = 0;
  fws2_mock_op *op = calloc(1, sizeof *op + (size_t)nbufs * sizeof(WSABUF));
  if (op == NULL)
    return WSAENOBUFS;
  op->entry = e;
  op->s = s;
  op->ov = ov;
  op->routine = routine;
  if (routine != NULL)
    op->thread = *thread;
  op->receive = receive;
  op->nbufs = nbufs;
  if (nbufs > 0)
    memcpy(op->bufs, bufs, (size_t)nbufs * sizeof(WSABUF));
  EnterCriticalSection(&st->lock);
  fws2_mock_op **tail = &st->ops;
  while (*tail != NULL)
    tail = &(*tail)->next;
  *tail = op;
  LeaveCriticalSection(&st->lock);
  return 0;
}

typedef struct mk_apc {
  LPWSAOVERLAPPED_COMPLETION_ROUTINE routine;
  LPWSAOVERLAPPED ov;
  DWORD err, bytes, flags;
} mk_apc;

static void CALLBACK apc_run(DWORD_PTR context) {
  mk_apc *a = (mk_apc *)context;
  a->routine(a->err, a->bytes, a->ov, a->flags);
  free(a);
}

void mk_ov_notify(SOCKET s, LPWSAOVERLAPPED ov,
                  LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                  const WSATHREADID *thread, DWORD err, DWORD bytes,
                  DWORD flags) {
  ov->Offset = flags;
  if (routine == NULL) {
    int e;
    wpu_ifs_complete_overlapped(s, ov, err, bytes, &e);
    return;
  }
  ov->InternalHigh = bytes;
  ov->OffsetHigh = err;
  InterlockedExchangePointer((void *volatile *)&ov->Internal,
                             (void *)(ULONG_PTR)MK_STATUS(err));
  mk_apc *a = malloc(sizeof *a);
  if (a == NULL)
    return;
  a->routine = routine;
  a->ov = ov;
  a->err = err;
  a->bytes = bytes;
  a->flags = flags;
  WSATHREADID t = *thread;
  int e;
  if (mk_up.lpWPUQueueApc(&t, apc_run, (DWORD_PTR)a, &e) != 0)
    free(a); /* the thread is gone */
}

fws2_mock_op *fws2_mock_next_pending(void) {
  mk_state *st = mk_state_get();
  if (st == NULL)
    return NULL;
  EnterCriticalSection(&st->lock);
  fws2_mock_op *op = st->ops;
  LeaveCriticalSection(&st->lock);
  return op;
}

int fws2_mock_pending_count(void) {
  mk_state *st = mk_state_get();
  if (st == NULL)
    return 0;
  int n = 0;
  EnterCriticalSection(&st->lock);
  for (fws2_mock_op *op = st->ops; op != NULL; op = op->next)
    n++;
  LeaveCriticalSection(&st->lock);
  return n;
}

fws2_mock_entry fws2_mock_op_entry(const fws2_mock_op *op) {
  return op->entry;
}

SOCKET fws2_mock_op_socket(const fws2_mock_op *op) {
  return op->s;
}

int fws2_mock_complete(fws2_mock_op *op, int error, const void *data,
                       DWORD bytes, DWORD flags) {
  mk_state *st = mk_state_get();
  if (st == NULL || op == NULL)
    return WSAEINVAL;
  BOOL found = FALSE;
  EnterCriticalSection(&st->lock);
  for (fws2_mock_op **po = &st->ops; *po != NULL; po = &(*po)->next)
    if (*po == op) {
      *po = op->next;
      found = TRUE;
      break;
    }
  LeaveCriticalSection(&st->lock);
  if (!found)
    return WSAEINVAL;
  if (op->receive && data != NULL) {
    DWORD done = 0;
    for (DWORD i = 0; i < op->nbufs && done < bytes; i++) {
      DWORD n = op->bufs[i].len < bytes - done ? op->bufs[i].len : bytes - done;
      memcpy(op->bufs[i].buf, (const char *)data + done, n);
      done += n;
    }
    bytes = done;
  }
  mk_ov_notify(op->s, op->ov, op->routine, &op->thread, (DWORD)error, bytes,
               flags);
  free(op);
  return 0;
}

/* ---- Network events ---- */

static int event_bit(LONG event) {
  for (int i = 0; i < FD_MAX_EVENTS; i++)
    if (event == (1L << i))
      return i;
  return -1;
}

int mk_select_event(SOCKET s, WSAEVENT ev, HWND hwnd, UINT msg, LONG mask) {
  mk_state *st = mk_state_get();
  if (st == NULL)
    return WSAENOTSOCK;
  EnterCriticalSection(&st->lock);
  mk_sock *k = sock_find(st, s);
  if (k != NULL) {
    k->ev = ev;
    k->hwnd = hwnd;
    k->msg = msg;
    k->mask = mask;
  }
  LeaveCriticalSection(&st->lock);
  return k != NULL ? 0 : WSAENOTSOCK;
}

int mk_enum_events(SOCKET s, WSAEVENT ev, LPWSANETWORKEVENTS out) {
  mk_state *st = mk_state_get();
  if (st == NULL)
    return WSAENOTSOCK;
  if (out == NULL)
    return WSAEFAULT;
  EnterCriticalSection(&st->lock);
  mk_sock *k = sock_find(st, s);
  if (k != NULL) {
    out->lNetworkEvents = k->events;
    memcpy(out->iErrorCode, k->errors, sizeof k->errors);
    k->events = 0;
    memset(k->errors, 0, sizeof k->errors);
  }
  LeaveCriticalSection(&st->lock);
  if (k == NULL)
    return WSAENOTSOCK;
  if (ev != NULL)
    ResetEvent(ev);
  return 0;
}

int fws2_mock_raise(SOCKET s, LONG event, int error) {
  mk_state *st = mk_state_get();
  int bit = event_bit(event);
  if (st == NULL || bit < 0)
    return st == NULL ? WSAENOTSOCK : WSAEINVAL;
  WSAEVENT ev = NULL;
  HWND hwnd = NULL;
  UINT msg = 0;
  EnterCriticalSection(&st->lock);
  mk_sock *k = sock_find(st, s);
  if (k != NULL && (k->mask & event)) {
    k->events |= event;
    k->errors[bit] = error;
    ev = k->ev;
    hwnd = k->hwnd;
    msg = k->msg;
  }
  LeaveCriticalSection(&st->lock);
  if (k == NULL)
    return WSAENOTSOCK;
  int e;
  if (ev != NULL)
    mk_up.lpWPUSetEvent(ev, &e);
  if (hwnd != NULL)
    mk_up.lpWPUPostMessage(hwnd, msg, (WPARAM)s,
                           (LPARAM)WSAMAKESELECTREPLY(event, error));
  return 0;
}
