//! The server's leaf certificate as Suricata logs it: subject and issuer DNs
//! (`C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS`), serial (`00:97:E6:...`), SHA-1
//! fingerprint (`71:cd:fe:...`), validity (`2015-02-12T18:07:27`), DNS subject
//! alternative names; plus whether it is self-signed (issuer == subject and, when the
//! algorithm is one ring verifies, the signature checks out with its own key).
//! Control plane only (x509-parser, ring; allocates).

use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use std::fmt::Write as _;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;

/// The certificate fields Vigil logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertFields {
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuerdn: String,
    /// Serial, uppercase hex bytes joined by `:`.
    pub serial: String,
    /// SHA-1 of the DER, lowercase hex joined by `:`.
    pub fingerprint: String,
    /// notBefore (seconds since the epoch).
    pub not_before: i64,
    /// notAfter (seconds since the epoch).
    pub not_after: i64,
    /// DNS names of the subjectAltName extension, in order.
    pub sans: Vec<String>,
    /// Issuer == subject, and the signature verifies with the certificate's own key
    /// (or, for algorithms not checked, the key identifiers match or are absent).
    pub self_signed: bool,
    /// `Some(ok)` when the self-signature was actually checked.
    pub self_sig_checked: Option<bool>,
}

/// SHA-1 fingerprint of `der` in Suricata's form.
pub fn fingerprint(der: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    hex_colons(d.as_ref(), false)
}

/// Hex bytes joined by `:`.
fn hex_colons(b: &[u8], upper: bool) -> String {
    let mut s = String::with_capacity(b.len() * 3);
    for (i, v) in b.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = if upper {
            write!(s, "{v:02X}")
        } else {
            write!(s, "{v:02x}")
        };
    }
    s
}

/// Suricata's certificate time format (UTC, no zone): `2015-02-12T18:07:27`.
pub fn format_time(ts: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(ts).ok()?;
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    t.format(&f).ok()
}

/// Parses `der` and extracts the logged fields; `None` if it is not a certificate.
pub fn cert_fields(der: &[u8]) -> Option<CertFields> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let sans = match cert.subject_alternative_name() {
        Ok(Some(ext)) => ext
            .value
            .general_names
            .iter()
            .filter_map(|g| match g {
                GeneralName::DNSName(s) => Some((*s).to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let same_name = cert.issuer().as_raw() == cert.subject().as_raw();
    let (self_signed, self_sig_checked) = if same_name {
        match verify_self_signature(&cert) {
            Some(ok) => (ok, Some(ok)),
            None => (key_ids_match(&cert), None),
        }
    } else {
        (false, None)
    };
    Some(CertFields {
        subject: cert.subject().to_string(),
        issuerdn: cert.issuer().to_string(),
        serial: hex_colons(cert.raw_serial(), true),
        fingerprint: fingerprint(der),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        sans,
        self_signed,
        self_sig_checked,
    })
}

/// Whether the authority key identifier (if any) equals the subject key identifier (if
/// any): the fallback self-signed test when the signature algorithm is not checked.
fn key_ids_match(cert: &X509Certificate<'_>) -> bool {
    let mut ski = None;
    let mut aki = None;
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                aki = a.key_identifier.as_ref().map(|k| k.0)
            }
            _ => {}
        }
    }
    match (ski, aki) {
        (Some(s), Some(a)) => s == a,
        _ => true,
    }
}

/// Checks the certificate's signature with its own public key; `None` when the
/// algorithm is not one ring verifies.
fn verify_self_signature(cert: &X509Certificate<'_>) -> Option<bool> {
    let sig_oid = cert.signature_algorithm.algorithm.to_id_string();
    let key = cert.public_key().subject_public_key.data.as_ref();
    let msg = cert.tbs_certificate.as_ref();
    let sig = cert.signature_value.data.as_ref();
    let try_algs = |algs: &[&'static dyn VerificationAlgorithm]| -> bool {
        algs.iter()
            .any(|alg| UnparsedPublicKey::new(*alg, key).verify(msg, sig).is_ok())
    };
    let ok = match sig_oid.as_str() {
        "1.2.840.113549.1.1.5" => {
            try_algs(&[&signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY])
        }
        "1.2.840.113549.1.1.11" => {
            try_algs(&[&signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY])
        }
        "1.2.840.113549.1.1.12" => try_algs(&[&signature::RSA_PKCS1_2048_8192_SHA384]),
        "1.2.840.113549.1.1.13" => {
            try_algs(&[&signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY])
        }
        "1.2.840.10045.4.3.2" => try_algs(&[
            &signature::ECDSA_P256_SHA256_ASN1,
            &signature::ECDSA_P384_SHA256_ASN1,
        ]),
        "1.2.840.10045.4.3.3" => try_algs(&[
            &signature::ECDSA_P384_SHA384_ASN1,
            &signature::ECDSA_P256_SHA384_ASN1,
        ]),
        "1.3.101.112" => try_algs(&[&signature::ED25519]),
        _ => return None,
    };
    Some(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_hex() {
        assert_eq!(format_time(0).as_deref(), Some("1970-01-01T00:00:00"));
        assert_eq!(format_time(-86400).as_deref(), Some("1969-12-31T00:00:00"));
        assert_eq!(hex_colons(&[0x00, 0x97, 0xe6], true), "00:97:E6");
        assert_eq!(hex_colons(&[0x32], true), "32");
        assert!(cert_fields(b"not a certificate").is_none());
    }
}
