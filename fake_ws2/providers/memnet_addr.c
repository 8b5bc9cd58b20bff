/* memnet_addr.c: memnet's addresses: checking and copying sockaddrs, the
 * loopback and wildcard rules, binding and ephemeral ports, finding the
 * socket an address reaches, WSPBind, WSPAddressToString and
 * WSPStringToAddress.
 *
 * Bindable: 127.0.0.0/8, ::1 and the wildcards (meaning loopback). Two
 * sockets of one type and family conflict on a port when either is bound to
 * the wildcard or both to the same address, unless the second sets
 * SO_REUSEADDR. Ephemeral ports count up from 49152 and wrap.
 * Address strings: IPv4 "a.b.c.d[:port]" (four decimal parts only) and IPv6
 * "addr[%scope]" or "[addr[%scope]]:port", with "::" and a dotted IPv4
 * tail; not supported: other inet_addr forms (WSAEINVAL).
 */
#include <stdio.h>
#include <string.h>

#include "memnet_internal.h"

/* memnet_ext.c: whether s is the accept socket of a waiting AcceptEx
 * (bind on it fails with WSAEINVAL). */
BOOL mn_acceptex_pending(const mn_socket *s);

/* ---- Binding ---- */

/* Whether another socket holds port (for a == NULL: at any address). */
static BOOL port_taken(const mn_socket *self, USHORT port, const wsp_addr *a,
                       BOOL reuse) {
  for (const mn_socket *o = mn.all; o != NULL; o = o->all_next) {
    if (o == self || !o->bound || o->accepted || o->type != self->type ||
        o->af != self->af || wsp_addr_port(&o->local) != port)
      continue;
    if (a == NULL)
      return TRUE;
    if (!reuse && (wsp_addr_is_any(&o->local) || wsp_addr_is_any(a) ||
                   wsp_addr_same_ip(&o->local, a)))
      return TRUE;
  }
  return FALSE;
}

int mn_bind(mn_socket *s, const wsp_addr *a) {
  if (!wsp_addr_is_any(a) && !wsp_addr_is_loopback(a))
    return WSAEADDRNOTAVAIL;
  USHORT port = wsp_addr_port(a);
  if (port == 0) {
    for (int i = 0; i < 65536 - MN_EPHEMERAL_FIRST; i++) {
      USHORT p = mn.next_port;
      mn.next_port = p == 65535 ? (USHORT)MN_EPHEMERAL_FIRST : (USHORT)(p + 1);
      if (!port_taken(s, p, NULL, FALSE)) {
        port = p;
        break;
      }
    }
    if (port == 0)
      return WSAENOBUFS;
  } else if (port_taken(s, port, a, s->opt.reuseaddr)) {
    return WSAEADDRINUSE;
  }
  s->local = *a;
  wsp_addr_set_port(&s->local, port);
  s->bound = TRUE;
  return 0;
}

int mn_autobind(mn_socket *s) {
  if (s->bound)
    return 0;
  wsp_addr any;
  memset(&any, 0, sizeof any);
  any.sa.sa_family = (USHORT)s->af;
  return mn_bind(s, &any);
}

void mn_source_addr(const mn_socket *s, wsp_addr *out) {
  *out = s->local;
  if (wsp_addr_is_any(out))
    wsp_addr_loopback(s->af, wsp_addr_port(&s->local), out);
}

int mn_check_destination(const wsp_addr *a) {
  if (wsp_addr_is_any(a) || wsp_addr_port(a) == 0)
    return WSAEADDRNOTAVAIL;
  if (!wsp_addr_is_loopback(a))
    return WSAENETUNREACH;
  return 0;
}

static mn_socket *find_bound(const wsp_addr *a, int type, BOOL listening) {
  mn_socket *wild = NULL;
  USHORT port = wsp_addr_port(a);
  for (mn_socket *o = mn.all; o != NULL; o = o->all_next) {
    if (o->type != type || o->af != a->sa.sa_family || !o->bound ||
        o->accepted || wsp_addr_port(&o->local) != port)
      continue;
    if (listening && o->state != MN_LISTENING)
      continue;
    if (wsp_addr_same_ip(&o->local, a))
      return o;
    if (wsp_addr_is_any(&o->local) && wild == NULL)
      wild = o;
  }
  return wild;
}

mn_socket *mn_find_listener(const wsp_addr *a) {
  return find_bound(a, SOCK_STREAM, TRUE);
}

mn_socket *mn_find_dgram(const wsp_addr *a) {
  return find_bound(a, SOCK_DGRAM, FALSE);
}

int WSPAPI mn_WSPBind(SOCKET h, const struct sockaddr *name, int namelen,
                      LPINT err) {
  mn_socket *s = mn_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  wsp_addr a;
  int e = s->bound || mn_acceptex_pending(s)
              ? WSAEINVAL
              : wsp_addr_parse(s->af, name, namelen, &a);
  if (e == 0)
    e = mn_bind(s, &a);
  mn_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

/* ---- Address strings ---- */

static int format_v6(const BYTE *b, char *out, size_t cap) {
  USHORT w[8];
  for (int i = 0; i < 8; i++)
    w[i] = (USHORT)((b[2 * i] << 8) | b[2 * i + 1]);
  /* IPv4-mapped: ::ffff:a.b.c.d */
  if (w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 &&
      w[5] == 0xffff)
    return snprintf(out, cap, "::ffff:%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
  int best = -1, best_len = 1;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && w[j] == 0)
      j++;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j == i ? i + 1 : j;
  }
  size_t n = 0;
  for (int i = 0; i < 8; i++) {
    if (i == best) {
      n += snprintf(out + n, cap - n, "::");
      i += best_len - 1;
      continue;
    }
    if (n > 0 && out[n - 1] != ':')
      n += snprintf(out + n, cap - n, ":");
    n += snprintf(out + n, cap - n, "%x", w[i]);
  }
  return (int)n;
}

INT WSPAPI mn_WSPAddressToString(LPSOCKADDR addr, DWORD len,
                                 LPWSAPROTOCOL_INFOW info, LPWSTR str,
                                 LPDWORD slen, LPINT err) {
  (void)info;
  char text[96];
  int n;
  if (addr == NULL || slen == NULL || len < sizeof(addr->sa_family)) {
    *err = WSAEFAULT;
    return SOCKET_ERROR;
  }
  wsp_addr a;
  memset(&a, 0, sizeof a);
  if (addr->sa_family == AF_INET) {
    if (len < sizeof(struct sockaddr_in)) {
      *err = WSAEFAULT;
      return SOCKET_ERROR;
    }
    memcpy(&a, addr, sizeof(struct sockaddr_in));
    const BYTE *b = (const BYTE *)&a.in4.sin_addr;
    n = snprintf(text, sizeof text, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    if (wsp_addr_port(&a) != 0)
      n += snprintf(text + n, sizeof text - n, ":%u", wsp_addr_port(&a));
  } else if (addr->sa_family == AF_INET6) {
    if (len < sizeof(struct sockaddr_in6)) {
      *err = WSAEFAULT;
      return SOCKET_ERROR;
    }
    memcpy(&a, addr, sizeof(struct sockaddr_in6));
    USHORT port = wsp_addr_port(&a);
    n = 0;
    if (port != 0)
      text[n++] = '[';
    n += format_v6((const BYTE *)&a.in6.sin6_addr, text + n, sizeof text - n);
    if (a.in6.sin6_scope_id != 0)
      n += snprintf(text + n, sizeof text - n, "%%%lu",
                    (unsigned long)a.in6.sin6_scope_id);
    if (port != 0)
      n += snprintf(text + n, sizeof text - n, "]:%u", port);
  } else {
    *err = WSAEINVAL;
    return SOCKET_ERROR;
  }
  if (str == NULL || *slen < (DWORD)n + 1) {
    *slen = (DWORD)n + 1;
    *err = WSAEFAULT;
    return SOCKET_ERROR;
  }
  for (int i = 0; i <= n; i++)
    str[i] = (WCHAR)(BYTE)text[i];
  *slen = (DWORD)n + 1;
  return 0;
}

/* Parses decimal digits into *v (at most max); the end, or NULL. */
static const char *parse_dec(const char *p, unsigned long max,
                             unsigned long *v) {
  if (*p < '0' || *p > '9')
    return NULL;
  unsigned long x = 0;
  for (; *p >= '0' && *p <= '9'; p++) {
    x = x * 10 + (unsigned long)(*p - '0');
    if (x > max)
      return NULL;
  }
  *v = x;
  return p;
}

/* a.b.c.d into b[4]; the end, or NULL. */
static const char *parse_v4(const char *p, BYTE *b) {
  for (int i = 0; i < 4; i++) {
    unsigned long v;
    if (i > 0 && *p++ != '.')
      return NULL;
    if ((p = parse_dec(p, 255, &v)) == NULL)
      return NULL;
    b[i] = (BYTE)v;
  }
  return p;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* The whole of p (no brackets, no scope) as an IPv6 address. */
static BOOL parse_v6(const char *p, BYTE *out) {
  USHORT w[8];
  int n = 0, gap = -1;
  if (p[0] == ':') {
    if (p[1] != ':')
      return FALSE;
    gap = 0;
    p += 2;
  }
  while (*p != 0) {
    const char *end = p;
    while (*end != 0 && *end != ':')
      end++;
    if (memchr(p, '.', (size_t)(end - p)) != NULL) { /* dotted IPv4 tail */
      BYTE b[4];
      if (n > 6 || parse_v4(p, b) != end || *end != 0)
        return FALSE;
      w[n++] = (USHORT)((b[0] << 8) | b[1]);
      w[n++] = (USHORT)((b[2] << 8) | b[3]);
      p = end;
      break;
    }
    if (end == p || end - p > 4 || n == 8)
      return FALSE;
    unsigned v = 0;
    for (; p < end; p++) {
      int d = hex_digit(*p);
      if (d < 0)
        return FALSE;
      v = v * 16 + (unsigned)d;
    }
    w[n++] = (USHORT)v;
    if (*p == 0)
      break;
    p++; /* ':' */
    if (*p == ':') {
      if (gap >= 0)
        return FALSE;
      gap = n;
      p++;
    } else if (*p == 0) {
      return FALSE; /* trailing single ':' */
    }
  }
  if ((gap < 0 && n != 8) || (gap >= 0 && n > 7))
    return FALSE;
  USHORT full[8] = {0};
  if (gap < 0) {
    memcpy(full, w, sizeof full);
  } else {
    for (int i = 0; i < gap; i++)
      full[i] = w[i];
    for (int i = gap; i < n; i++)
      full[8 - (n - i)] = w[i];
  }
  for (int i = 0; i < 8; i++) {
    out[2 * i] = (BYTE)(full[i] >> 8);
    out[2 * i + 1] = (BYTE)full[i];
  }
  return TRUE;
}

/* "addr[%scope]" into a's address and scope. */
static BOOL parse_v6_scoped(const char *p, size_t len, wsp_addr *a) {
  char buf[64];
  if (len >= sizeof buf)
    return FALSE;
  memcpy(buf, p, len);
  buf[len] = 0;
  char *pct = strchr(buf, '%');
  if (pct != NULL) {
    unsigned long scope;
    const char *end = parse_dec(pct + 1, 0xffffffffUL, &scope);
    if (end == NULL || *end != 0)
      return FALSE;
    a->in6.sin6_scope_id = (ULONG)scope;
    *pct = 0;
  }
  return parse_v6(buf, (BYTE *)&a->in6.sin6_addr);
}

static BOOL parse_address(const char *p, int af, wsp_addr *a) {
  memset(a, 0, sizeof *a);
  a->sa.sa_family = (USHORT)af;
  unsigned long port = 0;
  if (af == AF_INET) {
    const char *end = parse_v4(p, (BYTE *)&a->in4.sin_addr);
    if (end == NULL)
      return FALSE;
    if (*end == ':' && ((end = parse_dec(end + 1, 65535, &port)) == NULL))
      return FALSE;
    if (*end != 0)
      return FALSE;
  } else if (p[0] == '[') {
    const char *close = strchr(p, ']');
    if (close == NULL || !parse_v6_scoped(p + 1, (size_t)(close - p - 1), a))
      return FALSE;
    const char *end = close + 1;
    if (*end == ':' && ((end = parse_dec(end + 1, 65535, &port)) == NULL))
      return FALSE;
    if (*end != 0)
      return FALSE;
  } else if (!parse_v6_scoped(p, strlen(p), a)) {
    return FALSE;
  }
  wsp_addr_set_port(a, (USHORT)port);
  return TRUE;
}

INT WSPAPI mn_WSPStringToAddress(LPWSTR str, INT af, LPWSAPROTOCOL_INFOW info,
                                 LPSOCKADDR addr, LPINT len, LPINT err) {
  (void)info;
  char text[96];
  if (str == NULL || len == NULL) {
    *err = WSAEFAULT;
    return SOCKET_ERROR;
  }
  if (af != AF_INET && af != AF_INET6) {
    *err = WSAEINVAL;
    return SOCKET_ERROR;
  }
  size_t i = 0;
  for (; str[i] != 0; i++) {
    if (i + 1 >= sizeof text || str[i] > 0x7e) {
      *err = WSAEINVAL;
      return SOCKET_ERROR;
    }
    text[i] = (char)str[i];
  }
  text[i] = 0;
  wsp_addr a;
  if (!parse_address(text, af, &a)) {
    *err = WSAEINVAL;
    return SOCKET_ERROR;
  }
  int need = wsp_addr_len(af);
  if (addr == NULL || *len < need) {
    *len = need;
    *err = WSAEFAULT;
    return SOCKET_ERROR;
  }
  memcpy(addr, &a, need);
  *len = need;
  return 0;
}
