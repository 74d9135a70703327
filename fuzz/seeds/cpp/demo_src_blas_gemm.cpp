// Dense matrix multiply through cuBLAS and cuBLASLt (column-major).
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "common/check.h"

namespace vtk {

void sgemm(int m, int n, int k, const float* A, const float* B, float* C,
           cudaStream_t stream) {
    cublasHandle_t handle;
    CUBLAS_CHECK(cublasCreate(&handle));
    CUBLAS_CHECK(cublasSetStream(handle, stream));
    const float alpha = 1.0f;
    const float beta = 0.0f;
    CUBLAS_CHECK(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &alpha,
                             A, m, B, k, &beta, C, m));
    CUBLAS_CHECK(cublasDestroy(handle));
}

void sgemm_lt(int m, int n, int k, const float* A, const float* B, float* C,
              cudaStream_t stream) {
    cublasLtHandle_t lt;
    CUBLAS_CHECK(cublasLtCreate(&lt));

    cublasLtMatmulDesc_t op;
    CUBLAS_CHECK(cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F, CUDA_R_32F));

    cublasLtMatrixLayout_t a_desc, b_desc, c_desc;
    CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&a_desc, CUDA_R_32F, m, k, m));
    CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&b_desc, CUDA_R_32F, k, n, k));
    CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&c_desc, CUDA_R_32F, m, n, m));

    const float alpha = 1.0f;
    const float beta = 0.0f;
    CUBLAS_CHECK(cublasLtMatmul(lt, op, &alpha, A, a_desc, B, b_desc, &beta,
                                C, c_desc, C, c_desc, nullptr, nullptr, 0,
                                stream));

    cublasLtMatrixLayoutDestroy(c_desc);
    cublasLtMatrixLayoutDestroy(b_desc);
    cublasLtMatrixLayoutDestroy(a_desc);
    cublasLtMatmulDescDestroy(op);
    cublasLtDestroy(lt);
}

}  // namespace vtk
