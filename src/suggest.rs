//! "Did you mean" suggestions for misspelt keywords, roles and operation names.

/// The candidate closest to `input` by edit distance, when it is close enough to be a plausible
/// typo (at most a third of the input's length, and at least one edit).
pub(crate) fn did_you_mean<'c>(
    input: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let input_lower = input.to_ascii_lowercase();
    let budget = (input.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&input_lower, c), c))
        .filter(|&(d, _)| d <= budget)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters; inputs are capped at 64 characters to bound the work.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(64).collect();
    let b: Vec<char> = b.chars().take(64).collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let roles = ["readwrite", "readonly", "writeonly"];
        assert_eq!(did_you_mean("readwrit", roles), Some("readwrite"));
        assert_eq!(did_you_mean("ReadOnly", roles), Some("readonly"));
        assert_eq!(did_you_mean("banana", roles), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
