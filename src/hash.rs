//! Hash maps and sets with a fast, fixed-seed hasher (foldhash) for the hot paths: rule
//! lookups per token, summaries over hundreds of thousands of findings. Nothing hashed here is
//! chosen by an attacker in a way that matters: the worst case is a slower scan, never a wrong
//! result, and a fixed seed keeps runs reproducible.

pub type FastSet<T> = std::collections::HashSet<T, foldhash::fast::FixedState>;
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

/// Feeds `parts` to a SHA-256, each preceded by its length, so that no two lists of parts hash
/// alike by running together (`["ab", "c"]` and `["a", "bc"]`). The keys and digests of the
/// result cache, the report memo and the rules' identity are all built this way.
pub fn update_parts<'a>(h: &mut sha2::Sha256, parts: impl IntoIterator<Item = &'a [u8]>) {
    use sha2::Digest;
    for part in parts {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
}
