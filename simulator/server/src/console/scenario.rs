//! The scenario remote of the console (`/console/scenario`, operator token): load a scenario of
//! the catalogue (or any script path on the simulator's machine), play it one step at a time,
//! reset or close it. It drives the same sessions as `/admin/scenario…` and `simulator scenario
//! step` ([`crate::scenario_session::Sessions`]). Loaded "on this simulator" (attach), a scenario
//! plays on the served world and clock, so the other screens (facility terminal, operator panel,
//! patient screen) show what it does — the `disaster-mode` scenario replayed step by step.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, State};
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use super::disaster::ConsoleAdmin;
use super::{page, see_other, url_with};
use crate::scenario_run::RunOptions;
use crate::scenario_session::Source;
use crate::shared::Shared;

/// The remote's path.
pub const PATH: &str = "/console/scenario";

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(PATH, get(show))
        .route("/console/scenario/{action}", post(act))
}

/// The catalogue files in `./scenarios/` (where `simulator serve` was started), sorted.
fn catalogue() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir("scenarios")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    files
}

#[derive(Deserialize, Default)]
struct View {
    notice: Option<String>,
    error: Option<String>,
}

async fn show(
    _: ConsoleAdmin,
    State(shared): State<Arc<Shared>>,
    axum::extract::Query(v): axum::extract::Query<View>,
) -> Markup {
    let sessions = {
        let shared = shared.clone();
        tokio::task::spawn_blocking(move || shared.scenarios.list())
            .await
            .unwrap_or_default()
    };
    let files = catalogue();
    let attachable = shared.clock.control().is_some();
    page(
        "シナリオ操作",
        PATH,
        html! {
            h1 { "シナリオの遠隔操作" }
            @if let Some(n) = &v.notice { p.banner.notice role="status" { (n) } }
            @if let Some(e) = &v.error { p.banner.error role="alert" { (e) } }
            section.panel {
                h2 { "シナリオを読み込む" }
                form #scenario-load method="post" action="/console/scenario/load" {
                    div.row {
                        label { "カタログ "
                            select name="file" #scenario-file {
                                option value="" { "— 選択 —" }
                                @for f in &files { option value=(f) { (f) } }
                            }
                        }
                        label { "またはパス " input type="text" name="path" placeholder="scenarios/disaster-mode.yaml"; }
                    }
                    label {
                        input type="checkbox" name="attach" value="1" checked[attachable] disabled[!attachable];
                        " このシミュレータの世界と時計で実行する（他の画面に反映されます）"
                        @if !attachable { small { "（実時間で動作中のため不可: serve --clock で起動）" } }
                    }
                    button.primary #scenario-load-button type="submit" { "読み込む" }
                }
            }
            @if sessions.is_empty() {
                p { "読み込まれたシナリオはありません。" }
            }
            @for s in &sessions {
                section.panel.session data-session=(s.session) {
                    h2 { (s.title) }
                    p { (s.file) " — セッション " code { (s.session) } "・"
                        (if s.world == "attached" { "このシミュレータ上" } else { "専用の世界" })
                        "・時計 " (s.clock) "（" (s.clock_mode) "）" }
                    @if !s.folder.is_empty() { p { "共有フォルダ " code { (s.folder) } } }
                    @if let Some(why) = &s.broken {
                        p.banner.error role="alert" { "再起動後にシナリオを読み込めません（修正して「最初から」、または「閉じる」）: " pre { (why) } }
                    }
                    p { (s.cursor) " / " (s.steps.len()) " ステップ実行済み（成功 " (s.passed) "・失敗 " (s.failed) "）"
                        @if s.finished { " — 完了" } }
                    div.row {
                        @for (action, label, class) in [("step", "1ステップ実行", "primary"), ("reset", "最初から", ""), ("unload", "閉じる", "danger")] {
                            form method="post" action=(format!("/console/scenario/{action}")) .inline {
                                input type="hidden" name="session" value=(s.session);
                                button class=(class) type="submit" data-action=(action) disabled[action == "step" && s.finished] { (label) }
                            }
                        }
                    }
                    table.data.steps {
                        tr { th { "#" } th { "行" } th { "種類" } th { "状態" } th { "内容" } }
                        @for st in &s.steps {
                            tr data-state=(st.state) .current[st.index == s.cursor] {
                                td { (st.index + 1) } td { (st.line) } td { (st.kind) }
                                td { (match st.state.as_str() { "passed" => "成功", "failed" => "失敗", _ => "未実行" }) }
                                td { (st.label.as_deref().unwrap_or("")) @if let Some(f) = &st.failure { br; strong.fail { (f) } } }
                            }
                        }
                    }
                }
            }
        },
    )
}

#[derive(Deserialize, Default)]
struct ActForm {
    session: Option<String>,
    file: Option<String>,
    path: Option<String>,
    attach: Option<String>,
}

async fn act(
    _: ConsoleAdmin,
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(action): axum::extract::Path<String>,
    Form(f): Form<ActForm>,
) -> Response {
    let session = f.session.clone().filter(|s| !s.is_empty());
    let task_shared = shared.clone();
    let result = tokio::task::spawn_blocking(move || -> Result<String, String> {
        let shared = task_shared;
        let sessions = &shared.scenarios;
        match action.as_str() {
            "load" => {
                let file = f
                    .path
                    .filter(|p| !p.trim().is_empty())
                    .or(f.file.filter(|p| !p.is_empty()))
                    .ok_or("シナリオを選ぶかパスを入力してください")?;
                let attach = (f.attach.is_some() && shared.clock.control().is_some())
                    .then(|| shared.clone());
                let options = RunOptions {
                    pcsc: false,
                    vpcd: shared.cards.vpcd().clone(),
                    folder: None,
                };
                let view = sessions
                    .load(
                        session,
                        Source::File(PathBuf::from(file.trim())),
                        options,
                        attach,
                    )
                    .map_err(|e| e.to_string())?;
                Ok(format!(
                    "「{}」を読み込みました（{} ステップ）",
                    view.title,
                    view.steps.len()
                ))
            }
            "step" => {
                let out = sessions
                    .step(session.as_deref())
                    .map_err(|e| e.to_string())?;
                Ok(match out.step {
                    None => "すべてのステップを実行済みです".to_owned(),
                    Some(st) => format!(
                        "ステップ {} ({}) {}: {}{}",
                        st.index + 1,
                        st.kind,
                        if st.failure.is_some() {
                            "失敗"
                        } else {
                            "成功"
                        },
                        st.label.unwrap_or_default(),
                        st.failure.map(|f| format!(" — {f}")).unwrap_or_default()
                    ),
                })
            }
            "reset" => {
                let view = sessions
                    .reset(session.as_deref())
                    .map_err(|e| e.to_string())?;
                Ok(format!("「{}」を最初に戻しました", view.title))
            }
            "unload" => sessions
                .unload(session.as_deref())
                .map(|m| format!("閉じました: {m}"))
                .map_err(|e| e.to_string()),
            other => Err(format!("unknown action {other:?}")),
        }
    })
    .await
    .unwrap_or_else(|e| Err(format!("the scenario task failed: {e}")));
    match result {
        Ok(n) => see_other(&url_with(PATH, &[("notice", Some(&n))])),
        Err(e) => see_other(&url_with(PATH, &[("error", Some(&e))])),
    }
}
