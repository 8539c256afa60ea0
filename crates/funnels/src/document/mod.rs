//! A page's content: a typed, versioned tree of blocks. Every save is parsed into [`Document`]
//! (unknown block types and unknown fields are refused with the path at fault), checked against
//! the limits below, and stored in its canonical form. The JSON Schema partners build editors
//! against is generated from the same types ([`json_schema`]), so it cannot drift from what is
//! accepted.
//!
//! Architecture Invariant: no script from user content can run on a rendered page. Links and
//! sources must be `http(s)`, `mailto:`, `tel:` or relative (`javascript:` and `data:` URLs are
//! refused on save); custom HTML is cleaned with `ammonia` on save and again when rendered; all
//! other text is escaped by the renderer ([`render`]).

pub mod render;
pub mod tracking;
mod upgrade;

use chrono::{DateTime, Utc};
use kernel::error::{Error, UserError, UserErrorCode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use upgrade::{CURRENT_VERSION, upgrade};

/// Most blocks in one document.
pub const MAX_BLOCKS: usize = 1_000;
/// Deepest nesting of blocks (a section is depth 1).
pub const MAX_DEPTH: usize = 8;
/// Largest document, as JSON.
pub const MAX_BYTES: usize = 512 * 1024;
/// Longest text of one block.
pub const MAX_TEXT: usize = 20_000;
/// Longest URL.
pub const MAX_URL: usize = 2_000;

/// A page's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Document {
    /// The schema version the document follows (the current one is 1). Older versions are
    /// upgraded on save.
    pub schema_version: u32,
    /// The top-level blocks, in order.
    pub blocks: Vec<Block>,
}

impl Document {
    /// An empty document in the current version.
    pub fn empty() -> Self {
        Self {
            schema_version: CURRENT_VERSION,
            blocks: Vec::new(),
        }
    }
}

/// One block of a page. `type` names which.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Block {
    /// A full-width band of the page.
    Section(Section),
    /// A row of columns.
    Row(Row),
    /// A column of a row (its children stack).
    Column(Column),
    /// A heading.
    Heading(Heading),
    /// Plain text; blank lines separate paragraphs.
    Text(Text),
    /// An image, optionally a link.
    Image(Image),
    /// A video: a YouTube or Vimeo link (embedded without cookies where offered) or a video file.
    Video(Video),
    /// A link styled as a button.
    Button(Button),
    /// A deadline, shown as the time left.
    Countdown(Countdown),
    /// A form: what a visitor enters becomes a contact in the CRM (see `service::form`).
    Form(Form),
    /// HTML of the author's own, cleaned of scripts, event handlers and unsafe URLs.
    CustomHtml(CustomHtml),
}

/// A full-width band of the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Section {
    /// Its blocks.
    #[serde(default)]
    pub children: Vec<Block>,
    /// A background colour, `#rgb` or `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
}

/// A row of columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Row {
    /// Its columns (only `column` blocks).
    #[serde(default)]
    pub children: Vec<Block>,
}

/// A column of a row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Column {
    /// Its width in twelfths of the row (1 to 12); omitted: an equal share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u8>,
    /// Its blocks.
    #[serde(default)]
    pub children: Vec<Block>,
}

/// A heading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Heading {
    /// 1 (largest) to 6.
    pub level: u8,
    /// The text.
    pub text: String,
}

/// Plain text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Text {
    /// The text; blank lines separate paragraphs.
    pub text: String,
}

/// An image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Image {
    /// Where the image is (an `http(s)` URL or a path).
    pub src: String,
    /// What it shows, for people who cannot see it.
    #[serde(default)]
    pub alt: String,
    /// Where a click leads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
}

/// A video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Video {
    /// A YouTube or Vimeo link, or the URL of a video file.
    pub url: String,
}

/// How a button looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ButtonStyle {
    /// The page's main call to action.
    Primary,
    /// A quieter one.
    Secondary,
}

/// A link styled as a button.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Button {
    /// Its label.
    pub label: String,
    /// Where it leads.
    pub href: String,
    /// Its look (default: primary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<ButtonStyle>,
}

/// A deadline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Countdown {
    /// When it ends (RFC 3339).
    pub until: DateTime<Utc>,
    /// What ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// Most fields of one form.
pub const MAX_FORM_FIELDS: usize = 30;
/// Longest value a visitor may enter in one form field.
pub const MAX_FIELD_VALUE: usize = 5_000;

/// A form. A submission creates or fills in the sub-account's contact with its email address
/// (else its phone number), records the consent given and the submission, and raises
/// `form.submitted`, all at once. A form needs a field for the email address or the phone
/// number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Form {
    /// Names the form in its submissions: 1 to 40 letters, digits and hyphens, unique on the
    /// page.
    pub key: String,
    /// Its fields, in order (1 to 30).
    pub fields: Vec<FormField>,
    /// The submit button's label.
    pub submit_label: String,
    /// What the visitor sees after submitting (default: "Thank you.").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_message: Option<String>,
    /// Where the visitor goes after submitting instead (an `http(s)` URL or a path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect: Option<String>,
    /// A consent checkbox: ticking it records the contact's consent for its channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<FormConsent>,
}

/// What kind of value a form field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// Several lines of text.
    Textarea,
    /// An email address.
    Email,
    /// A phone number with its country code.
    Phone,
    /// A yes/no box.
    Checkbox,
}

/// Where a field's value goes on the contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ContactProperty {
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// Email address (a field of kind `email`).
    Email,
    /// Phone number (a field of kind `phone`).
    Phone,
    /// Company.
    Company,
    /// Street and number.
    AddressLine1,
    /// City.
    City,
    /// State, province or region.
    Region,
    /// Postal code.
    PostalCode,
    /// Two-letter country code.
    Country,
}

/// A field of a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FormField {
    /// Its name in the submission: 1 to 40 letters, digits and underscores, unique in the form
    /// (names starting with `_` are Canopy's).
    pub name: String,
    /// Its label.
    pub label: String,
    /// What it takes.
    pub kind: FieldKind,
    /// Whether the visitor must fill it in (a checkbox: tick it).
    #[serde(default)]
    pub required: bool,
    /// Where its value goes on the contact; omitted: the submission keeps it alone. Each
    /// property is taken by one field at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactProperty>,
}

/// A channel a consent checkbox covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ConsentChannel {
    /// Email.
    Email,
    /// Text messages.
    Sms,
    /// Phone calls.
    Calls,
}

/// A consent checkbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FormConsent {
    /// The statement the visitor agrees to by ticking the box (recorded with the consent).
    pub statement: String,
    /// The channels it covers (at least one).
    pub channels: Vec<ConsentChannel>,
    /// Whether the form cannot be sent without it.
    #[serde(default)]
    pub required: bool,
}

/// HTML of the author's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomHtml {
    /// The HTML; scripts, styles, event handlers and unsafe URLs are removed on save.
    pub html: String,
}

/// The JSON Schema of [`Document`] (draft 2020-12).
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Document)).unwrap_or_default()
}

fn invalid(path: &str, message: impl Into<String>) -> UserError {
    let field = if path.is_empty() {
        "input.document".to_owned()
    } else {
        format!("input.document.{path}")
    };
    UserError::new(&field, UserErrorCode::Invalid, message)
}

/// Parses and checks a document as a client sent it, upgrading an older schema version, and
/// returns it in canonical form (custom HTML cleaned). Every problem is a `userErrors` entry
/// whose field ends with the path at fault (`input.document.blocks[0].children[2]`).
pub fn parse(value: serde_json::Value) -> Result<Document, Error> {
    let size = serde_json::to_vec(&value).map(|v| v.len()).unwrap_or(0);
    if size > MAX_BYTES {
        return Err(Error::User(vec![UserError::new(
            "input.document",
            UserErrorCode::TooLong,
            format!("a page is at most {} KiB as JSON", MAX_BYTES / 1024),
        )]));
    }
    let value = upgrade(value).map_err(|m| Error::User(vec![invalid("schemaVersion", m)]))?;
    let mut doc: Document = match serde_path_to_error::deserialize(&value) {
        Ok(d) => d,
        Err(e) => {
            // A block's own error is found by walking down to the deepest block that fails:
            // serde reports an internally tagged block's error without its inner path.
            let (path, message) = value
                .get("blocks")
                .and_then(|b| locate(b, "blocks"))
                .unwrap_or_else(|| {
                    let path = e.path().to_string();
                    let path = if path == "." { String::new() } else { path };
                    (path, e.into_inner().to_string())
                });
            return Err(Error::User(vec![invalid(&path, message)]));
        }
    };
    let mut errors = Vec::new();
    let mut count = 0;
    check_blocks(&mut doc.blocks, "blocks", 1, None, &mut count, &mut errors);
    let mut keys = std::collections::HashSet::new();
    if forms(&doc).iter().any(|f| !keys.insert(f.key.as_str())) {
        errors.push(invalid("blocks", "two forms of the page have the same key"));
    }
    if count > MAX_BLOCKS {
        errors.push(UserError::new(
            "input.document",
            UserErrorCode::TooLong,
            format!("a page has at most {MAX_BLOCKS} blocks"),
        ));
    }
    if errors.is_empty() {
        Ok(doc)
    } else {
        errors.truncate(20);
        Err(Error::User(errors))
    }
}

/// The path and error of the deepest block under `blocks` that does not parse.
fn locate(blocks: &serde_json::Value, path: &str) -> Option<(String, String)> {
    for (i, b) in blocks.as_array()?.iter().enumerate() {
        let at = format!("{path}[{i}]");
        if let Err(e) = serde_json::from_value::<Block>(b.clone()) {
            return b
                .get("children")
                .and_then(|c| locate(c, &format!("{at}.children")))
                .or(Some((at, e.to_string())));
        }
    }
    None
}

/// Reads a stored document (checked when it was saved), upgraded to the current version. A
/// document that cannot be read is Canopy's fault (an upgrade step or a type changed without
/// one): `INTERNAL`, logged with what failed, never a blank page.
pub fn stored(value: &serde_json::Value) -> Result<Document, Error> {
    let fail =
        |why: String| Error::internal(format!("a stored page document cannot be read: {why}"));
    let upgraded = upgrade(value.clone()).map_err(fail)?;
    serde_json::from_value(upgraded).map_err(|e| fail(e.to_string()))
}

fn check_blocks(
    blocks: &mut [Block],
    path: &str,
    depth: usize,
    parent: Option<&str>,
    count: &mut usize,
    errors: &mut Vec<UserError>,
) {
    if depth > MAX_DEPTH {
        errors.push(invalid(
            path,
            format!("blocks nest at most {MAX_DEPTH} deep"),
        ));
        return;
    }
    for (i, block) in blocks.iter_mut().enumerate() {
        *count += 1;
        let at = format!("{path}[{i}]");
        if parent == Some("row") && !matches!(block, Block::Column(_)) {
            errors.push(invalid(&at, "a row holds only column blocks"));
        }
        if matches!(block, Block::Column(_)) && parent != Some("row") {
            errors.push(invalid(&at, "a column belongs in a row"));
        }
        check_block(block, &at, depth, count, errors);
    }
}

fn check_block(
    block: &mut Block,
    at: &str,
    depth: usize,
    count: &mut usize,
    errors: &mut Vec<UserError>,
) {
    let text = |field: &str, value: &str, errors: &mut Vec<UserError>| {
        if value.chars().count() > MAX_TEXT {
            errors.push(invalid(
                &format!("{at}.{field}"),
                format!("at most {MAX_TEXT} characters"),
            ));
        }
    };
    match block {
        Block::Section(s) => {
            if let Some(c) = &s.background
                && !is_colour(c)
            {
                errors.push(invalid(
                    &format!("{at}.background"),
                    "a colour is #rgb or #rrggbb",
                ));
            }
            check_blocks(
                &mut s.children,
                &format!("{at}.children"),
                depth + 1,
                Some("section"),
                count,
                errors,
            );
        }
        Block::Row(r) => check_blocks(
            &mut r.children,
            &format!("{at}.children"),
            depth + 1,
            Some("row"),
            count,
            errors,
        ),
        Block::Column(c) => {
            if c.width.is_some_and(|w| !(1..=12).contains(&w)) {
                errors.push(invalid(&format!("{at}.width"), "a width is 1 to 12"));
            }
            check_blocks(
                &mut c.children,
                &format!("{at}.children"),
                depth + 1,
                Some("column"),
                count,
                errors,
            );
        }
        Block::Heading(h) => {
            if !(1..=6).contains(&h.level) {
                errors.push(invalid(&format!("{at}.level"), "a level is 1 to 6"));
            }
            text("text", &h.text, errors);
        }
        Block::Text(t) => text("text", &t.text, errors),
        Block::Image(im) => {
            check_url(&im.src, &format!("{at}.src"), errors);
            if let Some(h) = &im.href {
                check_url(h, &format!("{at}.href"), errors);
            }
            text("alt", &im.alt, errors);
        }
        Block::Video(v) => check_url(&v.url, &format!("{at}.url"), errors),
        Block::Button(b) => {
            check_url(&b.href, &format!("{at}.href"), errors);
            text("label", &b.label, errors);
        }
        Block::Countdown(c) => {
            if let Some(l) = &c.label {
                text("label", l, errors);
            }
        }
        Block::CustomHtml(h) => {
            text("html", &h.html, errors);
            h.html = clean_html(&h.html);
        }
        Block::Form(f) => check_form(f, at, errors),
    }
}

fn is_key(s: &str, max: usize, extra: u8) -> bool {
    (1..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == extra)
}

fn check_form(f: &Form, at: &str, errors: &mut Vec<UserError>) {
    let text = |field: &str, value: &str, max: usize, errors: &mut Vec<UserError>| {
        if value.trim().is_empty() || value.chars().count() > max {
            errors.push(invalid(
                &format!("{at}.{field}"),
                format!("1 to {max} characters"),
            ));
        }
    };
    if !is_key(&f.key, 40, b'-') {
        errors.push(invalid(
            &format!("{at}.key"),
            "a form's key is 1 to 40 letters, digits and hyphens",
        ));
    }
    text("submitLabel", &f.submit_label, 100, errors);
    if let Some(m) = &f.success_message {
        text("successMessage", m, 1_000, errors);
    }
    if let Some(r) = &f.redirect {
        check_url(r, &format!("{at}.redirect"), errors);
    }
    if let Some(c) = &f.consent {
        text("consent.statement", &c.statement, 1_000, errors);
        if c.channels.is_empty() {
            errors.push(invalid(
                &format!("{at}.consent.channels"),
                "name at least one channel",
            ));
        }
    }
    if f.fields.is_empty() || f.fields.len() > MAX_FORM_FIELDS {
        errors.push(invalid(
            &format!("{at}.fields"),
            format!("a form has 1 to {MAX_FORM_FIELDS} fields"),
        ));
    }
    let mut names = std::collections::HashSet::new();
    let mut properties = std::collections::HashSet::new();
    for (i, field) in f.fields.iter().enumerate() {
        let fat = format!("fields[{i}]");
        if !is_key(&field.name, 40, b'_') || field.name.starts_with('_') {
            errors.push(invalid(
                &format!("{at}.{fat}.name"),
                "a field's name is 1 to 40 letters, digits and underscores, not starting with _",
            ));
        } else if !names.insert(field.name.as_str()) {
            errors.push(invalid(
                &format!("{at}.{fat}.name"),
                "another field of the form has this name",
            ));
        }
        text(&format!("{fat}.label"), &field.label, 200, errors);
        if let Some(p) = field.contact {
            if !properties.insert(p) {
                errors.push(invalid(
                    &format!("{at}.{fat}.contact"),
                    "another field of the form fills this property",
                ));
            }
            let fits = match p {
                ContactProperty::Email => field.kind == FieldKind::Email,
                ContactProperty::Phone => field.kind == FieldKind::Phone,
                _ => matches!(field.kind, FieldKind::Text | FieldKind::Textarea),
            };
            if !fits {
                errors.push(invalid(
                    &format!("{at}.{fat}.kind"),
                    "this kind of field cannot fill that property (email takes an email field, \
                     phone a phone field, the rest a text field)",
                ));
            }
        }
    }
    if !f.fields.is_empty()
        && !properties.contains(&ContactProperty::Email)
        && !properties.contains(&ContactProperty::Phone)
    {
        errors.push(invalid(
            &format!("{at}.fields"),
            "a form needs a field that fills the contact's email address or phone number",
        ));
    }
}

/// Every form of a document, in document order.
pub fn forms(doc: &Document) -> Vec<&Form> {
    fn walk<'a>(blocks: &'a [Block], out: &mut Vec<&'a Form>) {
        for b in blocks {
            match b {
                Block::Form(f) => out.push(f),
                Block::Section(Section { children, .. })
                | Block::Row(Row { children })
                | Block::Column(Column { children, .. }) => walk(children, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(&doc.blocks, &mut out);
    out
}

pub(crate) fn is_colour(c: &str) -> bool {
    let hex = c.strip_prefix('#').unwrap_or("");
    (hex.len() == 3 || hex.len() == 6) && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether a URL may appear in a link or a source: `http(s)`, `mailto:`, `tel:`, or relative.
/// Whitespace and control characters are refused outright (browsers drop them, which is how
/// `java\tscript:` gets through naive checks).
pub fn safe_url(url: &str) -> bool {
    if url.is_empty()
        || url.len() > MAX_URL
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return false;
    }
    let scheme_end = url.find(':');
    let first_delim = url.find(['/', '?', '#']);
    match scheme_end {
        Some(i) if first_delim.is_none_or(|d| i < d) => {
            let scheme = url[..i].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto" | "tel")
        }
        _ => true,
    }
}

fn check_url(url: &str, at: &str, errors: &mut Vec<UserError>) {
    if !safe_url(url) {
        errors.push(invalid(
            at,
            "a link must be an http(s), mailto: or tel: URL, or a path (no spaces)",
        ));
    }
}

/// Custom HTML as it may appear on a page: `ammonia`'s defaults (no script, style, event
/// handler, form or frame; only safe URL schemes; `rel="noopener noreferrer"` on links).
pub fn clean_html(html: &str) -> String {
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto", "tel"].into())
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests;
