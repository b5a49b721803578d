//! The numbers of the ABI, by name: host-function status codes, the WASI
//! errnos the host returns, and the header-map, buffer and action enums
//! (proxy-wasm spec; `include/proxy-wasm/wasm_api_impl.h` of
//! proxy-wasm-cpp-host).

/// Status codes of host functions (the spec's `WasmResult`).
pub(crate) mod status {
    pub(crate) const OK: u32 = 0;
    pub(crate) const NOT_FOUND: u32 = 1;
    pub(crate) const BAD_ARGUMENT: u32 = 2;
    pub(crate) const PARSE_FAILURE: u32 = 4;
    pub(crate) const INVALID_MEMORY_ACCESS: u32 = 6;
    pub(crate) const EMPTY: u32 = 7;
    pub(crate) const CAS_MISMATCH: u32 = 8;
    pub(crate) const INTERNAL_FAILURE: u32 = 10;
    pub(crate) const BROKEN_CONNECTION: u32 = 11;
    pub(crate) const UNIMPLEMENTED: u32 = 12;

    pub(crate) fn name(code: u32) -> &'static str {
        match code {
            0 => "Ok",
            1 => "NotFound",
            2 => "BadArgument",
            3 => "SerializationFailure",
            4 => "ParseFailure",
            5 => "BadExpression",
            6 => "InvalidMemoryAccess",
            7 => "Empty",
            8 => "CasMismatch",
            9 => "ResultMismatch",
            10 => "InternalFailure",
            11 => "BrokenConnection",
            12 => "Unimplemented",
            _ => "Unknown",
        }
    }
}

/// WASI errno values the host returns.
pub(crate) mod errno {
    pub(crate) const SUCCESS: u32 = 0;
    pub(crate) const BADF: u32 = 8;
    pub(crate) const FAULT: u32 = 21;
    pub(crate) const INVAL: u32 = 28;
    pub(crate) const NOENT: u32 = 44;
    pub(crate) const NOSYS: u32 = 52;
    pub(crate) const NOTSUP: u32 = 58;

    pub(crate) fn name(code: u32) -> &'static str {
        match code {
            SUCCESS => "success",
            BADF => "badf",
            FAULT => "fault",
            INVAL => "inval",
            NOENT => "noent",
            NOSYS => "nosys",
            20 => "exist",
            NOTSUP => "notsup",
            _ => "errno",
        }
    }
}

/// Header map types (`proxy_*_header_map_*`).
pub(crate) fn map_name(map: u32) -> &'static str {
    match map {
        0 => "request-headers",
        1 => "request-trailers",
        2 => "response-headers",
        3 => "response-trailers",
        4 => "grpc-receive-initial-metadata",
        5 => "grpc-receive-trailing-metadata",
        6 => "http-call-response-headers",
        7 => "http-call-response-trailers",
        _ => "unknown",
    }
}

/// Buffer types (`proxy_*_buffer_*`).
pub(crate) fn buffer_name(buffer: u32) -> &'static str {
    match buffer {
        0 => "http-request-body",
        1 => "http-response-body",
        2 => "downstream-data",
        3 => "upstream-data",
        4 => "http-call-response-body",
        5 => "grpc-receive-buffer",
        6 => "vm-configuration",
        7 => "plugin-configuration",
        8 => "call-data",
        _ => "unknown",
    }
}

/// What a headers callback's return value means.
pub(crate) fn headers_action_name(value: u32) -> &'static str {
    match value {
        0 => "Continue",
        1 => "StopIteration",
        2 => "ContinueAndEndStream",
        3 => "StopAllIterationAndBuffer",
        4 => "StopAllIterationAndWatermark",
        _ => "an unknown value",
    }
}

/// What a body callback's return value means.
pub(crate) fn data_action_name(value: u32) -> &'static str {
    match value {
        0 => "Continue",
        1 => "StopIterationAndBuffer",
        2 => "StopIterationAndWatermark",
        3 => "StopIterationNoBuffer",
        _ => "an unknown value",
    }
}
