//! Unpadded base64url (RFC 4648 §5), strict: no padding, no characters outside the alphabet, no
//! stray bits in the last character, so that every byte string has exactly one spelling and a
//! token cannot be altered without changing its signed bytes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// `bytes` in unpadded base64url.
pub(crate) fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The bytes `text` spells, or `None` when it is not canonical unpadded base64url.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_spelling_per_byte_string() {
        assert_eq!(decode("AQ"), Some(vec![1]));
        assert_eq!(decode("AR"), None, "stray bits after the last byte");
        assert_eq!(decode("AQ=="), None, "padding");
        assert_eq!(decode("A+"), None, "the standard alphabet");
        assert_eq!(decode("A"), None, "a lone character is no byte");
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
    }
}
