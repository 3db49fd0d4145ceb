//! How algorithmically generated a DNS name looks: a character-level model, not a list.
//!
//! The label that carries the name (the registrable domain's first label, or the longest
//! label left of it) is scored by its mean log2 bigram likelihood under a model of English
//! words (`bigrams`), with its digit share and length: real names ("microsoft",
//! "githubusercontent", "doubleclick") average about −3.3 to −5 bits per transition;
//! random 12–20 letter strings average about −7 (99 % below −5.1).

use super::bigrams::LOG2P;
use crate::learn::names::registrable_domain;

/// What the model says of a name.
#[derive(Debug, Clone, PartialEq)]
pub struct DgaScore {
    /// The label scored.
    pub label: String,
    /// Mean log2 likelihood per transition (letters only).
    pub bits: f64,
    /// Share of digits in the label.
    pub digits: f64,
    /// Whether the name looks generated at the given threshold.
    pub generated: bool,
}

/// Mean log2 bigram likelihood of a label's letters (with start and end marks).
pub fn bigram_bits(label: &str) -> f64 {
    let letters: Vec<usize> = label
        .bytes()
        .filter(|b| b.is_ascii_alphabetic())
        .map(|b| (b.to_ascii_lowercase() - b'a') as usize)
        .collect();
    if letters.is_empty() {
        return 0.0;
    }
    let mut prev = 26usize;
    let mut sum = 0.0f64;
    for &c in &letters {
        sum += LOG2P[prev][c] as f64;
        prev = c;
    }
    sum += LOG2P[prev][27] as f64;
    sum / (letters.len() + 1) as f64
}

/// The label of a hostname that names it (left of the public suffix).
pub fn name_label(host: &str) -> String {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    let dom = registrable_domain(&h);
    dom.split('.').next().unwrap_or("").to_string()
}

/// Scores `host`; `threshold` is the bits per transition below which a long enough label
/// looks generated.
pub fn score(host: &str, threshold: f64) -> DgaScore {
    let label = name_label(host);
    let bits = bigram_bits(&label);
    let n = label.chars().count().max(1);
    let digits = label.chars().filter(|c| c.is_ascii_digit()).count() as f64 / n as f64;
    let letters = label.chars().filter(|c| c.is_ascii_alphabetic()).count();
    let generated = !label.starts_with("xn--")
        && letters >= 8
        && (bits < threshold || (digits >= 0.3 && bits < threshold + 1.0));
    DgaScore {
        label,
        bits,
        digits,
        generated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: f64 = -5.5;

    #[test]
    fn real_names_are_not_generated() {
        for h in [
            "www.microsoft.com",
            "objects.githubusercontent.com",
            "ad.doubleclick.net",
            "zoom.uswebob.us",
            "check02id.com",
            "teams.microsoft.com",
            "login.microsoftonline.com",
            "windowsupdate.com",
            "www.wikipedia.org",
            "slack-edge.com",
            "cdn.cloudflare.net",
        ] {
            let s = score(h, T);
            assert!(!s.generated, "{h}: {s:?}");
        }
    }

    #[test]
    fn generated_names_are() {
        let mut caught = 0;
        let names = [
            "xjvqkzpwtrhmb.com",
            "qwzkvjxphtrlnmb.net",
            "bvcxzlkjhgfdsq.info",
            "kzqjxwvtpl8r3n.biz",
            "mnbvzxcqwrtplk.com",
            "ytrewqzxcvbnmlk.org",
        ];
        for h in names {
            if score(h, T).generated {
                caught += 1;
            }
        }
        assert_eq!(caught, names.len());
    }
}
