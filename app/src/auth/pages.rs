//! The login page.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::anmelden;
use crate::ui::{CurrentUser, ErrorBox};

#[component]
pub fn LoginPage() -> impl IntoView {
    let user = expect_context::<CurrentUser>();
    let navigate = use_navigate();
    let login = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None);
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let navigate = navigate.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match anmelden(login.get_untracked(), password.get_untracked()).await {
                Ok(_) => {
                    error.set(None);
                    user.refetch();
                    navigate("/dienste", Default::default());
                }
                Err(err) => error.set(Some(err)),
            }
            busy.set(false);
        });
    };

    view! {
        <h1>"Anmelden"</h1>
        <form class="form narrow" on:submit=submit>
            <label for="login">"Benutzername"</label>
            <input id="login" name="login" type="text" autocomplete="username" required
                bind:value=login/>
            <label for="passwort">"Passwort"</label>
            <input id="passwort" name="passwort" type="password" autocomplete="current-password" required
                bind:value=password/>
            <button type="submit" disabled=move || busy.get()>"Anmelden"</button>
        </form>
        {move || error.get().map(|e| view! { <ErrorBox error=e/> })}
    }
}
