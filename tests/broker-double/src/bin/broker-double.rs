//! Runs the Pact Broker test double until killed.
//!
//! ```text
//! cargo run -p pact-broker-double --bin broker-double -- --port 9292 [--username u --password p] [--token t]
//!     [--tls-cert cert.pem --tls-key key.pem] [--public-base-url URL] [--path-prefix /broker]
//!     [--allow-contract-modification]
//! ```
//!
//! Prints `Pact Broker double listening on <url>` once it accepts connections. Faults, reset,
//! clock and inspection are under `/_double/...` (see `pact_broker_double`).

use std::process::ExitCode;

use pact_broker_double::{BrokerDouble, BrokerOptions};

const USAGE: &str = "usage: broker-double [--port N] [--username U --password P] [--token T] \
[--tls-cert FILE --tls-key FILE] [--public-base-url URL] [--path-prefix /broker] [--allow-contract-modification] [--lenient-selectors]";

fn parse(args: &[String]) -> Result<BrokerOptions, String> {
    let mut options = BrokerOptions::new();
    let (mut username, mut password, mut cert, mut key) = (None, None, None, None);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().cloned().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--port" | "-p" => {
                options.port = value("--port")?.parse().map_err(|_| "--port needs a number".to_string())?
            }
            "--username" | "-u" => username = Some(value("--username")?),
            "--password" => password = Some(value("--password")?),
            "--token" | "-t" => options.bearer_token = Some(value("--token")?),
            "--tls-cert" => cert = Some(value("--tls-cert")?),
            "--tls-key" => key = Some(value("--tls-key")?),
            "--public-base-url" => options.public_base_url = Some(value("--public-base-url")?),
            "--path-prefix" => options.path_prefix = Some(value("--path-prefix")?),
            "--allow-contract-modification" => options.allow_contract_modification = true,
            "--lenient-selectors" => options.lenient_selectors = true,
            "--help" | "-h" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    match (username, password) {
        (Some(u), Some(p)) => options.basic_auth = Some((u, p)),
        (None, None) => {}
        _ => return Err("--username and --password go together".into()),
    }
    match (cert, key) {
        (Some(cert), Some(key)) => {
            let cert = std::fs::read(&cert).map_err(|e| format!("reading {cert}: {e}"))?;
            let key = std::fs::read(&key).map_err(|e| format!("reading {key}: {e}"))?;
            options = options.with_tls(cert, key);
        }
        (None, None) => {}
        _ => return Err("--tls-cert and --tls-key go together".into()),
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let broker = match BrokerDouble::start(options).await {
        Ok(broker) => broker,
        Err(e) => {
            eprintln!("broker-double: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    println!("Pact Broker double listening on {}", broker.url());
    let _ = tokio::signal::ctrl_c().await;
    broker.shutdown().await;
    ExitCode::SUCCESS
}
