//! The import API (`/api/v1`): bearer tokens per organisation, counts as
//! JSON or as files, the state of a delivery, read-back of stored values,
//! master-data files and, for the ZSK team, region key changes. Every route
//! resolves its caller first and answers bad input with 4xx and German
//! messages, never 500.

mod caller;
mod files;
mod json;
mod openapi;
mod regions;
mod routes;

pub use caller::Caller;
pub use routes::router;
