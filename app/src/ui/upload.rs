//! A file chosen in the browser, sent with the session cookie to one of the
//! server's file endpoints; only the browser build talks HTTP itself.

/// The file the user picked.
#[cfg(feature = "csr")]
pub type SelectedFile = web_sys::File;
#[cfg(not(feature = "csr"))]
pub type SelectedFile = ();

/// The message when a request does not get through.
pub const NOT_SENT: &str = "Die Datei konnte nicht übertragen werden. Bitte erneut versuchen.";

/// The file a file input's change event names.
#[cfg(feature = "csr")]
pub fn selected_file(ev: &leptos::ev::Event) -> Option<SelectedFile> {
    use wasm_bindgen::JsCast;
    let input = ev.target()?.dyn_into::<web_sys::HtmlInputElement>().ok()?;
    input.files()?.get(0)
}

#[cfg(not(feature = "csr"))]
pub fn selected_file(_ev: &leptos::ev::Event) -> Option<SelectedFile> {
    None
}

/// Posts the file's bytes, its name in `X-Dateiname`: status and body.
#[cfg(feature = "csr")]
pub async fn post_file(url: &str, file: &SelectedFile) -> Result<(u16, String), String> {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(file);
    let headers = web_sys::Headers::new().map_err(|_| NOT_SENT.to_owned())?;
    headers
        .set("X-Dateiname", &file.name())
        .map_err(|_| NOT_SENT.to_owned())?;
    init.set_headers(&headers);
    fetch(url, &init).await.map_err(|_| NOT_SENT.to_owned())
}

/// The answer of a file endpoint; a refusal (4xx, 5xx) with a message of
/// its own as that message.
#[cfg(feature = "csr")]
pub fn parse_answer<T: serde::de::DeserializeOwned>(
    status: u16,
    text: &str,
    message: impl Fn(&T) -> Option<&String>,
) -> Result<T, String> {
    let answer: T = serde_json::from_str(text)
        .map_err(|_| format!("Unerwartete Antwort des Servers ({status})"))?;
    match message(&answer) {
        Some(text) if status >= 400 => Err(text.clone()),
        _ => Ok(answer),
    }
}

/// GETs a URL of this origin: status and body.
#[cfg(feature = "csr")]
pub async fn get(url: &str) -> Result<(u16, String), String> {
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    fetch(url, &init).await.map_err(|_| NOT_SENT.to_owned())
}

/// One request of this origin with the session cookie.
#[cfg(feature = "csr")]
async fn fetch(
    url: &str,
    init: &web_sys::RequestInit,
) -> Result<(u16, String), wasm_bindgen::JsValue> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let request = web_sys::Request::new_with_str_and_init(url, init)?;
    let window = web_sys::window().ok_or("Kein Browserfenster")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await?
        .dyn_into()?;
    let text = JsFuture::from(response.text()?).await?;
    Ok((response.status(), text.as_string().unwrap_or_default()))
}

/// Waits `ms` milliseconds.
#[cfg(feature = "csr")]
pub async fn sleep(ms: i32) {
    use wasm_bindgen_futures::js_sys::Promise;
    let promise = Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
