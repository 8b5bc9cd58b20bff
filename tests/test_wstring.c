/* test_wstring.c: the wide-string and strsafe functions providers call, with
 * Windows' semantics (on mingw-w64 the same tests run against Windows' own
 * C runtime and strsafe.h). Built as a provider target. */
#include <winsock2.h>
/* As on Windows, strsafe.h would deprecate the plain wcs* names. */
#define STRSAFE_NO_DEPRECATE
#include <strsafe.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void assert_wstr(const WCHAR *got, const WCHAR *want) {
  if (wcscmp(got, want) != 0) {
    char a[128], b[128];
    size_t i;
    for (i = 0; got[i] && i < 127; i++)
      a[i] = (char)got[i];
    a[i] = 0;
    for (i = 0; want[i] && i < 127; i++)
      b[i] = (char)want[i];
    b[i] = 0;
    fail_msg("got \"%s\", want \"%s\"", a, b);
  }
}

static void wcs_basics_count_and_copy_utf16(void **state) {
  (void)state;
  WCHAR buf[32];
  assert_int_equal(wcslen(L""), 0);
  assert_int_equal(wcslen(L"mswsock.dll"), 11);
  assert_wstr(wcscpy(buf, L"ws2_32"), L"ws2_32");
  assert_wstr(wcscat(buf, L".dll"), L"ws2_32.dll");
  assert_wstr(wcsncpy(buf, L"abc", 5), L"abc");
  assert_int_equal(buf[4], 0); /* padded with zeros */
  assert_int_equal(wcscmp(L"abc", L"abd") < 0, 1);
  assert_int_equal(wcscmp(L"abc", L"abc"), 0);
  assert_int_equal(wcsncmp(L"abcX", L"abcY", 3), 0);
  assert_int_equal(_wcsicmp(L"MSWSOCK.DLL", L"mswsock.dll"), 0);
  assert_true(_wcsicmp(L"a", L"B") < 0);
  assert_int_equal(_wcsnicmp(L"WS2_32x", L"ws2_32y", 6), 0);
  assert_wstr(wcschr(L"a\\b\\c", '\\'), L"\\b\\c");
  assert_wstr(wcsrchr(L"a\\b\\c", '\\'), L"\\c");
  assert_null(wcschr(L"abc", 'z'));
  assert_wstr(wcsstr(L"system32\\mswsock.dll", L"mswsock"), L"mswsock.dll");
  assert_null(wcsstr(L"abc", L"abd"));
}

static void snwprintf_uses_microsoft_conversions(void **state) {
  (void)state;
  WCHAR buf[64];
  /* %s is a wide string, %S and %hs narrow ones, in the wide functions. */
  assert_int_equal(_snwprintf(buf, 64, L"%s|%S|%hs|%ls", L"w", "n", "h", L"l"),
                   7);
  assert_wstr(buf, L"w|n|h|l");
  assert_int_equal(
      _snwprintf(buf, 64, L"%d %u %x %08X %c", -5, 7u, 255u, 0xabcu, L'z'), 18);
  assert_wstr(buf, L"-5 7 ff 00000ABC z");
  assert_int_equal(
      _snwprintf(buf, 64, L"%I64d %-4s|%5s", (long long)1 << 40, L"ab", L"cd"),
      24);
  assert_wstr(buf, L"1099511627776 ab  |   cd");
  assert_int_equal(_snwprintf(buf, 64, L"%.2s %%", L"abcdef"), 4);
  assert_wstr(buf, L"ab %");
}

static void snwprintf_returns_minus_one_when_truncated(void **state) {
  (void)state;
  WCHAR buf[8];
  for (int i = 0; i < 8; i++)
    buf[i] = 'x';
  assert_int_equal(_snwprintf(buf, 4, L"%s", L"abcdef"), -1);
  assert_int_equal(buf[0], 'a');
  assert_int_equal(buf[3], 'd');
  assert_int_equal(buf[4], 'x'); /* nothing written past count */
  /* Exactly count characters: returned as is, no terminator. */
  assert_int_equal(_snwprintf(buf, 3, L"abc"), 3);
  assert_int_equal(buf[3], 'd');
}

static void secure_copies_truncate_or_fail_as_documented(void **state) {
  (void)state;
  WCHAR buf[4];
  assert_int_equal(wcscpy_s(buf, 4, L"abc"), 0);
  assert_wstr(buf, L"abc");
  assert_int_equal(wcsncpy_s(buf, 4, L"abcdef", _TRUNCATE), STRUNCATE);
  assert_wstr(buf, L"abc");
  assert_int_equal(wcsncpy_s(buf, 4, L"abcdef", 2), 0);
  assert_wstr(buf, L"ab");
  assert_int_equal(wcscat_s(buf, 4, L"c"), 0);
  assert_wstr(buf, L"abc");
#ifndef _WIN32
  /* On Windows these reach the CRT's invalid-parameter handler, which ends
   * the process; libwpu returns the documented error instead. */
  assert_int_equal(wcscpy_s(buf, 4, L"abcd"), ERANGE);
  assert_int_equal(buf[0], 0);
  assert_int_equal(wcscpy_s(NULL, 4, L"a"), EINVAL);
  assert_int_equal(wcscpy_s(buf, 4, NULL), EINVAL);
  assert_int_equal(buf[0], 0);
  wcscpy_s(buf, 4, L"abc");
  assert_int_equal(wcscat_s(buf, 4, L"d"), ERANGE);
  assert_int_equal(buf[0], 0);
#endif
}

static void string_cch_functions_truncate_and_report(void **state) {
  (void)state;
  WCHAR buf[6];
  assert_int_equal(StringCchCopyW(buf, 6, L"abcde"), S_OK);
  assert_wstr(buf, L"abcde");
  assert_int_equal(StringCchCopyW(buf, 6, L"abcdefgh"),
                   STRSAFE_E_INSUFFICIENT_BUFFER);
  assert_wstr(buf, L"abcde");
  assert_int_equal(StringCchCopyNW(buf, 6, L"abcdefgh", 3), S_OK);
  assert_wstr(buf, L"abc");
  assert_int_equal(StringCchCatW(buf, 6, L"de"), S_OK);
  assert_wstr(buf, L"abcde");
  assert_int_equal(StringCchCatW(buf, 6, L"f"), STRSAFE_E_INSUFFICIENT_BUFFER);
  assert_wstr(buf, L"abcde");
  assert_int_equal(StringCchPrintfW(buf, 6, L"%d-%d", 12, 345),
                   STRSAFE_E_INSUFFICIENT_BUFFER);
  assert_wstr(buf, L"12-34");
  size_t len = 99;
  assert_int_equal(StringCchLengthW(L"abc", 10, &len), S_OK);
  assert_int_equal(len, 3);
  assert_int_equal(StringCchLengthW(L"abcdef", 3, &len),
                   STRSAFE_E_INVALID_PARAMETER);
  assert_int_equal(len, 0);
  assert_int_equal(StringCchCopyW(buf, 0, L"a"), STRSAFE_E_INVALID_PARAMETER);
  assert_int_equal(StringCchCopyW(buf, (size_t)STRSAFE_MAX_CCH + 1, L"a"),
                   STRSAFE_E_INVALID_PARAMETER);
}

static void string_cb_functions_count_bytes(void **state) {
  (void)state;
  WCHAR buf[6];
  assert_int_equal(StringCbCopyW(buf, sizeof buf, L"abcdefgh"),
                   STRSAFE_E_INSUFFICIENT_BUFFER);
  assert_wstr(buf, L"abcde");
  assert_int_equal(StringCbPrintfW(buf, sizeof buf, L"%s", L"ab"), S_OK);
  assert_int_equal(StringCbCatW(buf, sizeof buf, L"cd"), S_OK);
  assert_wstr(buf, L"abcd");
  size_t cb = 0;
  assert_int_equal(StringCbLengthW(buf, sizeof buf, &cb), S_OK);
  assert_int_equal(cb, 4 * sizeof(WCHAR));
  char narrow[4];
  assert_int_equal(StringCbCopyA(narrow, sizeof narrow, "abcdef"),
                   STRSAFE_E_INSUFFICIENT_BUFFER);
  assert_string_equal(narrow, "abc");
  assert_int_equal(StringCchPrintfA(narrow, 4, "%d", 42), S_OK);
  assert_string_equal(narrow, "42");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(wcs_basics_count_and_copy_utf16),
      cmocka_unit_test(snwprintf_uses_microsoft_conversions),
      cmocka_unit_test(snwprintf_returns_minus_one_when_truncated),
      cmocka_unit_test(secure_copies_truncate_or_fail_as_documented),
      cmocka_unit_test(string_cch_functions_truncate_and_report),
      cmocka_unit_test(string_cb_functions_count_bytes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
