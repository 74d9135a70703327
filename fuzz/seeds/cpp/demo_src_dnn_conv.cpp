// Single 2-D convolution forward pass with cuDNN (NCHW, float).
#include <cuda_runtime.h>
#include <cudnn.h>

#include "common/check.h"

#define CUDNN_CHECK(expr)                                                 \
    do {                                                                  \
        cudnnStatus_t s_ = (expr);                                        \
        if (s_ != CUDNN_STATUS_SUCCESS) {                                 \
            std::fprintf(stderr, "cudnn: %s\n", cudnnGetErrorString(s_)); \
            std::abort();                                                 \
        }                                                                 \
    } while (0)

namespace vtk {

void conv2d_forward(const float* x, const float* w, float* y, void* workspace,
                    size_t workspace_bytes, int n, int c, int h, int wdt,
                    int k, int r, int s) {
    cudnnHandle_t handle;
    CUDNN_CHECK(cudnnCreate(&handle));

    cudnnTensorDescriptor_t x_desc, y_desc;
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&x_desc));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&y_desc));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(x_desc, CUDNN_TENSOR_NCHW,
                                           CUDNN_DATA_FLOAT, n, c, h, wdt));

    cudnnFilterDescriptor_t w_desc;
    CUDNN_CHECK(cudnnCreateFilterDescriptor(&w_desc));
    CUDNN_CHECK(cudnnSetFilter4dDescriptor(w_desc, CUDNN_DATA_FLOAT,
                                           CUDNN_TENSOR_NCHW, k, c, r, s));

    cudnnConvolutionDescriptor_t conv;
    CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, r / 2, s / 2, 1, 1, 1, 1,
                                                CUDNN_CROSS_CORRELATION,
                                                CUDNN_DATA_FLOAT));

    int on, oc, oh, ow;
    CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(conv, x_desc, w_desc,
                                                      &on, &oc, &oh, &ow));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(y_desc, CUDNN_TENSOR_NCHW,
                                           CUDNN_DATA_FLOAT, on, oc, oh, ow));

    const float alpha = 1.0f, beta = 0.0f;
    CUDNN_CHECK(cudnnConvolutionForward(
        handle, &alpha, x_desc, x, w_desc, w, conv,
        CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, workspace, workspace_bytes,
        &beta, y_desc, y));

    cudnnDestroyConvolutionDescriptor(conv);
    cudnnDestroyFilterDescriptor(w_desc);
    cudnnDestroyTensorDescriptor(y_desc);
    cudnnDestroyTensorDescriptor(x_desc);
    cudnnDestroy(handle);
}

}  // namespace vtk
