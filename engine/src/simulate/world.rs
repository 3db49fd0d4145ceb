//! The simulated network: the office's devices and their habits, the internal services,
//! and the fixed table of public hosts (names, CNAME chains, addresses, TTLs, round
//! trips, how they speak TLS). The attack's hosts are not here: `attacks` adds them.

use super::dhcp::{self, ClientStyle};
use super::packet::{Host, Ip, Mac};
use super::tcp::Stack;
use super::tls::{self, Hello, ServerTls};

/// The office gateway (10.20.1.1): every remote or other-subnet host is behind its MAC.
pub const GATEWAY_MAC: Mac = [0x00, 0x1b, 0x17, 0x4c, 0x20, 0x01];
/// The gateway's address.
pub const GATEWAY: Ip = [10, 20, 1, 1];
/// The internal DNS resolver.
pub const RESOLVER: Ip = [10, 20, 0, 53];
/// The DHCP server.
pub const DHCP_SERVER: Ip = [10, 20, 0, 2];
/// The office's DNS domain.
pub const DOMAIN: &str = "office.example";

/// A certificate fixture (DER), made once with openssl (see `certs/gen.sh`).
const ISSUING_CA: &[u8] = include_bytes!("certs/issuing-ca.der");
const GITHUB_DER: &[u8] = include_bytes!("certs/github.der");
const GHUC_DER: &[u8] = include_bytes!("certs/githubusercontent.der");
const LEMONDE_DER: &[u8] = include_bytes!("certs/lemonde.der");
const BBC_DER: &[u8] = include_bytes!("certs/bbc.der");
const WU_DER: &[u8] = include_bytes!("certs/windowsupdate.der");
/// The attack's self-signed leaf.
pub const SELF_SIGNED_DER: &[u8] = include_bytes!("certs/selfsigned.der");

/// TLS 1.3 only (AES-128-GCM).
const T13: Option<ServerTls> = Some(ServerTls {
    tls13: true,
    chain: &[],
    ecdsa: false,
    cipher13: 4865,
});
/// TLS 1.3 only (AES-256-GCM).
const T13B: Option<ServerTls> = Some(ServerTls {
    tls13: true,
    chain: &[],
    ecdsa: false,
    cipher13: 4866,
});

/// TLS 1.3, and TLS 1.2 with a certificate chain for clients that cannot do 1.3.
const fn t13_or_12(chain: &'static [&'static [u8]], ecdsa: bool) -> Option<ServerTls> {
    Some(ServerTls {
        tls13: true,
        chain,
        ecdsa,
        cipher13: 4865,
    })
}

/// TLS 1.2 only, with a certificate chain.
const fn t12(chain: &'static [&'static [u8]], ecdsa: bool) -> Option<ServerTls> {
    Some(ServerTls {
        tls13: false,
        chain,
        ecdsa,
        cipher13: 4865,
    })
}

/// A host the office reaches by name.
#[derive(Debug)]
pub struct Remote {
    pub name: &'static str,
    /// CNAME chain the resolver returns before the A record.
    pub cnames: &'static [&'static str],
    pub ip: Ip,
    /// TTL of the A record.
    pub ttl: u32,
    /// Round trip from the office (ms).
    pub rtt_ms: u32,
    /// IP TTL of its packets when they reach the office.
    pub hop_ttl: u8,
    /// How it speaks TLS on 443; `None`: plaintext HTTP on 80 only.
    pub tls: Option<ServerTls>,
}

macro_rules! remote {
    ($name:expr, [$($c:expr),*], $ip:expr, $ttl:expr, $rtt:expr, $hop:expr, $tls:expr) => {
        Remote { name: $name, cnames: &[$($c),*], ip: $ip, ttl: $ttl, rtt_ms: $rtt, hop_ttl: $hop, tls: $tls }
    };
}

/// Every public and internal host of the benign office.
pub const REMOTES: &[Remote] = &[
    // Microsoft, Office 365, Teams, OneDrive, Windows.
    remote!(
        "www.microsoft.com",
        [
            "www.microsoft.com-c-3.edgekey.net",
            "www.microsoft.com-c-3.edgekey.net.globalredir.akadns.net",
            "e13678.dscb.akamaiedge.net"
        ],
        [23, 50, 118, 15],
        20,
        9,
        57,
        T13B
    ),
    remote!(
        "login.microsoftonline.com",
        [
            "login.mso.msidentity.com",
            "ak.privatelink.msidentity.com",
            "www.tm.ak.prd.aadg.trafficmanager.net"
        ],
        [20, 190, 160, 22],
        60,
        14,
        112,
        T13B
    ),
    remote!(
        "outlook.office365.com",
        ["outlook.ha.office365.com", "outlook.ms-acdc.office.com"],
        [52, 97, 146, 162],
        30,
        12,
        112,
        T13B
    ),
    remote!(
        "www.office.com",
        ["office.com.edgekey.net", "e40491.dscd.akamaiedge.net"],
        [23, 52, 40, 168],
        300,
        10,
        57,
        T13B
    ),
    remote!(
        "teams.microsoft.com",
        [
            "teams.office.com",
            "teams-office-com.s-0005.s-msedge.net",
            "s-0005.s-msedge.net"
        ],
        [52, 113, 194, 132],
        60,
        13,
        112,
        T13B
    ),
    remote!(
        "presence.teams.microsoft.com",
        ["presence.services.sfb.trafficmanager.net"],
        [52, 112, 238, 200],
        60,
        15,
        112,
        T13B
    ),
    remote!(
        "graph.microsoft.com",
        [
            "ags.privatelink.msidentity.com",
            "www.tm.prd.ags.trafficmanager.net"
        ],
        [20, 190, 151, 68],
        60,
        14,
        112,
        T13B
    ),
    remote!(
        "northwindtraders-my.sharepoint.com",
        ["187170-ipv4v6e.clump.dprodmgd104.aa-rt.sharepoint.com"],
        [13, 107, 136, 10],
        300,
        11,
        115,
        T13B
    ),
    remote!(
        "settings-win.data.microsoft.com",
        [
            "atm-settingsfe-prod-geo2.trafficmanager.net",
            "settings-prod-weu-1.westeurope.cloudapp.azure.com"
        ],
        [51, 104, 136, 2],
        60,
        16,
        112,
        T13B
    ),
    remote!(
        "v10.events.data.microsoft.com",
        [
            "global.asimov.events.data.trafficmanager.net",
            "onedscolprdweu03.westeurope.cloudapp.azure.com"
        ],
        [20, 189, 173, 2],
        60,
        16,
        112,
        T13B
    ),
    remote!(
        "fe2cr.update.microsoft.com",
        ["glb.cws.prod.dcat.dsp.trafficmanager.net"],
        [20, 72, 235, 82],
        300,
        18,
        112,
        t13_or_12(&[WU_DER, ISSUING_CA], false)
    ),
    remote!(
        "ctldl.windowsupdate.com",
        [
            "ctldl.windowsupdate.com.delivery.microsoft.com",
            "wu-b-net.trafficmanager.net",
            "cs11.wpc.v0cdn.net"
        ],
        [93, 184, 221, 240],
        3600,
        9,
        56,
        None
    ),
    remote!(
        "www.msftconnecttest.com",
        ["ncsi.4-c-0003.c-msedge.net", "4-c-0003.c-msedge.net"],
        [13, 107, 4, 52],
        30,
        8,
        116,
        None
    ),
    remote!(
        "edge.microsoft.com",
        [
            "api.edgeoffer.microsoft.com",
            "edge-microsoft-com.dual-a-0036.a-msedge.net"
        ],
        [13, 107, 21, 239],
        300,
        9,
        116,
        T13B
    ),
    // Google.
    remote!("www.google.com", [], [142, 250, 179, 100], 300, 6, 117, T13),
    remote!(
        "www.gstatic.com",
        [],
        [142, 250, 178, 131],
        300,
        6,
        117,
        T13
    ),
    remote!(
        "fonts.gstatic.com",
        ["gstaticadssl.l.google.com"],
        [142, 250, 75, 227],
        300,
        6,
        117,
        T13
    ),
    remote!(
        "accounts.google.com",
        [],
        [142, 250, 201, 173],
        300,
        6,
        117,
        T13
    ),
    remote!(
        "mail.google.com",
        [],
        [142, 250, 179, 101],
        300,
        6,
        117,
        T13
    ),
    remote!(
        "clients2.google.com",
        ["clients.l.google.com"],
        [142, 250, 74, 238],
        300,
        6,
        117,
        T13
    ),
    remote!(
        "www.youtube.com",
        ["youtube-ui.l.google.com"],
        [142, 250, 179, 78],
        300,
        6,
        117,
        T13
    ),
    remote!(
        "ocsp.pki.goog",
        ["pki-goog.l.google.com"],
        [142, 250, 179, 67],
        300,
        6,
        117,
        None
    ),
    // Apple.
    remote!(
        "www.apple.com",
        [
            "www.apple.com.edgekey.net",
            "www.apple.com.edgekey.net.globalredir.akadns.net",
            "e6858.dscx.akamaiedge.net"
        ],
        [23, 41, 5, 100],
        300,
        9,
        57,
        T13
    ),
    remote!(
        "gateway.icloud.com",
        ["gateway.fe2.apple-dns.net"],
        [17, 248, 219, 68],
        60,
        21,
        242,
        T13
    ),
    remote!(
        "p54-contacts.icloud.com",
        ["p54-contacts.fe2.apple-dns.net"],
        [17, 248, 219, 74],
        60,
        21,
        242,
        T13
    ),
    remote!(
        "gsp-ssl.ls.apple.com",
        [
            "gsp-ssl.ls-apple.com.akadns.net",
            "gsp-ssl.ls2-apple.com.akadns.net"
        ],
        [17, 253, 53, 202],
        300,
        20,
        242,
        T13
    ),
    remote!(
        "captive.apple.com",
        [
            "captive-cdn.origin-apple.com.akadns.net",
            "captive.g.aaplimg.com"
        ],
        [17, 253, 109, 201],
        300,
        19,
        242,
        None
    ),
    remote!(
        "ocsp.digicert.com",
        ["ocsp.edge.digicert.com", "fp2e7a.wpc.phicdn.net"],
        [192, 229, 211, 108],
        3600,
        10,
        56,
        None
    ),
    // Collaboration.
    remote!(
        "app.slack.com",
        ["app-slack-com.d1ut.cloudfront.net"],
        [3, 160, 212, 10],
        60,
        11,
        245,
        T13
    ),
    remote!(
        "edgeapi.slack.com",
        ["edgeapi-slack-com.d1ut.cloudfront.net"],
        [3, 160, 212, 21],
        60,
        11,
        245,
        T13
    ),
    remote!(
        "wss-primary.slack.com",
        ["wss-primary.slack.com.cdn.cloudflare.net"],
        [52, 29, 238, 212],
        60,
        92,
        235,
        T13
    ),
    remote!("zoom.us", [], [170, 114, 52, 2], 3600, 95, 53, T13),
    remote!(
        "us05web.zoom.us",
        ["us05web.zoom.us.cdn.cloudflare.net"],
        [170, 114, 15, 223],
        600,
        96,
        53,
        T13
    ),
    remote!(
        "www.linkedin.com",
        [
            "www-linkedin-com.l-0005.l-msedge.net",
            "l-0005.l-msedge.net"
        ],
        [13, 107, 42, 14],
        300,
        10,
        116,
        T13
    ),
    remote!(
        "static.licdn.com",
        ["static.licdn.com.edgekey.net", "e3838.dscg.akamaiedge.net"],
        [23, 55, 161, 41],
        300,
        9,
        57,
        T13
    ),
    // GitHub and developer sites.
    remote!(
        "github.com",
        [],
        [140, 82, 121, 4],
        60,
        24,
        52,
        t13_or_12(&[GITHUB_DER, ISSUING_CA], true)
    ),
    remote!(
        "api.github.com",
        [],
        [140, 82, 121, 6],
        60,
        24,
        52,
        t13_or_12(&[GITHUB_DER, ISSUING_CA], true)
    ),
    remote!(
        "github.githubassets.com",
        [],
        [185, 199, 110, 154],
        3600,
        8,
        59,
        t13_or_12(&[GHUC_DER, ISSUING_CA], false)
    ),
    remote!(
        "avatars.githubusercontent.com",
        [],
        [185, 199, 109, 133],
        3600,
        8,
        59,
        t13_or_12(&[GHUC_DER, ISSUING_CA], false)
    ),
    remote!(
        "objects.githubusercontent.com",
        [],
        [185, 199, 108, 133],
        3600,
        8,
        59,
        t13_or_12(&[GHUC_DER, ISSUING_CA], false)
    ),
    remote!("stackoverflow.com", [], [104, 18, 32, 7], 300, 7, 58, T13),
    remote!(
        "cdn.sstatic.net",
        ["sstatic.map.fastly.net"],
        [151, 101, 1, 69],
        3600,
        7,
        59,
        T13
    ),
    remote!("crates.io", [], [13, 33, 88, 123], 60, 9, 245, T13),
    remote!(
        "static.crates.io",
        ["d19xqa3lc3clo8.cloudfront.net"],
        [13, 33, 88, 41],
        60,
        9,
        245,
        T13
    ),
    remote!("docs.rs", [], [13, 33, 88, 60], 60, 9, 245, T13),
    remote!(
        "archive.ubuntu.com",
        [],
        [185, 125, 190, 36],
        60,
        28,
        54,
        None
    ),
    remote!(
        "security.ubuntu.com",
        [],
        [185, 125, 190, 39],
        60,
        28,
        54,
        None
    ),
    remote!(
        "connectivity-check.ubuntu.com",
        [],
        [185, 125, 190, 17],
        60,
        28,
        54,
        None
    ),
    remote!(
        "deb.debian.org",
        ["debian.map.fastlydns.net"],
        [151, 101, 134, 132],
        300,
        7,
        59,
        None
    ),
    remote!(
        "security.debian.org",
        ["debian.map.fastlydns.net"],
        [151, 101, 130, 132],
        300,
        7,
        59,
        None
    ),
    // News and reference.
    remote!(
        "www.lemonde.fr",
        ["www.lemonde.fr.cdn.cloudflare.net"],
        [151, 101, 2, 217],
        300,
        7,
        59,
        t12(&[LEMONDE_DER, ISSUING_CA], false)
    ),
    remote!(
        "img.lemde.fr",
        ["lemde.map.fastly.net"],
        [151, 101, 66, 217],
        300,
        7,
        59,
        T13
    ),
    remote!(
        "www.bbc.co.uk",
        [
            "www.bbc.co.uk.pri.bbc.co.uk",
            "uk.www.bbc.co.uk.pri.bbc.co.uk"
        ],
        [151, 101, 0, 81],
        300,
        8,
        59,
        t12(&[BBC_DER, ISSUING_CA], false)
    ),
    remote!(
        "ichef.bbci.co.uk",
        ["ichef.bbci.co.uk.pri.bbci.co.uk", "bbci.map.fastly.net"],
        [151, 101, 64, 81],
        300,
        8,
        59,
        T13
    ),
    remote!(
        "fr.wikipedia.org",
        ["dyna.wikimedia.org"],
        [185, 15, 58, 224],
        600,
        12,
        57,
        T13
    ),
    remote!(
        "upload.wikimedia.org",
        [],
        [185, 15, 58, 240],
        600,
        12,
        57,
        T13
    ),
    remote!(
        "www.googletagmanager.com",
        [],
        [142, 250, 179, 72],
        300,
        6,
        117,
        T13
    ),
    // Internal.
    remote!(
        "intranet.office.example",
        [],
        [10, 20, 0, 80],
        3600,
        1,
        63,
        None
    ),
    remote!(
        "ftp.hp.com",
        ["ftp.hp.com.edgekey.net", "e1717.dscx.akamaiedge.net"],
        [23, 41, 7, 173],
        300,
        9,
        57,
        None
    ),
];

/// One connection of a visit: host, requests on it, median response size (bytes).
#[derive(Debug, Clone, Copy)]
pub struct C(pub &'static str, pub u8, pub u32);

/// A plaintext HTTP request a device makes.
#[derive(Debug)]
pub struct Plain {
    pub host: &'static str,
    pub method: &'static str,
    pub paths: &'static [&'static str],
    /// User-Agent; `None`: the device's browser.
    pub ua: Option<&'static str>,
    pub headers: &'static [(&'static str, &'static str)],
    /// POST body: content type and size.
    pub body: Option<(&'static str, u32)>,
    pub status: u16,
    pub ctype: &'static str,
    /// Median response body size.
    pub resp: u32,
    pub server: &'static str,
}

/// Something a device does.
#[derive(Debug)]
pub enum Act {
    /// A page visit in the device's browser.
    Web(&'static [C]),
    /// An application's own TLS traffic.
    App(&'static Hello, &'static [C]),
    /// A plaintext HTTP request.
    Plain(&'static Plain),
    /// A print job to the printer (IPP over HTTP, port 631, after a lookup of its name).
    Print,
    /// A lookup without a connection (WPAD and the like: NXDOMAIN).
    Lookup(&'static str),
}

/// The kind of machine, for its day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Comes in at 08:00, leaves at 18:00, does DHCP on arrival.
    Laptop,
    /// Always on: a little traffic at night, renews its lease daily.
    Desktop,
    /// A server or printer: always on, no office-hours pattern.
    Server,
}

/// Operating system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Windows,
    MacOs,
    Linux,
    Printer,
}

impl Os {
    /// TCP stack flavour.
    pub fn stack(self) -> Stack {
        match self {
            Os::Windows => Stack::Windows,
            Os::MacOs => Stack::MacOs,
            Os::Linux => Stack::Linux,
            Os::Printer => Stack::Server,
        }
    }

    /// DHCP client style.
    pub fn dhcp(self) -> ClientStyle {
        match self {
            Os::Windows => dhcp::WINDOWS,
            Os::MacOs => dhcp::MACOS,
            Os::Linux => dhcp::LINUX,
            Os::Printer => dhcp::PRINTER,
        }
    }

    /// Initial IP TTL.
    pub fn ttl(self) -> u8 {
        match self {
            Os::Windows => 128,
            _ => 64,
        }
    }

    /// Whether its stub resolver adds EDNS.
    pub fn edns(self) -> bool {
        matches!(self, Os::MacOs | Os::Linux)
    }

    /// Ephemeral port range.
    pub fn ports(self) -> (u16, u16) {
        match self {
            Os::Linux | Os::Printer => (32768, 60999),
            _ => (49152, 65535),
        }
    }
}

/// An office device.
#[derive(Debug)]
pub struct Device {
    pub ip: Ip,
    pub mac: Mac,
    pub hostname: &'static str,
    pub os: Os,
    pub kind: Kind,
    pub os_name: &'static str,
    /// Browser user agent and ClientHello.
    pub ua: &'static str,
    pub hello: &'static Hello,
    /// What it does in office hours, with weights.
    pub habits: &'static [(u32, Act)],
    /// What it does at night and on weekends (always-on machines).
    pub night: &'static [(u32, Act)],
    /// What it does once every working day, mid-morning.
    pub daily: &'static [Act],
    /// Mean minutes between activities in office hours.
    pub gap_min: f64,
    /// One line for the docs.
    pub about: &'static str,
}

impl Device {
    /// Its link/network identity.
    pub fn host(&self) -> Host {
        Host {
            mac: self.mac,
            ip: self.ip,
            ttl: self.os.ttl(),
        }
    }
}

// User agents (March 2026).
pub const UA_EDGE: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36 Edg/145.0.0.0";
pub const UA_CHROME_WIN: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36";
pub const UA_CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36";
pub const UA_SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.3 Safari/605.1.15";
pub const UA_FIREFOX: &str =
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:147.0) Gecko/20100101 Firefox/147.0";
const UA_CRYPTOAPI: &str = "Microsoft-CryptoAPI/10.0";
const UA_TRUSTD: &str = "com.apple.trustd/3.0";

// Visits.
const O365: &[C] = &[
    C("www.office.com", 2, 9000),
    C("login.microsoftonline.com", 2, 3500),
    C("outlook.office365.com", 4, 6000),
];
const OUTLOOK: &[C] = &[C("outlook.office365.com", 3, 4000)];
const TEAMS: &[C] = &[
    C("teams.microsoft.com", 2, 2500),
    C("presence.teams.microsoft.com", 1, 600),
];
const ONEDRIVE: &[C] = &[
    C("northwindtraders-my.sharepoint.com", 2, 30000),
    C("graph.microsoft.com", 1, 1500),
];
const WIN_TELEMETRY: &[C] = &[C("v10.events.data.microsoft.com", 1, 400)];
const WIN_SETTINGS: &[C] = &[C("settings-win.data.microsoft.com", 1, 3000)];
const WIN_UPDATE: &[C] = &[C("fe2cr.update.microsoft.com", 2, 9000)];
const EDGE_BG: &[C] = &[C("edge.microsoft.com", 1, 1200)];
const MSFT: &[C] = &[C("www.microsoft.com", 3, 14000)];
const GOOGLE: &[C] = &[C("www.google.com", 3, 9000), C("www.gstatic.com", 2, 7000)];
const GMAIL: &[C] = &[
    C("mail.google.com", 4, 6000),
    C("accounts.google.com", 1, 2000),
];
const CHROME_BG: &[C] = &[C("clients2.google.com", 1, 900)];
const YOUTUBE: &[C] = &[C("www.youtube.com", 5, 40000)];
const LINKEDIN: &[C] = &[
    C("www.linkedin.com", 3, 12000),
    C("static.licdn.com", 3, 9000),
];
const SLACK: &[C] = &[C("app.slack.com", 2, 5000), C("edgeapi.slack.com", 2, 1500)];
const SLACK_WS: &[C] = &[C("wss-primary.slack.com", 2, 700)];
const ZOOM: &[C] = &[C("zoom.us", 2, 7000), C("us05web.zoom.us", 2, 3000)];
const APPLE: &[C] = &[C("www.apple.com", 3, 15000)];
const ICLOUD: &[C] = &[
    C("gateway.icloud.com", 1, 1200),
    C("p54-contacts.icloud.com", 1, 800),
];
const APPLE_MAPS: &[C] = &[C("gsp-ssl.ls.apple.com", 1, 1500)];
const LEMONDE: &[C] = &[C("www.lemonde.fr", 3, 16000), C("img.lemde.fr", 4, 9000)];
const BBC: &[C] = &[C("www.bbc.co.uk", 3, 15000), C("ichef.bbci.co.uk", 3, 9000)];
const WIKI: &[C] = &[
    C("fr.wikipedia.org", 2, 12000),
    C("upload.wikimedia.org", 2, 8000),
];
const GITHUB_WEB: &[C] = &[
    C("github.com", 3, 14000),
    C("github.githubassets.com", 2, 12000),
    C("avatars.githubusercontent.com", 2, 3000),
];
const GITHUB_API: &[C] = &[C("api.github.com", 3, 1800)];
const GIT_FETCH: &[C] = &[C("github.com", 2, 6000)];
const GIT_OBJECTS: &[C] = &[
    C("github.com", 1, 2000),
    C("objects.githubusercontent.com", 1, 250_000),
];
const STACKOVERFLOW: &[C] = &[
    C("stackoverflow.com", 2, 14000),
    C("cdn.sstatic.net", 2, 9000),
];
const CRATES: &[C] = &[
    C("crates.io", 1, 3000),
    C("static.crates.io", 2, 60000),
    C("docs.rs", 2, 12000),
];

const NCSI: Plain = Plain {
    host: "www.msftconnecttest.com",
    method: "GET",
    paths: &["/connecttest.txt"],
    ua: Some("Microsoft NCSI"),
    headers: &[("Connection", "Close")],
    body: None,
    status: 200,
    ctype: "text/plain",
    resp: 22,
    server: "",
};
const CTL: Plain = Plain {
    host: "ctldl.windowsupdate.com",
    method: "GET",
    paths: &[
        "/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab",
        "/msdownload/update/v3/static/trustedr/en/pinrulesstl.cab",
        "/msdownload/update/v3/static/trustedr/en/authrootstl.cab",
    ],
    ua: Some(UA_CRYPTOAPI),
    headers: &[("Accept", "*/*"), ("Cache-Control", "max-age = 86400")],
    body: None,
    status: 200,
    ctype: "application/vnd.ms-cab-compressed",
    resp: 7000,
    server: "ECAcc (par/6B3A)",
};
const OCSP_WIN: Plain = Plain {
    host: "ocsp.digicert.com",
    method: "POST",
    paths: &["/"],
    ua: Some(UA_CRYPTOAPI),
    headers: &[
        ("Accept", "*/*"),
        ("Content-Type", "application/ocsp-request"),
    ],
    body: Some(("application/ocsp-request", 83)),
    status: 200,
    ctype: "application/ocsp-response",
    resp: 471,
    server: "ECAcc (par/6B3A)",
};
const OCSP_MAC: Plain = Plain {
    host: "ocsp.digicert.com",
    method: "POST",
    paths: &["/"],
    ua: Some(UA_TRUSTD),
    headers: &[
        ("Accept", "*/*"),
        ("Content-Type", "application/ocsp-request"),
        ("Accept-Language", "fr-FR,fr;q=0.9"),
        ("Accept-Encoding", "gzip, deflate"),
    ],
    body: Some(("application/ocsp-request", 83)),
    status: 200,
    ctype: "application/ocsp-response",
    resp: 471,
    server: "ECAcc (par/6B3A)",
};
const OCSP_GOOG: Plain = Plain {
    host: "ocsp.pki.goog",
    method: "POST",
    paths: &["/gts1c3"],
    ua: Some(UA_CRYPTOAPI),
    headers: &[
        ("Accept", "*/*"),
        ("Content-Type", "application/ocsp-request"),
    ],
    body: Some(("application/ocsp-request", 84)),
    status: 200,
    ctype: "application/ocsp-response",
    resp: 472,
    server: "ocsp_responder",
};
const CAPTIVE: Plain = Plain {
    host: "captive.apple.com",
    method: "GET",
    paths: &["/hotspot-detect.html"],
    ua: Some("CaptiveNetworkSupport-491.100.1 wispr"),
    headers: &[("Accept", "*/*"), ("Connection", "close")],
    body: None,
    status: 200,
    ctype: "text/html",
    resp: 68,
    server: "",
};
const UBUNTU_CHECK: Plain = Plain {
    host: "connectivity-check.ubuntu.com",
    method: "GET",
    paths: &["/"],
    ua: None,
    headers: &[("Accept", "*/*"), ("Connection", "close")],
    body: None,
    status: 204,
    ctype: "",
    resp: 0,
    server: "nginx",
};
const INTRANET: Plain = Plain {
    host: "intranet.office.example",
    method: "GET",
    paths: &[
        "/",
        "/news/",
        "/annuaire/",
        "/rh/conges",
        "/docs/procedures.html",
        "/cantine/menu",
    ],
    ua: None,
    headers: &[
        (
            "Accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        ),
        ("Accept-Language", "fr-FR,fr;q=0.9,en;q=0.8"),
        ("Accept-Encoding", "gzip, deflate"),
        ("Connection", "keep-alive"),
    ],
    body: None,
    status: 200,
    ctype: "text/html; charset=utf-8",
    resp: 9000,
    server: "Apache/2.4.62 (Debian)",
};
const INTRANET_POST: Plain = Plain {
    host: "intranet.office.example",
    method: "POST",
    paths: &["/rh/conges/demande", "/timesheet/save"],
    ua: None,
    headers: &[
        (
            "Accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        ),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Origin", "http://intranet.office.example"),
    ],
    body: Some(("application/x-www-form-urlencoded", 180)),
    status: 200,
    ctype: "text/html; charset=utf-8",
    resp: 3000,
    server: "Apache/2.4.62 (Debian)",
};
const APT_DEBIAN: Plain = Plain {
    host: "deb.debian.org",
    method: "GET",
    paths: &[
        "/debian/dists/bookworm/InRelease",
        "/debian/dists/bookworm-updates/InRelease",
        "/debian/dists/bookworm-updates/main/binary-amd64/Packages.xz",
    ],
    ua: Some("Debian APT-HTTP/1.3 (2.6.1)"),
    headers: &[("Cache-Control", "max-age=0")],
    body: None,
    status: 200,
    ctype: "application/octet-stream",
    resp: 40000,
    server: "Apache",
};
const APT_SECURITY: Plain = Plain {
    host: "security.debian.org",
    method: "GET",
    paths: &[
        "/debian-security/dists/bookworm-security/InRelease",
        "/debian-security/dists/bookworm-security/main/binary-amd64/Packages.xz",
    ],
    ua: Some("Debian APT-HTTP/1.3 (2.6.1)"),
    headers: &[("Cache-Control", "max-age=0")],
    body: None,
    status: 200,
    ctype: "application/octet-stream",
    resp: 45000,
    server: "Apache",
};
const APT_UBUNTU: Plain = Plain {
    host: "archive.ubuntu.com",
    method: "GET",
    paths: &[
        "/ubuntu/dists/noble/InRelease",
        "/ubuntu/dists/noble-updates/InRelease",
        "/ubuntu/dists/noble-backports/InRelease",
    ],
    ua: Some("Debian APT-HTTP/1.3 (2.7.14) non-interactive"),
    headers: &[("Cache-Control", "max-age=0")],
    body: None,
    status: 200,
    ctype: "application/octet-stream",
    resp: 60000,
    server: "Apache/2.4.29 (Ubuntu)",
};
const APT_UBUNTU_SEC: Plain = Plain {
    host: "security.ubuntu.com",
    method: "GET",
    paths: &["/ubuntu/dists/noble-security/InRelease"],
    ua: Some("Debian APT-HTTP/1.3 (2.7.14) non-interactive"),
    headers: &[("Cache-Control", "max-age=0")],
    body: None,
    status: 200,
    ctype: "application/octet-stream",
    resp: 60000,
    server: "Apache/2.4.29 (Ubuntu)",
};
const PRINTER_FW: Plain = Plain {
    host: "ftp.hp.com",
    method: "GET",
    paths: &["/pub/networking/software/pfirmware/M404/fwversion.xml"],
    ua: Some("HP-ChaiSOE/1.0"),
    headers: &[("Accept", "*/*")],
    body: None,
    status: 200,
    ctype: "text/xml",
    resp: 1400,
    server: "Apache",
};

/// The office's devices. 10.20.1.17 and 10.20.1.23 are the ones the `clickfix-macos`
/// attack uses; 10.20.1.31 is the `dga-bot`'s; 10.20.1.50 the `beacon`'s.
pub const DEVICES: &[Device] = &[
    Device {
        ip: [10, 20, 1, 11],
        mac: [0x3c, 0x52, 0x82, 0xa1, 0x0b, 0x11],
        hostname: "DESKTOP-ACC11",
        os: Os::Windows,
        kind: Kind::Desktop,
        os_name: "Windows 11",
        ua: UA_EDGE,
        hello: &tls::CHROMIUM,
        habits: &[
            (1, Act::Lookup("wpad.office.example")),
            (14, Act::Web(O365)),
            (10, Act::App(&tls::CHROMIUM, TEAMS)),
            (6, Act::App(&tls::CHROMIUM, OUTLOOK)),
            (5, Act::App(&tls::SCHANNEL11, ONEDRIVE)),
            (3, Act::Web(MSFT)),
            (3, Act::Web(LEMONDE)),
            (2, Act::Web(BBC)),
            (2, Act::Plain(&INTRANET)),
            (1, Act::Plain(&INTRANET_POST)),
            (2, Act::App(&tls::SCHANNEL11, WIN_TELEMETRY)),
            (1, Act::App(&tls::CHROMIUM, EDGE_BG)),
            (1, Act::Plain(&OCSP_WIN)),
            (1, Act::Print),
        ],
        night: WIN11_NIGHT,
        daily: &[],
        gap_min: 6.0,
        about: "accounting: Edge, Office 365, Teams, OneDrive, intranet, some news",
    },
    Device {
        ip: [10, 20, 1, 12],
        mac: [0x8c, 0x16, 0x45, 0x7e, 0x22, 0x12],
        hostname: "LAPTOP-SALES12",
        os: Os::Windows,
        kind: Kind::Laptop,
        os_name: "Windows 11",
        ua: UA_CHROME_WIN,
        hello: &tls::CHROMIUM,
        habits: &[
            (1, Act::Lookup("wpad.office.example")),
            (10, Act::Web(GOOGLE)),
            (8, Act::Web(GMAIL)),
            (8, Act::Web(LINKEDIN)),
            (6, Act::Web(ZOOM)),
            (10, Act::App(&tls::CHROMIUM, TEAMS)),
            (6, Act::Web(O365)),
            (2, Act::Web(YOUTUBE)),
            (2, Act::Web(LEMONDE)),
            (2, Act::App(&tls::SCHANNEL11, WIN_TELEMETRY)),
            (2, Act::App(&tls::CHROMIUM, CHROME_BG)),
            (1, Act::Plain(&OCSP_GOOG)),
            (1, Act::Plain(&INTRANET)),
        ],
        night: &[],
        daily: &[],
        gap_min: 6.0,
        about: "sales laptop: Chrome, Google, Gmail, LinkedIn, Zoom, Teams",
    },
    Device {
        ip: [10, 20, 1, 17],
        mac: [0xa4, 0x83, 0xe7, 0x5c, 0x91, 0x17],
        hostname: "marie-macbook",
        os: Os::MacOs,
        kind: Kind::Laptop,
        os_name: "macOS 15",
        ua: UA_SAFARI,
        hello: &tls::SAFARI,
        habits: &[
            (10, Act::Web(GOOGLE)),
            (8, Act::App(&tls::SAFARI, SLACK)),
            (6, Act::App(&tls::SAFARI, SLACK_WS)),
            (6, Act::Web(ZOOM)),
            (5, Act::Web(APPLE)),
            (5, Act::App(&tls::SAFARI, ICLOUD)),
            (4, Act::Web(LEMONDE)),
            (3, Act::Web(WIKI)),
            (3, Act::Web(GMAIL)),
            (2, Act::App(&tls::SAFARI, APPLE_MAPS)),
            (2, Act::Plain(&OCSP_MAC)),
            (1, Act::Plain(&INTRANET)),
        ],
        night: &[],
        daily: &[],
        gap_min: 6.5,
        about: "marketing laptop: Safari, Google, Slack, Zoom, iCloud, news",
    },
    Device {
        ip: [10, 20, 1, 18],
        mac: [0xf0, 0x18, 0x98, 0x2d, 0x44, 0x18],
        hostname: "pierre-mbp",
        os: Os::MacOs,
        kind: Kind::Laptop,
        os_name: "macOS 15",
        ua: UA_CHROME_MAC,
        hello: &tls::CHROMIUM,
        habits: &[
            (10, Act::Web(GOOGLE)),
            (10, Act::App(&tls::SAFARI, SLACK)),
            (6, Act::App(&tls::SAFARI, SLACK_WS)),
            (6, Act::Web(LINKEDIN)),
            (5, Act::Web(ZOOM)),
            (4, Act::Web(GMAIL)),
            (3, Act::Web(BBC)),
            (3, Act::Web(YOUTUBE)),
            (4, Act::App(&tls::SAFARI, ICLOUD)),
            (2, Act::App(&tls::CHROMIUM, CHROME_BG)),
            (1, Act::Plain(&OCSP_MAC)),
        ],
        night: &[],
        daily: &[],
        gap_min: 6.5,
        about: "manager laptop: Chrome, Google, Slack, LinkedIn, Zoom",
    },
    Device {
        ip: [10, 20, 1, 19],
        mac: [0x14, 0x98, 0x77, 0x6e, 0x3a, 0x19],
        hostname: "julie-air",
        os: Os::MacOs,
        kind: Kind::Laptop,
        os_name: "macOS 14",
        ua: UA_SAFARI,
        hello: &tls::SAFARI,
        habits: &[
            (8, Act::Web(GOOGLE)),
            (6, Act::Web(APPLE)),
            (6, Act::App(&tls::SAFARI, ICLOUD)),
            (6, Act::Web(LEMONDE)),
            (5, Act::Web(WIKI)),
            (5, Act::Web(GMAIL)),
            (4, Act::App(&tls::SAFARI, SLACK)),
            (2, Act::App(&tls::SAFARI, APPLE_MAPS)),
            (2, Act::Plain(&OCSP_MAC)),
            (2, Act::Plain(&INTRANET)),
            (1, Act::Print),
        ],
        night: &[],
        daily: &[],
        gap_min: 8.0,
        about: "assistant laptop: Safari, Google, Apple, iCloud, news, Wikipedia",
    },
    Device {
        ip: [10, 20, 1, 23],
        mac: [0x54, 0xbf, 0x64, 0x19, 0xc2, 0x23],
        hostname: "DESKTOP-FIN23",
        os: Os::Windows,
        kind: Kind::Desktop,
        os_name: "Windows 10",
        ua: UA_EDGE,
        hello: &tls::CHROMIUM,
        habits: &[
            (1, Act::Lookup("wpad.office.example")),
            (14, Act::Web(O365)),
            (10, Act::App(&tls::CHROMIUM, TEAMS)),
            (6, Act::App(&tls::CHROMIUM, OUTLOOK)),
            (5, Act::App(&tls::SCHANNEL11, ONEDRIVE)),
            (4, Act::Plain(&INTRANET)),
            (1, Act::Plain(&INTRANET_POST)),
            (3, Act::Web(LEMONDE)),
            (2, Act::Web(MSFT)),
            (2, Act::App(&tls::SCHANNEL11, WIN_TELEMETRY)),
            (1, Act::App(&tls::SCHANNEL10, WIN_UPDATE)),
            (1, Act::Plain(&CTL)),
            (1, Act::Plain(&OCSP_WIN)),
            (1, Act::Print),
        ],
        night: WIN10_NIGHT,
        daily: &[Act::App(&tls::SCHANNEL10, WIN_UPDATE)],
        gap_min: 6.0,
        about: "finance: Edge, Office 365, Teams, OneDrive, intranet; never GitHub",
    },
    Device {
        ip: [10, 20, 1, 31],
        mac: [0x8c, 0x04, 0xba, 0x3f, 0x71, 0x31],
        hostname: "DESKTOP-HR31",
        os: Os::Windows,
        kind: Kind::Desktop,
        os_name: "Windows 11",
        ua: UA_CHROME_WIN,
        hello: &tls::CHROMIUM,
        habits: &[
            (1, Act::Lookup("wpad.office.example")),
            (10, Act::Web(O365)),
            (8, Act::App(&tls::CHROMIUM, TEAMS)),
            (6, Act::Web(GOOGLE)),
            (5, Act::Web(LINKEDIN)),
            (4, Act::Plain(&INTRANET)),
            (2, Act::Plain(&INTRANET_POST)),
            (3, Act::Web(BBC)),
            (3, Act::App(&tls::SCHANNEL11, ONEDRIVE)),
            (2, Act::App(&tls::SCHANNEL11, WIN_TELEMETRY)),
            (2, Act::App(&tls::CHROMIUM, CHROME_BG)),
            (1, Act::Plain(&OCSP_WIN)),
            (1, Act::Print),
        ],
        night: WIN11_NIGHT,
        daily: &[],
        gap_min: 6.5,
        about: "HR: Chrome, Office 365, Teams, LinkedIn, intranet",
    },
    Device {
        ip: [10, 20, 1, 40],
        mac: [0x00, 0xd8, 0x61, 0x4b, 0x0e, 0x40],
        hostname: "dev-ws40",
        os: Os::Linux,
        kind: Kind::Desktop,
        os_name: "Ubuntu 24.04",
        ua: UA_FIREFOX,
        hello: &tls::FIREFOX,
        habits: &[
            (10, Act::Web(GITHUB_WEB)),
            (8, Act::App(&tls::OPENSSL_CURL, GIT_FETCH)),
            (6, Act::App(&tls::OPENSSL_CURL, GITHUB_API)),
            (2, Act::App(&tls::OPENSSL_CURL, GIT_OBJECTS)),
            (6, Act::Web(STACKOVERFLOW)),
            (5, Act::Web(CRATES)),
            (5, Act::Web(GOOGLE)),
            (4, Act::App(&tls::FIREFOX, SLACK)),
            (3, Act::Web(WIKI)),
            (1, Act::Plain(&APT_UBUNTU)),
            (1, Act::Plain(&INTRANET)),
        ],
        night: &[(3, Act::Plain(&APT_UBUNTU)), (1, Act::Plain(&APT_UBUNTU_SEC))],
        daily: &[
            Act::App(&tls::OPENSSL_CURL, GIT_OBJECTS),
            Act::App(&tls::OPENSSL_CURL, GITHUB_API),
            Act::Web(GITHUB_WEB),
        ],
        gap_min: 6.0,
        about: "developer workstation: Firefox, git and the GitHub API daily, Stack Overflow, crates.io",
    },
    Device {
        ip: [10, 20, 1, 50],
        mac: [0x52, 0x54, 0x00, 0x8a, 0x3d, 0x50],
        hostname: "files-srv",
        os: Os::Linux,
        kind: Kind::Server,
        os_name: "Debian 12",
        ua: "",
        hello: &tls::OPENSSL_CURL,
        habits: &[(3, Act::Plain(&APT_DEBIAN)), (1, Act::Plain(&APT_SECURITY))],
        night: &[(3, Act::Plain(&APT_DEBIAN)), (1, Act::Plain(&APT_SECURITY))],
        daily: &[],
        gap_min: 90.0,
        about: "file server: apt against deb.debian.org and security.debian.org, day and night",
    },
    Device {
        ip: [10, 20, 1, 60],
        mac: [0xa0, 0xd3, 0xc1, 0x90, 0x12, 0x60],
        hostname: "NPI9012F3",
        os: Os::Printer,
        kind: Kind::Server,
        os_name: "HP LaserJet printer",
        ua: "",
        hello: &tls::OPENSSL_CURL,
        habits: &[(1, Act::Plain(&PRINTER_FW))],
        night: &[],
        daily: &[],
        gap_min: 300.0,
        about: "printer: receives IPP print jobs, checks its firmware over HTTP once in a while",
    },
];

/// Background of an always-on Windows 11 desktop at night.
const WIN11_NIGHT: &[(u32, Act)] = &[
    (4, Act::App(&tls::SCHANNEL11, WIN_TELEMETRY)),
    (2, Act::App(&tls::SCHANNEL11, WIN_SETTINGS)),
    (1, Act::Plain(&NCSI)),
];
/// Background of an always-on Windows 10 desktop at night.
const WIN10_NIGHT: &[(u32, Act)] = &[
    (4, Act::App(&tls::SCHANNEL11, WIN_TELEMETRY)),
    (2, Act::App(&tls::SCHANNEL11, WIN_SETTINGS)),
    (1, Act::App(&tls::SCHANNEL10, WIN_UPDATE)),
    (1, Act::Plain(&CTL)),
];

/// What a device checks when it joins the network.
pub fn on_join(os: Os) -> Option<&'static Plain> {
    match os {
        Os::Windows => Some(&NCSI),
        Os::MacOs => Some(&CAPTIVE),
        Os::Linux => Some(&UBUNTU_CHECK),
        Os::Printer => None,
    }
}

/// The printer's name in the office zone.
pub const PRINTER_NAME: &str = "npi9012f3.office.example";

/// The printer.
pub fn printer() -> &'static Device {
    &DEVICES[DEVICES.len() - 1]
}

/// The device with address `ip`.
pub fn device(ip: Ip) -> usize {
    DEVICES
        .iter()
        .position(|d| d.ip == ip)
        .expect("a device of the table")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn tables_are_consistent() {
        let names: BTreeSet<&str> = REMOTES.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), REMOTES.len(), "duplicate host");
        let mut ips = BTreeSet::new();
        let mut macs = BTreeSet::new();
        for d in DEVICES {
            assert!(ips.insert(d.ip) && macs.insert(d.mac), "{}", d.hostname);
            for a in d.habits.iter().chain(d.night).map(|h| &h.1).chain(d.daily) {
                let hosts: Vec<&str> = match a {
                    Act::Web(cs) | Act::App(_, cs) => cs.iter().map(|c| c.0).collect(),
                    Act::Plain(p) => vec![p.host],
                    Act::Print | Act::Lookup(_) => vec![],
                };
                for h in hosts {
                    let r = REMOTES.iter().find(|r| r.name == h);
                    let r = r.unwrap_or_else(|| panic!("{h} not in REMOTES"));
                    if let (Act::App(hello, _), Some(t)) = (a, &r.tls) {
                        assert!(
                            hello.tls13() || !t.chain.is_empty(),
                            "{h}: TLS 1.2 client, no cert"
                        );
                    }
                    if let Act::Web(_) = a {
                        assert!(d.hello.tls13() || r.tls.is_some_and(|t| !t.chain.is_empty()));
                    }
                }
            }
        }
        // Neither attack device uses GitHub in the office.
        for ip in [[10, 20, 1, 17], [10, 20, 1, 23]] {
            let d = &DEVICES[device(ip)];
            for (_, a) in d.habits.iter().chain(d.night) {
                if let Act::Web(cs) | Act::App(_, cs) = a {
                    assert!(cs.iter().all(|c| !c.0.contains("github")));
                }
            }
        }
    }
}
