//! Field rules shared by every resource: lengths in characters, required values.

use crate::error::{CoreError, CoreResult};

/// A required text field of `min..=max` characters.
pub fn text_field(
    field: &str,
    value: Option<String>,
    min: usize,
    max: usize,
) -> CoreResult<String> {
    let value = value.ok_or_else(|| CoreError::missing(field))?;
    check_length(field, &value, min, max)?;
    Ok(value)
}

/// An optional text field of `min..=max` characters when present.
pub fn optional_text(
    field: &str,
    value: Option<String>,
    min: usize,
    max: usize,
) -> CoreResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) => {
            check_length(field, &v, min, max)?;
            Ok(Some(v))
        }
    }
}

pub fn check_length(field: &str, value: &str, min: usize, max: usize) -> CoreResult<()> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(CoreError::invalid(
            field,
            format!("must be {min} to {max} characters long, got {n}"),
        ));
    }
    if min > 0 && value.trim().is_empty() {
        return Err(CoreError::invalid(field, "must not be blank"));
    }
    Ok(())
}

/// Each element of a string array: non-blank, at most `max` characters; at most `max_items`.
pub fn string_list(
    field: &str,
    values: Vec<String>,
    max: usize,
    max_items: usize,
) -> CoreResult<Vec<String>> {
    if values.len() > max_items {
        return Err(CoreError::invalid(
            field,
            format!("may hold at most {max_items} values"),
        ));
    }
    for (i, v) in values.iter().enumerate() {
        check_length(&format!("{field}[{i}]"), v, 1, max)?;
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_characters_at_both_bounds() {
        assert!(text_field("displayName", Some("a".repeat(50)), 1, 50).is_ok());
        assert!(text_field("displayName", Some("é".repeat(50)), 1, 50).is_ok());
        assert!(
            matches!(text_field("displayName", Some("a".repeat(51)), 1, 50), Err(CoreError::Invalid { field, .. }) if field == "displayName")
        );
        assert!(text_field("displayName", Some(String::new()), 1, 50).is_err());
        assert!(text_field("displayName", Some("   ".into()), 1, 50).is_err());
        assert!(
            matches!(text_field("displayName", None, 1, 50), Err(CoreError::Missing { field }) if field == "displayName")
        );
    }

    #[test]
    fn list_elements_name_their_index() {
        let err = string_list("requestedScopes", vec!["a".into(), "".into()], 10, 5).err();
        assert!(
            matches!(err, Some(CoreError::Invalid { field, .. }) if field == "requestedScopes[1]")
        );
    }
}
