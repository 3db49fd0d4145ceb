//! The web console in headless Chromium (Debian's `chromium`, driven over the DevTools
//! protocol), against the real engine: after four days of `office`, the engine replays
//! `clickfix-macos` and keeps serving. Signing in with the token typed into the form,
//! the overview, the incident page (narrative, timeline, tactics, MITRE techniques), the
//! device page (pattern of life) and the actions page render; clicking Approve and
//! Release on the page changes the actions in the engine (seen through the API and
//! `vigil actions`); nothing is fetched from anywhere but the engine, and the page
//! throws no error. The incident page's screenshot is written to the test's directory,
//! and to `VIGIL_CONSOLE_SCREENSHOT` when set (how `docs/console-incident.png` was
//! made). A second run, of `shadow-ai`, fills the AI inventory page.

mod operator_common;
use operator_common::cdp::Browser;
use operator_common::*;
use serde_json::Value;

#[test]
fn the_console_renders_and_an_approval_click_reaches_the_engine() {
    let state = learned_office("console");
    let dir = tmp("console-files");
    std::fs::create_dir_all(&dir).unwrap();
    let token = "console-token-0123456789abcdef";
    let token_path = secret_file(&dir.join("api.token"), token);
    let port = free_port();
    let extra = format!(
        "{CONFIRM}\n[api]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\ntoken_file = {token_path:?}\n"
    );
    let prof = profile(&dir.join("p.toml"), &clickfix(), &state, true, &extra);
    let engine = Engine::start(&prof, &dir.join("eve.json"), &dir.join("engine.log"));
    let base = format!("http://127.0.0.1:{port}");
    let http = agent(None);
    let api = |path: &str| {
        request(&http, "GET", &format!("{base}{path}"), Some(token), None)
            .unwrap()
            .json()
    };
    wait_for(120, "the replay to end with pending actions", || {
        let s = request(
            &http,
            "GET",
            &format!("{base}/api/v1/status"),
            Some(token),
            None,
        )
        .ok()?;
        let v = s.json();
        (v["actions"]["pending"].as_u64()? >= 2 && v["incidents"]["open"].as_u64()? >= 2)
            .then_some(())
    });
    std::thread::sleep(std::time::Duration::from_millis(1500));

    let mut b = Browser::start(&dir.join("chromium"), 1280, 900);

    // The ClickFix incident of the macOS host.
    let id = api("/api/v1/incidents?open=true")["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["devices"][0] == "10.20.1.17")
        .expect("an open incident for 10.20.1.17")["id"]
        .as_u64()
        .unwrap();

    // Not signed in: the console asks for the token.
    b.call(
        "Page.navigate",
        serde_json::json!({"url": format!("{base}/#/incidents/{id}")}),
    );
    b.wait("document.getElementById('token')", "the sign-in form");
    b.eval("document.getElementById('token').focus()");
    b.type_text(token);
    b.eval("document.getElementById('who').focus()");
    b.type_text("bob");
    b.click("#login button[type=submit]");
    // Back to the page asked for, signed in.
    b.wait(
        "document.body.dataset.page === 'incidents' && document.getElementById('incident-narrative')",
        "the incident page",
    );

    // The incident page: story, timeline, tactics, techniques, devices, actions.
    let inc = api(&format!("/api/v1/incidents/{id}"));
    let narrative = b.eval("document.getElementById('incident-narrative').textContent");
    assert_eq!(narrative, inc["narrative"]);
    assert!(narrative.as_str().unwrap().contains("marie-macbook"));
    let items = b.eval("document.querySelectorAll('#incident-timeline li').length");
    assert_eq!(items, inc["alerts"].as_array().unwrap().len());
    let tactics =
        b.eval("[...document.querySelectorAll('#incident-tactics .chip')].map(e => e.textContent)");
    assert_eq!(tactics, inc["tactics"]);
    let mitre =
        b.eval("[...document.querySelectorAll('#incident-mitre .chip')].map(e => e.textContent)");
    assert_eq!(mitre, inc["mitre"]);
    assert!(b
        .eval("document.querySelector('main').textContent")
        .as_str()
        .unwrap()
        .contains("zoom.uswebob.us"));
    let png = b.screenshot(1280, 1600);
    assert_eq!(&png[1..4], b"PNG");
    std::fs::write(dir.join("console-incident.png"), &png).unwrap();
    if let Some(out) = std::env::var_os("VIGIL_CONSOLE_SCREENSHOT") {
        std::fs::write(out, &png).unwrap();
    }
    eprintln!("incident page screenshot: {} bytes", png.len());
    b.call(
        "Emulation.setDeviceMetricsOverride",
        serde_json::json!({"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
    );

    // The overview: throughput, drops, open incidents, pending actions.
    b.open(&format!("{base}/#/"), "overview");
    let text = b.eval("document.querySelector('main').textContent");
    let text = text.as_str().unwrap();
    let open_incident = format!("Incident {id}");
    for want in [
        "Throughput",
        "Drops",
        "Open incidents",
        "Pending actions",
        &open_incident,
    ] {
        assert!(text.contains(want), "the overview lacks {want:?}");
    }
    assert_eq!(b.eval("document.querySelectorAll('svg.chart').length"), 1);

    // A device's pattern of life.
    b.open(&format!("{base}/#/devices/10.20.1.17"), "devices");
    let text = b.eval("document.querySelector('main').textContent");
    let text = text.as_str().unwrap();
    for want in [
        "marie-macbook",
        "Usual hours",
        "Usual endpoints",
        "Recent breaches",
        "curl/8.7.1",
    ] {
        assert!(text.contains(want), "the device page lacks {want:?}");
    }
    assert_eq!(
        b.eval("document.querySelectorAll('svg.chart rect.bar').length"),
        24
    );

    // Approve one pending action and release another, with the mouse.
    b.open(&format!("{base}/#/actions"), "actions");
    let pending: Vec<u64> = api("/api/v1/actions?state=pending")["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_u64().unwrap())
        .collect();
    let (approve, release) = (pending[0], pending[1]);
    b.click(&format!("button[data-approve='{approve}']"));
    b.wait(
        "document.getElementById('message') && document.body.dataset.page === 'actions'",
        "the approval's answer",
    );
    let msg = b.eval("document.getElementById('message').textContent");
    assert_eq!(msg, format!("Action {approve} is now active."));
    b.click(&format!("button[data-release='{release}']"));
    b.wait(
        &format!("(document.getElementById('message') || {{}}).textContent === 'Action {release} is now released.'"),
        "the release's answer",
    );
    let shown = b.eval(&format!(
        "document.querySelector('#action-{approve} .state').textContent"
    ));
    assert_eq!(shown, "active");

    // The engine has them so: through the API, and through the control socket.
    let a = api(&format!("/api/v1/actions/{approve}"));
    assert_eq!(a["state"], "active");
    assert!(a["reason"]
        .as_str()
        .unwrap()
        .starts_with("approved by bob (API): "));
    assert_eq!(
        api(&format!("/api/v1/actions/{release}"))["state"],
        "released"
    );
    let o = vigil()
        .args(["actions", "list", "--json", "--state"])
        .arg(&state)
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&o.stdout).unwrap();
    let state_of = |id: u64| {
        list["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .unwrap()["state"]
            .clone()
    };
    assert_eq!(state_of(approve), "active");
    assert_eq!(state_of(release), "released");

    // Everything came from the engine; nothing went wrong in the page.
    let others = b.eval(&format!(
        "performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith({base:?}))"
    ));
    assert_eq!(others, serde_json::json!([]));
    assert!(b.errors.is_empty(), "page errors: {:?}", b.errors);

    // Signing out forgets the token.
    b.click("#logout");
    b.wait("document.getElementById('token')", "the sign-in form again");
    assert_eq!(b.eval("sessionStorage.getItem('vigil.token')"), Value::Null);

    drop(b);
    assert_eq!(engine.stop(), Some(0));
    let _ = std::fs::remove_dir_all(&state);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_ai_inventory_page_shows_what_shadow_ai_found() {
    let state = learned_office("console-ai");
    let dir = tmp("console-ai-files");
    std::fs::create_dir_all(&dir).unwrap();
    let ai = dir.join("shadow-ai.pcap");
    let o = vigil()
        .args(["simulate", "shadow-ai", "--out"])
        .arg(&ai)
        .output()
        .unwrap();
    assert!(o.status.success());
    let token = "console-ai-token-0123456789abcdef";
    let token_path = secret_file(&dir.join("api.token"), token);
    let port = free_port();
    let extra = format!(
        "[api]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\ntoken_file = {token_path:?}\n"
    );
    let prof = profile(&dir.join("p.toml"), &ai, &state, true, &extra);
    let engine = Engine::start(&prof, &dir.join("eve.json"), &dir.join("engine.log"));
    let base = format!("http://127.0.0.1:{port}");
    let http = agent(None);
    wait_for(120, "the AI inventory", || {
        let a = request(
            &http,
            "GET",
            &format!("{base}/api/v1/ai"),
            Some(token),
            None,
        )
        .ok()?;
        let v = a.json();
        (v["devices"].as_array()?.len() >= 7 && !v["llm_servers"].as_array()?.is_empty())
            .then_some(())
    });
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let mut b = Browser::start(&dir.join("chromium"), 1280, 900);
    b.call(
        "Page.navigate",
        serde_json::json!({"url": format!("{base}/#/ai")}),
    );
    b.wait("document.getElementById('token')", "the sign-in form");
    b.eval("document.getElementById('token').focus()");
    b.type_text(token);
    b.click("#login button[type=submit]");
    b.wait("document.body.dataset.page === 'ai'", "the AI page");
    // Services by device with the policy's verdict, MCP and LLM servers.
    let text = b.eval("document.querySelector('main').textContent");
    let text = text.as_str().unwrap();
    for want in [
        "ChatGPT",
        "not sanctioned",
        "LAPTOP-SALES12",
        "10.20.0.90:8000",
        "query_database",
        "llama3.1:8b",
    ] {
        assert!(text.contains(want), "the AI page lacks {want:?}");
    }

    assert!(b.errors.is_empty(), "page errors: {:?}", b.errors);
    drop(b);
    assert_eq!(engine.stop(), Some(0));
    let _ = std::fs::remove_dir_all(&state);
    let _ = std::fs::remove_dir_all(&dir);
}
