//! The Rust front end (syn): CUDA crates (`cudarc`, `cust`), `candle`/`tch` CUDA devices,
//! rust-cuda kernels, and nvcc in build scripts.
//!
//! The file is parsed with syn (`full`); spans come from proc-macro2's `span-locations` as byte
//! ranges. Paths are resolved through the file's `use` declarations (renames included, globs
//! kept for `#[kernel]`), so `Device::new_cuda(0)` after `use candle_core::Device;` is the
//! qualified name `candle_core::Device::new_cuda`, matched by the rules' `namespaces`.
//!
//! Facts: every `use` leaf and `extern crate`, every path of two or more segments (in code,
//! types, patterns, attributes and inside macro bodies, whose tokens are scanned), `#[kernel]`
//! from `cuda_std`, `.cuda(true)` on a `cc::Build`, commands started with `Command::new("nvcc")`
//! or `.compiler("nvcc")`, compiler flags passed with `.flag(…)`/`.arg(…)`, environment
//! variables read (`env::var("CUDA_HOME")`, `env!`), and `cargo:rustc-link-lib=` and
//! `cargo:rerun-if-env-changed=` build-script directives. Also: methods called on values of
//! CUDA crates' types (a local type flow within a function and through the file's struct
//! fields), CUDA crates reached through the crate's own re-exports (`crate::backend::cudarc::…`),
//! `feature = "…"` in `cfg` predicates, `include_str!` of `.cu`/`.ptx` files, and CUDA C++ in
//! string literals (handed to NVRTC, or holding `__global__`), parsed with the CUDA grammar at
//! its real offsets. Comments are never read as code, nor string contents other than kernels.
//! A file syn cannot parse is scanned token by token for paths. See docs/manifests.md.
//!
//! Submodules, one job each: `imports` reads `use` declarations, `types` is the local type
//! flow, `visit` walks the syntax tree, `build_script` reads `cc::Build`, commands, flags
//! and `cargo:` directives, `cuda_source` parses CUDA C++ in strings, and `tokens` scans raw
//! token streams (macro bodies, `cfg` predicates, unparsable files).

mod build_script;
mod cuda_source;
mod imports;
mod tokens;
mod types;
mod visit;

use super::manifest::Out;
use super::{Extraction, Fact, FactKind};
use imports::ImportCollector;
use proc_macro2::TokenStream;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use syn::visit::Visit;
use types::Ty;

pub fn extract(text: &str) -> Extraction {
    // syn::parse_file strips a BOM and a shebang line; do the same, keeping the offset.
    let mut base = 0;
    let mut content = text;
    if let Some(rest) = content.strip_prefix('\u{feff}') {
        base += 3;
        content = rest;
    }
    if content.starts_with("#!") && !content[2..].trim_start().starts_with('[') {
        let cut = content.find('\n').unwrap_or(content.len());
        base += cut;
        content = &content[cut..];
    }
    let mut facts = Facts {
        src: text,
        base,
        out: Out::default(),
        extra: Vec::new(),
        imports: HashMap::new(),
        globs: Vec::new(),
        builders: HashSet::new(),
        structs: HashMap::new(),
        locals: Vec::new(),
        self_ty: None,
        nvrtc_literals: HashSet::new(),
        parsed_sources: HashSet::new(),
        defined: Vec::new(),
    };
    let parsed = syn::parse_str::<syn::File>(content);
    let mut has_parse_errors = false;
    match parsed {
        Ok(file) => {
            let mut collector = ImportCollector { facts: &mut facts };
            collector.visit_file(&file);
            facts.collect_structs(&file);
            facts.visit_file(&file);
        }
        Err(_) => {
            has_parse_errors = true;
            if let Ok(tokens) = content.parse::<TokenStream>() {
                facts.tokens(tokens);
            }
        }
    }
    proc_macro2::extra::invalidate_current_thread_spans();
    let mut extraction = facts.out.into_extraction();
    extraction.facts.extend(facts.extra);
    extraction.defined.extend(facts.defined);
    extraction.has_parse_errors |= has_parse_errors;
    extraction
}

struct Facts<'a> {
    /// The whole file (spans index it).
    src: &'a str,
    base: usize,
    out: Out,
    /// Qualified-name facts.
    extra: Vec<Fact>,
    /// Imported name → full path.
    imports: HashMap<String, Vec<String>>,
    /// Glob-imported paths (`use cuda_std::prelude::*`).
    globs: Vec<Vec<String>>,
    /// Local variables bound to a `cc::Build`.
    builders: HashSet<String>,
    /// The file's structs: name → field (name or tuple index) → type, where known.
    structs: HashMap<String, HashMap<String, Ty>>,
    /// One scope per function being visited: local binding → type.
    locals: Vec<HashMap<String, Ty>>,
    /// The struct of the `impl` block being visited (`self`).
    self_ty: Option<String>,
    /// Starts of string literals handed to NVRTC (`compile_ptx(r#"…"#)`).
    nvrtc_literals: HashSet<usize>,
    /// Starts of string literals already parsed as CUDA source.
    parsed_sources: HashSet<usize>,
    /// Names defined by CUDA source in strings.
    defined: Vec<String>,
}

impl Facts<'_> {
    fn span(&self, s: proc_macro2::Span) -> Range<usize> {
        let r = s.byte_range();
        self.base + r.start..self.base + r.end
    }

    fn qualified(&mut self, resolved: Vec<String>, text: String, span: Range<usize>) {
        self.extra.push(Fact {
            kind: FactKind::Qualified(resolved),
            text,
            span,
            detail: None,
            lang: None,
        });
    }

    /// A path's segments resolved through the imports (and through the crate's own re-exports
    /// of a CUDA crate: `crate::backend::cudarc::driver` is `cudarc::driver`).
    fn resolve(&self, segments: &[String]) -> Vec<String> {
        if let Some(reexported) = through_reexport(segments) {
            return reexported;
        }
        match segments.first().and_then(|f| self.imports.get(f)) {
            Some(full) => full.iter().chain(&segments[1..]).cloned().collect(),
            None => segments.to_vec(),
        }
    }

    fn path_fact(&mut self, idents: &[&proc_macro2::Ident]) {
        if idents.len() < 2 {
            return;
        }
        let segments: Vec<String> = idents.iter().map(|i| i.to_string()).collect();
        let local = matches!(segments[0].as_str(), "self" | "super" | "crate" | "Self");
        if local && through_reexport(&segments).is_none() {
            return;
        }
        let start = self.span(idents[0].span()).start;
        let end = self.span(idents[idents.len() - 1].span()).end;
        let resolved = self.resolve(&segments);
        self.qualified(resolved, segments.join("::"), start..end);
    }

    fn segments(path: &syn::Path) -> Vec<String> {
        path.segments.iter().map(|s| s.ident.to_string()).collect()
    }
}

/// Crates whose values are CUDA handles, and whose re-export through the crate's own modules
/// (`pub use cudarc;` in `backend.rs`, then `crate::backend::cudarc::…`) is followed.
const CUDA_CRATES: &[&str] = &[
    "cudarc",
    "cust",
    "cust_core",
    "cust_raw",
    "rustacuda",
    "rustacuda_core",
    "cuda_sys",
    "cuda_driver_sys",
    "cuda_runtime_sys",
    "cuda_std",
    "ug_cuda",
];

fn is_cuda_crate(segment: &str) -> bool {
    CUDA_CRATES.contains(&segment)
}

/// `crate::backend::cudarc::driver::CudaSlice` → `cudarc::driver::CudaSlice`: a path inside the
/// crate (`crate::`, `self::`, `super::`) that reaches a CUDA crate through a re-export.
fn through_reexport(segments: &[String]) -> Option<Vec<String>> {
    let first = segments.first()?;
    if !matches!(first.as_str(), "self" | "super" | "crate") {
        return None;
    }
    let at = segments.iter().position(|s| is_cuda_crate(s))?;
    Some(segments[at..].to_vec())
}

/// The span of a string literal's content (without its quotes), when it is a plain `"…"`.
fn inner_span(span: &Range<usize>) -> Range<usize> {
    if span.len() >= 2 {
        span.start + 1..span.end - 1
    } else {
        span.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;

    fn facts(text: &str) -> Vec<(String, String)> {
        let e = extract(text);
        e.facts
            .iter()
            .map(|f| {
                let key = match &f.kind {
                    FactKind::Qualified(s) => s.join("::"),
                    FactKind::Keys(k) => k[0].clone(),
                    _ => String::new(),
                };
                (key, text[f.span.clone()].to_string())
            })
            .collect()
    }

    #[test]
    fn paths_resolved_through_imports() {
        let text = "// use cudarc::driver::CudaDevice;\nuse cudarc::driver::{CudaDevice, LaunchConfig};\nuse candle_core::Device;\nuse tch as torch;\nfn main() {\n    let d = CudaDevice::new(0).unwrap();\n    let c = Device::new_cuda(0)?;\n    let t = torch::Device::Cuda(0);\n    let s = \"cudarc::driver::CudaDevice\";\n    println!(\"{:?}\", Device::cuda_if_available(0));\n}\n";
        let f = facts(text);
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && b == w);
        assert!(has("cudarc::driver::CudaDevice", "CudaDevice"), "{f:?}");
        assert!(has("cudarc::driver::CudaDevice::new", "CudaDevice::new"));
        assert!(has("candle_core::Device::new_cuda", "Device::new_cuda"));
        assert!(has("tch::Device::Cuda", "torch::Device::Cuda"));
        assert!(has(
            "candle_core::Device::cuda_if_available",
            "Device::cuda_if_available"
        ));
        assert!(!f.iter().any(|(_, w)| w.contains("//") || w.contains('"')));
    }

    #[test]
    fn build_scripts() {
        let text = "use std::process::Command;\nfn main() {\n    let cuda = std::env::var(\"CUDA_HOME\").unwrap();\n    let mut b = cc::Build::new();\n    b.cuda(true).flag(\"-gencode\").flag(\"arch=compute_80,code=sm_80\").file(\"k.cu\");\n    cc::Build::new().cuda(false);\n    Command::new(\"nvcc\").arg(\"--version\");\n    println!(\"cargo:rustc-link-lib=dylib=cudart\");\n    println!(\"cargo::rerun-if-env-changed=CUDA_PATH\");\n}\n#[kernel]\nfn not_cuda() {}\n";
        let f = facts(text);
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && b == w);
        assert!(has("env:CUDA_HOME", "CUDA_HOME"), "{f:?}");
        assert!(has("cc::Build::cuda", "cuda"));
        assert_eq!(f.iter().filter(|(k, _)| k == "cc::Build::cuda").count(), 1);
        assert!(has("flag:-gencode", "-gencode"));
        assert!(has("command:nvcc", "nvcc"));
        assert!(has("link-lib:cudart", "cudart"));
        assert!(has("env:CUDA_PATH", "CUDA_PATH"));
        assert!(!f.iter().any(|(k, _)| k.contains("kernel")));
    }

    #[test]
    fn rust_cuda_kernels() {
        let text = "\u{feff}use cuda_std::prelude::*;\n#[kernel]\npub unsafe fn add(a: &[f32]) { let i = thread::index_1d(); }\n";
        let f = facts(text);
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && b == w);
        assert!(has("cuda_std::kernel", "kernel"), "{f:?}");
        assert!(has("cuda_std::prelude", "cuda_std::prelude::*"));
    }

    #[test]
    fn methods_on_cuda_values() {
        let text = r#"use std::sync::Arc;
use cudarc::driver::{CudaDevice, LaunchConfig};
struct Gpu { dev: Arc<CudaDevice> }
impl Gpu {
    fn zeros(&self, n: usize) { let z = self.dev.alloc_zeros::<f32>(n).unwrap(); z.len(); }
}
fn run(s: &Arc<cudarc::driver::CudaStream>) -> Result<(), ()> {
    let dev = CudaDevice::new(0)?;
    dev.load_ptx(ptx, "m", &["k"])?;
    let a = dev.htod_sync_copy(&v)?;
    let f = dev.get_func("m", "k").unwrap();
    unsafe { f.launch(LaunchConfig::for_num_elems(4), (&a,)) }?;
    s.synchronize();
    let ctx = cudarc::driver::CudaContext::new(0)?;
    let st: Arc<cudarc::driver::CudaStream> = ctx.default_stream();
    let dev = Vec::new();
    dev.launch();
    Ok(())
}
struct Launcher;
impl Launcher { fn launch(&self) {} }
fn other(l: Launcher) { l.launch(); let b = Launcher; b.alloc_zeros(3); }
"#;
        let f = facts(text);
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && b == w);
        assert!(
            has("cudarc::driver::CudaDevice::alloc_zeros", "alloc_zeros"),
            "{f:?}"
        );
        assert!(has("cudarc::driver::CudaSlice::len", "len"), "{f:?}");
        assert!(has("cudarc::driver::CudaDevice::load_ptx", "load_ptx"));
        assert!(has(
            "cudarc::driver::CudaDevice::htod_sync_copy",
            "htod_sync_copy"
        ));
        assert!(has("cudarc::driver::CudaDevice::get_func", "get_func"));
        assert!(has("cudarc::driver::CudaFunction::launch", "launch"));
        assert!(has(
            "cudarc::driver::CudaStream::synchronize",
            "synchronize"
        ));
        assert!(
            !f.iter()
                .any(|(k, _)| k.ends_with("::unwrap") || k.ends_with("::clone"))
        );
        let launches = f.iter().filter(|(_, w)| w == "launch").count();
        assert_eq!(launches, 1, "{f:?}");
        assert!(!f.iter().any(|(k, _)| k.contains("Launcher")));
        assert_eq!(f.iter().filter(|(_, w)| w == "alloc_zeros").count(), 1);
    }

    #[test]
    fn reexports_through_the_crate() {
        let text = "pub use cudarc;\nuse crate::backend::cudarc::driver::CudaSlice;\nuse super::cudarc::driver::{self as drv, CudaDevice};\nuse crate::util::helpers;\nfn f(x: CudaSlice<f32>) { let d = crate::backend::cudarc::driver::CudaDevice::new(0); x.len(); }\n";
        let f = facts(text);
        let has = |k: &str, w: &str| f.iter().any(|(a, b)| a == k && b == w);
        assert!(has("cudarc", "cudarc"), "{f:?}");
        assert!(has(
            "cudarc::driver::CudaSlice",
            "crate::backend::cudarc::driver::CudaSlice"
        ));
        assert!(has("cudarc::driver::CudaDevice", "CudaDevice"));
        assert!(has(
            "cudarc::driver::CudaDevice::new",
            "crate::backend::cudarc::driver::CudaDevice::new"
        ));
        assert!(has("cudarc::driver::CudaSlice::len", "len"));
        assert!(!f.iter().any(|(k, _)| k.contains("helpers")));
    }

    #[test]
    fn feature_switches() {
        let text = "#[cfg(feature = \"cuda\")]\nmod cuda;\n#[cfg(not(feature = \"cudnn\"))]\nfn a() {}\n#[cfg_attr(all(feature = \"nccl\", unix), derive(Debug))]\nstruct S;\nfn b() -> bool { cfg!(feature = \"cuda-12020\") }\n/// #[cfg(feature = \"cuda\")]\nfn c() {}\n";
        let f = facts(text);
        let keys: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "cfg-feature:cuda",
                "cfg-feature:nccl",
                "cfg-feature:cuda-12020"
            ]
        );
        assert_eq!(f[0].1, "feature = \"cuda\"");
    }

    #[test]
    fn cuda_source_in_strings() {
        let text = "use cudarc::nvrtc::compile_ptx;\nconst K: &str = r#\"\nextern \"C\" __global__ void add(float *a) { a[threadIdx.x] += 1.0f; }\n\"#;\nfn f() {\n    let p = compile_ptx(\"__device__ float g(float x) { return __expf(x); }\\n\").unwrap();\n    let q = include_str!(\"kernels/scale.cu\");\n    let s = \"void not_cuda() {}\";\n}\n";
        let e = extract(text);
        let cuda: Vec<(&str, &str)> = e
            .facts
            .iter()
            .filter(|f| f.lang == Some(Lang::Cuda))
            .map(|f| (f.text.as_str(), &text[f.span.clone()]))
            .collect();
        assert!(
            cuda.iter()
                .any(|(t, w)| *t == "__global__" && *w == "__global__"),
            "{cuda:?}"
        );
        assert!(
            cuda.iter()
                .any(|(t, w)| *t == "threadIdx" && *w == "threadIdx")
        );
        assert!(cuda.iter().any(|(t, w)| *t == "__expf" && *w == "__expf"));
        assert!(!cuda.iter().any(|(t, _)| t.contains("not_cuda")));
        let f = facts(text);
        assert!(
            f.iter()
                .any(|(k, w)| k == "cuda-source:scale.cu" && w == "kernels/scale.cu")
        );
    }

    #[test]
    fn unparsable_files_are_scanned_by_tokens() {
        let e = extract("fn main( { cudarc::driver::result::init() }");
        assert!(e.has_parse_errors);
        let e = extract("fn main() { let x = cudarc::driver::result::init(); } fn ()");
        assert!(
            e.facts
                .iter()
                .any(|f| f.text == "cudarc::driver::result::init")
        );
    }
}
