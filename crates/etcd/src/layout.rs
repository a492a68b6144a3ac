//! Where a fleet's state lives under its prefix `P` (the guide's `docs/src/fleet.md`):
//!
//! | key | value | lease |
//! | --- | --- | --- |
//! | `P/store` | the shared trust: public keys, issuer, leeway ([`Trust::shared_text`]) | none |
//! | `P/chunks/SHA256` | a chunk of the document: some of its credentials, in the DSL, named by the SHA-256 of its text | none |
//! | `P/version` | the manifest: the chunks that make the document; its revision is the store's | none |
//! | `P/revocations/id/ID`, `P/revocations/key/KID` | the revocation's line ([`RevocationRecord::line`]) | ends when what it covers has expired, plus the compaction margin |
//! | `P/issued/ID` | a credential a server minted or refreshed ([`Issued::line`]): what a revocation of it covers | ends when it (and what may be refreshed from it) has expired, plus the leeway |
//! | `P/servers/ID` | a running server's status (JSON) | kept alive by the server |
//!
//! [`Trust::shared_text`]: fgac::credentials::Trust::shared_text
//! [`RevocationRecord::line`]: fgac::credentials::RevocationRecord::line
//! [`Issued::line`]: fgac::credentials::Issued::line

use fgac::credentials::Revocation;

/// The keys of one fleet, under one prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    prefix: String,
}

/// What a key of the prefix holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key<'a> {
    /// The shared trust.
    Store,
    /// The publish marker: its revision is the store's.
    Version,
    /// A chunk of the document, by the hex SHA-256 of its text.
    Chunk(&'a str),
    /// A revocation.
    Revocation,
    /// A credential issued by a server of the fleet.
    Issued,
    /// A running server's status.
    Server(&'a str),
    /// Anything else under the prefix (ignored).
    Other,
}

impl Layout {
    /// The layout under `prefix` (a trailing `/` is added when missing).
    #[must_use]
    pub fn new(prefix: &str) -> Layout {
        let mut prefix = prefix.to_owned();
        if !prefix.ends_with('/') {
            prefix.push('/');
        }
        Layout { prefix }
    }

    /// The prefix, ending in `/`.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `P/store`.
    #[must_use]
    pub fn store(&self) -> String {
        format!("{}store", self.prefix)
    }

    /// `P/version`.
    #[must_use]
    pub fn version(&self) -> String {
        format!("{}version", self.prefix)
    }

    /// `P/chunks/SHA256`.
    #[must_use]
    pub fn chunk(&self, sha: &str) -> String {
        format!("{}chunks/{sha}", self.prefix)
    }

    /// `P/revocations/id/ID` or `P/revocations/key/KID`.
    #[must_use]
    pub fn revocation(&self, r: &Revocation) -> String {
        match r {
            Revocation::Credential(id) => format!("{}revocations/id/{id}", self.prefix),
            Revocation::Key(kid) => format!("{}revocations/key/{kid}", self.prefix),
        }
    }

    /// `P/issued/ID`.
    #[must_use]
    pub fn issued(&self, id: &str) -> String {
        format!("{}issued/{id}", self.prefix)
    }

    /// `P/servers/ID`.
    #[must_use]
    pub fn server(&self, id: &str) -> String {
        format!("{}servers/{id}", self.prefix)
    }

    /// `P/servers/`.
    #[must_use]
    pub fn servers(&self) -> String {
        format!("{}servers/", self.prefix)
    }

    /// What `key` holds; [`Key::Other`] for a key outside the layout.
    #[must_use]
    pub fn classify<'a>(&self, key: &'a [u8]) -> Key<'a> {
        let Some(rest) = key.strip_prefix(self.prefix.as_bytes()) else {
            return Key::Other;
        };
        let Ok(rest) = std::str::from_utf8(rest) else {
            return Key::Other;
        };
        match rest {
            "store" => Key::Store,
            "version" => Key::Version,
            _ => {
                if let Some(sha) = rest.strip_prefix("chunks/") {
                    Key::Chunk(sha)
                } else if rest.starts_with("revocations/") {
                    Key::Revocation
                } else if rest.starts_with("issued/") {
                    Key::Issued
                } else if let Some(id) = rest.strip_prefix("servers/") {
                    Key::Server(id)
                } else {
                    Key::Other
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_classifies_as_what_it_holds() {
        let l = Layout::new("/fgac/prod");
        assert_eq!(l.classify(l.store().as_bytes()), Key::Store);
        assert_eq!(l.classify(l.version().as_bytes()), Key::Version);
        assert_eq!(l.classify(l.chunk("ab12").as_bytes()), Key::Chunk("ab12"));
        let r = Revocation::Credential("abc".into());
        assert_eq!(l.classify(l.revocation(&r).as_bytes()), Key::Revocation);
        assert_eq!(l.classify(l.server("s1").as_bytes()), Key::Server("s1"));
        assert_eq!(l.classify(l.issued("abc").as_bytes()), Key::Issued);
        assert_eq!(l.classify(b"/fgac/prodx/store"), Key::Other);
        assert_eq!(l.classify(b"/fgac/prod/elsewhere"), Key::Other);
    }
}
