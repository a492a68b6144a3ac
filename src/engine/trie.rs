//! The radix trie every lookup walks (item keys, topic names and cache-name prefixes), and how it
//! is built.
//!
//! All tries of a credential live in one arena. A node's children are contiguous and sorted by the
//! first byte of their labels, which each node keeps beside its other fields, so finding a child
//! reads the children and nothing else. Each node carries two payloads, fixed at compile time with
//! every shorter prefix already merged in:
//!
//! * `here`: the payload for a key that ends exactly at this node;
//! * `below`: the payload for a longer key that leaves the trie below this node.
//!
//! A walk is a loop, never recursion, and reads each key byte at most once.
//!
//! **Building.** A credential's keys are stored once, whole, in the arena's label pool
//! ([`Arena::add_keys`]); every node of every trie over them points into that pool, so a key that
//! many merged tries hold costs its bytes once. A trie's shape needs only the longest common
//! prefix of neighbouring keys, which a sparse table over the sorted keys answers without reading
//! key bytes: laying out a trie ([`Arena::add_trie`]) costs its number of keys, however long they
//! are. Every allocation is charged to the compile [`Budget`] first.

use super::ids::{NodeId, Payload};
use crate::limits::{Budget, TooLarge};
use std::collections::VecDeque;

/// Above this many children, a node's children are binary-searched instead of scanned.
const LINEAR_SEARCH_MAX: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Node {
    label_start: u32,
    label_len: u32,
    children_start: u32,
    /// At most 256: children differ in their first byte.
    children_len: u16,
    /// The first byte of the label (0 for a root).
    first: u8,
    here: Option<Payload>,
    below: Option<Payload>,
}

impl Node {
    /// Node 0 of every arena: no label, no children, no payload; no walk reaches it.
    const PLACEHOLDER: Node = Node {
        label_start: 0,
        label_len: 0,
        children_start: 0,
        children_len: 0,
        first: 0,
        here: None,
        below: None,
    };
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

/// Nodes and the label pool they point into. Node 0 is a placeholder no trie reaches (so that a
/// [`NodeId`] is its index), added with the first trie.
#[derive(Clone, Debug, Default)]
pub(crate) struct Arena {
    nodes: Vec<Node>,
    labels: Vec<u8>,
}

impl Arena {
    /// The payload for `key` in the trie rooted at `root`.
    #[inline]
    pub(crate) fn walk(&self, root: NodeId, key: &[u8]) -> Option<Payload> {
        let mut node = self.nodes.get(root.index())?;
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

    /// Bytes of heap the arena holds.
    pub(crate) fn memory_usage(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>() + self.labels.capacity()
    }

    /// How many nodes the arena holds; the next trie's nodes start here.
    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Frees spare capacity, giving it back to `budget`.
    pub(crate) fn shrink_to_fit(&mut self, budget: &mut Budget) {
        budget.release_for::<Node>(self.nodes.capacity() - self.nodes.len());
        budget.release(self.labels.capacity() - self.labels.len());
        self.nodes.shrink_to_fit();
        self.labels.shrink_to_fit();
    }

    /// Replaces each payload `p` of the nodes in `range` (one trie's) by `f(p)`.
    pub(crate) fn map_payloads(
        &mut self,
        range: std::ops::Range<usize>,
        f: impl Fn(Option<Payload>) -> Option<Payload>,
    ) {
        // The placeholder stays as it is.
        let range = range.start.max(1)..range.end;
        for node in self.nodes.get_mut(range).unwrap_or_default() {
            node.here = f(node.here);
            node.below = f(node.below);
        }
    }

    /// Room for `more` nodes, charged by the capacity actually added.
    fn reserve_nodes(&mut self, more: usize, budget: &mut Budget) -> Result<(), TooLarge> {
        let placeholder = usize::from(self.nodes.is_empty());
        let need = self.nodes.len().checked_add(more).ok_or(TooLarge)? + placeholder;
        // Every node must have an id: the last one's index is `need - 1`.
        if need > u32::MAX as usize {
            return Err(TooLarge);
        }
        let capacity = self.nodes.capacity();
        if need > capacity {
            let grown = need.max(capacity.saturating_mul(2)).min(u32::MAX as usize);
            budget.charge_for::<Node>(grown - capacity)?;
            self.nodes.reserve_exact(grown - self.nodes.len());
        }
        if placeholder == 1 {
            self.nodes.push(Node::PLACEHOLDER);
        }
        Ok(())
    }

    /// Stores `sorted` (sorted and distinct) in the label pool, once, for any number of tries
    /// over subsets of them.
    pub(crate) fn add_keys(
        &mut self,
        sorted: &[&[u8]],
        budget: &mut Budget,
    ) -> Result<Keys, TooLarge> {
        let n = sorted.len();
        let bytes = sorted
            .iter()
            .map(|k| k.len())
            .try_fold(0usize, |a, b| a.checked_add(b));
        let bytes = bytes.ok_or(TooLarge)?;
        // Labels are addressed by `u32` offsets.
        if self.labels.len().saturating_add(bytes) >= u32::MAX as usize {
            return Err(TooLarge);
        }
        budget.charge(bytes)?;
        budget.charge_for::<(u32, u32)>(n)?;
        budget.charge_for::<u32>(Keys::table_entries(n))?;
        self.labels.reserve_exact(bytes);
        let mut spans = Vec::with_capacity(n);
        for key in sorted {
            spans.push((self.labels.len() as u32, key.len() as u32));
            self.labels.extend_from_slice(key);
        }
        let mut levels: Vec<Vec<u32>> = Vec::new();
        if n > 1 {
            let neighbours = sorted.windows(2).map(|w| common_prefix(w[0], w[1]) as u32);
            levels.push(neighbours.collect());
            let mut width = 1;
            while 2 * width < n {
                let previous = &levels[levels.len() - 1];
                let next = (0..previous.len() - width)
                    .map(|i| previous[i].min(previous[i + width]))
                    .collect();
                levels.push(next);
                width *= 2;
            }
        }
        Ok(Keys { spans, levels })
    }

    /// Builds the trie of the keys `ids` (ascending ids of `keys`) and returns its root.
    ///
    /// `payload(budget, carry, terminal)` is called on every node parent first, with the parent's
    /// carry (the root gets `init`) and the index in `ids` of the key ending at the node, if any;
    /// it returns the node's own carry and its `(here, below)` payloads.
    pub(crate) fn add_trie<C>(
        &mut self,
        keys: &Keys,
        ids: &[u32],
        budget: &mut Budget,
        init: C,
        mut payload: impl FnMut(&mut Budget, &C, Option<usize>) -> Result<(C, Payloads), TooLarge>,
    ) -> Result<NodeId, TooLarge> {
        // Working memory, for at most one branch node per key besides the root and the keys.
        let most = 2 * ids.len() + 1;
        let per_node = std::mem::size_of::<ShapeNode>()
            + std::mem::size_of::<Payloads>() * 2
            + std::mem::size_of::<u32>() * 2
            + std::mem::size_of::<(u32, C)>();
        let working = most.checked_mul(per_node).ok_or(TooLarge)?;
        budget.charge(working)?;
        let built = self.lay_out(keys, ids, budget, init, &mut payload);
        budget.release(working);
        built
    }

    fn lay_out<C>(
        &mut self,
        keys: &Keys,
        ids: &[u32],
        budget: &mut Budget,
        init: C,
        payload: &mut impl FnMut(&mut Budget, &C, Option<usize>) -> Result<(C, Payloads), TooLarge>,
    ) -> Result<NodeId, TooLarge> {
        let shape = shape(keys, ids);
        self.reserve_nodes(shape.len(), budget)?;
        let root = NodeId::new(self.nodes.len()).ok_or(TooLarge)?;

        // Breadth-first order, with each node's payloads (parents first, so carries flow down)
        // and the depth its label starts at. A node's children are enqueued together, so they
        // end up side by side.
        let mut order: Vec<u32> = Vec::with_capacity(shape.len());
        let mut payloads: Vec<Payloads> = vec![(None, None); shape.len()];
        let mut label_from = vec![0u32; shape.len()];
        let mut queue = VecDeque::with_capacity(shape.len());
        let (root_carry, root_payloads) = payload(budget, &init, shape[0].terminal)?;
        payloads[0] = root_payloads;
        queue.push_back((0u32, root_carry));
        while let Some((id, carry)) = queue.pop_front() {
            order.push(id);
            let mut child = shape[id as usize].first_child;
            while let Some(c_id) = child {
                let c = &shape[c_id as usize];
                let (child_carry, child_payloads) = payload(budget, &carry, c.terminal)?;
                payloads[c_id as usize] = child_payloads;
                label_from[c_id as usize] = shape[id as usize].depth;
                queue.push_back((c_id, child_carry));
                child = c.next_sibling;
            }
        }

        let base = self.nodes.len();
        let mut position = vec![0u32; shape.len()];
        for (i, &id) in order.iter().enumerate() {
            position[id as usize] = (base + i) as u32;
        }
        for &id in &order {
            let node = &shape[id as usize];
            let (start, _) = keys.spans.get(node.key as usize).copied().unwrap_or((0, 0));
            let label_start = start + label_from[id as usize];
            let label_len = node.depth - label_from[id as usize];
            let mut children_len = 0u16;
            let mut child = node.first_child;
            while let Some(c) = child {
                children_len += 1;
                child = shape[c as usize].next_sibling;
            }
            let (here, below) = payloads[id as usize];
            self.nodes.push(Node {
                label_start,
                label_len,
                children_start: node.first_child.map_or(0, |first| position[first as usize]),
                // Children differ in their first byte: there are at most 256.
                children_len,
                first: if label_len > 0 {
                    self.labels.get(label_start as usize).copied().unwrap_or(0)
                } else {
                    0
                },
                here,
                below,
            });
        }
        Ok(root)
    }
}

/// A node's payloads: for a key that ends at it (`here`), and for a longer key that leaves the
/// trie below it (`below`).
pub(crate) type Payloads = (Option<Payload>, Option<Payload>);

/// A position in a trie, for walking two tries side by side one byte at a time (the analyses'
/// product walk): a key that ends here, or continues with a byte that is not a next byte, gets
/// the payload the lookup gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// Inside the trie: `taken` bytes of `node`'s label read (all of them: at the node's end).
    /// `outer` is the payload of a key that leaves the trie within this node's label: the
    /// parent's `below`.
    At {
        node: NodeId,
        taken: u32,
        outer: Option<Payload>,
    },
    /// Off the trie: the payload of this key and every longer one.
    Off(Option<Payload>),
}

impl Arena {
    /// A cursor at the root of the trie rooted at `root` (off the trie when there is none).
    pub(crate) fn cursor(&self, root: Option<NodeId>) -> Cursor {
        match root.filter(|&r| self.node_at(r).is_some()) {
            Some(node) => Cursor::At {
                node,
                taken: 0,
                outer: None,
            },
            None => Cursor::Off(None),
        }
    }

    fn node_at(&self, node: NodeId) -> Option<&Node> {
        self.nodes.get(node.index())
    }

    /// Whether the cursor stands where payloads can change: at the end of a node.
    pub(crate) fn at_node_end(&self, c: Cursor) -> bool {
        match c {
            Cursor::At { node, taken, .. } => {
                self.node_at(node).is_some_and(|n| taken == n.label_len)
            }
            Cursor::Off(_) => false,
        }
    }

    /// The payload of a key that ends exactly at the cursor.
    pub(crate) fn here(&self, c: Cursor) -> Option<Payload> {
        match c {
            Cursor::At { node, taken, outer } => match self.node_at(node) {
                Some(n) if taken == n.label_len => n.here,
                _ => outer,
            },
            Cursor::Off(payload) => payload,
        }
    }

    /// The payload of a key that continues past the cursor with a byte that is not a next byte.
    pub(crate) fn below(&self, c: Cursor) -> Option<Payload> {
        match c {
            Cursor::At { node, taken, outer } => match self.node_at(node) {
                Some(n) if taken == n.label_len => n.below,
                _ => outer,
            },
            Cursor::Off(payload) => payload,
        }
    }

    /// Appends the bytes that continue the trie from the cursor, ascending.
    pub(crate) fn next_bytes(&self, c: Cursor, out: &mut Vec<u8>) {
        let Cursor::At { node, taken, .. } = c else {
            return;
        };
        let Some(n) = self.node_at(node) else { return };
        if taken < n.label_len {
            if let Some(&b) = self.labels.get((n.label_start + taken) as usize) {
                out.push(b);
            }
            return;
        }
        let start = n.children_start as usize;
        let children = self
            .nodes
            .get(start..start + n.children_len as usize)
            .unwrap_or_default();
        out.extend(children.iter().map(|c| c.first));
    }

    /// The cursor after the byte `b`.
    pub(crate) fn step(&self, c: Cursor, b: u8) -> Cursor {
        let Cursor::At { node, taken, outer } = c else {
            return c;
        };
        let Some(n) = self.node_at(node) else {
            return Cursor::Off(outer);
        };
        if taken < n.label_len {
            return match self.labels.get((n.label_start + taken) as usize) {
                Some(&next) if next == b => Cursor::At {
                    node,
                    taken: taken + 1,
                    outer,
                },
                _ => Cursor::Off(outer),
            };
        }
        let start = n.children_start as usize;
        let children = self
            .nodes
            .get(start..start + n.children_len as usize)
            .unwrap_or_default();
        match children
            .iter()
            .position(|c| c.first == b)
            .and_then(|i| NodeId::new(start + i))
        {
            Some(node) => Cursor::At {
                node,
                taken: 1,
                outer: n.below,
            },
            None => Cursor::Off(n.below),
        }
    }

    /// Appends the string of every node of the trie rooted at `root` (the root's, empty, too).
    pub(crate) fn node_strings(&self, root: NodeId, out: &mut Vec<Vec<u8>>) {
        let mut stack: Vec<(NodeId, Vec<u8>)> = Vec::new();
        if self.node_at(root).is_some() {
            stack.push((root, Vec::new()));
        }
        while let Some((node, path)) = stack.pop() {
            let Some(n) = self.node_at(node) else {
                continue;
            };
            let start = n.children_start as usize;
            for i in 0..n.children_len as usize {
                let Some(child) = NodeId::new(start + i) else {
                    continue;
                };
                if let Some(c) = self.node_at(child) {
                    let label = self
                        .labels
                        .get(c.label_start as usize..(c.label_start + c.label_len) as usize)
                        .unwrap_or_default();
                    let mut longer = path.clone();
                    longer.extend_from_slice(label);
                    stack.push((child, longer));
                }
            }
            out.push(path);
        }
    }
}

/// Sorted, distinct keys stored once in an arena's label pool, with what a trie needs to lay out
/// any subset of them without reading their bytes again.
pub(crate) struct Keys {
    /// Where each key starts in the pool, and its length.
    spans: Vec<(u32, u32)>,
    /// `levels[0][i]`: the common prefix of keys `i` and `i + 1`; `levels[j][i]`: the least of
    /// `levels[j - 1][i]` and `levels[j - 1][i + 2^(j - 1)]`, so any run of neighbours' common
    /// prefixes has its least in two lookups.
    levels: Vec<Vec<u32>>,
}

impl Keys {
    /// The length of key `id`.
    fn len_of(&self, id: u32) -> u32 {
        self.spans.get(id as usize).map_or(0, |&(_, len)| len)
    }

    /// The longest common prefix of keys `a < b`: the least common prefix of the neighbours
    /// between them, since the keys are sorted.
    fn common(&self, a: u32, b: u32) -> u32 {
        let (a, b) = (a as usize, b as usize);
        let run = b.saturating_sub(a);
        if run == 0 {
            return self.spans.get(a).map_or(0, |&(_, len)| len);
        }
        let level = (usize::BITS - 1 - run.leading_zeros()) as usize;
        let width = 1usize << level;
        let row = self
            .levels
            .get(level)
            .map(Vec::as_slice)
            .unwrap_or_default();
        match (row.get(a), row.get(b - width)) {
            (Some(&x), Some(&y)) => x.min(y),
            _ => 0,
        }
    }

    /// The entries of the table for `n` keys.
    fn table_entries(n: usize) -> usize {
        let mut total = 0;
        let mut width = 1;
        while width < n {
            total += n - width;
            width *= 2;
        }
        total
    }

    /// The bytes the keys' table holds beside the pool (given back once the tries are built).
    pub(crate) fn table_bytes(&self) -> usize {
        self.spans.len() * std::mem::size_of::<(u32, u32)>()
            + Keys::table_entries(self.spans.len()) * std::mem::size_of::<u32>()
    }
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// A node of a trie's shape, before it is laid out.
struct ShapeNode {
    /// The length of the key prefix this node stands for.
    depth: u32,
    /// A key that passes through (or ends at) this node, to read its label from.
    key: u32,
    /// The index in `ids` of the key that ends exactly here.
    terminal: Option<usize>,
    first_child: Option<u32>,
    last_child: Option<u32>,
    next_sibling: Option<u32>,
}

/// The radix shape of the keys `ids` (ascending). Node 0 is the root (the empty key). Children
/// are kept in key order, which is the order of their labels' first bytes.
fn shape(keys: &Keys, ids: &[u32]) -> Vec<ShapeNode> {
    let node = |depth, key, terminal| ShapeNode {
        depth,
        key,
        terminal,
        first_child: None,
        last_child: None,
        next_sibling: None,
    };
    let mut nodes = Vec::with_capacity(2 * ids.len() + 1);
    nodes.push(node(0, ids.first().copied().unwrap_or(0), None));
    // The path from the root to the previous key's node.
    let mut path: Vec<u32> = vec![0];
    let mut previous: Option<u32> = None;
    for (index, &id) in ids.iter().enumerate() {
        let len = keys.len_of(id);
        if len == 0 {
            nodes[0].terminal = Some(index);
            continue;
        }
        let common = previous.map_or(0, |p| keys.common(p, id));
        let mut popped = None;
        while let Some(&top) = path.last() {
            if nodes[top as usize].depth <= common {
                break;
            }
            popped = path.pop();
        }
        let mut top = path.last().copied().unwrap_or(0);
        if let Some(split) = popped.filter(|_| nodes[top as usize].depth < common) {
            // `split` (the last child of `top`) and this key share more than `top`: a branch node
            // takes its place, and `split` moves below it.
            let moved = nodes.len() as u32;
            let mut below = node(0, 0, None);
            std::mem::swap(&mut below, &mut nodes[split as usize]);
            below.next_sibling = None;
            nodes.push(below);
            nodes[split as usize] = ShapeNode {
                first_child: Some(moved),
                last_child: Some(moved),
                ..node(common, id, None)
            };
            path.push(split);
            top = split;
        }
        let leaf = nodes.len() as u32;
        nodes.push(node(len, id, Some(index)));
        let parent = &mut nodes[top as usize];
        let last = parent.last_child.replace(leaf);
        match last {
            None => parent.first_child = Some(leaf),
            Some(last) => nodes[last as usize].next_sibling = Some(leaf),
        }
        path.push(leaf);
        previous = Some(id);
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Payload: `here` is the index of the key ending at the node, `below` that of the deepest key
    /// above it (prefix semantics), so a walk returns the longest stored prefix of a probe.
    fn longest_prefix_trie(keys: &[&[u8]]) -> (Arena, NodeId) {
        let mut arena = Arena::default();
        let mut budget = Budget::new(usize::MAX);
        let set = arena.add_keys(keys, &mut budget).unwrap();
        let ids: Vec<u32> = (0..keys.len() as u32).collect();
        let root = arena
            .add_trie(&set, &ids, &mut budget, None, |_, &parent, t| {
                let mine = t.map_or(parent, |t| Payload::new(t + 1));
                Ok((mine, (mine, mine)))
            })
            .unwrap();
        (arena, root)
    }

    /// The key index a payload of these tests holds (payloads are key indices plus one).
    fn key_of(payload: Option<Payload>) -> Option<usize> {
        payload.map(|p| p.index() - 1)
    }

    #[test]
    fn walks_find_the_longest_stored_prefix() {
        let keys: &[&[u8]] = &[b"", b"a", b"abc", b"abd", b"b", b"bcd"];
        let (arena, root) = longest_prefix_trie(keys);
        let probes: &[(&[u8], usize)] = &[
            (b"", 0),
            (b"a", 1),
            (b"ab", 1),
            (b"abc", 2),
            (b"abcz", 2),
            (b"abd", 3),
            (b"abe", 1),
            (b"bc", 4),
            (b"bcd", 5),
            (b"c", 0),
        ];
        for &(probe, want) in probes {
            assert_eq!(key_of(arena.walk(root, probe)), Some(want), "{:?}", probe);
        }
        // Children of each node are contiguous and sorted by first byte.
        for node in &arena.nodes[1..] {
            let start = node.children_start as usize;
            let children = &arena.nodes[start..start + node.children_len as usize];
            assert!(children.windows(2).all(|w| w[0].first < w[1].first));
        }
    }

    #[test]
    fn radix_compression_keeps_nodes_below_twice_the_keys() {
        let owned: Vec<Vec<u8>> = (0..500u32)
            .map(|i| format!("user:{i:05}:profile").into_bytes())
            .collect();
        let keys: Vec<&[u8]> = owned.iter().map(|k| k.as_slice()).collect();
        let (arena, root) = longest_prefix_trie(&keys);
        let nodes = arena.nodes.len() - 1; // the placeholder aside
        assert!(nodes < 2 * keys.len() + 1, "{nodes}");
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(key_of(arena.walk(root, key)), Some(i));
        }
    }

    #[test]
    fn tries_over_subsets_share_the_pool() {
        let owned: Vec<Vec<u8>> = (0..64u32).map(|i| vec![b'k'; 200 + i as usize]).collect();
        let keys: Vec<&[u8]> = owned.iter().map(|k| k.as_slice()).collect();
        let mut arena = Arena::default();
        let mut budget = Budget::new(usize::MAX);
        let set = arena.add_keys(&keys, &mut budget).unwrap();
        let pool = arena.labels.len();
        let mut roots = Vec::new();
        for subset in 0..50u32 {
            let ids: Vec<u32> = (0..64).filter(|i| (i + subset) % 3 == 0).collect();
            let root = arena
                .add_trie(&set, &ids, &mut budget, (), |_, _, t| {
                    let p = t.and_then(|t| Payload::new(ids[t] as usize + 1));
                    Ok(((), (p, None)))
                })
                .unwrap();
            roots.push((root, ids));
        }
        assert_eq!(arena.labels.len(), pool, "no trie copied a label");
        for (root, ids) in roots {
            for id in ids {
                assert_eq!(
                    key_of(arena.walk(root, keys[id as usize])),
                    Some(id as usize)
                );
            }
        }
    }

    #[test]
    fn a_trie_over_budget_is_refused_before_it_is_built() {
        let owned: Vec<Vec<u8>> = (0..1000u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let keys: Vec<&[u8]> = owned.iter().map(|k| k.as_slice()).collect();
        let mut arena = Arena::default();
        let mut budget = Budget::new(usize::MAX);
        let set = arena.add_keys(&keys, &mut budget).unwrap();
        let ids: Vec<u32> = (0..1000).collect();
        let mut small = Budget::new(10_000);
        let refused = arena.add_trie(&set, &ids, &mut small, (), |_, _, _| Ok(((), (None, None))));
        assert_eq!(refused, Err(TooLarge));
        assert_eq!(arena.nodes.len(), 0);
    }

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

        #[test]
        fn common_prefixes_from_the_table_are_the_real_ones(
            mut keys in proptest::collection::vec(proptest::collection::vec(0u8..3, 0..6), 1..40),
        ) {
            keys.sort();
            keys.dedup();
            let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
            let mut arena = Arena::default();
            let set = arena.add_keys(&refs, &mut Budget::new(usize::MAX)).unwrap();
            for a in 0..keys.len() {
                for b in a + 1..keys.len() {
                    prop_assert_eq!(set.common(a as u32, b as u32) as usize, common_prefix(&keys[a], &keys[b]));
                }
            }
        }

        #[test]
        fn any_subset_walks_to_its_longest_prefix(
            mut keys in proptest::collection::vec(proptest::collection::vec(0u8..3, 0..6), 1..30),
            pick in proptest::collection::vec(any::<bool>(), 30),
            probes in proptest::collection::vec(proptest::collection::vec(0u8..3, 0..7), 20),
        ) {
            keys.sort();
            keys.dedup();
            let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
            let mut arena = Arena::default();
            let mut budget = Budget::new(usize::MAX);
            let set = arena.add_keys(&refs, &mut budget).unwrap();
            let ids: Vec<u32> = (0..keys.len() as u32).filter(|&i| pick[i as usize]).collect();
            let root = arena.add_trie(&set, &ids, &mut budget, None, |_, &parent, t| {
                let mine = t.map_or(parent, |t| Payload::new(ids[t] as usize + 1));
                Ok((mine, (mine, mine)))
            }).unwrap();
            for probe in &probes {
                let want = ids.iter().rev().copied().find(|&i| probe.starts_with(&keys[i as usize])).map(|i| i as usize);
                prop_assert_eq!(key_of(arena.walk(root, probe)), want, "{:?} in {:?}", probe, ids);
            }
        }
    }
}
