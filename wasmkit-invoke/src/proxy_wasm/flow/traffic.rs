//! The traffic the mock host sends through the plugin, as data the driver
//! reads: the request, the upstream's response, and the answer the mock
//! gives every HTTP callout. `verify` sends [`Traffic::verify`].

use crate::proxy_wasm::host::HeaderMap;

/// An HTTP message: headers in order (names lowercase, pseudo-headers
/// first), then the body.
#[derive(Clone, Debug)]
pub(crate) struct HttpMessage {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl HttpMessage {
    /// A message with these headers, in order, and this body.
    fn new(headers: &[(&str, &str)], body: &str) -> HttpMessage {
        HttpMessage {
            headers: headers
                .iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    /// A 200 response with a JSON body and its length.
    fn json_ok(body: &str) -> HttpMessage {
        let length = body.len().to_string();
        HttpMessage::new(
            &[
                (":status", "200"),
                ("content-type", "application/json"),
                ("content-length", &length),
            ],
            body,
        )
    }
}

/// What goes through the plugin in one run.
#[derive(Clone, Debug)]
pub(crate) struct Traffic {
    /// The request from the client.
    pub(crate) request: HttpMessage,
    /// The upstream's response, when the plugin lets the request through.
    pub(crate) response: HttpMessage,
    /// The answer to every HTTP callout (headers and body; no trailers).
    pub(crate) callout_response: HttpMessage,
}

/// The request `verify` sends: a chat-completion POST, the kind of request
/// whose JSON body AI-gateway plugins wait for.
const AUTHORITY: &str = "api.example.com";
const PATH: &str = "/v1/chat/completions";
const REQUEST_BODY: &str =
    r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}],"stream":false}"#;
const RESPONSE_BODY: &str = r#"{"id":"chatcmpl-wasmkit","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}]}"#;
const CALLOUT_BODY: &str = r#"{"ok":true,"from":"wasmkit mock upstream"}"#;

impl Traffic {
    /// What `verify` sends: one POST with a JSON body, answered 200 with
    /// JSON by the upstream and by every callout.
    pub(crate) fn verify() -> Traffic {
        let length = REQUEST_BODY.len().to_string();
        Traffic {
            request: HttpMessage::new(
                &[
                    (":authority", AUTHORITY),
                    (":path", PATH),
                    (":method", "POST"),
                    (":scheme", "http"),
                    ("content-type", "application/json"),
                    ("content-length", &length),
                    ("x-request-id", "4f6c2a7e-0c1d-4d7b-9a51-wasmkit00001"),
                ],
                REQUEST_BODY,
            ),
            response: HttpMessage::json_ok(RESPONSE_BODY),
            callout_response: HttpMessage::json_ok(CALLOUT_BODY),
        }
    }
}
