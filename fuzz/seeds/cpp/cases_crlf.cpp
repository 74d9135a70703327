// CRLF line endings; cudaMalloc is on line 3.
#include <cuda_runtime.h>
void alloc(void** p) { cudaMalloc(p, 64); }

void release(void* p) { cudaFree(p); }
