/* test_kernel32_strings.c: the process environment
 * (ExpandEnvironmentStringsW/A, GetEnvironmentVariableW/A,
 * SetEnvironmentVariableW/A) and the code-page conversions
 * (WideCharToMultiByte, MultiByteToWideChar for UTF-8, Windows-1252 and 437;
 * GetACP, GetOEMCP).
 *
 * On mingw-w64 the suite runs against Windows' kernel32 under Wine. Where
 * the documentation defines a behaviour Wine does not follow, the assertion
 * is inside #ifndef _WIN32 with a note; so are libwpu's choices where the
 * documentation says nothing. The ANSI tests skip under Wine when the
 * prefix's ANSI code page is not 1252. */
#include <winsock2.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* A WCHAR copy of an ASCII string (the tests write no L"..." literals);
 * eight buffers in rotation. */
static const WCHAR *w(const char *s) {
  static WCHAR bufs[8][512];
  static int next;
  WCHAR *b = bufs[next++ % 8];
  size_t i = 0;
  for (; s[i] != 0 && i < 511; i++)
    b[i] = (unsigned char)s[i];
  b[i] = 0;
  return b;
}

static size_t wlen(const WCHAR *s) {
  size_t n = 0;
  while (s[n] != 0)
    n++;
  return n;
}

static int lower(int c) {
  return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Whether s is the ASCII text, ignoring case (Windows' own directory is
 * "C:\Windows", Wine's "C:\windows"). */
static int equal_ci(const WCHAR *s, const char *text) {
  size_t n = strlen(text);
  if (wlen(s) != n)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (lower(s[i]) != lower((unsigned char)text[i]))
      return 0;
  return 1;
}

static int equal(const WCHAR *s, const char *text) {
  size_t n = strlen(text);
  if (wlen(s) != n)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] != (unsigned char)text[i])
      return 0;
  return 1;
}

#define WSIZE(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void skip_unless_acp_is_1252(void) {
  if (GetACP() != 1252)
    skip();
}

/* ---- environment ---------------------------------------------------- */

static void
expand_environment_strings_replaces_system_root_with_windows_dir(void **state) {
  (void)state;
  WCHAR buf[256];
  DWORD n =
      ExpandEnvironmentStringsW(w("%SystemRoot%\\system32\\x.dll"), buf, 256);
  assert_true(equal_ci(buf, "C:\\Windows\\system32\\x.dll"));
  assert_int_equal(n, wlen(buf) + 1); /* the NUL counts */
}

static void
expand_environment_strings_knows_windir_drive_and_program_files(void **state) {
  (void)state;
  WCHAR buf[256];
  ExpandEnvironmentStringsW(w("%windir%|%SystemDrive%|%ProgramFiles%"), buf,
                            256);
  assert_true(equal_ci(buf, "C:\\Windows|C:|C:\\Program Files"));
}

static void expand_environment_strings_ignores_the_case_of_names(void **state) {
  (void)state;
  WCHAR a[256], b[256];
  ExpandEnvironmentStringsW(w("%sYsTeMrOoT%"), a, 256);
  ExpandEnvironmentStringsW(w("%SYSTEMROOT%"), b, 256);
  assert_true(equal_ci(a, "C:\\Windows"));
  assert_memory_equal(a, b, (wlen(a) + 1) * sizeof(WCHAR));
}

static void
expand_environment_strings_leaves_unknown_variables_as_is(void **state) {
  (void)state;
  static const char *const same[] = {
      "%WPU_NOT_DEFINED_1%\\a",
      "%WPU_NOT_DEFINED_1%windir%", /* the closing '%' opens nothing */
      "100% sure %",
      "%%",
      "%",
      "%windir",
      "",
  };
  for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
    WCHAR buf[256];
    DWORD n = ExpandEnvironmentStringsW(w(same[i]), buf, 256);
    assert_true(equal(buf, same[i]));
    assert_int_equal(n, strlen(same[i]) + 1);
  }
}

static void expand_environment_strings_size_query_counts_the_nul(void **state) {
  (void)state;
  WCHAR buf[256];
  DWORD full = ExpandEnvironmentStringsW(w("%windir%\\x"), buf, 256);
  assert_int_equal(full, wlen(buf) + 1);
  assert_int_equal(ExpandEnvironmentStringsW(w("%windir%\\x"), NULL, 0), full);
}

static void
expand_environment_strings_small_buffer_returns_needed_size(void **state) {
  (void)state;
  WCHAR buf[256];
  DWORD full = ExpandEnvironmentStringsW(w("%windir%\\x"), buf, 256);
  WCHAR tiny[8];
  for (int i = 0; i < 8; i++)
    tiny[i] = '#';
  SetLastError(0);
  assert_int_equal(ExpandEnvironmentStringsW(w("%windir%\\x"), tiny, 5), full);
  /* Exactly enough. */
  assert_int_equal(ExpandEnvironmentStringsW(w("%windir%\\x"), buf, full),
                   full);
#ifndef _WIN32
  /* The documentation leaves the buffer undefined; libwpu (like Wine)
   * writes what fits and a NUL, and sets ERROR_INSUFFICIENT_BUFFER. */
  assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
  assert_memory_equal(tiny, buf, 4 * sizeof(WCHAR));
  assert_int_equal(tiny[4], 0);
  assert_int_equal(tiny[5], '#');
#endif
}

static void
expand_environment_strings_a_counts_bytes_including_the_nul(void **state) {
  (void)state;
  char buf[256];
  DWORD n =
      ExpandEnvironmentStringsA("%SystemDrive%\\lsp\\%WPU_NOPE%", buf, 256);
  assert_string_equal(buf, "C:\\lsp\\%WPU_NOPE%");
  assert_int_equal(n, strlen(buf) + 1);
  assert_int_equal(ExpandEnvironmentStringsA("%SystemDrive%", NULL, 0), 3);
  assert_int_equal(ExpandEnvironmentStringsA("%SystemDrive%", buf, 2), 3);
}

static void
expand_environment_strings_sees_set_environment_variable(void **state) {
  (void)state;
  assert_true(SetEnvironmentVariableW(w("WPU_TEST_DIR"), w("D:\\lsp")));
  WCHAR buf[256];
  ExpandEnvironmentStringsW(w("%wpu_test_dir%\\%WPU_TEST_DIR%"), buf, 256);
  assert_true(equal(buf, "D:\\lsp\\D:\\lsp"));
  assert_true(SetEnvironmentVariableW(w("WPU_TEST_DIR"), NULL));
  ExpandEnvironmentStringsW(w("%WPU_TEST_DIR%"), buf, 256);
  assert_true(equal(buf, "%WPU_TEST_DIR%"));
}

static void
get_environment_variable_of_unknown_name_fails_with_not_found(void **state) {
  (void)state;
  WCHAR buf[16];
  SetLastError(0);
  assert_int_equal(GetEnvironmentVariableW(w("WPU_NOT_DEFINED_2"), buf, 16), 0);
  assert_int_equal(GetLastError(), ERROR_ENVVAR_NOT_FOUND);
  char abuf[16];
  SetLastError(0);
  assert_int_equal(GetEnvironmentVariableA("WPU_NOT_DEFINED_2", abuf, 16), 0);
  assert_int_equal(GetLastError(), ERROR_ENVVAR_NOT_FOUND);
  SetLastError(0);
  assert_int_equal(GetEnvironmentVariableW(w(""), buf, 16), 0);
  assert_int_equal(GetLastError(), ERROR_ENVVAR_NOT_FOUND);
}

static void
get_environment_variable_returns_length_without_the_nul(void **state) {
  (void)state;
  assert_true(SetEnvironmentVariableW(w("WPU_TEST_VAR"), w("abcd")));
  WCHAR buf[16];
  SetLastError(1234);
  assert_int_equal(GetEnvironmentVariableW(w("wpu_test_var"), buf, 16), 4);
  assert_true(equal(buf, "abcd"));
  assert_int_equal(GetLastError(), 1234);
  /* Too tiny (no room for the NUL): the size needed, NUL included. */
  assert_int_equal(GetEnvironmentVariableW(w("WPU_TEST_VAR"), buf, 4), 5);
  assert_int_equal(GetEnvironmentVariableW(w("WPU_TEST_VAR"), NULL, 0), 5);
  assert_int_equal(GetEnvironmentVariableW(w("WPU_TEST_VAR"), buf, 5), 4);
  char abuf[16];
  assert_int_equal(GetEnvironmentVariableA("Wpu_Test_Var", abuf, 16), 4);
  assert_string_equal(abuf, "abcd");
  assert_int_equal(GetEnvironmentVariableA("WPU_TEST_VAR", abuf, 4), 5);
  assert_true(SetEnvironmentVariableW(w("WPU_TEST_VAR"), NULL));
}

static void set_environment_variable_with_null_value_deletes_it(void **state) {
  (void)state;
  assert_true(SetEnvironmentVariableA("WPU_TEST_DEL", "x"));
  assert_true(SetEnvironmentVariableA("wpu_test_del", NULL));
  SetLastError(0);
  assert_int_equal(GetEnvironmentVariableA("WPU_TEST_DEL", NULL, 0), 0);
  assert_int_equal(GetLastError(), ERROR_ENVVAR_NOT_FOUND);
  /* Deleting what does not exist succeeds. */
  assert_true(SetEnvironmentVariableW(w("WPU_TEST_DEL"), NULL));
}

static void
set_environment_variable_rejects_empty_name_and_equals_sign(void **state) {
  (void)state;
  SetLastError(0);
  assert_false(SetEnvironmentVariableW(w(""), w("x")));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_false(SetEnvironmentVariableW(w("WPU_A=B"), w("x")));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_false(SetEnvironmentVariableA("WPU_A=B", "x"));
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
}

static void get_environment_variable_of_empty_value_returns_zero(void **state) {
  (void)state;
  assert_true(SetEnvironmentVariableW(w("WPU_TEST_EMPTY"), w("")));
  WCHAR buf[4] = {'#', '#', '#', '#'};
  SetLastError(0);
  assert_int_equal(GetEnvironmentVariableW(w("WPU_TEST_EMPTY"), buf, 4), 0);
  assert_int_equal(GetLastError(), 0); /* not ERROR_ENVVAR_NOT_FOUND */
  assert_int_equal(buf[0], 0);
  assert_int_equal(GetEnvironmentVariableW(w("WPU_TEST_EMPTY"), NULL, 0), 1);
  assert_true(SetEnvironmentVariableW(w("WPU_TEST_EMPTY"), NULL));
}

static void
environment_a_functions_convert_through_the_ansi_code_page(void **state) {
  (void)state;
  skip_unless_acp_is_1252();
  static const WCHAR value[] = {0xe9, 0x20ac, 0x4e2d, 0}; /* e-acute, euro */
  assert_true(SetEnvironmentVariableW(w("WPU_TEST_ANSI"), value));
  char buf[16];
  assert_int_equal(GetEnvironmentVariableA("WPU_TEST_ANSI", buf, 16), 3);
  assert_string_equal(buf, "\xe9\x80?");
  assert_int_equal(ExpandEnvironmentStringsA("<%WPU_TEST_ANSI%>", buf, 16), 6);
  assert_string_equal(buf, "<\xe9\x80?>");
  assert_true(SetEnvironmentVariableA("WPU_TEST_ANSI", "\x80\xe9"));
  WCHAR wbuf[16];
  assert_int_equal(GetEnvironmentVariableW(w("WPU_TEST_ANSI"), wbuf, 16), 2);
  assert_int_equal(wbuf[0], 0x20ac);
  assert_int_equal(wbuf[1], 0xe9);
  assert_true(SetEnvironmentVariableW(w("WPU_TEST_ANSI"), NULL));
}

#ifndef _WIN32
static void environment_starts_with_the_linux_environment(void **state) {
  (void)state;
  const char *path = getenv("PATH");
  assert_non_null(path);
  size_t n = strlen(path);
  char *buf = malloc(n + 1);
  assert_non_null(buf);
  assert_int_equal(GetEnvironmentVariableA("PATH", buf, (DWORD)n + 1), n);
  assert_string_equal(buf, path);
  free(buf);
  /* SetEnvironmentVariable does not touch the Linux environment. */
  assert_true(SetEnvironmentVariableA("WPU_TEST_LINUX", "x"));
  assert_null(getenv("WPU_TEST_LINUX"));
  assert_true(SetEnvironmentVariableA("WPU_TEST_LINUX", NULL));
}
#endif

/* ---- WideCharToMultiByte -------------------------------------------- */

static void wide_char_to_multi_byte_size_query_counts_the_nul(void **state) {
  (void)state;
  static const WCHAR text[] = {'a', 0xe9, 0x20ac, 0xd83d, 0xde00, 0};
  /* 1 + 2 + 3 + 4 bytes and the NUL. */
  assert_int_equal(
      WideCharToMultiByte(CP_UTF8, 0, text, -1, NULL, 0, NULL, NULL), 11);
  char buf[16];
  memset(buf, '#', sizeof buf);
  assert_int_equal(
      WideCharToMultiByte(CP_UTF8, 0, text, -1, buf, 16, NULL, NULL), 11);
  assert_memory_equal(buf, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 11);
  assert_int_equal(buf[11], '#');
}

static void
wide_char_to_multi_byte_with_explicit_length_adds_no_nul(void **state) {
  (void)state;
  static const WCHAR text[] = {'a', 'b', 0, 'c'};
  char buf[8];
  memset(buf, '#', sizeof buf);
  assert_int_equal(
      WideCharToMultiByte(CP_UTF8, 0, text, 2, NULL, 0, NULL, NULL), 2);
  assert_int_equal(WideCharToMultiByte(CP_UTF8, 0, text, 2, buf, 8, NULL, NULL),
                   2);
  assert_memory_equal(buf, "ab##", 4);
  /* Embedded NULs are characters like the others. */
  assert_int_equal(WideCharToMultiByte(CP_UTF8, 0, text, 4, buf, 8, NULL, NULL),
                   4);
  assert_memory_equal(buf, "ab\0c", 4);
}

static void
wide_char_to_multi_byte_replaces_lone_surrogates_with_fffd(void **state) {
  (void)state;
  static const WCHAR text[] = {'a', 0xd800, 'b', 0xdc00, 0xd83d, 0};
  char buf[32];
  int n = WideCharToMultiByte(CP_UTF8, 0, text, -1, buf, 32, NULL, NULL);
  assert_int_equal(n, 12);
  assert_memory_equal(buf,
                      "a\xef\xbf\xbd"
                      "b\xef\xbf\xbd\xef\xbf\xbd",
                      12);
}

static void
wide_char_to_multi_byte_rejects_lone_surrogates_with_err_invalid(void **state) {
  (void)state;
  static const WCHAR text[] = {'a', 0xdc00, 0};
  char buf[16];
  SetLastError(0);
  assert_int_equal(WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, text, -1,
                                       buf, 16, NULL, NULL),
                   0);
  assert_int_equal(GetLastError(), ERROR_NO_UNICODE_TRANSLATION);
  static const WCHAR pair[] = {0xd83d, 0xde00, 0};
  assert_int_equal(WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, pair, -1,
                                       buf, 16, NULL, NULL),
                   5);
}

static void
wide_char_to_multi_byte_small_buffer_fails_with_insufficient(void **state) {
  (void)state;
  static const WCHAR text[] = {'a', 0xe9, 0x4e2d, 0};
  char buf[8];
  SetLastError(0);
  assert_int_equal(
      WideCharToMultiByte(CP_UTF8, 0, text, -1, buf, 3, NULL, NULL), 0);
  assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
  SetLastError(0);
  assert_int_equal(
      WideCharToMultiByte(CP_UTF8, 0, text, -1, buf, 6, NULL, NULL),
      0); /* everything but the NUL */
  assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
  assert_int_equal(
      WideCharToMultiByte(CP_UTF8, 0, text, -1, buf, 7, NULL, NULL), 7);
}

static void
wide_char_to_multi_byte_rejects_bad_lengths_and_buffers(void **state) {
  (void)state;
  static const WCHAR text[] = {'a', 0};
  char buf[8];
  SetLastError(0);
  assert_int_equal(WideCharToMultiByte(CP_UTF8, 0, text, 0, buf, 8, NULL, NULL),
                   0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_int_equal(
      WideCharToMultiByte(CP_UTF8, 0, text, -1, buf, -5, NULL, NULL), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_int_equal(
      WideCharToMultiByte(CP_UTF8, 0, text, -1, NULL, 8, NULL, NULL), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_int_equal(WideCharToMultiByte(CP_UTF8, 0, NULL, 1, buf, 8, NULL, NULL),
                   0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
}

static void
wide_char_to_multi_byte_utf8_rejects_default_char_and_flags(void **state) {
  (void)state;
#ifdef _WIN32
  skip(); /* Wine accepts all of these; the documentation does not */
#else
  static const WCHAR text[] = {'a', 0};
  char buf[8];
  BOOL used;
  SetLastError(0);
  assert_int_equal(
      WideCharToMultiByte(CP_UTF8, 0, text, -1, buf, 8, NULL, &used), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_int_equal(WideCharToMultiByte(CP_UTF8, 0, text, -1, buf, 8, "?", NULL),
                   0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  static const DWORD flags[] = {WC_NO_BEST_FIT_CHARS, WC_COMPOSITECHECK,
                                WC_DEFAULTCHAR};
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
    SetLastError(0);
    assert_int_equal(
        WideCharToMultiByte(CP_UTF8, flags[i], text, -1, buf, 8, NULL, NULL),
        0);
    assert_int_equal(GetLastError(), ERROR_INVALID_FLAGS);
  }
#endif
}

static void
wide_char_to_multi_byte_acp_maps_windows_1252_specials(void **state) {
  (void)state;
  skip_unless_acp_is_1252();
  static const WCHAR text[] = {0x20ac, 0x201a, 0x0160, 0x2018, 0x2019,
                               0x201c, 0x2014, 0x2122, 0x0178, 0x0081,
                               0x00e9, 0x00a0, 0x00ff, 'A',    0};
  char buf[32];
  BOOL used = TRUE;
  int n = WideCharToMultiByte(CP_ACP, 0, text, -1, buf, 32, NULL, &used);
  assert_int_equal(n, 15);
  assert_memory_equal(buf,
                      "\x80\x82\x8a\x91\x92\x93\x97\x99\x9f\x81\xe9\xa0"
                      "\xff"
                      "A",
                      15);
  assert_false(used);
}

static void
wide_char_to_multi_byte_acp_uses_question_mark_for_unmappable(void **state) {
  (void)state;
  skip_unless_acp_is_1252();
  static const WCHAR text[] = {'x', 0x4e2d, 0x3042, 0x0080, 'y', 0};
  char buf[16];
  BOOL used = FALSE;
  assert_int_equal(
      WideCharToMultiByte(CP_ACP, 0, text, -1, buf, 16, NULL, &used), 6);
  assert_string_equal(buf, "x???y");
  assert_true(used);
  used = FALSE;
  assert_int_equal(
      WideCharToMultiByte(CP_ACP, 0, text, -1, NULL, 0, NULL, &used), 6);
  assert_true(used); /* also on a size query */
  /* One default character per UTF-16 unit of a surrogate pair. */
  static const WCHAR pair[] = {0xd83d, 0xde00, 0};
  assert_int_equal(
      WideCharToMultiByte(CP_ACP, 0, pair, -1, buf, 16, NULL, NULL), 3);
  assert_string_equal(buf, "??");
}

static void
wide_char_to_multi_byte_acp_uses_the_given_default_char(void **state) {
  (void)state;
  skip_unless_acp_is_1252();
  static const WCHAR text[] = {0x4e2d, 'a', 0};
  char buf[8];
  BOOL used = FALSE;
  assert_int_equal(WideCharToMultiByte(CP_ACP, WC_NO_BEST_FIT_CHARS, text, -1,
                                       buf, 8, "*", &used),
                   3);
  assert_string_equal(buf, "*a");
  assert_true(used);
}

static void wide_char_to_multi_byte_acp_rejects_utf8_only_flags(void **state) {
  (void)state;
  static const WCHAR text[] = {'a', 0};
  char buf[8];
  SetLastError(0);
  assert_int_equal(
      WideCharToMultiByte(CP_ACP, 0x10000, text, -1, buf, 8, NULL, NULL), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_FLAGS);
#ifndef _WIN32
  /* Documented: WC_ERR_INVALID_CHARS is for UTF-8 and GB18030 only. (Wine
   * accepts it with other code pages.) */
  SetLastError(0);
  assert_int_equal(WideCharToMultiByte(CP_ACP, WC_ERR_INVALID_CHARS, text, -1,
                                       buf, 8, NULL, NULL),
                   0);
  assert_int_equal(GetLastError(), ERROR_INVALID_FLAGS);
#endif
}

static void wide_char_to_multi_byte_oem_maps_code_page_437(void **state) {
  (void)state;
  static const WCHAR text[] = {0xc7,   0xe9,   0x03b1, 0x2591, 0x00a0,
                               0x263a, 0x2302, 0x20ac, 0};
  char buf[16];
  BOOL used = FALSE;
  assert_int_equal(WideCharToMultiByte(437, 0, text, -1, buf, 16, NULL, &used),
                   9);
  assert_memory_equal(buf, "\x80\x82\xe0\xb0\xff\x01\x7f?", 9);
  assert_true(used);
  /* The glyphs are best-fit mappings. */
  assert_int_equal(WideCharToMultiByte(437, WC_NO_BEST_FIT_CHARS, text + 5, 2,
                                       buf, 16, NULL, &used),
                   2);
  assert_memory_equal(buf, "??", 2);
  if (GetOEMCP() == 437) {
    assert_int_equal(
        WideCharToMultiByte(CP_OEMCP, 0, text, 3, buf, 16, NULL, NULL), 3);
    assert_memory_equal(buf, "\x80\x82\xe0", 3);
  }
}

/* ---- MultiByteToWideChar -------------------------------------------- */

static const WCHAR cp1252_80_9f[32] = {
    0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
    0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
    0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178};

static void
multi_byte_to_wide_char_acp_maps_0x80_to_0x9f_like_windows_1252(void **state) {
  (void)state;
  skip_unless_acp_is_1252();
  char bytes[32];
  for (int i = 0; i < 32; i++)
    bytes[i] = (char)(0x80 + i);
  WCHAR buf[32];
  assert_int_equal(
      MultiByteToWideChar(CP_ACP, MB_ERR_INVALID_CHARS, bytes, 32, buf, 32),
      32);
  assert_memory_equal(buf, cp1252_80_9f, sizeof cp1252_80_9f);
  assert_int_equal(MultiByteToWideChar(1252, 0, "\xa0\xe9\xff", 3, buf, 32), 3);
  assert_int_equal(buf[0], 0xa0);
  assert_int_equal(buf[1], 0xe9);
  assert_int_equal(buf[2], 0xff);
}

static void multi_byte_to_wide_char_acp_round_trips_every_byte(void **state) {
  (void)state;
  skip_unless_acp_is_1252();
  char bytes[256], back[256];
  for (int i = 0; i < 256; i++)
    bytes[i] = (char)i;
  WCHAR wide[256];
  assert_int_equal(MultiByteToWideChar(CP_ACP, 0, bytes, 256, wide, 256), 256);
  BOOL used = TRUE;
  assert_int_equal(WideCharToMultiByte(CP_ACP, WC_NO_BEST_FIT_CHARS, wide, 256,
                                       back, 256, NULL, &used),
                   256);
  assert_memory_equal(back, bytes, 256);
  assert_false(used);
}

static void multi_byte_to_wide_char_size_query_counts_the_nul(void **state) {
  (void)state;
  const char *text = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  /* a, e-acute, euro, and a surrogate pair, then the NUL. */
  assert_int_equal(MultiByteToWideChar(CP_UTF8, 0, text, -1, NULL, 0), 6);
  WCHAR buf[8];
  for (int i = 0; i < 8; i++)
    buf[i] = '#';
  assert_int_equal(MultiByteToWideChar(CP_UTF8, 0, text, -1, buf, 8), 6);
  static const WCHAR expected[] = {'a', 0xe9, 0x20ac, 0xd83d, 0xde00, 0, '#'};
  assert_memory_equal(buf, expected, sizeof expected);
  /* Explicit length: no NUL. */
  assert_int_equal(MultiByteToWideChar(CP_UTF8, 0, text, 3, buf, 8), 2);
}

static void multi_byte_to_wide_char_rejects_invalid_utf8_with_err_invalid_chars(
    void **state) {
  (void)state;
  static const struct {
    const char *bytes;
    int len;
  } bad[] = {
      {"\x80", 1},             /* a lone continuation byte */
      {"\xc0\xaf", 2},         /* overlong '/' */
      {"\xe0\x80\xaf", 3},     /* overlong, three bytes */
      {"\xed\xa0\x80", 3},     /* an encoded surrogate */
      {"\xf4\x90\x80\x80", 4}, /* above U+10FFFF */
      {"\xe2\x82", 2},         /* truncated */
      {"a\xf0\x9f\x98", 4},    /* truncated four-byte sequence */
      {"\xff", 1},
      {"\xf8\x88\x80\x80\x80", 5}, /* five-byte form */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    WCHAR buf[8];
    SetLastError(0);
    assert_int_equal(MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS,
                                         bad[i].bytes, bad[i].len, buf, 8),
                     0);
    assert_int_equal(GetLastError(), ERROR_NO_UNICODE_TRANSLATION);
  }
  WCHAR buf[8];
  assert_int_equal(MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS,
                                       "\xf0\x9f\x98\x80", 4, buf, 8),
                   2);
}

static void
multi_byte_to_wide_char_replaces_invalid_utf8_with_fffd(void **state) {
  (void)state;
  static const struct {
    const char *bytes;
    int len;
    int fffds; /* then the rest is "X" when there is one */
    int x;
  } cases[] = {
      {"\xe2\x82X", 3, 1, 1}, /* one per maximal ill-formed subpart */
      {"\xc0\xaf", 2, 2, 0},
      {"\xff", 1, 1, 0},
      {"\x80\x80", 2, 2, 0},
#ifndef _WIN32
      /* Unicode's maximal subparts; Wine counts these differently (2, 3, 2). */
      {"\xed\xa0\x80", 3, 3, 0},
      {"\xf4\x90\x80\x80", 4, 4, 0},
      {"\xe0\x80\xaf", 3, 3, 0},
#endif
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    WCHAR buf[8];
    int n =
        MultiByteToWideChar(CP_UTF8, 0, cases[i].bytes, cases[i].len, buf, 8);
    assert_int_equal(n, cases[i].fffds + cases[i].x);
    for (int k = 0; k < cases[i].fffds; k++)
      assert_int_equal(buf[k], 0xfffd);
    if (cases[i].x)
      assert_int_equal(buf[cases[i].fffds], 'X');
  }
}

static void
multi_byte_to_wide_char_small_buffer_fails_with_insufficient(void **state) {
  (void)state;
  WCHAR buf[8];
  SetLastError(0);
  assert_int_equal(MultiByteToWideChar(CP_UTF8, 0, "abcdef", -1, buf, 3), 0);
  assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
#ifndef _WIN32
  /* A surrogate pair needs both units. (Wine writes the high one alone and
   * returns 2.) */
  SetLastError(0);
  assert_int_equal(
      MultiByteToWideChar(CP_UTF8, 0, "a\xf0\x9f\x98\x80", 5, buf, 2), 0);
  assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
  assert_int_equal(buf[0], 'a'); /* never half a surrogate pair */
  SetLastError(0);
  assert_int_equal(MultiByteToWideChar(CP_UTF8, 0, "abc", -2, buf, 8), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER); /* Wine: 4 */
#endif
}

static void
multi_byte_to_wide_char_rejects_zero_length_with_invalid_param(void **state) {
  (void)state;
  WCHAR buf[8];
  SetLastError(0);
  assert_int_equal(MultiByteToWideChar(CP_UTF8, 0, "abc", 0, buf, 8), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_int_equal(MultiByteToWideChar(CP_UTF8, 0, NULL, 3, buf, 8), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_int_equal(MultiByteToWideChar(CP_UTF8, 0, "abc", 3, NULL, 5), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_int_equal(MultiByteToWideChar(CP_UTF8, 0, "abc", 3, buf, -1), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
}

static void
multi_byte_to_wide_char_rejects_unknown_flags_with_invalid_flags(void **state) {
  (void)state;
  WCHAR buf[8];
  SetLastError(0);
  assert_int_equal(MultiByteToWideChar(CP_ACP, 0x1000, "a", 1, buf, 8), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_FLAGS);
  SetLastError(0);
  assert_int_equal(MultiByteToWideChar(CP_UTF8, 0x1000, "a", 1, buf, 8), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_FLAGS);
  assert_int_equal(MultiByteToWideChar(CP_ACP,
                                       MB_PRECOMPOSED | MB_ERR_INVALID_CHARS |
                                           MB_USEGLYPHCHARS,
                                       "ab", -1, buf, 8),
                   3);
#ifndef _WIN32
  /* Documented: UTF-8 takes 0 or MB_ERR_INVALID_CHARS only, and
   * MB_PRECOMPOSED excludes MB_COMPOSITE. (Wine accepts both.) libwpu does
   * not decompose: MB_COMPOSITE alone fails too. */
  static const struct {
    UINT cp;
    DWORD flags;
  } bad[] = {{CP_UTF8, MB_PRECOMPOSED},
             {CP_UTF8, MB_USEGLYPHCHARS},
             {CP_ACP, MB_PRECOMPOSED | MB_COMPOSITE},
             {CP_ACP, MB_COMPOSITE}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    SetLastError(0);
    assert_int_equal(
        MultiByteToWideChar(bad[i].cp, bad[i].flags, "a", 1, buf, 8), 0);
    assert_int_equal(GetLastError(), ERROR_INVALID_FLAGS);
  }
#endif
}

static void
multi_byte_to_wide_char_oem_uses_pc_glyphs_with_use_glyph_chars(void **state) {
  (void)state;
  static const WCHAR glyphs[32] = {
      0x0000, 0x263a, 0x263b, 0x2665, 0x2666, 0x2663, 0x2660, 0x2022,
      0x25d8, 0x25cb, 0x25d9, 0x2642, 0x2640, 0x266a, 0x266b, 0x263c,
      0x25ba, 0x25c4, 0x2195, 0x203c, 0x00b6, 0x00a7, 0x25ac, 0x21a8,
      0x2191, 0x2193, 0x2192, 0x2190, 0x221f, 0x2194, 0x25b2, 0x25bc};
  char bytes[33];
  for (int i = 0; i < 32; i++)
    bytes[i] = (char)i;
  bytes[32] = 0x7f;
  WCHAR buf[33];
  assert_int_equal(
      MultiByteToWideChar(437, MB_USEGLYPHCHARS, bytes, 33, buf, 33), 33);
  assert_memory_equal(buf, glyphs, sizeof glyphs);
  assert_int_equal(buf[32], 0x2302);
  /* Without the flag they are control characters. */
  assert_int_equal(MultiByteToWideChar(437, 0, bytes, 33, buf, 33), 33);
  for (int i = 0; i < 32; i++)
    assert_int_equal(buf[i], i);
  assert_int_equal(buf[32], 0x7f);
  assert_int_equal(MultiByteToWideChar(437, 0, "\x80\xe0\xff", 3, buf, 33), 3);
  assert_int_equal(buf[0], 0xc7);
  assert_int_equal(buf[1], 0x3b1);
  assert_int_equal(buf[2], 0xa0);
}

static void
conversions_of_unknown_code_pages_fail_with_invalid_parameter(void **state) {
  (void)state;
  WCHAR wbuf[8];
  char buf[8];
  SetLastError(0);
  assert_int_equal(MultiByteToWideChar(12345, 0, "a", 1, wbuf, 8), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_int_equal(WideCharToMultiByte(12345, 0, w("a"), 1, buf, 8, NULL, NULL),
                   0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
#ifndef _WIN32
  /* Code pages libwpu does not have (Windows and Wine do). */
  static const UINT missing[] = {CP_MACCP, CP_UTF7, CP_SYMBOL, 850};
  for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
    SetLastError(0);
    assert_int_equal(MultiByteToWideChar(missing[i], 0, "a", 1, wbuf, 8), 0);
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  }
#endif
}

static void
conversions_reject_the_same_buffer_for_input_and_output(void **state) {
  (void)state;
#ifdef _WIN32
  skip(); /* documented, but Wine does not check */
#else
  WCHAR text[8] = {'a', 'b', 0};
  SetLastError(0);
  assert_int_equal(WideCharToMultiByte(CP_UTF8, 0, text, -1, (char *)text,
                                       (int)sizeof text, NULL, NULL),
                   0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
  SetLastError(0);
  assert_int_equal(
      MultiByteToWideChar(CP_UTF8, 0, (char *)text, 1, text, WSIZE(text)), 0);
  assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
#endif
}

static void get_acp_is_1252_and_get_oemcp_is_437(void **state) {
  (void)state;
#ifdef _WIN32
  if (GetACP() != 1252 || GetOEMCP() != 437)
    skip(); /* depends on the Wine prefix's locale */
#endif
  assert_int_equal(GetACP(), 1252);
  assert_int_equal(GetOEMCP(), 437);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(
          expand_environment_strings_replaces_system_root_with_windows_dir),
      cmocka_unit_test(
          expand_environment_strings_knows_windir_drive_and_program_files),
      cmocka_unit_test(expand_environment_strings_ignores_the_case_of_names),
      cmocka_unit_test(
          expand_environment_strings_leaves_unknown_variables_as_is),
      cmocka_unit_test(expand_environment_strings_size_query_counts_the_nul),
      cmocka_unit_test(
          expand_environment_strings_small_buffer_returns_needed_size),
      cmocka_unit_test(
          expand_environment_strings_a_counts_bytes_including_the_nul),
      cmocka_unit_test(
          expand_environment_strings_sees_set_environment_variable),
      cmocka_unit_test(
          get_environment_variable_of_unknown_name_fails_with_not_found),
      cmocka_unit_test(get_environment_variable_returns_length_without_the_nul),
      cmocka_unit_test(set_environment_variable_with_null_value_deletes_it),
      cmocka_unit_test(
          set_environment_variable_rejects_empty_name_and_equals_sign),
      cmocka_unit_test(get_environment_variable_of_empty_value_returns_zero),
      cmocka_unit_test(
          environment_a_functions_convert_through_the_ansi_code_page),
#ifndef _WIN32
      cmocka_unit_test(environment_starts_with_the_linux_environment),
#endif
      cmocka_unit_test(wide_char_to_multi_byte_size_query_counts_the_nul),
      cmocka_unit_test(
          wide_char_to_multi_byte_with_explicit_length_adds_no_nul),
      cmocka_unit_test(
          wide_char_to_multi_byte_replaces_lone_surrogates_with_fffd),
      cmocka_unit_test(
          wide_char_to_multi_byte_rejects_lone_surrogates_with_err_invalid),
      cmocka_unit_test(
          wide_char_to_multi_byte_small_buffer_fails_with_insufficient),
      cmocka_unit_test(wide_char_to_multi_byte_rejects_bad_lengths_and_buffers),
      cmocka_unit_test(
          wide_char_to_multi_byte_utf8_rejects_default_char_and_flags),
      cmocka_unit_test(wide_char_to_multi_byte_acp_maps_windows_1252_specials),
      cmocka_unit_test(
          wide_char_to_multi_byte_acp_uses_question_mark_for_unmappable),
      cmocka_unit_test(wide_char_to_multi_byte_acp_uses_the_given_default_char),
      cmocka_unit_test(wide_char_to_multi_byte_acp_rejects_utf8_only_flags),
      cmocka_unit_test(wide_char_to_multi_byte_oem_maps_code_page_437),
      cmocka_unit_test(
          multi_byte_to_wide_char_acp_maps_0x80_to_0x9f_like_windows_1252),
      cmocka_unit_test(multi_byte_to_wide_char_acp_round_trips_every_byte),
      cmocka_unit_test(multi_byte_to_wide_char_size_query_counts_the_nul),
      cmocka_unit_test(
          multi_byte_to_wide_char_rejects_invalid_utf8_with_err_invalid_chars),
      cmocka_unit_test(multi_byte_to_wide_char_replaces_invalid_utf8_with_fffd),
      cmocka_unit_test(
          multi_byte_to_wide_char_small_buffer_fails_with_insufficient),
      cmocka_unit_test(
          multi_byte_to_wide_char_rejects_zero_length_with_invalid_param),
      cmocka_unit_test(
          multi_byte_to_wide_char_rejects_unknown_flags_with_invalid_flags),
      cmocka_unit_test(
          multi_byte_to_wide_char_oem_uses_pc_glyphs_with_use_glyph_chars),
      cmocka_unit_test(
          conversions_of_unknown_code_pages_fail_with_invalid_parameter),
      cmocka_unit_test(conversions_reject_the_same_buffer_for_input_and_output),
      cmocka_unit_test(get_acp_is_1252_and_get_oemcp_is_437),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
