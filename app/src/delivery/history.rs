//! The value history of one cell (online service, region, month): every
//! value ever accepted for it, with the delivery that brought it, when, by
//! which channel and from whom, newest first. No history means "nicht
//! gemeldet"; a reported 0 is listed as 0.

use leptos::prelude::*;

use crate::error::AppError;
use crate::ui::{failed, format_number};

/// One accepted value of a cell.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ValueChange {
    pub count: i64,
    pub delivery_id: i64,
    /// `TT.MM.JJJJ HH:MM`, Europe/Berlin.
    pub recorded_at: String,
    /// csv, form, api or demo.
    pub channel: String,
    /// The user, the API token or the organisation that delivered.
    pub who: Option<String>,
    pub file_name: Option<String>,
}

/// Every accepted value of one cell, newest first; empty: not reported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ValueHistory {
    pub service_id: String,
    pub service_name: String,
    /// The stored cell's key (Berlin's Kreis and Gemeinde name the Land's).
    pub region_key: String,
    pub region_name: String,
    /// `JJJJ-MM`.
    pub month: String,
    /// "Mai 2024".
    pub month_label: String,
    pub changes: Vec<ValueChange>,
}

/// How a channel is named on the pages.
pub fn channel_label(channel: &str) -> &'static str {
    match channel {
        "csv" => "Datei-Upload",
        "form" => "Formular",
        "api" => "Import-API",
        "demo" => "Demodaten",
        _ => "unbekannt",
    }
}

#[cfg(feature = "ssr")]
mod server {
    use super::{ValueChange, ValueHistory};
    use crate::auth::server::{pool, require_role};
    use crate::auth::Role;
    use crate::delivery::{Message, Month};
    use crate::error::AppError;
    use crate::regions::RegionKey;

    fn invalid(column: &str, value: &str, text: String) -> AppError {
        AppError::Invalid(vec![Message::error(None, Some(column), Some(value), text)])
    }

    pub async fn value_history(
        service: String,
        region: String,
        month: String,
    ) -> Result<ValueHistory, AppError> {
        let user = require_role(&[Role::Submitter, Role::Admin]).await?;
        let organisation = match user.role {
            Role::Admin => None,
            _ => Some(user.organisation_id.ok_or_else(AppError::forbidden)?),
        };
        let month_value = Month::parse(&month).map_err(|text| invalid("Monat", &month, text))?;
        let key = RegionKey::parse(&region)
            .map_err(|err| invalid("Region", region.trim(), err.to_string()))?;
        let pool = pool()?;

        // Another organisation's service is answered like an unknown one.
        let service_id = service.trim();
        let service_name: Option<String> = sqlx::query_scalar(
            "SELECT name FROM online_service WHERE id = $1 AND ($2::bigint IS NULL OR organisation_id = $2)",
        )
        .bind(service_id)
        .bind(organisation)
        .fetch_optional(&pool)
        .await?;
        let Some(service_name) = service_name else {
            return Err(AppError::NotFound(format!(
                "Onlinedienst „{service_id}“ nicht gefunden (oder nicht Ihrer Organisation)"
            )));
        };
        let cell: Option<(String, String)> = sqlx::query_as(
            "SELECT c.key, c.name FROM region r JOIN region c ON c.key = r.cell_key WHERE r.key = $1",
        )
        .bind(key.as_str())
        .fetch_optional(&pool)
        .await?;
        let Some((region_key, region_name)) = cell else {
            return Err(AppError::NotFound(format!(
                "Region „{key}“ ist nicht im Gebietsverzeichnis"
            )));
        };

        let changes: Vec<ValueChange> = sqlx::query_as(
            "SELECT h.count, h.delivery_id,
                    to_char(h.recorded_at AT TIME ZONE 'Europe/Berlin', 'DD.MM.YYYY HH24:MI') AS recorded_at,
                    d.channel::text AS channel,
                    coalesce(u.display_name, 'API-Token „' || t.name || '“', o.name) AS who, d.file_name
             FROM transaction_count_history h
             JOIN delivery d ON d.id = h.delivery_id
             LEFT JOIN app_user u ON u.id = d.user_id
             LEFT JOIN api_token t ON t.id = d.token_id
             LEFT JOIN organisation o ON o.id = d.organisation_id
             WHERE h.service_id = $1 AND h.region_key = $2 AND h.month = $3
             ORDER BY h.delivery_id DESC",
        )
        .bind(service_id)
        .bind(&region_key)
        .bind(month_value.first_day())
        .fetch_all(&pool)
        .await?;
        Ok(ValueHistory {
            service_id: service_id.to_owned(),
            service_name,
            region_key,
            region_name,
            month: month_value.to_string(),
            month_label: month_value.label(),
            changes,
        })
    }
}

/// Every accepted value of one cell, newest first (the ZSK team: any
/// service; a submitter: its organisation's services).
#[server(endpoint = "wertverlauf")]
pub async fn wertverlauf(
    onlinedienst: String,
    region: String,
    monat: String,
) -> Result<ValueHistory, AppError> {
    server::value_history(onlinedienst, region, monat).await
}

/// The "Wertverlauf" form and its answer.
#[component]
pub fn ValueHistorySection() -> impl IntoView {
    let service = RwSignal::new(String::new());
    let region = RwSignal::new(String::new());
    let month = RwSignal::new(String::new());
    let result = RwSignal::new(None::<Result<ValueHistory, AppError>>);
    let busy = RwSignal::new(false);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let args = (
            service.get_untracked(),
            region.get_untracked(),
            month.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            result.set(Some(wertverlauf(args.0, args.1, args.2).await));
            busy.set(false);
        });
    };

    view! {
        <section aria-labelledby="wertverlauf-titel" data-testid="wertverlauf">
            <h2 id="wertverlauf-titel">"Wertverlauf"</h2>
            <p>"Alle angenommenen Werte einer Zelle mit Lieferung, Zeitpunkt, Weg und Absender, neueste zuerst."</p>
            <form class="form" on:submit=on_submit>
                <label for="wv-dienst">"Onlinedienst (ID)"</label>
                <input id="wv-dienst" type="text" required autocomplete="off" bind:value=service/>
                <label for="wv-region">"Region (Regionalschlüssel)"</label>
                <input id="wv-region" type="text" required inputmode="numeric" autocomplete="off" bind:value=region/>
                <label for="wv-monat">"Monat (JJJJ-MM)"</label>
                <input id="wv-monat" type="text" required placeholder="2024-05" autocomplete="off" bind:value=month/>
                <button type="submit" disabled=move || busy.get()>"Verlauf zeigen"</button>
            </form>
            <div aria-live="polite">
                {move || result.get().map(|answer| match answer {
                    Ok(history) => view! { <ValueHistoryTable history=history/> }.into_any(),
                    Err(err) => failed(err),
                })}
            </div>
        </section>
    }
}

#[component]
fn ValueHistoryTable(history: ValueHistory) -> impl IntoView {
    let cell = format!(
        "{} ({}), {} ({}), {}",
        history.service_name,
        history.service_id,
        history.region_name,
        history.region_key,
        history.month_label
    );
    if history.changes.is_empty() {
        return view! {
            <p data-testid="wertverlauf-leer">{format!("{cell}: nicht gemeldet – kein Wert geliefert.")}</p>
        }
        .into_any();
    }
    view! {
        <table class="data" data-testid="wertverlauf-tabelle">
            <caption>{format!("Wertverlauf {cell}, neueste zuerst")}</caption>
            <thead><tr>
                <th scope="col">"Lieferung"</th><th scope="col" class="num">"Wert"</th><th scope="col">"Eingang"</th>
                <th scope="col">"Weg"</th><th scope="col">"Von"</th><th scope="col">"Datei"</th>
            </tr></thead>
            <tbody>
                {history.changes.into_iter().enumerate().map(|(i, change)| view! {
                    <tr>
                        <th scope="row">{change.delivery_id}</th>
                        <td class="num">
                            {format_number(change.count)}
                            {(i == 0).then_some(" (aktuell)")}
                        </td>
                        <td>{change.recorded_at}</td>
                        <td>{channel_label(&change.channel)}</td>
                        <td>{change.who.unwrap_or_default()}</td>
                        <td>{change.file_name.unwrap_or_default()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
