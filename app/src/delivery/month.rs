//! A calendar month, the time unit of every transaction count. Stored as the
//! first day of the month (a date, never a timestamp), written `JJJJ-MM`.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Month {
    year: i32,
    month: u32,
}

/// German month names and their usual abbreviations (DIN 5008 forms included).
const MONTH_NAMES: [&[&str]; 12] = [
    &["januar", "jan", "jän", "jänner"],
    &["februar", "feb", "febr"],
    &["märz", "mär", "mrz", "maerz"],
    &["april", "apr"],
    &["mai"],
    &["juni", "jun"],
    &["juli", "jul"],
    &["august", "aug"],
    &["september", "sep", "sept"],
    &["oktober", "okt"],
    &["november", "nov"],
    &["dezember", "dez"],
];

/// The German names of the months, January first.
pub const LABELS: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

pub const MONTH_RULE: &str =
    "Monat im Format JJJJ-MM angeben (auch MM/JJJJ, MM.JJJJ, JJJJMM oder „Mai 2024“)";

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Self> {
        ((1..=12).contains(&month) && (1900..=9999).contains(&year)).then_some(Self { year, month })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    /// The first day of the month, as stored.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid month")
    }

    pub fn from_date(date: NaiveDate) -> Self {
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    /// The month after this one.
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// German label, e.g. "Februar 2024".
    pub fn label(self) -> String {
        format!("{} {}", LABELS[self.month as usize - 1], self.year)
    }

    /// The report's form, e.g. "02/2024".
    pub fn slash_form(self) -> String {
        format!("{:02}/{}", self.month, self.year)
    }

    /// Reads the month forms people send; anything else is refused, never
    /// guessed (two-digit years, timestamps, days).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let invalid = || format!("„{text}“ ist kein gültiger Monat. {MONTH_RULE}");
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let build = |year: &str, month: &str| -> Result<Self, String> {
            if year.len() != 4 || !digits(year) || !(1..=2).contains(&month.len()) || !digits(month)
            {
                return Err(invalid());
            }
            Self::new(
                year.parse().map_err(|_| invalid())?,
                month.parse().map_err(|_| invalid())?,
            )
            .ok_or_else(invalid)
        };

        if let Some((year, month)) = text.split_once('-') {
            if year.len() == 4 && month.len() == 2 {
                return build(year, month);
            }
            return Err(invalid());
        }
        if let Some((month, year)) = text.split_once(['/', '.']) {
            if digits(month) {
                return build(year, month);
            }
        }
        if text.len() == 6 && digits(text) {
            return build(&text[..4], &text[4..]);
        }
        if let Some((name, year)) = text.split_once(char::is_whitespace) {
            let name = name.trim_end_matches('.').to_lowercase();
            if let Some(index) = MONTH_NAMES
                .iter()
                .position(|names| names.contains(&name.as_str()))
            {
                return build(year.trim(), &(index + 1).to_string());
            }
        }
        Err(invalid())
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl TryFrom<String> for Month {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Month> for String {
    fn from(month: Month) -> Self {
        month.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> String {
        Month::parse(text).unwrap().to_string()
    }

    #[test]
    fn accepted_forms() {
        assert_eq!(ok("2024-02"), "2024-02");
        assert_eq!(ok("02/2024"), "2024-02");
        assert_eq!(ok("2/2024"), "2024-02");
        assert_eq!(ok("02.2024"), "2024-02");
        assert_eq!(ok("202402"), "2024-02");
        assert_eq!(ok("Mai 2024"), "2024-05");
        assert_eq!(ok("Sept. 2024"), "2024-09");
        assert_eq!(ok("Mrz 2024"), "2024-03");
        assert_eq!(ok("märz 2024"), "2024-03");
        assert_eq!(ok(" 2024-12 "), "2024-12");
    }

    #[test]
    fn refused_forms() {
        for text in [
            "",
            "2024-13",
            "2024-00",
            "24-02",
            "02/24",
            "Mai 24",
            "2024-02-01",
            "2024-01-31T23:00:00.000Z",
            "2024-2",
            "Foo 2024",
            "2024",
            "13/2024",
            "-2024-01",
        ] {
            assert!(Month::parse(text).is_err(), "{text} must be refused");
        }
    }

    #[test]
    fn labels() {
        let month = Month::parse("2024-02").unwrap();
        assert_eq!(month.label(), "Februar 2024");
        assert_eq!(month.slash_form(), "02/2024");
        assert_eq!(month.next().to_string(), "2024-03");
        assert_eq!(
            Month::parse("2023-12").unwrap().next().to_string(),
            "2024-01"
        );
    }
}
