//! Reference data of the regions: the GV100AD parser and the import into the
//! `region` table, and the key changes that end old keys and begin new ones.

pub mod changes;
pub mod gv100;
pub mod import;

pub use changes::{import_changes_file, ChangeImportError, ChangeSummary, LoadChannel, LoadMeta};
pub use gv100::{Gv100Error, Gv100ErrorKind, Gv100File, Gv100Region, UnincorporatedArea};
pub use import::{import_regions, RegionImportError, RegionImportSummary};

pub(crate) use app::ui::format_number;
