//! actix-web: the test serves on the listener pact-runtime bound, with the actix server running
//! in its own `System` on its own thread, and resolves when that server ends, so a server that
//! fails or panics while booting fails the test with the reason.
//!
//! (actix-web 4 can also run straight on the test's tokio runtime, `….run().await`, except for
//! code that needs an actix `System`, such as `actix_web::rt::spawn` or actors.)

mod common;

use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::{rt::System, web, App, HttpResponse, HttpServer};
use common::STORE;
use pact_runtime::pact_provider_test;
use web_stacks::{greeting_response, Greetings};

async fn get_greeting(greetings: web::Data<Greetings>, name: web::Path<String>) -> HttpResponse {
    let (status, body) = greeting_response(&greetings, &name);
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)).json(body)
}

#[pact_provider_test(provider = "GreetingService", pacts = "pacts")]
async fn actix_web_honours_the_pact(listener: tokio::net::TcpListener) -> Result<(), String> {
    // actix serves a std listener; `into_std` keeps it non-blocking, as actix's `listen` wants.
    let listener = listener.into_std().map_err(|err| err.to_string())?;
    let greetings = STORE.clone();
    let server = HttpServer::new(move || {
        App::new().app_data(web::Data::new(greetings.clone())).route("/greetings/{name}", web::get().to(get_greeting))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .map_err(|err| err.to_string())?
    .run();
    // pact-runtime drops this future when verification ends: stop the server, and so its thread.
    let _stop = StopOnDrop(server.handle());
    let (ended, server_ended) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = ended.send(System::new().block_on(server));
    });
    match server_ended.await {
        Ok(outcome) => outcome.map_err(|err| format!("actix-web failed: {err}")),
        Err(_) => Err("the actix-web server thread panicked".to_string()),
    }
}

/// Stops an actix server when dropped.
struct StopOnDrop(ServerHandle);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        // `stop` sends the command at once; the returned future only waits for it to finish.
        drop(self.0.stop(false));
    }
}
