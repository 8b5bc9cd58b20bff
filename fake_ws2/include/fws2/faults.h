/* fws2/faults.h: deterministic fault injection in the current world.
 *
 * A fault rule picks calls by name, and optionally by provider: any upcall
 * ("WPUCreateSocketHandle", "WPUQueueApc", ...), the kernel32 subset of
 * wpu/hooks.h ("HeapAlloc", "CreateEventW", ...; Linux), libwpu's internal
 * allocations ("handle table", "socket record", "port association",
 * "provider"), completions ("WPUCompleteOverlappedRequest", "IFS
 * completion", or "completion" for both) and every provider call down the
 * chain ("WSPSend", "WSPConnect", ...: seen by the interposer, so the
 * providers must be started after the rule's world got its doubles, e.g.
 * add the rule before WSAStartup). Among the matching calls it fires on
 * the nth (1-based) and the `count - 1` after it, or on every one (nth 0),
 * or, with `percent` set, on each with that probability drawn from a
 * generator seeded with `seed` (same seed and same calls: same choices).
 * A call matches a rule when its name (and provider) match and the rule's
 * action can act on it (see below). Every rule counts every call it
 * matches; when several fire on the same call, the first added decides
 * and only it counts a hit (the others' firing is spent on that call).
 *
 * What a firing rule does (action):
 * - FWS2_FAULT_FAIL: the call fails with `error` the way it reports
 *   failure (upcalls: failure value and *lpErrno; kernel32: failure value
 *   and last error; allocations: as for lack of memory; provider calls:
 *   SOCKET_ERROR / INVALID_SOCKET / FALSE with *lpErrno), without running.
 * Network faults, for provider calls (the base provider's, typically):
 * - FWS2_FAULT_REFUSE: the call (WSPConnect, typically) fails with
 *   WSAECONNREFUSED.
 * - FWS2_FAULT_RESET: the call (WSPRecv, WSPSend, ...) fails with
 *   WSAECONNRESET, and so does every later WSPSend/WSPRecv/WSPSendTo/
 *   WSPRecvFrom of that provider on that socket (reset mid-stream, as the
 *   layer above sees it; the peer is not told).
 * - FWS2_FAULT_PEER_CLOSE: WSPRecv/WSPRecvFrom report a graceful close (0
 *   bytes, success; an overlapped one completes with 0 bytes), now and on
 *   every later receive on that socket. Matches only those receives.
 * - FWS2_FAULT_PARTIAL_SEND: WSPSend/WSPSendTo pass only the first `arg`
 *   bytes down (arg must be at least 1): the provider sends (and reports)
 *   that many. Matches only WSPSend and WSPSendTo.
 * - FWS2_FAULT_DROP_DATAGRAM: WSPSendTo/WSPSend on a datagram socket
 *   (SOCK_DGRAM, as its WSPSocket was told) report every byte sent and
 *   send nothing (an overlapped one is completed as sent). Matches only
 *   those sends.
 * - FWS2_FAULT_DELAY: for completions: the completion is held (the
 *   overlapped stays in progress) until fws2_faults_release, which
 *   performs the held ones in order or reversed (late and reordered
 *   completions). Held completions are dropped, not performed, when the
 *   world ends (their OVERLAPPEDs may be gone): release them in the test.
 * Completion routines are the provider's own APCs: completions delivered
 * through them are not seen, so DELAY does not apply to them, nor do
 * PEER_CLOSE and DROP_DATAGRAM to overlapped calls with a routine (they
 * pass through).
 *
 * Every fired fault is recorded in the trace (kind FWS2_TRACE_FAULT).
 * Thread-safety: all functions may be called from any thread.
 * Errors are Winsock error codes.
 */
#ifndef FWS2_FAULTS_H
#define FWS2_FAULTS_H

#include <winsock2.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fws2_fault_action {
  FWS2_FAULT_FAIL = 0,
  FWS2_FAULT_REFUSE,
  FWS2_FAULT_RESET,
  FWS2_FAULT_PEER_CLOSE,
  FWS2_FAULT_PARTIAL_SEND,
  FWS2_FAULT_DROP_DATAGRAM,
  FWS2_FAULT_DELAY
} fws2_fault_action;

typedef struct fws2_fault {
  const char *call;     /* required: the call's name (see above) */
  const char *provider; /* provider calls only from/to this provider (its
                           trace name, e.g. "fws2_memnet"); NULL: any */
  unsigned nth;         /* the first matching call that fails (1-based);
                           0: every matching call */
  unsigned count;       /* with nth: how many in a row (0 means 1) */
  unsigned percent;     /* 1..100: fire with this probability instead */
  unsigned seed;        /* the generator's seed for percent */
  int error;            /* FAIL: the error (0: WSAENOBUFS for upcalls and
                           provider calls, ERROR_NOT_ENOUGH_MEMORY for
                           kernel32 and allocations) */
  fws2_fault_action action;
  unsigned arg; /* PARTIAL_SEND: bytes passed down (at least 1) */
} fws2_fault;

/* Adds a rule to the current world (making the default world when there
 * is none), after the rules there. Returns its id (> 0), or -WSAEINVAL
 * (fault NULL, call NULL, call of 48 characters or more, provider of 32
 * or more, percent above 100, an action out of range, PARTIAL_SEND with
 * arg 0) or -WSA_NOT_ENOUGH_MEMORY. The names are copied. */
int fws2_fault_add(const fws2_fault *fault);

/* The common case in one call: the nth call named call fails with error
 * (nth 0: every call). Returns as fws2_fault_add. */
int fws2_fault_inject(const char *call, unsigned nth, int error);

/* How many times rule id fired (0 for an unknown id). */
unsigned fws2_fault_hits(int id);

/* Removes rule id (0: every rule). Held completions stay held. */
void fws2_fault_remove(int id);

/* Number of completions held by FWS2_FAULT_DELAY. */
size_t fws2_faults_held(void);

/* Performs the held completions, oldest first, or newest first when
 * reversed is set (reordered), and returns how many. Call from a thread
 * that may complete I/O (any thread of the world). */
size_t fws2_faults_release(int reversed);

#ifdef __cplusplus
}
#endif

#endif /* FWS2_FAULTS_H */
