//! Resources are kept as JSON documents beside the columns they are looked up by.

use serde::de::DeserializeOwned;
use serde::Serialize;
use sigil_core::error::{CoreError, CoreResult};

pub(crate) fn to_doc<T: Serialize>(value: &T) -> CoreResult<String> {
    serde_json::to_string(value).map_err(CoreError::internal)
}

pub(crate) fn from_doc<T: DeserializeOwned>(doc: &str) -> CoreResult<T> {
    serde_json::from_str(doc).map_err(CoreError::internal)
}

pub(crate) fn from_docs<T: DeserializeOwned>(rows: Vec<(String,)>) -> CoreResult<Vec<T>> {
    rows.iter().map(|(doc,)| from_doc(doc)).collect()
}
