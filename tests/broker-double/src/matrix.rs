//! The matrix and `can-i-deploy`: which consumer/provider versions were verified against each
//! other, and whether a version may be deployed.
//!
//! Rules from the real broker: a consumer requires each provider it has a pact with to have a
//! successful verification (by the provider version in the target environment, with the target
//! tag, or the latest, depending on the query); a provider does not require its consumers, but
//! must not break the consumer versions that are in the target. `deployable` is `null` while any
//! required result is unknown.

use serde_json::{json, Map, Value};

use super::hal::{pact_name, timestamp, Base};
use super::state::{State, Verification, Version};

/// One `q[]` entry (or the pacticipant/version of `/can-i-deploy`).
#[derive(Debug, Clone, Default)]
pub(crate) struct MatrixSelector {
    pub pacticipant: String,
    pub version: Option<String>,
    pub latest: bool,
    pub tag: Option<String>,
    pub branch: Option<String>,
    pub main_branch: bool,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct MatrixQuery {
    pub selectors: Vec<MatrixSelector>,
    pub ignore: Vec<MatrixSelector>,
    pub latestby: Option<String>,
    /// Target for the other pacticipants: `latest`, optionally with `tag`/`branch`/`mainBranch`.
    pub latest: bool,
    pub tag: Option<String>,
    pub branch: Option<String>,
    pub main_branch: bool,
    pub environment: Option<String>,
}

fn text(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

fn is_true(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Bool(true))) || matches!(value, Some(Value::String(s)) if s == "true")
}

fn selector_from(value: &Value) -> Result<MatrixSelector, String> {
    let Some(pacticipant) = text(value.get("pacticipant")) else {
        return Err("Please specify the pacticipant name".into());
    };
    Ok(MatrixSelector {
        pacticipant,
        version: text(value.get("version")),
        latest: is_true(value.get("latest")),
        tag: text(value.get("tag")),
        branch: text(value.get("branch")),
        main_branch: is_true(value.get("mainBranch")),
    })
}

/// Reads a Rack-style parsed `/matrix` query.
pub(crate) fn parse_matrix_query(params: &Map<String, Value>) -> Result<MatrixQuery, Vec<String>> {
    let mut errors = Vec::new();
    let list = |key: &str| -> Vec<Value> {
        match params.get(key) {
            Some(Value::Array(items)) => items.clone(),
            Some(Value::Object(map)) => vec![Value::Object(map.clone())],
            _ => Vec::new(),
        }
    };
    let mut query = MatrixQuery {
        latestby: text(params.get("latestby")),
        latest: is_true(params.get("latest")),
        tag: text(params.get("tag")),
        branch: text(params.get("branch")),
        main_branch: is_true(params.get("mainBranch")),
        environment: text(params.get("environment")),
        ..Default::default()
    };
    for item in list("q") {
        match selector_from(&item) {
            Ok(selector) => {
                if selector.version.is_some() && selector.latest {
                    errors.push(format!(
                        "A version number and latest=true cannot both be given for {}",
                        selector.pacticipant
                    ));
                }
                query.selectors.push(selector);
            }
            Err(e) => errors.push(e),
        }
    }
    for item in list("ignore") {
        match selector_from(&item) {
            Ok(selector) => query.ignore.push(selector),
            Err(e) => errors.push(format!("{e} to ignore")),
        }
    }
    if query.selectors.is_empty() && errors.is_empty() {
        errors.push("Please provide 1 or more version selectors.".into());
    }
    if errors.is_empty() {
        Ok(query)
    } else {
        Err(errors)
    }
}

/// Checks that pacticipants and the environment exist (the broker answers 400 otherwise).
pub(crate) fn validate(state: &State, query: &MatrixQuery) -> Vec<String> {
    let mut errors = Vec::new();
    for selector in &query.selectors {
        if state.pacticipant(&selector.pacticipant).is_none() {
            errors.push(format!("Pacticipant {} not found", selector.pacticipant));
        }
    }
    if let Some(environment) = &query.environment {
        if state.environment_by_name(environment).is_none() {
            errors.push(format!("Environment with name '{environment}' does not exist"));
        }
    }
    errors
}

/// A set of versions of one pacticipant, and how to describe it.
#[derive(Debug, Clone)]
struct Side {
    pacticipant: String,
    /// `None`: any version.
    versions: Option<Vec<String>>,
    description: String,
    /// The version(s) asked for don't exist.
    missing: bool,
}

impl Side {
    fn includes(&self, number: &str) -> bool {
        self.versions.as_ref().is_none_or(|v| v.iter().any(|n| n == number))
    }

    fn describe(&self, number: Option<&str>) -> String {
        match number {
            Some(n) if !self.description.contains(&format!("version {n} ")) => format!("{} ({n})", self.description),
            _ => self.description.clone(),
        }
    }
}

fn numbers<'a>(versions: impl IntoIterator<Item = &'a Version>) -> Vec<String> {
    versions.into_iter().map(|v| v.number.clone()).collect()
}

fn resolve_specified(state: &State, selector: &MatrixSelector) -> Side {
    let name = &selector.pacticipant;
    let (versions, description): (Vec<String>, String) = if let Some(number) = &selector.version {
        let found = state.version(name, number).map(|v| vec![v.number.clone()]).unwrap_or_default();
        (found, format!("version {number} of {name}"))
    } else if selector.main_branch {
        let head = state.main_branch_head(name);
        (numbers(head), format!("the latest version of {name} from its main branch"))
    } else if let Some(branch) = &selector.branch {
        if selector.latest {
            (numbers(state.branch_head(name, branch)), format!("the latest version of {name} from branch {branch}"))
        } else {
            let all = state.versions_of(name).into_iter().filter(|v| v.on_branch(branch));
            (numbers(all), format!("the versions of {name} from branch {branch}"))
        }
    } else if let Some(tag) = &selector.tag {
        if selector.latest {
            (numbers(state.latest_version_with_tag(name, tag)), format!("the latest version of {name} with tag {tag}"))
        } else {
            let all = state.versions_of(name).into_iter().filter(|v| v.has_tag(tag));
            (numbers(all), format!("the versions of {name} with tag {tag}"))
        }
    } else if selector.latest {
        (numbers(state.latest_version(name)), format!("the latest version of {name}"))
    } else {
        return Side {
            pacticipant: name.clone(),
            versions: None,
            description: format!("any version of {name}"),
            missing: false,
        };
    };
    Side { pacticipant: name.clone(), missing: versions.is_empty(), versions: Some(versions), description }
}

/// The versions of a pacticipant that wasn't named in the query, from the query's target.
fn resolve_inferred(state: &State, query: &MatrixQuery, infer: bool, name: &str) -> Side {
    let side = |versions: Option<Vec<String>>, description: String| Side {
        pacticipant: name.to_string(),
        versions,
        description,
        missing: false,
    };
    if !infer {
        return side(None, format!("a version of {name}"));
    }
    if let Some(environment) = &query.environment {
        let mut versions: Vec<String> = state
            .currently_deployed(Some(environment))
            .into_iter()
            .filter(|d| d.pacticipant == name)
            .map(|d| d.version.clone())
            .chain(
                state
                    .currently_supported(Some(environment))
                    .into_iter()
                    .filter(|r| r.pacticipant == name)
                    .map(|r| r.version.clone()),
            )
            .collect();
        versions.sort();
        versions.dedup();
        let description = if versions.is_empty() {
            format!("a version of {name} in {environment} (no version is recorded as deployed or released there)")
        } else {
            format!("the version of {name} currently in {environment}")
        };
        return side(Some(versions), description);
    }
    if query.latest {
        if let Some(tag) = &query.tag {
            let found = numbers(state.latest_version_with_tag(name, tag));
            let description = if found.is_empty() {
                format!("the latest version of {name} with tag {tag} (no such version exists)")
            } else {
                format!("the latest version of {name} with tag {tag}")
            };
            return side(Some(found), description);
        }
        if let Some(branch) = &query.branch {
            return side(
                Some(numbers(state.branch_head(name, branch))),
                format!("the latest version of {name} from branch {branch}"),
            );
        }
        if query.main_branch {
            return side(
                Some(numbers(state.main_branch_head(name))),
                format!("the latest version of {name} from its main branch"),
            );
        }
        return side(Some(numbers(state.latest_version(name))), format!("the latest version of {name}"));
    }
    side(None, format!("a version of {name}"))
}

struct Integration {
    consumer: String,
    provider: String,
    required: bool,
}

struct Row<'a> {
    consumer: String,
    consumer_version: String,
    provider: String,
    sha: String,
    verification: Option<&'a Verification>,
    ignored: bool,
}

fn is_ignored(query: &MatrixQuery, pacticipant: &str, version: Option<&str>) -> bool {
    query.ignore.iter().any(|i| i.pacticipant == pacticipant && i.version.as_deref().is_none_or(|v| Some(v) == version))
}

/// Computes the matrix document (`summary`, `notices`, `matrix`) for a validated query.
pub(crate) fn matrix(state: &State, base: &Base, query: &MatrixQuery) -> Value {
    let infer = query.selectors.len() == 1
        || query.latestby.as_deref() == Some("cvp")
        || query.environment.is_some()
        || query.latest;
    let specified: Vec<Side> = query.selectors.iter().map(|s| resolve_specified(state, s)).collect();
    let side_for = |name: &str| -> Side {
        specified
            .iter()
            .find(|s| s.pacticipant == name)
            .cloned()
            .unwrap_or_else(|| resolve_inferred(state, query, infer, name))
    };

    // Integrations: as consumer (the provider is required), as provider (the consumer is not).
    let mut integrations: Vec<Integration> = Vec::new();
    let mut add = |consumer: &str, provider: &str, required: bool| match integrations
        .iter_mut()
        .find(|i| i.consumer == consumer && i.provider == provider)
    {
        Some(existing) => existing.required |= required,
        None => integrations.push(Integration { consumer: consumer.into(), provider: provider.into(), required }),
    };
    let names: Vec<&str> = specified.iter().map(|s| s.pacticipant.as_str()).collect();
    for side in &specified {
        for publication in state.publications.iter().filter(|p| p.consumer == side.pacticipant) {
            if side.includes(&publication.consumer_version) && (infer || names.contains(&publication.provider.as_str()))
            {
                add(&side.pacticipant, &publication.provider, true);
            }
        }
        for publication in state.publications.iter().filter(|p| p.provider == side.pacticipant) {
            if infer || names.contains(&publication.consumer.as_str()) {
                add(&publication.consumer, &side.pacticipant, names.contains(&publication.consumer.as_str()));
            }
        }
    }
    integrations.sort_by(|a, b| (&a.consumer, &a.provider).cmp(&(&b.consumer, &b.provider)));

    let cvp = query.latestby.as_deref() == Some("cvp");
    let mut rows: Vec<Row> = Vec::new();
    let mut missing_required: Vec<(String, String)> = Vec::new();
    for integration in &integrations {
        let consumer_side = side_for(&integration.consumer);
        let provider_side = side_for(&integration.provider);
        let mut found = false;
        let mut publications: Vec<_> = state
            .publications
            .iter()
            .filter(|p| p.consumer == integration.consumer && p.provider == integration.provider)
            .filter(|p| consumer_side.includes(&p.consumer_version))
            .collect();
        publications.sort_by_key(|p| p.version_order);
        for publication in publications {
            found = true;
            let mut verifications: Vec<&Verification> = state
                .verifications_for(&publication.consumer, &publication.provider, &publication.sha)
                .into_iter()
                .filter(|v| provider_side.includes(&v.provider_version))
                .collect();
            verifications.sort_by_key(|v| v.seq);
            let chosen: Vec<&Verification> = if cvp {
                verifications.last().copied().into_iter().collect()
            } else {
                // The latest result per provider version.
                let mut latest: Vec<&Verification> = Vec::new();
                for verification in verifications {
                    latest.retain(|v| v.provider_version != verification.provider_version);
                    latest.push(verification);
                }
                latest
            };
            let ignored = |version: Option<&str>| {
                is_ignored(query, &publication.consumer, Some(&publication.consumer_version))
                    || is_ignored(query, &publication.provider, version)
            };
            if chosen.is_empty() {
                rows.push(Row {
                    consumer: publication.consumer.clone(),
                    consumer_version: publication.consumer_version.clone(),
                    provider: publication.provider.clone(),
                    sha: publication.sha.clone(),
                    verification: None,
                    ignored: ignored(None),
                });
            }
            for verification in chosen {
                rows.push(Row {
                    consumer: publication.consumer.clone(),
                    consumer_version: publication.consumer_version.clone(),
                    provider: publication.provider.clone(),
                    sha: publication.sha.clone(),
                    verification: Some(verification),
                    ignored: ignored(Some(&verification.provider_version)),
                });
            }
        }
        if !found
            && integration.required
            && !is_ignored(query, &integration.consumer, None)
            && !is_ignored(query, &integration.provider, None)
        {
            missing_required.push((integration.consumer.clone(), integration.provider.clone()));
        }
    }

    let counted: Vec<&Row> = rows.iter().filter(|r| !r.ignored).collect();
    let success = counted.iter().filter(|r| r.verification.is_some_and(|v| v.success)).count();
    let failed = counted.iter().filter(|r| r.verification.is_some_and(|v| !v.success)).count();
    let unknown = counted.iter().filter(|r| r.verification.is_none()).count() + missing_required.len();
    let ignored = rows.len() - counted.len();

    let missing_specified: Vec<&Side> = specified.iter().filter(|s| s.missing).collect();
    let deployable: Value = if !missing_specified.is_empty() {
        json!(false)
    } else if unknown > 0 {
        Value::Null
    } else {
        json!(failed == 0)
    };

    let describe = |name: &str, version: Option<&str>| side_for(name).describe(version);
    let mut errors: Vec<String> = missing_specified
        .iter()
        .map(|s| format!("No pacts or verification results have been published for {}", s.description))
        .collect();
    if errors.is_empty() {
        for (consumer, provider) in &missing_required {
            errors.push(format!(
                "There is no verified pact between {} and {}",
                describe(consumer, None),
                describe(provider, None)
            ));
        }
        for row in &counted {
            match row.verification {
                Some(v) if !v.success => errors.push(format!(
                    "The verification between {} and {} failed",
                    describe(&row.consumer, Some(&row.consumer_version)),
                    describe(&row.provider, Some(&v.provider_version))
                )),
                None => errors.push(format!(
                    "There is no verified pact between {} and {}",
                    describe(&row.consumer, Some(&row.consumer_version)),
                    describe(&row.provider, None)
                )),
                _ => {}
            }
        }
    }
    errors.dedup();
    let (reasons, notice_type) = if !errors.is_empty() {
        (errors, "error")
    } else if counted.is_empty() {
        (vec!["There are no missing dependencies".to_string()], "success")
    } else {
        (vec!["All required verification results are published and successful".to_string()], "success")
    };
    let mut notices: Vec<Value> = reasons.iter().map(|r| json!({ "type": notice_type, "text": r })).collect();
    for row in rows.iter().filter(|r| r.ignored) {
        notices.push(json!({
            "type": "info",
            "text": format!("Ignoring the result between {} and {} as requested", row.consumer, row.provider),
        }));
    }

    let mut summary = json!({
        "deployable": deployable,
        "reason": reasons.join("\n"),
        "success": success,
        "failed": failed,
        "unknown": unknown,
    });
    if !query.ignore.is_empty() {
        summary["ignored"] = json!(ignored);
    }
    json!({
        "summary": summary,
        "notices": notices,
        "matrix": rows.iter().map(|row| row_json(state, base, row)).collect::<Vec<_>>(),
    })
}

fn version_json(state: &State, base: &Base, pacticipant: &str, number: &str) -> Value {
    let version = state.version(pacticipant, number);
    let mut json = json!({
        "number": number,
        "_links": { "self": { "href": base.version(pacticipant, number) } },
    });
    if let Some(version) = version {
        json["branches"] = version.branches.iter().map(|b| json!({ "name": b })).collect();
        json["tags"] = version.tags.iter().map(|t| json!({ "name": t.name })).collect();
        if let Some(branch) = version.branches.last() {
            json["branch"] = json!(branch);
        }
    }
    json
}

fn row_json(state: &State, base: &Base, row: &Row) -> Value {
    let pact_created = state.content(&row.consumer, &row.provider, &row.sha).map(|c| timestamp(&c.created_at));
    let mut json = json!({
        "consumer": {
            "name": row.consumer,
            "_links": { "self": { "href": base.pacticipant(&row.consumer) } },
            "version": version_json(state, base, &row.consumer, &row.consumer_version),
        },
        "provider": {
            "name": row.provider,
            "_links": { "self": { "href": base.pacticipant(&row.provider) } },
            "version": row.verification.map(|v| version_json(state, base, &row.provider, &v.provider_version)),
        },
        "pact": {
            "createdAt": pact_created,
            "_links": {
                "self": {
                    "href": base.pact_version(&row.provider, &row.consumer, &row.sha),
                    "name": pact_name(&row.consumer, &row.consumer_version, &row.provider),
                }
            }
        },
        "verificationResult": row.verification.map(|v| json!({
            "success": v.success,
            "verifiedAt": timestamp(&v.created_at),
            "_links": {
                "self": { "href": base.verification_result(&row.provider, &row.consumer, &row.sha, v.number) }
            }
        })),
    });
    if row.ignored {
        json["ignored"] = json!(true);
    }
    json
}
