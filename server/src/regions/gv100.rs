//! Parser for the Destatis *Gemeindeverzeichnis* in the fixed-width GV100AD
//! format (Datensatzbeschreibung GV100, valid from 14.06.2000; UTF-8 since
//! the Sorbian names were added).
//!
//! Every record is one line of 220 **characters** (not bytes: names such as
//! "Budyšin" take more bytes than characters, so all positions below count
//! characters). Positions are 1-based and inclusive, as in the PDF:
//!
//! | positions | field                                   | records          |
//! |-----------|-----------------------------------------|------------------|
//! | 1–2       | Satzart (10 Land, 20 RB, 30 Region, 40 Kreis, 50 Gemeindeverband, 60 Gemeinde) | all |
//! | 3–10      | Gebietsstand `JJJJMMTT`                  | all              |
//! | 11–12     | Land                                    | all              |
//! | 13        | Regierungsbezirk                        | 20–60            |
//! | 14–15     | Kreis                                   | 40–60            |
//! | 16–18     | Gemeinde                                | 60               |
//! | 19–22     | Gemeindeverband                         | 50, 60           |
//! | 23–72     | name (50 characters)                    | all              |
//! | 123–124   | Textkennzeichen (60: 61 kreisfreie Stadt … 65/66 gemeindefreies Gebiet) | 40–60 |
//! | 129–139   | Fläche in ha                            | 60               |
//! | 140–150   | Bevölkerung insgesamt (11 digits)       | 60               |
//!
//! Only Länder (10), Kreise (40) and Gemeinden (60) are kept; Regierungsbezirke,
//! Regionen and Gemeindeverbände (20, 30, 50) and record types the layout does
//! not know are skipped. Keys: Land = positions 11–12, Kreis = 11–15,
//! Gemeinde (AGS) = 11–18; the ARS of a Gemeinde is Land, RB, Kreis,
//! Gemeindeverband and Gemeinde = positions 11–15, 19–22, 16–18 (12 digits).
//!
//! Names are trimmed and otherwise kept as the file has them, including the
//! one name the 50-character field cuts off ("Bautzen / Budyšin, Stadt,
//! Hochschulstadt / Wysokoš", as the publisher warns).
//!
//! # Unincorporated areas (*gemeindefreie Gebiete*)
//!
//! They are Satzart-60 records like the Gemeinden, told apart only by the
//! Textkennzeichen: 65 = gemeindefreies Gebiet, bewohnt; 66 = unbewohnt
//! (their Gemeindeverband key also starts with 9). The file of 30.11.2025
//! has 10,953 Satzart-60 records = 10,751 Gemeinden + 202 such areas: mostly
//! forests and lakes, two inhabited military training areas in
//! Niedersachsen (Lohheide, Osterheide: 917 inhabitants together), and three
//! that belong to no Kreis (key `..000...`: the German–Luxembourg condominium,
//! the coastal waters, an M-V area).
//!
//! **Choice:** unincorporated areas are not Gemeinden. The parser returns them
//! apart ([`Gv100File::unincorporated`]), and the importer does not store them
//! as regions (nobody reports transactions for a forest, the region table
//! has no flag for them, and they would spoil the Gemeinde count). Their
//! inhabitants *are* counted in the population of their Kreis and Land,
//! exactly as Destatis counts them, so Land populations add up to the
//! official total (Germany 83,577,140 on 31.12.2024).
//!
//! # Populations
//!
//! Only Satzart 60 carries a population. A Kreis's population is the sum of
//! all Satzart-60 records under its key, a Land's the sum of all under its
//! key (unincorporated areas included, see above).
//!
//! # One territory at several levels: `cell_key`
//!
//! Berlin and Hamburg are Land, Kreis and Gemeinde at once (11 / 11000 /
//! 11000000, 02 / 02000 / 02000000). They stay three regions each, but the
//! Kreis and the Gemeinde get the Land's key as `cell_key`, so counts of the
//! one territory land in one cell. The rule follows the keys and the data,
//! not a list of names: a Kreis keyed `LL000` that is its Land's only Kreis
//! shares the Land's cell, and a Gemeinde keyed `LL000000` that is the only
//! Gemeinde of such a Kreis too. That matches exactly Berlin and Hamburg
//! (checked on the real file). Every other region is its own cell
//! (`cell_key = key`), kreisfreie Städte included.

use app::regions::{RegionKey, RegionLevel};
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

/// Length of a GV100AD record in characters.
pub const RECORD_LENGTH: usize = 220;

/// A Land, Kreis or Gemeinde read from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gv100Region {
    /// Canonical key: 2 digits (Land), 5 (Kreis) or the 8-digit AGS (Gemeinde).
    pub key: RegionKey,
    pub level: RegionLevel,
    /// Trimmed name as in the file.
    pub name: String,
    /// The 12-digit ARS; Gemeinden only.
    pub ars: Option<String>,
    /// Inhabitants (Gemeinde: from the file; Kreis and Land: sums, see module doc).
    pub population: i64,
    /// The enclosing region: Gemeinde → Kreis, Kreis → Land, Land → `DE`.
    pub parent: RegionKey,
    /// The coarsest region covering the same territory (see module doc).
    pub cell: RegionKey,
    /// Physical line number (1-based) of the record.
    pub line: usize,
}

/// A *gemeindefreies Gebiet* (Textkennzeichen 65 or 66): not a Gemeinde.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnincorporatedArea {
    /// The 8-digit key in the AGS position.
    pub ags: String,
    pub ars: String,
    pub name: String,
    pub population: i64,
    /// Textkennzeichen 65 (bewohnt) rather than 66 (unbewohnt).
    pub inhabited: bool,
    /// The Kreis it lies in, if the file has that Kreis.
    pub kreis: Option<RegionKey>,
    pub line: usize,
}

/// The content of one GV100AD file that the ZSK keeps.
#[derive(Debug, Clone, Default)]
pub struct Gv100File {
    /// The Gebietsstand written in the records (positions 3–10), if any.
    pub stand: Option<NaiveDate>,
    /// Länder, then Kreise, then Gemeinden; each group ordered by key.
    pub regions: Vec<Gv100Region>,
    pub unincorporated: Vec<UnincorporatedArea>,
}

impl Gv100File {
    /// Number of regions of a level.
    pub fn count(&self, level: RegionLevel) -> usize {
        self.regions.iter().filter(|r| r.level == level).count()
    }

    /// Germany's population: the sum over the Länder.
    pub fn population(&self) -> i64 {
        self.regions
            .iter()
            .filter(|r| r.level == RegionLevel::Land)
            .map(|r| r.population)
            .sum()
    }

    /// Inhabitants of unincorporated areas (included in Kreis and Land sums).
    pub fn unincorporated_population(&self) -> i64 {
        self.unincorporated.iter().map(|u| u.population).sum()
    }
}

/// What is wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gv100ErrorKind {
    /// The line is not valid UTF-8.
    InvalidUtf8,
    /// The record ends before a field it needs.
    TooShort {
        record: &'static str,
        length: usize,
        needed: usize,
    },
    /// A key or number field holds something other than digits.
    NotDigits { field: &'static str, value: String },
    /// The Gebietsstand (positions 3–10) is no date.
    BadStand(String),
    /// The Gebietsstand differs from that of the first record.
    StandMismatch { first: NaiveDate, this: NaiveDate },
    /// The name field is blank.
    EmptyName,
    /// The key occurs twice.
    Duplicate(String),
    /// A Kreis without its Land, or a Gemeinde without its Kreis.
    MissingParent { key: String, parent: String },
    /// The file holds no Land, Kreis or Gemeinde at all.
    NoRegions,
}

impl fmt::Display for Gv100ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUtf8 => write!(f, "kein gültiges UTF-8"),
            Self::TooShort { record, length, needed } => write!(
                f,
                "Satz zu kurz: {length} Zeichen, ein {record}-Satz braucht mindestens {needed} (GV100AD-Sätze haben {RECORD_LENGTH})"
            ),
            Self::NotDigits { field, value } => {
                write!(f, "{field} muss aus Ziffern bestehen, gefunden „{value}“")
            }
            Self::BadStand(value) => {
                write!(f, "Gebietsstand (Stellen 3–10) ist kein Datum JJJJMMTT: „{value}“")
            }
            Self::StandMismatch { first, this } => write!(
                f,
                "Gebietsstand {} weicht vom Gebietsstand {} der ersten Zeile ab",
                this.format("%d.%m.%Y"),
                first.format("%d.%m.%Y")
            ),
            Self::EmptyName => write!(f, "Bezeichnung (Stellen 23–72) ist leer"),
            Self::Duplicate(key) => write!(f, "Schlüssel {key} kommt doppelt vor"),
            Self::MissingParent { key, parent } => {
                write!(f, "zu {key} fehlt der übergeordnete Satz {parent}")
            }
            Self::NoRegions => write!(f, "die Datei enthält keine Länder, Kreise oder Gemeinden"),
        }
    }
}

/// A GV100AD file that cannot be read: the line (1-based; 0 for the file as
/// a whole) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gv100Error {
    pub line: usize,
    pub kind: Gv100ErrorKind,
}

impl fmt::Display for Gv100Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "Zeile {}: {}", self.line, self.kind)
        }
    }
}

impl std::error::Error for Gv100Error {}

/// Reading a GV100AD file from disk failed.
#[derive(Debug, thiserror::Error)]
pub enum Gv100ReadError {
    #[error("{path}: Datei kann nicht gelesen werden: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Format { path: String, source: Gv100Error },
}

/// Reads and parses a GV100AD file.
pub fn read_file(path: &Path) -> Result<Gv100File, Gv100ReadError> {
    let bytes = std::fs::read(path).map_err(|source| Gv100ReadError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse_bytes(&bytes).map_err(|source| Gv100ReadError::Format {
        path: path.display().to_string(),
        source,
    })
}

/// Parses the raw bytes of a GV100AD file (UTF-8, optional BOM, LF or CRLF).
pub fn parse_bytes(bytes: &[u8]) -> Result<Gv100File, Gv100Error> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut lines = Vec::new();
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let text = std::str::from_utf8(raw).map_err(|_| Gv100Error {
            line: index + 1,
            kind: Gv100ErrorKind::InvalidUtf8,
        })?;
        lines.push(text);
    }
    parse_lines(lines.into_iter())
}

/// Parses GV100AD text.
pub fn parse(text: &str) -> Result<Gv100File, Gv100Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    parse_lines(text.split('\n'))
}

/// A Satzart-60 record before the second pass.
struct RawGemeinde {
    ags: String,
    ars: String,
    name: String,
    population: i64,
    unincorporated: Option<bool>,
    line: usize,
}

struct RawRegion {
    key: String,
    name: String,
    line: usize,
}

fn parse_lines<'a>(lines: impl Iterator<Item = &'a str>) -> Result<Gv100File, Gv100Error> {
    let mut stand: Option<NaiveDate> = None;
    let mut laender: Vec<RawRegion> = Vec::new();
    let mut kreise: Vec<RawRegion> = Vec::new();
    let mut gemeinden: Vec<RawGemeinde> = Vec::new();

    for (index, line) in lines.enumerate() {
        let line_no = index + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let chars: Vec<char> = line.chars().collect();
        let err = |kind| Gv100Error {
            line: line_no,
            kind,
        };
        let record: &'static str = match field(&chars, 1, 2).as_str() {
            "10" => "Land",
            "40" => "Kreis",
            "60" => "Gemeinde",
            // 20 Regierungsbezirk, 30 Region, 50 Gemeindeverband and anything
            // the layout does not define: not kept.
            _ => continue,
        };
        let needed = if record == "Gemeinde" { 150 } else { 23 };
        if chars.len() < needed {
            return Err(err(Gv100ErrorKind::TooShort {
                record,
                length: chars.len(),
                needed,
            }));
        }

        let stand_text = field(&chars, 3, 10);
        let this_stand =
            parse_stand(&stand_text).ok_or_else(|| err(Gv100ErrorKind::BadStand(stand_text)))?;
        match stand {
            None => stand = Some(this_stand),
            Some(first) if first != this_stand => {
                return Err(err(Gv100ErrorKind::StandMismatch {
                    first,
                    this: this_stand,
                }))
            }
            Some(_) => {}
        }

        let name = field(&chars, 23, 72).trim().to_owned();
        if name.is_empty() {
            return Err(err(Gv100ErrorKind::EmptyName));
        }

        match record {
            "Land" => {
                let key = digits(&chars, 11, 12, "Landesschlüssel (Stellen 11–12)").map_err(err)?;
                laender.push(RawRegion {
                    key,
                    name,
                    line: line_no,
                });
            }
            "Kreis" => {
                let key = digits(&chars, 11, 15, "Kreisschlüssel (Stellen 11–15)").map_err(err)?;
                kreise.push(RawRegion {
                    key,
                    name,
                    line: line_no,
                });
            }
            _ => {
                let ags =
                    digits(&chars, 11, 18, "Gemeindeschlüssel (Stellen 11–18)").map_err(err)?;
                let verband =
                    digits(&chars, 19, 22, "Gemeindeverband (Stellen 19–22)").map_err(err)?;
                let population_text = field(&chars, 140, 150);
                let population = population_text
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|_| population_text.trim().bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| {
                        err(Gv100ErrorKind::NotDigits {
                            field: "Bevölkerung (Stellen 140–150)",
                            value: population_text.trim().to_owned(),
                        })
                    })?;
                let unincorporated = match field(&chars, 123, 124).as_str() {
                    "65" => Some(true),
                    "66" => Some(false),
                    _ => None,
                };
                let ars = format!("{}{}{}", &ags[..5], verband, &ags[5..]);
                gemeinden.push(RawGemeinde {
                    ags,
                    ars,
                    name,
                    population,
                    unincorporated,
                    line: line_no,
                });
            }
        }
    }

    assemble(stand, laender, kreise, gemeinden)
}

/// Second pass: parents, populations, cells, duplicates.
fn assemble(
    stand: Option<NaiveDate>,
    mut laender: Vec<RawRegion>,
    mut kreise: Vec<RawRegion>,
    mut gemeinden: Vec<RawGemeinde>,
) -> Result<Gv100File, Gv100Error> {
    if laender.is_empty() && kreise.is_empty() && gemeinden.is_empty() {
        return Err(Gv100Error {
            line: 0,
            kind: Gv100ErrorKind::NoRegions,
        });
    }
    laender.sort_by(|a, b| a.key.cmp(&b.key));
    kreise.sort_by(|a, b| a.key.cmp(&b.key));
    gemeinden.sort_by(|a, b| a.ags.cmp(&b.ags));

    let mut seen = HashSet::new();
    for (key, line) in laender
        .iter()
        .map(|r| (&r.key, r.line))
        .chain(kreise.iter().map(|r| (&r.key, r.line)))
        .chain(gemeinden.iter().map(|g| (&g.ags, g.line)))
    {
        if !seen.insert(key.clone()) {
            return Err(Gv100Error {
                line,
                kind: Gv100ErrorKind::Duplicate(key.clone()),
            });
        }
    }

    let land_keys: HashSet<&str> = laender.iter().map(|r| r.key.as_str()).collect();
    let kreis_keys: HashSet<&str> = kreise.iter().map(|r| r.key.as_str()).collect();
    for kreis in &kreise {
        if !land_keys.contains(&kreis.key[..2]) {
            return Err(Gv100Error {
                line: kreis.line,
                kind: Gv100ErrorKind::MissingParent {
                    key: kreis.key.clone(),
                    parent: kreis.key[..2].to_owned(),
                },
            });
        }
    }
    for gemeinde in gemeinden.iter().filter(|g| g.unincorporated.is_none()) {
        if !kreis_keys.contains(&gemeinde.ags[..5]) {
            return Err(Gv100Error {
                line: gemeinde.line,
                kind: Gv100ErrorKind::MissingParent {
                    key: gemeinde.ags.clone(),
                    parent: gemeinde.ags[..5].to_owned(),
                },
            });
        }
    }

    // Populations: every Satzart-60 record counts for its Kreis and Land.
    let mut population: HashMap<&str, i64> = HashMap::new();
    for gemeinde in &gemeinden {
        *population.entry(&gemeinde.ags[..2]).or_default() += gemeinde.population;
        *population.entry(&gemeinde.ags[..5]).or_default() += gemeinde.population;
    }

    // Cells: a Land's only Kreis, and that Kreis's only Gemeinde.
    let mut kreise_per_land: HashMap<&str, usize> = HashMap::new();
    for kreis in &kreise {
        *kreise_per_land.entry(&kreis.key[..2]).or_default() += 1;
    }
    let mut gemeinden_per_kreis: HashMap<&str, usize> = HashMap::new();
    for gemeinde in gemeinden.iter().filter(|g| g.unincorporated.is_none()) {
        *gemeinden_per_kreis.entry(&gemeinde.ags[..5]).or_default() += 1;
    }
    let kreis_is_land =
        |kreis: &str| &kreis[2..] == "000" && kreise_per_land.get(&kreis[..2]) == Some(&1);
    let gemeinde_is_land = |ags: &str| {
        &ags[5..] == "000"
            && kreis_is_land(&ags[..5])
            && gemeinden_per_kreis.get(&ags[..5]) == Some(&1)
    };

    let key = |text: &str| RegionKey::parse(text).expect("digits of a valid length");
    let mut regions = Vec::with_capacity(laender.len() + kreise.len() + gemeinden.len());
    for land in &laender {
        regions.push(Gv100Region {
            key: key(&land.key),
            level: RegionLevel::Land,
            name: land.name.clone(),
            ars: None,
            population: population.get(land.key.as_str()).copied().unwrap_or(0),
            parent: RegionKey::bund(),
            cell: key(&land.key),
            line: land.line,
        });
    }
    for kreis in &kreise {
        let cell = if kreis_is_land(&kreis.key) {
            &kreis.key[..2]
        } else {
            kreis.key.as_str()
        };
        regions.push(Gv100Region {
            key: key(&kreis.key),
            level: RegionLevel::Kreis,
            name: kreis.name.clone(),
            ars: None,
            population: population.get(kreis.key.as_str()).copied().unwrap_or(0),
            parent: key(&kreis.key[..2]),
            cell: key(cell),
            line: kreis.line,
        });
    }
    let mut unincorporated = Vec::new();
    for gemeinde in &gemeinden {
        if let Some(inhabited) = gemeinde.unincorporated {
            let kreis = kreis_keys
                .contains(&gemeinde.ags[..5])
                .then(|| key(&gemeinde.ags[..5]));
            unincorporated.push(UnincorporatedArea {
                ags: gemeinde.ags.clone(),
                ars: gemeinde.ars.clone(),
                name: gemeinde.name.clone(),
                population: gemeinde.population,
                inhabited,
                kreis,
                line: gemeinde.line,
            });
            continue;
        }
        let cell = if gemeinde_is_land(&gemeinde.ags) {
            &gemeinde.ags[..2]
        } else {
            gemeinde.ags.as_str()
        };
        regions.push(Gv100Region {
            key: key(&gemeinde.ags),
            level: RegionLevel::Gemeinde,
            name: gemeinde.name.clone(),
            ars: Some(gemeinde.ars.clone()),
            population: gemeinde.population,
            parent: key(&gemeinde.ags[..5]),
            cell: key(cell),
            line: gemeinde.line,
        });
    }

    Ok(Gv100File {
        stand,
        regions,
        unincorporated,
    })
}

/// Characters `from..=to` (1-based, inclusive), clipped to the line.
fn field(chars: &[char], from: usize, to: usize) -> String {
    let start = (from - 1).min(chars.len());
    let end = to.min(chars.len());
    chars[start..end].iter().collect()
}

/// A field that must be all ASCII digits.
fn digits(
    chars: &[char],
    from: usize,
    to: usize,
    name: &'static str,
) -> Result<String, Gv100ErrorKind> {
    let value = field(chars, from, to);
    if value.len() == to - from + 1 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value)
    } else {
        Err(Gv100ErrorKind::NotDigits { field: name, value })
    }
}

fn parse_stand(text: &str) -> Option<NaiveDate> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y%m%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../tests/fixtures/regions/gv100ad_mini.txt");

    fn region<'a>(file: &'a Gv100File, key: &str) -> &'a Gv100Region {
        file.regions
            .iter()
            .find(|r| r.key.as_str() == key)
            .unwrap_or_else(|| panic!("region {key} missing"))
    }

    /// Builds one record of 220 characters from (position, text) pairs.
    fn record(fields: &[(usize, &str)]) -> String {
        let mut chars = vec![' '; RECORD_LENGTH];
        for (position, text) in fields {
            for (i, c) in text.chars().enumerate() {
                chars[position - 1 + i] = c;
            }
        }
        chars.into_iter().collect()
    }

    #[test]
    fn fixture_lines_have_the_record_length() {
        for (i, line) in FIXTURE.lines().enumerate() {
            assert_eq!(line.chars().count(), RECORD_LENGTH, "line {}", i + 1);
        }
    }

    #[test]
    fn keeps_laender_kreise_and_gemeinden() {
        let file = parse(FIXTURE).unwrap();
        assert_eq!(file.stand, NaiveDate::from_ymd_opt(2025, 11, 30));
        assert_eq!(file.count(RegionLevel::Land), 2);
        assert_eq!(file.count(RegionLevel::Kreis), 2);
        assert_eq!(file.count(RegionLevel::Gemeinde), 3);
        let keys: Vec<&str> = file.regions.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(
            keys,
            ["01", "11", "01053", "11000", "01053001", "01053005", "11000000"]
        );
    }

    #[test]
    fn reads_keys_names_ars_and_parents() {
        let file = parse(FIXTURE).unwrap();
        let land = region(&file, "01");
        assert_eq!(land.name, "Schleswig-Holstein");
        assert_eq!(land.parent, RegionKey::bund());
        assert_eq!(land.ars, None);
        assert_eq!(land.line, 1);

        let kreis = region(&file, "01053");
        assert_eq!(kreis.level, RegionLevel::Kreis);
        assert_eq!(kreis.name, "Herzogtum Lauenburg");
        assert_eq!(kreis.parent.as_str(), "01");

        let gemeinde = region(&file, "01053005");
        assert_eq!(gemeinde.level, RegionLevel::Gemeinde);
        // Multi-byte characters: positions count characters, not bytes.
        assert_eq!(gemeinde.name, "Mölln, Stadt");
        assert_eq!(gemeinde.ars.as_deref(), Some("010530000005"));
        assert_eq!(gemeinde.parent.as_str(), "01053");
        assert_eq!(gemeinde.population, 19_500);
        assert_eq!(
            region(&file, "01053001").ars.as_deref(),
            Some("010535313001")
        );
    }

    #[test]
    fn kreis_and_land_populations_are_sums_including_unincorporated_areas() {
        let file = parse(FIXTURE).unwrap();
        // 1,200 + 19,500 Gemeinden + 40 in the inhabited unincorporated area.
        assert_eq!(region(&file, "01053").population, 20_740);
        assert_eq!(region(&file, "01").population, 20_740);
        assert_eq!(region(&file, "11").population, 3_700_000);
        assert_eq!(file.population(), 3_720_740);
    }

    #[test]
    fn unincorporated_areas_are_kept_apart() {
        let file = parse(FIXTURE).unwrap();
        assert_eq!(file.unincorporated.len(), 1);
        let area = &file.unincorporated[0];
        assert_eq!(area.ags, "01053105");
        assert_eq!(area.ars, "010539105105");
        assert_eq!(area.name, "Sachsenwald (Forstgutsbez.),gemfr.Geb.");
        assert!(area.inhabited);
        assert_eq!(area.population, 40);
        assert_eq!(area.kreis.as_ref().map(|k| k.as_str()), Some("01053"));
        assert_eq!(file.unincorporated_population(), 40);
        assert!(!file.regions.iter().any(|r| r.key.as_str() == "01053105"));
    }

    #[test]
    fn berlin_is_one_cell_at_three_levels() {
        let file = parse(FIXTURE).unwrap();
        for key in ["11", "11000", "11000000"] {
            assert_eq!(region(&file, key).cell.as_str(), "11", "{key}");
            assert!(region(&file, key).name.starts_with("Berlin"));
        }
        assert_eq!(region(&file, "11000000").parent.as_str(), "11000");
        assert_eq!(region(&file, "11000").parent.as_str(), "11");
        assert_eq!(region(&file, "11000000").population, 3_700_000);
        // Land 01 has only one Kreis in the fixture, but 01053 is not keyed
        // as the Land itself: it stays its own cell.
        for key in ["01", "01053", "01053001", "01053005"] {
            assert_eq!(region(&file, key).cell.as_str(), key);
        }
    }

    #[test]
    fn crlf_bom_and_blank_lines_are_accepted() {
        let text = format!("\u{feff}{}\n", FIXTURE.replace('\n', "\r\n"));
        let file = parse_bytes(text.as_bytes()).unwrap();
        assert_eq!(file.regions.len(), 7);
    }

    #[test]
    fn other_and_unknown_record_types_are_skipped() {
        let land = record(&[
            (1, "10"),
            (3, "20251130"),
            (11, "01"),
            (23, "Schleswig-Holstein"),
        ]);
        let rb = record(&[
            (1, "20"),
            (3, "20251130"),
            (11, "031"),
            (23, "Braunschweig"),
        ]);
        let unknown = record(&[(1, "99"), (3, "xxxx"), (23, "whatever")]);
        let file = parse(&[land, rb, unknown, "xyz".to_owned()].join("\n")).unwrap();
        assert_eq!(file.regions.len(), 1);
    }

    #[test]
    fn a_short_line_names_its_line() {
        let land = record(&[
            (1, "10"),
            (3, "20251130"),
            (11, "01"),
            (23, "Schleswig-Holstein"),
        ]);
        let kreis = record(&[
            (1, "40"),
            (3, "20251130"),
            (11, "01053"),
            (23, "Herzogtum Lauenburg"),
        ]);
        let gemeinde = "6020251130010530010000Alt Mölln";
        let error = parse(&[land, kreis, gemeinde.to_owned()].join("\n")).unwrap_err();
        assert_eq!(error.line, 3);
        assert!(matches!(
            error.kind,
            Gv100ErrorKind::TooShort {
                length: 31,
                needed: 150,
                ..
            }
        ));
        assert!(
            error.to_string().starts_with("Zeile 3: Satz zu kurz"),
            "{error}"
        );
    }

    #[test]
    fn a_non_digit_key_names_its_line_and_field() {
        let land = record(&[
            (1, "10"),
            (3, "20251130"),
            (11, "0A"),
            (23, "Schleswig-Holstein"),
        ]);
        let error = parse(&format!("\n{land}")).unwrap_err();
        assert_eq!(error.line, 2);
        assert_eq!(
            error.kind,
            Gv100ErrorKind::NotDigits {
                field: "Landesschlüssel (Stellen 11–12)",
                value: "0A".into()
            }
        );
        assert_eq!(
            error.to_string(),
            "Zeile 2: Landesschlüssel (Stellen 11–12) muss aus Ziffern bestehen, gefunden „0A“"
        );
    }

    #[test]
    fn a_non_digit_population_is_an_error() {
        let mut lines: Vec<String> = FIXTURE.lines().map(str::to_owned).collect();
        let index = lines
            .iter()
            .position(|l| l.starts_with("60") && l.contains("Mölln, Stadt"))
            .unwrap();
        let mut chars: Vec<char> = lines[index].chars().collect();
        chars[145] = 'x';
        lines[index] = chars.into_iter().collect();
        let error = parse(&lines.join("\n")).unwrap_err();
        assert_eq!(error.line, index + 1);
        assert!(matches!(
            error.kind,
            Gv100ErrorKind::NotDigits {
                field: "Bevölkerung (Stellen 140–150)",
                ..
            }
        ));
    }

    #[test]
    fn a_gemeinde_without_its_kreis_is_an_error() {
        let lines: Vec<&str> = FIXTURE
            .lines()
            .filter(|l| !l.starts_with("402025113001053"))
            .collect();
        let error = parse(&lines.join("\n")).unwrap_err();
        assert_eq!(
            error.kind,
            Gv100ErrorKind::MissingParent {
                key: "01053001".into(),
                parent: "01053".into()
            }
        );
    }

    #[test]
    fn duplicates_and_mixed_stands_are_errors() {
        let land = record(&[
            (1, "10"),
            (3, "20251130"),
            (11, "01"),
            (23, "Schleswig-Holstein"),
        ]);
        let error = parse(&format!("{land}\n{land}")).unwrap_err();
        assert_eq!(error.kind, Gv100ErrorKind::Duplicate("01".into()));
        let other = record(&[(1, "10"), (3, "20211231"), (11, "02"), (23, "Hamburg")]);
        let error = parse(&format!("{land}\n{other}")).unwrap_err();
        assert_eq!(error.line, 2);
        assert!(matches!(error.kind, Gv100ErrorKind::StandMismatch { .. }));
    }

    #[test]
    fn a_file_without_regions_is_an_error() {
        assert_eq!(parse("").unwrap_err().kind, Gv100ErrorKind::NoRegions);
    }

    #[test]
    fn invalid_utf8_names_its_line() {
        let mut bytes = FIXTURE.as_bytes().to_vec();
        let second_line = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
        bytes[second_line + 30] = 0xFF;
        let error = parse_bytes(&bytes).unwrap_err();
        assert_eq!(
            error,
            Gv100Error {
                line: 2,
                kind: Gv100ErrorKind::InvalidUtf8
            }
        );
    }

    /// The official file, when the shared reference data is there.
    fn real_file(name: &str) -> Option<Gv100File> {
        let dir = std::env::var_os("ZSK_REFERENCE_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
        let path = dir.join("regions").join(name);
        if !path.is_file() {
            eprintln!(
                "notice: {} not found (set ZSK_REFERENCE_DIR); test skipped",
                path.display()
            );
            return None;
        }
        Some(read_file(&path).unwrap())
    }

    #[test]
    fn real_file_2025_has_the_official_counts() {
        let Some(file) = real_file("GV100AD_30112025.txt") else {
            return;
        };
        assert_eq!(file.stand, NaiveDate::from_ymd_opt(2025, 11, 30));
        assert_eq!(file.count(RegionLevel::Land), 16);
        assert_eq!(file.count(RegionLevel::Kreis), 400);
        assert_eq!(file.count(RegionLevel::Gemeinde), 10_751);
        assert_eq!(file.unincorporated.len(), 202);
        assert_eq!(
            file.unincorporated
                .iter()
                .filter(|u| u.kreis.is_none())
                .count(),
            3
        );
        assert_eq!(file.unincorporated_population(), 917);
        assert_eq!(file.population(), 83_577_140);
        let shared: Vec<(&str, &str)> = file
            .regions
            .iter()
            .filter(|r| r.cell != r.key)
            .map(|r| (r.key.as_str(), r.cell.as_str()))
            .collect();
        assert_eq!(
            shared,
            [
                ("02000", "02"),
                ("11000", "11"),
                ("02000000", "02"),
                ("11000000", "11")
            ]
        );
        let bautzen = file
            .regions
            .iter()
            .find(|r| r.key.as_str() == "14625020")
            .unwrap();
        assert_eq!(
            bautzen.name,
            "Bautzen / Budyšin, Stadt, Hochschulstadt / Wysokoš"
        );
        // ARS = Land, RB, Kreis, Verband 0020, Gemeinde 020. (The publisher's
        // note quotes "146250200020": positions 11–22, AGS then Verband.)
        assert_eq!(bautzen.ars.as_deref(), Some("146250020020"));
        let kreise_sum: i64 = file
            .regions
            .iter()
            .filter(|r| r.level == RegionLevel::Kreis)
            .map(|r| r.population)
            .sum();
        assert_eq!(
            kreise_sum, 83_577_140,
            "the areas outside any Kreis are uninhabited"
        );
    }

    #[test]
    fn real_file_2021_parses() {
        let Some(file) = real_file("GV100AD_31122021.txt") else {
            return;
        };
        assert_eq!(file.count(RegionLevel::Land), 16);
        assert_eq!(file.count(RegionLevel::Kreis), 400);
        assert_eq!(file.count(RegionLevel::Gemeinde), 10_787);
        assert_eq!(file.unincorporated.len(), 210);
        assert_eq!(file.population(), 83_237_124);
    }
}
