/* checker.c: the contract checker's rules, reports and end-of-world checks
 * (fws2/checker.h); the per-call checks are in interpose.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wpu/world.h>

#include "check.h"

static const char *const names[FWS2_RULE_COUNT] = {
    "lpErrno-not-set",
    "stale-error-on-success",
    "foreign-handle",
    "ifs-handles-mismatch",
    "overlapped-completed-twice",
    "overlapped-never-completed",
    "completion-of-unknown-overlapped",
    "proc-table-null-entry",
    "startup-cleanup-balance",
    "leak",
    "provider-not-interposed",
};

/* Rules checked only when asked for (fws2_checker_enable_rule). */
static int opt_in(fws2_rule rule) {
  return rule == FWS2_RULE_STALE_ERROR;
}

/* Whether rule is checked in st (lock held). */
static int rule_on(const fws2_state *st, fws2_rule rule) {
  return st != NULL && st->checking && st->relaxed[rule] == NULL &&
         (!opt_in(rule) || st->opted_in[rule]);
}

/* Violations the default report found during the last world's end. */
static size_t teardown_count;
/* The state of the world being ended (its attachment is gone by then). */
fws2_state *fws2__closing;

const char *fws2_rule_name(fws2_rule rule) {
  return rule >= 0 && rule < FWS2_RULE_COUNT ? names[rule] : "?";
}

int fws2_checker_enable(void) {
  fws2__lock();
  fws2_state *st = fws2__state(1);
  if (st != NULL) {
    st->checking = 1;
    st->test_thread = GetCurrentThreadId();
  }
  fws2__unlock();
  return st == NULL ? WSA_NOT_ENOUGH_MEMORY : 0;
}

int fws2_checker_relax(fws2_rule rule, const char *reason) {
  if (reason == NULL || reason[0] == 0 || rule < 0 || rule >= FWS2_RULE_COUNT)
    return WSAEINVAL;
  fws2__lock();
  fws2_state *st = fws2__state(0);
  int rc = st == NULL || !st->checking ? WSANOTINITIALISED : 0;
  if (rc == 0)
    st->relaxed[rule] = reason;
  fws2__unlock();
  if (rc == 0) {
    char text[96];
    snprintf(text, sizeof text, "rule %s relaxed: %s", names[rule], reason);
    fws2__trace_note(FWS2_TRACE_NOTE, "checker rule relaxed", "checker", 0,
                     text);
  }
  return rc;
}

int fws2_checker_enable_rule(fws2_rule rule) {
  if (rule < 0 || rule >= FWS2_RULE_COUNT)
    return WSAEINVAL;
  fws2__lock();
  fws2_state *st = fws2__state(0);
  int rc = st == NULL || !st->checking ? WSANOTINITIALISED : 0;
  if (rc == 0) {
    st->opted_in[rule] = 1;
    st->relaxed[rule] = NULL;
  }
  fws2__unlock();
  return rc;
}

void fws2_checker_set_report(fws2_checker_report_fn fn, void *user) {
  fws2__lock();
  fws2_state *st = fws2__state(1);
  if (st != NULL) {
    st->report = fn;
    st->report_user = user;
  }
  fws2__unlock();
}

size_t fws2_checker_violations(void) {
  fws2__lock();
  fws2_state *st = fws2__state(0);
  size_t n = st != NULL ? st->violations : 0;
  fws2__unlock();
  return n;
}

size_t fws2_checker_teardown_violations(void) {
  fws2__lock();
  size_t n = teardown_count;
  teardown_count = 0;
  fws2__unlock();
  return n;
}

int fws2__checking(fws2_rule rule) {
  fws2__lock();
  fws2_state *st = fws2__state(0);
  int on = rule_on(st, rule);
  fws2__unlock();
  return on;
}

static void vviolation(fws2_rule rule, const char *provider, SOCKET s,
                       const char *call, const char *fmt, va_list ap) {
  fws2__lock();
  fws2_state *st = fws2__state(0);
  int on = rule_on(st, rule);
  fws2_checker_report_fn report = on ? st->report : NULL;
  void *user = on ? st->report_user : NULL;
  if (on)
    st->violations++;
  fws2__unlock();
  if (!on)
    return;
  char detail[400];
  vsnprintf(detail, sizeof detail, fmt, ap);
  char head[600];
  snprintf(head, sizeof head,
           "fws2 checker: rule %s broken by provider %s, handle 0x%llx, "
           "call %s: %s",
           names[rule], provider != NULL && provider[0] ? provider : "(none)",
           (unsigned long long)s, call != NULL ? call : "(none)", detail);
  char short_text[96];
  snprintf(short_text, sizeof short_text, "%s: %s %s", names[rule],
           provider != NULL ? provider : "", call != NULL ? call : "");
  fws2__trace_note(FWS2_TRACE_VIOLATION, call, provider, s, short_text);
  char *tail = fws2__trace_tail(24);
  size_t len = strlen(head) + (tail != NULL ? strlen(tail) : 0) + 64;
  char *msg = malloc(len);
  if (msg != NULL)
    snprintf(msg, len, "%s\n%s%s", head,
             tail != NULL && tail[0] != 0 ? "trace (most recent last):\n" : "",
             tail != NULL ? tail : "");
  free(tail);
  fws2_violation v = {rule,
                      names[rule],
                      provider != NULL ? provider : "",
                      s,
                      call != NULL ? call : "",
                      msg != NULL ? msg : head};
  if (report != NULL) {
    report(&v, user);
  } else {
    print_error("%s\n", v.message);
    fws2__lock();
    if (fws2__closing != NULL)
      teardown_count++;
    else if ((st = fws2__state(0)) != NULL)
      st->unreported++;
    fws2__unlock();
  }
  free(msg);
}

void fws2__violation(fws2_rule rule, const char *provider, SOCKET s,
                     const char *call, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vviolation(rule, provider, s, call, fmt, ap);
  va_end(ap);
}

void fws2__checker_safe_point(void) {
  fws2__lock();
  fws2_state *st = fws2__state(0);
  int fail = st != NULL && st->unreported > 0 && st->report == NULL &&
             st->test_thread == GetCurrentThreadId();
  if (fail)
    st->unreported = 0;
  fws2__unlock();
  if (fail)
    _fail(__FILE__, __LINE__); /* the messages were printed already */
}

/* ---- The last WSACleanup and the world's end ---- */

typedef struct leak_arg {
  int sockets_only;
  const char *when;
} leak_arg;

static void leak_one(uintptr_t h, const char *kind, DWORD entry,
                     uintptr_t context, void *user) {
  leak_arg *a = user;
  if (a->sockets_only && strncmp(kind, "socket", 6) != 0)
    return;
  fws2__lock();
  const char *prov = entry != 0 ? fws2__provider_of_entry(entry) : NULL;
  fws2__unlock();
  char who[80];
  if (entry != 0)
    snprintf(who, sizeof who, "%s (entry %lu)", prov != NULL ? prov : "?",
             (unsigned long)entry);
  else
    snprintf(who, sizeof who, "(none)");
  fws2__violation(FWS2_RULE_LEAK, who, (SOCKET)h, a->when,
                  "%s still open %s (context 0x%llx)", kind, a->when,
                  (unsigned long long)context);
}

void fws2__checker_cleanup(fws2_state *st) {
  if (!st->checking)
    return;
  leak_arg a = {1, "after the last WSACleanup"};
  wpu_world_foreach_handle(st->world, leak_one, &a);
}

static void never_completed(LPWSAOVERLAPPED ov, SOCKET s, const char *prov,
                            const char *call) {
  fws2__violation(FWS2_RULE_NEVER_COMPLETED, prov, s, call,
                  "overlapped %p was accepted but never completed before the "
                  "world ended",
                  (void *)ov);
}

/* Pending overlapped records, copied out of the lock (the first
 * PENDS_MAX; the others are counted). */
#define PENDS_MAX 64

typedef struct pend {
  LPWSAOVERLAPPED ov;
  SOCKET s;
  const char *prov, *call;
} pend;

static pend pends[PENDS_MAX];
static int npends;

static void collect(LPWSAOVERLAPPED ov, SOCKET s, const char *prov,
                    const char *call) {
  if (npends < PENDS_MAX)
    pends[npends] = (pend){ov, s, prov, call};
  npends++;
}

void fws2__checker_teardown(fws2_state *st) {
  fws2__lock();
  teardown_count = 0;
  fws2__closing = st;
  int checking = st->checking;
  npends = 0;
  if (checking)
    fws2__interpose_pending(st, collect);
  int n = npends < PENDS_MAX ? npends : PENDS_MAX, more = npends - n;
  pend copy[PENDS_MAX];
  memcpy(copy, pends, sizeof copy);
  int starts[64], cleanups[64];
  memcpy(starts, st->starts, sizeof starts);
  memcpy(cleanups, st->cleanups, sizeof cleanups);
  int slots = fws2__slot_count();
  size_t unreported = st->report == NULL ? st->unreported : 0;
  fws2__unlock();
  if (checking) {
    for (int i = 0; i < n; i++)
      never_completed(copy[i].ov, copy[i].s, copy[i].prov, copy[i].call);
    if (more > 0)
      fws2__violation(FWS2_RULE_NEVER_COMPLETED, "(several)", 0, "(several)",
                      "and %d more overlapped operations were never "
                      "completed before the world ended",
                      more);
    for (int i = 0; i < slots && i < 64; i++)
      if (starts[i] != cleanups[i])
        fws2__violation(FWS2_RULE_CLEANUP, fws2__slot_name(i), 0, "WSPCleanup",
                        "WSPStartup succeeded %d times but WSPCleanup was "
                        "called %d times by the time the world ended",
                        starts[i], cleanups[i]);
    leak_arg a = {0, "when the world ended"};
    wpu_world_foreach_handle(st->world, leak_one, &a);
  }
  fws2__lock();
  teardown_count += unreported;
  fws2__closing = NULL;
  fws2__unlock();
}
