/* route.c: the Windows build's routing of kernel32/ws2_32 calls that can
 * receive an emulated handle, and the platform side of completion ports.
 *
 * mingw-w64 declares kernel32 and winsock2.h functions DECLSPEC_IMPORT, so
 * callers go through __imp_<name> pointers. libwpu defines the pointers of
 * the functions below; the linker takes them from libwpu (linked before the
 * import libraries) instead of the import libraries. Each wrapper serves
 * emulated handles (values with bit 30 set below 2^31, a range real handles
 * never reach) and forwards everything else to the real function, found
 * with GetProcAddress. libuv, linked into the same program, keeps working:
 * its handles are real.
 *
 * Routed: CreateIoCompletionPort (associating an emulated socket handle
 * with a real port), and the Winsock 1.1 blocking-hook functions
 * (WSASetBlockingHook, WSAUnhookBlockingHook, WSACancelBlockingCall,
 * WSAIsBlocking), whose state WPUQueryBlockingCallback must see.
 * Completion ports stay Windows' own: an emulated socket's association
 * holds a duplicate of the real port handle, and WPUCompleteOverlappedRequest
 * posts with ntdll's NtSetIoCompletion, which carries the I/O status.
 */
#include <winsock2.h>
#include <ws2spi.h>

#include <wpu/threads.h>

#include "../blocking.h"
#include "../catalog.h"
#include "../overlapped.h"
#include "../world_impl.h"

static FARPROC real(const char *dll, const char *name) {
  HMODULE m = GetModuleHandleA(dll);
  if (m == NULL)
    m = LoadLibraryA(dll);
  return m == NULL ? NULL : GetProcAddress(m, name);
}

static int emulated(HANDLE h) {
  uintptr_t v = (uintptr_t)h;
  return (v & ~(uintptr_t)0x7ffffffc) == 0 && (v & WPU_HANDLE_TAG) != 0;
}

/* ---- Completion ports (platform side of overlapped.h) ---- */

void *wpu__port_from_handle(HANDLE port) {
  HANDLE dup = NULL;
  if (port == NULL || emulated(port) ||
      !DuplicateHandle(GetCurrentProcess(), port, GetCurrentProcess(), &dup, 0,
                       FALSE, DUPLICATE_SAME_ACCESS))
    return NULL;
  return dup;
}

void wpu__port_release(void *port) {
  CloseHandle(port);
}

void wpu__port_note_socket(void *port) {
  (void)port; /* the kernel's ports: nothing drives */
}

typedef LONG(NTAPI *set_io_completion_fn)(HANDLE, ULONG_PTR, ULONG_PTR, LONG,
                                          ULONG_PTR);

DWORD wpu__port_post(void *port, DWORD bytes, ULONG_PTR key, LPOVERLAPPED ov,
                     DWORD error) {
  static set_io_completion_fn set_io_completion;
  if (set_io_completion == NULL)
    set_io_completion = (set_io_completion_fn)(void (*)(void))real(
        "ntdll.dll", "NtSetIoCompletion");
  if (set_io_completion == NULL) /* cannot carry a status: post plainly */
    return PostQueuedCompletionStatus(port, bytes, key, ov) ? 0
                                                            : GetLastError();
  LONG status = error == 0 ? 0 : (LONG)WPU_NTSTATUS_FROM_WIN32(error);
  return set_io_completion(port, key, (ULONG_PTR)ov, status, bytes) < 0
             ? ERROR_NOT_ENOUGH_MEMORY
             : 0;
}

/* ---- CreateIoCompletionPort ---- */

typedef HANDLE(WINAPI *create_port_fn)(HANDLE, HANDLE, ULONG_PTR, DWORD);

static HANDLE WINAPI route_CreateIoCompletionPort(HANDLE FileHandle,
                                                  HANDLE Existing,
                                                  ULONG_PTR Key,
                                                  DWORD Threads) {
  static create_port_fn next;
  if (next == NULL)
    next = (create_port_fn)(void (*)(void))real("kernel32.dll",
                                                "CreateIoCompletionPort");
  if (!emulated(FileHandle))
    return next(FileHandle, Existing, Key, Threads);
  DWORD err = wpu__socket_check_associable((SOCKET)FileHandle);
  if (err != 0) {
    SetLastError(err);
    return NULL;
  }
  HANDLE port = Existing;
  if (port == NULL &&
      (port = next(INVALID_HANDLE_VALUE, NULL, 0, Threads)) == NULL)
    return NULL;
  err = wpu__socket_associate((SOCKET)FileHandle, port, Key);
  if (err != 0) {
    if (Existing == NULL)
      CloseHandle(port);
    SetLastError(err);
    return NULL;
  }
  return port;
}

/* ---- Blocking hooks ---- */

static FARPROC WSAAPI route_WSASetBlockingHook(FARPROC lpBlockFunc) {
  return wpu__set_blocking_hook(lpBlockFunc);
}

static int WSAAPI route_WSAUnhookBlockingHook(void) {
  return wpu__unhook_blocking_hook();
}

static int WSAAPI route_WSACancelBlockingCall(void) {
  return wpu__cancel_blocking_call();
}

static BOOL WSAAPI route_WSAIsBlocking(void) {
  return wpu__is_blocking();
}

/* The import pointers callers use (see the top of this file). */
void *__imp_CreateIoCompletionPort = (void *)route_CreateIoCompletionPort;
void *__imp_WSASetBlockingHook = (void *)route_WSASetBlockingHook;
void *__imp_WSAUnhookBlockingHook = (void *)route_WSAUnhookBlockingHook;
void *__imp_WSACancelBlockingCall = (void *)route_WSACancelBlockingCall;
void *__imp_WSAIsBlocking = (void *)route_WSAIsBlocking;

/* ---- The front's WSATHREADID (Windows: a real thread handle) ---- */

static volatile LONG fls_index = (LONG)FLS_OUT_OF_INDEXES;

typedef struct front_id {
  WSATHREADID id;
  uint64_t world;
} front_id;

static __thread front_id me;

static void WINAPI close_front_id(void *value) {
  front_id *f = value;
  if (f != NULL && f->id.ThreadHandle != NULL) {
    CloseHandle(f->id.ThreadHandle);
    f->id.ThreadHandle = NULL;
  }
}

LPWSATHREADID wpu_thread_id_current(void) {
  wpu_world *w = wpu__world();
  if (w == NULL)
    return NULL;
  if (me.id.ThreadHandle != NULL && me.world == w->serial)
    return &me.id;
  if (me.id.ThreadHandle != NULL)
    CloseHandle(me.id.ThreadHandle);
  me.id.ThreadHandle = NULL;
  HANDLE h;
  if (!DuplicateHandle(GetCurrentProcess(), GetCurrentThread(),
                       GetCurrentProcess(), &h, 0, FALSE,
                       DUPLICATE_SAME_ACCESS))
    return NULL;
  me.id.ThreadHandle = h;
  me.id.Reserved = GetCurrentThreadId();
  me.world = w->serial;
  /* Close it when the thread ends. */
  DWORD index = (DWORD)InterlockedCompareExchange(&fls_index, 0, 0);
  if (index == FLS_OUT_OF_INDEXES) {
    DWORD fresh = FlsAlloc(close_front_id);
    index = (DWORD)InterlockedCompareExchange(&fls_index, (LONG)fresh,
                                              (LONG)FLS_OUT_OF_INDEXES);
    if (index == FLS_OUT_OF_INDEXES)
      index = fresh;
    else
      FlsFree(fresh); /* another thread won */
  }
  if (index != FLS_OUT_OF_INDEXES)
    FlsSetValue(index, &me);
  return &me.id;
}

/* ---- WSAEnumProtocolsW/A (the catalog area) ----
 * Applications enumerate the world's catalog, not Windows' own: the import
 * pointers go straight to catalog.c, which has the same signature. */
void *__imp_WSAEnumProtocolsW = (void *)wpu__enum_protocols_w;
void *__imp_WSAEnumProtocolsA = (void *)wpu__enum_protocols_a;
