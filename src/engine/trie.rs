//! The radix trie every lookup walks: item keys, topic names and cache-name prefixes.
//!
//! All tries of a credential live in one arena. A node's children are contiguous and sorted by the
//! first byte of their labels, which each node keeps beside its other fields, so finding a child
//! reads the children and nothing else.
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
    /// At most 256: children differ in their first byte.
    pub(crate) children_len: u16,
    /// The first byte of the label (0 for a root).
    pub(crate) first: u8,
    pub(crate) here: u32,
    pub(crate) below: u32,
}

/// Whether `a` and `b` hold the same bytes. Labels and names are mostly short: up to 16 bytes,
/// they are compared as two overlapping words (the first and the last of the width that fits)
/// inline, which beats a call into `memcmp`.
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        1 => a.first() == b.first(),
        2..=3 => word::<2>(a, 0) == word::<2>(b, 0) && word::<2>(a, n - 2) == word::<2>(b, n - 2),
        4..=7 => word::<4>(a, 0) == word::<4>(b, 0) && word::<4>(a, n - 4) == word::<4>(b, n - 4),
        8..=16 => word::<8>(a, 0) == word::<8>(b, 0) && word::<8>(a, n - 8) == word::<8>(b, n - 8),
        _ => a == b,
    }
}

/// The `W` bytes of `s` at `at` (in range by the caller's length match).
#[inline(always)]
fn word<const W: usize>(s: &[u8], at: usize) -> Option<[u8; W]> {
    s.get(at..at + W).and_then(|w| w.try_into().ok())
}

/// Nodes and their labels.
#[derive(Clone, Debug, Default)]
pub(crate) struct Arena {
    pub(crate) nodes: Vec<Node>,
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
            match rest.split_at_checked(label.len()) {
                Some((head, after)) if same_bytes(head, label) => {
                    rest = after;
                    node = child;
                }
                _ => return node.below,
            }
        }
    }

    #[inline]
    fn child(&self, node: &Node, byte: u8) -> Option<&Node> {
        let start = node.children_start as usize;
        let children = self.nodes.get(start..start + node.children_len as usize)?;
        if children.len() <= LINEAR_SEARCH_MAX {
            children.iter().find(|c| c.first == byte)
        } else {
            let i = children.binary_search_by_key(&byte, |c| c.first).ok()?;
            children.get(i)
        }
    }

    pub(crate) fn memory_usage(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>() + self.labels.capacity()
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.nodes.shrink_to_fit();
        self.labels.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn same_bytes_is_slice_equality(
            a in proptest::collection::vec(0u8..3, 0..40),
            b in proptest::collection::vec(0u8..3, 0..40),
            flip in any::<usize>(),
        ) {
            prop_assert_eq!(same_bytes(&a, &b), a == b);
            // Equal lengths, one byte apart: the case the overlapping words must not miss.
            let mut c = a.clone();
            if !c.is_empty() {
                let i = flip % c.len();
                c[i] ^= 1;
            }
            prop_assert_eq!(same_bytes(&a, &c), a == c);
            prop_assert!(same_bytes(&a, &a.clone()));
        }
    }
}
