/* test_front_plain.c: a program that uses only the Windows API (no wpu_ or
 * fws2_ call, no fixture) runs: its first WSAStartup makes a default world
 * with memnet's standard entries. Exits 0 on success. */
#include <winsock2.h>
#include <ws2tcpip.h>

#include <stdio.h>
#include <string.h>

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      printf("FAILED at line %d: %s (WSAGetLastError %d)\n", __LINE__, #cond,  \
             WSAGetLastError());                                               \
      return 1;                                                                \
    }                                                                          \
  } while (0)

int main(void) {
  WSADATA d;
  CHECK(WSAStartup(MAKEWORD(2, 2), &d) == 0);
  SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  CHECK(l != INVALID_SOCKET);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = inet_addr("127.0.0.1");
  CHECK(bind(l, (struct sockaddr *)&a, sizeof a) == 0);
  int len = sizeof a;
  CHECK(getsockname(l, (struct sockaddr *)&a, &len) == 0);
  CHECK(listen(l, 1) == 0);
  SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  CHECK(c != INVALID_SOCKET);
  CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
  SOCKET s = accept(l, NULL, NULL);
  CHECK(s != INVALID_SOCKET);
  CHECK(send(c, "ping", 4, 0) == 4);
  char buf[8];
  CHECK(recv(s, buf, sizeof buf, 0) == 4 && memcmp(buf, "ping", 4) == 0);
  CHECK(closesocket(c) == 0 && closesocket(s) == 0 && closesocket(l) == 0);
  CHECK(WSACleanup() == 0);
  printf("plain Winsock program: ok\n");
  return 0;
}
