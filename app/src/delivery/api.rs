//! Server functions of the CSV delivery: check (preview), store and history.

use leptos::prelude::*;

use super::{DeliveryPreview, DeliveryReceipt, DeliverySummary};
use crate::error::AppError;

#[cfg(feature = "ssr")]
pub(super) mod server {
    use super::super::jobs::{self, Submitted, Upload};
    use super::super::store::{self, Channel, Deliverer, DeliveryMeta, Mode};
    use super::super::validate::{KeyRepair, RawRecord};
    use super::super::{counts_file, Answer, DeliveryCounts, DeliverySummary, Finding, Message};
    use crate::auth::server::{pool, require_role};
    use crate::auth::{Role, SessionUser};
    use crate::error::AppError;

    /// Only submitters and the ZSK team deliver.
    pub async fn deliverer() -> Result<(SessionUser, Deliverer), AppError> {
        let user = require_role(&[Role::Submitter, Role::Admin]).await?;
        let deliverer = match (user.role, user.organisation_id) {
            (Role::Submitter, Some(org)) => Deliverer::Organisation(org),
            (Role::Admin, _) => Deliverer::Admin,
            _ => return Err(AppError::forbidden()),
        };
        Ok((user, deliverer))
    }

    fn meta<'a>(
        user: &SessionUser,
        deliverer: Deliverer,
        file_name: Option<&'a str>,
    ) -> DeliveryMeta<'a> {
        DeliveryMeta {
            deliverer,
            organisation_id: user.organisation_id,
            user_id: Some(user.id),
            token_id: None,
            channel: Channel::Csv,
            file_name,
            external_id: None,
            file_id: None,
            progress: None,
            refused_before: 0,
        }
    }

    /// The browser hands the file over as UTF-8; replacement characters
    /// show it was not.
    fn refuse_undecoded(content: &str) -> Result<(), AppError> {
        if content.contains('\u{fffd}') {
            return Err(AppError::Invalid(vec![Message::error(
                None,
                None,
                None,
                "Datei ist nicht UTF-8-kodiert; bitte als „CSV UTF-8“ speichern",
            )]));
        }
        Ok(())
    }

    /// Reads the uploaded text.
    pub fn read_rows(content: &str) -> Result<Vec<RawRecord>, AppError> {
        refuse_undecoded(content)?;
        counts_file::read_all_counts(content.as_bytes()).map_err(AppError::Invalid)
    }

    fn in_progress(job_id: i64) -> AppError {
        AppError::BadRequest(format!(
            "Diese Datei wird bereits verarbeitet ({}); das Ergebnis erscheint in der Liste der Lieferungen",
            jobs::job_ref(job_id)
        ))
    }

    /// The receipt of a job's answer, or its findings as the error.
    fn receipt(answer: Answer) -> Result<super::DeliveryReceipt, AppError> {
        let message = |f: &Finding, error: bool| {
            let (line, column, value) = (f.zeile, f.spalte.as_deref(), f.wert.as_deref());
            if error {
                Message::error(line, column, value, f.meldung.clone())
            } else {
                Message::warning(line, column, value, f.meldung.clone())
            }
        };
        let Some(delivery_id) = answer.lieferung else {
            if answer.fehler.is_empty() {
                return Err(AppError::Internal);
            }
            return Err(AppError::Invalid(
                answer.fehler.iter().map(|f| message(f, true)).collect(),
            ));
        };
        let mut messages: Vec<Message> = answer
            .meldung
            .iter()
            .map(|text| Message::warning(None, None, None, text.clone()))
            .collect();
        messages.extend(answer.hinweise.iter().map(|f| message(f, false)));
        Ok(super::DeliveryReceipt {
            delivery_id,
            counts: DeliveryCounts {
                received: answer.empfangen,
                new: answer.neu,
                corrected: answer.korrigiert,
                unchanged: answer.unveraendert,
                ignored: answer.ignoriert,
                rejected: answer.fehlerhaft,
            },
            messages,
        })
    }

    pub async fn check(content: String) -> Result<super::DeliveryPreview, AppError> {
        let (user, deliverer) = deliverer().await?;
        let rows = read_rows(&content)?;
        let meta = meta(&user, deliverer, None);
        store::preview(&pool()?, &meta, rows, KeyRepair::LeadingZero).await
    }

    /// Saves the file with its job and runs the job inline, like a small
    /// upload to `/api/v1/lieferungen/datei`.
    pub async fn save(
        file_name: String,
        content: String,
    ) -> Result<super::DeliveryReceipt, AppError> {
        let (user, _) = deliverer().await?;
        // Text the browser could not decode is no original file to keep.
        refuse_undecoded(&content)?;
        let read = counts_file::read_counts(content.as_bytes());
        let pool = pool()?;
        let upload = Upload {
            organisation_id: user.organisation_id,
            user_id: Some(user.id),
            token_id: None,
            channel: Channel::Csv,
            file_name: Some(file_name.as_str()).filter(|n| !n.is_empty()),
            bytes: content.as_bytes(),
            mode: Mode::Atomic,
        };
        let answer = match jobs::submit(&pool, &upload).await? {
            Submitted::Stored(_, answer) => *answer,
            Submitted::Pending(id) => return Err(in_progress(id)),
            Submitted::New(id) => match jobs::run_to_end(&pool, id, Some(read)).await? {
                Some((_, body)) => serde_json::from_str(&body).map_err(AppError::internal)?,
                None => return Err(in_progress(id)),
            },
        };
        receipt(answer)
    }

    /// One delivery as the history query returns it.
    #[derive(sqlx::FromRow)]
    struct HistoryRow {
        id: i64,
        received_at: String,
        channel: String,
        file_name: Option<String>,
        user_name: Option<String>,
        organisation: Option<String>,
        has_file: bool,
        received: i32,
        new_values: i32,
        corrected: i32,
        unchanged: i32,
        rejected: i32,
    }

    impl From<HistoryRow> for DeliverySummary {
        fn from(row: HistoryRow) -> Self {
            let stored = row.new_values + row.corrected + row.unchanged;
            let counts = DeliveryCounts {
                received: row.received as u32,
                new: row.new_values as u32,
                corrected: row.corrected as u32,
                unchanged: row.unchanged as u32,
                ignored: (row.received - row.rejected - stored).max(0) as u32,
                rejected: row.rejected as u32,
            };
            DeliverySummary {
                id: row.id,
                received_at: row.received_at,
                channel: row.channel,
                file_name: row.file_name,
                user: row.user_name,
                organisation: row.organisation,
                counts,
                has_file: row.has_file,
            }
        }
    }

    pub async fn history() -> Result<Vec<DeliverySummary>, AppError> {
        let (user, _) = deliverer().await?;
        let organisation = if user.role == Role::Admin {
            None
        } else {
            user.organisation_id
        };
        // A ZSK-team delivery's file may hold other organisations' values:
        // only the ZSK team downloads it.
        let rows: Vec<HistoryRow> = sqlx::query_as(
            "SELECT d.id, to_char(d.received_at AT TIME ZONE 'Europe/Berlin', 'DD.MM.YYYY HH24:MI') AS received_at,
                    d.channel::text AS channel, d.file_name,
                    coalesce(u.display_name, 'API-Token „' || t.name || '“') AS user_name,
                    coalesce(o.name, 'ZSK-Team') AS organisation,
                    d.file_id IS NOT NULL AND ($1::bigint IS NULL OR d.organisation_id IS NOT DISTINCT FROM $1) AS has_file,
                    d.received, d.new_values, d.corrected, d.unchanged, d.rejected
             FROM delivery d
             LEFT JOIN app_user u ON u.id = d.user_id
             LEFT JOIN api_token t ON t.id = d.token_id
             LEFT JOIN organisation o ON o.id = d.organisation_id
             WHERE $1::bigint IS NULL OR d.organisation_id = $1 OR $1 = ANY(d.organisations)
             ORDER BY d.received_at DESC, d.id DESC
             LIMIT 200",
        )
        .bind(organisation)
        .fetch_all(&pool()?)
        .await?;
        Ok(rows.into_iter().map(DeliverySummary::from).collect())
    }
}

/// Checks a CSV of counts and shows what storing it would do.
#[server(endpoint = "lieferung/pruefen")]
pub async fn lieferung_pruefen(inhalt: String) -> Result<DeliveryPreview, AppError> {
    server::check(inhalt).await
}

/// Stores a CSV of counts: all rows or, on any error, none.
#[server(endpoint = "lieferung/speichern")]
pub async fn lieferung_speichern(
    dateiname: String,
    inhalt: String,
) -> Result<DeliveryReceipt, AppError> {
    server::save(dateiname, inhalt).await
}

/// The delivery history of the user's organisation (all, for the ZSK team).
#[server(endpoint = "lieferungen")]
pub async fn lieferungen() -> Result<Vec<DeliverySummary>, AppError> {
    server::history().await
}
