//! What a facility views in disaster mode: 資格情報, 薬剤情報, 診療情報 and 特定健診情報 of one
//! person, as HTML (the viewer) or PDF (the medical-information renderer). The records come from
//! the medical-information sources ([`MedicalRecords`], [`MedicalRenderer`]); the periods are the
//! same as for a card check (`MedicalConfig`: 36 months of drugs, 5 years of checkups).

use chrono::{Datelike, NaiveDateTime};
use maud::{Markup, html};
use sim_core::Person;
use sim_core::disaster::search::sex_label;
use sim_core::engine::MedicalConfig;
use sim_core::medical::{
    CheckupReport, DrugReport, MedicalRecords, MedicalRenderer, Patient, YearMonth,
};

/// What is viewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    /// 資格情報 (保険者番号・記号・番号・枝番).
    Qualification,
    /// 薬剤情報.
    Drug,
    /// 診療情報 (the 診療行為 beside the drugs).
    Diagnosis,
    /// 特定健診情報.
    Checkup,
}

impl ViewKind {
    /// Every kind, in the viewer's tab order.
    pub const ALL: [ViewKind; 4] = [
        ViewKind::Qualification,
        ViewKind::Drug,
        ViewKind::Diagnosis,
        ViewKind::Checkup,
    ];

    /// `qualification`, `drug`, `diagnosis`, `checkup`.
    pub fn id(self) -> &'static str {
        match self {
            ViewKind::Qualification => "qualification",
            ViewKind::Drug => "drug",
            ViewKind::Diagnosis => "diagnosis",
            ViewKind::Checkup => "checkup",
        }
    }

    /// Reads [`ViewKind::id`].
    pub fn from_id(s: &str) -> Option<ViewKind> {
        ViewKind::ALL.into_iter().find(|k| k.id() == s)
    }

    /// 資格情報, 薬剤情報, 診療情報, 特定健診情報.
    pub fn label(self) -> &'static str {
        match self {
            ViewKind::Qualification => "資格情報",
            ViewKind::Drug => "薬剤情報",
            ViewKind::Diagnosis => "診療情報",
            ViewKind::Checkup => "特定健診情報",
        }
    }
}

/// How it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// In the viewer.
    Html,
    /// As a PDF document.
    Pdf,
}

impl Format {
    /// `html`, `pdf`.
    pub fn id(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Pdf => "pdf",
        }
    }

    /// Reads [`Format::id`].
    pub fn from_id(s: &str) -> Option<Format> {
        match s {
            "html" => Some(Format::Html),
            "pdf" => Some(Format::Pdf),
            _ => None,
        }
    }
}

/// The patient header, from the qualification shown on `now`'s date.
pub fn patient(p: &Person, now: NaiveDateTime) -> Patient {
    let q = p.card_on(now.date());
    Patient {
        name: p.name.clone(),
        name_kana: p.name_kana.clone(),
        birthdate: p.birthdate,
        sex: sex_label(p.sex),
        sex_code: p.sex.code(),
        insurer_number: q.map(|q| q.insurer.as_str().to_owned()).unwrap_or_default(),
        symbol: q.and_then(|q| q.card.symbol.clone()),
        number: q.map(|q| q.card.number.clone()).unwrap_or_default(),
        branch: q.map(|q| q.card.branch.clone()).unwrap_or_default(),
    }
}

/// The drug report (with 診療情報 when `diagnosis`) for the facility, over the configured months.
pub fn drug_report(
    records: &dyn MedicalRecords,
    p: &Person,
    facility: &str,
    diagnosis: bool,
    cfg: &MedicalConfig,
    now: NaiveDateTime,
) -> DrugReport {
    let to = YearMonth::of(now.date());
    let from = to.plus(1 - cfg.drug_months as i32);
    DrugReport {
        patient: patient(p, now),
        medical_institution_code: facility.to_owned(),
        arbitrary_file_identifier: None,
        from,
        to,
        with_diagnosis: diagnosis,
        made_at: now,
        months: records.drug_history(p, from, to),
    }
}

/// The checkup report for the facility, over the configured years.
pub fn checkup_report(
    records: &dyn MedicalRecords,
    p: &Person,
    facility: &str,
    cfg: &MedicalConfig,
    now: NaiveDateTime,
) -> CheckupReport {
    let to = now.date();
    let from = to
        .with_year(to.year() - cfg.checkup_years as i32)
        .unwrap_or(to);
    CheckupReport {
        patient: patient(p, now),
        medical_institution_code: facility.to_owned(),
        arbitrary_file_identifier: None,
        from,
        to,
        made_at: now,
        checkups: records.checkups(p, from, to),
    }
}

/// Why a PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// 資格情報 has no PDF form.
    #[error("資格情報はPDFでは表示しません（HTMLで表示してください）")]
    NoPdf,
    /// The renderer failed or is not available.
    #[error("PDFを作成できません: {0}")]
    Renderer(String),
}

/// The PDF of `kind` (drug, diagnosis or checkup).
pub fn pdf(
    renderer: &dyn MedicalRenderer,
    records: &dyn MedicalRecords,
    p: &Person,
    facility: &str,
    kind: ViewKind,
    cfg: &MedicalConfig,
    now: NaiveDateTime,
) -> Result<Vec<u8>, PdfError> {
    let r = match kind {
        ViewKind::Qualification => return Err(PdfError::NoPdf),
        ViewKind::Drug | ViewKind::Diagnosis => renderer.drug_pdf(&drug_report(
            records,
            p,
            facility,
            kind == ViewKind::Diagnosis,
            cfg,
            now,
        )),
        ViewKind::Checkup => renderer.checkup_pdf(&checkup_report(records, p, facility, cfg, now)),
    };
    r.map_err(|e| PdfError::Renderer(e.to_string()))
}

/// `2023年12月` from a 診療年月.
fn month(m: YearMonth) -> String {
    let c = m.code();
    format!("{}年{}月", &c[..4], &c[4..])
}

fn header(pt: &Patient) -> Markup {
    html! {
        table.patient {
            tr { th { "氏名" } td.big { (pt.name) } th { "カナ" } td { (pt.name_kana) } }
            tr { th { "生年月日" } td { (pt.birthdate.format("%Y年%m月%d日")) } th { "性別" } td { (pt.sex) } }
            tr {
                th { "保険者番号" } td.mono { (pt.insurer_number) }
                th { "記号・番号・枝番" }
                td.mono { (pt.symbol.as_deref().unwrap_or("－")) "・" (pt.number) "・" (pt.branch) }
            }
        }
    }
}

/// The body of the viewer for `kind` (the console wraps it in its layout).
pub fn html_body(
    records: &dyn MedicalRecords,
    pop: &sim_core::Population,
    p: &Person,
    facility: &str,
    kind: ViewKind,
    cfg: &MedicalConfig,
    now: NaiveDateTime,
) -> Markup {
    match kind {
        ViewKind::Qualification => {
            let pt = patient(p, now);
            let q = p.card_on(now.date());
            html! {
                (header(&pt))
                @if let Some(q) = q {
                    table.data {
                        tr { th { "保険者名" } td { (pop.insurer(&q.insurer).map_or("", |i| i.name.as_str())) } }
                        tr { th { "資格取得日" } td { (q.acquired.format("%Y年%m月%d日")) } }
                        tr { th { "資格喪失日" } td { (q.lost.map(|l| l.date.format("%Y年%m月%d日").to_string()).unwrap_or_else(|| "—".into())) } }
                        tr { th { "資格の状態" } td { (if q.is_active_on(now.date()) { "有効" } else { "無効（喪失）" }) } }
                        tr { th { "本人・家族" } td { (match q.relationship { sim_core::Relationship::Insured => "本人", _ => "家族" }) } }
                        tr { th { "住所" } td { (p.address) } }
                    }
                } @else {
                    p.notice { "資格情報がありません。" }
                }
            }
        }
        ViewKind::Drug | ViewKind::Diagnosis => {
            let r = drug_report(records, p, facility, kind == ViewKind::Diagnosis, cfg, now);
            html! {
                (header(&r.patient))
                p { "対象期間: " (month(r.from)) " 〜 " (month(r.to)) }
                @if r.months.is_empty() {
                    p.notice { "この期間の" (kind.label()) "はありません。" }
                }
                @for m in &r.months {
                    section.month {
                        h3 { (month(m.month)) " — " (m.dispensing.name) " （" (m.dispensing.code) "）" }
                        p { "処方: " (m.prescribing.name) " （" (m.prescribing.code) "）" @if m.outside { "・院外処方" } }
                        @for d in &m.days {
                            @if kind == ViewKind::Drug {
                                table.data {
                                    tr { th { "調剤日" } th { "医薬品名" } th { "用法" } th { "数量" } th { "日数・回数" } }
                                    @for l in &d.drugs {
                                        tr {
                                            td { (d.dispensed.format("%Y/%m/%d")) }
                                            td { (l.name) }
                                            td { (l.usage) }
                                            td { (sim_core::engine::medical::quantity_text(l.quantity)) (l.unit) }
                                            td { (l.times) }
                                        }
                                    }
                                }
                            } @else {
                                table.data {
                                    tr { th { "診療日" } th { "診療行為" } th { "回数" } }
                                    @for t in &d.treatments {
                                        tr { td { (d.prescribed.format("%Y/%m/%d")) } td { (t.name) } td { (t.times) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        ViewKind::Checkup => {
            let r = checkup_report(records, p, facility, cfg, now);
            html! {
                (header(&r.patient))
                p { "対象期間: " (r.from.format("%Y/%m/%d")) " 〜 " (r.to.format("%Y/%m/%d")) }
                @if r.checkups.is_empty() {
                    p.notice { "この期間の特定健診情報はありません。" }
                }
                @for c in &r.checkups {
                    section.month {
                        h3 { (c.date.format("%Y年%m月%d日")) " — " (c.institution.name) }
                        table.data {
                            tr { th { "項目" } th { "結果" } }
                            @for i in &c.items { tr { td { (i.name) } td { (i.value.display()) } } }
                        }
                    }
                }
            }
        }
    }
}
