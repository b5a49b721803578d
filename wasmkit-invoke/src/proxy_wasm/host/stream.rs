//! The stream as Envoy's `Context` holds it (`source/extensions/common/
//! wasm/context.cc`): each direction's header map with whether Envoy still
//! holds its pointer (`request_headers_`, set by `decodeHeaders` and
//! cleared when the callback returns Continue or the plugin resumes the
//! stream), trailers, and the body split into the chunk being delivered
//! (`request_body_buffer_`), what the filter manager buffers
//! (`buffering_request_body_`), and what was passed on; for a network
//! filter, the data each way. [`StreamState::const_map`] and
//! [`StreamState::map_mut`] follow `Context::getConstMap` and
//! `Context::getMap`.

use super::headers::HeaderMap;

/// One direction of an HTTP stream.
#[derive(Clone, Debug, Default)]
pub(crate) struct Half {
    /// The header map, once it arrived (the plugin's changes included).
    pub(crate) headers: Option<HeaderMap>,
    /// Whether Envoy holds the map's pointer.
    pub(crate) headers_held: bool,
    /// Why Envoy stopped holding it, in its terms.
    pub(crate) dropped_by: Option<String>,
    pub(crate) trailers: Option<HeaderMap>,
    pub(crate) trailers_held: bool,
    pub(crate) body: Body,
    /// Whether the headers were passed on (towards the upstream, or the
    /// client).
    pub(crate) headers_sent: bool,
}

/// A body as Envoy holds it while the plugin works on it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Body {
    /// The chunk being delivered (`request_body_buffer_`); `None` once
    /// Envoy cleared the pointer.
    pub(crate) chunk: Option<Vec<u8>>,
    /// What the filter manager buffers for the plugin.
    pub(crate) buffered: Vec<u8>,
    /// `buffering_request_body_`: the plugin returned
    /// StopIterationAndBuffer, so the next chunk joins the buffer and
    /// `getBuffer` answers the whole of it.
    pub(crate) buffering: bool,
    /// What went on past the plugin.
    pub(crate) passed: Vec<u8>,
}

impl Body {
    /// The body `getBuffer` answers (`Context::getBuffer`): the buffered
    /// body while buffering, else the chunk; `None` is Envoy's null buffer,
    /// which reads as empty and refuses writes.
    pub(crate) fn view(&self) -> Option<&Vec<u8>> {
        if self.buffering {
            Some(&self.buffered)
        } else {
            self.chunk.as_ref()
        }
    }

    pub(crate) fn view_mut(&mut self) -> Option<&mut Vec<u8>> {
        if self.buffering {
            Some(&mut self.buffered)
        } else {
            self.chunk.as_mut()
        }
    }

    /// Everything passed on or still held, for the report.
    pub(crate) fn total(&self) -> Vec<u8> {
        let mut all = self.passed.clone();
        all.extend_from_slice(&self.buffered);
        if let Some(chunk) = &self.chunk {
            all.extend_from_slice(chunk);
        }
        all
    }
}

/// The data of one direction of a network connection: what the
/// connection's buffer holds for the plugin (a read or write filter that
/// returns StopIteration leaves it there and the next data joins it), and
/// what was passed on.
#[derive(Clone, Debug, Default)]
pub(crate) struct NetData {
    pub(crate) held: Vec<u8>,
    /// `network_downstream_data_buffer_` is set.
    pub(crate) live: bool,
    pub(crate) passed: Vec<u8>,
}

/// The stream the plugin's stream context sees.
#[derive(Clone, Debug, Default)]
pub(crate) struct StreamState {
    pub(crate) request: Half,
    pub(crate) response: Half,
    /// `end_of_stream_` of the last data callback.
    pub(crate) end_of_stream: bool,
    /// `access_log_phase_`: `proxy_on_log` is running.
    pub(crate) access_log: bool,
    pub(crate) downstream: NetData,
    pub(crate) upstream: NetData,
    /// The response code details (`via_upstream`, or a local reply's).
    pub(crate) response_details: String,
    /// Higress: `proxy_set_upstream_override_host`.
    pub(crate) upstream_override_host: Option<Vec<u8>>,
}

/// Header map types with a stream behind them.
pub(crate) const REQUEST_HEADERS: u32 = 0;
pub(crate) const REQUEST_TRAILERS: u32 = 1;
pub(crate) const RESPONSE_HEADERS: u32 = 2;
pub(crate) const RESPONSE_TRAILERS: u32 = 3;

impl StreamState {
    pub(crate) fn half(&self, response: bool) -> &Half {
        if response {
            &self.response
        } else {
            &self.request
        }
    }

    pub(crate) fn half_mut(&mut self, response: bool) -> &mut Half {
        if response {
            &mut self.response
        } else {
            &mut self.request
        }
    }

    /// A stream map for reading (`Context::getConstMap`): in the access-log
    /// phase the request and response headers and the response trailers as
    /// the stream ended (request trailers are not offered), else the maps
    /// Envoy still holds.
    pub(crate) fn const_map(&self, map: u32) -> Option<&HeaderMap> {
        if self.access_log {
            return match map {
                REQUEST_HEADERS => self.request.headers.as_ref(),
                RESPONSE_HEADERS => self.response.headers.as_ref(),
                RESPONSE_TRAILERS => self.response.trailers.as_ref(),
                _ => None,
            };
        }
        let (half, trailers) = Self::which(map)?;
        let half = self.half(half);
        match (trailers, half.headers_held, half.trailers_held) {
            (false, true, _) => half.headers.as_ref(),
            (true, _, true) => half.trailers.as_ref(),
            _ => None,
        }
    }

    /// A stream map for writing (`Context::getMap`): only the maps Envoy
    /// holds, whatever the phase; trailers appear when the last body
    /// callback asks for them (`addDecodedTrailers`, `addEncodedTrailers`).
    pub(crate) fn map_mut(&mut self, map: u32) -> Option<&mut HeaderMap> {
        let (response, trailers) = Self::which(map)?;
        let eos = self.end_of_stream;
        let half = self.half_mut(response);
        if !trailers {
            return if half.headers_held {
                half.headers.as_mut()
            } else {
                None
            };
        }
        if !half.trailers_held && half.trailers.is_none() && half.body.chunk.is_some() && eos {
            half.trailers = Some(Vec::new());
            half.trailers_held = true;
        }
        if half.trailers_held {
            half.trailers.as_mut()
        } else {
            None
        }
    }

    /// Which half and whether the trailers, for a stream map type.
    fn which(map: u32) -> Option<(bool, bool)> {
        match map {
            REQUEST_HEADERS => Some((false, false)),
            REQUEST_TRAILERS => Some((false, true)),
            RESPONSE_HEADERS => Some((true, false)),
            RESPONSE_TRAILERS => Some((true, true)),
            _ => None,
        }
    }

    /// `Context::continueStream` for the request or the response: Envoy
    /// clears its request pointers (headers, body, trailers) in both cases,
    /// and never the response's.
    pub(crate) fn on_continue(&mut self, function: &str) {
        let request = &mut self.request;
        if request.headers_held {
            request.headers_held = false;
            request.dropped_by = Some(format!("the plugin called `{function}`"));
        }
        request.body.chunk = None;
        request.trailers_held = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn maps_follow_envoys_pointers() {
        let mut s = StreamState::default();
        s.request.headers = Some(map(&[(":path", "/")]));
        s.request.headers_held = true;
        assert!(s.const_map(REQUEST_HEADERS).is_some());
        s.request.headers_held = false;
        assert!(s.const_map(REQUEST_HEADERS).is_none());
        assert!(s.map_mut(REQUEST_HEADERS).is_none());
        // The access log reads the request headers again, but cannot write.
        s.access_log = true;
        assert!(s.const_map(REQUEST_HEADERS).is_some());
        assert!(s.const_map(REQUEST_TRAILERS).is_none());
        assert!(s.map_mut(REQUEST_HEADERS).is_none());
        s.access_log = false;
        // Trailers are created in the last body callback only.
        assert!(s.map_mut(REQUEST_TRAILERS).is_none());
        s.request.body.chunk = Some(Vec::new());
        s.end_of_stream = true;
        assert!(s.map_mut(REQUEST_TRAILERS).is_some());
        // Continuing the response clears the request's pointers.
        s.request.headers_held = true;
        s.on_continue("proxy_continue_stream");
        assert!(s.const_map(REQUEST_HEADERS).is_none());
        assert!(s.const_map(REQUEST_TRAILERS).is_none());
    }

    #[test]
    fn a_buffering_body_answers_the_whole_buffer() {
        let mut body = Body {
            chunk: Some(b"b".to_vec()),
            buffered: b"a".to_vec(),
            ..Body::default()
        };
        assert_eq!(body.view(), Some(&b"b".to_vec()));
        body.buffering = true;
        assert_eq!(body.view(), Some(&b"a".to_vec()));
        assert_eq!(body.total(), b"ab");
    }
}
