// Globally qualified CUDA call.
#include <cuda_runtime.h>

void* alloc_bytes(unsigned long n) {
    void* p = nullptr;
    ::cudaMalloc(&p, n);
    return p;
}
