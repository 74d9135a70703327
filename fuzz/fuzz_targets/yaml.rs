//! YAML: compose files, GitHub workflows, Kubernetes manifests, Helm templates, conda recipes:
//! arbitrary bytes in, findings out, no panic. `cargo fuzz run yaml` (CONTRIBUTING.md).
#![no_main]

use cuda_audit::lang::Lang;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (lang, name) = cuda_audit_fuzz::pick(
        data,
        &[
            (Lang::Compose, "docker-compose.yml"),
            (Lang::GithubWorkflow, ".github/workflows/ci.yml"),
            (Lang::Yaml, "deployment.yaml"),
            (Lang::Yaml, "templates/deployment.yaml"),
            (Lang::Yaml, "meta.yaml"),
        ],
    );
    cuda_audit_fuzz::scan(data, lang, name);
});
