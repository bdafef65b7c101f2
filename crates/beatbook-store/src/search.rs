//! Search that finds Chinese substrings of any length ≥ 1. Text is indexed as overlapping
//! character pairs in an FTS5 table, so a two-character name (张三) is found inside a longer
//! one (张三丰); a query becomes a phrase of its pairs. Single characters fall back to a scan of
//! the projection's search text.

/// Splits text into runs of letters and digits, lower-cased.
fn runs(text: &str) -> impl Iterator<Item = Vec<char>> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|r| !r.is_empty())
        .map(|r| r.chars().flat_map(char::to_lowercase).collect())
}

/// The tokens to index for `text`: every pair of neighbouring characters within a run, and
/// one-character runs whole.
pub fn index_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for run in runs(text) {
        if run.len() == 1 {
            out.push(run[0]);
            out.push(' ');
        }
        for pair in run.windows(2) {
            out.extend(pair);
            out.push(' ');
        }
    }
    out
}

/// How to run a query.
#[derive(Debug, PartialEq, Eq)]
pub enum Plan {
    /// An FTS5 MATCH expression over the pair index.
    Match(String),
    /// Substrings to find by scanning (all must occur).
    Scan(Vec<String>),
    /// Nothing to look for.
    Empty,
}

/// Plans a query: every run of two or more characters becomes a phrase of its pairs, all
/// phrases must match. A query with a one-character run is answered by a scan instead.
pub fn plan(query: &str) -> Plan {
    let runs: Vec<Vec<char>> = runs(query).collect();
    if runs.is_empty() {
        return Plan::Empty;
    }
    if runs.iter().any(|r| r.len() == 1) {
        return Plan::Scan(runs.into_iter().map(|r| r.into_iter().collect()).collect());
    }
    let phrases: Vec<String> = runs
        .iter()
        .map(|run| {
            let pairs: Vec<String> = run.windows(2).map(|p| p.iter().collect()).collect();
            format!("\"{}\"", pairs.join(" "))
        })
        .collect();
    Plan::Match(phrases.join(" AND "))
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_pattern(s: &str) -> String {
    let mut out = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_pairs_within_runs() {
        assert_eq!(index_tokens("张三丰, 南街A"), "张三 三丰 南街 街a ");
        assert_eq!(index_tokens("王 1"), "王 1 ");
    }

    #[test]
    fn plans_phrases_scans_and_nothing() {
        assert_eq!(plan("张三"), Plan::Match("\"张三\"".into()));
        assert_eq!(
            plan(" 张三丰 南街 "),
            Plan::Match("\"张三 三丰\" AND \"南街\"".into())
        );
        assert_eq!(plan("张"), Plan::Scan(vec!["张".into()]));
        assert_eq!(plan("\"*-"), Plan::Empty);
        assert_eq!(like_pattern("50%_a"), "%50\\%\\_a%");
    }
}
