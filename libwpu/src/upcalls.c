/* upcalls.c: the WSPUPCALLTABLE handed to providers, WPUFDIsSet, and the
 * upcalls whose objects libwpu does not emulate yet.
 *
 * Not implemented yet (they fail with a documented error code and never
 * touch memory they were not given): the event upcalls (WPUCreateEvent,
 * WPUSetEvent, WPUResetEvent, WPUCloseEvent), the thread and APC upcalls
 * (WPUOpenCurrentThread, WPUCloseThread, WPUQueueApc), WPUPostMessage,
 * WPUQueryBlockingCallback and WPUGetProviderPath. Each needs the object or
 * the catalog it names, which later areas add.
 */
#include "world_impl.h"

int WSPAPI WPUFDIsSet(SOCKET s, fd_set *fdset) {
  if (fdset == NULL)
    return 0;
  /* fd_count is trusted as the caller's own FD_SETSIZE may be larger than
   * ours (providers are often built with FD_SETSIZE 1024). */
  for (u_int i = 0; i < fdset->fd_count; i++)
    if (fdset->fd_array[i] == s)
      return 1;
  return 0;
}

#ifndef _WIN32
/* ws2_32's export behind FD_ISSET; Windows has its own. */
int WSAAPI __WSAFDIsSet(SOCKET s, fd_set *set) {
  return WPUFDIsSet(s, set);
}
#endif

WSAEVENT WSPAPI WPUCreateEvent(LPINT lpErrno) {
  wpu__set_errno(lpErrno, WSA_NOT_ENOUGH_MEMORY);
  return WSA_INVALID_EVENT;
}

BOOL WSPAPI WPUCloseEvent(WSAEVENT hEvent, LPINT lpErrno) {
  (void)hEvent;
  wpu__set_errno(lpErrno, WSA_INVALID_HANDLE);
  return FALSE;
}

BOOL WSPAPI WPUSetEvent(WSAEVENT hEvent, LPINT lpErrno) {
  (void)hEvent;
  wpu__set_errno(lpErrno, WSA_INVALID_HANDLE);
  return FALSE;
}

BOOL WSPAPI WPUResetEvent(WSAEVENT hEvent, LPINT lpErrno) {
  (void)hEvent;
  wpu__set_errno(lpErrno, WSA_INVALID_HANDLE);
  return FALSE;
}

int WSPAPI WPUOpenCurrentThread(LPWSATHREADID lpThreadId, LPINT lpErrno) {
  (void)lpThreadId;
  wpu__set_errno(lpErrno, WSASYSCALLFAILURE);
  return SOCKET_ERROR;
}

int WSPAPI WPUCloseThread(LPWSATHREADID lpThreadId, LPINT lpErrno) {
  (void)lpThreadId;
  wpu__set_errno(lpErrno, WSAEINVAL);
  return SOCKET_ERROR;
}

int WSPAPI WPUQueueApc(LPWSATHREADID lpThreadId, LPWSAUSERAPC lpfnUserApc,
                       DWORD_PTR dwContext, LPINT lpErrno) {
  (void)lpThreadId;
  (void)lpfnUserApc;
  (void)dwContext;
  wpu__set_errno(lpErrno, WSAEFAULT);
  return SOCKET_ERROR;
}

BOOL WSPAPI WPUPostMessage(HWND hWnd, UINT Msg, WPARAM wParam, LPARAM lParam) {
  (void)hWnd;
  (void)Msg;
  (void)wParam;
  (void)lParam;
  return FALSE;
}

int WSPAPI WPUQueryBlockingCallback(DWORD dwCatalogEntryId,
                                    LPBLOCKINGCALLBACK *lplpfnCallback,
                                    PDWORD_PTR lpdwContext, LPINT lpErrno) {
  (void)dwCatalogEntryId;
  (void)lplpfnCallback;
  (void)lpdwContext;
  wpu__set_errno(lpErrno, WSAEFAULT);
  return SOCKET_ERROR;
}

int WSPAPI WPUGetProviderPath(LPGUID lpProviderId, WCHAR *lpszProviderDllPath,
                              LPINT lpProviderDllPathLen, LPINT lpErrno) {
  (void)lpProviderId;
  (void)lpszProviderDllPath;
  (void)lpProviderDllPathLen;
  wpu__set_errno(lpErrno, WSAEINVAL);
  return SOCKET_ERROR;
}

WSPUPCALLTABLE wpu_upcall_table(void) {
  WSPUPCALLTABLE t;
  t.lpWPUCloseEvent = WPUCloseEvent;
  t.lpWPUCloseSocketHandle = WPUCloseSocketHandle;
  t.lpWPUCreateEvent = WPUCreateEvent;
  t.lpWPUCreateSocketHandle = WPUCreateSocketHandle;
  t.lpWPUFDIsSet = WPUFDIsSet;
  t.lpWPUGetProviderPath = WPUGetProviderPath;
  t.lpWPUModifyIFSHandle = WPUModifyIFSHandle;
  t.lpWPUPostMessage = WPUPostMessage;
  t.lpWPUQueryBlockingCallback = WPUQueryBlockingCallback;
  t.lpWPUQuerySocketHandleContext = WPUQuerySocketHandleContext;
  t.lpWPUQueueApc = WPUQueueApc;
  t.lpWPUResetEvent = WPUResetEvent;
  t.lpWPUSetEvent = WPUSetEvent;
  t.lpWPUOpenCurrentThread = WPUOpenCurrentThread;
  t.lpWPUCloseThread = WPUCloseThread;
  return t;
}
