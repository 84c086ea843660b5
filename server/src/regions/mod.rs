//! Reference data of the regions: the GV100AD parser and the import into the
//! `region` table.

pub mod gv100;
pub mod import;

pub use gv100::{Gv100Error, Gv100ErrorKind, Gv100File, Gv100Region, UnincorporatedArea};
pub use import::{import_regions, RegionImportError, RegionImportSummary};

/// Formats a whole number the German way: `10751` → `10.751`.
pub(crate) fn format_number(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_use_german_grouping() {
        assert_eq!(super::format_number(0), "0");
        assert_eq!(super::format_number(400), "400");
        assert_eq!(super::format_number(10_751), "10.751");
        assert_eq!(super::format_number(83_577_140), "83.577.140");
        assert_eq!(super::format_number(-1_000), "-1.000");
    }
}
