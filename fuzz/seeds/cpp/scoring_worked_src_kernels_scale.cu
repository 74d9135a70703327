// One kernel, one launch, a warp shuffle and a line of inline PTX.
#include <cuda_runtime.h>

__global__ void scale(float* x, float k, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] *= k;
}

__device__ float warp_sum(float v) {
    for (int o = 16; o > 0; o /= 2) v += __shfl_down_sync(0xffffffff, v, o);
    return v;
}

__device__ unsigned lane() {
    unsigned id;
    asm volatile("mov.u32 %0, %%laneid;" : "=r"(id));
    return id;
}

void run(float* x, float k, int n, cudaStream_t s) {
    scale<<<(n + 255) / 256, 256, 0, s>>>(x, k, n);
}
