//! Transaction counts as people type them: whole, non-negative numbers,
//! optionally with German thousands dots (`1.234.567`). Everything that could
//! be a decimal, a sign, an exponent or a placeholder of official statistics
//! is refused with the reason, never read as something else.

/// More transactions than this in one region and month are implausible.
pub const MAX_COUNT: i64 = 1_000_000_000;

pub const COUNT_RULE: &str =
    "ganze Zahl ≥ 0 erwartet, ohne Dezimalstellen; Tausenderpunkte nur in Dreiergruppen (1.234)";

/// Parses one count cell (quotes already removed).
pub fn parse_count(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Wert fehlt (leere Zelle ist weder 0 noch „löschen“)".to_owned());
    }
    // "-", ".", "x", "k. A.", "n.v.", "…": the placeholders of official
    // statistics hold no digit at all.
    if !text.chars().any(|c| c.is_ascii_digit()) {
        return Err(format!(
            "„{text}“ ist ein Platzhalter, keine Zahl; nicht gemeldete Werte weglassen, {COUNT_RULE}"
        ));
    }
    if text.starts_with(['-', '−', '–']) {
        return Err(format!("„{text}“ ist negativ; {COUNT_RULE}"));
    }
    if text.starts_with('+') {
        return Err(format!("„{text}“ hat ein Vorzeichen; {COUNT_RULE}"));
    }
    if text.contains(['e', 'E']) && text.chars().any(|c| c.is_ascii_digit()) {
        return Err(format!(
            "„{text}“ ist in Exponentialschreibweise; {COUNT_RULE}"
        ));
    }
    if text.contains(',') {
        return Err(format!(
            "„{text}“ enthält ein Komma (Dezimalstelle); {COUNT_RULE}"
        ));
    }
    let digits = if text.contains('.') {
        let mut groups = text.split('.');
        let head = groups.next().unwrap_or_default();
        let grouped = (1..=3).contains(&head.len())
            && head.bytes().all(|b| b.is_ascii_digit())
            && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()));
        if !grouped {
            return Err(format!(
                "„{text}“: Punkt ist keine gültige Tausendergruppierung; {COUNT_RULE}"
            ));
        }
        text.replace('.', "")
    } else {
        text.to_owned()
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "„{text}“ ist keine Zahl (Fußnotenzeichen oder Text in der Zelle?); {COUNT_RULE}"
        ));
    }
    match digits.parse::<i64>() {
        Ok(value) if value <= MAX_COUNT => Ok(value),
        _ => Err(format!(
            "„{text}“ ist unplausibel groß: höchstens 1.000.000.000 Transaktionen je Region und Monat"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_count;

    #[test]
    fn whole_numbers_with_thousands_dots() {
        assert_eq!(parse_count("999"), Ok(999));
        assert_eq!(parse_count("1.000"), Ok(1000));
        assert_eq!(parse_count("12.345"), Ok(12345));
        assert_eq!(parse_count("1.234.567"), Ok(1_234_567));
        assert_eq!(parse_count("0"), Ok(0));
        assert_eq!(parse_count(" 42 "), Ok(42));
    }

    #[test]
    fn everything_else_is_refused() {
        for text in [
            "",
            "12,5",
            "1,234",
            "1.23",
            "-1.000",
            "1234.0",
            "-5",
            "+5",
            "1e3",
            "1E+05",
            "-",
            ".",
            "x",
            "k.A.",
            "12a",
            "1 000",
            "1.0000",
            ".123",
            "123.",
            "99999999999999999999",
            "1000000001",
            "9223372036854775807",
        ] {
            assert!(parse_count(text).is_err(), "{text:?} must be refused");
        }
    }

    #[test]
    fn placeholders_and_footnotes_are_named() {
        for text in ["k. A.", "n.v.", "–", "…", "x", "."] {
            let err = parse_count(text).unwrap_err();
            assert!(err.contains("Platzhalter"), "{text:?}: {err}");
        }
        for text in ["123*", "45¹", "(12)"] {
            let err = parse_count(text).unwrap_err();
            assert!(err.contains("Fußnotenzeichen"), "{text:?}: {err}");
        }
    }
}
