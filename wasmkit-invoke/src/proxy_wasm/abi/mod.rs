//! The proxy-wasm facts that the static checks and the mock host share:
//! the hosts and the ABI markers they know (here), which host functions
//! each host provides ([`functions`]), which callbacks it looks up and with
//! what shape ([`callbacks`]), and the ABI's numbers by name ([`codes`]).
//! Sources: proxy-wasm-cpp-host (`src/wasm.cc`, `src/exports.cc`,
//! `include/proxy-wasm/wasm.h`), Higress's fork of it, and the SDKs'
//! import declarations.

mod callbacks;
mod codes;
mod functions;
mod wasi;

pub(crate) use callbacks::{CALLBACKS, CallbackSpec, callback, is_known_callback};
pub(crate) use codes::{
    buffer_name, data_action_name, errno, headers_action_name, map_name, status,
};
pub(crate) use functions::{
    Avail, HostFn, HostFnSpec, ImportModule, Sig, Ty, WASI_MODULES, host_function, host_functions,
};
pub(crate) use wasi::{WasiFn, allowed_during_allocation, allowed_during_start};

use std::fmt;

use wasmkit_core::HostKind;

/// A proxy-wasm host this module models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Host {
    /// Upstream Envoy (proxy-wasm-cpp-host).
    Envoy,
    /// Higress (its fork of proxy-wasm-cpp-host).
    Higress,
}

impl Host {
    pub(crate) fn from_kind(kind: HostKind) -> Option<Host> {
        match kind {
            HostKind::Envoy => Some(Host::Envoy),
            HostKind::Higress => Some(Host::Higress),
            HostKind::Wasmtime => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Host::Envoy => "envoy",
            Host::Higress => "higress",
        }
    }

    /// Whether the host loads modules with this marker. Upstream knows the
    /// three upstream markers only ("Missing or unknown Proxy-Wasm ABI
    /// version" otherwise); Higress adds 0_2_100.
    pub(crate) fn knows(self, abi: Abi) -> bool {
        match self {
            Host::Envoy => abi != Abi::V0_2_100,
            Host::Higress => true,
        }
    }

    /// Whether `proxy_on_request_headers`/`proxy_on_response_headers`
    /// returning StopIteration is honoured (the body keeps flowing) rather
    /// than turned into stop-all-iteration. Upstream converts for every ABI
    /// (unless `allow_on_headers_stop_iteration`, off by default); Higress
    /// converts unless the module is marked 0_2_100 (its `context.cc` checks
    /// which flavour of the request-headers callback it looked up, for both
    /// directions).
    pub(crate) fn honours_headers_stop_iteration(self, abi: Abi) -> bool {
        self == Host::Higress && abi == Abi::V0_2_100
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A proxy-wasm ABI version, as a module's marker export declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Abi {
    V0_1_0,
    V0_2_0,
    V0_2_1,
    V0_2_100,
}

/// The prefix of every marker export.
pub(crate) const MARKER_PREFIX: &str = "proxy_abi_version_";

impl Abi {
    pub(crate) const ALL: [Abi; 4] = [Abi::V0_1_0, Abi::V0_2_0, Abi::V0_2_1, Abi::V0_2_100];

    pub(crate) fn marker(self) -> &'static str {
        match self {
            Abi::V0_1_0 => "proxy_abi_version_0_1_0",
            Abi::V0_2_0 => "proxy_abi_version_0_2_0",
            Abi::V0_2_1 => "proxy_abi_version_0_2_1",
            Abi::V0_2_100 => "proxy_abi_version_0_2_100",
        }
    }

    pub(crate) fn version(self) -> &'static str {
        match self {
            Abi::V0_1_0 => "0.1.0",
            Abi::V0_2_0 => "0.2.0",
            Abi::V0_2_1 => "0.2.1",
            Abi::V0_2_100 => "0.2.100",
        }
    }

    pub(crate) fn from_marker(name: &str) -> Option<Abi> {
        Abi::ALL.into_iter().find(|abi| abi.marker() == name)
    }

    /// The 0.1.0 ABI: two-parameter header callbacks and
    /// `proxy_continue_request`/`proxy_continue_response`.
    pub(crate) fn is_0_1(self) -> bool {
        self == Abi::V0_1_0
    }
}

/// The version a marker name spells (`proxy_abi_version_0_3_0` is `0.3.0`),
/// for markers no host knows.
pub(crate) fn marker_version(name: &str) -> String {
    name.strip_prefix(MARKER_PREFIX)
        .unwrap_or(name)
        .replace('_', ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip() {
        for abi in Abi::ALL {
            assert_eq!(Abi::from_marker(abi.marker()), Some(abi));
            assert_eq!(marker_version(abi.marker()), abi.version());
        }
        assert_eq!(marker_version("proxy_abi_version_0_3_0"), "0.3.0");
    }

    #[test]
    fn availability_follows_the_hosts() {
        let redis = host_function("env", "proxy_redis_call").unwrap();
        assert!(!redis.avail.provided(Host::Envoy, Abi::V0_2_1));
        assert!(redis.avail.provided(Host::Higress, Abi::V0_2_100));
        assert!(!redis.avail.provided(Host::Higress, Abi::V0_2_0));
        let cont = host_function("env", "proxy_continue_stream").unwrap();
        assert!(!cont.avail.provided(Host::Envoy, Abi::V0_1_0));
        assert!(cont.avail.provided(Host::Envoy, Abi::V0_2_0));
        assert!(host_function("wasi_unstable", "fd_write").is_some());
        // Current cpp-host registers poll_oneoff and sched_yield; not proc_raise.
        assert!(host_function("wasi_snapshot_preview1", "poll_oneoff").is_some());
        assert!(host_function("wasi_unstable", "sched_yield").is_some());
        assert!(host_function("wasi_snapshot_preview1", "proc_raise").is_none());
        assert!(allowed_during_start(
            Host::Envoy,
            HostFn::Wasi(WasiFn::PollOneoff)
        ));
        assert!(!allowed_during_start(
            Host::Envoy,
            HostFn::Wasi(WasiFn::ProcExit)
        ));
        assert!(!allowed_during_start(
            Host::Higress,
            HostFn::EmscriptenNotifyMemoryGrowth
        ));
        assert!(allowed_during_allocation(Host::Higress, HostFn::HttpCall));
        assert!(!allowed_during_allocation(Host::Envoy, HostFn::HttpCall));
        assert_eq!(
            callback("proxy_on_request_headers", Host::Envoy, Abi::V0_1_0)
                .unwrap()
                .params
                .len(),
            2
        );
        assert_eq!(
            callback("proxy_on_request_headers", Host::Higress, Abi::V0_2_100)
                .unwrap()
                .params
                .len(),
            3
        );
        assert!(callback("proxy_on_foreign_function", Host::Envoy, Abi::V0_1_0).is_none());
        assert!(!Host::Envoy.knows(Abi::V0_2_100));
        assert!(Host::Higress.honours_headers_stop_iteration(Abi::V0_2_100));
        assert!(!Host::Higress.honours_headers_stop_iteration(Abi::V0_2_0));
        assert!(!Host::Envoy.honours_headers_stop_iteration(Abi::V0_2_1));
    }
}
