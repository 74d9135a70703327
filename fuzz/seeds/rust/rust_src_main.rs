//! use cudarc::driver::CudaDevice; (a doc comment)
use candle_core::{Device, Tensor};
use cudarc::driver::{CudaDevice, LaunchConfig};
use tch as torch;

fn main() -> candle_core::Result<()> {
    let dev = CudaDevice::new(0).unwrap();
    let cfg = LaunchConfig::for_num_elems(1024);
    let gpu = Device::new_cuda(0)?;
    let cpu = Device::Cpu;
    let t = Tensor::zeros(4, candle_core::DType::F32, &gpu)?;
    let libtorch = torch::Device::cuda_if_available();
    println!("{:?} {:?} {:?}", dev, cfg, "cudarc::driver::CudaDevice");
    let _ = (cpu, t, libtorch);
    Ok(())
}
