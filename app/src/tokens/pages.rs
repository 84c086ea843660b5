//! The API-token page: list, create (shown once) and revoke.

use leptos::prelude::*;

use super::{api_token_anlegen, api_token_widerrufen, api_tokens, NewToken};
use crate::error::AppError;
use crate::ui::{failed, ErrorBox};

#[component]
pub fn TokensPage() -> impl IntoView {
    let tokens = LocalResource::new(api_tokens);
    let name = RwSignal::new(String::new());
    let created = RwSignal::new(None::<Result<NewToken, AppError>>);

    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        leptos::task::spawn_local(async move {
            let result = api_token_anlegen(name.get_untracked()).await;
            if result.is_ok() {
                name.set(String::new());
                tokens.refetch();
            }
            created.set(Some(result));
        });
    };
    let revoke = move |id: i64| {
        leptos::task::spawn_local(async move {
            let _ = api_token_widerrufen(id).await;
            tokens.refetch();
        });
    };

    view! {
        <h1>"API-Tokens"</h1>
        <p>
            "Mit einem Token liefert das System Ihrer Organisation Nutzungsdaten über die Import-Schnittstelle "
            <a href="/api/v1/openapi.json">"(OpenAPI-Beschreibung)"</a>
            ". Der Token wird nur einmal angezeigt; gespeichert wird nur sein Hashwert."
        </p>
        <form class="form" on:submit=create>
            <label for="token-name">"Name des neuen Tokens (z. B. System und Zweck)"</label>
            <input id="token-name" type="text" required maxlength="100" bind:value=name/>
            <button type="submit">"Token anlegen"</button>
        </form>
        {move || created.get().map(|result| match result {
            Ok(token) => view! {
                <div class="success" role="status">
                    <p>"Neuer Token – jetzt kopieren, er wird nicht wieder angezeigt:"</p>
                    <p><code data-testid="neuer-token">{token.token}</code></p>
                </div>
            }.into_any(),
            Err(err) => view! { <ErrorBox error=err/> }.into_any(),
        })}
        <Suspense fallback=|| view! { <p>"Lade …"</p> }>
            {move || tokens.get().map(|result| match result {
                Ok(list) if list.is_empty() => view! { <p>"Noch keine Tokens."</p> }.into_any(),
                Ok(list) => view! {
                    <table class="data" data-testid="tokens">
                        <caption>"Tokens"</caption>
                        <thead><tr>
                            <th scope="col">"Name"</th><th scope="col">"Beginn"</th><th scope="col">"Organisation"</th>
                            <th scope="col">"Angelegt"</th><th scope="col">"Zuletzt benutzt"</th><th scope="col">"Status"</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|t| {
                                let id = t.id;
                                view! {
                                    <tr>
                                        <th scope="row">{t.name.clone()}</th>
                                        <td><code>{t.prefix.clone()}"…"</code></td>
                                        <td>{t.organisation.clone().unwrap_or_else(|| "ZSK-Team (alle)".to_owned())}</td>
                                        <td>{t.created_at.clone()}</td>
                                        <td>{t.last_used_at.clone().unwrap_or_else(|| "nie".to_owned())}</td>
                                        <td>{if t.revoked {
                                            view! { <span>"widerrufen"</span> }.into_any()
                                        } else {
                                            view! {
                                                <button type="button" class="link-button dark" on:click=move |_| revoke(id)>
                                                    {format!("„{}“ widerrufen", t.name)}
                                                </button>
                                            }.into_any()
                                        }}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
                Err(err) => failed(err),
            })}
        </Suspense>
    }
}
