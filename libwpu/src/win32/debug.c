/* debug.c: kernel32's debugger interface, OutputDebugStringA/W and
 * DebugBreak (Linux only).
 *
 * OutputDebugStringA(text) hands text, unchanged and without a newline added,
 * to the current world's debug_output hook (wpu_world_options); with no
 * current world or no hook, it is written to stderr. The bytes are passed on
 * as they are (no ANSI code page conversion: ASCII and UTF-8 arrive intact).
 * OutputDebugStringW converts the UTF-16 text to UTF-8 first, an unpaired
 * surrogate becoming U+FFFD; if memory for a long string's conversion cannot
 * be had, the text is dropped. A NULL string does nothing. There is no
 * debugger to notify: no DBG_PRINTEXCEPTION_C is raised.
 *
 * DebugBreak raises no signal. With a current world it counts the call
 * (wpu_world_debug_breaks; the fake_ws2 fixture fails a test that called it)
 * and reports "wpu: DebugBreak called on thread <id>" through the world's
 * report hook; without one it writes that line to stderr. Then it returns.
 *
 * None of them changes the thread's last error. Thread-safe, as far as the
 * hooks are. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <winsock2.h>

#include "../world_impl.h"

static void emit(const char *text) {
  wpu_world *w = wpu__world();
  if (w != NULL && w->debug_output != NULL)
    w->debug_output(text, w->debug_output_user);
  else
    fputs(text, stderr);
}

void WINAPI OutputDebugStringA(LPCSTR text) {
  if (text != NULL)
    emit(text);
}

static int is_high(unsigned c) {
  return c >= 0xd800 && c <= 0xdbff;
}

static int is_low(unsigned c) {
  return c >= 0xdc00 && c <= 0xdfff;
}

/* Writes s as UTF-8 to out (room for 3 bytes per unit and a terminator). */
static void to_utf8(const WCHAR *s, char *out) {
  unsigned char *o = (unsigned char *)out;
  for (; *s != 0; s++) {
    unsigned long c = *s;
    if (is_high(c) && is_low(s[1])) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s[1] - 0xdc00);
      s++;
    } else if (is_high(c) || is_low(c)) {
      c = 0xfffd;
    }
    if (c < 0x80) {
      *o++ = (unsigned char)c;
    } else if (c < 0x800) {
      *o++ = (unsigned char)(0xc0 | (c >> 6));
      *o++ = (unsigned char)(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      *o++ = (unsigned char)(0xe0 | (c >> 12));
      *o++ = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
      *o++ = (unsigned char)(0x80 | (c & 0x3f));
    } else {
      *o++ = (unsigned char)(0xf0 | (c >> 18));
      *o++ = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
      *o++ = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
      *o++ = (unsigned char)(0x80 | (c & 0x3f));
    }
  }
  *o = 0;
}

void WINAPI OutputDebugStringW(LPCWSTR text) {
  if (text == NULL)
    return;
  size_t n = 0;
  while (text[n] != 0)
    n++;
  char local[256];
  char *buf = local;
  if (n * 3 + 1 > sizeof local) {
    buf = malloc(n * 3 + 1);
    if (buf == NULL)
      return;
  }
  to_utf8(text, buf);
  emit(buf);
  if (buf != local)
    free(buf);
}

void WINAPI DebugBreak(void) {
  unsigned long tid = (unsigned long)GetCurrentThreadId();
  wpu_world *w = wpu__world();
  if (w == NULL) {
    fprintf(stderr, "wpu: DebugBreak called on thread %lu\n", tid);
    return;
  }
  atomic_fetch_add(&w->debug_breaks, 1);
  wpu__report(w, "wpu: DebugBreak called on thread %lu", tid);
}
