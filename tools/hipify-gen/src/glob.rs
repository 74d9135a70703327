//! A minimal glob matcher for identifiers: `*` (any run), `?` (one character) and `[...]` classes
//! with ranges (`[A-Z]`) and negation (`[!a]`). The same subset that cuda-audit's rule patterns use.

pub fn matches(pattern: &str, text: &str) -> bool {
    match_at(pattern.as_bytes(), text.as_bytes())
}

fn match_at(p: &[u8], t: &[u8]) -> bool {
    match p.first() {
        None => t.is_empty(),
        Some(b'*') => (0..=t.len()).any(|skip| match_at(&p[1..], &t[skip..])),
        Some(b'?') => !t.is_empty() && match_at(&p[1..], &t[1..]),
        Some(b'[') => {
            let Some(close) = p.iter().skip(2).position(|&c| c == b']').map(|i| i + 2) else {
                return t.first() == Some(&b'[') && match_at(&p[1..], &t[1..]);
            };
            let Some(&c) = t.first() else { return false };
            let mut class = &p[1..close];
            let negate = matches!(class.first(), Some(b'!' | b'^'));
            if negate {
                class = &class[1..];
            }
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= class[i] <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != negate && match_at(&p[close + 1..], &t[1..])
        }
        Some(&c) => t.first() == Some(&c) && match_at(&p[1..], &t[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs() {
        assert!(matches("cublas[A-Z]*", "cublasSgemm"));
        assert!(!matches("cublas[A-Z]*", "cublas_x"));
        assert!(matches("__v[a-z]*[24]", "__vabsdiffu4"));
        assert!(!matches("__v[a-z]*[24]", "__vfoo"));
        assert!(matches("__pm[0-9]", "__pm3"));
        assert!(matches("*half*", "__float2half_rn"));
        assert!(matches("exact", "exact"));
        assert!(!matches("exact", "exactly"));
        assert!(matches("a?c", "abc"));
        assert!(matches("[!a]b", "cb"));
    }
}
