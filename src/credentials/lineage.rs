//! Lineage: where a signed credential comes from, so that revoking one revokes everything minted
//! or refreshed from it.
//!
//! A credential minted by a key ring ([`Keyring::mint`](super::Keyring::mint)) carries its
//! ancestors' ids in its `lineage` claim, root first: a token minted from key `K` has lineage
//! `[..K's lineage, K]`. A refreshed API key is not a child but the next *generation* of the same
//! key: its id is the line's id (the first key's `jti`) followed by `~` and the generation,
//! `L~1`, `L~2`, ..., and it keeps its predecessor's lineage. So every credential has a place in
//! a line, a [`Position`] `(line, generation)` read from its id alone, and a revocation of an id
//! covers:
//!
//! * every credential of the same line from that generation on (revoking `L` revokes `L~1`,
//!   `L~2`, ...; revoking `L~2` revokes `L~3` but not `L`, which it was refreshed from), and
//! * every credential one of whose ancestors is so covered (what was minted from them).
//!
//! A revocation is decided by ids alone, whoever verifies: no record of what was minted is needed.
//! Lineage is bounded ([`MAX_LINEAGE`] ancestors) and so is every id, so a credential's lineage
//! costs a bounded number of comparisons, at first sight and at revocation, never per decision.

/// The most ancestors a credential may have: minting from a credential whose lineage is this
/// long is refused, and a credential claiming a longer one does not verify.
pub const MAX_LINEAGE: usize = 16;

/// Where a credential id sits in its line: the line (the first key's id) and the generation
/// (0 for the first key, `n` for the `n`-th refresh).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Position<'a> {
    pub(crate) line: &'a str,
    pub(crate) generation: u64,
}

impl<'a> Position<'a> {
    /// The position of `id`: `LINE~N` (N a decimal without a leading zero, at least 1) is
    /// generation N of LINE; any other id is generation 0 of a line of its own. Total: every id
    /// has exactly one position.
    pub(crate) fn of(id: &'a str) -> Position<'a> {
        if let Some((line, n)) = id.rsplit_once('~')
            && !line.is_empty()
            && !n.is_empty()
            && !n.starts_with('0')
            && n.bytes().all(|b| b.is_ascii_digit())
            && let Ok(generation) = n.parse::<u64>()
        {
            return Position { line, generation };
        }
        Position {
            line: id,
            generation: 0,
        }
    }

    /// Whether a revocation at `self` covers a credential at `other`: the same line, from this
    /// generation on.
    pub(crate) fn covers(self, other: Position<'_>) -> bool {
        self.line == other.line && other.generation >= self.generation
    }
}

/// The id of the next generation of `id` (its refreshed successor), or `None` when the
/// generation would overflow or the id would be longer than ids may be.
pub(crate) fn next_generation(id: &str) -> Option<String> {
    let p = Position::of(id);
    let next = format!("{}~{}", p.line, p.generation.checked_add(1)?);
    (next.len() <= super::claims::MAX_ID_BYTES).then_some(next)
}

/// Whether a revocation of `revoked` covers a credential with id `id` and ancestors `lineage`.
pub(crate) fn covered(revoked: &str, id: &str, lineage: &[impl AsRef<str>]) -> bool {
    let r = Position::of(revoked);
    r.covers(Position::of(id)) || lineage.iter().any(|a| r.covers(Position::of(a.as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_read_from_ids() {
        let p = |id| {
            let p = Position::of(id);
            (p.line, p.generation)
        };
        assert_eq!(p("Jq3v9x"), ("Jq3v9x", 0));
        assert_eq!(p("Jq3v9x~1"), ("Jq3v9x", 1));
        assert_eq!(p("Jq3v9x~12"), ("Jq3v9x", 12));
        // Anything that is not exactly `LINE~N`, N >= 1 without a leading zero, is a line of its
        // own: one id, one position.
        for odd in [
            "a~0",
            "a~01",
            "~3",
            "a~",
            "a~x",
            "a~99999999999999999999999",
            "a~1~",
        ] {
            assert_eq!(p(odd), (odd, 0), "{odd}");
        }
        assert_eq!(p("a~1~2"), ("a~1", 2));
        assert_eq!(next_generation("L").as_deref(), Some("L~1"));
        assert_eq!(next_generation("L~9").as_deref(), Some("L~10"));
        assert_eq!(next_generation(&"x".repeat(128)), None);
    }

    #[test]
    fn a_revocation_covers_later_generations_and_what_they_minted() {
        let none: [&str; 0] = [];
        assert!(covered("L", "L", &none));
        assert!(covered("L", "L~3", &none));
        assert!(covered("L~2", "L~3", &none));
        assert!(!covered("L~2", "L~1", &none), "a predecessor stays");
        assert!(!covered("L~2", "L", &none));
        assert!(!covered("L", "M", &none));
        assert!(!covered("L", "LL~1", &none));
        // A token minted from generation 2 of L, then one minted from that token's key.
        assert!(covered("L~1", "t", &["root", "L~2"]));
        assert!(covered("root", "t", &["root", "L~2"]));
        assert!(!covered("L~3", "t", &["root", "L~2"]));
    }
}
