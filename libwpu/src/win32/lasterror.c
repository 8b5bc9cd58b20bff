/* lasterror.c: the thread's last-error value (kernel32 and ws2_32 views of
 * one per-thread slot, as on Windows). Linux only; Windows has its own. */
#include <winsock2.h>

static _Thread_local DWORD last_error;

DWORD WINAPI GetLastError(void) {
  return last_error;
}

void WINAPI SetLastError(DWORD err) {
  last_error = err;
}

int WINAPI WSAGetLastError(void) {
  return (int)last_error;
}

void WINAPI WSASetLastError(int err) {
  last_error = (DWORD)err;
}
