//! Search that finds Chinese substrings of any length. Text is indexed as overlapping
//! character pairs in an FTS5 table, so a two-character name (张三) is found inside a longer
//! one (张三丰); a query becomes a phrase of its pairs. The last character of each run is also
//! indexed alone, so every character starts some token and a one-character query is a prefix
//! query on the same index.

/// Splits text into runs of letters and digits, lower-cased.
fn runs(text: &str) -> impl Iterator<Item = Vec<char>> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|r| !r.is_empty())
        .map(|r| r.chars().flat_map(char::to_lowercase).collect())
}

/// The tokens to index for `text`: every pair of neighbouring characters within a run, then
/// the run's last character alone.
pub fn index_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for run in runs(text) {
        for pair in run.windows(2) {
            out.extend(pair);
            out.push(' ');
        }
        if let Some(last) = run.last() {
            out.push(*last);
            out.push(' ');
        }
    }
    out
}

/// Builds the FTS5 MATCH expression for a query, or `None` if it has nothing to look for:
/// a run of two or more characters becomes the phrase of its pairs, a single character a
/// prefix query (any token starting with it); every run must match.
pub fn match_expr(query: &str) -> Option<String> {
    let phrases: Vec<String> = runs(query)
        .map(|run| {
            if run.len() == 1 {
                format!("\"{}\"*", run[0])
            } else {
                let pairs: Vec<String> = run.windows(2).map(|p| p.iter().collect()).collect();
                format!("\"{}\"", pairs.join(" "))
            }
        })
        .collect();
    (!phrases.is_empty()).then(|| phrases.join(" AND "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_pairs_within_runs_and_each_runs_last_character() {
        assert_eq!(index_tokens("张三丰, 南街A"), "张三 三丰 丰 南街 街a a ");
        assert_eq!(index_tokens("王 1"), "王 1 ");
    }

    #[test]
    fn builds_phrases_prefixes_and_nothing() {
        assert_eq!(match_expr("张三").as_deref(), Some("\"张三\""));
        assert_eq!(
            match_expr(" 张三丰 南街 ").as_deref(),
            Some("\"张三 三丰\" AND \"南街\"")
        );
        assert_eq!(match_expr("张").as_deref(), Some("\"张\"*"));
        assert_eq!(match_expr("\"*-"), None);
    }
}
