//! Unit tests of the compatibility harness's helpers. The harness (`main.rs`) is a
//! `harness = false` target, where `#[test]` functions do not run, so they run here, on the
//! helpers' files included as modules.

#![allow(dead_code)]

#[path = "fixtures.rs"]
mod fixtures;
#[path = "summary.rs"]
mod summary;

mod fixtures_tests {
    use crate::fixtures::*;

    #[test]
    fn descriptions_keep_cdata_and_line_ends() {
        let body = described_body(
            "<body><contentType>multipart/mixed; boundary=x</contentType>\n\
             <contents eol=\"CRLF\">\n<![CDATA[\n--x\na\n--x--\n]]>\n  </contents></body>",
        )
        .unwrap();
        assert_eq!(body.content_type.as_deref(), Some("multipart/mixed; boundary=x"));
        assert_eq!(body.bytes, b"\r\n--x\r\na\r\n--x--\r\n");
        let body =
            described_body("<body><contents encoding=\"base64\">\n  <![CDATA[aGk=]]>\n</contents></body>").unwrap();
        assert_eq!(body.bytes, b"hi");
        let body =
            described_body("<body><contentType>text/plain</contentType><contents>Hi &amp; bye</contents></body>")
                .unwrap();
        assert_eq!(body.bytes, b"Hi & bye");
    }

    #[test]
    fn headers_parse_quoted_lists() {
        assert_eq!(headers("'X-TEST: 1'"), vec![("X-TEST".to_string(), "1".to_string())]);
        assert_eq!(headers("'A: 1', 'B: x:y'").len(), 2);
        assert!(headers("").is_empty());
    }
}

mod summary_tests {
    use crate::summary::*;

    const KNOWN: &[KnownDifference] = &[KnownDifference { feature: "V1/a.feature", scenario: "known", reason: "why" }];

    fn outcome(scenario: &str, failure: Option<&str>) -> ScenarioOutcome {
        ScenarioOutcome {
            feature: "V1/a.feature".into(),
            scenario: scenario.into(),
            failure: failure.map(str::to_string),
        }
    }

    #[test]
    fn failures_must_be_exactly_the_known_differences() {
        let ok = Summary::new(&[outcome("known", Some("no call")), outcome("other", None)], KNOWN);
        assert!(ok.is_ok(), "{}", ok.render());
        assert_eq!(ok.features["V1/a.feature"].0, 1);
        assert!(ok.render().contains("V1/a.feature › known: why"));

        let unexpected = Summary::new(&[outcome("known", Some("no call")), outcome("other", Some("boom"))], KNOWN);
        assert!(!unexpected.is_ok());
        assert!(unexpected.render().contains("UNEXPECTED FAILURE V1/a.feature › other"));

        let stale = Summary::new(&[outcome("known", None)], KNOWN);
        assert!(!stale.is_ok());
        assert!(stale.render().contains("STALE known difference"));
    }
}
