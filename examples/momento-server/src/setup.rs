//! Setting a server up: a trust file for a document, and the first API keys.

use fgac::credentials::{Keyring, Ledger, MintOptions, RevocationLog, SigningKey, sign_reference};
use fgac::model::Expiry;
use fgac::{Timestamp, escape_for_terminal as shown};
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Makes `state` hold a trust file for `policy` unless it already does: a new Ed25519 signing
/// key (`signing.jwk`, mode 0600), a new revocation log (`revocations.log`) and issuance ledger
/// (`issued.log`), and `trust.json` naming them and the document. Returns the trust file (a
/// state directory made before `trust.json` had its name keeps its `store.json`).
pub fn state_for(policy: &Path, state: &Path) -> Result<PathBuf, String> {
    if let Some(existing) = ["trust.json", "store.json"]
        .map(|name| state.join(name))
        .into_iter()
        .find(|p| p.exists())
    {
        return Ok(existing);
    }
    let trust = state.join("trust.json");
    std::fs::create_dir_all(state)
        .map_err(|e| format!("cannot create `{}`: {e}", state.display()))?;
    let policy = std::fs::canonicalize(policy)
        .map_err(|e| format!("cannot read the policy `{}`: {e}", policy.display()))?;
    let key = SigningKey::generate(None).map_err(|e| e.to_string())?;
    key.write_files(&state.join("signing.jwk"))
        .map_err(|e| format!("cannot write the signing key: {e}"))?;
    RevocationLog::create(&state.join("revocations.log")).map_err(|e| e.to_string())?;
    Ledger::create(&state.join("issued.log")).map_err(|e| e.to_string())?;
    let text = format!(
        "{{\n  \"keys\": [{}],\n  \"signing_keys\": [\"signing.jwk\"],\n  \"document\": {},\n  \"revocations\": \"revocations.log\",\n  \"issued\": \"issued.log\"\n}}\n",
        key.public_key().to_jwk(),
        serde_json::Value::from(policy.display().to_string()),
    );
    std::fs::write(&trust, text).map_err(|e| format!("cannot write `{}`: {e}", trust.display()))?;
    Ok(trust)
}

/// Signs an API key for the document credential `name` (it carries no permissions of its own:
/// the document's decide, and change with it) and writes it to `path`, a new file of mode
/// 0600. The key is never printed.
pub fn issue(ring: &Keyring, name: &str, path: &Path) -> Result<(), String> {
    let trust = ring.trust();
    let doc = trust
        .document()
        .ok_or("the trust file names no document to issue keys for")?;
    if doc.credential(name).is_none() {
        return Err(format!("the document has no credential `{}`", shown(name)));
    }
    let signer = trust
        .signer()
        .ok_or("the trust file has no signing key in force")?;
    let options = MintOptions {
        issuer: trust.issuer().map(str::to_owned),
        ..MintOptions::default()
    };
    let key = sign_reference(
        name,
        Expiry::Never,
        signer,
        &options,
        Timestamp::now(),
        trust.limits(),
    )
    .map_err(|e| e.to_string())?;
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot create `{}`: {e}", path.display()))?;
    file.write_all(key.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}
