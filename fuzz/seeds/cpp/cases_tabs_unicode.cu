// Column test: a tab and multi-byte characters precede the call on line 5.
#include <cuda_runtime.h>

void alloc(void** p) {
	/* é😀 */ cudaMalloc(p, 64);
}
