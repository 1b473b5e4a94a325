//! Installs the workspace's test plugins into `$PACT_PLUGIN_DIR` and prints the protobuf
//! plugin's directory: `cargo run -p pact-test-plugins`.

fn main() {
    match pact_test_plugins::protobuf_plugin() {
        Ok(dir) => println!("{}", dir.display()),
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(1);
        }
    }
}
