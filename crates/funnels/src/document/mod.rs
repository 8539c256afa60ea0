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

/// Reads a stored document (already checked when it was saved).
pub fn stored(value: &serde_json::Value) -> Document {
    serde_json::from_value(value.clone()).unwrap_or_else(|_| Document::empty())
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
    }
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
