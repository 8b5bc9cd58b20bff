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

static int get_sockopt(un_socket *s, int level, int name, char *optval,
                       LPINT optlen) {
  return wsp_opts_get(&s->opt, &s->info, s->type, s->state == UN_LISTENING,
                      level, name, optval, optlen);
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

/* The options that also go to the kernel socket go there first: one the
 * kernel refuses is not stored. */
static int set_sockopt(un_socket *s, int level, int name, const char *optval,
                       int optlen) {
  int v;
  int e = wsp_opts_check(s->type, s->state == UN_LISTENING, level, name, optval,
                         optlen, &v);
  if (e != 0)
    return e;
  if (level == IPPROTO_TCP)
    e = kernel_option(s, UVL_OPT_NODELAY, v != 0);
  else if (name == SO_KEEPALIVE)
    e = kernel_option(s, UVL_OPT_KEEPALIVE, v != 0);
  else if ((name == SO_RCVBUF || name == SO_SNDBUF) && v > 0)
    e = kernel_option(s, name == SO_RCVBUF ? UVL_OPT_RCVBUF : UVL_OPT_SNDBUF,
                      v);
  if (e != 0)
    return e;
  wsp_opts_store(&s->opt, level, name, optval, v);
  if (name == SO_RCVBUF || name == SO_SNDBUF)
    un_changed(s); /* room may have changed */
  return 0;
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

static int do_ioctl(un_socket *s, DWORD code, LPVOID in, DWORD inlen,
                    LPVOID out, DWORD outlen, DWORD *bytes) {
  wsp_ioctl_sock io = {s->handle, &s->nonblocking, &s->ev,
                       s->type == SOCK_STREAM ? s->rq_bytes : s->dq.bytes,
                       NULL};
  return wsp_ioctl(&io, code, in, inlen, out, outlen, bytes);
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
