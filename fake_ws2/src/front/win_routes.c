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
 * (libwpu/src/mingw/route.c). */
#include "front.h"

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
