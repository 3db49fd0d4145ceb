//! What the start of a JSON request body says, read on the hot path: JSON-RPC's
//! `jsonrpc` and `method` (and for MCP's `tools/call`, `resources/read`, `prompts/get` the
//! `params.name` or `params.uri`), and the `model` of an LLM API request (OpenAI's
//! `/v1/chat/completions`, Ollama's `/api/chat`).
//!
//! The body is usually cut: the HTTP parser offers at most the first
//! [`PEEK`] bytes. So this is a bounded scan of the top-level object's members, not a
//! parse: it keeps what it found before the bytes ran out, skips values it does not want
//! (strings with escapes, nested objects and arrays by depth counting), and gives up
//! quietly on anything that is not JSON. No allocation, no recursion, no panic; time is
//! linear in the bytes. (Hand-written because the no-allocation JSON crates, such as
//! `serde-json-core`, need the whole document and fail on a prefix.)
//!
//! Values are returned raw, as they appear between the quotes (escapes not decoded).

/// Bytes of a request body the HTTP parser waits for (or all of a shorter body).
pub const PEEK: usize = 2048;

/// What the scan found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Found<'a> {
    /// `"jsonrpc": "2.0"` was seen.
    pub jsonrpc2: bool,
    /// The request carries an `id` (a request, not a notification).
    pub id: bool,
    /// The body is a JSON array (a batch): the first element was read.
    pub batch: bool,
    /// `method` (string).
    pub method: Option<&'a [u8]>,
    /// `params.name`, else `params.uri` (string): the tool, prompt or resource.
    pub name: Option<&'a [u8]>,
    /// `model` (string).
    pub model: Option<&'a [u8]>,
}

impl Found<'_> {
    /// Whether anything worth a record was found.
    pub fn any(&self) -> bool {
        self.method.is_some() || self.model.is_some()
    }
}

#[inline]
fn ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    i
}

/// `i` at an opening quote: the index just past the closing quote.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        match b.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

/// `i` at a string value: its raw content and the index past it.
fn string_value(b: &[u8], i: usize) -> Option<(&[u8], usize)> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let end = string_end(b, i)?;
    Some((b.get(i + 1..end - 1)?, end))
}

/// `i` at any value: the index past it (`None` when the bytes end first).
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match *b.get(j)? {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            // A number, true, false or null: up to the next delimiter.
            let mut j = i;
            while !matches!(b.get(j)?, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// Walks the members of the object whose `{` is at `i`, calling `member(key, value_at)`,
/// which returns the index past the value. `None` when the bytes run out or stop being
/// JSON (what was found so far stays found).
fn members<'a>(
    b: &'a [u8],
    i: usize,
    mut member: impl FnMut(&'a [u8], usize) -> Option<usize>,
) -> Option<usize> {
    if b.get(i) != Some(&b'{') {
        return None;
    }
    let mut i = ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return Some(i + 1);
    }
    loop {
        let (key, after) = string_value(b, i)?;
        i = ws(b, after);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = ws(b, i + 1);
        i = ws(b, member(key, i)?);
        match b.get(i)? {
            b',' => i = ws(b, i + 1),
            b'}' => return Some(i + 1),
            _ => return None,
        }
    }
}

/// Scans the start of a JSON body. `None` when it does not start like a JSON object (or
/// an array of them).
pub fn scan(body: &[u8]) -> Option<Found<'_>> {
    let mut f = Found::default();
    let mut i = ws(body, 0);
    if body.get(i) == Some(&b'[') {
        f.batch = true;
        i = ws(body, i + 1);
    }
    if body.get(i) != Some(&b'{') {
        return None;
    }
    let _ = members(body, i, |key, at| match key {
        b"jsonrpc" => match string_value(body, at) {
            Some((v, end)) => {
                f.jsonrpc2 = v == b"2.0";
                Some(end)
            }
            None => skip_value(body, at),
        },
        b"method" | b"model" => match string_value(body, at) {
            Some((v, end)) => {
                if key == b"method" {
                    f.method = Some(v);
                } else {
                    f.model = Some(v);
                }
                Some(end)
            }
            None => skip_value(body, at),
        },
        b"id" => {
            f.id = true;
            skip_value(body, at)
        }
        b"params" if body.get(at) == Some(&b'{') => {
            let mut uri = None;
            let end = members(body, at, |k, v| {
                if k == b"name" || k == b"uri" {
                    if let Some((s, end)) = string_value(body, v) {
                        if k == b"name" {
                            f.name = Some(s);
                        } else {
                            uri = Some(s);
                        }
                        return Some(end);
                    }
                }
                skip_value(body, v)
            });
            if f.name.is_none() {
                f.name = uri;
            }
            end
        }
        _ => skip_value(body, at),
    });
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcp_requests() {
        let f = scan(br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"query_database","arguments":{"sql":"select 1"}}}"#).unwrap();
        assert!(f.jsonrpc2 && f.id && !f.batch);
        assert_eq!(f.method, Some(&b"tools/call"[..]));
        assert_eq!(f.name, Some(&b"query_database"[..]));
        // Key order does not matter; nested values before `name` are skipped.
        let f = scan(br#" { "params" : {"arguments": {"a": [1, {"name": "no"}], "s": "x\"}"}, "name": "read_file"}, "method": "tools/call", "jsonrpc": "2.0"}"#).unwrap();
        assert_eq!(f.name, Some(&b"read_file"[..]));
        assert_eq!(f.method, Some(&b"tools/call"[..]));
        assert!(f.jsonrpc2 && !f.id);
        let f = scan(br#"{"jsonrpc":"2.0","id":"r1","method":"resources/read","params":{"uri":"file:///etc/hosts"}}"#).unwrap();
        assert_eq!(f.name, Some(&b"file:///etc/hosts"[..]));
        let f = scan(br#"[{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":1,"method":"ping"}]"#).unwrap();
        assert!(f.batch);
        assert_eq!(f.method, Some(&b"notifications/initialized"[..]));
    }

    #[test]
    fn llm_requests_and_cut_bodies() {
        let f = scan(br#"{"messages":[{"role":"user","content":"hi {there}"}],"model":"gpt-4o-mini","stream":false}"#).unwrap();
        assert_eq!(f.model, Some(&b"gpt-4o-mini"[..]));
        assert!(f.method.is_none() && f.any());
        // Cut in the middle of a later value: what came before is kept.
        let f = scan(br#"{"model":"llama3.1:8b","prompt":"Summarise the quarterly numb"#).unwrap();
        assert_eq!(f.model, Some(&b"llama3.1:8b"[..]));
        let f = scan(br#"{"jsonrpc":"2.0","method":"tools/ca"#).unwrap();
        assert!(f.jsonrpc2 && f.method.is_none());
    }

    #[test]
    fn not_json_or_odd_json() {
        for b in [
            &b""[..],
            b"user=alice&pass=secret",
            b"\x30\x82\x01\x0a",
            b"\"just a string\"",
            b"[1,2,3]",
        ] {
            assert_eq!(scan(b), None);
        }
        assert_eq!(scan(b"{}").unwrap(), Found::default());
        let f = scan(br#"{"method": 42, "model": null}"#).unwrap();
        assert!(!f.any());
    }

    #[test]
    fn any_bytes_are_safe() {
        let mut seed = 0x2545_f491u32;
        let base = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"k":["v",{"n":1}]}}}"#;
        for len in 0..base.len() {
            let _ = scan(&base[..len]);
        }
        for n in 0..3000 {
            let mut v = base.to_vec();
            for _ in 0..(1 + n % 6) {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let at = (seed >> 8) as usize % v.len();
                v[at] = (seed >> 20) as u8;
            }
            let _ = scan(&v);
            let cut = (seed as usize) % (v.len() + 1);
            let _ = scan(&v[..cut]);
        }
    }
}
