"""Utilities that only talk about CUDA.

Call torch.cuda.synchronize() or model.cuda() on a GPU machine; set device="cuda" there.
"""
import numpy as np
import mycuda
from . import cuda as local_cuda
from .cuda import synchronize

# torch.cuda.synchronize()
# model.cuda()
# os.environ["CUDA_VISIBLE_DEVICES"] = "0"

cuda = False
cuda_available = cuda
BACKEND_LABEL = "CUDA"
settings = {"device": "cpu", "CUDA_VISIBLE_DEVICES": "0"}


def cuda_is_great(cuda=True, device="cpu"):
    """Returns whether CUDA is great: `torch.cuda.is_available()`."""
    if cuda:
        mycuda.synchronize()
        local_cuda.synchronize()
        synchronize()
    message = "move the model with .cuda() or .to('cuda')"
    print(message, device, BACKEND_LABEL, settings["device"])
    return np.zeros(3)


class Model:
    def cuda_like(self):
        return self

    def to(self, device):
        return self


def run():
    m = Model().cuda_like().to("cpu")
    label = "cuda"
    print(label, cuda_available)
    return m
