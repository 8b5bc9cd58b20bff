/* test_kernel32_debug.c: OutputDebugStringA/W and DebugBreak. Where the text
 * goes (the world's debug_output hook or stderr) and DebugBreak's counting
 * are libwpu's; on mingw-w64, under Wine, only the calls that are harmless
 * on Windows are made. */
#include <winsock2.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <fws2/fixture.h>
#include <wpu/world.h>

/* What the debug_output hook received. */
static struct {
  int calls;
  char text[8192];
} seen;

static void capture_output(const char *text, void *user) {
  assert_ptr_equal(user, &seen);
  seen.calls++;
  size_t used = strlen(seen.text);
  snprintf(seen.text + used, sizeof seen.text - used, "%s", text);
}

static int hooked_world_setup(void **state) {
  memset(&seen, 0, sizeof seen);
  wpu_world_options o = {.debug_output = capture_output,
                         .debug_output_user = &seen};
  return fws2_world_setup_with(state, &o);
}

#ifndef _WIN32
/* Runs fn with stderr sent to a temporary file and returns what was written
 * (glibc's stderr is an assignable FILE pointer). */
static const char *stderr_of(void (*fn)(void)) {
  static char out[4096];
  FILE *tmp = tmpfile();
  assert_non_null(tmp);
  FILE *saved = stderr;
  stderr = tmp;
  fn();
  fflush(tmp);
  stderr = saved;
  rewind(tmp);
  size_t n = fread(out, 1, sizeof out - 1, tmp);
  out[n] = 0;
  fclose(tmp);
  return out;
}
#endif

static void output_debug_string_a_sends_text_to_the_world_hook(void **state) {
  (void)state;
  OutputDebugStringA("provider: starting\n");
  OutputDebugStringA("second");
#ifndef _WIN32
  assert_int_equal(seen.calls, 2);
  assert_string_equal(seen.text, "provider: starting\nsecond");
#endif
}

static void output_debug_string_w_converts_utf16_to_utf8(void **state) {
  (void)state;
  /* "hé€😀!": one, two, three and four UTF-8 bytes (a surrogate pair). */
  static const WCHAR text[] = {'h', 0xe9, 0x20ac, 0xd83d, 0xde00, '!', 0};
  OutputDebugStringW(text);
#ifndef _WIN32
  assert_int_equal(seen.calls, 1);
  assert_string_equal(seen.text, "h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80!");
#endif
}

static void output_debug_string_w_replaces_unpaired_surrogates(void **state) {
  (void)state;
  static const WCHAR text[] = {'a', 0xd800, 'b', 0xdc00, 'c', 0xd83d, 0};
  OutputDebugStringW(text);
#ifndef _WIN32
  assert_string_equal(seen.text, "a\xef\xbf\xbd"
                                 "b\xef\xbf\xbd"
                                 "c\xef\xbf\xbd");
#endif
}

static void output_debug_string_w_converts_long_strings(void **state) {
  (void)state;
  static WCHAR text[2001];
  for (int i = 0; i < 2000; i++)
    text[i] = (WCHAR)(i % 2 ? 0x4e2d : 'x'); /* 'x', then U+4E2D (3 bytes) */
  text[2000] = 0;
  OutputDebugStringW(text);
#ifndef _WIN32
  assert_int_equal(seen.calls, 1);
  assert_int_equal(strlen(seen.text), 1000 * 1 + 1000 * 3);
  assert_memory_equal(seen.text, "x\xe4\xb8\xadx", 5);
#endif
}

static void output_debug_string_of_null_does_nothing(void **state) {
  (void)state;
  SetLastError(1234);
  OutputDebugStringA(NULL);
  OutputDebugStringW(NULL);
  OutputDebugStringA("");
#ifndef _WIN32
  assert_int_equal(seen.calls, 1); /* only the empty string */
  assert_string_equal(seen.text, "");
  assert_int_equal(GetLastError(), 1234);
#endif
}

#ifndef _WIN32
static void say_hello(void) {
  static const WCHAR wide[] = {' ', 'w', 0xe9, 0};
  OutputDebugStringA("hello");
  OutputDebugStringW(wide);
}

static void output_debug_string_without_hook_writes_to_stderr(void **state) {
  (void)state; /* a world with default options: no debug_output hook */
  assert_string_equal(stderr_of(say_hello), "hello w\xc3\xa9");
}

static void output_debug_string_without_world_writes_to_stderr(void **state) {
  (void)state;
  assert_null(wpu_world_current());
  assert_string_equal(stderr_of(say_hello), "hello w\xc3\xa9");
}
#endif

/* DebugBreak: its own world, since fws2_world_teardown fails any test that
 * called it. */
static struct {
  int lines;
  char line[256];
} reported;

static void capture_report(const char *line, void *user) {
  (void)user;
  reported.lines++;
  snprintf(reported.line, sizeof reported.line, "%s", line);
}

static int break_world_setup(void **state) {
  memset(&reported, 0, sizeof reported);
  wpu_world_options o = {.report = capture_report};
  wpu_world *w = NULL;
  if (wpu_world_create(&o, &w) != 0)
    return -1;
  *state = w;
  return 0;
}

static int break_world_teardown(void **state) {
  wpu_world_destroy(*state);
  *state = NULL;
  return 0;
}

static void debug_break_counts_and_reports_the_calling_thread(void **state) {
  assert_int_equal(wpu_world_debug_breaks(*state), 0);
#ifndef _WIN32 /* on Windows it would trap */
  SetLastError(77);
  DebugBreak();
  assert_int_equal(GetLastError(), 77);
  assert_int_equal(wpu_world_debug_breaks(*state), 1);
  assert_int_equal(reported.lines, 1);
  char want[128];
  snprintf(want, sizeof want, "wpu: DebugBreak called on thread %lu",
           (unsigned long)GetCurrentThreadId());
  assert_string_equal(reported.line, want);
#endif
}

#ifndef _WIN32
static void call_debug_break(void) {
  DebugBreak();
}

static void debug_break_without_world_writes_to_stderr(void **state) {
  (void)state;
  assert_null(wpu_world_current());
  char want[128];
  snprintf(want, sizeof want, "wpu: DebugBreak called on thread %lu\n",
           (unsigned long)GetCurrentThreadId());
  assert_string_equal(stderr_of(call_debug_break), want);
}
#endif

#define HOOKED_TEST(f)                                                         \
  cmocka_unit_test_setup_teardown(f, hooked_world_setup, fws2_world_teardown)
#define WORLD_TEST(f)                                                          \
  cmocka_unit_test_setup_teardown(f, fws2_world_setup, fws2_world_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      HOOKED_TEST(output_debug_string_a_sends_text_to_the_world_hook),
      HOOKED_TEST(output_debug_string_w_converts_utf16_to_utf8),
      HOOKED_TEST(output_debug_string_w_replaces_unpaired_surrogates),
      HOOKED_TEST(output_debug_string_w_converts_long_strings),
      HOOKED_TEST(output_debug_string_of_null_does_nothing),
#ifndef _WIN32
      WORLD_TEST(output_debug_string_without_hook_writes_to_stderr),
      cmocka_unit_test(output_debug_string_without_world_writes_to_stderr),
#endif
      cmocka_unit_test_setup_teardown(
          debug_break_counts_and_reports_the_calling_thread, break_world_setup,
          break_world_teardown),
#ifndef _WIN32
      cmocka_unit_test(debug_break_without_world_writes_to_stderr),
#endif
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
