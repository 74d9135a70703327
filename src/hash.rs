//! Hash maps and sets with a fast, fixed-seed hasher (foldhash) for the hot paths: rule
//! lookups per token, summaries over hundreds of thousands of findings. Nothing hashed here is
//! chosen by an attacker in a way that matters: the worst case is a slower scan, never a wrong
//! result, and a fixed seed keeps runs reproducible.

pub type FastSet<T> = std::collections::HashSet<T, foldhash::fast::FixedState>;
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
