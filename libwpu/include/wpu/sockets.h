/* wpu/sockets.h: socket handles as a base provider and a test see them.
 *
 * The WPU upcalls themselves (WPUCreateSocketHandle,
 * WPUQuerySocketHandleContext, WPUCloseSocketHandle, WPUModifyIFSHandle) are
 * declared by <ws2spi.h> under their Windows names and documented in
 * README.md; this header adds what Windows does outside ws2_32:
 *
 * A base provider such as MSAFD makes its sockets as kernel file objects
 * (IFS handles) and then announces each one with WPUModifyIFSHandle. In the
 * emulation, wpu_ifs_handle_create() stands in for the kernel: it makes an
 * IFS socket handle in the world's handle namespace, owned by the caller
 * and carrying the caller's own context value. The handle dispatches to no
 * catalog entry until WPUModifyIFSHandle names one.
 *
 * Errors are written to *lpErrno as in the SPI; all functions are
 * thread-safe.
 */
#ifndef WPU_SOCKETS_H
#define WPU_SOCKETS_H

#include <winsock2.h>
#include <ws2spi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Makes an IFS socket handle with the caller's context.
 * Returns INVALID_SOCKET with WSAENOBUFS (table full or out of memory),
 * WSANOTINITIALISED (no current world) or, when lpErrno is NULL, with
 * WSAEFAULT as the thread's last error. */
SOCKET wpu_ifs_handle_create(DWORD_PTR context, LPINT lpErrno);

/* Reads the context of an IFS handle made by wpu_ifs_handle_create().
 * Returns 0, or SOCKET_ERROR with WSAENOTSOCK (not a live IFS handle) or
 * WSAEFAULT (lpContext is NULL). */
int wpu_ifs_handle_context(SOCKET s, PDWORD_PTR lpContext, LPINT lpErrno);

/* Closes an IFS handle (what closing the kernel object does on Windows).
 * Returns 0, or SOCKET_ERROR with WSAENOTSOCK. */
int wpu_ifs_handle_close(SOCKET s, LPINT lpErrno);

/* Completes an overlapped operation on an IFS handle as the kernel does for
 * a base provider's file object: stores the results in *lpOverlapped
 * (InternalHigh = cbTransferred, OffsetHigh = dwError, then Internal, never
 * WSS_OPERATION_IN_PROGRESS), signals hEvent (low bit masked) when not NULL,
 * and, unless the low bit of hEvent is set, posts (cbTransferred, key,
 * lpOverlapped) to the completion port associated with s. Completion
 * routines are the provider's to queue (WPUQueueApc), as on Windows.
 * Returns 0, or SOCKET_ERROR with WSAENOTSOCK (not a live IFS handle),
 * WSAEFAULT (lpOverlapped is NULL), WSA_NOT_ENOUGH_MEMORY. */
int wpu_ifs_complete_overlapped(SOCKET s, LPWSAOVERLAPPED lpOverlapped,
                                DWORD dwError, DWORD cbTransferred,
                                LPINT lpErrno);

/* Holds, on the calling thread, the wake-ups its completions cause, until
 * the matching wpu_wakes_release(). A provider that completes requests
 * while holding a lock of its own (a loop thread's callback, say) holds
 * the wake-ups around the locked part, so that the thread a completion
 * wakes does not run into the lock at once and spin or sleep on it again
 * (bench_uvnet measured this as the largest cost of a 64 KiB echo).
 *
 * Only the wake itself waits: the packet is queued, or handed to the
 * waiting thread, at once and in order, so other threads dequeue it as
 * usual. What is held: threads sleeping in GetQueuedCompletionStatus(Ex)
 * without alerting (the Linux emulation; on the Windows build the kernel
 * wakes and both functions only count). Event signals, alertable waits and
 * APCs wake at once. Holds nest: the outermost release wakes every thread
 * held, in order. At most 16 wake-ups are held; beyond that a wake-up
 * happens at once.
 *
 * Between the two calls the caller must not wait for anything a thread
 * sleeping on a port might do (that thread may be one it holds: it sleeps
 * until the release); waiting briefly for a lock that sleepers do not hold
 * is fine. A release without a hold does nothing. Thread-safe: the state
 * is the calling thread's own.
 *
 * wpu_wakes_held() says how many wake-ups the calling thread holds now
 * (always 0 on the Windows build). */
void wpu_wakes_hold(void);
void wpu_wakes_release(void);
int wpu_wakes_held(void);

/* The catalog entry the first WPUModifyIFSHandle registered s under: the
 * base provider that made it (ReadFile/WriteFile on an IFS handle go
 * straight to it). 0 when s is not a live IFS handle or was never
 * registered. */
DWORD wpu_ifs_handle_owner(SOCKET s);

typedef enum wpu_socket_kind {
  WPU_SOCKET_NONE = 0,    /* not a live socket handle */
  WPU_SOCKET_CREATED = 1, /* made by WPUCreateSocketHandle */
  WPU_SOCKET_IFS = 2      /* made by wpu_ifs_handle_create */
} wpu_socket_kind;

/* Which kind of socket s is and the catalog entry it dispatches to (0 for an
 * IFS handle no WPUModifyIFSHandle has named yet). catalog_id may be NULL. */
wpu_socket_kind wpu_socket_query(SOCKET s, DWORD *catalog_id);

#ifdef __cplusplus
}
#endif

#endif /* WPU_SOCKETS_H */
