/* strsafe_impl.h: one body for the A and W StringCch/StringCb functions;
 * strsafe.c includes it once per character type (SS_CHAR, SS_NAME, ...). */

static HRESULT SS_NAME(ss_copy_n)(SS_CHAR *dst, size_t cch, const SS_CHAR *src,
                                  size_t max) {
  if (cch == 0 || cch > STRSAFE_MAX_CCH || dst == NULL)
    return STRSAFE_E_INVALID_PARAMETER;
  if (src == NULL) {
    dst[0] = 0;
    return max > STRSAFE_MAX_CCH ? STRSAFE_E_INVALID_PARAMETER : S_OK;
  }
  size_t n = 0;
  while (n < max && n + 1 < cch && src[n])
    dst[n] = src[n], n++;
  dst[n] = 0;
  if (n < max && src[n] != 0)
    return STRSAFE_E_INSUFFICIENT_BUFFER;
  return S_OK;
}

static HRESULT SS_NAME(ss_cat_n)(SS_CHAR *dst, size_t cch, const SS_CHAR *src,
                                 size_t max) {
  if (cch == 0 || cch > STRSAFE_MAX_CCH || dst == NULL)
    return STRSAFE_E_INVALID_PARAMETER;
  size_t used = 0;
  while (used < cch && dst[used])
    used++;
  if (used == cch)
    return STRSAFE_E_INVALID_PARAMETER;
  return SS_NAME(ss_copy_n)(dst + used, cch - used, src, max);
}

static HRESULT SS_NAME(ss_vprintf)(SS_CHAR *dst, size_t cch, const SS_CHAR *fmt,
                                   va_list ap) {
  if (cch == 0 || cch > STRSAFE_MAX_CCH || dst == NULL)
    return STRSAFE_E_INVALID_PARAMETER;
  if (fmt == NULL) {
    dst[0] = 0;
    return STRSAFE_E_INVALID_PARAMETER;
  }
  int n = SS_VSNPRINTF(dst, cch, fmt, ap);
  if (n < 0 || (size_t)n >= cch) {
    dst[cch - 1] = 0;
    return STRSAFE_E_INSUFFICIENT_BUFFER;
  }
  return S_OK;
}

static HRESULT SS_NAME(ss_length)(const SS_CHAR *s, size_t max, size_t *out) {
  HRESULT hr = S_OK;
  size_t n = 0;
  if (s == NULL || max > STRSAFE_MAX_CCH) {
    hr = STRSAFE_E_INVALID_PARAMETER;
  } else {
    while (n < max && s[n])
      n++;
    if (n == max)
      hr = STRSAFE_E_INVALID_PARAMETER;
  }
  if (out)
    *out = hr == S_OK ? n : 0;
  return hr;
}

HRESULT SS_API(StringCchCopy)(SS_CHAR *d, size_t cch, const SS_CHAR *s) {
  return SS_NAME(ss_copy_n)(d, cch, s, STRSAFE_MAX_CCH);
}
HRESULT SS_API(StringCchCopyN)(SS_CHAR *d, size_t cch, const SS_CHAR *s,
                               size_t n) {
  if (n > STRSAFE_MAX_CCH) {
    if (cch > 0 && cch <= STRSAFE_MAX_CCH && d)
      d[0] = 0;
    return STRSAFE_E_INVALID_PARAMETER;
  }
  return SS_NAME(ss_copy_n)(d, cch, s, n);
}
HRESULT SS_API(StringCchCat)(SS_CHAR *d, size_t cch, const SS_CHAR *s) {
  return SS_NAME(ss_cat_n)(d, cch, s, STRSAFE_MAX_CCH);
}
HRESULT SS_API(StringCchCatN)(SS_CHAR *d, size_t cch, const SS_CHAR *s,
                              size_t n) {
  if (n > STRSAFE_MAX_CCH)
    return STRSAFE_E_INVALID_PARAMETER;
  return SS_NAME(ss_cat_n)(d, cch, s, n);
}
HRESULT SS_API(StringCchVPrintf)(SS_CHAR *d, size_t cch, const SS_CHAR *f,
                                 va_list ap) {
  return SS_NAME(ss_vprintf)(d, cch, f, ap);
}
HRESULT SS_API(StringCchPrintf)(SS_CHAR *d, size_t cch, const SS_CHAR *f, ...) {
  va_list ap;
  va_start(ap, f);
  HRESULT hr = SS_NAME(ss_vprintf)(d, cch, f, ap);
  va_end(ap);
  return hr;
}
HRESULT SS_API(StringCchLength)(const SS_CHAR *s, size_t max, size_t *out) {
  return SS_NAME(ss_length)(s, max, out);
}

HRESULT SS_API(StringCbCopy)(SS_CHAR *d, size_t cb, const SS_CHAR *s) {
  return SS_NAME(ss_copy_n)(d, cb / sizeof(SS_CHAR), s, STRSAFE_MAX_CCH);
}
HRESULT SS_API(StringCbCopyN)(SS_CHAR *d, size_t cb, const SS_CHAR *s,
                              size_t cbn) {
  return SS_API(StringCchCopyN)(d, cb / sizeof(SS_CHAR), s,
                                cbn / sizeof(SS_CHAR));
}
HRESULT SS_API(StringCbCat)(SS_CHAR *d, size_t cb, const SS_CHAR *s) {
  return SS_NAME(ss_cat_n)(d, cb / sizeof(SS_CHAR), s, STRSAFE_MAX_CCH);
}
HRESULT SS_API(StringCbCatN)(SS_CHAR *d, size_t cb, const SS_CHAR *s,
                             size_t cbn) {
  return SS_API(StringCchCatN)(d, cb / sizeof(SS_CHAR), s,
                               cbn / sizeof(SS_CHAR));
}
HRESULT SS_API(StringCbVPrintf)(SS_CHAR *d, size_t cb, const SS_CHAR *f,
                                va_list ap) {
  return SS_NAME(ss_vprintf)(d, cb / sizeof(SS_CHAR), f, ap);
}
HRESULT SS_API(StringCbPrintf)(SS_CHAR *d, size_t cb, const SS_CHAR *f, ...) {
  va_list ap;
  va_start(ap, f);
  HRESULT hr = SS_NAME(ss_vprintf)(d, cb / sizeof(SS_CHAR), f, ap);
  va_end(ap);
  return hr;
}
HRESULT SS_API(StringCbLength)(const SS_CHAR *s, size_t cbmax, size_t *out) {
  size_t cch = 0;
  HRESULT hr = SS_NAME(ss_length)(s, cbmax / sizeof(SS_CHAR), &cch);
  if (out)
    *out = cch * sizeof(SS_CHAR);
  return hr;
}
