/* installer.h: installing and removing a layered service provider the way
 * Windows LSP installers do, with the documented WSC* functions only.
 *
 * An LSP is installed as
 *   - a hidden dummy entry (PFL_HIDDEN, ChainLen 0, LAYERED_PROTOCOL) under
 *     the LSP's own provider GUID: its catalog id D names the LSP;
 *   - one chain entry per chosen lower entry X, under a GUID of its own:
 *     a copy of X named "<name> over [<X's name>]" whose chain is D
 *     followed by X's chain ([D, X] over a base entry X, [D2, D1, base]
 *     over another LSP's chain [D1, base]);
 *   - a catalog order with the new chains first (WSCWriteProviderOrder).
 * Removal deinstalls the chains and the dummy (WSCDeinstallProvider); the
 * chains of LSPs stacked over the removed one lose its id
 * (WSCUpdateProvider), as Microsoft's instlsp does.
 *
 * All functions work on the catalog WSCEnumProtocols shows (on Windows the
 * system's; with libwpu the current world's) and return 0 or a Winsock
 * error code. They are as thread-safe as the WSC* functions, but two
 * installers running at once can interleave their changes.
 */
#ifndef LSP_INSTALLER_H
#define LSP_INSTALLER_H

#include <stddef.h>

#include <winsock2.h>
#include <ws2spi.h>

/* flags of lspinst_install */
#define LSPINST_IFS 0x1 /* an IFS LSP: XP1_IFS_HANDLES on its entries */

/* A protocol to layer over: address family, socket type, protocol. */
typedef struct lspinst_protocol {
  int af, type, protocol;
} lspinst_protocol;

/* Chooses the entries to layer over: for each protocol, in order, the first
 * entry of the catalog (in catalog order) that is not hidden and has that
 * family, type and protocol, i.e. what an application's socket() would use
 * today (another LSP's chain, if one is installed over it), or, with
 * base_only, the first base entry (ChainLen 1). ids receives n ids.
 * Errors: WSAEFAULT (NULL arguments), WSAEPROTONOSUPPORT (no entry for one
 * of the protocols), WSAENOBUFS, errors of WSCEnumProtocols. */
int lspinst_select(const lspinst_protocol *protocols, size_t n, BOOL base_only,
                   DWORD *ids);

/* Installs the LSP lsp_id (its DLL at path, as stored: e.g.
 * L"%SystemRoot%\\system32\\ifs_lsp.dll") named name over the n entries
 * lower_ids (base entries or other LSPs' chains), as described above.
 * dummy_id (may be NULL) receives D; chain_ids (may be NULL) the n chain
 * entries' ids, in the order of lower_ids. The chain entries' GUIDs are
 * lsp_id with Data1 + 1, + 2, ... (a real installer may use UuidCreate;
 * these stay the same across installs, which makes logs comparable).
 * Nothing is left installed after a failure.
 * With LSPINST_IFS every lower entry must be a base entry or a chain whose
 * layers are all IFS (XP1_IFS_HANDLES on the entry and on every entry of
 * its chain before the base): an IFS LSP cannot sit over a non-IFS one
 * (install the IFS LSP first, under the non-IFS ones).
 * Errors: WSAEFAULT (NULL lsp_id, path, name or lower_ids), WSAEINVAL (n is
 * 0, a lower id that is not a base or chain entry, an id given twice, a bad
 * path or name, LSPINST_IFS over a chain with a non-IFS layer), WSAEALREADY
 * (lsp_id is installed already), WSANO_RECOVERY (a chain would be longer than
 * MAX_PROTOCOL_CHAIN), WSAENOBUFS, and errors of WSCInstallProvider and
 * WSCWriteProviderOrder. */
int lspinst_install(const GUID *lsp_id, const WCHAR *path, const WCHAR *name,
                    DWORD flags, const DWORD *lower_ids, size_t n,
                    DWORD *dummy_id, DWORD *chain_ids);

/* Removes the LSP lsp_id: its chain entries (those whose chain starts with
 * its dummy), its dummy, and its id from the chains of LSPs stacked over it
 * (rewritten with WSCUpdateProvider; a chain left with only its dummy and a
 * base entry stays valid). The order of the other entries is kept.
 * Errors: WSAEFAULT (NULL lsp_id), WSASERVICE_NOT_FOUND (not installed),
 * WSAENOBUFS, and errors of WSCUpdateProvider and WSCDeinstallProvider. */
int lspinst_uninstall(const GUID *lsp_id);

/* The catalog id of the LSP's dummy entry, in *dummy_id.
 * Errors: WSAEFAULT, WSASERVICE_NOT_FOUND, errors of WSCEnumProtocols. */
int lspinst_find(const GUID *lsp_id, DWORD *dummy_id);

/* The whole catalog (hidden entries included), in catalog order, from
 * malloc (free it). Errors: WSAEFAULT, WSAENOBUFS, errors of
 * WSCEnumProtocols. */
int lspinst_enum(WSAPROTOCOL_INFOW **entries, size_t *count);

#endif
