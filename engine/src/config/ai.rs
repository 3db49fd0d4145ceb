//! The profile's `[ai]` section: where the AI service catalogue is, what the organisation
//! sanctions (for everyone, or per network), which internal MCP and LLM servers are
//! known, the upload threshold of possible data exposure, and how often EVE `ai` records
//! are written (`docs/shadow-ai.md`).

use super::{line_of, ConfigError};
use crate::ai::catalog::{Catalog, Watched};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Shadow AI discovery.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AiConf {
    /// The catalogue file, relative to the profile; unset: the one built into vigil.
    pub catalog: Option<PathBuf>,
    /// Wall-clock seconds between checks for a changed catalogue.
    pub catalog_reload: u64,
    /// Services everyone may use: service ids, categories (`coding-assistant`), or `*`.
    pub sanctioned: Vec<String>,
    /// Per-network allowances beyond the sanctioned services.
    pub allow: Vec<AiAllowConf>,
    /// Known internal MCP servers (addresses or ranges): no `mcp-activity` breach.
    pub mcp_servers: Vec<String>,
    /// Known internal LLM servers (addresses or ranges): no `local-llm-server` breach.
    pub llm_servers: Vec<String>,
    /// large-upload-to-ai-service: bytes a device sends to one AI service within
    /// `upload_window` seconds that always breach...
    pub upload_bytes: u64,
    /// ...and, once the device has a baseline, at least this many bytes and at least
    /// `upload_sigmas` spreads above its usual upload per hour of AI use.
    pub upload_min_bytes: u64,
    pub upload_sigmas: f64,
    pub upload_window: u64,
    /// Seconds of packet time between EVE `ai` records (0: only at the end of a run).
    pub record_interval: u64,
}

impl Default for AiConf {
    fn default() -> Self {
        AiConf {
            catalog: None,
            catalog_reload: 10,
            sanctioned: Vec::new(),
            allow: Vec::new(),
            mcp_servers: Vec::new(),
            llm_servers: Vec::new(),
            upload_bytes: 5_000_000,
            upload_min_bytes: 1_000_000,
            upload_sigmas: 5.0,
            upload_window: 3600,
            record_interval: 3600,
        }
    }
}

/// What devices in some networks may use beyond the sanctioned services.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AiAllowConf {
    /// Address ranges of the devices (`10.20.1.40`, `10.20.2.0/24`).
    pub networks: Vec<String>,
    /// Services they may use: ids, categories, or `*`.
    pub services: Vec<String>,
    /// They may speak MCP to any server.
    pub mcp: bool,
    /// They may serve LLM APIs.
    pub llm: bool,
    /// They may run AI SDKs and agents.
    pub agents: bool,
}

impl AiConf {
    /// The catalogue this section names (file or built in), checked at most every
    /// `catalog_reload` seconds for changes.
    pub fn open_catalog(&self) -> Result<Watched, String> {
        Watched::open(
            self.catalog.as_deref(),
            Duration::from_secs(self.catalog_reload.max(1)),
        )
    }

    /// Resolves the catalogue path against the profile's directory.
    pub(super) fn resolve(&mut self, base: &Path) {
        if let Some(c) = &self.catalog {
            if c.is_relative() {
                self.catalog = Some(base.join(c));
            }
        }
    }

    /// Checks values that parse but cannot work, against the catalogue: (key, message).
    fn check(&self, cat: &Catalog) -> Result<(), (&'static str, &'static str, String)> {
        let known = |key: &'static str, section: &'static str, list: &[String]| {
            for e in list {
                if !cat.knows(e) {
                    return Err((
                        section,
                        key,
                        format!(
                            "{e:?} is no service id or category in the AI catalogue (see configs/ai-services.toml)"
                        ),
                    ));
                }
            }
            Ok(())
        };
        known("sanctioned", "ai", &self.sanctioned)?;
        for (key, list) in [
            ("mcp_servers", &self.mcp_servers),
            ("llm_servers", &self.llm_servers),
        ] {
            if let Err(e) = crate::learn::net::Networks::parse(list) {
                return Err(("ai", key, e));
            }
        }
        for a in &self.allow {
            if a.networks.is_empty() {
                return Err((
                    "ai.allow",
                    "networks",
                    "an [[ai.allow]] entry needs networks".into(),
                ));
            }
            if let Err(e) = crate::learn::net::Networks::parse(&a.networks) {
                return Err(("ai.allow", "networks", e));
            }
            known("services", "ai.allow", &a.services)?;
        }
        if self.catalog_reload == 0 {
            return Err((
                "ai",
                "catalog_reload",
                "catalog_reload must be at least 1 second".into(),
            ));
        }
        if self.upload_sigmas.is_nan() || self.upload_sigmas <= 0.0 {
            return Err((
                "ai",
                "upload_sigmas",
                "upload_sigmas must be above 0".into(),
            ));
        }
        if self.upload_window == 0 {
            return Err((
                "ai",
                "upload_window",
                "upload_window must be at least 1 second".into(),
            ));
        }
        if self.upload_min_bytes > self.upload_bytes {
            return Err((
                "ai",
                "upload_min_bytes",
                "upload_min_bytes cannot be above upload_bytes".into(),
            ));
        }
        Ok(())
    }
}

/// Loads the section's catalogue (its own `file:line:` on error) and checks the section
/// against it (the profile's `file:line:`).
pub(super) fn validate(c: &AiConf, text: &str, file: &str) -> Result<(), ConfigError> {
    let cat = match &c.catalog {
        None => Catalog::builtin(),
        Some(path) => {
            if !path.is_file() {
                return Err(ConfigError {
                    file: file.to_string(),
                    line: line_of(text, "ai", "catalog"),
                    message: format!("AI catalogue {} does not exist", path.display()),
                });
            }
            Catalog::read(path).map_err(|e| ConfigError {
                file: path.display().to_string(),
                line: e.line,
                message: e.message,
            })?
        }
    };
    c.check(&cat)
        .map_err(|(section, key, message)| ConfigError {
            file: file.to_string(),
            line: line_of(text, section, key),
            message,
        })
}

#[cfg(test)]
mod tests {
    use crate::config::Profile;
    use std::path::Path;

    fn parse(extra: &str) -> Result<Profile, String> {
        let text = format!("mode = \"software\"\n{extra}");
        Profile::parse(&text, "p.toml", Path::new(".")).map_err(|e| e.to_string())
    }

    #[test]
    fn ai_section_defaults_and_checks() {
        let p = parse("").unwrap();
        assert_eq!(p.ai.upload_bytes, 5_000_000);
        assert!(p.ai.sanctioned.is_empty());
        let p = parse("[ai]\nsanctioned = [\"github-copilot\", \"coding-assistant\"]\n[[ai.allow]]\nnetworks = [\"10.20.1.40\"]\nservices = [\"openai-api\"]\nmcp = true\n").unwrap();
        assert_eq!(p.ai.allow[0].services, vec!["openai-api"]);
        for (extra, want) in [
            ("[ai]\nupload = 3\n", "p.toml:3: unknown field `upload`"),
            (
                "[ai]\n\nsanctioned = [\"chatgpt\"]\n",
                "p.toml:4: \"chatgpt\" is no service id",
            ),
            ("[ai]\nmcp_servers = [\"10.0.0.300\"]\n", "p.toml:3:"),
            (
                "[ai]\n[[ai.allow]]\nservices = [\"*\"]\n",
                "p.toml:3: an [[ai.allow]] entry needs networks",
            ),
            (
                "[ai]\n[[ai.allow]]\nnetworks = [\"10.0.0.0/8\"]\nservices = [\"nope\"]\n",
                "p.toml:5: \"nope\"",
            ),
            ("[ai]\nupload_sigmas = 0.0\n", "p.toml:3: upload_sigmas"),
            (
                "[ai]\ncatalog = \"/nonexistent/ai.toml\"\n",
                "p.toml:3: AI catalogue /nonexistent/ai.toml does not exist",
            ),
        ] {
            let e = parse(extra).unwrap_err();
            assert!(e.starts_with(want), "{extra:?}: {e}");
        }
    }

    #[test]
    fn a_bad_catalogue_names_its_own_file_and_line() {
        let dir = std::env::temp_dir().join(format!("vigil-ai-conf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("cat.toml"),
            "version = 1\n[[service]]\nid = \"x\"\nname = \"X\"\nprovider = \"P\"\ncategory = \"nope\"\nhosts = [\"x.com\"]\n",
        )
        .unwrap();
        let text = "mode = \"software\"\n[ai]\ncatalog = \"cat.toml\"\n";
        let e = Profile::parse(text, "p.toml", &dir)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!(
                "{}:6: category \"nope\"",
                dir.join("cat.toml").display()
            )),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
