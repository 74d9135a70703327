// Stream-ordered kernel launches with dynamic shared memory.
#include "common/check.h"
#include "toolkit.h"

namespace vtk {

__global__ void sum_kernel(const float* in, float* out, int n);

__global__ void block_copy_kernel(const float* __restrict__ in,
                                  float* __restrict__ out, int n) {
    extern __shared__ float tile[];
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    tile[threadIdx.x] = (i < n) ? in[i] : 0.0f;
    __syncthreads();
    if (i < n) out[i] = tile[blockDim.x - 1 - threadIdx.x];
}

void block_copy(const float* d_in, float* d_out, int n, cudaStream_t stream) {
    dim3 block(256);
    dim3 grid((n + block.x - 1) / block.x);
    size_t smem = block.x * sizeof(float);
    block_copy_kernel<<<grid, block, smem, stream>>>(d_in, d_out, n);
    CUDA_CHECK(cudaGetLastError());
}

float device_sum(const float* d_in, int n) {
    float* d_out = nullptr;
    CUDA_CHECK(cudaMalloc(&d_out, sizeof(float)));
    CUDA_CHECK(cudaMemset(d_out, 0, sizeof(float)));
    sum_kernel<<<ceil_div(n, 256), 256>>>(d_in, d_out, n);
    float result = 0.0f;
    CUDA_CHECK(cudaMemcpy(&result, d_out, sizeof(float), cudaMemcpyDeviceToHost));
    CUDA_CHECK(cudaFree(d_out));
    return result;
}

}  // namespace vtk
