#!/usr/bin/env python3
"""Generates a synthetic multi-language corpus for the benchmark, offline and deterministically.

    python3 bench/gen_corpus.py OUT_DIR [--size-mb 50] [--cuda-share 0.3] [--seed 1]

OUT_DIR receives a tree of C++, CUDA, Python and build/manifest files totalling about
--size-mb megabytes. --cuda-share is the fraction of source files that use CUDA (kernels,
launches, runtime calls, PTX, torch.cuda, ...); the rest is ordinary C++ and Python, some of
which mentions CUDA only in comments and strings (which must not be reported, and which a
byte-level prefilter cannot rule out), some of which defines look-alike names (`cudaLikeHelper`).
The same arguments always give the same bytes.
"""

import argparse
import os
import random

CUDA_APIS = ["cudaMalloc(&d_buf, bytes)", "cudaFree(d_buf)",
             "cudaMemcpy(d_buf, h_buf, bytes, cudaMemcpyHostToDevice)",
             "cudaMemcpyAsync(h_buf, d_buf, bytes, cudaMemcpyDeviceToHost, stream)",
             "cudaStreamCreate(&stream)", "cudaStreamSynchronize(stream)",
             "cudaDeviceSynchronize()", "cudaGetLastError()", "cudaEventRecord(ev, stream)",
             "cudaSetDevice(0)", "cudaMemset(d_buf, 0, bytes)"]
DEVICE_OPS = ["__syncthreads();", "atomicAdd(&out[0], v);", "v = __shfl_down_sync(0xffffffff, v, 16);",
              "v += __ldg(&in[i]);", "__threadfence();", "v = rsqrtf(v + 1.0f);"]
INCLUDES_CUDA = ["<cuda_runtime.h>", "<cuda_fp16.h>", "<cub/cub.cuh>", "<thrust/device_vector.h>",
                 "<cublas_v2.h>", "<curand_kernel.h>", "<cooperative_groups.h>"]
INCLUDES_CPP = ["<vector>", "<string>", "<map>", "<memory>", "<algorithm>", "<cstdio>", "<cmath>",
                "\"util/log.h\"", "\"core/tensor.h\""]
WORDS = ["alpha", "beta", "gamma", "delta", "tensor", "buffer", "stride", "offset", "scale", "bias",
         "weight", "grad", "state", "layer", "block", "tile", "shape", "index", "count", "value"]


def ident(r, prefix=""):
    return prefix + r.choice(WORDS) + "_" + r.choice(WORDS) + str(r.randrange(100))


def cpp_function(r, cuda_comment=False):
    name = ident(r)
    lines = [f"// {name}: computes the {r.choice(WORDS)} of a {r.choice(WORDS)}."]
    if cuda_comment:
        lines.append("// A CUDA version (cudaMemcpy + a __global__ kernel) may come later.")
    lines.append(f"template <typename T>\nstatic T {name}(const std::vector<T>& xs, int n) {{")
    lines.append("    T acc = T(0);")
    lines.append("    for (int i = 0; i < n && i < (int)xs.size(); ++i) {")
    for _ in range(r.randrange(2, 8)):
        a, b = r.choice(WORDS), r.choice(WORDS)
        lines.append(f"        acc += xs[i] * static_cast<T>({r.randrange(1, 9)}); // {a} {b}")
    lines.append("    }")
    if cuda_comment:
        lines.append('    const char* msg = "no cudaMalloc here";\n    (void)msg;')
    lines.append("    return acc;\n}\n")
    return "\n".join(lines)


def cpp_class(r):
    cls = ident(r, "C").title().replace("_", "")
    body = [f"class {cls} {{\n public:\n    explicit {cls}(int n) : n_(n) {{}}"]
    for _ in range(r.randrange(2, 6)):
        m = ident(r)
        body.append(f"    int {m}(int x) const {{ return x * n_ + {r.randrange(50)}; }}")
    body.append(" private:\n    int n_;\n};\n")
    return "\n".join(body)


def cuda_kernel(r):
    name = ident(r, "k_")
    ops = "\n".join("    " + r.choice(DEVICE_OPS) for _ in range(r.randrange(1, 5)))
    ptx = ""
    if r.random() < 0.2:
        ptx = '    unsigned lane; asm volatile("mov.u32 %0, %%laneid;" : "=r"(lane));\n'
    return (f"__global__ void {name}(const float* __restrict__ in, float* out, int n) {{\n"
            f"    __shared__ float tile[256];\n"
            f"    int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
            f"    if (i >= n) return;\n    float v = in[i];\n{ops}\n{ptx}"
            f"    tile[threadIdx.x] = v;\n    out[i] = tile[threadIdx.x];\n}}\n", name)


def cuda_host(r, kernels):
    calls = "\n".join(f"    CHECK({r.choice(CUDA_APIS)});" for _ in range(r.randrange(2, 6)))
    launches = "\n".join(f"    {k}<<<(n + 255) / 256, 256, 0, stream>>>(d_buf, d_buf, n);"
                         for k in kernels)
    return (f"void run_{ident(r)}(float* h_buf, int n) {{\n    float* d_buf = nullptr;\n"
            f"    size_t bytes = n * sizeof(float);\n    cudaStream_t stream;\n    cudaEvent_t ev;\n"
            f"{calls}\n{launches}\n}}\n")


def gen_cuda_file(r, target):
    out = [f"#include {inc}" for inc in r.sample(INCLUDES_CUDA, r.randrange(1, 4))]
    out += [f"#include {inc}" for inc in r.sample(INCLUDES_CPP, r.randrange(1, 4))]
    out.append("#define CHECK(x) do { cudaError_t e = (x); if (e != cudaSuccess) abort(); } while (0)\n")
    size = sum(len(x) for x in out)
    while size < target:
        kernels = []
        for _ in range(r.randrange(1, 3)):
            k, name = cuda_kernel(r)
            kernels.append(name)
            out.append(k)
            size += len(k)
        h = cuda_host(r, kernels)
        out.append(h)
        size += len(h)
        if r.random() < 0.5:
            f = cpp_function(r)
            out.append(f)
            size += len(f)
    return "\n".join(out) + "\n"


def gen_cpp_file(r, target, mentions_cuda):
    out = ["#pragma once"] + [f"#include {inc}" for inc in r.sample(INCLUDES_CPP, r.randrange(2, 5))]
    if r.random() < 0.1:
        out.append("// cuda-like helpers that are ours, not NVIDIA's")
        out.append("static int cudaLikeHelper(int x) { return x + 1; }")
    out.append(f"namespace {r.choice(WORDS)} {{\n")
    size = sum(len(x) for x in out)
    while size < target:
        piece = cpp_function(r, cuda_comment=mentions_cuda and r.random() < 0.3) \
            if r.random() < 0.7 else cpp_class(r)
        out.append(piece)
        size += len(piece)
    out.append("}  // namespace\n")
    return "\n".join(out)


def gen_py_file(r, target, cuda):
    out = ['"""Training utilities."""', "import os", "import math"]
    if cuda:
        out += ["import torch", "import torch.distributed as dist"]
    size = sum(len(x) for x in out)
    n = 0
    while size < target:
        n += 1
        name = ident(r)
        body = [f"def {name}(x, y={n}):", f'    """Combine {r.choice(WORDS)} and {r.choice(WORDS)}."""']
        for _ in range(r.randrange(2, 7)):
            body.append(f"    x = x * {r.randrange(1, 9)} + y  # {r.choice(WORDS)}")
        if cuda:
            body.append(r.choice([
                "    x = x.cuda()", "    torch.cuda.synchronize()",
                '    x = x.to("cuda:0", non_blocking=True)',
                '    dist.init_process_group(backend="nccl")',
                '    os.environ["CUDA_VISIBLE_DEVICES"] = "0"',
                "    if torch.cuda.is_available():\n        x = x.half()"]))
        elif r.random() < 0.2:
            body.append('    # could run on cuda one day; "cuda" in a string is not coupling')
            body.append('    device = "cpu"')
        body.append("    return x\n")
        piece = "\n".join(body)
        out.append(piece)
        size += len(piece)
    return "\n".join(out) + "\n"


MANIFESTS = {
    "CMakeLists.txt": "cmake_minimum_required(VERSION 3.24)\nproject(demo LANGUAGES CXX CUDA)\n"
                      "find_package(CUDAToolkit REQUIRED)\nadd_library(k STATIC k.cu)\n"
                      "target_link_libraries(k PRIVATE CUDA::cudart CUDA::cublas)\n"
                      "set(CMAKE_CUDA_ARCHITECTURES 80 90)\n",
    "requirements.txt": "numpy>=1.24\ntorch==2.3.0+cu121\nnvidia-cublas-cu12==12.1.3.1\ncupy-cuda12x\n",
    "Dockerfile": "FROM nvidia/cuda:12.1.0-devel-ubuntu22.04\nRUN apt-get update && apt-get install -y python3\n",
    "pyproject.toml": "[project]\nname = \"demo\"\nversion = \"0.1\"\ndependencies = [\"torch\", \"triton\"]\n",
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--size-mb", type=float, default=50.0)
    ap.add_argument("--cuda-share", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    r = random.Random(args.seed)
    target = int(args.size_mb * 1e6)
    os.makedirs(args.out, exist_ok=True)
    total, i = 0, 0
    while total < target:
        i += 1
        d = os.path.join(args.out, f"pkg{i % 40:02d}", r.choice(["src", "include", "kernels", "tools"]))
        os.makedirs(d, exist_ok=True)
        kind = r.random()
        cuda = r.random() < args.cuda_share
        size = r.randrange(2_000, 40_000)
        if kind < 0.55:
            if cuda:
                name, text = f"{ident(r)}.cu", gen_cuda_file(r, size)
            else:
                ext = r.choice([".cpp", ".h", ".hpp", ".cc"])
                name, text = ident(r) + ext, gen_cpp_file(r, size, mentions_cuda=r.random() < 0.3)
        elif kind < 0.95:
            name, text = f"{ident(r)}.py", gen_py_file(r, size // 2, cuda)
        else:
            name = r.choice(sorted(MANIFESTS))
            text = MANIFESTS[name]
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
        total += len(text)
    print(f"wrote {i} files, {total / 1e6:.1f} MB, to {args.out}")


if __name__ == "__main__":
    main()
