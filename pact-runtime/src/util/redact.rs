//! Keeps credentials out of everything we print. Works on text, not on parsed URLs, so a URL
//! that does not parse (a bad port, say) is masked as well as one that does.

use std::sync::LazyLock;

use regex::Regex;

/// `text` with the userinfo of every URL in it masked: `user:pass@` becomes `user:***@`, and a
/// userinfo without a password (often a token) becomes `***@`. The same shapes outside a URL
/// (`not a url user:pass@`, `token@host`) are masked too: a value that is not a URL may still
/// hold credentials, and an e-mail address masked in an error costs less than a leaked password.
pub fn url(text: &str) -> String {
    bare_userinfo(&url_userinfo(text))
}

/// Masks the userinfo of every `scheme://` URL in `text`.
fn url_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(scheme_end) = rest.find("://") {
        let authority_start = scheme_end + 3;
        out.push_str(&rest[..authority_start]);
        rest = &rest[authority_start..];
        let authority_len = rest.find(|c: char| "/?#".contains(c) || !is_authority_char(c)).unwrap_or(rest.len());
        let authority = &rest[..authority_len];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str(&masked_userinfo(&authority[..at]));
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &rest[authority_len..];
    }
    out.push_str(rest);
    out
}

/// Masks `user:pass@` and `token@` in every word of `text` that is not a URL (those are done):
/// the part of the word before its last `@`.
fn bare_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let word_len = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
        let word = &rest[..word_len];
        match word.rfind('@') {
            Some(at) if at > 0 && !word.contains("://") => {
                out.push_str(&masked_userinfo(&word[..at]));
                out.push_str(&word[at..]);
            }
            _ => out.push_str(word),
        }
        rest = &rest[word_len..];
        let gap_len = rest.find(is_word_char).unwrap_or(rest.len());
        out.push_str(&rest[..gap_len]);
        rest = &rest[gap_len..];
    }
    out
}

/// Characters of a word that may hold userinfo: a URL's authority characters but `=`, `,`, `;`
/// and square brackets, which separate a value from its name or the next value.
fn is_word_char(c: char) -> bool {
    is_authority_char(c) && !"=,;[]".contains(c)
}

/// Characters that can appear in a URL's authority as people write it, valid or not: anything
/// but whitespace, quotes and brackets that end a URL in prose.
fn is_authority_char(c: char) -> bool {
    !c.is_whitespace() && !"\"'`<>(){}|\\^".contains(c)
}

fn masked_userinfo(userinfo: &str) -> String {
    match userinfo.split_once(':') {
        Some((user, password)) if !user.is_empty() && !password.is_empty() => format!("{user}:***"),
        _ if userinfo.is_empty() => String::new(),
        _ => "***".to_string(),
    }
}

/// `text` with URL credentials masked (see [`url`]) and the value of every `Authorization`
/// header it quotes, whatever the scheme, replaced by `***`.
pub fn text(text: &str) -> String {
    static AUTHORIZATION: LazyLock<Regex> = LazyLock::new(|| {
        // `Authorization: <scheme> <value>` (also quoted, or with `=`), or `Authorization <known scheme> <value>`.
        Regex::new(
            r#"(?i)\b((?:proxy-)?authorization(?:["']?\s*[:=]\s*["']?|\s+(?:basic|bearer|token|digest|negotiate)\b)\s*)(?:[A-Za-z][\w.-]*\s+)?[^\s"',;}\]`]+"#,
        )
            .expect("a valid regex")
    });
    let masked = url(text);
    AUTHORIZATION
        .replace_all(&masked, |captures: &regex::Captures<'_>| {
            let whole = &captures[0];
            let prefix = &captures[1];
            // Keep the scheme (`Basic`, `Bearer`) when there is one: it helps and is no secret.
            let value = &whole[prefix.len()..];
            match value.split_once(char::is_whitespace) {
                Some((scheme, _)) => format!("{prefix}{scheme} ***"),
                None => format!("{prefix}***"),
            }
        })
        .into_owned()
}

/// A reqwest error and its causes (`a: b: c`: reqwest's own text, "error sending request",
/// does not say whether the connection was refused, timed out or failed TLS), without
/// credentials.
pub fn error(err: &reqwest::Error) -> String {
    chain(err)
}

/// Any error and its causes as `a: b: c`, without credentials.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut shown = err.to_string();
    let mut cause = err.source();
    while let Some(error) = cause {
        let line = error.to_string();
        if !shown.ends_with(&line) {
            shown = format!("{shown}: {line}");
        }
        cause = error.source();
    }
    text(&shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked() {
        assert_eq!(url("https://user:s3cret@broker.example/pacts"), "https://user:***@broker.example/pacts");
        assert_eq!(url("https://broker.example/pacts"), "https://broker.example/pacts");
    }

    #[test]
    fn urls_that_do_not_parse_are_masked_too() {
        assert_eq!(url("http://user:s3cr3t@127.0.0.1:99999"), "http://user:***@127.0.0.1:99999");
        assert_eq!(
            url("PACT_BROKER_BASE_URL is not a URL: `http://user:s3cr3t@127.0.0.1:99999/x`, nor http://a:b@c"),
            "PACT_BROKER_BASE_URL is not a URL: `http://user:***@127.0.0.1:99999/x`, nor http://a:***@c"
        );
        assert_eq!(url("http://p@ss:w@rd@host/"), "http://p@ss:***@host/");
    }

    #[test]
    fn userinfo_outside_a_url_is_masked_too() {
        assert_eq!(url("not a url user:S3CRETpw@"), "not a url user:***@");
        assert_eq!(url("`user:S3CRETpw@` is not a URL"), "`user:***@` is not a URL");
        assert_eq!(url("PACT_BROKER_BASE_URL=s3cr3tToken@broker.example"), "PACT_BROKER_BASE_URL=***@broker.example");
        assert_eq!(url("broker.example, TOKEN@, (u:p@h)"), "broker.example, ***@, (u:***@h)");
        assert_eq!(url("host:p@ss:w@rd@broker"), "host:***@broker");
        // A URL's userinfo is masked once, and masking again changes nothing.
        let once = url("see https://user:s3cret@broker.example and user:s3cret@ and tok@");
        assert_eq!(once, "see https://user:***@broker.example and user:***@ and ***@");
        assert_eq!(url(&once), once);
        assert_eq!(url("no at sign: a:b, @handle, trailing@"), "no at sign: a:b, @handle, ***@");
    }

    #[test]
    fn a_username_without_password_is_a_token() {
        assert_eq!(url("https://TOKEN@broker.example"), "https://***@broker.example");
        assert_eq!(url("https://TOKEN:@broker.example"), "https://***@broker.example");
    }

    #[test]
    fn authorization_headers_are_scrubbed_whatever_the_scheme() {
        assert_eq!(text("refused `Authorization: Basic dG9rOg==`"), "refused `Authorization: Basic ***`");
        assert_eq!(text(r#"{"authorization":"Token abc123"}"#), r#"{"authorization":"Token ***"}"#);
        assert_eq!(text("proxy-authorization: s3cr3t, next"), "proxy-authorization: ***, next");
        assert_eq!(text("authorization = Bearer x.y.z"), "authorization = Bearer ***");
        assert_eq!(text("`Authorization Bearer tok` is not a header"), "`Authorization Bearer ***` is not a header");
        assert_eq!(text("Authorization failed"), "Authorization failed");
    }
}
