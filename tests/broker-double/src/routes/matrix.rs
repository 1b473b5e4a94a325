//! `/matrix` and `/can-i-deploy`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::{json, Value};

use crate::hal::{bad_request, ok, Base};
use crate::matrix::{self, MatrixQuery, MatrixSelector};
use crate::query::parse_nested;
use crate::Shared;

fn answer(shared: &Shared, base: &Base, query: Result<MatrixQuery, Vec<String>>) -> Response {
    let query = match query {
        Ok(query) => query,
        Err(errors) => return bad_request(json!(errors)),
    };
    let state = shared.state();
    let errors = matrix::validate(&state, &query);
    if !errors.is_empty() {
        return bad_request(json!(errors));
    }
    ok(matrix::matrix(&state, base, &query))
}

/// `GET /matrix?q[][pacticipant]=Foo&q[][version]=1&latestby=cvp&environment=production`
pub(super) async fn matrix(State(shared): State<Arc<Shared>>, base: Base, RawQuery(query): RawQuery) -> Response {
    let params = parse_nested(query.as_deref().unwrap_or(""));
    answer(&shared, &base, matrix::parse_matrix_query(&params))
}

/// `GET /can-i-deploy?pacticipant=Foo&version=1&environment=production` (or `to=<tag>`).
pub(super) async fn can_i_deploy(State(shared): State<Arc<Shared>>, base: Base, RawQuery(query): RawQuery) -> Response {
    let params = parse_nested(query.as_deref().unwrap_or(""));
    let text = |key: &str| params.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let mut errors = Vec::new();
    let pacticipant = text("pacticipant");
    if pacticipant.is_none() {
        errors.push("Please specify the pacticipant".to_string());
    }
    let version = text("version");
    if version.is_none() {
        errors.push("Please specify the version".to_string());
    }
    let environment = text("environment");
    let tag = text("to").or_else(|| text("tag"));
    if environment.is_some() && tag.is_some() {
        errors.push("Specify either an environment or a tag to deploy to, not both".to_string());
    }
    let query = if errors.is_empty() {
        Ok(MatrixQuery {
            selectors: vec![MatrixSelector {
                pacticipant: pacticipant.unwrap_or_default(),
                version,
                ..Default::default()
            }],
            latestby: Some("cvp".into()),
            latest: environment.is_none(),
            tag,
            environment,
            ..Default::default()
        })
    } else {
        Err(errors)
    };
    answer(&shared, &base, query)
}
