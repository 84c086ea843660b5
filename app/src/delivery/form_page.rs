//! The form page (`/lieferung/formular`): pick a service and a month with
//! German select boxes (the current month in Europe/Berlin preselected by
//! the server, whatever the browser's time zone), type counts into the grid,
//! check (old → new per row, errors beside the row) and save.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_router::components::A;

use super::form::{
    formular_dienste, formular_pruefen, formular_raster, formular_speichern, EntryResult,
    FormCheck, FormEntry, FormGrid, FormSetup, GridRow, FIRST_YEAR,
};
use super::{month, DeliveryCounts, Month, RowStatus};
use crate::error::AppError;
use crate::ui::{failed, format_number, ErrorBox};

#[component]
pub fn FormPage() -> impl IntoView {
    let setup = LocalResource::new(formular_dienste);
    view! {
        <h1>"Werte im Formular eingeben"</h1>
        <p>
            "Onlinedienst und Monat wählen, dann je Region die Anzahl der Transaktionen eintragen "
            "(ganze Zahl ≥ 0, Tausenderpunkte erlaubt). Ein leeres Feld bedeutet „nicht gemeldet“, "
            "0 ist ein gemeldeter Wert. „Prüfen“ zeigt vor dem Speichern, was neu ist und was korrigiert wird. "
            "Ganze Dateien liefern Sie unter " <A href="/lieferung">"Datei-Lieferung"</A> "."
        </p>
        // No Suspense here: it would hide the selection (and take its focus)
        // each time the grid below reloads.
        {move || match setup.get() {
            None => view! { <p>"Lade …"</p> }.into_any(),
            Some(Ok(setup)) if setup.services.is_empty() => view! {
                <p>"Ihrer Organisation sind keine Onlinedienste zugeordnet."</p>
            }.into_any(),
            Some(Ok(setup)) => view! { <FormView setup=setup/> }.into_any(),
            Some(Err(err)) => failed(err),
        }}
    }
}

/// The selection (service, month, region filter), the grid and the receipt.
#[component]
fn FormView(setup: FormSetup) -> impl IntoView {
    let current = setup.current_month;
    let service = RwSignal::new(setup.services[0].id.clone());
    let year = RwSignal::new(current.year());
    let month_number = RwSignal::new(current.month());
    let filter = RwSignal::new(None::<String>);
    let receipt = RwSignal::new(None::<FormCheck>);
    let month = Memo::new(move |_| Month::new(year.get(), month_number.get()).unwrap_or(current));

    let grid = LocalResource::new(move || {
        let (service, month, filter) = (service.get(), month.get(), filter.get());
        async move { formular_raster(service, month.to_string(), filter).await }
    });
    // The filter's options only change with the service and the month; kept
    // apart from the grid so the select keeps its focus while the grid loads.
    let filters = RwSignal::new((None, Vec::new()));
    Effect::new(move |_| {
        if let Some(Ok(grid)) = grid.get() {
            let options = (grid.filter_level, grid.filters);
            if filters.with_untracked(|current| *current != options) {
                filters.set(options);
            }
        }
    });

    let on_service = move |ev: leptos::ev::Event| {
        receipt.set(None);
        filter.set(None);
        service.set(event_target_value(&ev));
    };
    let on_year = move |ev: leptos::ev::Event| {
        let Ok(chosen) = event_target_value(&ev).parse::<i32>() else {
            return;
        };
        receipt.set(None);
        if chosen == current.year() && month_number.get_untracked() > current.month() {
            month_number.set(current.month());
        }
        year.set(chosen);
    };
    let on_month = move |ev: leptos::ev::Event| {
        if let Ok(chosen) = event_target_value(&ev).parse::<u32>() {
            receipt.set(None);
            month_number.set(chosen);
        }
    };
    let on_filter = move |ev: leptos::ev::Event| {
        receipt.set(None);
        filter.set(Some(event_target_value(&ev)).filter(|f| !f.is_empty()));
    };
    let saved = move |check: FormCheck| {
        receipt.set(Some(check));
        grid.refetch();
    };

    let services = setup.services;
    let years: Vec<i32> = (FIRST_YEAR.min(current.year())..=current.year())
        .rev()
        .collect();
    let months = move || {
        let last = if year.get() == current.year() {
            current.month()
        } else {
            12
        };
        (1..=last).collect::<Vec<u32>>()
    };

    view! {
        <div class="form-select">
            <div class="field">
                <label for="dienst">"Onlinedienst"</label>
                <select id="dienst" on:change=on_service>
                    {services.into_iter().map(|s| {
                        let id = s.id.clone();
                        let selected = move || service.get() == id;
                        let text = format!("{} ({})", s.name, s.granularity.report_label());
                        view! { <option value=s.id prop:selected=selected>{text}</option> }
                    }).collect_view()}
                </select>
            </div>
            <fieldset class="month-picker">
                <legend>"Berichtsmonat"</legend>
                <div class="field">
                    <label for="monat">"Monat"</label>
                    <select id="monat" on:change=on_month>
                        <For each=months key=|m| *m let:m>
                            <option value=m.to_string() prop:selected=move || month_number.get() == m>
                                {month::LABELS[m as usize - 1]}
                            </option>
                        </For>
                    </select>
                </div>
                <div class="field">
                    <label for="jahr">"Jahr"</label>
                    <select id="jahr" on:change=on_year>
                        {years.into_iter().map(|y| view! {
                            <option value=y.to_string() prop:selected=move || year.get() == y>{y}</option>
                        }).collect_view()}
                    </select>
                </div>
            </fieldset>
            {move || filters.with(|(level, options)| level.map(|level| {
                let label = format!("{} eingrenzen", level.label());
                let none = if level == crate::regions::RegionLevel::Kreis {
                    "– bitte Kreis wählen –"
                } else {
                    "alle Länder"
                };
                let options = options.clone();
                view! {
                    <div class="field">
                        <label for="filter">{label}</label>
                        <select id="filter" on:change=on_filter>
                            <option value="" prop:selected=move || filter.get().is_none()>{none}</option>
                            {options.into_iter().map(|r| {
                                let key = r.key.clone();
                                let selected = move || filter.get().as_deref() == Some(key.as_str());
                                view! { <option value=r.key.clone() prop:selected=selected>{format!("{} ({})", r.name, r.key)}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                }
            }))}
        </div>
        {move || receipt.get().map(|check| view! { <Receipt check=check/> })}
        <Transition fallback=|| view! { <p>"Lade …"</p> }>
            {move || grid.get().map(|result| match result {
                Ok(grid) if grid.needs_filter() => view! {
                    <p>{format!(
                        "{} wird nach Gemeinden geliefert: bitte oben einen Kreis wählen, um seine Gemeinden einzutragen.",
                        grid.service.name
                    )}</p>
                }.into_any(),
                Ok(grid) => view! { <GridView grid=grid saved=saved/> }.into_any(),
                Err(err) => failed(err),
            })}
        </Transition>
    }
}

/// The rows with their fields, the buttons and the check's result. A new
/// grid (another service, month or filter, or after saving) starts empty.
#[component]
fn GridView(grid: FormGrid, saved: impl Fn(FormCheck) + Copy + 'static) -> impl IntoView {
    let values: Vec<(GridRow, RwSignal<String>)> = grid
        .rows
        .into_iter()
        .map(|row| (row, RwSignal::new(String::new())))
        .collect();
    let check = RwSignal::new(None::<FormCheck>);
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let results = Memo::new(move |_| {
        check.with(|c| {
            c.as_ref()
                .map(|c| {
                    c.entries
                        .iter()
                        .map(|e| (e.region.clone(), e.clone()))
                        .collect::<HashMap<_, _>>()
                })
                .unwrap_or_default()
        })
    });

    let inputs: Vec<(String, RwSignal<String>)> = values
        .iter()
        .map(|(row, value)| (row.key.clone(), *value))
        .collect();
    let entries = move || -> Vec<FormEntry> {
        inputs
            .iter()
            .filter_map(|(key, value)| {
                let text = value.get_untracked();
                (!text.trim().is_empty()).then(|| FormEntry {
                    region: key.clone(),
                    wert: text,
                })
            })
            .collect()
    };
    let (service_id, month) = (grid.service.id.clone(), grid.month);
    let send = move |store: bool| {
        let (service_id, entries) = (service_id.clone(), entries());
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let month = month.to_string();
            if store {
                match formular_speichern(service_id, month, entries).await {
                    Ok(receipt) => saved(receipt),
                    Err(err) => error.set(Some(err)),
                }
            } else {
                match formular_pruefen(service_id, month, entries).await {
                    Ok(result) => check.set(Some(result)),
                    Err(err) => {
                        check.set(None);
                        error.set(Some(err));
                    }
                }
            }
            busy.set(false);
        });
    };
    let check_again = send.clone();
    let can_save =
        move || check.with(|c| c.as_ref().is_some_and(|c| !c.has_errors())) && !busy.get();

    let caption = format!(
        "{} – {} ({})",
        grid.service.name,
        grid.month.label(),
        grid.service.granularity.report_label()
    );
    let previous_header = format!("Vormonat ({})", grid.previous_month.label());
    let empty = values.is_empty();

    view! {
        {empty.then(|| view! { <p>"Für diese Auswahl gibt es keine gültigen Regionen."</p> })}
        {(!empty).then(|| view! {
            <table class="data form-grid" data-testid="raster">
                <caption>{caption}</caption>
                <thead><tr>
                    <th scope="col">"Region"</th>
                    <th scope="col">"Schlüssel"</th>
                    <th scope="col" class="num">{previous_header}</th>
                    <th scope="col" class="num">"Gespeichert"</th>
                    <th scope="col">"Neuer Wert"</th>
                    <th scope="col">"Prüfung"</th>
                </tr></thead>
                <tbody>
                    {values.into_iter().map(|(row, value)| {
                        let key = row.key.clone();
                        let result = move || results.with(|r| r.get(&key).cloned());
                        let input_id = format!("wert-{}", row.key);
                        let status_id = format!("pruefung-{}", row.key);
                        let invalid = {
                            let result = result.clone();
                            move || result().is_some_and(|r| !r.errors.is_empty()).then_some("true")
                        };
                        let row_class = {
                            let result = result.clone();
                            move || result().is_some_and(|r| !r.errors.is_empty()).then_some("row-error")
                        };
                        let on_input = move |ev: leptos::ev::Event| {
                            value.set(event_target_value(&ev));
                            if check.with_untracked(Option::is_some) {
                                check.set(None);
                            }
                        };
                        view! {
                            <tr class=row_class>
                                <th scope="row"><label for=input_id.clone()>{row.name.clone()}</label></th>
                                <td>{row.key.clone()}</td>
                                <td class="num">{value_text(row.previous)}</td>
                                <td class="num">{value_text(row.stored)}</td>
                                <td>
                                    <input id=input_id type="text" inputmode="numeric" autocomplete="off"
                                        class="count-input" aria-describedby=status_id.clone()
                                        aria-invalid=invalid prop:value=move || value.get() on:input=on_input/>
                                </td>
                                <td id=status_id>{move || result().map(|r| view! { <EntryStatus result=r/> })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <div class="buttons">
                <button type="button" on:click=move |_| check_again(false) disabled=move || busy.get()>"Prüfen"</button>
                <button type="button" on:click=move |_| send(true) disabled=move || !can_save()>"Speichern"</button>
            </div>
        })}
        {move || busy.get().then(|| view! { <p role="status">"Wird bearbeitet …"</p> })}
        {move || error.get().map(|err| view! { <ErrorBox error=err/> })}
        {move || check.get().map(|c| view! { <CheckView check=c/> })}
    }
}

fn value_text(value: Option<i64>) -> String {
    value
        .map(format_number)
        .unwrap_or_else(|| "nicht gemeldet".to_owned())
}

/// "Korrektur 120 → 135", "neu", "unverändert".
fn status_text(result: &EntryResult) -> Option<String> {
    let count = result.count?;
    Some(match result.status? {
        RowStatus::New => format!("neu: {}", format_number(count)),
        RowStatus::Correction { old } => format!(
            "Korrektur {} → {}",
            format_number(old),
            format_number(count)
        ),
        RowStatus::Unchanged => "unverändert".to_owned(),
    })
}

/// The check's verdict beside one row.
#[component]
fn EntryStatus(result: EntryResult) -> impl IntoView {
    view! {
        {status_text(&result)}
        {result.errors.into_iter().map(|e| view! { <span class="msg-error">"Fehler: "{e}</span> }).collect_view()}
        {result.warnings.into_iter().map(|w| view! { <span class="msg-warning">"Hinweis: "{w}</span> }).collect_view()}
    }
}

fn counts_text(c: &DeliveryCounts) -> String {
    format!(
        "{} Werte: {} neu, {} korrigiert, {} unverändert, {} fehlerhaft",
        c.received, c.new, c.corrected, c.unchanged, c.rejected
    )
}

/// The summary of a check and every field it concerns, in grid order.
#[component]
fn CheckView(check: FormCheck) -> impl IntoView {
    let verdict = if check.has_errors() {
        "Die Eingaben enthalten Fehler und werden nicht gespeichert. Bitte korrigieren und erneut prüfen."
    } else {
        "Geprüft: Speichern übernimmt diese Werte."
    };
    let general = check
        .errors
        .iter()
        .map(|e| ("msg-error", format!("Fehler: {e}")))
        .chain(
            check
                .warnings
                .iter()
                .map(|w| ("msg-warning", format!("Hinweis: {w}"))),
        )
        .collect::<Vec<_>>();
    let lines = check
        .entries
        .iter()
        .flat_map(|entry| {
            let status = status_text(entry).map(|s| ("", format!("{}: {s}", entry.label)));
            let errors = entry
                .errors
                .iter()
                .map(|e| ("msg-error", format!("{}: Fehler: {e}", entry.label)));
            let warnings = entry
                .warnings
                .iter()
                .map(|w| ("msg-warning", format!("{}: Hinweis: {w}", entry.label)));
            status.into_iter().chain(errors).chain(warnings)
        })
        .collect::<Vec<_>>();
    view! {
        <section aria-labelledby="pruefung-titel" data-testid="vorschau">
            <h2 id="pruefung-titel">"Prüfergebnis"</h2>
            <p role="status">{counts_text(&check.counts)}". "{verdict}</p>
            <ul class="messages">
                {general.into_iter().chain(lines).map(|(class, text)| view! { <li class=class>{text}</li> }).collect_view()}
            </ul>
        </section>
    }
}

/// The receipt of a saved form.
#[component]
fn Receipt(check: FormCheck) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    // The grid the save button was part of is redrawn: the receipt above
    // it takes the focus, so keyboard and screen-reader users land on it and
    // the next Tab leads into the fresh grid.
    Effect::new(move |_| {
        if let Some(element) = node.get() {
            let _ = element.focus();
        }
    });
    let c = check.counts;
    view! {
        <div class="success" role="status" tabindex="-1" data-testid="quittung" node_ref=node>
            {format!(
                "Lieferung {} gespeichert: {} neu, {} korrigiert, {} unverändert.",
                check.delivery_id.unwrap_or_default(),
                c.new,
                c.corrected,
                c.unchanged
            )}
        </div>
    }
}
