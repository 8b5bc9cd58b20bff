/* uvnet_addr.c: uvnet's addresses (the sockaddr helpers are wsp_addr.c's):
 * the loopback and wildcard rules, conversion to the loop's addresses, binding
 * (WSPBind), and WSPAddressToString/WSPStringToAddress.
 *
 * Bindable: 127.0.0.0/8, ::1 and the wildcards, which bind the kernel
 * socket to 127.0.0.1 or ::1 (the application still sees the wildcard).
 * Two uvnet sockets of one type and family conflict on a port when either
 * is bound to the wildcard or both to the same address, unless the second
 * sets SO_REUSEADDR (Windows' rule, checked here; the kernel, where libuv
 * sets SO_REUSEADDR on every TCP socket, would let some through); other
 * programs' ports are the kernel's to refuse. Port 0 takes an ephemeral
 * port from the kernel.
 * Address strings: IPv4 "a.b.c.d[:port]" and IPv6 "addr[%scope]" or
 * "[addr[%scope]]:port" (the IP parts as inet_pton reads them); not
 * supported: other inet_addr forms (WSAEINVAL).
 */
#include <stdio.h>
#include <string.h>

#include "uvnet_internal.h"

void un_addr_to_uvl(const wsp_addr *a, uvl_addr *out) {
  int n;
  const BYTE *b = wsp_addr_ip(a, &n);
  memset(out, 0, sizeof *out);
  out->family = n == 16 ? 6 : 4;
  memcpy(out->addr, b, n);
  out->port = wsp_addr_port(a);
}

void un_addr_from_uvl(const uvl_addr *a, wsp_addr *out) {
  memset(out, 0, sizeof *out);
  if (a->family == 6) {
    out->sa.sa_family = AF_INET6;
    memcpy(&out->in6.sin6_addr, a->addr, 16);
  } else {
    out->sa.sa_family = AF_INET;
    memcpy(&out->in4.sin_addr, a->addr, 4);
  }
  wsp_addr_set_port(out, a->port);
}

void un_addr_kernel(const wsp_addr *a, uvl_addr *out) {
  un_addr_to_uvl(a, out);
  if (!wsp_addr_is_any(a))
    return;
  if (out->family == 6) {
    out->addr[15] = 1;
  } else {
    out->addr[0] = 127;
    out->addr[3] = 1;
  }
}

int un_check_destination(const wsp_addr *a) {
  if (wsp_addr_is_any(a) || wsp_addr_port(a) == 0)
    return WSAEADDRNOTAVAIL;
  if (!wsp_addr_is_loopback(a))
    return WSAENETUNREACH;
  return 0;
}

/* ---- Binding ---- */

/* Whether another uvnet socket holds port at an address that conflicts
 * with a. */
static BOOL port_taken(const un_socket *self, USHORT port, const wsp_addr *a,
                       BOOL reuse) {
  if (reuse)
    return FALSE;
  for (const un_socket *o = un.all; o != NULL; o = o->all_next) {
    if (o == self || !o->bound || o->accepted || o->type != self->type ||
        o->af != self->af || wsp_addr_port(&o->local) != port)
      continue;
    if (wsp_addr_is_any(&o->local) || wsp_addr_is_any(a) ||
        wsp_addr_same_ip(&o->local, a))
      return TRUE;
  }
  return FALSE;
}

int un_bind(un_socket *s, const wsp_addr *a) {
  if (!wsp_addr_is_any(a) && !wsp_addr_is_loopback(a))
    return WSAEADDRNOTAVAIL;
  USHORT port = wsp_addr_port(a);
  if (port != 0 && port_taken(s, port, a, s->opt.reuseaddr))
    return WSAEADDRINUSE;
  uvl_addr k, bound;
  un_addr_kernel(a, &k);
  int flags = s->opt.reuseaddr ? UVL_BIND_REUSEADDR : 0;
  uvl_sock *io = un_io_begin(s);
  int e = io == NULL ? UVL_EINVAL : uvl_bind(io, &k, flags, &bound);
  un_io_end(s);
  if (s->closed)
    return WSAEINTR;
  if (e != 0)
    return un_wsa_error(e);
  s->local = *a;
  wsp_addr_set_port(&s->local, bound.port);
  s->bound = TRUE;
  if (s->type == SOCK_DGRAM && s->io != NULL)
    uvl_read_start(s->io); /* datagrams arrive from now on */
  return 0;
}

int un_autobind(un_socket *s) {
  if (s->bound)
    return 0;
  wsp_addr any;
  memset(&any, 0, sizeof any);
  any.sa.sa_family = (USHORT)s->af;
  return un_bind(s, &any);
}

int WSPAPI un_WSPBind(SOCKET h, const struct sockaddr *name, int namelen,
                      LPINT err) {
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  wsp_addr a;
  int e = s->bound || s->state != UN_FRESH
              ? WSAEINVAL
              : wsp_addr_parse(s->af, name, namelen, &a);
  if (e == 0)
    e = un_bind(s, &a);
  un_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

/* ---- Address strings ---- */

INT WSPAPI un_WSPAddressToString(LPSOCKADDR addr, DWORD len,
                                 LPWSAPROTOCOL_INFOW info, LPWSTR str,
                                 LPDWORD slen, LPINT err) {
  (void)info;
  char ip[64], text[96];
  int n;
  if (addr == NULL || slen == NULL || len < sizeof(addr->sa_family)) {
    *err = WSAEFAULT;
    return SOCKET_ERROR;
  }
  if (addr->sa_family != AF_INET && addr->sa_family != AF_INET6) {
    *err = WSAEINVAL;
    return SOCKET_ERROR;
  }
  if (len < (DWORD)wsp_addr_len(addr->sa_family)) {
    *err = WSAEFAULT;
    return SOCKET_ERROR;
  }
  wsp_addr a;
  memset(&a, 0, sizeof a);
  memcpy(&a, addr, wsp_addr_len(addr->sa_family));
  uvl_addr u;
  un_addr_to_uvl(&a, &u);
  if (uvl_addr_format(&u, ip, sizeof ip) != 0) {
    *err = WSAEINVAL;
    return SOCKET_ERROR;
  }
  USHORT port = wsp_addr_port(&a);
  if (addr->sa_family == AF_INET) {
    n = port != 0 ? snprintf(text, sizeof text, "%s:%u", ip, port)
                  : snprintf(text, sizeof text, "%s", ip);
  } else {
    char scope[16] = "";
    if (a.in6.sin6_scope_id != 0)
      snprintf(scope, sizeof scope, "%%%lu",
               (unsigned long)a.in6.sin6_scope_id);
    n = port != 0 ? snprintf(text, sizeof text, "[%s%s]:%u", ip, scope, port)
                  : snprintf(text, sizeof text, "%s%s", ip, scope);
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

/* An IP of len characters (no port, no brackets; IPv6 may end in
 * %scope) into a. */
static BOOL parse_ip(const char *p, size_t len, int af, wsp_addr *a) {
  char buf[64];
  if (len >= sizeof buf)
    return FALSE;
  memcpy(buf, p, len);
  buf[len] = 0;
  char *pct = af == AF_INET6 ? strchr(buf, '%') : NULL;
  if (pct != NULL) {
    unsigned long scope;
    const char *end = parse_dec(pct + 1, 0xffffffffUL, &scope);
    if (end == NULL || *end != 0)
      return FALSE;
    a->in6.sin6_scope_id = (ULONG)scope;
    *pct = 0;
  }
  uvl_addr u;
  if (uvl_addr_parse(af == AF_INET6 ? 6 : 4, buf, &u) != 0)
    return FALSE;
  if (af == AF_INET6)
    memcpy(&a->in6.sin6_addr, u.addr, 16);
  else
    memcpy(&a->in4.sin_addr, u.addr, 4);
  return TRUE;
}

static BOOL parse_address(const char *p, int af, wsp_addr *a) {
  memset(a, 0, sizeof *a);
  a->sa.sa_family = (USHORT)af;
  unsigned long port = 0;
  const char *end;
  if (af == AF_INET) {
    const char *colon = strchr(p, ':');
    size_t len = colon != NULL ? (size_t)(colon - p) : strlen(p);
    if (!parse_ip(p, len, af, a))
      return FALSE;
    end = p + len;
  } else if (p[0] == '[') {
    const char *close = strchr(p, ']');
    if (close == NULL || !parse_ip(p + 1, (size_t)(close - p - 1), af, a))
      return FALSE;
    end = close + 1;
  } else {
    return parse_ip(p, strlen(p), af, a);
  }
  if (*end == ':' && ((end = parse_dec(end + 1, 65535, &port)) == NULL))
    return FALSE;
  if (*end != 0)
    return FALSE;
  wsp_addr_set_port(a, (USHORT)port);
  return TRUE;
}

INT WSPAPI un_WSPStringToAddress(LPWSTR str, INT af, LPWSAPROTOCOL_INFOW info,
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
