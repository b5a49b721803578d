//! The names a session binds with `let`, and the table of resource handles
//! its calls returned: each handle is numbered from 1, and is live until it
//! is moved into a call (an `own` parameter) or dropped.

use std::collections::HashMap;

use wasmtime::component::{ResourceAny, ResourceType, Type, Val};

/// What became of a handle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandleState {
    /// The session holds it.
    Live,
    /// It was passed to an `own` parameter: the guest has it now.
    Moved {
        /// The call it went to, as written.
        by: String,
    },
    /// It was dropped, by `drop(NAME)` or by the guest's destructor call.
    Dropped {
        /// The call that dropped it, as written.
        by: String,
    },
}

/// A resource handle a call returned.
#[derive(Clone, Debug)]
pub struct Handle {
    /// Its number in `<RES #N>`, from 1.
    pub number: usize,
    /// Its resource's name.
    pub resource: String,
    /// Its resource type, as the component's function types name it.
    pub ty: ResourceType,
    /// The host's reference to it.
    pub(crate) value: ResourceAny,
    /// Whether the session still holds it.
    pub state: HandleState,
}

impl Handle {
    /// `<counter #1>`.
    pub fn label(&self) -> String {
        format!("<{} #{}>", self.resource, self.number)
    }
}

/// The handles of a session, in the order calls returned them.
#[derive(Debug, Default)]
pub struct HandleTable {
    handles: Vec<Handle>,
}

impl HandleTable {
    /// Adds a handle a call returned; its index in the table.
    pub(crate) fn add(&mut self, value: ResourceAny, ty: ResourceType, resource: String) -> usize {
        self.handles.push(Handle {
            number: self.handles.len() + 1,
            resource,
            ty,
            value,
            state: HandleState::Live,
        });
        self.handles.len() - 1
    }

    /// The handle at an index.
    pub fn get(&self, index: usize) -> &Handle {
        &self.handles[index]
    }

    pub(crate) fn set_state(&mut self, index: usize, state: HandleState) {
        self.handles[index].state = state;
    }

    /// Every handle, live or not.
    pub fn all(&self) -> &[Handle] {
        &self.handles
    }

    /// `<RES #N>` for a live handle the session holds; the newest first,
    /// since the host reuses the slots of dropped handles.
    pub(crate) fn label_of(&self, value: &ResourceAny) -> String {
        self.handles
            .iter()
            .rev()
            .find(|h| h.state == HandleState::Live && h.value == *value)
            .map_or_else(|| "<handle>".to_string(), Handle::label)
    }

    /// The indices of the handles still live, oldest first.
    pub(crate) fn live(&self) -> Vec<usize> {
        (0..self.handles.len())
            .filter(|&i| self.handles[i].state == HandleState::Live)
            .collect()
    }
}

/// A value bound by `let NAME = CALL`.
#[derive(Clone, Debug)]
pub struct Binding {
    /// The value.
    pub value: Val,
    /// Its type.
    pub ty: Type,
    /// Its type as WIT writes it (`counter`, `option<string>`).
    pub type_name: String,
    /// The handles inside it (indices into the session's table).
    pub handles: Vec<usize>,
    /// The value as the call printed it.
    pub wave: String,
}

/// The names bound so far. A later `let` of the same name replaces it.
#[derive(Debug, Default)]
pub struct Bindings {
    by_name: HashMap<String, Binding>,
    order: Vec<String>,
}

impl Bindings {
    /// Binds (or rebinds) a name.
    pub(crate) fn insert(&mut self, name: &str, binding: Binding) {
        if self.by_name.insert(name.to_string(), binding).is_none() {
            self.order.push(name.to_string());
        }
    }

    /// The binding of a name.
    pub fn get(&self, name: &str) -> Option<&Binding> {
        self.by_name.get(name)
    }

    /// Every bound name with its binding, in the order they were first
    /// bound.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Binding)> {
        self.order.iter().map(|n| (n.as_str(), &self.by_name[n]))
    }

    /// Whether nothing is bound.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}
