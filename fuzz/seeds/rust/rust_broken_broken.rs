fn main() {
    let x = cudarc::driver::result::init();
} fn ()
