use cuda_std::prelude::*;

#[kernel]
pub unsafe fn add(a: &[f32], b: &[f32], c: *mut f32) {
    let idx = thread::index_1d() as usize;
    if idx < a.len() {
        *c.add(idx) = a[idx] + b[idx];
    }
}
