find_package(CUDA 11.0 REQUIRED)
list(APPEND CUDA_NVCC_FLAGS -gencode arch=compute_70,code=sm_70)
cuda_add_library(legacy legacy.cu)
include_directories(${CUDA_INCLUDE_DIRS})
