//! Input limits: how much a document may hold before parsing or compiling refuses it, and the
//! budget every byte the compiler allocates is charged to.

/// Bounds on what a document may hold and what compiling it may cost. Every front end and the
/// compiler check them and name the exceeded limit in the error, so that hostile or runaway input
/// costs bounded time and memory.
///
/// ```
/// let limits = fgac::Limits { max_grants_per_key: 200_000, ..fgac::Limits::default() };
/// assert_eq!(limits.max_grants_per_token, 20);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest document, in bytes. Default 64 MiB.
    pub max_document_bytes: usize,
    /// The most credentials in one document. Default 100,000.
    pub max_credentials: usize,
    /// The most grants of one API key. Default 100,000.
    pub max_grants_per_key: usize,
    /// The most grants of one disposable token. Default 20 (Momento's limit of policy statements
    /// per token).
    pub max_grants_per_token: usize,
    /// The longest name, key, prefix or token id, in bytes. Default 4,096.
    pub max_name_bytes: usize,
    /// The most bytes compiling a document may allocate, all credentials together: the compiled
    /// structure and the compiler's working memory while it builds it. Every allocation is
    /// charged before it is made. Prefix and all-caches rules are merged into every cache name
    /// they cover, so a compiled document can outgrow its text; this bounds by how much. Default
    /// 512 MiB, eight times the default document limit.
    pub max_compiled_bytes: usize,
    /// The longest a minted disposable token may live, in seconds. Default 90,000: Momento's 25
    /// hours.
    pub max_token_lifetime_seconds: u64,
    /// The most networks one credential's allowlist may name. Default 256.
    pub max_networks_per_credential: usize,
    /// The longest signed credential (API key or token) accepted, in bytes: checked before any
    /// decoding. Default 64 KiB.
    pub max_token_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_document_bytes: 64 << 20,
            max_credentials: 100_000,
            max_grants_per_key: 100_000,
            max_grants_per_token: 20,
            max_name_bytes: 4096,
            max_compiled_bytes: 512 << 20,
            max_token_lifetime_seconds: 25 * 3600,
            max_networks_per_credential: 256,
            max_token_bytes: 64 << 10,
        }
    }
}

impl Limits {
    /// Limits that only bound what the machine can hold: for trusted documents, benchmarks, and
    /// tests that generate large policies.
    #[must_use]
    pub fn unbounded() -> Limits {
        Limits {
            max_document_bytes: usize::MAX,
            max_credentials: usize::MAX,
            max_grants_per_key: usize::MAX,
            max_grants_per_token: usize::MAX,
            max_name_bytes: usize::MAX,
            max_compiled_bytes: usize::MAX,
            max_token_lifetime_seconds: u64::MAX,
            max_networks_per_credential: usize::MAX,
            max_token_bytes: usize::MAX,
        }
    }
}

/// The compiled structure would not fit: over [`Limits::max_compiled_bytes`], or past the `u32`
/// indices it uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TooLarge;

/// What the compiler may still allocate. Each allocation is charged before it is made; working
/// memory is given back when it is freed, so the budget bounds the peak.
#[derive(Debug)]
pub(crate) struct Budget {
    left: usize,
    /// The least that was left since the budget was made or last [settled](Budget::settle).
    lowest: usize,
}

impl Budget {
    pub(crate) fn new(limit: usize) -> Budget {
        Budget {
            left: limit,
            lowest: limit,
        }
    }

    /// What is left of it.
    pub(crate) fn left(&self) -> usize {
        self.left
    }

    /// Keeps charged the peak reached since the last settling, working memory given back
    /// included: a compiled credential is charged its peak, so that what a store is charged is
    /// the sum of its credentials' charges, in whatever order they were compiled (an update
    /// compiles only what it puts, after the rest).
    pub(crate) fn settle(&mut self) {
        self.left = self.lowest;
    }

    /// Takes `bytes` from the budget, or fails (taking nothing) when they are not there.
    pub(crate) fn charge(&mut self, bytes: usize) -> Result<(), TooLarge> {
        self.left = self.left.checked_sub(bytes).ok_or(TooLarge)?;
        self.lowest = self.lowest.min(self.left);
        Ok(())
    }

    /// `count` values of `T`.
    pub(crate) fn charge_for<T>(&mut self, count: usize) -> Result<(), TooLarge> {
        self.charge(
            count
                .checked_mul(std::mem::size_of::<T>())
                .ok_or(TooLarge)?,
        )
    }

    /// Gives back `bytes` that were charged and are now freed.
    pub(crate) fn release(&mut self, bytes: usize) {
        self.left = self.left.saturating_add(bytes);
    }

    /// Gives back `count` values of `T`.
    pub(crate) fn release_for<T>(&mut self, count: usize) {
        self.release(count.saturating_mul(std::mem::size_of::<T>()));
    }
}
