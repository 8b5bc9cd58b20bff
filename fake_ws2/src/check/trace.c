/* trace.c: recording the trace of the current world and querying it
 * (fws2/trace.h); render.c turns it into text and diagrams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#define DEFAULT_CAPACITY 65536

static fws2_trace_kind kind_of(wpu_hook_kind k) {
  switch (k) {
  case WPU_HOOK_FRONT:
    return FWS2_TRACE_FRONT;
  case WPU_HOOK_PROVIDER:
    return FWS2_TRACE_PROVIDER;
  case WPU_HOOK_UPCALL:
    return FWS2_TRACE_UPCALL;
  case WPU_HOOK_COMPLETION:
    return FWS2_TRACE_COMPLETION;
  case WPU_HOOK_KERNEL32:
    return FWS2_TRACE_KERNEL32;
  case WPU_HOOK_ALLOC:
    return FWS2_TRACE_ALLOC;
  default:
    return FWS2_TRACE_NOTE;
  }
}

/* A slot for the next event (lock held), or NULL when not tracing. */
static fws2_trace_event *next_event(fws2_state *st) {
  if (st == NULL || !st->tracing || st->ring == NULL)
    return NULL;
  fws2_trace_event *e = &st->ring[st->next_seq % st->ring_cap];
  memset(e, 0, sizeof *e);
  e->seq = ++st->next_seq;
  e->thread = GetCurrentThreadId();
  return e;
}

static void copy_name(char *out, const char *in) {
  snprintf(out, FWS2_NAME_LEN, "%s", in == NULL ? "?" : in);
}

void fws2__trace_call(const wpu_hook_call *c, const char *from, const char *to,
                      int is_return) {
  fws2__lock();
  fws2_state *st = fws2__state(0);
  int wanted = st != NULL && st->tracing;
  if (wanted && c->kind == WPU_HOOK_KERNEL32)
    wanted = (st->trace_flags & FWS2_TRACE_WITH_KERNEL32) != 0;
  if (wanted && c->kind == WPU_HOOK_ALLOC)
    wanted = (st->trace_flags & FWS2_TRACE_WITH_ALLOC) != 0;
  fws2_trace_event *e = wanted ? next_event(st) : NULL;
  if (e != NULL) {
    e->kind = kind_of(c->kind);
    e->is_return = is_return;
    e->name = c->name;
    copy_name(e->from, from);
    copy_name(e->to, to);
    e->socket = c->socket;
    e->catalog_id = c->catalog_id;
    e->overlapped = c->overlapped;
    e->arg[0] = c->arg[0];
    e->arg[1] = c->arg[1];
    if (is_return) {
      e->result = (long long)c->result;
      e->failed = c->failed;
      e->error = c->error;
      if (c->fault == WPU_HOOK_DEFER)
        snprintf(e->text, sizeof e->text, "held (FWS2_FAULT_DELAY)");
    }
  }
  fws2__unlock();
}

void fws2__trace_note(int kind, const char *name, const char *who, SOCKET s,
                      const char *text) {
  fws2__lock();
  fws2_trace_event *e = next_event(fws2__state(0));
  if (e != NULL) {
    e->kind = (fws2_trace_kind)kind;
    e->name = name;
    copy_name(e->from, who);
    copy_name(e->to, kind == FWS2_TRACE_FAULT       ? "fault"
                     : kind == FWS2_TRACE_VIOLATION ? "checker"
                                                    : "ws2_32");
    e->socket = s;
    snprintf(e->text, sizeof e->text, "%s", text);
  }
  fws2__unlock();
}

int fws2_trace_start(unsigned flags, size_t capacity) {
  if (capacity == 0)
    capacity = DEFAULT_CAPACITY;
  fws2__lock();
  fws2_state *st = fws2__state(1);
  int rc = 0;
  if (st == NULL) {
    rc = WSA_NOT_ENOUGH_MEMORY;
  } else if (st->ring == NULL || st->ring_cap != capacity) {
    fws2_trace_event *ring = calloc(capacity, sizeof *ring);
    if (ring == NULL) {
      rc = WSA_NOT_ENOUGH_MEMORY;
    } else {
      /* Keep what fits, oldest dropped. */
      size_t kept = 0;
      if (st->ring != NULL) {
        size_t have = st->next_seq < st->ring_cap ? st->next_seq : st->ring_cap;
        size_t take = have < capacity ? have : capacity;
        for (size_t i = 0; i < take; i++) {
          unsigned long seq = st->next_seq - take + i;
          ring[seq % capacity] = st->ring[seq % st->ring_cap];
        }
        kept = take;
      }
      (void)kept;
      free(st->ring);
      st->ring = ring;
      st->ring_cap = capacity;
    }
  }
  if (rc == 0) {
    st->tracing = 1;
    st->trace_flags = flags;
    if (st->test_thread == 0)
      st->test_thread = GetCurrentThreadId();
    fws2__update_wants(st);
  }
  fws2__unlock();
  return rc;
}

void fws2_trace_stop(void) {
  fws2__lock();
  fws2_state *st = fws2__state(0);
  if (st != NULL) {
    st->tracing = 0;
    fws2__update_wants(st);
  }
  fws2__unlock();
}

/* Events kept (lock held). */
static size_t kept(const fws2_state *st) {
  if (st == NULL || st->ring == NULL)
    return 0;
  return st->next_seq < st->ring_cap ? st->next_seq : st->ring_cap;
}

/* Event index among the kept ones (lock held). */
static const fws2_trace_event *at(const fws2_state *st, size_t i) {
  size_t n = kept(st);
  if (i >= n)
    return NULL;
  unsigned long seq = st->next_seq - n + i;
  return &st->ring[seq % st->ring_cap];
}

void fws2_trace_clear(void) {
  fws2__lock();
  fws2_state *st = fws2__state(0);
  if (st != NULL && st->ring != NULL) {
    /* Start a fresh ring position: what is kept is what comes next. */
    memset(st->ring, 0, st->ring_cap * sizeof *st->ring);
    st->next_seq = 0;
  }
  fws2__unlock();
}

size_t fws2_trace_count(void) {
  fws2__lock();
  size_t n = kept(fws2__state(0));
  fws2__unlock();
  return n;
}

int fws2_trace_get(size_t index, fws2_trace_event *out) {
  if (out == NULL)
    return WSAEINVAL;
  fws2__lock();
  const fws2_trace_event *e = at(fws2__state(0), index);
  if (e != NULL)
    *out = *e;
  fws2__unlock();
  return e == NULL ? WSAEINVAL : 0;
}

/* Whether a call event matches "Name", "callee:Name" or
 * "caller>callee:Name". */
static int matches(const fws2_trace_event *e, const char *pattern) {
  if (e->is_return || e->name == NULL)
    return 0;
  const char *colon = strrchr(pattern, ':');
  const char *name = colon == NULL ? pattern : colon + 1;
  if (strcmp(name, "*") != 0 && strcmp(name, e->name) != 0)
    return 0;
  if (colon == NULL)
    return 1;
  const char *gt = memchr(pattern, '>', (size_t)(colon - pattern));
  const char *callee = gt == NULL ? pattern : gt + 1;
  size_t n = (size_t)(colon - callee);
  if (strlen(e->to) != n || strncmp(e->to, callee, n) != 0)
    return 0;
  if (gt != NULL) {
    size_t m = (size_t)(gt - pattern);
    if (strlen(e->from) != m || strncmp(e->from, pattern, m) != 0)
      return 0;
  }
  return 1;
}

size_t fws2_trace_find(size_t start, const char *pattern) {
  if (pattern == NULL)
    return FWS2_TRACE_NONE;
  fws2__lock();
  fws2_state *st = fws2__state(0);
  size_t n = kept(st), found = FWS2_TRACE_NONE;
  for (size_t i = start; i < n; i++)
    if (matches(at(st, i), pattern)) {
      found = i;
      break;
    }
  fws2__unlock();
  return found;
}

static int expect_list(const char *first, va_list ap) {
  size_t pos = 0;
  int k = 1;
  for (const char *p = first; p != NULL; p = va_arg(ap, const char *), k++) {
    size_t i = fws2_trace_find(pos, p);
    if (i == FWS2_TRACE_NONE)
      return k;
    pos = i + 1;
  }
  return 0;
}

int fws2_trace_expect(const char *first, ...) {
  va_list ap;
  va_start(ap, first);
  int rc = expect_list(first, ap);
  va_end(ap);
  return rc;
}

void fws2__assert_trace(const char *file, int line, const char *first, ...) {
  va_list ap;
  va_start(ap, first);
  int missing = expect_list(first, ap);
  va_end(ap);
  if (missing == 0)
    return;
  const char *p = first;
  va_start(ap, first);
  for (int k = 1; k < missing; k++)
    p = va_arg(ap, const char *);
  va_end(ap);
  print_error("fws2_assert_trace: call %d \"%s\" not found in order in the "
              "trace:\n",
              missing, p);
  /* Line by line: CMocka formats each message into a fixed buffer. */
  char *text = fws2_trace_text(0);
  if (text == NULL)
    print_error("(out of memory)\n");
  for (char *l = text; l != NULL && *l != 0;) {
    char *nl = strchr(l, '\n');
    if (nl != NULL)
      *nl = 0;
    print_error("%s\n", l);
    l = nl == NULL ? NULL : nl + 1;
  }
  free(text);
  _fail(file, line);
}

void fws2_trace_free(char *text) {
  free(text);
}

/* ---- For render.c ---- */

/* A copy of the last tail kept events (0: all; malloc'd, *n set), NULL
 * when none or out of memory. */
fws2_trace_event *fws2__trace_copy(size_t tail, size_t *n);
fws2_trace_event *fws2__trace_copy(size_t tail, size_t *n) {
  fws2__lock();
  fws2_state *st = fws2__state(0);
  size_t all = kept(st);
  size_t k = tail != 0 && tail < all ? tail : all;
  fws2_trace_event *copy = k == 0 ? NULL : malloc(k * sizeof *copy);
  for (size_t i = 0; copy != NULL && i < k; i++)
    copy[i] = *at(st, all - k + i);
  fws2__unlock();
  *n = copy == NULL ? 0 : k;
  return copy;
}
