//! Example proxy-wasm filter built with the `proxy-wasm` Rust SDK.
//!
//! Demonstrates the usual SDK shape: a root context that creates one HTTP
//! context per request. Each request is logged at info level and each
//! response gets the header `x-wasmkit: add-header`. The filter never pauses
//! a stream. The SDK marks the module with ABI 0.2.1, which upstream Envoy
//! accepts.

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(AddHeaderRoot) });
}}

struct AddHeaderRoot;

impl Context for AddHeaderRoot {}

impl RootContext for AddHeaderRoot {
    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(AddHeader { context_id }))
    }
}

struct AddHeader {
    context_id: u32,
}

impl Context for AddHeader {}

impl HttpContext for AddHeader {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let path = self.get_http_request_header(":path").unwrap_or_default();
        log::info!("add-header: request #{} for {path}", self.context_id);
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        self.add_http_response_header("x-wasmkit", "add-header");
        Action::Continue
    }
}
