//! The docker (podman, nvidia-docker) command line: the NVIDIA runtime, `--gpus`, the image,
//! and where the command run in the container starts.

use super::tokenizer::Word;
use crate::lang::manifest::{Out, image_key};

/// `docker run|create|pull|exec`: `--runtime=nvidia`, `--gpus`, and the image; the index in
/// `args` of the command run in the container, if any.
pub(super) fn docker(args: &[Word], out: &mut Out) -> Option<usize> {
    let sub = args.first()?;
    let sub = sub.value.text.as_str();
    if !matches!(sub, "run" | "create" | "pull" | "exec") {
        return None;
    }
    let mut i = 1;
    while i < args.len() {
        let w = &args[i];
        let v = w.value.text.as_str();
        if let Some(opt) = v.strip_prefix("--").or_else(|| v.strip_prefix('-')) {
            let (name, inline) = match opt.split_once('=') {
                Some((n, val)) => (n, Some(val.to_string())),
                None => (opt, None),
            };
            let value = match inline {
                Some(val) => Some(val),
                None if option_takes_value(name) => {
                    i += 1;
                    args.get(i).map(|n| n.value.text.clone())
                }
                None => None,
            };
            match (name, value) {
                ("runtime", Some(rt)) => out.entry(
                    v,
                    w.raw.clone(),
                    vec![format!("container-runtime:{}", rt.to_ascii_lowercase())],
                ),
                ("gpus", value) => out.entry(
                    v,
                    w.raw.clone(),
                    vec![
                        format!("compose-gpus:{}", value.unwrap_or_default()),
                        "compose-gpus".into(),
                    ],
                ),
                _ => {}
            }
        } else {
            if sub != "exec" && !v.contains('$') && !v.is_empty() {
                out.entry(v, w.raw.clone(), vec![image_key(v)]);
            }
            return (sub != "pull" && i + 1 < args.len()).then_some(i + 1);
        }
        i += 1;
    }
    None
}

/// Whether the `docker run`/`create`/`exec` option `name` (without dashes) takes a value.
fn option_takes_value(name: &str) -> bool {
    matches!(
        name,
        "e" | "v"
            | "p"
            | "w"
            | "u"
            | "m"
            | "h"
            | "l"
            | "c"
            | "env"
            | "volume"
            | "publish"
            | "name"
            | "workdir"
            | "user"
            | "network"
            | "net"
            | "entrypoint"
            | "gpus"
            | "runtime"
            | "shm-size"
            | "ipc"
            | "memory"
            | "cpus"
            | "device"
            | "mount"
            | "label"
            | "env-file"
            | "platform"
            | "pull"
            | "hostname"
            | "add-host"
            | "cap-add"
            | "cap-drop"
            | "ulimit"
            | "security-opt"
            | "tmpfs"
            | "log-driver"
            | "restart"
            | "cidfile"
            | "pid"
            | "uts"
            | "group-add"
            | "expose"
            | "link"
            | "volumes-from"
            | "storage-opt"
            | "cpuset-cpus"
            | "memory-swap"
            | "stop-signal"
            | "detach-keys"
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::{has, keys};

    #[test]
    fn docker_cli() {
        let f = keys(
            "docker run --runtime=nvidia --rm -e X=1 --gpus all nvcr.io/nvidia/pytorch:24.01-py3 python -c 1\n",
        );
        assert!(
            has(&f, "container-runtime:nvidia", "--runtime=nvidia"),
            "{f:?}"
        );
        assert!(has(&f, "compose-gpus:all", "--gpus"));
        assert!(has(
            &f,
            "image:nvcr.io/nvidia/pytorch:24.01-py3",
            "nvcr.io/nvidia/pytorch:24.01-py3"
        ));
        assert!(!f.iter().any(|(k, _)| k.starts_with("image:python")));
    }
}
