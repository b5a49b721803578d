//! WIT doc comments read from a package's `wit/` sources, for `:help`
//! when the component carries none (components built with wit-bindgen do
//! not keep them).

use std::collections::HashMap;
use std::path::Path;

use wit_parser::{Resolve, WorldItem};

/// Doc comments by instance (`test:counters/counters@0.1.0`, `None` at
/// the root) and function name (`[method]counter.add`).
#[derive(Debug, Default)]
pub struct WitDocs {
    funcs: HashMap<(Option<String>, String), String>,
}

impl WitDocs {
    /// Reads the WIT package in `dir` (and its `deps/`); `None` when it
    /// does not parse.
    pub fn read(dir: &Path) -> Option<WitDocs> {
        let mut resolve = Resolve::default();
        resolve.push_dir(dir).ok()?;
        let mut funcs = HashMap::new();
        for (id, iface) in &resolve.interfaces {
            let Some(instance) = resolve.id_of(id) else {
                continue;
            };
            for (name, f) in &iface.functions {
                if let Some(docs) = &f.docs.contents {
                    funcs.insert((Some(instance.clone()), name.clone()), docs.clone());
                }
            }
        }
        for (_, world) in &resolve.worlds {
            for item in world.exports.values() {
                if let WorldItem::Function(f) = item
                    && let Some(docs) = &f.docs.contents
                {
                    funcs.insert((None, f.name.clone()), docs.clone());
                }
            }
        }
        Some(WitDocs { funcs })
    }

    /// The doc comment of a function, if it has one.
    pub fn get(&self, instance: Option<&str>, name: &str) -> Option<&str> {
        self.funcs
            .get(&(instance.map(str::to_string), name.to_string()))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_of_interface_resource_and_root_functions() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("world.wit"),
            "package test:docs@0.1.0;\n\
             interface api {\n\
               /// A thing.\n\
               resource thing {\n\
                 /// Makes one.\n\
                 constructor();\n\
                 /// Its size,\n\
                 /// in bytes.\n\
                 size: func() -> u32;\n\
               }\n\
               undocumented: func();\n\
             }\n\
             world w {\n\
               export api;\n\
               /// At the root.\n\
               export top: func();\n\
             }\n",
        )
        .unwrap();
        let docs = WitDocs::read(dir.path()).unwrap();
        let api = Some("test:docs/api@0.1.0");
        assert_eq!(docs.get(api, "[constructor]thing"), Some("Makes one."));
        assert_eq!(
            docs.get(api, "[method]thing.size"),
            Some("Its size,\nin bytes.")
        );
        assert_eq!(docs.get(api, "undocumented"), None);
        assert_eq!(docs.get(None, "top"), Some("At the root."));
        assert!(WitDocs::read(&dir.path().join("missing")).is_none());
    }
}
