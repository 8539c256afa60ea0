//! Input checks shared by the tenancy services. Each returns the normalised value or pushes a
//! user error.

use kernel::error::{UserError, UserErrorCode};

/// Whether `v` is an absolute http(s) URL with a host, of at most 2000 bytes, without spaces
/// or control characters.
pub fn is_http_url(v: &str) -> bool {
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"));
    rest.is_some_and(|r| !r.split(['/', '?', '#']).next().unwrap_or("").is_empty())
        && v.len() <= 2000
        && !v.contains(|c: char| c.is_whitespace() || c.is_control())
}

/// A required name of 1 to `max` characters (trimmed); problems go to `errors`.
pub fn name(errors: &mut Vec<UserError>, field: &str, value: &str, max: usize) -> String {
    let mut c = Check(std::mem::take(errors));
    let v = c.name(field, value, max);
    *errors = c.0;
    v
}

/// An optional colour `#rrggbb` (lowercased; blank is `None`); problems go to `errors`.
pub fn color(errors: &mut Vec<UserError>, field: &str, value: Option<&str>) -> Option<String> {
    let mut c = Check(std::mem::take(errors));
    let v = c.color(field, value);
    *errors = c.0;
    v
}

/// Collects user errors while checking an input.
#[derive(Default)]
pub struct Check(pub Vec<UserError>);

impl Check {
    fn fail(&mut self, field: &str, code: UserErrorCode, message: impl Into<String>) {
        self.0.push(UserError::new(field, code, message));
    }

    /// A required name of 1 to `max` characters (trimmed).
    pub fn name(&mut self, field: &str, value: &str, max: usize) -> String {
        let v = value.trim();
        if v.is_empty() {
            self.fail(field, UserErrorCode::Invalid, "enter a name");
        } else if v.chars().count() > max {
            self.fail(
                field,
                UserErrorCode::TooLong,
                format!("at most {max} characters"),
            );
        }
        v.to_owned()
    }

    /// An optional free text of at most `max` characters; blank becomes `None`.
    pub fn text(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let v = value.map(str::trim).filter(|v| !v.is_empty())?;
        if v.chars().count() > max {
            self.fail(
                field,
                UserErrorCode::TooLong,
                format!("at most {max} characters"),
            );
        }
        Some(v.to_owned())
    }

    /// A DNS label: lowercase letters, digits and inner hyphens, 1 to 63 characters.
    pub fn slug(&mut self, field: &str, value: &str) -> String {
        let v = value.trim().to_lowercase();
        let ok = !v.is_empty()
            && v.len() <= 63
            && v.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !v.starts_with('-')
            && !v.ends_with('-');
        if !ok {
            self.fail(
                field,
                UserErrorCode::Invalid,
                "use 1 to 63 lowercase letters, digits and inner hyphens",
            );
        }
        v
    }

    /// A host name such as `crm.example.com`.
    pub fn domain(&mut self, field: &str, value: &str) -> String {
        let v = value.trim().trim_end_matches('.').to_lowercase();
        let labels: Vec<&str> = v.split('.').collect();
        let ok = v.len() <= 253
            && labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        if !ok {
            self.fail(
                field,
                UserErrorCode::Invalid,
                "enter a domain name such as crm.example.com",
            );
        }
        v
    }

    /// An IANA time zone name (`UTC`, `Europe/Paris`, `America/Argentina/Salta`).
    pub fn timezone(&mut self, field: &str, value: &str) -> String {
        let v = value.trim();
        let ok = v == "UTC"
            || (v.len() <= 64
                && v.contains('/')
                && v.split('/').all(|p| {
                    !p.is_empty()
                        && p.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"_-+".contains(&b))
                        && p.as_bytes()[0].is_ascii_uppercase()
                }));
        if !ok {
            self.fail(
                field,
                UserErrorCode::Invalid,
                "enter a time zone such as UTC or Europe/Paris",
            );
        }
        v.to_owned()
    }

    /// An ISO 4217 currency code (three letters, stored uppercase).
    pub fn currency(&mut self, field: &str, value: &str) -> String {
        let v = value.trim().to_uppercase();
        if v.len() != 3 || !v.bytes().all(|b| b.is_ascii_uppercase()) {
            self.fail(
                field,
                UserErrorCode::Invalid,
                "enter a three-letter currency code",
            );
        }
        v
    }

    /// An amount of money in minor units, not negative.
    pub fn amount(&mut self, field: &str, value: i64) -> i64 {
        if value < 0 {
            self.fail(
                field,
                UserErrorCode::Invalid,
                "the amount cannot be negative",
            );
        }
        value
    }

    /// An email address (lowercased).
    pub fn email(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        let v = value
            .map(str::trim)
            .filter(|v| !v.is_empty())?
            .to_lowercase();
        if v.len() > 254 || !email_address::EmailAddress::is_valid(&v) {
            self.fail(field, UserErrorCode::Invalid, "enter a valid email address");
        }
        Some(v)
    }

    /// An http(s) URL.
    pub fn url(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        let v = value.map(str::trim).filter(|v| !v.is_empty())?;
        if !is_http_url(v) {
            self.fail(field, UserErrorCode::Invalid, "enter an http or https URL");
        }
        Some(v.to_owned())
    }

    /// A colour `#rrggbb` (stored lowercase).
    pub fn color(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        let v = value
            .map(str::trim)
            .filter(|v| !v.is_empty())?
            .to_lowercase();
        if v.len() != 7 || !v.starts_with('#') || !v[1..].bytes().all(|b| b.is_ascii_hexdigit()) {
            self.fail(field, UserErrorCode::Invalid, "enter a colour as #rrggbb");
        }
        Some(v)
    }

    /// Ends the check: the user errors, if any.
    pub fn finish(self) -> Result<(), kernel::Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(kernel::Error::User(self.0))
        }
    }
}

/// A slug made from a name (`Acme Dental, Inc.` -> `acme-dental-inc`).
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out: String = out.trim_end_matches('-').chars().take(63).collect();
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        "account".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_domains_timezones() {
        assert_eq!(slugify("Acme Dental, Inc."), "acme-dental-inc");
        assert_eq!(slugify("  ***  "), "account");
        let mut c = Check::default();
        assert_eq!(c.slug("s", "Acme-1"), "acme-1");
        assert_eq!(c.domain("d", "CRM.Example.com."), "crm.example.com");
        assert_eq!(c.timezone("t", "Europe/Paris"), "Europe/Paris");
        assert_eq!(c.currency("c", "eur"), "EUR");
        assert!(c.0.is_empty());
        c.slug("s", "-bad");
        c.domain("d", "localhost");
        c.timezone("t", "paris");
        c.currency("c", "EURO");
        c.amount("a", -1);
        c.url("u", Some("javascript:alert(1)"));
        assert_eq!(c.0.len(), 6);
    }
}
