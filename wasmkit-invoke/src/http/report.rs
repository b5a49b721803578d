//! What a request ends with, for people and for tools: the diagnostics
//! (a warning per refused outgoing request, then the failure or the error
//! status), the exit status, and the one JSON object of
//! `--message-format json`.

use wasmkit_core::{Diagnostic, ExitStatus, codes};

use super::handler::Exchange;
use super::request::HttpRequest;
use super::response::HttpResponse;

impl Exchange {
    /// A warning per refused outgoing request, then the failure, or, when
    /// `fail_on_error_status` (`--fail`), an error for a status of 400 or
    /// more.
    pub fn problems(&self, fail_on_error_status: bool) -> Vec<Diagnostic> {
        let mut problems: Vec<Diagnostic> = self
            .outgoing
            .iter()
            .filter_map(super::OutgoingRecord::denied_warning)
            .collect();
        if let Some(failure) = &self.failure {
            problems.push(failure.clone());
        } else if let Some(head) = &self.head
            && fail_on_error_status
            && head.status >= 400
        {
            problems.push(
                Diagnostic::error(
                    codes::HTTP_ERROR_STATUS,
                    format!("the handler answered `{}`", head.status_line()),
                )
                .with_note("`--fail` makes a status of 400 or more an error"),
            );
        }
        problems
    }

    /// 0 when the handler answered (whatever the status, unless
    /// `fail_on_error_status`), else the failure's.
    pub fn exit_status(&self, fail_on_error_status: bool) -> ExitStatus {
        self.problems(fail_on_error_status)
            .iter()
            .map(Diagnostic::exit_status)
            .fold(ExitStatus::Success, ExitStatus::worst)
    }

    /// One object: the request, the response (`status`, `headers`, `body`,
    /// `body_encoding`; null without a response), the outgoing requests and
    /// the diagnostics. `response` is the collected response.
    pub fn to_json(
        &self,
        request: &HttpRequest,
        response: Option<&HttpResponse>,
        fail_on_error_status: bool,
    ) -> serde_json::Value {
        let mut value = serde_json::json!({
            "reason": "wasmkit-http-response",
            "request": {
                "method": request.method,
                "path_with_query": request.path_with_query,
                "authority": request.authority,
                "scheme": request.scheme.as_str(),
            },
            "status": null,
            "headers": [],
            "body": null,
            "body_encoding": null,
        });
        if let (Some(response), serde_json::Value::Object(map)) = (response, &mut value)
            && let serde_json::Value::Object(fields) = response.to_json()
        {
            map.extend(fields);
        }
        value["outgoing"] = self
            .outgoing
            .iter()
            .map(super::OutgoingRecord::to_json)
            .collect();
        value["diagnostics"] = self
            .problems(fail_on_error_status)
            .iter()
            .map(Diagnostic::to_json)
            .collect();
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ResponseHead;

    #[test]
    fn fail_turns_an_error_status_into_exit_1() {
        let exchange = Exchange {
            head: Some(ResponseHead {
                status: 404,
                headers: vec![],
            }),
            ..Exchange::default()
        };
        assert_eq!(exchange.exit_status(false), ExitStatus::Success);
        assert_eq!(exchange.exit_status(true), ExitStatus::Failure);
        assert_eq!(
            exchange.problems(true)[0].message,
            "the handler answered `HTTP/1.1 404 Not Found`"
        );
        let ok = Exchange {
            head: Some(ResponseHead {
                status: 399,
                headers: vec![],
            }),
            ..Exchange::default()
        };
        assert_eq!(ok.exit_status(true), ExitStatus::Success);
    }
}
