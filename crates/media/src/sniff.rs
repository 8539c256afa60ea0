//! What a file is, from its bytes (`infer`'s magic numbers), never from the client's claim.

/// The types the library accepts: what `infer` calls them, and how to name them to a person.
pub const ACCEPTED: &[(&str, &str)] = &[
    ("image/png", "a PNG image"),
    ("image/jpeg", "a JPEG image"),
    ("image/gif", "a GIF image"),
    ("image/webp", "a WebP image"),
    ("image/avif", "an AVIF image"),
    ("image/vnd.microsoft.icon", "an icon (ICO)"),
    ("application/pdf", "a PDF document"),
    ("video/mp4", "an MP4 video"),
    ("video/webm", "a WebM video"),
    ("audio/mpeg", "an MP3 audio file"),
];

/// What the bytes are, if the library accepts them: `(media type, description)`.
pub fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    let kind = infer::get(bytes)?;
    ACCEPTED
        .iter()
        .copied()
        .find(|(mime, _)| *mime == kind.mime_type())
}

/// What the bytes are, in words, whether accepted or not ("a ZIP archive (application/zip)").
pub fn describe(bytes: &[u8]) -> String {
    match infer::get(bytes) {
        Some(k) => format!("{} ({})", k.extension().to_ascii_uppercase(), k.mime_type()),
        None => "of no type recognised".to_owned(),
    }
}

/// A declared media type in the form [`ACCEPTED`] uses: lower case, no parameters, common
/// aliases folded (`image/jpg` is `image/jpeg`). `None` for a claim that says nothing
/// (`application/octet-stream`, empty).
pub fn normalize_declared(declared: &str) -> Option<String> {
    let t = declared
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let t = match t.as_str() {
        "" | "application/octet-stream" | "binary/octet-stream" => return None,
        "image/jpg" | "image/pjpeg" => "image/jpeg".to_owned(),
        "image/x-icon" | "image/ico" => "image/vnd.microsoft.icon".to_owned(),
        "image/x-png" => "image/png".to_owned(),
        "audio/mp3" => "audio/mpeg".to_owned(),
        _ => t,
    };
    Some(t)
}

/// An image's width and height from its header, if it is an image.
pub fn dimensions(bytes: &[u8]) -> Option<(i32, i32)> {
    let size = imagesize::blob_size(bytes).ok()?;
    Some((
        i32::try_from(size.width).ok()?,
        i32::try_from(size.height).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x02\0\0\0\x03\x08\x02\0\0\0";

    #[test]
    fn a_png_is_a_png_whatever_it_is_called() {
        assert_eq!(sniff(PNG).map(|s| s.0), Some("image/png"));
        assert_eq!(dimensions(PNG), Some((2, 3)));
    }

    #[test]
    fn a_script_is_not_accepted() {
        assert_eq!(sniff(b"<script>alert(1)</script>"), None);
        assert_eq!(sniff(b"PK\x03\x04zip"), None);
    }

    #[test]
    fn declared_types_are_folded() {
        assert_eq!(
            normalize_declared("IMAGE/JPG; q=1").as_deref(),
            Some("image/jpeg")
        );
        assert_eq!(normalize_declared("application/octet-stream"), None);
    }
}
