// Generated from the Rust protocol crate by `npm run gen`: do not edit.
export {};
