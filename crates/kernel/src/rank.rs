//! Rank keys for ordered things (lanes, tickets, sidebar entries): lowercase hex strings
//! compared as plain strings, so a move writes one row with a key between its neighbours.
//!
//! [`between`] is the midpoint of two keys (digit by digit, as in Figma's and Rocicorp's
//! fractional indexing); it never panics and checks its result. Keys are never empty and never
//! end in `0` (nothing could be placed right before `a0`'s neighbour otherwise); [`spaced`]
//! makes `n` short, evenly spaced keys for a new or respaced list.

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

/// The smallest step after `a`: its first digit that is not `f`, plus one (the rest dropped);
/// `a` and `1` when it is all `f`s. Appends lengthen keys by a digit per 15.
fn after(a: &[u8]) -> Vec<u8> {
    match a.iter().position(|c| *c != b'f') {
        Some(i) => {
            let mut out = a[..i].to_vec();
            out.push(DIGITS[digit(a[i]).unwrap_or(0) + 1]);
            out
        }
        None => {
            let mut out = a.to_vec();
            out.push(b'1');
            out
        }
    }
}

/// The smallest step before `b`: its first digit above `1`, minus one (the rest dropped); or
/// before its first `1`, `0f`.
fn before(b: &[u8]) -> Option<Vec<u8>> {
    if let Some(i) = b.iter().position(|c| *c > b'1') {
        let mut out = b[..i].to_vec();
        out.push(DIGITS[digit(b[i]).unwrap_or(1) - 1]);
        return Some(out);
    }
    let i = b.iter().position(|c| *c == b'1')?;
    let mut out = b[..i].to_vec();
    out.extend_from_slice(b"0f");
    Some(out)
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
        (Some(l), None) => Some(after(l.as_bytes())),
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
        // A halving costs a bit; appends and prepends a digit per 15 or so.
        assert!(lo.len() <= 260, "{}", lo.len());
        assert!(
            top.len() <= 80 && end.len() <= 80,
            "{} {}",
            top.len(),
            end.len()
        );
    }
}
