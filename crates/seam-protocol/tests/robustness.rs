//! The decoder never panics, whatever arrives: thousands of mutations of
//! every documented client frame (bit flips, truncations, splices, deep
//! nesting, huge numbers) each decode or get a typed error. Deterministic
//! (a fixed seed), so a failure reproduces; `fuzz/` runs the same target
//! under libFuzzer for open-ended search.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use seam_protocol::{ClientFrame, ErrorCode, MAX_COMMAND_ID_BYTES};

/// xorshift64*: small, fast and reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Every `json client` example of docs/protocol.md.
fn seeds() -> Vec<String> {
    let doc = include_str!("../../../docs/protocol.md");
    doc.split("```json client\n")
        .skip(1)
        .filter_map(|rest| rest.split("\n```").next())
        .map(str::to_owned)
        .collect()
}

fn mutate(rng: &mut Rng, seed: &str, pool: &[String]) -> Vec<u8> {
    let mut bytes = seed.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(7) {
            0 if !bytes.is_empty() => {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
            1 => bytes.truncate(at),
            2 => {
                let other = pool[rng.below(pool.len())].as_bytes();
                let from = rng.below(other.len());
                bytes.splice(at..at, other[from..].iter().copied());
            }
            3 => {
                let junk = [
                    "{",
                    "}",
                    "[",
                    "]",
                    "\"",
                    ",",
                    ":",
                    "\\u0000",
                    "null",
                    "1e999",
                    "-0",
                    "\u{1F600}",
                ];
                let j = junk[rng.below(junk.len())].as_bytes();
                bytes.splice(at..at, j.iter().copied());
            }
            4 => bytes
                .splice(at..at, std::iter::repeat_n(b'[', 200 + rng.below(200)))
                .for_each(drop),
            5 => bytes
                .splice(at..at, b"99999999999999999999999999".iter().copied())
                .for_each(drop),
            _ => bytes.push(rng.next() as u8),
        }
    }
    bytes
}

#[test]
fn mutated_frames_decode_or_get_a_typed_error_and_never_panic() {
    let pool = seeds();
    assert!(pool.len() > 20, "the doc's examples are the seeds");
    let mut rng = Rng(0x5eed_5eed_5eed_5eed);
    let (mut decoded, mut refused) = (0, 0);
    for i in 0..20_000 {
        let seed = &pool[i % pool.len()];
        let bytes = mutate(&mut rng, seed, &pool);
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue; // the transport only hands over UTF-8 text
        };
        // The path `message` frames take agrees with the general one.
        let general = serde_json::from_str::<ClientFrame>(text)
            .ok()
            .filter(|f| f.id().is_none_or(|id| id.len() <= MAX_COMMAND_ID_BYTES));
        assert_eq!(ClientFrame::decode(text).ok(), general, "{text}");
        match ClientFrame::decode(text) {
            Ok(frame) => {
                decoded += 1;
                // What decodes re-encodes and decodes to the same frame.
                let again = serde_json::to_string(&frame).unwrap();
                assert_eq!(ClientFrame::decode(&again).unwrap(), frame);
            }
            Err(e) => {
                refused += 1;
                assert!(
                    matches!(
                        e.code,
                        ErrorCode::BadJson | ErrorCode::UnknownType | ErrorCode::InvalidMessage
                    ),
                    "{e:?}"
                );
                assert!(!e.message.is_empty());
            }
        }
    }
    assert!(decoded > 1_000 && refused > 1_000, "{decoded} / {refused}");
}
