// x86 host inline assembly: CPU feature detection and spin-wait hints.
#include <atomic>
#include <cstdint>

namespace hostcpu {

struct CpuidRegs {
    std::uint32_t eax, ebx, ecx, edx;
};

CpuidRegs cpuid(std::uint32_t leaf, std::uint32_t subleaf) {
    CpuidRegs r{};
#if defined(__x86_64__) || defined(__i386__)
    asm volatile("cpuid"
                 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                 : "a"(leaf), "c"(subleaf));
#else
    (void)leaf;
    (void)subleaf;
#endif
    return r;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__("pause" ::: "memory");
#endif
}

std::uint64_t read_tsc() {
    std::uint32_t lo = 0, hi = 0;
#if defined(__x86_64__) || defined(__i386__)
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
#endif
    return (static_cast<std::uint64_t>(hi) << 32) | lo;
}

void spin_until(const std::atomic<bool>& flag) {
    while (!flag.load(std::memory_order_acquire)) cpu_relax();
}

bool has_avx2() {
    CpuidRegs r = cpuid(7, 0);
    return (r.ebx >> 5) & 1u;
}

}  // namespace hostcpu
