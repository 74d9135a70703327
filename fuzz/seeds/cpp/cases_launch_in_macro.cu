// Kernel launch hidden inside a macro body and used through the macro.
#define LAUNCH_1D(kernel, n, ...) kernel<<<((n) + 255) / 256, 256>>>(__VA_ARGS__)

__global__ void zero(float* x, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] = 0.0f;
}

void zero_all(float* d_x, int n) { LAUNCH_1D(zero, n, d_x, n); }
