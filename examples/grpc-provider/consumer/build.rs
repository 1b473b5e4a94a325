//! The consumer's own client and messages, generated from the provider's published
//! proto/users.proto with the `protoc` of the protoc-bin-vendored crate.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    tonic_prost_build::configure().build_server(false).compile_with_config(
        config,
        &["../proto/users.proto"],
        &["../proto"],
    )?;
    Ok(())
}
