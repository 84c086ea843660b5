//! The ZSK progress report, computed from the stored data: per data source
//! (a portal, or an online service outside any portal) the number of online
//! services, the first and last month with data, the granularity and the
//! number of transactions. Data sources are listed by level (Bund, Land,
//! Kommune) and, within a level, in the order they were registered.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub mod pages;

/// One row of the report's delivery tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSourceRow {
    /// "Bund" or "Land".
    pub level: String,
    pub name: String,
    pub services: i64,
    pub focus_efa: bool,
    /// `MM/JJJJ`, empty without data.
    pub from: String,
    pub to: String,
    pub granularity: String,
    pub transactions: i64,
}

/// The header of `datenquellen.csv`.
pub const DATENQUELLEN_HEADER: [&str; 8] = [
    "Ebene",
    "Datenquelle",
    "Anzahl Onlineservices",
    "Fokusleistung EfA",
    "Daten von",
    "Daten bis",
    "Granularitaet",
    "Anzahl Transaktionen",
];

impl DataSourceRow {
    /// The row's cells in the column order of `datenquellen.csv`.
    pub fn cells(&self) -> [String; 8] {
        [
            self.level.clone(),
            self.name.clone(),
            self.services.to_string(),
            if self.focus_efa { "ja" } else { "nein" }.to_owned(),
            self.from.clone(),
            self.to.clone(),
            self.granularity.clone(),
            self.transactions.to_string(),
        ]
    }
}

#[cfg(feature = "ssr")]
pub mod server {
    use chrono::NaiveDate;
    use sqlx::PgPool;

    use super::DataSourceRow;
    use crate::delivery::Month;
    use crate::error::AppError;
    use crate::services::Granularity;

    /// Computes the report's table from the stored counts.
    pub async fn datenquellen(pool: &PgPool) -> Result<Vec<DataSourceRow>, AppError> {
        #[allow(clippy::type_complexity)]
        let rows: Vec<(String, String, i64, bool, Option<NaiveDate>, Option<NaiveDate>, Option<Granularity>, i64)> =
            sqlx::query_as(
                "WITH source AS (
                    SELECT coalesce(p.id, 'dienst:' || s.id) AS source_id,
                           coalesce(p.name, s.name) AS name,
                           o.level, s.id AS service_id, s.efa AND s.focus AS focus_efa, s.granularity,
                           coalesce(p.registered_seq, s.registered_seq) AS registered_seq
                    FROM online_service s
                    JOIN organisation o ON o.id = coalesce((SELECT organisation_id FROM portal WHERE id = s.portal_id), s.organisation_id)
                    LEFT JOIN portal p ON p.id = s.portal_id
                 ),
                 usage AS (
                    SELECT service_id, min(month) AS first, max(month) AS last, sum(count)::bigint AS total
                    FROM transaction_count GROUP BY service_id
                 )
                 SELECT CASE source.level WHEN 'bund' THEN 'Bund' WHEN 'land' THEN 'Land' ELSE 'Kommune' END,
                        source.name, count(*), bool_or(source.focus_efa),
                        min(usage.first), max(usage.last), min(source.granularity),
                        coalesce(sum(usage.total), 0)::bigint
                 FROM source LEFT JOIN usage ON usage.service_id = source.service_id
                 GROUP BY source.source_id, source.level, source.name
                 ORDER BY source.level, min(source.registered_seq)",
            )
            .fetch_all(pool)
            .await?;

        let rows: Vec<DataSourceRow> = rows
            .into_iter()
            .map(
                |(level, name, services, focus_efa, first, last, granularity, transactions)| {
                    DataSourceRow {
                        level,
                        name,
                        services,
                        focus_efa,
                        from: first
                            .map(|d| Month::from_date(d).slash_form())
                            .unwrap_or_default(),
                        to: last
                            .map(|d| Month::from_date(d).slash_form())
                            .unwrap_or_default(),
                        granularity: granularity
                            .map(|g| g.report_label().to_owned())
                            .unwrap_or_default(),
                        transactions,
                    }
                },
            )
            .collect();
        Ok(rows)
    }

    /// The table as CSV in the layout of `datenquellen.csv`.
    pub fn to_csv(rows: &[DataSourceRow]) -> String {
        let mut out = super::DATENQUELLEN_HEADER.join(";");
        out.push('\n');
        for row in rows {
            out.push_str(&row.cells().join(";"));
            out.push('\n');
        }
        out
    }
}

/// The report table, for the ZSK team only.
#[server(endpoint = "bericht/datenquellen")]
pub async fn bericht_datenquellen() -> Result<Vec<DataSourceRow>, AppError> {
    crate::auth::server::require_role(&[crate::auth::Role::Admin]).await?;
    server::datenquellen(&crate::auth::server::pool()?).await
}
