//! The analysis threads: one pool for the main pass (the walk's entries, largest first) and
//! for files parsed after all. Threads of our own with a large stack, because parsers (syn, serde)
//! recurse on nested input and a stack overflow aborts the process instead of unwinding into
//! `catch_unwind`.

use std::sync::Mutex;

/// Stack size of the analysis threads.
const ANALYSIS_STACK: usize = 64 * 1024 * 1024;

/// Runs `work` on `threads` analysis threads, each with its own state from `init`, on the items
/// `next` hands out until it returns `None`; each thread's state goes to `done` at the end.
/// Returns once every thread has finished.
pub(super) fn run<S, I>(
    threads: usize,
    init: impl Fn() -> S + Sync,
    next: impl Fn() -> Option<I> + Sync,
    work: impl Fn(&mut S, I) + Sync,
    done: impl Fn(S) + Sync,
) {
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            std::thread::Builder::new()
                .name("cuda-audit-scan".into())
                .stack_size(ANALYSIS_STACK)
                .spawn_scoped(scope, || {
                    let mut state = init();
                    while let Some(item) = next() {
                        work(&mut state, item);
                    }
                    done(state);
                })
                .expect("the scan threads start");
        }
    })
}

/// Hands out the items of a list, one at a time, to the threads of [`run`].
pub(super) struct Queue<I>(Mutex<std::vec::IntoIter<I>>);

impl<I> Queue<I> {
    pub(super) fn new(items: Vec<I>) -> Self {
        Queue(Mutex::new(items.into_iter()))
    }

    pub(super) fn next(&self) -> Option<I> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).next()
    }
}
