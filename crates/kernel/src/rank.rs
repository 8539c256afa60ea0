//! Rank keys for ordered things (lanes, tickets, sidebar entries): lowercase hex strings
//! compared as plain strings, so a move writes one row with a key between its neighbours.
//!
//! [`between`] is the midpoint of two keys (digit by digit, as in Figma's and Rocicorp's
//! fractional indexing); it never panics and checks its result. Keys are never empty and never
//! end in `0` (nothing could be placed right before `a0`'s neighbour otherwise); [`spaced`]
//! makes `n` short, evenly spaced keys for a new or respaced list. At either end of a list a new
//! key is the nearest one of the shortest level with room (a level: a length rounded up to a
//! power of two; see `after`), so moves to a lane's top keep their keys short.

use crate::error::Error;

const DIGITS: &[u8; 16] = b"0123456789abcdef";

fn digit(c: u8) -> Option<usize> {
    DIGITS.iter().position(|d| *d == c)
}

/// A key this module accepts as a bound: non-empty lowercase hex. (Keys it makes also never
/// end in `0`; older keys made by the `fractional_index` crate end in `80` and are accepted.)
fn valid(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|c| digit(c).is_some())
}

/// The smallest key after `a` of the shortest level that has one. A key's level is its length
/// rounded up to a power of two. Appends and prepends ([`before`]) take a single digit while
/// there is one, else the nearest key of their neighbour's level, and go a level down (twice the
/// digits) only when that has none left: after `f`, `f1` … `ff`, then `ff01` … `ffff`, then
/// `ffff0001`; before `1`, `0f` … `01`, then `00ff` … `0001`, then `0000ffff`. A level of `2n`
/// digits holds about `16^n` keys past its neighbour, so a lane's top or end takes tens of
/// thousands of moves in a row before its keys reach 16 digits (stepping to the shortest key
/// instead, a digit per 15: 64 digits, and the lane respaced, after about 900).
fn after(a: &[u8]) -> Option<Vec<u8>> {
    // Below `a`'s level: the smallest key of `l` digits after `a` is the one after its first `l`.
    let mut l = 1;
    while l < a.len() {
        if let Some(k) = above(&a[..l], l) {
            return Some(k);
        }
        l *= 2;
    }
    above(a, l).or_else(|| above(a, 2 * l))
}

/// The smallest key after `a` (of at most `l >= a.len()` digits) of at most `l` digits: `a`
/// followed by zeros and a `1`, or `a` with its last digit below `f` raised by one (the digits
/// after it dropped). `None` when `a` has `l` digits, all `f`.
fn above(a: &[u8], l: usize) -> Option<Vec<u8>> {
    if a.len() < l {
        let mut k = a.to_vec();
        k.resize(l - 1, b'0');
        k.push(b'1');
        return Some(k);
    }
    let mut p = a.to_vec();
    while let Some(c) = p.pop() {
        let d = digit(c)?;
        if d < 15 {
            p.push(DIGITS[d + 1]);
            return Some(p);
        }
    }
    None
}

/// The largest key before `b` of the shortest level that has one.
fn before(b: &[u8]) -> Option<Vec<u8>> {
    // Below `b`'s level: the largest key of `l` digits before `b` is its first `l` digits (less
    // trailing zeros), unless they are all zeros.
    let mut l = 1;
    while l < b.len() {
        let mut p = b[..l].to_vec();
        while p.last() == Some(&b'0') {
            p.pop();
        }
        if !p.is_empty() {
            return Some(p);
        }
        l *= 2;
    }
    below(b, l).or_else(|| below(b, 2 * l))
}

/// The largest key before `b` (of at most `l` digits) of at most `l` digits and not ending in
/// `0`: `b` with its last digit lowered by one and `f`s after it up to `l` digits, or, when that
/// would end in `0`, the digits before it; and so on back. `None` when there is none (`b` is
/// `0…01` with `l` digits).
fn below(b: &[u8], l: usize) -> Option<Vec<u8>> {
    let mut p = b.to_vec();
    while let Some(c) = p.pop() {
        let d = digit(c)?;
        if d > 0 {
            let mut k = p.clone();
            k.push(DIGITS[d - 1]);
            k.resize(l, b'f');
            if k.last() != Some(&b'0') {
                return Some(k);
            }
        }
        // Nothing lies between `p` and `p0`: `p` itself is next, if it is a key.
        if p.last().is_some_and(|c| *c != b'0') {
            return Some(p);
        }
    }
    None
}

/// The midpoint of `a` (may be empty: the start) and `b` (`None`: the end), `a < b`.
fn midpoint(a: &[u8], b: Option<&[u8]>) -> Vec<u8> {
    if let Some(b) = b {
        // The common prefix (`a` padded with zeros) is kept.
        let mut n = 0;
        while n < b.len() && a.get(n).copied().unwrap_or(b'0') == b[n] {
            n += 1;
        }
        if n > 0 {
            let mut out = b[..n].to_vec();
            out.extend(midpoint(a.get(n..).unwrap_or(&[]), Some(&b[n..])));
            return out;
        }
    }
    let da = a.first().and_then(|c| digit(*c)).unwrap_or(0);
    let db = b
        .and_then(|b| b.first())
        .and_then(|c| digit(*c))
        .unwrap_or(16);
    if db - da > 1 {
        return vec![DIGITS[(da + db).div_ceil(2)]];
    }
    match b {
        // Consecutive first digits: `b`'s first digit alone is between when `b` goes on.
        Some(b) if b.len() > 1 => vec![b[0]],
        _ => {
            let mut out = vec![DIGITS[da]];
            out.extend(midpoint(a.get(1..).unwrap_or(&[]), None));
            out
        }
    }
}

/// A key strictly between `lower` and `upper` (either may be missing: an end of the list).
pub fn between(lower: Option<&str>, upper: Option<&str>) -> Result<String, Error> {
    for k in [lower, upper].into_iter().flatten() {
        if !valid(k) {
            return Err(Error::internal(format!("malformed rank key `{k}`")));
        }
    }
    if let (Some(l), Some(u)) = (lower, upper)
        && l >= u
    {
        return Err(Error::internal(format!(
            "rank keys out of order: `{l}` >= `{u}`"
        )));
    }
    let mid = match (lower, upper) {
        (None, None) => Some(b"8".to_vec()),
        (Some(l), None) => after(l.as_bytes()),
        (None, Some(u)) => before(u.as_bytes()),
        (Some(l), Some(u)) => Some(midpoint(l.as_bytes(), Some(u.as_bytes()))),
    };
    let mid = mid.and_then(|m| String::from_utf8(m).ok()).filter(|m| {
        valid(m)
            && !m.ends_with('0')
            && lower.is_none_or(|l| l < m.as_str())
            && upper.is_none_or(|u| m.as_str() < u)
    });
    mid.ok_or_else(|| Error::internal(format!("no rank key between {lower:?} and {upper:?}")))
}

/// The key for an item placed right after `anchor` (`None`: first) in a list given in order as
/// `(id, key)` pairs, without the item itself; `None` when `anchor` is not in the list.
pub fn after_anchor(
    list: &[(uuid::Uuid, &str)],
    anchor: Option<uuid::Uuid>,
) -> Option<Result<String, Error>> {
    let at = match anchor {
        None => 0,
        Some(a) => list.iter().position(|(id, _)| *id == a)? + 1,
    };
    let lower = at.checked_sub(1).and_then(|i| list.get(i)).map(|(_, k)| *k);
    let upper = list.get(at).map(|(_, k)| *k);
    Some(between(lower, upper))
}

/// `n` keys in order, evenly spaced and of one short width (`w` hex digits with `16^w` at
/// least 16 times `n + 1`): for a new list, a bulk load, or a respaced one.
pub fn spaced(n: usize) -> Vec<String> {
    let n = n as u128;
    let mut width = 1u32;
    while 16u128.pow(width) < (n + 1) * 16 {
        width += 1;
    }
    let space = 16u128.pow(width);
    (1..=n)
        .map(|i| {
            let mut k = format!("{:0w$x}", i * space / (n + 1), w = width as usize);
            if k.ends_with('0') {
                // Still between its neighbours, which differ in an earlier digit.
                k.push('8');
            }
            k
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fall_between_their_neighbours() {
        let r = spaced(3);
        assert!(r[0] < r[1] && r[1] < r[2]);
        let mid = between(Some(&r[0]), Some(&r[1])).expect("between");
        assert!(r[0] < mid && mid < r[1]);
        assert!(between(None, Some(&r[0])).expect("before") < r[0]);
        assert!(between(Some(&r[2]), None).expect("after") > r[2]);
        assert!(between(Some(&r[1]), Some(&r[0])).is_err());
        assert!(between(Some("a0"), Some("a")).is_err());
        assert!(between(Some("xyz"), None).is_err());
        // Nothing fits between a key and the same key followed by zeros: an error, not a panic.
        assert!(between(Some("8"), Some("80")).is_err());
        // Keys written by the `fractional_index` crate (ending in `80`) are valid bounds.
        let m = between(Some("7f80"), Some("80")).expect("between");
        assert!("7f80" < m.as_str() && m.as_str() < "80");
        // Placing after an anchor, first, or after a missing anchor.
        let ids = [uuid::Uuid::now_v7(), uuid::Uuid::now_v7()];
        let list = [(ids[0], r[0].as_str()), (ids[1], r[1].as_str())];
        let k = after_anchor(&list, Some(ids[0]))
            .and_then(Result::ok)
            .expect("after");
        assert!(r[0] < k && k < r[1]);
        let k = after_anchor(&list, None)
            .and_then(Result::ok)
            .expect("first");
        assert!(k < r[0]);
        assert!(after_anchor(&list, Some(uuid::Uuid::now_v7())).is_none());
        // Many keys at once are short, ordered and usable.
        let many = spaced(100_000);
        assert!(many.windows(2).all(|w| w[0] < w[1] && valid(&w[0])));
        assert!(many.iter().all(|k| k.len() <= 7));
    }

    #[test]
    fn repeated_inserts_stay_ordered_and_grow_slowly() {
        // Always into the same gap, always at the top, always at the end.
        let (mut lo, hi) = ("4".to_owned(), "5".to_owned());
        let mut top = "8".to_owned();
        let mut end = "8".to_owned();
        for _ in 0..1000 {
            let m = between(Some(&lo), Some(&hi)).expect("gap");
            assert!(lo < m && m < hi);
            lo = m;
            let t = between(None, Some(&top)).expect("top");
            assert!(t < top);
            top = t;
            let e = between(Some(&end), None).expect("end");
            assert!(e > end);
            end = e;
        }
        // A halving costs a bit; appends and prepends a level of 8 digits after 1,000.
        assert!(lo.len() <= 260, "{}", lo.len());
        assert_eq!((top.len(), end.len()), (8, 8), "{top} {end}");
    }

    #[test]
    fn a_hundred_thousand_moves_to_the_top_or_the_end_keep_keys_short() {
        let (mut top, mut end) = ("8".to_owned(), "8".to_owned());
        for _ in 0..100_000 {
            let t = between(None, Some(&top)).expect("top");
            assert!(t < top && !t.ends_with('0'), "{t} {top}");
            top = t;
            let e = between(Some(&end), None).expect("end");
            assert!(e > end && !e.ends_with('0'), "{e} {end}");
            end = e;
        }
        assert_eq!((top.len(), end.len()), (16, 16), "{top} {end}");
    }

    #[test]
    fn keys_of_any_shape_have_short_keys_before_and_after_them() {
        // Single digits, the ends of a level, keys made by shortest steps (a digit per 15),
        // midpoints, and older keys ending in `80`.
        for k in [
            "1",
            "2",
            "f",
            "e",
            "0f",
            "0e",
            "01",
            "00f",
            "001",
            "0001",
            "00ff",
            "0ff",
            "0f1",
            "0e01",
            "0e1",
            "0e0f",
            "02ffffffffffffff",
            "0100000000000001",
            "f1",
            "f2",
            "f0",
            "f08",
            "f11",
            "f1f",
            "f201",
            "ffff",
            "fe",
            "feffffffffffffff",
            "ff",
            "fff1",
            "7f80",
            "084",
            "0841f8c",
            "8abc",
        ] {
            let b = between(None, Some(k)).expect(k);
            assert!(b.as_str() < k, "{b} before {k}");
            let a = between(Some(k), None).expect(k);
            assert!(a.as_str() > k, "{a} after {k}");
            let l = k.len().next_power_of_two();
            assert!(a.len() <= 2 * l && b.len() <= 2 * l, "{b} {k} {a}");
        }
        // The nearest key of the shortest level with room; the next level only when one is used
        // up.
        let step = |k: &str| {
            (
                between(None, Some(k)).unwrap(),
                between(Some(k), None).unwrap(),
            )
        };
        assert_eq!(step("8"), ("7".to_owned(), "9".to_owned()));
        assert_eq!(step("00f1"), ("00f".to_owned(), "1".to_owned()));
        assert_eq!(step("00f"), ("00ef".to_owned(), "1".to_owned()));
        assert_eq!(step("01"), ("00ff".to_owned(), "1".to_owned()));
        assert_eq!(step("fff"), ("f".to_owned(), "fff1".to_owned()));
        // A long neighbour (a midpoint's) gives a short key: the shortest level with room.
        assert_eq!(step("084"), ("08".to_owned(), "1".to_owned()));
        let long = "8".repeat(40);
        assert_eq!(step(&long), ("8".to_owned(), "9".to_owned()));
        let deep = "0".repeat(39) + "1";
        assert_eq!(step(&deep).0, "0".repeat(40) + "f".repeat(24).as_str());
        assert_eq!(between(Some("ff"), None).unwrap(), "ff01");
        assert_eq!(between(Some("ff0f"), None).unwrap(), "ff1");
        assert_eq!(between(Some("ffff"), None).unwrap(), "ffff0001");
        assert_eq!(between(None, Some("0001")).unwrap(), "0000ffff");
    }
}
