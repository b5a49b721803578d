//! Everything that runs wasm: the engine, the compile cache, the WASI
//! sandbox and calls with WAVE arguments.
