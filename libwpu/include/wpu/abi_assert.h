/* wpu/abi_assert.h: compile-time checks that the Windows types seen by this
 * translation unit have the Windows x64 layout.
 *
 * Including this header after <winsock2.h> and <ws2spi.h> fails the build if
 * a size or a key offset differs from the Windows x64 ABI. libwpu compiles it
 * on Linux (Wine headers plus libwpu's compat layer) and in the mingw-w64
 * build (mingw-w64's own headers); the tests compile it once more in a
 * provider-style translation unit (-fshort-wchar).
 */
#ifndef WPU_ABI_ASSERT_H
#define WPU_ABI_ASSERT_H

#include <stddef.h>

#define WPU_ABI_SIZE(type, size)                                               \
  _Static_assert(sizeof(type) == (size), "sizeof(" #type ") != " #size)
#define WPU_ABI_OFFSET(type, field, off)                                       \
  _Static_assert(offsetof(type, field) == (off),                               \
                 "offsetof(" #type ", " #field ") != " #off)

#if defined(_WIN64) || defined(__x86_64__)
WPU_ABI_SIZE(WCHAR, 2);
WPU_ABI_SIZE(LONG, 4);
WPU_ABI_SIZE(DWORD, 4);
WPU_ABI_SIZE(DWORD_PTR, 8);
WPU_ABI_SIZE(SOCKET, 8);
WPU_ABI_SIZE(HANDLE, 8);
WPU_ABI_SIZE(GUID, 16);

WPU_ABI_SIZE(WSAPROTOCOL_INFOW, 628);
WPU_ABI_OFFSET(WSAPROTOCOL_INFOW, dwServiceFlags1, 0);
WPU_ABI_OFFSET(WSAPROTOCOL_INFOW, dwProviderFlags, 16);
WPU_ABI_OFFSET(WSAPROTOCOL_INFOW, ProviderId, 20);
WPU_ABI_OFFSET(WSAPROTOCOL_INFOW, dwCatalogEntryId, 36);
WPU_ABI_OFFSET(WSAPROTOCOL_INFOW, ProtocolChain, 40);
WPU_ABI_OFFSET(WSAPROTOCOL_INFOW, iVersion, 72);
WPU_ABI_OFFSET(WSAPROTOCOL_INFOW, iAddressFamily, 76);
WPU_ABI_OFFSET(WSAPROTOCOL_INFOW, iSocketType, 88);
WPU_ABI_OFFSET(WSAPROTOCOL_INFOW, iProtocol, 92);
WPU_ABI_OFFSET(WSAPROTOCOL_INFOW, dwProviderReserved, 112);
WPU_ABI_OFFSET(WSAPROTOCOL_INFOW, szProtocol, 116);
WPU_ABI_SIZE(WSAPROTOCOLCHAIN, 32);

WPU_ABI_SIZE(WSAOVERLAPPED, 32);
WPU_ABI_OFFSET(WSAOVERLAPPED, Internal, 0);
WPU_ABI_OFFSET(WSAOVERLAPPED, InternalHigh, 8);
WPU_ABI_OFFSET(WSAOVERLAPPED, Offset, 16);
WPU_ABI_OFFSET(WSAOVERLAPPED, OffsetHigh, 20);
WPU_ABI_OFFSET(WSAOVERLAPPED, hEvent, 24);

WPU_ABI_SIZE(WSABUF, 16);
WPU_ABI_OFFSET(WSABUF, buf, 8);

WPU_ABI_SIZE(WSATHREADID, 16);
WPU_ABI_OFFSET(WSATHREADID, ThreadHandle, 0);
WPU_ABI_OFFSET(WSATHREADID, Reserved, 8);

WPU_ABI_SIZE(WSPDATA, 516);
WPU_ABI_OFFSET(WSPDATA, wVersion, 0);
WPU_ABI_OFFSET(WSPDATA, wHighVersion, 2);
WPU_ABI_OFFSET(WSPDATA, szDescription, 4);

WPU_ABI_SIZE(WSPPROC_TABLE, 30 * 8);
WPU_ABI_OFFSET(WSPPROC_TABLE, lpWSPAccept, 0 * 8);
WPU_ABI_OFFSET(WSPPROC_TABLE, lpWSPCleanup, 5 * 8);
WPU_ABI_OFFSET(WSPPROC_TABLE, lpWSPCloseSocket, 6 * 8);
WPU_ABI_OFFSET(WSPPROC_TABLE, lpWSPGetOverlappedResult, 11 * 8);
WPU_ABI_OFFSET(WSPPROC_TABLE, lpWSPIoctl, 16 * 8);
WPU_ABI_OFFSET(WSPPROC_TABLE, lpWSPRecv, 19 * 8);
WPU_ABI_OFFSET(WSPPROC_TABLE, lpWSPSelect, 22 * 8);
WPU_ABI_OFFSET(WSPPROC_TABLE, lpWSPSend, 23 * 8);
WPU_ABI_OFFSET(WSPPROC_TABLE, lpWSPSocket, 28 * 8);
WPU_ABI_OFFSET(WSPPROC_TABLE, lpWSPStringToAddress, 29 * 8);

WPU_ABI_SIZE(WSPUPCALLTABLE, 15 * 8);
WPU_ABI_OFFSET(WSPUPCALLTABLE, lpWPUCloseEvent, 0 * 8);
WPU_ABI_OFFSET(WSPUPCALLTABLE, lpWPUCreateSocketHandle, 3 * 8);
WPU_ABI_OFFSET(WSPUPCALLTABLE, lpWPUFDIsSet, 4 * 8);
WPU_ABI_OFFSET(WSPUPCALLTABLE, lpWPUModifyIFSHandle, 6 * 8);
WPU_ABI_OFFSET(WSPUPCALLTABLE, lpWPUQuerySocketHandleContext, 9 * 8);
WPU_ABI_OFFSET(WSPUPCALLTABLE, lpWPUQueueApc, 10 * 8);
WPU_ABI_OFFSET(WSPUPCALLTABLE, lpWPUOpenCurrentThread, 13 * 8);
WPU_ABI_OFFSET(WSPUPCALLTABLE, lpWPUCloseThread, 14 * 8);

WPU_ABI_SIZE(CRITICAL_SECTION, 40);
WPU_ABI_OFFSET(fd_set, fd_array, 8);
#else
#error "libwpu emulates the Windows x64 ABI only"
#endif

#endif /* WPU_ABI_ASSERT_H */
