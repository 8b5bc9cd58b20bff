/* sequence.c: the trace as a text sequence diagram, for the demo. */
#include <winsock2.h>

#include <stdio.h>
#include <string.h>

#include <fws2/trace.h>

#include "sequence.h"

#define MAX_LANES   8
#define MAX_THREADS 16
#define LANE        22 /* columns per participant */

typedef struct diagram {
  char lanes[MAX_LANES][32];
  size_t n_lanes;
  DWORD threads[MAX_THREADS];
  size_t n_threads;
} diagram;

static size_t lane_of(diagram *d, const char *name) {
  for (size_t i = 0; i < d->n_lanes; i++)
    if (strcmp(d->lanes[i], name) == 0)
      return i;
  if (d->n_lanes == MAX_LANES)
    return MAX_LANES - 1; /* crowded: the last lane takes the rest */
  snprintf(d->lanes[d->n_lanes], sizeof d->lanes[0], "%s", name);
  return d->n_lanes++;
}

static size_t thread_of(diagram *d, DWORD t) {
  for (size_t i = 0; i < d->n_threads; i++)
    if (d->threads[i] == t)
      return i + 1;
  if (d->n_threads == MAX_THREADS)
    return 0;
  d->threads[d->n_threads++] = t;
  return d->n_threads;
}

static int shown(const fws2_trace_event *e) {
  return e->kind != FWS2_TRACE_KERNEL32 && e->kind != FWS2_TRACE_ALLOC;
}

/* Results that look like handles (large) in hex, others in decimal. */
static void result_text(const fws2_trace_event *e, char *buf, size_t n) {
  if (e->failed)
    snprintf(buf, n, "= %lld (error %d)", e->result, e->error);
  else if (e->result > 0xffff)
    snprintf(buf, n, "= 0x%llx", (unsigned long long)e->result);
  else
    snprintf(buf, n, "= %lld", e->result);
}

/* One line: every lane's bar, an arrow from lane a to lane b (dotted for
 * returns), the label inside the arrow when it fits, else after it. */
static void print_arrow(FILE *out, const diagram *d, size_t thread, size_t a,
                        size_t b, int dotted, const char *label) {
  char line[MAX_LANES * LANE + 1];
  size_t width = d->n_lanes * LANE;
  memset(line, ' ', width);
  line[width] = 0;
  for (size_t i = 0; i < d->n_lanes; i++)
    line[i * LANE + LANE / 2] = '|';
  size_t ca = a * LANE + LANE / 2, cb = b * LANE + LANE / 2;
  int outside = 1;
  if (ca != cb) {
    size_t lo = ca < cb ? ca : cb, hi = ca < cb ? cb : ca;
    for (size_t x = lo + 1; x < hi; x++)
      line[x] = dotted ? '.' : '-';
    if (cb > ca)
      line[cb - 1] = '>';
    else
      line[cb + 1] = '<';
    size_t len = strlen(label);
    if (len + 4 <= hi - lo - 1) {
      memcpy(line + lo + 1 + (hi - lo - 1 - len) / 2, label, len);
      outside = 0;
    }
  }
  /* trailing blanks go */
  size_t end = width;
  while (end > 0 && line[end - 1] == ' ')
    end--;
  line[end] = 0;
  if (thread)
    fprintf(out, "T%-2zu %s", thread, line);
  else
    fprintf(out, "T?  %s", line);
  if (outside)
    fprintf(out, "  %s%s", ca == cb ? "(self) " : "", label);
  fputc('\n', out);
}

void demo_print_sequence(FILE *out) {
  diagram d;
  memset(&d, 0, sizeof d);
  lane_of(&d, "application");
  lane_of(&d, "ws2_32");
  size_t n = fws2_trace_count();
  fws2_trace_event e, next;
  for (size_t i = 0; i < n; i++)
    if (fws2_trace_get(i, &e) == 0 && shown(&e)) {
      lane_of(&d, e.from);
      lane_of(&d, e.to);
    }
  fprintf(out, "    ");
  for (size_t i = 0; i < d.n_lanes; i++) {
    size_t len = strlen(d.lanes[i]);
    size_t pad = len < LANE ? (LANE - len) / 2 : 0;
    fprintf(out, "%*s%-*.*s", (int)pad, "", (int)(LANE - pad), LANE - 1,
            d.lanes[i]);
  }
  fputc('\n', out);
  for (size_t i = 0; i < n; i++) {
    if (fws2_trace_get(i, &e) != 0 || !shown(&e))
      continue;
    size_t t = thread_of(&d, e.thread);
    size_t from = lane_of(&d, e.from), to = lane_of(&d, e.to);
    char label[160], res[48];
    switch (e.kind) {
    case FWS2_TRACE_FAULT:
    case FWS2_TRACE_VIOLATION:
      snprintf(label, sizeof label, "note: %s", e.text);
      print_arrow(out, &d, t, from, from, 0, label);
      continue;
    case FWS2_TRACE_NOTE:
      snprintf(label, sizeof label, "note: %s", e.name ? e.name : "");
      print_arrow(out, &d, t, from, from, 0, label);
      continue;
    case FWS2_TRACE_COMPLETION: /* the completion itself; its return adds
                                   nothing */
      if (e.is_return)
        continue;
      snprintf(label, sizeof label, "%s (error %lu, %lu bytes)", e.name,
               (unsigned long)e.arg[0], (unsigned long)e.arg[1]);
      print_arrow(out, &d, t, from, to, 0, label);
      continue;
    default:
      break;
    }
    if (e.is_return) {
      result_text(&e, res, sizeof res);
      snprintf(label, sizeof label, "%s %s", e.name, res);
      print_arrow(out, &d, t, to, from, 1, label);
      continue;
    }
    /* A call whose return comes next on the same thread: one line. */
    if (i + 1 < n && fws2_trace_get(i + 1, &next) == 0 && next.is_return &&
        next.thread == e.thread && strcmp(next.name, e.name) == 0 &&
        strcmp(next.to, e.to) == 0) {
      result_text(&next, res, sizeof res);
      snprintf(label, sizeof label, "%s %s", e.name, res);
      i++;
    } else {
      snprintf(label, sizeof label, "%s", e.name);
    }
    print_arrow(out, &d, t, from, to, 0, label);
  }
}
