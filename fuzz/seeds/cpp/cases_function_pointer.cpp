// CUDA API referenced as a function pointer / callback, not called directly.
#include <cuda_runtime.h>

using Releaser = cudaError_t (*)(void*);

void release_all(void** ptrs, int n, Releaser release) {
    for (int i = 0; i < n; ++i) release(ptrs[i]);
}

void cleanup(void** ptrs, int n) {
    auto f = &cudaFree;
    release_all(ptrs, n, f);
    release_all(ptrs, n, cudaFree);
}
