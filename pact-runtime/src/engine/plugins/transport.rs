//! An interaction over a plugin's transport, such as a gRPC call through the protobuf plugin, as
//! `pact_verifier` verifies one: the plugin builds the request from the pact (with the provider
//! state values), our request filters and custom headers change its metadata, then the plugin
//! calls the provider and compares the response with the pact.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use either::Either;
use pact_models::prelude::v4::V4Pact;
use pact_models::v4::http_parts::HttpRequest;
use pact_models::v4::interaction::V4Interaction;
use pact_plugin_driver::catalogue_manager::{self, CatalogueEntryProviderType};
use pact_plugin_driver::plugin_manager;
use pact_plugin_driver::verification::{InteractionVerificationData, InteractionVerificationDetails};
use serde_json::{json, Map, Value};

use super::{bounded, stderr_tail};
use crate::hooks::Hooks;
use crate::report::Failure;

/// Where and how one plugin-transport interaction is verified.
pub(crate) struct TransportCall<'a> {
    /// The pact, as V4 (plugins verify V4 pacts only).
    pub pact: Arc<V4Pact>,
    /// The interaction, as V4.
    pub interaction: Box<dyn V4Interaction + Send + Sync>,
    /// The transport the interaction names (`grpc`).
    pub transport: String,
    /// The provider's host, and its port for this transport.
    pub host: String,
    pub port: Option<u16>,
    /// The provider-state values (params, then what the state functions returned).
    pub state_values: &'a HashMap<String, Value>,
    pub custom_headers: &'a [(String, String)],
    pub hooks: Option<&'a Hooks>,
    /// Bounds each call to the plugin.
    pub timeout: Duration,
}

/// Verifies the interaction through the plugin that provides its transport: no failures when
/// the provider answered as the pact says.
pub(crate) async fn verify(call: TransportCall<'_>) -> Vec<Failure> {
    let key = format!("transport/{}", call.transport);
    let Some(entry) = catalogue_manager::lookup_entry(&key)
        .filter(|entry| entry.provider_type == CatalogueEntryProviderType::PLUGIN && entry.plugin.is_some())
    else {
        return vec![Failure::Plugin {
            plugin: String::new(),
            message: format!(
                "no loaded Pact plugin provides the `{}` transport that interaction `{}` uses: the pact's metadata.plugins must list the plugin (for gRPC, `protobuf`)",
                call.transport,
                call.interaction.description()
            ),
        }];
    };
    let plugin = entry.plugin.as_ref().map(|manifest| manifest.name.clone()).unwrap_or_default();
    let plugin_failure = |message: String| Failure::Plugin { plugin: plugin.clone(), message };

    let mut context = HashMap::from([("host".to_string(), Value::String(call.host.clone()))]);
    if let Some(port) = call.port {
        context.insert("port".to_string(), json!(port));
    }
    let states: Map<String, Value> =
        call.state_values.iter().map(|(key, value)| (key.clone(), value.clone())).collect();
    context.insert("providerState".to_string(), Value::Object(states));
    let context = Arc::new(context);
    let interaction: Arc<dyn V4Interaction + Send + Sync> = Arc::from(call.interaction);
    let entry = Arc::new(entry);

    let prepared = {
        let (entry, pact, interaction, context) =
            (entry.clone(), call.pact.clone(), interaction.clone(), context.clone());
        bounded(call.timeout, async move {
            plugin_manager::prepare_validation_for_interaction(&entry, &pact, interaction.as_ref(), &context)
                .await
                .map_err(|err| format!("{err:#}"))
        })
        .await
    };
    let failed = format!("could not prepare the request of `{}`", interaction.description());
    let data = match answered(prepared, &plugin, &failed, "preparing the request", call.timeout) {
        Ok(data) => data,
        Err(failure) => return vec![failure],
    };

    let data = match filtered(data, call.custom_headers, call.hooks, interaction.as_ref()).await {
        Ok(data) => data,
        Err(failure) => return vec![failure],
    };

    let verified = {
        let (pact, interaction, context) = (call.pact.clone(), interaction.clone(), context.clone());
        bounded(call.timeout, async move {
            plugin_manager::verify_interaction(&entry, &data, &context, &pact, interaction.as_ref())
                .await
                .map_err(|err| format!("{err:#}"))
        })
        .await
    };
    let failed = format!("failed to verify `{}`", interaction.description());
    let result = match answered(verified, &plugin, &failed, "verifying the interaction", call.timeout) {
        Ok(result) => result,
        Err(failure) => return vec![failure],
    };
    if result.ok {
        return Vec::new();
    }
    let mut failures: Vec<Failure> = result
        .details
        .iter()
        .map(|detail| match detail {
            InteractionVerificationDetails::Error(error) => plugin_failure(error.clone()),
            // As pact_verifier reports a plugin's mismatch: a body mismatch at the plugin's path.
            // The plugin leaves path and values empty where it has none (a metadata mismatch).
            InteractionVerificationDetails::Mismatch { expected, actual, mismatch, path } => Failure::Mismatch {
                kind: "BodyMismatch".to_string(),
                path: Some(path.clone()).filter(|path| !path.is_empty()),
                description: mismatch.clone(),
                expected: Some(String::from_utf8_lossy(expected).into_owned()).filter(|value| !value.is_empty()),
                actual: Some(String::from_utf8_lossy(actual).into_owned()).filter(|value| !value.is_empty()),
            },
        })
        .collect();
    if failures.is_empty() {
        let output = result.output.join("\n");
        failures.push(plugin_failure(format!("the `{plugin}` plugin reported a failure without details: {output}")));
    }
    failures
}

/// What a bounded call to `plugin` answered, or the failure: its error after `failed` (what it
/// failed to do), or that it did not answer within `timeout` while `doing` it; both with the
/// plugin's last stderr lines.
fn answered<T>(
    outcome: Option<Result<T, String>>,
    plugin: &str,
    failed: &str,
    doing: &str,
    timeout: Duration,
) -> Result<T, Failure> {
    let message = match outcome {
        Some(Ok(value)) => return Ok(value),
        Some(Err(error)) => format!("the `{plugin}` plugin {failed}: {error}{}", stderr_tail(plugin)),
        None => format!(
            "the `{plugin}` plugin did not answer within {timeout:?} while {doing} (`request_timeout_ms`, PACT_REQUEST_TIMEOUT_MS, bounds each plugin call){}",
            stderr_tail(plugin)
        ),
    };
    Err(Failure::Plugin { plugin: plugin.to_string(), message })
}

/// The request data with the custom headers set as metadata, then passed through the request
/// filters as an HTTP request: `POST /<service>` (the plugin's `service` configuration), the
/// metadata as headers and the request message as the body.
async fn filtered(
    mut data: InteractionVerificationData,
    custom_headers: &[(String, String)],
    hooks: Option<&Hooks>,
    interaction: &(dyn V4Interaction + Send + Sync),
) -> Result<InteractionVerificationData, Failure> {
    for (name, value) in custom_headers {
        data.metadata.insert(name.clone(), Either::Left(Value::String(value.clone())));
    }
    let Some(hooks) = hooks.filter(|hooks| hooks.filters_requests()) else {
        return Ok(data);
    };
    let service = interaction
        .plugin_config()
        .values()
        .find_map(|config| config.get("service").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default();
    let headers: HashMap<String, Vec<String>> = data
        .metadata
        .iter()
        .filter_map(|(key, value)| match value {
            Either::Left(Value::String(text)) => Some((key.clone(), vec![text.clone()])),
            Either::Left(other) => Some((key.clone(), vec![other.to_string()])),
            Either::Right(_) => None,
        })
        .collect();
    let request = HttpRequest {
        method: "POST".to_string(),
        // The gRPC path: `/package.Service/Method` (the plugin writes the service with a dot).
        path: format!("/{}", service.trim_start_matches(['/', '.'])),
        headers: Some(headers.clone()),
        body: data.request_data.clone(),
        ..HttpRequest::default()
    };
    let request = hooks.filter_request(request).await?;
    let after = request.headers.unwrap_or_default();
    for removed in headers.keys().filter(|key| !after.contains_key(*key)) {
        data.metadata.remove(removed);
    }
    for (key, values) in after {
        if headers.get(&key) != Some(&values) {
            data.metadata.insert(key, Either::Left(Value::String(values.join(", "))));
        }
    }
    data.request_data = request.body;
    Ok(data)
}

/// Whether the server at `host:port` speaks HTTP/2, as gRPC needs: it answers the HTTP/2 client
/// preface with a SETTINGS frame. The error says what it did instead.
pub(crate) async fn speaks_http2(host: &str, port: u16, timeout: Duration) -> Result<(), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
    let not_http2 = |what: &str| {
        format!(
            "the provider at {address} {what}: gRPC needs HTTP/2. Return a tonic router from the #[pact_provider_test] function (`Server::builder().add_service(..)`), or serve HTTP/2 on the port of the `grpc` transport"
        )
    };
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(&address)
            .await
            .map_err(|err| format!("the provider's gRPC server at {address} does not accept connections: {err}"))?;
        // The client preface, then an empty SETTINGS frame.
        let mut preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        preface.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
        stream.write_all(&preface).await.map_err(|_| not_http2("closed the connection on the HTTP/2 preface"))?;
        let mut frame = [0u8; 9];
        match stream.read_exact(&mut frame).await {
            Ok(_) if frame[3] == 4 => Ok(()),
            Ok(_) if frame.starts_with(b"HTTP/1") => Err(not_http2("answers HTTP/1")),
            Ok(_) => Err(not_http2("does not answer the HTTP/2 preface with its settings")),
            Err(_) => Err(not_http2("closed the connection on the HTTP/2 preface")),
        }
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or_else(|_| Err(not_http2(&format!("did not answer the HTTP/2 preface within {timeout:?}"))))
}
