//! Embeds every file under `rules/` into the binary, so `cuda-audit` needs no data files at run
//! time. Generates `$OUT_DIR/builtin_rules.rs` with `BUILTIN_RULES: &[(path, contents)]`, sorted.
//! Also sets `cfg(no_chromium)` when the browser of the HTML report's test is missing.

use sha2::Digest;
use std::path::{Path, PathBuf};

fn main() {
    browser_cfg();
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("rules");
    println!("cargo:rerun-if-changed=rules");
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut out = String::from("pub static BUILTIN_RULES: &[(&str, &str)] = &[\n");
    // Also the digest `rule::rules_identity` starts from, computed here rather than at every start.
    let mut digest = sha2::Sha256::new();
    for path in &files {
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        println!("cargo:rerun-if-changed={}", path.display());
        out.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
        let text = std::fs::read(path).unwrap();
        for part in [rel.as_bytes(), &text] {
            digest.update((part.len() as u64).to_le_bytes());
            digest.update(part);
        }
    }
    out.push_str("];\n");
    let digest = digest.finalize();
    out.push_str(&format!(
        "pub static BUILTIN_DIGEST: [u8; 32] = {:?};\n",
        digest.as_slice()
    ));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(out_dir.join("builtin_rules.rs"), out).unwrap();
    // The same files parsed now, so that start-up does not parse TOML (src/rule/compiled.rs).
    std::fs::write(out_dir.join("builtin_rules.bin"), compiled::encode(&files)).unwrap();
}

/// A schema-free binary form of parsed TOML documents, with every key's and value's span: the
/// rule loader deserialises `RawRuleFile`s from it exactly as from the TOML text. Layout
/// (integers little-endian): per file `value`; a value is `start:u32 end:u32 tag:u8 payload`
/// with tag 0 string (`len:u32` bytes), 1 integer (`i64`), 2 float (`f64`), 3 boolean (`u8`),
/// 4 array (`n:u32 bytes:u32` then n values), 5 table (`n:u32 bytes:u32` then n × (`start:u32
/// end:u32` key string, value)), `bytes` being the length of what follows it.
/// A file that cannot be encoded (a TOML error, a datetime) is written as tag 255: the loader
/// then parses its text.
mod compiled {
    use toml::Spanned;
    use toml::de::{DeTable, DeValue};

    pub fn encode(files: &[std::path::PathBuf]) -> Vec<u8> {
        let mut out = Vec::new();
        for path in files {
            let text = std::fs::read_to_string(path).unwrap();
            let mut buf = Vec::new();
            match DeTable::parse(&text) {
                Ok(table) => {
                    let span = table.span();
                    let value = Spanned::new(span, DeValue::Table(table.into_inner()));
                    if value_into(&value, &mut buf).is_err() {
                        buf.clear();
                    }
                }
                Err(_) => buf.clear(),
            }
            if buf.is_empty() {
                buf.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 255]);
            }
            out.extend_from_slice(&buf);
        }
        out
    }

    fn u32_into(n: usize, out: &mut Vec<u8>) {
        out.extend_from_slice(&u32::try_from(n).unwrap().to_le_bytes());
    }

    /// Writes at `at` the length of what follows the 4 bytes there.
    fn patch_len(out: &mut [u8], at: usize) {
        let len = u32::try_from(out.len() - at - 4).unwrap().to_le_bytes();
        out[at..at + 4].copy_from_slice(&len);
    }

    fn str_into(s: &str, out: &mut Vec<u8>) {
        u32_into(s.len(), out);
        out.extend_from_slice(s.as_bytes());
    }

    fn value_into(value: &Spanned<DeValue<'_>>, out: &mut Vec<u8>) -> Result<(), ()> {
        let span = value.span();
        u32_into(span.start, out);
        u32_into(span.end, out);
        match value.get_ref() {
            DeValue::String(s) => {
                out.push(0);
                str_into(s, out);
            }
            DeValue::Integer(i) => {
                out.push(1);
                let digits = i.as_str().replace('_', "");
                let n = i64::from_str_radix(&digits, i.radix()).map_err(|_| ())?;
                out.extend_from_slice(&n.to_le_bytes());
            }
            DeValue::Float(f) => {
                out.push(2);
                let x: f64 = f.as_str().replace('_', "").parse().map_err(|_| ())?;
                out.extend_from_slice(&x.to_le_bytes());
            }
            DeValue::Boolean(b) => out.extend_from_slice(&[3, u8::from(*b)]),
            DeValue::Datetime(_) => return Err(()),
            DeValue::Array(items) => {
                out.push(4);
                u32_into(items.len(), out);
                let at = out.len();
                u32_into(0, out);
                for item in items.iter() {
                    value_into(item, out)?;
                }
                patch_len(out, at);
            }
            DeValue::Table(table) => {
                out.push(5);
                u32_into(table.len(), out);
                let at = out.len();
                u32_into(0, out);
                for (key, item) in table.iter() {
                    let span = key.span();
                    u32_into(span.start, out);
                    u32_into(span.end, out);
                    str_into(key.get_ref(), out);
                    value_into(item, out)?;
                }
                patch_len(out, at);
            }
        }
        Ok(())
    }
}

/// `cfg(no_chromium)` when the headless browser that tests/reports.rs renders the HTML report in
/// (`$CUDA_AUDIT_CHROMIUM`, else Debian's /usr/bin/chromium) is not installed: that test is then
/// marked ignored, which `cargo test` shows. .ci/run runs ignored tests too, so there the missing
/// browser fails the test instead.
///
/// This script runs again when the browser is installed or removed, and only then: a
/// `rerun-if-changed` path that does not exist would run it on every build, so a missing
/// browser's nearest existing directory is watched instead (installing the browser changes it).
fn browser_cfg() {
    println!("cargo:rustc-check-cfg=cfg(no_chromium)");
    println!("cargo:rerun-if-env-changed=CUDA_AUDIT_CHROMIUM");
    let browser = std::env::var_os("CUDA_AUDIT_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if browser.exists() {
        println!("cargo:rerun-if-changed={}", browser.display());
        return;
    }
    println!("cargo:rustc-cfg=no_chromium");
    if let Some(dir) = browser.ancestors().skip(1).find(|d| d.is_dir()) {
        println!("cargo:rerun-if-changed={}", dir.display());
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}
