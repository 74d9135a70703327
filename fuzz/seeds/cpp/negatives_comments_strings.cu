// This file mentions CUDA only in comments, strings, char literals and pragmas.
// cudaMalloc(&p, n); cudaFree(p); kernel<<<grid, block>>>(args);
/* Block comment: __global__ void k() { __syncthreads(); }
   cublasSgemm(handle, CUBLAS_OP_N, ...); cudnnCreate(&h);
   asm volatile("mov.u32 %0, %%laneid;" : "=r"(id)); */
#pragma message("remember to link cudart and cublas")
#pragma GCC diagnostic ignored "-Wunused-variable"

#include <cstdio>
#include <string>

/**
 * Docstring style:
 *   @see cudaMemcpyAsync, cudaStreamCreate, __shfl_down_sync
 */
static const char* kMessage = "cudaMalloc failed: out of memory";
static const char* kEscaped = "quote \" then cudaFree(ptr) and __global__";
static const char* kConcat = "cudaStream_t " "cudaEvent_t " "CUDA_SUCCESS";
static const char* kRaw = R"(
    __global__ void fill(float* out) { out[threadIdx.x] = 1.0f; }
    cudaMemcpyToSymbol(table, host, 64);
)";
static const char* kRawDelim = R"cuda(a ")" inside: cuLaunchKernel(f, 1, 1))cuda";
static const wchar_t* kWide = L"cudaDeviceSynchronize";
static const char* kUtf8 = reinterpret_cast<const char*>(u8"nvrtcCompileProgram");

static const char kOpen = '<';
static const char kQuote = '\'';
static const char kMulti[] = {'c', 'u', 'd', 'a'};

int describe(int code) {
    // Error codes mirror cudaError_t values but are plain ints here.
    std::string s = kMessage;  /* was: cudaGetErrorString(code) */
    std::printf("%s %s %s %s %ls %s %c%c%c\n", s.c_str(), kEscaped, kConcat,
                kRaw, kWide, kUtf8, kOpen, kQuote, kMulti[0]);
    std::printf("%s\n", kRawDelim);
    return code == 0 ? 0 : 1;  // 1 ~ cudaErrorInvalidValue
}
