//! Stalls: a stream that stopped and that nothing resumed, explained in
//! the host's terms — which callback stopped it and how the host read its
//! return value, the callouts the mock answered, a resume made from the
//! wrong context — with the fix.

use wasmkit_core::{Diagnostic, codes};

use super::Run;
use super::stream::Direction;
use crate::proxy_wasm::abi::{self, Abi, Host};
use crate::proxy_wasm::plan::CalloutAnswer;
use crate::proxy_wasm::report::RequestOutcome;

/// Where and why the stream stopped.
#[derive(Clone, Copy, Debug)]
pub(super) enum Stall {
    /// The headers callback stopped it.
    Headers {
        direction: Direction,
        raw: u32,
        /// The host turned StopIteration into stop-all-iteration.
        converted: bool,
        /// The stream was the plugin's own local response.
        local_reply: bool,
    },
    /// The body callback stopped it at the end of the body.
    Body { direction: Direction, raw: u32 },
    /// The trailers callback stopped it.
    Trailers { direction: Direction, raw: u32 },
}

impl Run<'_> {
    pub(super) fn stall(&mut self, stall: Stall) -> RequestOutcome {
        let host = self.host;
        let abi = self.abi.version();
        let from_local_reply = matches!(
            stall,
            Stall::Headers {
                local_reply: true,
                ..
            }
        );
        let (direction, callback, reason, message, helps) = match stall {
            Stall::Headers {
                direction,
                raw,
                converted,
                local_reply: _,
            } => {
                let word = direction.word();
                let callback = direction.headers_callback();
                let body_callback = if direction == Direction::Request {
                    "the body callback"
                } else {
                    "the response-body callback"
                };
                let hangs = hangs(direction);
                let mut helps = Vec::new();
                let reason = if converted {
                    match host {
                        Host::Higress => helps.push(
                            "build with the tag that marks the module 0.2.100 for Higress (EXTRA_TAGS=proxy_wasm_version_0_2_100), or do not stop in the headers callback"
                                .to_string(),
                        ),
                        Host::Envoy => {
                            helps.push(format!(
                                "do not stop in the headers callback to wait for the body: return Continue there and do the work in `proxy_on_{word}_body`, returning StopIterationAndBuffer until `end_of_stream`"
                            ));
                            helps.push(
                                "Envoy 1.35 and later can be configured to honour StopIteration from the headers callbacks (`allow_on_headers_stop_iteration`)"
                                    .to_string(),
                            );
                        }
                    }
                    format!(
                        "the {word}-headers callback returned StopIteration with a body still to come; this host ({host}), for ABI {abi} modules, turns that into stop-all-iteration, so {body_callback} is never called and {hangs}"
                    )
                } else {
                    helps.push(format!(
                        "resume the {word} with `{}` when the plugin is done with it (from a callout response, after `proxy_set_effective_context`), or return Continue",
                        resume_call(self.abi, direction)
                    ));
                    if raw == 1 {
                        // Honoured StopIteration: the body flowed, the
                        // headers wait for the plugin.
                        format!(
                            "the {word}-headers callback returned StopIteration (1), which this host honours: the body went on to the plugin, but the headers wait until the plugin resumes the {word}, and nothing did (no body callback returned Continue either), so {hangs}"
                        )
                    } else {
                        format!(
                            "the {word}-headers callback returned {} ({raw}); the host stops all iteration until the plugin resumes the {word}, and nothing did, so {body_callback} is never called and {hangs}",
                            abi::headers_action_name(raw)
                        )
                    }
                };
                let message = format!(
                    "the {word} never completes: `{callback}` returned {} and nothing resumed it",
                    abi::headers_action_name(raw)
                );
                (direction, callback, reason, message, helps)
            }
            Stall::Body { direction, raw } => {
                let word = direction.word();
                let callback = direction.body_callback();
                let reason = format!(
                    "the {word}-body callback returned {} ({raw}) at the end of the body; with no more body to come, only the plugin can resume the {word}, and nothing did, so {}",
                    abi::data_action_name(raw),
                    hangs(direction)
                );
                let message = format!(
                    "the {word} never completes: `{callback}` stopped it at the end of the body and nothing resumed it"
                );
                let helps = vec![format!(
                    "return Continue from `{callback}` when `end_of_stream` is set (pause only while more body is coming), or resume the {word} with `{}` where the work finishes",
                    resume_call(self.abi, direction)
                )];
                (direction, callback, reason, message, helps)
            }
            Stall::Trailers { direction, raw } => {
                let word = direction.word();
                let callback = direction.trailers_callback();
                let reason = format!(
                    "the {word}-trailers callback returned StopIteration ({raw}); only the plugin can resume the {word} after its trailers, and nothing did, so {}",
                    hangs(direction)
                );
                let message = format!(
                    "the {word} never completes: `{callback}` stopped it and nothing resumed it"
                );
                let helps = vec![format!(
                    "return Continue from `{callback}`, or resume the {word} with `{}` where the work finishes",
                    resume_call(self.abi, direction)
                )];
                (direction, callback, reason, message, helps)
            }
        };
        let mut d = Diagnostic::error(codes::REQUEST_STALLED, message).with_note(reason.clone());
        if from_local_reply {
            d = d.with_note(
                "this was the plugin's own local response passing through its response callbacks",
            );
        }
        if !self.answered.is_empty() {
            let calls: Vec<String> = self
                .answered
                .iter()
                .map(|c| {
                    let answer = match &c.answer {
                        CalloutAnswer::Response { status, .. } => status.to_string(),
                        CalloutAnswer::Reset => "reset".to_string(),
                        CalloutAnswer::Timeout => "timeout".to_string(),
                    };
                    format!("token {} to `{}` {}: {answer}", c.token, c.cluster, c.path)
                })
                .collect();
            d = d.with_note(format!(
                "the mock answered the plugin's HTTP callout(s) ({}), and no callout response resumed the {}",
                calls.join("; "),
                direction.word()
            ));
        }
        if let Some((at, function)) = self.store.data().signals.ignored_resume.clone() {
            d = d.with_note(format!(
                "`{at}` called `{function}` from the root context, where it acts on no stream: call `proxy_set_effective_context` with the HTTP context first"
            ));
        }
        d = d.with_note(format!(
            "a real {host} holds the {} until a timeout resets the stream",
            direction.word()
        ));
        d = self.with_logs(d);
        // When the plugin waited on a callout, resuming is the fix; the
        // general advice applies to plugins that wait on the body.
        let ignored = self.store.data().signals.ignored_resume.clone();
        let resume = resume_call(self.abi, direction);
        let word = direction.word();
        let helps = if let Some((at, function)) = ignored {
            vec![format!(
                "in `{at}`, call `proxy_set_effective_context` with the HTTP context's id before `{function}`, so that it acts on the {word}"
            )]
        } else if self.answered.is_empty() {
            helps
        } else {
            vec![format!(
                "resume the {word} with `{resume}` from `proxy_on_http_call_response` once the callout has answered (after `proxy_set_effective_context` with the HTTP context's id)"
            )]
        };
        for help in helps {
            d = d.with_help(help);
        }
        self.report.diagnostics.push(d);
        RequestOutcome::Stalled {
            at: callback.to_string(),
            reason,
        }
    }
}

/// What a stall in this direction does to the client.
fn hangs(direction: Direction) -> &'static str {
    match direction {
        Direction::Request => "the request hangs",
        Direction::Response => "the response never reaches the client",
    }
}

/// The call that resumes this direction, in this ABI.
fn resume_call(abi: Abi, direction: Direction) -> &'static str {
    match (abi.is_0_1(), direction) {
        (true, Direction::Request) => "proxy_continue_request()",
        (true, Direction::Response) => "proxy_continue_response()",
        (false, Direction::Request) => "proxy_continue_stream(0)",
        (false, Direction::Response) => "proxy_continue_stream(1)",
    }
}
