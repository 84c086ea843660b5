//! The key-change page of the ZSK team (`/regionen/aenderungen`): choose a
//! file `Schlüssel alt;Name alt;Schlüssel neu;Stichtag`, check it (what
//! would change in the register, every error by line and column), store it,
//! and see the key changes loaded so far. The file goes as bytes to the
//! endpoint scripts use (`/api/v1/regionen/aenderungen`), so it is read on
//! the server by the one importer.

use leptos::prelude::*;

use super::changes::{regionen_aenderungen, KeyChangeAnswer};
use crate::auth::Role;
use crate::ui::{failed, CurrentUser, Findings, LoginHint};

/// What the page shows after a check or a store.
#[derive(Clone, Debug, PartialEq)]
enum Stage {
    Checked(KeyChangeAnswer),
    Stored(KeyChangeAnswer),
    Failed(String),
}

#[component]
pub fn RegionChangesPage() -> impl IntoView {
    let user = expect_context::<CurrentUser>();
    view! {
        <h1>"Gebietsänderungen"</h1>
        {move || match user.get() {
            None => view! { <LoginHint/> }.into_any(),
            Some(u) if u.role == Role::Admin => view! { <ChangesForm/> }.into_any(),
            Some(_) => view! {
                <p class="error" role="alert">"Schlüsseländerungen lädt nur das ZSK-Team."</p>
            }.into_any(),
        }}
    }
}

#[component]
fn ChangesForm() -> impl IntoView {
    let file = RwSignal::new_local(None::<upload::SelectedFile>);
    let stage = RwSignal::new(None::<Stage>);
    let busy = RwSignal::new(false);
    let loaded = LocalResource::new(regionen_aenderungen);

    let on_file = move |ev: leptos::ev::Event| {
        stage.set(None);
        file.set(upload::selected_file(&ev));
    };
    let send = move |dry_run: bool| {
        let Some(selected) = file.get_untracked() else {
            return;
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = upload::send(&selected, dry_run).await;
            stage.set(Some(match result {
                Ok(answer) if !dry_run && answer.fehler.is_empty() => {
                    loaded.refetch();
                    Stage::Stored(answer)
                }
                Ok(answer) => Stage::Checked(answer),
                Err(text) => Stage::Failed(text),
            }));
            busy.set(false);
        });
    };

    view! {
        <p>
            "Eine Datei (CSV in UTF-8 oder Windows-1252, Trennzeichen Semikolon, Komma oder Tabulator, oder .xlsx) "
            "mit den Spalten " <code>"Schlüssel alt;Name alt;Schlüssel neu;Stichtag"</code>
            " sagt, welcher Regionalschlüssel ab welchem Tag durch welchen ersetzt wurde. "
            "Der Stichtag (TT.MM.JJJJ oder JJJJ-MM-TT) ist der erste Tag unter dem neuen Schlüssel. "
            "Mehrere Zeilen mit demselben neuen Schlüssel sind ein Zusammenschluss, mehrere mit demselben alten eine Aufteilung. "
            "Gleicher alter und neuer Schlüssel heißt: der Schlüssel besteht fort (etwa bei einer Eingliederung)."
        </p>
        <p>
            "Der alte Schlüssel gilt dann bis zum Vortag des Stichtags, der neue ab dem Stichtag; "
            "Lieferungen und Korrekturen mit einem Schlüssel außerhalb seiner Gültigkeit werden abgelehnt, nichts wird umgeschlüsselt. "
            "Alte Schlüssel, die das Gebietsregister nicht mehr führt, werden aufgenommen. Jeder Fehler verhindert das Speichern der ganzen Datei."
        </p>
        <div class="form">
            <label for="aenderungen-datei">"Datei mit Schlüsseländerungen"</label>
            <input id="aenderungen-datei" type="file" accept=".csv,.txt,.xlsx,text/csv" on:change=on_file/>
            <button type="button" on:click=move |_| send(true) disabled=move || file.get().is_none() || busy.get()>
                "Prüfen"
            </button>
        </div>
        {move || busy.get().then(|| view! {
            <p role="status"><progress aria-label="Datei wird übertragen und geprüft"></progress>" Wird bearbeitet …"</p>
        })}
        {move || stage.get().map(|stage| match stage {
            Stage::Checked(answer) => {
                let can_store = answer.fehler.is_empty();
                view! {
                    <Preview answer=answer/>
                    {if can_store {
                        view! { <button type="button" on:click=move |_| send(false) disabled=move || busy.get()>"Speichern"</button> }.into_any()
                    } else {
                        view! { <p class="error" role="alert">"Die Datei enthält Fehler und wird nicht gespeichert. Bitte korrigieren und erneut prüfen."</p> }.into_any()
                    }}
                }.into_any()
            }
            Stage::Stored(answer) => view! {
                <div class="success" role="status" data-testid="quittung">
                    <Summary text=answer.zusammenfassung.clone()/>
                </div>
                <Findings fehler=answer.fehler.clone() hinweise=answer.hinweise.clone()/>
            }.into_any(),
            Stage::Failed(text) => view! { <p class="error" role="alert">{text}</p> }.into_any(),
        })}

        <h2>"Geladene Schlüsseländerungen"</h2>
        <Suspense fallback=|| view! { <p>"Lade …"</p> }>
            {move || loaded.get().map(|result| match result {
                Ok(list) if list.is_empty() => view! { <p>"Noch keine Schlüsseländerungen geladen."</p> }.into_any(),
                Ok(list) => view! {
                    <table class="data" data-testid="aenderungen">
                        <caption>"Schlüsseländerungen, neuester Stichtag zuerst"</caption>
                        <thead><tr>
                            <th scope="col">"Schlüssel alt"</th><th scope="col">"Name alt"</th>
                            <th scope="col">"Schlüssel neu"</th><th scope="col">"Name neu"</th>
                            <th scope="col">"Stichtag"</th><th scope="col">"Geladen"</th><th scope="col">"Von"</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|c| view! {
                                <tr>
                                    <th scope="row">{c.old_key}</th><td>{c.old_name}</td>
                                    <td>{c.new_key}</td><td>{c.new_name}</td>
                                    <td>{c.stichtag}</td><td>{c.loaded_at}</td>
                                    <td>{match c.file_name {
                                        Some(name) => format!("{} ({name})", c.loaded_by),
                                        None => c.loaded_by,
                                    }}</td>
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

/// The summary, one fact a line.
#[component]
fn Summary(text: String) -> impl IntoView {
    text.lines()
        .map(|line| view! { <p>{line.to_owned()}</p> })
        .collect_view()
}

/// The summary, the findings and every line of the file with its effect.
#[component]
fn Preview(answer: KeyChangeAnswer) -> impl IntoView {
    let lines = answer.aenderungen.clone();
    view! {
        <section aria-labelledby="vorschau-titel" data-testid="vorschau">
            <h2 id="vorschau-titel">"Vorschau"</h2>
            <Summary text=answer.zusammenfassung.clone()/>
            <Findings fehler=answer.fehler.clone() hinweise=answer.hinweise.clone()/>
            {(!lines.is_empty()).then(|| view! {
                <table class="data">
                    <caption>"Zeilen der Datei und was sie bewirken"</caption>
                    <thead><tr>
                        <th scope="col">"Zeile"</th><th scope="col">"Schlüssel alt"</th><th scope="col">"Name alt"</th>
                        <th scope="col">"Schlüssel neu"</th><th scope="col">"Name neu"</th>
                        <th scope="col">"Stichtag"</th><th scope="col">"Status"</th>
                    </tr></thead>
                    <tbody>
                        {lines.into_iter().map(|l| view! {
                            <tr>
                                <th scope="row">{l.zeile}</th><td>{l.schluessel_alt}</td><td>{l.name_alt}</td>
                                <td>{l.schluessel_neu}</td><td>{l.name_neu}</td>
                                <td>{l.stichtag}</td><td>{l.status}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}

/// Sending the chosen file; only the browser build talks HTTP itself.
mod upload {
    use super::KeyChangeAnswer;
    pub use crate::ui::upload::{selected_file, SelectedFile};

    /// Posts the file; the answer, or a German message why there is none.
    #[cfg(feature = "csr")]
    pub async fn send(file: &SelectedFile, dry_run: bool) -> Result<KeyChangeAnswer, String> {
        let url = format!("/api/v1/regionen/aenderungen?nur_pruefen={dry_run}");
        let (status, text) = crate::ui::upload::post_file(&url, file).await?;
        crate::ui::upload::parse_answer(status, &text, |a: &KeyChangeAnswer| a.meldung.as_ref())
    }

    #[cfg(not(feature = "csr"))]
    pub async fn send(_file: &SelectedFile, _dry_run: bool) -> Result<KeyChangeAnswer, String> {
        Err("nur im Browser".to_owned())
    }
}
