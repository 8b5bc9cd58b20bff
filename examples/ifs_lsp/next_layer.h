/* next_layer.h: finding and loading the layer below ifs_lsp in a protocol
 * chain (internal to ifs_lsp). */
#ifndef IFS_LSP_NEXT_LAYER_H
#define IFS_LSP_NEXT_LAYER_H

#include <winsock2.h>
#include <ws2spi.h>

typedef struct ifs_next_layer {
  DWORD self_id; /* this LSP's own chain entry for the chain */
  BOOL is_base;  /* the next layer is a base provider (ChainLen 1) */
  WSAPROTOCOL_INFOW base_info; /* that base entry, when is_base */
  HMODULE module;              /* LoadLibraryW of the next layer's DLL */
  LPWSPSTARTUP startup;
} ifs_next_layer;

/* For the chain entry `chain` (the WSAPROTOCOL_INFOW ws2_32 or an upper
 * layer passed to WSPStartup): finds this LSP's place in the chain (its
 * hidden dummy entry, found by `lsp_id` through WSCEnumProtocols, or one of
 * its own chain entries), the catalog entry after it, that entry's DLL
 * (WSCGetProviderPath, ExpandEnvironmentStringsW), loads it (LoadLibraryW)
 * and finds its WSPStartup. Memory comes from `heap`. Returns 0 or
 * WSAEPROVIDERFAILEDINIT (not in the chain, no entry below, no catalog
 * entry of this LSP for the part of the chain from its place down, the DLL
 * cannot be loaded or has no WSPStartup), WSAENOBUFS, or the error of
 * WSCEnumProtocols/WSCGetProviderPath. On success the caller owns
 * out->module (FreeLibrary). */
int ifs_next_layer_load(HANDLE heap, const GUID *lsp_id,
                        const WSAPROTOCOL_INFOW *chain, ifs_next_layer *out);

#endif
