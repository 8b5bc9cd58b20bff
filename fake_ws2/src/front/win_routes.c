/* win_routes.c: on the Windows build, the import pointers of the ws2_32
 * functions the front implements, pointing at the front.
 *
 * mingw-w64 declares them DECLSPEC_IMPORT, so callers go through
 * __imp_<name>; defining those here (linked before ws2_32's import library)
 * sends an application's Winsock calls to the front, hence to the emulated
 * catalog and providers. libuv's calls were bound to the real ws2_32 when it
 * was built (cmake/build-mingw-deps.sh), so the two coexist. The rest of
 * ws2_32 (WSAGetLastError, htons, inet_pton, getaddrinfo, WSACreateEvent,
 * ...) stays Windows' own; WSAEnumProtocolsW/A go to libwpu's catalog
 * (libwpu/src/mingw/route.c). kernel32's ReadFile/WriteFile are routed too:
 * on the world's socket handles they are the front's (io.c), as ws2_32's
 * redirection makes them on Windows. */
#include "front.h"

#include <wpu/sockets.h>

#define ROUTE(name) void *__imp_##name = (void *)name;

ROUTE(WSAStartup)
ROUTE(WSACleanup)
ROUTE(socket)
ROUTE(WSASocketW)
ROUTE(WSASocketA)
ROUTE(closesocket)
ROUTE(bind)
ROUTE(listen)
ROUTE(accept)
ROUTE(WSAAccept)
ROUTE(connect)
ROUTE(WSAConnect)
ROUTE(shutdown)
ROUTE(getsockname)
ROUTE(getpeername)
ROUTE(getsockopt)
ROUTE(setsockopt)
ROUTE(WSAIoctl)
ROUTE(ioctlsocket)
ROUTE(WSADuplicateSocketW)
ROUTE(WSADuplicateSocketA)
ROUTE(send)
ROUTE(sendto)
ROUTE(recv)
ROUTE(recvfrom)
ROUTE(WSASend)
ROUTE(WSASendTo)
ROUTE(WSARecv)
ROUTE(WSARecvFrom)
ROUTE(WSAGetOverlappedResult)
ROUTE(select)
ROUTE(WSAEventSelect)
ROUTE(WSAEnumNetworkEvents)
ROUTE(WSAAsyncSelect)

/* ReadFile/WriteFile: kernel32's, except on the world's socket handles,
 * which go to the front (the owner's WSPRecv/WSPSend, or the base provider
 * for IFS handles, as on Linux). kernel32's own is found once; a racing
 * first call finds the same pointer. */
typedef BOOL(WINAPI *read_file_fn)(HANDLE, LPVOID, DWORD, LPDWORD,
                                   LPOVERLAPPED);
typedef BOOL(WINAPI *write_file_fn)(HANDLE, LPCVOID, DWORD, LPDWORD,
                                    LPOVERLAPPED);

static FARPROC kernel32(const char *name) {
  HMODULE m = GetModuleHandleA("kernel32.dll");
  return m == NULL ? NULL : GetProcAddress(m, name);
}

static int world_socket(HANDLE h) {
  int kind = wpu_socket_query((SOCKET)h, NULL);
  return kind == WPU_SOCKET_CREATED || kind == WPU_SOCKET_IFS;
}

static BOOL WINAPI route_ReadFile(HANDLE h, LPVOID buf, DWORD n, LPDWORD got,
                                  LPOVERLAPPED ov) {
  static read_file_fn real;
  if (world_socket(h))
    return fws2__ReadFile(h, buf, n, got, ov);
  if (real == NULL)
    real = (read_file_fn)(void (*)(void))kernel32("ReadFile");
  return real(h, buf, n, got, ov);
}

static BOOL WINAPI route_WriteFile(HANDLE h, LPCVOID buf, DWORD n, LPDWORD sent,
                                   LPOVERLAPPED ov) {
  static write_file_fn real;
  if (world_socket(h))
    return fws2__WriteFile(h, buf, n, sent, ov);
  if (real == NULL)
    real = (write_file_fn)(void (*)(void))kernel32("WriteFile");
  return real(h, buf, n, sent, ov);
}

void *__imp_ReadFile = (void *)route_ReadFile;
void *__imp_WriteFile = (void *)route_WriteFile;
