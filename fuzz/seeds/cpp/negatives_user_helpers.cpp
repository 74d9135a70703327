// User-defined names that merely look like CUDA APIs; all defined here.
#include <cstdio>

#define CUDA_SOMETHING 42
#define CUDA_TRY(x) ((x) == 0 ? 0 : -1)
#define cudaWrap(x) ((x) + 1)

namespace app {

struct cudaConfig {
    int cudaBlocks = 1;
    int cuThreads = 32;
};

enum cudaMode { cudaModeOff, cudaModeOn };

using cudaHandle = int;
typedef unsigned cuIndex;

int cudaCount = 0;
static cuIndex cuCounter = 0;

int cudaHelper(int n) { return n * 2; }

int cuSomething(const cudaConfig& cfg) {
    return cfg.cudaBlocks * cfg.cuThreads;
}

class cudaScheduler {
public:
    void cudaSubmit(cudaHandle h) { last_ = h; ++cuCounter; }
    cudaHandle last() const { return last_; }

private:
    cudaHandle last_ = 0;
};

int run() {
    cudaConfig cfg;
    cudaMode mode = cudaModeOn;
    cudaScheduler sched;
    sched.cudaSubmit(cudaHelper(cfg.cudaBlocks));
    cudaCount = cuSomething(cfg) + CUDA_SOMETHING + cudaWrap(CUDA_TRY(0));
    std::printf("%d %d %u %d\n", cudaCount, sched.last(), cuCounter,
                static_cast<int>(mode));
    return cudaCount;
}

}  // namespace app
