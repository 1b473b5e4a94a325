//! The table of `#[pact_provider_test]` options and the environment variables that override
//! them. `pact-runtime` resolves settings with it and `pact-macros` checks attribute options
//! with it, so the two cannot drift apart.

/// The literal an option takes in the attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// `name = "text"`.
    Text,
    /// `name = true` or `name = false`.
    Flag,
    /// `name = 10000`.
    Integer,
}

/// One configuration option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionDef {
    /// The attribute option's name; `None` for values only the environment may set (secrets).
    pub attribute: Option<&'static str>,
    /// The literal it takes.
    pub kind: OptionKind,
    /// Whether the attribute may repeat it (values accumulate).
    pub repeatable: bool,
    /// Environment variables that override it, first set one wins.
    pub env: &'static [&'static str],
    /// The default, as documentation.
    pub default: &'static str,
    /// What it does.
    pub meaning: &'static str,
}

const fn option(
    attribute: &'static str,
    kind: OptionKind,
    env: &'static [&'static str],
    default: &'static str,
    meaning: &'static str,
) -> OptionDef {
    OptionDef { attribute: Some(attribute), kind, repeatable: false, env, default, meaning }
}

const fn env_only(env: &'static [&'static str], meaning: &'static str) -> OptionDef {
    OptionDef { attribute: None, kind: OptionKind::Text, repeatable: false, env, default: "", meaning }
}

/// Every option, in the order the docs list them.
pub const OPTIONS: &[OptionDef] = &[
    option(
        "provider",
        OptionKind::Text,
        &["PACT_PROVIDER_NAME"],
        "the provider the pacts name",
        "provider to verify; also scopes `provider = ...` states",
    ),
    OptionDef {
        repeatable: true,
        ..option(
            "pacts",
            OptionKind::Text,
            &["PACT_SOURCES"],
            "`pacts` in the crate",
            "pact files, directories or `http(s)://` URLs (the variable is comma-separated)",
        )
    },
    option(
        "base_path",
        OptionKind::Text,
        &["PACT_PROVIDER_BASE_PATH"],
        "none",
        "path the app is mounted under, e.g. `/api`: prefixed to every pact request path",
    ),
    option(
        "state_path",
        OptionKind::Text,
        &["PACT_STATE_CHANGE_PATH"],
        "`/_pact/provider_states`",
        "path of the state endpoint `StateServer` serves (a `#[pact_provider_test]` calls its functions in-process)",
    ),
    option(
        "boot_timeout_ms",
        OptionKind::Integer,
        &["PACT_APP_BOOT_TIMEOUT_MS"],
        "10000",
        "how long the app may take to accept connections",
    ),
    option(
        "request_timeout_ms",
        OptionKind::Integer,
        &["PACT_REQUEST_TIMEOUT_MS"],
        "30000",
        "timeout of each request to the provider and the broker",
    ),
    option(
        "follow_redirects",
        OptionKind::Flag,
        &["PACT_FOLLOW_REDIRECTS"],
        "false",
        "follow `3xx` redirects of the provider; off by default because the pact's status is an exact match (as in the Pact specification and pact-jvm), while `pact_verifier` follows them",
    ),
    option(
        "state_timeout_ms",
        OptionKind::Integer,
        &["PACT_STATE_TIMEOUT_MS"],
        "30000",
        "how long one state function may run",
    ),
    option(
        "max_body_bytes",
        OptionKind::Integer,
        &["PACT_MAX_BODY_BYTES"],
        "16777216",
        "the largest response or message body read (16 MiB); a larger one fails its interaction",
    ),
    option(
        "missing_states",
        OptionKind::Text,
        &["PACT_MISSING_STATES"],
        "`fail`",
        "`fail`: a provider state no function serves fails its interaction; `warn`: the request is sent without it and the report warns",
    ),
    option(
        "unused_states",
        OptionKind::Text,
        &["PACT_UNUSED_STATES"],
        "`warn`",
        "after a complete, unfiltered run, `warn` lists the `#[provider_state]` and `#[message]` functions no interaction used; `fail` also fails the run",
    ),
    option(
        "no_pacts",
        OptionKind::Text,
        &["PACT_NO_PACTS"],
        "`fail`",
        "`fail`: finding no pacts for the provider fails the test; `pass`: the test passes with a warning",
    ),
    option(
        "broker_url",
        OptionKind::Text,
        &["PACT_BROKER_BASE_URL"],
        "none",
        "Pact Broker or PactFlow base URL; credentials in its userinfo are used as basic auth",
    ),
    env_only(&["PACT_BROKER_USERNAME"], "basic-auth user for the broker"),
    env_only(&["PACT_BROKER_PASSWORD"], "basic-auth password for the broker"),
    env_only(&["PACT_BROKER_TOKEN"], "bearer token for the broker (PactFlow)"),
    option(
        "ca_bundle",
        OptionKind::Text,
        &["PACT_BROKER_CA_BUNDLE"],
        "system roots",
        "PEM file of extra CA certificates to trust for the broker",
    ),
    option(
        "consumer_version_selectors",
        OptionKind::Text,
        &["PACT_CONSUMER_VERSION_SELECTORS"],
        "the broker's default",
        "JSON array of consumer version selectors",
    ),
    option(
        "provider_branch",
        OptionKind::Text,
        &["PACT_PROVIDER_BRANCH", "GIT_BRANCH"],
        "none",
        "provider version branch, for pending status and publishing",
    ),
    option("provider_tags", OptionKind::Text, &["PACT_PROVIDER_TAGS"], "none", "comma-separated provider version tags"),
    option(
        "enable_pending",
        OptionKind::Flag,
        &["PACT_ENABLE_PENDING"],
        "false",
        "ask the broker for pending status; pending failures do not fail the test",
    ),
    option(
        "include_wip_pacts_since",
        OptionKind::Text,
        &["PACT_INCLUDE_WIP_PACTS_SINCE"],
        "none",
        "include work-in-progress pacts created since this date (`YYYY-MM-DD`)",
    ),
    option(
        "publish",
        OptionKind::Flag,
        &["PACT_BROKER_PUBLISH_VERIFICATION_RESULTS"],
        "false",
        "publish verification results to the broker",
    ),
    option(
        "provider_version",
        OptionKind::Text,
        &["PACT_PROVIDER_VERSION", "GIT_COMMIT"],
        "none",
        "provider version to publish results for",
    ),
    option("build_url", OptionKind::Text, &["PACT_BUILD_URL"], "none", "CI build URL published with the results"),
    option(
        "filter_description",
        OptionKind::Text,
        &["PACT_DESCRIPTION"],
        "none",
        "verify only interactions whose description matches this regex",
    ),
    option(
        "filter_state",
        OptionKind::Text,
        &["PACT_PROVIDER_STATE"],
        "none",
        "verify only interactions with a state matching this regex",
    ),
    option(
        "filter_no_state",
        OptionKind::Flag,
        &["PACT_PROVIDER_NO_STATE"],
        "false",
        "verify only interactions without states",
    ),
    option(
        "filter_consumer",
        OptionKind::Text,
        &["PACT_CONSUMER"],
        "none",
        "verify only these consumers' pacts (comma-separated)",
    ),
    option(
        "shard",
        OptionKind::Text,
        &["PACT_SHARD"],
        "none",
        "`k/n`: verify only shard k of n, a deterministic set of whole pacts balanced by interaction count, for a CI matrix",
    ),
    OptionDef {
        repeatable: true,
        ..option(
            "custom_headers",
            OptionKind::Text,
            &["PACT_CUSTOM_HEADERS"],
            "none",
            "headers added to every request to the provider, as `Name: value` (comma-separated)",
        )
    },
    option(
        "junit_report",
        OptionKind::Text,
        &["PACT_VERIFIER_JUNIT_REPORT"],
        "none",
        "write a JUnit XML report to this file (or, for a directory, to a file in it named after the test)",
    ),
    option(
        "json_report",
        OptionKind::Text,
        &["PACT_VERIFIER_JSON_REPORT"],
        "none",
        "write a JSON report to this file (or, for a directory, to a file in it named after the test)",
    ),
    option(
        "html_report",
        OptionKind::Text,
        &["PACT_VERIFIER_HTML_REPORT"],
        "none",
        "write an HTML report, one self-contained page, to this file (or, for a directory, to a file in it named after the test)",
    ),
    option(
        "fail_fast",
        OptionKind::Flag,
        &["PACT_FAIL_FAST"],
        "false",
        "stop at the first interaction that fails the run (a pending one does not), list the rest as skipped, and never publish (the reference verifier's `--exit-on-first-error`)",
    ),
    option(
        "last_failed",
        OptionKind::Text,
        &["PACT_LAST_FAILED"],
        "none",
        "verify only the interactions that failed in a previous run's JSON report: its path, or `true` for the report `json_report` names; never publishes (the reference verifier's `--last-failed`)",
    ),
    option(
        "dedupe_interactions",
        OptionKind::Flag,
        &["PACT_DEDUPE_INTERACTIONS"],
        "true",
        "verify an interaction that is identical in several pacts of one consumer (several versions the broker selected) once, and report and publish its result for each pact",
    ),
    env_only(
        &["PACT_URL", "PACT_WEBHOOK_CALLBACK_URL"],
        "webhook mode: verify only this pact URL (with the broker's credentials)",
    ),
];

/// The option an attribute name refers to.
pub fn find_option(attribute: &str) -> Option<&'static OptionDef> {
    OPTIONS.iter().find(|option| option.attribute == Some(attribute))
}

/// Parses `custom_headers`: `Name: value` pairs separated by commas. A comma that is not
/// followed by `Name:` belongs to the value, so `Accept: a, b` is one header. A value with a
/// control character is an error that names the header and not the value, which may be a secret.
pub fn parse_headers(list: &str) -> Result<Vec<(String, String)>, String> {
    let mut pieces: Vec<String> = Vec::new();
    for piece in list.split(',') {
        let starts_header = piece.split_once(':').is_some_and(|(name, _)| is_header_name(name.trim()));
        match pieces.last_mut() {
            Some(last) if !starts_header => {
                last.push(',');
                last.push_str(piece);
            }
            _ => pieces.push(piece.to_string()),
        }
    }
    let mut headers = Vec::new();
    for piece in pieces.iter().filter(|piece| !piece.trim().is_empty()) {
        match piece.split_once(':') {
            Some((name, value)) if is_header_name(name.trim()) => {
                let (name, value) = (name.trim(), value.trim());
                // What `http::HeaderValue` accepts: tabs and bytes from 0x20 on, but DEL.
                if let Some(byte) = value.bytes().find(|&byte| (byte < 0x20 && byte != b'\t') || byte == 0x7f) {
                    return Err(format!(
                        "the value of header `{name}` holds a control character (byte {byte:#04x}), which no HTTP header may carry (value not shown)"
                    ));
                }
                headers.push((name.to_string(), value.to_string()))
            }
            _ => return Err(format!("`{}` is not a header: write `Name: value`", piece.trim())),
        }
    }
    Ok(headers)
}

fn is_header_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte))
}
