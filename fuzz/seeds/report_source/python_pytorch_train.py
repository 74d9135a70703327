"""Training script. Docstring mentions torch.cuda.synchronize() and device="cuda": not findings."""
import os
import argparse

import torch as th
import torch.distributed as dist
import torch.backends.cudnn as cudnn
from torch import nn
from torch.cuda.amp import GradScaler, autocast

os.environ["CUDA_VISIBLE_DEVICES"] = "0,1"
DEVICE = "cuda"


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--dist-backend", default="nccl")
    p.add_argument("--device", default="cpu")
    return p.parse_args()


def setup(rank, backend="nccl"):
    dist.init_process_group("nccl", rank=rank)
    th.cuda.set_device(rank)
    cudnn.benchmark = True


def train(model, batch, use_cuda):
    device = th.device("cuda" if use_cuda else "cpu")
    if th.cuda.is_available():
        model = model.cuda()
    model = nn.DataParallel(model)
    x = batch.to(DEVICE, non_blocking=True)
    y = th.zeros(3, device="cuda:0")
    cpu_only = th.zeros(3, device="cpu")
    scaler = GradScaler()
    with autocast():
        loss = model(x).sum()
    scaler.scale(loss).backward()
    th.cuda.synchronize()
    print(th.cuda.max_memory_allocated() / 2**20, os.environ.get("NCCL_DEBUG"))
    return loss, y, cpu_only, device
