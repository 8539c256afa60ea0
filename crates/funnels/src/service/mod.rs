//! The funnels crate's services: funnels and their custom domains, pages (steps) and their
//! drafts, publishing and rollback, and the public side (the published page at a host and
//! path). Every path by id goes through `tenancy::guard`; the public side reads only live
//! versions of live tenants.

pub mod cache;
pub mod clone;
pub mod form;
pub mod funnel;
pub mod page;
pub mod publish;
pub mod site;
pub mod submission;
pub mod tracking;
pub mod visit;

use kernel::error::{UserError, UserErrorCode};

/// Names a sub-account may not give a funnel: they read as the platform's own.
pub const RESERVED_SUBDOMAINS: [&str; 14] = [
    "www", "api", "app", "admin", "mail", "smtp", "ftp", "static", "assets", "cdn", "status",
    "support", "help", "login",
];

/// A name of 1 to 100 characters.
pub(crate) fn check_name(errors: &mut Vec<UserError>, field: &str, name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        errors.push(UserError::new(
            field,
            UserErrorCode::TooShort,
            "enter a name",
        ));
    } else if name.chars().count() > 100 {
        errors.push(UserError::new(
            field,
            UserErrorCode::TooLong,
            "a name is at most 100 characters",
        ));
    }
    name.to_owned()
}

/// A DNS label of 3 to 63 lower-case letters, digits and inner hyphens, not reserved.
pub(crate) fn check_subdomain(errors: &mut Vec<UserError>, field: &str, s: &str) -> String {
    let s = s.trim().to_ascii_lowercase();
    let ok = (3..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if !ok {
        errors.push(UserError::new(
            field,
            UserErrorCode::Invalid,
            "a subdomain is 3 to 63 letters, digits and inner hyphens",
        ));
    } else if RESERVED_SUBDOMAINS.contains(&s.as_str()) {
        errors.push(UserError::new(
            field,
            UserErrorCode::NotAllowed,
            "this subdomain is reserved",
        ));
    }
    s
}

/// A host name (`shop.example.com`): labels of letters, digits and inner hyphens, at least
/// two of them, at most 253 characters, lower-cased, without a port or trailing dot.
pub(crate) fn check_host(errors: &mut Vec<UserError>, field: &str, h: &str) -> String {
    let h = h.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = h.split('.').collect();
    let ok = h.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        && !labels
            .last()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()));
    if !ok {
        errors.push(UserError::new(
            field,
            UserErrorCode::Invalid,
            "enter a domain name such as shop.example.com",
        ));
    }
    h
}

/// A page path: `/`, or `/` and segments of lower-case letters, digits, `-` and `_`, at most
/// 200 characters, no trailing slash.
pub fn normalize_path(p: &str) -> Option<String> {
    let p = p.trim().to_ascii_lowercase();
    let p = if p.starts_with('/') {
        p
    } else {
        format!("/{p}")
    };
    let p = match p.trim_end_matches('/') {
        "" => "/".to_owned(),
        trimmed => trimmed.to_owned(),
    };
    let ok = p.len() <= 200
        && (p == "/"
            || p[1..].split('/').all(|seg| {
                !seg.is_empty()
                    && seg.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                    })
            }));
    ok.then_some(p)
}

pub(crate) fn check_path(errors: &mut Vec<UserError>, field: &str, p: &str) -> String {
    normalize_path(p).unwrap_or_else(|| {
        errors.push(UserError::new(
            field,
            UserErrorCode::Invalid,
            "a path is / or /segments of letters, digits, - and _ (at most 200 characters)",
        ));
        p.to_owned()
    })
}

/// Optional text of at most `max` characters (blank: none).
pub(crate) fn check_text(
    errors: &mut Vec<UserError>,
    field: &str,
    t: Option<&str>,
    max: usize,
) -> Option<String> {
    let t = t.map(str::trim).filter(|t| !t.is_empty())?;
    if t.chars().count() > max {
        errors.push(UserError::new(
            field,
            UserErrorCode::TooLong,
            format!("at most {max} characters"),
        ));
    }
    Some(t.to_owned())
}

/// An optional URL safe to put in a page (see `document::safe_url`).
pub(crate) fn check_url(
    errors: &mut Vec<UserError>,
    field: &str,
    u: Option<&str>,
) -> Option<String> {
    let u = u.map(str::trim).filter(|u| !u.is_empty())?;
    if !crate::document::safe_url(u) {
        errors.push(UserError::new(
            field,
            UserErrorCode::Invalid,
            "enter an http(s) URL or a path",
        ));
    }
    Some(u.to_owned())
}

pub(crate) use kernel::error::fail_if;
