//! Server-side rendering of a published page: the block tree as HTML, with every piece of text
//! escaped and custom HTML cleaned again (a document stored before a sanitizer change is still
//! safe). No script is emitted; the gateway's `Content-Security-Policy` forbids scripts too.

use super::{Block, Document, clean_html, safe_url};
use std::fmt::Write;

/// What a page needs besides its blocks.
pub struct PageFrame<'a> {
    /// The funnel's name (the title's suffix).
    pub site_name: &'a str,
    /// The page's own title (its SEO title, or its name).
    pub title: &'a str,
    /// The meta description.
    pub description: Option<&'a str>,
    /// The favicon's URL.
    pub favicon: Option<&'a str>,
    /// The funnel's tracking tags, when the sub-account allows them.
    pub tracking: Option<&'a super::tracking::Tracking>,
    /// A website's navigation: (label, path) of its published pages.
    pub navigation: &'a [(String, String)],
}

/// Escapes text for HTML content and quoted attribute values.
pub fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

const STYLE: &str = "body{margin:0;font-family:system-ui,-apple-system,sans-serif;line-height:1.5;color:#1f2933}\
nav{display:flex;gap:1rem;padding:1rem 2rem;border-bottom:1px solid #e4e7eb}nav a{color:inherit}\
section{padding:2rem}.row{display:flex;flex-wrap:wrap;gap:1rem}.col{flex:1 1 0;min-width:12rem}\
img,video,iframe{max-width:100%}iframe{aspect-ratio:16/9;width:100%;border:0}\
.btn{display:inline-block;padding:.6rem 1.2rem;border-radius:.4rem;text-decoration:none;background:#2563eb;color:#fff}\
.btn.secondary{background:#e4e7eb;color:#1f2933}.countdown{font-weight:600}\
form label{display:block;margin:.5rem 0}form input:not([type=checkbox]),form textarea{display:block;width:100%;max-width:28rem;padding:.4rem}\
form button{padding:.6rem 1.2rem;border:0;border-radius:.4rem;background:#2563eb;color:#fff}.hp{position:absolute;left:-10000px}";

/// Stands in the rendered HTML for each form's fill-time token, which is put in per request
/// (the cached page is the same for everyone).
pub const FORM_TOKEN: &str = "__canopy_form_token__";

/// The name of the hidden field a form sends its key in.
pub const FORM_KEY_FIELD: &str = "_form";
/// The name of the hidden field a form sends its fill-time token in.
pub const FORM_TOKEN_FIELD: &str = "_t";
/// The name of the field people leave empty and form-filling robots do not.
pub const HONEYPOT_FIELD: &str = "_hp";
/// The name of a form's consent checkbox.
pub const CONSENT_FIELD: &str = "_consent";

/// The whole HTML page.
pub fn page(frame: &PageFrame<'_>, doc: &Document) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str("<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>");
    escape(&mut out, frame.title);
    if frame.title != frame.site_name {
        out.push_str(" · ");
        escape(&mut out, frame.site_name);
    }
    out.push_str("</title>");
    if let Some(d) = frame.description {
        out.push_str("<meta name=\"description\" content=\"");
        escape(&mut out, d);
        out.push_str("\">");
    }
    if let Some(f) = frame.favicon.filter(|f| safe_url(f)) {
        out.push_str("<link rel=\"icon\" href=\"");
        escape(&mut out, f);
        out.push_str("\">");
    }
    if let Some(t) = frame.tracking {
        out.push_str(&t.head());
    }
    let _ = write!(out, "<style>{STYLE}</style></head><body>");
    if !frame.navigation.is_empty() {
        out.push_str("<nav>");
        for (label, path) in frame.navigation {
            out.push_str("<a href=\"");
            escape(&mut out, path);
            out.push_str("\">");
            escape(&mut out, label);
            out.push_str("</a>");
        }
        out.push_str("</nav>");
    }
    out.push_str("<main>");
    blocks(&mut out, &doc.blocks);
    out.push_str("</main></body></html>");
    out
}

/// The page a visitor gets for a path no published page has.
pub fn not_found() -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Page not found</title><style>{STYLE}</style></head>\
         <body><main><section><h1>Page not found</h1><p>There is no page at this address.</p></section></main></body></html>"
    )
}

fn blocks(out: &mut String, list: &[Block]) {
    for b in list {
        block(out, b);
    }
}

fn link_open(out: &mut String, href: &str, class: Option<&str>) {
    out.push_str("<a href=\"");
    escape(out, href);
    out.push('"');
    if let Some(c) = class {
        let _ = write!(out, " class=\"{c}\"");
    }
    if href.starts_with("http://") || href.starts_with("https://") {
        out.push_str(" rel=\"noopener noreferrer\"");
    }
    out.push('>');
}

fn block(out: &mut String, b: &Block) {
    match b {
        Block::Section(s) => {
            out.push_str("<section");
            if let Some(bg) = s.background.as_deref().filter(|c| super::is_colour(c)) {
                out.push_str(" style=\"background:");
                escape(out, bg);
                out.push('"');
            }
            out.push('>');
            blocks(out, &s.children);
            out.push_str("</section>");
        }
        Block::Row(r) => {
            out.push_str("<div class=\"row\">");
            blocks(out, &r.children);
            out.push_str("</div>");
        }
        Block::Column(c) => {
            match c.width {
                Some(w) => {
                    let _ = write!(out, "<div class=\"col\" style=\"flex:{w} {w} 0\">");
                }
                None => out.push_str("<div class=\"col\">"),
            }
            blocks(out, &c.children);
            out.push_str("</div>");
        }
        Block::Heading(h) => {
            let level = h.level.clamp(1, 6);
            let _ = write!(out, "<h{level}>");
            escape(out, &h.text);
            let _ = write!(out, "</h{level}>");
        }
        Block::Text(t) => {
            for para in t.text.split("\n\n").filter(|p| !p.trim().is_empty()) {
                out.push_str("<p>");
                for (i, line) in para.lines().enumerate() {
                    if i > 0 {
                        out.push_str("<br>");
                    }
                    escape(out, line);
                }
                out.push_str("</p>");
            }
        }
        Block::Image(im) => {
            if !safe_url(&im.src) {
                return;
            }
            let href = im.href.as_deref().filter(|h| safe_url(h));
            if let Some(h) = href {
                link_open(out, h, None);
            }
            out.push_str("<img src=\"");
            escape(out, &im.src);
            out.push_str("\" alt=\"");
            escape(out, &im.alt);
            out.push_str("\" loading=\"lazy\">");
            if href.is_some() {
                out.push_str("</a>");
            }
        }
        Block::Video(v) => match embed(&v.url) {
            Some(src) => {
                out.push_str("<iframe src=\"");
                escape(out, &src);
                out.push_str("\" allow=\"fullscreen; picture-in-picture\" loading=\"lazy\" title=\"Video\"></iframe>");
            }
            None if safe_url(&v.url) => {
                out.push_str("<video controls preload=\"metadata\" src=\"");
                escape(out, &v.url);
                out.push_str("\"></video>");
            }
            None => {}
        },
        Block::Button(btn) => {
            if !safe_url(&btn.href) {
                return;
            }
            let class = match btn.style {
                Some(super::ButtonStyle::Secondary) => "btn secondary",
                _ => "btn",
            };
            out.push_str("<p>");
            link_open(out, &btn.href, Some(class));
            escape(out, &btn.label);
            out.push_str("</a></p>");
        }
        Block::Countdown(c) => {
            out.push_str("<p class=\"countdown\">");
            if let Some(l) = &c.label {
                escape(out, l);
                out.push_str(": ");
            }
            let _ = write!(
                out,
                "ends <time datetime=\"{}\">{}</time></p>",
                c.until.to_rfc3339(),
                c.until.format("%B %-d, %Y, %H:%M UTC")
            );
        }
        Block::CustomHtml(h) => {
            out.push_str("<div class=\"custom\">");
            out.push_str(&clean_html(&h.html));
            out.push_str("</div>");
        }
        Block::Form(f) => form(out, f),
    }
}

/// A form posting to the page's own address (no `action`: the browser uses the page's URL),
/// with its key, its fill-time token and a honeypot field hidden from people.
fn form(out: &mut String, f: &super::Form) {
    use super::FieldKind;
    out.push_str("<form method=\"post\" accept-charset=\"utf-8\"><input type=\"hidden\" name=\"");
    out.push_str(FORM_KEY_FIELD);
    out.push_str("\" value=\"");
    escape(out, &f.key);
    let _ = write!(
        out,
        "\"><input type=\"hidden\" name=\"{FORM_TOKEN_FIELD}\" value=\"{FORM_TOKEN}\">\
         <div class=\"hp\" aria-hidden=\"true\"><label>Leave this empty \
         <input type=\"text\" name=\"{HONEYPOT_FIELD}\" tabindex=\"-1\" autocomplete=\"off\"></label></div>"
    );
    for field in &f.fields {
        let required = if field.required { " required" } else { "" };
        out.push_str("<label>");
        if field.kind == FieldKind::Checkbox {
            out.push_str("<input type=\"checkbox\" value=\"yes\" name=\"");
            escape(out, &field.name);
            let _ = write!(out, "\"{required}> ");
            escape(out, &field.label);
            out.push_str("</label>");
            continue;
        }
        escape(out, &field.label);
        if field.kind == FieldKind::Textarea {
            out.push_str("<textarea name=\"");
            escape(out, &field.name);
            let _ = write!(
                out,
                "\" rows=\"4\" maxlength=\"{}\"{required}></textarea></label>",
                super::MAX_FIELD_VALUE
            );
            continue;
        }
        let (kind, auto) = match (field.kind, field.contact) {
            (FieldKind::Email, _) => ("email", "email"),
            (FieldKind::Phone, _) => ("tel", "tel"),
            (_, Some(super::ContactProperty::FirstName)) => ("text", "given-name"),
            (_, Some(super::ContactProperty::LastName)) => ("text", "family-name"),
            (_, Some(super::ContactProperty::Company)) => ("text", "organization"),
            (_, Some(super::ContactProperty::AddressLine1)) => ("text", "address-line1"),
            (_, Some(super::ContactProperty::City)) => ("text", "address-level2"),
            (_, Some(super::ContactProperty::Region)) => ("text", "address-level1"),
            (_, Some(super::ContactProperty::PostalCode)) => ("text", "postal-code"),
            (_, Some(super::ContactProperty::Country)) => ("text", "country"),
            _ => ("text", "off"),
        };
        let _ = write!(
            out,
            "<input type=\"{kind}\" autocomplete=\"{auto}\" name=\""
        );
        escape(out, &field.name);
        let _ = write!(
            out,
            "\" maxlength=\"{}\"{required}></label>",
            super::MAX_FIELD_VALUE
        );
    }
    if let Some(c) = &f.consent {
        let required = if c.required { " required" } else { "" };
        let _ = write!(
            out,
            "<label><input type=\"checkbox\" name=\"{CONSENT_FIELD}\" value=\"yes\"{required}> "
        );
        escape(out, &c.statement);
        out.push_str("</label>");
    }
    out.push_str("<button type=\"submit\">");
    escape(out, &f.submit_label);
    out.push_str("</button></form>");
}

/// The page that sends a visitor on to `url` on another site after a form (a refresh, no
/// script), with a link in case it does not.
pub fn moving_on(url: &str) -> String {
    let mut out = String::with_capacity(512);
    out.push_str("<!doctype html><html><head><meta charset=\"utf-8\">");
    if safe_url(url) {
        out.push_str("<meta http-equiv=\"refresh\" content=\"0;url=");
        escape(&mut out, url);
        out.push_str("\">");
    }
    let _ = write!(
        out,
        "<title>Thank you</title><style>{STYLE}</style></head><body><main><section><h1>Thank you</h1>"
    );
    if safe_url(url) {
        out.push_str("<p>");
        link_open(&mut out, url, None);
        out.push_str("Continue</a></p>");
    }
    out.push_str("</section></main></body></html>");
    out
}

/// The page a visitor sees after submitting a form (unless it redirects), or when the
/// submission needs correcting (`problems`: what to fix, shown as a list).
pub fn form_answer(site_name: &str, message: &str, problems: &[String], back: &str) -> String {
    let mut out = String::with_capacity(1024);
    let _ = write!(
        out,
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>"
    );
    escape(&mut out, site_name);
    let _ = write!(
        out,
        "</title><style>{STYLE}</style></head><body><main><section><h1>"
    );
    escape(&mut out, message);
    out.push_str("</h1>");
    if !problems.is_empty() {
        out.push_str("<ul>");
        for p in problems {
            out.push_str("<li>");
            escape(&mut out, p);
            out.push_str("</li>");
        }
        out.push_str("</ul>");
    }
    if safe_url(back) {
        out.push_str("<p>");
        link_open(&mut out, back, None);
        out.push_str("Back to the page</a></p>");
    }
    out.push_str("</section></main></body></html>");
    out
}

/// The privacy-friendly embed URL of a YouTube or Vimeo link.
fn embed(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    let id_ok = |id: &str| {
        !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if let Some(q) = rest.strip_prefix("youtube.com/watch?") {
        let id = q.split('&').find_map(|kv| kv.strip_prefix("v="))?;
        return id_ok(id).then(|| format!("https://www.youtube-nocookie.com/embed/{id}"));
    }
    if let Some(id) = rest.strip_prefix("youtu.be/") {
        let id = id.split(['?', '#']).next().unwrap_or("");
        return id_ok(id).then(|| format!("https://www.youtube-nocookie.com/embed/{id}"));
    }
    if let Some(id) = rest.strip_prefix("vimeo.com/") {
        let id = id.split(['?', '#', '/']).next().unwrap_or("");
        return (id_ok(id) && id.bytes().all(|b| b.is_ascii_digit()))
            .then(|| format!("https://player.vimeo.com/video/{id}"));
    }
    None
}
