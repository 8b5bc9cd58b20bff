/* wsp_provider_harness.h: what the base providers' own test suites share:
 * starting a provider for its four standard entries with the upcall table,
 * and the socket, address and connection helpers the tests are written in.
 * Include once, after defining WSPH_STARTUP (the provider's WSPStartup) and
 * WSPH_PROTOCOL_INFO (its fill-in-an-entry function); the helpers are
 * static, as the suites' own are. */
#ifndef WSP_PROVIDER_HARNESS_H
#define WSP_PROVIDER_HARNESS_H

#define CAT_TCP4 1001
#define CAT_UDP4 1002
#define CAT_TCP6 1003
#define CAT_UDP6 1004

static WSPPROC_TABLE p;
static WSAPROTOCOL_INFOW tcp4, udp4, tcp6, udp6;

/* Starts the provider once per catalog entry, as its own tests do. */
static int start_all(void) {
  struct {
    WSAPROTOCOL_INFOW *info;
    int af, type;
    DWORD id;
  } entries[] = {{&tcp4, AF_INET, SOCK_STREAM, CAT_TCP4},
                 {&udp4, AF_INET, SOCK_DGRAM, CAT_UDP4},
                 {&tcp6, AF_INET6, SOCK_STREAM, CAT_TCP6},
                 {&udp6, AF_INET6, SOCK_DGRAM, CAT_UDP6}};
  for (int i = 0; i < 4; i++) {
    if (WSPH_PROTOCOL_INFO(entries[i].af, entries[i].type, entries[i].info) !=
        0)
      return -1;
    entries[i].info->dwCatalogEntryId = entries[i].id;
    WSPDATA data;
    if (WSPH_STARTUP(MAKEWORD(2, 2), &data, entries[i].info, wpu_upcall_table(),
                     &p) != 0)
      return -1;
  }
  return 0;
}

static int setup(void **state) {
  if (fws2_world_setup(state) != 0)
    return -1;
  return start_all();
}

static int teardown(void **state) {
  int err;
  for (int i = 0; i < 4; i++)
    p.lpWSPCleanup(&err);
  return fws2_world_teardown(state);
}

/* ---- Helpers ---- */

static SOCKET mk(WSAPROTOCOL_INFOW *info) {
  int err = 0;
  SOCKET s = p.lpWSPSocket(info->iAddressFamily, info->iSocketType,
                           info->iProtocol, info, 0, WSA_FLAG_OVERLAPPED, &err);
  assert_int_not_equal(s, INVALID_SOCKET);
  return s;
}

static void closes(SOCKET s) {
  int err = 0;
  assert_int_equal(p.lpWSPCloseSocket(s, &err), 0);
}

static struct sockaddr_in in4(USHORT port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  ((BYTE *)&a.sin_addr)[0] = 127;
  ((BYTE *)&a.sin_addr)[3] = 1;
  ((BYTE *)&a.sin_port)[0] = (BYTE)(port >> 8);
  ((BYTE *)&a.sin_port)[1] = (BYTE)port;
  return a;
}

static struct sockaddr_in6 in6(USHORT port) {
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  ((BYTE *)&a.sin6_addr)[15] = 1;
  ((BYTE *)&a.sin6_port)[0] = (BYTE)(port >> 8);
  ((BYTE *)&a.sin6_port)[1] = (BYTE)port;
  return a;
}

static USHORT port_of(const struct sockaddr *a) {
  const BYTE *b =
      a->sa_family == AF_INET6
          ? (const BYTE *)&((const struct sockaddr_in6 *)a)->sin6_port
          : (const BYTE *)&((const struct sockaddr_in *)a)->sin_port;
  return (USHORT)((b[0] << 8) | b[1]);
}

static USHORT local_port(SOCKET s) {
  SOCKADDR_STORAGE ss;
  int len = sizeof ss, err = 0;
  assert_int_equal(p.lpWSPGetSockName(s, (struct sockaddr *)&ss, &len, &err),
                   0);
  return port_of((struct sockaddr *)&ss);
}

static void bind4(SOCKET s, USHORT port) {
  struct sockaddr_in a = in4(port);
  int err = 0;
  assert_int_equal(p.lpWSPBind(s, (struct sockaddr *)&a, sizeof a, &err), 0);
}

/* Binds s to the IPv6 wildcard address, port 0 (the provider binds the
 * wildcard to ::1). */
static void bind6_any(SOCKET s) {
  struct sockaddr_in6 any;
  memset(&any, 0, sizeof any);
  any.sin6_family = AF_INET6;
  int err = 0;
  assert_int_equal(p.lpWSPBind(s, (struct sockaddr *)&any, sizeof any, &err),
                   0);
}

/* A listening IPv4 stream socket on 127.0.0.1 and its port. */
static SOCKET listener(USHORT *port) {
  SOCKET l = mk(&tcp4);
  int err = 0;
  bind4(l, 0);
  assert_int_equal(p.lpWSPListen(l, 5, &err), 0);
  *port = local_port(l);
  return l;
}

static int connect4(SOCKET s, USHORT port, int *err) {
  struct sockaddr_in a = in4(port);
  return p.lpWSPConnect(s, (struct sockaddr *)&a, sizeof a, NULL, NULL, NULL,
                        NULL, err);
}

static SOCKET accept_plain(SOCKET l) {
  int err = 0;
  SOCKET a = p.lpWSPAccept(l, NULL, NULL, NULL, 0, &err);
  assert_int_not_equal(a, INVALID_SOCKET);
  return a;
}

/* A connected IPv4 stream pair (blocking sockets). */
static void pair(SOCKET *c, SOCKET *a) {
  USHORT port;
  SOCKET l = listener(&port);
  int err = 0;
  *c = mk(&tcp4);
  assert_int_equal(connect4(*c, port, &err), 0);
  *a = accept_plain(l);
  closes(l);
}

#endif /* WSP_PROVIDER_HARNESS_H */
