//! Input limits: how much a document may hold before parsing or compiling refuses it.

/// Bounds on what a document may hold. Every front end and the compiler check them and name the
/// exceeded limit in the error, so that hostile or runaway input costs bounded time and memory.
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
    /// The most nodes in the compiled structure, all credentials together (each costs 24 bytes).
    /// Prefix rules are pre-merged into every name they cover, so this bounds that growth.
    /// Default 16,000,000.
    pub max_compiled_nodes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_document_bytes: 64 << 20,
            max_credentials: 100_000,
            max_grants_per_key: 100_000,
            max_grants_per_token: 20,
            max_name_bytes: 4096,
            max_compiled_nodes: 16_000_000,
        }
    }
}

impl Limits {
    /// Limits that only bound what the machine can hold: for trusted documents, benchmarks, and
    /// tests that generate large policies.
    pub fn unbounded() -> Limits {
        Limits {
            max_document_bytes: usize::MAX,
            max_credentials: usize::MAX,
            max_grants_per_key: usize::MAX,
            max_grants_per_token: usize::MAX,
            max_name_bytes: usize::MAX,
            // Node indices are u32.
            max_compiled_nodes: u32::MAX as usize - 1,
        }
    }
}
