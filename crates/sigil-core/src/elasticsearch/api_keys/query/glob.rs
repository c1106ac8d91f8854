//! The `wildcard` query's `*` and `?` patterns, matched without recursion in O(n·m) at worst.
//! Hand-written: a glob crate would compile each pattern into an automaton for a single use,
//! and this loop also counts its steps against the query's budget.

/// Whether `pattern` (`*`: any run of characters, `?`: one character) matches all of `text`,
/// and how many steps it took; `None` as soon as it would take more than `max_steps`. Greedy with backtracking to the last `*` only: a mismatch after
/// a star lets that star take one more character, and earlier stars never move again, since
/// anything a later segment could match after them, the last star can cover.
pub(crate) fn matches(pattern: &[char], text: &[char], max_steps: u64) -> Option<(bool, u64)> {
    let (mut p, mut t) = (0usize, 0usize);
    // The position after the last star seen, and the text position that star now ends at.
    let mut star: Option<(usize, usize)> = None;
    let mut steps = 0u64;
    while t < text.len() {
        steps += 1;
        if steps > max_steps {
            return None;
        }
        match pattern.get(p) {
            Some('*') => {
                star = Some((p + 1, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((after, end)) => {
                    p = after;
                    t = end + 1;
                    star = Some((after, end + 1));
                }
                None => return Some((false, steps)),
            },
        }
    }
    let rest = pattern.get(p..).unwrap_or_default();
    let steps = steps + rest.len() as u64;
    (steps <= max_steps).then(|| (rest.iter().all(|&c| c == '*'), steps))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(pattern: &str, text: &str) -> bool {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        matches(&p, &t, u64::MAX).is_some_and(|(hit, _)| hit)
    }

    #[test]
    fn stars_and_question_marks() {
        assert!(glob("", ""));
        assert!(!glob("", "a"));
        assert!(glob("*", ""));
        assert!(glob("***", "abc"));
        assert!(glob("b?b-*", "bob-key"));
        assert!(!glob("b?b", "bob-key"));
        assert!(glob("*key", "bob-key"));
        assert!(glob("*-*", "bob-key"));
        assert!(!glob("*x*", "bob-key"));
        assert!(glob("a*b*c", "aXbYbZc"));
        assert!(!glob("a*b*c", "aXbYbZ"));
        assert!(glob("*aab", "aaaab"));
        assert!(glob("?*?", "ab"));
        assert!(!glob("?*?", "a"));
        assert!(glob("é*ü", "éàü"), "characters, not bytes");
    }

    /// What took seconds (exponential backtracking) or overflowed the stack (recursion per
    /// character) is now a bounded loop.
    #[test]
    fn hostile_patterns_cost_at_most_n_times_m() {
        let text: Vec<char> = "a".repeat(60).chars().collect();
        let pattern: Vec<char> = "*a*a*a*a*a*a*b".chars().collect();
        let bound = (text.len() * pattern.len()) as u64;
        assert_eq!(
            matches(&pattern, &text, bound).map(|(hit, _)| hit),
            Some(false)
        );

        let stars: Vec<char> = format!("{}b", "*".repeat(200_000)).chars().collect();
        let name: Vec<char> = "a".repeat(100).chars().collect();
        let linear = (stars.len() + name.len() * 2) as u64;
        assert_eq!(
            matches(&stars, &name, linear).map(|(hit, _)| hit),
            Some(false)
        );
        assert_eq!(
            matches(&stars, &name, 1_000),
            None,
            "stopped at its step limit"
        );
    }
}
