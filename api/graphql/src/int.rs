//! Numbers as GraphQL `Int`s.

/// A count, quantity or version as a GraphQL `Int` (32 bits). Every such number is
/// bounded far below `i32::MAX` by the domain's limits; should one ever not be, it
/// saturates instead of failing the whole response.
pub(crate) fn int<N>(n: N) -> i32
where
    N: TryInto<i32> + PartialOrd + Default + Copy,
{
    n.try_into().unwrap_or(if n < N::default() { i32::MIN } else { i32::MAX })
}

#[cfg(test)]
mod tests {
    use super::int;

    #[test]
    fn saturates_at_both_ends() {
        assert_eq!(int(7i64), 7);
        assert_eq!(int(i64::MAX), i32::MAX);
        assert_eq!(int(i64::MIN), i32::MIN);
        assert_eq!(int(usize::MAX), i32::MAX);
        assert_eq!(int(3u64), 3);
    }
}
