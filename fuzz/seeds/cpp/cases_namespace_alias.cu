// Cooperative groups through a namespace alias.
#include <cooperative_groups.h>

namespace cg = cooperative_groups;

__global__ void sync_block(int* flag) {
    cg::thread_block block = cg::this_thread_block();
    block.sync();
    if (block.thread_rank() == 0) *flag = 1;
}
