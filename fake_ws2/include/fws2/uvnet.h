/* fws2/uvnet.h: uvnet, a base provider over real loopback TCP and UDP.
 *
 * uvnet is a Winsock 2 base provider (all 30 WSPPROC_TABLE entries) with
 * memnet's contract (fws2/memnet.h) whose sockets are real kernel sockets
 * on the loopback interface, driven by a libuv loop thread: it talks to
 * any program on 127.0.0.1 or ::1, and its timing is the kernel's. Streams
 * and datagrams for IPv4 and IPv6, blocking and non-blocking calls,
 * overlapped I/O (events, completion routines, completion ports), select,
 * WSPEventSelect and WSPAsyncSelect, conditional accept. It is written as
 * Windows provider source; like MSAFD it makes IFS handles
 * (wpu_ifs_handle_create) and registers each with WPUModifyIFSHandle under
 * the catalog id of the WSAPROTOCOL_INFOW that WSPSocket received.
 *
 * Builds: Linux, and Windows (mingw-w64; its tests run under Wine), where
 * the loop's libuv reaches the real ws2_32 through the pointers
 * cmake/build-mingw-deps.sh binds (libwpu/src/mingw/uv_real_winsock.c), so
 * uvnet's sockets are real Windows sockets there, while the program's own
 * Winsock calls go to fake_ws2's front.
 *
 * I/O: the loop reads every socket and writes what is handed to it. On
 * Linux:
 * - uvnet's loop is libwpu's I/O driver (wpu/iodriver.h): a thread that
 *   waits on a completion port with nothing queued runs the loop's rounds
 *   itself instead of sleeping, and the loop thread leaves the loop to such
 *   threads while they keep coming back (1 ms), so a program that waits on
 *   its port polls, reads, writes and completes on its own thread, without
 *   a hand-over per completion;
 * - a stream send of up to 64 KiB is written by the caller's thread itself
 *   when nothing of the socket waits in the loop, and a stream receive that
 *   finds nothing received, pending or being read reads the kernel socket
 *   into the caller's buffers while no thread runs the loop (no copy, no
 *   hop);
 * - everything else, and everything on Windows, goes through the loop.
 * Either way the bytes of one send stay together, sends keep their order
 * and received bytes come in order.
 *
 * Usage: call fws2_uvnet_WSPStartup once per catalog entry (as ws2_32
 * does, with the entry's WSAPROTOCOL_INFOW and the upcall table), and
 * WSPCleanup as many times. The first startup starts the loop thread; the
 * last cleanup closes whatever is left and stops and joins it. Through the
 * ws2_32 front: register fws2_uvnet_path with wpu_module_register
 * ({"WSPStartup", fws2_uvnet_WSPStartup}) and install the standard entries
 * with wpu_catalog_install_standard(&fws2_uvnet_provider_id,
 * fws2_uvnet_path, NULL) before WSAStartup.
 *
 * Addresses: only 127.0.0.0/8, ::1 and the wildcard addresses, which bind
 * to loopback (WSAEADDRNOTAVAIL on bind, WSAENETUNREACH on connect and
 * sendto otherwise): uvnet never sends anything off the machine. Semantics
 * follow Microsoft's WSP* reference pages; the top of
 * fake_ws2/providers/uvnet.c lists what is not supported and where the
 * kernel makes uvnet differ from memnet.
 *
 * Thread-safety: every entry point may be called from any thread at once.
 */
#ifndef FWS2_UVNET_H
#define FWS2_UVNET_H

#include <winsock2.h>
#include <ws2spi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The provider's WSPStartup (a DLL would export it as WSPStartup).
 * Returns 0, WSAVERNOTSUPPORTED (version below 2.0), WSAEFAULT (a NULL
 * pointer) or WSASYSNOTREADY (the loop thread cannot start).
 * Reference-counted: every successful call needs one WSPCleanup. */
int WSPAPI fws2_uvnet_WSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                                 LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                 WSPUPCALLTABLE UpcallTable,
                                 LPWSPPROC_TABLE lpProcTable);

/* The provider id its catalog entries carry. */
extern const GUID fws2_uvnet_provider_id;

/* The DLL path stored in the catalog, unexpanded:
 * %SystemRoot%\system32\fws2_uvnet.dll (UTF-16, NUL-terminated). */
extern const WCHAR fws2_uvnet_path[];

/* Fills *info with uvnet's catalog entry for af (AF_INET, AF_INET6) and
 * type (SOCK_STREAM, SOCK_DGRAM): provider id, flags, protocol, address
 * sizes, name; dwCatalogEntryId is 0 for the catalog to assign. Returns 0,
 * or WSAEINVAL for another family or type, or a NULL info (info
 * untouched). */
int fws2_uvnet_protocol_info(int af, int type, LPWSAPROTOCOL_INFOW info);

#ifdef __cplusplus
}
#endif

#endif /* FWS2_UVNET_H */
