//! The Atlas Admin API versions Sigil answers (`Accept: application/vnd.atlas.<date>+json`).
//! Plain constants, so the CLI can offer them without depending on any face.

/// The API versions Sigil answers, oldest first.
pub const VERSIONS: [&str; 5] = [
    "2023-01-01",
    "2023-02-01",
    "2023-11-15",
    "2024-08-05",
    "2024-11-13",
];
pub const DEFAULT_VERSION: &str = VERSIONS[0];
