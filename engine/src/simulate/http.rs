//! Plaintext HTTP/1.1 requests and responses: header order and fields as each client
//! writes them, bodies with their Content-Length.

use super::rng::Rng;

/// A request.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Host header value (a name, or an address with its port).
    pub host: &'a str,
    pub user_agent: Option<&'a str>,
    /// Extra headers after the common ones, in order.
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

impl Request<'_> {
    /// The request's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let mut s = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\n",
            self.method, self.path, self.host
        );
        if let Some(ua) = self.user_agent {
            s.push_str("User-Agent: ");
            s.push_str(ua);
            s.push_str("\r\n");
        }
        for (k, v) in self.headers {
            s.push_str(k);
            s.push_str(": ");
            s.push_str(v);
            s.push_str("\r\n");
        }
        if !self.body.is_empty() || self.method == "POST" {
            s.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        s.push_str("\r\n");
        let mut b = s.into_bytes();
        b.extend_from_slice(self.body);
        b
    }
}

/// A response with `status`, headers and `body`.
pub fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        404 => "Not Found",
        _ => "OK",
    };
    let mut s = format!("HTTP/1.1 {status} {reason}\r\n");
    for (k, v) in headers {
        s.push_str(k);
        s.push_str(": ");
        s.push_str(v);
        s.push_str("\r\n");
    }
    if status != 204 && status != 304 {
        s.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    s.push_str("\r\n");
    let mut b = s.into_bytes();
    b.extend_from_slice(body);
    b
}

/// An HTTP date for a time in µs since the epoch (`Fri, 13 Mar 2026 09:12:21 GMT`).
pub fn date(t_us: u64) -> String {
    let secs = t_us / 1_000_000;
    let days = secs / 86400;
    let (y, m, d) = super::civil_from_days(days as i64);
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let mon = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(m - 1) as usize];
    let s = secs % 86400;
    format!(
        "{wd}, {d:02} {mon} {y} {:02}:{:02}:{:02} GMT",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// A text body of about `n` bytes that reads like HTML.
pub fn html(rng: &mut Rng, title: &str, n: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "the", "report", "update", "team", "meeting", "project", "service", "news", "market",
        "policy", "office", "data", "results", "week", "customer", "support", "release",
        "security", "network", "plan", "budget", "schedule", "review", "summary",
    ];
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n"
    );
    while s.len() + 20 < n {
        s.push_str("<p>");
        for _ in 0..(8 + rng.below(30)) {
            s.push_str(rng.pick::<&str>(WORDS));
            s.push(' ');
        }
        s.push_str("</p>\n");
    }
    s.push_str("</body></html>\n");
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::http::{looks_like_http_request, looks_like_http_response};

    #[test]
    fn messages_look_like_http() {
        let r = Request {
            method: "POST",
            path: "/api/daemon",
            host: "83.136.208.246:6783",
            user_agent: Some("curl/8.7.1"),
            headers: &[("Accept", "*/*")],
            body: b"{}",
        }
        .bytes();
        assert!(looks_like_http_request(&r));
        assert!(String::from_utf8_lossy(&r).contains("Content-Length: 2\r\n\r\n{}"));
        let resp = response(200, &[("Server", "nginx")], b"ok");
        assert!(looks_like_http_response(&resp));
        assert_eq!(date(1_773_392_541_000_000), "Fri, 13 Mar 2026 09:02:21 GMT");
    }
}
