/* codepage.c: kernel32's code-page conversions, WideCharToMultiByte and
 * MultiByteToWideChar, and the code-page queries GetACP and GetOEMCP (Linux
 * only).
 *
 * The process looks like a western Windows: the ANSI code page is
 * Windows-1252 and the OEM code page is 437. Three code pages exist:
 *   - CP_UTF8 (65001): UTF-8, with surrogate pairs for U+10000..U+10FFFF.
 *   - CP_ACP, CP_THREAD_ACP and 1252: Windows-1252. 0x00-0x7F and 0xA0-0xFF
 *     are U+0000-U+007F and U+00A0-U+00FF; 0x80-0x9F hold the euro sign,
 *     typographic quotes, dashes, S/s/Z/z with caron, OE/oe, Y diaeresis and
 *     so on, and the five bytes Windows-1252 leaves unassigned (0x81, 0x8D,
 *     0x8F, 0x90, 0x9D) map to the C1 controls of the same value, as on
 *     Windows, so every byte converts and converts back.
 *   - CP_OEMCP and 437: the IBM PC code page (accented letters, box drawing,
 *     Greek letters and mathematical signs in 0x80-0xFF). With
 *     MB_USEGLYPHCHARS, 0x01-0x1F and 0x7F become the PC's glyphs (U+263A
 *     smiling face ... U+2302 house) instead of control characters; the
 *     other way, those glyphs become their bytes unless WC_NO_BEST_FIT_CHARS
 *     is given.
 * Any other code page (CP_MACCP, CP_SYMBOL, CP_UTF7, other numbers) fails
 * with ERROR_INVALID_PARAMETER, as Windows does for a code page that is not
 * installed.
 *
 * MultiByteToWideChar(cp, flags, src, srclen, dst, dstlen):
 *   - srclen -1: src is NUL-terminated and the NUL is converted (and
 *     counted); otherwise exactly srclen bytes, NULs included, and no NUL is
 *     added. dstlen 0: returns the number of WCHARs needed, dst is not used.
 *   - Returns the number of WCHARs written. 0 on failure with
 *     ERROR_INVALID_PARAMETER (src NULL, srclen 0 or below -1, dstlen
 *     negative, dst NULL with dstlen > 0, src and dst the same pointer, an
 *     unknown code page), ERROR_INVALID_FLAGS, ERROR_INSUFFICIENT_BUFFER
 *     (dst then holds the characters that fit, never half a surrogate pair)
 *     or ERROR_NO_UNICODE_TRANSLATION.
 *   - UTF-8: flags must be 0 or MB_ERR_INVALID_CHARS (ERROR_INVALID_FLAGS
 *     otherwise, MB_PRECOMPOSED included, as documented). Ill-formed input
 *     (stray continuation bytes, overlong forms, encoded surrogates, values
 *     above U+10FFFF, truncated sequences) fails with
 *     ERROR_NO_UNICODE_TRANSLATION under MB_ERR_INVALID_CHARS; otherwise
 *     each maximal ill-formed subpart (Unicode's recommended practice)
 *     becomes one U+FFFD, as Windows Vista and later replace it. A byte
 *     order mark is converted like any other character.
 *   - 1252 and 437: MB_PRECOMPOSED, MB_USEGLYPHCHARS and
 *     MB_ERR_INVALID_CHARS are accepted (no byte is invalid in either code
 *     page). MB_COMPOSITE (decomposed output) is not supported and fails with
 *     ERROR_INVALID_FLAGS, as does any undefined flag.
 *
 * WideCharToMultiByte(cp, flags, src, srclen, dst, dstlen, defchar, used):
 *   - srclen and dstlen as above, in WCHARs and bytes; the same
 *     ERROR_INVALID_PARAMETER cases (srclen 0 included).
 *   - UTF-8: flags must be 0 or WC_ERR_INVALID_CHARS (ERROR_INVALID_FLAGS
 *     otherwise); defchar and used must be NULL (ERROR_INVALID_PARAMETER
 *     otherwise, as documented). An unpaired surrogate fails with
 *     ERROR_NO_UNICODE_TRANSLATION under WC_ERR_INVALID_CHARS, and is
 *     otherwise written as U+FFFD (EF BF BD).
 *   - 1252 and 437: WC_COMPOSITECHECK, WC_DISCARDNS, WC_SEPCHARS,
 *     WC_DEFAULTCHAR and WC_NO_BEST_FIT_CHARS are accepted; anything else,
 *     WC_ERR_INVALID_CHARS included, fails with ERROR_INVALID_FLAGS. A
 *     character the code page cannot represent becomes defchar[0] ('?' when
 *     defchar is NULL), one per UTF-16 unit (a surrogate pair gives two), and
 *     sets *used to TRUE; *used is FALSE when every character converted
 *     (both also on a size query).
 *   - Not supported: Windows' best-fit mappings for 1252 (U+0100 'A' with
 *     macron becoming 'A', and so on): every character outside the code page
 *     becomes the default character, as if WC_NO_BEST_FIT_CHARS were always
 *     given; for 437 only the glyphs above are best-fit mapped. Composition
 *     under WC_COMPOSITECHECK is not done: a base letter followed by a
 *     combining mark converts as two characters (precomposed input, what
 *     Windows itself produces, converts exactly).
 *
 * GetACP returns 1252 and GetOEMCP 437. None of these functions changes the
 * last error when it succeeds. Thread-safety: all may be called from any
 * thread at once (they touch only their arguments and constant tables). */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <winsock2.h>

#define REPLACEMENT 0xfffd
#define BAD         0xffffffffu /* an ill-formed UTF-8 subpart */

typedef enum { KIND_NONE, KIND_UTF8, KIND_1252, KIND_437 } cp_kind;

/* Windows-1252 0x80-0x9F (0xA0-0xFF are U+00A0-U+00FF). */
static const WCHAR cp1252_c1[32] = {
    0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
    0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
    0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178};

/* Code page 437, 0x80-0xFF. */
static const WCHAR cp437_high[128] = {
    0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7, 0x00ea,
    0x00eb, 0x00e8, 0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5, 0x00c9, 0x00e6,
    0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9, 0x00ff, 0x00d6, 0x00dc,
    0x00a2, 0x00a3, 0x00a5, 0x20a7, 0x0192, 0x00e1, 0x00ed, 0x00f3, 0x00fa,
    0x00f1, 0x00d1, 0x00aa, 0x00ba, 0x00bf, 0x2310, 0x00ac, 0x00bd, 0x00bc,
    0x00a1, 0x00ab, 0x00bb, 0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561,
    0x2562, 0x2556, 0x2555, 0x2563, 0x2551, 0x2557, 0x255d, 0x255c, 0x255b,
    0x2510, 0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x255e, 0x255f,
    0x255a, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256c, 0x2567, 0x2568,
    0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256b, 0x256a, 0x2518,
    0x250c, 0x2588, 0x2584, 0x258c, 0x2590, 0x2580, 0x03b1, 0x00df, 0x0393,
    0x03c0, 0x03a3, 0x03c3, 0x00b5, 0x03c4, 0x03a6, 0x0398, 0x03a9, 0x03b4,
    0x221e, 0x03c6, 0x03b5, 0x2229, 0x2261, 0x00b1, 0x2265, 0x2264, 0x2320,
    0x2321, 0x00f7, 0x2248, 0x00b0, 0x2219, 0x00b7, 0x221a, 0x207f, 0x00b2,
    0x25a0, 0x00a0};

/* The PC's glyphs for 0x01-0x1F (index 0 unused) and for 0x7F. */
static const WCHAR cp437_glyphs[32] = {
    0x0000, 0x263a, 0x263b, 0x2665, 0x2666, 0x2663, 0x2660, 0x2022,
    0x25d8, 0x25cb, 0x25d9, 0x2642, 0x2640, 0x266a, 0x266b, 0x263c,
    0x25ba, 0x25c4, 0x2195, 0x203c, 0x00b6, 0x00a7, 0x25ac, 0x21a8,
    0x2191, 0x2193, 0x2192, 0x2190, 0x221f, 0x2194, 0x25b2, 0x25bc};
#define CP437_GLYPH_7F 0x2302

#define MB_KNOWN_FLAGS                                                         \
  (MB_PRECOMPOSED | MB_COMPOSITE | MB_USEGLYPHCHARS | MB_ERR_INVALID_CHARS)
#define WC_SBCS_FLAGS                                                          \
  (WC_COMPOSITECHECK | WC_DISCARDNS | WC_SEPCHARS | WC_DEFAULTCHAR |           \
   WC_NO_BEST_FIT_CHARS)

UINT WINAPI GetACP(void) {
  return 1252;
}

UINT WINAPI GetOEMCP(void) {
  return 437;
}

static cp_kind kind_of(UINT cp) {
  switch (cp) {
  case CP_ACP:
  case CP_THREAD_ACP:
  case 1252:
    return KIND_1252;
  case CP_OEMCP:
  case 437:
    return KIND_437;
  case CP_UTF8:
    return KIND_UTF8;
  default:
    return KIND_NONE;
  }
}

static int fail(DWORD err) {
  SetLastError(err);
  return 0;
}

static int is_high(unsigned c) {
  return c >= 0xd800 && c <= 0xdbff;
}

static int is_low(unsigned c) {
  return c >= 0xdc00 && c <= 0xdfff;
}

/* Output of a conversion: with buf NULL it only counts. Stores whole
 * characters only: put() refuses (returns 0) when the units do not fit. */
typedef struct {
  void *buf;
  size_t unit; /* 1 (bytes) or 2 (WCHARs) */
  size_t cap;
  size_t len;
} sink;

static int put(sink *s, const unsigned *units, size_t n) {
  if (s->buf != NULL) {
    if (s->cap - s->len < n)
      return 0;
    for (size_t i = 0; i < n; i++) {
      if (s->unit == 1)
        ((unsigned char *)s->buf)[s->len + i] = (unsigned char)units[i];
      else
        ((WCHAR *)s->buf)[s->len + i] = (WCHAR)units[i];
    }
  }
  s->len += n;
  return 1;
}

/* Decodes one UTF-8 character of s[0..n), n > 0. Returns the bytes used
 * (at least 1) and stores the code point, or BAD for a maximal ill-formed
 * subpart. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp) {
  unsigned b = s[0];
  size_t need;
  unsigned lo = 0x80, hi = 0xbf;
  if (b < 0x80) {
    *cp = b;
    return 1;
  }
  if (b < 0xc2 || b > 0xf4) {
    *cp = BAD;
    return 1;
  }
  if (b < 0xe0) {
    need = 1;
    *cp = b & 0x1f;
  } else if (b < 0xf0) {
    need = 2;
    *cp = b & 0x0f;
    lo = b == 0xe0 ? 0xa0 : 0x80; /* no overlong forms */
    hi = b == 0xed ? 0x9f : 0xbf; /* no surrogates */
  } else {
    need = 3;
    *cp = b & 0x07;
    lo = b == 0xf0 ? 0x90 : 0x80; /* no overlong forms */
    hi = b == 0xf4 ? 0x8f : 0xbf; /* nothing above U+10FFFF */
  }
  size_t i = 1;
  for (size_t k = 0; k < need; k++, i++) {
    if (i >= n || s[i] < lo || s[i] > hi) {
      *cp = BAD;
      return i;
    }
    *cp = (*cp << 6) | (s[i] & 0x3f);
    lo = 0x80;
    hi = 0xbf;
  }
  return i;
}

static DWORD utf8_to_wide(const unsigned char *s, size_t n, DWORD flags,
                          sink *out) {
  size_t i = 0;
  while (i < n) {
    uint32_t cp;
    i += utf8_next(s + i, n - i, &cp);
    unsigned u[2];
    size_t k = 1;
    if (cp == BAD) {
      if (flags & MB_ERR_INVALID_CHARS)
        return ERROR_NO_UNICODE_TRANSLATION;
      u[0] = REPLACEMENT;
    } else if (cp >= 0x10000) {
      u[0] = 0xd800 + ((cp - 0x10000) >> 10);
      u[1] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
      k = 2;
    } else {
      u[0] = cp;
    }
    if (!put(out, u, k))
      return ERROR_INSUFFICIENT_BUFFER;
  }
  return 0;
}

static unsigned sbcs_to_wide(cp_kind kind, DWORD flags, unsigned b) {
  if (kind == KIND_1252)
    return b >= 0x80 && b < 0xa0 ? cp1252_c1[b - 0x80] : b;
  if (b >= 0x80)
    return cp437_high[b - 0x80];
  if (flags & MB_USEGLYPHCHARS) {
    if (b >= 0x01 && b < 0x20)
      return cp437_glyphs[b];
    if (b == 0x7f)
      return CP437_GLYPH_7F;
  }
  return b;
}

int WINAPI MultiByteToWideChar(UINT CodePage, DWORD dwFlags,
                               LPCSTR lpMultiByteStr, INT cbMultiByte,
                               LPWSTR lpWideCharStr, INT cchWideChar) {
  cp_kind kind = kind_of(CodePage);
  if (kind == KIND_NONE || lpMultiByteStr == NULL || cbMultiByte == 0 ||
      cbMultiByte < -1 || cchWideChar < 0 ||
      (cchWideChar > 0 && lpWideCharStr == NULL) ||
      (const void *)lpMultiByteStr == (const void *)lpWideCharStr)
    return fail(ERROR_INVALID_PARAMETER);
  if (kind == KIND_UTF8 ? (dwFlags & ~(DWORD)MB_ERR_INVALID_CHARS) != 0
                        : (dwFlags & ~(DWORD)MB_KNOWN_FLAGS) != 0 ||
                              (dwFlags & MB_COMPOSITE) != 0)
    return fail(ERROR_INVALID_FLAGS);
  const unsigned char *s = (const unsigned char *)lpMultiByteStr;
  size_t n =
      cbMultiByte == -1 ? strlen(lpMultiByteStr) + 1 : (size_t)cbMultiByte;
  sink out = {cchWideChar > 0 ? lpWideCharStr : NULL, 2, (size_t)cchWideChar,
              0};
  DWORD err = 0;
  if (kind == KIND_UTF8) {
    err = utf8_to_wide(s, n, dwFlags, &out);
  } else {
    for (size_t i = 0; i < n && err == 0; i++) {
      unsigned u = sbcs_to_wide(kind, dwFlags, s[i]);
      if (!put(&out, &u, 1))
        err = ERROR_INSUFFICIENT_BUFFER;
    }
  }
  if (err != 0)
    return fail(err);
  return (int)out.len; /* at most n <= INT_MAX units */
}

/* The byte for c in a single-byte code page, or -1 (not representable). */
static int wide_to_sbcs(cp_kind kind, DWORD flags, unsigned c) {
  if (c < 0x80)
    return (int)c;
  if (kind == KIND_1252) {
    if (c >= 0xa0 && c <= 0xff)
      return (int)c;
    for (int i = 0; i < 32; i++)
      if (cp1252_c1[i] == c)
        return 0x80 + i;
    return -1;
  }
  for (int i = 0; i < 128; i++)
    if (cp437_high[i] == c)
      return 0x80 + i;
  if (flags & WC_NO_BEST_FIT_CHARS)
    return -1;
  for (int i = 1; i < 32; i++)
    if (cp437_glyphs[i] == c)
      return i;
  return c == CP437_GLYPH_7F ? 0x7f : -1;
}

static DWORD wide_to_utf8(const WCHAR *s, size_t n, DWORD flags, sink *out) {
  for (size_t i = 0; i < n; i++) {
    unsigned long c = s[i];
    if (is_high(c) && i + 1 < n && is_low(s[i + 1])) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s[i + 1] - 0xdc00);
      i++;
    } else if (is_high(c) || is_low(c)) {
      if (flags & WC_ERR_INVALID_CHARS)
        return ERROR_NO_UNICODE_TRANSLATION;
      c = REPLACEMENT;
    }
    unsigned u[4];
    size_t k;
    if (c < 0x80) {
      u[0] = c;
      k = 1;
    } else if (c < 0x800) {
      u[0] = 0xc0 | (c >> 6);
      u[1] = 0x80 | (c & 0x3f);
      k = 2;
    } else if (c < 0x10000) {
      u[0] = 0xe0 | (c >> 12);
      u[1] = 0x80 | ((c >> 6) & 0x3f);
      u[2] = 0x80 | (c & 0x3f);
      k = 3;
    } else {
      u[0] = 0xf0 | (c >> 18);
      u[1] = 0x80 | ((c >> 12) & 0x3f);
      u[2] = 0x80 | ((c >> 6) & 0x3f);
      u[3] = 0x80 | (c & 0x3f);
      k = 4;
    }
    if (!put(out, u, k))
      return ERROR_INSUFFICIENT_BUFFER;
  }
  return 0;
}

int WINAPI WideCharToMultiByte(UINT CodePage, DWORD dwFlags,
                               LPCWSTR lpWideCharStr, INT cchWideChar,
                               LPSTR lpMultiByteStr, INT cbMultiByte,
                               LPCSTR lpDefaultChar, LPBOOL lpUsedDefaultChar) {
  cp_kind kind = kind_of(CodePage);
  if (kind == KIND_NONE || lpWideCharStr == NULL || cchWideChar == 0 ||
      cchWideChar < -1 || cbMultiByte < 0 ||
      (cbMultiByte > 0 && lpMultiByteStr == NULL) ||
      (const void *)lpWideCharStr == (const void *)lpMultiByteStr)
    return fail(ERROR_INVALID_PARAMETER);
  if (kind == KIND_UTF8) {
    if (dwFlags & ~(DWORD)WC_ERR_INVALID_CHARS)
      return fail(ERROR_INVALID_FLAGS);
    if (lpDefaultChar != NULL || lpUsedDefaultChar != NULL)
      return fail(ERROR_INVALID_PARAMETER);
  } else if (dwFlags & ~(DWORD)WC_SBCS_FLAGS) {
    return fail(ERROR_INVALID_FLAGS);
  }
  size_t n = (size_t)cchWideChar;
  if (cchWideChar == -1) {
    n = 0;
    while (lpWideCharStr[n] != 0)
      n++;
    n++;
  }
  sink out = {cbMultiByte > 0 ? lpMultiByteStr : NULL, 1, (size_t)cbMultiByte,
              0};
  DWORD err = 0;
  BOOL used = FALSE;
  if (kind == KIND_UTF8) {
    err = wide_to_utf8(lpWideCharStr, n, dwFlags, &out);
  } else {
    unsigned fallback =
        lpDefaultChar != NULL ? (unsigned char)*lpDefaultChar : (unsigned)'?';
    for (size_t i = 0; i < n && err == 0; i++) {
      int b = wide_to_sbcs(kind, dwFlags, lpWideCharStr[i]);
      unsigned u = b >= 0 ? (unsigned)b : fallback;
      if (b < 0)
        used = TRUE;
      if (!put(&out, &u, 1))
        err = ERROR_INSUFFICIENT_BUFFER;
    }
  }
  if (err == 0 && out.len > INT_MAX)
    err = ERROR_INSUFFICIENT_BUFFER; /* not representable as the result */
  if (err != 0)
    return fail(err);
  if (lpUsedDefaultChar != NULL)
    *lpUsedDefaultChar = used;
  return (int)out.len;
}
