/* wsp_options.c: the socket options fake_ws2's base providers keep per
 * socket and report as set: WSPGetSockOpt's answers and WSPSetSockOpt's
 * checks (wsp_common.h documents each function).
 */
#include <string.h>

#include "wsp_common.h"

#include <mswsock.h> /* SO_UPDATE_ACCEPT_CONTEXT, SO_UPDATE_CONNECT_CONTEXT */

static int get_int(char *optval, LPINT optlen, int value) {
  if (optval == NULL || optlen == NULL || *optlen < (int)sizeof(int))
    return WSAEFAULT;
  memcpy(optval, &value, sizeof value);
  *optlen = sizeof value;
  return 0;
}

int wsp_opts_get(wsp_opts *o, const WSAPROTOCOL_INFOW *info, int type,
                 BOOL listening, int level, int name, char *optval,
                 LPINT optlen) {
  BOOL stream = type == SOCK_STREAM;
  if (level == IPPROTO_TCP) {
    if (!stream)
      return WSAENOPROTOOPT;
    if (name == TCP_NODELAY)
      return get_int(optval, optlen, o->nodelay);
    return WSAENOPROTOOPT;
  }
  if (level != SOL_SOCKET)
    return WSAEINVAL;
  switch (name) {
  case SO_TYPE:
    return get_int(optval, optlen, type);
  case SO_PROTOCOL_INFOW:
    if (optval == NULL || optlen == NULL ||
        *optlen < (int)sizeof(WSAPROTOCOL_INFOW))
      return WSAEFAULT;
    memcpy(optval, info, sizeof *info);
    *optlen = sizeof *info;
    return 0;
  case SO_RCVBUF:
    return get_int(optval, optlen, o->rcvbuf);
  case SO_SNDBUF:
    return get_int(optval, optlen, o->sndbuf);
  case SO_RCVTIMEO:
    return get_int(optval, optlen, (int)o->rcvtimeo);
  case SO_SNDTIMEO:
    return get_int(optval, optlen, (int)o->sndtimeo);
  case SO_REUSEADDR:
    return get_int(optval, optlen, o->reuseaddr);
  case SO_KEEPALIVE:
    return get_int(optval, optlen, o->keepalive);
  case SO_BROADCAST:
    return get_int(optval, optlen, o->broadcast);
  case SO_OOBINLINE:
    return get_int(optval, optlen, o->oobinline);
  case SO_DEBUG:
    return get_int(optval, optlen, o->debug);
  case SO_DONTROUTE:
    return get_int(optval, optlen, o->dontroute);
  case SO_ACCEPTCONN:
    return get_int(optval, optlen, listening);
  case SO_CONDITIONAL_ACCEPT:
    return get_int(optval, optlen, o->conditional);
  case SO_EXCLUSIVEADDRUSE:
    return get_int(optval, optlen, FALSE);
  case SO_ERROR: {
    int e = get_int(optval, optlen, o->so_error);
    if (e == 0)
      o->so_error = 0;
    return e;
  }
  case SO_MAX_MSG_SIZE:
    return get_int(optval, optlen, stream ? -1 : (int)WSP_DGRAM_MAX);
  case SO_LINGER:
    if (!stream)
      return WSAENOPROTOOPT;
    if (optval == NULL || optlen == NULL || *optlen < (int)sizeof(LINGER))
      return WSAEFAULT;
    memcpy(optval, &o->linger, sizeof o->linger);
    *optlen = sizeof o->linger;
    return 0;
  case SO_DONTLINGER:
    if (!stream)
      return WSAENOPROTOOPT;
    return get_int(optval, optlen, !o->linger.l_onoff);
  default:
    return WSAENOPROTOOPT;
  }
}

int wsp_opts_check(int type, BOOL listening, int level, int name,
                   const char *optval, int optlen, int *v) {
  BOOL stream = type == SOCK_STREAM;
  *v = 0;
  if (level != IPPROTO_TCP && level != SOL_SOCKET)
    return WSAEINVAL;
  if (name == SO_LINGER && level == SOL_SOCKET) {
    if (!stream)
      return WSAENOPROTOOPT;
    if (optval == NULL || optlen < (int)sizeof(LINGER))
      return WSAEFAULT;
    return 0;
  }
  if (name == SO_UPDATE_ACCEPT_CONTEXT || name == SO_UPDATE_CONNECT_CONTEXT)
    return 0; /* AcceptEx/ConnectEx sockets are complete already */
  if (optval == NULL || optlen < (int)sizeof(int))
    return WSAEFAULT;
  memcpy(v, optval, sizeof *v);
  if (level == IPPROTO_TCP)
    return stream && name == TCP_NODELAY ? 0 : WSAENOPROTOOPT;
  switch (name) {
  case SO_RCVBUF:
  case SO_SNDBUF:
    return *v < 0 ? WSAEINVAL : 0;
  case SO_RCVTIMEO:
  case SO_SNDTIMEO:
  case SO_REUSEADDR:
  case SO_DEBUG:
  case SO_DONTROUTE:
    return 0;
  case SO_KEEPALIVE:
  case SO_OOBINLINE:
  case SO_DONTLINGER:
    return stream ? 0 : WSAENOPROTOOPT;
  case SO_BROADCAST:
    return stream ? WSAENOPROTOOPT : 0;
  case SO_CONDITIONAL_ACCEPT:
    if (!stream)
      return WSAENOPROTOOPT;
    return listening ? WSAEINVAL : 0;
  default:
    return WSAENOPROTOOPT;
  }
}

void wsp_opts_store(wsp_opts *o, int level, int name, const char *optval,
                    int v) {
  if (level == IPPROTO_TCP) {
    o->nodelay = v != 0;
    return;
  }
  switch (name) {
  case SO_LINGER:
    memcpy(&o->linger, optval, sizeof o->linger);
    break;
  case SO_RCVBUF:
    o->rcvbuf = v;
    break;
  case SO_SNDBUF:
    o->sndbuf = v;
    break;
  case SO_RCVTIMEO:
    o->rcvtimeo = (DWORD)v;
    break;
  case SO_SNDTIMEO:
    o->sndtimeo = (DWORD)v;
    break;
  case SO_REUSEADDR:
    o->reuseaddr = v != 0;
    break;
  case SO_KEEPALIVE:
    o->keepalive = v != 0;
    break;
  case SO_BROADCAST:
    o->broadcast = v != 0;
    break;
  case SO_OOBINLINE:
    o->oobinline = v != 0;
    break;
  case SO_DEBUG:
    o->debug = v != 0;
    break;
  case SO_DONTROUTE:
    o->dontroute = v != 0;
    break;
  case SO_DONTLINGER:
    o->linger.l_onoff = v == 0;
    break;
  case SO_CONDITIONAL_ACCEPT:
    o->conditional = v != 0;
    break;
  default:
    break; /* SO_UPDATE_ACCEPT_CONTEXT, SO_UPDATE_CONNECT_CONTEXT */
  }
}
