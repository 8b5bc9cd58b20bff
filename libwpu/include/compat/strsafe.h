/* compat/strsafe.h: the StringCch and StringCb functions for Linux builds.
 *
 * Wine 8's <strsafe.h> only defines the error codes. The SDK's functions are
 * inline header code; libwpu supplies them as functions with the SDK's
 * documented behaviour (written from Microsoft's reference pages):
 *   - S_OK on success;
 *   - STRSAFE_E_INSUFFICIENT_BUFFER when the result was truncated (the
 *     destination then holds the truncated, always terminated, string);
 *   - STRSAFE_E_INVALID_PARAMETER when the size is 0 or larger than
 *     STRSAFE_MAX_CCH (the destination is left alone when the size is 0,
 *     emptied otherwise).
 * The W functions take UTF-16 WCHAR strings (see wpu/wstring.h for the
 * printf conversions). Thread-safe: they touch only their arguments.
 * The A and W names are always available; the generic names (StringCchCopy,
 * ...) map to W when UNICODE is defined and to A otherwise, as in the SDK.
 */
#ifndef WPU_COMPAT_STRSAFE_H
#define WPU_COMPAT_STRSAFE_H

#include <windef.h>
#include <winerror.h>
#include_next <strsafe.h>
#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef STRSAFE_MAX_CCH
#define STRSAFE_MAX_CCH 2147483647
#endif
#ifndef STRSAFE_E_INVALID_PARAMETER
#define STRSAFE_E_INVALID_PARAMETER ((HRESULT)0x80070057L)
#endif
#ifndef STRSAFE_E_INSUFFICIENT_BUFFER
#define STRSAFE_E_INSUFFICIENT_BUFFER ((HRESULT)0x8007007AL)
#endif

HRESULT StringCchCopyW(WCHAR *pszDest, size_t cchDest, const WCHAR *pszSrc);
HRESULT StringCchCopyNW(WCHAR *pszDest, size_t cchDest, const WCHAR *pszSrc,
                        size_t cchToCopy);
HRESULT StringCchCatW(WCHAR *pszDest, size_t cchDest, const WCHAR *pszSrc);
HRESULT StringCchCatNW(WCHAR *pszDest, size_t cchDest, const WCHAR *pszSrc,
                       size_t cchToAppend);
HRESULT StringCchVPrintfW(WCHAR *pszDest, size_t cchDest,
                          const WCHAR *pszFormat, va_list argList);
HRESULT StringCchPrintfW(WCHAR *pszDest, size_t cchDest, const WCHAR *pszFormat,
                         ...);
HRESULT StringCchLengthW(const WCHAR *psz, size_t cchMax, size_t *pcchLength);
HRESULT StringCbCopyW(WCHAR *pszDest, size_t cbDest, const WCHAR *pszSrc);
HRESULT StringCbCopyNW(WCHAR *pszDest, size_t cbDest, const WCHAR *pszSrc,
                       size_t cbToCopy);
HRESULT StringCbCatW(WCHAR *pszDest, size_t cbDest, const WCHAR *pszSrc);
HRESULT StringCbCatNW(WCHAR *pszDest, size_t cbDest, const WCHAR *pszSrc,
                      size_t cbToAppend);
HRESULT StringCbVPrintfW(WCHAR *pszDest, size_t cbDest, const WCHAR *pszFormat,
                         va_list argList);
HRESULT StringCbPrintfW(WCHAR *pszDest, size_t cbDest, const WCHAR *pszFormat,
                        ...);
HRESULT StringCbLengthW(const WCHAR *psz, size_t cbMax, size_t *pcbLength);

HRESULT StringCchCopyA(char *pszDest, size_t cchDest, const char *pszSrc);
HRESULT StringCchCopyNA(char *pszDest, size_t cchDest, const char *pszSrc,
                        size_t cchToCopy);
HRESULT StringCchCatA(char *pszDest, size_t cchDest, const char *pszSrc);
HRESULT StringCchCatNA(char *pszDest, size_t cchDest, const char *pszSrc,
                       size_t cchToAppend);
HRESULT StringCchVPrintfA(char *pszDest, size_t cchDest, const char *pszFormat,
                          va_list argList);
HRESULT StringCchPrintfA(char *pszDest, size_t cchDest, const char *pszFormat,
                         ...);
HRESULT StringCchLengthA(const char *psz, size_t cchMax, size_t *pcchLength);
HRESULT StringCbCopyA(char *pszDest, size_t cbDest, const char *pszSrc);
HRESULT StringCbCopyNA(char *pszDest, size_t cbDest, const char *pszSrc,
                       size_t cbToCopy);
HRESULT StringCbCatA(char *pszDest, size_t cbDest, const char *pszSrc);
HRESULT StringCbCatNA(char *pszDest, size_t cbDest, const char *pszSrc,
                      size_t cbToAppend);
HRESULT StringCbVPrintfA(char *pszDest, size_t cbDest, const char *pszFormat,
                         va_list argList);
HRESULT StringCbPrintfA(char *pszDest, size_t cbDest, const char *pszFormat,
                        ...);
HRESULT StringCbLengthA(const char *psz, size_t cbMax, size_t *pcbLength);

#ifdef UNICODE
#define WPU_STRSAFE_TCHAR(name) name##W
#else
#define WPU_STRSAFE_TCHAR(name) name##A
#endif
#define StringCchCopy    WPU_STRSAFE_TCHAR(StringCchCopy)
#define StringCchCopyN   WPU_STRSAFE_TCHAR(StringCchCopyN)
#define StringCchCat     WPU_STRSAFE_TCHAR(StringCchCat)
#define StringCchCatN    WPU_STRSAFE_TCHAR(StringCchCatN)
#define StringCchVPrintf WPU_STRSAFE_TCHAR(StringCchVPrintf)
#define StringCchPrintf  WPU_STRSAFE_TCHAR(StringCchPrintf)
#define StringCchLength  WPU_STRSAFE_TCHAR(StringCchLength)
#define StringCbCopy     WPU_STRSAFE_TCHAR(StringCbCopy)
#define StringCbCopyN    WPU_STRSAFE_TCHAR(StringCbCopyN)
#define StringCbCat      WPU_STRSAFE_TCHAR(StringCbCat)
#define StringCbCatN     WPU_STRSAFE_TCHAR(StringCbCatN)
#define StringCbVPrintf  WPU_STRSAFE_TCHAR(StringCbVPrintf)
#define StringCbPrintf   WPU_STRSAFE_TCHAR(StringCbPrintf)
#define StringCbLength   WPU_STRSAFE_TCHAR(StringCbLength)

#ifdef __cplusplus
}
#endif

#endif /* WPU_COMPAT_STRSAFE_H */
