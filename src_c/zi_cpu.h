/* The instruction sets this CPU and OS can run, as the compiler's run-time CPU
 * detection sees them: cpuid, and xgetbv for the OS's support of the AVX and
 * AVX-512 registers. Under valgrind or an emulator that is the emulated CPU,
 * where /proc/cpuinfo would show the host's (valgrind 3.19 has no AVX-512).
 *
 * zi_cpu_flags() returns a bit mask over ZI_CPU_NAMES' order, or -1 where the
 * compiler cannot tell (not x86, or not GCC/Clang). */
#ifndef ZI_CPU_H
#define ZI_CPU_H

#define ZI_CPU_NAMES "avx2 fma avx512f avx512dq avx512vl avx512bw avx512cd"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
static int zi_cpu_flags(void) {
    /* __builtin_cpu_supports takes string literals only */
    __builtin_cpu_init();
    return (__builtin_cpu_supports("avx2") ? 1 : 0) | (__builtin_cpu_supports("fma") ? 2 : 0) |
           (__builtin_cpu_supports("avx512f") ? 4 : 0) |
           (__builtin_cpu_supports("avx512dq") ? 8 : 0) |
           (__builtin_cpu_supports("avx512vl") ? 16 : 0) |
           (__builtin_cpu_supports("avx512bw") ? 32 : 0) |
           (__builtin_cpu_supports("avx512cd") ? 64 : 0);
}

#include <cpuid.h>
#include <string.h>

/* The CPU's vendor (12 characters and a NUL, into vendor[13]), family and model
 * as the kernel reports them (base plus extended fields, as /proc/cpuinfo
 * shows them). The dispatch reads them to prefer the avx2 build where AVX-512
 * runs at half width (zi_core/_dispatch.py). Returns 0, or -1 where unknown. */
static int zi_cpu_model(char* vendor, int* family, int* model) {
    unsigned int a, b, c, d, base;
    if (!__get_cpuid(0, &a, &b, &c, &d))
        return -1;
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    vendor[12] = 0;
    if (a < 1 || !__get_cpuid(1, &a, &b, &c, &d))
        return -1;
    base = (a >> 8) & 0xf;
    *family = (int)(base == 0xf ? base + ((a >> 20) & 0xff) : base);
    *model = (int)(((a >> 4) & 0xf) | (base == 0x6 || base == 0xf ? ((a >> 16) & 0xf) << 4 : 0));
    return 0;
}
#else
static int zi_cpu_flags(void) { return -1; }
static int zi_cpu_model(char* vendor, int* family, int* model) {
    (void)vendor, (void)family, (void)model;
    return -1;
}
#endif

#endif
