//! A session as completion sees it ([`Vocabulary`]): its call names, bound
//! names, the methods of a handle and the cases of a parameter's type.

use wasmtime::component::Type;

use crate::repl::complete::{Cases, Vocabulary};
use crate::session::Session;
use crate::values::case_names;

impl Vocabulary for Session {
    fn call_names(&self) -> Vec<String> {
        match self {
            Session::Component(s) => s.call_names(),
            Session::Module(m) => m.funcs().iter().map(|(n, _)| n.clone()).collect(),
        }
    }

    fn bound_names(&self) -> Vec<String> {
        match self.component() {
            Some(s) => s
                .bound_names()
                .into_iter()
                .filter(|b| !b.gone)
                .map(|b| b.name)
                .collect(),
            None => Vec::new(),
        }
    }

    fn methods_of(&self, name: &str) -> Vec<String> {
        self.component()
            .map(|s| s.methods_of(name))
            .unwrap_or_default()
    }

    fn argument_cases(&self, callee: &str, index: usize) -> Option<Cases> {
        let params = self.component()?.param_types(callee)?;
        let (_, ty) = params.get(index)?;
        let names = case_names(ty);
        (!names.is_empty()).then_some(Cases {
            names,
            flags: matches!(ty, Type::Flags(_)),
        })
    }
}
