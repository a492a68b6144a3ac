//! The radix trie every lookup walks: item keys, topic names and cache-name prefixes.
//!
//! All tries of a credential live in one arena. A node's children are contiguous and sorted by the
//! first byte of their labels (kept apart in `first_bytes`, so the search touches one dense array).
//! Each node carries two payloads, fixed at compile time with every shorter prefix already merged
//! in:
//!
//! * `here`: the payload for a key that ends exactly at this node;
//! * `below`: the payload for a longer key that leaves the trie below this node.
//!
//! A walk is a loop, never recursion, and reads each key byte at most once.

/// Marks "no node" and "no payload".
pub(crate) const NONE: u32 = u32::MAX;

/// Above this many children, a node's children are binary-searched instead of scanned.
const LINEAR_SEARCH_MAX: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Node {
    pub(crate) label_start: u32,
    pub(crate) label_len: u32,
    pub(crate) children_start: u32,
    pub(crate) children_len: u32,
    pub(crate) here: u32,
    pub(crate) below: u32,
}

/// Nodes, their first bytes and their labels.
#[derive(Clone, Debug, Default)]
pub(crate) struct Arena {
    pub(crate) nodes: Vec<Node>,
    pub(crate) first_bytes: Vec<u8>,
    pub(crate) labels: Vec<u8>,
}

impl Arena {
    /// The payload for `key` in the trie rooted at `root`, or [`NONE`] when there is no trie.
    #[inline]
    pub(crate) fn walk(&self, root: u32, key: &[u8]) -> u32 {
        let Some(mut node) = self.nodes.get(root as usize) else {
            return NONE;
        };
        let mut rest = key;
        loop {
            let Some((&first, _)) = rest.split_first() else {
                return node.here;
            };
            let Some(child) = self.child(node, first) else {
                return node.below;
            };
            let start = child.label_start as usize;
            let label = self
                .labels
                .get(start..start + child.label_len as usize)
                .unwrap_or_default();
            match rest.strip_prefix(label) {
                Some(after) => {
                    rest = after;
                    node = child;
                }
                None => return node.below,
            }
        }
    }

    #[inline]
    fn child(&self, node: &Node, byte: u8) -> Option<&Node> {
        let start = node.children_start as usize;
        let len = node.children_len as usize;
        let firsts = self.first_bytes.get(start..start + len)?;
        let offset = if len <= LINEAR_SEARCH_MAX {
            firsts.iter().position(|&b| b == byte)?
        } else {
            firsts.binary_search(&byte).ok()?
        };
        self.nodes.get(start + offset)
    }

    pub(crate) fn memory_usage(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.first_bytes.capacity()
            + self.labels.capacity()
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.nodes.shrink_to_fit();
        self.first_bytes.shrink_to_fit();
        self.labels.shrink_to_fit();
    }
}
