#!/bin/sh
# nvcc -o k k.cu
echo "nvidia-smi"
gcc -O2 -arch arm64 -o tool tool.c -lm
