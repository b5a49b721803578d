//! The HTTP stream: the request phase, then the response phase (the
//! upstream's response or the plugin's local one), each a headers callback
//! and a body callback whose return values decide, with the host's
//! conversion of StopIteration, whether the stream goes on, ends or stalls
//! (Envoy's `Context::decodeHeaders` and friends, proxy-wasm-cpp-host
//! `src/context.cc`); the callouts and queue notifications answered after
//! each callback; and the stream's end (`onLog`, `onDone`, `onDelete`).

use std::ops::ControlFlow;

use wasmkit_core::{Diagnostic, codes};

use super::stall::Stall;
use super::traffic::HttpMessage;
use super::{Failed, Run};
use crate::proxy_wasm::host::{
    CalloutResponse, HTTP_ID, HeaderMap, LocalReply, ROOT_ID, Restriction, capped,
};
use crate::proxy_wasm::report::{HttpExchange, RequestOutcome};

/// Rounds of callout and queue answers after one callback, so that a plugin
/// calling out from every callout response cannot keep the mock busy.
const MAX_PUMP_ROUNDS: usize = 32;

/// One direction of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Direction {
    Request,
    Response,
}

impl Direction {
    pub(super) fn word(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Response => "response",
        }
    }

    pub(super) fn headers_callback(self) -> &'static str {
        match self {
            Direction::Request => "proxy_on_request_headers",
            Direction::Response => "proxy_on_response_headers",
        }
    }

    pub(super) fn body_callback(self) -> &'static str {
        match self {
            Direction::Request => "proxy_on_request_body",
            Direction::Response => "proxy_on_response_body",
        }
    }
}

/// What a headers callback's return value makes the host do.
enum HeadersVerdict {
    Continue,
    /// StopIteration, honoured: the body keeps flowing.
    StopIteration,
    /// ContinueAndEndStream: the rest of the stream is dropped.
    EndStream,
    /// Everything stops until the plugin resumes; `converted` when the
    /// plugin said StopIteration and the host turned it into this.
    StopAll {
        converted: bool,
    },
}

impl Run<'_> {
    /// Answers callouts and queue notifications made so far, after the
    /// callback that made them returned (as an upstream that answers at
    /// once would).
    pub(super) fn pump(&mut self) -> Result<(), Failed> {
        for _ in 0..MAX_PUMP_ROUNDS {
            let callout = self.state().signals.callouts.pop_front();
            if let Some(callout) = callout {
                let HttpMessage { headers, body } = self.traffic.callout_response.clone();
                let args = [
                    ROOT_ID,
                    callout.token,
                    headers.len() as u32,
                    body.len() as u32,
                    0,
                ];
                self.state().callout_response = Some(CalloutResponse {
                    headers,
                    body,
                    trailers: Vec::new(),
                });
                self.answered.push(callout);
                // Responses go to the root context that made the call
                // (`http_call` always calls out from the root context).
                let outcome = self.call(
                    "proxy_on_http_call_response",
                    ROOT_ID,
                    &args,
                    Restriction::None,
                );
                self.state().callout_response = None;
                outcome?;
                continue;
            }
            let ready = self.state().signals.queue_ready.pop_front();
            if let Some((root, token)) = ready {
                self.call(
                    "proxy_on_queue_ready",
                    root,
                    &[root, token],
                    Restriction::None,
                )?;
                continue;
            }
            return Ok(());
        }
        let pending = self.state().signals.callouts.len();
        self.state().signals.callouts.clear();
        self.state().signals.queue_ready.clear();
        self.report.diagnostics.push(
            Diagnostic::warning(
                codes::HOST_CALL,
                format!(
                    "the plugin kept calling out from its callout responses; the mock stopped answering after {MAX_PUMP_ROUNDS} rounds ({pending} left)"
                ),
            )
            .with_help("make sure a callout response does not always start another callout"),
        );
        Ok(())
    }

    fn headers_verdict(&self, raw: u32, stop_next: bool) -> HeadersVerdict {
        // A local response, or a value beyond the enum, stops everything
        // (`convertVmCallResultToFilterHeadersStatus`).
        if stop_next || raw > 4 {
            return HeadersVerdict::StopAll { converted: false };
        }
        match raw {
            0 => HeadersVerdict::Continue,
            1 if self.host.honours_headers_stop_iteration(self.abi) => {
                HeadersVerdict::StopIteration
            }
            1 => HeadersVerdict::StopAll { converted: true },
            2 => HeadersVerdict::EndStream,
            _ => HeadersVerdict::StopAll { converted: false },
        }
    }

    fn clear_resume(&mut self) {
        let signals = &mut self.state().signals;
        signals.continue_request = false;
        signals.continue_response = false;
        signals.ignored_resume = None;
    }

    fn take_resume(&mut self, direction: Direction) -> bool {
        let signals = &mut self.state().signals;
        match direction {
            Direction::Request => std::mem::take(&mut signals.continue_request),
            Direction::Response => std::mem::take(&mut signals.continue_response),
        }
    }

    fn failed_outcome(&self) -> RequestOutcome {
        RequestOutcome::Failed {
            at: self.failed_at.unwrap_or("a callback").to_string(),
        }
    }

    /// Runs a stream callback and what the host does right after it:
    /// answering callouts. `None` when the VM failed.
    fn stream_callback(&mut self, name: &'static str, args: &[u32]) -> Option<(u32, bool)> {
        self.clear_resume();
        let raw = self
            .call(name, HTTP_ID, args, Restriction::None)
            .ok()?
            .unwrap_or(0);
        let stop_next = self.store.data().signals.stop_next_iteration;
        self.pump().ok()?;
        Some((raw, stop_next))
    }

    /// The HTTP context and its stream: the request, then the response.
    pub(super) fn request(&mut self) -> RequestOutcome {
        self.state().alive.insert(HTTP_ID);
        if self
            .call(
                "proxy_on_context_create",
                HTTP_ID,
                &[HTTP_ID, ROOT_ID],
                Restriction::None,
            )
            .is_err()
        {
            return self.failed_outcome();
        }
        let request = self.traffic.request.clone();
        if let ControlFlow::Break(end) = self.phase(Direction::Request, request, false) {
            return end;
        }
        self.response(None)
    }

    /// The response phase: the upstream's response, or the plugin's local
    /// response, which Envoy sends through the encoder filters, this one
    /// included (the response callbacks see it).
    fn response(&mut self, local: Option<LocalReply>) -> RequestOutcome {
        let message = match &local {
            None => self.traffic.response.clone(),
            Some(reply) => HttpMessage {
                headers: local_reply_headers(reply),
                body: reply.body.clone(),
            },
        };
        if let ControlFlow::Break(end) = self.phase(Direction::Response, message, local.is_some()) {
            return end;
        }
        match local {
            None => RequestOutcome::Completed,
            Some(reply) => local_response(&reply),
        }
    }

    /// One direction of the stream: the headers callback, then, unless the
    /// plugin ended or stopped the stream there, the whole body in one
    /// callback. Breaks with the outcome when the stream ends here.
    fn phase(
        &mut self,
        direction: Direction,
        message: HttpMessage,
        local_reply: bool,
    ) -> ControlFlow<RequestOutcome> {
        let HttpMessage { headers, body } = message;
        let count = headers.len() as u32;
        let end_of_stream = body.is_empty();
        let state = self.state();
        match direction {
            Direction::Request => state.request_headers = Some(headers),
            Direction::Response => state.response_headers = Some(headers),
        }
        let args: &[u32] = if self.abi.is_0_1() {
            &[HTTP_ID, count]
        } else {
            &[HTTP_ID, count, u32::from(end_of_stream)]
        };
        let Some((raw, stop_next)) = self.stream_callback(direction.headers_callback(), args)
        else {
            return ControlFlow::Break(self.failed_outcome());
        };
        self.ended(direction)?;
        let deliver_body = match self.headers_verdict(raw, stop_next) {
            HeadersVerdict::Continue | HeadersVerdict::StopIteration => !end_of_stream,
            HeadersVerdict::EndStream => false,
            HeadersVerdict::StopAll { converted } => {
                if !self.take_resume(direction) {
                    return ControlFlow::Break(self.stall(Stall::Headers {
                        direction,
                        raw,
                        converted,
                        local_reply,
                    }));
                }
                !end_of_stream
            }
        };
        if !deliver_body {
            return ControlFlow::Continue(());
        }
        let len = body.len() as u32;
        let state = self.state();
        match direction {
            Direction::Request => state.request_body = Some(body),
            Direction::Response => state.response_body = Some(body),
        }
        state.end_of_stream = true;
        let Some((raw, stop_next)) =
            self.stream_callback(direction.body_callback(), &[HTTP_ID, len, 1])
        else {
            return ControlFlow::Break(self.failed_outcome());
        };
        self.state().end_of_stream = false;
        self.ended(direction)?;
        if (raw != 0 || stop_next) && !self.take_resume(direction) {
            return ControlFlow::Break(self.stall(Stall::Body { direction, raw }));
        }
        ControlFlow::Continue(())
    }

    /// A reset or a local response asked for by the callback that just ran
    /// (or by a callout response after it) breaks with the outcome.
    fn ended(&mut self, direction: Direction) -> ControlFlow<RequestOutcome> {
        if let Some(at) = self.state().signals.close.take() {
            return ControlFlow::Break(RequestOutcome::Reset { at: at.to_string() });
        }
        let Some(reply) = self.state().signals.local_reply.take() else {
            return ControlFlow::Continue(());
        };
        ControlFlow::Break(match direction {
            Direction::Request => self.response(Some(reply)),
            // The response has started: Envoy replies directly, without
            // running the filters again.
            Direction::Response => {
                let headers = local_reply_headers(&reply);
                let state = self.state();
                state.response_headers = Some(headers);
                state.response_body = Some(reply.body.clone());
                local_response(&reply)
            }
        })
    }

    /// The end of the stream: the access-log callback, then done and
    /// delete. A stalled stream ends this way too, when its timeout resets
    /// it.
    pub(super) fn finish_stream(&mut self, outcome: &RequestOutcome) {
        if !matches!(outcome, RequestOutcome::Failed { .. }) {
            self.state().log_phase = true;
            let _ = self.call("proxy_on_log", HTTP_ID, &[HTTP_ID], Restriction::None);
            self.state().log_phase = false;
            let _ = self.call("proxy_on_done", HTTP_ID, &[HTTP_ID], Restriction::None);
            let _ = self.call("proxy_on_delete", HTTP_ID, &[HTTP_ID], Restriction::None);
        }
        self.state().alive.remove(&HTTP_ID);
        let state = self.store.data();
        let pairs = |map: &Option<HeaderMap>| -> Vec<(String, String)> {
            map.iter()
                .flatten()
                .map(|(k, v)| (capped(k, 1024), capped(v, 4096)))
                .collect()
        };
        let body = |b: &Option<Vec<u8>>| {
            b.as_deref()
                .map(|b| capped(b, 64 * 1024))
                .unwrap_or_default()
        };
        self.report.exchange = Some(HttpExchange {
            // Until a local response can follow an upstream response, only
            // a completed request has been upstream.
            reached_upstream: matches!(outcome, RequestOutcome::Completed),
            request_trailers: pairs(&state.request_trailers),
            response_trailers: pairs(&state.response_trailers),
            request_headers: pairs(&state.request_headers),
            request_body: body(&state.request_body),
            response_headers: pairs(&state.response_headers),
            response_body: body(&state.response_body),
        });
    }
}

/// The outcome of a local response that reached the client.
fn local_response(reply: &LocalReply) -> RequestOutcome {
    RequestOutcome::LocalResponse {
        status: reply.status,
        body: capped(&reply.body, 4096),
        at: reply.callback.to_string(),
    }
}

/// The headers of Envoy's local reply: the status, a text content type for
/// a body, its length, then the plugin's headers (replacing same names).
fn local_reply_headers(reply: &LocalReply) -> HeaderMap {
    let mut headers: HeaderMap = vec![(b":status".to_vec(), reply.status.to_string().into_bytes())];
    if !reply.body.is_empty() {
        headers.push((
            b"content-length".to_vec(),
            reply.body.len().to_string().into_bytes(),
        ));
        headers.push((b"content-type".to_vec(), b"text/plain".to_vec()));
    }
    for (k, v) in &reply.headers {
        let key = k.to_ascii_lowercase();
        match headers.iter_mut().find(|(name, _)| *name == key) {
            Some(slot) => slot.1.clone_from(v),
            None => headers.push((key, v.clone())),
        }
    }
    headers
}
