//! The HTTP stream: the request, then the response (the upstream's, or the
//! plugin's local reply), each its headers, body chunks and trailers as
//! the plan gives them, with Envoy's reading of each callback's return
//! value (`Context::decodeHeaders`, `decodeData`, `decodeTrailers` and the
//! encode side in Envoy's `context.cc`; cpp-host's
//! `convertVmCallResultTo*Status`). Where the plugin stops the stream, the
//! run waits in virtual time ([`Run::advance`]) for it to resume; if
//! nothing can, the stream stalls. Then the stream's end (`onLog`,
//! `onDone`, `onDelete`).

use std::ops::ControlFlow;

use super::stall::Stall;
use super::{Failed, Run};
use crate::proxy_wasm::abi::Host;
use crate::proxy_wasm::host::{HTTP_ID, HeaderMap, LocalReply, ROOT_ID, Restriction, capped};
use crate::proxy_wasm::plan::HttpMessage;
use crate::proxy_wasm::report::{HttpExchange, RequestOutcome};

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

    pub(super) fn trailers_callback(self) -> &'static str {
        match self {
            Direction::Request => "proxy_on_request_trailers",
            Direction::Response => "proxy_on_response_trailers",
        }
    }

    /// The `WasmStreamType` that resumes it.
    fn stream_type(self) -> usize {
        match self {
            Direction::Request => 0,
            Direction::Response => 1,
        }
    }

    pub(super) fn is_response(self) -> bool {
        self == Direction::Response
    }
}

/// What a headers callback's return value makes the host do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum HeadersVerdict {
    Continue,
    /// StopIteration, honoured: the body keeps flowing to the plugin.
    StopIteration,
    /// Higress's ContinueAndEndStream: the rest of the message is dropped.
    EndStream,
    /// Everything stops until the plugin resumes; `converted` when the
    /// plugin said StopIteration and the host turned it into this.
    StopAll {
        converted: bool,
    },
}

/// A header map from the plan's pairs, names lowercased as Envoy stores
/// them.
pub(super) fn header_map(pairs: &[(String, String)]) -> HeaderMap {
    pairs
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase().into_bytes(), v.as_bytes().to_vec()))
        .collect()
}

impl Run<'_> {
    /// cpp-host `convertVmCallResultToFilterHeadersStatus` then Envoy
    /// `convertFilterHeadersStatus`: a local reply (`stopNextIteration`) or
    /// a value past StopAllIterationAndWatermark stops everything;
    /// StopIteration becomes stop-all unless honoured (Envoy's
    /// `allow_on_headers_stop_iteration`, Higress for 0.2.100 modules);
    /// Envoy maps any other value it has no case for, ContinueAndEndStream
    /// (2) included, to Continue; Higress ends the stream on it.
    pub(super) fn headers_verdict(&self, raw: u32, stop_next: bool) -> HeadersVerdict {
        if stop_next || raw > 4 {
            return HeadersVerdict::StopAll { converted: false };
        }
        let honoured = self.host.honours_headers_stop_iteration(self.abi)
            || (self.host == Host::Envoy && self.plan.host.allow_on_headers_stop_iteration);
        match raw {
            1 if honoured => HeadersVerdict::StopIteration,
            1 => HeadersVerdict::StopAll { converted: true },
            2 if self.host == Host::Higress => HeadersVerdict::EndStream,
            3 | 4 => HeadersVerdict::StopAll { converted: false },
            _ => HeadersVerdict::Continue,
        }
    }

    pub(super) fn clear_resume(&mut self) {
        let signals = &mut self.state().signals;
        signals.resume = [false; 4];
        signals.ignored_resume = None;
    }

    pub(super) fn take_resume(&mut self, stream_type: usize) -> bool {
        std::mem::take(&mut self.state().signals.resume[stream_type])
    }

    pub(super) fn failed_outcome(&self) -> RequestOutcome {
        RequestOutcome::Failed {
            at: self.failed_at.unwrap_or("a callback").to_string(),
        }
    }

    /// Runs a stream callback and what the host does right after it:
    /// delivering what is due. `None` when the VM failed.
    pub(super) fn stream_callback(
        &mut self,
        name: &'static str,
        args: &[u32],
    ) -> Option<(u32, bool)> {
        let raw = self
            .call(name, HTTP_ID, args, Restriction::None)
            .ok()?
            .unwrap_or(0);
        let stop_next = self.store.data().signals.stop_next_iteration;
        self.pump().ok()?;
        Some((raw, stop_next))
    }

    /// Waits in virtual time for the plugin to resume this direction:
    /// `Continue(true)` resumed, `Continue(false)` nothing more can happen;
    /// breaks when the stream ended meanwhile (reset, local reply, failure).
    pub(super) fn wait(&mut self, direction: Direction) -> ControlFlow<RequestOutcome, bool> {
        loop {
            if self.take_resume(direction.stream_type()) {
                return ControlFlow::Continue(true);
            }
            self.ended(direction)?;
            match self.advance() {
                Err(Failed) => return ControlFlow::Break(self.failed_outcome()),
                Ok(false) => return ControlFlow::Continue(false),
                Ok(true) => {}
            }
        }
    }

    /// The HTTP context and its stream: the request, then the response.
    pub(super) fn request(&mut self) -> RequestOutcome {
        self.state().alive.insert(HTTP_ID);
        self.clear_resume();
        if self
            .call(
                "proxy_on_context_create",
                HTTP_ID,
                &[HTTP_ID, ROOT_ID],
                Restriction::None,
            )
            .is_err()
        {
            self.explain_wrong_kind("proxy_on_context_create");
            return self.failed_outcome();
        }
        let request = self.plan.request.clone();
        if let ControlFlow::Break(end) = self.phase(Direction::Request, &request, false) {
            if self.failed_at == Some("proxy_on_request_headers") {
                self.explain_wrong_kind("proxy_on_request_headers");
            }
            return end;
        }
        self.state().stream.request.headers_sent = true;
        self.response(None)
    }

    /// The response phase: the upstream's response, or the plugin's local
    /// response, which Envoy sends through the encoder filters, this one
    /// included (the response callbacks see it).
    fn response(&mut self, local: Option<LocalReply>) -> RequestOutcome {
        let message = match &local {
            None => {
                self.state().stream.response_details = "via_upstream".into();
                self.plan.response.clone()
            }
            Some(reply) => {
                self.state()
                    .stream
                    .response_details
                    .clone_from(&reply.details);
                HttpMessage {
                    headers: local_reply_headers(reply),
                    body: if reply.body.is_empty() {
                        Vec::new()
                    } else {
                        vec![reply.body.clone()]
                    },
                    trailers: Vec::new(),
                }
            }
        };
        if let ControlFlow::Break(end) = self.phase(Direction::Response, &message, local.is_some())
        {
            return end;
        }
        match local {
            None => RequestOutcome::Completed,
            Some(reply) => local_response(&reply),
        }
    }

    /// One direction: the headers callback, then the body chunks and the
    /// trailers, waiting where the plugin stopped. Breaks with the outcome
    /// when the stream ends here.
    fn phase(
        &mut self,
        direction: Direction,
        message: &HttpMessage,
        local_reply: bool,
    ) -> ControlFlow<RequestOutcome> {
        let headers = header_map(&message.headers);
        let count = headers.len() as u32;
        let end_of_stream = message.body.is_empty() && message.trailers.is_empty();
        let state = self.state();
        state.stream.end_of_stream = end_of_stream;
        let half = state.stream.half_mut(direction.is_response());
        half.headers = Some(headers);
        half.headers_held = true;
        half.dropped_by = None;
        self.clear_resume();
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
        let verdict = self.headers_verdict(raw, stop_next);
        if verdict == HeadersVerdict::Continue || verdict == HeadersVerdict::EndStream {
            // Envoy: the pointer is dropped once the callback continues.
            let half = self.state().stream.half_mut(direction.is_response());
            half.headers_held = false;
            half.dropped_by = Some(format!(
                "`{}` returned Continue",
                direction.headers_callback()
            ));
        }
        let mut chunks = message.body.clone();
        let mut trailers = message.trailers.clone();
        let mut stopped = None;
        match verdict {
            HeadersVerdict::Continue => {}
            HeadersVerdict::EndStream => {
                chunks.clear();
                trailers.clear();
            }
            HeadersVerdict::StopIteration => {
                stopped = Some(Stall::Headers {
                    direction,
                    raw,
                    converted: false,
                    local_reply,
                });
            }
            HeadersVerdict::StopAll { converted } => {
                let resumed = self.take_resume(direction.stream_type()) || self.wait(direction)?;
                if !resumed {
                    return ControlFlow::Break(self.stall(Stall::Headers {
                        direction,
                        raw,
                        converted,
                        local_reply,
                    }));
                }
                // The filter manager held the body meanwhile; the plugin
                // gets what arrived in one piece (`decodeData` with the
                // buffered data).
                if chunks.len() > 1 {
                    chunks = vec![chunks.concat()];
                }
            }
        }
        if let Some(stall) = self.body(direction, &chunks, trailers.is_empty(), stopped)? {
            stopped = Some(stall);
        } else if !chunks.is_empty() {
            stopped = None;
        }
        if !trailers.is_empty() {
            stopped = self.trailers(direction, &trailers)?.or(stopped);
        }
        if let Some(stall) = stopped {
            let resumed = self.take_resume(direction.stream_type()) || self.wait(direction)?;
            if !resumed {
                return ControlFlow::Break(self.stall(stall));
            }
        }
        self.pass_on(direction);
        ControlFlow::Continue(())
    }

    /// A reset or a local response asked for by the callback that just ran
    /// (or by a callout response after it) breaks with the outcome.
    pub(super) fn ended(&mut self, direction: Direction) -> ControlFlow<RequestOutcome> {
        if let Some((at, _)) = self.state().signals.close.take() {
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
                let response = &mut state.stream.response;
                response.headers = Some(header_map(&headers));
                response.body = Default::default();
                response.body.passed.clone_from(&reply.body);
                local_response(&reply)
            }
        })
    }

    /// The end of the stream: the access-log callback, then done and
    /// delete. A stalled stream ends this way too, when its timeout resets
    /// it.
    pub(super) fn finish_stream(&mut self, outcome: &RequestOutcome) {
        if !matches!(outcome, RequestOutcome::Failed { .. }) {
            self.state().stream.access_log = true;
            let _ = self.call("proxy_on_log", HTTP_ID, &[HTTP_ID], Restriction::None);
            self.state().stream.access_log = false;
            let _ = self.call("proxy_on_done", HTTP_ID, &[HTTP_ID], Restriction::None);
            let _ = self.call("proxy_on_delete", HTTP_ID, &[HTTP_ID], Restriction::None);
        }
        self.state().alive.remove(&HTTP_ID);
        let stream = &self.store.data().stream;
        let pairs = |map: &Option<HeaderMap>| -> Vec<(String, String)> {
            map.iter()
                .flatten()
                .map(|(k, v)| (capped(k, 1024), capped(v, 4096)))
                .collect()
        };
        self.report.exchange = Some(HttpExchange {
            reached_upstream: stream.request.headers_sent,
            request_trailers: pairs(&stream.request.trailers),
            response_trailers: pairs(&stream.response.trailers),
            request_headers: pairs(&stream.request.headers),
            request_body: capped(&stream.request.body.total(), 64 * 1024),
            response_headers: pairs(&stream.response.headers),
            response_body: capped(&stream.response.body.total(), 64 * 1024),
            upstream_override_host: stream
                .upstream_override_host
                .as_deref()
                .map(|h| capped(h, 1024)),
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

/// The headers of Envoy's local reply (`sendLocalReply`): the status, a
/// text content type and the length for a body, then the plugin's headers
/// (`modify_headers` adds them, replacing same names).
fn local_reply_headers(reply: &LocalReply) -> Vec<(String, String)> {
    let mut headers = vec![(":status".to_string(), reply.status.to_string())];
    if !reply.body.is_empty() {
        headers.push(("content-length".into(), reply.body.len().to_string()));
        headers.push(("content-type".into(), "text/plain".into()));
    }
    for (k, v) in &reply.headers {
        let key = String::from_utf8_lossy(k).to_ascii_lowercase();
        let value = String::from_utf8_lossy(v).into_owned();
        match headers.iter_mut().find(|(name, _)| *name == key) {
            Some(slot) => slot.1 = value,
            None => headers.push((key, value)),
        }
    }
    headers
}
