from setuptools import setup
from torch.utils.cpp_extension import BuildExtension, CUDAExtension, CppExtension

setup(
    name="fused_ops",
    ext_modules=[
        CUDAExtension("fused_ops_cuda", ["csrc/fused.cpp", "csrc/fused_kernel.cu"]),
        CppExtension("cpu_ops", ["csrc/cpu.cpp"]),
    ],
    cmdclass={"build_ext": BuildExtension},
)
