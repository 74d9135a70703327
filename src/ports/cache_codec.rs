//! The per-file port data in the result cache ([`crate::cache`]).

use super::{BranchLines, BuildCall, FilePorts, IncludeSwitch, RegionLines, Shim};
use crate::codec::{codec_enum, codec_struct};
use crate::lang::ShimForm;

const FORMS: [ShimForm; 4] = [
    ShimForm::Define,
    ShimForm::Alias,
    ShimForm::Typedef,
    ShimForm::Wrapper,
];

codec_enum! { ShimForm => FORMS }

codec_struct!(BranchLines {
    start,
    end,
    idents,
    negated,
    is_else,
    stub,
    compares_version
});
codec_struct!(Shim {
    cuda,
    hip,
    path,
    line,
    form
});
codec_struct!(IncludeSwitch {
    include,
    idents,
    negated,
    path,
    line
});
codec_struct!(RegionLines {
    first,
    last,
    line,
    condition
});
codec_struct!(BuildCall {
    kind,
    hipified,
    sources,
    line
});
codec_struct!(FilePorts {
    chains,
    shims,
    switches,
    includes,
    device_paths,
    builds,
    build_sources,
    rocm_build,
    rocm_regions
});
