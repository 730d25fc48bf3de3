//! Stable sorts that compile to one copy of the sorting code.
//!
//! The standard library's `sort_by` is generic over the element *and* the
//! comparison, so each call site with its own closure gets its own copy of
//! the whole merge-and-quicksort machinery: about 4 kB of wasm each, and
//! the page had some seventy of them (a third of a megabyte). These sort a
//! list of positions once, with the comparison behind a `dyn` call, then
//! move the elements into that order: the per-call-site code is the small
//! closure and the permutation. Same result as `slice::sort_by` (stable);
//! a little slower per comparison, so the hot loops of the query engines
//! and the stores keep the standard sorts. (Where the page's std is
//! rebuilt with `optimize_for_size`, its own sorts are small too; these
//! keep the page small where it is built with the prebuilt std.)
//!
//! ```
//! let mut v = vec![(2, 'b'), (1, 'z'), (2, 'a'), (1, 'y')];
//! o11y_model::sort::sort_by_key(&mut v, |p| p.0);
//! assert_eq!(v, [(1, 'z'), (1, 'y'), (2, 'b'), (2, 'a')]);
//! ```

use std::cmp::Ordering;

/// Sorts `v` stably by `compare`, as `slice::sort_by` does.
pub fn sort_by<T>(v: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    let order = {
        let items = &*v;
        positions_in_order(items.len(), &mut |a, b| compare(&items[a], &items[b]))
    };
    permute(v, order);
}

/// Sorts `v` stably by the key `key` gives each element, as
/// `slice::sort_by_key` does.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` stably in its natural order, as `slice::sort` does.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// A map (`BTreeMap`, `serde_json::Map`) of `pairs`, inserted one by one;
/// a later key wins, as with `collect`. A `BTreeMap` collected from an
/// iterator first sorts the pairs, with a stable sort compiled for each
/// pair type (4–19 kB of wasm each); inserting needs none.
///
/// ```
/// let m: std::collections::BTreeMap<_, _> = o11y_model::sort::map_from([("b", 1), ("a", 2), ("b", 3)]);
/// assert_eq!(m.into_iter().collect::<Vec<_>>(), [("a", 2), ("b", 3)]);
/// ```
pub fn map_from<M: Default + Extend<(K, V)>, K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> M {
    let mut map = M::default();
    map.extend(pairs);
    map
}

/// The positions `0..len` in the order `compare` puts them (stable): the
/// one instantiation of the standard sort.
fn positions_in_order(len: usize, compare: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

/// Moves `v[order[i]]` to position `i` for every `i`, following each
/// cycle of the permutation with swaps.
fn permute<T>(v: &mut [T], mut order: Vec<usize>) {
    for start in 0..v.len() {
        let mut at = start;
        while order[at] != start {
            let from = order[at];
            v.swap(at, from);
            order[at] = at;
            at = from;
        }
        order[at] = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small generator, so the test needs no dependency.
    fn numbers(seed: u64, n: usize) -> Vec<u64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                x >> 59
            })
            .collect()
    }

    #[test]
    fn same_order_as_the_standard_stable_sort() {
        for seed in 0..200 {
            let n = (seed as usize * 7) % 97;
            let items: Vec<(u64, usize)> = numbers(seed, n)
                .into_iter()
                .enumerate()
                .map(|(i, k)| (k, i))
                .collect();
            let mut ours = items.clone();
            let mut std = items.clone();
            sort_by_key(&mut ours, |p| p.0);
            std.sort_by_key(|p| p.0);
            assert_eq!(ours, std, "seed {seed}");
            let mut desc = items.clone();
            sort_by(&mut desc, |a, b| b.0.cmp(&a.0));
            std.sort_by_key(|p| std::cmp::Reverse(p.0));
            assert_eq!(desc, std, "seed {seed}");
        }
    }

    #[test]
    fn natural_order_of_owned_values() {
        let mut names = vec!["b".to_string(), "a".into(), "c".into(), "a".into()];
        sort(&mut names);
        assert_eq!(names, ["a", "a", "b", "c"]);
        let mut empty: Vec<String> = Vec::new();
        sort(&mut empty);
        assert!(empty.is_empty());
    }
}
