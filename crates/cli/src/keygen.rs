//! `fgac keygen [--kid KID] [--out PATH]`: a new Ed25519 signing key pair. The private key goes
//! to PATH (default `KID.jwk`), created with mode 0600 and never over an existing file; the public
//! key beside it (`KID.pub.jwk`), for the trust file's `keys`.

use crate::out::{Status, Stop, say};
use fgac::credentials::SigningKey;
use fgac::escape_for_terminal as shown;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The key id (1 to 128 of `A-Z a-z 0-9 . _ ~ -`); default `ed25519-` and the start of the
    /// public key.
    #[arg(long)]
    kid: Option<String>,
    /// Where to write the private key; default `KID.jwk` in the current directory.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(a: &Args) -> Result<Status, Stop> {
    let key = SigningKey::generate(a.kid.as_deref()).map_err(|e| Stop::Usage(e.to_string()))?;
    let path = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.jwk", key.kid())));
    let public = key
        .write_files(&path)
        .map_err(|e| Stop::Usage(format!("cannot write the key to `{}`: {e}", path.display())))?;
    say!("key id: {}", key.kid())?;
    say!(
        "private key: {} (mode 0600: keep it where credentials are minted)",
        shown(&path.display().to_string())
    )?;
    say!(
        "public key: {} (list it in the trust file's `keys`)",
        shown(&public.display().to_string())
    )?;
    Ok(Status::Ok)
}
