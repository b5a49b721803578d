//! What one plugin's build can reach besides the plugin: features of its
//! dependencies (which cargo unifies across the packages of one run), and
//! other selected plugins it depends on, or that depend on it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use cargo_metadata::Package;
use wasmkit_core::PluginConfig;

use super::AloneReason;

/// A feature that changes dependency features, and the entry that does it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DependencyFeatureUse {
    /// The feature that was enabled (or `default`).
    pub feature: String,
    /// The entry reached from it: `dep:x`, `x/y`, `x?/y`, or an optional dependency's name.
    pub entry: String,
}

/// For each workspace member (by name), the workspace members it depends
/// on, directly or through others (normal and build dependencies; dev
/// dependencies are not built with it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MemberDependencies(BTreeMap<String, BTreeSet<String>>);

impl MemberDependencies {
    /// Reads the path dependencies between `members`, as `cargo metadata`
    /// describes them.
    pub(crate) fn of<'a>(members: impl IntoIterator<Item = &'a Package>) -> MemberDependencies {
        let members: Vec<&Package> = members.into_iter().collect();
        let by_dir: BTreeMap<PathBuf, &str> = members
            .iter()
            .filter_map(|p| {
                let dir = p.manifest_path.parent()?.as_std_path().to_path_buf();
                Some((dir, p.name.as_str()))
            })
            .collect();
        let direct: BTreeMap<&str, Vec<&str>> = members
            .iter()
            .map(|p| {
                let deps = p
                    .dependencies
                    .iter()
                    .filter(|d| d.kind != cargo_metadata::DependencyKind::Development)
                    .filter_map(|d| by_dir.get(d.path.as_ref()?.as_std_path()).copied())
                    .collect();
                (p.name.as_str(), deps)
            })
            .collect();
        let mut all = BTreeMap::new();
        for name in direct.keys() {
            let mut reached: BTreeSet<String> = BTreeSet::new();
            let mut work: Vec<&str> = direct[name].clone();
            while let Some(dep) = work.pop() {
                if reached.insert(dep.to_string()) {
                    work.extend(direct.get(dep).into_iter().flatten());
                }
            }
            all.insert((*name).to_string(), reached);
        }
        MemberDependencies(all)
    }

    /// Whether `a` depends on `b`.
    pub(crate) fn depends(&self, a: &str, b: &str) -> bool {
        self.0.get(a).is_some_and(|deps| deps.contains(b))
    }
}

/// Why `plugin` may not share a run with `other`: one depends on the other.
pub(super) fn relation(
    plugin: &PluginConfig,
    other: &PluginConfig,
    deps: &MemberDependencies,
) -> Option<AloneReason> {
    let (this, that) = (plugin.name(), other.name());
    if deps.depends(this, that) {
        Some(AloneReason::Related {
            other: that.to_string(),
            depends_on_other: true,
        })
    } else if deps.depends(that, this) {
        Some(AloneReason::Related {
            other: that.to_string(),
            depends_on_other: false,
        })
    } else {
        None
    }
}

/// Whether enabling `requested` (with `default` unless `no_default`, or
/// every feature with `all`) would enable features of a dependency, and
/// through which entry. Follows feature-to-feature references transitively.
pub(crate) fn dependency_feature_use(
    package: &Package,
    requested: &[String],
    no_default: bool,
    all: bool,
) -> Option<DependencyFeatureUse> {
    let optional: BTreeSet<&str> = package
        .dependencies
        .iter()
        .filter(|d| d.optional)
        .map(|d| d.rename.as_deref().unwrap_or(&d.name))
        .collect();
    feature_closure_hit(&package.features, &optional, requested, no_default, all)
}

fn feature_closure_hit(
    features: &BTreeMap<String, Vec<String>>,
    optional: &BTreeSet<&str>,
    requested: &[String],
    no_default: bool,
    all: bool,
) -> Option<DependencyFeatureUse> {
    let mut roots: Vec<String> = if all {
        features.keys().cloned().collect()
    } else {
        requested.to_vec()
    };
    if !no_default && !all && features.contains_key("default") {
        roots.push("default".to_string());
    }
    let enables_dependency = |entry: &str| {
        entry.starts_with("dep:")
            || entry.contains('/')
            || (optional.contains(entry) && !features.contains_key(entry))
    };
    for root in roots {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut work = vec![root.clone()];
        while let Some(name) = work.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            let Some(entries) = features.get(&name) else {
                // A name that is no feature of the package: an optional
                // dependency's implicit feature, or `dep/feat` from FEATURES.
                if enables_dependency(&name) {
                    return Some(DependencyFeatureUse {
                        feature: root,
                        entry: name,
                    });
                }
                continue;
            };
            for entry in entries {
                if enables_dependency(entry) {
                    return Some(DependencyFeatureUse {
                        feature: root,
                        entry: entry.clone(),
                    });
                }
                if features.contains_key(entry) {
                    work.push(entry.clone());
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(ToString::to_string).collect()))
            .collect()
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn own_features_stay_batchable() {
        let f = features(&[("extra", &[]), ("more", &["extra"])]);
        let optional = BTreeSet::new();
        assert_eq!(
            feature_closure_hit(&f, &optional, &names(&["more"]), false, false),
            None
        );
    }

    #[test]
    fn dependency_features_are_found_transitively() {
        let f = features(&[
            ("a", &["b"]),
            ("b", &["serde?/derive"]),
            ("c", &["dep:log"]),
            ("d", &["log"]),
            ("default", &["c"]),
        ]);
        let optional: BTreeSet<&str> = ["log"].into_iter().collect();
        let hit = feature_closure_hit(&f, &optional, &names(&["a"]), true, false);
        assert_eq!(
            hit,
            Some(DependencyFeatureUse {
                feature: "a".into(),
                entry: "serde?/derive".into()
            })
        );
        // `default` counts unless default features are off.
        let hit = feature_closure_hit(&f, &optional, &[], false, false);
        assert_eq!(hit.map(|h| h.entry), Some("dep:log".to_string()));
        assert_eq!(feature_closure_hit(&f, &optional, &[], true, false), None);
        // An optional dependency's name as a feature entry.
        let hit = feature_closure_hit(&f, &optional, &names(&["d"]), true, false);
        assert_eq!(hit.map(|h| h.entry), Some("log".to_string()));
        // `--all-features` enables everything.
        assert!(feature_closure_hit(&f, &optional, &[], true, true).is_some());
        // `dep/feat` given directly.
        let hit = feature_closure_hit(&f, &optional, &names(&["serde/std"]), true, false);
        assert_eq!(hit.map(|h| h.entry), Some("serde/std".to_string()));
    }
}
