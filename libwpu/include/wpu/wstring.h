/* wpu/wstring.h: UTF-16 wide-string functions for provider code on Linux.
 *
 * Windows' WCHAR is 2 bytes; glibc's wcs* functions assume a 4-byte wchar_t.
 * Provider targets compile with -fshort-wchar so that L"..." is UTF-16 as on
 * Windows, and these functions take the place of the C library's. When the
 * translation unit's wchar_t is 2 bytes, the standard names (wcslen, wcscpy,
 * ..., _snwprintf) are mapped to them by macros; otherwise only the wpu_
 * names are declared. libwpu itself calls only the wpu_ names.
 *
 * All functions are thread-safe (they touch only their arguments).
 * Semantics follow the Microsoft C runtime:
 *   - _wcsicmp folds ASCII letters only (like the "C" locale).
 *   - _snwprintf: %s, %c take WCHAR arguments, %S, %C narrow ones; %hs and
 *     %ls force narrow and wide; returns the number of WCHARs written without
 *     the terminator, or -1 when the output was truncated (then the buffer is
 *     not necessarily terminated, as with the Microsoft function).
 *   - wcsncpy_s/wcscpy_s/wcscat_s return 0, EINVAL or ERANGE, empty the
 *     destination on error, and never call an invalid-parameter handler.
 *     _TRUNCATE as count truncates and returns STRUNCATE.
 */
#ifndef WPU_WSTRING_H
#define WPU_WSTRING_H

#include <stdarg.h>
#include <stddef.h>
#include <windef.h>

#ifdef __cplusplus
extern "C" {
#endif

size_t wpu_wcslen(const WCHAR *s);
size_t wpu_wcsnlen(const WCHAR *s, size_t max);
WCHAR *wpu_wcscpy(WCHAR *dst, const WCHAR *src);
WCHAR *wpu_wcsncpy(WCHAR *dst, const WCHAR *src, size_t n);
WCHAR *wpu_wcscat(WCHAR *dst, const WCHAR *src);
WCHAR *wpu_wcsncat(WCHAR *dst, const WCHAR *src, size_t n);
int wpu_wcscmp(const WCHAR *a, const WCHAR *b);
int wpu_wcsncmp(const WCHAR *a, const WCHAR *b, size_t n);
int wpu_wcsicmp(const WCHAR *a, const WCHAR *b);
int wpu_wcsnicmp(const WCHAR *a, const WCHAR *b, size_t n);
WCHAR *wpu_wcschr(const WCHAR *s, WCHAR c);
WCHAR *wpu_wcsrchr(const WCHAR *s, WCHAR c);
WCHAR *wpu_wcsstr(const WCHAR *haystack, const WCHAR *needle);
int wpu_wcscpy_s(WCHAR *dst, size_t size, const WCHAR *src);
int wpu_wcsncpy_s(WCHAR *dst, size_t size, const WCHAR *src, size_t count);
int wpu_wcscat_s(WCHAR *dst, size_t size, const WCHAR *src);
int wpu_vsnwprintf(WCHAR *buf, size_t count, const WCHAR *fmt, va_list ap);
int wpu_snwprintf(WCHAR *buf, size_t count, const WCHAR *fmt, ...);

/* Result codes of the _s functions (Microsoft C runtime values). */
#define WPU_STRUNCATE 80
#ifndef _TRUNCATE
#define _TRUNCATE ((size_t)-1)
#endif
#ifndef STRUNCATE
#define STRUNCATE WPU_STRUNCATE
#endif

#if defined(__SIZEOF_WCHAR_T__) && __SIZEOF_WCHAR_T__ == 2 && !defined(_WIN32)
/* Let the C library declare its versions first (its header guards keep later
 * includes quiet), then send the standard names to the 2-byte versions. */
#include <wchar.h>
#include <string.h>
#include <stdlib.h>
#define wcslen      wpu_wcslen
#define wcsnlen     wpu_wcsnlen
#define wcscpy      wpu_wcscpy
#define wcsncpy     wpu_wcsncpy
#define wcscat      wpu_wcscat
#define wcsncat     wpu_wcsncat
#define wcscmp      wpu_wcscmp
#define wcsncmp     wpu_wcsncmp
#define _wcsicmp    wpu_wcsicmp
#define _wcsnicmp   wpu_wcsnicmp
#define wcschr      wpu_wcschr
#define wcsrchr     wpu_wcsrchr
#define wcsstr      wpu_wcsstr
#define wcscpy_s    wpu_wcscpy_s
#define wcsncpy_s   wpu_wcsncpy_s
#define wcscat_s    wpu_wcscat_s
#define _vsnwprintf wpu_vsnwprintf
#define _snwprintf  wpu_snwprintf
#endif

#ifdef __cplusplus
}
#endif

#endif /* WPU_WSTRING_H */
