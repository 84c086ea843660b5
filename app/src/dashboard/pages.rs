//! Dashboard pages: the list of online services and one service's figures
//! as charts and as accessible tables.

use charming::component::{Axis, Grid};
use charming::element::{AxisType, Tooltip, Trigger};
use charming::series::{Bar, Line};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{dienst, dienste, ServiceDetail};
use crate::services::ServiceSummary;
use crate::ui::{failed, format_number, Chart};

fn month_or_dash(month: Option<crate::delivery::Month>) -> String {
    month
        .map(|m| m.slash_form())
        .unwrap_or_else(|| "–".to_owned())
}

fn granularity_label(service: &ServiceSummary) -> &'static str {
    service
        .granularity
        .map(|g| g.report_label())
        .unwrap_or("nicht angegeben")
}

fn total_label(total: Option<i64>) -> String {
    total
        .map(format_number)
        .unwrap_or_else(|| "keine Daten".to_owned())
}

#[component]
pub fn ServicesPage() -> impl IntoView {
    let services = LocalResource::new(dienste);
    view! {
        <h1>"Onlinedienste"</h1>
        <Suspense fallback=|| view! { <p>"Lade …"</p> }>
            {move || services.get().map(|result| match result {
                Ok(list) => view! { <ServiceTable services=list/> }.into_any(),
                Err(err) => failed(err),
            })}
        </Suspense>
    }
}

#[component]
fn ServiceTable(services: Vec<ServiceSummary>) -> impl IntoView {
    let count = services.len();
    view! {
        <table class="data" data-testid="dienste">
            <caption>{format!("{count} Onlinedienste in Ihrem Bereich")}</caption>
            <thead>
                <tr>
                    <th scope="col">"Onlinedienst"</th>
                    <th scope="col">"Betreiber"</th>
                    <th scope="col">"Granularität"</th>
                    <th scope="col">"Daten von"</th>
                    <th scope="col">"Daten bis"</th>
                    <th scope="col" class="num">"Transaktionen"</th>
                </tr>
            </thead>
            <tbody>
                {services.into_iter().map(|s| {
                    let href = format!("/dienste/{}", s.id);
                    let granularity = granularity_label(&s);
                    view! {
                        <tr>
                            <th scope="row"><A href=href>{s.name.clone()}</A>
                                {s.portal.clone().map(|p| view! { <span class="muted">{format!(" ({p})")}</span> })}
                            </th>
                            <td>{s.organisation.clone()}</td>
                            <td>{granularity}</td>
                            <td>{month_or_dash(s.first_month)}</td>
                            <td>{month_or_dash(s.last_month)}</td>
                            <td class="num">{total_label(s.total)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
pub fn ServicePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let detail = LocalResource::new(move || {
        let id = params.read().get("id").unwrap_or_default();
        let region = query.read().get("region");
        dienst(id, region)
    });
    view! {
        <p><A href="/dienste">"← Alle Onlinedienste"</A></p>
        <Suspense fallback=|| view! { <p>"Lade …"</p> }>
            {move || detail.get().map(|result| match result {
                Ok(detail) => view! { <ServiceView detail=detail/> }.into_any(),
                Err(err) => view! { <h1>"Onlinedienst"</h1>{failed(err)} }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn ServiceView(detail: ServiceDetail) -> impl IntoView {
    let ServiceDetail {
        service,
        region,
        series,
        parts,
    } = detail;
    let summary = match (service.total, service.first_month, service.last_month) {
        (Some(total), Some(first), Some(last)) => format!(
            "{} Transaktionen von {} bis {} in {} ({}), Granularität: {}",
            format_number(total),
            first.slash_form(),
            last.slash_form(),
            region.name,
            region.level.label(),
            granularity_label(&service)
        ),
        _ => format!("Für {} liegen keine Daten vor.", region.name),
    };
    let parts_level = region.level.finer().map(|l| l.label()).unwrap_or_default();

    let series_chart = charming::Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .grid(Grid::new().left("70").right("20"))
        .x_axis(
            Axis::new()
                .type_(AxisType::Category)
                .data(series.iter().map(|v| v.month.slash_form()).collect()),
        )
        .y_axis(Axis::new().type_(AxisType::Value))
        .series(
            Line::new().name("Transaktionen").data(
                series
                    .iter()
                    .map(|v| v.total.map(|t| t as f64).unwrap_or(f64::NAN))
                    .collect::<Vec<f64>>(),
            ),
        );
    let parts_chart = charming::Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .grid(Grid::new().left("70").right("20").bottom("90"))
        .x_axis(
            Axis::new()
                .type_(AxisType::Category)
                .data(parts.iter().map(|p| p.region.name.clone()).collect()),
        )
        .y_axis(Axis::new().type_(AxisType::Value))
        .series(
            Bar::new()
                .name("Transaktionen")
                .data(parts.iter().map(|p| p.total).collect::<Vec<i64>>()),
        );
    let has_parts = !parts.is_empty();
    let service_id = service.id.clone();

    view! {
        <h1>{service.name.clone()}</h1>
        <p class="summary" data-testid="zusammenfassung">{summary}</p>
        <dl class="facts">
            <dt>"Betreiber"</dt><dd>{service.organisation.clone()}</dd>
            <dt>"Region"</dt><dd>{format!("{} ({})", region.name, region.key)}</dd>
        </dl>

        <h2>"Transaktionen je Monat"</h2>
        <Chart id="chart-monate" label=format!("Liniendiagramm der monatlichen Transaktionen in {}; die Zahlen stehen in der Tabelle darunter.", region.name) chart=series_chart/>
        <details>
            <summary>"Tabelle: Transaktionen je Monat"</summary>
            <table class="data" data-testid="monate">
                <caption>{format!("Transaktionen je Monat, {}", region.name)}</caption>
                <thead><tr><th scope="col">"Monat"</th><th scope="col" class="num">"Transaktionen"</th></tr></thead>
                <tbody>
                    {series.into_iter().map(|v| view! {
                        <tr>
                            <th scope="row">{v.month.label()}</th>
                            <td class="num">{v.total.map(format_number).unwrap_or_else(|| "nicht gemeldet".to_owned())}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </details>

        {has_parts.then(|| view! {
            <h2>{format!("Transaktionen nach {parts_level}")}</h2>
            <Chart id="chart-teile" label=format!("Balkendiagramm der Transaktionen nach {parts_level}; die Zahlen stehen in der Tabelle darunter.") chart=parts_chart/>
            <table class="data" data-testid="teilregionen">
                <caption>{format!("Transaktionen nach {parts_level}, alle Monate")}</caption>
                <thead><tr><th scope="col">{parts_level}</th><th scope="col">"Schlüssel"</th><th scope="col" class="num">"Transaktionen"</th></tr></thead>
                <tbody>
                    {parts.into_iter().map(|p| {
                        let href = format!("/dienste/{}?region={}", service_id, p.region.key);
                        view! {
                            <tr>
                                <th scope="row"><A href=href>{p.region.name.clone()}</A></th>
                                <td>{p.region.key.clone()}</td>
                                <td class="num">{format_number(p.total)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        })}
    }
}
