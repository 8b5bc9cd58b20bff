/* uv_real_winsock.c: the real ws2_32 functions for libuv on Windows.
 *
 * On the Windows build, fake_ws2's front takes over the import pointers of
 * the ws2_32 functions applications call (socket, WSASend, ...), so that a
 * test's Winsock calls reach the emulated catalog and providers. libuv,
 * linked into the same program, must keep the real ws2_32: after libuv is
 * built, cmake/build-mingw-deps.sh renames its references __imp_<name> to
 * __imp_wpu_real_<name> (objcopy --redefine-sym) and adds this object to
 * libuv's archive. Its constructor fills those pointers from ws2_32.dll
 * before main runs. Compiled by the script, not by CMake; it names no
 * libwpu symbol. */
#include <windows.h>

/* clang-format off */
#define WPU_REAL_WINSOCK(X)                                                    \
  X(WSAStartup) X(WSASocketW) X(WSAIoctl) X(WSARecv) X(WSARecvFrom)            \
  X(WSASend) X(WSASendTo) X(WSAGetOverlappedResult) X(WSADuplicateSocketW)     \
  X(socket) X(closesocket) X(bind) X(listen) X(connect) X(accept)              \
  X(setsockopt) X(getsockopt) X(getsockname) X(getpeername) X(shutdown)        \
  X(ioctlsocket) X(select) X(send) X(recv) X(sendto) X(recvfrom)
/* clang-format on */

#define DEFINE(name) void *__imp_wpu_real_##name;
WPU_REAL_WINSOCK(DEFINE)

__attribute__((constructor)) static void wpu_real_winsock_init(void) {
  HMODULE m = LoadLibraryA("ws2_32.dll");
  if (m == NULL)
    return;
#define FILL(name) __imp_wpu_real_##name = (void *)GetProcAddress(m, #name);
  WPU_REAL_WINSOCK(FILL)
}
