/* counting_test.h: what counting_lsp's test files share: the world each
 * test builds (memnet's base entries, the LSP registered and installed over
 * them) and small socket helpers. Every helper fails the test on error. */
#ifndef COUNTING_TEST_H
#define COUNTING_TEST_H

#include <winsock2.h>
#include <wpu/catalog.h>

#include "counting_lsp.h"

#define WAIT_MS 20000

extern const WCHAR lsp_path[];
extern DWORD base_ids[WPU_CATALOG_STANDARD_COUNT];
extern DWORD lsp_dummy, lsp_chains[WPU_CATALOG_STANDARD_COUNT];

/* memnet's base entries (the first four of the catalog, ids in base_ids)
 * and the LSP's module registered under lsp_path. */
void install_base(void);
/* counting_lsp's chains over the four entries lower (lsp_dummy,
 * lsp_chains). */
void install_counting_over(const DWORD *lower);
/* WSAStartup 2.2; 0 or its error. */
int startup(void);
/* Fixtures: a world with the LSP over memnet and WSAStartup done; a world
 * with memnet's entries and the module only; the end of either. */
int setup(void **state);
int setup_base_only(void **state);
int teardown(void **state);

struct sockaddr_in loopback(u_short port);
/* A listening TCP/IPv4 socket on 127.0.0.1 (its address in *a). */
SOCKET listener(struct sockaddr_in *a);
/* A connected TCP/IPv4 pair: *c connected to *s (accepted). */
void connected_pair(SOCKET *c, SOCKET *s);
/* The LSP's counts for s (SIO_COUNTING_LSP_GET_STATS). */
counting_lsp_stats stats_of(SOCKET s);
/* Receives exactly n bytes into buf. */
void recv_exactly(SOCKET s, char *buf, int n);
/* The extension function id of s (SIO_GET_EXTENSION_FUNCTION_POINTER). */
void *extension(SOCKET s, GUID id);

#endif
