// cudarc::driver::CudaDevice in a comment
/// `candle_core::Device::new_cuda` in a doc comment
pub fn device_name() -> &'static str {
    "cudarc::driver::CudaDevice"
}

#[kernel]
pub fn not_rust_cuda() {}

pub fn build() {
    cc::Build::new().file("a.c").compile("a");
    let d = candle_core::Device::Cpu;
    let _ = d;
}
