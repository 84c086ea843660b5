//! Deliveries (Lieferungen) of transaction counts: the shared model, the one
//! validation path and, on the server, the one store step.

mod answer;
mod api;
mod count;
#[cfg(feature = "ssr")]
pub mod counts_file;
pub mod form;
pub mod form_page;
mod history;
#[cfg(feature = "ssr")]
pub mod jobs;
mod month;
#[cfg_attr(not(feature = "csr"), allow(dead_code))]
pub mod pages;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod table;
pub mod validate;

pub use answer::{
    Answer, CountValue, DeliveryRequest, Finding, JobStatus, RecordResult, ServiceValues,
};
pub use api::*;
pub use count::{parse_count, COUNT_RULE};
pub use history::*;
pub use month::{Month, MONTH_RULE};
pub use validate::{Message, Severity};

use serde::{Deserialize, Serialize};

/// How one delivered row relates to what is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowStatus {
    New,
    Correction { old: i64 },
    Unchanged,
}

impl RowStatus {
    pub fn label(self) -> String {
        match self {
            Self::New => "neu".to_owned(),
            Self::Correction { old } => format!("Korrektur (bisher {old})"),
            Self::Unchanged => "unverändert".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewRow {
    pub line: u32,
    pub service_id: String,
    pub region_key: String,
    pub month: Month,
    pub count: i64,
    pub status: RowStatus,
}

/// Received = stored-or-unchanged + rejected; the numbers always add up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryCounts {
    pub received: u32,
    pub new: u32,
    pub corrected: u32,
    pub unchanged: u32,
    /// Duplicate rows identical to an earlier row of the same delivery.
    pub ignored: u32,
    pub rejected: u32,
}

/// What a delivery would do, shown before the user confirms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryPreview {
    pub rows: Vec<PreviewRow>,
    pub messages: Vec<Message>,
    pub counts: DeliveryCounts,
}

impl DeliveryPreview {
    pub fn has_errors(&self) -> bool {
        self.messages.iter().any(|m| m.severity == Severity::Error)
    }
}

/// The receipt of a stored delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryReceipt {
    pub delivery_id: i64,
    pub counts: DeliveryCounts,
    pub messages: Vec<Message>,
}

/// One entry of the delivery history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverySummary {
    pub id: i64,
    pub received_at: String,
    pub channel: String,
    pub file_name: Option<String>,
    /// The user or the API token that delivered.
    pub user: Option<String>,
    pub organisation: Option<String>,
    pub counts: DeliveryCounts,
    /// Whether the original file is kept (`/api/v1/lieferungen/{id}/datei`).
    pub has_file: bool,
}
