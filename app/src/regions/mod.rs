//! Regions (Gebietseinheiten): the levels Bund, Land, Kreis and Gemeinde,
//! the keys that name them, and the key changes that end and begin keys.

pub mod changes;
mod key;
#[cfg_attr(not(feature = "csr"), allow(dead_code))]
pub mod pages;

pub use key::{RegionKey, RegionKeyError};

use serde::{Deserialize, Serialize};

/// The level of a region in the German administrative hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(
    feature = "ssr",
    sqlx(type_name = "region_level", rename_all = "lowercase")
)]
pub enum RegionLevel {
    Bund,
    Land,
    Kreis,
    Gemeinde,
}

impl RegionLevel {
    /// German name of the level, as shown in the UI.
    pub fn label(self) -> &'static str {
        match self {
            Self::Bund => "Bund",
            Self::Land => "Land",
            Self::Kreis => "Kreis",
            Self::Gemeinde => "Gemeinde",
        }
    }

    /// The next finer level, if any.
    pub fn finer(self) -> Option<Self> {
        match self {
            Self::Bund => Some(Self::Land),
            Self::Land => Some(Self::Kreis),
            Self::Kreis => Some(Self::Gemeinde),
            Self::Gemeinde => None,
        }
    }
}

/// A region as shown to users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub key: String,
    pub name: String,
    pub level: RegionLevel,
}
