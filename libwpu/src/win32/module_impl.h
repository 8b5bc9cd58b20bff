/* module_impl.h: what module.c (the module registry and the loader) and
 * module_path.c (the names and paths it compares) share (internal; Linux
 * only; module.c's header says how modules are found). */
#ifndef WPU_MODULE_IMPL_H
#define WPU_MODULE_IMPL_H

#include <winsock2.h>

/* A name being looked for. */
typedef struct {
  WCHAR *full; /* expanded (LoadLibrary) or as given (GetModuleHandle) */
  WCHAR *name; /* the file name to compare, ".dll" appended if need be */
  int has_dir;
} request;

/* Fills r for name (expand_vars: with environment variables expanded;
 * default_ext: ".dll" appended to a bare name without '.', a trailing '.'
 * dropped); FALSE with the last error set. */
int wpu__module_request_make(request *r, const WCHAR *name, int expand_vars,
                             int default_ext);
void wpu__module_request_free(request *r);
/* Paths compare case-insensitively, '/' and '\' alike. */
int wpu__module_path_eq(const WCHAR *a, const WCHAR *b);
/* The file-name part of p (after its last '/' or '\'). */
const WCHAR *wpu__module_file_part(const WCHAR *p);
/* The UTF-8 Linux path of a Windows-style one (malloc'd), or NULL. */
char *wpu__module_linux_path(const WCHAR *full);
/* s converted from the ANSI code page (malloc'd); NULL for NULL, or NULL
 * with *failed set when memory runs out. */
WCHAR *wpu__module_from_acp(const char *s, int *failed);

#endif /* WPU_MODULE_IMPL_H */
