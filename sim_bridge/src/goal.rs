//! Goal text: the words cow gives the agent for a benchmark category, and
//! the article before them. Shared by every world (the embedded world's
//! captions, the dataset readers) and by the agent's prompts.
//!
//! The category table is `sim_bridge/python/cow_bridge/goal_words.json`,
//! read by the Python bridges too, so both sides give the same words
//! (`tv_monitor` -> "TV", `chest_of_drawers` -> "chest of drawers",
//! `AlarmClock` -> "alarm clock"). A category not in the table is split into
//! words by rule: underscores and lower-to-upper case boundaries become
//! spaces, and the words are lower-cased.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// The shared table, compiled in.
const TABLE: &str = include_str!("../python/cow_bridge/goal_words.json");

#[derive(Deserialize)]
struct Table {
    words: BTreeMap<String, String>,
}

fn table() -> &'static BTreeMap<String, String> {
    static WORDS: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    WORDS.get_or_init(|| {
        // The table is a file of this crate, checked by the tests below.
        serde_json::from_str::<Table>(TABLE)
            .map(|t| t.words)
            .unwrap_or_default()
    })
}

/// The goal text for a benchmark category name.
pub fn goal_words(category: &str) -> String {
    if let Some(words) = table().get(category) {
        return words.clone();
    }
    let mut out = String::with_capacity(category.len() + 4);
    let mut prev: Option<char> = None;
    for c in category.chars() {
        let boundary = c.is_ascii_uppercase()
            && prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
        if c == '_' || c == ' ' || boundary {
            if !out.ends_with(' ') && !out.is_empty() {
                out.push(' ');
            }
            if c == '_' || c == ' ' {
                prev = Some(c);
                continue;
            }
        }
        out.extend(c.to_lowercase());
        prev = Some(c);
    }
    out.trim_end().to_string()
}

/// `"a"` or `"an"` before `word` (by its first letter, any case: "an apple",
/// "an Orange mug", "a TV"). CLIP's prompts and the embedded dataset's
/// captions share it.
pub fn article(word: &str) -> &'static str {
    match word.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_table_parses_and_names_every_benchmark_category() {
        let t: Table = serde_json::from_str(TABLE).unwrap();
        assert!(t.words.len() >= 33, "{}", t.words.len());
        assert_eq!(table().len(), t.words.len());
    }

    /// The same cases as the Python side's `test_goal_words`.
    #[test]
    fn categories_become_the_agents_words() {
        for (category, words) in [
            ("tv_monitor", "TV"),
            ("chest_of_drawers", "chest of drawers"),
            ("gym_equipment", "gym equipment"),
            ("AlarmClock", "alarm clock"),
            ("HousePlant", "plant"),
            ("Television", "TV"),
            ("chair", "chair"),
            ("WateringCan", "watering can"),
            ("coffee_table", "coffee table"),
        ] {
            assert_eq!(goal_words(category), words, "{category}");
        }
    }

    #[test]
    fn the_article_follows_the_first_letter() {
        assert_eq!(article("apple"), "an");
        assert_eq!(article("Orange"), "an");
        assert_eq!(article("TV"), "a");
        assert_eq!(article(""), "a");
    }
}
