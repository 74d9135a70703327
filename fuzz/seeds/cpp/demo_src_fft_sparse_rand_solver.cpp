// In-place LU factorisation with cuSOLVER dense API.
#include <cuda_runtime.h>
#include <cusolverDn.h>

#include "common/check.h"

namespace vtk {

int lu_factor(float* d_A, int n, int* d_pivots) {
    cusolverDnHandle_t handle;
    cusolverDnCreate(&handle);

    int lwork = 0;
    cusolverDnSgetrf_bufferSize(handle, n, n, d_A, n, &lwork);
    float* d_work = nullptr;
    int* d_info = nullptr;
    CUDA_CHECK(cudaMalloc(&d_work, lwork * sizeof(float)));
    CUDA_CHECK(cudaMalloc(&d_info, sizeof(int)));

    cusolverStatus_t st =
        cusolverDnSgetrf(handle, n, n, d_A, n, d_work, d_pivots, d_info);

    int info = 0;
    CUDA_CHECK(cudaMemcpy(&info, d_info, sizeof(int), cudaMemcpyDeviceToHost));
    CUDA_CHECK(cudaFree(d_info));
    CUDA_CHECK(cudaFree(d_work));
    cusolverDnDestroy(handle);
    return st == CUSOLVER_STATUS_SUCCESS ? info : -1;
}

}  // namespace vtk
