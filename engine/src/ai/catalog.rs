//! The AI service catalogue (`configs/ai-services.toml`): services with the host and SNI
//! patterns that name them, by provider and category, and AI SDKs and agents with the
//! User-Agent substrings that name them. Parsed and checked with `file:line:` messages,
//! looked up per connection name (exact names and `*.` suffixes by hash, other `*`
//! patterns in file order), and reloaded when its file changes.

use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};
use toml::Spanned;

/// The catalogue shipped with Vigil, used when a profile names no file.
pub const BUILTIN: &str = include_str!("../../../configs/ai-services.toml");

/// Service categories.
pub const CATEGORIES: &[&str] = &[
    "chat-assistant",
    "model-api",
    "coding-assistant",
    "model-hub",
    "agent-platform",
    "media-generation",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDef {
    version: u32,
    #[serde(default)]
    service: Vec<ServiceDef>,
    #[serde(default)]
    agent: Vec<AgentDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceDef {
    id: Spanned<String>,
    name: String,
    provider: String,
    category: Spanned<String>,
    hosts: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentDef {
    id: Spanned<String>,
    name: String,
    provider: String,
    user_agents: Vec<Spanned<String>>,
}

/// An AI service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub category: String,
    pub hosts: Vec<String>,
}

/// An AI SDK or agent, known by its User-Agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub user_agents: Vec<String>,
}

/// A catalogue problem: the 1-based line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    pub line: usize,
    pub message: String,
}

/// The catalogue, indexed for lookups.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub services: Vec<Service>,
    pub agents: Vec<Agent>,
    by_id: HashMap<String, usize>,
    exact: HashMap<String, usize>,
    /// `*.example.com` → "example.com".
    suffix: HashMap<String, usize>,
    /// Other patterns with `*`, in file order.
    globs: Vec<(String, usize)>,
    /// Lowercased User-Agent substrings → agent.
    user_agents: Vec<(String, usize)>,
}

fn line_at(text: &str, at: usize) -> usize {
    text[..at.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

fn kebab(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Whether `p` is a host pattern Vigil can match: lowercase letters, digits, `-`, `.`,
/// `*`, with a dot, no empty label, and not only wildcards.
fn valid_pattern(p: &str) -> bool {
    p.contains('.')
        && p.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'*')
        })
        && p.split('.').all(|l| !l.is_empty())
        && p.bytes().any(|b| b.is_ascii_alphanumeric())
}

/// Glob match where `*` is any run of characters (dots included).
fn glob(pattern: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, i));
            p += 1;
        } else if p < pattern.len() && pattern[p] == s[i] {
            p += 1;
            i += 1;
        } else if let Some((sp, si)) = star {
            p = sp + 1;
            i = si + 1;
            star = Some((sp, si + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

impl Catalog {
    /// Parses and checks catalogue text.
    pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
        let def: FileDef = toml::from_str(text).map_err(|e| CatalogError {
            line: e.span().map_or(1, |s| line_at(text, s.start)),
            message: e.message().trim().replace('\n', " "),
        })?;
        let err = |at: usize, message: String| CatalogError {
            line: line_at(text, at),
            message,
        };
        if def.version != 1 {
            return Err(err(
                0,
                format!("catalogue version {} is not supported (1 is)", def.version),
            ));
        }
        let mut c = Catalog::default();
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut patterns: HashMap<String, String> = HashMap::new();
        for s in def.service {
            let id = s.id.get_ref().clone();
            if !kebab(&id) {
                return Err(err(
                    s.id.span().start,
                    format!("service id {id:?} must be kebab case (a-z, 0-9, -)"),
                ));
            }
            if CATEGORIES.contains(&id.as_str()) {
                return Err(err(
                    s.id.span().start,
                    format!("service id {id:?} is also a category name"),
                ));
            }
            if ids.insert(id.clone(), 0).is_some() {
                return Err(err(s.id.span().start, format!("service id {id:?} twice")));
            }
            if !CATEGORIES.contains(&s.category.get_ref().as_str()) {
                return Err(err(
                    s.category.span().start,
                    format!(
                        "category {:?} is not one of {}",
                        s.category.get_ref(),
                        CATEGORIES.join(", ")
                    ),
                ));
            }
            if s.hosts.is_empty() {
                return Err(err(
                    s.id.span().start,
                    format!("service {id:?} has no hosts"),
                ));
            }
            let idx = c.services.len();
            let mut hosts = Vec::new();
            for h in &s.hosts {
                let p = h.get_ref().trim_end_matches('.').to_string();
                if !valid_pattern(&p) {
                    return Err(err(
                        h.span().start,
                        format!("host pattern {p:?}: lowercase names with dots, `*` for any run of characters"),
                    ));
                }
                if let Some(other) = patterns.insert(p.clone(), id.clone()) {
                    return Err(err(
                        h.span().start,
                        format!("host pattern {p:?} is already in service {other:?}"),
                    ));
                }
                match p.strip_prefix("*.") {
                    Some(rest) if !rest.contains('*') => {
                        c.suffix.insert(rest.to_string(), idx);
                    }
                    _ if p.contains('*') => c.globs.push((p.clone(), idx)),
                    _ => {
                        c.exact.insert(p.clone(), idx);
                    }
                }
                hosts.push(p);
            }
            c.by_id.insert(id.clone(), idx);
            c.services.push(Service {
                id,
                name: s.name,
                provider: s.provider,
                category: s.category.into_inner(),
                hosts,
            });
        }
        let mut agent_ids: HashMap<String, usize> = HashMap::new();
        for a in def.agent {
            let id = a.id.get_ref().clone();
            if !kebab(&id) {
                return Err(err(
                    a.id.span().start,
                    format!("agent id {id:?} must be kebab case (a-z, 0-9, -)"),
                ));
            }
            if agent_ids.insert(id.clone(), 0).is_some() {
                return Err(err(a.id.span().start, format!("agent id {id:?} twice")));
            }
            if a.user_agents.is_empty() {
                return Err(err(
                    a.id.span().start,
                    format!("agent {id:?} has no user_agents"),
                ));
            }
            let idx = c.agents.len();
            for u in &a.user_agents {
                if u.get_ref().trim().len() < 3 {
                    return Err(err(
                        u.span().start,
                        "a user agent pattern needs at least 3 characters".into(),
                    ));
                }
                c.user_agents.push((u.get_ref().to_ascii_lowercase(), idx));
            }
            c.agents.push(Agent {
                id,
                name: a.name,
                provider: a.provider,
                user_agents: a.user_agents.into_iter().map(|u| u.into_inner()).collect(),
            });
        }
        Ok(c)
    }

    /// The catalogue built into vigil.
    pub fn builtin() -> Catalog {
        Catalog::parse(BUILTIN).expect("the built-in AI catalogue is valid")
    }

    /// Reads and parses a catalogue file.
    pub fn read(path: &Path) -> Result<Catalog, CatalogError> {
        let text = std::fs::read_to_string(path).map_err(|e| CatalogError {
            line: 1,
            message: format!("cannot read the AI catalogue: {e}"),
        })?;
        Catalog::parse(&text)
    }

    /// Reads and parses a catalogue file (`file:line: message` on error).
    pub fn load(path: &Path) -> Result<Catalog, String> {
        Catalog::read(path).map_err(|e| format!("{}:{}: {}", path.display(), e.line, e.message))
    }

    /// The service a host name (SNI, Host, DNS name) belongs to.
    pub fn service(&self, host: &str) -> Option<&Service> {
        let h = host.trim_end_matches('.').to_ascii_lowercase();
        if let Some(i) = self.exact.get(&h) {
            return Some(&self.services[*i]);
        }
        let mut rest = h.as_str();
        while let Some(dot) = rest.find('.') {
            rest = &rest[dot + 1..];
            if let Some(i) = self.suffix.get(rest) {
                return Some(&self.services[*i]);
            }
        }
        self.globs
            .iter()
            .find(|(p, _)| glob(p.as_bytes(), h.as_bytes()))
            .map(|(_, i)| &self.services[*i])
    }

    /// A service by id.
    pub fn by_id(&self, id: &str) -> Option<&Service> {
        self.by_id.get(id).map(|i| &self.services[*i])
    }

    /// The AI SDK or agent a User-Agent names.
    pub fn agent(&self, user_agent: &str) -> Option<&Agent> {
        let u = user_agent.to_ascii_lowercase();
        self.user_agents
            .iter()
            .find(|(p, _)| u.contains(p.as_str()))
            .map(|(_, i)| &self.agents[*i])
    }

    /// Whether a policy entry names something here: a service id, a category, or `*`.
    pub fn knows(&self, entry: &str) -> bool {
        entry == "*" || CATEGORIES.contains(&entry) || self.by_id.contains_key(entry)
    }
}

/// A catalogue loaded from its file (or built in), reloaded when the file changes.
#[derive(Debug)]
pub struct Watched {
    pub catalog: Catalog,
    path: Option<PathBuf>,
    stamp: Option<(SystemTime, u64)>,
    every: Duration,
    last_check: Option<Instant>,
    /// Reload failures (the previous catalogue stays in use).
    pub errors: Vec<String>,
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

impl Watched {
    /// The built-in catalogue (never reloaded).
    pub fn builtin() -> Watched {
        Watched {
            catalog: Catalog::builtin(),
            path: None,
            stamp: None,
            every: Duration::from_secs(10),
            last_check: None,
            errors: Vec::new(),
        }
    }

    /// The catalogue in `path` (or built in when None), checked for changes at most every
    /// `every`.
    pub fn open(path: Option<&Path>, every: Duration) -> Result<Watched, String> {
        let Some(path) = path else {
            return Ok(Watched {
                every,
                ..Watched::builtin()
            });
        };
        let st = stamp(path);
        Ok(Watched {
            catalog: Catalog::load(path)?,
            path: Some(path.to_path_buf()),
            stamp: st,
            every,
            last_check: Some(Instant::now()),
            errors: Vec::new(),
        })
    }

    /// Reloads the file when it changed (wall clock, at most every `every`); a file that
    /// no longer parses leaves the catalogue as it was and is reported once. Returns
    /// whether a new catalogue is in use.
    pub fn refresh(&mut self) -> bool {
        let Some(path) = self.path.clone() else {
            return false;
        };
        if self.last_check.is_some_and(|t| t.elapsed() < self.every) {
            return false;
        }
        self.last_check = Some(Instant::now());
        let now = stamp(&path);
        if now == self.stamp {
            return false;
        }
        self.stamp = now;
        match Catalog::load(&path) {
            Ok(c) => {
                self.catalog = c;
                true
            }
            Err(e) => {
                eprintln!("vigil: {e}; the previous AI catalogue stays in use");
                self.errors.push(e);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_catalogue_is_big_enough_and_matches() {
        let c = Catalog::builtin();
        assert!(c.services.len() >= 40, "{}", c.services.len());
        let id = |h: &str| c.service(h).map(|s| s.id.as_str());
        assert_eq!(id("chatgpt.com"), Some("openai-chatgpt"));
        assert_eq!(id("ab.chatgpt.com"), Some("openai-chatgpt"));
        assert_eq!(id("files.oaiusercontent.com"), Some("openai-chatgpt"));
        // The exact name beats the wildcard of another service.
        assert_eq!(id("sora.chatgpt.com"), Some("openai-sora"));
        assert_eq!(id("API.OpenAI.com."), Some("openai-api"));
        assert_eq!(id("claude.ai"), Some("anthropic-claude"));
        assert_eq!(id("api.anthropic.com"), Some("anthropic-api"));
        assert_eq!(id("gemini.google.com"), Some("google-gemini"));
        assert_eq!(
            id("generativelanguage.googleapis.com"),
            Some("google-gemini-api")
        );
        assert_eq!(
            id("api.individual.githubcopilot.com"),
            Some("github-copilot")
        );
        assert_eq!(id("githubcopilot.com"), Some("github-copilot"));
        assert_eq!(id("cdn-lfs.huggingface.co"), Some("huggingface"));
        assert_eq!(
            id("api-inference.huggingface.co"),
            Some("huggingface-inference")
        );
        assert_eq!(
            id("bedrock-runtime.eu-west-3.amazonaws.com"),
            Some("aws-bedrock")
        );
        assert_eq!(
            id("europe-west4-aiplatform.googleapis.com"),
            Some("google-vertex-ai")
        );
        assert_eq!(id("myorg.openai.azure.com"), Some("azure-openai"));
        // Not AI: neighbours of AI names, and the office's own hosts.
        for h in [
            "openai.com.evil.example",
            "google.com",
            "www.google.com",
            "github.com",
            "objects.githubusercontent.com",
            "s3.eu-west-3.amazonaws.com",
            "graph.microsoft.com",
            "www.bing.com",
            "xai",
        ] {
            assert_eq!(id(h), None, "{h}");
        }
        let a = |u: &str| c.agent(u).map(|a| a.id.as_str());
        assert_eq!(a("OpenAI/Python 1.59.7"), Some("openai-sdk"));
        assert_eq!(a("Anthropic/Python 0.42.0"), Some("anthropic-sdk"));
        assert_eq!(
            a("ollama-python/0.4.7 (x86_64 linux) Python/3.12.3"),
            Some("ollama-client")
        );
        assert_eq!(a("claude-cli/1.0.61 (external, cli)"), Some("claude-code"));
        assert_eq!(
            a("huggingface_hub/0.27.0; python/3.12.3; torch/2.5.1"),
            Some("huggingface-hub")
        );
        assert_eq!(a("python-httpx/0.28.1"), None);
        assert_eq!(a("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:147.0)"), None);
        assert!(c.knows("openai-api") && c.knows("model-api") && c.knows("*"));
        assert!(!c.knows("openai"));
    }

    #[test]
    fn globs() {
        assert!(glob(
            b"bedrock-runtime.*.amazonaws.com",
            b"bedrock-runtime.us-east-1.amazonaws.com"
        ));
        assert!(!glob(
            b"bedrock-runtime.*.amazonaws.com",
            b"bedrock-runtime.amazonaws.com"
        ));
        assert!(glob(
            b"*-aiplatform.googleapis.com",
            b"us-aiplatform.googleapis.com"
        ));
        assert!(glob(b"a*b*c", b"axxbyyc"));
        assert!(!glob(b"a*b*c", b"axxbyy"));
    }

    #[test]
    fn bad_catalogues_name_their_line() {
        let bad = [
            ("version = 1\n[[service]]\nid = \"x\"\nname = \"X\"\nprovider = \"P\"\ncategory = \"chat\"\nhosts = [\"x.com\"]\n", 6, "category"),
            ("version = 1\n[[service]]\nid = \"x\"\nname = \"X\"\nprovider = \"P\"\ncategory = \"model-api\"\nhosts = [\"x.com\", \"Bad Host\"]\n", 7, "host pattern"),
            ("version = 1\n[[service]]\nid = \"x\"\nname = \"X\"\nprovider = \"P\"\ncategory = \"model-api\"\nhosts = [\"x.com\"]\nport = 1\n", 8, "unknown field"),
            ("version = 1\n[[service]]\nid = \"x\"\nname = \"X\"\nprovider = \"P\"\ncategory = \"model-api\"\nhosts = [\"x.com\"]\n[[service]]\nid = \"y\"\nname = \"Y\"\nprovider = \"P\"\ncategory = \"model-api\"\nhosts = [\"x.com\"]\n", 13, "already in service"),
            ("version = 2\n", 1, "version"),
            ("version = 1\n[[agent]]\nid = \"A b\"\nname = \"X\"\nprovider = \"P\"\nuser_agents = [\"abc\"]\n", 3, "kebab"),
        ];
        for (text, line, what) in bad {
            let e = Catalog::parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text}: {e:?}");
            assert!(e.message.contains(what), "{e:?}");
        }
    }

    #[test]
    fn a_changed_file_is_reloaded_and_a_broken_one_is_not() {
        let dir = std::env::temp_dir().join(format!("vigil-ai-cat-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("ai.toml");
        let one = "version = 1\n[[service]]\nid = \"a\"\nname = \"A\"\nprovider = \"P\"\ncategory = \"model-api\"\nhosts = [\"a.example\"]\n";
        std::fs::write(&f, one).unwrap();
        let mut w = Watched::open(Some(&f), Duration::ZERO).unwrap();
        assert!(w.catalog.service("a.example").is_some());
        assert!(!w.refresh(), "unchanged");
        std::fs::write(&f, one.replace("a.example", "bb.example")).unwrap();
        assert!(w.refresh());
        assert!(w.catalog.service("a.example").is_none());
        assert!(w.catalog.service("bb.example").is_some());
        std::fs::write(&f, "version = 1\n[[service]]\nid = 3\n").unwrap();
        assert!(!w.refresh());
        assert!(w.catalog.service("bb.example").is_some(), "kept");
        assert_eq!(w.errors.len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
