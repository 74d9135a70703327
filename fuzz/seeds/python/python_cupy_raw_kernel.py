import cupy as cp
import numpy as np

# A module-level kernel string, passed to RawKernel by name further down.
ADD_KERNEL = r'''
extern "C" __global__
void add(const float* x, const float* y, float* z, int n) {
    int tid = blockDim.x * blockIdx.x + threadIdx.x;
    if (tid < n) {
        z[tid] = x[tid] + y[tid];
    }
}
'''

BLOCK = 128
# An f-string kernel: {{ }} are braces, {BLOCK} is a placeholder.
reduce_src = (
    f"extern \"C\" __global__ void warp_sum(float* v) {{\n"
    f"    float s = __shfl_down_sync(0xffffffff, v[threadIdx.x], 16);\n"
    f"    if (threadIdx.x < {BLOCK}) atomicAdd(v, s);\n"
    f"}}\n"
)


def run(n):
    add = cp.RawKernel(ADD_KERNEL, "add")
    warp_sum = cp.RawKernel(reduce_src, "warp_sum")
    squared = cp.ElementwiseKernel("float32 x", "float32 y", "y = x * x", "squared")
    x = cp.arange(n, dtype=cp.float32)
    z = cp.empty_like(x)
    add((1,), (n,), (x, x, z, n))
    warp_sum((1,), (32,), (z,))
    return cp.asnumpy(squared(z)), np.zeros(3)
