//! A progress line on stderr for scans that take more than a moment: the current phase, files
//! done, elapsed time. Only on a terminal, never with `--quiet` or `--no-progress`, and never on
//! stdout, so reports are byte-for-byte the same with or without it.
//!
//! Off the hot path: the scanner bumps one relaxed atomic per file ([`file_done`]); a ticker
//! thread reads it and redraws at most ten times a second, after a short delay so quick scans
//! print nothing. The counter is process-wide because the scanner's worker closures have no
//! handle to pass one through; only the display reads it, as a difference from its value at
//! [`Progress::start`].

use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

static FILES_DONE: AtomicUsize = AtomicUsize::new(0);

/// Nothing is drawn for scans shorter than this.
const DELAY: Duration = Duration::from_millis(400);
/// The fastest redraw rate.
const INTERVAL: Duration = Duration::from_millis(100);

/// Records that one more file was scanned or skipped. Called once per walked file.
pub fn file_done() {
    FILES_DONE.fetch_add(1, Ordering::Relaxed);
}

/// Whether to show progress: on a terminal, not asked to be quiet, and not a dumb terminal.
pub fn wanted(suppressed: bool) -> bool {
    !suppressed
        && std::io::stderr().is_terminal()
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// The progress line; dropping it stops the ticker and erases the line.
pub struct Progress {
    running: Option<Running>,
}

struct Running {
    stop: Sender<()>,
    phase: Arc<Mutex<Cow<'static, str>>>,
    ticker: JoinHandle<()>,
}

impl Progress {
    /// Starts the ticker when `enabled` (see [`wanted`]); otherwise does nothing at all.
    pub fn start(enabled: bool) -> Progress {
        if !enabled {
            return Progress { running: None };
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let phase = Arc::new(Mutex::new(Cow::Borrowed("scanning")));
        let shown = Arc::clone(&phase);
        let base = FILES_DONE.load(Ordering::Relaxed);
        let started = Instant::now();
        let ticker = std::thread::Builder::new()
            .name("cuda-audit-progress".into())
            .spawn(move || tick(&stopped, &shown, base, started));
        match ticker {
            Ok(ticker) => Progress {
                running: Some(Running {
                    stop,
                    phase,
                    ticker,
                }),
            },
            // No thread, no progress line: the scan itself must not fail over it.
            Err(_) => Progress { running: None },
        }
    }

    /// Names what happens now ("scanning", "writing the report", "commit 3/50").
    pub fn phase(&self, phase: impl Into<Cow<'static, str>>) {
        if let Some(r) = &self.running {
            if let Ok(mut p) = r.phase.lock() {
                *p = phase.into();
            }
        }
    }

    /// Stops the ticker and erases the line (also done on drop).
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            let _ = r.stop.send(());
            let _ = r.ticker.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}

fn tick(
    stopped: &mpsc::Receiver<()>,
    phase: &Mutex<Cow<'static, str>>,
    base: usize,
    started: Instant,
) {
    let mut drawn = false;
    let mut wait = DELAY;
    // A message or a dropped sender both mean stop; only a timeout means redraw.
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(wait) {
        wait = INTERVAL;
        let files = FILES_DONE.load(Ordering::Relaxed).saturating_sub(base);
        let phase = phase.lock().map_or(Cow::Borrowed("working"), |p| p.clone());
        let line = render(&phase, files, started.elapsed());
        let mut err = std::io::stderr().lock();
        // \r and "erase line": the line is redrawn in place.
        if write!(err, "\r\x1b[2K{line}")
            .and_then(|_| err.flush())
            .is_err()
        {
            return;
        }
        drawn = true;
    }
    if drawn {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K").and_then(|_| err.flush());
    }
}

/// The text of the progress line.
pub fn render(phase: &str, files: usize, elapsed: Duration) -> String {
    format!(
        "cuda-audit: {phase}… {files} file{} ({:.1}s)",
        if files == 1 { "" } else { "s" },
        elapsed.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_line() {
        assert_eq!(
            render("scanning", 1234, Duration::from_millis(5230)),
            "cuda-audit: scanning… 1234 files (5.2s)"
        );
    }

    #[test]
    fn disabled_progress_starts_no_thread() {
        let p = Progress::start(false);
        assert!(p.running.is_none());
        p.finish();
    }

    #[test]
    fn a_started_ticker_stops_promptly() {
        let p = Progress::start(true);
        p.phase("writing the report");
        let t = Instant::now();
        p.finish();
        assert!(t.elapsed() < Duration::from_secs(1));
    }
}
