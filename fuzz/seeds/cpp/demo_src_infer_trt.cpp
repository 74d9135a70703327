// Build a TensorRT engine from a serialized plan.
#include <cstdio>
#include <memory>
#include <vector>

#include <NvInfer.h>

namespace vtk {

class StderrLogger : public nvinfer1::ILogger {
    void log(Severity severity, const char* msg) noexcept override {
        if (severity <= Severity::kWARNING) std::fprintf(stderr, "[trt] %s\n", msg);
    }
};

static StderrLogger g_logger;

bool check_builder() {
    std::unique_ptr<nvinfer1::IBuilder> builder(
        nvinfer1::createInferBuilder(g_logger));
    if (!builder) return false;
    std::printf("fast fp16: %d\n", builder->platformHasFastFp16() ? 1 : 0);
    return true;
}

nvinfer1::ICudaEngine* load_engine(const std::vector<char>& plan) {
    std::unique_ptr<nvinfer1::IRuntime> runtime(
        nvinfer1::createInferRuntime(g_logger));
    if (!runtime) return nullptr;
    return runtime->deserializeCudaEngine(plan.data(), plan.size());
}

}  // namespace vtk
