//! Server functions of the dashboard. Each starts with the role check and
//! limits every query to the caller's scope.

use leptos::prelude::*;

use super::ServiceDetail;
use crate::error::AppError;
use crate::services::ServiceSummary;

#[cfg(feature = "ssr")]
mod server {
    use std::collections::BTreeMap;

    use chrono::NaiveDate;
    use sqlx::PgPool;

    use super::super::{MonthValue, RegionValue, ServiceDetail};
    use crate::auth::server::{pool, require_user, Scope};
    use crate::delivery::Month;
    use crate::error::AppError;
    use crate::regions::{Region, RegionKey, RegionLevel};
    use crate::services::{Granularity, ServiceSummary};

    type ServiceRow = (
        String,
        String,
        String,
        Option<String>,
        Option<Granularity>,
        bool,
        i64,
    );

    const SERVICE_SQL: &str =
        "SELECT s.id, s.name, o.name, p.name, s.granularity, s.efa, s.organisation_id
         FROM online_service s
         JOIN organisation o ON o.id = s.organisation_id
         LEFT JOIN portal p ON p.id = s.portal_id";

    fn root_of(scope: &Scope) -> RegionKey {
        match scope {
            Scope::Region(key) => key.clone(),
            _ => RegionKey::bund(),
        }
    }

    async fn visible_services(pool: &PgPool, scope: &Scope) -> Result<Vec<ServiceRow>, AppError> {
        let org = match scope {
            Scope::Organisation(org) => Some(*org),
            _ => None,
        };
        Ok(sqlx::query_as(&format!(
            "{SERVICE_SQL} WHERE $1::bigint IS NULL OR s.organisation_id = $1"
        ))
        .bind(org)
        .fetch_all(pool)
        .await?)
    }

    fn summary(row: ServiceRow, totals: Option<&(i64, NaiveDate, NaiveDate)>) -> ServiceSummary {
        let (id, name, organisation, portal, granularity, efa, _) = row;
        ServiceSummary {
            id,
            name,
            organisation,
            portal,
            granularity,
            efa,
            total: totals.map(|t| t.0),
            first_month: totals.map(|t| Month::from_date(t.1)),
            last_month: totals.map(|t| Month::from_date(t.2)),
        }
    }

    pub async fn list() -> Result<Vec<ServiceSummary>, AppError> {
        let user = require_user().await?;
        let scope = user.scope()?;
        let pool = pool()?;
        let services = visible_services(&pool, &scope).await?;
        let root = root_of(&scope);
        let ids: Vec<&str> = services.iter().map(|s| s.0.as_str()).collect();
        let totals: Vec<(String, i64, NaiveDate, NaiveDate)> = sqlx::query_as(
            "SELECT service_id, sum(total)::bigint, min(month), max(month)
             FROM region_totals($1, $2) WHERE key = $2 GROUP BY service_id",
        )
        .bind(&ids)
        .bind(root.as_str())
        .fetch_all(&pool)
        .await?;
        let totals: std::collections::HashMap<_, _> = totals
            .into_iter()
            .map(|(id, sum, first, last)| (id, (sum, first, last)))
            .collect();
        let mut list: Vec<ServiceSummary> = services
            .into_iter()
            .map(|row| {
                let t = totals.get(&row.0);
                summary(row, t)
            })
            .collect();
        list.sort_by_cached_key(|s| crate::services::sort_key(&s.name));
        Ok(list)
    }

    pub async fn detail(
        service_id: String,
        region: Option<String>,
    ) -> Result<ServiceDetail, AppError> {
        let user = require_user().await?;
        let scope = user.scope()?;
        let pool = pool()?;

        let region = match region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            Some(text) => {
                RegionKey::parse(text).map_err(|e| AppError::BadRequest(e.to_string()))?
            }
            None => root_of(&scope),
        };
        if let Scope::Region(own) = &scope {
            if !own.contains(&region) {
                tracing::warn!(user.id = user.id, region = %region, "region outside reader scope refused");
                return Err(AppError::Forbidden(format!(
                    "Die Region {region} liegt außerhalb Ihres Bereichs ({own})."
                )));
            }
        }
        let row: Option<ServiceRow> = sqlx::query_as(&format!("{SERVICE_SQL} WHERE s.id = $1"))
            .bind(&service_id)
            .fetch_optional(&pool)
            .await?;
        let Some(row) = row else {
            return Err(AppError::NotFound(format!(
                "Onlinedienst „{service_id}“ nicht gefunden."
            )));
        };
        if let Scope::Organisation(org) = scope {
            if row.6 != org {
                return Err(AppError::forbidden());
            }
        }
        let region_row: Option<(String, String, RegionLevel)> =
            sqlx::query_as("SELECT key, name, level FROM region WHERE key = $1")
                .bind(region.as_str())
                .fetch_optional(&pool)
                .await?;
        let Some((key, name, level)) = region_row else {
            return Err(AppError::NotFound(format!(
                "Region „{region}“ nicht gefunden."
            )));
        };

        let totals: Vec<(String, NaiveDate, i64)> = sqlx::query_as(
            "SELECT key, month, total FROM region_totals(ARRAY[$1], $2) ORDER BY month",
        )
        .bind(&service_id)
        .bind(region.as_str())
        .fetch_all(&pool)
        .await?;

        let own: BTreeMap<NaiveDate, i64> = totals
            .iter()
            .filter(|t| t.0 == key)
            .map(|t| (t.1, t.2))
            .collect();
        let series = month_range(&own);
        let sum = (!own.is_empty()).then(|| own.values().sum());
        let bounds = own
            .keys()
            .next()
            .zip(own.keys().next_back())
            .map(|(a, b)| (sum.unwrap_or(0), *a, *b));

        let parts = parts_of(&pool, &key, level, &totals).await?;
        Ok(ServiceDetail {
            service: summary(row, bounds.as_ref()),
            region: Region { key, name, level },
            series,
            parts,
        })
    }

    /// Every month from the first to the last reported, gaps as `None`.
    fn month_range(values: &BTreeMap<NaiveDate, i64>) -> Vec<MonthValue> {
        let (Some(first), Some(last)) = (values.keys().next(), values.keys().next_back()) else {
            return Vec::new();
        };
        let (mut month, last) = (Month::from_date(*first), Month::from_date(*last));
        let mut out = Vec::new();
        while month <= last {
            out.push(MonthValue {
                month,
                total: values.get(&month.first_day()).copied(),
            });
            month = month.next();
        }
        out
    }

    /// Totals over all months of the regions one level finer than `key`.
    async fn parts_of(
        pool: &PgPool,
        key: &str,
        level: RegionLevel,
        totals: &[(String, NaiveDate, i64)],
    ) -> Result<Vec<RegionValue>, AppError> {
        let Some(finer) = level.finer() else {
            return Ok(Vec::new());
        };
        let mut sums: BTreeMap<&str, i64> = BTreeMap::new();
        for (region, _, total) in totals {
            if region != key && region_level(region) == finer {
                *sums.entry(region.as_str()).or_default() += total;
            }
        }
        let keys: Vec<&str> = sums.keys().copied().collect();
        let names: Vec<(String, String)> =
            sqlx::query_as("SELECT key, name FROM region WHERE key = ANY($1) ORDER BY key")
                .bind(&keys)
                .fetch_all(pool)
                .await?;
        Ok(names
            .into_iter()
            .map(|(key, name)| {
                let total = sums[key.as_str()];
                RegionValue {
                    region: Region {
                        key,
                        name,
                        level: finer,
                    },
                    total,
                }
            })
            .collect())
    }

    fn region_level(key: &str) -> RegionLevel {
        RegionKey::parse(key)
            .map(|k| k.level())
            .unwrap_or(RegionLevel::Gemeinde)
    }
}

/// The online services the caller may see, with totals inside its scope.
#[server(endpoint = "dienste")]
pub async fn dienste() -> Result<Vec<ServiceSummary>, AppError> {
    server::list().await
}

/// One service in one region (default: the caller's whole scope).
#[server(endpoint = "dienst")]
pub async fn dienst(id: String, region: Option<String>) -> Result<ServiceDetail, AppError> {
    server::detail(id, region).await
}
