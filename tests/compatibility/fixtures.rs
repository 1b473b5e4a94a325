//! The compatibility suite's fixtures: bodies (`file: basic.json`, `*-body.xml` descriptions,
//! `JSON: ...`, `XML: ...`, plain text) and matching-rule fragments, as its README describes.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use base64::Engine as _;
use pact_models::matchingrules::{matchers_from_json, MatchingRules};
use serde_json::{json, Value};

/// Where the suite's `features/` folder is: `PACT_COMPAT_FEATURES`, or the copy vendored in the
/// repository (`tests/compatibility/pact-compatibility-suite/features`).
pub fn features_dir() -> PathBuf {
    let dir = match std::env::var("PACT_COMPAT_FEATURES") {
        Ok(dir) if !dir.trim().is_empty() => PathBuf::from(dir.trim()),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("compatibility/pact-compatibility-suite/features"),
    };
    dir.canonicalize().unwrap_or(dir)
}

/// The suite's `fixtures/` folder: `PACT_COMPAT_FIXTURES`, or `fixtures` beside `features`.
pub fn fixtures_dir(features: &Path) -> PathBuf {
    match std::env::var("PACT_COMPAT_FIXTURES") {
        Ok(dir) if !dir.trim().is_empty() => PathBuf::from(dir.trim()),
        _ => features.join("../fixtures"),
    }
}

/// A body with its content type, when the fixture names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// The content type the fixture gives or its file extension implies; `None` for plain text
    /// written in the feature, which keeps the content type the part had.
    pub content_type: Option<String>,
    /// The contents.
    pub bytes: Vec<u8>,
}

/// Reads a body as the feature files write it: `file: name`, `JSON: ...`, `XML: ...`, or text.
pub fn body(value: &str, fixtures: &Path) -> anyhow::Result<Body> {
    let value = value.trim();
    if let Some(name) = value.strip_prefix("file:") {
        return file_body(name.trim(), fixtures);
    }
    if let Some(json) = value.strip_prefix("JSON:") {
        let parsed: Value = serde_json::from_str(json.trim()).with_context(|| format!("`{value}` is not JSON"))?;
        return Ok(Body { content_type: Some("application/json".into()), bytes: parsed.to_string().into_bytes() });
    }
    if let Some(xml) = value.strip_prefix("XML:") {
        return Ok(Body { content_type: Some("application/xml".into()), bytes: xml.trim().as_bytes().to_vec() });
    }
    Ok(Body { content_type: None, bytes: value.as_bytes().to_vec() })
}

/// A fixture file: a `*-body.xml` description, or a file whose extension gives the type.
pub fn file_body(name: &str, fixtures: &Path) -> anyhow::Result<Body> {
    let path = fixtures.join(name);
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read the fixture {}", path.display()))?;
    if name.ends_with("-body.xml") {
        let text = String::from_utf8(bytes).with_context(|| format!("{name} is not UTF-8"))?;
        return described_body(&text).with_context(|| format!("cannot read the body description {name}"));
    }
    Ok(Body { content_type: Some(content_type_of(name).to_string()), bytes })
}

/// The content type a fixture's file extension implies.
pub fn content_type_of(name: &str) -> &'static str {
    let extension = name.rsplit('.').next().unwrap_or_default().to_ascii_lowercase();
    match extension.as_str() {
        "json" => "application/json",
        "xml" => "application/xml",
        "txt" => "text/plain",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "pdf" => "application/pdf",
        "html" => "text/html",
        _ => "application/octet-stream",
    }
}

/// A `<body>` description: `<contentType>` and `<contents>` (CDATA kept verbatim, `eol="CRLF"`
/// turns line ends into CRLF, `encoding="base64"` decodes).
pub(crate) fn described_body(xml: &str) -> anyhow::Result<Body> {
    let content_type = element(xml, "contentType").map(|(_, inner)| unescape(inner.trim()));
    let (attributes, inner) = element(xml, "contents").ok_or_else(|| anyhow!("no <contents> element"))?;
    let mut text = match (inner.find("<![CDATA["), inner.rfind("]]>")) {
        (Some(start), Some(end)) if end > start => inner[start + "<![CDATA[".len()..end].to_string(),
        _ => unescape(inner.trim()),
    };
    if attribute(attributes, "eol").is_some_and(|eol| eol.eq_ignore_ascii_case("CRLF")) {
        text = text.replace("\r\n", "\n").replace('\n', "\r\n");
    }
    let bytes = if attribute(attributes, "encoding").is_some_and(|encoding| encoding.eq_ignore_ascii_case("base64")) {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD.decode(compact).context("the base64 contents do not decode")?
    } else {
        text.into_bytes()
    };
    let content_type = content_type.filter(|content_type| !content_type.is_empty()).or_else(|| {
        Some(if std::str::from_utf8(&bytes).is_ok() { "text/plain" } else { "application/octet-stream" }.to_string())
    });
    Ok(Body { content_type, bytes })
}

/// The attributes and inner text of the first `<name ...>...</name>` element.
fn element<'a>(xml: &'a str, name: &str) -> Option<(&'a str, &'a str)> {
    let open = format!("<{name}");
    let mut from = 0;
    while let Some(found) = xml[from..].find(&open) {
        let start = from + found;
        let after = &xml[start + open.len()..];
        // `<contents` must not match `<contentsX`.
        if after.starts_with(|c: char| c == '>' || c.is_whitespace()) {
            let tag_end = after.find('>')?;
            let attributes = &after[..tag_end];
            let body = &after[tag_end + 1..];
            let close = body.find(&format!("</{name}>"))?;
            return Some((attributes, &body[..close]));
        }
        from = start + open.len();
    }
    None
}

fn attribute<'a>(attributes: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("{name}=");
    let at = attributes.find(&key)?;
    let rest = &attributes[at + key.len()..];
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    value.find(quote).map(|end| &value[..end])
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

/// A matching-rule fragment (`regex-matcher-header-v2.json`, V2 or V3 format).
pub fn matching_rules(name: &str, fixtures: &Path) -> anyhow::Result<MatchingRules> {
    let path = fixtures.join(name.trim());
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let fragment: Value = serde_json::from_str(&text).with_context(|| format!("{name} is not JSON"))?;
    matchers_from_json(&json!({ "matchingRules": fragment }), &None)
        .map_err(|err| anyhow!("{name} holds no matching rules pact_models reads: {err}"))
}

/// `'X-TEST: Compatibility'` or `'A: 1', 'B: 2'` as name/value pairs.
pub fn headers(value: &str) -> Vec<(String, String)> {
    let value = value.trim();
    if value.is_empty() {
        return Vec::new();
    }
    let entries: Vec<&str> = if value.contains('\'') {
        value.split('\'').enumerate().filter(|(index, _)| index % 2 == 1).map(|(_, entry)| entry).collect()
    } else {
        value.split(',').collect()
    };
    entries
        .into_iter()
        .filter_map(|entry| {
            let (name, value) = entry.split_once(':')?;
            Some((name.trim().to_string(), value.trim().to_string()))
        })
        .collect()
}

/// A JSON value as the feature tables write it: JSON when it parses, else the text.
pub fn table_value(value: &str) -> Value {
    let value = value.trim();
    let value = value.strip_prefix("JSON:").map(str::trim).unwrap_or(value);
    serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()))
}
