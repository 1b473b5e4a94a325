//! Pacts: where they come from (files, directories and URLs), what a broker said about
//! them, and which of their interactions a run verifies.

pub mod filter;
mod key;
mod plan;
mod screen;
pub mod shard;

use std::fmt;
use std::panic::RefUnwindSafe;
use std::path::{Path, PathBuf};

use pact_models::pact::{determine_spec_version, load_pact_from_json, parse_meta_data, Pact};
use pact_models::PactSpecification;

pub use filter::InteractionFilter;
pub(crate) use key::interaction_key;
pub(crate) use plan::Plan;
pub use shard::Shard;

/// An interaction of a loaded pact, as `Pact::interactions` answers it.
pub(crate) type Interaction<'a> = dyn pact_models::interaction::Interaction + Send + Sync + RefUnwindSafe + 'a;

/// A pact's interactions, as `Pact::interactions` answers them.
pub(crate) type Interactions = Vec<Box<Interaction<'static>>>;

/// True for V3 messages and V4 asynchronous and synchronous messages that a `#[message]`
/// function produces: not a synchronous message over a plugin's transport (a gRPC call).
pub(crate) fn is_message(interaction: &Interaction<'_>) -> bool {
    // `is_request_response` rather than `as_v4_http`, which copies the whole interaction.
    !interaction.is_request_response()
        && (interaction.is_message()
            || interaction.as_v4_sync_message().is_some_and(|sync| {
                sync.transport.as_deref().is_none_or(|transport| matches!(transport, "" | "http" | "https" | "message"))
            }))
}

/// A pact as loaded, with where it came from.
pub struct LoadedPact {
    /// The file path or URL, for reports.
    pub source: String,
    /// The pact itself ([`LoadedPact::interactions`] keeps its interactions from the first
    /// call on).
    pub pact: Box<dyn Pact + Send + Sync + RefUnwindSafe>,
    /// What the broker said about it, when it came from one.
    pub broker: Option<BrokerContext>,
    /// The interactions this runtime cannot verify (of a V4 type Pact does not know, or using a
    /// Pact plugin without the `plugins` feature), by their index in `pact.interactions()`, with
    /// the reason: each fails as its own interaction, and the others are verified.
    pub unsupported: Vec<(usize, String)>,
    /// The interactions verified through a Pact plugin (`plugins` feature), by index, with the
    /// plugins each needs.
    pub(crate) plugin: Vec<(usize, Vec<String>)>,
    /// What of the pact was ignored as Pact's loader ignores it, for the run's warnings.
    pub(crate) warnings: Vec<String>,
    /// `pact.interactions()`, taken once: every call copies them all.
    pub(crate) interactions: std::sync::OnceLock<Interactions>,
    /// The pact as V4 without its interactions, taken once, for plugins.
    #[cfg(feature = "plugins")]
    pub(crate) v4: std::sync::OnceLock<Option<std::sync::Arc<pact_models::prelude::v4::V4Pact>>>,
}

impl LoadedPact {
    /// A pact read from `source`, every interaction of it verifiable.
    pub fn new(source: impl Into<String>, pact: Box<dyn Pact + Send + Sync + RefUnwindSafe>) -> LoadedPact {
        LoadedPact {
            source: source.into(),
            pact,
            broker: None,
            unsupported: Vec::new(),
            plugin: Vec::new(),
            warnings: Vec::new(),
            interactions: std::sync::OnceLock::new(),
            #[cfg(feature = "plugins")]
            v4: std::sync::OnceLock::new(),
        }
    }

    /// The pact's interactions, in pact order. `Pact::interactions` copies them on every call;
    /// this copies them once, on the first.
    pub fn interactions(&self) -> &[Box<Interaction<'static>>] {
        self.interactions.get_or_init(|| self.pact.interactions())
    }

    /// Why the interaction at `index` cannot be verified, if it cannot.
    pub fn unsupported(&self, index: usize) -> Option<&str> {
        self.unsupported.iter().find(|(unsupported, _)| *unsupported == index).map(|(_, why)| why.as_str())
    }

    /// The pact as V4 with only `interaction` in it, or `None` for an older pact. The plugin
    /// driver sends the whole pact to the plugin on each call: with the one interaction the
    /// plugin needs, a call costs the same whatever the pact's size.
    #[cfg(feature = "plugins")]
    pub(crate) fn v4_pact_of(
        &self,
        interaction: &(dyn pact_models::v4::interaction::V4Interaction + Send + Sync),
    ) -> Option<pact_models::prelude::v4::V4Pact> {
        let skeleton = self
            .v4
            .get_or_init(|| {
                self.pact.as_v4_pact().ok().map(|mut pact| {
                    pact.interactions.clear();
                    std::sync::Arc::new(pact)
                })
            })
            .clone()?;
        let mut pact = (*skeleton).clone();
        pact.interactions.push(interaction.boxed_v4());
        Some(pact)
    }

    /// The plugins the interaction at `index` is verified through, if any.
    #[cfg(feature = "plugins")]
    pub(crate) fn plugins_for(&self, index: usize) -> Option<&[String]> {
        self.plugin.iter().find(|(plugin, _)| *plugin == index).map(|(_, plugins)| plugins.as_slice())
    }
}

/// A pact as read, and what screening found in it.
type Screened = (Box<dyn Pact + Send + Sync + RefUnwindSafe>, screen::Screened);

/// Reads a pact from its whole JSON with Pact's loader, after [`screen::screen_pact`]: answers
/// the pact and what screening found.
pub(crate) fn pact_from_json(source: &str, mut json: serde_json::Value) -> anyhow::Result<Screened> {
    let mut screened = screen::screen_pact(source, &mut json);
    let pact = load_pact_from_json(source, &json)?;
    let count = |key: &str| json.get(key).and_then(serde_json::Value::as_array).map(Vec::len);
    let v4 = pact.specification_version() == PactSpecification::V4;
    screened.warnings.extend(ignored_interactions(source, v4, count("interactions"), count("messages")));
    Ok((pact, screened))
}

/// Which of `interactions` and `messages` Pact's loader reads: a V4 pact's `interactions`; a
/// V3 or older pact's `messages` when it has them (a message pact), else its `interactions`.
fn read_key(v4: bool, has_messages: bool) -> &'static str {
    if !v4 && has_messages {
        "messages"
    } else {
        "interactions"
    }
}

/// The warning for a pact whose loader ignores one of its lists, given their lengths.
fn ignored_interactions(
    source: &str,
    v4: bool,
    interactions: Option<usize>,
    messages: Option<usize>,
) -> Option<String> {
    match (interactions, messages) {
        (Some(interactions), Some(messages)) if !v4 && interactions > 0 => Some(format!(
            "pact {source} has both `interactions` ({interactions}) and `messages` ({messages}): Pact reads a V3 pact with `messages` as a message pact, so its {interactions} `interactions` are ignored; write them to a pact of their own"
        )),
        (_, Some(messages)) if v4 && messages > 0 => Some(format!(
            "pact {source} is a V4 pact with `messages` ({messages}): a V4 pact keeps its messages in `interactions`, so Pact ignores these {messages}; move them there"
        )),
        _ => None,
    }
}

impl LoadedPact {
    /// A pact read from `source`, with what screening found in it.
    pub(crate) fn screened(source: String, (pact, screened): Screened) -> LoadedPact {
        LoadedPact {
            unsupported: screened.unsupported,
            plugin: screened.plugin,
            warnings: screened.warnings,
            ..LoadedPact::new(source, pact)
        }
    }
}

impl fmt::Debug for LoadedPact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedPact")
            .field("source", &self.source)
            .field("consumer", &self.pact.consumer().name)
            .field("provider", &self.pact.provider().name)
            .field("broker", &self.broker)
            .field("unsupported", &self.unsupported)
            .field("plugin", &self.plugin)
            .finish()
    }
}

/// A message from the broker about a pact, to print at the moment its `when` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// `before_verification`, or `after_verification:success_<bool>_published_<bool>`.
    pub when: String,
    /// The message.
    pub text: String,
}

/// What the broker said about a pact it served.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrokerContext {
    /// Why the pact was selected, e.g. `latest from main branch`.
    pub short_description: String,
    /// Its failures do not fail the run.
    pub pending: bool,
    /// Work in progress: included by `includeWipPactsSince`.
    pub wip: bool,
    /// The broker's notices.
    pub notices: Vec<Notice>,
    /// Where to publish verification results (`pb:publish-verification-results`).
    pub publish_url: Option<String>,
    /// The provider resource (`pb:provider`), for branch and tag links.
    pub provider_url: Option<String>,
}

impl BrokerContext {
    /// The notices for one moment.
    pub fn notices_when<'a>(&'a self, when: &'a str) -> impl Iterator<Item = &'a Notice> + 'a {
        self.notices.iter().filter(move |notice| notice.when == when)
    }
}

/// One place to read pacts from. `Debug` and `Display` hide a URL's password.
#[derive(Clone, PartialEq, Eq)]
pub enum PactSource {
    /// A single pact file. It must be for the provider being verified.
    File(PathBuf),
    /// Every `*.json` pact under a directory (recursively) whose provider is the one being verified.
    Dir(PathBuf),
    /// A pact fetched with `GET`.
    Url(String),
}

impl PactSource {
    /// Interprets `spec`: `http://` and `https://` are URLs, existing directories are
    /// directories, everything else is a file. Relative paths are resolved against `base_dir`.
    pub fn parse(spec: &str, base_dir: &Path) -> PactSource {
        let spec = spec.trim();
        if spec.starts_with("http://") || spec.starts_with("https://") {
            return PactSource::Url(spec.to_string());
        }
        let path = base_dir.join(spec);
        if path.is_dir() {
            PactSource::Dir(path)
        } else {
            PactSource::File(path)
        }
    }
}

impl fmt::Display for PactSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PactSource::File(path) => write!(f, "file {}", path.display()),
            PactSource::Dir(path) => write!(f, "directory {}", path.display()),
            PactSource::Url(url) => write!(f, "URL {}", crate::util::redact::url(url)),
        }
    }
}

impl fmt::Debug for PactSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PactSource::File(path) => f.debug_tuple("File").field(path).finish(),
            PactSource::Dir(path) => f.debug_tuple("Dir").field(path).finish(),
            PactSource::Url(url) => f.debug_tuple("Url").field(&crate::util::redact::url(url)).finish(),
        }
    }
}

/// A pact source that could not be read. The message names the file or URL and the cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError(pub String);

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SourceError {}

/// The largest pact file read. Large enough for 100,000 interactions (about 90 MB) or a hundred
/// 1 MB bodies both ways; small enough that a file that is not a pact (a disk image, a log) is
/// refused instead of filling memory.
pub const MAX_PACT_BYTES: u64 = 512 * 1024 * 1024;

/// Loads the pacts for `provider` (or for any provider when `None`) from every source, in
/// order. What was skipped (a FIFO named `*.json`, a directory seen twice) and pacts without
/// interactions are printed to stderr as warnings; `load_pacts_warning` returns them instead.
pub async fn load_pacts(
    sources: &[PactSource],
    provider: Option<&str>,
    client: &reqwest::Client,
) -> Result<Vec<LoadedPact>, SourceError> {
    let mut warnings = Vec::new();
    let pacts = load_pacts_warning(sources, provider, client, &mut warnings).await?;
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    Ok(pacts)
}

/// Like [`load_pacts`], adding its warnings to `warnings`.
pub async fn load_pacts_warning(
    sources: &[PactSource],
    provider: Option<&str>,
    client: &reqwest::Client,
    warnings: &mut Vec<String>,
) -> Result<Vec<LoadedPact>, SourceError> {
    let pacts = load_every_source(sources, provider, client, warnings).await?;
    warn_empty(&pacts, warnings);
    Ok(pacts)
}

/// Adds a warning for each pact of `pacts` without interactions, wherever it came from (a
/// file, a URL, a Pact Broker): it passes, yet nothing in it was verified.
pub(crate) fn warn_empty(pacts: &[LoadedPact], warnings: &mut Vec<String>) {
    for loaded in pacts {
        warnings.extend(loaded.warnings.iter().cloned());
        if loaded.interactions().is_empty() {
            warnings.push(format!(
                "pact {} ({} → {}) has no interactions: nothing in it is verified",
                loaded.source,
                loaded.pact.consumer().name,
                loaded.pact.provider().name
            ));
        }
    }
}

async fn load_every_source(
    sources: &[PactSource],
    provider: Option<&str>,
    client: &reqwest::Client,
    warnings: &mut Vec<String>,
) -> Result<Vec<LoadedPact>, SourceError> {
    let mut pacts = Vec::new();
    let mut visited = std::collections::HashSet::new();
    for source in sources {
        match source {
            PactSource::File(path) => {
                let loaded = load_file(path)?;
                if let Some(provider) = provider {
                    let actual = loaded.pact.provider().name;
                    if actual != provider {
                        return Err(SourceError(format!(
                            "pact file {} is for provider `{actual}`, not `{provider}`: fix the `provider` option or the path",
                            path.display()
                        )));
                    }
                }
                pacts.push(loaded);
            }
            PactSource::Dir(dir) => {
                let mut files = Vec::new();
                collect_json_files(dir, &mut files, &mut visited, warnings)?;
                files.sort();
                for file in files {
                    let loaded = load_file(&file)?;
                    if provider.is_none_or(|provider| loaded.pact.provider().name == provider) {
                        pacts.push(loaded);
                    }
                }
            }
            PactSource::Url(url) => {
                let loaded = load_url(url, client).await?;
                if let Some(provider) = provider {
                    let actual = loaded.pact.provider().name;
                    if actual != provider {
                        return Err(SourceError(format!(
                            "pact {} is for provider `{actual}`, not `{provider}`: fix the `provider` option or the URL",
                            loaded.source
                        )));
                    }
                }
                pacts.push(loaded);
            }
        }
    }
    Ok(pacts)
}

fn load_file(path: &Path) -> Result<LoadedPact, SourceError> {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(SourceError(format!("pact file {} does not exist", path.display())))
        }
        Err(err) => return Err(SourceError(format!("cannot read pact file {}: {err}", path.display()))),
    };
    // Opening a FIFO blocks until something writes to it: check before opening.
    if !metadata.is_file() {
        return Err(SourceError(format!(
            "pact file {} is not a regular file (it is {}): give a pact file or a directory",
            path.display(),
            file_kind(&metadata)
        )));
    }
    let text = read_bounded(path)?;
    // As reports show it, also in the reasons an interaction is not verified.
    let shown = shown_path(path);
    let screened = match parse_streamed(&shown, &text) {
        Some(parsed) => parsed,
        // Pact's own loader, for its error messages.
        None => {
            let json: serde_json::Value = serde_json::from_str(&text).map_err(|err| {
                SourceError(format!("cannot read pact file {}: Failed to parse Pact JSON: {err}", path.display()))
            })?;
            pact_from_json(&shown, json)
                .map_err(|err| SourceError(format!("cannot read pact file {}: {err:#}", path.display())))?
        }
    };
    if screened.0.specification_version() == PactSpecification::Unknown {
        let json = serde_json::from_str(&text).ok();
        return Err(unknown_version(&format!("pact file {}", path.display()), json.as_ref()));
    }
    Ok(LoadedPact::screened(shown, screened))
}

/// The file's text, or an error when it is larger than [`MAX_PACT_BYTES`].
fn read_bounded(path: &Path) -> Result<String, SourceError> {
    use std::io::Read as _;
    let cannot = |err: std::io::Error| SourceError(format!("cannot read pact file {}: {err}", path.display()));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut text = String::new();
    file.take(MAX_PACT_BYTES + 1).read_to_string(&mut text).map_err(cannot)?;
    if text.len() as u64 > MAX_PACT_BYTES {
        return Err(SourceError(format!(
            "pact file {} is larger than {} MiB: is it a pact?",
            path.display(),
            MAX_PACT_BYTES / (1024 * 1024)
        )));
    }
    Ok(text)
}

/// What a non-regular file is, for messages.
pub(crate) fn file_kind(metadata: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let kind = metadata.file_type();
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    if metadata.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Reads pact JSON one interaction at a time: Pact's loader parses the whole file into a JSON
/// tree first, which for a large pact takes several times the memory of the pact it builds
/// (a 10,000-interaction pact of 8.6 MB peaked at 160 MB). Here only the text, one
/// interaction's tree and the built pact are alive at once. `None` when anything is unusual,
/// so that Pact's loader reads it and reports what is wrong. A V4 pact's interactions are
/// screened on the way ([`screen::screen_interaction`]): the second value is what of it cannot
/// be verified.
fn parse_streamed(source: &str, text: &str) -> Option<Screened> {
    use serde_json::value::RawValue;
    use serde_json::Value;
    let top: Vec<(String, &RawValue)> =
        serde_json::from_str::<std::collections::BTreeMap<String, &RawValue>>(text).ok()?.into_iter().collect();
    let has = |key: &str| top.iter().any(|(name, _)| name == key);
    if !has("interactions") && !has("messages") {
        return None;
    }
    // Both lists empty first, to learn the version and so which list Pact's loader reads.
    let mut lists: std::collections::BTreeMap<&str, Vec<&RawValue>> = std::collections::BTreeMap::new();
    let mut skeleton = serde_json::Map::new();
    for (name, value) in &top {
        if name == "interactions" || name == "messages" {
            lists.insert(name.as_str(), serde_json::from_str(value.get()).ok()?);
            skeleton.insert(name.clone(), Value::Array(Vec::new()));
        } else {
            skeleton.insert(name.clone(), serde_json::from_str(value.get()).ok()?);
        }
    }
    let mut one = Value::Object(skeleton);
    let mut pact = load_pact_from_json(source, &one).ok()?;
    let v4 = pact.specification_version() == PactSpecification::V4;
    let key = read_key(v4, has("messages"));
    let mut screened = screen::Screened::default();
    let count = |key: &str| lists.get(key).map(Vec::len);
    screened.warnings.extend(ignored_interactions(source, v4, count("interactions"), count("messages")));
    let items = lists.remove(key).unwrap_or_default();
    let plugins = screen::plugin_names(&one);
    for (index, item) in items.into_iter().enumerate() {
        let mut interaction: Value = serde_json::from_str(item.get()).ok()?;
        // Pact names an interaction without a description after its index: leave that to it.
        interaction.get("description")?;
        if v4 {
            screened.add(index, screen::screen_interaction(source, &mut interaction, &plugins));
        }
        one[key] = Value::Array(vec![interaction]);
        for interaction in load_pact_from_json(source, &one).ok()?.interactions() {
            pact.add_interaction(interaction.as_ref()).ok()?;
        }
    }
    Some((pact, screened))
}

/// A pact whose `metadata.pactSpecification.version` names no specification we know. Pact's
/// loader would guess V3 and log a warning nobody sees; we refuse instead.
fn unknown_version(what: &str, json: Option<&serde_json::Value>) -> SourceError {
    let metadata = json.and_then(|json| json.get("metadata"));
    let version = metadata
        .and_then(|metadata| metadata.get("pactSpecification").or_else(|| metadata.get("pact-specification")))
        .and_then(|specification| specification.get("version"))
        .map(|version| version.as_str().map(str::to_string).unwrap_or_else(|| version.to_string()))
        .unwrap_or_default();
    SourceError(format!(
        "{what} has an unknown Pact specification version `{version}` (metadata.pactSpecification.version): pact-runtime verifies 1.0, 1.1, 2.0, 3.0 and 4.0 pacts"
    ))
}

/// `path` relative to the current directory when it is under it, for shorter reports.
fn shown_path(path: &Path) -> String {
    let relative = std::env::current_dir().ok().and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf));
    relative.as_deref().unwrap_or(path).display().to_string()
}

/// Every `*.json` regular file under `dir`. Each directory is read once, by its canonical
/// path, so symlink loops end and a directory linked twice gives no duplicates; anything that
/// is not a regular file is skipped with a warning.
fn collect_json_files(
    dir: &Path,
    files: &mut Vec<PathBuf>,
    visited: &mut std::collections::HashSet<PathBuf>,
    warnings: &mut Vec<String>,
) -> Result<(), SourceError> {
    let cannot = |err: std::io::Error| SourceError(format!("cannot read pact directory {}: {err}", dir.display()));
    let canonical = std::fs::canonicalize(dir).map_err(cannot)?;
    if !visited.insert(canonical) {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(cannot)?;
    for entry in entries {
        let path = entry.map_err(cannot)?.path();
        // `metadata` follows symlinks: a link to a directory is a directory, a dangling one an error.
        let metadata = match std::fs::metadata(&path) {
            Ok(metadata) => metadata,
            Err(err) => {
                warnings.push(format!("skipped {}: {err}", path.display()));
                continue;
            }
        };
        if metadata.is_dir() {
            collect_json_files(&path, files, visited, warnings)?;
        } else if path.extension().is_some_and(|extension| extension == "json") {
            if !metadata.is_file() {
                warnings.push(format!("skipped {}: it is {}, not a pact file", path.display(), file_kind(&metadata)));
                continue;
            }
            match std::fs::canonicalize(&path) {
                Ok(canonical) => {
                    if visited.insert(canonical) {
                        files.push(path);
                    }
                }
                Err(err) => warnings.push(format!("skipped {}: {err}", path.display())),
            }
        }
    }
    Ok(())
}

async fn load_url(url: &str, client: &reqwest::Client) -> Result<LoadedPact, SourceError> {
    let shown = crate::util::redact::url(url);
    let response = client
        .get(url)
        .header("Accept", "application/hal+json, application/json")
        .send()
        .await
        .map_err(|err| SourceError(format!("cannot fetch pact {shown}: {}", crate::util::redact::error(&err))))?;
    let status = response.status();
    if !status.is_success() {
        return Err(SourceError(format!("cannot fetch pact {shown}: the server answered {status}")));
    }
    let json: serde_json::Value = response
        .json()
        .await
        .map_err(|err| SourceError(format!("pact {shown} is not JSON: {}", crate::util::redact::error(&err))))?;
    if determine_spec_version(&shown, &parse_meta_data(&json)) == PactSpecification::Unknown {
        return Err(unknown_version(&format!("pact {shown}"), Some(&json)));
    }
    let screened =
        pact_from_json(&shown, json).map_err(|err| SourceError(format!("cannot read pact {shown}: {err:#}")))?;
    Ok(LoadedPact::screened(shown, screened))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pact among the repository's fixtures reads the same one interaction at a time as
    /// with Pact's loader.
    #[test]
    fn streamed_pacts_equal_pacts_read_whole() {
        let (mut files, mut visited, mut warnings) = (Vec::new(), Default::default(), Vec::new());
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
        collect_json_files(&fixtures, &mut files, &mut visited, &mut warnings).unwrap();
        let mut compared = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let Ok(whole) = pact_models::pact::read_pact(&file) else { continue };
            if whole.specification_version() == PactSpecification::Unknown {
                continue;
            }
            let (streamed, _) = parse_streamed("test", &text)
                .unwrap_or_else(|| panic!("{} did not read one interaction at a time", file.display()));
            let spec = whole.specification_version();
            assert_eq!(streamed.specification_version(), spec, "{}", file.display());
            assert_eq!(streamed.to_json(spec).unwrap(), whole.to_json(spec).unwrap(), "{}", file.display());
            compared += 1;
        }
        assert!(compared >= 10, "only {compared} fixture pacts compared");
    }
}
