//! Thumbnails: an image's small copy (at most 320×320, a JPEG), made by the `image` crate in the
//! background (`crate::work`), once per content.

use std::io::Cursor;

/// The longest side of a thumbnail, in pixels.
pub const SIZE: u32 = 320;

/// The largest image a thumbnail is made of, in pixels (its size is read at upload).
pub const MAX_PIXELS: i64 = 40_000_000;

/// One decode at a time per replica: each may take up to its memory limit.
pub(crate) static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// Whether files of this type get a thumbnail.
pub fn makes(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

/// The thumbnail of an image's bytes: decoded within limits (at most 12,000 pixels a side and
/// 256 MiB for the image; callers also skip images over [`MAX_PIXELS`] and decode one at a
/// time, [`DECODES`]), scaled to fit [`SIZE`], laid on white (JPEG has no transparency),
/// encoded at quality 80.
pub fn make(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("unreadable image: {e}"))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(12_000);
    limits.max_image_height = Some(12_000);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| format!("undecodable image: {e}"))?;
    let small = img.thumbnail(SIZE, SIZE).to_rgba8();
    let mut flat = image::RgbImage::new(small.width(), small.height());
    for (x, y, p) in small.enumerate_pixels() {
        let [r, g, b, a] = p.0;
        let over = |c: u8| {
            let c = u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a));
            u8::try_from(c / 255).unwrap_or(u8::MAX)
        };
        flat.put_pixel(x, y, image::Rgb([over(r), over(g), over(b)]));
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&flat)
        .map_err(|e| format!("encoding the thumbnail: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_image_is_scaled_to_fit() {
        let img = image::RgbaImage::from_pixel(800, 400, image::Rgba([10, 200, 30, 128]));
        let mut png = Vec::new();
        img.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("png");
        let thumb = make(&png).expect("a thumbnail");
        let back = image::load_from_memory(&thumb).expect("a jpeg");
        assert_eq!((back.width(), back.height()), (320, 160));
    }

    #[test]
    fn bytes_that_are_no_image_fail_cleanly() {
        assert!(make(b"\x89PNG\r\n\x1a\nnot really").is_err());
    }
}
