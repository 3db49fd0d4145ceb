//! The world being simulated and what a device's activity puts on the wire: DNS lookups
//! through each device's cache, TLS and plaintext HTTP connections, print jobs, DHCP.
//! Scenarios make a list of [`Task`]s; [`World::execute`] runs them in time order.

use super::content;
use super::dhcp;
use super::dns::{Resolver, Zone};
use super::http::{self, Request};
use super::packet::{Host, Ip};
use super::pcap::Capture;
use super::rng::Rng;
use super::tcp::{Conn, End, Side, Stack};
use super::tls::{self, Hello, ServerTls};
use super::world::{self, Act, Device, Kind, Plain, Remote, DEVICES, REMOTES};
use std::collections::BTreeMap;

/// µs per second.
pub const SEC: u64 = 1_000_000;
/// µs per minute.
pub const MIN: u64 = 60 * SEC;

/// What a task does.
#[derive(Debug, Clone, Copy)]
pub enum What {
    /// DHCP DISCOVER/OFFER/REQUEST/ACK (a device arriving).
    Join,
    /// DHCP renewal (a device already on the network, first seen today).
    Renew,
    /// What a device does as its user starts the day: the OS's connectivity check,
    /// Chromium's intranet probe.
    Check,
    /// One of the device's habits.
    Act(&'static Act),
    /// A step of an attack scenario (see `attacks`).
    Attack(super::attacks::Step),
    /// A step of the `shadow-ai` scenario (see `shadow_ai`).
    Ai(super::shadow_ai::Step),
}

/// Something a device starts at a time.
#[derive(Debug, Clone, Copy)]
pub struct Task {
    pub t: u64,
    pub dev: usize,
    pub what: What,
}

/// Per-device state: its DNS cache and next ephemeral port.
#[derive(Default)]
struct DevState {
    cache: BTreeMap<String, (u64, Vec<Ip>)>,
    next_port: u16,
}

/// The capture, the resolver and the devices' state.
pub struct World {
    pub cap: Capture,
    pub seed: u64,
    pub resolver: Resolver,
    dhcp: dhcp::Server,
    remotes: BTreeMap<&'static str, &'static Remote>,
    devs: Vec<DevState>,
}

/// A remote endpoint of a connection (behind the gateway).
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub ip: Ip,
    pub port: u16,
    pub rtt_ms: u32,
    pub hop_ttl: u8,
}

impl Peer {
    /// The peer of a named host's `port`.
    pub fn of(r: &Remote, port: u16) -> Peer {
        Peer {
            ip: r.ip,
            port,
            rtt_ms: r.rtt_ms,
            hop_ttl: r.hop_ttl,
        }
    }

    fn end(&self) -> End {
        let local = self.ip[..3] == world::GATEWAY[..3];
        let mac = if local {
            DEVICES
                .iter()
                .find(|d| d.ip == self.ip)
                .map_or(world::GATEWAY_MAC, |d| d.mac)
        } else {
            world::GATEWAY_MAC
        };
        End {
            host: Host {
                mac,
                ip: self.ip,
                ttl: self.hop_ttl,
            },
            port: self.port,
            stack: Stack::Server,
        }
    }
}

/// Request and response plaintext sizes of one TLS exchange.
#[derive(Debug, Clone, Copy)]
pub struct Exchange {
    pub req: usize,
    pub resp: usize,
    /// Client think time before the request (µs).
    pub think: u64,
}

/// Random response size around `median` bytes.
fn body_size(rng: &mut Rng, median: u32) -> usize {
    if median == 0 {
        return 0;
    }
    // The table's medians are a page's; a visit's requests are mostly smaller pieces.
    let m = f64::from(median) * 0.25;
    rng.lognormal(m, 0.8, 40, (m * 20.0) as u64 + 40) as usize
}

impl World {
    /// A world for `seed` with the office's zone.
    pub fn new(seed: u64) -> World {
        let mut zone = Zone::default();
        for r in REMOTES {
            zone.add(r.name, r.cnames, &[r.ip], r.ttl);
        }
        let infra = Host {
            mac: world::GATEWAY_MAC,
            ip: world::RESOLVER,
            ttl: 63,
        };
        World {
            cap: Capture::new(),
            seed,
            resolver: Resolver::new(infra, zone),
            dhcp: dhcp::Server {
                host: Host {
                    mac: world::GATEWAY_MAC,
                    ip: world::DHCP_SERVER,
                    ttl: 127,
                },
                relay: world::GATEWAY,
                dns: world::RESOLVER,
                domain: world::DOMAIN,
                lease: 86400,
            },
            remotes: REMOTES.iter().map(|r| (r.name, r)).collect(),
            devs: DEVICES.iter().map(|_| DevState::default()).collect(),
        }
    }

    /// Runs `tasks` in time order.
    pub fn execute(&mut self, mut tasks: Vec<Task>) {
        tasks.sort_by_key(|t| (t.t, t.dev));
        for task in tasks {
            let mut rng = Rng::derive(self.seed, "task", task.t ^ ((task.dev as u64) << 56));
            let dev = &DEVICES[task.dev];
            match task.what {
                What::Join => {
                    let c = dhcp_client(dev);
                    dhcp::join(
                        &mut self.cap,
                        &mut rng,
                        &self.dhcp,
                        world::GATEWAY_MAC,
                        &c,
                        task.t,
                    );
                }
                What::Renew => {
                    let c = dhcp_client(dev);
                    dhcp::renew(
                        &mut self.cap,
                        &mut rng,
                        &self.dhcp,
                        world::GATEWAY_MAC,
                        &c,
                        task.t,
                    );
                }
                What::Check => {
                    if let Some(p) = world::on_join(dev.os) {
                        self.plain(&mut rng, task.dev, p, task.t);
                    }
                    if dev.hello.name == "chromium" {
                        // Chromium's intranet redirect probe: three random single-label
                        // names, which the search domain turns into NXDOMAIN lookups.
                        for i in 0..3u64 {
                            let len = rng.range(7, 15) as usize;
                            let label: String = (0..len)
                                .map(|_| char::from(b'a' + rng.below(26) as u8))
                                .collect();
                            let name = format!("{label}.{}", world::DOMAIN);
                            self.lookup(&mut rng, task.dev, &name, task.t + 400_000 + i * 3_000);
                        }
                    }
                }
                What::Act(act) => {
                    self.act(&mut rng, task.dev, act, task.t);
                }
                What::Attack(step) => super::attacks::run(self, &mut rng, task.dev, step, task.t),
                What::Ai(step) => super::shadow_ai::run(self, &mut rng, task.dev, step, task.t),
            }
        }
    }

    /// A named host of the table.
    pub fn remote(&self, name: &str) -> &'static Remote {
        self.remotes
            .get(name)
            .copied()
            .unwrap_or_else(|| panic!("{name} is not in the host table"))
    }

    /// `dev` looks `name` up at `t` (through its cache): the first address, if any, and
    /// when the answer is there.
    pub fn lookup(&mut self, rng: &mut Rng, dev: usize, name: &str, t: u64) -> (Option<Ip>, u64) {
        if let Some((exp, ips)) = self.devs[dev].cache.get(name) {
            if *exp > t {
                return (ips.first().copied(), t);
            }
        }
        let d = &DEVICES[dev];
        let sport = self.port(rng, dev);
        let (ips, ta) =
            self.resolver
                .exchange(&mut self.cap, rng, &d.host(), sport, d.os.edns(), name, t);
        let ttl = self.resolver.zone.get(name).map_or(0, |e| e.ttl);
        if !ips.is_empty() {
            self.devs[dev]
                .cache
                .insert(name.to_string(), (ta + u64::from(ttl) * SEC, ips.clone()));
        }
        (ips.first().copied(), ta + 200 + rng.below(3_000))
    }

    /// The device's next ephemeral port.
    pub fn port(&mut self, rng: &mut Rng, dev: usize) -> u16 {
        let (lo, hi) = DEVICES[dev].os.ports();
        let st = &mut self.devs[dev];
        if st.next_port == 0 {
            st.next_port = lo + rng.below(u64::from(hi - lo)) as u16;
        }
        let next = u32::from(st.next_port) + 1 + rng.below(3) as u32;
        st.next_port = if next > u32::from(hi) {
            lo
        } else {
            next as u16
        };
        st.next_port
    }

    /// A client end for a new connection of `dev`.
    pub fn client_end(&mut self, rng: &mut Rng, dev: usize) -> End {
        let d = &DEVICES[dev];
        End {
            host: d.host(),
            port: self.port(rng, dev),
            stack: d.os.stack(),
        }
    }

    /// Round trip in µs for a peer, with a little jitter.
    fn rtt(rng: &mut Rng, p: &Peer) -> u64 {
        let base = u64::from(p.rtt_ms) * 1000;
        base + rng.below(base / 8 + 200)
    }

    /// Opens a TCP connection from `dev` to `peer` at `t`.
    pub fn open(&mut self, rng: &mut Rng, dev: usize, peer: &Peer, t: u64) -> Conn {
        let c = self.client_end(rng, dev);
        let rtt = Self::rtt(rng, peer);
        Conn::open(&mut self.cap, rng, c, peer.end(), t, rtt)
    }

    /// A whole TLS connection: handshake, exchanges, close_notify and FIN after `idle`.
    /// Returns the time of its last packet.
    #[allow(clippy::too_many_arguments)]
    pub fn tls(
        &mut self,
        rng: &mut Rng,
        dev: usize,
        peer: &Peer,
        t: u64,
        hello: &Hello,
        sni: Option<&str>,
        server: &ServerTls,
        exchanges: &[Exchange],
        idle: u64,
        rates: Option<(f64, f64)>,
    ) -> u64 {
        let mut conn = self.open(rng, dev, peer, t);
        if let Some((up, down)) = rates {
            conn.up_bps = up;
            conn.down_bps = down;
        }
        let mut s = tls::handshake(&mut self.cap, rng, &mut conn, hello, sni, server);
        for x in exchanges {
            s.exchange(&mut self.cap, rng, &mut conn, x.req, x.resp, x.think);
        }
        s.close(&mut self.cap, rng, &mut conn, idle);
        conn.t
    }

    /// A plaintext HTTP connection carrying `messages` (request, response) in turn, then
    /// closed by the server (`server_closes`) or the client. Returns its last packet's
    /// time.
    #[allow(clippy::too_many_arguments)]
    pub fn http(
        &mut self,
        rng: &mut Rng,
        dev: usize,
        peer: &Peer,
        t: u64,
        messages: &[(Vec<u8>, Vec<u8>)],
        server_closes: bool,
        rates: Option<(f64, f64)>,
    ) -> u64 {
        let mut conn = self.open(rng, dev, peer, t);
        if let Some((up, down)) = rates {
            conn.up_bps = up;
            conn.down_bps = down;
        }
        for (i, (req, resp)) in messages.iter().enumerate() {
            let think = if i == 0 {
                100 + rng.below(900)
            } else {
                50_000 + rng.below(2 * SEC)
            };
            conn.send(&mut self.cap, Side::Client, req, think);
            conn.send(&mut self.cap, Side::Server, resp, 1_000 + rng.below(30_000));
        }
        if server_closes {
            conn.close(&mut self.cap, Side::Server, 100 + rng.below(500));
        } else {
            conn.close(&mut self.cap, Side::Client, 100_000 + rng.below(4 * SEC));
        }
        conn.t
    }

    /// Runs one habit of `dev` at `t`.
    pub fn act(&mut self, rng: &mut Rng, dev: usize, act: &Act, t: u64) {
        match act {
            Act::Web(conns) => {
                let hello = DEVICES[dev].hello;
                self.visit(rng, dev, hello, conns, t, true);
            }
            Act::App(hello, conns) => self.visit(rng, dev, hello, conns, t, false),
            Act::Plain(p) => self.plain(rng, dev, p, t),
            Act::Print => self.print(rng, dev, t),
            Act::Lookup(name) => {
                self.lookup(rng, dev, name, t);
            }
        }
    }

    /// A page visit or an app's sync: one TLS connection per entry, each after its own
    /// lookup, staggered as a browser opens them.
    fn visit(
        &mut self,
        rng: &mut Rng,
        dev: usize,
        hello: &Hello,
        conns: &[world::C],
        t: u64,
        page: bool,
    ) {
        let mut at = t;
        for (i, c) in conns.iter().enumerate() {
            let r = self.remote(c.0);
            let (ip, ready) = self.lookup(rng, dev, r.name, at);
            if ip.is_none() {
                continue;
            }
            let Some(server) = r.tls else { continue };
            let n = 1 + rng.below(u64::from(c.1)) as usize;
            let exchanges: Vec<Exchange> = (0..n)
                .map(|j| Exchange {
                    req: if page {
                        350 + rng.below(900)
                    } else {
                        250 + rng.below(1200)
                    } as usize,
                    resp: body_size(rng, c.2),
                    think: if j == 0 {
                        100
                    } else {
                        20_000 + rng.below(if page { 800_000 } else { 20 * SEC })
                    },
                })
                .collect();
            // Browsers keep idle connections a while; apps close sooner.
            let idle = if page {
                5 * SEC + rng.below(85 * SEC)
            } else {
                500_000 + rng.below(20 * SEC)
            };
            let peer = Peer::of(r, 443);
            self.tls(
                rng,
                dev,
                &peer,
                ready,
                hello,
                Some(r.name),
                &server,
                &exchanges,
                idle,
                None,
            );
            at = ready
                + if i == 0 {
                    150_000 + rng.below(400_000)
                } else {
                    5_000 + rng.below(100_000)
                };
        }
    }

    /// A plaintext HTTP request after a lookup.
    pub fn plain(&mut self, rng: &mut Rng, dev: usize, p: &Plain, t: u64) {
        let r = self.remote(p.host);
        let (ip, ready) = self.lookup(rng, dev, r.name, t);
        if ip.is_none() {
            return;
        }
        let d = &DEVICES[dev];
        let path = *rng.pick(p.paths);
        let body: Vec<u8> = match p.body {
            Some((ct, n)) if ct.starts_with("application/x-www-form") => {
                let mut s = format!(
                    "user={}&date=2026-03-{:02}&comment=",
                    d.hostname.to_lowercase(),
                    1 + rng.below(28)
                );
                while s.len() < n as usize {
                    s.push_str(rng.pick::<&str>(&["ok", "merci", "valide", "r", "a", "b"]));
                    s.push('+');
                }
                s.into_bytes()
            }
            Some((_, n)) => content::ocsp_request(rng, n as usize - 67),
            None => Vec::new(),
        };
        let ua = p.ua.or(if d.ua.is_empty() { None } else { Some(d.ua) });
        let req = Request {
            method: p.method,
            path,
            host: p.host,
            user_agent: ua,
            headers: p.headers,
            body: &body,
        }
        .bytes();
        let n = body_size(rng, p.resp);
        let resp_body = if p.ctype.starts_with("text/html") {
            http::html(rng, "Intranet", n)
        } else if p.ctype.starts_with("text/plain") && p.resp == 22 {
            b"Microsoft Connect Test".to_vec()
        } else if p.host == "captive.apple.com" {
            b"<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>".to_vec()
        } else if p.status == 204 {
            Vec::new()
        } else if p.ctype == "application/ocsp-response" {
            content::ocsp_response(rng, t)
        } else if p.ctype == "text/xml" {
            content::firmware_xml(rng)
        } else {
            rng.bytes(n)
        };
        let date = http::date(t);
        let mut headers: Vec<(&str, &str)> = vec![("Date", &date)];
        if !p.server.is_empty() {
            headers.push(("Server", p.server));
        }
        if !p.ctype.is_empty() {
            headers.push(("Content-Type", p.ctype));
        }
        let close = p
            .headers
            .iter()
            .any(|(k, v)| *k == "Connection" && v.eq_ignore_ascii_case("close"));
        if close {
            headers.push(("Connection", "close"));
        }
        let resp = http::response(p.status, &headers, &resp_body);
        let peer = Peer::of(r, 80);
        self.http(rng, dev, &peer, ready, &[(req, resp)], close, None);
    }

    /// An IPP print job to the printer, after a lookup of its name.
    fn print(&mut self, rng: &mut Rng, dev: usize, t: u64) {
        let printer = world::printer();
        let d = &DEVICES[dev];
        let (ip, ready) = self.lookup(rng, dev, world::PRINTER_NAME, t);
        if ip != Some(printer.ip) {
            return;
        }
        let n = rng.lognormal(60_000.0, 0.9, 8_000, 1_500_000) as usize;
        let host = format!("{}:631", world::PRINTER_NAME);
        let uri = format!("ipp://{host}/ipp/print");
        let req_id = 1 + rng.below(1000) as u32;
        let user = d.hostname.to_lowercase();
        let body = content::ipp_print_job(rng, req_id, &uri, &user, n);
        let ua = match d.os {
            world::Os::MacOs => Some("CUPS/2.3.4 (macOS 15.3.0; arm64) IPP/2.0"),
            _ => None,
        };
        let req = Request {
            method: "POST",
            path: "/ipp/print",
            host: &host,
            user_agent: ua,
            headers: &[("Content-Type", "application/ipp")],
            body: &body,
        }
        .bytes();
        let ok = content::ipp_print_ok(req_id, 100 + rng.below(900) as u32, &uri);
        let resp = http::response(
            200,
            &[
                ("Content-Type", "application/ipp"),
                ("Server", "HP HTTP Server; HP LaserJet Pro M404"),
            ],
            &ok,
        );
        let peer = Peer {
            ip: printer.ip,
            port: 631,
            rtt_ms: 1,
            hop_ttl: 64,
        };
        self.http(
            rng,
            dev,
            &peer,
            ready,
            &[(req, resp)],
            false,
            Some((200e6, 200e6)),
        );
    }
}

/// The DHCP identity of a device.
fn dhcp_client(d: &Device) -> dhcp::Client<'_> {
    dhcp::Client {
        mac: d.mac,
        ip: d.ip,
        hostname: d.hostname,
        style: d.os.dhcp(),
        ttl: if d.kind == Kind::Laptop && d.os == world::Os::MacOs {
            255
        } else {
            d.os.ttl()
        },
    }
}
