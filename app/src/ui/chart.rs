//! An ECharts chart drawn by `charming` in the browser. The chart is an
//! image for screen readers; every chart has a table with the same figures.

use leptos::prelude::*;

#[component]
pub fn Chart(
    /// DOM id of the chart container.
    id: &'static str,
    /// A short description for screen readers.
    label: String,
    /// The chart, drawn once the container is mounted.
    chart: charming::Chart,
) -> impl IntoView {
    #[cfg(feature = "csr")]
    {
        request_animation_frame(move || {
            let width = leptos::prelude::document()
                .get_element_by_id(id)
                .map(|element| element.client_width())
                .filter(|&w| w > 0)
                .unwrap_or(720) as u32;
            if let Err(err) = charming::WasmRenderer::new(width, 320).render(id, &chart) {
                leptos::logging::warn!("chart {id} not drawn: {err:?}");
            }
        });
    }
    #[cfg(not(feature = "csr"))]
    let _ = chart;

    view! { <div id=id class="chart" role="img" aria-label=label></div> }
}
