//! Text for the page: HTML escaping and the number formats of its tables.

/// `s` with `& < > " '` escaped, safe inside elements and quoted attributes.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A rate as a percentage with one decimal: `78.0%`.
pub(crate) fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// A rate with its interval: `78.0% (71.6–83.5)`.
pub(crate) fn pct_ci(v: f64, ci: (f64, f64)) -> String {
    format!("{} ({:.1}–{:.1})", pct(v), ci.0 * 100.0, ci.1 * 100.0)
}

/// A mean with its interval, `decimals` places: `0.481 (0.440–0.520)`.
pub(crate) fn num_ci(v: f64, ci: (f64, f64), decimals: usize) -> String {
    format!("{v:.decimals$} ({:.decimals$}–{:.decimals$})", ci.0, ci.1)
}

/// A signed difference with its interval: `+5.0 (−1.2 to +11.0)`, in
/// percentage points when `points`.
pub(crate) fn diff_ci(d: f64, ci: (f64, f64), points: bool) -> String {
    let (scale, decimals, unit) = if points {
        (100.0, 1, " pp")
    } else {
        (1.0, 3, "")
    };
    let f = |v: f64| format!("{:+.decimals$}", v * scale).replace('-', "−");
    format!("{}{unit} ({} to {})", f(d), f(ci.0), f(ci.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn formats_rates_means_and_differences() {
        assert_eq!(pct_ci(0.78, (0.716, 0.835)), "78.0% (71.6–83.5)");
        assert_eq!(num_ci(0.4812, (0.44, 0.52), 3), "0.481 (0.440–0.520)");
        assert_eq!(
            diff_ci(0.05, (-0.012, 0.11), true),
            "+5.0 pp (−1.2 to +11.0)"
        );
        assert_eq!(
            diff_ci(-0.02, (-0.05, 0.01), false),
            "−0.020 (−0.050 to +0.010)"
        );
    }
}
