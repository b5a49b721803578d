//! What happens while the plugin waits: HTTP callouts answered from the
//! plan (at once, or when a timeout expires), gRPC and Redis answers,
//! shared-queue notifications, and ticks, all in virtual time. [`Run::pump`]
//! delivers what is due now after a callback returns (Envoy defers them
//! past the VM call, `addAfterVmCallAction`); [`Run::advance`] moves the
//! clock to the next timed event (a callout's timeout, a tick) and
//! delivers it.

use wasmkit_core::{Diagnostic, codes};

use super::{Failed, Run};
use crate::proxy_wasm::abi::status::BROKEN_CONNECTION;
use crate::proxy_wasm::host::{Callout, CalloutResponse, GrpcDelivery, ROOT_ID, Restriction};
use crate::proxy_wasm::plan::{CalloutAnswer, RedisAnswer};

/// Deliveries after one callback, so that a plugin calling out from every
/// callout response cannot keep the mock busy.
const MAX_PUMP_ROUNDS: usize = 64;

/// Envoy's async client answers a callout whose timeout expires with the
/// router's local reply (`Http::Code::GatewayTimeout`,
/// "upstream request timeout").
const TIMEOUT_BODY: &[u8] = b"upstream request timeout";

/// Timed events (callout timeouts, ticks) one run delivers at most, so that
/// a plugin that starts a new timed callout from every answer ends.
pub(super) const MAX_TIMED_EVENTS: u32 = 1_000;

impl Run<'_> {
    /// Delivers everything due now: callouts answered at once, gRPC and
    /// Redis answers, queue notifications.
    pub(super) fn pump(&mut self) -> Result<(), Failed> {
        for _ in 0..MAX_PUMP_ROUNDS {
            if !self.deliver_one()? {
                return Ok(());
            }
        }
        let signals = &mut self.state().signals;
        let pending = signals.callouts.len() + signals.grpc.len() + signals.redis.len();
        signals.callouts.retain(|c| c.due_ms.is_none());
        signals.grpc.clear();
        signals.redis.clear();
        signals.queue_ready.clear();
        self.report.diagnostics.push(
            Diagnostic::warning(
                codes::HOST_CALL,
                format!(
                    "the plugin kept calling out from its callout responses; the mock stopped answering after {MAX_PUMP_ROUNDS} answers ({pending} left)"
                ),
            )
            .with_help("make sure a callout response does not always start another callout"),
        );
        Ok(())
    }

    /// Delivers one thing due now; whether there was one.
    fn deliver_one(&mut self) -> Result<bool, Failed> {
        let now = self.store.data().now_ms;
        let signals = &mut self.state().signals;
        if let Some(i) = signals
            .callouts
            .iter()
            .position(|c| c.due_ms.is_some_and(|due| due <= now))
        {
            let callout = signals.callouts.remove(i).expect("index from position");
            self.answer_callout(callout)?;
            return Ok(true);
        }
        if let Some(delivery) = signals.grpc.pop_front() {
            self.deliver_grpc(delivery)?;
            return Ok(true);
        }
        if let Some(call) = signals.redis.pop_front() {
            let (status, body) = match call.answer {
                RedisAnswer::Response(bytes) => (0, bytes),
                // Higress: `onRedisCallFailure` sets the root's status
                // (BrokenConnection, "reset") and answers with no data.
                RedisAnswer::NetworkError => {
                    self.state().status = (BROKEN_CONNECTION, b"reset".to_vec());
                    (1, Vec::new())
                }
            };
            let len = body.len() as u32;
            self.state().redis_response = Some(body);
            let outcome = self.call(
                "proxy_on_redis_call_response",
                ROOT_ID,
                &[ROOT_ID, call.token, status, len],
                Restriction::None,
            );
            self.state().redis_response = None;
            outcome?;
            return Ok(true);
        }
        if let Some((root, token)) = signals.queue_ready.pop_front() {
            self.call(
                "proxy_on_queue_ready",
                root,
                &[root, token],
                Restriction::None,
            )?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Moves virtual time to the next timed event (a callout's timeout, a
    /// tick) and delivers it with what follows; `Ok(false)` when nothing
    /// more can happen.
    pub(super) fn advance(&mut self) -> Result<bool, Failed> {
        self.pump()?;
        let state = self.store.data();
        let now = state.now_ms;
        let period = u64::from(state.tick_period_ms);
        if period == 0 {
            self.next_tick_ms = None;
        } else if self.next_tick_ms.is_none() {
            self.next_tick_ms = Some(now + period);
        }
        let callout_due = state.signals.callouts.iter().filter_map(|c| c.due_ms).min();
        let tick_due = self.next_tick_ms.filter(|_| self.ticks_left > 0);
        let due = match (callout_due, tick_due) {
            (Some(c), Some(t)) => c.min(t),
            (Some(c), None) => c,
            (None, Some(t)) => t,
            (None, None) => return Ok(false),
        };
        if self.timed_events_left == 0 {
            if !self.timed_events_warned {
                self.timed_events_warned = true;
                self.report.diagnostics.push(
                    Diagnostic::warning(
                        codes::HOST_CALL,
                        format!(
                            "the run stopped moving virtual time after {MAX_TIMED_EVENTS} timed events (callout timeouts and ticks)"
                        ),
                    )
                    .with_help("make sure a callout answer or a tick does not always start another timed callout"),
                );
            }
            return Ok(false);
        }
        self.timed_events_left -= 1;
        self.state().now_ms = due.max(now);
        if callout_due == Some(due) {
            self.pump()?;
            return Ok(true);
        }
        self.tick()?;
        Ok(true)
    }

    /// One tick of the root context (cpp-host `ContextBase::onTick`), then
    /// what it started.
    pub(super) fn tick(&mut self) -> Result<(), Failed> {
        self.ticks_left = self.ticks_left.saturating_sub(1);
        let now = self.store.data().now_ms;
        self.call("proxy_on_tick", ROOT_ID, &[ROOT_ID], Restriction::None)?;
        let period = u64::from(self.store.data().tick_period_ms);
        self.next_tick_ms = (period > 0).then_some(now + period);
        self.pump()
    }

    /// Delivers the remaining ticks, in virtual time, with the callouts
    /// due meanwhile.
    pub(super) fn remaining_ticks(&mut self) -> Result<(), Failed> {
        while self.ticks_left > 0 && self.store.data().tick_period_ms > 0 {
            if !self.advance()? {
                break;
            }
        }
        Ok(())
    }

    /// Answers the callouts still waiting on a timeout, in virtual time,
    /// before the VM shuts down (within the run's budget of timed events,
    /// so that a plugin that calls out again from every answer ends).
    pub(super) fn settle(&mut self) -> Result<(), Failed> {
        while self
            .store
            .data()
            .signals
            .callouts
            .iter()
            .any(|c| c.due_ms.is_some())
        {
            if !self.advance()? {
                break;
            }
        }
        Ok(())
    }

    /// `proxy_on_http_call_response` on the root context that made the call
    /// (cpp-host calls out from the root context), as Envoy delivers each
    /// answer: a response (`Context::onHttpCallSuccess`, the response
    /// readable while the callback runs), a timeout (the async client's
    /// 504 local reply, delivered as a success), or a reset
    /// (`Context::onHttpCallFailure`: no response, sizes 0, and
    /// `proxy_get_status` BrokenConnection "reset" while it runs).
    fn answer_callout(&mut self, callout: Callout) -> Result<(), Failed> {
        let (response, answer) =
            match &callout.answer {
                CalloutAnswer::Response {
                    status,
                    headers,
                    body,
                } => {
                    let mut map = vec![(b":status".to_vec(), status.to_string().into_bytes())];
                    map.extend(headers.iter().map(|(k, v)| {
                        (k.to_ascii_lowercase().into_bytes(), v.as_bytes().to_vec())
                    }));
                    let response = CalloutResponse {
                        headers: map,
                        body: body.clone(),
                        trailers: Vec::new(),
                    };
                    (Some(response), status.to_string())
                }
                CalloutAnswer::Timeout => {
                    let response = CalloutResponse {
                        headers: vec![
                            (b":status".to_vec(), b"504".to_vec()),
                            (
                                b"content-length".to_vec(),
                                TIMEOUT_BODY.len().to_string().into_bytes(),
                            ),
                            (b"content-type".to_vec(), b"text/plain".to_vec()),
                        ],
                        body: TIMEOUT_BODY.to_vec(),
                        trailers: Vec::new(),
                    };
                    (Some(response), "timeout".to_string())
                }
                CalloutAnswer::Reset => (None, "reset".to_string()),
            };
        let sizes = match &response {
            Some(r) => [
                r.headers.len() as u32,
                r.body.len() as u32,
                r.trailers.len() as u32,
            ],
            None => [0, 0, 0],
        };
        let state = self.state();
        if let Some(i) = callout.record
            && let Some(record) = state.callout_records.get_mut(i)
        {
            record.answer = answer;
        }
        if response.is_none() {
            state.status = (BROKEN_CONNECTION, b"reset".to_vec());
        }
        state.callout_response = response;
        let token = callout.token;
        self.answered.push(callout);
        let outcome = self.call(
            "proxy_on_http_call_response",
            ROOT_ID,
            &[ROOT_ID, token, sizes[0], sizes[1], sizes[2]],
            Restriction::None,
        );
        let state = self.state();
        state.callout_response = None;
        // Envoy clears the message (not the code) after the callback.
        state.status.1.clear();
        outcome.map(|_| ())
    }

    /// A gRPC answer (`Context::onGrpcReceiveWrapper`,
    /// `onGrpcCloseWrapper`): the message readable as the gRPC receive
    /// buffer, or the close with its status for `proxy_get_status`.
    fn deliver_grpc(&mut self, delivery: GrpcDelivery) -> Result<(), Failed> {
        match delivery {
            GrpcDelivery::Message { token, message } => {
                let len = message.len() as u32;
                self.state().grpc_receive = Some(message);
                let outcome = self.call(
                    "proxy_on_grpc_receive",
                    ROOT_ID,
                    &[ROOT_ID, token, len],
                    Restriction::None,
                );
                let state = self.state();
                state.grpc_receive = None;
                // A unary call ends with its one message.
                if state.grpc_calls.get(&token).is_some_and(|c| !c.stream) {
                    state.grpc_calls.remove(&token);
                }
                outcome.map(|_| ())
            }
            GrpcDelivery::Close {
                token,
                status,
                message,
            } => {
                let state = self.state();
                state.status = (status, message);
                state.grpc_calls.remove(&token);
                self.call(
                    "proxy_on_grpc_close",
                    ROOT_ID,
                    &[ROOT_ID, token, status],
                    Restriction::None,
                )
                .map(|_| ())
            }
        }
    }
}
