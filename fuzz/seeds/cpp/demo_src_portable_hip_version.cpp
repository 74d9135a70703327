// HIP port of saxpy for AMD GPUs; built only with hipcc.
#include <hip/hip_runtime.h>

#include <cstdio>
#include <vector>

#define HIP_CHECK(expr)                                                    \
    do {                                                                   \
        hipError_t e_ = (expr);                                            \
        if (e_ != hipSuccess)                                              \
            std::fprintf(stderr, "hip: %s\n", hipGetErrorString(e_));      \
    } while (0)

// hip_saxpy is compiled from kernels/saxpy.hip and declared in this header.
#include "hip_saxpy_kernel.h"

void run_hip_saxpy(int n, float a) {
    std::vector<float> hx(n, 1.0f), hy(n, 2.0f);
    float *dx = nullptr, *dy = nullptr;
    HIP_CHECK(hipMalloc(&dx, n * sizeof(float)));
    HIP_CHECK(hipMalloc(&dy, n * sizeof(float)));

    hipStream_t stream;
    HIP_CHECK(hipStreamCreate(&stream));
    HIP_CHECK(hipMemcpy(dx, hx.data(), n * sizeof(float), hipMemcpyHostToDevice));
    HIP_CHECK(hipMemcpy(dy, hy.data(), n * sizeof(float), hipMemcpyHostToDevice));

    const unsigned blocks = (n + 255) / 256;
    hipLaunchKernelGGL(hip_saxpy, blocks, 256, 0, stream, n, a, dx, dy);
    HIP_CHECK(hipStreamSynchronize(stream));

    HIP_CHECK(hipMemcpy(hy.data(), dy, n * sizeof(float), hipMemcpyDeviceToHost));
    HIP_CHECK(hipStreamDestroy(stream));
    HIP_CHECK(hipFree(dx));
    HIP_CHECK(hipFree(dy));
}
