//! The ZSK app shared by browser and server: typed models with their
//! validation, the server functions, and the pages of the single-page app.
//! Server-only code sits behind the `ssr` feature, browser-only code behind
//! `csr`.

pub mod auth;
pub mod dashboard;
pub mod delivery;
pub mod error;
pub mod regions;
pub mod reports;
pub mod services;
pub mod tokens;
pub mod ui;

pub use ui::App;
