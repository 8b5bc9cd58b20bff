/* uvnet_options.c: uvnet's socket options (WSPGetSockOpt, WSPSetSockOpt)
 * and ioctls (WSPIoctl).
 *
 * Options are kept per socket and reported as set; TCP_NODELAY,
 * SO_KEEPALIVE, SO_RCVBUF and SO_SNDBUF also go to the kernel socket
 * (SO_RCVBUF/SO_SNDBUF also size what uvnet itself buffers each way, see
 * uvnet.c). An overlapped WSPIoctl completes at once and is notified, as
 * Windows does without skip-on-success.
 *
 * Not supported: SO_EXCLUSIVEADDRUSE and the options not listed in
 * get_sockopt (WSAENOPROTOOPT); extension functions (WSAEINVAL from
 * SIO_GET_EXTENSION_FUNCTION_POINTER); other ioctls (WSAEINVAL).
 */
#include <string.h>

#include "uvnet_internal.h"

/* ---- Options ---- */

static int get_int(char *optval, LPINT optlen, int value) {
  if (optval == NULL || optlen == NULL || *optlen < (int)sizeof(int))
    return WSAEFAULT;
  memcpy(optval, &value, sizeof value);
  *optlen = sizeof value;
  return 0;
}

static int get_sockopt(un_socket *s, int level, int name, char *optval,
                       LPINT optlen) {
  BOOL stream = s->type == SOCK_STREAM;
  if (level == IPPROTO_TCP) {
    if (!stream)
      return WSAENOPROTOOPT;
    if (name == TCP_NODELAY)
      return get_int(optval, optlen, s->nodelay);
    return WSAENOPROTOOPT;
  }
  if (level != SOL_SOCKET)
    return WSAEINVAL;
  switch (name) {
  case SO_TYPE:
    return get_int(optval, optlen, s->type);
  case SO_PROTOCOL_INFOW:
    if (optval == NULL || optlen == NULL ||
        *optlen < (int)sizeof(WSAPROTOCOL_INFOW))
      return WSAEFAULT;
    memcpy(optval, &s->info, sizeof s->info);
    *optlen = sizeof s->info;
    return 0;
  case SO_RCVBUF:
    return get_int(optval, optlen, s->rcvbuf);
  case SO_SNDBUF:
    return get_int(optval, optlen, s->sndbuf);
  case SO_RCVTIMEO:
    return get_int(optval, optlen, (int)s->rcvtimeo);
  case SO_SNDTIMEO:
    return get_int(optval, optlen, (int)s->sndtimeo);
  case SO_REUSEADDR:
    return get_int(optval, optlen, s->reuseaddr);
  case SO_KEEPALIVE:
    return get_int(optval, optlen, s->keepalive);
  case SO_BROADCAST:
    return get_int(optval, optlen, s->broadcast);
  case SO_OOBINLINE:
    return get_int(optval, optlen, s->oobinline);
  case SO_DEBUG:
    return get_int(optval, optlen, s->debug);
  case SO_DONTROUTE:
    return get_int(optval, optlen, s->dontroute);
  case SO_ACCEPTCONN:
    return get_int(optval, optlen, s->state == UN_LISTENING);
  case SO_CONDITIONAL_ACCEPT:
    return get_int(optval, optlen, s->conditional);
  case SO_EXCLUSIVEADDRUSE:
    return get_int(optval, optlen, FALSE);
  case SO_ERROR: {
    int e = get_int(optval, optlen, s->so_error);
    if (e == 0)
      s->so_error = 0;
    return e;
  }
  case SO_MAX_MSG_SIZE:
    return get_int(optval, optlen, stream ? -1 : (int)UN_DGRAM_MAX);
  case SO_LINGER:
    if (!stream)
      return WSAENOPROTOOPT;
    if (optval == NULL || optlen == NULL || *optlen < (int)sizeof(LINGER))
      return WSAEFAULT;
    memcpy(optval, &s->linger, sizeof s->linger);
    *optlen = sizeof s->linger;
    return 0;
  case SO_DONTLINGER:
    if (!stream)
      return WSAENOPROTOOPT;
    return get_int(optval, optlen, !s->linger.l_onoff);
  default:
    return WSAENOPROTOOPT;
  }
}

int WSPAPI un_WSPGetSockOpt(SOCKET h, int level, int name, char *optval,
                            LPINT optlen, LPINT err) {
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = get_sockopt(s, level, name, optval, optlen);
  un_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

/* Passes an option on to the kernel socket (lock released meanwhile). */
static int kernel_option(un_socket *s, int option, int value) {
  uvl_sock *io = un_io_begin(s);
  int e = io == NULL ? 0 : uvl_set_option(io, option, value);
  un_io_end(s);
  return s->closed ? WSAENOTSOCK : un_wsa_error(e);
}

static int set_sockopt(un_socket *s, int level, int name, const char *optval,
                       int optlen) {
  BOOL stream = s->type == SOCK_STREAM;
  int v = 0, e;
  if (level != IPPROTO_TCP && level != SOL_SOCKET)
    return WSAEINVAL;
  if (name == SO_LINGER && level == SOL_SOCKET) {
    if (!stream)
      return WSAENOPROTOOPT;
    if (optval == NULL || optlen < (int)sizeof(LINGER))
      return WSAEFAULT;
    memcpy(&s->linger, optval, sizeof s->linger);
    return 0;
  }
  if (name == SO_UPDATE_ACCEPT_CONTEXT || name == SO_UPDATE_CONNECT_CONTEXT)
    return 0;
  if (optval == NULL || optlen < (int)sizeof(int))
    return WSAEFAULT;
  memcpy(&v, optval, sizeof v);
  if (level == IPPROTO_TCP) {
    if (!stream || name != TCP_NODELAY)
      return WSAENOPROTOOPT;
    if ((e = kernel_option(s, UVL_OPT_NODELAY, v != 0)) == 0)
      s->nodelay = v != 0;
    return e;
  }
  switch (name) {
  case SO_RCVBUF:
  case SO_SNDBUF:
    if (v < 0)
      return WSAEINVAL;
    if (v > 0 &&
        (e = kernel_option(
             s, name == SO_RCVBUF ? UVL_OPT_RCVBUF : UVL_OPT_SNDBUF, v)) != 0)
      return e;
    if (name == SO_RCVBUF)
      s->rcvbuf = v;
    else
      s->sndbuf = v;
    un_changed(s); /* room may have changed */
    return 0;
  case SO_RCVTIMEO:
    s->rcvtimeo = (DWORD)v;
    return 0;
  case SO_SNDTIMEO:
    s->sndtimeo = (DWORD)v;
    return 0;
  case SO_REUSEADDR:
    s->reuseaddr = v != 0;
    return 0;
  case SO_KEEPALIVE:
    if (!stream)
      return WSAENOPROTOOPT;
    if ((e = kernel_option(s, UVL_OPT_KEEPALIVE, v != 0)) == 0)
      s->keepalive = v != 0;
    return e;
  case SO_BROADCAST:
    if (stream)
      return WSAENOPROTOOPT;
    s->broadcast = v != 0;
    return 0;
  case SO_OOBINLINE:
    if (!stream)
      return WSAENOPROTOOPT;
    s->oobinline = v != 0;
    return 0;
  case SO_DEBUG:
    s->debug = v != 0;
    return 0;
  case SO_DONTROUTE:
    s->dontroute = v != 0;
    return 0;
  case SO_DONTLINGER:
    if (!stream)
      return WSAENOPROTOOPT;
    s->linger.l_onoff = v == 0;
    return 0;
  case SO_CONDITIONAL_ACCEPT:
    if (!stream)
      return WSAENOPROTOOPT;
    if (s->state == UN_LISTENING)
      return WSAEINVAL;
    s->conditional = v != 0;
    return 0;
  default:
    return WSAENOPROTOOPT;
  }
}

int WSPAPI un_WSPSetSockOpt(SOCKET h, int level, int name, const char *optval,
                            int optlen, LPINT err) {
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = set_sockopt(s, level, name, optval, optlen);
  un_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}

/* ---- WSPIoctl ---- */

static int ioctl_out(LPVOID out, DWORD outlen, const void *value, DWORD size,
                     DWORD *bytes) {
  if (out == NULL || outlen < size)
    return WSAEFAULT;
  memcpy(out, value, size);
  *bytes = size;
  return 0;
}

static int do_ioctl(un_socket *s, DWORD code, LPVOID in, DWORD inlen,
                    LPVOID out, DWORD outlen, DWORD *bytes) {
  u_long v;
  switch (code) {
  case FIONBIO:
    if (in == NULL || inlen < sizeof(u_long))
      return WSAEFAULT;
    memcpy(&v, in, sizeof v);
    if (v == 0 && wsp_events_active(&s->ev))
      return WSAEINVAL; /* WSPEventSelect/WSPAsyncSelect in force */
    s->nonblocking = v != 0;
    return 0;
  case FIONREAD:
    v = s->type == SOCK_STREAM ? s->rq_bytes : s->dq_bytes;
    return ioctl_out(out, outlen, &v, sizeof v, bytes);
  case SIOCATMARK:
    v = TRUE; /* no out-of-band data, ever */
    return ioctl_out(out, outlen, &v, sizeof v, bytes);
  case SIO_GET_EXTENSION_FUNCTION_POINTER:
    if (in == NULL || inlen < sizeof(GUID) || out == NULL ||
        outlen < sizeof(void *))
      return WSAEFAULT;
    return WSAEINVAL; /* no extension functions */
  case SIO_BASE_HANDLE:
  case SIO_BSP_HANDLE:
  case SIO_BSP_HANDLE_SELECT:
  case SIO_BSP_HANDLE_POLL:
    return ioctl_out(out, outlen, &s->handle, sizeof s->handle, bytes);
  default:
    return WSAEINVAL;
  }
}

int WSPAPI un_WSPIoctl(SOCKET h, DWORD code, LPVOID in, DWORD inlen, LPVOID out,
                       DWORD outlen, LPDWORD returned, LPWSAOVERLAPPED ov,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                       LPWSATHREADID thread, LPINT err) {
  un_socket *s = un_enter(h, err);
  if (s == NULL)
    return SOCKET_ERROR;
  int e = 0;
  DWORD bytes = 0;
  wsp_notify n;
  if (ov == NULL && returned == NULL)
    e = WSAEFAULT;
  else if (ov != NULL)
    e = wsp_notify_init(&n, h, ov, routine, thread);
  if (e == 0)
    e = do_ioctl(s, code, in, inlen, out, outlen, &bytes);
  if (e == 0 && returned != NULL)
    *returned = bytes;
  /* Completed at once, and notified as Windows does without
   * skip-on-success. */
  if (e == 0 && ov != NULL) {
    wsp_notify_start(&n);
    wsp_notify_complete(&un.up, &n, 0, bytes, 0);
  }
  un_leave(s);
  if (e != 0) {
    *err = e;
    return SOCKET_ERROR;
  }
  return 0;
}
