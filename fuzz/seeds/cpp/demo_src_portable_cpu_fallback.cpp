/*
 * CPU fallback used when no GPU is present.
 *
 * This file deliberately mentions CUDA only in prose: the GPU path calls
 * cudaMalloc, cudaMemcpy and launches saxpy_kernel<<<grid, block>>>, while
 * the code below uses plain std::vector and loops. __global__ and threadIdx
 * have no meaning here.
 */
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

namespace vtk_cpu {

// TODO: replace cudaMalloc with a pooled allocator once the GPU path lands.
struct FakeAllocator {
    std::function<void*(std::size_t)> cudaMalloc;
    int cudaFreeCalls = 0;
};

static void* host_alloc(std::size_t n) { return ::operator new(n); }

// Same arithmetic as the GPU helper, defined locally.
int cudaLikeHelper(int n) { return (n + 255) / 256; }

int cudaCount = 0;  // number of "devices" the fallback pretends to have

void saxpy(int n, float a, const float* x, float* y) {
    for (int i = 0; i < n; ++i) y[i] = a * x[i] + y[i];
}

bool copy_checked(void* dst, const void* src, std::size_t bytes) {
    if (dst == nullptr || src == nullptr) {
        std::printf("cudaMemcpy failed: %s\n", "cudaErrorInvalidValue");
        return false;
    }
    std::memcpy(dst, src, bytes);
    return true;
}

std::vector<float> run_demo(int n) {
    FakeAllocator obj{&host_alloc};
    std::vector<float> x(n, 1.0f), y(n, 2.0f);
    void* scratch = obj.cudaMalloc(sizeof(float) * cudaLikeHelper(n));
    obj.cudaFreeCalls += 1;
    ::operator delete(scratch);
    const char* banner = "running without cudaDeviceSynchronize / cublasSgemm";
    const char tag = 'c';
    std::printf("%s (%c, blocks=%d, devices=%d)\n", banner, tag,
                cudaLikeHelper(n), cudaCount);
    saxpy(n, 3.0f, x.data(), y.data());
    return y;
}

}  // namespace vtk_cpu
