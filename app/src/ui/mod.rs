//! The app shell: router, navigation, the start page and small shared
//! components (number formatting, error display, charts).

mod chart;
pub mod upload;

pub use chart::Chart;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

use crate::auth::{aktueller_benutzer, pages::LoginPage, Role, SessionUser};
use crate::dashboard::pages::{ServicePage, ServicesPage};
use crate::delivery::form_page::FormPage;
use crate::delivery::pages::DeliveryPage;
use crate::delivery::Finding;
use crate::error::AppError;
use crate::reports::pages::ReportPage;
use crate::tokens::pages::TokensPage;

/// The logged-in user, shared by all pages; refetched after login and logout.
#[derive(Clone, Copy)]
pub struct CurrentUser(pub LocalResource<Result<Option<SessionUser>, AppError>>);

impl CurrentUser {
    pub fn get(&self) -> Option<SessionUser> {
        self.0.get().and_then(|r| r.ok()).flatten()
    }

    pub fn refetch(&self) {
        self.0.refetch();
    }
}

#[component]
pub fn App() -> impl IntoView {
    let user = CurrentUser(LocalResource::new(aktueller_benutzer));
    provide_context(user);

    view! {
        <Router>
            <a class="skip-link" href="#inhalt">"Zum Inhalt springen"</a>
            <header class="site-header">
                <div class="brand">
                    <A href="/">"ZSK"</A>
                    <span class="brand-sub">"Zentrale Statistik-Komponente"</span>
                </div>
                <Nav/>
            </header>
            <main id="inhalt" tabindex="-1">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=HomePage/>
                    <Route path=path!("/anmelden") view=LoginPage/>
                    <Route path=path!("/dienste") view=ServicesPage/>
                    <Route path=path!("/dienste/:id") view=ServicePage/>
                    <Route path=path!("/lieferung") view=DeliveryPage/>
                    <Route path=path!("/lieferung/formular") view=FormPage/>
                    <Route path=path!("/bericht") view=ReportPage/>
                    <Route path=path!("/tokens") view=TokensPage/>
                    <Route path=path!("/regionen/aenderungen") view=crate::regions::pages::RegionChangesPage/>
                </Routes>
            </main>
            <footer class="site-footer">
                "Gebietsstand: © Statistisches Bundesamt (Destatis), 2025. Quelloffene Software."
            </footer>
        </Router>
    }
}

#[component]
fn Nav() -> impl IntoView {
    let user = expect_context::<CurrentUser>();
    let navigate = leptos_router::hooks::use_navigate();
    let logout = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let _ = crate::auth::abmelden().await;
            user.refetch();
            navigate("/", Default::default());
        });
    };

    view! {
        <nav aria-label="Hauptnavigation">
            <ul class="nav-list">
                {move || match user.get() {
                    None => view! { <li><A href="/anmelden">"Anmelden"</A></li> }.into_any(),
                    Some(u) => {
                        let role = u.role;
                        view! {
                            <li><A href="/dienste">"Onlinedienste"</A></li>
                            {matches!(role, Role::Submitter | Role::Admin)
                                .then(|| view! { <li><A href="/lieferung">"Lieferung"</A></li><li><A href="/lieferung/formular">"Formular"</A></li><li><A href="/tokens">"API-Tokens"</A></li> })}
                            {(role == Role::Admin).then(|| view! { <li><A href="/bericht">"Bericht"</A></li><li><A href="/regionen/aenderungen">"Gebietsänderungen"</A></li> })}
                            <li class="user">
                                <span>{u.display_name.clone()}</span>
                                <span class="role">{format!(" ({})", role.label())}</span>
                            </li>
                            <li>
                                <button type="button" class="link-button" on:click=logout.clone()>
                                    "Abmelden"
                                </button>
                            </li>
                        }
                            .into_any()
                    }
                }}
            </ul>
        </nav>
    }
}

#[component]
fn HomePage() -> impl IntoView {
    let user = expect_context::<CurrentUser>();
    view! {
        <h1>"Zentrale Statistik-Komponente"</h1>
        <p>
            "Hier liefern Behörden und IT-Dienstleister monatlich, wie oft ihre digitalen "
            "Verwaltungsleistungen genutzt wurden – nach Monat und Region. Die Zahlen werden geprüft, "
            "ausgewertet und den Kommunen, Kreisen und Ländern für ihr Gebiet bereitgestellt."
        </p>
        {move || match user.get() {
            Some(u) => view! {
                <p>"Angemeldet als " {u.display_name} ". " <A href="/dienste">"Zu den Onlinediensten"</A></p>
            }
                .into_any(),
            None => view! { <p><A href="/anmelden">"Anmelden"</A> " für Lieferungen und Auswertungen."</p> }.into_any(),
        }}
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <h1>"Seite nicht gefunden"</h1>
        <p><A href="/">"Zur Startseite"</A></p>
    }
}

/// Formats a number the German way: 582.310.
pub fn format_number(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if value < 0 {
        out.insert(0, '-');
    }
    out
}

/// The errors and warnings of a delivery or an import, each with its place.
#[component]
pub fn Findings(fehler: Vec<Finding>, hinweise: Vec<Finding>) -> impl IntoView {
    let findings: Vec<(bool, String)> = fehler
        .iter()
        .map(|f| (true, f.render()))
        .chain(hinweise.iter().map(|f| (false, f.render())))
        .collect();
    (!findings.is_empty()).then(|| {
        view! {
            <ul class="messages">
                {findings.into_iter().map(|(error, text)| {
                    let (class, prefix) = if error { ("msg-error", "Fehler: ") } else { ("msg-warning", "Hinweis: ") };
                    view! { <li class=class>{prefix}{text}</li> }
                }).collect_view()}
            </ul>
        }
    })
}

/// Shows an error of a server function, with its itemised messages.
#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    let messages = match &error {
        AppError::Invalid(messages) => messages.iter().map(|m| m.render()).collect(),
        _ => Vec::new(),
    };
    view! {
        <div class="error" role="alert">
            <p>{error.to_string()}</p>
            <ul>{messages.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
        </div>
    }
}

/// The view of a failed load: the login hint for the public, else the error.
pub fn failed(error: AppError) -> AnyView {
    match error {
        AppError::Unauthenticated => view! { <LoginHint/> }.into_any(),
        error => view! { <ErrorBox error=error/> }.into_any(),
    }
}

/// Sends anonymous users to the login page.
#[component]
pub fn LoginHint() -> impl IntoView {
    view! {
        <p class="error" role="alert">
            "Bitte " <A href="/anmelden">"melden Sie sich an"</A> "."
        </p>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn german_thousands() {
        assert_eq!(super::format_number(582_310), "582.310");
        assert_eq!(super::format_number(0), "0");
        assert_eq!(super::format_number(1_234_567), "1.234.567");
        assert_eq!(super::format_number(999), "999");
        assert_eq!(super::format_number(-1_000), "-1.000");
    }
}
