//! The token path and the config parser never panic on hostile input:
//! thousands of deterministic mutations of a valid token and of the
//! README's configuration. A token changed anywhere is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use seam_broker::{mint_hs256, AuthConfig, Authenticator, Claims, Config};
use seam_protocol::Role;

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

const SECRET: &str = "robustness-secret-0123456789abcdef";

#[test]
fn mutated_tokens_are_refused_without_panicking() {
    let config = AuthConfig {
        hs256_secret: Some(SECRET.into()),
        ..AuthConfig::default()
    };
    let auth = Authenticator::from_config(&config, None).unwrap();
    let token = mint_hs256(SECRET, &Claims::new("alice", Role::Customer, 3600)).unwrap();
    assert!(auth.verify(&token).is_ok());
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
    let mut rng = Rng(0x70_6b_65_6e);
    for _ in 0..20_000 {
        let mut bytes = token.as_bytes().to_vec();
        for _ in 0..=rng.below(3) {
            if bytes.is_empty() {
                break;
            }
            let at = rng.below(bytes.len());
            match rng.below(4) {
                0 => bytes[at] = alphabet[rng.below(alphabet.len())],
                1 => bytes.truncate(at),
                2 => bytes.insert(at, alphabet[rng.below(alphabet.len())]),
                _ => {
                    let dot = bytes.iter().position(|b| *b == b'.').unwrap_or(0);
                    let len = bytes.len();
                    bytes.rotate_left(dot.min(len));
                }
            }
        }
        let mutated = String::from_utf8(bytes).unwrap();
        if mutated == token {
            continue;
        }
        // A changed token may only pass if the change is invisible to
        // base64url decoding (trailing bits); it never panics.
        if auth.verify(&mutated).is_ok() {
            let strip = |t: &str| t.trim_end_matches('=').to_owned();
            assert_eq!(mutated.len(), token.len(), "accepted {mutated:?}");
            assert_ne!(strip(&mutated), token, "accepted {mutated:?}");
        }
    }
}

#[test]
fn mutated_configurations_parse_or_are_refused_without_panicking() {
    let readme = include_str!("../../../README.md");
    let toml = readme
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .unwrap();
    assert!(
        Config::from_toml(toml).is_ok(),
        "the README's configuration parses"
    );
    let lines: Vec<&str> = toml.lines().collect();
    let mut rng = Rng(0xc0_f1_90);
    for _ in 0..5_000 {
        let mut text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        for _ in 0..=rng.below(3) {
            let i = rng.below(text.len());
            match rng.below(5) {
                0 => text[i] = text[i].replace('=', "= ="),
                1 => text[i] = text[i].replace(|c: char| c.is_ascii_digit(), "9"),
                2 => text.swap(i, rng.below(lines.len())),
                3 => text[i] = format!("{}]", text[i]),
                _ => {
                    let cut = rng.below(text[i].len() + 1);
                    let cut = (0..=cut)
                        .rev()
                        .find(|c| text[i].is_char_boundary(*c))
                        .unwrap_or(0);
                    text[i].truncate(cut);
                }
            }
        }
        let _ = Config::from_toml(&text.join("\n"));
    }
}
