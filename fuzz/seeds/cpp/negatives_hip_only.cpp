// Pure HIP host code: every runtime call here is a hip* API.
#include <hip/hip_runtime.h>

#include <cstdio>
#include <vector>

int copy_roundtrip(std::size_t n) {
    std::vector<float> host(n, 1.5f);
    float* dev = nullptr;
    if (hipMalloc(&dev, n * sizeof(float)) != hipSuccess) return -1;

    hipStream_t stream;
    hipEvent_t done;
    hipStreamCreate(&stream);
    hipEventCreate(&done);
    hipMemcpyAsync(dev, host.data(), n * sizeof(float), hipMemcpyHostToDevice,
                   stream);
    hipMemcpyAsync(host.data(), dev, n * sizeof(float), hipMemcpyDeviceToHost,
                   stream);
    hipEventRecord(done, stream);
    hipEventSynchronize(done);

    hipDeviceProp_t prop;
    hipGetDeviceProperties(&prop, 0);
    std::printf("%s: %d CUs\n", prop.name, prop.multiProcessorCount);

    hipEventDestroy(done);
    hipStreamDestroy(stream);
    hipFree(dev);
    return hipDeviceSynchronize() == hipSuccess ? 0 : 1;
}
