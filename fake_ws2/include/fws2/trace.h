/* fws2/trace.h: the call trace of the current world.
 *
 * Once started, every call the world sees is recorded in order: the
 * application's ws2_32 calls (the front), every provider call down the
 * chain (front -> LSP -> next layer -> base provider; seen by interposing
 * on each provider's proc table, so providers must be started after
 * fws2_trace_start, e.g. call it before WSAStartup or the first socket),
 * every upcall back to ws2_32, overlapped completions, faults injected
 * (fws2/faults.h) and contract violations (fws2/checker.h); kernel32 calls
 * and libwpu's allocations on request. Each event has the thread, the
 * caller and callee ("application", "ws2_32", a provider's DLL name
 * without ".dll", "kernel32"), the socket, the overlapped and the result.
 * A call and its return are two events.
 *
 *   fws2_trace_start(0);
 *   ... WSASend(...) ...
 *   fws2_assert_trace("WSASend", "counting_lsp:WSPSend",
 *                     "fws2_memnet:WSPSend");
 *   char *m = fws2_trace_mermaid(); ... fws2_trace_free(m);
 *
 * A provider the interposer cannot see (more than 24 distinct providers in
 * one test program) is recorded as a violation and fails the test while
 * the trace is on (fws2/checker.h, FWS2_RULE_NOT_INTERPOSED).
 *
 * The trace belongs to the world and ends with it. It keeps the last
 * `capacity` events (older ones are dropped; indexes count the kept ones).
 * Thread-safety: every function may be called from any thread; events of
 * different threads interleave in the order they were recorded.
 * Errors are Winsock error codes.
 */
#ifndef FWS2_TRACE_H
#define FWS2_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <winsock2.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Flags of fws2_trace_start. */
#define FWS2_TRACE_WITH_KERNEL32 0x1u /* record kernel32-subset calls too */
#define FWS2_TRACE_WITH_ALLOC    0x2u /* record libwpu's internal allocations */

typedef enum fws2_trace_kind {
  FWS2_TRACE_FRONT = 1,  /* application -> ws2_32 */
  FWS2_TRACE_PROVIDER,   /* ws2_32 or a layer -> a provider */
  FWS2_TRACE_UPCALL,     /* a provider -> ws2_32 (WPU...) */
  FWS2_TRACE_COMPLETION, /* an overlapped completion */
  FWS2_TRACE_KERNEL32,   /* -> kernel32 (FWS2_TRACE_WITH_KERNEL32) */
  FWS2_TRACE_ALLOC,      /* libwpu allocation (FWS2_TRACE_WITH_ALLOC) */
  FWS2_TRACE_NOTE,       /* e.g. "providers cleaned up" */
  FWS2_TRACE_FAULT,      /* a fault was injected into the call before */
  FWS2_TRACE_VIOLATION   /* the checker found a broken rule */
} fws2_trace_kind;

typedef struct fws2_trace_event {
  unsigned long seq; /* 1, 2, ... in recording order */
  DWORD thread;      /* GetCurrentThreadId() of the caller */
  fws2_trace_kind kind;
  int is_return;    /* 0: the call; 1: its return */
  const char *name; /* "WSASend", "WSPSend", "WPUCreateSocketHandle" */
  char from[32];    /* caller (for a return: still the caller) */
  char to[32];      /* callee */
  SOCKET socket;    /* 0 when none */
  DWORD catalog_id; /* the entry the call names, 0 when none */
  LPWSAOVERLAPPED overlapped; /* NULL when none */
  uintptr_t arg[2];           /* completion: error, bytes; else a count */
  long long result;           /* returns: the value returned */
  int failed;                 /* returns: it means failure */
  int error;                  /* returns: the error when failed */
  char text[96];              /* faults, violations, notes: what happened */
} fws2_trace_event;

/* fws2_trace_find's "not found". */
#define FWS2_TRACE_NONE ((size_t)-1)

/* Starts recording in the current world (making the default world when
 * there is none), keeping the last `capacity` events (0: 65536); restarting
 * keeps what was recorded and changes the flags. Returns 0 or
 * WSA_NOT_ENOUGH_MEMORY. */
int fws2_trace_start(unsigned flags, size_t capacity);

/* Stops recording (what was recorded stays until fws2_trace_clear or the
 * world's end). */
void fws2_trace_stop(void);

/* Forgets every recorded event (seq numbers start again at 1). */
void fws2_trace_clear(void);

/* Number of events kept. */
size_t fws2_trace_count(void);

/* Copies event index (0 = oldest kept) into *out. Returns 0, or WSAEINVAL
 * (no such event, or out NULL). */
int fws2_trace_get(size_t index, fws2_trace_event *out);

/* The index of the first call event (not a return) at or after start that
 * matches pattern, or FWS2_TRACE_NONE. A pattern is "Name" (any callee),
 * "callee:Name" or "caller>callee:Name", e.g. "WSASend",
 * "fws2_memnet:WSPSend", "counting_lsp>fws2_memnet:WSPRecv"; Name "*"
 * matches any name. Fault and violation events match by their call's
 * name with the callee "fault" or "checker" ("fault:WSPSend"). */
size_t fws2_trace_find(size_t start, const char *pattern);

/* Whether the patterns (a NULL-terminated list) occur as calls in this
 * order (other events may come between). Returns 0 when they do, else the
 * 1-based position of the first pattern not found after the previous. */
int fws2_trace_expect(const char *first, ...);

/* The CMocka assertion over fws2_trace_expect: fails the test naming the
 * missing pattern and printing the trace. */
#define fws2_assert_trace(...)                                                 \
  fws2__assert_trace(__FILE__, __LINE__, __VA_ARGS__, (const char *)NULL)
void fws2__assert_trace(const char *file, int line, const char *first, ...);

/* The trace as text, one event a line, the last `tail` events (0: all);
 * malloc'd, free with fws2_trace_free. NULL when out of memory. Format:
 *   "#12 t=4711 application -> ws2_32 WSASend s=0x40000004 ov=0x7ff..."
 *   "#15 t=4711 ws2_32 <- fws2_memnet WSPSend = 0"
 *   "#16 t=4711 ws2_32 <- fws2_memnet WSPSend = -1 (error 10035)" */
char *fws2_trace_text(size_t tail);

/* Sequence-diagram source of the kept events: Mermaid ("sequenceDiagram")
 * or PlantUML ("@startuml" ... "@enduml"). Participants in order of
 * appearance, application and ws2_32 first; calls are solid arrows,
 * returns dashed, faults and violations notes. malloc'd, free with
 * fws2_trace_free; NULL when out of memory. */
char *fws2_trace_mermaid(void);
char *fws2_trace_plantuml(void);

typedef enum fws2_trace_format {
  FWS2_TRACE_TEXT = 0,
  FWS2_TRACE_MERMAID,
  FWS2_TRACE_PLANTUML
} fws2_trace_format;

/* Writes the trace in a format to a file (UTF-8, replaced). Returns 0,
 * WSAEINVAL (path NULL or unknown format), WSA_NOT_ENOUGH_MEMORY or
 * WSAEACCES (the file cannot be written). */
int fws2_trace_save(const char *path, fws2_trace_format format);

/* Frees a string returned by the functions above. */
void fws2_trace_free(char *text);

#ifdef __cplusplus
}
#endif

#endif /* FWS2_TRACE_H */
