//! Stable smoke run of the fuzz targets (`necid_reliability::fuzz`, the same bodies the
//! cargo-fuzz targets in `fuzz/` call): each target gets its seed corpus and a fixed number
//! of deterministic random mutations of it (byte flips, inserts, deletions, truncations,
//! splices). No coverage guidance — that is `make fuzz` (libFuzzer, nightly) — but it runs
//! in the test command on stable and catches panics, including ones inside the emulator's
//! tasks (a panic hook records every panic; the test fails if any happened).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use necid_reliability::fuzz::TARGETS;

static PANICS: AtomicUsize = AtomicUsize::new(0);

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut d = seeds[rng.below(seeds.len())].clone();
    for _ in 0..=rng.below(4) {
        let len = d.len();
        match rng.below(6) {
            0 if len > 0 => {
                let i = rng.below(len);
                d[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len + 1);
                d.insert(i, rng.next() as u8);
            }
            2 if len > 0 => {
                d.remove(rng.below(len));
            }
            3 => d.truncate(rng.below(len + 1)),
            4 => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len() + 1);
                let at = rng.below(len + 1);
                let piece: Vec<u8> = other[from..].iter().take(64).copied().collect();
                d.splice(at..at, piece);
            }
            _ if len > 0 => {
                // An "interesting" byte: quotes, brackets, digits, NUL, 0xff.
                const SPECIAL: &[u8] = b"\"{}[]:,0-9\\ \0\xff%=&;\r\n";
                let i = rng.below(len);
                d[i] = SPECIAL[rng.below(SPECIAL.len())];
            }
            _ => d.push(b'0'),
        }
    }
    d
}

/// Seeds: the committed corpus in fuzz/corpus/<target>/ (what `make fuzz` starts from).
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

#[test]
fn fuzz_targets_survive_mutated_seeds() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));
    // Iterations per target: cheap parsers get many, slow ones (a connection or an image
    // decode per input) fewer. NECID_FUZZ_SMOKE_SCALE multiplies them (default 1).
    let scale: usize = std::env::var("NECID_FUZZ_SMOKE_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    for (name, target) in TARGETS {
        let iterations = scale
            * match *name {
                "image_decode" => 600,
                "emulator_request" => 1500,
                _ => 20_000,
            };
        let seeds = seeds(name);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ name.len() as u64);
        for s in &seeds {
            target(s);
        }
        for _ in 0..iterations {
            let input = mutate(&mut rng, &seeds);
            target(&input);
        }
        assert_eq!(
            PANICS.load(Ordering::SeqCst),
            0,
            "target {name} panicked (see above)"
        );
        eprintln!(
            "fuzz smoke: {name}: {} seeds + {iterations} mutations, no panic",
            seeds.len()
        );
    }
}
