//! A network filter's connection (`envoy.filters.network.wasm`), as
//! Envoy's `Context` drives it: `proxy_on_new_connection`
//! (`onNewConnection`), the client's data (`onData` →
//! `proxy_on_downstream_data`) and the upstream's (`onWrite` →
//! `proxy_on_upstream_data`), where StopIteration leaves the data in the
//! connection's buffer and the next data joins it, then the close: the
//! client's (`onEvent(RemoteClose)` → `proxy_on_downstream_connection_close`
//! with peer Remote, then `onCloseTCP`: done, log, delete) or the
//! upstream's (the last upstream data with end of stream →
//! `onUpstreamConnectionClose(Unknown)`: close, done, delete).

use wasmkit_core::{Diagnostic, codes};

use super::{Failed, Run};
use crate::proxy_wasm::host::{HTTP_ID, ROOT_ID, Restriction, capped};
use crate::proxy_wasm::plan::CloseFirst;
use crate::proxy_wasm::report::{NetworkExchange, RequestOutcome};

/// cpp-host `PeerType`.
const PEER_UNKNOWN: u32 = 0;
const PEER_REMOTE: u32 = 2;

/// `WasmStreamType` of each direction.
const DOWNSTREAM: usize = 2;
const UPSTREAM: usize = 3;

/// The connection ended early, with this outcome.
struct End(RequestOutcome);

impl Run<'_> {
    /// The connection, start to close; its data goes into the report.
    pub(super) fn connection(&mut self) -> RequestOutcome {
        self.state().alive.insert(HTTP_ID);
        self.clear_resume();
        let outcome = match self.connection_traffic() {
            Ok(outcome) => outcome,
            Err(End(outcome)) => {
                if let Some(at @ ("proxy_on_context_create" | "proxy_on_new_connection")) =
                    self.failed_at
                {
                    self.explain_wrong_kind(at);
                }
                outcome
            }
        };
        self.state().alive.remove(&HTTP_ID);
        let stream = &self.store.data().stream;
        self.report.connection = Some(NetworkExchange {
            to_upstream: capped(&stream.downstream.passed, 64 * 1024),
            to_downstream: capped(&stream.upstream.passed, 64 * 1024),
        });
        outcome
    }

    fn connection_traffic(&mut self) -> Result<RequestOutcome, End> {
        self.net_call("proxy_on_context_create", &[HTTP_ID, ROOT_ID])?;
        let raw = self.net_call("proxy_on_new_connection", &[HTTP_ID])?;
        if raw != 0 && !self.take_resume(DOWNSTREAM) && !self.net_wait(DOWNSTREAM)? {
            let stall = self.net_stall("proxy_on_new_connection", "the new connection");
            self.close(false)?;
            return Ok(stall);
        }
        let plan = self.plan.clone();
        for chunk in &plan.network.downstream {
            self.data(DOWNSTREAM, chunk, false)?;
        }
        if self.held(DOWNSTREAM) && !self.net_wait(DOWNSTREAM)? {
            // The client gives up and closes.
            let stall = self.net_stall("proxy_on_downstream_data", "the client's data");
            self.close(false)?;
            return Ok(stall);
        }
        let upstream_closes = plan.network.close_first == CloseFirst::Upstream;
        let mut upstream = plan.network.upstream.clone();
        if upstream_closes && upstream.is_empty() {
            upstream.push(Vec::new());
        }
        let count = upstream.len();
        for (i, chunk) in upstream.iter().enumerate() {
            let end_of_stream = upstream_closes && i + 1 == count;
            self.data(UPSTREAM, chunk, end_of_stream)?;
            if end_of_stream {
                // `Context::onWrite`: the upstream's end of stream closes
                // it whatever the filter returned.
                self.close(true)?;
            }
        }
        let outcome = if self.held(UPSTREAM) && !self.net_wait(UPSTREAM)? {
            self.net_stall("proxy_on_upstream_data", "the upstream's data")
        } else {
            RequestOutcome::Completed
        };
        if !upstream_closes {
            self.close(false)?;
        }
        Ok(outcome)
    }

    /// The close: the upstream's (`onUpstreamConnectionClose(Unknown)`:
    /// close, done, delete) or the client's (`onEvent(RemoteClose)`, then
    /// `onCloseTCP`: close, done, log, delete).
    fn close(&mut self, upstream: bool) -> Result<(), End> {
        let close: &[&'static str] = if upstream {
            &[
                "proxy_on_upstream_connection_close",
                "proxy_on_done",
                "proxy_on_delete",
            ]
        } else {
            &[
                "proxy_on_downstream_connection_close",
                "proxy_on_done",
                "proxy_on_log",
                "proxy_on_delete",
            ]
        };
        for &name in close {
            let args: &[u32] = match name {
                "proxy_on_upstream_connection_close" => &[HTTP_ID, PEER_UNKNOWN],
                "proxy_on_downstream_connection_close" => &[HTTP_ID, PEER_REMOTE],
                _ => &[HTTP_ID],
            };
            self.call(name, HTTP_ID, args, Restriction::None)
                .map_err(|Failed| End(self.failed_outcome()))?;
        }
        Ok(())
    }

    /// Calls a connection callback, then what is due; a close the plugin
    /// asked for ends the connection.
    fn net_call(&mut self, name: &'static str, args: &[u32]) -> Result<u32, End> {
        let raw = self
            .stream_callback(name, args)
            .ok_or_else(|| End(self.failed_outcome()))?
            .0;
        self.net_closed()?;
        Ok(raw)
    }

    fn net_closed(&mut self) -> Result<(), End> {
        match self.state().signals.close.take() {
            Some((at, _)) => Err(End(RequestOutcome::Reset { at: at.to_string() })),
            None => Ok(()),
        }
    }

    /// Whether data waits in this direction's buffer.
    fn held(&self, stream_type: usize) -> bool {
        let stream = &self.store.data().stream;
        let data = if stream_type == DOWNSTREAM {
            &stream.downstream
        } else {
            &stream.upstream
        };
        data.live
    }

    /// One chunk of data: it joins what the connection's buffer holds, the
    /// plugin sees the whole, and Continue passes it on.
    fn data(&mut self, stream_type: usize, chunk: &[u8], end_of_stream: bool) -> Result<(), End> {
        let name = if stream_type == DOWNSTREAM {
            "proxy_on_downstream_data"
        } else {
            "proxy_on_upstream_data"
        };
        let state = self.state();
        state.stream.end_of_stream = end_of_stream;
        let data = if stream_type == DOWNSTREAM {
            &mut state.stream.downstream
        } else {
            &mut state.stream.upstream
        };
        data.held.extend_from_slice(chunk);
        data.live = true;
        let size = data.held.len() as u32;
        self.clear_resume();
        let raw = self.net_call(name, &[HTTP_ID, size, u32::from(end_of_stream)])?;
        if raw == 0 || self.take_resume(stream_type) {
            self.pass_data(stream_type);
        }
        Ok(())
    }

    fn pass_data(&mut self, stream_type: usize) {
        let stream = &mut self.state().stream;
        let data = if stream_type == DOWNSTREAM {
            &mut stream.downstream
        } else {
            &mut stream.upstream
        };
        let held = std::mem::take(&mut data.held);
        data.passed.extend_from_slice(&held);
        data.live = false;
    }

    /// Waits in virtual time for the plugin to resume reading
    /// (`continueReading`); `Ok(false)` when nothing can.
    fn net_wait(&mut self, stream_type: usize) -> Result<bool, End> {
        loop {
            if self.take_resume(stream_type) {
                self.pass_data(stream_type);
                return Ok(true);
            }
            self.net_closed()?;
            match self.advance() {
                Err(Failed) => return Err(End(self.failed_outcome())),
                Ok(false) => return Ok(false),
                Ok(true) => {}
            }
        }
    }

    fn net_stall(&mut self, callback: &'static str, what: &str) -> RequestOutcome {
        let reason = format!(
            "`{callback}` returned StopIteration and nothing resumed the connection, so {what} never went on"
        );
        let d = Diagnostic::error(
            codes::REQUEST_STALLED,
            format!("the connection never completes: `{callback}` stopped it and nothing resumed it"),
        )
        .with_note(reason.clone())
        .with_note(
            "Envoy resumes reading only on `proxy_continue_stream(Downstream)`; resuming the upstream side is Unimplemented (`Context::continueStream`)",
        )
        .with_help(format!(
            "return Continue from `{callback}` once the plugin has what it needs, or call `proxy_continue_stream(2)` where the work finishes"
        ));
        let d = self.with_logs(d);
        self.report.diagnostics.push(d);
        RequestOutcome::Stalled {
            at: callback.to_string(),
            reason,
        }
    }
}
