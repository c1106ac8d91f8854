//! The Sigil server: configuration, the shared authentication of every face, the faces
//! themselves, and the OpenAPI document that describes them.

pub mod app;
pub mod auth;
pub mod config;
pub mod faces;
pub mod key_set_fetcher;
pub mod openapi;
mod run;

pub use run::{run, RunningServer};
