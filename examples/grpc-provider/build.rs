//! Generates the gRPC server and client and the messages of proto/users.proto, with the
//! `protoc` of the protoc-bin-vendored crate (no system protoc needed).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    tonic_prost_build::configure().compile_with_config(config, &["proto/users.proto"], &["proto"])?;
    Ok(())
}
