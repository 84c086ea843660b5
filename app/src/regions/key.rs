//! Region keys: `DE` for the Bund, 2 digits for a Land, 5 for a Kreis, 8 for a
//! Gemeinde (AGS). A 12-digit ARS of a Gemeinde is accepted and stored as its
//! AGS. Keys are strings: a leading zero is part of the key.

use super::RegionLevel;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A syntactically valid, canonical region key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionKey(String);

/// Why a text is not a region key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionKeyError {
    #[error("Regionalschlüssel fehlt")]
    Empty,
    #[error("Regionalschlüssel darf nur Ziffern enthalten (oder „DE“ für bundesweit)")]
    NotDigits,
    #[error("Regionalschlüssel hat {} {}; gültig sind 2 (Land), 5 (Kreis), 8 (AGS), 12 (ARS) oder „DE“", .0, if *.0 == 1 { "Stelle" } else { "Stellen" })]
    BadLength(usize),
}

impl RegionKey {
    /// The key of the Bund.
    pub fn bund() -> Self {
        Self("DE".to_owned())
    }

    /// Parses a key as sent, after trimming. An ARS becomes its AGS
    /// (ARS digits 1–5 and 10–12).
    pub fn parse(text: &str) -> Result<Self, RegionKeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(RegionKeyError::Empty);
        }
        if text.eq_ignore_ascii_case("DE") {
            return Ok(Self::bund());
        }
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionKeyError::NotDigits);
        }
        match text.len() {
            2 | 5 | 8 => Ok(Self(text.to_owned())),
            12 => Ok(Self(format!("{}{}", &text[..5], &text[9..]))),
            n => Err(RegionKeyError::BadLength(n)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> RegionLevel {
        match self.0.len() {
            2 if self.0 == "DE" => RegionLevel::Bund,
            2 => RegionLevel::Land,
            5 => RegionLevel::Kreis,
            _ => RegionLevel::Gemeinde,
        }
    }

    /// Whether `other` lies in this region's subtree (itself included).
    pub fn contains(&self, other: &RegionKey) -> bool {
        self.level() == RegionLevel::Bund || other.0.starts_with(&self.0)
    }

    /// The key of the enclosing region one level up.
    pub fn parent(&self) -> Option<RegionKey> {
        match self.level() {
            RegionLevel::Bund => None,
            RegionLevel::Land => Some(Self::bund()),
            RegionLevel::Kreis => Some(Self(self.0[..2].to_owned())),
            RegionLevel::Gemeinde => Some(Self(self.0[..5].to_owned())),
        }
    }
}

impl fmt::Display for RegionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RegionKey {
    type Error = RegionKeyError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RegionKey> for String {
    fn from(key: RegionKey) -> Self {
        key.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_key_length() {
        assert_eq!(RegionKey::parse("DE").unwrap().level(), RegionLevel::Bund);
        assert_eq!(RegionKey::parse("de").unwrap().as_str(), "DE");
        assert_eq!(RegionKey::parse("01").unwrap().level(), RegionLevel::Land);
        assert_eq!(
            RegionKey::parse("14625").unwrap().level(),
            RegionLevel::Kreis
        );
        assert_eq!(
            RegionKey::parse("01001000").unwrap().level(),
            RegionLevel::Gemeinde
        );
    }

    #[test]
    fn ars_becomes_ags() {
        let key = RegionKey::parse("145215115430").unwrap();
        assert_eq!(key.as_str(), "14521430");
        assert_eq!(
            RegionKey::parse("010010000000").unwrap().as_str(),
            "01001000"
        );
    }

    #[test]
    fn surrounding_whitespace_is_ignored() {
        assert_eq!(RegionKey::parse(" 14521430 ").unwrap().as_str(), "14521430");
    }

    #[test]
    fn bad_keys_are_refused_with_the_reason() {
        assert_eq!(RegionKey::parse(""), Err(RegionKeyError::Empty));
        assert_eq!(
            RegionKey::parse("101000"),
            Err(RegionKeyError::BadLength(6))
        );
        assert_eq!(RegionKey::parse("1"), Err(RegionKeyError::BadLength(1)));
        assert_eq!(
            RegionKey::parse("1001000.0"),
            Err(RegionKeyError::NotDigits)
        );
        assert_eq!(RegionKey::parse("1,2E+07"), Err(RegionKeyError::NotDigits));
        assert_eq!(RegionKey::parse("０１"), Err(RegionKeyError::NotDigits));
    }

    #[test]
    fn subtree_and_parent() {
        let bautzen = RegionKey::parse("14625").unwrap();
        assert!(bautzen.contains(&RegionKey::parse("14625010").unwrap()));
        assert!(bautzen.contains(&bautzen));
        assert!(!bautzen.contains(&RegionKey::parse("14626").unwrap()));
        assert!(!bautzen.contains(&RegionKey::parse("14").unwrap()));
        assert!(RegionKey::bund().contains(&bautzen));
        assert_eq!(bautzen.parent().unwrap().as_str(), "14");
        assert_eq!(
            RegionKey::parse("14").unwrap().parent(),
            Some(RegionKey::bund())
        );
        assert_eq!(RegionKey::bund().parent(), None);
    }
}
