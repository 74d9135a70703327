import numpy as np
from numba import cuda
from numba import cuda as nc
import numba


@cuda.jit
def saxpy(a, x, y, out):
    i = cuda.grid(1)
    tile = cuda.shared.array(128, dtype=numba.float32)
    tile[cuda.threadIdx.x] = x[i]
    cuda.syncthreads()
    if i < out.size:
        out[i] = a * tile[cuda.threadIdx.x] + y[i]


@nc.jit(device=True)
def clamp(v):
    return min(max(v, 0.0), 1.0)


@numba.vectorize(["float32(float32)"], target="cuda")
def double(v):
    return 2 * v


@numba.njit
def cpu_only(v):
    return v + 1


def launch(x, y):
    if not cuda.is_available():
        return cpu_only(x)
    d_x = cuda.to_device(x)
    d_y = nc.to_device(y)
    out = cuda.device_array_like(d_x)
    saxpy[4, 128](2.0, d_x, d_y, out)
    return out.copy_to_host(), np.empty(1)
