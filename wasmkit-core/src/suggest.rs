//! "Did you mean" for names the user mistyped.

/// The candidate closest to `name`, if one is close enough to be a likely
/// typo (the same measure and threshold cargo uses for subcommands).
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|&(distance, c)| distance > 0 && distance <= threshold(name, c))
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, c)| c)
}

fn threshold(name: &str, candidate: &str) -> usize {
    // Short names tolerate one edit, longer ones a third of their length.
    (name.len().max(candidate.len()) / 3).max(1)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn finds_close_names_only() {
        let names = ["area", "perimeter", "counter-add"];
        assert_eq!(did_you_mean("aera", names), Some("area"));
        assert_eq!(did_you_mean("counter-ad", names), Some("counter-add"));
        assert_eq!(did_you_mean("zzz", names), None);
        assert_eq!(did_you_mean("area", names), None);
    }
}
