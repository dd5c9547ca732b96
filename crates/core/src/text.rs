//! Small text helpers for what people type into Chinese spreadsheets: full-width characters,
//! stray spaces inside labels (`合  计`), and cell-address formatting.

/// Maps a full-width ASCII variant (`１`, `（`, `，`) to its half-width form; other characters pass.
pub fn halfwidth(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Every kind of white space, including the ideographic space.
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{3000}'
}

/// Removes every kind of white space ([`is_space`]), so `合  计` == `合计`.
pub fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !is_space(*c)).collect()
}

/// Excel column letters for a 0-based column index: 0 → A, 26 → AA.
pub fn col_letters(col: u32) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push((b'A' + r as u8) as char);
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

/// A1 reference for a 0-based (row, col): (8, 4) → E9.
pub fn a1(row: u32, col: u32) -> String {
    format!("{}{}", col_letters(col), row + 1)
}

/// The 0-based (row, col) of an A1 reference: `E9` → (8, 4); None for anything else.
pub fn parse_a1(text: &str) -> Option<(u32, u32)> {
    let split = text.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = text.split_at(split);
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let col = letters.bytes().fold(0u32, |n, b| n * 26 + u32::from(b - b'A' + 1)) - 1;
    let row = digits.parse::<u32>().ok().filter(|r| *r >= 1)? - 1;
    Some((row, col))
}

/// The SHA-256 of `bytes` in lower-case hex, as uploads are identified everywhere.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// An address as the book keeps it: trimmed, lower case, `mailto:` and angle brackets removed.
/// None when it is not an address (no `@` with something on both sides, or spaces inside).
pub fn normalise_address(raw: &str) -> Option<String> {
    let a = raw
        .trim()
        .trim_start_matches("mailto:")
        .trim_matches(|c| c == '<' || c == '>')
        .trim()
        .to_lowercase();
    let (user, host) = a.split_once('@')?;
    let plain = |s: &str| !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';' | '@'));
    (plain(user) && plain(host) && host.contains('.')).then_some(a)
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_are_kept_in_one_form() {
        use super::normalise_address;
        assert_eq!(normalise_address(" <LanShan@Example.CN> ").as_deref(), Some("lanshan@example.cn"));
        assert_eq!(normalise_address("mailto:a.b@x.gov.cn").as_deref(), Some("a.b@x.gov.cn"));
        for bad in ["", "兰山区", "a@", "@b.cn", "a b@c.cn", "a@b", "a@b@c.cn"] {
            assert_eq!(normalise_address(bad), None, "{bad}");
        }
    }

    use super::*;

    #[test]
    fn a1_parses_back() {
        for (r, c) in [(0, 0), (8, 4), (99, 25), (4, 26), (1_048_575, 16_383)] {
            assert_eq!(parse_a1(&a1(r, c)), Some((r, c)));
        }
        for bad in ["", "9", "E", "e9", "E0", "ABCD1", "E9x"] {
            assert_eq!(parse_a1(bad), None, "{bad}");
        }
    }

    #[test]
    fn a1_references() {
        assert_eq!(a1(0, 0), "A1");
        assert_eq!(a1(8, 4), "E9");
        assert_eq!(a1(99, 25), "Z100");
        assert_eq!(a1(0, 26), "AA1");
        assert_eq!(a1(0, 701), "ZZ1");
        assert_eq!(a1(0, 702), "AAA1");
    }

    #[test]
    fn squeeze_and_halfwidth() {
        assert_eq!(squeeze("合  计"), "合计");
        assert_eq!(squeeze("合\u{3000}计 "), "合计");
        assert_eq!("１２（３）".chars().map(halfwidth).collect::<String>(), "12(3)");
    }
}
