/* fws2/memnet.h: memnet, an in-memory, deterministic base provider.
 *
 * memnet is a Winsock 2 base provider (all 30 WSPPROC_TABLE entries) whose
 * network is the process's memory: loopback TCP-like streams and UDP-like
 * datagrams for IPv4 and IPv6, with ports, a 64 KiB window per stream
 * direction, bounded datagram queues, overlapped I/O (events, completion
 * routines, completion ports), blocking and non-blocking calls, select,
 * WSPEventSelect and WSPAsyncSelect. It is written as Windows provider
 * source and builds on Linux (libwpu's kernel32) and with mingw-w64. Like
 * MSAFD it makes IFS handles (wpu_ifs_handle_create) and registers each
 * with WPUModifyIFSHandle under the catalog id of the WSAPROTOCOL_INFOW that
 * WSPSocket received. An LSP layers over it as over MSAFD.
 *
 * Usage: call fws2_memnet_WSPStartup once per catalog entry (as ws2_32
 * does, with the entry's WSAPROTOCOL_INFOW and the upcall table), and
 * WSPCleanup as many times; the last cleanup closes whatever is left.
 * fws2_memnet_protocol_info fills the entry for a family and socket type.
 *
 * Addresses: 127.0.0.0/8 and ::1 (and the wildcard addresses, which mean
 * loopback). Semantics follow Microsoft's WSP* reference pages; the top
 * of fake_ws2/providers/memnet.c lists what is not supported.
 *
 * Thread-safety: every entry point may be called from any thread at once.
 */
#ifndef FWS2_MEMNET_H
#define FWS2_MEMNET_H

#include <winsock2.h>
#include <ws2spi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The provider's WSPStartup (a DLL would export it as WSPStartup).
 * Returns 0, WSAVERNOTSUPPORTED (version below 2.0), WSAEFAULT (a NULL
 * pointer) or WSAENOBUFS. Reference-counted: every successful call needs
 * one WSPCleanup. */
int WSPAPI fws2_memnet_WSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                                  LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                  WSPUPCALLTABLE UpcallTable,
                                  LPWSPPROC_TABLE lpProcTable);

/* The provider id its catalog entries carry. */
extern const GUID fws2_memnet_provider_id;

/* The DLL path stored in the catalog, unexpanded:
 * %SystemRoot%\system32\fws2_memnet.dll (UTF-16, NUL-terminated). */
extern const WCHAR fws2_memnet_path[];

/* Fills *info with memnet's catalog entry for af (AF_INET, AF_INET6) and
 * type (SOCK_STREAM, SOCK_DGRAM): provider id, flags, protocol, address
 * sizes, name; dwCatalogEntryId is 0 for the catalog to assign. Returns 0,
 * or WSAEINVAL for another family or type (info untouched). */
int fws2_memnet_protocol_info(int af, int type, LPWSAPROTOCOL_INFOW info);

#ifdef __cplusplus
}
#endif

#endif /* FWS2_MEMNET_H */
