//! The attacks: `clickfix-macos` (a macOS ClickFix infection with exfiltration and C2,
//! then a Windows PowerShell stage pulling a tool from GitHub), `dga-bot` (a Windows bot
//! walking its domain generation algorithm until one name resolves, then beaconing) and
//! `beacon` (a server calling home every five minutes). Their hosts exist only here: the
//! benign office never reaches them.

use super::http::{self, Request};
use super::office::DAY;
use super::packet::Ip;
use super::rng::Rng;
use super::run::{Exchange, Peer, Task, What, World, MIN, SEC};
use super::tcp;
use super::tls::{self, ServerTls};
use super::world::{self, DEVICES, SELF_SIGNED_DER};

/// The macOS device of `clickfix-macos`.
pub const MAC_VICTIM: Ip = [10, 20, 1, 17];
/// The Windows device of `clickfix-macos`.
pub const WIN_VICTIM: Ip = [10, 20, 1, 23];
/// The infected device of `dga-bot`.
pub const DGA_BOT: Ip = [10, 20, 1, 31];
/// The beaconing device of `beacon`.
pub const BEACONER: Ip = [10, 20, 1, 50];

/// The look-alike host of the lure.
pub const LURE_HOST: &str = "zoom.uswebob.us";
const LURE_IP: Ip = [148, 72, 73, 98];
/// Exfiltration endpoint (bare address).
pub const EXFIL_IP: Ip = [104, 145, 210, 107];
const EXFIL_PORT: u16 = 8443;
/// C2 of the `/api/daemon` polling (bare address).
pub const C2_IP: Ip = [83, 136, 208, 246];
const C2_PORT: u16 = 6783;
/// TLS server with a self-signed certificate (bare address).
pub const SELF_SIGNED_IP: Ip = [83, 136, 208, 48];
/// Host of the Go client's POSTs.
pub const GO_HOST: &str = "check02id.com";
const GO_IP: Ip = [83, 136, 210, 180];
const GO_PORT: u16 = 7365;
/// Where the DGA name that resolves points.
pub const DGA_IP: Ip = [185, 234, 72, 19];
/// The `beacon` scenario's host.
pub const BEACON_HOST: &str = "telemetry.cloudsync-update.net";
const BEACON_IP: Ip = [45, 141, 87, 210];

/// PowerShell 5.1's user agent (fr-FR Windows).
pub const UA_POWERSHELL: &str =
    "Mozilla/5.0 (Windows NT; Windows NT 10.0; fr-FR) WindowsPowerShell/5.1.26100.7920";

/// One step of an attack, run at a task's time on its device.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// Safari loads the fake meeting "update" page from the look-alike host.
    LurePage,
    /// The pasted command's curl fetches the script and payload from the same host.
    LureCurl,
    /// ~30 MiB out, ~250 KiB in, TLS without SNI to a bare address.
    Exfil,
    /// curl POST /api/daemon to the C2 (plaintext, port 6783, bare address).
    DaemonPost(u32),
    /// TLS 1.2 to a server whose certificate is self-signed, no SNI.
    SelfSigned,
    /// Go-http-client POST to check02id.com:7365 after a lookup.
    GoPost(u32),
    /// SYN answered by RST from the C2 port.
    Refused,
    /// SYN never answered.
    Unanswered,
    /// PowerShell POST to the C2.
    PsPost(u32),
    /// github.com, then a ~15 MB download from objects.githubusercontent.com (TLS 1.2).
    GithubDownload,
    /// A burst of DGA lookups; the one numbered `resolves` (if in this burst) answers.
    DgaBurst { first: u32, count: u32 },
    /// HTTPS beacon to the DGA name that resolved.
    DgaBeacon,
    /// HTTPS beacon of the `beacon` scenario.
    Beacon(u32),
}

/// Index (over all bursts) of the DGA name that resolves.
const DGA_RESOLVES: u32 = 97;

/// The `i`-th name of the bot's DGA for `seed`: 12–20 letters under .com/.net/.info/.biz.
pub fn dga_name(seed: u64, i: u32) -> String {
    let mut r = Rng::derive(seed, "dga", u64::from(i));
    let len = r.range(12, 20) as usize;
    let mut s: String = (0..len)
        .map(|_| char::from(b'a' + r.below(26) as u8))
        .collect();
    s.push('.');
    s.push_str(r.pick::<&str>(&["com", "net", "info", "biz"]));
    s
}

/// The DGA name that resolves, for `seed`.
pub fn dga_resolved(seed: u64) -> String {
    dga_name(seed, DGA_RESOLVES)
}

/// When a device of the office arrives on `day` (its DHCP join or, for desktops, its
/// first office-hours activity), from the benign plan.
pub fn arrival(seed: u64, dev: usize, day: u64) -> u64 {
    let tasks = super::office::plan(seed, day + 7 * 60 * MIN, day + 10 * 60 * MIN);
    tasks
        .iter()
        .filter(|t| t.dev == dev && matches!(t.what, What::Join | What::Act(_)))
        .map(|t| t.t)
        .min()
        .unwrap_or(day + 8 * 60 * MIN)
}

fn task(t: u64, ip: Ip, step: Step) -> Task {
    Task {
        t,
        dev: world::device(ip),
        what: What::Attack(step),
    }
}

/// Adds the scenario's names to the resolver.
pub fn setup(w: &mut World, scenario: super::Scenario) {
    let z = &mut w.resolver.zone;
    match scenario {
        super::Scenario::ClickfixMacos => {
            z.add(LURE_HOST, &[], &[LURE_IP], 300);
            z.add(GO_HOST, &[], &[GO_IP], 60);
        }
        super::Scenario::DgaBot => {
            let name = dga_resolved(w.seed);
            z.add(&name, &[], &[DGA_IP], 300);
        }
        super::Scenario::Beacon => z.add(BEACON_HOST, &[], &[BEACON_IP], 300),
        super::Scenario::ShadowAi => super::shadow_ai::setup(w),
        super::Scenario::Office => {}
    }
}

/// The `clickfix-macos` steps from `start` until `end`.
pub fn plan_clickfix(seed: u64, start: u64, end: u64) -> Vec<Task> {
    let mut r = Rng::derive(seed, "clickfix", 0);
    let day = start / DAY * DAY;
    let mac = arrival(seed, world::device(MAC_VICTIM), day);
    let a = (mac + 15 * MIN).max(start + 30 * MIN) + r.below(MIN);
    let mut out = vec![
        task(a, MAC_VICTIM, Step::LurePage),
        task(a + 2 * MIN + r.below(MIN), MAC_VICTIM, Step::LureCurl),
        task(a + 6 * MIN + r.below(MIN), MAC_VICTIM, Step::Exfil),
    ];
    // The C2 poll: every 60 s with a few seconds of jitter, to the end.
    let mut t = a + 12 * MIN;
    let mut n = 0;
    while t + 30 * SEC < end {
        out.push(task(t, MAC_VICTIM, Step::DaemonPost(n)));
        n += 1;
        t = a + 12 * MIN + u64::from(n) * MIN + r.below(6 * SEC) - 3 * SEC;
    }
    for k in [15, 41, 77, 112] {
        let t = a + k * MIN + r.below(2 * MIN);
        if t < end {
            out.push(task(t, MAC_VICTIM, Step::SelfSigned));
        }
    }
    // The Go implant checks in every 4 to 8 minutes.
    let mut t = a + 20 * MIN + r.below(3 * MIN);
    let mut i = 0u32;
    while t < end {
        out.push(task(t, MAC_VICTIM, Step::GoPost(i)));
        i += 1;
        t += 4 * MIN + r.below(4 * MIN);
    }
    // The Windows stage.
    let win = arrival(seed, world::device(WIN_VICTIM), day);
    let w = (win + 20 * MIN).max(start + 95 * MIN) + r.below(MIN);
    let mut t = w;
    for _ in 0..26 {
        let step = if r.chance(0.7) {
            Step::Refused
        } else {
            Step::Unanswered
        };
        out.push(task(t, WIN_VICTIM, step));
        t += 4 * SEC + r.below(18 * SEC);
    }
    let mut t = t + 2 * MIN;
    for i in 0..4 {
        out.push(task(t, WIN_VICTIM, Step::PsPost(i)));
        t += 50 * SEC + r.below(40 * SEC);
    }
    out.push(task(t + MIN, WIN_VICTIM, Step::GithubDownload));
    out
}

/// The `dga-bot` steps from `start` until `end`.
pub fn plan_dga(seed: u64, start: u64, end: u64) -> Vec<Task> {
    let mut r = Rng::derive(seed, "dga-plan", 0);
    let mut out = Vec::new();
    let mut t = start + 6 * MIN + r.below(MIN);
    let mut first = 0;
    // Bursts of 40 names until the one that resolves.
    while first <= DGA_RESOLVES {
        let count = 40.min(DGA_RESOLVES + 1 - first);
        out.push(task(t, DGA_BOT, Step::DgaBurst { first, count }));
        first += count;
        t += 5 * MIN + r.below(MIN);
    }
    // The last burst runs ~1 s a name; beacons start once it resolved.
    let resolved = out.last().map_or(t, |l| l.t) + u64::from((DGA_RESOLVES % 40) + 1) * 1_300_000;
    let mut b = resolved + 3 * SEC;
    while b < end {
        out.push(task(b, DGA_BOT, Step::DgaBeacon));
        b += 10 * SEC - 400_000 + r.below(800_000);
    }
    out
}

/// The `beacon` steps from `start` until `end`: every 300 s ± 10 %.
pub fn plan_beacon(seed: u64, start: u64, end: u64) -> Vec<Task> {
    let mut r = Rng::derive(seed, "beacon-plan", 0);
    let mut out = Vec::new();
    let mut t = start + r.below(5 * MIN);
    let mut n = 0;
    while t < end {
        out.push(task(t, BEACONER, Step::Beacon(n)));
        n += 1;
        t += 270 * SEC + r.below(60 * SEC);
    }
    out
}

/// A server reached by bare address or a rare name.
fn peer(ip: Ip, port: u16, rtt_ms: u32) -> Peer {
    Peer {
        ip,
        port,
        rtt_ms,
        hop_ttl: 49,
    }
}

const T13: ServerTls = ServerTls {
    tls13: true,
    chain: &[],
    ecdsa: false,
    cipher13: 4865,
};

/// A JSON-ish body of about `n` bytes.
fn json(r: &mut Rng, fields: &[(&str, String)], n: usize) -> Vec<u8> {
    let mut s = String::from("{");
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!("\"{k}\":\"{v}\""));
    }
    if s.len() + 12 < n {
        s.push_str(",\"data\":\"");
        let pad = n - s.len() - 2;
        s.push_str(&r.hex(pad));
        s.push('"');
    }
    s.push('}');
    s.into_bytes()
}

/// Runs one step.
pub fn run(w: &mut World, r: &mut Rng, dev: usize, step: Step, t: u64) {
    let d = &DEVICES[dev];
    match step {
        Step::LurePage => {
            let (ip, ready) = w.lookup(r, dev, LURE_HOST, t);
            let Some(ip) = ip else { return };
            let p = peer(ip, 443, 112);
            let page = [
                Exchange {
                    req: 620,
                    resp: 48_000 + r.below(4000) as usize,
                    think: 100,
                },
                Exchange {
                    req: 540,
                    resp: 118_000 + r.below(8000) as usize,
                    think: 90_000,
                },
                Exchange {
                    req: 530,
                    resp: 14_500,
                    think: 20_000,
                },
            ];
            w.tls(
                r,
                dev,
                &p,
                ready,
                d.hello,
                Some(LURE_HOST),
                &T13,
                &page,
                40 * SEC,
                None,
            );
            let assets = [
                Exchange {
                    req: 480,
                    resp: 6_200,
                    think: 100,
                },
                Exchange {
                    req: 470,
                    resp: 1_150,
                    think: 30_000,
                },
            ];
            w.tls(
                r,
                dev,
                &p,
                ready + 400_000,
                d.hello,
                Some(LURE_HOST),
                &T13,
                &assets,
                35 * SEC,
                None,
            );
        }
        Step::LureCurl => {
            let (ip, ready) = w.lookup(r, dev, LURE_HOST, t);
            let Some(ip) = ip else { return };
            let p = peer(ip, 443, 112);
            let x = [
                Exchange {
                    req: 140,
                    resp: 6_300,
                    think: 100,
                },
                Exchange {
                    req: 150,
                    resp: 1_870_000,
                    think: 1_800_000,
                },
            ];
            w.tls(
                r,
                dev,
                &p,
                ready,
                &tls::MACOS_CURL,
                Some(LURE_HOST),
                &T13,
                &x,
                2_000,
                Some((20e6, 40e6)),
            );
        }
        Step::Exfil => {
            let p = peer(EXFIL_IP, EXFIL_PORT, 96);
            let chunks: Vec<Exchange> = (0..30)
                .map(|i| Exchange {
                    req: 1 << 20,
                    resp: 3_300 + r.below(300) as usize,
                    think: if i == 0 { 200 } else { 2_000 + r.below(20_000) },
                })
                .collect();
            w.tls(
                r,
                dev,
                &p,
                t,
                &tls::MACOS_CURL,
                None,
                &T13,
                &chunks,
                1_000,
                Some((1.1e6, 30e6)),
            );
        }
        Step::DaemonPost(n) => {
            let p = peer(C2_IP, C2_PORT, 58);
            let host = format!("{}:{C2_PORT}", super::packet::ip_str(&C2_IP));
            let len = 110 + r.below(30) as usize;
            let body = json(
                r,
                &[
                    ("id", "7f3c9e1a-52b4-4d0e-9a61-0c2f5b8e4d17".to_string()),
                    ("host", d.hostname.to_string()),
                    ("seq", n.to_string()),
                    ("status", "idle".to_string()),
                ],
                len,
            );
            let req = Request {
                method: "POST",
                path: "/api/daemon",
                host: &host,
                user_agent: Some("curl/8.7.1"),
                headers: &[("Accept", "*/*"), ("Content-Type", "application/json")],
                body: &body,
            }
            .bytes();
            let resp = http::response(
                200,
                &[
                    ("Server", "nginx/1.24.0 (Ubuntu)"),
                    ("Date", &http::date(t)),
                    ("Content-Type", "application/json"),
                ],
                br#"{"status":"ok","task":null}"#,
            );
            w.http(r, dev, &p, t, &[(req, resp)], false, None);
        }
        Step::SelfSigned => {
            let p = peer(SELF_SIGNED_IP, 443, 58);
            let server = ServerTls {
                tls13: false,
                chain: &[SELF_SIGNED_DER],
                ecdsa: false,
                cipher13: 4865,
            };
            let x = [Exchange {
                req: 300 + r.below(200) as usize,
                resp: 2_000 + r.below(30_000) as usize,
                think: 100,
            }];
            w.tls(
                r,
                dev,
                &p,
                t,
                &tls::MACOS_CURL,
                None,
                &server,
                &x,
                500_000,
                None,
            );
        }
        Step::GoPost(n) => {
            let (ip, ready) = w.lookup(r, dev, GO_HOST, t);
            let Some(ip) = ip else { return };
            let p = peer(ip, GO_PORT, 61);
            let host = format!("{GO_HOST}:{GO_PORT}");
            let len = 600 + r.below(1400) as usize;
            let body = json(
                r,
                &[("uid", "a41f0c77e2".to_string()), ("n", n.to_string())],
                len,
            );
            let req = Request {
                method: "POST",
                path: "/api/v1/check",
                host: &host,
                user_agent: Some("Go-http-client/1.1"),
                headers: &[
                    ("Content-Type", "application/json"),
                    ("Accept-Encoding", "gzip"),
                ],
                body: &body,
            }
            .bytes();
            let resp = http::response(
                200,
                &[
                    ("Content-Type", "application/json"),
                    ("Date", &http::date(t)),
                ],
                br#"{"ok":true}"#,
            );
            w.http(r, dev, &p, ready, &[(req, resp)], false, None);
        }
        Step::Refused => {
            let c = w.client_end(r, dev);
            let p = peer(C2_IP, C2_PORT, 58);
            let rtt = 58_000 + r.below(6_000);
            tcp::refused(&mut w.cap, r, &c, &server_end(&p), t, rtt);
        }
        Step::Unanswered => {
            let c = w.client_end(r, dev);
            let p = peer(C2_IP, C2_PORT, 58);
            tcp::unanswered(&mut w.cap, r, &c, &server_end(&p), t, 2);
        }
        Step::PsPost(n) => {
            let p = peer(C2_IP, C2_PORT, 58);
            let host = format!("{}:{C2_PORT}", super::packet::ip_str(&C2_IP));
            let body = format!(
                "host={}&user=fin23&os=Windows+10+Pro+22H2&step={n}",
                d.hostname
            );
            let req = Request {
                method: "POST",
                path: "/api/daemon",
                host: &host,
                user_agent: Some(UA_POWERSHELL),
                headers: &[
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    ("Connection", "Keep-Alive"),
                ],
                body: body.as_bytes(),
            }
            .bytes();
            let resp = http::response(
                200,
                &[
                    ("Server", "nginx/1.24.0 (Ubuntu)"),
                    ("Date", &http::date(t)),
                    ("Content-Type", "application/json"),
                ],
                br#"{"status":"ok","next":"https://github.com/"}"#,
            );
            w.http(r, dev, &p, t, &[(req, resp)], false, None);
        }
        Step::GithubDownload => {
            let gh = w.remote("github.com");
            let (ip, ready) = w.lookup(r, dev, gh.name, t);
            if ip.is_none() {
                return;
            }
            let x = [Exchange {
                req: 310,
                resp: 1_250,
                think: 100,
            }];
            let tls_gh = gh.tls.expect("github speaks TLS");
            let done = w.tls(
                r,
                dev,
                &Peer::of(gh, 443),
                ready,
                &tls::SCHANNEL10,
                Some(gh.name),
                &tls_gh,
                &x,
                300_000,
                None,
            );
            let obj = w.remote("objects.githubusercontent.com");
            let (ip, ready) = w.lookup(r, dev, obj.name, done.min(ready + 2 * SEC));
            if ip.is_none() {
                return;
            }
            let x = [Exchange {
                req: 620,
                resp: 15_200_000 + r.below(300_000) as usize,
                think: 100,
            }];
            let tls_obj = obj.tls.expect("objects speaks TLS");
            w.tls(
                r,
                dev,
                &Peer::of(obj, 443),
                ready,
                &tls::SCHANNEL10,
                Some(obj.name),
                &tls_obj,
                &x,
                200_000,
                Some((20e6, 60e6)),
            );
        }
        Step::DgaBurst { first, count } => {
            let mut at = t;
            for i in first..first + count {
                let name = dga_name(w.seed, i);
                let (_, ready) = w.lookup(r, dev, &name, at);
                at = ready.max(at) + 300_000 + r.below(1_400_000);
            }
        }
        Step::DgaBeacon => {
            let name = dga_resolved(w.seed);
            let (ip, ready) = w.lookup(r, dev, &name, t);
            let Some(ip) = ip else { return };
            let p = peer(ip, 443, 44);
            let x = [Exchange {
                req: 312,
                resp: 96,
                think: 100,
            }];
            w.tls(
                r,
                dev,
                &p,
                ready,
                &tls::SCHANNEL11,
                Some(&name),
                &T13,
                &x,
                200_000,
                None,
            );
        }
        Step::Beacon(n) => {
            let (ip, ready) = w.lookup(r, dev, BEACON_HOST, t);
            let Some(ip) = ip else { return };
            let p = peer(ip, 443, 38);
            // Every 20th answer carries a task.
            let resp = if n % 20 == 19 { 2_300 } else { 180 };
            let x = [Exchange {
                req: 420,
                resp,
                think: 100,
            }];
            w.tls(
                r,
                dev,
                &p,
                ready,
                &tls::GO,
                Some(BEACON_HOST),
                &T13,
                &x,
                300_000,
                None,
            );
        }
    }
}

/// The TCP end of a peer.
fn server_end(p: &Peer) -> tcp::End {
    tcp::End {
        host: super::packet::Host {
            mac: world::GATEWAY_MAC,
            ip: p.ip,
            ttl: p.hop_ttl,
        },
        port: p.port,
        stack: tcp::Stack::Server,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dga_names_look_generated() {
        let names: Vec<String> = (0..50).map(|i| dga_name(1, i)).collect();
        for n in &names {
            let (label, tld) = n.split_once('.').unwrap();
            assert!((12..=20).contains(&label.len()), "{n}");
            assert!(label.bytes().all(|b| b.is_ascii_lowercase()));
            assert!(["com", "net", "info", "biz"].contains(&tld));
        }
        assert_ne!(dga_name(1, 3), dga_name(2, 3));
    }
}
