//! Small pieces every layer uses: keeping secrets out of output, the text of a caught panic,
//! the error an endpoint request answers with, and "did you mean" ranking.

pub mod redact;
pub mod suggest;
pub(crate) mod watch;

/// The default of `max_body_bytes`: 16 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;

/// Why a request to the generated endpoint could not be served, with the HTTP status it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointError {
    /// 400 for a malformed request, 422 for a state or message that failed.
    pub status: u16,
    /// A message that names the state or message and the fix.
    pub message: String,
}

impl EndpointError {
    /// A malformed request: `400`.
    pub fn bad(message: impl Into<String>) -> EndpointError {
        EndpointError { status: 400, message: message.into() }
    }

    /// A state or message that could not be served: `422` (not `5xx`, which verifiers retry).
    pub fn unprocessable(message: impl Into<String>) -> EndpointError {
        EndpointError { status: 422, message: message.into() }
    }
}

/// The message of a caught panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| text.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic payload".to_string())
}

/// Installs ring as the process-wide rustls crypto provider, unless one is installed already.
/// `pact_verifier`'s reqwest is built without a provider and panics without one.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing the race to another thread installing one is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// How a user function run by [`run_bounded`] ended.
#[derive(Debug)]
pub enum Bounded<T> {
    /// It returned.
    Finished(T),
    /// It panicked, with this message.
    Panicked(String),
    /// It was still running when the bound passed; its thread is left to finish on its own.
    TimedOut,
    /// It never ran: no thread could be started for it (the cause says why).
    NotStarted(String),
}

/// Runs a user function's future within `timeout`, on a thread of its own (or, on a supervised
/// run's runner thread, on that thread: see below).
///
/// The macros wrap `fn` and `async fn` alike in a future, so a synchronous function that
/// blocks (`std::thread::sleep`, a blocking client, a lock) would block a runtime worker and
/// every task on it, timers included: then no timeout fires. On its own thread it blocks only
/// itself. Not `spawn_blocking`: the runtime waits for those when it shuts down, so one that
/// never returns would hang the test after its report. The threads are reused (see
/// [`on_worker_thread`]): a new thread per call would cost more than the call.
///
/// On the runner thread of a supervised run (see [`watch`]) the function runs on that thread
/// instead, with no hand-off; if it blocks past `timeout`, the supervisor fails its interaction
/// with `timed_out` and carries the run on from a fresh thread.
pub async fn run_bounded<T: Send + 'static>(
    future: impl std::future::Future<Output = T> + Send + 'static,
    timeout: std::time::Duration,
    timed_out: impl FnOnce() -> crate::report::Failure + Send + 'static,
) -> Bounded<T> {
    if let Some(watch) = watch::current() {
        return watch::run_inline(&watch, future, timeout, timed_out).await;
    }
    let runtime = tokio::runtime::Handle::current();
    let (done, outcome) = tokio::sync::oneshot::channel();
    // Dropped when the bound passes (or this future is dropped): the function's future is then
    // dropped at its next `.await`, while the runtime still runs, instead of waiting on its
    // timers until the runtime shuts down under it and they panic.
    let (_cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
    let spawned = on_worker_thread(Box::new(move || {
        // `Handle::block_on` gives the future the test's runtime: its timers, IO and `spawn`.
        let finished = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async move {
                let future = std::pin::pin!(future);
                // `select` polls `cancelled` first, so a cancelled future is never polled again.
                match futures::future::select(cancelled, future).await {
                    futures::future::Either::Left(_) => None,
                    futures::future::Either::Right((value, _)) => Some(value),
                }
            })
        }));
        let _ = done.send(finished);
    }));
    if let Err(error) = spawned {
        return Bounded::NotStarted(format!("cannot start a thread to run it: {error}"));
    }
    match tokio::time::timeout(timeout, outcome).await {
        Ok(Ok(Ok(Some(value)))) => Bounded::Finished(value),
        Ok(Ok(Ok(None))) | Err(_) => Bounded::TimedOut,
        Ok(Ok(Err(panic))) => Bounded::Panicked(panic_message(panic.as_ref())),
        Ok(Err(_)) => Bounded::Panicked("its thread ended without an answer".to_string()),
    }
}

#[cfg(test)]
thread_local! {
    /// Makes [`on_worker_thread`] fail on this thread, as when the system has no threads left.
    static NO_THREADS_HERE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A job for a worker thread.
type Job = Box<dyn FnOnce() + Send>;

/// Worker threads waiting for a job. A worker whose job never returns never comes back, so a
/// hung function costs one thread and nothing else; the next call starts a new worker.
static IDLE_WORKERS: std::sync::Mutex<Vec<std::sync::mpsc::Sender<Job>>> = std::sync::Mutex::new(Vec::new());

/// Runs `job` on an idle worker thread, or on a new one. Workers are detached: an idle or hung
/// worker never keeps the process or a runtime from ending.
fn on_worker_thread(job: Job) -> std::io::Result<()> {
    #[cfg(test)]
    if NO_THREADS_HERE.with(std::cell::Cell::get) {
        return Err(std::io::Error::other("no threads here"));
    }
    let idle = IDLE_WORKERS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
    let job = match idle {
        Some(worker) => match worker.send(job) {
            Ok(()) => return Ok(()),
            Err(std::sync::mpsc::SendError(job)) => job,
        },
        None => job,
    };
    let (worker, jobs) = std::sync::mpsc::channel::<Job>();
    let _ = worker.send(job);
    std::thread::Builder::new().name("pact-user-function".to_string()).spawn(move || {
        for job in jobs.iter() {
            job();
            IDLE_WORKERS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(worker.clone());
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The failure of a supervised run's interaction; these tests run none.
    fn unused_failure() -> crate::report::Failure {
        crate::report::Failure::Unsupported { message: String::new() }
    }

    /// A thread that could not be started was reported as the function having panicked: it is
    /// reported as not run, with the cause.
    #[tokio::test]
    async fn a_thread_that_cannot_start_is_not_a_panic() {
        NO_THREADS_HERE.with(|refuse| refuse.set(true));
        let outcome = run_bounded(async {}, std::time::Duration::from_secs(5), unused_failure).await;
        NO_THREADS_HERE.with(|refuse| refuse.set(false));
        match outcome {
            Bounded::NotStarted(cause) => assert_eq!(cause, "cannot start a thread to run it: no threads here"),
            other => panic!("expected NotStarted, got {other:?}"),
        }
    }

    /// An async function on tokio timers that timed out kept waiting on its thread, and when
    /// the test's runtime shut down its timer panicked ("Tokio context is being shut down"),
    /// printed after the run. It is dropped when it times out, while the runtime runs.
    /// Bound: 5 s.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_timed_out_async_function_is_dropped_at_once() {
        struct Dropped(Option<tokio::sync::oneshot::Sender<()>>);
        impl Drop for Dropped {
            fn drop(&mut self) {
                if let Some(dropped) = self.0.take() {
                    let _ = dropped.send(());
                }
            }
        }
        let (dropped, was_dropped) = tokio::sync::oneshot::channel();
        let guard = Dropped(Some(dropped));
        let outcome = run_bounded(
            async move {
                let _guard = guard;
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            },
            std::time::Duration::from_millis(50),
            unused_failure,
        )
        .await;
        assert!(matches!(outcome, Bounded::TimedOut), "{outcome:?}");
        tokio::time::timeout(std::time::Duration::from_secs(5), was_dropped)
            .await
            .expect("the timed-out future was dropped within 5 s")
            .expect("dropped, not leaked");
    }
}
