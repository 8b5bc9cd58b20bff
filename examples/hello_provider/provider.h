/* provider.h: the hello provider's entry point. A provider DLL exports it as
 * WSPStartup; linked into a test or the demo it keeps its own name so that
 * several providers can live in one program. */
#ifndef HELLO_PROVIDER_H
#define HELLO_PROVIDER_H

#include <winsock2.h>
#include <ws2spi.h>

int WSPAPI HelloWSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                           LPWSAPROTOCOL_INFOW lpProtocolInfo,
                           WSPUPCALLTABLE UpcallTable,
                           LPWSPPROC_TABLE lpProcTable);

#endif
