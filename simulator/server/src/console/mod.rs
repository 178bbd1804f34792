//! The web console (`/console/…`, `/` redirects there): server-rendered HTML (maud) with a little
//! JavaScript, served on the simulator's HTTP listener. It is a trainer's window onto the running
//! simulator; every screen drives the same state as the admin API (no second implementation).
//!
//! Adding a screen:
//! 1. a module here with `pub(super) fn routes() -> Router<Arc<Shared>>` and its page handlers, each
//!    page built with [`page`] (which wraps the body in the shared layout and navigation bar);
//! 2. an entry in [`NAV`] (path, Japanese label, one-line description for the home page);
//! 3. a `.merge(module::routes())` in [`router`].
//!
//! Static files (`console.css`, `console.js`) are embedded with `include_str!` and served under
//! `/console/static/`. Pages use plain forms posting to `/console/<screen>/<action>` and answer with
//! a redirect back to the page (post/redirect/get), so a reload never repeats an action; JavaScript
//! adds the keypad and refreshes a page when the state changes behind it (admin API, CLI, scenario).

pub mod disaster;
pub mod reader;
pub mod scenario;

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, html};

use crate::shared::Shared;

/// One screen in the navigation bar.
#[derive(Debug, Clone, Copy)]
pub struct NavEntry {
    /// Its path (under `/console/`).
    pub path: &'static str,
    /// The label in the navigation bar.
    pub label: &'static str,
    /// What it is for (the console's home page).
    pub description: &'static str,
}

/// The console's screens, in navigation order. The home page is implicit.
pub const NAV: &[NavEntry] = &[
    NavEntry {
        path: reader::PATH,
        label: "患者画面（顔認証付きカードリーダー）",
        description: "患者がカードリーダーで行う本人確認・同意の流れ。トレーナーがカードを置き、顔認証の結果を入力します。",
    },
    NavEntry {
        path: disaster::TERMINAL,
        label: "医療機関端末（災害時）",
        description: "災害時モードで、カードなしに患者を検索し、資格・薬剤・診療・特定健診情報を閲覧します（監査ログに記録）。",
    },
    NavEntry {
        path: disaster::OPERATOR,
        label: "運用者画面（災害時）",
        description: "災害時モードの開始（都道府県・市区町村と期間）、医療機関ごとの延長、運用停止、監査ログ（要トークン）。",
    },
    NavEntry {
        path: disaster::CLOCK,
        label: "時計",
        description: "仮想時計の日時指定・早送り・停止（要トークン）。",
    },
    NavEntry {
        path: scenario::PATH,
        label: "シナリオ",
        description: "シナリオの読み込み・1ステップ実行・最初から（要トークン）。このシミュレータ上で再生すると他の画面に反映されます。",
    },
];

/// The console's home page.
pub const HOME: &str = "/console/";

const CSS: &str = include_str!("static/console.css");
const JS: &str = include_str!("static/console.js");

/// The console's routes (to merge into the HTTP app before its state is attached).
pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/", get(|| async { Redirect::to(HOME) }))
        .route("/console", get(|| async { Redirect::to(HOME) }))
        .route(HOME, get(home))
        .route("/console/static/console.css", get(css))
        .route("/console/static/console.js", get(js))
        .merge(reader::routes())
        .merge(disaster::routes())
        .merge(scenario::routes())
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

async fn home() -> Markup {
    page(
        "コンソール",
        HOME,
        html! {
            h1 { "オン資 端末シミュレータ コンソール" }
            p.lead { "トレーニング・試験用の画面です。人物・カード・証明書はすべて架空（MOCK）です。" }
            ul.screens {
                @for entry in NAV {
                    li {
                        a href=(entry.path) { (entry.label) }
                        p { (entry.description) }
                    }
                }
            }
        },
    )
}

/// A whole page: the shared head, the navigation bar (with `active`, the page's path, marked) and
/// `body` in the main area.
pub fn page(title: &str, active: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ja" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — オン資 端末シミュレータ" }
                link rel="stylesheet" href="/console/static/console.css";
                script src="/console/static/console.js" defer {}
            }
            body {
                nav.topnav aria-label="画面" {
                    a.brand href=(HOME) { "オン資シミュレータ" }
                    @for entry in NAV {
                        @let current = entry.path == active;
                        a href=(entry.path) aria-current=[current.then_some("page")] { (entry.label) }
                    }
                    span.mock { "MOCK" }
                }
                main { (body) }
            }
        }
    }
}

/// `path?key=value&…`, percent-encoded; `None` values are left out.
pub fn url_with(path: &str, query: &[(&str, Option<&str>)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (k, v) in query {
        if let Some(v) = v {
            q.append_pair(k, v);
            any = true;
        }
    }
    if any {
        format!("{path}?{}", q.finish())
    } else {
        path.to_owned()
    }
}

/// A redirect after a form post (303: the browser follows with GET).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}
