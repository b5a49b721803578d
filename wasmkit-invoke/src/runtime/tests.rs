//! Unit tests of `runtime`.

use super::*;
use std::path::Path;

fn input() -> WasmInput {
    wat(
        "(module (func (export \"add\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))",
    )
}

fn wat(text: &str) -> WasmInput {
    WasmInput::from_bytes(Path::new("t.wat"), text.as_bytes().to_vec()).unwrap()
}

fn runtime(dir: &Path, fuel: bool, opt_level: OptLevel) -> Runtime {
    Runtime::new(&RuntimeOptions {
        fuel,
        timeouts: true,
        cache_dir: Some(dir.to_path_buf()),
        opt_level,
    })
    .unwrap()
}

fn tier_and_cache(rt: &Runtime, input: &WasmInput) -> (Tier, CacheOutcome) {
    let c = rt.compile_with_info(input).unwrap();
    (c.tier, c.cache)
}

#[test]
fn compiles_once_then_hits() {
    let dir = tempfile::tempdir().unwrap();
    for level in [OptLevel::Baseline, OptLevel::Speed] {
        let rt = runtime(dir.path(), false, level);
        assert_eq!(rt.compile(&input()).unwrap().1, CacheOutcome::Stored);
        assert_eq!(rt.compile(&input()).unwrap().1, CacheOutcome::Hit);
    }
}

#[test]
fn auto_compiles_baseline_first_then_optimised_once_then_loads_it() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path(), false, OptLevel::Auto);
    assert_eq!(
        tier_and_cache(&rt, &input()),
        (Tier::Winch, CacheOutcome::Stored)
    );
    let second = rt.compile_with_info(&input()).unwrap();
    assert_eq!(
        (second.tier, second.cache),
        (Tier::CraneliftSpeed, CacheOutcome::Stored)
    );
    assert_eq!(
        second.why,
        "optimised: the second run of an unchanged artifact"
    );
    assert_eq!(
        tier_and_cache(&rt, &input()),
        (Tier::CraneliftSpeed, CacheOutcome::Hit)
    );
    // Without a cache every run is a first run.
    let uncached = Runtime::new(&RuntimeOptions::default()).unwrap();
    for _ in 0..2 {
        assert_eq!(
            tier_and_cache(&uncached, &input()),
            (Tier::Winch, CacheOutcome::Disabled)
        );
    }
}

#[test]
fn what_winch_cannot_compile_falls_back_to_unoptimised_cranelift() {
    // Tail calls are a proposal Winch does not implement.
    let tail = wat("(module (func $f (export \"f\") (return_call $f)))");
    let rt = Runtime::new(&RuntimeOptions {
        opt_level: OptLevel::Baseline,
        ..RuntimeOptions::default()
    })
    .unwrap();
    let c = rt.compile_with_info(&tail).unwrap();
    assert_eq!(c.tier, Tier::CraneliftNone);
    assert!(
            c.why.starts_with(
                "baseline (--opt-level baseline, the default of verify, build and test); Cranelift without optimisation, as Winch cannot compile it ("
            ),
            "{}",
            c.why
        );
    assert!(c.why.contains("tail call"), "{}", c.why);
    // Its code runs on its own engine.
    assert!(Engine::same(
        c.compiled.engine(),
        rt.engine_for(Tier::CraneliftNone).unwrap()
    ));
}

#[test]
fn invalid_input_is_reported_once_whatever_the_compiler() {
    let bad =
        WasmInput::from_bytes(Path::new("bad.wasm"), b"\0asm\x01\0\0\0\x01".to_vec()).unwrap();
    for level in [OptLevel::Auto, OptLevel::Baseline, OptLevel::Speed] {
        let rt = Runtime::new(&RuntimeOptions {
            opt_level: level,
            ..RuntimeOptions::default()
        })
        .unwrap();
        let d = rt.compile(&bad).unwrap_err();
        assert_eq!(d.message, "`bad.wasm` is not valid WebAssembly");
        assert_eq!(
            d.help,
            ["the file is truncated: was its build interrupted? rebuild it"]
        );
    }
}

#[test]
fn an_entry_written_by_another_engine_is_never_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let plain = runtime(dir.path(), false, OptLevel::Baseline);
    let fueled = runtime(dir.path(), true, OptLevel::Baseline);
    // Another engine's artifact, with a valid checksum, placed under
    // this engine's key: wasmtime's own header check refuses it, and
    // the entry is rebuilt.
    let (Compiled::Module(foreign), _) = fueled.compile(&input()).unwrap() else {
        panic!("a module")
    };
    let engine = plain.engine_for(Tier::Winch).unwrap();
    let cache = plain.cache(engine, Tier::Winch).unwrap();
    let entry = cache.entry_path(&input().bytes, "module");
    cache.store(&entry, &foreign.serialize().unwrap()).unwrap();
    let (compiled, outcome) = plain.compile(&input()).unwrap();
    assert_eq!(outcome, CacheOutcome::ReplacedCorrupt);
    assert!(matches!(compiled, Compiled::Module(_)));
    assert_eq!(plain.compile(&input()).unwrap().1, CacheOutcome::Hit);
    // The two engines, and the two compilers, use different entries.
    let fueled_engine = fueled.engine_for(Tier::Winch).unwrap();
    let speed_engine = plain.engine_for(Tier::CraneliftSpeed).unwrap();
    let others = [
        fueled.cache(fueled_engine, Tier::Winch).unwrap(),
        plain.cache(speed_engine, Tier::CraneliftSpeed).unwrap(),
    ];
    for other in others {
        assert_ne!(entry, other.entry_path(&input().bytes, "module"));
    }
}

#[test]
fn concurrent_fills_leave_a_whole_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                runtime(&path, false, OptLevel::Baseline)
                    .compile(&input())
                    .map(|(_, o)| o)
            })
        })
        .collect();
    for t in threads {
        assert!(t.join().unwrap().is_ok());
    }
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(entries.len(), 1, "no temporary files left: {entries:?}");
    assert_eq!(
        runtime(dir.path(), false, OptLevel::Baseline)
            .compile(&input())
            .unwrap()
            .1,
        CacheOutcome::Hit
    );
}
