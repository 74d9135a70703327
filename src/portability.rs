//! The porting vocabulary shared by rules, findings and reports: the three targets and the
//! four effort classes, and the per-target judgement a rule or symbol carries.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A platform a CUDA code base may be ported to.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// AMD GPUs through ROCm/HIP.
    Rocm,
    /// AWS Trainium/Inferentia through the Neuron SDK.
    Neuron,
    /// Google TPUs through XLA (JAX, PyTorch/XLA, Pallas).
    Tpu,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::Rocm, Target::Neuron, Target::Tpu];

    pub fn as_str(self) -> &'static str {
        match self {
            Target::Rocm => "rocm",
            Target::Neuron => "neuron",
            Target::Tpu => "tpu",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "rocm" => Ok(Target::Rocm),
            "neuron" => Ok(Target::Neuron),
            "tpu" => Ok(Target::Tpu),
            other => Err(format!(
                "unknown target `{other}` (expected rocm, neuron or tpu)"
            )),
        }
    }
}

/// How much work a finding costs on a target, from cheapest to dearest.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Effort {
    /// Runs unchanged.
    None,
    /// A mechanical translation exists (e.g. hipify's renames).
    Automatic,
    /// An equivalent exists, but a person must port the code.
    Manual,
    /// No equivalent: re-implement.
    Rewrite,
}

impl Effort {
    pub const ALL: [Effort; 4] = [
        Effort::None,
        Effort::Automatic,
        Effort::Manual,
        Effort::Rewrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Effort::None => "none",
            Effort::Automatic => "automatic",
            Effort::Manual => "manual",
            Effort::Rewrite => "rewrite",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Effort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The judgement for one target: effort, and where one exists, what to use instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Port {
    pub effort: Effort,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One [`Port`] per target, indexed by [`Target::index`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Portability(pub [Port; 3]);

impl Portability {
    pub fn get(&self, target: Target) -> &Port {
        &self.0[target.index()]
    }
}
