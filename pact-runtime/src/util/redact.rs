//! Keeps credentials out of everything we print.

/// `url` with any userinfo password replaced by `***`.
pub fn url(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => text.to_string(),
    }
}

/// A reqwest error's text without the credentials of the URL it names.
pub fn error(err: &reqwest::Error) -> String {
    let text = err.to_string();
    match err.url() {
        Some(failed) if failed.password().is_some() => text.replace(failed.as_str(), &url(failed.as_str())),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_masked() {
        assert_eq!(super::url("https://user:s3cret@broker.example/pacts"), "https://user:***@broker.example/pacts");
        assert_eq!(super::url("https://broker.example/pacts"), "https://broker.example/pacts");
    }
}
