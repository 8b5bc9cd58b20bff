/* ifs_lsp.h: an IFS Layered Service Provider, and how an application talks
 * to it.
 *
 * ifs_lsp sits over the next layer of each protocol chain it is installed
 * in (a base provider such as MSAFD or memnet, or another LSP). Its sockets
 * ARE the base provider's handles: WSPSocket and WSPAccept re-register the
 * lower handle under the layer's catalog entry with WPUModifyIFSHandle, so
 * ws2_32 sends the calls the layer overrides to it, and every other call
 * goes through the lower provider's own proc table entries, which the layer
 * copies into its table unchanged. ReadFile/WriteFile on its sockets go
 * straight to the base provider (see README.md: an IFS layer cannot see
 * them).
 *
 * What it overrides:
 *   WSPSocket, WSPAccept  lower socket + WPUModifyIFSHandle(own catalog id)
 *   WSPConnect            address rewrite: a connect to a redirected
 *                         address goes to the rule's target instead
 *   WSPSend               inspection: bytes and calls counted, occurrences
 *                         of a watched byte pattern counted (across calls)
 *   WSPIoctl              the vendor codes below; other codes go down
 *   WSPCloseSocket, WSPCleanup  its own bookkeeping, then the lower call
 *
 * Configuration and statistics, from an application (WSAIoctl on any
 * socket of the layer; synchronous: with lpOverlapped or a completion
 * routine they fail with WSAEOPNOTSUPP; on a socket that is not the
 * layer's they reach the lower provider, which rejects them):
 *
 *   ifs_lsp_redirect r = {...from, ...to};
 *   WSAIoctl(s, SIO_IFS_LSP_ADD_REDIRECT, &r, sizeof r, NULL, 0, &n,
 *            NULL, NULL);
 *
 * The rules and the pattern are the layer's (process-wide), reset when the
 * layer is loaded; statistics are per socket.
 */
#ifndef IFS_LSP_H
#define IFS_LSP_H

#include <winsock2.h>
#include <ws2spi.h>

/* Adds a rule (in: ifs_lsp_redirect): connects to `from` go to `to`. A rule
 * for the same `from` is replaced. Errors: WSAEFAULT (input shorter than
 * ifs_lsp_redirect), WSAEINVAL (a family other than AF_INET/AF_INET6, or
 * `from` and `to` of different families), WSAENOBUFS (already
 * IFS_LSP_MAX_REDIRECTS rules). */
#define SIO_IFS_LSP_ADD_REDIRECT _WSAIOW(IOC_VENDOR, 0x4C01)
/* Removes every rule (no input). */
#define SIO_IFS_LSP_CLEAR_REDIRECTS _WSAIO(IOC_VENDOR, 0x4C02)
/* Sets the byte pattern WSPSend watches for (in: 0 to IFS_LSP_MAX_PATTERN
 * bytes; 0 bytes turns watching off). Errors: WSAEINVAL (too long). */
#define SIO_IFS_LSP_SET_PATTERN _WSAIOW(IOC_VENDOR, 0x4C03)
/* Reads the socket's statistics (out: ifs_lsp_stats). Errors: WSAEFAULT
 * (output shorter than ifs_lsp_stats). */
#define SIO_IFS_LSP_GET_STATS _WSAIOR(IOC_VENDOR, 0x4C04)

#define IFS_LSP_MAX_REDIRECTS 8
#define IFS_LSP_MAX_PATTERN   16

/* A rewrite rule: address and port must match exactly (sin_addr/sin_port,
 * or sin6_addr/sin6_port; the scope id is ignored). */
typedef struct ifs_lsp_redirect {
  SOCKADDR_STORAGE from;
  SOCKADDR_STORAGE to;
} ifs_lsp_redirect;

typedef struct ifs_lsp_stats {
  ULONGLONG bytes_sent;      /* bytes WSPSend handed down and saw accepted */
  DWORD sends;               /* WSPSend calls that reached the layer */
  DWORD pattern_hits;        /* occurrences of the watched pattern */
  DWORD connects_redirected; /* WSPConnect calls that were rewritten */
} ifs_lsp_stats;

/* The LSP's provider GUID: its hidden dummy catalog entry carries it (the
 * chain entries have GUIDs of their own). The DLL exports it as GetLspGuid,
 * for installers. */
extern const GUID ifs_lsp_provider_id;

/* The DLL's exports under the names a program linking several providers
 * can tell apart; ifs_lsp.def exports them as WSPStartup and GetLspGuid.
 * IfsWSPStartup needs IfsDllMain's DLL_PROCESS_ATTACH first (the loader
 * calls it; a test registers it with wpu_module_register); without it,
 * WSPStartup fails with WSAEPROVIDERFAILEDINIT. */
int WSPAPI IfsWSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                         LPWSAPROTOCOL_INFOW lpProtocolInfo,
                         WSPUPCALLTABLE UpcallTable,
                         LPWSPPROC_TABLE lpProcTable);
void WSPAPI IfsGetLspGuid(LPGUID lpGuid);
BOOL WINAPI IfsDllMain(HINSTANCE hinstDLL, DWORD fdwReason, LPVOID lpvReserved);

#endif
