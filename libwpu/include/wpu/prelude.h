/* wpu/prelude.h: force-included first into provider code built for Linux.
 *
 * Wine's <winsock2.h> must be seen before glibc's <stdlib.h> and
 * <sys/types.h>, which define fd_set, timeval and select differently. Provider
 * source includes headers in any order, so provider targets compile with
 * `-include wpu/prelude.h` (wpu_add_provider() in cmake/WpuProvider.cmake
 * adds it). The prelude then maps the C library's wide-string functions to
 * libwpu's 2-byte versions when WCHAR is a 2-byte wchar_t (-fshort-wchar).
 * On Windows (mingw-w64, MSVC) this header does nothing.
 */
#ifndef WPU_PRELUDE_H
#define WPU_PRELUDE_H

#if !defined(_WIN32)
#include <winsock2.h>
#include <ws2spi.h>
#include <wpu/interlocked.h>
#include <wpu/wstring.h>
#endif

#endif /* WPU_PRELUDE_H */
