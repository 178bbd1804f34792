//! The patient screen (`/console/reader`): what the patient sees on the 顔認証付きカードリーダー, in
//! Japanese as on the real device, beside a trainer's panel that puts a card on the reader and
//! stands in for the camera and the staff. It drives the one reader of the running simulator
//! ([`crate::reader::Readers`]), exactly as `POST /admin/reader/…` does.
//!
//! Screens (the reader's `screen`): `idle` カードを置いてください → `choose-mode` 本人確認の方法
//! (顔認証 / 暗証番号 / 目視) → `enter-pin` (keypad, masked, tries left) | `face-capture` (the
//! trainer enters match / mismatch) | `staff-confirm` (the trainer confirms as staff) → `register`
//! 初回登録 (保険証利用登録) for an unregistered card → `consent`, one question per screen (薬剤情報,
//! 特定健診情報, 診療情報, 手術情報, 限度額適用認定証, 特定疾病; はい / いいえ) → `done`
//! 受付が完了しました, or `failed` with the reader's numbered message.
//!
//! The consent answers given so far travel in the page's query (`?answers=10`, one digit per
//! question in [`CONSENT_NAMES`] order); the last answer posts them all to the reader at once.
//! `POST /console/reader/{insert,remove,mode,pin,face,confirm,register,consent}` take form fields
//! (`person`, `kind` = `mynumber`, `mynumber-face-corrupt`, `mynumber-face-absent` (a damaged / missing
//! face photo: face mode gives `MOCK-R111`), `pcsc`, `foreign`, `unreadable`; `mode`, `pin`, `matched`,
//! `confirmed`, `register`, `answers`) and redirect
//! back to the page, with `error=` (a step that does not fit), `notice=` (the card was removed
//! mid-flow) or `file=` (the face file written). `GET /console/reader/face/{name}` shows a face
//! file from `face/`.

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;
use sim_card::FaceImage;

use super::{page, see_other, url_with};
use crate::reader::{CONSENT_NAMES, CardKind, Mode, ReaderError, ReaderStatus, parse_consents};
use crate::shared::Shared;

/// The patient screen's path.
pub const PATH: &str = "/console/reader";

/// Title and question of each consent screen, in [`CONSENT_NAMES`] order.
const CONSENT_SCREENS: [(&str, &str); 6] = [
    (
        "薬剤情報",
        "過去のお薬の情報を、この医療機関・薬局に提供することに同意しますか？",
    ),
    (
        "特定健診情報",
        "過去の特定健診等の結果を、この医療機関・薬局に提供することに同意しますか？",
    ),
    (
        "診療情報",
        "過去の診療の情報を、この医療機関・薬局に提供することに同意しますか？",
    ),
    (
        "手術情報",
        "過去の手術の情報を、この医療機関・薬局に提供することに同意しますか？",
    ),
    (
        "限度額適用認定証",
        "限度額適用認定証の情報を提供することに同意しますか？（窓口でのお支払いが限度額までになります）",
    ),
    (
        "特定疾病",
        "特定疾病療養受療証の情報を提供することに同意しますか？",
    ),
];

/// The reader status fields the page's fingerprint is made of (also read by console.js).
const FINGERPRINT_FIELDS: &str = "screen,person_id,tries_left,attempts_left,message_code";

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(PATH, get(show))
        .route("/console/reader/face/{name}", get(face_file))
        .route("/console/reader/{action}", post(act))
}

#[derive(Deserialize, Default)]
struct View {
    answers: Option<String>,
    error: Option<String>,
    notice: Option<String>,
    file: Option<String>,
}

#[derive(Deserialize, Default)]
struct ActionForm {
    person: Option<String>,
    /// Typed in: wins over the `person` picked from the list.
    person_id: Option<String>,
    kind: Option<String>,
    mode: Option<String>,
    pin: Option<String>,
    matched: Option<String>,
    confirmed: Option<String>,
    register: Option<String>,
    answers: Option<String>,
}

/// Consent answers so far: at most six `0`/`1` digits.
fn valid_answers(a: &str) -> bool {
    a.len() <= CONSENT_NAMES.len() && a.bytes().all(|b| b == b'0' || b == b'1')
}

fn yes_no(v: Option<&str>, what: &str) -> Result<bool, String> {
    match v {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        other => Err(format!("{what} must be true or false, not {other:?}")),
    }
}

/// The trainer's card choice: the kind, and for a My Number Card the state of its face photo
/// (`mynumber-face-corrupt`, `mynumber-face-absent`: face mode stops with `MOCK-R111`).
fn kind_of(v: Option<&str>) -> Result<(CardKind, FaceImage), String> {
    match v.unwrap_or("mynumber") {
        "mynumber" => Ok((CardKind::Mynumber, FaceImage::Intact)),
        "mynumber-face-corrupt" => Ok((CardKind::Mynumber, FaceImage::Corrupt)),
        "mynumber-face-absent" => Ok((CardKind::Mynumber, FaceImage::Absent)),
        "foreign" => Ok((CardKind::Foreign, FaceImage::Intact)),
        "unreadable" => Ok((CardKind::Unreadable, FaceImage::Intact)),
        "pcsc" => Ok((CardKind::Pcsc, FaceImage::Intact)),
        other => Err(format!("unknown card kind {other:?}")),
    }
}

type Job = Box<dyn FnOnce(&Shared) -> Result<ReaderStatus, ReaderError> + Send>;

fn error_page(message: &str) -> Response {
    see_other(&url_with(PATH, &[("error", Some(message))]))
}

/// `POST /console/reader/{action}`.
async fn act(
    State(shared): State<Arc<Shared>>,
    Path(action): Path<String>,
    Form(f): Form<ActionForm>,
) -> Response {
    let job: Result<Job, String> = match action.as_str() {
        "insert" => kind_of(f.kind.as_deref()).map(|(kind, face)| {
            let typed = f.person_id.filter(|p| !p.trim().is_empty());
            let person = typed.or(f.person).filter(|p| !p.trim().is_empty());
            Box::new(move |s: &Shared| {
                let person = person.as_deref().map(str::trim);
                s.reader.insert_with_face(
                    s,
                    person.filter(|_| kind == CardKind::Mynumber),
                    kind,
                    face,
                )
            }) as Job
        }),
        "remove" => Ok(Box::new(|s: &Shared| s.reader.remove()) as Job),
        "mode" => f
            .mode
            .as_deref()
            .unwrap_or("")
            .parse::<Mode>()
            .map(|m| Box::new(move |s: &Shared| s.reader.choose(m)) as Job),
        "pin" => match f.pin {
            Some(pin) => Ok(Box::new(move |s: &Shared| s.reader.enter_pin(s, &pin)) as Job),
            None => Err("暗証番号が入力されていません".to_owned()),
        },
        "face" => yes_no(f.matched.as_deref(), "matched")
            .map(|m| Box::new(move |s: &Shared| s.reader.face(s, m)) as Job),
        "confirm" => yes_no(f.confirmed.as_deref(), "confirmed")
            .map(|c| Box::new(move |s: &Shared| s.reader.staff_confirm(s, c)) as Job),
        "register" => yes_no(f.register.as_deref(), "register")
            .map(|r| Box::new(move |s: &Shared| s.reader.register(s, r)) as Job),
        "consent" => {
            let answers = f.answers.unwrap_or_default();
            if !valid_answers(&answers) {
                return error_page(&format!("invalid consent answers {answers:?}"));
            }
            if answers.len() < CONSENT_NAMES.len() {
                return see_other(&url_with(PATH, &[("answers", Some(&answers))]));
            }
            let names: Vec<&str> = CONSENT_NAMES
                .iter()
                .zip(answers.bytes())
                .filter(|(_, a)| *a == b'1')
                .map(|(n, _)| *n)
                .collect();
            parse_consents(&names)
                .map(|c| Box::new(move |s: &Shared| s.reader.consent(s, c)) as Job)
        }
        other => {
            return (
                StatusCode::NOT_FOUND,
                format!("no reader action {other:?}\n"),
            )
                .into_response();
        }
    };
    let job = match job {
        Ok(job) => job,
        Err(message) => return error_page(&message),
    };
    let run = shared.clone();
    match tokio::task::spawn_blocking(move || job(&run)).await {
        Ok(Ok(status)) => {
            let notice = (action == "remove")
                .then_some(status.message.as_deref())
                .flatten();
            see_other(&url_with(
                PATH,
                &[("notice", notice), ("file", status.face_file.as_deref())],
            ))
        }
        Ok(Err(e)) => error_page(&e.to_string()),
        Err(e) => error_page(&format!("reader task: {e}")),
    }
}

/// `GET /console/reader`.
async fn show(State(shared): State<Arc<Shared>>, Query(view): Query<View>) -> Markup {
    let status = shared.reader.status();
    page("患者画面", PATH, body(&shared, &status, &view))
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn fingerprint(s: &ReaderStatus) -> String {
    [
        s.screen.to_owned(),
        opt(s.person_id.as_deref()),
        opt(s.tries_left),
        opt(s.attempts_left),
        opt(s.message_code),
    ]
    .join("|")
}

fn body(shared: &Shared, status: &ReaderStatus, view: &View) -> Markup {
    html! {
        div.reader-layout {
            section.device aria-label="顔認証付きカードリーダーの画面" {
                div.device-screen #screen
                    data-screen=(status.screen)
                    data-state=(fingerprint(status))
                    data-fields=(FINGERPRINT_FIELDS)
                    data-poll="/admin/reader"
                    data-reload=(PATH) {
                    (screen(status, view))
                }
                div.device-foot { "顔認証付きカードリーダー（模擬・MOCK）" }
            }
            (trainer(shared, status, view))
        }
    }
}

fn action(name: &str) -> String {
    format!("{PATH}/{name}")
}

fn remove_button(label: &str) -> Markup {
    html! {
        form method="post" action=(action("remove")) {
            button.choice.no #card-remove type="submit" { (label) }
        }
    }
}

fn mode_button(mode: &str, label: &str, hint: &str, primary: bool) -> Markup {
    html! {
        form method="post" action=(action("mode")) {
            input type="hidden" name="mode" value=(mode);
            button.choice.yes[primary] #{"mode-" (mode)} type="submit" { (label) small { (hint) } }
        }
    }
}

fn screen(status: &ReaderStatus, view: &View) -> Markup {
    let message = status.message.as_deref();
    // The number is shown large on the failure screen; its box gives the text alone.
    let text = match (message, status.message_code) {
        (Some(m), Some(code)) => m.strip_prefix(code).map(|t| t.trim_start_matches(':')),
        _ => None,
    }
    .or(message);
    match status.screen {
        "idle" => html! {
            (icon(CARD_SVG))
            p.title { "マイナンバーカードを置いてください" }
            p.sub { "カードリーダーの上にカードを置いてください" }
            @if let Some(n) = &view.notice { p.message { (n) } }
        },
        "choose-mode" => html! {
            p.title { "本人確認の方法を選択してください" }
            div.choices {
                (mode_button("face", "顔認証", "カメラで確認", true))
                (mode_button("pin", "暗証番号", "数字4桁", true))
                (mode_button("visual", "目視", "職員が確認", false))
            }
        },
        "enter-pin" => html! {
            p.title { "暗証番号を入力してください" }
            p.sub { "利用者証明用電子証明書の暗証番号（数字4桁）" }
            @if let Some(n) = status.tries_left {
                p.tries #tries-left { "残り " strong { (n) } " 回" }
            }
            @if let Some(m) = message { p.message #reader-message { (m) } }
            form.pin-form method="post" action=(action("pin")) autocomplete="off" {
                input.pin-field #pin type="password" name="pin" inputmode="numeric"
                    maxlength="4" autocomplete="off" aria-label="暗証番号";
                div.keypad data-target="pin" {
                    @for d in ["1", "2", "3", "4", "5", "6", "7", "8", "9"] {
                        button type="button" data-key=(d) #{"key-" (d)} { (d) }
                    }
                    button.key-clear type="button" data-key="clear" #key-clear { "訂正" }
                    button type="button" data-key="0" #key-0 { "0" }
                    button.key-ok type="submit" #pin-ok { "確定" }
                }
            }
            div.alt {
                form method="post" action=(action("mode")) {
                    input type="hidden" name="mode" value="visual";
                    button type="submit" #switch-visual { "目視確認に切り替える" }
                }
            }
        },
        "face-capture" => html! {
            (icon(FACE_SVG))
            p.title { "カメラに顔を向けてください" }
            p.sub { "マスク・帽子・眼鏡を外してください" }
            @if let Some(n) = status.attempts_left {
                p.tries #attempts-left { "残り " strong { (n) } " 回" }
            }
            @if let Some(m) = message { p.message #reader-message { (m) } }
            div.trainer-input {
                p.label { "トレーナー入力（カメラの判定）" }
                div.choices {
                    (post_button("face", "matched", "true", "face-match", "顔が一致"))
                    (post_button("face", "matched", "false", "face-mismatch", "顔が不一致"))
                }
            }
            div.alt {
                form method="post" action=(action("mode")) {
                    input type="hidden" name="mode" value="pin";
                    button type="submit" #switch-pin { "暗証番号に切り替える" }
                }
                form method="post" action=(action("mode")) {
                    input type="hidden" name="mode" value="visual";
                    button type="submit" #switch-visual { "目視確認に切り替える" }
                }
            }
        },
        "staff-confirm" => html! {
            (icon(STAFF_SVG))
            p.title { "職員が本人確認を行います" }
            p.sub { "そのままお待ちください" }
            div.trainer-input {
                p.label { "トレーナー入力（職員の目視確認）" }
                div.choices {
                    (post_button("confirm", "confirmed", "true", "staff-yes", "本人と確認した"))
                    (post_button("confirm", "confirmed", "false", "staff-no", "本人と確認できない"))
                }
            }
        },
        "register" => html! {
            p.step { "初回登録" }
            p.title { "保険証利用登録を行いますか？" }
            p.sub { "マイナンバーカードを健康保険証として利用するための登録です。登録は一度だけ必要です。" }
            div.choices {
                (yes_no_button("register", "register", "true", "register-yes", "はい", "登録する", true))
                (yes_no_button("register", "register", "false", "register-no", "いいえ", "登録しない", false))
            }
        },
        "consent" => consent_screen(
            view.answers
                .as_deref()
                .filter(|a| valid_answers(a))
                .unwrap_or(""),
        ),
        "done" => html! {
            (icon(DONE_SVG))
            p.done { "受付が完了しました" }
            p.sub { "カードをお取りください" }
            div.choices { (remove_button("カードを取る")) }
        },
        "failed" => html! {
            p.title { "本人確認ができませんでした" }
            @if let Some(code) = status.message_code { p.code #reader-code { (code) } }
            @if let Some(t) = text { p.message #reader-message { (t) } }
            @if matches!(status.message_code, Some("MOCK-R104" | "MOCK-R111")) {
                p.sub { "ほかの方法で本人確認ができます" }
                div.choices {
                    (mode_button("pin", "暗証番号", "数字4桁", true))
                    (mode_button("visual", "目視", "職員が確認", false))
                }
            }
            p.sub { "カードをお取りください" }
            div.choices { (remove_button("カードを取る")) }
        },
        _ => html! {
            p.title { "確認しています" }
            p.sub { "しばらくお待ちください" }
        },
    }
}

/// Line drawings for the screens (no emoji: a training-room PC may have no colour emoji font).
const CARD_SVG: &str = r#"<svg class="icon" viewBox="0 0 140 100" aria-hidden="true"><rect x="10" y="10" width="120" height="80" rx="10" fill="none" stroke="currentColor" stroke-width="6"/><rect x="25" y="32" width="26" height="20" rx="3" fill="currentColor"/><line x1="25" y1="70" x2="110" y2="70" stroke="currentColor" stroke-width="6"/></svg>"#;
const FACE_SVG: &str = r#"<svg class="icon" viewBox="0 0 140 100" aria-hidden="true"><circle cx="70" cy="50" r="40" fill="none" stroke="currentColor" stroke-width="6"/><circle cx="56" cy="42" r="5" fill="currentColor"/><circle cx="84" cy="42" r="5" fill="currentColor"/><path d="M52 64 Q70 78 88 64" fill="none" stroke="currentColor" stroke-width="6"/></svg>"#;
const STAFF_SVG: &str = r#"<svg class="icon" viewBox="0 0 140 100" aria-hidden="true"><path d="M10 50 Q70 0 130 50 Q70 100 10 50 Z" fill="none" stroke="currentColor" stroke-width="6"/><circle cx="70" cy="50" r="16" fill="currentColor"/></svg>"#;
const DONE_SVG: &str = r#"<svg class="icon" viewBox="0 0 140 100" aria-hidden="true" style="color:#1d7a3a"><circle cx="70" cy="50" r="42" fill="none" stroke="currentColor" stroke-width="6"/><path d="M48 52 L64 68 L94 36" fill="none" stroke="currentColor" stroke-width="8"/></svg>"#;

fn icon(svg: &'static str) -> Markup {
    maud::PreEscaped(svg.to_owned())
}

fn post_button(act: &str, field: &str, value: &str, id: &str, label: &str) -> Markup {
    html! {
        form method="post" action=(action(act)) {
            input type="hidden" name=(field) value=(value);
            button type="submit" id=(id) { (label) }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn yes_no_button(
    act: &str,
    field: &str,
    value: &str,
    id: &str,
    label: &str,
    hint: &str,
    yes: bool,
) -> Markup {
    html! {
        form method="post" action=(action(act)) {
            input type="hidden" name=(field) value=(value);
            button.choice.yes[yes].no[!yes] type="submit" id=(id) { (label) small { (hint) } }
        }
    }
}

fn consent_screen(answers: &str) -> Markup {
    let step = answers.len().min(CONSENT_SCREENS.len() - 1);
    let answers = &answers[..step];
    let (title, question) = CONSENT_SCREENS[step];
    let yes = format!("{answers}1");
    let no = format!("{answers}0");
    html! {
        p.step #consent-step data-consent=(CONSENT_NAMES[step]) {
            "情報提供への同意（" (step + 1) " / " (CONSENT_SCREENS.len()) "）"
        }
        p.title { (title) }
        p.sub { (question) }
        div.choices {
            (yes_no_button("consent", "answers", &yes, "consent-yes", "はい", "同意する", true))
            (yes_no_button("consent", "answers", &no, "consent-no", "いいえ", "同意しない", false))
        }
        @if step > 0 {
            div.alt {
                a.button #consent-back href=(url_with(PATH, &[("answers", Some(&answers[..step - 1]))])) { "前の画面に戻る" }
            }
        }
    }
}

/// The named fixture persons (id, note) for the card picker, in file order.
fn fixture_persons() -> &'static [(String, String)] {
    static LIST: OnceLock<Vec<(String, String)>> = OnceLock::new();
    LIST.get_or_init(|| match sim_fixtures::named::NamedFixtures::embedded() {
        Ok(f) => f
            .expectations
            .into_iter()
            .map(|(id, _, note)| (id, note))
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "console: the named fixtures do not parse");
            Vec::new()
        }
    })
}

fn trainer(shared: &Shared, status: &ReaderStatus, view: &View) -> Markup {
    let person = status
        .person_id
        .as_deref()
        .and_then(|id| shared.population.person_by_id(id));
    let today = shared.clock.now().date();
    html! {
        aside.trainer aria-label="トレーナー操作" {
            h2 { "トレーナー操作" }
            @if let Some(e) = &view.error { p.banner.error #console-error role="alert" { (e) } }
            @if let Some(n) = &view.notice { p.banner.notice { (n) } }
            @if status.screen == "idle" {
                form #insert-form method="post" action=(action("insert")) {
                    label for="person" { "カードを置く人物" }
                    select #person name="person" {
                        @for (id, note) in fixture_persons() {
                            @if shared.population.person_by_id(id).is_some() {
                                option value=(id) { (id) "：" (note) }
                            }
                        }
                    }
                    label for="person-other" { "または人物 ID（生成された人物 P0000001 など）" }
                    input #person-other type="text" name="person_id" placeholder="P0000001";
                    label for="kind" { "カードの種類" }
                    select #kind name="kind" {
                        option value="mynumber" { "マイナンバーカード（仮想カード・アプリ内）" }
                        option value="pcsc" { "PC/SC のカード（simulator card insert で挿入したもの）" }
                        option value="foreign" { "マイナンバーカード以外の IC カード" }
                        option value="unreadable" { "読み取れないカード" }
                        option value="mynumber-face-corrupt" { "マイナンバーカード（顔写真データ破損）" }
                        option value="mynumber-face-absent" { "マイナンバーカード（顔写真データなし）" }
                    }
                    button.primary #card-insert type="submit" { "カードを置く" }
                }
            } @else {
                form method="post" action=(action("remove")) {
                    button.danger #trainer-remove type="submit" { "カードを取り除く" }
                }
            }
            dl {
                dt { "画面" } dd #trainer-screen { (status.screen) }
                @if let Some(p) = person {
                    dt { "人物" } dd #trainer-person { (p.id) }
                    dt { "氏名" } dd { (p.name) "（" (p.name_kana) "）" }
                    dt { "生年月日" } dd { (p.birthdate.format("%Y-%m-%d")) }
                    @if let Some(card) = shared.holdings.get(&p.id) {
                        dt { "カード" }
                        dd { (holding(card, today)) }
                    }
                }
                @if let Some(m) = status.mode {
                    dt { "方法" } dd { (match m { Mode::Pin => "暗証番号", Mode::Face => "顔認証", Mode::Visual => "目視" }) }
                }
                dt { "日時" } dd { (shared.clock.now().format("%Y-%m-%d %H:%M:%S")) }
            }
            @if let Some(file) = &view.file {
                p { "face/ に結果ファイルを書き出しました：" }
                p { a #face-file href=(format!("{PATH}/face/{file}")) { (file) } }
            }
            p.lead { "暗証番号はすべての模擬カードで 1234 です（MOCK）。" }
        }
    }
}

fn holding(card: &sim_fixtures::mynumber::MyNumberCard, today: chrono::NaiveDate) -> String {
    let mut parts = vec![format!("有効期限 {}", card.card_valid_until)];
    match card.certificate_revoked {
        Some(r) if r <= today => parts.push(format!("電子証明書 失効 {r}")),
        _ => parts.push(format!("電子証明書 {} まで", card.certificate_valid_until)),
    }
    match card.insurance_registered {
        Some(r) if r <= today => parts.push(format!("保険証利用登録 {r}")),
        _ => parts.push("保険証利用登録なし".to_owned()),
    }
    parts.join("、")
}

/// `GET /console/reader/face/{name}`: a face file, decoded, in a page.
async fn face_file(State(shared): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    let well_formed = name.starts_with("OQSsiquc01res_face_")
        && name.ends_with(".xml")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        && !name.contains("..");
    let Some(dir) = shared.oqs_dir.as_ref().map(|d| d.join("face")) else {
        return (StatusCode::NOT_FOUND, "no shared folder\n").into_response();
    };
    if !well_formed {
        return (StatusCode::BAD_REQUEST, "not a face file name\n").into_response();
    }
    let text = match std::fs::read(dir.join(&name)) {
        Ok(bytes) => match sim_messages::encoding::decode(&bytes) {
            Ok(d) => d.text,
            Err(e) => format!("(cannot decode: {e})"),
        },
        Err(e) => return (StatusCode::NOT_FOUND, format!("{name}: {e}\n")).into_response(),
    };
    page(
        "結果ファイル",
        PATH,
        html! {
            h1 { "face/" (name) }
            p { a.button href=(PATH) { "患者画面に戻る" } }
            div.trainer { pre #face-xml { (text) } }
        },
    )
    .into_response()
}
