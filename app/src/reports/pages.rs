//! The report page for the ZSK team: the data-source table of the progress
//! report, computed from the stored data.

use leptos::prelude::*;

use super::{bericht_datenquellen, DATENQUELLEN_HEADER};
use crate::ui::{failed, format_number};

#[component]
pub fn ReportPage() -> impl IntoView {
    let rows = LocalResource::new(bericht_datenquellen);
    view! {
        <h1>"Bericht: Datenquellen"</h1>
        <p>"Je Datenquelle: Anzahl Onlinedienste, erster und letzter Monat mit Daten, Granularität und Transaktionen."</p>
        <Suspense fallback=|| view! { <p>"Lade …"</p> }>
            {move || rows.get().map(|result| match result {
                Ok(rows) => view! {
                    <table class="data" data-testid="datenquellen">
                        <caption>"Datenquellen der ZSK"</caption>
                        <thead><tr>
                            {DATENQUELLEN_HEADER.iter().map(|h| view! { <th scope="col">{h.replace("Granularitaet", "Granularität")}</th> }).collect_view()}
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|r| view! {
                                <tr>
                                    <td>{r.level.clone()}</td>
                                    <th scope="row">{r.name.clone()}</th>
                                    <td class="num">{r.services}</td>
                                    <td>{if r.focus_efa { "ja" } else { "nein" }}</td>
                                    <td>{r.from.clone()}</td>
                                    <td>{r.to.clone()}</td>
                                    <td>{r.granularity.clone()}</td>
                                    <td class="num">{format_number(r.transactions)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
                Err(err) => failed(err),
            })}
        </Suspense>
    }
}
