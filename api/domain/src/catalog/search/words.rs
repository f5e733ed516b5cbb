//! Words as search sees them, and how far apart two words are.
//!
//! One tokenizer for the vocabulary and for shopper input: runs of letters and digits,
//! lower case. Both full-text engines split text at least as finely (and stem), so a
//! word of the vocabulary is always something the engines can match.

use std::collections::BTreeSet;

/// The longest word kept, in characters; longer runs are cut (shopper input) or left
/// out of the vocabulary (they are not words anyone misspells).
pub const MAX_WORD_CHARS: usize = 40;

/// The words of `text`: lower case, letters and digits only, in order, repeats kept.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        // Lower-casing can yield combining marks (e.g. for 'İ'), so filter afterwards.
        .map(|t| t.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect::<String>())
        .filter(|t| !t.is_empty())
}

/// The distinct vocabulary words of a product's searchable text.
pub fn product_words(name: &str, brand: &str, tags: &[String], description: &str) -> BTreeSet<String> {
    let texts = [name, brand, description].into_iter().chain(tags.iter().map(String::as_str));
    texts.flat_map(words).filter(|w| w.chars().count() <= MAX_WORD_CHARS).collect()
}

/// How many typos a query word of `chars` characters may have and still be corrected:
/// none below 4 characters (too many short words are one letter apart), one up to 8,
/// two from 9 ("sneakers" is two letters from "sweaters": one typo is all it gets).
pub fn typo_budget(chars: usize) -> usize {
    match chars {
        0..=3 => 0,
        4..=8 => 1,
        _ => 2,
    }
}

/// The edit distance between `a` and `b` (insertions, deletions, substitutions and
/// swaps of neighbours, each 1: "optimal string alignment"), if it is at most `max`.
pub fn distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    // Three rows of the dynamic programme: two back (for swaps), previous, current.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[b.len()]).filter(|d| *d <= max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn splits_and_lowercases() {
        assert_eq!(words("Organic Cotton T-Shirt, 2-pack!").collect::<Vec<_>>(), ["organic", "cotton", "t", "shirt", "2", "pack"]);
        let tags = vec!["t-shirt".to_owned(), "Organic cotton".to_owned()];
        let all = product_words("Crew Tee", "Marlow", &tags, "The everyday tee");
        assert_eq!(all.into_iter().collect::<Vec<_>>(), ["cotton", "crew", "everyday", "marlow", "organic", "shirt", "t", "tee", "the"]);
    }

    #[test]
    fn distances() {
        assert_eq!(distance_within("marino", "merino", 2), Some(1));
        assert_eq!(distance_within("chambrey", "chambray", 2), Some(1));
        assert_eq!(distance_within("chmabray", "chambray", 2), Some(1), "a swap is one typo");
        assert_eq!(distance_within("sweter", "sweater", 1), Some(1));
        assert_eq!(distance_within("cashmre", "cashmere", 1), Some(1));
        assert_eq!(distance_within("wool", "wool", 0), Some(0));
        assert_eq!(distance_within("wool", "cotton", 2), None);
        assert_eq!(distance_within("abc", "abcdef", 2), None, "length alone rules it out");
        assert_eq!(distance_within("", "ab", 2), Some(2));
    }

    #[test]
    fn budgets() {
        assert_eq!(typo_budget(3), 0);
        assert_eq!(typo_budget(4), 1);
        assert_eq!(typo_budget(8), 1);
        assert_eq!(typo_budget(9), 2);
    }

    /// The textbook definition, to check the bounded one against.
    fn osa(a: &str, b: &str) -> usize {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
                }
            }
        }
        d[a.len()][b.len()]
    }

    proptest! {
        #[test]
        fn bounded_distance_agrees_with_the_definition(a in "[abc]{0,8}", b in "[abc]{0,8}", max in 0usize..4) {
            let full = osa(&a, &b);
            prop_assert_eq!(distance_within(&a, &b, max), (full <= max).then_some(full));
        }
    }
}
