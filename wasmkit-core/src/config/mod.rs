//! Resolving a plugin's settings from its layers, each value remembering
//! where it came from.
//!
//! Precedence, highest first: command-line flags, `.buildrc`,
//! `[package.metadata.wasmkit]`, `[workspace.metadata.wasmkit]`, built-in
//! defaults. The highest layer that sets a key decides its value; `--tags`
//! and `--features` add to the plugin's own tags and features.
//!
//! [`origin`] says where a value came from, [`values`] holds the typed
//! values of the enumerated keys, [`plugin`] the resolved settings of one
//! plugin and [`show`] how `config` and `--explain` print them; [`layers`]
//! reads one key from the layers, [`resolve`] applies precedence and checks
//! the result, and [`lists`] splits list-valued keys.

mod layers;
mod lists;
mod origin;
mod plugin;
mod resolve;
mod show;
mod values;

pub use layers::{CliOverrides, Layers};
pub use lists::{is_cfg_name, split_wave_list, split_words};
pub use origin::{Location, Origin, Resolved};
pub use plugin::{PluginConfig, profile_dir_name};
pub use resolve::resolve;
pub use show::settings_table;
pub use values::{ComponentMode, Feature, HostKind, Tag, TagUse};
