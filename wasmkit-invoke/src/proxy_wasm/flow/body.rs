//! A message's body chunks and trailers as Envoy hands them to the plugin
//! and reads its answers (`Context::decodeData`, `encodeData`,
//! `decodeTrailers`, `encodeTrailers`): while the plugin returns
//! StopIterationAndBuffer, the next chunk joins the buffer before the
//! callback (`addDecodedData`), the size passed is the buffered total and
//! `proxy_get_buffer_bytes` reads the whole buffer; StopIterationAndWatermark
//! buffers too but shows the next chunk alone; StopIterationNoBuffer leaves
//! the chunk to the plugin (the filter manager keeps nothing of it).

use std::ops::ControlFlow;

use super::Run;
use super::stall::Stall;
use super::stream::{Direction, header_map};
use crate::proxy_wasm::host::HTTP_ID;
use crate::proxy_wasm::report::RequestOutcome;

impl Run<'_> {
    /// Delivers the body chunks, the last with `end_of_stream` unless
    /// trailers follow. `Some` stall when the last callback left the
    /// stream stopped; `stopped` is how the headers left it (kept when
    /// there is no body).
    pub(super) fn body(
        &mut self,
        direction: Direction,
        chunks: &[Vec<u8>],
        no_trailers: bool,
        stopped: Option<Stall>,
    ) -> ControlFlow<RequestOutcome, Option<Stall>> {
        let mut stopped = stopped;
        let response = direction.is_response();
        for (i, chunk) in chunks.iter().enumerate() {
            let end_of_stream = i + 1 == chunks.len() && no_trailers;
            let state = self.state();
            state.stream.end_of_stream = end_of_stream;
            let body = &mut state.stream.half_mut(response).body;
            if body.buffering {
                body.buffered.extend_from_slice(chunk);
                body.chunk = Some(Vec::new());
            } else {
                body.chunk = Some(chunk.clone());
            }
            let size = body.view().map_or(0, Vec::len) as u32;
            self.clear_resume();
            let Some((raw, stop_next)) = self.stream_callback(
                direction.body_callback(),
                &[HTTP_ID, size, u32::from(end_of_stream)],
            ) else {
                return ControlFlow::Break(self.failed_outcome());
            };
            self.ended(direction)?;
            // cpp-host `convertVmCallResultToFilterDataStatus`: a local
            // reply or a value past the enum is StopIterationNoBuffer.
            let verdict = if stop_next || raw > 3 { 3 } else { raw };
            let resumed = self.take_resume(if response { 1 } else { 0 });
            let body = &mut self.state().stream.half_mut(response).body;
            body.buffering = false;
            match verdict {
                0 => {
                    pass_body(body);
                    stopped = None;
                }
                1 | 2 => {
                    if let Some(chunk) = body.chunk.as_mut() {
                        body.buffered.append(chunk);
                    }
                    body.buffering = verdict == 1;
                    stopped = Some(Stall::Body { direction, raw });
                }
                _ => {
                    // The chunk is the plugin's to keep; the filter
                    // manager holds nothing of it.
                    if let Some(chunk) = body.chunk.as_mut() {
                        chunk.clear();
                    }
                    stopped = Some(Stall::Body { direction, raw });
                }
            }
            if resumed && stopped.is_some() {
                // `continueDecoding` after the callback: the buffered data
                // goes on.
                pass_body(&mut self.state().stream.half_mut(response).body);
                stopped = None;
            }
        }
        ControlFlow::Continue(stopped)
    }

    /// Delivers the trailers; `Some` stall when the callback stopped the
    /// stream (Continue resumes a stream stopped in its body).
    pub(super) fn trailers(
        &mut self,
        direction: Direction,
        trailers: &[(String, String)],
    ) -> ControlFlow<RequestOutcome, Option<Stall>> {
        let map = header_map(trailers);
        let count = map.len() as u32;
        let state = self.state();
        state.stream.end_of_stream = true;
        let half = state.stream.half_mut(direction.is_response());
        half.trailers = Some(map);
        half.trailers_held = true;
        self.clear_resume();
        let Some((raw, stop_next)) =
            self.stream_callback(direction.trailers_callback(), &[HTTP_ID, count])
        else {
            return ControlFlow::Break(self.failed_outcome());
        };
        self.ended(direction)?;
        // cpp-host `convertVmCallResultToFilterTrailersStatus`.
        if raw == 0 && !stop_next {
            let half = self.state().stream.half_mut(direction.is_response());
            half.trailers_held = false;
            return ControlFlow::Continue(None);
        }
        if self.take_resume(if direction.is_response() { 1 } else { 0 }) {
            return ControlFlow::Continue(None);
        }
        ControlFlow::Continue(Some(Stall::Trailers { direction, raw }))
    }

    /// The message goes on past the plugin: headers, what the body holds.
    pub(super) fn pass_on(&mut self, direction: Direction) {
        let half = self.state().stream.half_mut(direction.is_response());
        half.headers_sent = true;
        pass_body(&mut half.body);
    }
}

/// What the filter manager holds of the body goes on.
fn pass_body(body: &mut crate::proxy_wasm::host::Body) {
    let buffered = std::mem::take(&mut body.buffered);
    body.passed.extend_from_slice(&buffered);
    if let Some(chunk) = body.chunk.as_mut() {
        body.passed.append(chunk);
    }
    if !body.buffering {
        body.chunk = None;
    }
}
