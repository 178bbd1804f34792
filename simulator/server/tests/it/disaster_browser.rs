//! Disaster mode in real headless Chromium (the console's harness in `browser.rs`): the operator
//! panel opens 新宿区, the facility terminal of a clinic there finds a patient without the card
//! and views, and a clinic in 大阪市北区 is refused. A screenshot of each screen goes to
//! `target/screenshots/disaster-*.png`.

use crate::browser::{Browser, ConsoleServer};
use crate::support::test_config;

#[tokio::test(flavor = "multi_thread")]
async fn operator_panel_and_facility_search_in_chromium() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let console = ConsoleServer::start(test_config()).await;
    let url = console.url.clone();
    let shared = console.server.shared.clone();
    let token = shared.admin.token().to_owned();

    // Without the token the operator panel asks for it.
    b.open(&format!("{url}/console/disaster")).await;
    assert!(b.text("main h1").await.contains("運用者ログイン"));
    b.screenshot("disaster-0-login").await;

    // The login link gives the browser the cookie and lands on the panel.
    b.open(&format!("{url}/console/login?token={token}")).await;
    assert!(b.text("main h1").await.contains("運用者画面"));
    b.click("input[name=area][value='131041']").await;
    b.screenshot("disaster-1-operator").await;
    b.click_and_load("#open-button").await;
    let status = b.text("#activations").await;
    assert!(
        status.contains("実施中") && status.contains("東京都新宿区"),
        "{status}"
    );
    assert!(b.text(".banner.notice").await.contains("開始しました"));
    b.js("document.getElementById('activations').scrollIntoView(); return null;")
        .await;
    b.screenshot("disaster-2-operator-opened").await;
    assert_eq!(shared.disaster.activations()[0].municipalities, ["131041"]);

    // The facility terminal of 模擬四谷せせらぎ内科 (新宿区).
    b.open(&format!("{url}/console/disaster/terminal")).await;
    b.select("#facility-select", "1310400013").await;
    b.js("document.querySelector('input[name=operator]').value = '受付 山田'; return null;")
        .await;
    b.click_and_load("#pick-facility").await;
    b.wait_until("document.getElementById('access').dataset.access === 'granted'")
        .await;
    b.js("document.getElementById('q-name').value = 'ﾀｶﾊｼ ｱｷﾗ';\
         document.getElementById('q-birthdate').value = '1945-03-10'; return null;")
        .await;
    b.screenshot("disaster-3-terminal-search").await;
    b.click_and_load("#search-button").await;
    let results = b.text("#results").await;
    assert!(
        results.contains("髙橋　昭")
            && results.contains("39130018")
            && results.contains("00012345"),
        "{results}"
    );
    b.js("document.getElementById('results').scrollIntoView(); return null;")
        .await;
    b.screenshot("disaster-4-terminal-results").await;

    // View on oral consent: the viewer shows the qualification; the drug tab follows.
    b.click("tr[data-person='valid-kouki'] input[value='oral']")
        .await;
    b.click_and_load("tr[data-person='valid-kouki'] button[data-kind='qualification']")
        .await;
    let viewer = b.text("#viewer").await;
    assert!(viewer.contains("東京都後期高齢者医療広域連合"), "{viewer}");
    b.screenshot("disaster-5-viewer-qualification").await;
    b.click_and_load("nav.tabs a:nth-child(2)").await;
    b.wait_until("document.getElementById('viewer').dataset.kind === 'drug'")
        .await;
    let drugs = b.text("#viewer").await;
    assert!(
        drugs.contains("調剤日") && drugs.contains("模擬"),
        "{drugs}"
    );
    assert!(b.text("#pdf-link").await.contains("PDF"));
    b.screenshot("disaster-6-viewer-drug").await;

    // A clinic elsewhere is refused.
    b.open(&format!(
        "{url}/console/disaster/terminal?facility=2712700018"
    ))
    .await;
    b.wait_until("document.getElementById('access').dataset.access === 'refused'")
        .await;
    assert!(b.text("#access").await.contains("実施されていません"));
    b.screenshot("disaster-7-terminal-refused").await;

    // The audit log has the search and both views, with the operator's name.
    let audit = shared.disaster.audit().unwrap();
    let actions: Vec<&str> = audit.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["search", "view", "view"]);
    assert_eq!(audit[2].query, "drug (html)");
    assert!(
        audit
            .iter()
            .all(|r| r.operator == "受付 山田" && r.facility == "1310400013")
    );
    b.open(&format!("{url}/console/disaster")).await;
    assert!(b.text("#audit").await.contains("valid-kouki"));
    b.js("document.getElementById('audit').scrollIntoView(); return null;")
        .await;
    b.screenshot("disaster-8-operator-audit").await;
    b.close().await;
}
