//! TLS termination: `wss://` and `https://` on the broker's one port when
//! `[tls]` names a certificate chain and a private key (PEM files).
//!
//! The certificate is reloaded without a restart: a task checks the files'
//! modification times every `tls.reload_ms` and swaps the certificate new
//! handshakes get; a file that does not load is reported and the previous
//! certificate kept. The handshake itself is held to the header deadline,
//! like a request's headers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::crypto::ring::sign::any_supported_type;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio_rustls::TlsAcceptor;

use crate::shutdown::ShutdownSignal;

/// Why a certificate could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or parsed.
    #[error("cannot load {what} from {path}: {reason}")]
    Load {
        /// Certificate chain or private key.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

fn load(cert: &Path, key: &Path) -> Result<Arc<CertifiedKey>, TlsError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| TlsError::Load {
            what: "the certificate chain",
            path: cert.to_owned(),
            reason: e.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::Load {
            what: "the certificate chain",
            path: cert.to_owned(),
            reason: "no certificate in the file".into(),
        });
    }
    let key_error = |reason: String| TlsError::Load {
        what: "the private key",
        path: key.to_owned(),
        reason,
    };
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| key_error(e.to_string()))?;
    let signing = any_supported_type(&private).map_err(|e| key_error(e.to_string()))?;
    Ok(Arc::new(CertifiedKey::new(chain, signing)))
}

/// The certificate new handshakes get; swapped on reload.
#[derive(Debug)]
struct Current {
    key: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for Current {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(
            &self.key.read().unwrap_or_else(|p| p.into_inner()),
        ))
    }
}

/// Accepts TLS on the broker's sockets.
#[derive(Clone)]
pub(crate) struct Terminator {
    acceptor: TlsAcceptor,
    current: Arc<Current>,
    cert: PathBuf,
    key: PathBuf,
}

impl std::fmt::Debug for Terminator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminator")
            .field("cert", &self.cert)
            .finish_non_exhaustive()
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl Terminator {
    /// Loads the certificate chain and key (PEM) and builds the acceptor.
    pub(crate) fn new(cert: &Path, key: &Path) -> Result<Terminator, TlsError> {
        let current = Arc::new(Current {
            key: RwLock::new(load(cert, key)?),
        });
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Load {
            what: "the TLS configuration",
            path: cert.to_owned(),
            reason: e.to_string(),
        })?
        .with_no_client_auth()
        .with_cert_resolver(Arc::clone(&current) as Arc<dyn ResolvesServerCert>);
        let mut config = config;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Terminator {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            current,
            cert: cert.to_owned(),
            key: key.to_owned(),
        })
    }

    /// The acceptor for new connections.
    pub(crate) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }

    /// Loads the files again; the new certificate serves new handshakes.
    pub(crate) fn reload(&self) -> Result<(), TlsError> {
        let fresh = load(&self.cert, &self.key)?;
        *self.current.key.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }

    /// Reloads whenever the files change, until shutdown.
    pub(crate) fn watch(self, every: Duration, mut shutdown: ShutdownSignal) {
        tokio::spawn(async move {
            let mut seen = (modified(&self.cert), modified(&self.key));
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = shutdown.recv() => return,
                }
                let now = (modified(&self.cert), modified(&self.key));
                if now == seen {
                    continue;
                }
                match self.reload() {
                    Ok(()) => {
                        seen = now;
                        tracing::info!(cert = %self.cert.display(), "TLS certificate reloaded");
                    }
                    // Half-written files: try again on the next change or tick.
                    Err(e) => {
                        tracing::warn!(error = %e, "TLS certificate not reloaded; keeping the previous one")
                    }
                }
            }
        });
    }
}
