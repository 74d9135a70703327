// CUDA calls inside an error-checking macro definition and its uses.
#include <cstdio>
#include <cuda_runtime.h>

#define CHECK(call)                                                       \
    do {                                                                  \
        cudaError_t e = (call);                                           \
        if (e != cudaSuccess) std::printf("%s\n", cudaGetErrorString(e)); \
    } while (0)

void alloc(void** p) { CHECK(cudaMalloc(p, 256)); }
