/* ifs_lsp.c: an IFS layered service provider: start-up (one layer per
 * chain entry it serves), the proc table (the lower provider's, with a few
 * entries overridden), socket bookkeeping, the connect-time address rewrite,
 * send inspection and the vendor ioctls of ifs_lsp.h.
 *
 * Written as Windows provider source, in the style of Microsoft's ifslsp
 * sample: one critical section guards the layer's state, memory comes from
 * a private heap, WSPStartup/WSPCleanup are reference-counted and the last
 * WSPCleanup cleans up every lower layer and unloads it (FreeLibrary). It
 * builds unchanged with libwpu on Linux and with mingw-w64 for Windows.
 *
 * The last WSPCleanup frees nothing a call still in progress on another
 * thread uses: it drops the socket list, cleans up the lower layers (which
 * ends their blocking calls), then waits (CLEANUP_WAIT_MS) until every
 * socket context is freed, i.e. until those calls have returned, before it
 * unloads the lower layers and destroys the heap. On timeout both are left
 * allocated (a deliberate leak, reported with OutputDebugStringW) and this
 * load of the module refuses further WSPStartup calls
 * (WSAEPROVIDERFAILEDINIT), as does a WSPStartup that comes while another
 * thread's last WSPCleanup is still waiting. */
#include <winsock2.h>
#include <ws2spi.h>
#include <ws2tcpip.h>

#include <string.h>

#include "ifs_lsp.h"
#include "next_layer.h"

const GUID ifs_lsp_provider_id = {
    0x3c5a1f20,
    0x6b1e,
    0x4d7a,
    {0x9e, 0x51, 0x2f, 0x0d, 0x7c, 0x41, 0xa9, 0x10}};

/* One chain entry the LSP serves: the entry ws2_32 (or an upper layer)
 * started it for, and the layer below it. */
typedef struct layer {
  struct layer *link;
  DWORD entry_id;      /* lpProtocolInfo->dwCatalogEntryId at WSPStartup */
  ifs_next_layer next; /* the lower layer, loaded */
  WSPPROC_TABLE lower; /* its proc table */
  WSPDATA lower_data;  /* its WSPDATA */
} layer;

/* One socket of the layer (the lower provider's handle). */
typedef struct sock_ctx {
  struct sock_ctx *link;
  SOCKET s;
  layer *layer;
  LONG refs; /* the list's reference + calls in progress; under g_cs */
  ifs_lsp_stats stats;
  BYTE recent[IFS_LSP_MAX_PATTERN]; /* the last bytes sent, for matching */
  DWORD recent_len;
} sock_ctx;

/* Longest the last WSPCleanup waits for calls in progress. */
#define CLEANUP_WAIT_MS 30000

static CRITICAL_SECTION g_cs; /* guards everything below */
static BOOL g_attached;
static HANDLE g_freed;  /* auto-reset: set whenever a context is freed */
static LONG g_contexts; /* socket contexts allocated, not yet freed */
static BOOL g_stopping; /* the last WSPCleanup is waiting */
static BOOL g_leaked;   /* a cleanup timed out: heap and layers leaked */
static HANDLE g_heap;
static LONG g_startups;
static WSPUPCALLTABLE g_upcalls;
static layer *g_layers;
static sock_ctx *g_sockets;
static ifs_lsp_redirect g_rules[IFS_LSP_MAX_REDIRECTS];
static int g_nrules;
static BYTE g_pattern[IFS_LSP_MAX_PATTERN];
static DWORD g_pattern_len;

/* ---- Layers ---- */

static layer *find_layer(DWORD entry_id) {
  for (layer *l = g_layers; l != NULL; l = l->link)
    if (l->entry_id == entry_id)
      return l;
  return NULL;
}

/* Loads and starts the layer below `info`'s chain entry (under g_cs). */
static int start_layer(WORD version, LPWSAPROTOCOL_INFOW info, layer **out) {
  layer *l = HeapAlloc(g_heap, HEAP_ZERO_MEMORY, sizeof *l);
  if (l == NULL)
    return WSAENOBUFS;
  int err = ifs_next_layer_load(g_heap, &ifs_lsp_provider_id, info, &l->next);
  if (err == 0) {
    /* The base provider gets its own entry, an upper LSP's chain gets the
     * chain (so the next LSP finds its place in it). */
    WSAPROTOCOL_INFOW down = l->next.is_base ? l->next.base_info : *info;
    err = l->next.startup(version, &l->lower_data, &down, g_upcalls, &l->lower);
    if (err != 0)
      FreeLibrary(l->next.module);
  }
  if (err != 0) {
    HeapFree(g_heap, 0, l);
    return err;
  }
  l->entry_id = info->dwCatalogEntryId;
  l->link = g_layers;
  g_layers = l;
  *out = l;
  return 0;
}

/* The layer for a socket call's protocol info, started on first use if
 * WSPStartup never saw that entry (as the sample tolerates). */
static layer *layer_for(LPWSAPROTOCOL_INFOW info, LPINT lpErrno) {
  layer *l = NULL;
  EnterCriticalSection(&g_cs);
  if (g_startups == 0) {
    *lpErrno = WSANOTINITIALISED;
  } else if (info == NULL) {
    *lpErrno = WSAEINVAL;
  } else if ((l = find_layer(info->dwCatalogEntryId)) == NULL) {
    int err = start_layer(MAKEWORD(2, 2), info, &l);
    if (err != 0)
      *lpErrno = err;
  }
  LeaveCriticalSection(&g_cs);
  return l;
}

/* ---- Sockets ---- */

static sock_ctx *ref_socket(SOCKET s) {
  EnterCriticalSection(&g_cs);
  sock_ctx *c = g_sockets;
  while (c != NULL && c->s != s)
    c = c->link;
  if (c != NULL)
    c->refs++;
  LeaveCriticalSection(&g_cs);
  return c;
}

static void deref_socket(sock_ctx *c) {
  EnterCriticalSection(&g_cs);
  if (--c->refs == 0) {
    HeapFree(g_heap, 0, c);
    g_contexts--;
    SetEvent(g_freed);
  }
  LeaveCriticalSection(&g_cs);
}

static void link_socket(sock_ctx *c) {
  EnterCriticalSection(&g_cs);
  c->link = g_sockets;
  g_sockets = c;
  LeaveCriticalSection(&g_cs);
}

/* Unlinks s's context (new calls no longer find it) and returns it with
 * the list's reference. */
static sock_ctx *unlink_socket(SOCKET s) {
  EnterCriticalSection(&g_cs);
  sock_ctx **p = &g_sockets;
  while (*p != NULL && (*p)->s != s)
    p = &(*p)->link;
  sock_ctx *c = *p;
  if (c != NULL)
    *p = c->link;
  LeaveCriticalSection(&g_cs);
  return c;
}

/* Makes a lower socket the layer's: a context, then WPUModifyIFSHandle with
 * the layer's own catalog id, so ws2_32 dispatches it to this proc table. */
static SOCKET adopt(layer *l, SOCKET s, LPINT lpErrno) {
  sock_ctx *c = HeapAlloc(g_heap, HEAP_ZERO_MEMORY, sizeof *c);
  int ignored;
  if (c == NULL) {
    l->lower.lpWSPCloseSocket(s, &ignored);
    *lpErrno = WSAENOBUFS;
    return INVALID_SOCKET;
  }
  SOCKET r = g_upcalls.lpWPUModifyIFSHandle(l->next.self_id, s, lpErrno);
  if (r == INVALID_SOCKET) {
    l->lower.lpWSPCloseSocket(s, &ignored);
    HeapFree(g_heap, 0, c);
    return INVALID_SOCKET;
  }
  c->s = r; /* the same handle: an IFS layer keeps the lower one */
  c->layer = l;
  c->refs = 1;
  EnterCriticalSection(&g_cs);
  g_contexts++;
  LeaveCriticalSection(&g_cs);
  link_socket(c);
  return r;
}

#define WITH_SOCKET(s, c, ret)                                                 \
  sock_ctx *c = ref_socket(s);                                                 \
  if (c == NULL) {                                                             \
    *lpErrno = WSAENOTSOCK;                                                    \
    return (ret);                                                              \
  }

static SOCKET WSPAPI ifs_socket(int af, int type, int protocol,
                                LPWSAPROTOCOL_INFOW lpProtocolInfo, GROUP g,
                                DWORD dwFlags, LPINT lpErrno) {
  layer *l = layer_for(lpProtocolInfo, lpErrno);
  if (l == NULL)
    return INVALID_SOCKET;
  /* Over a base provider, its own entry goes down (keeping the caller's
   * dwProviderReserved, which WSPDuplicateSocket uses). */
  WSAPROTOCOL_INFOW down = *lpProtocolInfo;
  if (l->next.is_base) {
    down = l->next.base_info;
    down.dwProviderReserved = lpProtocolInfo->dwProviderReserved;
  }
  SOCKET s =
      l->lower.lpWSPSocket(af, type, protocol, &down, g, dwFlags, lpErrno);
  return s == INVALID_SOCKET ? s : adopt(l, s, lpErrno);
}

static SOCKET WSPAPI ifs_accept(SOCKET s, struct sockaddr *addr, LPINT addrlen,
                                LPCONDITIONPROC lpfnCondition,
                                DWORD_PTR dwCallbackData, LPINT lpErrno) {
  WITH_SOCKET(s, c, INVALID_SOCKET);
  SOCKET n = c->layer->lower.lpWSPAccept(s, addr, addrlen, lpfnCondition,
                                         dwCallbackData, lpErrno);
  if (n != INVALID_SOCKET)
    n = adopt(c->layer, n, lpErrno);
  deref_socket(c);
  return n;
}

static int WSPAPI ifs_closesocket(SOCKET s, LPINT lpErrno) {
  sock_ctx *c = unlink_socket(s);
  if (c == NULL) {
    *lpErrno = WSAENOTSOCK;
    return SOCKET_ERROR;
  }
  int rc = c->layer->lower.lpWSPCloseSocket(s, lpErrno);
  if (rc != 0 && *lpErrno != WSAENOTSOCK) {
    link_socket(c); /* still open below (e.g. WSAEWOULDBLOCK): keep it */
    return rc;
  }
  deref_socket(c);
  return rc;
}

/* ---- Connect-time address rewrite ---- */

static int same_endpoint(const SOCKADDR_STORAGE *rule, const struct sockaddr *a,
                         int len) {
  if (a == NULL || len < (int)sizeof(a->sa_family) ||
      a->sa_family != rule->ss_family)
    return 0;
  if (a->sa_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)rule, *y = (const void *)a;
    return len >= (int)sizeof *y && x->sin_port == y->sin_port &&
           x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const void *)rule, *y = (const void *)a;
  return len >= (int)sizeof *y && x->sin6_port == y->sin6_port &&
         memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

/* The rule's target for name, into *to; 0 if no rule matches. */
static int rewrite(const struct sockaddr *name, int namelen,
                   SOCKADDR_STORAGE *to, int *tolen) {
  int hit = 0;
  EnterCriticalSection(&g_cs);
  for (int i = 0; i < g_nrules && !hit; i++) {
    if (same_endpoint(&g_rules[i].from, name, namelen)) {
      *to = g_rules[i].to;
      *tolen = to->ss_family == AF_INET ? (int)sizeof(struct sockaddr_in)
                                        : (int)sizeof(struct sockaddr_in6);
      hit = 1;
    }
  }
  LeaveCriticalSection(&g_cs);
  return hit;
}

static int WSPAPI ifs_connect(SOCKET s, const struct sockaddr *name,
                              int namelen, LPWSABUF lpCallerData,
                              LPWSABUF lpCalleeData, LPQOS lpSQOS, LPQOS lpGQOS,
                              LPINT lpErrno) {
  WITH_SOCKET(s, c, SOCKET_ERROR);
  SOCKADDR_STORAGE to;
  int tolen = 0;
  int redirected = rewrite(name, namelen, &to, &tolen);
  if (redirected) {
    EnterCriticalSection(&g_cs);
    c->stats.connects_redirected++;
    LeaveCriticalSection(&g_cs);
  }
  int rc = c->layer->lower.lpWSPConnect(
      s, redirected ? (const struct sockaddr *)&to : name,
      redirected ? tolen : namelen, lpCallerData, lpCalleeData, lpSQOS, lpGQOS,
      lpErrno);
  deref_socket(c);
  return rc;
}

/* ---- Send inspection ---- */

/* The pattern match of one socket: the last bytes sent and the hits. */
typedef struct match {
  BYTE recent[IFS_LSP_MAX_PATTERN];
  DWORD recent_len;
  DWORD hits;
} match;

/* Continues m over the first `bytes` bytes of the buffers (pattern: plen
 * bytes). Touches only m and the buffers: runs without g_cs. */
static void scan(match *m, const BYTE *pattern, DWORD plen, const WSABUF *bufs,
                 DWORD count, ULONGLONG bytes) {
  for (DWORD i = 0; i < count && bytes > 0 && plen > 0; i++) {
    for (ULONG k = 0; k < bufs[i].len && bytes > 0; k++, bytes--) {
      if (m->recent_len == plen) {
        memmove(m->recent, m->recent + 1, plen - 1);
        m->recent_len--;
      }
      m->recent[m->recent_len++] = (BYTE)bufs[i].buf[k];
      if (m->recent_len == plen && memcmp(m->recent, pattern, plen) == 0)
        m->hits++;
    }
  }
}

/* Scans `bytes` bytes of the buffers from c's match state into *m (the
 * state and pattern are copied under g_cs, the bytes read without it). */
static void inspect(sock_ctx *c, const WSABUF *bufs, DWORD count,
                    ULONGLONG bytes, match *m) {
  BYTE pattern[IFS_LSP_MAX_PATTERN];
  EnterCriticalSection(&g_cs);
  DWORD plen = g_pattern_len;
  memcpy(pattern, g_pattern, plen);
  memcpy(m->recent, c->recent, c->recent_len);
  m->recent_len = c->recent_len;
  m->hits = 0;
  LeaveCriticalSection(&g_cs);
  scan(m, pattern, plen, bufs, count, bytes);
}

/* Commits one send to c's statistics: bytes taken by the lower provider
 * and, when it took them, the inspection m. */
static void commit(sock_ctx *c, ULONGLONG bytes, const match *m) {
  EnterCriticalSection(&g_cs);
  c->stats.sends++;
  c->stats.bytes_sent += bytes;
  if (bytes > 0) {
    c->stats.pattern_hits += m->hits;
    memcpy(c->recent, m->recent, m->recent_len);
    c->recent_len = m->recent_len;
  }
  LeaveCriticalSection(&g_cs);
}

static int WSPAPI ifs_send(
    SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
    LPDWORD lpNumberOfBytesSent, DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
    LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
    LPWSATHREADID lpThreadId, LPINT lpErrno) {
  WITH_SOCKET(s, c, SOCKET_ERROR);
  /* An overlapped send's buffers are inspected BEFORE the call down: once
   * the lower provider has the operation it may complete it, and the
   * application reuse or free the buffers, before WSPSend returns here.
   * The result decides afterwards whether the inspection counts. A
   * blocking send's buffers stay the caller's until it returns: what the
   * lower provider reports it took is inspected after the call. */
  match m = {{0}, 0, 0};
  ULONGLONG total = 0;
  if (lpOverlapped != NULL) {
    for (DWORD i = 0; i < dwBufferCount; i++)
      total += lpBuffers[i].len;
    inspect(c, lpBuffers, dwBufferCount, total, &m);
  }
  int rc = c->layer->lower.lpWSPSend(s, lpBuffers, dwBufferCount,
                                     lpNumberOfBytesSent, dwFlags, lpOverlapped,
                                     lpCompletionRoutine, lpThreadId, lpErrno);
  /* What the lower provider took: the count it reported, or, for an
   * overlapped send in progress, everything submitted. */
  ULONGLONG bytes = 0;
  if (rc == 0 && lpOverlapped == NULL && lpNumberOfBytesSent != NULL) {
    bytes = *lpNumberOfBytesSent;
    inspect(c, lpBuffers, dwBufferCount, bytes, &m);
  } else if (lpOverlapped != NULL && (rc == 0 || *lpErrno == WSA_IO_PENDING)) {
    bytes = total;
  }
  commit(c, bytes, &m);
  deref_socket(c);
  return rc;
}

/* ---- Vendor ioctls ---- */

static int is_vendor_code(DWORD code) {
  return code == SIO_IFS_LSP_ADD_REDIRECT ||
         code == SIO_IFS_LSP_CLEAR_REDIRECTS ||
         code == SIO_IFS_LSP_SET_PATTERN || code == SIO_IFS_LSP_GET_STATS;
}

static int add_rule(const ifs_lsp_redirect *r) {
  int fam = r->from.ss_family;
  if ((fam != AF_INET && fam != AF_INET6) || r->to.ss_family != fam)
    return WSAEINVAL;
  int len = fam == AF_INET ? (int)sizeof(struct sockaddr_in)
                           : (int)sizeof(struct sockaddr_in6);
  for (int i = 0; i < g_nrules; i++) {
    if (same_endpoint(&g_rules[i].from, (const struct sockaddr *)&r->from,
                      len)) {
      g_rules[i] = *r;
      return 0;
    }
  }
  if (g_nrules == IFS_LSP_MAX_REDIRECTS)
    return WSAENOBUFS;
  g_rules[g_nrules++] = *r;
  return 0;
}

static int vendor_ioctl(sock_ctx *c, DWORD code, LPVOID in, DWORD inlen,
                        LPVOID out, DWORD outlen, LPDWORD ret) {
  int err = 0;
  DWORD written = 0;
  EnterCriticalSection(&g_cs);
  if (code == SIO_IFS_LSP_ADD_REDIRECT) {
    if (in == NULL || inlen < sizeof(ifs_lsp_redirect)) {
      err = WSAEFAULT;
    } else {
      ifs_lsp_redirect r;
      memcpy(&r, in, sizeof r);
      err = add_rule(&r);
    }
  } else if (code == SIO_IFS_LSP_CLEAR_REDIRECTS) {
    g_nrules = 0;
  } else if (code == SIO_IFS_LSP_SET_PATTERN) {
    if (inlen > IFS_LSP_MAX_PATTERN) {
      err = WSAEINVAL;
    } else if (inlen > 0 && in == NULL) {
      err = WSAEFAULT;
    } else {
      memcpy(g_pattern, in, inlen);
      g_pattern_len = inlen;
      for (sock_ctx *k = g_sockets; k != NULL; k = k->link)
        k->recent_len = 0;
    }
  } else { /* SIO_IFS_LSP_GET_STATS */
    if (out == NULL || outlen < sizeof(ifs_lsp_stats)) {
      err = WSAEFAULT;
    } else {
      memcpy(out, &c->stats, sizeof c->stats);
      written = sizeof c->stats;
    }
  }
  LeaveCriticalSection(&g_cs);
  if (ret != NULL)
    *ret = written;
  return err;
}

static int WSPAPI
ifs_ioctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer,
          LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned,
          LPWSAOVERLAPPED lpOverlapped,
          LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
          LPWSATHREADID lpThreadId, LPINT lpErrno) {
  WITH_SOCKET(s, c, SOCKET_ERROR);
  int rc;
  if (!is_vendor_code(dwIoControlCode)) {
    rc = c->layer->lower.lpWSPIoctl(s, dwIoControlCode, lpvInBuffer, cbInBuffer,
                                    lpvOutBuffer, cbOutBuffer,
                                    lpcbBytesReturned, lpOverlapped,
                                    lpCompletionRoutine, lpThreadId, lpErrno);
  } else if (lpOverlapped != NULL || lpCompletionRoutine != NULL) {
    *lpErrno = WSAEOPNOTSUPP;
    rc = SOCKET_ERROR;
  } else {
    int err = vendor_ioctl(c, dwIoControlCode, lpvInBuffer, cbInBuffer,
                           lpvOutBuffer, cbOutBuffer, lpcbBytesReturned);
    rc = err == 0 ? 0 : SOCKET_ERROR;
    if (err != 0)
      *lpErrno = err;
  }
  deref_socket(c);
  return rc;
}

/* ---- Start-up and clean-up ---- */

/* Waits (g_cs held on entry and return) until no socket context is left;
 * FALSE on timeout. */
static BOOL contexts_gone(void) {
  DWORD start = GetTickCount();
  while (g_contexts > 0) {
    DWORD spent = GetTickCount() - start;
    if (spent >= CLEANUP_WAIT_MS)
      return FALSE;
    LeaveCriticalSection(&g_cs);
    DWORD w = WaitForSingleObject(g_freed, CLEANUP_WAIT_MS - spent);
    EnterCriticalSection(&g_cs);
    if (w == WAIT_FAILED)
      return FALSE;
  }
  return TRUE;
}

static int WSPAPI ifs_cleanup(LPINT lpErrno) {
  EnterCriticalSection(&g_cs);
  if (g_startups == 0 || g_stopping) {
    LeaveCriticalSection(&g_cs);
    *lpErrno = WSANOTINITIALISED;
    return SOCKET_ERROR;
  }
  if (--g_startups == 0) {
    /* The last one. Sockets still open are the base provider's to close at
     * its own cleanup; their contexts lose the list's reference now and go
     * when the calls still using them return. */
    g_stopping = TRUE;
    sock_ctx *c = g_sockets;
    g_sockets = NULL;
    while (c != NULL) {
      sock_ctx *next = c->link;
      if (--c->refs == 0) {
        HeapFree(g_heap, 0, c);
        g_contexts--;
      }
      c = next;
    }
    /* Every lower layer is cleaned up (ending its blocking calls)... */
    for (layer *l = g_layers; l != NULL; l = l->link) {
      int ignored;
      l->lower.lpWSPCleanup(&ignored);
    }
    /* ...and unloaded with the heap once no call of ours still runs. */
    if (contexts_gone()) {
      while (g_layers != NULL) {
        layer *l = g_layers;
        g_layers = l->link;
        FreeLibrary(l->next.module);
      }
      HeapDestroy(g_heap);
    } else {
      OutputDebugStringW(L"ifs_lsp: WSPCleanup timed out waiting for calls "
                         L"in progress; the lower layers and the heap are "
                         L"left allocated\n");
      g_leaked = TRUE;
      g_layers = NULL;
    }
    g_heap = NULL;
    g_stopping = FALSE;
  }
  LeaveCriticalSection(&g_cs);
  return 0;
}

int WSPAPI IfsWSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                         LPWSAPROTOCOL_INFOW lpProtocolInfo,
                         WSPUPCALLTABLE UpcallTable,
                         LPWSPPROC_TABLE lpProcTable) {
  if (LOBYTE(wVersionRequested) < 2)
    return WSAVERNOTSUPPORTED;
  if (lpWSPData == NULL || lpProtocolInfo == NULL || lpProcTable == NULL)
    return WSAEFAULT;
  if (!g_attached)
    return WSAEPROVIDERFAILEDINIT; /* DllMain never ran */
  int err = 0;
  EnterCriticalSection(&g_cs);
  if (g_leaked || g_stopping) {
    LeaveCriticalSection(&g_cs);
    return WSAEPROVIDERFAILEDINIT; /* see the top of this file */
  }
  if (g_startups == 0) {
    g_upcalls = UpcallTable; /* kept, and passed down by value */
    g_heap = HeapCreate(0, 64 * 1024, 0);
    if (g_heap == NULL)
      err = WSAENOBUFS;
  }
  layer *l = NULL;
  if (err == 0 && (l = find_layer(lpProtocolInfo->dwCatalogEntryId)) == NULL)
    err = start_layer(wVersionRequested, lpProtocolInfo, &l);
  if (err == 0) {
    g_startups++;
    *lpWSPData = l->lower_data;
    /* The lower provider's table, with the entries this layer overrides. */
    *lpProcTable = l->lower;
    lpProcTable->lpWSPSocket = ifs_socket;
    lpProcTable->lpWSPAccept = ifs_accept;
    lpProcTable->lpWSPConnect = ifs_connect;
    lpProcTable->lpWSPSend = ifs_send;
    lpProcTable->lpWSPIoctl = ifs_ioctl;
    lpProcTable->lpWSPCloseSocket = ifs_closesocket;
    lpProcTable->lpWSPCleanup = ifs_cleanup;
  } else if (g_startups == 0 && g_heap != NULL) {
    HeapDestroy(g_heap);
    g_heap = NULL;
  }
  LeaveCriticalSection(&g_cs);
  return err;
}

void WSPAPI IfsGetLspGuid(LPGUID lpGuid) {
  if (lpGuid != NULL)
    *lpGuid = ifs_lsp_provider_id;
}

BOOL WINAPI IfsDllMain(HINSTANCE hinstDLL, DWORD fdwReason,
                       LPVOID lpvReserved) {
  (void)hinstDLL;
  (void)lpvReserved;
  if (fdwReason == DLL_PROCESS_ATTACH) {
    g_freed = CreateEventW(NULL, FALSE, FALSE, NULL);
    if (g_freed == NULL)
      return FALSE;
    InitializeCriticalSection(&g_cs);
    g_startups = 0;
    g_contexts = 0;
    g_stopping = g_leaked = FALSE;
    g_layers = NULL;
    g_sockets = NULL;
    g_nrules = 0;
    g_pattern_len = 0;
    g_attached = TRUE;
  } else if (fdwReason == DLL_PROCESS_DETACH) {
    g_attached = FALSE;
    if (g_heap != NULL) /* unloaded without the last WSPCleanup */
      HeapDestroy(g_heap);
    g_heap = NULL;
    DeleteCriticalSection(&g_cs);
    CloseHandle(g_freed);
    g_freed = NULL;
  }
  return TRUE;
}

#ifdef IFS_LSP_DLL
/* The DLL's entry point (the loader calls DllMain by that name). */
BOOL WINAPI DllMain(HINSTANCE hinstDLL, DWORD fdwReason, LPVOID lpvReserved) {
  return IfsDllMain(hinstDLL, fdwReason, lpvReserved);
}
#endif
