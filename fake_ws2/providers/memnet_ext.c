/* memnet_ext.c: memnet's Microsoft extension functions, handed out by
 * SIO_GET_EXTENSION_FUNCTION_POINTER: AcceptEx, GetAcceptExSockaddrs,
 * ConnectEx and DisconnectEx. Like the WSP entry points they take the
 * provider's lock; failures set the thread's WSA last error.
 *
 * AcceptEx takes the listener's oldest connection (a conditional one is
 * accepted without asking) into an unbound, unconnected stream socket, or
 * waits for one; with dwReceiveDataLength > 0 it then waits for the first
 * bytes (or the end of the stream). Its completion is reported through the
 * listening socket's handle (event or port; no completion routine, as the
 * function takes none); a waiting AcceptEx ends with WSA_OPERATION_ABORTED
 * when the listener closes. While it waits, its accept socket is marked
 * (one AcceptEx per accept socket): a second AcceptEx with it, and
 * connect, ConnectEx, listen and bind on it, fail with WSAEINVAL, as the
 * reference page wants the socket neither bound nor connected; should it
 * be so anyway when a connection arrives, the AcceptEx completes with
 * WSAEINVAL (WSAENOTSOCK once the socket is closed) and the connection
 * stays queued for the next accept. The address blocks hold plain
 * sockaddrs that GetAcceptExSockaddrs points into. ConnectEx needs a bound
 * socket, connects (a conditional listener's decision completes it later),
 * then sends its data as an overlapped send would. DisconnectEx closes the
 * connection gracefully at once; the socket may connect again (an accepted
 * one loses its address with TF_REUSE_SOCKET, for AcceptEx).
 *
 * Not supported: TransmitFile, TransmitPackets, WSARecvMsg, WSASendMsg,
 * WSAPoll, the RIO table (mn_extension returns NULL: WSAEINVAL); a
 * listener closed while an accepted socket's AcceptEx still waits for its
 * first bytes loses that completion's notification.
 */
#include <stdlib.h>
#include <string.h>

#include "memnet_internal.h"

static BOOL fail(int err) {
  WSASetLastError(err);
  return FALSE;
}

/* ---- AcceptEx ---- */

/* The accept sockets of the AcceptEx calls waiting in listeners' queues,
 * each pinned by its call; under mn.lock. Few at a time: a plain array. */
static mn_socket **marked;
static size_t nmarked, marked_cap;

/* Declared in memnet_addr.c and memnet_stream.c, which refuse bind,
 * listen and connect on such a socket. */
BOOL mn_acceptex_pending(const mn_socket *s);

BOOL mn_acceptex_pending(const mn_socket *s) {
  for (size_t i = 0; i < nmarked; i++)
    if (marked[i] == s)
      return TRUE;
  return FALSE;
}

static int acceptex_mark(mn_socket *s) {
  if (nmarked == marked_cap) {
    size_t cap = marked_cap == 0 ? 8 : marked_cap * 2;
    mn_socket **m = realloc(marked, cap * sizeof *m);
    if (m == NULL)
      return WSAENOBUFS;
    marked = m;
    marked_cap = cap;
  }
  marked[nmarked++] = s;
  return 0;
}

static void acceptex_unmark(const mn_socket *s) {
  for (size_t i = 0; i < nmarked; i++) {
    if (marked[i] == s) {
      marked[i] = marked[--nmarked];
      break;
    }
  }
  if (nmarked == 0) { /* nothing left behind after the last cleanup */
    free(marked);
    marked = NULL;
    marked_cap = 0;
  }
}

/* Runs AcceptEx op with l's oldest connection: 0 (completed, *bytes),
 * WSA_IO_PENDING (waiting for the first bytes), or the error it completed
 * with. Frees op and unmarks its accept socket. */
static int acceptex_run(mn_socket *l, wsp_op *op, DWORD *bytes) {
  mn_socket *a = op->user;
  int rc;
  *bytes = 0;
  acceptex_unmark(a);
  /* Checked again: the socket must still be fit to take a connection.
   * If not, the connection stays queued for the next accept. */
  if (a->closed)
    rc = WSAENOTSOCK;
  else if (a->bound || a->state != MN_FRESH || a->peer != NULL)
    rc = WSAEINVAL;
  else
    rc = mn_stream_adopt(a, mn_stream_dequeue(l));
  if (rc == 0) {
    memcpy(op->bufs[1].buf, &a->local, wsp_addr_len(a->af));
    memcpy(op->bufs[2].buf, &a->remote, wsp_addr_len(a->af));
    if (op->bufs[0].len == 0) {
      wsp_notify_complete(&mn.up, &op->note, 0, 0, 0);
    } else {
      DWORD flags = 0; /* completes the AcceptEx, now or with the data */
      rc = mn_stream_recv(a, op->bufs, 1, bytes, &flags, &op->note);
    }
  }
  if (rc != 0 && rc != WSA_IO_PENDING)
    wsp_notify_complete(&mn.up, &op->note, (DWORD)rc, 0, 0);
  mn_socket_release(a);
  free(op);
  return rc;
}

void mn_acceptex_serve(mn_socket *l) {
  while (l->acceptexq.head != NULL && l->q_head != NULL) {
    DWORD bytes;
    acceptex_run(l, wsp_opq_pop(&l->acceptexq), &bytes);
  }
}

void mn_acceptex_abort(mn_socket *l, DWORD err) {
  wsp_op *op;
  while ((op = wsp_opq_pop(&l->acceptexq)) != NULL) {
    wsp_notify_complete(&mn.up, &op->note, err, 0, 0);
    acceptex_unmark(op->user);
    mn_socket_release(op->user);
    free(op);
  }
}

static BOOL WINAPI mn_AcceptEx(SOCKET ls, SOCKET as, PVOID out, DWORD rlen,
                               DWORD llen, DWORD rmlen, LPDWORD received,
                               LPOVERLAPPED ov) {
  int e = 0;
  mn_socket *l = mn_enter(ls, &e);
  if (l == NULL)
    return fail(e);
  mn_socket *a = mn_find(as);
  DWORD need = (DWORD)wsp_addr_len(l->af) + 16;
  if (a == NULL)
    e = WSAENOTSOCK;
  else if (ov == NULL || l->type != SOCK_STREAM || l->state != MN_LISTENING ||
           a == l || a->type != SOCK_STREAM || a->af != l->af || a->bound ||
           a->state != MN_FRESH || a->peer != NULL || mn_acceptex_pending(a))
    e = WSAEINVAL; /* includes an accept socket another AcceptEx holds */
  else if (llen < need || rmlen < need)
    e = WSAEINVAL;
  else if (out == NULL)
    e = WSAEFAULT;
  wsp_notify note;
  wsp_op *op = NULL;
  if (e == 0)
    e = acceptex_mark(a); /* before the overlapped is touched */
  if (e == 0) {
    /* The receive area, then the two address blocks. */
    WSABUF wb[3] = {{rlen, out},
                    {llen, (char *)out + rlen},
                    {rmlen, (char *)out + rlen + llen}};
    /* Without a completion routine it cannot fail. */
    mn_notify_begin(&note, ls, (LPWSAOVERLAPPED)ov, NULL, NULL);
    if ((op = wsp_op_new(&note, wb, 3)) == NULL) {
      acceptex_unmark(a);
      e = WSAENOBUFS;
    }
  }
  BOOL done = FALSE;
  DWORD bytes = 0;
  if (op != NULL) {
    op->total = rlen;
    op->user = a;
    a->refs++;
    if (l->acceptexq.head == NULL && l->q_head != NULL) {
      int rc = acceptex_run(l, op, &bytes);
      done = rc == 0;
    } else {
      wsp_opq_push(&l->acceptexq, op);
    }
  }
  mn_leave(l);
  if (e != 0)
    return fail(e);
  if (!done)
    return fail(WSA_IO_PENDING);
  if (received != NULL)
    *received = bytes;
  return TRUE;
}

static VOID WINAPI mn_GetAcceptExSockaddrs(PVOID out, DWORD rlen, DWORD llen,
                                           DWORD rmlen, struct sockaddr **local,
                                           LPINT local_len,
                                           struct sockaddr **remote,
                                           LPINT remote_len) {
  (void)rmlen;
  char *base = (char *)out + rlen;
  struct sockaddr *l = (struct sockaddr *)base;
  struct sockaddr *r = (struct sockaddr *)(base + llen);
  if (local != NULL)
    *local = l;
  if (local_len != NULL)
    *local_len = wsp_addr_len(l->sa_family);
  if (remote != NULL)
    *remote = r;
  if (remote_len != NULL)
    *remote_len = wsp_addr_len(r->sa_family);
}

/* ---- ConnectEx ---- */

void mn_connect_resolved(mn_socket *c, int err) {
  wsp_op *op = c->connect_op;
  if (op == NULL)
    return;
  c->connect_op = NULL;
  if (err == 0 && op->total > 0) {
    DWORD sent = 0;
    err = mn_stream_send(c, op->bufs, 1, &sent, 0, &op->note);
    if (err == 0 || err == WSA_IO_PENDING) {
      free(op); /* completed, or queued as a send */
      return;
    }
  }
  wsp_notify_complete(&mn.up, &op->note, (DWORD)err, 0, 0);
  free(op);
}

static BOOL WINAPI mn_ConnectEx(SOCKET h, const struct sockaddr *name,
                                int namelen, PVOID buf, DWORD len, LPDWORD sent,
                                LPOVERLAPPED ov) {
  int e = 0;
  mn_socket *s = mn_enter(h, &e);
  if (s == NULL)
    return fail(e);
  wsp_addr to;
  if (ov == NULL || s->type != SOCK_STREAM || !s->bound)
    e = WSAEINVAL;
  else if (len > 0 && buf == NULL)
    e = WSAEFAULT;
  else
    e = wsp_addr_parse(s->af, name, namelen, &to);
  if (e == 0)
    e = mn_stream_connect(s, &to, TRUE);
  WSABUF wb;
  wb.len = len;
  wb.buf = buf;
  wsp_notify note;
  DWORD bytes = 0;
  if (e == 0 || e == WSA_IO_PENDING)
    mn_notify_begin(&note, h, (LPWSAOVERLAPPED)ov, NULL, NULL);
  if (e == 0) { /* connected: now the data, as an overlapped send */
    if (len == 0)
      wsp_notify_complete(&mn.up, &note, 0, 0, 0);
    else
      e = mn_stream_send(s, &wb, 1, &bytes, 0, &note);
  } else if (e == WSA_IO_PENDING) { /* a conditional accept decides */
    wsp_op *op = wsp_op_new(&note, &wb, 1);
    if (op == NULL) {
      e = WSAENOBUFS;
    } else {
      op->total = len;
      s->connect_op = op;
    }
  }
  mn_leave(s);
  if (e != 0)
    return fail(e);
  if (sent != NULL)
    *sent = bytes;
  return TRUE;
}

/* ---- DisconnectEx ---- */

static BOOL WINAPI mn_DisconnectEx(SOCKET h, LPOVERLAPPED ov, DWORD flags,
                                   DWORD reserved) {
  int e = 0;
  mn_socket *s = mn_enter(h, &e);
  if (s == NULL)
    return fail(e);
  if (reserved != 0 || (flags & ~(DWORD)TF_REUSE_SOCKET) != 0)
    e = WSAEINVAL;
  else if (s->type != SOCK_STREAM || s->state != MN_CONNECTED)
    e = WSAENOTCONN;
  if (e == 0) {
    wsp_opq_abort(&mn.up, &s->recvq, WSA_OPERATION_ABORTED);
    wsp_opq_abort(&mn.up, &s->sendq, WSA_OPERATION_ABORTED);
    mn_stream_close(s, FALSE);
    s->state = MN_FRESH;
    s->ring_head = s->ring_len = 0;
    s->fin = s->peer_gone = s->shut_send = s->shut_recv = FALSE;
    s->conn_error = 0;
    s->ev.close_done = s->ev.write_wanted = s->connect_failed = FALSE;
    if ((flags & TF_REUSE_SOCKET) && s->accepted)
      s->bound = s->accepted = FALSE;
    wsp_notify note;
    if (ov != NULL &&
        mn_notify_begin(&note, h, (LPWSAOVERLAPPED)ov, NULL, NULL) == 0)
      wsp_notify_complete(&mn.up, &note, 0, 0, 0);
    mn_changed(s);
  }
  mn_leave(s);
  return e != 0 ? fail(e) : TRUE;
}

/* ---- The table ---- */

void *mn_extension(const GUID *guid) {
  static const GUID acceptex = WSAID_ACCEPTEX;
  static const GUID sockaddrs = WSAID_GETACCEPTEXSOCKADDRS;
  static const GUID connectex = WSAID_CONNECTEX;
  static const GUID disconnectex = WSAID_DISCONNECTEX;
  static const LPFN_ACCEPTEX fn_acceptex = mn_AcceptEx;
  static const LPFN_GETACCEPTEXSOCKADDRS fn_sockaddrs = mn_GetAcceptExSockaddrs;
  static const LPFN_CONNECTEX fn_connectex = mn_ConnectEx;
  static const LPFN_DISCONNECTEX fn_disconnectex = mn_DisconnectEx;
  if (memcmp(guid, &acceptex, sizeof *guid) == 0)
    return (void *)fn_acceptex;
  if (memcmp(guid, &sockaddrs, sizeof *guid) == 0)
    return (void *)fn_sockaddrs;
  if (memcmp(guid, &connectex, sizeof *guid) == 0)
    return (void *)fn_connectex;
  if (memcmp(guid, &disconnectex, sizeof *guid) == 0)
    return (void *)fn_disconnectex;
  return NULL;
}
