//! Attachments as data: what a file is (from its first bytes, never from
//! what the client claims), the preview of an image, and the signed,
//! short-lived links that fetch the bytes without a token.

use std::io::Cursor;

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Every content type seam recognises, and so may accept.
pub(crate) const KNOWN_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
];

/// The longest side of a preview, in pixels.
const THUMBNAIL_PX: u32 = 160;

/// Images larger than this (either side) get no preview: decoding them
/// would cost more than a preview is worth.
const MAX_DECODED_SIDE: u32 = 8_000;

/// The content type `bytes` are, recognised by their signature; `None`
/// for anything else (executables, archives, HTML with a binary part...).
/// UTF-8 text without NUL bytes is `text/plain`.
pub(crate) fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if !bytes.is_empty() && !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok() {
        Some("text/plain")
    } else {
        None
    }
}

/// A preview of an image (at most [`THUMBNAIL_PX`] a side, JPEG) as a
/// `data:` URL; `None` for other types and for images that do not decode.
pub(crate) fn thumbnail(bytes: &[u8], content_type: &str) -> Option<String> {
    if !content_type.starts_with("image/") {
        return None;
    }
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE);
    limits.max_image_height = Some(MAX_DECODED_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let preview = reader
        .decode()
        .ok()?
        .thumbnail(THUMBNAIL_PX, THUMBNAIL_PX)
        .to_rgb8();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 70)
        .encode_image(&preview)
        .ok()?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(jpeg);
    Some(format!("data:image/jpeg;base64,{encoded}"))
}

/// Whether `id` is safe as a file name and a URL segment (session and
/// attachment ids are).
pub(crate) fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Why a download link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkError {
    /// The signature does not match: tampered with, or made by another key.
    BadSignature,
    /// It was valid until a time now past.
    Expired,
}

/// What a signed link names: the file, and how to serve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link<'a> {
    /// The session.
    pub session_id: &'a str,
    /// The attachment.
    pub id: &'a str,
    /// Served as this type.
    pub content_type: &'a str,
    /// Offered under this name.
    pub name: &'a str,
    /// Valid until, Unix milliseconds.
    pub expires_at: u64,
}

/// Signs and checks download links with one key.
#[derive(Clone)]
pub(crate) struct Signer {
    key: [u8; 32],
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

impl Signer {
    /// A signer whose key is derived from `secret` (so every node sharing
    /// the secret accepts every node's links).
    pub(crate) fn from_secret(secret: &str) -> Signer {
        let mut hasher = Sha256::new();
        hasher.update(b"seam attachment links\0");
        hasher.update(secret.as_bytes());
        Signer {
            key: hasher.finalize().into(),
        }
    }

    /// The path and query of a link to `link`'s file.
    pub(crate) fn url(&self, link: &Link<'_>) -> String {
        format!(
            "/v1/attachments/{}/{}?type={}&name={}&expires={}&sig={}",
            link.session_id,
            link.id,
            encode(link.content_type),
            encode(link.name),
            link.expires_at,
            self.signature(link)
        )
    }

    /// Checks a link's signature and expiry at `now` (Unix milliseconds).
    pub(crate) fn check(&self, link: &Link<'_>, sig: &str, now: u64) -> Result<(), LinkError> {
        let expected = self.signature(link);
        // Compared in constant time: the answer must not tell how much of
        // a forged signature was right.
        let same = expected.len() == sig.len()
            && expected
                .bytes()
                .zip(sig.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same {
            return Err(LinkError::BadSignature);
        }
        if now > link.expires_at {
            return Err(LinkError::Expired);
        }
        Ok(())
    }

    fn signature(&self, link: &Link<'_>) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        for part in [link.session_id, link.id, link.content_type, link.name] {
            mac.update(part.as_bytes());
            mac.update(b"\0");
        }
        mac.update(link.expires_at.to_string().as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub(crate) fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A 2x2 PNG.
    pub(crate) fn png() -> Vec<u8> {
        let image = image::RgbImage::from_pixel(2, 2, image::Rgb([200, 30, 30]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(image)
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn types_come_from_the_first_bytes() {
        assert_eq!(sniff(&png()), Some("image/png"));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff("order A-17, merci".as_bytes()), Some("text/plain"));
        assert_eq!(sniff(b"MZ\x90\0\x03\0"), None, "an executable");
        assert_eq!(sniff(b"PK\x03\x04\x14\x00\x00\x00"), None, "a zip");
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"\xff\xfe\x00h"), None, "not UTF-8");
    }

    #[test]
    fn images_get_a_small_jpeg_preview() {
        let preview = thumbnail(&png(), "image/png").unwrap();
        assert!(
            preview.starts_with("data:image/jpeg;base64,/9j/"),
            "{preview}"
        );
        assert_eq!(thumbnail(b"%PDF-1.7", "application/pdf"), None);
        assert_eq!(thumbnail(b"\x89PNG\r\n\x1a\nbroken", "image/png"), None);
    }

    #[test]
    fn links_are_refused_when_tampered_with_or_expired() {
        let signer = Signer::from_secret("s3cret");
        let link = Link {
            session_id: "s_1",
            id: "a1",
            content_type: "image/png",
            name: "my photo.png",
            expires_at: 10_000,
        };
        let url = signer.url(&link);
        assert!(url.starts_with(
            "/v1/attachments/s_1/a1?type=image%2Fpng&name=my%20photo.png&expires=10000&sig="
        ));
        let sig = url.rsplit("sig=").next().unwrap();
        assert_eq!(signer.check(&link, sig, 9_000), Ok(()));
        assert_eq!(signer.check(&link, sig, 10_001), Err(LinkError::Expired));
        let served_as_html = Link {
            content_type: "text/html",
            ..link.clone()
        };
        assert_eq!(
            signer.check(&served_as_html, sig, 9_000),
            Err(LinkError::BadSignature)
        );
        let other_key = Signer::from_secret("other");
        assert_eq!(
            other_key.check(&link, sig, 9_000),
            Err(LinkError::BadSignature)
        );
    }

    #[test]
    fn only_plain_ids_are_safe() {
        assert!(is_safe_id("s_5c0ffee0d15ea5e5"));
        for bad in ["", "../etc", "a/b", "a.b", &"x".repeat(65)] {
            assert!(!is_safe_id(bad), "{bad}");
        }
    }
}
