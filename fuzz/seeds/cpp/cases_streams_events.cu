// Stream and event lifetime.
#include <cuda_runtime.h>
float time_nothing() {
    cudaStream_t s;
    cudaEvent_t a, b;
    cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    cudaEventCreate(&a);
    cudaEventCreate(&b);
    cudaEventRecord(a, s);
    cudaEventRecord(b, s);
    float ms = 0.0f;
    cudaEventSynchronize(b);
    cudaEventElapsedTime(&ms, a, b);
    return ms;
}
