/* provider.h: the tiny provider's entry point (a provider DLL would export
 * it as WSPStartup). */
#ifndef TINY_PROVIDER_H
#define TINY_PROVIDER_H

#include <winsock2.h>
#include <ws2spi.h>

int WSPAPI TinyWSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                          LPWSAPROTOCOL_INFOW lpProtocolInfo,
                          WSPUPCALLTABLE UpcallTable,
                          LPWSPPROC_TABLE lpProcTable);

#endif
