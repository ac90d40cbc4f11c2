//! Any token: verified or refused, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use seam_broker::{AuthConfig, Authenticator};

fn authenticator() -> &'static Authenticator {
    static AUTH: OnceLock<Authenticator> = OnceLock::new();
    AUTH.get_or_init(|| {
        let config = AuthConfig {
            hs256_secret: Some("fuzz-secret-0123456789abcdef".into()),
            issuer: Some("https://shop.example".into()),
            audience: Some("seam".into()),
            ..AuthConfig::default()
        };
        Authenticator::from_config(&config, None).expect("a valid configuration")
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = std::str::from_utf8(data) {
        let _ = authenticator().verify(token);
    }
});
