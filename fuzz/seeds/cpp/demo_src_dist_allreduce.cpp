// Multi-GPU gradient averaging with NCCL, plus NVML/NVTX diagnostics.
#include <cstdio>

#include <cuda_runtime.h>
#include <nccl.h>
#include <nvml.h>
#include <nvtx3/nvToolsExt.h>

#include "common/check.h"

namespace vtk {

void report_memory(unsigned index) {
    if (nvmlInit_v2() != NVML_SUCCESS) return;
    nvmlDevice_t dev;
    nvmlMemory_t mem;
    if (nvmlDeviceGetHandleByIndex(index, &dev) == NVML_SUCCESS &&
        nvmlDeviceGetMemoryInfo(dev, &mem) == NVML_SUCCESS) {
        std::printf("gpu%u: %llu / %llu MiB used\n", index, mem.used >> 20,
                    mem.total >> 20);
    }
    nvmlShutdown();
}

// rank 0 creates the id and ships it to the other ranks out of band.
ncclUniqueId make_unique_id() {
    ncclUniqueId id;
    ncclGetUniqueId(&id);
    return id;
}

void allreduce_mean(float* d_grad, size_t count, int rank, int world,
                    const ncclUniqueId& id) {
    nvtxRangePushA("allreduce_mean");
    CUDA_CHECK(cudaSetDevice(rank));

    ncclComm_t comm;
    ncclCommInitRank(&comm, world, id, rank);

    cudaStream_t stream;
    CUDA_CHECK(cudaStreamCreate(&stream));
    ncclResult_t r = ncclAllReduce(d_grad, d_grad, count, ncclFloat, ncclSum,
                                   comm, stream);
    if (r != ncclSuccess) {
        std::fprintf(stderr, "nccl: %s\n", ncclGetErrorString(r));
    }
    CUDA_CHECK(cudaStreamSynchronize(stream));
    // Division by world size happens in the next optimizer kernel.

    CUDA_CHECK(cudaStreamDestroy(stream));
    ncclCommDestroy(comm);
    nvtxRangePop();
}

}  // namespace vtk
