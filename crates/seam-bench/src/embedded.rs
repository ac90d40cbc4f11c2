//! The configuration of a broker a scenario starts in its own process.

use anyhow::Result;
use seam_broker::Config;

/// A broker on a free loopback port, verifying tokens signed with
/// `secret`, with rate limits lifted so the scenario measures the broker,
/// not its rate limiter.
pub(crate) fn config(secret: &str) -> Result<Config> {
    let mut config = Config {
        listen: "127.0.0.1:0".parse()?,
        ..Config::default()
    };
    config.auth.hs256_secret = Some(secret.into());
    config.limits.commands_per_second = 1_000_000;
    config.limits.command_burst = 1_000_000;
    Ok(config)
}
