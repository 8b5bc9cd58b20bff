/* fws2/checker.h: the SPI contract checker of the current world.
 *
 * Once enabled, every provider call down the chain (seen by interposing on
 * the proc tables of providers started afterwards: enable it before
 * WSAStartup or the first socket), every upcall and every completion is
 * checked against the documented contract. A broken rule is reported with
 * a message naming the rule, the provider (its trace name and catalog
 * entry), the handle and the call, followed by the tail of the trace (when
 * tracing, fws2/trace.h), and recorded in the trace. Rules:
 *
 * - FWS2_RULE_ERRNO: a provider call returned SOCKET_ERROR, INVALID_SOCKET
 *   or FALSE without writing *lpErrno (or wrote 0 there).
 * - FWS2_RULE_STALE_ERROR (opt-in, off unless fws2_checker_enable_rule
 *   turns it on): a call succeeded with a non-zero *lpErrno it wrote
 *   (WSA_IO_PENDING after returning 0, typically). Microsoft defines
 *   *lpErrno only when a call fails, so this is a hygiene check, not part
 *   of the contract.
 * - FWS2_RULE_FOREIGN_HANDLE: WSPSocket, WSPAccept or WSPJoinLeaf returned
 *   a handle that is no live socket of the world, or one that dispatches to
 *   a catalog entry of another provider than the one called (a provider may
 *   use any entry of its own: a layer below another gets the upper layer's
 *   protocol info and makes handles for its own entry) — not made by
 *   WPUCreateSocketHandle, nor registered with WPUModifyIFSHandle, for an
 *   entry of the provider. Providers are told apart by their module's file
 *   name in the catalog.
 * - FWS2_RULE_IFS: the provider's entry the handle dispatches to (else the
 *   entry the call named) has XP1_IFS_HANDLES in dwServiceFlags1 but the
 *   handle came from WPUCreateSocketHandle, or the reverse.
 * - FWS2_RULE_DOUBLE_COMPLETION: an overlapped operation completed twice.
 * - FWS2_RULE_NEVER_COMPLETED: an overlapped operation a provider accepted
 *   (returned 0 or WSA_IO_PENDING) was never completed by the time the
 *   world ended (its socket closed and the providers cleaned up). Not
 *   checked on sockets made without WSA_FLAG_OVERLAPPED (their providers
 *   ignore lpOverlapped) nor with a completion routine.
 * - FWS2_RULE_UNKNOWN_OVERLAPPED: WPUCompleteOverlappedRequest on an
 *   overlapped that the provider owning the socket never received, or on
 *   one whose call failed at once (an immediate failure is not completed).
 * - FWS2_RULE_PROC_TABLE: WSPStartup succeeded with a NULL entry in its
 *   proc table.
 * - FWS2_RULE_CLEANUP: WSPCleanup called more often than WSPStartup
 *   succeeded, or, when the world ends, fewer times (a layer that did not
 *   clean up its next layer).
 * - FWS2_RULE_LEAK: handles (sockets, events, threads, ports, ...) still
 *   open after the last WSACleanup (sockets) or when the world ends (any).
 * - FWS2_RULE_NOT_INTERPOSED: a provider could not be interposed (a test
 *   program of more than 24 distinct providers): nothing of it is seen.
 *   (With the trace on and the checker off, the same fails the test too.)
 *
 * Overlapped operations with a completion routine are completed by the
 * provider's own APC and are not checked for completion.
 *
 * Reporting. By default a violation is printed at once through CMocka and
 * fails the current test at the next safe point: the return of the
 * application's current ws2_32 call on the thread that enabled the checker,
 * or else the fixture's teardown (fws2_world_teardown returns -1). A report
 * function (fws2_checker_set_report) replaces this, e.g. to capture
 * violations in a test of the checker itself. A report function must
 * return: it may run inside libwpu's hooks (e.g. at a completion), where
 * jumping out (CMocka's fail(), longjmp) leaves the call half done; the
 * world's hooks recover only when the fixture makes the next world.
 *
 * Thread-safety: all functions may be called from any thread.
 * Errors are Winsock error codes.
 */
#ifndef FWS2_CHECKER_H
#define FWS2_CHECKER_H

#include <stddef.h>
#include <winsock2.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fws2_rule {
  FWS2_RULE_ERRNO = 0,
  FWS2_RULE_STALE_ERROR,
  FWS2_RULE_FOREIGN_HANDLE,
  FWS2_RULE_IFS,
  FWS2_RULE_DOUBLE_COMPLETION,
  FWS2_RULE_NEVER_COMPLETED,
  FWS2_RULE_UNKNOWN_OVERLAPPED,
  FWS2_RULE_PROC_TABLE,
  FWS2_RULE_CLEANUP,
  FWS2_RULE_LEAK,
  FWS2_RULE_NOT_INTERPOSED,
  FWS2_RULE_COUNT
} fws2_rule;

typedef struct fws2_violation {
  fws2_rule rule;
  const char *rule_name; /* "lpErrno-not-set", ... (fws2_rule_name) */
  const char *provider;  /* trace name and entry, e.g. "bad_lsp (entry
                            1007)"; "" when none */
  SOCKET socket;         /* 0 when none */
  const char *call;      /* "WSPSend", ...; "" when none */
  const char *message;   /* the full message, trace tail included */
} fws2_violation;

/* Receives each violation (the pointers are valid during the call only).
 * Runs on the thread that found it, with no lock held. */
typedef void (*fws2_checker_report_fn)(const fws2_violation *v, void *user);

/* Enables every rule but the opt-in ones in the current world (making the
 * default world when there is none). Returns 0 or WSA_NOT_ENOUGH_MEMORY. */
int fws2_checker_enable(void);

/* Stops checking rule in the current world, for the reason given (printed
 * in the trace). Returns 0, or WSAEINVAL (reason NULL or empty, rule out
 * of range), WSANOTINITIALISED (the checker is not enabled). */
int fws2_checker_relax(fws2_rule rule, const char *reason);

/* Turns on rule in the current world: an opt-in rule
 * (FWS2_RULE_STALE_ERROR), or a relaxed one again. Returns 0, or WSAEINVAL
 * (rule out of range), WSANOTINITIALISED (the checker is not enabled). */
int fws2_checker_enable_rule(fws2_rule rule);

/* Replaces the report (NULL: the default, described above). */
void fws2_checker_set_report(fws2_checker_report_fn fn, void *user);

/* Number of violations found in the current world so far. */
size_t fws2_checker_violations(void);

/* The rule's name as messages give it ("lpErrno-not-set",
 * "stale-error-on-success", "foreign-handle", "ifs-handles-mismatch",
 * "overlapped-completed-twice", "overlapped-never-completed",
 * "completion-of-unknown-overlapped", "proc-table-null-entry",
 * "startup-cleanup-balance", "leak", "provider-not-interposed"); "?" out
 * of range. */
const char *fws2_rule_name(fws2_rule rule);

/* Violations the default report found while worlds ended since the last
 * call (for fws2_world_teardown), and resets the count. */
size_t fws2_checker_teardown_violations(void);

#ifdef __cplusplus
}
#endif

#endif /* FWS2_CHECKER_H */
