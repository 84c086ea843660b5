//! Online services (Onlinedienste) and their regional granularity.

use serde::{Deserialize, Serialize};

use crate::regions::RegionLevel;

/// The finest regional level a service reports at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(
    feature = "ssr",
    sqlx(type_name = "granularity", rename_all = "lowercase")
)]
pub enum Granularity {
    Bund,
    Land,
    Kreis,
    Gemeinde,
}

impl Granularity {
    /// The region level this granularity reports at.
    pub fn level(self) -> RegionLevel {
        match self {
            Self::Bund => RegionLevel::Bund,
            Self::Land => RegionLevel::Land,
            Self::Kreis => RegionLevel::Kreis,
            Self::Gemeinde => RegionLevel::Gemeinde,
        }
    }

    /// The wording of the ZSK report ("nach Bundesländern").
    pub fn report_label(self) -> &'static str {
        match self {
            Self::Bund => "bundesweit",
            Self::Land => "nach Bundesländern",
            Self::Kreis => "nach Kreisen",
            Self::Gemeinde => "nach Gemeinden",
        }
    }

    /// Reads the short form (`Land`) or the report's wording (`nach Bundesländern`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_lowercase().as_str() {
            "bund" | "bundesweit" => Some(Self::Bund),
            "land" | "länder" | "nach bundesländern" | "nach ländern" => Some(Self::Land),
            "kreis" | "kreise" | "nach kreisen" => Some(Self::Kreis),
            "gemeinde" | "gemeinden" | "nach gemeinden" => Some(Self::Gemeinde),
            _ => None,
        }
    }

    /// Whether a value at `level` may be delivered: the granularity or coarser.
    pub fn allows(self, level: RegionLevel) -> bool {
        level <= self.level()
    }
}

/// A key for German dictionary order: umlauts as their base letter, ß as
/// ss, case ignored ("Überbrückungshilfe" next to "Unterhaltsvorschuss").
pub fn sort_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len());
    for c in name.to_lowercase().chars() {
        match c {
            'ä' => key.push('a'),
            'ö' => key.push('o'),
            'ü' => key.push('u'),
            'ß' => key.push_str("ss"),
            other => key.push(other),
        }
    }
    key
}

/// An online service with its headline figures, as listed on the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSummary {
    pub id: String,
    pub name: String,
    pub organisation: String,
    pub portal: Option<String>,
    pub granularity: Option<Granularity>,
    pub efa: bool,
    /// Sum of the transactions inside the viewer's scope; `None`: nothing reported.
    pub total: Option<i64>,
    pub first_month: Option<crate::delivery::Month>,
    pub last_month: Option<crate::delivery::Month>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_wording_and_short_forms_parse() {
        assert_eq!(
            Granularity::parse("nach Bundesländern"),
            Some(Granularity::Land)
        );
        assert_eq!(Granularity::parse("Kreis"), Some(Granularity::Kreis));
        assert_eq!(Granularity::parse("bundesweit"), Some(Granularity::Bund));
        assert_eq!(Granularity::parse("monatlich"), None);
    }

    #[test]
    fn coarser_levels_are_allowed_finer_are_not() {
        assert!(Granularity::Kreis.allows(RegionLevel::Land));
        assert!(Granularity::Kreis.allows(RegionLevel::Kreis));
        assert!(!Granularity::Kreis.allows(RegionLevel::Gemeinde));
        assert!(Granularity::Land.allows(RegionLevel::Bund));
    }
}
