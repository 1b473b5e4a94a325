//! Issue 5, options that contradict each other: each is an error that names both sides, before
//! anything runs. No I/O, so no time bound is needed beyond the test harness's.

use pact_runtime::__private::run_provider_test;
use pact_runtime::config::ProviderTestSpec;
use pact_runtime::Settings;

const SPEC: ProviderTestSpec = ProviderTestSpec { test_name: "t", manifest_dir: "/crate", options: &[] };

fn resolve(spec: &ProviderTestSpec, env: &'static [(&'static str, &'static str)]) -> Result<Settings, String> {
    Settings::resolve_with(spec, |name| env.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string()))
        .map_err(|error| error.to_string())
}

#[test]
fn a_state_filter_and_the_no_state_filter_exclude_each_other() {
    let error = resolve(&SPEC, &[("PACT_PROVIDER_STATE", "user .*"), ("PACT_PROVIDER_NO_STATE", "true")]).unwrap_err();
    assert_eq!(
        error,
        "PACT_PROVIDER_STATE and PACT_PROVIDER_NO_STATE exclude each other: one keeps interactions with a matching state, the other only interactions without states; set one"
    );
    let spec = ProviderTestSpec { options: &[("filter_state", "user .*"), ("filter_no_state", "true")], ..SPEC };
    let error = resolve(&spec, &[]).unwrap_err();
    assert!(error.starts_with("option `filter_state` and option `filter_no_state` exclude each other"), "{error}");
    // `filter_no_state = false` does not conflict.
    assert!(resolve(&SPEC, &[("PACT_PROVIDER_STATE", "x"), ("PACT_PROVIDER_NO_STATE", "false")]).is_ok());
}

#[test]
fn a_token_and_a_username_exclude_each_other() {
    let error = resolve(
        &SPEC,
        &[
            ("PACT_BROKER_BASE_URL", "http://127.0.0.1:9"),
            ("PACT_BROKER_TOKEN", "tok-3x9-secret"),
            ("PACT_BROKER_USERNAME", "pact"),
            ("PACT_BROKER_PASSWORD", "pw-3x9-secret"),
        ],
    )
    .unwrap_err();
    assert_eq!(
        error,
        "both PACT_BROKER_TOKEN and PACT_BROKER_USERNAME are set: use a token (PactFlow) or a username and password, not both"
    );
}

#[test]
fn a_token_and_credentials_in_the_broker_url_exclude_each_other() {
    let error = resolve(
        &SPEC,
        &[("PACT_BROKER_BASE_URL", "http://pact:pw-3x9-secret@127.0.0.1:9"), ("PACT_BROKER_TOKEN", "tok-3x9-secret")],
    )
    .unwrap_err();
    assert_eq!(
        error,
        "both PACT_BROKER_TOKEN and credentials in PACT_BROKER_BASE_URL are set: use a token (PactFlow) or a username and password, not both"
    );
}

#[test]
fn a_password_without_a_username_is_an_error() {
    let error =
        resolve(&SPEC, &[("PACT_BROKER_BASE_URL", "http://127.0.0.1:9"), ("PACT_BROKER_PASSWORD", "pw-3x9-secret")])
            .unwrap_err();
    assert_eq!(
        error,
        "PACT_BROKER_PASSWORD is set but PACT_BROKER_USERNAME is not: set both for basic auth, or use PACT_BROKER_TOKEN alone"
    );
    // Without a broker, the credentials are not used, so they do not conflict.
    assert!(resolve(&SPEC, &[("PACT_BROKER_PASSWORD", "pw-3x9-secret")]).is_ok());
}

#[test]
fn publishing_without_a_broker_or_a_version_is_an_error() {
    let error =
        resolve(&SPEC, &[("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true"), ("GIT_COMMIT", "abc")]).unwrap_err();
    assert!(error.starts_with("publishing verification results needs a broker"), "{error}");
    let error = resolve(
        &SPEC,
        &[("PACT_BROKER_BASE_URL", "http://127.0.0.1:9"), ("PACT_BROKER_PUBLISH_VERIFICATION_RESULTS", "true")],
    )
    .unwrap_err();
    assert!(error.starts_with("publishing verification results needs a provider version"), "{error}");
}

/// What `#[pact_provider_test]` does with a conflict: it fails before booting the app.
#[test]
#[should_panic(
    expected = "diagnostics_config::conflicting: configuration error: option `filter_state` and option `filter_no_state` exclude each other"
)]
fn a_conflict_fails_the_generated_test_before_the_app_boots() {
    let spec = ProviderTestSpec {
        test_name: "diagnostics_config::conflicting",
        manifest_dir: env!("CARGO_MANIFEST_DIR"),
        options: &[("provider", "ConfigService"), ("filter_state", "x"), ("filter_no_state", "true")],
    };
    run_provider_test(spec, || async {
        panic!("the app must not boot");
        #[allow(unreachable_code)]
        axum::Router::new()
    });
}

/// A custom header value with a control character was accepted, and then every interaction
/// failed printing the token. It is a configuration error naming the header, never its value,
/// from the environment, the attribute and the builder alike.
#[test]
fn a_custom_header_value_with_a_control_character_is_refused_without_showing_it() {
    let expected = "PACT_CUSTOM_HEADERS: the value of header `Authorization` holds a control character (byte 0x01), which no HTTP header may carry (value not shown)";
    let error =
        resolve(&SPEC, &[("PACT_CUSTOM_HEADERS", "X-Trace: 1, Authorization: Bearer S3CRET\u{1}x")]).unwrap_err();
    assert_eq!(error, expected);
    let spec = ProviderTestSpec { options: &[("custom_headers", "Authorization: Bearer S3CRET\u{7f}x")], ..SPEC };
    let error = resolve(&spec, &[]).unwrap_err();
    assert!(
        error.starts_with(
            "option `custom_headers`: the value of header `Authorization` holds a control character (byte 0x7f)"
        ),
        "{error}"
    );
    let error =
        Settings::builder().custom_header("Authorization", "Bearer S3CRET\u{1b}[2Jx").build().unwrap_err().to_string();
    assert!(!error.contains("S3CRET"), "{error}");
    assert!(error.contains("header `Authorization`"), "{error}");
    // Tabs, and bytes past ASCII (UTF-8 text), are fine in a header value.
    assert!(resolve(&SPEC, &[("PACT_CUSTOM_HEADERS", "X-Note: a\tcafé")]).is_ok());
}

/// `PACT_SHARD=1/4294967295` aborted the process allocating 32 GiB; a count over 1000 is a
/// configuration error naming `PACT_SHARD`.
#[test]
fn a_huge_shard_count_is_a_configuration_error() {
    let error = resolve(&SPEC, &[("PACT_SHARD", "1/4294967295")]).unwrap_err();
    assert_eq!(
        error,
        "PACT_SHARD splits the run into at most 1000 shards, got 4294967295: use fewer (each shard verifies whole pacts, so shards beyond the number of pacts get nothing)"
    );
    let error = Settings::builder().shard(1, 100_000_000).build().unwrap_err().to_string();
    assert!(error.starts_with("option `shard` splits the run into at most 1000 shards, got 100000000"), "{error}");
}

/// A report path that is a FIFO nobody reads made the test never end; it is a configuration
/// error naming the variable and the path, before anything runs.
#[cfg(unix)]
#[test]
fn a_report_path_that_is_a_fifo_is_a_configuration_error() {
    let fifo = std::env::temp_dir().join(format!("pact-config-report-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&fifo);
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(status.success());
    let shown = fifo.display().to_string();
    let env = [("PACT_VERIFIER_JSON_REPORT", shown.as_str())];
    let error =
        Settings::resolve_with(&SPEC, |name| env.iter().find(|(key, _)| *key == name).map(|(_, v)| v.to_string()))
            .unwrap_err()
            .to_string();
    assert_eq!(
        error,
        format!("PACT_VERIFIER_JSON_REPORT: the report path {shown} is a FIFO, not a regular file; give a file path, or a directory for a file per test")
    );
    let error = Settings::builder().junit_report(&fifo).build().unwrap_err().to_string();
    assert!(error.starts_with("option `junit_report`: the report path"), "{error}");
    let _ = std::fs::remove_file(&fifo);
}

/// `state_path("/:id")` or `"/{"` was accepted by `build()`, and `StateServer::start_with`
/// then panicked inside the router. A state path must be a plain path.
#[test]
fn a_state_path_that_is_not_a_plain_path_is_a_configuration_error() {
    for path in ["/:id", "/{", "/{id}", "/*rest", "/a b", "/a?b", "//", "/a//b"] {
        let error = Settings::builder().state_path(path).build().unwrap_err().to_string();
        assert_eq!(
            error,
            format!("option `state_path` must be a plain path such as `/_pact/provider_states` (letters, digits, `-`, `.`, `_` and `~` between single slashes), got `{path}`")
        );
    }
    let error = resolve(&SPEC, &[("PACT_STATE_CHANGE_PATH", "/:id")]).unwrap_err();
    assert!(error.starts_with("PACT_STATE_CHANGE_PATH must be a plain path"), "{error}");
    let error = resolve(&SPEC, &[("PACT_STATE_CHANGE_PATH", "states")]).unwrap_err();
    assert!(error.starts_with("PACT_STATE_CHANGE_PATH must be a plain path"), "{error}");
    for path in ["/", "/states", "/_pact/provider-states.v2/~x"] {
        assert!(Settings::builder().state_path(path).build().is_ok(), "{path}");
    }
}

/// ESC, CR and BEL in an environment value were printed raw in the configuration error, so a
/// value could clear the terminal or overwrite the line; they are shown escaped.
#[test]
fn control_characters_in_values_are_shown_escaped_in_configuration_errors() {
    let error = resolve(&SPEC, &[("PACT_STATE_TIMEOUT_MS", "5\u{1b}[2J\u{7}x\ry")]).unwrap_err();
    assert_eq!(error, "PACT_STATE_TIMEOUT_MS must be a whole number of milliseconds, got `5\\u{1b}[2J\\u{7}x\\u{d}y`");
    let error = Settings::builder().filter_description("(\u{1b}]0;title\u{7}").build().unwrap_err();
    assert!(!error.to_string().contains(['\u{1b}', '\u{7}']), "{error}");
}

/// `Settings` has no public fields: a `state_path` the router would read as a parameter, or a
/// header no request can carry, cannot reach a `StateServer` or a run past `build()`, which
/// names the option and never shows the header's value.
#[test]
fn settings_in_code_pass_the_same_checks_as_the_attribute() {
    let error = Settings::builder().provider("ConfigService").state_path("/:id").build().unwrap_err();
    assert_eq!(
        error.to_string(),
        "option `state_path` must be a plain path such as `/_pact/provider_states` (letters, digits, `-`, `.`, `_` and `~` between single slashes), got `/:id`"
    );
    let error = Settings::builder()
        .provider("ConfigService")
        .custom_header("Authorization", "Bearer S3CRET\u{1}x")
        .build()
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("option `custom_headers`: "), "{error}");
    assert!(!error.contains("S3CRET"), "{error}");
}
