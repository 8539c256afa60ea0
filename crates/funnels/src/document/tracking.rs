//! A funnel's tracking: the analytics tags a page may carry, typed (an id per provider, never a
//! pasted snippet), rendered by Canopy, and let through the page's policy by the hash of each
//! inline script Canopy writes, so user content still runs no script.
//!
//! Only while the sub-account has opted in (`service::tracking`) are they rendered.

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The policy every page is served with when it carries no tracking: no script runs.
pub const BASE_POLICY: &str = "default-src 'none'; img-src http: https: data:; media-src http: https:; \
style-src 'unsafe-inline'; frame-src https://www.youtube-nocookie.com https://player.vimeo.com; \
form-action 'self'; base-uri 'none'";

/// The tags of a funnel's pages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tracking {
    /// A Google Analytics 4 measurement id (`G-XXXXXXXXXX`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub google_analytics_id: Option<String>,
    /// A Meta (Facebook) Pixel id (digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta_pixel_id: Option<String>,
}

/// Whether `id` is a Google Analytics 4 measurement id.
pub fn is_google_analytics_id(id: &str) -> bool {
    id.len() >= 6
        && id.len() <= 20
        && id.starts_with("G-")
        && id[2..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Whether `id` is a Meta Pixel id.
pub fn is_meta_pixel_id(id: &str) -> bool {
    (6..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

impl Tracking {
    /// Whether it carries no tag.
    pub fn is_empty(&self) -> bool {
        self.google_analytics_id.is_none() && self.meta_pixel_id.is_none()
    }

    /// The inline scripts, each as written into the page (the ids were checked when saved,
    /// and are checked again: an id of the wrong shape writes nothing).
    fn inline_scripts(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(id) = self
            .google_analytics_id
            .as_deref()
            .filter(|i| is_google_analytics_id(i))
        {
            // The loader is added by this (hashed) script, so the policy needs no host list.
            out.push(format!(
                "(function(d){{var s=d.createElement('script');s.async=true;\
                 s.src='https://www.googletagmanager.com/gtag/js?id={id}';d.head.appendChild(s)}})\
                 (document);window.dataLayer=window.dataLayer||[];\
                 function gtag(){{dataLayer.push(arguments);}}gtag('js',new Date());\
                 gtag('config','{id}');"
            ));
        }
        if let Some(id) = self
            .meta_pixel_id
            .as_deref()
            .filter(|i| is_meta_pixel_id(i))
        {
            out.push(format!(
                "!function(f,b,e,v,n,t,s){{if(f.fbq)return;n=f.fbq=function(){{n.callMethod?\
                 n.callMethod.apply(n,arguments):n.queue.push(arguments)}};if(!f._fbq)f._fbq=n;\
                 n.push=n;n.loaded=!0;n.version='2.0';n.queue=[];t=b.createElement(e);t.async=!0;\
                 t.src=v;s=b.getElementsByTagName(e)[0];s.parentNode.insertBefore(t,s)}}(window,\
                 document,'script','https://connect.facebook.net/en_US/fbevents.js');\
                 fbq('init','{id}');fbq('track','PageView');"
            ));
        }
        out
    }

    /// What goes into the page's `<head>`.
    pub fn head(&self) -> String {
        let mut out = String::new();
        for s in self.inline_scripts() {
            out.push_str("<script>");
            out.push_str(&s);
            out.push_str("</script>");
        }
        out
    }

    /// The page's policy: [`BASE_POLICY`], plus exactly Canopy's inline scripts (by hash) with
    /// `'strict-dynamic'` (the scripts they add may run; a script element anything else put on
    /// the page may not, whatever its host), and the providers' hosts to send to.
    pub fn policy(&self) -> String {
        let mut connect = Vec::new();
        if self.google_analytics_id.is_some() {
            connect.extend([
                "https://*.google-analytics.com",
                "https://*.analytics.google.com",
                "https://www.googletagmanager.com",
            ]);
        }
        if self.meta_pixel_id.is_some() {
            connect.push("https://www.facebook.com");
        }
        let hashes: Vec<String> = self
            .inline_scripts()
            .iter()
            .map(|s| {
                let digest = Sha256::digest(s.as_bytes());
                format!(
                    "'sha256-{}'",
                    base64::engine::general_purpose::STANDARD.encode(digest)
                )
            })
            .collect();
        format!(
            "{BASE_POLICY}; script-src {} 'strict-dynamic'; connect-src {}",
            hashes.join(" "),
            connect.join(" ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_by_shape() {
        assert!(is_google_analytics_id("G-ABC123XYZ9"));
        assert!(!is_google_analytics_id("G-abc'</script>"));
        assert!(is_meta_pixel_id("123456789012345"));
        assert!(!is_meta_pixel_id("12345x"));
    }

    #[test]
    fn the_policy_lets_through_only_what_is_written() {
        let t = Tracking {
            google_analytics_id: Some("G-ABC123".into()),
            meta_pixel_id: None,
        };
        let head = t.head();
        let inline = head
            .split("<script>")
            .nth(1)
            .and_then(|s| s.split("</script>").next())
            .expect("an inline script");
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(inline));
        let policy = t.policy();
        let scripts = policy
            .split("; ")
            .find(|d| d.starts_with("script-src"))
            .expect("a script-src");
        assert!(scripts.contains(&format!("'sha256-{hash}'")), "{policy}");
        assert!(!scripts.contains("unsafe"), "{policy}");
    }
}
