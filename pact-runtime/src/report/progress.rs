//! Live output while a run verifies: each interaction's report line as it completes, and now
//! and then how far the run is.

use std::io::Write as _;
use std::time::{Duration, Instant};

use super::console::{colour_wanted, Palette};
use super::InteractionResult;

/// How often a long run says how far it is; a run shorter than this never does.
const EVERY: Duration = Duration::from_secs(5);

/// Prints a run's progress. The lines go through `println!`, so `cargo test` shows them with
/// `--nocapture` (and with a failing test's output); the `[done/total]` counts go straight to
/// the process's stderr, past the test harness's capture, so a long CI run shows it is moving.
/// They are whole lines at most every few seconds: no carriage returns, nothing to flood a log.
#[derive(Debug)]
pub struct Progress {
    total: usize,
    done: usize,
    failed: usize,
    started: Instant,
    last_count: Instant,
    pact: Option<String>,
    palette: Palette,
}

impl Default for Progress {
    fn default() -> Progress {
        Progress::new()
    }
}

impl Progress {
    /// Progress that prints to this process's stdout and stderr.
    pub fn new() -> Progress {
        let now = Instant::now();
        Progress {
            total: 0,
            done: 0,
            failed: 0,
            started: now,
            last_count: now,
            pact: None,
            palette: Palette { on: colour_wanted() },
        }
    }

    /// The run is about to verify `total` interactions.
    pub fn start(&mut self, total: usize) {
        self.total = total;
        self.started = Instant::now();
        self.last_count = self.started;
    }

    /// One interaction is done: print its line, and the count when it is time.
    pub fn completed(&mut self, result: &InteractionResult) {
        let mut lines = String::new();
        if self.pact.as_deref() != Some(result.pact_source.as_str()) {
            self.pact = Some(result.pact_source.clone());
            lines.push_str(&format!("\n  {} → {} ({})\n", result.consumer, result.provider, result.pact_source));
        }
        lines.push_str(&result.console_lines(self.palette));
        print!("{lines}");
        self.done += 1;
        self.failed += usize::from(result.fails_run());
        if let Some(count) = self.count_line(Instant::now()) {
            let _ = std::io::stderr().lock().write_all(count.as_bytes());
        }
    }

    /// `[done/total]` when the last count (or the start) is [`EVERY`] ago.
    fn count_line(&mut self, now: Instant) -> Option<String> {
        if now.duration_since(self.last_count) < EVERY || self.done >= self.total {
            return None;
        }
        self.last_count = now;
        let failed = if self.failed > 0 { format!(", {} failed", self.failed) } else { String::new() };
        Some(format!(
            "[{}/{}] verified in {:.0} s{failed}\n",
            self.done,
            self.total,
            now.duration_since(self.started).as_secs_f64()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_show_at_most_every_few_seconds_and_not_at_the_end() {
        let mut progress = Progress::new();
        progress.start(10_000);
        let start = progress.started;
        progress.done = 1234;
        assert_eq!(progress.count_line(start + Duration::from_secs(1)), None);
        assert_eq!(progress.count_line(start + EVERY).as_deref(), Some("[1234/10000] verified in 5 s\n"));
        assert_eq!(progress.count_line(start + EVERY + Duration::from_secs(1)), None);
        progress.failed = 2;
        assert_eq!(
            progress.count_line(start + EVERY * 2).as_deref(),
            Some("[1234/10000] verified in 10 s, 2 failed\n")
        );
        progress.done = 10_000;
        assert_eq!(progress.count_line(start + EVERY * 4), None, "the summary follows anyway");
    }
}
