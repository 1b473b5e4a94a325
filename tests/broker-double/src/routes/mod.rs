//! The HTTP API of the double.

use std::sync::Arc;

use axum::routing::{get, post, put};
use axum::{middleware, Router};
use serde_json::{json, Value};

use super::hal::{link, ok, templated, Base};
use super::{auth, faults, Shared};

mod admin;
mod environments;
mod matrix;
mod pacticipants;
mod pacts;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/", get(index))
        .route("/diagnostic/status/heartbeat", get(heartbeat))
        // pacts
        .route("/pacts/latest", get(pacts::latest_pacts))
        .route("/pacts/provider/{provider}", get(pacts::provider_pacts))
        .route("/pacts/provider/{provider}/latest", get(pacts::provider_latest))
        .route("/pacts/provider/{provider}/latest/{tag}", get(pacts::provider_latest_with_tag))
        .route("/pacts/provider/{provider}/tag/{tag}", get(pacts::provider_pacts_with_tag))
        .route(
            "/pacts/provider/{provider}/for-verification",
            get(pacts::for_verification_get).post(pacts::for_verification_post),
        )
        .route("/pacts/provider/{provider}/consumer/{consumer}/latest", get(pacts::pair_latest))
        .route("/pacts/provider/{provider}/consumer/{consumer}/latest/{tag}", get(pacts::pair_latest_with_tag))
        .route(
            "/pacts/provider/{provider}/consumer/{consumer}/version/{version}",
            get(pacts::get_pact_for_version).put(pacts::put_pact).patch(pacts::patch_pact),
        )
        .route("/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}", get(pacts::get_pact_version))
        .route(
            "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}/metadata/{metadata}",
            get(pacts::get_pact_version_with_metadata),
        )
        .route(
            "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}/verification-results",
            post(pacts::publish_verification),
        )
        .route(
            "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}/metadata/{metadata}/verification-results",
            post(pacts::publish_verification_with_metadata),
        )
        .route(
            "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}/verification-results/{number}",
            get(pacts::get_verification),
        )
        .route("/contracts/publish", post(pacts::publish_contracts))
        // pacticipants, versions, tags, branches
        .route("/pacticipants", get(pacticipants::list).post(pacticipants::create))
        .route(
            "/pacticipants/{pacticipant}",
            get(pacticipants::get_one).put(pacticipants::put_one).patch(pacticipants::patch_one),
        )
        .route("/pacticipants/{pacticipant}/versions", get(pacticipants::versions))
        .route(
            "/pacticipants/{pacticipant}/versions/{version}",
            get(pacticipants::get_version).put(pacticipants::put_version),
        )
        .route("/pacticipants/{pacticipant}/latest-version", get(pacticipants::latest_version))
        .route("/pacticipants/{pacticipant}/latest-version/{tag}", get(pacticipants::latest_tagged_version))
        .route(
            "/pacticipants/{pacticipant}/versions/{version}/tags/{tag}",
            get(pacticipants::get_tag).put(pacticipants::put_tag).delete(pacticipants::delete_tag),
        )
        .route("/pacticipants/{pacticipant}/branches", get(pacticipants::branches))
        .route("/pacticipants/{pacticipant}/branches/{branch}", get(pacticipants::get_branch))
        .route(
            "/pacticipants/{pacticipant}/branches/{branch}/versions/{version}",
            get(pacticipants::get_branch_version).put(pacticipants::put_branch_version),
        )
        .route(
            "/pacticipants/{pacticipant}/versions/{version}/deployed-versions/environment/{environment}",
            get(environments::deployed_for_version).post(environments::record_deployment),
        )
        .route(
            "/pacticipants/{pacticipant}/versions/{version}/released-versions/environment/{environment}",
            get(environments::released_for_version).post(environments::record_release),
        )
        // environments, deployments, releases
        .route("/environments", get(environments::list).post(environments::create))
        .route(
            "/environments/{uuid}",
            get(environments::get_one).put(environments::update).delete(environments::delete),
        )
        .route("/environments/{uuid}/deployed-versions/currently-deployed", get(environments::currently_deployed))
        .route("/environments/{uuid}/released-versions/currently-supported", get(environments::currently_supported))
        .route(
            "/deployed-versions/{uuid}",
            get(environments::get_deployed_version).patch(environments::patch_deployed_version),
        )
        .route(
            "/released-versions/{uuid}",
            get(environments::get_released_version).patch(environments::patch_released_version),
        )
        // matrix
        .route("/matrix", get(matrix::matrix))
        .route("/can-i-deploy", get(matrix::can_i_deploy))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), auth::require_auth))
        .layer(middleware::from_fn_with_state(shared.clone(), faults::inject));

    // The control plane sits outside auth and fault injection, so a test can always reach it.
    let admin = Router::new()
        .route("/_double/faults", post(admin::add_fault).delete(admin::clear_faults).get(admin::list_faults))
        .route("/_double/reset", post(admin::reset))
        .route("/_double/clock", put(admin::set_clock))
        .route("/_double/state", get(admin::dump_state))
        .route("/_double/requests", get(admin::requests).delete(admin::clear_requests));

    Router::new()
        .merge(admin)
        .merge(api)
        .layer(middleware::from_fn_with_state(shared.clone(), faults::record))
        .with_state(shared)
}

/// `api` served under `prefix` (such as `/broker`) only, as a broker behind a reverse proxy at a
/// sub-path is: the prefix comes off before routing, and every other path is a `404`. Links
/// carry the prefix (see [`crate::hal::base_url`]).
pub(crate) fn under_prefix(prefix: String, api: Router) -> Router {
    use axum::extract::Request;
    use axum::response::IntoResponse;
    use tower::ServiceExt;

    Router::new().fallback(move |request: Request| {
        let (api, prefix) = (api.clone(), prefix.clone());
        async move {
            let (mut parts, body) = request.into_parts();
            let rest = parts.uri.path().strip_prefix(prefix.as_str());
            let Some(rest) = rest.filter(|rest| rest.is_empty() || rest.starts_with('/')) else {
                return not_found().await;
            };
            let rest = if rest.is_empty() { "/" } else { rest };
            let inner = match parts.uri.query() {
                Some(query) => format!("{rest}?{query}"),
                None => rest.to_string(),
            };
            let Ok(uri) = inner.parse() else { return not_found().await };
            parts.uri = uri;
            match api.oneshot(Request::from_parts(parts, body)).await {
                Ok(response) => response.into_response(),
                Err(never) => match never {},
            }
        }
    })
}

async fn not_found() -> axum::response::Response {
    super::hal::not_found("The requested resource")
}

async fn heartbeat(base: Base) -> axum::response::Response {
    ok(json!({ "ok": true, "_links": { "self": link(base.url("/diagnostic/status/heartbeat"), None, None) } }))
}

/// The index: the entry point every client starts from. Only links to implemented resources.
async fn index(base: Base) -> axum::response::Response {
    let b = |path: &str| base.url(path);
    let links: Value = json!({
        "self": { "href": base.index(), "title": "Index", "templated": false },
        "pb:publish-pact": templated(b("/pacts/provider/{provider}/consumer/{consumer}/version/{consumerApplicationVersion}"),
            "Publish a pact"),
        "pb:publish-contracts": link(b("/contracts/publish"), Some("Publish contracts"), None),
        "pb:latest-pact-versions": link(b("/pacts/latest"), Some("Latest pact versions"), None),
        "pb:pacticipants": link(b("/pacticipants"), Some("Pacticipants"), None),
        "pb:pacticipant": templated(b("/pacticipants/{pacticipant}"), "Fetch pacticipant by name"),
        "pb:pacticipant-version": templated(b("/pacticipants/{pacticipant}/versions/{version}"),
            "Get, create or delete a pacticipant version"),
        "pb:pacticipant-version-tag": templated(b("/pacticipants/{pacticipant}/versions/{version}/tags/{tag}"),
            "Get, create or delete a tag for a pacticipant version"),
        "pb:pacticipant-branch": templated(b("/pacticipants/{pacticipant}/branches/{branch}"),
            "Get a pacticipant branch"),
        "pb:pacticipant-branch-version": templated(b("/pacticipants/{pacticipant}/branches/{branch}/versions/{version}"),
            "Get or add a version to a pacticipant branch"),
        "pb:latest-provider-pacts": templated(b("/pacts/provider/{provider}/latest"), "Latest pacts by provider"),
        "pb:latest-provider-pacts-with-tag": templated(b("/pacts/provider/{provider}/latest/{tag}"),
            "Latest pacts for provider with the specified tag"),
        "pb:provider-pacts": templated(b("/pacts/provider/{provider}"), "All pact versions for the specified provider"),
        "pb:provider-pacts-with-tag": templated(b("/pacts/provider/{provider}/tag/{tag}"),
            "All pact versions for the provider with the specified consumer version tag"),
        "pb:provider-pacts-for-verification": templated(b("/pacts/provider/{provider}/for-verification"),
            "Pact versions to be verified for the specified provider"),
        "beta:provider-pacts-for-verification": {
            "name": "beta",
            "href": b("/pacts/provider/{provider}/for-verification"),
            "title": "DEPRECATED - please use pb:provider-pacts-for-verification",
            "templated": true
        },
        "pb:latest-version": templated(b("/pacticipants/{pacticipant}/latest-version"), "Latest pacticipant version"),
        "pb:latest-tagged-version": templated(b("/pacticipants/{pacticipant}/latest-version/{tag}"),
            "Latest pacticipant version with the specified tag"),
        "pb:environments": link(b("/environments"), Some("Environments"), None),
        "pb:environment": templated(b("/environments/{uuid}"), "Environment"),
        "pb:matrix": link(b("/matrix"), Some("The matrix of verified consumer and provider versions"), None),
        "pb:can-i-deploy-pacticipant-version-to-tag": templated(
            b("/can-i-deploy?pacticipant={pacticipant}&version={version}&to={tag}"),
            "Determine if an application version can be safely deployed to an environment identified by a tag"),
        "pb:can-i-deploy-pacticipant-version-to-environment": templated(
            b("/can-i-deploy?pacticipant={pacticipant}&version={version}&environment={environment}"),
            "Determine if an application version can be safely deployed to an environment"),
        "curies": [
            { "name": "pb", "href": b("/doc/{rel}?context=index"), "templated": true },
            { "name": "beta", "href": b("/doc/{rel}?context=index"), "templated": true }
        ]
    });
    ok(json!({ "_links": links }))
}
