//! The dashboard: the online services a role may see, and per service the
//! monthly time series and the figures of the parts of a region.

mod api;
pub mod pages;

pub use api::*;

use serde::{Deserialize, Serialize};

use crate::delivery::Month;
use crate::regions::Region;
use crate::services::ServiceSummary;

/// One month of a series; `None`: not reported (different from 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthValue {
    pub month: Month,
    pub total: Option<i64>,
}

/// The total of one region over all months.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionValue {
    pub region: Region,
    pub total: i64,
}

/// Everything the service page shows for one region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDetail {
    pub service: ServiceSummary,
    pub region: Region,
    /// Every month from the first to the last reported one.
    pub series: Vec<MonthValue>,
    /// Totals of the next finer level inside the region (Länder for Germany).
    pub parts: Vec<RegionValue>,
}
