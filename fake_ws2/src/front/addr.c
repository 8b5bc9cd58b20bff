/* addr.c: the address helpers of the ws2_32 front (inet_addr, inet_ntoa,
 * inet_pton, inet_ntop, getaddrinfo, freeaddrinfo, gethostname).
 *
 * Only what loopback tests need: numeric IPv4/IPv6 addresses, the names
 * "localhost" (127.0.0.1 and ::1) and this host's name. No DNS: any other
 * name fails with WSAHOST_NOT_FOUND (EAI_NONAME), so no test can reach the
 * network. inet_ntoa's buffer is per thread, as Windows documents. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ws2tcpip.h>

#include "front.h"

static int parse_v4(const char *s, unsigned char out[4]) {
  unsigned v[4];
  int n = 0;
  if (sscanf(s, "%u.%u.%u.%u%n", &v[0], &v[1], &v[2], &v[3], &n) != 4 ||
      s[n] != 0)
    return 0;
  for (int i = 0; i < 4; i++) {
    if (v[i] > 255)
      return 0;
    out[i] = (unsigned char)v[i];
  }
  return 1;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* RFC 4291 text form, with "::" and a trailing dotted IPv4 part. */
static int parse_v6(const char *s, unsigned char out[16]) {
  unsigned short words[8];
  int n = 0, gap = -1;
  const char *p = s;
  if (p[0] == ':' && p[1] == ':') {
    gap = 0;
    p += 2;
  }
  while (*p && n < 8) {
    const char *dot = strchr(p, '.');
    const char *colon = strchr(p, ':');
    if (dot != NULL && (colon == NULL || dot < colon)) {
      unsigned char v4[4];
      if (n > 6 || !parse_v4(p, v4))
        return 0;
      words[n++] = (unsigned short)(v4[0] << 8 | v4[1]);
      words[n++] = (unsigned short)(v4[2] << 8 | v4[3]);
      p += strlen(p);
      break;
    }
    int digits = 0;
    unsigned v = 0;
    while (hexval(*p) >= 0 && digits < 5) {
      v = v << 4 | (unsigned)hexval(*p++);
      digits++;
    }
    if (digits == 0 || digits > 4)
      return 0;
    words[n++] = (unsigned short)v;
    if (*p == ':') {
      p++;
      if (*p == ':') {
        if (gap >= 0)
          return 0;
        gap = n;
        p++;
      } else if (*p == 0) {
        return 0;
      }
    } else if (*p != 0) {
      return 0;
    }
  }
  if (*p != 0 || (gap < 0 && n != 8) || (gap >= 0 && n > 7))
    return 0;
  memset(out, 0, 16);
  int tail = gap < 0 ? 0 : n - gap;
  for (int i = 0; i < n - tail; i++) {
    out[2 * i] = (unsigned char)(words[i] >> 8);
    out[2 * i + 1] = (unsigned char)words[i];
  }
  for (int i = 0; i < tail; i++) {
    int w = 8 - tail + i;
    out[2 * w] = (unsigned char)(words[gap + i] >> 8);
    out[2 * w + 1] = (unsigned char)words[gap + i];
  }
  return 1;
}

ULONG WSAAPI inet_addr(const char *cp) {
  unsigned char b[4];
  if (cp == NULL || !parse_v4(cp, b))
    return INADDR_NONE;
  ULONG a;
  memcpy(&a, b, 4);
  return a;
}

char *WSAAPI inet_ntoa(struct in_addr in) {
  static _Thread_local char buf[16];
  const unsigned char *b = (const unsigned char *)&in;
  snprintf(buf, sizeof buf, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
  return buf;
}

INT WSAAPI inet_pton(INT Family, PCSTR pszAddrString, PVOID pAddrBuf) {
  if (pszAddrString == NULL || pAddrBuf == NULL) {
    WSASetLastError(WSAEFAULT);
    return -1;
  }
  if (Family == AF_INET)
    return parse_v4(pszAddrString, pAddrBuf);
  if (Family == AF_INET6)
    return parse_v6(pszAddrString, pAddrBuf);
  WSASetLastError(WSAEAFNOSUPPORT);
  return -1;
}

/* Wine's header declares pAddr without const (the SDK has const). */
PCSTR WSAAPI inet_ntop(INT Family, PVOID pAddr, PSTR pStringBuf,
                       SIZE_T StringBufSize) {
  char tmp[64];
  const unsigned char *b = pAddr;
  if (pAddr == NULL || pStringBuf == NULL) {
    WSASetLastError(WSAEFAULT); /* documented: WSA_INVALID_PARAMETER too */
    return NULL;
  }
  if (Family == AF_INET) {
    snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
  } else if (Family == AF_INET6) {
    /* Longest run of zero words becomes "::" (RFC 5952). */
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
      int j = i;
      while (j < 8 && b[2 * j] == 0 && b[2 * j + 1] == 0)
        j++;
      if (j - i > best_len && j - i > 1) {
        best = i;
        best_len = j - i;
      }
      i = j > i ? j : i + 1;
    }
    size_t n = 0;
    for (int i = 0; i < 8; i++) {
      if (i == best) {
        n += (size_t)snprintf(tmp + n, sizeof tmp - n, "::");
        i += best_len - 1;
        continue;
      }
      if (n > 0 && tmp[n - 1] != ':')
        tmp[n++] = ':';
      n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%x",
                            (unsigned)(b[2 * i] << 8 | b[2 * i + 1]));
    }
    tmp[n] = 0;
  } else {
    WSASetLastError(WSAEAFNOSUPPORT);
    return NULL;
  }
  if (strlen(tmp) + 1 > StringBufSize) {
    WSASetLastError(WSA_INVALID_PARAMETER);
    return NULL;
  }
  strcpy(pStringBuf, tmp);
  return pStringBuf;
}

int WSAAPI gethostname(char *name, int namelen) {
  static const char host[] = "libwpu-host";
  if (name == NULL || namelen < (int)sizeof host) {
    WSASetLastError(WSAEFAULT);
    return SOCKET_ERROR;
  }
  memcpy(name, host, sizeof host);
  return 0;
}

static int ascii_ieq(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a + 32) : *a;
    char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b + 32) : *b;
    if (x != y)
      return 0;
  }
  return *a == *b;
}

static struct addrinfo *make_ai(int family, const void *addr, u_short port,
                                const struct addrinfo *hints) {
  struct addrinfo *ai = calloc(1, sizeof *ai);
  if (ai == NULL)
    return NULL;
  ai->ai_family = family;
  ai->ai_socktype = hints ? hints->ai_socktype : 0;
  ai->ai_protocol = hints ? hints->ai_protocol : 0;
  if (family == AF_INET) {
    struct sockaddr_in *sin = calloc(1, sizeof *sin);
    if (sin == NULL) {
      free(ai);
      return NULL;
    }
    sin->sin_family = AF_INET;
    sin->sin_port = port;
    memcpy(&sin->sin_addr, addr, 4);
    ai->ai_addr = (struct sockaddr *)sin;
    ai->ai_addrlen = sizeof *sin;
  } else {
    struct sockaddr_in6 *sin6 = calloc(1, sizeof *sin6);
    if (sin6 == NULL) {
      free(ai);
      return NULL;
    }
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = port;
    memcpy(&sin6->sin6_addr, addr, 16);
    ai->ai_addr = (struct sockaddr *)sin6;
    ai->ai_addrlen = sizeof *sin6;
  }
  return ai;
}

void WSAAPI freeaddrinfo(struct addrinfo *pAddrInfo) {
  while (pAddrInfo != NULL) {
    struct addrinfo *next = pAddrInfo->ai_next;
    free(pAddrInfo->ai_addr);
    free(pAddrInfo->ai_canonname);
    free(pAddrInfo);
    pAddrInfo = next;
  }
}

INT WSAAPI getaddrinfo(PCSTR pNodeName, PCSTR pServiceName,
                       const ADDRINFOA *pHints, PADDRINFOA *ppResult) {
  if (ppResult == NULL || (pNodeName == NULL && pServiceName == NULL)) {
    WSASetLastError(WSAHOST_NOT_FOUND);
    return EAI_NONAME;
  }
  *ppResult = NULL;
  int family = pHints ? pHints->ai_family : AF_UNSPEC;
  u_short port = 0;
  if (pServiceName != NULL) {
    char *end;
    long v = strtol(pServiceName, &end, 10);
    if (*end != 0 || v < 0 || v > 65535) {
      WSASetLastError(WSATYPE_NOT_FOUND);
      return EAI_SERVICE;
    }
    port = htons((u_short)v);
  }
  unsigned char v4[4], v6[16];
  int have4 = 0, have6 = 0;
  int passive = pHints != NULL && (pHints->ai_flags & AI_PASSIVE);
  if (pNodeName == NULL) {
    static const unsigned char any6[16] = {0}, lo6[16] = {[15] = 1};
    memcpy(v4, passive ? "\0\0\0\0" : "\x7f\0\0\1", 4);
    memcpy(v6, passive ? any6 : lo6, 16);
    have4 = have6 = 1;
  } else if (parse_v4(pNodeName, v4)) {
    have4 = 1;
  } else if (parse_v6(pNodeName, v6)) {
    have6 = 1;
  } else if (ascii_ieq(pNodeName, "localhost")) {
    static const unsigned char lo6[16] = {[15] = 1};
    memcpy(v4, "\x7f\0\0\1", 4);
    memcpy(v6, lo6, 16);
    have4 = have6 = 1;
  } else {
    WSASetLastError(WSAHOST_NOT_FOUND); /* no DNS: loopback only */
    return EAI_NONAME;
  }
  struct addrinfo *head = NULL, **tail = &head;
  if (have6 && (family == AF_UNSPEC || family == AF_INET6)) {
    *tail = make_ai(AF_INET6, v6, port, pHints);
    if (*tail != NULL)
      tail = &(*tail)->ai_next;
  }
  if (have4 && (family == AF_UNSPEC || family == AF_INET)) {
    *tail = make_ai(AF_INET, v4, port, pHints);
    if (*tail != NULL)
      tail = &(*tail)->ai_next;
  }
  if (head == NULL) {
    WSASetLastError(WSAEAFNOSUPPORT);
    return EAI_FAMILY;
  }
  *ppResult = head;
  return 0;
}
