//! Finding a component function, exported or imported, by any name a user
//! may write for it: `f`, `iface.f`, `ns:pkg/iface.f@1.0`,
//! `ns:pkg/iface@1.0#f`, and for resource functions `RES.new`, `RES.f`,
//! `iface.RES.new` or the canonical `[constructor]RES`, `[method]RES.m`,
//! `[static]RES.f`.

use wasmkit_core::suggest::did_you_mean;
use wasmkit_core::{Diagnostic, codes};

use crate::call::CallSource;

/// A function as the component names it: its instance (`None` at the
/// root) and its name there (`f`, `[constructor]counter`, ...).
pub trait Named {
    /// The instance it belongs to, e.g. `example:shapes/geometry@0.1.0`.
    fn instance(&self) -> Option<&str>;
    /// Its name within the instance.
    fn name(&self) -> &str;

    /// The name `--list` shows and diagnostics suggest: `area`, or
    /// `example:shapes/geometry.perimeter@0.1.0`.
    fn full_name(&self) -> String {
        qualified(self.instance(), self.name())
    }

    /// The shortest usual spelling: `f`, or `iface.f` inside an interface;
    /// `RES.new` and `RES.f` for constructors and statics.
    fn short_name(&self) -> String {
        let friendly = friendly(self.name());
        match self.instance() {
            None => friendly,
            Some(i) => format!("{}.{friendly}", interface_of(i)),
        }
    }
}

/// `instance.name` with the instance's version moved to the end.
pub fn qualified(instance: Option<&str>, name: &str) -> String {
    match instance {
        None => name.to_string(),
        Some(instance) => match instance.split_once('@') {
            Some((path, version)) => format!("{path}.{name}@{version}"),
            None => format!("{instance}.{name}"),
        },
    }
}

/// `RES.new` for `[constructor]RES`, `RES.f` for `[static]RES.f`; other
/// names as they are.
pub fn friendly(name: &str) -> String {
    if let Some(res) = name.strip_prefix("[constructor]") {
        format!("{res}.new")
    } else if let Some(rest) = name.strip_prefix("[static]") {
        rest.to_string()
    } else {
        name.to_string()
    }
}

/// The interface part of an instance name: `ns:pkg/iface@1.0` → `iface`.
pub fn interface_of(instance: &str) -> &str {
    let without_version = instance.split_once('@').map_or(instance, |(p, _)| p);
    without_version
        .rsplit_once('/')
        .map_or(without_version, |(_, i)| i)
}

/// Why a name did not resolve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Nothing by that name.
    Unknown,
    /// Several functions (indices into the list).
    Ambiguous(Vec<usize>),
}

/// Which side of the component a list of functions is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// Its exports: what calls name.
    Exports,
    /// Its imports: what mocks name.
    Imports,
}

/// How an instance is named in a spelling.
enum Qualifier<'a> {
    /// None: a root function, else one unique across instances.
    Any,
    /// `iface`: an instance whose interface (or whole name) is this.
    Interface(&'a str),
    /// `ns:pkg/iface` with an optional version: that instance exactly, or
    /// at any version when none is given.
    Path(&'a str, Option<&'a str>),
}

/// Finds the function `name` designates. A plain name is a root function
/// first, then one unique across instances.
pub fn resolve<F: Named>(funcs: &[F], name: &str) -> Result<usize, Resolution> {
    let mut found = Vec::new();
    for (qualifier, func) in readings(name) {
        let candidates = canonical(func);
        let matches = |f: &F| candidates.iter().any(|c| c == f.name());
        let hits: Vec<usize> = match qualifier {
            Qualifier::Any => {
                let root = indices(funcs, |f| f.instance().is_none() && matches(f));
                if root.is_empty() {
                    indices(funcs, |f| f.instance().is_some() && matches(f))
                } else {
                    root
                }
            }
            Qualifier::Interface(iface) => indices(funcs, |f| {
                matches(f)
                    && f.instance()
                        .is_some_and(|i| i == iface || interface_of(i) == iface)
            }),
            Qualifier::Path(path, version) => {
                let exact = match version {
                    Some(v) => format!("{path}@{v}"),
                    None => path.to_string(),
                };
                let hits = indices(funcs, |f| {
                    matches(f) && f.instance() == Some(exact.as_str())
                });
                if hits.is_empty() && version.is_none() {
                    indices(funcs, |f| {
                        matches(f)
                            && f.instance()
                                .and_then(|i| i.split_once('@'))
                                .is_some_and(|(p, _)| p == path)
                    })
                } else {
                    hits
                }
            }
        };
        for i in hits {
            if !found.contains(&i) {
                found.push(i);
            }
        }
    }
    match found.as_slice() {
        [] => Err(Resolution::Unknown),
        [one] => Ok(*one),
        _ => Err(Resolution::Ambiguous(found)),
    }
}

fn indices<F>(funcs: &[F], pred: impl Fn(&F) -> bool) -> Vec<usize> {
    funcs
        .iter()
        .enumerate()
        .filter(|(_, f)| pred(f))
        .map(|(i, _)| i)
        .collect()
}

/// The ways to read a name as (instance qualifier, function part).
fn readings(name: &str) -> Vec<(Qualifier<'_>, &str)> {
    if let Some((instance, func)) = name.split_once('#') {
        return vec![match instance.split_once('@') {
            Some((path, v)) => (Qualifier::Path(path, Some(v)), func),
            None => (Qualifier::Path(instance, None), func),
        }];
    }
    if let Some(bracket) = name.find('[') {
        // `[method]RES.m` after an optional `iface.` or `ns:pkg/iface.`,
        // with the version of the latter at the very end.
        let (prefix, mut func) = name.split_at(bracket);
        let Some(prefix) = prefix.strip_suffix('.').or(prefix.is_empty().then_some("")) else {
            return Vec::new();
        };
        if prefix.is_empty() {
            return vec![(Qualifier::Any, func)];
        }
        if prefix.contains('/') {
            let mut version = None;
            if let Some((f, v)) = func.rsplit_once('@') {
                func = f;
                version = Some(v);
            }
            return vec![(Qualifier::Path(prefix, version), func)];
        }
        return vec![(Qualifier::Interface(prefix), func)];
    }
    if name.contains('/') {
        let (path, version) = match name.rsplit_once('@') {
            Some((p, v)) => (p, Some(v)),
            None => (name, None),
        };
        let slash = path.rfind('/').unwrap_or(0);
        return match path[slash..].find('.') {
            Some(dot) => vec![(
                Qualifier::Path(&path[..slash + dot], version),
                &path[slash + dot + 1..],
            )],
            None => Vec::new(),
        };
    }
    match name.split_once('.') {
        // `iface.f` or `iface.RES.f`; `RES.f` at any instance.
        Some((first, rest)) => {
            let mut readings = vec![(Qualifier::Interface(first), rest)];
            if !rest.contains('.') {
                readings.push((Qualifier::Any, name));
            }
            readings
        }
        None => vec![(Qualifier::Any, name)],
    }
}

/// The component names a function part may stand for: `RES.new` is a
/// constructor (or a static function called `new`), `RES.f` a static
/// function.
fn canonical(func: &str) -> Vec<String> {
    if func.starts_with('[') || !func.contains('.') {
        return vec![func.to_string()];
    }
    let (res, f) = func.split_once('.').unwrap_or((func, ""));
    let mut names = vec![format!("[static]{res}.{f}")];
    if f == "new" {
        names.push(format!("[constructor]{res}"));
    }
    names
}

/// The diagnostic for a name that does not resolve.
pub fn resolution_error<F: Named>(
    funcs: &[F],
    side: Side,
    src: &CallSource,
    name_span: std::ops::Range<usize>,
    name: &str,
    why: Resolution,
) -> Diagnostic {
    let (verb, label) = match side {
        Side::Exports => ("exports", "not exported"),
        Side::Imports => ("imports", "not imported"),
    };
    match why {
        Resolution::Ambiguous(candidates) => {
            let names: Vec<String> = candidates
                .iter()
                .map(|&i| format!("`{}`", funcs[i].full_name()))
                .collect();
            let what = match side {
                Side::Exports => "exported",
                Side::Imports => "imported",
            };
            Diagnostic::error(
                codes::AMBIGUOUS_FUNCTION,
                format!("`{name}` is {what} by several interfaces"),
            )
            .with_label(src.label(name_span, "ambiguous"))
            .with_note(format!("candidates: {}", names.join(", ")))
            .with_help("call it by its qualified name")
        }
        Resolution::Unknown => {
            let mut d = Diagnostic::error(
                codes::UNKNOWN_FUNCTION,
                format!("the component {verb} no function `{name}`"),
            )
            .with_label(src.label(name_span, label));
            let candidates: Vec<String> = funcs
                .iter()
                .flat_map(|f| {
                    let mut names = vec![f.full_name(), friendly(f.name()), f.short_name()];
                    names.dedup();
                    names
                })
                .collect();
            if let Some(s) = did_you_mean(name, candidates.iter().map(String::as_str)) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            match side {
                Side::Exports => d.with_help("see every callable function with `--list`"),
                Side::Imports => d.with_help("see every import with `--list`"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct F(Option<&'static str>, &'static str);

    impl Named for F {
        fn instance(&self) -> Option<&str> {
            self.0
        }
        fn name(&self) -> &str {
            self.1
        }
    }

    const FUNCS: &[F] = &[
        F(None, "area"),
        F(Some("ex:shapes/geometry@0.1.0"), "perimeter"),
        F(Some("ex:shapes/geometry@0.1.0"), "[constructor]counter"),
        F(Some("ex:shapes/geometry@0.1.0"), "[method]counter.get"),
        F(Some("ex:shapes/geometry@0.1.0"), "[static]counter.merge"),
        F(Some("ex:other/alpha@0.1.0"), "dup"),
        F(Some("ex:other/beta@0.1.0"), "dup"),
    ];

    fn find(name: &str) -> Result<usize, Resolution> {
        resolve(FUNCS, name)
    }

    #[test]
    fn every_spelling_of_a_plain_function() {
        for name in [
            "perimeter",
            "geometry.perimeter",
            "ex:shapes/geometry.perimeter",
            "ex:shapes/geometry.perimeter@0.1.0",
            "ex:shapes/geometry@0.1.0#perimeter",
            "ex:shapes/geometry#perimeter",
        ] {
            assert_eq!(find(name), Ok(1), "{name}");
        }
        assert_eq!(find("area"), Ok(0));
        assert_eq!(find("dup"), Err(Resolution::Ambiguous(vec![5, 6])));
        assert_eq!(find("beta.dup"), Ok(6));
        assert_eq!(find("nope"), Err(Resolution::Unknown));
        assert_eq!(
            find("ex:shapes/geometry.perimeter@9.9.9"),
            Err(Resolution::Unknown)
        );
    }

    #[test]
    fn every_spelling_of_a_resource_function() {
        for name in [
            "counter.new",
            "geometry.counter.new",
            "[constructor]counter",
            "geometry.[constructor]counter",
            "ex:shapes/geometry.counter.new@0.1.0",
            "ex:shapes/geometry.[constructor]counter@0.1.0",
            "ex:shapes/geometry@0.1.0#[constructor]counter",
            "ex:shapes/geometry@0.1.0#counter.new",
        ] {
            assert_eq!(find(name), Ok(2), "{name}");
        }
        assert_eq!(find("counter.merge"), Ok(4));
        assert_eq!(find("[static]counter.merge"), Ok(4));
        assert_eq!(find("geometry.counter.merge"), Ok(4));
        assert_eq!(find("[method]counter.get"), Ok(3));
        // A method is reached through a handle, not as `RES.m`.
        assert_eq!(find("counter.get"), Err(Resolution::Unknown));
    }

    #[test]
    fn short_names() {
        assert_eq!(FUNCS[0].short_name(), "area");
        assert_eq!(FUNCS[1].short_name(), "geometry.perimeter");
        assert_eq!(FUNCS[2].short_name(), "geometry.counter.new");
        assert_eq!(FUNCS[4].short_name(), "geometry.counter.merge");
        assert_eq!(
            FUNCS[2].full_name(),
            "ex:shapes/geometry.[constructor]counter@0.1.0"
        );
    }
}
