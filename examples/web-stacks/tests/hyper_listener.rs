//! hyper (or any tokio server): the test serves on the `tokio::net::TcpListener` pact-runtime
//! bound to `127.0.0.1:0`, here with a plain hyper 1 HTTP/1 accept loop.

mod common;

use std::convert::Infallible;

use common::STORE;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::CONTENT_TYPE;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use pact_runtime::pact_provider_test;
use web_stacks::{greeting_response, Greetings};

async fn route(greetings: Greetings, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let name = request.uri().path().strip_prefix("/greetings/").filter(|name| !name.is_empty() && !name.contains('/'));
    let (status, body) = match (request.method(), name) {
        (&Method::GET, Some(name)) => greeting_response(&greetings, name),
        _ => (404, serde_json::json!({ "error": "not found" })),
    };
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(CONTENT_TYPE, "application/json".parse().expect("a valid header value"));
    Ok(response)
}

#[pact_provider_test(provider = "GreetingService", pacts = "pacts")]
async fn hyper_honours_the_pact(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let greetings = STORE.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| route(greetings.clone(), request));
            if let Err(error) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                eprintln!("hyper connection error: {error}");
            }
        });
    }
}
