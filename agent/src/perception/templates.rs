//! Prompt templates: the single CLIP prompt and the 80 ImageNet prompts of
//! the CLIP paper (`imagenet_templates.txt`, one per line, `{}` = the goal).
//! A template's "a" right before the goal becomes "an" where the goal begins
//! with a vowel ("a photo of an alarm clock."), as in the captions CLIP models
//! learn from; a small model reads "a alarm clock" as a different phrase.

use std::sync::LazyLock;

use crate::perception::config::TemplateSet;

/// CoW's single template.
pub const SINGLE_TEMPLATE: &str = "a photo of a {}.";

static IMAGENET: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    include_str!("imagenet_templates.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
});

/// The 80 ImageNet templates.
pub fn imagenet_templates() -> &'static [&'static str] {
    &IMAGENET
}

/// Parses a manifest's template-set name.
pub fn parse_set(name: &str) -> Option<TemplateSet> {
    match name {
        "single" => Some(TemplateSet::Single),
        "imagenet80" => Some(TemplateSet::Imagenet80),
        _ => None,
    }
}

/// The prompts of `goal` under a template set (see [`fill`]).
pub fn prompts(set: TemplateSet, goal: &str) -> Vec<String> {
    let templates: &[&str] = match set {
        TemplateSet::Single => &[SINGLE_TEMPLATE],
        TemplateSet::Imagenet80 => imagenet_templates(),
    };
    templates.iter().map(|t| fill(t, goal)).collect()
}

/// `template` with its first `{}` replaced by `goal`; a word "a" right before
/// the slot takes the goal's article ("a photo of a {}." + "apple" = "a photo
/// of an apple.").
pub fn fill(template: &str, goal: &str) -> String {
    let Some(slot) = template.find("{}") else {
        return template.to_string();
    };
    let (head, tail) = (&template[..slot], &template[slot + 2..]);
    let head = match head.strip_suffix("a ") {
        Some(before) if before.is_empty() || before.ends_with(' ') => {
            format!("{before}{} ", sim_bridge::goal::article(goal))
        }
        _ => head.to_string(),
    };
    format!("{head}{goal}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eighty_templates_each_with_one_slot() {
        let t = imagenet_templates();
        assert_eq!(t.len(), 80);
        assert!(t.iter().all(|s| s.matches("{}").count() == 1));
        assert_eq!(t[0], "a bad photo of a {}.");
        assert!(t.contains(&SINGLE_TEMPLATE));
    }

    #[test]
    fn prompts_fill_the_goal() {
        assert_eq!(
            prompts(TemplateSet::Single, "red mug"),
            vec!["a photo of a red mug."]
        );
        let p = prompts(TemplateSet::Imagenet80, "mug");
        assert_eq!(p.len(), 80);
        assert!(p.contains(&"a mug in a video game.".to_string()));
    }

    #[test]
    fn the_article_before_the_goal_follows_the_goal() {
        assert_eq!(
            prompts(TemplateSet::Single, "alarm clock"),
            vec!["a photo of an alarm clock."]
        );
        assert_eq!(
            fill("a {} in a video game.", "apple"),
            "an apple in a video game."
        );
        assert_eq!(
            fill("a bad photo of a {}.", "Orange"),
            "a bad photo of an Orange."
        );
        assert_eq!(fill("a photo of the {}.", "apple"), "a photo of the apple.");
        // only the word "a" changes, not a word ending in "a"
        assert_eq!(fill("a toy {}.", "apple"), "a toy apple.");
        assert_eq!(fill("itap of a {}.", "apple"), "itap of an apple.");
        assert_eq!(fill("pizza {}", "oven"), "pizza oven");
        assert_eq!(fill("a photo of a {}.", "TV"), "a photo of a TV.");
        let p = prompts(TemplateSet::Imagenet80, "egg");
        assert!(p.contains(&"a photo of an egg.".to_string()));
        assert!(p
            .iter()
            .all(|s| !s.contains(" a egg") && !s.starts_with("a egg")));
    }
}
