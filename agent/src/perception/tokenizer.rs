//! CLIP tokenisation through the `tokenizers` crate: the bundle's
//! `tokenizer.json` splits the text, then ids are laid out as OpenCLIP does:
//! `[SOT, tokens..., EOT, PAD...]`, truncated to the context length with EOT
//! kept as the last token.

use std::path::Path;

use tokenizers::Tokenizer;

use crate::perception::manifest::TokenizerSpec;
use crate::Error;

/// A tokenizer with the bundle's context length and special ids.
pub struct ClipTokenizer {
    inner: Tokenizer,
    context_length: usize,
    sot: u32,
    eot: u32,
    pad: u32,
}

impl std::fmt::Debug for ClipTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClipTokenizer")
            .field("context_length", &self.context_length)
            .field("sot", &self.sot)
            .field("eot", &self.eot)
            .field("pad", &self.pad)
            .finish()
    }
}

impl ClipTokenizer {
    /// Loads `dir/<spec.file>`.
    pub fn load(
        dir: &Path,
        spec: &TokenizerSpec,
        context_length: usize,
    ) -> Result<ClipTokenizer, Error> {
        let path = dir.join(&spec.file);
        let mut inner = Tokenizer::from_file(&path).map_err(|e| Error::Bundle {
            bundle: dir.display().to_string(),
            message: format!("{}: {e}", path.display()),
        })?;
        // Layout (SOT, EOT, padding, truncation) is done here, as OpenCLIP does;
        // settings a tokenizer.json may carry for other uses must not interfere.
        inner.with_padding(None);
        inner.with_truncation(None).map_err(|e| Error::Bundle {
            bundle: dir.display().to_string(),
            message: format!("{}: disabling truncation: {e}", path.display()),
        })?;
        let vocab = inner.get_vocab_size(true) as u32;
        for (what, id) in [
            ("sot_id", spec.sot_id),
            ("eot_id", spec.eot_id),
            ("pad_id", spec.pad_id),
        ] {
            if id >= vocab {
                return Err(Error::Bundle {
                    bundle: dir.display().to_string(),
                    message: format!("tokenizer {what} {id} is outside its vocabulary of {vocab}"),
                });
            }
        }
        Ok(ClipTokenizer {
            inner,
            context_length,
            sot: spec.sot_id,
            eot: spec.eot_id,
            pad: spec.pad_id,
        })
    }

    /// Ids per prompt.
    pub fn context_length(&self) -> usize {
        self.context_length
    }

    /// Writes the ids of `text` into `out` (`context_length` values) and
    /// returns how many are not padding.
    pub fn encode_into(&self, text: &str, out: &mut [i64]) -> Result<usize, Error> {
        if out.len() != self.context_length {
            return Err(Error::Config(format!(
                "token buffer has {} slots, context length is {}",
                out.len(),
                self.context_length
            )));
        }
        let enc = self
            .inner
            .encode(text, false)
            .map_err(|e| Error::Config(format!("tokenizing {text:?}: {e}")))?;
        let ids = enc.get_ids();
        let body = ids.len().min(self.context_length - 2);
        if body < ids.len() {
            tracing::warn!(
                text,
                tokens = ids.len(),
                "prompt truncated to the context length"
            );
        }
        out.fill(i64::from(self.pad));
        out[0] = i64::from(self.sot);
        for (o, id) in out[1..=body].iter_mut().zip(ids) {
            *o = i64::from(*id);
        }
        out[body + 1] = i64::from(self.eot);
        Ok(body + 2)
    }

    /// Text of ids, without special tokens (for messages and tests).
    pub fn decode(&self, ids: &[i64]) -> Result<String, Error> {
        let ids: Vec<u32> = ids
            .iter()
            .filter(|&&i| {
                i != i64::from(self.pad) && i != i64::from(self.sot) && i != i64::from(self.eot)
            })
            .map(|&i| i as u32)
            .collect();
        self.inner
            .decode(&ids, true)
            .map_err(|e| Error::Config(format!("decoding ids: {e}")))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::perception::manifest::{Manifest, TokenizerSpec};

    fn fixture() -> ClipTokenizer {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny_clip");
        let m = Manifest::load(&dir).unwrap();
        ClipTokenizer::load(&dir, &m.tokenizer, m.context_length).unwrap()
    }

    #[test]
    fn layout_is_sot_tokens_eot_pad() {
        let t = fixture();
        let mut ids = vec![0i64; t.context_length()];
        let n = t.encode_into("a photo of a Mug.", &mut ids).unwrap();
        // a, photo, of, a, mug, "." = 6 tokens + SOT + EOT
        assert_eq!(n, 8);
        assert_eq!(ids[0], i64::from(t.sot));
        assert_eq!(ids[7], i64::from(t.eot));
        assert!(ids[8..].iter().all(|&i| i == i64::from(t.pad)));
        // EOT is the largest id: the text graph finds it with argmax.
        assert_eq!(*ids.iter().max().unwrap(), i64::from(t.eot));
    }

    #[test]
    fn round_trip_lowercases_and_keeps_words() {
        let t = fixture();
        let mut ids = vec![0i64; t.context_length()];
        t.encode_into("a photo of a Spray Bottle.", &mut ids)
            .unwrap();
        let text = t.decode(&ids).unwrap();
        assert_eq!(text, "a photo of a spray bottle .");
    }

    #[test]
    fn long_prompts_are_truncated_with_eot_last() {
        let t = fixture();
        let mut ids = vec![0i64; t.context_length()];
        let long = "mug ".repeat(40);
        let n = t.encode_into(&long, &mut ids).unwrap();
        assert_eq!(n, t.context_length());
        assert_eq!(ids[t.context_length() - 1], i64::from(t.eot));
    }

    /// A byte-level BPE with OpenAI CLIP's tokenizer.json structure (split
    /// regex needing fancy-regex, NFC, byte level, `</w>` suffix) gives the
    /// same ids as Python's tokenizers.
    #[test]
    fn clip_style_bpe_matches_python() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tokenizers");
        let expected: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("clip_bpe_expected.json")).unwrap(),
        )
        .unwrap();
        let spec = TokenizerSpec {
            file: "clip_bpe.json".into(),
            sot_id: expected["sot_id"].as_u64().unwrap() as u32,
            eot_id: expected["eot_id"].as_u64().unwrap() as u32,
            pad_id: 0,
        };
        let t = ClipTokenizer::load(&dir, &spec, 32).unwrap();
        for sample in expected["samples"].as_array().unwrap() {
            let want: Vec<i64> = sample["ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            let mut ids = vec![0i64; 32];
            let n = t
                .encode_into(sample["text"].as_str().unwrap(), &mut ids)
                .unwrap();
            assert_eq!(n, want.len() + 2);
            assert_eq!(&ids[1..n - 1], want.as_slice(), "{}", sample["text"]);
        }
    }

    #[test]
    fn wrong_buffer_size_is_an_error() {
        let t = fixture();
        let mut ids = vec![0i64; 3];
        assert!(t
            .encode_into("mug", &mut ids)
            .unwrap_err()
            .to_string()
            .contains("3 slots"));
    }
}
