// JIT path: compile a kernel with NVRTC and launch it via the driver API.
#include <cstdio>
#include <string>
#include <vector>

#include <cuda.h>
#include <nvrtc.h>

namespace vtk {

// Names in this source string are compiled at run time, not by the host compiler.
static const char* kFillSource = R"(
extern "C" __global__ void fill(float* out, float v, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = v;
    __syncthreads();
}
)";

#define CU_CHECK(expr)                                                   \
    do {                                                                 \
        CUresult r_ = (expr);                                            \
        if (r_ != CUDA_SUCCESS) std::fprintf(stderr, "driver error %d\n", \
                                             static_cast<int>(r_));     \
    } while (0)

static std::string compile_to_ptx(const char* src) {
    nvrtcProgram prog;
    nvrtcCreateProgram(&prog, src, "fill.cu", 0, nullptr, nullptr);
    const char* opts[] = {"--gpu-architecture=compute_70", "-default-device"};
    if (nvrtcCompileProgram(prog, 2, opts) != NVRTC_SUCCESS) {
        size_t log_size = 0;
        nvrtcGetProgramLogSize(prog, &log_size);
        std::string log(log_size, '\0');
        nvrtcGetProgramLog(prog, &log[0]);
        std::fprintf(stderr, "nvrtc: %s\n", log.c_str());
    }
    size_t ptx_size = 0;
    nvrtcGetPTXSize(prog, &ptx_size);
    std::string ptx(ptx_size, '\0');
    nvrtcGetPTX(prog, &ptx[0]);
    nvrtcDestroyProgram(&prog);
    return ptx;
}

void jit_fill(int n, float value) {
    CU_CHECK(cuInit(0));
    CUdevice dev;
    CU_CHECK(cuDeviceGet(&dev, 0));
    CUcontext ctx;
    CU_CHECK(cuCtxCreate(&ctx, 0, dev));

    std::string ptx = compile_to_ptx(kFillSource);
    CUmodule module;
    CUfunction fill;
    CU_CHECK(cuModuleLoadData(&module, ptx.c_str()));
    CU_CHECK(cuModuleGetFunction(&fill, module, "fill"));

    CUdeviceptr d_out;
    CU_CHECK(cuMemAlloc(&d_out, n * sizeof(float)));
    void* args[] = {&d_out, &value, &n};
    unsigned blocks = (n + 255) / 256;
    CU_CHECK(cuLaunchKernel(fill, blocks, 1, 1, 256, 1, 1, 0, nullptr, args,
                            nullptr));
    CU_CHECK(cuCtxSynchronize());

    std::vector<float> host(n);
    CU_CHECK(cuMemcpyDtoH(host.data(), d_out, n * sizeof(float)));
    cuMemFree(d_out);
    cuModuleUnload(module);
    cuCtxDestroy(ctx);
}

}  // namespace vtk
