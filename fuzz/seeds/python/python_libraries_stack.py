import ctypes

import tensorrt as trt
import pynvml
import cudf
from cuml.cluster import KMeans
from flash_attn import flash_attn_func
import xformers.ops as xops
import bitsandbytes as bnb
from apex import amp
from apex.optimizers import FusedAdam
from deepspeed.ops.adam import DeepSpeedCPUAdam, FusedAdam as DSFusedAdam
from nvidia.dali import pipeline_def
from cuda import cudart, nvrtc

SAXPY = b"""
extern "C" __global__ void saxpy(float a, float *x, float *y) {
  size_t tid = blockIdx.x * blockDim.x + threadIdx.x;
  y[tid] = a * x[tid] + y[tid];
}
"""


def everything(q, k, v, model, opt, params):
    logger = trt.Logger(trt.Logger.WARNING)
    pynvml.nvmlInit()
    df = cudf.DataFrame({"a": [1, 2]})
    km = KMeans(n_clusters=2)
    o = flash_attn_func(q, k, v, causal=True)
    o2 = xops.memory_efficient_attention(q, k, v)
    adam8 = bnb.optim.Adam8bit(params)
    model, opt = amp.initialize(model, opt)
    fused = FusedAdam(params)
    cpu_adam = DeepSpeedCPUAdam(params)
    ds_adam = DSFusedAdam(params)
    err, prog = nvrtc.nvrtcCreateProgram(SAXPY, b"saxpy.cu", 0, [], [])
    err, = cudart.cudaDeviceSynchronize()
    return logger, df, km, o, o2, adam8, fused, cpu_adam, ds_adam, prog, pipeline_def, ctypes
