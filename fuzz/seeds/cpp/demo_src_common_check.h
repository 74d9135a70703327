// Error-checking helpers shared by every translation unit in vectoolkit.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cuda_runtime.h>
#include <cublas_v2.h>

#define CUDA_CHECK(expr)                                                      \
    do {                                                                      \
        cudaError_t err_ = (expr);                                            \
        if (err_ != cudaSuccess) {                                            \
            std::fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__,           \
                         cudaGetErrorString(err_));                           \
            std::abort();                                                     \
        }                                                                     \
    } while (0)

#define CUBLAS_CHECK(expr)                                                    \
    do {                                                                      \
        cublasStatus_t st_ = (expr);                                          \
        if (st_ != CUBLAS_STATUS_SUCCESS) {                                   \
            std::fprintf(stderr, "%s:%d: cublas status %d\n", __FILE__,       \
                         __LINE__, static_cast<int>(st_));                    \
            std::abort();                                                     \
        }                                                                     \
    } while (0)

// One-dimensional launch with a fixed block of 256 threads.
#define LAUNCH_1D(kernel, n, ...) kernel<<<((n)+255)/256, 256>>>(__VA_ARGS__)

namespace vtk {

// User helper: returns 0 instead of failing on machines without a GPU.
inline int cudaDeviceCountOrZero() {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        cudaGetLastError();  // clear the sticky error
        return 0;
    }
    return count;
}

// User helper with a CUDA-looking name; pure arithmetic, no CUDA inside.
inline int cudaLikeHelper(int n) {
    return (n + 255) / 256;
}

}  // namespace vtk
