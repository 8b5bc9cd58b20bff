/* interpose_thunks.h: the slots' thunks, made by macros (included once,
 * by interpose.c, after the th_* bodies). Each forwards to its th_* body
 * with the slot index. */

/* clang-format off */
#define FWS2_THUNKS(I) \
  static int WSPAPI startup_##I(WORD a, LPWSPDATA b, LPWSAPROTOCOL_INFOW c, WSPUPCALLTABLE d, LPWSPPROC_TABLE e) { return th_startup(I, a, b, c, d, e); } \
  static SOCKET WSPAPI accept_##I(SOCKET a, struct sockaddr *b, LPINT c, LPCONDITIONPROC d, DWORD_PTR e, LPINT f) { return th_accept(I, a, b, c, d, e, f); } \
  static INT WSPAPI addr_to_string_##I(LPSOCKADDR a, DWORD b, LPWSAPROTOCOL_INFOW c, LPWSTR d, LPDWORD e, LPINT f) { return th_addr_to_string(I, a, b, c, d, e, f); } \
  static int WSPAPI async_select_##I(SOCKET a, HWND b, unsigned int c, LONG d, LPINT e) { return th_async_select(I, a, b, c, d, e); } \
  static int WSPAPI bind_##I(SOCKET a, const struct sockaddr *b, int c, LPINT d) { return th_bind(I, a, b, c, d); } \
  static int WSPAPI cancel_blocking_##I(LPINT a) { return th_cancel_blocking(I, a); } \
  static int WSPAPI cleanup_##I(LPINT a) { return th_cleanup(I, a); } \
  static int WSPAPI close_##I(SOCKET a, LPINT b) { return th_close(I, a, b); } \
  static int WSPAPI connect_##I(SOCKET a, const struct sockaddr *b, int c, LPWSABUF d, LPWSABUF e, LPQOS f, LPQOS g, LPINT h) { return th_connect(I, a, b, c, d, e, f, g, h); } \
  static int WSPAPI duplicate_##I(SOCKET a, DWORD b, LPWSAPROTOCOL_INFOW c, LPINT d) { return th_duplicate(I, a, b, c, d); } \
  static int WSPAPI enum_events_##I(SOCKET a, WSAEVENT b, LPWSANETWORKEVENTS c, LPINT d) { return th_enum_events(I, a, b, c, d); } \
  static int WSPAPI event_select_##I(SOCKET a, WSAEVENT b, LONG c, LPINT d) { return th_event_select(I, a, b, c, d); } \
  static BOOL WSPAPI get_ov_result_##I(SOCKET a, LPWSAOVERLAPPED b, LPDWORD c, BOOL d, LPDWORD e, LPINT f) { return th_get_ov_result(I, a, b, c, d, e, f); } \
  static int WSPAPI peer_name_##I(SOCKET a, struct sockaddr *b, LPINT c, LPINT d) { return th_peer_name(I, a, b, c, d); } \
  static int WSPAPI sock_name_##I(SOCKET a, struct sockaddr *b, LPINT c, LPINT d) { return th_sock_name(I, a, b, c, d); } \
  static int WSPAPI get_opt_##I(SOCKET a, int b, int c, char *d, LPINT e, LPINT f) { return th_get_opt(I, a, b, c, d, e, f); } \
  static BOOL WSPAPI qos_##I(SOCKET a, LPWSABUF b, LPQOS c, LPINT d) { return th_qos(I, a, b, c, d); } \
  static int WSPAPI ioctl_##I(SOCKET a, DWORD b, LPVOID c, DWORD d, LPVOID e, DWORD f, LPDWORD g, LPWSAOVERLAPPED h, LPWSAOVERLAPPED_COMPLETION_ROUTINE i, LPWSATHREADID j, LPINT k) { return th_ioctl(I, a, b, c, d, e, f, g, h, i, j, k); } \
  static SOCKET WSPAPI join_leaf_##I(SOCKET a, const struct sockaddr *b, int c, LPWSABUF d, LPWSABUF e, LPQOS f, LPQOS g, DWORD h, LPINT i) { return th_join_leaf(I, a, b, c, d, e, f, g, h, i); } \
  static int WSPAPI listen_##I(SOCKET a, int b, LPINT c) { return th_listen(I, a, b, c); } \
  static int WSPAPI recv_##I(SOCKET a, LPWSABUF b, DWORD c, LPDWORD d, LPDWORD e, LPWSAOVERLAPPED f, LPWSAOVERLAPPED_COMPLETION_ROUTINE g, LPWSATHREADID h, LPINT i) { return th_recv(I, a, b, c, d, e, f, g, h, i); } \
  static int WSPAPI recv_disconnect_##I(SOCKET a, LPWSABUF b, LPINT c) { return th_recv_disconnect(I, a, b, c); } \
  static int WSPAPI recv_from_##I(SOCKET a, LPWSABUF b, DWORD c, LPDWORD d, LPDWORD e, struct sockaddr *f, LPINT g, LPWSAOVERLAPPED h, LPWSAOVERLAPPED_COMPLETION_ROUTINE i, LPWSATHREADID j, LPINT k) { return th_recv_from(I, a, b, c, d, e, f, g, h, i, j, k); } \
  static int WSPAPI select_##I(int a, fd_set *b, fd_set *c, fd_set *d, const struct timeval *e, LPINT f) { return th_select(I, a, b, c, d, e, f); } \
  static int WSPAPI send_##I(SOCKET a, LPWSABUF b, DWORD c, LPDWORD d, DWORD e, LPWSAOVERLAPPED f, LPWSAOVERLAPPED_COMPLETION_ROUTINE g, LPWSATHREADID h, LPINT i) { return th_send(I, a, b, c, d, e, f, g, h, i); } \
  static int WSPAPI send_disconnect_##I(SOCKET a, LPWSABUF b, LPINT c) { return th_send_disconnect(I, a, b, c); } \
  static int WSPAPI send_to_##I(SOCKET a, LPWSABUF b, DWORD c, LPDWORD d, DWORD e, const struct sockaddr *f, int g, LPWSAOVERLAPPED h, LPWSAOVERLAPPED_COMPLETION_ROUTINE i, LPWSATHREADID j, LPINT k) { return th_send_to(I, a, b, c, d, e, f, g, h, i, j, k); } \
  static int WSPAPI set_opt_##I(SOCKET a, int b, int c, const char *d, int e, LPINT f) { return th_set_opt(I, a, b, c, d, e, f); } \
  static int WSPAPI shutdown_##I(SOCKET a, int b, LPINT c) { return th_shutdown(I, a, b, c); } \
  static SOCKET WSPAPI socket_##I(int a, int b, int c, LPWSAPROTOCOL_INFOW d, GROUP e, DWORD f, LPINT g) { return th_socket(I, a, b, c, d, e, f, g); } \
  static INT WSPAPI string_to_addr_##I(LPWSTR a, INT b, LPWSAPROTOCOL_INFOW c, LPSOCKADDR d, LPINT e, LPINT f) { return th_string_to_addr(I, a, b, c, d, e, f); }

#define FWS2_FN(type, f) ((type)(void (*)(void))(f))
#define FWS2_TABLE(I) { \
  .lpWSPAccept = FWS2_FN(LPWSPACCEPT, accept_##I), \
  .lpWSPAddressToString = FWS2_FN(LPWSPADDRESSTOSTRING, addr_to_string_##I), \
  .lpWSPAsyncSelect = FWS2_FN(LPWSPASYNCSELECT, async_select_##I), \
  .lpWSPBind = FWS2_FN(LPWSPBIND, bind_##I), \
  .lpWSPCancelBlockingCall = FWS2_FN(LPWSPCANCELBLOCKINGCALL, cancel_blocking_##I), \
  .lpWSPCleanup = FWS2_FN(LPWSPCLEANUP, cleanup_##I), \
  .lpWSPCloseSocket = FWS2_FN(LPWSPCLOSESOCKET, close_##I), \
  .lpWSPConnect = FWS2_FN(LPWSPCONNECT, connect_##I), \
  .lpWSPDuplicateSocket = FWS2_FN(LPWSPDUPLICATESOCKET, duplicate_##I), \
  .lpWSPEnumNetworkEvents = FWS2_FN(LPWSPENUMNETWORKEVENTS, enum_events_##I), \
  .lpWSPEventSelect = FWS2_FN(LPWSPEVENTSELECT, event_select_##I), \
  .lpWSPGetOverlappedResult = FWS2_FN(LPWSPGETOVERLAPPEDRESULT, get_ov_result_##I), \
  .lpWSPGetPeerName = FWS2_FN(LPWSPGETPEERNAME, peer_name_##I), \
  .lpWSPGetSockName = FWS2_FN(LPWSPGETSOCKNAME, sock_name_##I), \
  .lpWSPGetSockOpt = FWS2_FN(LPWSPGETSOCKOPT, get_opt_##I), \
  .lpWSPGetQOSByName = FWS2_FN(LPWSPGETQOSBYNAME, qos_##I), \
  .lpWSPIoctl = FWS2_FN(LPWSPIOCTL, ioctl_##I), \
  .lpWSPJoinLeaf = FWS2_FN(LPWSPJOINLEAF, join_leaf_##I), \
  .lpWSPListen = FWS2_FN(LPWSPLISTEN, listen_##I), \
  .lpWSPRecv = FWS2_FN(LPWSPRECV, recv_##I), \
  .lpWSPRecvDisconnect = FWS2_FN(LPWSPRECVDISCONNECT, recv_disconnect_##I), \
  .lpWSPRecvFrom = FWS2_FN(LPWSPRECVFROM, recv_from_##I), \
  .lpWSPSelect = FWS2_FN(LPWSPSELECT, select_##I), \
  .lpWSPSend = FWS2_FN(LPWSPSEND, send_##I), \
  .lpWSPSendDisconnect = FWS2_FN(LPWSPSENDDISCONNECT, send_disconnect_##I), \
  .lpWSPSendTo = FWS2_FN(LPWSPSENDTO, send_to_##I), \
  .lpWSPSetSockOpt = FWS2_FN(LPWSPSETSOCKOPT, set_opt_##I), \
  .lpWSPShutdown = FWS2_FN(LPWSPSHUTDOWN, shutdown_##I), \
  .lpWSPSocket = FWS2_FN(LPWSPSOCKET, socket_##I), \
  .lpWSPStringToAddress = FWS2_FN(LPWSPSTRINGTOADDRESS, string_to_addr_##I), \
  }

FWS2_THUNKS(0)
FWS2_THUNKS(1)
FWS2_THUNKS(2)
FWS2_THUNKS(3)
FWS2_THUNKS(4)
FWS2_THUNKS(5)
FWS2_THUNKS(6)
FWS2_THUNKS(7)
FWS2_THUNKS(8)
FWS2_THUNKS(9)
FWS2_THUNKS(10)
FWS2_THUNKS(11)
FWS2_THUNKS(12)
FWS2_THUNKS(13)
FWS2_THUNKS(14)
FWS2_THUNKS(15)
FWS2_THUNKS(16)
FWS2_THUNKS(17)
FWS2_THUNKS(18)
FWS2_THUNKS(19)
FWS2_THUNKS(20)
FWS2_THUNKS(21)
FWS2_THUNKS(22)
FWS2_THUNKS(23)

static const WSPPROC_TABLE thunk_tables[NSLOTS] = {
  FWS2_TABLE(0),
  FWS2_TABLE(1),
  FWS2_TABLE(2),
  FWS2_TABLE(3),
  FWS2_TABLE(4),
  FWS2_TABLE(5),
  FWS2_TABLE(6),
  FWS2_TABLE(7),
  FWS2_TABLE(8),
  FWS2_TABLE(9),
  FWS2_TABLE(10),
  FWS2_TABLE(11),
  FWS2_TABLE(12),
  FWS2_TABLE(13),
  FWS2_TABLE(14),
  FWS2_TABLE(15),
  FWS2_TABLE(16),
  FWS2_TABLE(17),
  FWS2_TABLE(18),
  FWS2_TABLE(19),
  FWS2_TABLE(20),
  FWS2_TABLE(21),
  FWS2_TABLE(22),
  FWS2_TABLE(23),
};

static const LPWSPSTARTUP thunk_startups[NSLOTS] = {
  startup_0,
  startup_1,
  startup_2,
  startup_3,
  startup_4,
  startup_5,
  startup_6,
  startup_7,
  startup_8,
  startup_9,
  startup_10,
  startup_11,
  startup_12,
  startup_13,
  startup_14,
  startup_15,
  startup_16,
  startup_17,
  startup_18,
  startup_19,
  startup_20,
  startup_21,
  startup_22,
  startup_23,
};
/* clang-format on */
