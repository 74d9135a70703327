// Fill device buffers with random numbers (cuRAND host API).
#include <cuda_runtime.h>
#include <curand.h>

namespace vtk {

void fill_uniform(float* d_out, size_t n, unsigned long long seed,
                  cudaStream_t stream) {
    curandGenerator_t gen;
    curandCreateGenerator(&gen, CURAND_RNG_PSEUDO_PHILOX4_32_10);
    curandSetPseudoRandomGeneratorSeed(gen, seed);
    curandSetStream(gen, stream);
    curandGenerateUniform(gen, d_out, n);
    curandDestroyGenerator(gen);
}

// n must be even for curandGenerateNormal.
void fill_normal(float* d_out, size_t n, float mean, float stddev) {
    curandGenerator_t gen;
    curandCreateGenerator(&gen, CURAND_RNG_PSEUDO_DEFAULT);
    curandGenerateNormal(gen, d_out, n, mean, stddev);
    curandDestroyGenerator(gen);
}

}  // namespace vtk
