// A CUDA enum constant passed as an ordinary argument.
#include <cstddef>
#include <cuda_runtime.h>

void upload(void* dst, const void* src, std::size_t bytes) {
    cudaMemcpyKind kind = cudaMemcpyDeviceToDevice;
    cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice);
    (void)kind;
}
