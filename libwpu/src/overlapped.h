/* overlapped.h: socket handles' completion-port associations and what the
 * platform side provides for them (internal).
 *
 * A socket slot's object is its association: the port (held so that it
 * outlives the application's port handle, as a file object holds its port
 * on Windows) and the key. On Linux the port is the emulated port object
 * (win32/port.c); on Windows it is a duplicate of a real port handle and
 * packets are posted with ntdll's NtSetIoCompletion (mingw/route.c). */
#ifndef WPU_OVERLAPPED_H
#define WPU_OVERLAPPED_H

#include <stdint.h>

#include <winsock2.h>

/* Whether s can be associated with a port: 0, ERROR_INVALID_HANDLE (not a
 * live handle of the world) or ERROR_INVALID_PARAMETER (not a socket). */
DWORD wpu__socket_check_associable(SOCKET s);

/* Associates socket s with port and key: 0, or ERROR_INVALID_HANDLE (port
 * is not a completion port), ERROR_INVALID_PARAMETER (s is not a socket or
 * is associated already), ERROR_NOT_ENOUGH_MEMORY. */
DWORD wpu__socket_associate(SOCKET s, HANDLE port, ULONG_PTR key);

/* Records the first catalog entry an IFS handle was registered under (its
 * base provider) on the pinned slot. */
struct wpu_slot;
void wpu__socket_note_owner(struct wpu_slot *slot, DWORD catalog_id);

/* Platform side. A held port for a port handle, or NULL. */
void *wpu__port_from_handle(HANDLE port);
void wpu__port_release(void *port);
/* A socket handle was associated with port (held): from now on threads
 * waiting on it may drive the I/O driver (Linux; nothing on Windows). */
void wpu__port_note_socket(void *port);
/* Posts a packet whose I/O ended with Win32 error code error (0: success).
 * Returns 0 or an error code. */
DWORD wpu__port_post(void *port, DWORD bytes, ULONG_PTR key, LPOVERLAPPED ov,
                     DWORD error);

/* A wake-up of the futex word of a thread sleeping on a port: held (1,
 * the word is woken at the outermost wpu_wakes_release) when the calling
 * thread holds wake-ups and has room for one more, else 0 (wake it now). */
int wpu__wake_hold(uint32_t *word);

/* NTSTATUS that carries a Win32 error code (FACILITY_NTWIN32). */
#define WPU_NTSTATUS_FROM_WIN32(e) (0xC0070000u | ((e)&0xffffu))

#endif /* WPU_OVERLAPPED_H */
