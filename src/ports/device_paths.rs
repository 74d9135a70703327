//! Python device paths besides CUDA (`torch_xla`, `torch_neuronx`): a file that reaches one
//! already runs on its targets, so routing a use through it is a mechanical change.

use super::FilePorts;
use super::tree::{ExistingPortsReport, Judged};
use crate::finding::{Cover, ExistingPort, Layer};
use crate::portability::Effort;
use crate::rule::RuleSet;

/// Lowers the effort of a Python hit whose file also reaches a non-CUDA device path.
pub(super) fn cover_by_device_paths(
    j: &mut Judged,
    file: &FilePorts,
    rules: &RuleSet,
    report: &mut ExistingPortsReport,
) {
    for &(i, line) in &file.device_paths {
        let dp = &rules.ports.device_paths[i];
        if !dp.libraries.contains(&j.rule.library) {
            continue;
        }
        let evidence = format!("{} at {}:{line}", dp.what, j.path);
        let mut covered = Vec::new();
        let mut portability = j.portability().clone();
        for &t in &dp.targets {
            // The project already runs on the target through that path: what is left is routing
            // this use through it, a mechanical change.
            let port = &mut portability.0[t.index()];
            if port.effort > Effort::Automatic {
                port.effort = Effort::Automatic;
                port.note = Some(format!(
                    "the project already has a {evidence}: route this use through it"
                ));
                covered.push(t);
            }
        }
        if covered.is_empty() {
            continue;
        }
        *report.covered.entry(Layer::DevicePath).or_default() += 1;
        match &mut j.cover {
            Some(Cover {
                portability: p,
                port,
            }) => {
                *p = portability;
                port.targets.extend(covered);
                port.evidence.push_str(&format!("; {evidence}"));
            }
            None => {
                j.cover = Some(Cover {
                    portability,
                    port: ExistingPort {
                        layer: Layer::DevicePath,
                        evidence,
                        targets: covered,
                    },
                })
            }
        }
    }
}
