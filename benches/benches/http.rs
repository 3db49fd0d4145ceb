//! HTTP worker half per header block: a browser-like request (12 headers), a curl
//! request, a response head with a body in hand, and a malformed request that takes the
//! lenient path (no protocol, a header line without colon). Each iteration parses one
//! block into a record from a fresh per-flow state. Run:
//! `cargo bench -p vigil-benches --bench http`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use vigil::app::detect::{detect, Transport};
use vigil::app::http::HttpState;
use vigil::app::{Dir, Progress, RecordKind, Sink};
use vigil::wire::{Writer, RECORD_MAX};

struct BufSink(Vec<u8>, usize);

impl Sink for BufSink {
    fn emit(&mut self, _k: RecordKind, body: &mut dyn FnMut(&mut Writer<'_>) -> bool) {
        let mut w = Writer::new(&mut self.0);
        if body(&mut w) {
            self.1 += w.len();
        }
    }
}

const BROWSER: &[u8] = b"GET /wiki/Special:Search?search=network+detection&go=Go HTTP/1.1\r\n\
Host: en.wikipedia.org\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
Accept-Language: en-US,en;q=0.5\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Referer: https://en.wikipedia.org/wiki/Main_Page\r\n\
Connection: keep-alive\r\n\
Cookie: WMF-Last-Access=04-Dec-2026; GeoIP=DE:BE:Berlin:52.52:13.40:v4\r\n\
Upgrade-Insecure-Requests: 1\r\n\
Sec-Fetch-Dest: document\r\n\
Sec-Fetch-Mode: navigate\r\n\
Priority: u=0, i\r\n\r\n";

const CURL: &[u8] = b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:18081\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nDate: Fri, 04 Dec 2026 05:10:15 GMT\r\n\
Content-Type: text/html; charset=utf-8\r\nContent-Length: 16\r\nConnection: keep-alive\r\n\
Cache-Control: max-age=60\r\nETag: \"5f1-63a\"\r\nVary: Accept-Encoding\r\n\r\n<html>hi</html>\n";

const LENIENT: &[u8] = b"GET /\r\nFakeHeader\r\nHost: localhost\r\nUser-Agent: myscript\r\n\r\n";

fn one(dir: Dir, block: &[u8], sink: &mut BufSink) -> usize {
    let mut st = HttpState::default();
    match st.data(dir, block, sink) {
        Progress::Consumed(n) => n,
        Progress::Done => 0,
    }
}

fn bench(c: &mut Criterion) {
    let mut sink = BufSink(vec![0u8; RECORD_MAX], 0);
    let mut g = c.benchmark_group("http");
    g.throughput(Throughput::Elements(1));
    for (name, dir, block) in [
        ("request head, browser (12 headers)", Dir::ToServer, BROWSER),
        ("request head, curl", Dir::ToServer, CURL),
        ("response head + 16-byte body", Dir::ToClient, RESPONSE),
        ("request head, lenient path", Dir::ToServer, LENIENT),
    ] {
        assert_eq!(one(dir, block, &mut sink), block.len(), "{name}");
        g.bench_function(name, |b| b.iter(|| one(dir, black_box(block), &mut sink)));
    }
    g.bench_function("detect tcp (browser request)", |b| {
        b.iter(|| detect(Transport::Tcp, Dir::ToServer, black_box(BROWSER)))
    });
    g.finish();
    black_box(sink.1);
}

criterion_group!(benches, bench);
criterion_main!(benches);
