// Host-side memory management and timing.
#include <cstdio>
#include <memory>
#include <vector>

#include <cuda_runtime.h>

#include "common/check.h"

namespace vtk {

using DeviceDeleter = cudaError_t (*)(void*);

// Owning pointer that releases device memory through cudaFree.
template <typename T>
std::unique_ptr<T, DeviceDeleter> make_device_buffer(std::size_t count) {
    void* raw = nullptr;
    CUDA_CHECK(cudaMalloc(&raw, count * sizeof(T)));
    DeviceDeleter deleter = &cudaFree;
    return std::unique_ptr<T, DeviceDeleter>(static_cast<T*>(raw), deleter);
}

void print_device_info(int device) {
    cudaDeviceProp prop;
    CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    std::printf("%s: sm_%d%d, %zu MiB, %d SMs\n", prop.name, prop.major,
                prop.minor, prop.totalGlobalMem >> 20,
                prop.multiProcessorCount);
}

double time_copy_ms(std::size_t bytes) {
    std::vector<char> host(bytes, 1);
    auto dev = make_device_buffer<char>(bytes);

    cudaStream_t stream;
    cudaEvent_t start, stop;
    CUDA_CHECK(cudaStreamCreate(&stream));
    CUDA_CHECK(cudaEventCreate(&start));
    CUDA_CHECK(cudaEventCreate(&stop));

    CUDA_CHECK(cudaEventRecord(start, stream));
    CUDA_CHECK(cudaMemcpyAsync(dev.get(), host.data(), bytes,
                               cudaMemcpyHostToDevice, stream));
    CUDA_CHECK(cudaEventRecord(stop, stream));
    CUDA_CHECK(cudaEventSynchronize(stop));

    float ms = 0.0f;
    CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));

    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    cudaStreamDestroy(stream);
    return ms;
}

float* alloc_managed(std::size_t count) {
    float* p = nullptr;
    CUDA_CHECK(cudaMallocManaged(&p, count * sizeof(float)));
    for (std::size_t i = 0; i < count; ++i) p[i] = 0.0f;
    CUDA_CHECK(cudaDeviceSynchronize());
    return p;
}

}  // namespace vtk
