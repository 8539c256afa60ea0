use super::*;
use serde_json::json;

fn errors(v: serde_json::Value) -> Vec<UserError> {
    match parse(v) {
        Err(Error::User(e)) => e,
        other => panic!("expected user errors, got {other:?}"),
    }
}

#[test]
fn an_unknown_block_type_names_its_path() {
    let e = errors(json!({"schemaVersion": 1, "blocks": [
        {"type": "section", "children": [{"type": "marquee", "text": "hi"}]}
    ]}));
    assert_eq!(e[0].field.join("."), "input.document.blocks[0].children[0]");
    assert!(e[0].message.contains("marquee"), "{}", e[0].message);
}

#[test]
fn an_unknown_field_is_refused() {
    let e = errors(json!({"schemaVersion": 1, "blocks": [
        {"type": "heading", "level": 1, "text": "hi", "onclick": "x()"}
    ]}));
    assert!(e[0].message.contains("onclick"), "{}", e[0].message);
}

#[test]
fn script_urls_are_refused_however_spelled() {
    for href in [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>",
        " javascript:x",
    ] {
        let e = errors(json!({"schemaVersion": 1, "blocks": [
            {"type": "button", "label": "Go", "href": href}
        ]}));
        assert_eq!(
            e[0].field.join("."),
            "input.document.blocks[0].href",
            "{href}"
        );
    }
    for ok in [
        "https://example.com/a?b=c:d",
        "/thanks",
        "#top",
        "mailto:a@b.c",
        "tel:+15551234",
    ] {
        assert!(safe_url(ok), "{ok}");
    }
}

#[test]
fn custom_html_loses_scripts_and_handlers_on_save() {
    let doc = parse(json!({"schemaVersion": 1, "blocks": [
        {"type": "customHtml", "html": "<p onclick=\"x()\">Hi<script>alert(1)</script><img src=x onerror=alert(1)><a href=\"javascript:alert(1)\">a</a></p>"}
    ]}))
    .expect("valid");
    let Block::CustomHtml(h) = &doc.blocks[0] else {
        panic!()
    };
    for bad in ["script", "onclick", "onerror", "javascript"] {
        assert!(!h.html.contains(bad), "{bad} left in {}", h.html);
    }
    assert!(h.html.contains("Hi"));
}

#[test]
fn a_row_holds_only_columns_and_nesting_is_bounded() {
    let e = errors(json!({"schemaVersion": 1, "blocks": [
        {"type": "row", "children": [{"type": "text", "text": "loose"}]}
    ]}));
    assert_eq!(e[0].field.join("."), "input.document.blocks[0].children[0]");
    let mut deep = json!({"type": "text", "text": "x"});
    for _ in 0..MAX_DEPTH {
        deep = json!({"type": "section", "children": [deep]});
    }
    let e = errors(json!({"schemaVersion": 1, "blocks": [deep]}));
    assert!(e[0].message.contains("nest"), "{}", e[0].message);
}

#[test]
fn a_future_or_missing_schema_version_is_refused() {
    for v in [
        json!({"blocks": []}),
        json!({"schemaVersion": 2, "blocks": []}),
        json!({"schemaVersion": 0, "blocks": []}),
    ] {
        let e = errors(v);
        assert_eq!(e[0].field.join("."), "input.document.schemaVersion");
    }
}

#[test]
fn the_json_schema_lists_every_block_type() {
    let schema = json_schema().to_string();
    for t in [
        "section",
        "row",
        "column",
        "heading",
        "text",
        "image",
        "video",
        "button",
        "countdown",
        "customHtml",
    ] {
        assert!(schema.contains(&format!("\"{t}\"")), "{t} missing");
    }
}

#[test]
fn rendering_escapes_text_and_embeds_videos_without_cookies() {
    let doc = parse(json!({"schemaVersion": 1, "blocks": [
        {"type": "heading", "level": 2, "text": "<b>\"x\"</b>"},
        {"type": "video", "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1"},
        {"type": "image", "src": "/a.png", "alt": "\" onerror=\"alert(1)"}
    ]}))
    .expect("valid");
    let frame = render::PageFrame {
        site_name: "S",
        title: "T",
        description: None,
        favicon: None,
        tracking: None,
        navigation: &[],
    };
    let html = render::page(&frame, &doc);
    assert!(
        html.contains("<h2>&lt;b&gt;&quot;x&quot;&lt;/b&gt;</h2>"),
        "{html}"
    );
    assert!(
        html.contains("youtube-nocookie.com/embed/dQw4w9WgXcQ\""),
        "{html}"
    );
    assert!(
        html.contains("alt=\"&quot; onerror=&quot;alert(1)\""),
        "{html}"
    );
}

#[test]
fn paths_of_slashes_alone_are_the_root_and_never_panic() {
    use crate::service::normalize_path;
    assert_eq!(normalize_path("//").as_deref(), Some("/"));
    assert_eq!(normalize_path("/").as_deref(), Some("/"));
    assert_eq!(normalize_path("/Offer/").as_deref(), Some("/offer"));
    assert_eq!(normalize_path("//x"), None);
    assert_eq!(normalize_path("/a b"), None);
}
