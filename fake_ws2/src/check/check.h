/* check.h: what the trace, the faults, the checker and the interposer
 * share (internal): the per-world state of the doubles, the one set of
 * libwpu hooks they all hang off (hub.c), and the participants of a call.
 *
 * Locking: one process-wide lock (fws2__lock) guards every piece of the
 * doubles' state; it is never held while a provider, an upcall or the
 * report callback runs. */
#ifndef FWS2_CHECK_H
#define FWS2_CHECK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <winsock2.h>
#include <ws2spi.h>

#include <fws2/checker.h>
#include <fws2/faults.h>
#include <fws2/trace.h>
#include <wpu/hooks.h>

#define FWS2_NAME_LEN 32 /* participant names, truncated */

/* ---- The per-world state ---- */

typedef struct fws2_sock_rec fws2_sock_rec;
typedef struct fws2_ov_rec fws2_ov_rec;
typedef struct fws2_rule_state fws2_rule_state;
typedef struct fws2_held fws2_held;

#define FWS2_BUCKETS 256

typedef struct fws2_state {
  wpu_world *world;
  /* Whether kernel32 and allocation entry events matter (tracing them, or
   * fault rules exist): read without the lock first (fws2__update_wants). */
  _Atomic int want_entries;
  /* trace.c */
  int tracing;
  unsigned trace_flags;
  fws2_trace_event *ring;
  size_t ring_cap;
  unsigned long next_seq; /* events recorded so far (ring holds the last) */
  /* faults.c */
  fws2_rule_state *rules;
  int next_rule_id;
  fws2_held *held_head, *held_tail;
  size_t held;
  /* checker.c */
  int checking;
  const char *relaxed[FWS2_RULE_COUNT]; /* reasons; NULL: enforced */
  int opted_in[FWS2_RULE_COUNT];        /* opt-in rules enabled */
  fws2_checker_report_fn report;
  void *report_user;
  DWORD test_thread;
  size_t violations;
  size_t unreported; /* default report: to fail at the next safe point */
  int starts[64];    /* per interposer slot: WSPStartup successes */
  /* per interposer slot: who started it in this world (the caller of its
   * entries on threads with no call of ours running: a layer's worker) */
  char loaders[64][FWS2_NAME_LEN];
  int cleanups[64]; /* ... and WSPCleanup calls */
  /* The catalog entries providers were started with through the
   * interposer: which slot serves each. */
  DWORD entry_ids[64];
  int entry_slots[64];
  int n_entries;
  /* the interposer's bookkeeping (records.c), by handle and by overlapped */
  fws2_sock_rec *socks[FWS2_BUCKETS];
  fws2_ov_rec *ovs[FWS2_BUCKETS];
} fws2_state;

void fws2__lock(void);
void fws2__unlock(void);

/* The doubles' state of the current world (the default world when there
 * is none yet), made and hooked on first use when create is set; NULL when
 * out of memory or (create unset) not made. Call with the lock held. */
fws2_state *fws2__state(int create);

/* ---- Participants (hub.c) ---- */

/* The participant the calling thread is in now: the innermost front or
 * provider call in progress on it, else "application". */
const char *fws2__current(void);
/* Forgets the calls this thread was in (a test that failed inside one
 * jumped out of it): the fixture calls it, and so does a new state. */
void fws2__hub_reset(void);
/* Recomputes st->want_entries (lock held). */
void fws2__update_wants(fws2_state *st);
/* How many traced calls are running on this thread (0: none, e.g. a
 * layer's own worker thread). */
int fws2__depth(void);

/* The provider name of a catalog entry a provider was started with through
 * the interposer, or NULL (records.c; lock held). */
const char *fws2__provider_of_entry(DWORD catalog_id);

/* ---- Hooks into each part (called by hub.c, lock NOT held) ---- */

/* trace.c: records an event built from a call (is_return: its return). */
void fws2__trace_call(const wpu_hook_call *c, const char *from, const char *to,
                      int is_return);
/* trace.c: records a note (kind FWS2_TRACE_FAULT or _VIOLATION/_NOTE). */
void fws2__trace_note(int kind, const char *name, const char *who, SOCKET s,
                      const char *text);
/* trace.c: the last n events as text (malloc'd), "" when not tracing. */
char *fws2__trace_tail(size_t n);

/* faults.c: the fault decision for a call (its error, action and arg set
 * in c); 0 when none. */
int fws2__fault_decide(wpu_hook_call *c);
/* faults.c: holds a deferred completion. */
void fws2__fault_hold(const wpu_hook_call *c);

/* checker.c: a violation of rule by provider about socket s in call. */
void fws2__violation(fws2_rule rule, const char *provider, SOCKET s,
                     const char *call, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
/* checker.c: whether rule is checked now (enabled and not relaxed). */
int fws2__checking(fws2_rule rule);
/* checker.c: the front's safe point: fails the test for violations the
 * default report recorded (test thread only). */
void fws2__checker_safe_point(void);
/* The overlapped rules at a completion about to be performed (libwpu's):
 * marks its operation done, reports one completed twice or unknown.
 * Returns 1 when it marked a pending operation done. */
int fws2__checker_completion(const wpu_hook_call *c);
/* Undoes that mark: the completion failed after all. */
void fws2__checker_completion_failed(const wpu_hook_call *c);
/* checker.c: the checks at the last WSACleanup and at world teardown. */
void fws2__checker_cleanup(fws2_state *st);
void fws2__checker_teardown(fws2_state *st);

/* interpose.c: the wrapped WSPStartup for a provider's (hub.c). */
LPWSPSTARTUP fws2__interpose(LPWSPSTARTUP startup, const WCHAR *path);
/* records.c: frees the per-world bookkeeping (lock held). */
void fws2__interpose_free(fws2_state *st);
/* records.c: the pending overlapped records left (teardown, lock held):
 * calls fn for each one never completed. */
void fws2__interpose_pending(fws2_state *st,
                             void (*fn)(LPWSAOVERLAPPED ov, SOCKET s,
                                        const char *provider,
                                        const char *call));
/* interpose.c: the slot name for index i ("?" when unused). */
const char *fws2__slot_name(int i);
int fws2__slot_count(void);
/* interpose.c: performs a completion as libwpu would (the socket's kind
 * decides: WPUCompleteOverlappedRequest or wpu_ifs_complete_overlapped),
 * bypassing the faults. */
void fws2__complete(SOCKET s, LPWSAOVERLAPPED ov, DWORD err, DWORD bytes);

/* faults.c: frees the rules and held completions (lock held). */
void fws2__faults_free(fws2_state *st);

/* Thread-local: set while fws2__complete replays a held completion. */
extern _Thread_local int fws2__replaying;

/* Small helpers. */
void fws2__wname(char *out, size_t cap, const WCHAR *path);

#endif /* FWS2_CHECK_H */
