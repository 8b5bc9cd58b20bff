/* sysinfo.c: GetSystemInfo and GetNativeSystemInfo, as 64-bit Windows on an
 * x64 machine reports them (Linux only).
 *
 * Both fill the same SYSTEM_INFO (libwpu emulates a native x64 process, so
 * there is no WOW64 difference): PROCESSOR_ARCHITECTURE_AMD64, processor type
 * PROCESSOR_AMD_X8664, page size 4096, allocation granularity 65536,
 * application addresses 0x10000 to 0x7FFFFFFEFFFF. dwNumberOfProcessors is
 * the number of processors the process may run on (wpu_plat_cpu_count()),
 * at most 64 as in one Windows processor group, and dwActiveProcessorMask has
 * that many low bits set. wProcessorLevel and wProcessorRevision come from
 * CPUID (family; model and stepping) when built for x86, else they are 0.
 * A NULL pointer is ignored (Windows would fault). Thread-safe. */
#include <winsock2.h>

#include <platform.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

static void cpu_ids(WORD *level, WORD *revision) {
  *level = 0;
  *revision = 0;
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
    return;
  unsigned family = (eax >> 8) & 0xf;
  unsigned model = (eax >> 4) & 0xf;
  if (family == 0xf)
    family += (eax >> 20) & 0xff;
  if (family >= 6)
    model |= ((eax >> 16) & 0xf) << 4;
  *level = (WORD)family;
  *revision = (WORD)((model << 8) | (eax & 0xf));
#endif
}

void WINAPI GetSystemInfo(LPSYSTEM_INFO si) {
  if (si == NULL)
    return;
  unsigned n = wpu_plat_cpu_count();
  if (n > 64)
    n = 64;
  si->wProcessorArchitecture = PROCESSOR_ARCHITECTURE_AMD64;
  si->wReserved = 0;
  si->dwPageSize = 4096;
  si->lpMinimumApplicationAddress = (LPVOID)(ULONG_PTR)0x10000;
  si->lpMaximumApplicationAddress = (LPVOID)(ULONG_PTR)0x7FFFFFFEFFFFull;
  si->dwActiveProcessorMask =
      n == 64 ? ~(DWORD_PTR)0 : (((DWORD_PTR)1 << n) - 1);
  si->dwNumberOfProcessors = n;
  si->dwProcessorType = PROCESSOR_AMD_X8664;
  si->dwAllocationGranularity = 65536;
  cpu_ids(&si->wProcessorLevel, &si->wProcessorRevision);
}

void WINAPI GetNativeSystemInfo(LPSYSTEM_INFO si) {
  GetSystemInfo(si);
}
