//! Schema versions of a page document, and the upgrades between them.
//!
//! A document names the version it follows (`schemaVersion`). A change that would make a
//! stored or client-held document mean something else bumps [`CURRENT_VERSION`] and appends
//! one step to [`STEPS`] that rewrites a document of the version before into the new one
//! (JSON to JSON, so old clients' payloads and old drafts keep loading). Adding a block type
//! or an optional field is not such a change. Published versions keep the document as it was
//! published; they are upgraded when read, never rewritten.

use serde_json::Value;

/// The version new documents follow.
pub const CURRENT_VERSION: u32 = 1;

/// One upgrade: a document of version `n` into version `n + 1` (`STEPS[n - 1]`).
type Step = fn(Value) -> Result<Value, String>;

/// The upgrades, oldest first. Version 1 is the first: none yet.
const STEPS: [Step; (CURRENT_VERSION - 1) as usize] = [];

/// Brings a document of any known version to [`CURRENT_VERSION`]. A missing, unknown or future
/// version is an error a person can read.
pub fn upgrade(mut doc: Value) -> Result<Value, String> {
    let version = doc
        .get("schemaVersion")
        .ok_or("a page document needs its schemaVersion (the current one is 1)")?
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
        .filter(|v| (1..=CURRENT_VERSION).contains(v))
        .ok_or_else(|| {
            format!("unknown schemaVersion (the known ones are 1 to {CURRENT_VERSION})")
        })?;
    for step in STEPS.iter().skip(version as usize - 1) {
        doc = step(doc)?;
    }
    if let Some(v) = doc.get_mut("schemaVersion") {
        *v = CURRENT_VERSION.into();
    }
    Ok(doc)
}
