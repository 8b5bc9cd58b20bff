/* wsp_common.c: the mechanism fake_ws2's base providers share: the socket
 * table, overlapped notification, operation queues and WSABUF copies,
 * waiters, network events and WSPAsyncSelect messages, WSPSelect and
 * WSPGetOverlappedResult (addresses: wsp_addr.c). wsp_common.h documents each
 * part; memnet and uvnet are built on it.
 *
 * Not supported: see wsp_common.h.
 */
#include <stdlib.h>
#include <string.h>

#include <wpu/sockets.h>

#include "wsp_common.h"

/* ---- The socket table ---- */

DWORD wsp_table_add(wsp_table *t, void *rec) {
  if (t->nfree == 0) {
    DWORD n = t->nslots == 0 ? 16 : t->nslots * 2;
    void **slots = realloc(t->slots, n * sizeof *slots);
    if (slots == NULL)
      return 0;
    t->slots = slots;
    DWORD *free_slots = realloc(t->free_slots, n * sizeof *free_slots);
    if (free_slots == NULL)
      return 0;
    t->free_slots = free_slots;
    DWORD first = t->nslots == 0 ? 1 : t->nslots;
    for (DWORD i = n; i > first; i--) {
      t->slots[i - 1] = NULL;
      t->free_slots[t->nfree++] = i - 1;
    }
    if (t->nslots == 0)
      t->slots[0] = NULL;
    t->nslots = n;
  }
  DWORD i = t->free_slots[--t->nfree];
  t->slots[i] = rec;
  return i;
}

void wsp_table_remove(wsp_table *t, DWORD i) {
  t->slots[i] = NULL;
  t->free_slots[t->nfree++] = i;
}

void *wsp_table_find(const wsp_table *t, SOCKET h) {
  DWORD_PTR ctx = 0;
  int e;
  if (h == INVALID_SOCKET || wpu_ifs_handle_context(h, &ctx, &e) != 0)
    return NULL;
  if (ctx == 0 || ctx >= t->nslots)
    return NULL;
  return t->slots[ctx];
}

void wsp_table_free(wsp_table *t) {
  free(t->slots);
  free(t->free_slots);
  memset(t, 0, sizeof *t);
}

SOCKET wsp_handle_create(const WSPUPCALLTABLE *up, DWORD catalog_id, DWORD slot,
                         int *err) {
  SOCKET h = wpu_ifs_handle_create(slot, err);
  if (h == INVALID_SOCKET)
    return INVALID_SOCKET;
  /* Announced under the caller's catalog entry, as MSAFD does; the handle
   * that comes back is the socket's. */
  SOCKET r = up->lpWPUModifyIFSHandle(catalog_id, h, err);
  if (r == INVALID_SOCKET) {
    int ignored;
    wpu_ifs_handle_close(h, &ignored);
  }
  return r;
}

int wsp_socket_args(int *af, int *type, int *protocol,
                    const WSAPROTOCOL_INFOW *info, GROUP g, DWORD flags) {
  if (info == NULL)
    return WSAEINVAL;
  if (*af == FROM_PROTOCOL_INFO || *af == 0)
    *af = info->iAddressFamily;
  if (*type == FROM_PROTOCOL_INFO || *type == 0)
    *type = info->iSocketType;
  if (*protocol == FROM_PROTOCOL_INFO)
    *protocol = info->iProtocol;
  if (*af != AF_INET && *af != AF_INET6)
    return WSAEAFNOSUPPORT;
  if (*type != SOCK_STREAM && *type != SOCK_DGRAM)
    return WSAESOCKTNOSUPPORT;
  int proto = *type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
  if (*protocol == 0)
    *protocol = proto;
  if (*protocol != proto)
    return WSAEPROTONOSUPPORT;
  if (g != 0 ||
      (flags & (WSA_FLAG_MULTIPOINT_C_ROOT | WSA_FLAG_MULTIPOINT_C_LEAF |
                WSA_FLAG_MULTIPOINT_D_ROOT | WSA_FLAG_MULTIPOINT_D_LEAF)))
    return WSAEINVAL;
  return 0;
}

/* ---- Startup and the catalog entry ---- */

void wsp_copy_wide(WCHAR *dst, size_t cap, const WCHAR *src) {
  size_t i = 0;
  for (; i + 1 < cap && src[i] != 0; i++)
    dst[i] = src[i];
  dst[i] = 0;
}

int wsp_startup_check(WORD version, LPWSPDATA data, LPWSAPROTOCOL_INFOW info,
                      LPWSPPROC_TABLE procs) {
  if (LOBYTE(version) < 2)
    return WSAVERNOTSUPPORTED;
  if (data == NULL || info == NULL || procs == NULL)
    return WSAEFAULT;
  return 0;
}

void wsp_startup_data(LPWSPDATA data, const WCHAR *description) {
  data->wVersion = MAKEWORD(2, 2);
  data->wHighVersion = MAKEWORD(2, 2);
  wsp_copy_wide(data->szDescription, sizeof data->szDescription / sizeof(WCHAR),
                description);
}

void wsp_guard_enter(volatile LONG *guard) {
  while (InterlockedCompareExchange(guard, 1, 0) != 0)
    Sleep(0);
}

void wsp_guard_leave(volatile LONG *guard) {
  InterlockedExchange(guard, 0);
}

int wsp_protocol_info(int af, int type, const GUID *provider, const WCHAR *name,
                      LPWSAPROTOCOL_INFOW info) {
  if ((af != AF_INET && af != AF_INET6) ||
      (type != SOCK_STREAM && type != SOCK_DGRAM) || info == NULL)
    return WSAEINVAL;
  BOOL stream = type == SOCK_STREAM;
  memset(info, 0, sizeof *info);
  info->dwServiceFlags1 =
      XP1_IFS_HANDLES | (stream ? XP1_GUARANTEED_DELIVERY |
                                      XP1_GUARANTEED_ORDER | XP1_GRACEFUL_CLOSE
                                : XP1_CONNECTIONLESS | XP1_MESSAGE_ORIENTED);
  info->dwProviderFlags = PFL_MATCHES_PROTOCOL_ZERO;
  info->ProviderId = *provider;
  info->ProtocolChain.ChainLen = BASE_PROTOCOL;
  info->iVersion = 2;
  info->iAddressFamily = af;
  info->iMaxSockAddr = wsp_addr_len(af);
  info->iMinSockAddr = wsp_addr_len(af);
  info->iSocketType = type;
  info->iProtocol = stream ? IPPROTO_TCP : IPPROTO_UDP;
  info->iNetworkByteOrder = BIGENDIAN;
  info->iSecurityScheme = SECURITY_PROTOCOL_NONE;
  info->dwMessageSize = stream ? 0 : WSP_DGRAM_MAX;
  /* "<name> TCP/IPv4" and so on. */
  const WCHAR *kind = af == AF_INET ? (stream ? L" TCP/IPv4" : L" UDP/IPv4")
                                    : (stream ? L" TCP/IPv6" : L" UDP/IPv6");
  size_t cap = WSAPROTOCOL_LEN + 1, n = 0;
  for (; n + 1 < cap && name[n] != 0; n++)
    info->szProtocol[n] = name[n];
  wsp_copy_wide(info->szProtocol + n, cap - n, kind);
  return 0;
}

/* ---- Overlapped notification ---- */

typedef struct wsp_apc {
  LPWSAOVERLAPPED_COMPLETION_ROUTINE routine;
  LPWSAOVERLAPPED ov;
  DWORD err, bytes, flags;
} wsp_apc;

static void CALLBACK apc_run(DWORD_PTR context) {
  wsp_apc *a = (wsp_apc *)context;
  a->routine(a->err, a->bytes, a->ov, a->flags);
  free(a);
}

int wsp_notify_init(wsp_notify *n, SOCKET h, LPWSAOVERLAPPED ov,
                    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                    LPWSATHREADID thread) {
  if (routine != NULL && thread == NULL)
    return WSAEFAULT;
  memset(n, 0, sizeof *n);
  n->handle = h;
  n->ov = ov;
  n->routine = routine;
  if (routine != NULL)
    n->thread = *thread;
  return 0;
}

void wsp_notify_start(const wsp_notify *n) {
  LPWSAOVERLAPPED ov = n->ov;
  /* Accepted: in progress, and the event (not the application's own when
   * a routine is given) non-signaled. */
  ov->InternalHigh = 0;
  InterlockedExchangePointer((void *volatile *)&ov->Internal,
                             (void *)(ULONG_PTR)WSS_OPERATION_IN_PROGRESS);
  if (n->routine == NULL && ov->hEvent != NULL)
    ResetEvent((HANDLE)((ULONG_PTR)ov->hEvent & ~(ULONG_PTR)1));
}

void wsp_notify_complete(const WSPUPCALLTABLE *up, const wsp_notify *n,
                         DWORD err, DWORD bytes, DWORD flags) {
  LPWSAOVERLAPPED ov = n->ov;
  ov->Offset = flags;
  if (n->routine == NULL) {
    int e;
    wpu_ifs_complete_overlapped(n->handle, ov, err, bytes, &e);
    return;
  }
  /* The results first, then the APC that calls the routine. */
  ov->InternalHigh = bytes;
  ov->OffsetHigh = err;
  InterlockedExchangePointer((void *volatile *)&ov->Internal,
                             (void *)(ULONG_PTR)WSP_STATUS(err));
  wsp_apc *a = malloc(sizeof *a);
  if (a == NULL)
    return;
  a->routine = n->routine;
  a->ov = ov;
  a->err = err;
  a->bytes = bytes;
  a->flags = flags;
  WSATHREADID thread = n->thread;
  int e;
  if (up->lpWPUQueueApc(&thread, apc_run, (DWORD_PTR)a, &e) != 0)
    free(a); /* the thread is gone */
}

/* ---- Pending operations and buffers ---- */

wsp_op *wsp_op_new(const wsp_notify *n, const WSABUF *bufs, DWORD nbufs) {
  wsp_op *op = malloc(sizeof *op + (size_t)nbufs * sizeof(WSABUF));
  if (op == NULL)
    return NULL;
  memset(op, 0, sizeof *op);
  op->note = *n;
  op->nbufs = nbufs;
  for (DWORD i = 0; i < nbufs; i++) {
    op->bufs[i] = bufs[i];
    op->total += bufs[i].len;
  }
  return op;
}

void wsp_opq_push(wsp_opq *q, wsp_op *op) {
  op->next = NULL;
  if (q->tail != NULL)
    q->tail->next = op;
  else
    q->head = op;
  q->tail = op;
}

void wsp_opq_push_front(wsp_opq *q, wsp_op *op) {
  op->next = q->head;
  q->head = op;
  if (q->tail == NULL)
    q->tail = op;
}

wsp_op *wsp_opq_pop(wsp_opq *q) {
  wsp_op *op = q->head;
  if (op != NULL) {
    q->head = op->next;
    if (q->head == NULL)
      q->tail = NULL;
  }
  return op;
}

void wsp_opq_abort(const WSPUPCALLTABLE *up, wsp_opq *q, DWORD err) {
  wsp_op *op;
  while ((op = wsp_opq_pop(q)) != NULL) {
    wsp_notify_complete(up, &op->note, err, op->done, 0);
    free(op);
  }
}

DWORD wsp_bufs_total(const WSABUF *bufs, DWORD n, int *err) {
  DWORD total = 0;
  if (n > 0 && bufs == NULL) {
    *err = WSAEFAULT;
    return 0;
  }
  for (DWORD i = 0; i < n; i++) {
    if (bufs[i].len > 0 && bufs[i].buf == NULL) {
      *err = WSAEFAULT;
      return 0;
    }
    total += bufs[i].len;
  }
  *err = 0;
  return total;
}

DWORD wsp_bufs_put(const WSABUF *bufs, DWORD n, DWORD at, const char *data,
                   DWORD len) {
  DWORD done = 0;
  for (DWORD i = 0; i < n && done < len; i++) {
    if (at >= bufs[i].len) {
      at -= bufs[i].len;
      continue;
    }
    DWORD k = bufs[i].len - at;
    if (k > len - done)
      k = len - done;
    memcpy(bufs[i].buf + at, data + done, k);
    done += k;
    at = 0;
  }
  return done;
}

DWORD wsp_bufs_get(const WSABUF *bufs, DWORD n, DWORD at, char *data,
                   DWORD len) {
  DWORD done = 0;
  for (DWORD i = 0; i < n && done < len; i++) {
    if (at >= bufs[i].len) {
      at -= bufs[i].len;
      continue;
    }
    DWORD k = bufs[i].len - at;
    if (k > len - done)
      k = len - done;
    memcpy(data + done, bufs[i].buf + at, k);
    done += k;
    at = 0;
  }
  return done;
}

static ULONG_PTR status_of(LPWSAOVERLAPPED ov) {
  return (ULONG_PTR)InterlockedCompareExchangePointer(
      (void *volatile *)&ov->Internal, NULL, NULL);
}

BOOL wsp_overlapped_result(LPWSAOVERLAPPED ov, LPDWORD bytes, BOOL wait,
                           LPDWORD flags, LPINT err) {
  if (ov == NULL || bytes == NULL || flags == NULL) {
    *err = WSAEFAULT;
    return FALSE;
  }
  if (status_of(ov) == WSS_OPERATION_IN_PROGRESS) {
    if (!wait) {
      *err = WSA_IO_INCOMPLETE;
      return FALSE;
    }
    HANDLE ev = (HANDLE)((ULONG_PTR)ov->hEvent & ~(ULONG_PTR)1);
    if (ev == NULL || WaitForSingleObject(ev, INFINITE) != WAIT_OBJECT_0) {
      *err = WSA_INVALID_HANDLE;
      return FALSE;
    }
    if (status_of(ov) == WSS_OPERATION_IN_PROGRESS) {
      *err = WSA_IO_INCOMPLETE; /* the event was set by someone else */
      return FALSE;
    }
  }
  if (ov->OffsetHigh != 0) {
    *err = (int)ov->OffsetHigh;
    return FALSE;
  }
  *bytes = (DWORD)ov->InternalHigh;
  *flags = ov->Offset;
  return TRUE;
}

/* ---- Waiters ---- */

int wsp_waitq_init(wsp_waitq *q) {
  memset(q, 0, sizeof *q);
  q->own = CreateEventW(NULL, TRUE, FALSE, NULL);
  return q->own == NULL ? WSAENOBUFS : 0;
}

void wsp_waitq_free(wsp_waitq *q) {
  if (q->own != NULL)
    CloseHandle(q->own);
  q->own = NULL;
}

void wsp_waitq_link(wsp_waitq *q, wsp_waiter *w) {
  w->prev = NULL;
  w->next = q->head;
  if (q->head != NULL)
    q->head->prev = w;
  q->head = w;
  w->linked = TRUE;
}

void wsp_waitq_unlink(wsp_waitq *q, wsp_waiter *w) {
  if (!w->linked)
    return;
  if (w->prev != NULL)
    w->prev->next = w->next;
  else
    q->head = w->next;
  if (w->next != NULL)
    w->next->prev = w->prev;
  w->linked = FALSE;
}

void wsp_waitq_wake(wsp_waitq *q) {
  wsp_waiter *w = q->head;
  q->head = NULL;
  while (w != NULL) {
    wsp_waiter *next = w->next;
    w->linked = FALSE;
    SetEvent(w->event);
    w = next;
  }
}

HANDLE wsp_waitq_wake_deferred(wsp_waitq *q) {
  HANDLE own = NULL;
  wsp_waiter *w = q->head;
  q->head = NULL;
  while (w != NULL) {
    wsp_waiter *next = w->next;
    w->linked = FALSE;
    if (w->event == q->own)
      own = q->own;
    else
      SetEvent(w->event); /* its event may end with its wait */
    w = next;
  }
  return own;
}

int wsp_waitq_wait(wsp_waitq *q, CRITICAL_SECTION *lock, DWORD timeout) {
  wsp_waiter w;
  BOOL own = !q->own_busy;
  if (own) {
    q->own_busy = TRUE;
    w.event = q->own;
    ResetEvent(w.event);
  } else if ((w.event = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL) {
    return WSAENOBUFS;
  }
  wsp_waitq_link(q, &w);
  LeaveCriticalSection(lock);
  DWORD r = WaitForSingleObject(w.event, timeout != 0 ? timeout : INFINITE);
  EnterCriticalSection(lock);
  wsp_waitq_unlink(q, &w);
  if (own)
    q->own_busy = FALSE;
  else
    CloseHandle(w.event);
  return r == WAIT_TIMEOUT ? WSAETIMEDOUT : 0;
}

/* ---- Network events ---- */

static const struct {
  LONG event;
  int bit;
} events[] = {
    {FD_READ, FD_READ_BIT},     {FD_WRITE, FD_WRITE_BIT},
    {FD_ACCEPT, FD_ACCEPT_BIT}, {FD_CONNECT, FD_CONNECT_BIT},
    {FD_CLOSE, FD_CLOSE_BIT},
};

static BOOL event_due(wsp_events *e, LONG ev, wsp_due_fn due, void *sock,
                      int *err) {
  *err = 0;
  switch (ev) {
  case FD_CONNECT:
    *err = e->connect_error;
    return e->connect_due;
  case FD_WRITE:
    return e->write_wanted && due(sock, ev, err);
  case FD_CLOSE:
    return !e->close_done && due(sock, ev, err);
  default:
    return due(sock, ev, err);
  }
}

void wsp_events_poll(const WSPUPCALLTABLE *up, wsp_events *e, SOCKET h,
                     wsp_due_fn due, void *sock) {
  if (e->mask == 0 || h == INVALID_SOCKET)
    return;
  BOOL signal = FALSE;
  for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
    LONG ev = events[i].event;
    int err;
    if (!(e->mask & ev) || (e->disabled & ev) ||
        !event_due(e, ev, due, sock, &err))
      continue;
    e->disabled |= ev;
    if (ev == FD_WRITE)
      e->write_wanted = FALSE;
    else if (ev == FD_CONNECT)
      e->connect_due = FALSE;
    else if (ev == FD_CLOSE)
      e->close_done = TRUE;
    if (e->hwnd != NULL) {
      up->lpWPUPostMessage(e->hwnd, e->msg, (WPARAM)h,
                           (LPARAM)WSAMAKESELECTREPLY(ev, err));
    } else {
      e->recorded |= ev;
      e->errors[events[i].bit] = err;
      signal = TRUE;
    }
  }
  if (signal && e->event != NULL)
    SetEvent(e->event);
}

void wsp_events_reenable(wsp_events *e, LONG ev) {
  e->disabled &= ~ev;
}

void wsp_events_connected(wsp_events *e, int err) {
  e->connect_due = TRUE;
  e->connect_error = err;
}

/* A new registration: a clean record (the caller polls for what holds). */
static void registered(wsp_events *e, LONG events) {
  e->mask = events;
  e->recorded = 0;
  memset(e->errors, 0, sizeof e->errors);
  e->disabled = 0;
  e->write_wanted = TRUE;
  e->close_done = FALSE;
}

int wsp_events_select(wsp_events *e, WSAEVENT ev, LONG events) {
  if ((events & ~FD_ALL_EVENTS) != 0 || (events != 0 && ev == NULL))
    return WSAEINVAL;
  e->hwnd = NULL; /* cancels WSPAsyncSelect */
  e->msg = 0;
  e->event = events != 0 ? ev : NULL;
  registered(e, events);
  return 0;
}

int wsp_events_async_select(wsp_events *e, HWND hwnd, UINT msg, LONG events) {
  if ((events & ~FD_ALL_EVENTS) != 0 || (events != 0 && !IsWindow(hwnd)))
    return WSAEINVAL;
  e->event = NULL; /* cancels WSPEventSelect */
  e->hwnd = events != 0 ? hwnd : NULL;
  e->msg = msg;
  registered(e, events);
  return 0;
}

int wsp_events_enum(wsp_events *e, WSAEVENT ev, LPWSANETWORKEVENTS out) {
  if (out == NULL)
    return WSAEFAULT;
  out->lNetworkEvents = e->recorded;
  memcpy(out->iErrorCode, e->errors, sizeof out->iErrorCode);
  e->recorded = 0;
  memset(e->errors, 0, sizeof e->errors);
  if (ev != NULL)
    ResetEvent(ev);
  return 0;
}

BOOL wsp_events_active(const wsp_events *e) {
  return e->mask != 0 || e->event != NULL || e->hwnd != NULL;
}

void wsp_events_inherit(wsp_events *dst, const wsp_events *src) {
  memset(dst, 0, sizeof *dst);
  dst->mask = src->mask;
  dst->event = src->event;
  dst->hwnd = src->hwnd;
  dst->msg = src->msg;
  dst->write_wanted = TRUE;
}

void wsp_events_clear(wsp_events *e) {
  e->mask = 0;
  e->event = NULL;
  e->hwnd = NULL;
}

/* ---- WSPIoctl ---- */

#ifndef SIO_BSP_HANDLE
#define SIO_BSP_HANDLE _WSAIOR(IOC_WS2, 27)
#endif
#ifndef SIO_BSP_HANDLE_SELECT
#define SIO_BSP_HANDLE_SELECT _WSAIOR(IOC_WS2, 28)
#endif
#ifndef SIO_BSP_HANDLE_POLL
#define SIO_BSP_HANDLE_POLL _WSAIOR(IOC_WS2, 29)
#endif
#ifndef SIO_BASE_HANDLE
#define SIO_BASE_HANDLE _WSAIOR(IOC_WS2, 34)
#endif

static int ioctl_out(LPVOID out, DWORD outlen, const void *value, DWORD size,
                     DWORD *bytes) {
  if (out == NULL || outlen < size)
    return WSAEFAULT;
  memcpy(out, value, size);
  *bytes = size;
  return 0;
}

int wsp_ioctl(const wsp_ioctl_sock *s, DWORD code, LPVOID in, DWORD inlen,
              LPVOID out, DWORD outlen, DWORD *bytes) {
  u_long v;
  switch (code) {
  case FIONBIO:
    if (in == NULL || inlen < sizeof(u_long))
      return WSAEFAULT;
    memcpy(&v, in, sizeof v);
    if (v == 0 && wsp_events_active(s->ev))
      return WSAEINVAL; /* WSPEventSelect/WSPAsyncSelect in force */
    *s->nonblocking = v != 0;
    return 0;
  case FIONREAD:
    v = s->readable;
    return ioctl_out(out, outlen, &v, sizeof v, bytes);
  case SIOCATMARK:
    v = TRUE; /* no out-of-band data, ever */
    return ioctl_out(out, outlen, &v, sizeof v, bytes);
  case SIO_GET_EXTENSION_FUNCTION_POINTER: {
    if (in == NULL || inlen < sizeof(GUID) || out == NULL ||
        outlen < sizeof(void *))
      return WSAEFAULT;
    GUID guid;
    memcpy(&guid, in, sizeof guid);
    void *fn = s->extension != NULL ? s->extension(&guid) : NULL;
    if (fn == NULL)
      return WSAEINVAL;
    return ioctl_out(out, outlen, &fn, sizeof fn, bytes);
  }
  case SIO_BASE_HANDLE:
  case SIO_BSP_HANDLE:
  case SIO_BSP_HANDLE_SELECT:
  case SIO_BSP_HANDLE_POLL:
    return ioctl_out(out, outlen, &s->handle, sizeof s->handle, bytes);
  default:
    return WSAEINVAL;
  }
}

/* ---- WSPSelect ---- */

/* The longest single wait of a select (about 24.8 days), below INFINITE. */
#define SELECT_WAIT_MAX 0x7fffffffu

int wsp_select(const wsp_select_ops *ops, fd_set *r, fd_set *w, fd_set *x,
               const struct timeval *timeout, LPINT err) {
  fd_set *sets[3] = {r, w, x};
  size_t total = 0;
  for (int i = 0; i < 3; i++)
    if (sets[i] != NULL)
      total += sets[i]->fd_count;
  if (total == 0 ||
      (timeout != NULL && (timeout->tv_sec < 0 || timeout->tv_usec < 0))) {
    *err = WSAEINVAL;
    return SOCKET_ERROR;
  }
  /* In 64 bits: tv_sec up to 2^31 - 1 is almost 25,000 days. */
  ULONGLONG ms = 0;
  if (timeout != NULL)
    ms = (ULONGLONG)timeout->tv_sec * 1000 +
         ((ULONGLONG)timeout->tv_usec + 999) / 1000;
  ULONGLONG deadline = GetTickCount64() + ms;
  void **socks = calloc(total, sizeof *socks);
  BYTE *ready = calloc(total, 1);
  wsp_waiter *nodes = calloc(total, sizeof *nodes);
  HANDLE ev = NULL;
  int e = 0, result = 0;
  if (socks == NULL || ready == NULL || nodes == NULL)
    e = WSAENOBUFS;
  EnterCriticalSection(ops->lock);
  while (e == 0) {
    size_t k = 0;
    int n = 0;
    for (int i = 0; i < 3 && e == 0; i++) {
      for (u_int j = 0; sets[i] != NULL && j < sets[i]->fd_count; j++, k++) {
        if ((socks[k] = ops->find(sets[i]->fd_array[j])) == NULL) {
          e = WSAENOTSOCK;
          break;
        }
        ready[k] = (BYTE)ops->ready(socks[k], i);
        n += ready[k];
      }
    }
    if (e != 0)
      break;
    ULONGLONG now = GetTickCount64();
    if (n > 0 || (timeout != NULL && now >= deadline)) {
      k = 0;
      for (int i = 0; i < 3; i++) {
        if (sets[i] == NULL)
          continue;
        u_int kept = 0;
        for (u_int j = 0; j < sets[i]->fd_count; j++, k++)
          if (ready[k])
            sets[i]->fd_array[kept++] = sets[i]->fd_array[j];
        sets[i]->fd_count = kept;
      }
      result = n;
      break;
    }
    if (ev == NULL && (ev = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL) {
      e = WSAENOBUFS;
      break;
    }
    ResetEvent(ev);
    for (k = 0; k < total; k++) {
      ops->pin(socks[k]);
      nodes[k].event = ev;
      wsp_waitq_link(ops->waitq(socks[k]), &nodes[k]);
    }
    LeaveCriticalSection(ops->lock);
    /* A long timeout is waited in chunks, each below INFINITE; the loop
     * looks again after each. */
    ULONGLONG left = deadline - now;
    WaitForSingleObject(ev, timeout == NULL          ? INFINITE
                            : left > SELECT_WAIT_MAX ? SELECT_WAIT_MAX
                                                     : (DWORD)left);
    EnterCriticalSection(ops->lock);
    for (k = 0; k < total; k++) {
      wsp_waitq_unlink(ops->waitq(socks[k]), &nodes[k]);
      ops->unpin(socks[k]);
    }
  }
  LeaveCriticalSection(ops->lock);
  if (ev != NULL)
    CloseHandle(ev);
  free(socks);
  free(ready);
  free(nodes);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return result;
}
