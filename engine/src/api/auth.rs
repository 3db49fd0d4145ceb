//! The API's bearer token: read once from a file that only its owner may read (mode
//! 0600 or stricter, else the engine refuses to start), kept as its SHA-256, and
//! compared in constant time (`subtle`) with the SHA-256 of what a request presents, so
//! neither the comparison nor the lengths tell anything about the token. Failed and
//! missing credentials are counted.

use ring::digest;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use subtle::ConstantTimeEq;

/// Reads a secret (the API token, the webhook key): the file must belong to whoever runs
/// Vigil alone (mode 0600 or stricter) and hold at least 16 characters; surrounding
/// whitespace is not part of it.
pub fn read_secret(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {what}: {e}", path.display()))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{}: the {what} file must be readable by its owner only (chmod 600), not mode {mode:04o}",
            path.display()
        ));
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("{}: {what}: {e}", path.display()))?;
    let secret = text.trim();
    if secret.len() < 16 {
        return Err(format!(
            "{}: the {what} must be at least 16 characters (e.g. `head -c 32 /dev/urandom | base64`)",
            path.display()
        ));
    }
    Ok(secret.as_bytes().to_vec())
}

/// The token, as its digest, and the count of refused requests.
pub struct Token {
    digest: [u8; 32],
    pub refused: AtomicU64,
}

fn sha256(b: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, b);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

impl Token {
    /// Reads the token file (see [`read_secret`]).
    pub fn load(path: &Path) -> Result<Token, String> {
        Ok(Token::new(&read_secret(path, "API token")?))
    }

    pub fn new(secret: &[u8]) -> Token {
        Token {
            digest: sha256(secret),
            refused: AtomicU64::new(0),
        }
    }

    /// Whether an `Authorization` header value carries the token (`Bearer <token>`);
    /// counts a refusal otherwise.
    pub fn check(&self, authorization: Option<&[u8]>) -> bool {
        let presented = authorization.and_then(|h| {
            let (scheme, rest) = h.split_at(h.len().min(7));
            scheme.eq_ignore_ascii_case(b"bearer ").then_some(rest)
        });
        let ok = match presented {
            Some(t) => bool::from(sha256(t.trim_ascii()).ct_eq(&self.digest)),
            None => false,
        };
        if !ok {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_right_bearer_token_passes() {
        let t = Token::new(b"s3cret-token-0123456789");
        assert!(t.check(Some(b"Bearer s3cret-token-0123456789")));
        assert!(t.check(Some(b"bearer s3cret-token-0123456789")));
        assert!(!t.check(Some(b"Bearer s3cret-token-012345678")));
        assert!(!t.check(Some(b"Basic s3cret-token-0123456789")));
        assert!(!t.check(Some(b"s3cret-token-0123456789")));
        assert!(!t.check(Some(b"Bearer")));
        assert!(!t.check(None));
        assert_eq!(t.refused.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn secrets_must_be_private_and_long_enough() {
        use std::os::unix::fs::PermissionsExt;
        let p = std::env::temp_dir().join(format!("vigil-secret-{}", std::process::id()));
        std::fs::write(&p, "0123456789abcdef0123\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = read_secret(&p, "API token").unwrap_err();
        assert!(e.contains("chmod 600") && e.contains("0644"), "{e}");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_secret(&p, "x").unwrap(), b"0123456789abcdef0123");
        std::fs::write(&p, "short").unwrap();
        assert!(read_secret(&p, "x").unwrap_err().contains("16 characters"));
        let _ = std::fs::remove_file(p);
    }
}
