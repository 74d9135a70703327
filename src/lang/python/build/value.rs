//! The string algebra of build-source resolution: the values an expression may have (strings
//! relative to nothing, to the script directory or to the script itself, and lists of them),
//! how `+`, `os.path.join` and `dirname` combine them, and the path a value finally names.

/// Most alternative values (or list items) kept for one expression.
const MAX_ITEMS: usize = 256;

/// What a string value is relative to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Base {
    /// Nothing: the string as written (relative to the script directory when used as a path).
    Rel,
    /// The script's directory; `s` is what follows it (empty, or starting with `/`).
    Dir,
    /// The script itself (`__file__`); `s` is what follows it.
    File,
}

/// One possible string value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Sv {
    pub(super) base: Base,
    pub(super) s: String,
}

impl Sv {
    pub(super) fn rel(s: &str) -> Sv {
        Sv {
            base: Base::Rel,
            s: s.to_string(),
        }
    }
}

/// The value of an expression, as far as it is known.
#[derive(Debug)]
pub(super) enum V {
    /// A string, with its possible values.
    Strs(Vec<Sv>),
    /// A list (or tuple) of strings: the items known (possibly none).
    List(Vec<Sv>),
    Unknown,
}

/// Adds the items not there yet, keeping at most [`MAX_ITEMS`].
pub(super) fn push_unique(out: &mut Vec<Sv>, items: impl IntoIterator<Item = Sv>) {
    for i in items {
        if out.len() >= MAX_ITEMS {
            return;
        }
        if !out.contains(&i) {
            out.push(i);
        }
    }
}

/// Either value (a variable assigned twice, a conditional expression).
pub(super) fn union(a: V, b: V) -> V {
    match (a, b) {
        (V::Unknown, x) | (x, V::Unknown) => x,
        (V::Strs(mut a), V::Strs(b)) => {
            push_unique(&mut a, b);
            V::Strs(a)
        }
        (V::List(mut a), V::List(b)) => {
            push_unique(&mut a, b);
            V::List(a)
        }
        (V::List(a), V::Strs(_)) | (V::Strs(_), V::List(a)) => V::List(a),
    }
}

/// Every combination of `a` and `b` joined by `f` (dropping the `None`s).
pub(super) fn product(a: &[Sv], b: &[Sv], f: impl Fn(&Sv, &Sv) -> Option<Sv>) -> Vec<Sv> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            if let Some(v) = f(x, y) {
                push_unique(&mut out, [v]);
            }
        }
    }
    out
}

/// `a + b` on strings.
pub(super) fn concat(a: &Sv, b: &Sv) -> Option<Sv> {
    (b.base == Base::Rel).then(|| Sv {
        base: a.base,
        s: format!("{}{}", a.s, b.s),
    })
}

/// `os.path.join(a, b)`: an absolute `b` (or the script directory) starts over.
pub(super) fn join(a: &Sv, b: &Sv) -> Option<Sv> {
    if b.base != Base::Rel || b.s.starts_with('/') {
        return Some(b.clone());
    }
    let s = if a.base == Base::Rel && a.s.is_empty() {
        b.s.clone()
    } else if a.s.ends_with('/') || b.s.is_empty() && a.base == Base::Rel {
        format!("{}{}", a.s, b.s)
    } else {
        format!("{}/{}", a.s, b.s)
    };
    Some(Sv { base: a.base, s })
}

/// `os.path.dirname(a)`, `Path(a).parent`.
pub(super) fn parent(a: &Sv) -> Option<Sv> {
    match a.base {
        Base::File if a.s.is_empty() => Some(Sv {
            base: Base::Dir,
            s: String::new(),
        }),
        Base::File => None,
        Base::Dir | Base::Rel => {
            let trimmed = a.s.trim_end_matches('/');
            match trimmed.rsplit_once('/') {
                Some((head, _)) => Some(Sv {
                    base: a.base,
                    s: if head.is_empty() && a.base == Base::Rel {
                        "/".to_string()
                    } else {
                        head.to_string()
                    },
                }),
                // The script directory's parent is outside what the script names.
                None if a.base == Base::Dir => None,
                None => Some(Sv::rel("")),
            }
        }
    }
}

/// The path a value stands for, relative to the script directory; `None` when it is not one.
pub(super) fn normalize(v: &Sv) -> Option<String> {
    let rel = match v.base {
        Base::File => return None,
        Base::Dir if v.s.is_empty() || v.s.starts_with('/') => v.s.trim_start_matches('/'),
        // `this_dir + "x.cu"`: no separator, not a path in the directory.
        Base::Dir => return None,
        Base::Rel if v.s.starts_with('/') || v.s.starts_with('~') => return None,
        Base::Rel => v.s.as_str(),
    };
    if rel.chars().any(|c| c.is_control()) || rel.contains(":\\") {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// A string value with these alternatives (unknown when there are none).
pub(super) fn strs(a: Vec<Sv>) -> V {
    if a.is_empty() { V::Unknown } else { V::Strs(a) }
}
