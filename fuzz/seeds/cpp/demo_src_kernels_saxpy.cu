// Elementwise and reduction kernels.
#include "common/check.h"
#include "kernels/ptx.cuh"

namespace vtk {

__constant__ float c_scale[4];

__device__ __forceinline__ float warp_sum(float v) {
    for (int offset = warpSize / 2; offset > 0; offset >>= 1) {
        v += __shfl_down_sync(0xffffffff, v, offset);
    }
    return v;
}

__global__ void saxpy_kernel(int n, float a, const float* __restrict__ x,
                             float* __restrict__ y) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    int stride = blockDim.x * gridDim.x;
    for (; i < n; i += stride) {
        y[i] = a * __ldg(&x[i]) + y[i];
    }
}

template <typename T>
__global__ void scale_kernel(T* data, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        data[i] = data[i] * static_cast<T>(c_scale[0]);
    }
}

__global__ void __launch_bounds__(256, 2)
sum_kernel(const float* in, float* out, int n) {
    __shared__ float partial[32];
    float v = 0.0f;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += blockDim.x * gridDim.x) {
        v += in[i];
    }
    v = warp_sum(v);
    int lane = threadIdx.x % warpSize;
    int warp = threadIdx.x / warpSize;
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = (lane < blockDim.x / warpSize) ? partial[lane] : 0.0f;
        v = warp_sum(v);
        if (lane == 0) atomicAdd(out, v);
    }
}

void set_scale(float s) {
    float host[4] = {s, 1.0f, 0.0f, 0.0f};
    CUDA_CHECK(cudaMemcpyToSymbol(c_scale, host, sizeof(host)));
}

void saxpy(int n, float a, const float* x, float* y) {
    LAUNCH_1D(saxpy_kernel, n, n, a, x, y);
    CUDA_CHECK(cudaGetLastError());
}

void scale(float* data, int n, cudaStream_t stream) {
    scale_kernel<float><<<(n + 255) / 256, 256, 0, stream>>>(data, n);
}

template __global__ void scale_kernel<double>(double*, int);

}  // namespace vtk
