/* doubles_lsp.h: what the suites of the doubles (trace, faults, checker)
 * share: a world with memnet's standard entries and "tiny_lsp", a small
 * IFS pass-through LSP layered over memnet's TCP/IPv4 entry, loaded the way
 * real LSPs load their next layer (LoadLibraryW + GetProcAddress of a
 * registered module), and a connected TCP pair through the front. */
#ifndef DOUBLES_LSP_H
#define DOUBLES_LSP_H

#include <winsock2.h>
#include <ws2spi.h>

/* Registers memnet and tiny_lsp, installs memnet's standard entries and
 * tiny_lsp's chain over TCP/IPv4 (first in the catalog). Returns the chain
 * entry's id; fails the test on error. */
DWORD dl_install(void);

/* Installs the default base's standard entries only (memnet, or uvnet
 * with FWS2_BASE=uvnet). */
void dl_install_base(void);

/* Installs memnet's standard entries, whatever FWS2_BASE says (tests that
 * rely on memnet delivering synchronously, or name it). */
void dl_install_memnet(void);

/* Installs memnet's standard entries and a stack of two LSPs over its
 * TCP/IPv4 entry, first in the catalog: "stack_top", a non-IFS LSP
 * (WPUCreateSocketHandle handles; only WSPSocket and WSPCloseSocket
 * translate them), over "stack_ifs", an IFS LSP, loaded and started the
 * way real LSPs stack: the upper one passes its own protocol info down, the
 * lower one makes its handles for its own chain entry. Returns the top
 * chain's id. */
DWORD dl_install_stack(void);

/* A connected TCP/IPv4 pair over 127.0.0.1 through the front (WSAStartup
 * done by the caller). */
void dl_tcp_pair(SOCKET *client, SOCKET *server);

#endif /* DOUBLES_LSP_H */
