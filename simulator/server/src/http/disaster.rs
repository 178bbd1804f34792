//! Disaster mode over HTTP (JSON). Operator parts need the admin token ([`crate::admin_token`]);
//! the facility terminal's search and view are authorised by the facility's 医療機関コード against
//! the activations, and audited.
//!
//! | endpoint | token | what |
//! |---|---|---|
//! | `GET /admin/disaster` | – | the activations and their phase now |
//! | `POST /admin/disaster/open` | ✓ | `{"areas": ["13104", "大阪市"], "start"?, "end" or "days", "title"?}` |
//! | `POST /admin/disaster/close` | ✓ | `{"activation": 1}` |
//! | `POST /admin/disaster/extend` | ✓ | `{"activation": 1, "facility": "1310400013", "until": "…"}` |
//! | `GET /admin/disaster/audit`, `/admin/disaster/audit.csv` | ✓ | the audit log (CSV: UTF-8 with BOM, CRLF) |
//! | `GET /admin/disaster/facilities?area=&kind=` | – | the facility register, with whether each may use the mode now |
//! | `GET /admin/disaster/areas?prefecture=` | – | prefectures, or the municipalities of one |
//! | `POST /disaster/search` | – | `{"facility", "operator", "query": {"name", "birthdate", "sex"?, "address"?} or {"insurer", "symbol"?, "number", "branch"?, "birthdate"}}` |
//! | `GET /disaster/view/{person}?facility=&operator=&kind=&format=&consent=` | – | HTML or PDF of `qualification`, `drug`, `diagnosis`, `checkup` |

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query as UrlQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sim_core::Sex;
use sim_core::disaster::{Activation, Consent, Query, SearchResult};

use crate::admin_token::AdminGuard;
use crate::disaster::view::{Format, ViewKind};
use crate::disaster::{Actor, OpError, areas, parse_time, store::TIME};
use crate::shared::Shared;

fn error(e: &OpError) -> Response {
    let status = match e {
        OpError::Invalid(_) | OpError::Search(_) => StatusCode::BAD_REQUEST,
        OpError::Command(_) => StatusCode::CONFLICT,
        OpError::Refused(_) | OpError::UnknownFacility(_) => StatusCode::FORBIDDEN,
        OpError::UnknownPerson(_) => StatusCode::NOT_FOUND,
        OpError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let reason = match e {
        OpError::Refused(r) => r.id(),
        OpError::UnknownFacility(_) => "unknown-facility",
        _ => "",
    };
    (
        status,
        Json(json!({"error": e.to_string(), "reason": reason})),
    )
        .into_response()
}

fn bad(msg: impl Into<String>) -> Response {
    error(&OpError::Invalid(msg.into()))
}

/// An activation as the API shows it.
pub fn activation_json(shared: &Shared, a: &Activation, now: NaiveDateTime) -> serde_json::Value {
    let phase = a.phase(now);
    json!({
        "id": a.id,
        "title": a.title,
        "phase": phase.id(),
        "phase_label": phase.label(),
        "start": a.start.format(TIME).to_string(),
        "end": a.end.format(TIME).to_string(),
        "opened_at": a.opened_at.format(TIME).to_string(),
        "closed_at": a.closed_at.map(|t| t.format(TIME).to_string()),
        "municipalities": a.municipalities.iter().map(|m| json!({"code": m, "name": areas::label(m)})).collect::<Vec<_>>(),
        "extensions": a.extensions.iter().map(|e| json!({
            "facility": e.facility,
            "facility_name": shared.disaster.facilities.by_code(&e.facility).map(|f| f.name.as_str()),
            "until": e.until.format(TIME).to_string(),
            "granted_at": e.granted_at.format(TIME).to_string(),
        })).collect::<Vec<_>>(),
    })
}

pub(super) async fn status(State(shared): State<Arc<Shared>>) -> Response {
    let now = shared.clock.now();
    let list: Vec<_> = shared
        .disaster
        .activations()
        .iter()
        .map(|a| activation_json(&shared, a, now))
        .collect();
    Json(json!({"now": now.format(TIME).to_string(), "activations": list})).into_response()
}

fn parse_body<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, OpError> {
    serde_json::from_slice(body).map_err(|e| OpError::Invalid(format!("invalid JSON: {e}")))
}

/// Body of `POST /admin/disaster/open`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenBody {
    /// Prefectures, municipalities or 政令市.
    pub areas: Vec<String>,
    /// From (default now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Until.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Or a number of days from the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// Body of `POST /admin/disaster/close`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    /// The activation.
    pub activation: u32,
}

/// Body of `POST /admin/disaster/extend`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtendBody {
    /// The activation.
    pub activation: u32,
    /// 医療機関コード.
    pub facility: String,
    /// Until when.
    pub until: String,
}

/// Resolves an open request's window: `start` (default `now`) and `end` or `days`.
pub fn window(
    start: Option<&str>,
    end: Option<&str>,
    days: Option<u32>,
    now: NaiveDateTime,
) -> Result<(NaiveDateTime, NaiveDateTime), OpError> {
    let start = match start.filter(|s| !s.trim().is_empty()) {
        Some(s) => parse_time(s)?,
        None => now,
    };
    let end = match (end.filter(|s| !s.trim().is_empty()), days) {
        (Some(e), _) => parse_time(e)?,
        (None, Some(d)) if d > 0 => start + Duration::days(i64::from(d)),
        _ => {
            return Err(OpError::Invalid(
                "give the end (yyyy-mm-ddTHH:MM) or a number of days".into(),
            ));
        }
    };
    Ok((start, end))
}

pub(super) async fn open(
    _: AdminGuard,
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Response {
    let b: OpenBody = match parse_body(&body) {
        Ok(b) => b,
        Err(e) => return error(&e),
    };
    let now = shared.clock.now();
    let result =
        window(b.start.as_deref(), b.end.as_deref(), b.days, now).and_then(|(start, end)| {
            shared
                .disaster
                .open_mode(b.title.as_deref().unwrap_or(""), &b.areas, start, end, now)
        });
    match result {
        Ok(a) => (StatusCode::CREATED, Json(activation_json(&shared, &a, now))).into_response(),
        Err(e) => error(&e),
    }
}

pub(super) async fn close(
    _: AdminGuard,
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Response {
    let b: CloseBody = match parse_body(&body) {
        Ok(b) => b,
        Err(e) => return error(&e),
    };
    let now = shared.clock.now();
    match shared.disaster.close(b.activation, now) {
        Ok(a) => Json(activation_json(&shared, &a, now)).into_response(),
        Err(e) => error(&e),
    }
}

pub(super) async fn extend(
    _: AdminGuard,
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Response {
    let b: ExtendBody = match parse_body(&body) {
        Ok(b) => b,
        Err(e) => return error(&e),
    };
    let now = shared.clock.now();
    let result = parse_time(&b.until).and_then(|until| {
        shared
            .disaster
            .extend(b.activation, &b.facility, until, now)
    });
    match result {
        Ok(a) => Json(activation_json(&shared, &a, now)).into_response(),
        Err(e) => error(&e),
    }
}

pub(super) async fn audit(_: AdminGuard, State(shared): State<Arc<Shared>>) -> Response {
    match shared.disaster.audit() {
        Ok(rows) => Json(rows).into_response(),
        Err(e) => error(&e),
    }
}

pub(super) async fn audit_csv(_: AdminGuard, State(shared): State<Arc<Shared>>) -> Response {
    match shared.disaster.audit() {
        Ok(rows) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"disaster-audit.csv\"",
                ),
            ],
            // A BOM so that Excel reads UTF-8.
            format!("\u{feff}{}", crate::disaster::store::audit_csv(&rows)),
        )
            .into_response(),
        Err(e) => error(&e),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct FacilityFilter {
    area: Option<String>,
    kind: Option<String>,
    limit: Option<usize>,
}

/// A facility as the API shows it, with whether it may use disaster mode at `now`.
pub fn facility_json(
    shared: &Shared,
    f: &sim_fixtures::facilities::Facility,
    now: NaiveDateTime,
) -> serde_json::Value {
    let access = shared.disaster.authorize(&f.code, now);
    json!({
        "code": f.code,
        "kind": f.kind.id(),
        "kind_label": f.kind.label(),
        "name": f.name,
        "lg_code": f.lg_code(),
        "postcode": f.address.postcode(),
        "address": f.address.text,
        "may_use": access.is_ok(),
        "until": access.as_ref().ok().map(|(_, g)| g.until.format(TIME).to_string()),
        "reason": access.err().map(|e| e.to_string()),
    })
}

pub(super) async fn facilities(
    State(shared): State<Arc<Shared>>,
    UrlQuery(filter): UrlQuery<FacilityFilter>,
) -> Response {
    let now = shared.clock.now();
    let codes: Option<Vec<String>> = match filter.area.as_deref().filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => match areas::resolve(a) {
            Ok(c) => Some(c),
            Err(e) => return bad(e),
        },
    };
    let kind = filter
        .kind
        .as_deref()
        .and_then(sim_fixtures::facilities::FacilityKind::from_id);
    let list: Vec<_> = shared
        .disaster
        .facilities
        .all()
        .iter()
        .filter(|f| {
            codes
                .as_ref()
                .is_none_or(|c| c.iter().any(|c| c == f.lg_code()))
        })
        .filter(|f| kind.is_none_or(|k| f.kind == k))
        .take(filter.limit.unwrap_or(200))
        .map(|f| facility_json(&shared, f, now))
        .collect();
    Json(list).into_response()
}

#[derive(Debug, Deserialize)]
pub(super) struct AreaFilter {
    prefecture: Option<String>,
}

pub(super) async fn area_list(UrlQuery(filter): UrlQuery<AreaFilter>) -> Response {
    match filter.prefecture.as_deref().filter(|p| !p.is_empty()) {
        None => Json(
            areas::prefectures()
                .into_iter()
                .map(|(code, name)| json!({"code": code, "name": name}))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Some(p) => Json(
            areas::municipalities_of(p)
                .into_iter()
                .map(|m| json!({"code": m.code, "name": m.name, "city": m.kokuho_name}))
                .collect::<Vec<_>>(),
        )
        .into_response(),
    }
}

/// The query of `POST /disaster/search`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryBody {
    /// 氏名 (by person).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 性別: `male`/`female`/`1`/`2`/男/女.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    /// Part of the 住所.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// 保険者番号 (by insurance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insurer: Option<String>,
    /// 記号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// 番号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// 枝番.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// 生年月日 (`yyyy-mm-dd` or `yyyymmdd`), both ways.
    pub birthdate: String,
}

/// Reads 性別 as typed.
pub fn parse_sex(s: &str) -> Result<Option<Sex>, OpError> {
    Ok(match s.trim() {
        "" | "any" => None,
        "male" | "1" | "男" | "男性" => Some(Sex::Male),
        "female" | "2" | "女" | "女性" => Some(Sex::Female),
        "unset" | "3" => Some(Sex::Unset),
        other => {
            return Err(OpError::Invalid(format!(
                "性別 {other:?}: male, female (1, 2)"
            )));
        }
    })
}

impl QueryBody {
    /// The domain query.
    pub fn to_query(&self) -> Result<Query, OpError> {
        let b = self.birthdate.trim();
        let birthdate = chrono::NaiveDate::parse_from_str(b, "%Y-%m-%d")
            .or_else(|_| chrono::NaiveDate::parse_from_str(b, "%Y%m%d"))
            .map_err(|_| OpError::Invalid(format!("生年月日 {b:?}: yyyy-mm-dd")))?;
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(String::from)
        };
        match (given(&self.insurer), given(&self.name)) {
            (Some(insurer), _) => Ok(Query::Insurance {
                insurer,
                symbol: given(&self.symbol),
                number: given(&self.number).unwrap_or_default(),
                branch: given(&self.branch),
                birthdate,
            }),
            (None, Some(name)) => Ok(Query::Person {
                name,
                birthdate,
                sex: parse_sex(self.sex.as_deref().unwrap_or(""))?,
                address: given(&self.address),
            }),
            (None, None) => Err(OpError::Invalid(
                "氏名（または保険者番号・番号）と生年月日を入力してください".into(),
            )),
        }
    }
}

/// Body of `POST /disaster/search`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    /// 医療機関コード of the facility searching.
    pub facility: String,
    /// Who.
    #[serde(default)]
    pub operator: String,
    /// What.
    pub query: QueryBody,
}

/// A search result as the API shows it.
pub fn result_json(r: &SearchResult) -> serde_json::Value {
    json!({
        "truncated": r.truncated,
        "hits": r.hits.iter().map(|h| json!({
            "person": h.person,
            "name": h.name,
            "name_kana": h.name_kana,
            "sex": sim_core::disaster::search::sex_label(h.sex),
            "birthdate": h.birthdate.to_string(),
            "address": h.address,
            "qualification": h.qualification.as_ref().map(|q| json!({
                "insurer": q.insurer,
                "insurer_name": q.insurer_name,
                "symbol": q.symbol,
                "number": q.number,
                "branch": q.branch,
                "valid": q.valid,
            })),
        })).collect::<Vec<_>>(),
    })
}

pub(super) async fn search(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let b: SearchBody = match parse_body(&body) {
        Ok(b) => b,
        Err(e) => return error(&e),
    };
    let query = match b.query.to_query() {
        Ok(q) => q,
        Err(e) => return error(&e),
    };
    let actor = Actor {
        facility: b.facility,
        operator: b.operator,
    };
    match shared
        .disaster
        .search(&shared.population, &actor, &query, shared.clock.now())
    {
        Ok(r) => Json(result_json(&r)).into_response(),
        Err(e) => error(&e),
    }
}

/// The query string of a view.
#[derive(Debug, Deserialize)]
pub struct ViewParams {
    /// 医療機関コード.
    pub facility: String,
    /// Who.
    #[serde(default)]
    pub operator: String,
    /// `qualification`, `drug`, `diagnosis`, `checkup`.
    pub kind: String,
    /// `html` (default) or `pdf`.
    #[serde(default)]
    pub format: Option<String>,
    /// `oral` or `waived`.
    pub consent: String,
}

/// What a view resolved to.
pub enum ViewOutput {
    /// An HTML body for the viewer.
    Html(maud::Markup),
    /// A PDF document.
    Pdf(Vec<u8>),
}

/// Checks, audits and renders a view (the API and the console share it).
pub fn render_view(
    shared: &Shared,
    person: &str,
    p: &ViewParams,
) -> Result<(ViewKind, Format, ViewOutput), OpError> {
    let kind = ViewKind::from_id(&p.kind).ok_or_else(|| {
        OpError::Invalid(format!(
            "kind {:?}: qualification, drug, diagnosis or checkup",
            p.kind
        ))
    })?;
    let format = match p.format.as_deref().filter(|f| !f.is_empty()) {
        None => Format::Html,
        Some(f) => Format::from_id(f)
            .ok_or_else(|| OpError::Invalid(format!("format {f:?}: html or pdf")))?,
    };
    let consent = Consent::from_id(&p.consent).ok_or_else(|| {
        OpError::Invalid(
            "同意の区分を選んでください: oral（口頭同意）または waived（意識不明等）".into(),
        )
    })?;
    if format == Format::Pdf && kind == ViewKind::Qualification {
        return Err(OpError::Invalid(
            crate::disaster::view::PdfError::NoPdf.to_string(),
        ));
    }
    let pers = shared
        .population
        .person_by_id(person)
        .ok_or_else(|| OpError::UnknownPerson(person.to_owned()))?;
    let now = shared.clock.now();
    let actor = Actor {
        facility: p.facility.clone(),
        operator: p.operator.clone(),
    };
    let (facility, _) = shared
        .disaster
        .record_view(&actor, person, kind, format, consent, now)?;
    let cfg = &shared.engine.config().medical;
    let records = shared.disaster.records.as_ref();
    let out = match format {
        Format::Html => ViewOutput::Html(crate::disaster::view::html_body(
            records,
            &shared.population,
            &pers,
            &facility.code,
            kind,
            cfg,
            now,
        )),
        Format::Pdf => ViewOutput::Pdf(
            crate::disaster::view::pdf(
                shared.disaster.renderer.as_ref(),
                records,
                &pers,
                &facility.code,
                kind,
                cfg,
                now,
            )
            .map_err(|e| OpError::Invalid(e.to_string()))?,
        ),
    };
    Ok((kind, format, out))
}

pub(super) async fn view(
    State(shared): State<Arc<Shared>>,
    Path(person): Path<String>,
    UrlQuery(p): UrlQuery<ViewParams>,
) -> Response {
    match render_view(&shared, &person, &p) {
        Ok((kind, _, ViewOutput::Html(body))) => {
            crate::console::page(kind.label(), crate::console::disaster::TERMINAL, body)
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
        Err(e) => error(&e),
    }
}
