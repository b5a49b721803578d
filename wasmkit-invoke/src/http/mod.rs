//! HTTP components: sending one request to a component's
//! `wasi:http/incoming-handler`, as `wasmtime serve` does, and answering
//! the requests it sends out.
//!
//! A [`HttpHandler`] is made once per component (compiled and
//! pre-instantiated once); each [`HttpHandler::exchange`] or
//! [`HttpHandler::handle`] instantiates it afresh in its own store, sends
//! the [`HttpRequest`], and returns the response with every outgoing
//! request the handler made, in order ([`OutgoingRecord`]). Outgoing
//! requests are refused unless [`Upstreams`] answers them (no network) or
//! lets them through to the network for an authority.

mod handler;
mod plan;
mod report;
mod request;
mod response;
mod upstream;

use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

pub use handler::{Exchange, HANDLE, HttpHandler, HttpOutcome};
pub use plan::{HttpFlags, HttpPlan};
pub use request::{HttpRequest, Scheme};
pub use response::{CollectedResponse, HttpResponse, ResponseHead, ResponseSink};
pub use upstream::{
    OutgoingOutcome, OutgoingRecord, UpstreamAnswer, UpstreamFailure, Upstreams, parse_upstream,
};

use crate::component::ComponentState;
use upstream::OutboundHooks;

/// The `wasi:http` part of a component's store state.
pub(crate) struct HttpState {
    ctx: WasiHttpCtx,
    hooks: OutboundHooks,
}

impl Default for HttpState {
    /// Every outgoing request refused, and recorded nowhere: WAVE calls and
    /// `verify`'s instantiation.
    fn default() -> HttpState {
        HttpState::new(OutboundHooks::default())
    }
}

impl HttpState {
    fn new(hooks: OutboundHooks) -> HttpState {
        HttpState {
            ctx: WasiHttpCtx::new(),
            hooks,
        }
    }
}

impl WasiHttpView for ComponentState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http.ctx,
            table: &mut self.table,
            hooks: &mut self.http.hooks,
        }
    }
}
