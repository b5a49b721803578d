//! Dropping resource handles: `drop(NAME)`, and the handles still live
//! at the end of a session, so that the guest's destructors run.

use wasmkit_core::{Diagnostic, codes};

use crate::args;
use crate::bindings::HandleState;
use crate::call::{self, CallSource};
use crate::component::{ComponentCall, ComponentSession};
use crate::limits::guarded;
use crate::line::CallLine;

impl ComponentSession {
    /// `drop(NAME)`: drops the handles a name holds; their destructors run.
    pub(crate) fn drop_call(
        &mut self,
        src: &CallSource,
        line: &CallLine<'_>,
    ) -> Result<ComponentCall, Diagnostic> {
        let text = line.src.text();
        let nodes: Vec<_> = match line.call.params_node() {
            Some(node) => node
                .as_tuple()
                .map_err(|e| call::syntax_error(&line.src, &e))?
                .collect(),
            None => Vec::new(),
        };
        let usage = |span: std::ops::Range<usize>, label: &str| {
            Diagnostic::error(codes::ARGUMENT_COUNT, "`drop` takes one bound name")
                .with_label(line.src.label(span, label))
                .with_help("write `drop(NAME)`, where `let NAME = ...` bound a handle")
        };
        let node = match nodes.as_slice() {
            [node] => *node,
            [] => return Err(usage(line.callee_span.end..text.len(), "no name given")),
            [_, extra @ ..] => {
                let span = extra[0].span().start..extra[extra.len() - 1].span().end;
                return Err(usage(span, "one name only"));
            }
        };
        let span = node.span();
        let name = &text[span.clone()];
        let Some(binding) = self.bindings.get(name) else {
            return Err(args::unknown_name(&line.src, span, name, &self.bindings));
        };
        if let Some(state) = args::gone(&self.handles, binding) {
            return Err(args::gone_error(&line.src, span, name, state));
        }
        if binding.handles.is_empty() {
            return Err(Diagnostic::error(
                codes::WAVE_TYPE,
                format!("`{name}` holds no handle to drop"),
            )
            .with_label(line.src.label(span, format!("a `{}`", binding.type_name))));
        }
        for h in binding.handles.clone() {
            self.drop_handle(h, src.text())?;
        }
        Ok(ComponentCall {
            name: "drop".into(),
            function: "drop".into(),
            results: Vec::new(),
            wave: "()".into(),
            has_handles: false,
        })
    }

    /// Drops one handle (running its destructor), noting who dropped it.
    fn drop_handle(&mut self, index: usize, by: &str) -> Result<(), Diagnostic> {
        let entry = self.handles.get(index);
        let (value, label) = (entry.value, entry.label());
        self.handles
            .set_state(index, HandleState::Dropped { by: by.to_string() });
        let outcome = guarded(
            &mut self.store,
            &self.limits,
            &format!("drop of {label}"),
            |store| value.resource_drop(store),
        );
        let log = self.store.data_mut().import_log.take();
        self.last_imports = log.describe(&self.imports, &|r| self.handles.label_of(r));
        self.last_imports_dropped = log.dropped;
        outcome
    }

    /// Drops every handle still live, oldest first, so that the guest's
    /// destructors run; for the end of a session. Returns the handles
    /// dropped, and the error that stopped it, if any.
    pub fn drop_live_handles(&mut self) -> (Vec<String>, Option<Diagnostic>) {
        let mut dropped = Vec::new();
        for h in self.handles.live() {
            let label = self.handles.get(h).label();
            if let Err(d) = self.drop_handle(h, "the end of the session") {
                return (dropped, Some(d));
            }
            dropped.push(label);
        }
        (dropped, None)
    }
}
