// y = A * x for a CSR matrix using the cuSPARSE generic API.
#include <cuda_runtime.h>
#include <cusparse.h>

#include "common/check.h"

namespace vtk {

void csr_spmv(int rows, int cols, int nnz, int* d_row_ptr, int* d_col_idx,
              float* d_vals, float* d_x, float* d_y) {
    cusparseHandle_t handle;
    cusparseCreate(&handle);

    cusparseSpMatDescr_t mat;
    cusparseDnVecDescr_t vx, vy;
    cusparseCreateCsr(&mat, rows, cols, nnz, d_row_ptr, d_col_idx, d_vals,
                      CUSPARSE_INDEX_32I, CUSPARSE_INDEX_32I,
                      CUSPARSE_INDEX_BASE_ZERO, CUDA_R_32F);
    cusparseCreateDnVec(&vx, cols, d_x, CUDA_R_32F);
    cusparseCreateDnVec(&vy, rows, d_y, CUDA_R_32F);

    float alpha = 1.0f, beta = 0.0f;
    size_t buffer_size = 0;
    cusparseSpMV_bufferSize(handle, CUSPARSE_OPERATION_NON_TRANSPOSE, &alpha,
                            mat, vx, &beta, vy, CUDA_R_32F,
                            CUSPARSE_SPMV_ALG_DEFAULT, &buffer_size);
    void* buffer = nullptr;
    CUDA_CHECK(cudaMalloc(&buffer, buffer_size));

    cusparseSpMV(handle, CUSPARSE_OPERATION_NON_TRANSPOSE, &alpha, mat, vx,
                 &beta, vy, CUDA_R_32F, CUSPARSE_SPMV_ALG_DEFAULT, buffer);

    CUDA_CHECK(cudaFree(buffer));
    cusparseDestroyDnVec(vy);
    cusparseDestroyDnVec(vx);
    cusparseDestroySpMat(mat);
    cusparseDestroy(handle);
}

}  // namespace vtk
