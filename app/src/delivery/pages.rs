//! The delivery page: choose a CSV or Excel file, see per row what will be
//! stored (new, correction, unchanged, error), confirm, and find the
//! delivery in the history. The file goes to the same endpoint scripts use
//! (`/api/v1/lieferungen/datei`), as bytes, so encodings and .xlsx are read
//! on the server by the one pipeline. A large file runs as a background
//! job: the page asks for its state every second and shows the progress.
//! The history links each delivery's original file; the value history
//! shows every value a cell ever had.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{channel_label, lieferungen, Answer, DeliveryCounts, JobStatus, ValueHistorySection};
use crate::ui::{failed, format_number, Findings};

/// What the page shows after a check or a store.
#[derive(Clone, Debug, PartialEq)]
enum Stage {
    Checked(Answer),
    Stored(Answer),
    Failed(String),
}

#[component]
pub fn DeliveryPage() -> impl IntoView {
    let file = RwSignal::new_local(None::<upload::SelectedFile>);
    let stage = RwSignal::new(None::<Stage>);
    let busy = RwSignal::new(false);
    // The state of a background job while the page waits for it.
    let job = RwSignal::new(None::<JobStatus>);
    let partial = RwSignal::new(false);
    let history = LocalResource::new(lieferungen);

    let on_file = move |ev: leptos::ev::Event| {
        stage.set(None);
        file.set(upload::selected_file(&ev));
    };
    let send = move |dry_run: bool| {
        let Some(selected) = file.get_untracked() else {
            return;
        };
        busy.set(true);
        let mode = if partial.get_untracked() {
            "teilweise"
        } else {
            "atomar"
        };
        leptos::task::spawn_local(async move {
            let result = upload::send(&selected, dry_run, mode, move |status| {
                job.set(Some(status))
            })
            .await;
            job.set(None);
            stage.set(Some(match result {
                Ok(answer) if dry_run => Stage::Checked(answer),
                Ok(answer) if answer.lieferung.is_some() => {
                    history.refetch();
                    Stage::Stored(answer)
                }
                Ok(answer) => Stage::Checked(answer),
                Err(text) => Stage::Failed(text),
            }));
            busy.set(false);
        });
    };

    view! {
        <h1>"Nutzungsdaten liefern"</h1>
        <p>
            "CSV-Datei (UTF-8 oder Windows-1252; Trennzeichen Semikolon, Komma oder Tabulator) oder Excel-Datei (.xlsx, erstes Blatt) "
            "mit den Spalten " <code>"Onlinedienst;Region;Monat;Anzahl"</code>
            ", eine Zeile je Onlinedienst, Region und Monat. Monat als JJJJ-MM (auch „Mai 2024“ oder 05/2024), "
            "Anzahl als ganze Zahl ≥ 0 (Tausenderpunkte erlaubt)."
        </p>
        <p>"Einzelne Werte tippen Sie bequemer " <A href="/lieferung/formular">"im Formular"</A> " ein."</p>
        <div class="form">
            <label for="datei">"CSV- oder Excel-Datei"</label>
            <input id="datei" type="file" accept=".csv,.txt,.xlsx,text/csv" on:change=on_file/>
            <div class="checkbox">
                <input id="teilweise" type="checkbox" bind:checked=partial/>
                <label for="teilweise">"Nur die gültigen Zeilen speichern, fehlerhafte auslassen"</label>
            </div>
            <button type="button" on:click=move |_| send(true) disabled=move || file.get().is_none() || busy.get()>
                "Prüfen"
            </button>
        </div>
        {move || match (busy.get(), job.get()) {
            (true, Some(status)) => Some(view! { <JobProgress status=status/> }.into_any()),
            (true, None) => Some(view! {
                <p role="status"><progress aria-label="Datei wird übertragen und geprüft"></progress>" Wird bearbeitet …"</p>
            }.into_any()),
            _ => None,
        }}
        {move || stage.get().map(|stage| match stage {
            Stage::Checked(answer) => {
                let can_store = answer.fehler.is_empty() || (partial.get_untracked() && answer.gueltig > 0);
                view! {
                    <PreviewView answer=answer/>
                    {if can_store {
                        view! { <button type="button" on:click=move |_| send(false) disabled=move || busy.get()>"Speichern"</button> }.into_any()
                    } else {
                        view! { <p class="error" role="alert">"Die Datei enthält Fehler und wird nicht gespeichert. Bitte korrigieren und erneut prüfen – oder nur die gültigen Zeilen speichern."</p> }.into_any()
                    }}
                }.into_any()
            }
            Stage::Stored(answer) => view! {
                <div class="success" role="status" data-testid="quittung">
                    {match &answer.meldung {
                        Some(text) if answer.bereits_gespeichert => format!("{text}. {}", answer_text(&answer)),
                        _ => format!("Lieferung {} gespeichert: {}", answer.lieferung.unwrap_or_default(), answer_text(&answer)),
                    }}
                </div>
                <Findings fehler=answer.fehler.clone() hinweise=answer.hinweise.clone()/>
            }.into_any(),
            Stage::Failed(text) => view! { <p class="error" role="alert">{text}</p> }.into_any(),
        })}

        <h2>"Bisherige Lieferungen"</h2>
        <Suspense fallback=|| view! { <p>"Lade …"</p> }>
            {move || history.get().map(|result| match result {
                Ok(list) if list.is_empty() => view! { <p>"Noch keine Lieferungen."</p> }.into_any(),
                Ok(list) => view! {
                    <table class="data" data-testid="lieferungen">
                        <caption>"Lieferungen, die Ihre Werte betreffen, neueste zuerst"</caption>
                        <thead><tr>
                            <th scope="col">"Nr."</th><th scope="col">"Eingang"</th><th scope="col">"Weg"</th>
                            <th scope="col">"Originaldatei"</th><th scope="col">"Von"</th>
                            <th scope="col">"Organisation"</th><th scope="col">"Ergebnis"</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|d| view! {
                                <tr>
                                    <th scope="row">{d.id}</th>
                                    <td>{d.received_at}</td>
                                    <td>{channel_label(&d.channel)}</td>
                                    <td>{file_link(d.id, d.has_file, d.file_name)}</td>
                                    <td>{d.user.unwrap_or_else(|| "–".to_owned())}</td>
                                    <td>{d.organisation.unwrap_or_default()}</td>
                                    <td>{counts_text(&d.counts)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
                Err(err) => failed(err),
            })}
        </Suspense>
        <ValueHistorySection/>
    }
}

/// The download link of a delivery's original file, named like the file.
fn file_link(id: i64, has_file: bool, name: Option<String>) -> AnyView {
    match (has_file, name) {
        (true, name) => {
            let href = format!("/api/v1/lieferungen/{id}/datei");
            let text = name.unwrap_or_else(|| format!("Datei der Lieferung {id}"));
            view! { <a href=href download="">{text}</a> }.into_any()
        }
        (false, name) => name.unwrap_or_default().into_any(),
    }
}

/// The progress of a background job: a bar and the state in words, read
/// out by screen readers as it changes.
#[component]
fn JobProgress(status: JobStatus) -> impl IntoView {
    view! {
        <div class="job-progress" data-testid="fortschritt">
            <label for="auftrag-fortschritt">{format!("Fortschritt von {}", status.auftrag)}</label>
            <progress id="auftrag-fortschritt" max="100" value=status.prozent>{format!("{} %", status.prozent)}</progress>
            <p role="status" aria-live="polite">{status.meldung}</p>
        </div>
    }
}

fn counts_text(c: &DeliveryCounts) -> String {
    format!(
        "{} empfangen: {} neu, {} korrigiert, {} unverändert, {} doppelt ignoriert, {} abgelehnt",
        c.received, c.new, c.corrected, c.unchanged, c.ignored, c.rejected
    )
}

fn answer_text(a: &Answer) -> String {
    format!(
        "{} empfangen: {} neu, {} korrigiert, {} unverändert, {} doppelt ignoriert, {} fehlerhaft",
        a.empfangen, a.neu, a.korrigiert, a.unveraendert, a.ignoriert, a.fehlerhaft
    )
}

/// Every line of the file: the rows that would be stored and the rows with
/// errors, in file order.
#[component]
fn PreviewView(answer: Answer) -> impl IntoView {
    // (line, the cells of a valid row or the error text, status)
    let mut lines: Vec<(u32, Result<[String; 4], String>, String)> = answer
        .ergebnisse
        .iter()
        .map(|r| {
            let status = match (r.status.as_str(), r.alt) {
                ("korrigiert", Some(old)) => format!("Korrektur (bisher {})", format_number(old)),
                ("unveraendert", _) => "unverändert".to_owned(),
                (other, _) => other.to_owned(),
            };
            let cells = [
                r.onlinedienst.clone(),
                r.region.clone(),
                r.monat.clone(),
                format_number(r.anzahl),
            ];
            (r.zeile.unwrap_or_default(), Ok(cells), status)
        })
        .collect();
    for finding in &answer.fehler {
        if let Some(line) = finding.zeile {
            lines.push((line, Err(finding.render()), "Fehler".to_owned()));
        }
    }
    lines.sort_by_key(|(line, _, _)| *line);
    let summary = answer
        .meldung
        .clone()
        .unwrap_or_else(|| answer_text(&answer));
    view! {
        <section aria-labelledby="vorschau-titel" data-testid="vorschau">
            <h2 id="vorschau-titel">"Vorschau"</h2>
            <p>{summary}</p>
            <Findings fehler=answer.fehler.clone() hinweise=answer.hinweise.clone()/>
            {(!lines.is_empty()).then(|| view! {
                <table class="data">
                    <caption>"Zeilen der Datei und was mit ihnen geschähe"</caption>
                    <thead><tr>
                        <th scope="col">"Zeile"</th><th scope="col">"Onlinedienst"</th><th scope="col">"Region"</th>
                        <th scope="col">"Monat"</th><th scope="col" class="num">"Anzahl"</th><th scope="col">"Status"</th>
                    </tr></thead>
                    <tbody>
                        {lines.into_iter().map(|(line, content, status)| match content {
                            Ok([service, region, month, count]) => view! {
                                <tr>
                                    <th scope="row">{line}</th><td>{service}</td><td>{region}</td>
                                    <td>{month}</td><td class="num">{count}</td><td>{status}</td>
                                </tr>
                            }.into_any(),
                            Err(text) => view! {
                                <tr class="row-error">
                                    <th scope="row">{line}</th><td colspan="4">{text}</td><td>{status}</td>
                                </tr>
                            }.into_any(),
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}

/// Sending the chosen file and, for a background job, asking for its
/// state until the answer comes; only the browser build talks HTTP itself.
mod upload {
    use super::{Answer, JobStatus};
    pub use crate::ui::upload::{selected_file, SelectedFile};

    /// Posts the file; the answer, or a German message why there is none.
    /// While a background job runs, its state goes to `on_progress` once a
    /// second.
    #[cfg(feature = "csr")]
    pub async fn send(
        file: &SelectedFile,
        dry_run: bool,
        mode: &str,
        on_progress: impl Fn(JobStatus),
    ) -> Result<Answer, String> {
        use crate::ui::upload::{get, post_file, sleep};
        let url = format!("/api/v1/lieferungen/datei?nur_pruefen={dry_run}&modus={mode}");
        let (mut status, mut text) = post_file(&url, file).await?;

        // 202: a background job; ask again every second until it ends.
        let mut failures = 0;
        while status == 202 {
            let job: JobStatus = serde_json::from_str(&text)
                .map_err(|_| "Unerwartete Antwort des Servers (202)".to_owned())?;
            let poll = job.abfrage.clone();
            let lost = format!(
                "Die Verbindung ist unterbrochen. {} läuft auf dem Server weiter; das Ergebnis erscheint in der Liste der Lieferungen.",
                job.auftrag
            );
            on_progress(job);
            sleep(1000).await;
            match get(&poll).await {
                Ok(next) => (status, text) = next,
                Err(_) if failures < 10 => failures += 1,
                Err(_) => return Err(lost),
            }
        }
        crate::ui::upload::parse_answer(status, &text, |a: &Answer| a.meldung.as_ref())
    }

    #[cfg(not(feature = "csr"))]
    pub async fn send(
        _file: &SelectedFile,
        _dry_run: bool,
        _mode: &str,
        _on_progress: impl Fn(JobStatus),
    ) -> Result<Answer, String> {
        Err("nur im Browser".to_owned())
    }
}
