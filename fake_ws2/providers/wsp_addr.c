/* wsp_addr.c: the sockaddrs fake_ws2's base providers take and give:
 * checking and copying them, their IP and port, the loopback and wildcard
 * tests (wsp_common.h documents each function).
 */
#include <string.h>

#include "wsp_common.h"

int wsp_addr_len(int af) {
  return af == AF_INET6 ? (int)sizeof(struct sockaddr_in6)
                        : (int)sizeof(struct sockaddr_in);
}

int wsp_addr_parse(int af, const struct sockaddr *name, int namelen,
                   wsp_addr *out) {
  if (name == NULL || namelen < (int)sizeof(name->sa_family))
    return WSAEFAULT;
  if (name->sa_family != af)
    return WSAEAFNOSUPPORT;
  if (namelen < wsp_addr_len(af))
    return WSAEFAULT;
  memset(out, 0, sizeof *out);
  memcpy(out, name, wsp_addr_len(af));
  if (af == AF_INET6) {
    out->in6.sin6_flowinfo = 0;
    out->in6.sin6_scope_id = 0; /* scope ids are ignored */
  }
  return 0;
}

const BYTE *wsp_addr_ip(const wsp_addr *a, int *len) {
  if (a->sa.sa_family == AF_INET6) {
    *len = 16;
    return (const BYTE *)&a->in6.sin6_addr;
  }
  *len = 4;
  return (const BYTE *)&a->in4.sin_addr;
}

BOOL wsp_addr_is_any(const wsp_addr *a) {
  int n;
  const BYTE *b = wsp_addr_ip(a, &n);
  for (int i = 0; i < n; i++)
    if (b[i] != 0)
      return FALSE;
  return TRUE;
}

BOOL wsp_addr_is_loopback(const wsp_addr *a) {
  int n;
  const BYTE *b = wsp_addr_ip(a, &n);
  if (n == 4)
    return b[0] == 127;
  for (int i = 0; i < 15; i++)
    if (b[i] != 0)
      return FALSE;
  return b[15] == 1;
}

static BYTE *port_bytes(wsp_addr *a) {
  return a->sa.sa_family == AF_INET6 ? (BYTE *)&a->in6.sin6_port
                                     : (BYTE *)&a->in4.sin_port;
}

USHORT wsp_addr_port(const wsp_addr *a) {
  const BYTE *p = port_bytes((wsp_addr *)a);
  return (USHORT)((p[0] << 8) | p[1]);
}

void wsp_addr_set_port(wsp_addr *a, USHORT port) {
  BYTE *p = port_bytes(a);
  p[0] = (BYTE)(port >> 8);
  p[1] = (BYTE)port;
}

BOOL wsp_addr_same_ip(const wsp_addr *a, const wsp_addr *b) {
  int na, nb;
  const BYTE *x = wsp_addr_ip(a, &na), *y = wsp_addr_ip(b, &nb);
  return a->sa.sa_family == b->sa.sa_family && na == nb &&
         memcmp(x, y, na) == 0;
}

BOOL wsp_addr_equal(const wsp_addr *a, const wsp_addr *b) {
  return wsp_addr_same_ip(a, b) && wsp_addr_port(a) == wsp_addr_port(b);
}

void wsp_addr_loopback(int af, USHORT port, wsp_addr *out) {
  memset(out, 0, sizeof *out);
  out->sa.sa_family = (USHORT)af;
  BYTE *b =
      af == AF_INET6 ? (BYTE *)&out->in6.sin6_addr : (BYTE *)&out->in4.sin_addr;
  if (af == AF_INET6) {
    b[15] = 1;
  } else {
    b[0] = 127;
    b[3] = 1;
  }
  wsp_addr_set_port(out, port);
}

int wsp_addr_copy_out(const wsp_addr *a, struct sockaddr *name, LPINT namelen) {
  int len = wsp_addr_len(a->sa.sa_family);
  if (name == NULL || namelen == NULL || *namelen < len)
    return WSAEFAULT;
  memcpy(name, a, len);
  *namelen = len;
  return 0;
}
