//! The Pact Foundation's compatibility suite (provider features) run against pact-runtime.
//!
//! A cucumber-rs harness (`harness = false`) with our own step definitions. Each scenario
//! verifies a stub provider exactly as a user's `#[pact_provider_test]` does, through
//! `pact_runtime::verify_provider`:
//!
//! - the pacts are files the scenario writes, in the feature's spec version (the `V1`..`V4`
//!   folder it is in), or come from a stub Pact Broker serving the suite's broker fixtures
//!   (`broker`), which also receives published results;
//! - the suite's "provider state callback" is a catch-all `#[provider_state("{state}")]` pair
//!   (setup and teardown) below, scoped to a provider name, that records each call; a failing
//!   callback is another provider's catch-all that returns `Err`; with no callback configured
//!   the provider has no state functions, and the run uses `missing_states = "warn"`, as a user
//!   would to get a warning instead of a failure;
//! - "a request filter" is the `#[request_filter]` below, applying the scenario's changes;
//! - a message provider's messages become `#[message]` producers, registered at run time since
//!   the feature names them (`messages`), and the run goes through the same pieces
//!   `verify_provider` uses (state endpoint serving states and messages, the engine and its
//!   checks), via the public engine API.
//!
//! The features come from `PACT_COMPAT_FEATURES`, by default the copy of the suite vendored in
//! `pact-compatibility-suite/` beside this file. Every scenario runs; the run passes when the
//! failing scenarios are exactly the documented known differences
//! (`summary::KNOWN_DIFFERENCES`), and prints a table of passed scenarios and known differences
//! with their reasons.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use anyhow::{anyhow, bail, ensure, Context};
use cucumber::gherkin::Step;
use cucumber::writer::Stats as _;
use cucumber::{event, given, then, when, World};
use futures::FutureExt;
use pact_models::sync_interaction::RequestResponseInteraction;
use pact_models::PactSpecification;
use pact_runtime::__private::{
    http_client, load_pacts, Engine, EngineConfig, Hooks, RunChecks, StateEndpoint, StateRegistry,
};
use pact_runtime::config::MissingStates;
use pact_runtime::config::PactSource;
use pact_runtime::{provider_state, request_filter, verify_provider, Failure, ProviderRequest, Settings};
use pact_runtime::{RunError, VerificationReport};
use serde_json::{Map, Value};

mod broker;
mod events;
mod fixtures;
mod messages;
mod pacts;
mod provider;
mod summary;

use broker::{BrokerPact, BrokerStub};
use events::{Event, FilterChange};
use pacts::{MessageDef, Row, V4Extras};
use summary::{ScenarioOutcome, Summary, KNOWN_DIFFERENCES};

// ---------------------------------------------------------------------------------------------
// The user-side registrations the scenarios drive.

/// The provider state callback: records every setup.
#[provider_state("{state}", provider = "p-with-state-callback")]
fn state_callback_setup(state: String, params: Map<String, Value>) {
    events::record(Event::StateSetup { state, params });
}

/// The provider state callback: records every teardown.
#[provider_state("{state}", provider = "p-with-state-callback", teardown)]
fn state_callback_teardown(state: String, params: Map<String, Value>) {
    events::record(Event::StateTeardown { state, params });
}

/// A provider state callback that fails.
#[provider_state("{state}", provider = "p-with-failing-state-callback")]
fn failing_state_callback_setup(state: String, params: Map<String, Value>) -> Result<(), String> {
    let message = format!("the provider state callback failed for `{state}`");
    events::record(Event::StateSetup { state, params });
    Err(message)
}

/// Records a teardown, which must not happen after a failed setup.
#[provider_state("{state}", provider = "p-with-failing-state-callback", teardown)]
fn failing_state_callback_teardown(state: String, params: Map<String, Value>) {
    events::record(Event::StateTeardown { state, params });
}

/// The request filter: the changes of the scenario's "a request filter is configured" step.
#[request_filter]
fn compatibility_request_filter(request: &mut ProviderRequest) {
    events::apply_filter_changes(request);
}

// ---------------------------------------------------------------------------------------------
// The world.

/// Which provider-state callback the scenario configured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum StateCallback {
    #[default]
    None,
    Recording,
    Failing,
}

/// A pact file the scenario verifies.
#[derive(Debug, Clone)]
struct PactToVerify {
    /// The interaction (HTTP) or message.
    content: PactContent,
    /// V4 pending flag and comments.
    extras: V4Extras,
    /// `Some(n)`: served by the stub broker from `pact-broker_c{n}.json`.
    broker_fixture: Option<usize>,
}

#[derive(Debug, Clone)]
enum PactContent {
    Http { number: usize, interaction: Box<RequestResponseInteraction> },
    Message(MessageDef),
}

/// What the verification produced.
#[derive(Debug)]
struct Outcome {
    result: Result<VerificationReport, RunError>,
    console: String,
}

#[derive(Debug, World)]
#[world(init = Self::new)]
struct CompatWorld {
    feature: String,
    spec: PactSpecification,
    fixtures: PathBuf,
    /// The interactions of "the following HTTP interactions have been defined", by number.
    interactions: Vec<RequestResponseInteraction>,
    /// What the provider answers.
    provider_responses: Vec<RequestResponseInteraction>,
    /// The messages the provider can generate.
    messages: Vec<MessageDef>,
    pacts: Vec<PactToVerify>,
    state_callback: StateCallback,
    publish: bool,
    broker: Option<BrokerStub>,
    outcome: Option<Outcome>,
    workdir: Option<PathBuf>,
}

impl CompatWorld {
    fn new() -> CompatWorld {
        let features = fixtures::features_dir();
        CompatWorld {
            feature: String::new(),
            spec: PactSpecification::V4,
            fixtures: fixtures::fixtures_dir(&features),
            interactions: Vec::new(),
            provider_responses: Vec::new(),
            messages: Vec::new(),
            pacts: Vec::new(),
            state_callback: StateCallback::None,
            publish: false,
            broker: None,
            outcome: None,
            workdir: None,
        }
    }

    fn interaction(&self, number: usize) -> anyhow::Result<RequestResponseInteraction> {
        number
            .checked_sub(1)
            .and_then(|index| self.interactions.get(index))
            .cloned()
            .ok_or_else(|| anyhow!("interaction {number} is not defined"))
    }

    fn provider_name(&self) -> &'static str {
        match self.state_callback {
            StateCallback::None => events::PROVIDER,
            StateCallback::Recording => events::PROVIDER_WITH_STATE_CALLBACK,
            StateCallback::Failing => events::PROVIDER_WITH_FAILING_STATE_CALLBACK,
        }
    }

    fn report(&self) -> anyhow::Result<&VerificationReport> {
        match &self.outcome {
            None => bail!("the verification has not run"),
            Some(Outcome { result: Ok(report), .. }) => Ok(report),
            Some(Outcome { result: Err(error), .. }) => bail!("the verification did not run: {error}"),
        }
    }

    fn http_pact(&mut self, number: usize, extras: V4Extras, broker_fixture: Option<usize>) -> anyhow::Result<()> {
        let interaction = Box::new(self.interaction(number)?);
        self.pacts.push(PactToVerify { content: PactContent::Http { number, interaction }, extras, broker_fixture });
        Ok(())
    }

    fn last_http_interaction(&mut self) -> anyhow::Result<&mut RequestResponseInteraction> {
        match self.pacts.last_mut().map(|pact| &mut pact.content) {
            Some(PactContent::Http { interaction, .. }) => Ok(interaction),
            _ => bail!("no HTTP pact file was set up"),
        }
    }
}

impl Drop for CompatWorld {
    fn drop(&mut self) {
        if let Some(dir) = self.workdir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn table(step: &Step) -> anyhow::Result<Vec<Row>> {
    let table = step.table.as_ref().ok_or_else(|| anyhow!("the step has no table"))?;
    Ok(pacts::rows(&table.rows))
}

fn numbers(list: &str) -> anyhow::Result<Vec<usize>> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| item.parse::<usize>().with_context(|| format!("`{item}` is not an interaction number")))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// HTTP provider steps.

#[given("the following HTTP interactions have been defined:")]
fn interactions_defined(world: &mut CompatWorld, step: &Step) -> anyhow::Result<()> {
    for (index, row) in table(step)?.iter().enumerate() {
        world.interactions.push(pacts::http_interaction(row, index, &world.fixtures)?);
    }
    Ok(())
}

#[given(regex = r#"^a provider is started that returns the responses? from interactions? "?\{?([\d, ]+)\}?"?$"#)]
fn provider_started(world: &mut CompatWorld, list: String) -> anyhow::Result<()> {
    for number in numbers(&list)? {
        let interaction = world.interaction(number)?;
        world.provider_responses.push(interaction);
    }
    Ok(())
}

#[given(
    regex = r#"^a provider is started that returns the responses? from interactions? "?\{?([\d, ]+)\}?"?, with the (?:following )?changes:$"#
)]
fn provider_started_with_changes(world: &mut CompatWorld, step: &Step, list: String) -> anyhow::Result<()> {
    let changes = table(step)?;
    for number in numbers(&list)? {
        let mut interaction = world.interaction(number)?;
        for row in &changes {
            pacts::apply_changes(&mut interaction, row, &world.fixtures)?;
        }
        world.provider_responses.push(interaction);
    }
    Ok(())
}

#[given(regex = r"^a Pact file for interaction \{?(\d+)\}? is to be verified$")]
fn pact_for_interaction(world: &mut CompatWorld, number: usize) -> anyhow::Result<()> {
    world.http_pact(number, V4Extras::default(), None)
}

#[given(regex = r"^a Pact file for interaction \{?(\d+)\}? is to be verified from a Pact broker$")]
fn pact_from_broker(world: &mut CompatWorld, number: usize) -> anyhow::Result<()> {
    world.http_pact(number, V4Extras::default(), Some(number))
}

#[given(regex = r#"^a Pact file for interaction \{?(\d+)\}? is to be verified with a provider state "(.*)" defined$"#)]
fn pact_with_state(world: &mut CompatWorld, number: usize, state: String) -> anyhow::Result<()> {
    world.http_pact(number, V4Extras::default(), None)?;
    world.last_http_interaction()?.provider_states.push(pacts::provider_state(&state, None)?);
    Ok(())
}

#[given(
    regex = r"^a Pact file for interaction \{?(\d+)\}? is to be verified with the following provider states defined:$"
)]
fn pact_with_states(world: &mut CompatWorld, step: &Step, number: usize) -> anyhow::Result<()> {
    let rows = table(step)?;
    world.http_pact(number, V4Extras::default(), None)?;
    let interaction = world.last_http_interaction()?;
    for row in rows {
        let name = row.get("State Name").ok_or_else(|| anyhow!("a row has no `State Name`"))?;
        interaction.provider_states.push(pacts::provider_state(name, row.get("Parameters").map(String::as_str))?);
    }
    Ok(())
}

#[given(regex = r"^a Pact file for interaction \{?(\d+)\}? is to be verified, but is marked pending$")]
fn pact_pending(world: &mut CompatWorld, number: usize) -> anyhow::Result<()> {
    world.http_pact(number, V4Extras { pending: true, ..V4Extras::default() }, None)
}

#[given(regex = r"^a Pact file for interaction \{?(\d+)\}? is to be verified with the following comments:$")]
fn pact_with_comments(world: &mut CompatWorld, step: &Step, number: usize) -> anyhow::Result<()> {
    let extras = comments(step)?;
    world.http_pact(number, extras, None)
}

fn comments(step: &Step) -> anyhow::Result<V4Extras> {
    let mut extras = V4Extras::default();
    for row in table(step)? {
        let comment = row.get("comment").cloned().unwrap_or_default();
        match row.get("type").map(String::as_str).unwrap_or("text") {
            "text" => extras.text_comments.push(comment),
            "testname" => extras.test_name = Some(comment),
            other => bail!("unknown comment type `{other}`"),
        }
    }
    Ok(extras)
}

#[given("a provider state callback is configured")]
fn state_callback(world: &mut CompatWorld) {
    world.state_callback = StateCallback::Recording;
}

#[given("a provider state callback is configured, but will return a failure")]
fn failing_state_callback(world: &mut CompatWorld) {
    world.state_callback = StateCallback::Failing;
}

#[given("publishing of verification results is enabled")]
fn publishing_enabled(world: &mut CompatWorld) {
    world.publish = true;
}

#[given("a request filter is configured to make the following changes:")]
fn request_filter_changes(_world: &mut CompatWorld, step: &Step) -> anyhow::Result<()> {
    let mut changes = Vec::new();
    for row in table(step)? {
        for (column, value) in row {
            match column.as_str() {
                "headers" => changes.extend(
                    fixtures::headers(&value).into_iter().map(|(name, value)| FilterChange::Header(name, value)),
                ),
                "path" => changes.push(FilterChange::Path(value)),
                "query" => {
                    for pair in value.split('&') {
                        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                        changes.push(FilterChange::Query(name.to_string(), value.to_string()));
                    }
                }
                "body" => changes.push(FilterChange::Body(value)),
                other => bail!("the harness's request filter does not know the change `{other}`"),
            }
        }
    }
    events::set_filter_changes(changes);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Message provider steps.

/// A `{string}` as the features write it, with `\"` unescaped.
fn unescape(text: &str) -> String {
    text.replace("\\\"", "\"")
}

fn message_def(world: &CompatWorld, name: &str, fixture: &str) -> anyhow::Result<MessageDef> {
    Ok(MessageDef {
        description: name.to_string(),
        body: Some(fixtures::body(&unescape(fixture), &world.fixtures)?),
        ..MessageDef::default()
    })
}

fn add_provider_message(world: &mut CompatWorld, message: MessageDef) {
    world.messages.retain(|known| known.description != message.description);
    world.messages.push(message);
}

/// A `key | value` table as metadata.
fn metadata_table(step: &Step) -> anyhow::Result<Map<String, Value>> {
    table(step)?
        .into_iter()
        .map(|row| {
            let key = row.get("key").ok_or_else(|| anyhow!("a metadata row has no `key`"))?;
            Ok((key.clone(), pacts::metadata_value(row.get("value").map(String::as_str).unwrap_or_default())))
        })
        .collect()
}

#[given(expr = "a provider is started that can generate the {string} message with {string}")]
fn provider_generates(world: &mut CompatWorld, name: String, fixture: String) -> anyhow::Result<()> {
    let message = message_def(world, &name, &fixture)?;
    add_provider_message(world, message);
    Ok(())
}

#[given(
    expr = "a provider is started that can generate the {string} message with {string} and the following metadata:"
)]
fn provider_generates_with_metadata(
    world: &mut CompatWorld,
    step: &Step,
    name: String,
    fixture: String,
) -> anyhow::Result<()> {
    let mut message = message_def(world, &name, &fixture)?;
    message.metadata = metadata_table(step)?;
    add_provider_message(world, message);
    Ok(())
}

fn message_pact(world: &mut CompatWorld, message: MessageDef, extras: V4Extras) {
    world.pacts.push(PactToVerify { content: PactContent::Message(message), extras, broker_fixture: None });
}

#[given(expr = "a Pact file for {string}:{string} is to be verified")]
fn message_pact_for(world: &mut CompatWorld, name: String, fixture: String) -> anyhow::Result<()> {
    let message = message_def(world, &name, &fixture)?;
    message_pact(world, message, V4Extras::default());
    Ok(())
}

#[given(expr = "a Pact file for {string}:{string} is to be verified with provider state {string}")]
fn message_pact_with_state(
    world: &mut CompatWorld,
    name: String,
    fixture: String,
    state: String,
) -> anyhow::Result<()> {
    let mut message = message_def(world, &name, &fixture)?;
    message.states.push(pacts::provider_state(&state, None)?);
    message_pact(world, message, V4Extras::default());
    Ok(())
}

#[given(expr = "a Pact file for {string}:{string} is to be verified with the following metadata:")]
fn message_pact_with_metadata(
    world: &mut CompatWorld,
    step: &Step,
    name: String,
    fixture: String,
) -> anyhow::Result<()> {
    let mut message = message_def(world, &name, &fixture)?;
    message.metadata = metadata_table(step)?;
    message_pact(world, message, V4Extras::default());
    Ok(())
}

#[given(expr = "a Pact file for {string} is to be verified with the following:")]
fn message_pact_with_the_following(world: &mut CompatWorld, step: &Step, name: String) -> anyhow::Result<()> {
    let rows = &step.table.as_ref().ok_or_else(|| anyhow!("the step has no table"))?.rows;
    let mut message = MessageDef { description: name, ..MessageDef::default() };
    for row in rows {
        let (Some(key), Some(value)) = (row.first(), row.get(1)) else { continue };
        match key.trim() {
            "body" => message.body = Some(fixtures::body(value, &world.fixtures)?),
            "matching rules" => message.matching_rules = Some(fixtures::matching_rules(value, &world.fixtures)?),
            "metadata" => message.metadata = pacts::metadata_list(value),
            other => bail!("the harness does not know the message property `{other}`"),
        }
    }
    message_pact(world, message, V4Extras::default());
    Ok(())
}

#[given(expr = "a Pact file for {string}:{string} is to be verified, but is marked pending")]
fn message_pact_pending(world: &mut CompatWorld, name: String, fixture: String) -> anyhow::Result<()> {
    let message = message_def(world, &name, &fixture)?;
    message_pact(world, message, V4Extras { pending: true, ..V4Extras::default() });
    Ok(())
}

#[given(expr = "a Pact file for {string}:{string} is to be verified with the following comments:")]
fn message_pact_with_comments(
    world: &mut CompatWorld,
    step: &Step,
    name: String,
    fixture: String,
) -> anyhow::Result<()> {
    let message = message_def(world, &name, &fixture)?;
    let extras = comments(step)?;
    message_pact(world, message, extras);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Running the verification.

#[when("the verification is run")]
async fn verification_is_run(world: &mut CompatWorld) -> anyhow::Result<()> {
    let provider = world.provider_name();
    let workdir = std::env::temp_dir().join(format!("pact-compat-{}-{}", std::process::id(), next_id()));
    std::fs::create_dir_all(&workdir)?;
    world.workdir = Some(workdir.clone());

    let mut files = Vec::new();
    let mut broker_pacts = Vec::new();
    for (index, pact) in world.pacts.iter().enumerate() {
        let (consumer, document) = match &pact.content {
            PactContent::Http { number, interaction } => {
                let consumer = format!("c_{}", pact.broker_fixture.unwrap_or(*number));
                (consumer.clone(), pacts::http_pact(&consumer, provider, interaction, &pact.extras, world.spec)?)
            }
            PactContent::Message(message) => {
                let consumer = format!("c_{}", message.description);
                (consumer.clone(), pacts::message_pact(&consumer, provider, message, &pact.extras, world.spec)?)
            }
        };
        match pact.broker_fixture {
            Some(number) => broker_pacts.push(BrokerPact {
                consumer,
                fixture: BrokerStub::fixture(&world.fixtures, number)?,
                pact: document,
            }),
            None => {
                let path = workdir.join(format!("{index}-{consumer}-{provider}.json"));
                std::fs::write(&path, serde_json::to_vec_pretty(&document)?)?;
                files.push(PactSource::File(path));
            }
        }
    }
    ensure!(
        files.is_empty() || broker_pacts.is_empty(),
        "a run of pact-runtime reads its pacts from one place: local files or a broker, not both"
    );

    let mut builder = files.iter().fold(Settings::builder().provider(provider), |builder, file| match file {
        PactSource::File(path) | PactSource::Dir(path) => builder.pacts(path),
        PactSource::Url(url) => builder.pacts(url),
    });
    if world.state_callback == StateCallback::None {
        // No state function serves the provider: warn, as `missing_states = "warn"` does.
        builder = builder.missing_states(MissingStates::Warn);
    }
    if !broker_pacts.is_empty() {
        let stub = BrokerStub::start(provider, broker_pacts).await?;
        builder = builder.broker_url(stub.base_url());
        world.broker = Some(stub);
    }
    // Results are published to a broker; without one there is nowhere to publish.
    if world.publish && world.broker.is_some() {
        builder = builder.publish(true).provider_version("0.0.0");
    }
    let settings = builder.build()?;

    let message_pacts = world.pacts.iter().filter(|pact| matches!(pact.content, PactContent::Message(_))).count();
    let result = if message_pacts > 0 {
        ensure!(
            message_pacts == world.pacts.len(),
            "the harness verifies HTTP or message pacts in a scenario, not both"
        );
        ensure!(world.broker.is_none(), "the harness serves message pacts from files only");
        verify_messages(&settings, provider, &world.messages).await
    } else {
        let app = provider::app(world.provider_responses.clone());
        verify_provider(&settings, move || async move { app }).await
    };
    let console = match &result {
        Ok(report) => report.to_string(),
        Err(error) => format!("the verification did not run: {error}"),
    };
    println!("{}", indent(&console));
    world.outcome = Some(Outcome { result, console });
    Ok(())
}

/// A message provider's run: what `verify_provider` does (states through pact-runtime's state
/// endpoint, messages through its message endpoint, the engine's checks), with the scenario's
/// producers registered at run time (see `messages`). A message provider has no HTTP app to
/// boot.
async fn verify_messages(
    settings: &Settings,
    provider: &'static str,
    messages: &[MessageDef],
) -> Result<VerificationReport, RunError> {
    messages::set(messages.to_vec());
    let client = http_client(settings.request_timeout())?;
    let pacts = load_pacts(settings.sources(), Some(provider), &client).await.map_err(RunError::Source)?;
    let registry = StateRegistry::for_provider(provider);
    let producers = messages::registry(provider, messages);
    let endpoint = StateEndpoint::start_with_messages(
        registry.clone(),
        producers.clone(),
        settings.state_path(),
        settings.state_timeout(),
    )
    .await
    .map_err(|err| RunError::Setup(format!("cannot start the state endpoint: {err}")))?;
    let config = EngineConfig {
        request_timeout: settings.request_timeout(),
        message_url: Some(endpoint.message_url()),
        ..EngineConfig::new(endpoint.url().to_string(), Some(endpoint.url().to_string()))
    };
    let engine = Engine::with_client(config, client)?;
    let hooks = Hooks::for_provider(provider);
    let checks = RunChecks {
        registry: Some(&registry),
        missing_states: settings.missing_states(),
        hooks: Some(&hooks),
        messages: Some(&producers),
        ..RunChecks::default()
    };
    Ok(engine.verify(provider, &pacts, settings.filter(), checks).await)
}

fn next_id() -> usize {
    static NEXT: Mutex<usize> = Mutex::new(0);
    let mut next = NEXT.lock().unwrap_or_else(PoisonError::into_inner);
    *next += 1;
    *next
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("      │ {line}")).collect::<Vec<_>>().join("\n")
}

// ---------------------------------------------------------------------------------------------
// Outcome steps.

#[then("the verification will be successful")]
fn verification_successful(world: &mut CompatWorld) -> anyhow::Result<()> {
    let report = world.report()?;
    ensure!(report.is_success(), "the verification failed:\n{}", report.failure_summary());
    Ok(())
}

#[then("the verification will NOT be successful")]
fn verification_not_successful(world: &mut CompatWorld) -> anyhow::Result<()> {
    if let Some(Outcome { result: Err(_), .. }) = &world.outcome {
        return Ok(());
    }
    let report = world.report()?;
    ensure!(!report.is_success(), "the verification passed:\n{report}");
    Ok(())
}

/// Whether `failure` is the kind of error the suite names. The suite uses the reference
/// verifier's wording; these are the same failures in pact-runtime's terms.
fn failure_is(failure: &Failure, error: &str) -> bool {
    let mismatch = |kinds: &[&str]| matches!(failure, Failure::Mismatch { kind, .. } if kinds.contains(&kind.as_str()));
    match error {
        "Response status did not match" => mismatch(&["StatusMismatch"]),
        "Headers had differences" => mismatch(&["HeaderMismatch"]),
        "Body had differences" => mismatch(&["BodyMismatch", "BodyTypeMismatch"]),
        "Metadata had differences" => mismatch(&["MetadataMismatch"]),
        "State change request failed" => matches!(failure, Failure::StateSetup { .. }),
        other => failure.to_string().contains(other),
    }
}

#[then(expr = "the verification results will contain a {string} error")]
fn results_contain_error(world: &mut CompatWorld, error: String) -> anyhow::Result<()> {
    let report = world.report()?;
    let found = report.results.iter().flat_map(|result| &result.failures).any(|failure| failure_is(failure, &error));
    ensure!(found, "no `{error}` error in the results:\n{report}");
    Ok(())
}

#[then(expr = "there will be a pending {string} error")]
fn pending_error(world: &mut CompatWorld, error: String) -> anyhow::Result<()> {
    let report = world.report()?;
    let found = report
        .results
        .iter()
        .filter(|result| result.pending)
        .flat_map(|result| &result.failures)
        .any(|failure| failure_is(failure, &error));
    ensure!(found, "no pending `{error}` error in the results:\n{report}");
    Ok(())
}

#[then(expr = "the comment {string} will have been printed to the console")]
fn comment_printed(world: &mut CompatWorld, comment: String) -> anyhow::Result<()> {
    let console = world.outcome.as_ref().map(|outcome| outcome.console.as_str()).unwrap_or_default();
    ensure!(console.contains(&comment), "the comment `{comment}` is not in the console report:\n{console}");
    Ok(())
}

#[then(expr = "the {string} will displayed as the original test name")]
fn original_test_name(world: &mut CompatWorld, name: String) -> anyhow::Result<()> {
    comment_printed(world, name)
}

// Provider state callback.

fn state_calls(setup: bool) -> Vec<(String, Map<String, Value>)> {
    events::events()
        .into_iter()
        .filter_map(|event| match event {
            Event::StateSetup { state, params } if setup => Some((state, params)),
            Event::StateTeardown { state, params } if !setup => Some((state, params)),
            _ => None,
        })
        .collect()
}

/// Where the first event of a kind is in the log.
fn first(is: impl Fn(&Event) -> bool) -> Option<usize> {
    events::events().iter().position(is)
}

fn last(is: impl Fn(&Event) -> bool) -> Option<usize> {
    events::events().iter().rposition(is)
}

fn is_verification(event: &Event) -> bool {
    matches!(event, Event::ProviderRequest(_) | Event::MessageProduced { .. })
}

#[then("the provider state callback will be called before the verification is run")]
fn callback_called_before(_world: &mut CompatWorld) -> anyhow::Result<()> {
    let setup = first(|event| matches!(event, Event::StateSetup { .. }))
        .ok_or_else(|| anyhow!("the provider state callback was not called: {:?}", events::events()))?;
    if let Some(request) = first(is_verification) {
        ensure!(setup < request, "the first setup call came after the provider was called: {:?}", events::events());
    }
    Ok(())
}

#[then("the provider state callback will be called after the verification is run")]
fn callback_called_after(_world: &mut CompatWorld) -> anyhow::Result<()> {
    let teardown = last(|event| matches!(event, Event::StateTeardown { .. }))
        .ok_or_else(|| anyhow!("the provider state callback had no teardown call: {:?}", events::events()))?;
    let request = last(is_verification).ok_or_else(|| anyhow!("the provider was not called"))?;
    ensure!(teardown > request, "the last teardown call came before the provider was called: {:?}", events::events());
    Ok(())
}

fn has_call(setup: bool, state: &str, params: Option<&Map<String, Value>>) -> anyhow::Result<()> {
    let calls = state_calls(setup);
    let found = calls.iter().any(|(name, got)| name == state && params.is_none_or(|params| params == got));
    let action = if setup { "setup" } else { "teardown" };
    ensure!(found, "no {action} call for `{state}` with {params:?}; the calls were {calls:?}");
    Ok(())
}

#[then(expr = "the provider state callback will receive a setup call with {string} as the provider state parameter")]
fn setup_call(_world: &mut CompatWorld, state: String) -> anyhow::Result<()> {
    has_call(true, &state, None)
}

#[then(expr = "the provider state callback will receive a teardown call {string} as the provider state parameter")]
fn teardown_call(_world: &mut CompatWorld, state: String) -> anyhow::Result<()> {
    has_call(false, &state, None)
}

fn parameters(step: &Step) -> anyhow::Result<Map<String, Value>> {
    let rows = table(step)?;
    let row = rows.first().ok_or_else(|| anyhow!("the parameters table has no values"))?;
    Ok(row.iter().map(|(key, value)| (key.clone(), fixtures::table_value(value))).collect())
}

#[then(expr = "the provider state callback will receive a setup call with {string} and the following parameters:")]
fn setup_call_with_parameters(_world: &mut CompatWorld, step: &Step, state: String) -> anyhow::Result<()> {
    has_call(true, &state, Some(&parameters(step)?))
}

#[then(expr = "the provider state callback will receive a teardown call {string} and the following parameters:")]
fn teardown_call_with_parameters(_world: &mut CompatWorld, step: &Step, state: String) -> anyhow::Result<()> {
    has_call(false, &state, Some(&parameters(step)?))
}

#[then("the provider state callback will NOT receive a teardown call")]
fn no_teardown_call(_world: &mut CompatWorld) -> anyhow::Result<()> {
    let calls = state_calls(false);
    ensure!(calls.is_empty(), "the provider state callback received teardown calls: {calls:?}");
    Ok(())
}

#[then(
    regex = r#"^a warning will be displayed that there was no provider state callback configured for provider state "(.*)"$"#
)]
fn missing_callback_warning(world: &mut CompatWorld, state: String) -> anyhow::Result<()> {
    let report = world.report()?;
    let warned = report
        .results
        .iter()
        .flat_map(|result| &result.warnings)
        .any(|warning| warning.contains(&format!("no provider state function serves `{state}`")));
    ensure!(warned, "no warning about the state `{state}`:\n{report}");
    let console = &world.outcome.as_ref().map(|outcome| outcome.console.clone()).unwrap_or_default();
    ensure!(console.contains("warning"), "the console report shows no warning:\n{console}");
    Ok(())
}

#[then(expr = "the request to the provider will contain the header {string}")]
fn request_contains_header(_world: &mut CompatWorld, header: String) -> anyhow::Result<()> {
    let (name, value) = fixtures::headers(&format!("'{header}'"))
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("`{header}` is not a header"))?;
    let requests: Vec<events::RecordedRequest> = events::events()
        .into_iter()
        .filter_map(|event| match event {
            Event::ProviderRequest(request) => Some(request),
            _ => None,
        })
        .collect();
    ensure!(!requests.is_empty(), "the provider received no request");
    let found = requests
        .iter()
        .any(|request| request.headers.iter().any(|(key, got)| key.eq_ignore_ascii_case(&name) && *got == value));
    ensure!(found, "no request to the provider had the header `{header}`: {requests:?}");
    Ok(())
}

// Broker publishing.

fn broker(world: &CompatWorld) -> anyhow::Result<&BrokerStub> {
    world.broker.as_ref().ok_or_else(|| anyhow!("no Pact broker was used"))
}

#[then("a verification result will NOT be published back")]
fn not_published(world: &mut CompatWorld) -> anyhow::Result<()> {
    let published: Vec<_> = broker(world)?
        .requests()
        .into_iter()
        .filter(|request| request.path.ends_with("/verification-results"))
        .collect();
    ensure!(published.is_empty(), "verification results were published: {published:?}");
    Ok(())
}

fn published(world: &CompatWorld, number: usize, success: bool) -> anyhow::Result<()> {
    let publications = broker(world)?.publications(&format!("c_{number}"));
    let matching: Vec<_> =
        publications.iter().filter(|request| request.body.get("success") == Some(&Value::Bool(success))).collect();
    ensure!(
        !matching.is_empty(),
        "no {} result was published for interaction {number}: {publications:?}",
        if success { "successful" } else { "failed" }
    );
    for request in matching {
        ensure!(
            request.problems.is_empty() && (200..300).contains(&request.status),
            "the published result does not match the broker fixture ({}): {:?}",
            request.status,
            request.problems
        );
    }
    Ok(())
}

#[then(regex = r"^a successful verification result will be published back for interaction \{(\d+)\}$")]
fn published_successful(world: &mut CompatWorld, number: usize) -> anyhow::Result<()> {
    published(world, number, true)
}

#[then(regex = r"^a failed verification result will be published back for the interaction \{(\d+)\}$")]
fn published_failed(world: &mut CompatWorld, number: usize) -> anyhow::Result<()> {
    published(world, number, false)
}

// ---------------------------------------------------------------------------------------------
// The run.

/// Checks that the provider names the scenarios use have the registrations above.
fn check_registrations() {
    for provider in [events::PROVIDER_WITH_STATE_CALLBACK, events::PROVIDER_WITH_FAILING_STATE_CALLBACK] {
        let count = StateRegistry::for_provider(provider).registrations().count();
        assert_eq!(count, 2, "the harness registers a setup and a teardown state function for `{provider}`");
    }
    assert_eq!(StateRegistry::for_provider(events::PROVIDER).registrations().count(), 0);
}

fn feature_key(features: &Path, feature: &cucumber::gherkin::Feature) -> String {
    let path = feature.path.clone().unwrap_or_default();
    let relative = path
        .canonicalize()
        .ok()
        .and_then(|path| {
            features.canonicalize().ok().and_then(|root| path.strip_prefix(root).ok().map(Path::to_path_buf))
        })
        .unwrap_or(path);
    relative.components().map(|part| part.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}

fn is_provider_feature(path: Option<&Path>) -> bool {
    path.and_then(Path::file_name).and_then(|name| name.to_str()).is_some_and(|name| name.contains("provider"))
}

/// The `.feature` files under `dir` that are not provider features.
fn other_features(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            other_features(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "feature") && !is_provider_feature(Some(&path)) {
            found.push(path);
        }
    }
}

fn main() {
    // `cargo test -- --list` (IDEs, nextest) lists no tests here.
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    pact_runtime::install_crypto_provider();
    check_registrations();
    let features = fixtures::features_dir();
    if !features.is_dir() {
        eprintln!("the compatibility suite's features are not at {} (set PACT_COMPAT_FEATURES)", features.display());
        std::process::exit(1);
    }
    let mut left_out = Vec::new();
    other_features(&features, &mut left_out);
    for path in &left_out {
        println!("left out (not a provider feature): {}", path.display());
    }
    let started = Instant::now();
    let outcomes: Arc<Mutex<Vec<ScenarioOutcome>>> = Arc::default();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let recorded = outcomes.clone();
    let root = features.clone();
    let writer = runtime.block_on(
        CompatWorld::cucumber()
            // The scenarios share the event log and the request filter's changes.
            .max_concurrent_scenarios(1)
            .fail_on_skipped()
            .with_default_cli()
            .before(move |feature, _, _, world| {
                events::reset();
                world.spec = pacts::spec_of(feature.path.as_deref().unwrap_or(Path::new("")));
                async {}.boxed_local()
            })
            .after(move |feature, _, scenario, finished, world| {
                let failure = match finished {
                    event::ScenarioFinished::StepPassed => None,
                    event::ScenarioFinished::StepSkipped => Some("a step has no definition in the harness".to_string()),
                    event::ScenarioFinished::StepFailed(_, _, error) => Some(error.to_string()),
                    event::ScenarioFinished::BeforeHookFailed(info) => {
                        Some(format!("the before hook failed: {info:?}"))
                    }
                };
                let key = feature_key(&root, feature);
                if let Some(world) = world {
                    world.feature = key.clone();
                }
                recorded.lock().unwrap_or_else(PoisonError::into_inner).push(ScenarioOutcome {
                    feature: key,
                    scenario: scenario.name.clone(),
                    failure,
                });
                async {}.boxed_local()
            })
            // The suite's consumer features need a consumer harness; this one runs the provider
            // features (`*provider*.feature`), and says which files it left out.
            .filter_run(features.clone(), |feature, _, _| is_provider_feature(feature.path.as_deref())),
    );
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));

    let outcomes = outcomes.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let summary = Summary::new(&outcomes, KNOWN_DIFFERENCES);
    println!("{}", summary.render());
    println!(
        "{} scenarios in {:.1} s (features: {})",
        outcomes.len(),
        started.elapsed().as_secs_f64(),
        features.display()
    );
    let parsing_errors = writer.parsing_errors();
    if parsing_errors > 0 {
        eprintln!("{parsing_errors} feature file(s) did not parse");
        std::process::exit(1);
    }
    if outcomes.is_empty() {
        eprintln!("no scenario ran: is {} the suite's features folder?", features.display());
        std::process::exit(1);
    }
    if !summary.is_ok() {
        eprintln!("the failing scenarios are not exactly the known differences (see above)");
        std::process::exit(1);
    }
}
