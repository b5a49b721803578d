//! `VERIFY_HTTP` checks: `METHOD PATH -> STATUS`, `;`-separated, each a
//! request `verify` sends to an HTTP component and the status it must get.

/// One check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpCheck {
    /// The method (`GET`).
    pub method: String,
    /// The path and query (`/health?deep=1`).
    pub path: String,
    /// The status the response must have.
    pub status: u16,
}

/// What a check looks like, for messages.
pub const HTTP_CHECK_FORM: &str = "`METHOD PATH -> STATUS`, such as `GET /health -> 200`";

impl HttpCheck {
    /// Reads `METHOD PATH -> STATUS`; the error says what is wrong.
    pub fn parse(text: &str) -> Result<HttpCheck, String> {
        let Some((request, status)) = text.split_once("->") else {
            return Err(format!("expected {HTTP_CHECK_FORM}"));
        };
        let mut words = request.split_whitespace();
        let (Some(method), Some(path), None) = (words.next(), words.next(), words.next()) else {
            return Err(format!(
                "expected a method and a path before `->`: {HTTP_CHECK_FORM}"
            ));
        };
        let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if !method.chars().all(token) {
            return Err(format!("`{method}` is not an HTTP method"));
        }
        if !path.starts_with('/') {
            return Err(format!("the path `{path}` does not start with `/`"));
        }
        let status = status.trim();
        let status = status
            .parse::<u16>()
            .ok()
            .filter(|s| (100..=999).contains(s))
            .ok_or_else(|| format!("`{status}` is not an HTTP status (100 to 999)"))?;
        Ok(HttpCheck {
            method: method.to_string(),
            path: path.to_string(),
            status,
        })
    }

    /// `GET /health`.
    pub fn request_line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

impl std::fmt::Display for HttpCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} -> {}", self.method, self.path, self.status)
    }
}

/// Splits a `VERIFY_HTTP` value at its `;`s.
pub fn split_checks(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_parse_and_print() {
        let c = HttpCheck::parse("  GET   /health?deep=1 ->  204 ").unwrap();
        assert_eq!(c.to_string(), "GET /health?deep=1 -> 204");
        assert_eq!(c.request_line(), "GET /health?deep=1");
        assert_eq!(
            split_checks("GET / -> 200; ;POST /x -> 201;"),
            ["GET / -> 200", "POST /x -> 201"]
        );
    }

    #[test]
    fn bad_checks_say_why() {
        let err = |t: &str| HttpCheck::parse(t).unwrap_err();
        assert_eq!(
            err("GET /"),
            "expected `METHOD PATH -> STATUS`, such as `GET /health -> 200`"
        );
        assert_eq!(
            err("GET -> 200").split(':').next(),
            Some("expected a method and a path before `->`")
        );
        assert_eq!(err("G(T / -> 200"), "`G(T` is not an HTTP method");
        assert_eq!(
            err("GET health -> 200"),
            "the path `health` does not start with `/`"
        );
        assert_eq!(
            err("GET / -> ok"),
            "`ok` is not an HTTP status (100 to 999)"
        );
        assert_eq!(
            err("GET / -> 42"),
            "`42` is not an HTTP status (100 to 999)"
        );
    }
}
