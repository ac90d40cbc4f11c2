//! Any configuration file: parsed or refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seam_broker::Config;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Config::from_toml(text);
    }
});
