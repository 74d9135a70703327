// Host-side buffer management: the runtime API, three allocations and their copies.
#include <cuda_runtime.h>

void upload(const float* host, float** a, float** b, float** c, size_t n, cudaStream_t s) {
    cudaMalloc(a, n * sizeof(float));
    cudaMalloc(b, n * sizeof(float));
    cudaMalloc(c, n * sizeof(float));
    cudaMemcpyAsync(*a, host, n * sizeof(float), cudaMemcpyHostToDevice, s);
    cudaMemcpyAsync(*b, host, n * sizeof(float), cudaMemcpyHostToDevice, s);
}

void release(float* a, float* b, float* c) {
    cudaFree(a);
    cudaFree(b);
    cudaFree(c);
}
