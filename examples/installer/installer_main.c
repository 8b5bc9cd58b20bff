/* installer_main.c: lsp_installer, a command-line front for installer.c:
 *
 *   lsp_installer list
 *   lsp_installer install <dll path> <name> [--ifs] [--base]
 *   lsp_installer remove <dll path>
 *
 * The LSP's GUID comes from the DLL itself (LoadLibraryW + the GetLspGuid
 * export, as Microsoft's instlsp does). `install` layers over TCP and UDP
 * on IPv4 and IPv6: over whatever applications use today (so a second LSP
 * stacks over the first), or with --base over the base providers. On
 * Windows it changes the system catalog (run it as administrator); built on
 * Linux it works on the emulated catalog of its own process only. */
#include <winsock2.h>
#include <ws2spi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "installer.h"

typedef void(WSPAPI *get_lsp_guid_fn)(LPGUID);

static void print_wide(const WCHAR *w) {
  char buf[4 * WSAPROTOCOL_LEN + 8];
  int n =
      WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, (int)sizeof buf, NULL, NULL);
  fputs(n > 0 ? buf : "?", stdout);
}

static int list(void) {
  WSAPROTOCOL_INFOW *all;
  size_t n;
  int err = lspinst_enum(&all, &n);
  if (err != 0)
    return err;
  for (size_t i = 0; i < n; i++) {
    const WSAPROTOCOL_INFOW *e = &all[i];
    const WSAPROTOCOLCHAIN *c = &e->ProtocolChain;
    printf("%5lu %-7s ", (unsigned long)e->dwCatalogEntryId,
           c->ChainLen == LAYERED_PROTOCOL ? "dummy"
           : c->ChainLen == BASE_PROTOCOL  ? "base"
                                           : "chain");
    print_wide(e->szProtocol);
    if (c->ChainLen > BASE_PROTOCOL) {
      fputs("  [", stdout);
      for (int k = 0; k < c->ChainLen; k++)
        printf("%s%lu", k ? ", " : "", (unsigned long)c->ChainEntries[k]);
      fputs("]", stdout);
    }
    puts((e->dwProviderFlags & PFL_HIDDEN) ? "  (hidden)" : "");
  }
  free(all);
  return 0;
}

/* argv[i] as a WCHAR string (ANSI code page), malloc'd. */
static WCHAR *widen(const char *s) {
  int n = MultiByteToWideChar(CP_ACP, 0, s, -1, NULL, 0);
  WCHAR *w = n > 0 ? malloc((size_t)n * sizeof *w) : NULL;
  if (w != NULL)
    MultiByteToWideChar(CP_ACP, 0, s, -1, w, n);
  return w;
}

/* The GUID the LSP's DLL reports through GetLspGuid. */
static int lsp_guid(const WCHAR *path, GUID *g) {
  WCHAR full[MAX_PATH];
  DWORD n = ExpandEnvironmentStringsW(path, full, MAX_PATH);
  HMODULE m = n > 0 && n <= MAX_PATH ? LoadLibraryW(full) : NULL;
  if (m == NULL) {
    fprintf(stderr, "cannot load the LSP's DLL (error %lu)\n",
            (unsigned long)GetLastError());
    return -1;
  }
  get_lsp_guid_fn get =
      (get_lsp_guid_fn)(void (*)(void))GetProcAddress(m, "GetLspGuid");
  if (get != NULL)
    get(g);
  else
    fprintf(stderr, "the DLL does not export GetLspGuid\n");
  FreeLibrary(m);
  return get != NULL ? 0 : -1;
}

static int usage(void) {
  fputs("usage: lsp_installer list\n"
        "       lsp_installer install <dll path> <name> [--ifs] [--base]\n"
        "       lsp_installer remove <dll path>\n",
        stderr);
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return usage();
  int err = 0;
  if (strcmp(argv[1], "list") == 0 && argc == 2) {
    err = list();
  } else if ((strcmp(argv[1], "install") == 0 && argc >= 4) ||
             (strcmp(argv[1], "remove") == 0 && argc == 3)) {
    WCHAR *path = widen(argv[2]);
    GUID g;
    if (path == NULL || lsp_guid(path, &g) != 0) {
      free(path);
      return 1;
    }
    if (argv[1][0] == 'r') {
      err = lspinst_uninstall(&g);
    } else {
      DWORD flags = 0;
      BOOL base_only = FALSE;
      for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--ifs") == 0)
          flags |= LSPINST_IFS;
        else if (strcmp(argv[i], "--base") == 0)
          base_only = TRUE;
        else
          return usage();
      }
      static const lspinst_protocol protocols[] = {
          {AF_INET, SOCK_STREAM, IPPROTO_TCP},
          {AF_INET, SOCK_DGRAM, IPPROTO_UDP},
          {AF_INET6, SOCK_STREAM, IPPROTO_TCP},
          {AF_INET6, SOCK_DGRAM, IPPROTO_UDP}};
      DWORD lower[4], dummy = 0;
      WCHAR *name = widen(argv[3]);
      err = name == NULL ? WSAENOBUFS
                         : lspinst_select(protocols, 4, base_only, lower);
      if (err == 0)
        err = lspinst_install(&g, path, name, flags, lower, 4, &dummy, NULL);
      if (err == 0)
        printf("installed: dummy entry %lu\n", (unsigned long)dummy);
      free(name);
    }
    free(path);
  } else {
    return usage();
  }
  if (err != 0) {
    fprintf(stderr, "failed: Winsock error %d\n", err);
    return 1;
  }
  return 0;
}
