// Library-level algorithms: Thrust, CUB, cooperative groups, WMMA, CUTLASS.
#include <vector>

#include <cooperative_groups.h>
#include <cooperative_groups/reduce.h>
#include <cub/cub.cuh>
#include <cuda_fp16.h>
#include <mma.h>
#include <thrust/device_vector.h>
#include <thrust/reduce.h>
#include <thrust/sort.h>

#include <cute/tensor.hpp>
#include <cutlass/gemm/device/gemm.h>

#include "common/check.h"

namespace cg = cooperative_groups;
using namespace nvcuda;

namespace vtk {

float sort_and_sum(const std::vector<float>& host) {
    thrust::device_vector<float> d(host.begin(), host.end());
    thrust::sort(d.begin(), d.end());
    return thrust::reduce(d.begin(), d.end(), 0.0f);
}

void cub_sum(const float* d_in, float* d_out, int n, cudaStream_t stream) {
    void* temp = nullptr;
    size_t temp_bytes = 0;
    cub::DeviceReduce::Sum(temp, temp_bytes, d_in, d_out, n, stream);
    CUDA_CHECK(cudaMallocAsync(&temp, temp_bytes, stream));
    cub::DeviceReduce::Sum(temp, temp_bytes, d_in, d_out, n, stream);
    CUDA_CHECK(cudaFreeAsync(temp, stream));
}

__global__ void block_sum_kernel(const float* in, float* out) {
    using BlockReduce = cub::BlockReduce<float, 256>;
    __shared__ typename BlockReduce::TempStorage storage;
    cg::thread_block block = cg::this_thread_block();
    cg::thread_block_tile<32> warp = cg::tiled_partition<32>(block);
    float v = in[blockIdx.x * 256 + block.thread_rank()];
    v = cg::reduce(warp, v, cg::plus<float>());
    float total = BlockReduce(storage).Sum(warp.thread_rank() == 0 ? v : 0.0f);
    if (block.thread_rank() == 0) out[blockIdx.x] = total;
}

// One warp computes one 16x16 tile of C = A * B (half inputs, float output).
__global__ void wmma_tile_kernel(const half* a, const half* b, float* c) {
    wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> fa;
    wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::col_major> fb;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> fc;
    wmma::fill_fragment(fc, 0.0f);
    wmma::load_matrix_sync(fa, a, 16);
    wmma::load_matrix_sync(fb, b, 16);
    wmma::mma_sync(fc, fa, fb, fc);
    wmma::store_matrix_sync(c, fc, 16, wmma::mem_row_major);
}

using CutlassSgemm =
    cutlass::gemm::device::Gemm<float, cutlass::layout::ColumnMajor, float,
                                cutlass::layout::ColumnMajor, float,
                                cutlass::layout::ColumnMajor>;

bool cutlass_sgemm(int m, int n, int k, const float* A, const float* B,
                   float* C) {
    CutlassSgemm op;
    CutlassSgemm::Arguments args({m, n, k}, {A, m}, {B, k}, {C, m}, {C, m},
                                 {1.0f, 0.0f});
    return op(args) == cutlass::Status::kSuccess;
}

__host__ __device__ auto tile_layout() {
    return cute::make_layout(cute::make_shape(cute::Int<16>{}, cute::Int<16>{}),
                             cute::GenRowMajor{});
}

}  // namespace vtk
