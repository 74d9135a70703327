// Monte-Carlo estimate of pi with the cuRAND device API.
#include <curand_kernel.h>

#include "common/check.h"

namespace vtk {

__global__ void setup_states(curandState* states, unsigned long long seed) {
    int id = blockIdx.x * blockDim.x + threadIdx.x;
    curand_init(seed, id, 0, &states[id]);
}

__global__ void count_hits(curandState* states, int samples,
                           unsigned long long* hits) {
    int id = blockIdx.x * blockDim.x + threadIdx.x;
    curandState local = states[id];
    unsigned long long inside = 0;
    for (int i = 0; i < samples; ++i) {
        float x = curand_uniform(&local);
        float y = curand_uniform(&local);
        if (x * x + y * y <= 1.0f) ++inside;
    }
    states[id] = local;
    atomicAdd(hits, inside);
}

double estimate_pi(int blocks, int samples) {
    const int threads = 128;
    curandState* states = nullptr;
    unsigned long long* d_hits = nullptr;
    CUDA_CHECK(cudaMalloc(&states, blocks * threads * sizeof(curandState)));
    CUDA_CHECK(cudaMalloc(&d_hits, sizeof(unsigned long long)));
    CUDA_CHECK(cudaMemset(d_hits, 0, sizeof(unsigned long long)));
    setup_states<<<blocks, threads>>>(states, 1234ULL);
    count_hits<<<blocks, threads>>>(states, samples, d_hits);
    unsigned long long hits = 0;
    CUDA_CHECK(cudaMemcpy(&hits, d_hits, sizeof(hits), cudaMemcpyDeviceToHost));
    CUDA_CHECK(cudaFree(d_hits));
    CUDA_CHECK(cudaFree(states));
    return 4.0 * hits / (double(blocks) * threads * samples);
}

}  // namespace vtk
