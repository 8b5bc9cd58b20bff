/* wstring.c: the UTF-16 wide-string functions of wpu/wstring.h (Linux). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <wpu/wstring.h>

size_t wpu_wcslen(const WCHAR *s) {
  const WCHAR *p = s;
  while (*p)
    p++;
  return (size_t)(p - s);
}

size_t wpu_wcsnlen(const WCHAR *s, size_t max) {
  size_t n = 0;
  while (n < max && s[n])
    n++;
  return n;
}

WCHAR *wpu_wcscpy(WCHAR *dst, const WCHAR *src) {
  WCHAR *d = dst;
  while ((*d++ = *src++) != 0)
    ;
  return dst;
}

WCHAR *wpu_wcsncpy(WCHAR *dst, const WCHAR *src, size_t n) {
  size_t i = 0;
  for (; i < n && src[i]; i++)
    dst[i] = src[i];
  for (; i < n; i++)
    dst[i] = 0;
  return dst;
}

WCHAR *wpu_wcscat(WCHAR *dst, const WCHAR *src) {
  wpu_wcscpy(dst + wpu_wcslen(dst), src);
  return dst;
}

WCHAR *wpu_wcsncat(WCHAR *dst, const WCHAR *src, size_t n) {
  WCHAR *d = dst + wpu_wcslen(dst);
  size_t i = 0;
  for (; i < n && src[i]; i++)
    d[i] = src[i];
  d[i] = 0;
  return dst;
}

int wpu_wcsncmp(const WCHAR *a, const WCHAR *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (a[i] != b[i])
      return a[i] < b[i] ? -1 : 1;
    if (a[i] == 0)
      return 0;
  }
  return 0;
}

int wpu_wcscmp(const WCHAR *a, const WCHAR *b) {
  return wpu_wcsncmp(a, b, SIZE_MAX);
}

static WCHAR fold(WCHAR c) {
  return (c >= 'A' && c <= 'Z') ? (WCHAR)(c - 'A' + 'a') : c;
}

int wpu_wcsnicmp(const WCHAR *a, const WCHAR *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    WCHAR x = fold(a[i]), y = fold(b[i]);
    if (x != y)
      return x < y ? -1 : 1;
    if (x == 0)
      return 0;
  }
  return 0;
}

int wpu_wcsicmp(const WCHAR *a, const WCHAR *b) {
  return wpu_wcsnicmp(a, b, SIZE_MAX);
}

WCHAR *wpu_wcschr(const WCHAR *s, WCHAR c) {
  for (;; s++) {
    if (*s == c)
      return (WCHAR *)s;
    if (*s == 0)
      return NULL;
  }
}

WCHAR *wpu_wcsrchr(const WCHAR *s, WCHAR c) {
  const WCHAR *last = NULL;
  for (;; s++) {
    if (*s == c)
      last = s;
    if (*s == 0)
      return (WCHAR *)last;
  }
}

WCHAR *wpu_wcsstr(const WCHAR *haystack, const WCHAR *needle) {
  size_t n = wpu_wcslen(needle);
  for (; *haystack; haystack++)
    if (wpu_wcsncmp(haystack, needle, n) == 0)
      return (WCHAR *)haystack;
  return n == 0 ? (WCHAR *)haystack : NULL;
}

int wpu_wcsncpy_s(WCHAR *dst, size_t size, const WCHAR *src, size_t count) {
  if (dst == NULL || size == 0)
    return EINVAL;
  if (src == NULL) {
    dst[0] = 0;
    return EINVAL;
  }
  size_t len = wpu_wcsnlen(src, count);
  if (len >= size) {
    if (count == _TRUNCATE) {
      memcpy(dst, src, (size - 1) * sizeof(WCHAR));
      dst[size - 1] = 0;
      return STRUNCATE;
    }
    dst[0] = 0;
    return ERANGE;
  }
  memcpy(dst, src, len * sizeof(WCHAR));
  dst[len] = 0;
  return 0;
}

int wpu_wcscpy_s(WCHAR *dst, size_t size, const WCHAR *src) {
  return wpu_wcsncpy_s(dst, size, src, SIZE_MAX - 1);
}

int wpu_wcscat_s(WCHAR *dst, size_t size, const WCHAR *src) {
  if (dst == NULL || size == 0)
    return EINVAL;
  size_t used = wpu_wcsnlen(dst, size);
  if (used == size || src == NULL) {
    dst[0] = 0;
    return EINVAL;
  }
  int rc = wpu_wcsncpy_s(dst + used, size - used, src, SIZE_MAX - 1);
  if (rc != 0)
    dst[0] = 0;
  return rc;
}

/* Output sink of the formatter: counts everything, stores what fits. */
typedef struct {
  WCHAR *buf;
  size_t cap;
  size_t len;
} wsink;

static void put(wsink *o, WCHAR c) {
  if (o->len < o->cap)
    o->buf[o->len] = c;
  o->len++;
}

static void pad(wsink *o, int n) {
  while (n-- > 0)
    put(o, ' ');
}

/* Emits a string conversion: wide or narrow source, width and precision. */
static void put_str(wsink *o, const void *s, int wide, int left, int width,
                    int prec) {
  static const char null_text[] = "(null)";
  if (s == NULL) {
    s = null_text;
    wide = 0;
  }
  size_t max = prec >= 0 ? (size_t)prec : SIZE_MAX;
  size_t n = wide ? wpu_wcsnlen(s, max) : strnlen(s, max);
  int fill = width > (int)n ? width - (int)n : 0;
  if (!left)
    pad(o, fill);
  for (size_t i = 0; i < n; i++)
    put(o, wide ? ((const WCHAR *)s)[i] : (WCHAR)((const unsigned char *)s)[i]);
  if (left)
    pad(o, fill);
}

int wpu_vsnwprintf(WCHAR *buf, size_t count, const WCHAR *fmt, va_list ap) {
  wsink o = {buf, buf ? count : 0, 0};
  va_list args;
  va_copy(args, ap);
  while (*fmt) {
    if (*fmt != '%') {
      put(&o, *fmt++);
      continue;
    }
    fmt++;
    char spec[32];
    size_t sl = 0;
    int left = 0, width = -1, prec = -1;
    spec[sl++] = '%';
    while (*fmt && *fmt < 0x80 && strchr("-+ #0", (char)*fmt)) {
      if (*fmt == '-')
        left = 1;
      if (sl < 8)
        spec[sl++] = (char)*fmt;
      fmt++;
    }
    if (*fmt == '*') {
      width = va_arg(args, int);
      if (width < 0) {
        left = 1;
        width = -width;
      }
      fmt++;
    } else {
      for (width = 0; *fmt >= '0' && *fmt <= '9'; fmt++)
        width = width * 10 + (*fmt - '0');
    }
    if (*fmt == '.') {
      fmt++;
      if (*fmt == '*') {
        prec = va_arg(args, int);
        fmt++;
      } else {
        for (prec = 0; *fmt >= '0' && *fmt <= '9'; fmt++)
          prec = prec * 10 + (*fmt - '0');
      }
    }
    /* Length modifiers, Microsoft flavour: l is 32-bit, I64/ll 64-bit,
     * I/z/t/j pointer-sized or 64-bit, h narrow for strings. */
    enum { LEN_NONE, LEN_H, LEN_HH, LEN_L, LEN_64, LEN_PTR } len = LEN_NONE;
    int wide_mod = 0, narrow_mod = 0;
    for (;;) {
      if (*fmt == 'h') {
        len = len == LEN_H ? LEN_HH : LEN_H;
        narrow_mod = 1;
        fmt++;
      } else if (*fmt == 'l') {
        len = len == LEN_L ? LEN_64 : LEN_L;
        wide_mod = 1;
        fmt++;
      } else if (*fmt == 'w') {
        wide_mod = 1;
        fmt++;
      } else if (*fmt == 'I' && fmt[1] == '6' && fmt[2] == '4') {
        len = LEN_64;
        fmt += 3;
      } else if (*fmt == 'I' && fmt[1] == '3' && fmt[2] == '2') {
        len = LEN_NONE;
        fmt += 3;
      } else if (*fmt == 'I' || *fmt == 'z' || *fmt == 't' || *fmt == 'j') {
        len = LEN_PTR;
        fmt++;
      } else if (*fmt == 'L') {
        fmt++;
      } else {
        break;
      }
    }
    WCHAR conv = *fmt;
    if (conv == 0)
      break;
    fmt++;
    char tmp[512];
    int n = 0;
    switch (conv) {
    case '%':
      put(&o, '%');
      continue;
    case 's':
    case 'S': {
      const void *s = va_arg(args, const void *);
      int wide = conv == 's' ? !narrow_mod : wide_mod;
      put_str(&o, s, wide, left, width, prec);
      continue;
    }
    case 'c':
    case 'C': {
      WCHAR c[2] = {(WCHAR)va_arg(args, int), 0};
      int wide = conv == 'c' ? !narrow_mod : wide_mod;
      if (!wide)
        c[0] = (WCHAR)(unsigned char)c[0];
      put_str(&o, c, 1, left, width, -1);
      continue;
    }
    case 'd':
    case 'i':
    case 'u':
    case 'x':
    case 'X':
    case 'o': {
      if (width > 0)
        sl += (size_t)snprintf(spec + sl, sizeof spec - sl, "%d", width);
      if (prec >= 0)
        sl += (size_t)snprintf(spec + sl, sizeof spec - sl, ".%d", prec);
      int is_signed = conv == 'd' || conv == 'i';
      if (len == LEN_64 || len == LEN_PTR) {
        spec[sl++] = 'l';
        spec[sl++] = 'l';
        spec[sl++] = (char)conv;
        spec[sl] = 0;
        n = is_signed ? snprintf(tmp, sizeof tmp, spec, va_arg(args, long long))
                      : snprintf(tmp, sizeof tmp, spec,
                                 va_arg(args, unsigned long long));
      } else {
        if (len == LEN_H || len == LEN_HH)
          spec[sl++] = 'h';
        if (len == LEN_HH)
          spec[sl++] = 'h';
        spec[sl++] = (char)conv;
        spec[sl] = 0;
        n = is_signed
                ? snprintf(tmp, sizeof tmp, spec, va_arg(args, int))
                : snprintf(tmp, sizeof tmp, spec, va_arg(args, unsigned int));
      }
      break;
    }
    case 'p':
      /* Microsoft prints pointers as 16 upper-case hex digits on x64. */
      n = snprintf(tmp, sizeof tmp, "%016llX",
                   (unsigned long long)(uintptr_t)va_arg(args, void *));
      break;
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
    case 'a':
    case 'A':
      if (width > 0)
        sl += (size_t)snprintf(spec + sl, sizeof spec - sl, "%d", width);
      if (prec >= 0)
        sl += (size_t)snprintf(spec + sl, sizeof spec - sl, ".%d", prec);
      spec[sl++] = (char)conv;
      spec[sl] = 0;
      n = snprintf(tmp, sizeof tmp, spec, va_arg(args, double));
      break;
    default:
      /* Unknown conversions (and %n, which is never honoured) are printed
       * as they stand. */
      put(&o, '%');
      put(&o, conv);
      continue;
    }
    if (n > (int)sizeof tmp - 1)
      n = (int)sizeof tmp - 1;
    for (int i = 0; i < n; i++)
      put(&o, (WCHAR)(unsigned char)tmp[i]);
  }
  va_end(args);
  if (o.len < o.cap)
    o.buf[o.len] = 0;
  if (o.len > count || buf == NULL)
    return buf == NULL ? (int)o.len : -1;
  return (int)o.len;
}

int wpu_snwprintf(WCHAR *buf, size_t count, const WCHAR *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = wpu_vsnwprintf(buf, count, fmt, ap);
  va_end(ap);
  return n;
}
