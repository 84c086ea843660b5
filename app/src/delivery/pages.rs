//! The delivery page: choose a CSV, see what will be stored, confirm, and
//! find the delivery in the history.

use leptos::prelude::*;

use super::{
    lieferung_pruefen, lieferung_speichern, lieferungen, DeliveryCounts, DeliveryPreview, Severity,
};
use crate::error::AppError;
use crate::ui::{format_number, ErrorBox, LoginHint};

#[derive(Clone)]
struct SelectedFile {
    name: String,
    content: String,
}

#[component]
pub fn DeliveryPage() -> impl IntoView {
    let file = RwSignal::new(None::<SelectedFile>);
    let preview = RwSignal::new(None::<Result<DeliveryPreview, AppError>>);
    let receipt = RwSignal::new(None::<Result<super::DeliveryReceipt, AppError>>);
    let history = LocalResource::new(lieferungen);

    let on_file = move |ev: leptos::ev::Event| {
        preview.set(None);
        receipt.set(None);
        read_selected_file(ev, file);
    };
    let check = move |_| {
        let Some(selected) = file.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            preview.set(Some(lieferung_pruefen(selected.content).await));
        });
    };
    let save = move |_| {
        let Some(selected) = file.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let result = lieferung_speichern(selected.name, selected.content).await;
            if result.is_ok() {
                preview.set(None);
                history.refetch();
            }
            receipt.set(Some(result));
        });
    };

    view! {
        <h1>"Nutzungsdaten liefern"</h1>
        <p>
            "CSV-Datei (UTF-8) mit den Spalten " <code>"Onlinedienst;Region;Monat;Anzahl"</code>
            ", eine Zeile je Onlinedienst, Region und Monat. Monat als JJJJ-MM, Anzahl als ganze Zahl ≥ 0."
        </p>
        <div class="form">
            <label for="datei">"CSV-Datei"</label>
            <input id="datei" type="file" accept=".csv,text/csv" on:change=on_file/>
            <button type="button" on:click=check disabled=move || file.get().is_none()>"Prüfen"</button>
        </div>
        {move || preview.get().map(|result| match result {
            Ok(p) => view! { <PreviewView preview=p on_save=save/> }.into_any(),
            Err(AppError::Unauthenticated) => view! { <LoginHint/> }.into_any(),
            Err(err) => view! { <ErrorBox error=err/> }.into_any(),
        })}
        {move || receipt.get().map(|result| match result {
            Ok(r) => view! {
                <div class="success" role="status" data-testid="quittung">
                    {format!("Lieferung {} gespeichert: {}", r.delivery_id, counts_text(&r.counts))}
                </div>
            }.into_any(),
            Err(err) => view! { <ErrorBox error=err/> }.into_any(),
        })}

        <h2>"Bisherige Lieferungen"</h2>
        <Suspense fallback=|| view! { <p>"Lade …"</p> }>
            {move || history.get().map(|result| match result {
                Ok(list) if list.is_empty() => view! { <p>"Noch keine Lieferungen."</p> }.into_any(),
                Ok(list) => view! {
                    <table class="data" data-testid="lieferungen">
                        <caption>"Lieferungen Ihrer Organisation, neueste zuerst"</caption>
                        <thead><tr>
                            <th scope="col">"Nr."</th><th scope="col">"Eingang"</th><th scope="col">"Weg"</th>
                            <th scope="col">"Datei"</th><th scope="col">"Von"</th><th scope="col">"Ergebnis"</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|d| view! {
                                <tr>
                                    <th scope="row">{d.id}</th>
                                    <td>{d.received_at}</td>
                                    <td>{d.channel}</td>
                                    <td>{d.file_name.unwrap_or_default()}</td>
                                    <td>{d.user.or(d.organisation).unwrap_or_default()}</td>
                                    <td>{counts_text(&d.counts)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
                Err(AppError::Unauthenticated) => view! { <LoginHint/> }.into_any(),
                Err(err) => view! { <ErrorBox error=err/> }.into_any(),
            })}
        </Suspense>
    }
}

fn counts_text(c: &DeliveryCounts) -> String {
    format!(
        "{} empfangen: {} neu, {} korrigiert, {} unverändert, {} doppelt ignoriert, {} abgelehnt",
        c.received, c.new, c.corrected, c.unchanged, c.ignored, c.rejected
    )
}

#[component]
fn PreviewView<F>(preview: DeliveryPreview, on_save: F) -> impl IntoView
where
    F: Fn(leptos::ev::MouseEvent) + Clone + 'static,
{
    let has_errors = preview.has_errors();
    let messages = preview.messages.clone();
    view! {
        <section aria-labelledby="vorschau-titel" data-testid="vorschau">
            <h2 id="vorschau-titel">"Vorschau"</h2>
            <p>{counts_text(&preview.counts)}</p>
            {(!messages.is_empty()).then(|| view! {
                <ul class="messages">
                    {messages.into_iter().map(|m| {
                        let class = if m.severity == Severity::Error { "msg-error" } else { "msg-warning" };
                        let prefix = if m.severity == Severity::Error { "Fehler: " } else { "Hinweis: " };
                        view! { <li class=class>{prefix}{m.render()}</li> }
                    }).collect_view()}
                </ul>
            })}
            {(!preview.rows.is_empty()).then(|| view! {
            <table class="data">
                <caption>"Zeilen, die gespeichert würden"</caption>
                <thead><tr>
                    <th scope="col">"Zeile"</th><th scope="col">"Onlinedienst"</th><th scope="col">"Region"</th>
                    <th scope="col">"Monat"</th><th scope="col" class="num">"Anzahl"</th><th scope="col">"Status"</th>
                </tr></thead>
                <tbody>
                    {preview.rows.into_iter().map(|r| view! {
                        <tr>
                            <th scope="row">{r.line}</th>
                            <td>{r.service_id}</td>
                            <td>{r.region_key}</td>
                            <td>{r.month.to_string()}</td>
                            <td class="num">{format_number(r.count)}</td>
                            <td>{r.status.label()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            })}
            {if has_errors {
                view! { <p class="error" role="alert">"Die Datei enthält Fehler und wird nicht gespeichert. Bitte korrigieren und erneut prüfen."</p> }.into_any()
            } else {
                view! { <button type="button" on:click=on_save.clone()>"Speichern"</button> }.into_any()
            }}
        </section>
    }
}

/// Reads the chosen file as text into `target`.
#[cfg(feature = "csr")]
fn read_selected_file(ev: leptos::ev::Event, target: RwSignal<Option<SelectedFile>>) {
    use wasm_bindgen::JsCast;
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return;
    };
    let Some(file) = input.files().and_then(|files| files.get(0)) else {
        target.set(None);
        return;
    };
    leptos::task::spawn_local(async move {
        let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
        let content = text.ok().and_then(|v| v.as_string()).unwrap_or_default();
        target.set(Some(SelectedFile {
            name: file.name(),
            content,
        }));
    });
}

#[cfg(not(feature = "csr"))]
fn read_selected_file(_ev: leptos::ev::Event, _target: RwSignal<Option<SelectedFile>>) {}
