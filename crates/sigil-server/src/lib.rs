//! The Sigil server: configuration, the shared authentication of every face, the faces
//! themselves, and the OpenAPI document that describes them.

pub mod app;
pub mod auth;
pub mod body;
pub mod body_deadline;
pub mod config;
pub mod faces;
pub mod health;
pub mod key_set_fetcher;
pub mod limits;
pub mod mongodb;
pub mod openapi;
pub mod routes;
mod run;
pub mod serve;
pub mod state;

pub use run::{run, RunningServer};
