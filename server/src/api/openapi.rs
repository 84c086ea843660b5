//! The import API's OpenAPI document, generated from the handlers and the
//! shared models, and a readable HTML page of it.

use app::delivery::{
    Answer, CountValue, DeliveryRequest, Finding, JobStatus, RecordResult, ServiceValues,
};
use app::regions::changes::{KeyChangeAnswer, KeyChangeLine};
use axum::response::Html;
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, RefOr};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ZSK Import-API",
        version = "1",
        description = "Nutzungsdaten (Transaktionszahlen je Onlinedienst, Region und Monat) und Stammdaten an die Zentrale Statistik-Komponente liefern. Anmeldung mit dem Token der Organisation: `Authorization: Bearer <Token>`."
    ),
    paths(
        super::routes::post_json,
        super::routes::post_file,
        super::routes::get_delivery,
        super::files::get_file,
        super::routes::get_values,
        super::routes::post_master_data,
        super::regions::post_changes
    ),
    components(schemas(
        DeliveryRequest, ServiceValues, CountValue, Answer, Finding, RecordResult,
        JobStatus, KeyChangeAnswer, KeyChangeLine
    )),
    modifiers(&BearerToken)
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /api/v1/openapi.json`
pub async fn json() -> Json<Document> {
    Json(ApiDoc::openapi())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /api/v1/doku`: the document as a plain, accessible HTML page.
pub async fn page() -> Html<String> {
    let doc = ApiDoc::openapi();
    let mut body = format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"/api/v1/openapi.json\">OpenAPI-Dokument (JSON)</a></p>",
        escape(&doc.info.title),
        escape(doc.info.description.as_deref().unwrap_or_default())
    );
    for (path, item) in &doc.paths.paths {
        let operations = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in operations {
            let Some(op) = operation else { continue };
            body.push_str(&format!(
                "<section><h2><code>{method} {}</code></h2>",
                escape(path)
            ));
            if let Some(summary) = &op.summary {
                body.push_str(&format!("<p><strong>{}</strong></p>", escape(summary)));
            }
            if let Some(description) = &op.description {
                body.push_str(&format!("<p>{}</p>", escape(description)));
            }
            if let Some(parameters) = &op.parameters {
                body.push_str("<h3>Parameter</h3><ul>");
                for p in parameters {
                    body.push_str(&format!(
                        "<li><code>{}</code>: {}</li>",
                        escape(&p.name),
                        escape(p.description.as_deref().unwrap_or_default())
                    ));
                }
                body.push_str("</ul>");
            }
            body.push_str("<h3>Antworten</h3><ul>");
            for (status, response) in &op.responses.responses {
                let text = match response {
                    RefOr::T(r) => r.description.clone(),
                    RefOr::Ref(r) => r.ref_location.clone(),
                };
                body.push_str(&format!(
                    "<li><code>{}</code> {}</li>",
                    escape(status),
                    escape(&text)
                ));
            }
            body.push_str("</ul></section>");
        }
    }
    Html(format!(
        "<!DOCTYPE html><html lang=\"de\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>ZSK Import-API</title><style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem 1.5rem;line-height:1.5;color:#1b1b1b}}\
         a{{color:#004b87}}code{{background:#f2f2f2;padding:0 .2rem}}section{{border-top:1px solid #c8c8c8;margin-top:1.5rem}}</style></head>\
         <body><main>{body}</main></body></html>"
    ))
}
