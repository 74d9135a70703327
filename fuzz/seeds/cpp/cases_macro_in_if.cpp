// CUDA macros used only in preprocessor conditions.
#include <cuda_runtime_api.h>
int feature_level() {
    int level = 0;
#if CUDART_VERSION >= 11000
    level += 11;
#endif
#ifdef __CUDA_ARCH__
    level += 100;
#endif
#if defined(__CUDACC__)
    level += 1000;
#endif
    return level;
}
