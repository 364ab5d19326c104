//! Text helpers for payloads: slicing by code point or byte offsets, HTML to plain text.

/// The characters `start..end` of `text`, counting Unicode code points (X entity offsets).
pub fn slice_code_points(text: &str, start: usize, end: usize) -> Option<&str> {
    if start > end {
        return None;
    }
    let mut indices = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()));
    let from = indices.nth(start)?;
    let to = if end == start {
        from
    } else {
        indices.nth(end - start - 1)?
    };
    text.get(from..to)
}

/// The bytes `start..end` of `text` (AT Protocol facets count UTF-8 bytes), when they fall on
/// character boundaries.
pub fn slice_bytes(text: &str, start: usize, end: usize) -> Option<&str> {
    text.get(start..end)
}

/// Plain text from the small HTML subset Mastodon sends (`<p>`, `<br>`, `<a>`, `<span>`):
/// paragraphs and line breaks become newlines, tags are dropped, entities decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            // A lone `<` is text.
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        let name = tag
            .trim_start_matches('/')
            .split([' ', '/'])
            .next()
            .unwrap_or("");
        match name {
            "br" => out.push('\n'),
            "p" if tag.starts_with('/') => out.push_str("\n\n"),
            _ => {}
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    let decoded = html_escape::decode_html_entities(&out);
    decoded.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_point_slices_survive_emoji_and_accents() {
        let t = "é🎉 @brand #Résultat";
        assert_eq!(slice_code_points(t, 3, 9), Some("@brand"));
        assert_eq!(slice_code_points(t, 10, 19), Some("#Résultat"));
        assert_eq!(slice_code_points(t, 10, 40), None);
        assert_eq!(slice_code_points(t, 2, 2), Some(""));
    }

    #[test]
    fn byte_slices_refuse_to_split_a_character() {
        let t = "✨ @alice.test";
        assert_eq!(slice_bytes(t, 4, 15), Some("@alice.test"));
        assert_eq!(slice_bytes(t, 1, 4), None);
    }

    #[test]
    fn mastodon_html_becomes_text() {
        let html = r#"<p><span class="h-card"><a href="https://x.example/@brand" class="u-url mention">@<span>brand</span></a></span> mon colis &amp; ma facture</p><p>merci<br />bonne journée</p>"#;
        assert_eq!(
            html_to_text(html),
            "@brand mon colis & ma facture\n\nmerci\nbonne journée"
        );
        assert_eq!(html_to_text("a < b"), "a < b");
    }
}
