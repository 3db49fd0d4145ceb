//! Well-known brands whose names look-alike hosts borrow, with the registrable domains
//! each brand really uses (possible-doppelganger-attack).

/// (label, the brand's own registrable domains).
pub const BRANDS: &[(&str, &[&str])] = &[
    (
        "zoom",
        &["zoom.us", "zoom.com", "zoomgov.com", "zoom.com.cn"],
    ),
    (
        "teams",
        &[
            "microsoft.com",
            "live.com",
            "office.com",
            "skype.com",
            "teams.cdn.office.net",
            "microsoftonline.com",
        ],
    ),
    (
        "microsoft",
        &[
            "microsoft.com",
            "microsoftonline.com",
            "microsoft.net",
            "azureedge.net",
            "windows.net",
            "live.com",
            "office.com",
            "office.net",
            "msftconnecttest.com",
            "msn.com",
        ],
    ),
    (
        "office365",
        &["office365.com", "microsoft.com", "office.com"],
    ),
    (
        "outlook",
        &[
            "outlook.com",
            "office.com",
            "live.com",
            "microsoft.com",
            "office365.com",
        ],
    ),
    (
        "onedrive",
        &[
            "onedrive.com",
            "live.com",
            "microsoft.com",
            "sharepoint.com",
        ],
    ),
    ("sharepoint", &["sharepoint.com", "microsoft.com"]),
    (
        "okta",
        &[
            "okta.com",
            "oktacdn.com",
            "okta-emea.com",
            "oktapreview.com",
        ],
    ),
    (
        "google",
        &[
            "google.com",
            "googleapis.com",
            "gstatic.com",
            "googleusercontent.com",
            "google.co.uk",
            "google.de",
            "google.fr",
            "googlevideo.com",
            "googletagmanager.com",
            "google-analytics.com",
        ],
    ),
    ("gmail", &["gmail.com", "google.com"]),
    (
        "apple",
        &[
            "apple.com",
            "icloud.com",
            "apple-dns.net",
            "mzstatic.com",
            "apple.news",
            "cdn-apple.com",
        ],
    ),
    ("icloud", &["icloud.com", "apple.com", "icloud-content.com"]),
    ("paypal", &["paypal.com", "paypalobjects.com", "paypal.me"]),
    (
        "github",
        &[
            "github.com",
            "githubusercontent.com",
            "github.io",
            "githubassets.com",
            "githubcopilot.com",
            "objects.githubusercontent.com",
            "raw.githubusercontent.com",
            "avatars.githubusercontent.com",
        ],
    ),
    (
        "slack",
        &[
            "slack.com",
            "slack-edge.com",
            "slack-msgs.com",
            "slack-imgs.com",
        ],
    ),
    (
        "dropbox",
        &[
            "dropbox.com",
            "dropboxapi.com",
            "dropboxstatic.com",
            "dropboxusercontent.com",
        ],
    ),
    ("docusign", &["docusign.com", "docusign.net"]),
    (
        "adobe",
        &[
            "adobe.com",
            "adobe.io",
            "adobelogin.com",
            "typekit.net",
            "adobedtm.com",
        ],
    ),
    (
        "amazon",
        &[
            "amazon.com",
            "amazonaws.com",
            "amazon.co.uk",
            "amazon.de",
            "media-amazon.com",
            "ssl-images-amazon.com",
        ],
    ),
    (
        "facebook",
        &["facebook.com", "fbcdn.net", "facebook.net", "fb.com"],
    ),
    ("linkedin", &["linkedin.com", "licdn.com"]),
    ("webex", &["webex.com", "cisco.com", "wbx2.com"]),
    (
        "salesforce",
        &["salesforce.com", "force.com", "salesforceliveagent.com"],
    ),
    ("anydesk", &["anydesk.com"]),
    ("teamviewer", &["teamviewer.com"]),
];

/// The brand a hostname borrows, if one of its labels (or a label's hyphen-separated
/// part) is a brand name and its registrable domain is not one of the brand's own.
pub fn borrowed_brand(host: &str, registrable: &str) -> Option<&'static str> {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    let reg = registrable.to_ascii_lowercase();
    for (brand, own) in BRANDS {
        if own
            .iter()
            .any(|d| reg == *d || reg.ends_with(&format!(".{d}")))
        {
            continue;
        }
        let hit = h
            .split('.')
            .flat_map(|l| l.split('-'))
            .any(|part| part == *brand);
        if hit {
            return Some(brand);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes() {
        assert_eq!(
            borrowed_brand("zoom.uswebob.us", "uswebob.us"),
            Some("zoom")
        );
        assert_eq!(
            borrowed_brand("microsoft-login.secure-auth.top", "secure-auth.top"),
            Some("microsoft")
        );
        assert_eq!(borrowed_brand("us02web.zoom.us", "zoom.us"), None);
        assert_eq!(borrowed_brand("teams.microsoft.com", "microsoft.com"), None);
        assert_eq!(borrowed_brand("github.com", "github.com"), None);
        assert_eq!(
            borrowed_brand(
                "objects.githubusercontent.com",
                "objects.githubusercontent.com"
            ),
            None
        );
        // A brand name inside a longer word is not a label.
        assert_eq!(borrowed_brand("zoomcar.in", "zoomcar.in"), None);
    }
}
