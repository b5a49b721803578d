//! WAVE calls on the `echo` test component, from arbitrary UTF-8 text.
//! See `wasmkit_fuzz::wave_call`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wasmkit_fuzz::wave_call::check(data);
});
