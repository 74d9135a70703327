#!/usr/bin/env bash
set -euo pipefail
# nvcc -arch=sm_60 -o old old.cu   (a comment)
export CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
if command -v nvidia-smi >/dev/null; then
  nvidia-smi -L
fi
"$CUDA_HOME/bin/nvcc" -arch=sm_80 -Xcompiler -fPIC -shared -o libk.so k.cu
echo "nvcc is done"
CUDA_VISIBLE_DEVICES=0 python run.py
clang -arch arm64 -o tool tool.c
