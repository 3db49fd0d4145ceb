//! The model catalogue: every detection model's stable id, base score, MITRE ATT&CK
//! techniques, EVE signature id and category. `docs/models.md` documents the same list.

/// One model's fixed facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelInfo {
    /// Stable id, `family/name`.
    pub id: &'static str,
    /// Score (0–100) of a breach before model-specific adjustment.
    pub score: u8,
    /// MITRE ATT&CK technique ids.
    pub mitre: &'static [&'static str],
    /// EVE `alert.signature_id`.
    pub sid: u32,
    /// EVE `alert.category`.
    pub category: &'static str,
}

macro_rules! models {
    ($($name:ident = ($id:expr, $score:expr, [$($m:expr),*], $sid:expr, $cat:expr);)*) => {
        $(
            #[doc = concat!("`", $id, "`")]
            pub const $name: ModelInfo = ModelInfo {
                id: $id,
                score: $score,
                mitre: &[$($m),*],
                sid: $sid,
                category: $cat,
            };
        )*
        /// Every model, in catalogue order.
        pub const ALL: &[ModelInfo] = &[$($name),*];
    };
}

models! {
    POSTS_TO_RARE_HOSTNAME = ("anomalous-connection/multiple-http-posts-to-rare-hostname", 55, ["T1071.001"], 9_000_001, "Anomalous Connection");
    POST_TO_IP_WITHOUT_HOSTNAME = ("anomalous-connection/posting-http-to-ip-without-hostname", 50, ["T1071.001"], 9_000_002, "Anomalous Connection");
    NEW_UA_TO_IP_WITHOUT_HOSTNAME = ("anomalous-connection/new-user-agent-to-ip-without-hostname", 55, ["T1071.001"], 9_000_003, "Anomalous Connection");
    POWERSHELL_TO_RARE = ("anomalous-connection/powershell-to-rare-external", 70, ["T1059.001"], 9_000_004, "Anomalous Connection");
    NEW_POWERSHELL_UA = ("device/new-powershell-user-agent", 45, ["T1059.001"], 9_000_005, "Device");
    RARE_SELF_SIGNED = ("anomalous-connection/rare-external-ssl-self-signed", 45, ["T1608.003"], 9_000_006, "Anomalous Connection");
    PROTOCOL_ON_UNCOMMON_PORT = ("anomalous-connection/application-protocol-on-uncommon-port", 40, ["T1571"], 9_000_007, "Anomalous Connection");
    BEACONING = ("compromise/beaconing-activity-to-external-rare", 65, ["T1071", "T1571"], 9_000_008, "Compromise");
    FAST_BEACONING_DGA = ("compromise/fast-beaconing-to-dga", 80, ["T1568.002"], 9_000_009, "Compromise");
    DGA_DNS = ("compromise/dga-dns-activity", 70, ["T1568.002"], 9_000_010, "Compromise");
    FAILED_CONNECTIONS = ("compromise/large-number-of-suspicious-failed-connections", 55, ["T1571"], 9_000_011, "Compromise");
    GITHUB_DOWNLOAD = ("device/anomalous-github-download", 50, ["T1105", "T1213.003"], 9_000_012, "Device");
    EXFIL_TO_NEW_ENDPOINT = ("unusual-activity/unusual-external-data-to-new-endpoint", 75, ["T1041"], 9_000_013, "Unusual Activity");
    DOPPELGANGER = ("compromise/possible-doppelganger-attack", 65, ["T1583.001"], 9_000_014, "Compromise");
    IOC_MATCH = ("threat-intel/ioc-match", 85, [], 9_000_015, "Threat Intelligence");
    AI_NEW_SERVICE = ("shadow-ai/new-ai-service", 40, ["T1567"], 9_000_016, "Shadow AI");
    AI_UNSANCTIONED = ("shadow-ai/unsanctioned-ai-service", 50, ["T1567"], 9_000_017, "Shadow AI");
    AI_LARGE_UPLOAD = ("shadow-ai/large-upload-to-ai-service", 70, ["T1567", "T1048"], 9_000_018, "Shadow AI");
    AI_MCP = ("shadow-ai/mcp-activity", 45, ["T1071.001"], 9_000_019, "Shadow AI");
    AI_LOCAL_LLM = ("shadow-ai/local-llm-server", 50, ["T1071.001"], 9_000_020, "Shadow AI");
    AI_AGENT_UA = ("shadow-ai/ai-agent-user-agent", 40, ["T1071.001"], 9_000_021, "Shadow AI");
}

/// A model by id.
pub fn by_id(id: &str) -> Option<&'static ModelInfo> {
    ALL.iter().find(|m| m.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut ids: Vec<&str> = ALL.iter().map(|m| m.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len());
        for m in ALL {
            let (fam, name) = m.id.split_once('/').unwrap();
            for part in [fam, name] {
                assert!(part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
            }
            assert!(m.score <= 100);
        }
        let mut sids: Vec<u32> = ALL.iter().map(|m| m.sid).collect();
        sids.dedup();
        assert_eq!(sids.len(), ALL.len());
    }
}
