/* render.c: the trace as text, Mermaid and PlantUML sequence-diagram
 * source, and to files (fws2/trace.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

fws2_trace_event *fws2__trace_copy(size_t tail, size_t *n);

/* ---- A growing string ---- */

typedef struct buf {
  char *s;
  size_t len, cap;
  int failed;
} buf;

static void put(buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void put(buf *b, const char *fmt, ...) {
  if (b->failed)
    return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->s == NULL ? NULL : b->s + b->len,
                      b->s == NULL ? 0 : b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
      b->failed = 1;
      return;
    }
    if (b->s != NULL && b->len + (size_t)n < b->cap) {
      b->len += (size_t)n;
      return;
    }
    size_t cap = b->cap == 0 ? 1024 : b->cap;
    while (cap <= b->len + (size_t)n)
      cap *= 2;
    char *s = realloc(b->s, cap);
    if (s == NULL) {
      b->failed = 1;
      return;
    }
    b->s = s;
    b->cap = cap;
  }
}

static char *done(buf *b) {
  if (b->failed) {
    free(b->s);
    return NULL;
  }
  if (b->s == NULL) {
    b->s = malloc(1);
    if (b->s != NULL)
      b->s[0] = 0;
  }
  return b->s;
}

/* ---- Text ---- */

static void args(buf *b, const fws2_trace_event *e) {
  if (e->socket != 0)
    put(b, " s=0x%llx", (unsigned long long)e->socket);
  if (e->catalog_id != 0)
    put(b, " entry=%lu", (unsigned long)e->catalog_id);
  if (e->overlapped != NULL)
    put(b, " ov=%p", (void *)e->overlapped);
  if (e->kind == FWS2_TRACE_COMPLETION)
    put(b, " error=%lu bytes=%lu", (unsigned long)e->arg[0],
        (unsigned long)e->arg[1]);
  else if (e->kind == FWS2_TRACE_ALLOC)
    put(b, " size=%lu", (unsigned long)e->arg[0]);
  else if (e->arg[0] != 0)
    put(b, " bytes=%lu", (unsigned long)e->arg[0]);
}

static void text_line(buf *b, const fws2_trace_event *e) {
  put(b, "#%lu t=%lu ", e->seq, (unsigned long)e->thread);
  const char *name = e->name == NULL ? "?" : e->name;
  switch (e->kind) {
  case FWS2_TRACE_FAULT:
    put(b, "!! fault injected into %s (%s): %s\n", name, e->from, e->text);
    return;
  case FWS2_TRACE_VIOLATION:
    put(b, "!! checker: %s\n", e->text);
    return;
  case FWS2_TRACE_NOTE:
    put(b, "-- %s%s%s\n", name, e->text[0] ? ": " : "", e->text);
    return;
  default:
    break;
  }
  if (!e->is_return) {
    put(b, "%s -> %s %s", e->from, e->to, name);
    args(b, e);
  } else {
    put(b, "%s <- %s %s = %lld", e->from, e->to, name, e->result);
    if (e->failed)
      put(b, " (error %d)", e->error);
    if (e->text[0] != 0)
      put(b, " [%s]", e->text);
  }
  put(b, "\n");
}

char *fws2_trace_text(size_t tail) {
  size_t n;
  fws2_trace_event *ev = fws2__trace_copy(tail, &n);
  buf b = {0};
  for (size_t i = 0; i < n; i++)
    text_line(&b, &ev[i]);
  free(ev);
  return done(&b);
}

char *fws2__trace_tail(size_t n) {
  return fws2_trace_text(n);
}

/* ---- Diagrams ---- */

#define MAX_PARTS 64

#define ID_LEN (FWS2_NAME_LEN + 4)

typedef struct parts {
  char names[MAX_PARTS][FWS2_NAME_LEN];
  char ids[MAX_PARTS][ID_LEN]; /* unique among the participants */
  size_t n;
} parts;

/* A diagram identifier for a name: letters, digits and '_'. */
static void ident(char *out, const char *name) {
  size_t i = 0;
  for (; name[i] != 0 && i + 1 < FWS2_NAME_LEN; i++) {
    char c = name[i];
    out[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9')
                 ? c
                 : '_';
  }
  out[i] = 0;
}

static void add_part(parts *p, const char *name) {
  for (size_t i = 0; i < p->n; i++)
    if (strcmp(p->names[i], name) == 0)
      return;
  if (p->n == MAX_PARTS)
    return;
  size_t k = p->n++;
  snprintf(p->names[k], FWS2_NAME_LEN, "%s", name);
  /* Two names may map to one identifier (my-lsp, my_lsp): the later one
   * gets its index appended. */
  ident(p->ids[k], p->names[k]);
  for (size_t i = 0; i < k; i++)
    if (strcmp(p->ids[i], p->ids[k]) == 0) {
      char base[FWS2_NAME_LEN];
      ident(base, p->names[k]);
      snprintf(p->ids[k], ID_LEN, "%s_%u", base, (unsigned)(k % 100));
      break;
    }
}

/* The identifier of participant name (NULL when it is none). */
static const char *part_id(const parts *p, const char *name) {
  for (size_t i = 0; i < p->n; i++)
    if (strcmp(p->names[i], name) == 0)
      return p->ids[i];
  return NULL;
}

/* Label text without what either syntax would take for its own. */
static void label(char *out, size_t cap, const char *in) {
  size_t i = 0;
  for (; in[i] != 0 && i + 1 < cap; i++)
    out[i] = in[i] == ';' || in[i] == '#' || in[i] == '\n' ? ',' : in[i];
  out[i] = 0;
}

static void call_label(char *out, size_t cap, const fws2_trace_event *e) {
  const char *name = e->name == NULL ? "?" : e->name;
  char raw[160];
  if (!e->is_return) {
    if (e->socket != 0)
      snprintf(raw, sizeof raw, "%s(s=0x%llx)", name,
               (unsigned long long)e->socket);
    else
      snprintf(raw, sizeof raw, "%s()", name);
  } else if (e->failed) {
    snprintf(raw, sizeof raw, "%s = %lld, error %d", name, e->result, e->error);
  } else {
    snprintf(raw, sizeof raw, "%s = %lld", name, e->result);
  }
  label(out, cap, raw);
}

static void diagram_parts(parts *p, const fws2_trace_event *ev, size_t n) {
  add_part(p, "application");
  add_part(p, "ws2_32");
  for (size_t i = 0; i < n; i++) {
    if (ev[i].kind == FWS2_TRACE_FAULT || ev[i].kind == FWS2_TRACE_VIOLATION ||
        ev[i].kind == FWS2_TRACE_NOTE)
      continue;
    add_part(p, ev[i].from);
    add_part(p, ev[i].to);
  }
}

static char *diagram(int plantuml) {
  size_t n;
  fws2_trace_event *ev = fws2__trace_copy(0, &n);
  parts *p = calloc(1, sizeof *p);
  if (p == NULL) {
    free(ev);
    return NULL;
  }
  diagram_parts(p, ev, n);
  buf b = {0};
  put(&b, plantuml ? "@startuml\n" : "sequenceDiagram\n");
  char text[200];
  for (size_t i = 0; i < p->n; i++) {
    if (plantuml)
      put(&b, "participant \"%s\" as %s\n", p->names[i], p->ids[i]);
    else
      put(&b, "  participant %s as %s\n", p->ids[i], p->names[i]);
  }
  /* Participants past MAX_PARTS are drawn as ws2_32. */
  const char *other = part_id(p, "ws2_32");
  for (size_t i = 0; i < n; i++) {
    const fws2_trace_event *e = &ev[i];
    if (e->kind == FWS2_TRACE_FAULT || e->kind == FWS2_TRACE_VIOLATION ||
        e->kind == FWS2_TRACE_NOTE) {
      char raw[200];
      snprintf(raw, sizeof raw, "%s: %s",
               e->kind == FWS2_TRACE_FAULT       ? "fault"
               : e->kind == FWS2_TRACE_VIOLATION ? "VIOLATION"
                                                 : "note",
               e->kind == FWS2_TRACE_NOTE ? (e->name ? e->name : "") : e->text);
      label(text, sizeof text, raw);
      const char *id =
          part_id(p, e->kind == FWS2_TRACE_NOTE ? "ws2_32" : e->from);
      put(&b, plantuml ? "note over %s : %s\n" : "  Note over %s: %s\n",
          id != NULL ? id : other, text);
      continue;
    }
    const char *id = part_id(p, e->from), *id2 = part_id(p, e->to);
    if (id == NULL)
      id = other;
    if (id2 == NULL)
      id2 = other;
    call_label(text, sizeof text, e);
    if (!e->is_return)
      put(&b, plantuml ? "%s -> %s : %s\n" : "  %s->>%s: %s\n", id, id2, text);
    else
      put(&b, plantuml ? "%s --> %s : %s\n" : "  %s-->>%s: %s\n", id2, id,
          text);
  }
  if (plantuml)
    put(&b, "@enduml\n");
  free(p);
  free(ev);
  return done(&b);
}

char *fws2_trace_mermaid(void) {
  return diagram(0);
}

char *fws2_trace_plantuml(void) {
  return diagram(1);
}

int fws2_trace_save(const char *path, fws2_trace_format format) {
  if (path == NULL || format < FWS2_TRACE_TEXT || format > FWS2_TRACE_PLANTUML)
    return WSAEINVAL;
  char *s = format == FWS2_TRACE_TEXT      ? fws2_trace_text(0)
            : format == FWS2_TRACE_MERMAID ? fws2_trace_mermaid()
                                           : fws2_trace_plantuml();
  if (s == NULL)
    return WSA_NOT_ENOUGH_MEMORY;
  FILE *f = fopen(path, "wb");
  int rc = 0;
  if (f == NULL) {
    rc = WSAEACCES;
  } else {
    size_t n = strlen(s);
    if (fwrite(s, 1, n, f) != n)
      rc = WSAEACCES;
    if (fclose(f) != 0)
      rc = WSAEACCES;
  }
  free(s);
  return rc;
}
