//! The AI policy of a profile's `[ai]` section: which services are sanctioned for
//! everyone, what each network may use beyond them (services, MCP, serving LLM APIs, AI
//! SDKs and agents), and which internal MCP and LLM servers are known.

use super::catalog::Service;
use crate::config::AiConf;
use crate::learn::net::Networks;
use std::net::IpAddr;

/// One `[[ai.allow]]` entry.
#[derive(Debug, Clone)]
struct Allow {
    networks: Networks,
    /// As written (kept for reasons).
    text: String,
    services: Vec<String>,
    mcp: bool,
    llm: bool,
    agents: bool,
}

/// The policy.
#[derive(Debug, Clone)]
pub struct Policy {
    sanctioned: Vec<String>,
    allow: Vec<Allow>,
    mcp_servers: Networks,
    llm_servers: Networks,
}

/// The ranges of a validated list (none when empty; never the default internal ranges).
fn nets(list: &[String]) -> Networks {
    Networks::parse(list)
        .or_else(|_| Networks::parse(&[]))
        .expect("an empty list parses")
}

/// Whether a policy entry (service id, category or `*`) covers `s`.
fn covers(entry: &str, s: &Service) -> bool {
    entry == "*" || entry == s.id || entry == s.category
}

impl Policy {
    /// From a validated `[ai]` section.
    pub fn from_conf(c: &AiConf) -> Policy {
        Policy {
            sanctioned: c.sanctioned.clone(),
            allow: c
                .allow
                .iter()
                .map(|a| Allow {
                    networks: nets(&a.networks),
                    text: a.networks.join(", "),
                    services: a.services.clone(),
                    mcp: a.mcp,
                    llm: a.llm,
                    agents: a.agents,
                })
                .collect(),
            mcp_servers: nets(&c.mcp_servers),
            llm_servers: nets(&c.llm_servers),
        }
    }

    /// Why `device` may use `s` ("sanctioned", "allowed for 10.20.1.0/24"), or None
    /// when the policy does not sanction it.
    pub fn permits(&self, s: &Service, device: IpAddr) -> Option<String> {
        if self.sanctioned.iter().any(|e| covers(e, s)) {
            return Some("sanctioned".into());
        }
        self.allow
            .iter()
            .find(|a| a.networks.contains_ip(device) && a.services.iter().any(|e| covers(e, s)))
            .map(|a| format!("allowed for {}", a.text))
    }

    /// Whether `s` is sanctioned for everyone.
    pub fn sanctioned(&self, s: &Service) -> bool {
        self.sanctioned.iter().any(|e| covers(e, s))
    }

    /// Whether MCP between `client` and `server` is expected: a known MCP server, or a
    /// client in a network allowed MCP.
    pub fn mcp_expected(&self, client: IpAddr, server: IpAddr) -> bool {
        self.mcp_servers.contains_ip(server)
            || self
                .allow
                .iter()
                .any(|a| a.mcp && a.networks.contains_ip(client))
    }

    /// Whether `server` serving an LLM API is expected: a known LLM server, or in a
    /// network allowed to serve them.
    pub fn llm_expected(&self, server: IpAddr) -> bool {
        self.llm_servers.contains_ip(server)
            || self
                .allow
                .iter()
                .any(|a| a.llm && a.networks.contains_ip(server))
    }

    /// Whether `device` running AI SDKs and agents is expected.
    pub fn agents_expected(&self, device: IpAddr) -> bool {
        self.allow
            .iter()
            .any(|a| a.agents && a.networks.contains_ip(device))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::catalog::Catalog;
    use crate::config::AiAllowConf;

    #[test]
    fn sanctioned_allowed_and_not() {
        let cat = Catalog::builtin();
        let conf = AiConf {
            sanctioned: vec!["github-copilot".into(), "microsoft-copilot".into()],
            allow: vec![AiAllowConf {
                networks: vec!["10.20.1.40".into(), "10.20.2.0/24".into()],
                services: vec!["model-api".into()],
                mcp: true,
                llm: false,
                agents: true,
            }],
            llm_servers: vec!["10.20.0.120".into()],
            ..Default::default()
        };
        let p = Policy::from_conf(&conf);
        let s = |id: &str| cat.by_id(id).unwrap();
        let dev = |a: &str| a.parse::<IpAddr>().unwrap();
        assert_eq!(
            p.permits(s("github-copilot"), dev("10.20.1.12")).as_deref(),
            Some("sanctioned")
        );
        assert_eq!(p.permits(s("openai-chatgpt"), dev("10.20.1.12")), None);
        assert_eq!(
            p.permits(s("openai-api"), dev("10.20.1.40")).as_deref(),
            Some("allowed for 10.20.1.40, 10.20.2.0/24")
        );
        assert!(p.permits(s("anthropic-api"), dev("10.20.2.9")).is_some());
        assert!(p
            .permits(s("anthropic-claude"), dev("10.20.1.40"))
            .is_none());
        assert!(p.mcp_expected(dev("10.20.1.40"), dev("10.20.0.90")));
        assert!(!p.mcp_expected(dev("10.20.1.12"), dev("10.20.0.90")));
        assert!(p.llm_expected(dev("10.20.0.120")));
        assert!(!p.llm_expected(dev("10.20.0.121")));
        assert!(p.agents_expected(dev("10.20.1.40")));
        assert!(!p.agents_expected(dev("10.20.1.12")));
        // The default policy sanctions nothing and expects nothing.
        let none = Policy::from_conf(&AiConf::default());
        assert!(none
            .permits(s("github-copilot"), dev("10.20.1.40"))
            .is_none());
        assert!(!none.llm_expected(dev("10.20.0.120")));
    }
}
