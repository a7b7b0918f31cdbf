//! Prompt templates: the single CLIP prompt and the 80 ImageNet prompts of
//! the CLIP paper (`imagenet_templates.txt`, one per line, `{}` = the goal).

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

/// The prompts of `goal` under a template set.
pub fn prompts(set: TemplateSet, goal: &str) -> Vec<String> {
    let templates: &[&str] = match set {
        TemplateSet::Single => &[SINGLE_TEMPLATE],
        TemplateSet::Imagenet80 => imagenet_templates(),
    };
    templates.iter().map(|t| t.replace("{}", goal)).collect()
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
}
