// Batched 1-D complex FFT with cuFFT.
#include <cstdio>

#include <cuda_runtime.h>
#include <cufft.h>

namespace vtk {

bool fft_forward_inplace(cufftComplex* d_signal, int nx, int batch,
                         cudaStream_t stream) {
    cufftHandle plan;
    if (cufftPlan1d(&plan, nx, CUFFT_C2C, batch) != CUFFT_SUCCESS) {
        std::fprintf(stderr, "plan creation failed\n");
        return false;
    }
    cufftSetStream(plan, stream);
    cufftResult res = cufftExecC2C(plan, d_signal, d_signal, CUFFT_FORWARD);
    cufftDestroy(plan);
    return res == CUFFT_SUCCESS;
}

}  // namespace vtk
