//! `.buildrc` parsing, `wasmkit` metadata tables and config resolution on
//! arbitrary bytes. See `wasmkit_fuzz::buildrc`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wasmkit_fuzz::buildrc::check(data);
});
