#include <cuda_runtime.h>

// stray byte here: ÿ <- not UTF-8
__global__ void k(float* x) { x[0] = 1; }

void run(float** p) {
    cudaMalloc(p, sizeof(float));
    k<<<1, 1>>>(*p);
}
