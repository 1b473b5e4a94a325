//! Small pieces every layer uses: keeping secrets out of output, the text of a caught panic,
//! the error an endpoint request answers with, and "did you mean" ranking.

pub mod redact;
pub mod suggest;

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
