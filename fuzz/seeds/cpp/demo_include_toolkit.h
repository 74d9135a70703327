// Public API of vectoolkit.
#pragma once

#include <cstddef>

#ifdef __CUDACC__
#include <cuda_runtime.h>
#define VTK_HD __host__ __device__
#else
#define VTK_HD
#endif

namespace vtk {

struct Dim2 {
    int rows;
    int cols;
};

#ifdef __CUDACC__
__host__ __device__ inline int linear_index(Dim2 d, int r, int c) {
    return r * d.cols + c;
}
#endif

VTK_HD inline int ceil_div(int a, int b) { return (a + b - 1) / b; }

void saxpy(int n, float a, const float* x, float* y);
void set_scale(float s);
float device_sum(const float* d_in, int n);
double time_copy_ms(std::size_t bytes);

}  // namespace vtk
