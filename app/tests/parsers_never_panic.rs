//! Property tests: random bytes and random valid-looking files thrown at the
//! parsers and the validator never panic, and every count written the way
//! people write it reads back as the same number.

#![cfg(feature = "ssr")]

use app::delivery::counts_file::read_all_counts;
use app::delivery::validate::{validate, KeyRepair, MasterData, RawRecord};
use app::delivery::{parse_count, Month};
use app::regions::RegionKey;
use proptest::prelude::*;

fn german_grouping(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = read_all_counts(&bytes);
    }

    #[test]
    fn random_cells_never_panic(cells in proptest::collection::vec(".{0,20}", 4..40)) {
        let rows: Vec<RawRecord> = cells
            .chunks_exact(4)
            .enumerate()
            .map(|(i, c)| RawRecord {
                line: i as u32 + 2,
                service: c[0].clone(),
                region: c[1].clone(),
                month: c[2].clone(),
                count: c[3].clone(),
            })
            .collect();
        let validation = validate(&rows, &MasterData::default(), KeyRepair::LeadingZero);
        prop_assert!(validation.records.is_empty());
        prop_assert_eq!(validation.rejected_lines.len(), rows.len());
        let _ = Month::parse(&cells[0]);
        let _ = parse_count(&cells[1]);
        let _ = RegionKey::parse(&cells[2]);
    }

    #[test]
    fn valid_looking_files_keep_every_row_and_line(
        rows in proptest::collection::vec(("[A-Z]{1,4}-[0-9]{1,4}", "[0-9]{2}|[0-9]{5}|[0-9]{8}|DE", 2000i32..2030, 1u32..=12, 0u32..=1_000_000_000), 1..30),
        delimiter in prop::sample::select(vec![';', ',', '\t']),
        crlf in any::<bool>(),
        bom in any::<bool>(),
    ) {
        let newline = if crlf { "\r\n" } else { "\n" };
        let d = delimiter.to_string();
        let mut file = if bom { "\u{feff}".to_owned() } else { String::new() };
        file.push_str(&["Onlinedienst", "Region", "Monat", "Anzahl"].join(&d));
        file.push_str(newline);
        for (service, region, year, month, count) in &rows {
            let count = if delimiter == ';' { german_grouping(u64::from(*count)) } else { count.to_string() };
            file.push_str(&[service.clone(), region.clone(), format!("{year}-{month:02}"), count].join(&d));
            file.push_str(newline);
        }
        let parsed = read_all_counts(file.as_bytes()).expect("valid file");
        prop_assert_eq!(parsed.len(), rows.len());
        for (i, (row, original)) in parsed.iter().zip(&rows).enumerate() {
            prop_assert_eq!(row.line, i as u32 + 2);
            prop_assert_eq!(parse_count(&row.count), Ok(i64::from(original.4)));
            prop_assert_eq!(Month::parse(&row.month).map(|m| (m.year(), m.month())), Ok((original.2, original.3)));
        }
    }
}
