//! Building radix tries into an [`Arena`]: the shape from sorted keys, payloads top-down, nodes
//! laid out breadth first so that every node's children are contiguous.
//!
//! Everything here is iterative: key length, which the document controls, never drives recursion.

use crate::engine::trie::{Arena, NONE, Node};
use std::collections::VecDeque;

/// The compiled structure would exceed `Limits::max_compiled_nodes`, or u32 indices.
#[derive(Debug)]
pub(crate) struct TooLarge;

struct ShapeNode {
    /// Length of the key prefix this node stands for.
    depth: usize,
    /// A key that passes through (or ends at) this node, to read its label from.
    key: usize,
    children: Vec<usize>,
    /// The key that ends exactly here.
    terminal: Option<usize>,
}

/// The radix shape of `keys`, which must be sorted and unique. Node 0 is the root (the empty key).
fn shape(keys: &[&[u8]]) -> Vec<ShapeNode> {
    let mut nodes = vec![ShapeNode {
        depth: 0,
        key: 0,
        children: Vec::new(),
        terminal: None,
    }];
    // The path from the root to the previous key's node.
    let mut path = vec![0usize];
    let mut prev: &[u8] = &[];
    for (index, &key) in keys.iter().enumerate() {
        if key.is_empty() {
            nodes[0].terminal = Some(index);
            continue;
        }
        let common = prev.iter().zip(key).take_while(|(a, b)| a == b).count();
        let mut popped = None;
        while let Some(&top) = path.last() {
            if nodes[top].depth <= common {
                break;
            }
            popped = path.pop();
        }
        let mut top = path.last().copied().unwrap_or(0);
        if let Some(split) = popped.filter(|_| nodes[top].depth < common) {
            // `split` (the last child of `top`) and `key` share more than `top`: a branch node.
            let mid = nodes.len();
            nodes.push(ShapeNode {
                depth: common,
                key: index,
                children: vec![split],
                terminal: None,
            });
            if let Some(last) = nodes[top].children.last_mut() {
                *last = mid;
            }
            path.push(mid);
            top = mid;
        }
        let leaf = nodes.len();
        nodes.push(ShapeNode {
            depth: key.len(),
            key: index,
            children: Vec::new(),
            terminal: Some(index),
        });
        nodes[top].children.push(leaf);
        path.push(leaf);
        prev = key;
    }
    nodes
}

/// Builds the trie of `keys` (sorted, unique) into `arena` and returns its root.
///
/// `payload(carry, terminal)` is called on every node parent first, with the parent's carry (the
/// root gets `init`) and the index of the key ending at the node, if any; it returns the node's
/// own carry and its `(here, below)` payloads.
pub(crate) fn build<P, E>(
    arena: &mut Arena,
    keys: &[&[u8]],
    init: P,
    mut payload: impl FnMut(&P, Option<usize>) -> Result<(P, u32, u32), E>,
) -> Result<u32, E>
where
    E: From<TooLarge>,
{
    let shape = shape(keys);
    // Indices are u32; the caller charges the nodes against `Limits::max_compiled_nodes`.
    if arena.nodes.len() + shape.len() >= NONE as usize
        || arena.labels.len() + keys.iter().map(|k| k.len()).sum::<usize>() >= NONE as usize
    {
        return Err(TooLarge.into());
    }

    // Breadth-first order, with each node's payloads (parents first, so carries flow down).
    let mut order = Vec::with_capacity(shape.len());
    let mut payloads = vec![(NONE, NONE); shape.len()];
    let mut queue = VecDeque::new();
    let (root_carry, here, below) = payload(&init, shape[0].terminal)?;
    payloads[0] = (here, below);
    queue.push_back((0usize, root_carry));
    while let Some((id, carry)) = queue.pop_front() {
        order.push(id);
        for &child in &shape[id].children {
            let (child_carry, here, below) = payload(&carry, shape[child].terminal)?;
            payloads[child] = (here, below);
            queue.push_back((child, child_carry));
        }
    }

    // Lay the nodes out in that order; a node's children are then one contiguous run.
    let base = arena.nodes.len();
    let mut position = vec![0u32; shape.len()];
    for (i, &id) in order.iter().enumerate() {
        position[id] = (base + i) as u32;
    }
    let mut parent_depth = vec![0usize; shape.len()];
    for &id in &order {
        for &child in &shape[id].children {
            parent_depth[child] = shape[id].depth;
        }
    }
    for &id in &order {
        let node = &shape[id];
        let label = &keys.get(node.key).copied().unwrap_or_default()[parent_depth[id]..node.depth];
        let children_start = node.children.first().map_or(0, |&c| position[c]);
        arena.nodes.push(Node {
            label_start: arena.labels.len() as u32,
            label_len: label.len() as u32,
            children_start,
            // Children differ in their first byte: there are at most 256.
            children_len: node.children.len() as u16,
            first: label.first().copied().unwrap_or(0),
            here: payloads[id].0,
            below: payloads[id].1,
        });
        arena.labels.extend_from_slice(label);
    }
    Ok(base as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Payload: `here` is the index of the key ending at the node, `below` that of the deepest key
    /// above it (prefix semantics), so a walk returns the longest stored prefix of a probe.
    fn longest_prefix_trie(keys: &[&[u8]]) -> (Arena, u32) {
        let mut arena = Arena::default();
        let root = build::<u32, TooLarge>(&mut arena, keys, NONE, |&parent, t| {
            let mine = t.map_or(parent, |t| t as u32);
            Ok((mine, mine, mine))
        })
        .unwrap();
        (arena, root)
    }

    #[test]
    fn walks_find_the_longest_stored_prefix() {
        let keys: &[&[u8]] = &[b"", b"a", b"abc", b"abd", b"b", b"bcd"];
        let (arena, root) = longest_prefix_trie(keys);
        let probes: &[(&[u8], u32)] = &[
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
            assert_eq!(arena.walk(root, probe), want, "{:?}", probe);
        }
        // Children of each node are contiguous and sorted by first byte.
        for node in &arena.nodes {
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
        assert!(
            arena.nodes.len() < 2 * keys.len() + 1,
            "{}",
            arena.nodes.len()
        );
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(arena.walk(root, key), i as u32);
        }
    }
}
