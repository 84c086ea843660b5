//! The ZSK server: configuration, database start-up and migrations, the HTTP
//! router and the work behind the command-line subcommands.

pub mod api;
pub mod catalogue;
pub mod config;
pub mod db;
pub mod demo;
pub mod http;
pub mod masterdata;
pub mod regions;
