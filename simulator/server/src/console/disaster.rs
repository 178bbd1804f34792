//! The disaster-mode screens of the console, driving the same [`crate::disaster::Disaster`] as
//! the admin API, the CLI and the `disaster-mode` scenario:
//!
//! - `/console/disaster` — the operator panel (運用者画面, token): open disaster mode for a
//!   prefecture or chosen municipalities and a period, close an activation, extend it for one
//!   facility; the audit log with its CSV export.
//! - `/console/disaster/terminal` — the facility terminal (医療機関端末): pick a facility, search a
//!   patient without the card (氏名・生年月日・性別・住所, or 保険者番号・記号・番号・枝番・生年月日), the
//!   result list with the qualification data, and the viewer (資格・薬剤・診療・特定健診, HTML or PDF)
//!   with the consent ground (口頭同意 / 意識不明等).
//! - `/console/clock` — the clock control (token): jump the virtual clock.
//! - `/console/login` — gives the browser the operator token as a cookie.
//!
//! Operator forms post to `/console/disaster/{open,close,extend}` and `/console/clock` and
//! redirect back with `notice=` or `error=`; the search posts and answers with the result page.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{Duration, NaiveDateTime};
use maud::{Markup, html};
use serde::Deserialize;
use sim_core::disaster::search::sex_label;
use sim_core::disaster::{Consent, SearchResult};
use sim_fixtures::facilities::Facility;

use super::{page, see_other, url_with};
use crate::disaster::store::TIME;
use crate::disaster::view::ViewKind;
use crate::disaster::{Actor, OpError, areas, parse_time};
use crate::http::disaster::{QueryBody, ViewOutput, ViewParams, render_view};
use crate::shared::Shared;

/// The operator panel.
pub const OPERATOR: &str = "/console/disaster";
/// The facility terminal.
pub const TERMINAL: &str = "/console/disaster/terminal";
/// The clock control.
pub const CLOCK: &str = "/console/clock";
/// The login page.
pub const LOGIN: &str = "/console/login";

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(OPERATOR, get(operator))
        .route("/console/disaster/open", post(open))
        .route("/console/disaster/close", post(close))
        .route("/console/disaster/extend", post(extend))
        .route(TERMINAL, get(terminal))
        .route("/console/disaster/search", post(search))
        .route("/console/disaster/view/{person}", get(viewer))
        .route(CLOCK, get(clock_page).post(clock_change))
        .route(LOGIN, get(login_page).post(login_post))
}

/// The console's operator guard: without the token, the login page (401).
pub(super) struct ConsoleAdmin;

impl FromRequestParts<Arc<Shared>> for ConsoleAdmin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        match state.admin.check(parts) {
            Ok(()) => Ok(ConsoleAdmin),
            Err(d @ crate::admin_token::Denied::Remote) => Err(d.into_response()),
            Err(crate::admin_token::Denied::NoToken) => {
                let back = parts.uri.path().to_owned();
                Err((StatusCode::UNAUTHORIZED, login_form(&back, None)).into_response())
            }
        }
    }
}

fn fmt(t: NaiveDateTime) -> String {
    t.format("%Y年%m月%d日 %H:%M").to_string()
}

fn input_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M").to_string()
}

fn banners(notice: Option<&str>, error: Option<&str>) -> Markup {
    html! {
        @if let Some(n) = notice { p.banner.notice role="status" { (n) } }
        @if let Some(e) = error { p.banner.error role="alert" { (e) } }
    }
}

fn now_line(shared: &Shared) -> Markup {
    let mode = match shared.clock.control() {
        None => "実時間",
        Some(c) if c.is_frozen() => "仮想時計（停止中）",
        Some(_) => "仮想時計（進行中）",
    };
    html! { p.clockline { "現在時刻: " strong #now { (fmt(shared.clock.now())) } " — " (mode) } }
}

// ---------------------------------------------------------------------------------------------
// Login

#[derive(Deserialize, Default)]
struct LoginQuery {
    token: Option<String>,
    back: Option<String>,
}

fn login_form(back: &str, error: Option<&str>) -> Markup {
    page(
        "運用者ログイン",
        LOGIN,
        html! {
            h1 { "運用者ログイン" }
            (banners(None, error))
            p { "運用者画面・時計操作には、" code { "simulator serve" } " の起動時に表示されるトークンが必要です。" }
            form.panel method="post" action=(LOGIN) {
                input type="hidden" name="back" value=(back);
                label for="token" { "トークン" }
                input #token type="password" name="token" autocomplete="off" required;
                button.primary type="submit" { "ログイン" }
            }
        },
    )
}

fn with_cookie(shared: &Shared, back: Option<&str>) -> Response {
    let back = back
        .filter(|b| b.starts_with("/console"))
        .unwrap_or(OPERATOR);
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, back.to_owned()),
            (
                header::SET_COOKIE,
                format!(
                    "{}={}; Path=/; HttpOnly; SameSite=Strict",
                    crate::admin_token::COOKIE,
                    shared.admin.token()
                ),
            ),
        ],
    )
        .into_response()
}

async fn login_page(State(shared): State<Arc<Shared>>, Query(q): Query<LoginQuery>) -> Response {
    match q.token.as_deref() {
        Some(t) if shared.admin.matches(t) => with_cookie(&shared, q.back.as_deref()),
        Some(_) => (
            StatusCode::UNAUTHORIZED,
            login_form(
                q.back.as_deref().unwrap_or(OPERATOR),
                Some("トークンが違います。"),
            ),
        )
            .into_response(),
        None => login_form(q.back.as_deref().unwrap_or(OPERATOR), None).into_response(),
    }
}

async fn login_post(State(shared): State<Arc<Shared>>, Form(q): Form<LoginQuery>) -> Response {
    login_page(State(shared), Query(q)).await
}

// ---------------------------------------------------------------------------------------------
// Operator panel

#[derive(Deserialize, Default)]
struct OperatorView {
    prefecture: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

async fn operator(
    _: ConsoleAdmin,
    State(shared): State<Arc<Shared>>,
    Query(v): Query<OperatorView>,
) -> Markup {
    let now = shared.clock.now();
    let prefecture = v.prefecture.clone().unwrap_or_else(|| "13".into());
    let prefectures = areas::prefectures();
    let munis = areas::municipalities_of(&prefecture);
    let activations = shared.disaster.activations();
    let audit = shared.disaster.audit().unwrap_or_default();
    page(
        "運用者画面（災害時モード）",
        OPERATOR,
        html! {
            h1 { "災害時モード 運用者画面" }
            (now_line(&shared))
            (banners(v.notice.as_deref(), v.error.as_deref()))
            section.panel #open-panel {
                h2 { "災害時モードの開始" }
                form method="get" action=(OPERATOR) .inline {
                    label for="prefecture" { "都道府県" }
                    select #prefecture name="prefecture" onchange="this.form.submit()" {
                        @for (code, name) in &prefectures {
                            option value=(code) selected[*code == prefecture] { (code) " " (name) }
                        }
                    }
                    noscript { button type="submit" { "市区町村を表示" } }
                }
                form #open-form method="post" action="/console/disaster/open" {
                    input type="hidden" name="prefecture" value=(prefecture);
                    label for="title" { "名称" }
                    input #title type="text" name="title" placeholder="例: 令和8年 模擬豪雨災害";
                    fieldset.munis {
                        legend { "対象の市区町村（全国地方公共団体コード）" }
                        label.whole {
                            input type="checkbox" name="whole" value="1";
                            " 都道府県全域（" (munis.len()) "市区町村）"
                        }
                        div.grid {
                            @for m in &munis {
                                label {
                                    input type="checkbox" name="area" value=(m.code);
                                    " " (m.name) " " small { (m.code) }
                                }
                            }
                        }
                    }
                    div.row {
                        label { "開始 " input type="datetime-local" name="start" value=(input_time(now)); }
                        label { "終了 " input type="datetime-local" name="end" value=(input_time(now + Duration::days(7))); }
                    }
                    button.primary #open-button type="submit" { "災害時モードを開始する" }
                }
            }
            section.panel #activations {
                h2 { "実施状況" }
                @if activations.is_empty() {
                    p { "災害時モードはまだ開始されていません。" }
                }
                @for a in activations.iter().rev() {
                    @let phase = a.phase(now);
                    article.activation data-phase=(phase.id()) {
                        h3 { "#" (a.id) " " (a.title) " " span.phase { (phase.label()) } }
                        p { (fmt(a.start)) " 〜 " (fmt(a.end))
                            @if let Some(c) = a.closed_at { " （" (fmt(c)) " に運用停止）" } }
                        p.munis { "対象: "
                            @for (i, m) in a.municipalities.iter().take(12).enumerate() {
                                @if i > 0 { "、" } (areas::label(m))
                            }
                            @if a.municipalities.len() > 12 { " ほか " (a.municipalities.len() - 12) " 市区町村" }
                        }
                        @if !a.extensions.is_empty() {
                            ul.extensions {
                                @for e in &a.extensions {
                                    li { "延長: " (e.facility) " "
                                        (shared.disaster.facilities.by_code(&e.facility).map_or("", |f| f.name.as_str()))
                                        " — " (fmt(e.until)) " まで" }
                                }
                            }
                        }
                        @if a.closed_at.is_none() {
                            div.row {
                                form method="post" action="/console/disaster/extend" .inline {
                                    input type="hidden" name="activation" value=(a.id);
                                    label { "延長する医療機関コード " input type="text" name="facility" size="12" required; }
                                    label { "延長後の終了 " input type="datetime-local" name="until" value=(input_time(a.end + Duration::days(7))); }
                                    button type="submit" { "延長" }
                                }
                                form method="post" action="/console/disaster/close" .inline {
                                    input type="hidden" name="activation" value=(a.id);
                                    button.danger type="submit" { "運用停止（終了）" }
                                }
                            }
                        }
                    }
                }
            }
            section.panel #audit {
                h2 { "監査ログ（検索・閲覧の記録）" }
                p { a.button href="/admin/disaster/audit.csv" download="disaster-audit.csv" { "CSVでダウンロード" } " " (audit.len()) " 件" }
                table.data {
                    tr { th { "日時" } th { "操作" } th { "医療機関" } th { "操作者" } th { "同意" } th { "内容" } th { "対象者" } th { "結果" } }
                    @for r in audit.iter().rev().take(30) {
                        tr {
                            td { (r.at) } td { (r.action) } td { (r.facility) br; small { (r.facility_name) } }
                            td { (r.operator) } td { (Consent::from_id(&r.consent).map_or("", Consent::label)) }
                            td { (r.query) } td { (r.persons) } td { (r.outcome) }
                        }
                    }
                }
            }
        },
    )
}

fn back_to_operator(prefecture: Option<&str>, result: Result<String, OpError>) -> Response {
    let (notice, error) = match &result {
        Ok(n) => (Some(n.as_str()), None),
        Err(e) => (None, Some(e.to_string())),
    };
    see_other(&url_with(
        OPERATOR,
        &[
            ("prefecture", prefecture),
            ("notice", notice),
            ("error", error.as_deref()),
        ],
    ))
}

async fn open(
    _: ConsoleAdmin,
    State(shared): State<Arc<Shared>>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let prefecture = get("prefecture");
    let mut areas: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "area")
        .map(|(_, v)| v.clone())
        .collect();
    if get("whole").is_some() {
        areas = prefecture.map(String::from).into_iter().collect();
    }
    let now = shared.clock.now();
    let result = crate::http::disaster::window(get("start"), get("end"), None, now)
        .and_then(|(start, end)| {
            shared
                .disaster
                .open_mode(get("title").unwrap_or(""), &areas, start, end, now)
        })
        .map(|a| {
            format!(
                "災害時モード #{} を開始しました（{} 市区町村、{} まで）",
                a.id,
                a.municipalities.len(),
                fmt(a.end)
            )
        });
    back_to_operator(prefecture, result)
}

#[derive(Deserialize)]
struct ActivationForm {
    activation: u32,
    facility: Option<String>,
    until: Option<String>,
}

async fn close(
    _: ConsoleAdmin,
    State(shared): State<Arc<Shared>>,
    Form(f): Form<ActivationForm>,
) -> Response {
    let result = shared
        .disaster
        .close(f.activation, shared.clock.now())
        .map(|a| format!("災害時モード #{} を運用停止しました", a.id));
    back_to_operator(None, result)
}

async fn extend(
    _: ConsoleAdmin,
    State(shared): State<Arc<Shared>>,
    Form(f): Form<ActivationForm>,
) -> Response {
    let facility = f.facility.unwrap_or_default();
    let result = parse_time(f.until.as_deref().unwrap_or(""))
        .and_then(|until| {
            shared
                .disaster
                .extend(f.activation, &facility, until, shared.clock.now())
        })
        .map(|a| {
            format!(
                "災害時モード #{} を医療機関 {} について {} まで延長しました",
                a.id,
                facility.trim(),
                fmt(a.end_for(facility.trim()))
            )
        });
    back_to_operator(None, result)
}

// ---------------------------------------------------------------------------------------------
// Facility terminal

#[derive(Deserialize, Default)]
struct TerminalView {
    facility: Option<String>,
    operator: Option<String>,
    error: Option<String>,
}

fn facility_status(shared: &Shared, f: &Facility) -> Markup {
    let now = shared.clock.now();
    match shared.disaster.authorize(&f.code, now) {
        Ok((_, g)) => html! {
            p.banner.notice #access data-access="granted" {
                "災害時モード利用可（#" (g.activation) "、" (fmt(g.until)) " まで"
                @if g.extended { "・延長中" } "）"
            }
        },
        Err(e) => html! { p.banner.error #access data-access="refused" { "利用できません: " (e) } },
    }
}

fn terminal_page(
    shared: &Shared,
    facility: Option<&Facility>,
    operator: &str,
    form: Option<&QueryBody>,
    result: Option<Result<SearchResult, OpError>>,
    error: Option<&str>,
) -> Markup {
    let named: Vec<&Facility> = shared
        .disaster
        .facilities
        .all()
        .iter()
        .filter(|f| f.named)
        .collect();
    let code = facility.map(|f| f.code.as_str()).unwrap_or("");
    let empty = QueryBody::default();
    let q = form.unwrap_or(&empty);
    let val = |v: &Option<String>| v.clone().unwrap_or_default();
    page(
        "医療機関端末（災害時モード）",
        TERMINAL,
        html! {
            h1 { "災害時医療情報閲覧 — 医療機関端末" }
            (now_line(shared))
            (banners(None, error))
            section.panel #facility-panel {
                h2 { "医療機関" }
                form method="get" action=(TERMINAL) .inline {
                    label for="facility-select" { "登録済みの医療機関 " }
                    select #facility-select name="facility" {
                        option value="" { "— 選択 —" }
                        @for f in &named {
                            option value=(f.code) selected[f.code == code] {
                                (f.code) " " (f.name) "（" (f.address.municipality.prefecture) (f.address.municipality.name) "）"
                            }
                        }
                    }
                    label { "操作者 " input type="text" name="operator" value=(operator) size="10"; }
                    button type="submit" #pick-facility { "この医療機関で操作" }
                }
                @if let Some(f) = facility {
                    p.facility { strong { (f.name) } " （" (f.kind.label()) "・" (f.code) "） " (f.address.text) }
                    (facility_status(shared, f))
                }
            }
            @if let Some(f) = facility {
                section.panel #search-panel {
                    h2 { "患者の検索（カードなし）" }
                    div.two {
                        form #search-person method="post" action="/console/disaster/search#results" {
                            h3 { "氏名・生年月日・性別・住所で検索" }
                            input type="hidden" name="facility" value=(f.code);
                            input type="hidden" name="operator" value=(operator);
                            label { "氏名（漢字またはカナ） " input #q-name type="text" name="name" value=(val(&q.name)) required; }
                            label { "生年月日 " input #q-birthdate type="date" name="birthdate" value=(q.birthdate) required; }
                            fieldset.inline {
                                legend { "性別" }
                                @let sex = q.sex.clone().unwrap_or_default();
                                label { input type="radio" name="sex" value="" checked[sex.is_empty()]; " 指定なし" }
                                label { input type="radio" name="sex" value="male" checked[sex == "male"]; " 男" }
                                label { input type="radio" name="sex" value="female" checked[sex == "female"]; " 女" }
                            }
                            label { "住所（一部で可） " input #q-address type="text" name="address" value=(val(&q.address)); }
                            button.primary #search-button type="submit" { "検索" }
                        }
                        form #search-insurance method="post" action="/console/disaster/search#results" {
                            h3 { "保険者番号・記号・番号で検索" }
                            input type="hidden" name="facility" value=(f.code);
                            input type="hidden" name="operator" value=(operator);
                            label { "保険者番号 " input type="text" name="insurer" value=(val(&q.insurer)) required inputmode="numeric"; }
                            label { "記号 " input type="text" name="symbol" value=(val(&q.symbol)); }
                            label { "番号 " input type="text" name="number" value=(val(&q.number)) required; }
                            label { "枝番 " input type="text" name="branch" value=(val(&q.branch)) size="3"; }
                            label { "生年月日 " input type="date" name="birthdate" value=(q.birthdate) required; }
                            button.primary type="submit" { "検索" }
                        }
                    }
                }
                @if let Some(result) = result {
                    section.panel #results {
                        h2 { "検索結果" }
                        @match result {
                            Err(e) => { p.banner.error role="alert" { (e) } }
                            Ok(r) => {
                                @if r.hits.is_empty() { p.notice #no-hits { "該当する方は見つかりませんでした。" } }
                                @if r.truncated { p.banner.notice { "該当者が多いため一部のみ表示しています。条件を追加してください。" } }
                                @if !r.hits.is_empty() {
                                    table.data.results {
                                        tr { th { "氏名" } th { "カナ" } th { "性別" } th { "生年月日" } th { "住所" }
                                             th { "保険者番号" } th { "記号・番号・枝番" } th { "資格" } th { "閲覧" } }
                                        @for h in &r.hits {
                                            tr data-person=(h.person) {
                                                td.big { (h.name) } td { (h.name_kana) } td { (sex_label(h.sex)) }
                                                td { (h.birthdate.format("%Y/%m/%d")) } td { (h.address) }
                                                @if let Some(q) = &h.qualification {
                                                    td.mono { (q.insurer) br; small { (q.insurer_name) } }
                                                    td.mono { (q.symbol.as_deref().unwrap_or("－")) "・" (q.number) "・" (q.branch) }
                                                    td { @if q.valid { "有効" } @else { "無効" } }
                                                } @else { td {} td {} td { "なし" } }
                                                td {
                                                    form.viewform method="get" action=(format!("/console/disaster/view/{}", h.person)) {
                                                        input type="hidden" name="facility" value=(f.code);
                                                        input type="hidden" name="operator" value=(operator);
                                                        label { input type="radio" name="consent" value="oral" required; " 口頭同意" }
                                                        label { input type="radio" name="consent" value="waived"; " 意識不明等" }
                                                        div.kinds {
                                                            @for k in ViewKind::ALL {
                                                                button type="submit" name="kind" value=(k.id()) data-kind=(k.id()) { (k.label()) }
                                                            }
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

async fn terminal(State(shared): State<Arc<Shared>>, Query(v): Query<TerminalView>) -> Markup {
    let facility = v
        .facility
        .as_deref()
        .filter(|c| !c.is_empty())
        .and_then(|c| shared.disaster.facilities.by_code(c.trim()));
    let error = match (&v.facility, facility) {
        (Some(c), None) if !c.is_empty() => Some(OpError::UnknownFacility(c.clone()).to_string()),
        _ => v.error.clone(),
    };
    terminal_page(
        &shared,
        facility,
        v.operator.as_deref().unwrap_or(""),
        None,
        None,
        error.as_deref(),
    )
}

#[derive(Deserialize)]
struct SearchForm {
    facility: String,
    #[serde(default)]
    operator: String,
    name: Option<String>,
    sex: Option<String>,
    address: Option<String>,
    insurer: Option<String>,
    symbol: Option<String>,
    number: Option<String>,
    branch: Option<String>,
    #[serde(default)]
    birthdate: String,
}

async fn search(State(shared): State<Arc<Shared>>, Form(f): Form<SearchForm>) -> Response {
    let query = QueryBody {
        name: f.name,
        sex: f.sex,
        address: f.address,
        insurer: f.insurer,
        symbol: f.symbol,
        number: f.number,
        branch: f.branch,
        birthdate: f.birthdate,
    };
    let Some(facility) = shared.disaster.facilities.by_code(f.facility.trim()) else {
        return see_other(&url_with(TERMINAL, &[("facility", Some(&f.facility))]));
    };
    let actor = Actor {
        facility: facility.code.clone(),
        operator: f.operator.clone(),
    };
    let result = query.to_query().and_then(|q| {
        shared
            .disaster
            .search(&shared.population, &actor, &q, shared.clock.now())
    });
    terminal_page(
        &shared,
        Some(facility),
        &f.operator,
        Some(&query),
        Some(result),
        None,
    )
    .into_response()
}

async fn viewer(
    State(shared): State<Arc<Shared>>,
    Path(person): Path<String>,
    Query(p): Query<ViewParams>,
) -> Response {
    let back = url_with(
        TERMINAL,
        &[
            ("facility", Some(&p.facility)),
            ("operator", Some(&p.operator)),
        ],
    );
    match render_view(&shared, &person, &p) {
        Ok((kind, _, ViewOutput::Html(body))) => {
            let link = |k: ViewKind, format: &str| {
                url_with(
                    &format!("/console/disaster/view/{person}"),
                    &[
                        ("facility", Some(&p.facility)),
                        ("operator", Some(&p.operator)),
                        ("consent", Some(&p.consent)),
                        ("kind", Some(k.id())),
                        ("format", Some(format)),
                    ],
                )
            };
            page(
                kind.label(),
                TERMINAL,
                html! {
                    h1 { (kind.label()) " — 災害時医療情報閲覧" }
                    (now_line(&shared))
                    p { a href=(back) { "← 検索に戻る" } " ／ 同意: "
                        (Consent::from_id(&p.consent).map_or("", Consent::label)) }
                    nav.tabs {
                        @for k in ViewKind::ALL {
                            a.button href=(link(k, "html")) aria-current=[(k == kind).then_some("page")] { (k.label()) }
                        }
                        @if kind != ViewKind::Qualification {
                            a.button.primary #pdf-link href=(link(kind, "pdf")) target="_blank" { (kind.label()) "をPDFで表示" }
                        }
                    }
                    section.panel.viewer #viewer data-kind=(kind.id()) { (body) }
                },
            )
            .into_response()
        }
        Ok((kind, _, ViewOutput::Pdf(bytes))) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"{person}-{}.pdf\"", kind.id()),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => see_other(&url_with(
            TERMINAL,
            &[
                ("facility", Some(&p.facility)),
                ("operator", Some(&p.operator)),
                ("error", Some(&e.to_string())),
            ],
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Clock control

#[derive(Deserialize, Default)]
struct ClockForm {
    set: Option<String>,
    advance: Option<String>,
    mode: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

async fn clock_page(
    _: ConsoleAdmin,
    State(shared): State<Arc<Shared>>,
    Query(v): Query<ClockForm>,
) -> Markup {
    let now = shared.clock.now();
    let virtual_clock = shared.clock.control();
    page(
        "時計",
        CLOCK,
        html! {
            h1 { "時計の操作" }
            (now_line(&shared))
            (banners(v.notice.as_deref(), v.error.as_deref()))
            @if virtual_clock.is_none() {
                p.banner.error { "実時間で動作しています。時計を操作するには " code { "simulator serve --clock 2026-11-25T09:30:00" } " で起動してください。" }
            } @else {
                section.panel {
                    h2 { "日時を指定" }
                    form method="post" action=(CLOCK) .inline {
                        input #clock-set type="datetime-local" name="set" value=(input_time(now));
                        button.primary type="submit" { "この日時にする" }
                    }
                    h2 { "時間を進める" }
                    div.row {
                        @for (by, label) in [("1h", "1時間"), ("1d", "1日"), ("7d", "7日"), ("30d", "30日")] {
                            form method="post" action=(CLOCK) .inline {
                                input type="hidden" name="advance" value=(by);
                                button type="submit" data-advance=(by) { "+" (label) }
                            }
                        }
                    }
                    h2 { "進行" }
                    div.row {
                        form method="post" action=(CLOCK) .inline {
                            input type="hidden" name="mode" value="frozen";
                            button type="submit" { "停止" }
                        }
                        form method="post" action=(CLOCK) .inline {
                            input type="hidden" name="mode" value="running";
                            button type="submit" { "進行" }
                        }
                    }
                }
            }
            p.lead { "シナリオを1ステップずつ再生するには " a href=(super::scenario::PATH) { "シナリオ操作" } " を使います。" }
        },
    )
}

async fn clock_change(
    _: ConsoleAdmin,
    State(shared): State<Arc<Shared>>,
    Form(f): Form<ClockForm>,
) -> Response {
    let Some(clock) = shared.clock.control() else {
        return see_other(&url_with(
            CLOCK,
            &[("error", Some("実時間の時計は操作できません"))],
        ));
    };
    let result: Result<(), String> = (|| {
        if let Some(s) = f.set.as_deref().filter(|s| !s.is_empty()) {
            clock.set(parse_time(s).map_err(|e| e.to_string())?);
        }
        if let Some(a) = f.advance.as_deref().filter(|s| !s.is_empty()) {
            clock.advance(
                sim_scenario::parse_duration(a)
                    .ok_or_else(|| format!("{a:?} は期間ではありません"))?,
            );
        }
        match f.mode.as_deref() {
            Some("frozen") => clock.freeze(),
            Some("running") => clock.run(),
            _ => {}
        }
        Ok(())
    })();
    tracing::info!(now = %shared.clock.now(), "clock changed from the console");
    match result {
        Ok(()) => see_other(&url_with(
            CLOCK,
            &[(
                "notice",
                Some(&format!(
                    "時刻を {} にしました",
                    shared.clock.now().format(TIME)
                )),
            )],
        )),
        Err(e) => see_other(&url_with(CLOCK, &[("error", Some(&e))])),
    }
}
