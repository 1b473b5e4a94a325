//! The watchdog of a supervised run (see `Engine::verify_supervised`): the provider's functions
//! run on the run's own thread, with no hand-off, and the supervisor abandons that thread when
//! one of them overruns its bound, carrying the run on from a fresh thread.
//!
//! A runner thread marks each function call in its [`Watch`] (two uncontended lock operations);
//! the supervisor looks at the mark every tick. Whoever takes the mark first decides: the runner
//! when the function returned, the supervisor when it is overdue. An abandoned runner that gets
//! its function back never goes on (see [`run_inline`]).

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::FutureExt;

use super::{panic_message, Bounded};
use crate::report::Failure;

/// What a runner thread is doing, shared with its supervisor.
#[derive(Default)]
pub(crate) struct Watch {
    state: Mutex<WatchState>,
    /// Told when the runner finds it was abandoned: its thread then ends.
    abandoned: tokio::sync::Notify,
    /// The run's runtime, when the runner drives a runtime of its own: the provider's functions
    /// are polled in it (see [`on_run_runtime`]).
    run_runtime: Option<tokio::runtime::Handle>,
}

#[derive(Default)]
struct WatchState {
    /// The position in the run of the interaction the runner verifies now, and when it began.
    at: Option<(usize, Instant)>,
    /// The function running now: when its bound passes, and the failure it then causes.
    busy: Option<Busy>,
    abandoned: bool,
}

/// The interaction an abandoned runner was verifying, and why it failed.
pub(crate) struct Overdue {
    /// Its position in the run.
    pub(crate) position: usize,
    /// When the runner began it.
    pub(crate) started: Instant,
    pub(crate) failure: Failure,
}

struct Busy {
    deadline: Instant,
    timed_out: Box<dyn FnOnce() -> Failure + Send>,
}

impl Watch {
    /// The watch of a runner that drives a runtime of its own, apart from the run's `runtime`.
    pub(crate) fn apart_from(runtime: tokio::runtime::Handle) -> Watch {
        Watch { run_runtime: Some(runtime), ..Watch::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, WatchState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The runner begins the interaction at `position` of its run.
    pub(crate) fn begin(&self, position: usize) {
        self.lock().at = Some((position, Instant::now()));
    }

    /// When the function running now is more than `grace` past its bound, abandons the runner
    /// and answers its interaction's failure.
    pub(crate) fn abandon_if_overdue(&self, grace: Duration) -> Option<Overdue> {
        let mut state = self.lock();
        if state.busy.as_ref().is_none_or(|busy| Instant::now() < busy.deadline + grace) {
            return None;
        }
        let (position, started) = state.at?;
        let busy = state.busy.take()?;
        state.abandoned = true;
        Some(Overdue { position, started, failure: (busy.timed_out)() })
    }

    /// Resolves once the runner found that it was abandoned.
    pub(crate) async fn abandoned(&self) {
        self.abandoned.notified().await;
    }
}

thread_local! {
    /// The watch of the runner thread this is, if it is one.
    static RUNNER: std::cell::RefCell<Option<Arc<Watch>>> = const { std::cell::RefCell::new(None) };
}

/// Makes this thread a runner watched by `watch`: from now on [`super::run_bounded`] runs the
/// provider's functions on it.
pub(crate) fn become_runner(watch: Arc<Watch>) {
    RUNNER.with(|runner| *runner.borrow_mut() = Some(watch));
}

/// Whether this thread is a runner. A runner is its run's only caller of the provider's
/// functions (its supervisor holds the provider's lock for the whole run), and one abandoned
/// with a lock would hold it forever: the functions' own lock is not taken on it.
pub(crate) fn on_runner() -> bool {
    RUNNER.with(|runner| runner.borrow().is_some())
}

/// The watch of this thread, when it is a runner.
pub(super) fn current() -> Option<Arc<Watch>> {
    RUNNER.with(|runner| runner.borrow().clone())
}

/// Polls `future` with the run's `runtime` entered, when the runner drives a runtime of its own:
/// what the future spawns, and the timers and sockets it makes, belong to the run's runtime,
/// which outlives the runner, as they would in the test's own `async fn`.
async fn on_run_runtime<T>(runtime: Option<&tokio::runtime::Handle>, future: impl Future<Output = T>) -> T {
    match runtime {
        Some(runtime) => {
            let mut future = std::pin::pin!(future);
            std::future::poll_fn(move |cx| {
                let _entered = runtime.enter();
                future.as_mut().poll(cx)
            })
            .await
        }
        None => future.await,
    }
}

/// How long a runner busy-polls for the app's answer before it sleeps until woken. Waking a
/// sleeping thread costs more than a quick app takes to answer: on the 2-core CI VM, about
/// 35 µs a request, measured by the benchmark's whole run (0.135 ms an interaction sleeping,
/// 0.098 busy-polling).
const BUSY_POLL: Duration = Duration::from_micros(100);

thread_local! {
    /// Whether the app's last answer on this runner came within [`BUSY_POLL`]: only then is the
    /// next one busy-polled, so a slow app costs at most one wasted poll in a row.
    static APP_ANSWERS_QUICKLY: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

/// Awaits the app's answer to a request; on a runner, busy-polls it for up to [`BUSY_POLL`]
/// first (each poll also polls the runner's sockets) when the app's last answer came that fast.
pub(crate) async fn app_answer<T>(future: impl Future<Output = T>) -> T {
    if !on_runner() {
        return future.await;
    }
    let started = Instant::now();
    let mut future = std::pin::pin!(future);
    if APP_ANSWERS_QUICKLY.get() {
        loop {
            if let std::task::Poll::Ready(value) = futures::poll!(future.as_mut()) {
                return value;
            }
            if started.elapsed() >= BUSY_POLL {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
    let value = future.await;
    APP_ANSWERS_QUICKLY.set(started.elapsed() < BUSY_POLL);
    value
}

/// Runs `future` here, within `timeout`: an async function that overruns is dropped at its
/// bound, and one that blocks its thread is left to the supervisor, which fails its interaction
/// with `timed_out` and carries the run on elsewhere. If that happened, this never returns: the
/// runner's thread ends instead of going on beside its successor.
pub(super) async fn run_inline<T>(
    watch: &Watch,
    future: impl Future<Output = T>,
    timeout: Duration,
    timed_out: impl FnOnce() -> Failure + Send + 'static,
) -> Bounded<T> {
    watch.lock().busy = Some(Busy { deadline: Instant::now() + timeout, timed_out: Box::new(timed_out) });
    let outcome =
        std::panic::AssertUnwindSafe(tokio::time::timeout(timeout, on_run_runtime(watch.run_runtime.as_ref(), future)))
            .catch_unwind()
            .await;
    let abandoned = {
        let mut state = watch.lock();
        state.busy = None;
        state.abandoned
    };
    if abandoned {
        watch.abandoned.notify_one();
        return std::future::pending().await;
    }
    match outcome {
        Ok(Ok(value)) => Bounded::Finished(value),
        Ok(Err(_)) => Bounded::TimedOut,
        Err(panic) => Bounded::Panicked(panic_message(panic.as_ref())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `test` as a run's runner does: on the one worker of a runtime of its own.
    fn on_a_runner(test: impl Future<Output = ()> + Send + 'static) {
        let watch = Arc::new(Watch::default());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .on_thread_start(move || become_runner(watch.clone()))
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(runtime.spawn(test)).expect("the runner's test passed");
    }

    /// A slow answer turns busy-polling off; the next answer that comes in time turns it on again.
    #[test]
    fn a_slow_answer_stops_busy_polling_until_one_comes_in_time() {
        on_a_runner(async {
            assert!(APP_ANSWERS_QUICKLY.get());
            app_answer(tokio::time::sleep(BUSY_POLL * 20)).await;
            assert!(!APP_ANSWERS_QUICKLY.get(), "a slow answer turns busy-polling off");
            app_answer(std::future::ready(())).await;
            assert!(APP_ANSWERS_QUICKLY.get(), "an answer in time turns it on again");
        });
    }

    /// Busy-polling yields to the runner's runtime: an answer that a task on the same thread
    /// must produce (as the client's connection task does) still comes, within the poll.
    #[test]
    fn busy_polling_lets_the_runners_other_tasks_run() {
        on_a_runner(async {
            let (answer, answered) = tokio::sync::oneshot::channel();
            tokio::spawn(async move {
                tokio::task::yield_now().await;
                let _ = answer.send(42);
            });
            let started = Instant::now();
            assert_eq!(app_answer(answered).await.unwrap(), 42);
            assert!(started.elapsed() < Duration::from_secs(5));
            assert!(APP_ANSWERS_QUICKLY.get());
        });
    }
}
