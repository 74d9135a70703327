// CUDA types appearing only in declarations.
#include <cublas_v2.h>
#include <cuda_runtime.h>

struct Context {
    cudaStream_t stream;
    cublasHandle_t blas;
};

void attach(Context* ctx, cudaStream_t s, cublasHandle_t h);
