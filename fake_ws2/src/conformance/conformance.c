/* conformance.c: the conformance suite's runner (the list of checks, the
 * entries under test, WSAStartup/WSACleanup and clean-up around each
 * check, the report), its CMocka wrappers, and the helpers the checks are
 * written in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wpu/catalog.h>
#include <wpu/world.h>

#include "conformance_internal.h"

/* ---- The checks ---- */

typedef struct check_def {
  const char *name;
  void (*fn)(ck *c);
} check_def;

static const check_def checks[] = {
    {"catalog", ck_catalog},
    {"stream", ck_stream},
    {"stream_shutdown", ck_stream_shutdown},
    {"datagram", ck_datagram},
    {"overlapped_event", ck_overlapped_event},
    {"overlapped_routine", ck_overlapped_routine},
    {"overlapped_port", ck_overlapped_port},
    {"select", ck_select},
    {"event_select", ck_event_select},
    {"async_select", ck_async_select},
    {"conditional_accept", ck_conditional_accept},
    {"readfile_writefile", ck_readfile_writefile},
    {"close_inflight", ck_close_inflight},
};

#define NCHECKS (sizeof checks / sizeof checks[0])

size_t fws2_conformance_count(void) {
  return NCHECKS;
}

const char *fws2_conformance_name(size_t i) {
  return i < NCHECKS ? checks[i].name : NULL;
}

/* ---- Results ---- */

void ck_fail(ck *c, const char *fmt, ...) {
  if (c->r->status == FWS2_CONFORMANCE_FAIL)
    return;
  c->r->status = FWS2_CONFORMANCE_FAIL;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->r->message, sizeof c->r->message, fmt, ap);
  va_end(ap);
}

void ck_skip(ck *c, const char *why) {
  if (c->r->status != FWS2_CONFORMANCE_PASS)
    return;
  c->r->status = FWS2_CONFORMANCE_SKIP;
  snprintf(c->r->message, sizeof c->r->message, "%s", why);
}

BOOL ck_failed(const ck *c) {
  return c->r->status == FWS2_CONFORMANCE_FAIL;
}

const char *ck_show(const char *data, DWORD len) {
  static char out[80];
  size_t k = 0;
  out[k++] = '"';
  for (DWORD i = 0; i < len && k < sizeof out - 8; i++) {
    unsigned char ch = (unsigned char)data[i];
    if (ch >= 32 && ch < 127 && ch != '"' && ch != '\\')
      out[k++] = (char)ch;
    else
      k += (size_t)snprintf(out + k, sizeof out - k, "\\x%02x", ch);
  }
  if (len > 0 && k >= sizeof out - 8)
    k += (size_t)snprintf(out + k, sizeof out - k, "...");
  out[k++] = '"';
  out[k] = 0;
  return out;
}

/* ---- Entries under test ---- */

static BOOL visible(const WSAPROTOCOL_INFOW *e) {
  return !(e->dwProviderFlags & PFL_HIDDEN) && e->ProtocolChain.ChainLen != 0;
}

static BOOL find_entry(DWORD id, int type, WSAPROTOCOL_INFOW *out) {
  if (id != 0)
    return wpu_catalog_get(id, out, NULL, 0) == 0;
  size_t n = wpu_catalog_count();
  for (size_t i = 0; i < n; i++)
    if (wpu_catalog_at(i, out) == 0 && visible(out) &&
        out->iAddressFamily == AF_INET && out->iSocketType == type)
      return TRUE;
  return FALSE;
}

/* ---- Running ---- */

static void finish(ck *c) {
  for (int i = 0; i < c->nsocks; i++)
    closesocket(c->socks[i]); /* unblocks the check's threads */
  c->nsocks = 0;
  for (int i = 0; i < c->nthreads; i++) {
    WaitForSingleObject(c->threads[i], INFINITE);
    CloseHandle(c->threads[i]);
  }
  c->nthreads = 0;
  for (int i = 0; i < c->nhandles; i++)
    CloseHandle(c->handles[i]);
  c->nhandles = 0;
}

static void run_check(const check_def *d, const fws2_conformance_options *o,
                      fws2_conformance_result *out) {
  memset(out, 0, sizeof *out);
  out->name = d->name;
  ck c;
  memset(&c, 0, sizeof c);
  c.r = out;
  c.wait = o != NULL && o->wait_ms != 0 ? o->wait_ms : 10000;
  WSADATA data;
  int rc = WSAStartup(MAKEWORD(2, 2), &data);
  if (rc != 0) {
    ck_fail(&c, "WSAStartup failed with %d", rc);
  } else {
    if (!find_entry(o != NULL ? o->tcp_entry : 0, SOCK_STREAM, &c.tcp))
      ck_fail(&c,
              "no TCP/IPv4 entry to test (catalog id %lu): install the "
              "provider's entries first",
              (unsigned long)(o != NULL ? o->tcp_entry : 0));
    else if (!find_entry(o != NULL ? o->udp_entry : 0, SOCK_DGRAM, &c.udp))
      ck_fail(&c, "no UDP/IPv4 entry to test (catalog id %lu)",
              (unsigned long)(o != NULL ? o->udp_entry : 0));
    else
      d->fn(&c);
    finish(&c);
    WSACleanup();
  }
  if (o == NULL || !o->quiet)
    printf("fws2_conformance: [%s] %s%s%s\n",
           out->status == FWS2_CONFORMANCE_PASS   ? "PASS"
           : out->status == FWS2_CONFORMANCE_FAIL ? "FAIL"
                                                  : "SKIP",
           out->name, out->message[0] ? ": " : "", out->message);
}

int fws2_conformance_check(const char *name, const fws2_conformance_options *o,
                           fws2_conformance_result *out) {
  for (size_t i = 0; i < NCHECKS; i++)
    if (name != NULL && strcmp(checks[i].name, name) == 0) {
      run_check(&checks[i], o, out);
      return out->status == FWS2_CONFORMANCE_FAIL ? 1 : 0;
    }
  return -1;
}

int fws2_conformance_run(const fws2_conformance_options *o,
                         fws2_conformance_result *results, size_t n) {
  int failed = 0;
  size_t k = 0;
  for (size_t i = 0; i < NCHECKS; i++) {
    if (o != NULL && o->only != NULL && strstr(checks[i].name, o->only) == NULL)
      continue;
    fws2_conformance_result r;
    run_check(&checks[i], o, &r);
    if (r.status == FWS2_CONFORMANCE_FAIL)
      failed++;
    if (results != NULL && k < n)
      results[k++] = r;
  }
  return failed;
}

/* ---- CMocka ---- */

static const char options_key = 0; /* its address names the attachment */

int fws2_conformance_set_options(const fws2_conformance_options *o) {
  wpu_world *w = wpu_world_current();
  if (w == NULL)
    return WSANOTINITIALISED;
  fws2_conformance_options *copy = wpu_world_attachment(w, &options_key);
  if (copy == NULL) {
    copy = calloc(1, sizeof *copy);
    if (copy == NULL)
      return WSA_NOT_ENOUGH_MEMORY;
    if (wpu_world_attach(w, &options_key, copy, free) != 0) {
      free(copy);
      return WSA_NOT_ENOUGH_MEMORY;
    }
  }
  if (o != NULL)
    *copy = *o;
  else
    memset(copy, 0, sizeof *copy);
  copy->only = NULL;
  return 0;
}

static void run_as_test(const char *name) {
  wpu_world *w = wpu_world_current();
  const fws2_conformance_options *o =
      w != NULL ? wpu_world_attachment(w, &options_key) : NULL;
  fws2_conformance_options quiet;
  memset(&quiet, 0, sizeof quiet);
  if (o != NULL)
    quiet = *o;
  quiet.quiet = TRUE;
  fws2_conformance_result r;
  if (fws2_conformance_check(name, &quiet, &r) < 0)
    fail_msg("fws2_conformance: no check named %s", name);
  if (r.status == FWS2_CONFORMANCE_FAIL)
    fail_msg("conformance check %s failed: %s", name, r.message);
  if (r.status == FWS2_CONFORMANCE_SKIP) {
    print_message("conformance check %s skipped: %s\n", name, r.message);
    skip();
  }
}

#define CK_TEST_(name)                                                         \
  void fws2_conformance_test_##name(void **state) {                            \
    (void)state;                                                               \
    run_as_test(#name);                                                        \
  }
CK_TEST_(catalog)
CK_TEST_(stream)
CK_TEST_(stream_shutdown)
CK_TEST_(datagram)
CK_TEST_(overlapped_event)
CK_TEST_(overlapped_routine)
CK_TEST_(overlapped_port)
CK_TEST_(select)
CK_TEST_(event_select)
CK_TEST_(async_select)
CK_TEST_(conditional_accept)
CK_TEST_(readfile_writefile)
CK_TEST_(close_inflight)

/* ---- Helpers ---- */

SOCKET ck_socket(ck *c, int type) {
  WSAPROTOCOL_INFOW *info = type == SOCK_STREAM ? &c->tcp : &c->udp;
  if (c->nsocks == CK_MAX_SOCKS) {
    ck_fail(c, "the check opened too many sockets");
    return INVALID_SOCKET;
  }
  SOCKET s = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                        FROM_PROTOCOL_INFO, info, 0, WSA_FLAG_OVERLAPPED);
  if (s == INVALID_SOCKET) {
    ck_fail(c, "WSASocketW from catalog entry %lu failed with %d",
            (unsigned long)info->dwCatalogEntryId, WSAGetLastError());
    return INVALID_SOCKET;
  }
  c->socks[c->nsocks++] = s;
  return s;
}

int ck_close(ck *c, SOCKET s) {
  for (int i = 0; i < c->nsocks; i++)
    if (c->socks[i] == s) {
      c->socks[i] = c->socks[--c->nsocks];
      break;
    }
  return closesocket(s);
}

static struct sockaddr_in loopback(void) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

SOCKET ck_bound(ck *c, int type, struct sockaddr_in *addr) {
  SOCKET s = ck_socket(c, type);
  if (s == INVALID_SOCKET)
    return s;
  *addr = loopback();
  int len = sizeof *addr;
  if (bind(s, (struct sockaddr *)addr, sizeof *addr) != 0) {
    ck_fail(c, "bind to 127.0.0.1:0 failed with %d", WSAGetLastError());
    return INVALID_SOCKET;
  }
  if (getsockname(s, (struct sockaddr *)addr, &len) != 0 ||
      addr->sin_port == 0) {
    ck_fail(c, "getsockname after bind: expected a port, got error %d",
            WSAGetLastError());
    return INVALID_SOCKET;
  }
  return s;
}

BOOL ck_pair(ck *c, SOCKET *client, SOCKET *server) {
  struct sockaddr_in a;
  SOCKET l = ck_bound(c, SOCK_STREAM, &a);
  if (l == INVALID_SOCKET)
    return FALSE;
  if (listen(l, 4) != 0) {
    ck_fail(c, "listen failed with %d", WSAGetLastError());
    return FALSE;
  }
  *client = ck_socket(c, SOCK_STREAM);
  if (*client == INVALID_SOCKET)
    return FALSE;
  if (connect(*client, (struct sockaddr *)&a, sizeof a) != 0) {
    ck_fail(c, "connect to the listener failed with %d", WSAGetLastError());
    return FALSE;
  }
  if (!ck_readable(c, l)) {
    ck_fail(c,
            "the listener did not become readable within %lu ms of a "
            "connect",
            (unsigned long)c->wait);
    return FALSE;
  }
  *server = accept(l, NULL, NULL);
  if (*server == INVALID_SOCKET) {
    ck_fail(c, "accept failed with %d", WSAGetLastError());
    return FALSE;
  }
  if (c->nsocks < CK_MAX_SOCKS)
    c->socks[c->nsocks++] = *server;
  ck_close(c, l);
  return TRUE;
}

static HANDLE keep(ck *c, HANDLE h) {
  if (h != NULL && c->nhandles < CK_MAX_HANDLES)
    c->handles[c->nhandles++] = h;
  return h;
}

HANDLE ck_event(ck *c) {
  HANDLE h = keep(c, WSACreateEvent());
  if (h == NULL)
    ck_fail(c, "WSACreateEvent failed with %d", WSAGetLastError());
  return h;
}

HANDLE ck_port(ck *c) {
  HANDLE h = keep(c, CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0));
  if (h == NULL)
    ck_fail(c, "CreateIoCompletionPort failed with %lu",
            (unsigned long)GetLastError());
  return h;
}

HANDLE ck_thread(ck *c, LPTHREAD_START_ROUTINE fn, void *arg) {
  if (c->nthreads == (int)(sizeof c->threads / sizeof c->threads[0])) {
    ck_fail(c, "the check started too many threads");
    return NULL;
  }
  HANDLE t = CreateThread(NULL, 0, fn, arg, 0, NULL);
  if (t == NULL) {
    ck_fail(c, "CreateThread failed with %lu", (unsigned long)GetLastError());
    return NULL;
  }
  c->threads[c->nthreads++] = t;
  return t;
}

BOOL ck_readable(ck *c, SOCKET s) {
  fd_set r;
  FD_ZERO(&r);
  FD_SET(s, &r);
  struct timeval tv = {(long)(c->wait / 1000), (long)(c->wait % 1000) * 1000};
  return select(0, &r, NULL, NULL, &tv) == 1 && FD_ISSET(s, &r);
}

DWORD ck_recv_all(ck *c, SOCKET s, char *buf, DWORD want) {
  DWORD got = 0;
  while (got < want && ck_readable(c, s)) {
    DWORD chunk = want - got < 1000 ? want - got : 1000;
    int n = recv(s, buf + got, (int)chunk, 0);
    if (n <= 0)
      break;
    got += (DWORD)n;
  }
  return got;
}
