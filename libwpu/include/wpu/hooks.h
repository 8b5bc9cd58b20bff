/* wpu/hooks.h: one place where the test doubles see and steer every call.
 *
 * A world can carry one set of hooks (wpu_world_set_hooks). libwpu calls
 * them around every upcall (the WSPUPCALLTABLE functions and
 * WPUCompleteOverlappedRequest), every completion of an IFS handle's
 * overlapped operation (wpu_ifs_complete_overlapped, the kernel's work),
 * the kernel32-subset functions listed below (Linux), its own internal
 * allocations, and the provider start-up's clean-up; callers outside
 * libwpu report their own calls through wpu_hook_enter/wpu_hook_exit (the
 * ws2_32 front its API calls, fake_ws2's interposer the provider calls).
 * fake_ws2's trace, fault injection and contract checker
 * (fws2/trace.h, fws2/faults.h, fws2/checker.h) are built on this; libwpu
 * knows nothing about them.
 *
 * - enter runs at the entry of a call, before it does anything. Returning
 *   0 lets the call run; returning a Windows error code makes it fail with
 *   that error the way the call reports failure (upcalls: the failure
 *   value and *lpErrno; kernel32: the failure value and the last error;
 *   allocations: the operation that needed memory fails as documented for
 *   lack of memory). For WPU_HOOK_COMPLETION, WPU_HOOK_DEFER means "do
 *   nothing now": the completion is not performed and the caller is told
 *   it succeeded; the doubles perform it later (see fws2/faults.h).
 * - exit runs when the call returns, with result and error filled in
 *   (kernel32 and allocation calls get no exit: they are entry events).
 * - returned runs after exit for front calls (see below).
 * - wrap_startup is asked for every "WSPStartup" a module lookup hands out
 *   (GetProcAddress through the module registry on Linux and on the
 *   Windows build, and the provider start-up of wpu/providers.h, which
 *   uses the same lookup): it returns the function to hand out instead,
 *   e.g. an interposer that wraps the provider's proc table.
 *
 * Hooks never nest: while a hook runs on a thread, calls it makes are not
 * reported (so hooks may allocate, lock and trace freely). The thread's
 * last error and errno are saved before each hook and restored after it:
 * a hook cannot clobber what the call reports.
 *
 * enter, exit and wrap_startup must return. One that jumps out (longjmp,
 * CMocka's fail()) leaves its call half done and its thread marked as
 * inside a hook (nothing more is reported there) until the thread calls
 * wpu_world_set_hooks, which clears the mark (fws2_world_setup does, for
 * each test's world). returned may jump out (see below).
 *
 * kernel32 subset reported (Linux; on Windows kernel32 is Windows' own):
 * CreateEventW/A, CreateSemaphoreW/A, CreateThread, QueueUserAPC,
 * HeapAlloc, HeapReAlloc, LocalAlloc, GlobalAlloc, CreateIoCompletionPort,
 * PostQueuedCompletionStatus, GetQueuedCompletionStatus, LoadLibraryExW
 * (hence LoadLibraryW/A/ExA), GetProcAddress.
 * Internal allocations reported (WPU_HOOK_ALLOC): the handle table's
 * segments ("handle table": WPUCreateSocketHandle then fails with
 * WSAENOBUFS, kernel objects with ERROR_NOT_ENOUGH_MEMORY), a socket's
 * record and its completion-port association ("socket record",
 * "port association": CreateIoCompletionPort fails with
 * ERROR_NOT_ENOUGH_MEMORY), a started provider's record ("provider":
 * WSAStartup's first socket fails with WSA_NOT_ENOUGH_MEMORY).
 */
#ifndef WPU_HOOKS_H
#define WPU_HOOKS_H

#include <stdint.h>
#include <winsock2.h>
#include <ws2spi.h>

#include <wpu/world.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wpu_hook_kind {
  WPU_HOOK_FRONT = 1,  /* an application's ws2_32 call (the front) */
  WPU_HOOK_PROVIDER,   /* a WSP call into a provider (the interposer) */
  WPU_HOOK_UPCALL,     /* a WPU upcall from a provider */
  WPU_HOOK_COMPLETION, /* an overlapped completion (WPUCompleteOverlapped-
                          Request, or the kernel's for an IFS handle) */
  WPU_HOOK_KERNEL32,   /* a kernel32-subset call (entry only) */
  WPU_HOOK_ALLOC,      /* an allocation inside libwpu (entry only) */
  WPU_HOOK_NOTE        /* something that is no call: "WSACleanup: providers
                          cleaned up" (entry only) */
} wpu_hook_kind;

/* enter's answer for a completion that is to be performed later. */
#define WPU_HOOK_DEFER (-1)

typedef struct wpu_hook_call {
  wpu_hook_kind kind;
  const char *name; /* "WPUCreateSocketHandle", "WSPSend", "HeapAlloc",
                       "handle table", ...; static storage */
  DWORD catalog_id; /* the catalog entry the call names or concerns,
                       0 when none or unknown */
  SOCKET socket;    /* the socket the call is about, 0 when none */
  LPWSAOVERLAPPED overlapped; /* overlapped calls and completions */
  uintptr_t arg[2];           /* COMPLETION: error, bytes; ALLOC: size;
                                 PROVIDER/FRONT: a byte count when there is one */
  const char *caller; /* PROVIDER: the participant making the call (NULL:
                         whoever is current on the thread) */
  const char *callee; /* PROVIDER: the provider's name */
  /* Filled at exit. */
  intptr_t result; /* the return value (SOCKET, int, BOOL, pointer) */
  int failed;      /* the return value means failure */
  int error;       /* when failed: *lpErrno (upcalls, provider calls), the
                      error code (completions, WSPStartup) or the last
                      error (front calls); 0 when the call has no lpErrno
                      and reports none (e.g. WPUFDIsSet), or succeeded */
  /* For the hooks' own use between enter and exit. */
  int fault;  /* the error enter answered, 0 when none */
  int action; /* a richer answer for callers that understand one */
  uintptr_t action_arg;
  void *cookie;
  int live; /* set by wpu_hook_enter when hooks saw the entry */
} wpu_hook_call;

typedef struct wpu_hooks {
  int (*enter)(wpu_hook_call *call, void *user);
  void (*exit)(wpu_hook_call *call, void *user);
  LPWSPSTARTUP(*wrap_startup)
  (LPWSPSTARTUP startup, const WCHAR *path, void *user);
  /* Runs after exit for WPU_HOOK_FRONT calls, outside the guard against
   * nesting: the place where a hook may end the current test (longjmp),
   * since the front holds nothing then. Not counted as running (see
   * wpu_world_set_hooks): it must not use user once the hooks may have
   * been removed. */
  void (*returned)(wpu_hook_call *call, void *user);
  void *user;
} wpu_hooks;

/* Installs hooks (copied; any member may be NULL) in world, replacing any,
 * or removes them when hooks is NULL. Returns 0 or WSAEFAULT (world NULL).
 * It waits for the enter, exit and wrap_startup calls running on other
 * threads to return, so once it returns no thread runs or reads the old
 * hooks (their user data may be freed); calls whose entry the old hooks
 * saw get no exit report. Also clears the calling thread's mark of a hook
 * that jumped out (see above).
 * Thread-safety: may be called while other threads use the world and
 * report calls (installing the first hooks from any thread is safe), but
 * not from two threads at once for one world, nor from inside a hook of
 * world (it would wait for itself). */
int wpu_world_set_hooks(wpu_world *world, const wpu_hooks *hooks);

/* The hooks installed in world (a copy into *out); 0 when there are none.
 * Thread-safe. */
int wpu_world_hooks(wpu_world *world, wpu_hooks *out);

/* Reports the entry of a call of the current world to its hooks: clears
 * the output fields of *call, runs enter unless a hook is running on this
 * thread, and returns its answer (0: run the call; else the error to fail
 * with, or WPU_HOOK_DEFER). Returns 0 at once when there is no world or no
 * hook. Thread-safe. */
int wpu_hook_enter(wpu_hook_call *call);

/* Reports the return of a call whose entry was reported (call->result,
 * failed and error filled in). Does nothing when the entry was not seen
 * (call->live is 0) or the hooks were removed meanwhile. Thread-safe. */
void wpu_hook_exit(wpu_hook_call *call);

/* What a module lookup hands out for export name of the module at path:
 * for "WSPStartup" with a current world whose hooks wrap start-ups, the
 * wrapper; otherwise proc. Thread-safe. */
FARPROC wpu_hook_wrap_export(const char *name, FARPROC proc, const WCHAR *path);

/* Calls fn for every live handle of world that libwpu did not open for
 * itself: value, kind name ("socket (WPUCreateSocketHandle)", "socket
 * (IFS)", "event", "semaphore", "thread", "completion port", "window"),
 * catalog entry and context. Thread-safe (a snapshot). */
void wpu_world_foreach_handle(wpu_world *world,
                              void (*fn)(uintptr_t handle, const char *kind,
                                         DWORD catalog_id, uintptr_t context,
                                         void *user),
                              void *user);

#ifdef __cplusplus
}
#endif

#endif /* WPU_HOOKS_H */
