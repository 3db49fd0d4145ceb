//! Bodies that dissectors read: OCSP requests and responses (DER), IPP Print-Job
//! requests and responses, a small XML document.

use super::rng::Rng;

/// A DER TLV.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut b = vec![tag];
    let n = content.len();
    if n < 0x80 {
        b.push(n as u8);
    } else if n < 0x100 {
        b.extend_from_slice(&[0x81, n as u8]);
    } else {
        b.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    b.extend_from_slice(content);
    b
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// A positive DER INTEGER of `n` random bytes.
fn serial(rng: &mut Rng, n: usize) -> Vec<u8> {
    let mut s = rng.bytes(n);
    s[0] = 0x01 + (s[0] & 0x3f);
    tlv(0x02, &s)
}

/// CertID with SHA-1 hashes.
fn cert_id(rng: &mut Rng, serial_len: usize) -> Vec<u8> {
    let sha1 = seq(&[&[0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a], &[0x05, 0x00]]);
    seq(&[
        &sha1,
        &tlv(0x04, &rng.bytes(20)),
        &tlv(0x04, &rng.bytes(20)),
        &serial(rng, serial_len),
    ])
}

/// An OCSPRequest for one certificate (83 bytes with a 16-byte serial).
pub fn ocsp_request(rng: &mut Rng, serial_len: usize) -> Vec<u8> {
    let req = seq(&[&cert_id(rng, serial_len)]);
    let list = seq(&[&req]);
    let tbs = seq(&[&list]);
    seq(&[&tbs])
}

/// GeneralizedTime of a time in µs.
fn gtime(t_us: u64) -> Vec<u8> {
    let secs = t_us / 1_000_000;
    let (y, m, d) = super::civil_from_days((secs / 86400) as i64);
    let s = secs % 86400;
    let text = format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}Z",
        s / 3600,
        (s / 60) % 60,
        s % 60
    );
    tlv(0x18, text.as_bytes())
}

/// A successful basic OCSP response ("good"), signed with RSA-2048 (about 470 bytes).
pub fn ocsp_response(rng: &mut Rng, t_us: u64) -> Vec<u8> {
    let this_update = t_us - t_us % (3600 * 1_000_000);
    let single = seq(&[
        &cert_id(rng, 16),
        &[0x80, 0x00],
        &gtime(this_update),
        &tlv(0xa0, &gtime(this_update + 7 * 86400 * 1_000_000)),
    ]);
    let data = seq(&[
        &tlv(0xa2, &tlv(0x04, &rng.bytes(20))),
        &gtime(t_us),
        &seq(&[&single]),
    ]);
    let sig_alg = seq(&[
        &[
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
        ],
        &[0x05, 0x00],
    ]);
    let mut sig = vec![0u8];
    sig.extend_from_slice(&rng.bytes(256));
    let basic = seq(&[&data, &sig_alg, &tlv(0x03, &sig)]);
    let oid_basic = [
        0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01,
    ];
    let bytes = seq(&[&oid_basic, &tlv(0x04, &basic)]);
    seq(&[&[0x0a, 0x01, 0x00], &tlv(0xa0, &bytes)])
}

/// One IPP attribute.
fn ipp_attr(b: &mut Vec<u8>, tag: u8, name: &str, value: &[u8]) {
    b.push(tag);
    b.extend_from_slice(&(name.len() as u16).to_be_bytes());
    b.extend_from_slice(name.as_bytes());
    b.extend_from_slice(&(value.len() as u16).to_be_bytes());
    b.extend_from_slice(value);
}

/// An IPP/2.0 Print-Job request and its document of `doc_len` bytes.
pub fn ipp_print_job(
    rng: &mut Rng,
    req_id: u32,
    printer_uri: &str,
    user: &str,
    doc_len: usize,
) -> Vec<u8> {
    let mut b = vec![2u8, 0, 0, 2];
    b.extend_from_slice(&req_id.to_be_bytes());
    b.push(0x01);
    ipp_attr(&mut b, 0x47, "attributes-charset", b"utf-8");
    ipp_attr(&mut b, 0x48, "attributes-natural-language", b"fr-fr");
    ipp_attr(&mut b, 0x45, "printer-uri", printer_uri.as_bytes());
    ipp_attr(&mut b, 0x42, "requesting-user-name", user.as_bytes());
    ipp_attr(&mut b, 0x42, "job-name", b"document");
    ipp_attr(&mut b, 0x49, "document-format", b"application/pdf");
    b.push(0x03);
    let mut doc = b"%PDF-1.7\n".to_vec();
    doc.extend_from_slice(&rng.bytes(doc_len.saturating_sub(16)));
    doc.extend_from_slice(b"\n%%EOF\n");
    b.extend_from_slice(&doc);
    b
}

/// The printer's successful answer to a Print-Job.
pub fn ipp_print_ok(req_id: u32, job_id: u32, printer_uri: &str) -> Vec<u8> {
    let mut b = vec![2u8, 0, 0, 0];
    b.extend_from_slice(&req_id.to_be_bytes());
    b.push(0x01);
    ipp_attr(&mut b, 0x47, "attributes-charset", b"utf-8");
    ipp_attr(&mut b, 0x48, "attributes-natural-language", b"fr-fr");
    b.push(0x02);
    ipp_attr(
        &mut b,
        0x45,
        "job-uri",
        format!("{printer_uri}/job-{job_id}").as_bytes(),
    );
    ipp_attr(&mut b, 0x21, "job-id", &job_id.to_be_bytes());
    ipp_attr(&mut b, 0x23, "job-state", &3u32.to_be_bytes());
    ipp_attr(&mut b, 0x44, "job-state-reasons", b"none");
    b.push(0x03);
    b
}

/// The printer vendor's firmware manifest.
pub fn firmware_xml(rng: &mut Rng) -> Vec<u8> {
    let build = 20_260_000 + rng.below(300);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<firmwareManifest>\n  <model>HP LaserJet Pro M404</model>\n  <version>002_2412A</version>\n  <build>{build}</build>\n  <released>2026-01-20</released>\n  <url>https://ftp.hp.com/pub/networking/software/pfirmware/M404/M404_002_2412A.ful</url>\n  <sha256>{}</sha256>\n</firmwareManifest>\n",
        rng.hex(64)
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocsp_sizes_and_structure() {
        let mut r = Rng::new(1);
        let q = ocsp_request(&mut r, 16);
        assert_eq!(q.len(), 83);
        assert_eq!(q[..2], [0x30, 0x51]);
        let a = ocsp_response(&mut r, 1_773_392_541_000_000);
        assert!((440..500).contains(&a.len()), "{}", a.len());
        assert_eq!(a[0], 0x30);
        // Outer length covers the rest.
        let n = usize::from(u16::from_be_bytes([a[2], a[3]]));
        assert_eq!((a[1], n + 4), (0x82, a.len()));
    }
}
