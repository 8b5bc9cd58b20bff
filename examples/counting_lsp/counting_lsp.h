/* counting_lsp.h: the counting LSP's public face: its provider GUID, its
 * entry point, and the statistics ioctl applications call.
 *
 * counting_lsp is a non-IFS layered service provider: every socket it gives
 * an application is a WPUCreateSocketHandle handle whose context is the
 * LSP's own record, and all 30 WSP* entries are its own. It counts the bytes
 * each socket sends and receives. The DLL exports CountingWSPStartup as
 * WSPStartup (counting_lsp.def); linked into a test it keeps its own name so
 * that several providers can live in one program.
 *
 * Statistics: WSAIoctl(s, SIO_COUNTING_LSP_GET_STATS, NULL, 0, &stats,
 * sizeof stats, &returned, NULL, NULL) on a socket of the LSP fills a
 * counting_lsp_stats and sets returned to sizeof stats. Errors (WSAIoctl
 * returns SOCKET_ERROR, WSAGetLastError): WSAEFAULT (output buffer NULL or
 * smaller than counting_lsp_stats), WSAENOTSOCK (not a live socket of the
 * LSP). With an overlapped structure the call completes at once and is also
 * notified (event, completion port or completion routine), as Windows does
 * for an overlapped call that succeeds immediately. The counters are a
 * consistent snapshot of the socket's completed operations; thread-safe.
 */
#ifndef COUNTING_LSP_H
#define COUNTING_LSP_H

#include <winsock2.h>
#include <ws2spi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The GUID of the LSP's hidden (dummy) catalog entry: an installer passes it
 * to WSCInstallProviderAndChains; the LSP finds its own entries by it. */
static const GUID COUNTING_LSP_GUID = {
    0x6c0a3e21,
    0x7b1d,
    0x4f4e,
    {0x9a, 0x35, 0x2d, 0x8c, 0x41, 0x5e, 0x60, 0x17}};

/* Byte and operation counts of one socket, since it was created.
 * Only operations that completed successfully count. Sends: WSPSend,
 * WSPSendTo (and WriteFile, which ws2_32 turns into WSPSend), the data of
 * ConnectEx. Receives: WSPRecv, WSPRecvFrom (and ReadFile), the data of
 * AcceptEx (counted on the accepted socket). A receive of 0 bytes (the peer
 * closed) counts as an operation. */
typedef struct counting_lsp_stats {
  ULONGLONG bytes_sent;
  ULONGLONG bytes_received;
  ULONGLONG sends;    /* completed send operations */
  ULONGLONG receives; /* completed receive operations */
} counting_lsp_stats;

/* The vendor ioctl that reads a socket's counting_lsp_stats. */
#define SIO_COUNTING_LSP_GET_STATS _WSAIOR(IOC_VENDOR, 0x4c53)

/* ws2_32's extension ioctls (Vista and later) that reach the LSP because
 * it answers SIO_BSP_HANDLE and SIO_BSP_HANDLE_POLL with its own handle:
 * WSASendMsg becomes WSAIoctl(SIO_EXT_SENDMSG) with a
 * counting_lsp_sendmsg as input, WSAPoll WSAIoctl(SIO_EXT_POLL) with a
 * counting_lsp_poll_data as input and output. The codes and the layouts
 * are Windows's (mswsock.h: SIO_EXT_SENDMSG, SIO_EXT_POLL, WSASENDMSG,
 * WSAPOLLDATA, from Microsoft's documentation); they are repeated here
 * under names of our own because Wine's headers lack them. */
#ifndef SIO_EXT_POLL
#define SIO_EXT_POLL _WSAIORW(IOC_WS2, 31)
#endif
#ifndef SIO_EXT_SENDMSG
#define SIO_EXT_SENDMSG _WSAIORW(IOC_WS2, 32)
#endif

/* WSASENDMSG: the arguments of WSASendMsg. */
typedef struct counting_lsp_sendmsg {
  LPWSAMSG lpMsg;
  DWORD dwFlags;
  LPDWORD lpNumberOfBytesSent;
  LPWSAOVERLAPPED lpOverlapped;
  LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine;
} counting_lsp_sendmsg;

/* WSAPOLLDATA: WSAPoll's result, its fds entries and its timeout. */
typedef struct counting_lsp_poll_data {
  int result;
  ULONG fds;
  INT timeout;
  WSAPOLLFD fdArray[1]; /* fds entries */
} counting_lsp_poll_data;

/* The provider's WSPStartup (exported as WSPStartup by the DLL). Called by
 * ws2_32 once per catalog entry of the LSP, with that entry's
 * WSAPROTOCOL_INFOW (a protocol chain whose first entry is the LSP), or by
 * an LSP above with its own chain. Returns 0, WSAVERNOTSUPPORTED (below
 * 2.0), WSAEFAULT (NULL pointer), WSAEINVAL (the chain does not contain
 * this LSP or names no next layer), WSAEPROVIDERFAILEDINIT (the next layer
 * cannot be found, loaded or started), WSAEINVALIDPROCTABLE (the next
 * layer's table has a NULL entry), WSAENOBUFS (out of memory). Every
 * successful call needs one WSPCleanup. */
int WSPAPI CountingWSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                              LPWSAPROTOCOL_INFOW lpProtocolInfo,
                              WSPUPCALLTABLE UpcallTable,
                              LPWSPPROC_TABLE lpProcTable);

/* Writes COUNTING_LSP_GUID to *lpGuid (nothing when NULL). The DLL exports
 * it as GetLspGuid: installers load the DLL and ask it for the GUID of the
 * dummy entry to install, as Microsoft's instlsp does. */
void WSPAPI CountingGetLspGuid(LPGUID lpGuid);

/* The DLL's DllMain (counting_lsp.dll exports it as its entry point; a
 * test registers it with wpu_module_register): keeps the HINSTANCE for the
 * WSAAsyncSelect relay window's class and makes the startup lock. Without
 * it the LSP still works: the lock is made by the first WSPStartup and the
 * window class is registered without an HINSTANCE. Always TRUE. */
BOOL WINAPI CountingDllMain(HINSTANCE hinstDLL, DWORD fdwReason,
                            LPVOID lpvReserved);

#ifdef __cplusplus
}
#endif

#endif /* COUNTING_LSP_H */
