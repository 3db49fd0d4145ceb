//! Each model fires on its behaviour and stays silent on the normal behaviour next to it.
//! Records go through the learner and the detector exactly as the control plane sends
//! them (detector first, then the learner), after a baseline period of ordinary traffic.

use super::*;
use crate::learn::{net, Learned, Settings};

const S: u64 = 1_000_000_000;
/// 2026-03-09T08:00:00Z.
const T0: u64 = 1_773_043_200;
/// After the baseline (two days) every device is past its learning period.
const DAY3: u64 = T0 + 2 * 86_400;

struct Net {
    l: Learner,
    d: Detector,
    alerts: Vec<Alert>,
    next: u64,
}

/// One connection a device makes.
#[derive(Clone)]
struct Conn<'a> {
    port: u16,
    dur: u64,
    out: u64,
    inb: u64,
    state: &'a str,
    app: &'a str,
    sni: Option<&'a str>,
    self_signed: bool,
    /// (method, host, url, user agent)
    http: Option<(&'a str, &'a str, &'a str, &'a str)>,
}

impl Default for Conn<'_> {
    fn default() -> Self {
        Conn {
            port: 443,
            dur: 2,
            out: 1500,
            inb: 9000,
            state: "SF",
            app: "tls",
            sni: None,
            self_signed: false,
            http: None,
        }
    }
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

impl Net {
    fn new(conf: ModelConf) -> Net {
        let settings = Settings {
            learning_s: 24 * 3600,
            ..Settings::default()
        };
        Net {
            l: Learner::new(settings, Learned::default()),
            d: Detector::new(&conf),
            alerts: Vec::new(),
            next: 1,
        }
    }

    fn header(&mut self, dev: &str, server: &str, port: u16, proto: u8) -> Header {
        let (c, v6) = net::to_key(dev.parse().unwrap());
        let (s, _) = net::to_key(server.parse().unwrap());
        self.next += 1;
        Header {
            flow_id: self.next,
            v6,
            client: c,
            server: s,
            cport: 40000 + (self.next % 20000) as u16,
            sport: port,
            proto,
            ..Default::default()
        }
    }

    fn feed(&mut self, h: &Header, t: u64, rec: Value) {
        let rec = obj(rec);
        let mut a = self.d.observe(&self.l, h, t * S, &rec);
        self.l.observe(h, t * S, &rec);
        self.alerts.append(&mut a);
    }

    /// A DNS lookup by `dev` of `name`, answered with `ip` (or NXDOMAIN when None).
    fn dns(&mut self, dev: &str, name: &str, ip: Option<&str>, t: u64) {
        let h = self.header(dev, "10.20.0.53", 53, 17);
        let mut d = json!({"type": "response", "queries": [{"rrname": name, "rrtype": "A"}]});
        match ip {
            Some(ip) => {
                d["rcode"] = json!("NOERROR");
                d["answers"] = json!([{"rrname": name, "rrtype": "A", "ttl": 300, "rdata": ip}]);
            }
            None => d["rcode"] = json!("NXDOMAIN"),
        }
        self.feed(&h, t, json!({"event_type": "dns", "dns": d}));
        self.feed(&h, t, json!({"event_type": "flow", "app_proto": "dns", "flow": flow_obj(t, t, 80, 120), "vigil": {"conn_state": "SF"}}));
    }

    /// A connection from `dev` to `server`.
    fn conn(&mut self, dev: &str, server: &str, t: u64, c: &Conn) {
        let h = self.header(dev, server, c.port, 6);
        self.l.first_contact(&h, t * S);
        if let Some((method, host, url, ua)) = c.http {
            self.feed(
                &h,
                t,
                json!({"event_type": "http", "http": {"hostname": host, "url": url, "http_method": method, "http_user_agent": ua, "status": 200}}),
            );
        }
        if c.app == "tls" {
            let mut tls = json!({"version": "TLS 1.2", "ja3": {"hash": "0123456789abcdef0123456789abcdef"}, "ja4": "t13d1516h2_8daaf6152771_02713d6af862"});
            if let Some(s) = c.sni {
                tls["sni"] = json!(s);
            }
            if c.self_signed {
                tls["subject"] = json!("CN=localhost");
                tls["issuerdn"] = json!("CN=localhost");
            }
            self.feed(
                &h,
                t,
                json!({"event_type": "tls", "tls": tls, "vigil": {"self_signed": c.self_signed}}),
            );
        }
        self.feed(
            &h,
            t + c.dur,
            json!({"event_type": "flow", "app_proto": c.app, "flow": flow_obj(t, t + c.dur, c.out, c.inb), "vigil": {"conn_state": c.state}}),
        );
    }

    /// Two days of ordinary office traffic: five devices browse popular sites by name,
    /// with their usual user agents; 10.20.1.40 uses GitHub every day.
    fn baseline(&mut self) {
        let devices = [
            "10.20.1.5",
            "10.20.1.6",
            "10.20.1.7",
            "10.20.1.17",
            "10.20.1.23",
            "10.20.1.40",
        ];
        let sites = [
            ("www.office.com", "52.96.0.1"),
            ("www.google.com", "142.250.0.1"),
            ("www.bbc.co.uk", "151.101.0.81"),
            ("updates.vendor.example", "198.51.100.20"),
        ];
        let mut t = T0;
        for day in 0..2 {
            for hour in 0..10 {
                for dev in devices {
                    for (name, ip) in sites {
                        t = T0 + day * 86_400 + hour * 3600 + (self.next % 3000);
                        self.dns(dev, name, Some(ip), t);
                        let ua = if dev == "10.20.1.23" {
                            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/131.0"
                        } else {
                            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Safari/605.1.15"
                        };
                        self.conn(
                            dev,
                            ip,
                            t + 1,
                            &Conn {
                                sni: Some(name),
                                ..Default::default()
                            },
                        );
                        self.conn(
                            dev,
                            ip,
                            t + 2,
                            &Conn {
                                port: 80,
                                app: "http",
                                http: Some(("GET", name, "/", ua)),
                                ..Default::default()
                            },
                        );
                    }
                }
                self.dns("10.20.1.40", "github.com", Some("140.82.121.4"), t + 5);
                self.conn(
                    "10.20.1.40",
                    "140.82.121.4",
                    t + 6,
                    &Conn {
                        sni: Some("github.com"),
                        inb: 8_000_000,
                        ..Default::default()
                    },
                );
                // A nightly backup of 40 MB an hour from the server 10.20.1.5.
                self.dns(
                    "10.20.1.5",
                    "backup.example.net",
                    Some("203.0.113.80"),
                    t + 7,
                );
                self.conn(
                    "10.20.1.5",
                    "203.0.113.80",
                    t + 8,
                    &Conn {
                        sni: Some("backup.example.net"),
                        out: 40_000_000,
                        ..Default::default()
                    },
                );
            }
        }
        assert!(self.alerts.is_empty(), "baseline raised {:?}", self.ids());
    }

    fn ids(&self) -> Vec<&'static str> {
        self.alerts.iter().map(|a| a.model.id).collect()
    }

    fn fired(&self, m: &ModelInfo) -> Vec<&Alert> {
        self.alerts.iter().filter(|a| a.model.id == m.id).collect()
    }
}

fn flow_obj(start: u64, end: u64, out: u64, inb: u64) -> Value {
    json!({
        "pkts_toserver": 10, "pkts_toclient": 10,
        "bytes_toserver": out, "bytes_toclient": inb,
        "start": crate::output::eve::timestamp(start * S),
        "end": crate::output::eve::timestamp(end * S),
    })
}

fn office() -> Net {
    let mut n = Net::new(ModelConf::default());
    n.baseline();
    n
}

#[test]
fn posts_to_rare_hostname() {
    let mut n = office();
    n.dns("10.20.1.17", "check02id.com", Some("83.136.210.180"), DAY3);
    for i in 0..6 {
        let c = Conn {
            port: 80,
            app: "http",
            http: Some((
                "POST",
                "check02id.com",
                "/api/v1/check",
                "Go-http-client/1.1",
            )),
            ..Default::default()
        };
        n.conn("10.20.1.17", "83.136.210.180", DAY3 + 10 + i * 300, &c);
    }
    let a = n.fired(&catalog::POSTS_TO_RARE_HOSTNAME);
    assert_eq!(a.len(), 1, "{:?}", n.ids());
    assert_eq!(a[0].device, "10.20.1.17");
    assert_eq!(a[0].endpoint, "check02id.com");
    assert!(a[0].reason.contains("5 HTTP POSTs"), "{}", a[0].reason);

    // Silent: the same POSTs to a site the whole office uses.
    let mut n = office();
    for i in 0..6 {
        let c = Conn {
            port: 80,
            app: "http",
            http: Some((
                "POST",
                "www.office.com",
                "/api",
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Safari/605.1.15",
            )),
            ..Default::default()
        };
        n.dns(
            "10.20.1.17",
            "www.office.com",
            Some("52.96.0.1"),
            DAY3 + i * 300,
        );
        n.conn("10.20.1.17", "52.96.0.1", DAY3 + 1 + i * 300, &c);
    }
    assert!(n.fired(&catalog::POSTS_TO_RARE_HOSTNAME).is_empty());
}

#[test]
fn post_to_ip_without_hostname() {
    let mut n = office();
    let c = Conn {
        port: 6783,
        app: "http",
        http: Some(("POST", "83.136.208.246", "/api/daemon", "curl/8.7.1")),
        ..Default::default()
    };
    n.conn("10.20.1.17", "83.136.208.246", DAY3, &c);
    let a = n.fired(&catalog::POST_TO_IP_WITHOUT_HOSTNAME);
    assert_eq!(a.len(), 1);
    assert!(a[0].reason.contains("/api/daemon"));
    // Silent: the address was named by a DNS answer just before.
    let mut n = office();
    n.dns(
        "10.20.1.17",
        "api.partner.example",
        Some("83.136.208.246"),
        DAY3 - 5,
    );
    n.conn("10.20.1.17", "83.136.208.246", DAY3, &c);
    assert!(n.fired(&catalog::POST_TO_IP_WITHOUT_HOSTNAME).is_empty());
}

#[test]
fn new_user_agent_to_ip_without_hostname() {
    let mut n = office();
    let c = Conn {
        port: 80,
        app: "http",
        http: Some(("GET", "104.145.210.107", "/", "curl/8.7.1")),
        ..Default::default()
    };
    n.conn("10.20.1.17", "104.145.210.107", DAY3, &c);
    let a = n.fired(&catalog::NEW_UA_TO_IP_WITHOUT_HOSTNAME);
    assert_eq!(a.len(), 1);
    assert!(
        a[0].reason.contains("curl/8.7.1") && a[0].reason.contains("used 1 others"),
        "{}",
        a[0].reason
    );
    // Silent: its usual browser to the same bare address.
    let mut n = office();
    let usual = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Safari/605.1.15";
    let c = Conn {
        port: 80,
        app: "http",
        http: Some(("GET", "104.145.210.107", "/", usual)),
        ..Default::default()
    };
    n.conn("10.20.1.17", "104.145.210.107", DAY3, &c);
    assert!(n.fired(&catalog::NEW_UA_TO_IP_WITHOUT_HOSTNAME).is_empty());
}

const PS: &str =
    "Mozilla/5.0 (Windows NT; Windows NT 10.0; fr-FR) WindowsPowerShell/5.1.26100.7920";

#[test]
fn powershell_models() {
    let mut n = office();
    n.dns(
        "10.20.1.23",
        "cdn.rare-host.example",
        Some("198.51.100.99"),
        DAY3,
    );
    let c = Conn {
        port: 80,
        app: "http",
        http: Some(("POST", "cdn.rare-host.example", "/api/daemon", PS)),
        ..Default::default()
    };
    n.conn("10.20.1.23", "198.51.100.99", DAY3 + 1, &c);
    assert_eq!(
        n.fired(&catalog::POWERSHELL_TO_RARE).len(),
        1,
        "{:?}",
        n.ids()
    );
    assert_eq!(n.fired(&catalog::NEW_POWERSHELL_UA).len(), 1);
    // A second PowerShell request the next day is no longer the device's first.
    let c2 = Conn {
        port: 80,
        app: "http",
        http: Some(("GET", "www.office.com", "/", PS)),
        ..Default::default()
    };
    n.dns(
        "10.20.1.23",
        "www.office.com",
        Some("52.96.0.1"),
        DAY3 + 86_400,
    );
    n.conn("10.20.1.23", "52.96.0.1", DAY3 + 86_401, &c2);
    assert_eq!(n.fired(&catalog::NEW_POWERSHELL_UA).len(), 1);
    // ...and PowerShell to a site every device uses is not to a rare endpoint.
    assert_eq!(n.fired(&catalog::POWERSHELL_TO_RARE).len(), 1);
}

#[test]
fn rare_self_signed() {
    let mut n = office();
    n.conn(
        "10.20.1.17",
        "83.136.208.48",
        DAY3,
        &Conn {
            self_signed: true,
            ..Default::default()
        },
    );
    let a = n.fired(&catalog::RARE_SELF_SIGNED);
    assert_eq!(a.len(), 1);
    assert!(a[0].reason.contains("self-signed"));
    // Silent: a CA-signed certificate from the same rare address, and a self-signed one
    // from an appliance every device reaches.
    let mut n = office();
    n.conn("10.20.1.17", "83.136.208.48", DAY3, &Conn::default());
    for dev in ["10.20.1.5", "10.20.1.6", "10.20.1.7"] {
        n.conn(
            dev,
            "198.51.100.20",
            DAY3 + 1,
            &Conn {
                self_signed: true,
                sni: Some("updates.vendor.example"),
                ..Default::default()
            },
        );
    }
    assert!(
        n.fired(&catalog::RARE_SELF_SIGNED).is_empty(),
        "{:?}",
        n.ids()
    );
}

#[test]
fn protocol_on_uncommon_port() {
    let mut n = office();
    let c = Conn {
        port: 6783,
        app: "http",
        http: Some(("GET", "83.136.208.246", "/x", "curl/8.7.1")),
        ..Default::default()
    };
    n.conn("10.20.1.17", "83.136.208.246", DAY3, &c);
    let a = n.fired(&catalog::PROTOCOL_ON_UNCOMMON_PORT);
    assert_eq!(a.len(), 1);
    assert!(a[0].reason.contains("HTTP on port 6783"));
    // Silent: HTTP on 80 and TLS on 443 to the same rare address.
    let mut n = office();
    let c = Conn {
        port: 80,
        app: "http",
        http: Some(("GET", "83.136.208.246", "/x", "curl/8.7.1")),
        ..Default::default()
    };
    n.conn("10.20.1.17", "83.136.208.246", DAY3, &c);
    n.conn("10.20.1.17", "83.136.208.246", DAY3 + 5, &Conn::default());
    assert!(n.fired(&catalog::PROTOCOL_ON_UNCOMMON_PORT).is_empty());
}

#[test]
fn beaconing_and_fast_beaconing_to_dga() {
    let mut n = office();
    let mut x = 11u64;
    for i in 0..40u64 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        let t = DAY3 + i * 60 + (x >> 61);
        n.conn(
            "10.20.1.17",
            "83.136.208.246",
            t,
            &Conn {
                out: 600 + (x >> 60),
                ..Default::default()
            },
        );
    }
    let a = n.fired(&catalog::BEACONING);
    assert_eq!(a.len(), 1, "{:?}", n.ids());
    let period = a[0].details["period_s"].as_f64().unwrap();
    assert!((55.0..=65.0).contains(&period), "{}", a[0].reason);
    assert!(n.fired(&catalog::FAST_BEACONING_DGA).is_empty());

    // Every 10 s to a generated name.
    let mut n = office();
    for i in 0..40u64 {
        n.dns(
            "10.20.1.7",
            "xjvqkzpwtrhmbq.com",
            Some("185.234.72.19"),
            DAY3 + i * 10,
        );
        n.conn(
            "10.20.1.7",
            "185.234.72.19",
            DAY3 + i * 10,
            &Conn {
                sni: Some("xjvqkzpwtrhmbq.com"),
                out: 700,
                ..Default::default()
            },
        );
    }
    assert_eq!(
        n.fired(&catalog::FAST_BEACONING_DGA).len(),
        1,
        "{:?}",
        n.ids()
    );

    // Silent: a person browsing the same rare site at irregular times with pages of all sizes.
    let mut n = office();
    let mut t = DAY3;
    for i in 0..40u64 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        t += 5 + (x >> 52) % 1800;
        n.conn(
            "10.20.1.17",
            "83.136.208.246",
            t,
            &Conn {
                out: 500 + (x >> 40) % 60_000 + i,
                ..Default::default()
            },
        );
    }
    assert!(
        n.fired(&catalog::BEACONING).is_empty(),
        "{:?}",
        n.alerts.iter().map(|a| &a.reason).collect::<Vec<_>>()
    );
}

#[test]
fn dga_dns_activity() {
    let mut n = office();
    let names = [
        "xjvqkzpwtrhmb.com",
        "qwzkvjxphtrlnmb.net",
        "bvcxzlkjhgfdsq.info",
        "kzqjxwvtplrnmq.biz",
        "mnbvzxcqwrtplk.com",
        "ytrewqzxcvbnmlk.org",
        "pqzxwvkjhtrmnb.net",
        "zxqwvbnmkljhgt.info",
        "hjkqzxvwprtmnl.com",
        "vbqzxwkjplmntr.biz",
        "wqzxkjvbnmplrt.com",
        "tzqxwvkjbnmlpr.net",
    ];
    for (i, name) in names.iter().enumerate() {
        n.dns("10.20.1.31", name, None, DAY3 + i as u64 * 10);
    }
    let a = n.fired(&catalog::DGA_DNS);
    assert_eq!(a.len(), 1, "{:?}", n.ids());
    assert!(a[0].reason.contains("10 NXDOMAIN"), "{}", a[0].reason);
    // Silent: a dozen mistyped real names.
    let mut n = office();
    for (i, name) in [
        "www.gogle.com",
        "wwww.office.com",
        "outlok.com",
        "sharepont.com",
        "teams.microsft.com",
        "githib.com",
        "stackoverflwo.com",
        "wikipeda.org",
        "amazn.com",
        "linkdin.com",
        "dropbx.com",
        "yotube.com",
    ]
    .iter()
    .enumerate()
    {
        n.dns("10.20.1.17", name, None, DAY3 + i as u64 * 10);
    }
    assert!(n.fired(&catalog::DGA_DNS).is_empty());
}

#[test]
fn failed_connections() {
    let mut n = office();
    for i in 0..12 {
        n.conn(
            "10.20.1.23",
            "83.136.208.246",
            DAY3 + i * 20,
            &Conn {
                port: 6783,
                state: if i % 2 == 0 { "S0" } else { "REJ" },
                app: "failed",
                out: 120,
                inb: 60,
                ..Default::default()
            },
        );
    }
    let a = n.fired(&catalog::FAILED_CONNECTIONS);
    assert_eq!(a.len(), 1, "{:?}", n.ids());
    assert!(a[0].reason.contains("10 failed connections"));
    // Silent: a flaky link to the office's everyday site.
    let mut n = office();
    for i in 0..12 {
        n.conn(
            "10.20.1.23",
            "52.96.0.1",
            DAY3 + i * 20,
            &Conn {
                state: "S0",
                app: "failed",
                ..Default::default()
            },
        );
    }
    assert!(n.fired(&catalog::FAILED_CONNECTIONS).is_empty());
}

#[test]
fn github_download() {
    let mut n = office();
    n.dns(
        "10.20.1.23",
        "objects.githubusercontent.com",
        Some("185.199.108.133"),
        DAY3,
    );
    n.conn(
        "10.20.1.23",
        "185.199.108.133",
        DAY3 + 1,
        &Conn {
            sni: Some("objects.githubusercontent.com"),
            inb: 15_000_000,
            ..Default::default()
        },
    );
    let a = n.fired(&catalog::GITHUB_DOWNLOAD);
    assert_eq!(a.len(), 1);
    assert!(a[0].reason.contains("14.3 MiB"), "{}", a[0].reason);
    // Silent: the developer who uses GitHub every day.
    let mut n = office();
    n.dns("10.20.1.40", "github.com", Some("140.82.121.4"), DAY3);
    n.conn(
        "10.20.1.40",
        "140.82.121.4",
        DAY3 + 1,
        &Conn {
            sni: Some("github.com"),
            inb: 15_000_000,
            ..Default::default()
        },
    );
    assert!(n.fired(&catalog::GITHUB_DOWNLOAD).is_empty());
}

#[test]
fn exfiltration_to_new_endpoint() {
    let mut n = office();
    n.conn(
        "10.20.1.17",
        "104.145.210.107",
        DAY3,
        &Conn {
            port: 8443,
            out: 31_000_000,
            inb: 250_000,
            dur: 300,
            ..Default::default()
        },
    );
    let a = n.fired(&catalog::EXFIL_TO_NEW_ENDPOINT);
    assert_eq!(a.len(), 1);
    assert!(a[0].reason.contains("29.6 MiB"), "{}", a[0].reason);
    // Silent: the backup server, whose usual is 40 MB an hour, sends 30 MB somewhere new.
    let mut n = office();
    n.conn(
        "10.20.1.5",
        "104.145.210.107",
        DAY3,
        &Conn {
            port: 8443,
            out: 31_000_000,
            dur: 300,
            ..Default::default()
        },
    );
    assert!(
        n.fired(&catalog::EXFIL_TO_NEW_ENDPOINT).is_empty(),
        "{:?}",
        n.alerts.iter().map(|a| &a.reason).collect::<Vec<_>>()
    );
}

#[test]
fn doppelganger() {
    let mut n = office();
    n.dns("10.20.1.17", "zoom.uswebob.us", Some("148.72.73.98"), DAY3);
    n.conn(
        "10.20.1.17",
        "148.72.73.98",
        DAY3 + 1,
        &Conn {
            sni: Some("zoom.uswebob.us"),
            ..Default::default()
        },
    );
    let a = n.fired(&catalog::DOPPELGANGER);
    assert_eq!(a.len(), 1);
    assert!(a[0].reason.contains("\"zoom\""));
    // Silent: Zoom itself.
    let mut n = office();
    n.dns("10.20.1.17", "us02web.zoom.us", Some("170.114.52.2"), DAY3);
    n.conn(
        "10.20.1.17",
        "170.114.52.2",
        DAY3 + 1,
        &Conn {
            sni: Some("us02web.zoom.us"),
            ..Default::default()
        },
    );
    assert!(n.fired(&catalog::DOPPELGANGER).is_empty());
}

#[test]
fn ioc_match() {
    let f = std::env::temp_dir().join(format!("vigil-ioc-model-{}.txt", std::process::id()));
    std::fs::write(&f, "83.136.208.246 # C2 from the write-up\n").unwrap();
    let conf = ModelConf {
        ioc_files: vec![f.clone()],
        ..Default::default()
    };
    let mut n = Net::new(conf.clone());
    // Indicators need no baseline: the first contact matches.
    n.conn("10.20.1.17", "83.136.208.246", T0, &Conn::default());
    let a = n.fired(&catalog::IOC_MATCH);
    assert_eq!(a.len(), 1);
    assert!(a[0].reason.contains("C2 from the write-up"));
    let mut n = Net::new(conf);
    n.conn("10.20.1.17", "83.136.208.247", T0, &Conn::default());
    assert!(n.fired(&catalog::IOC_MATCH).is_empty());
    let _ = std::fs::remove_file(f);
}

#[test]
fn learning_devices_do_not_breach_on_rarity() {
    // On the first day everything is rare; only what needs no baseline may breach.
    let mut n = Net::new(ModelConf::default());
    n.conn(
        "10.20.1.17",
        "83.136.208.48",
        T0,
        &Conn {
            self_signed: true,
            ..Default::default()
        },
    );
    let c = Conn {
        port: 6783,
        app: "http",
        http: Some(("POST", "83.136.208.246", "/api/daemon", "curl/8.7.1")),
        ..Default::default()
    };
    n.conn("10.20.1.17", "83.136.208.246", T0 + 5, &c);
    assert_eq!(n.ids(), vec![catalog::POST_TO_IP_WITHOUT_HOSTNAME.id]);
}

#[test]
fn repeats_wait_and_disabled_models_stay_quiet() {
    let mut n = office();
    let c = Conn {
        port: 6783,
        app: "http",
        http: Some(("POST", "83.136.208.246", "/api/daemon", "curl/8.7.1")),
        ..Default::default()
    };
    for i in 0..5 {
        n.conn("10.20.1.17", "83.136.208.246", DAY3 + i * 60, &c);
    }
    assert_eq!(n.fired(&catalog::POST_TO_IP_WITHOUT_HOSTNAME).len(), 1);
    n.conn("10.20.1.17", "83.136.208.246", DAY3 + 3700, &c);
    assert_eq!(n.fired(&catalog::POST_TO_IP_WITHOUT_HOSTNAME).len(), 2);
    let conf = ModelConf {
        disabled: vec![catalog::POST_TO_IP_WITHOUT_HOSTNAME.id.to_string()],
        ..Default::default()
    };
    let mut n = Net::new(conf);
    n.baseline();
    n.conn("10.20.1.17", "83.136.208.246", DAY3, &c);
    assert!(n.fired(&catalog::POST_TO_IP_WITHOUT_HOSTNAME).is_empty());
}

#[test]
fn alerts_are_eve_alerts() {
    let mut n = office();
    let c = Conn {
        port: 6783,
        app: "http",
        http: Some(("POST", "83.136.208.246", "/api/daemon", "curl/8.7.1")),
        ..Default::default()
    };
    n.conn("10.20.1.17", "83.136.208.246", DAY3, &c);
    let body = n.alerts[0].eve();
    let f = &body.fields;
    assert_eq!(f["event_type"], "alert");
    assert_eq!(
        f["alert"]["signature_id"],
        catalog::POST_TO_IP_WITHOUT_HOSTNAME.sid
    );
    assert_eq!(f["vigil"]["model"], catalog::POST_TO_IP_WITHOUT_HOSTNAME.id);
    assert_eq!(f["vigil"]["mitre"][0], "T1071.001");
    assert!(f["vigil"]["reason"]
        .as_str()
        .unwrap()
        .contains("83.136.208.246:6783"));
}
