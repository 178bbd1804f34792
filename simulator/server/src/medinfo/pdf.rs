//! The PDF results (`FileCategory` 1/3): A4 pages in the embedded IPAexGothic (subset by krilla),
//! with the patient header as on the terminal's screen (氏名, カナ, 生年月日, 性別,
//! 保険者番号・記号・番号・枝番), then one section per month (drugs) or per checkup (fiscal year).
//! The real layout is not public; this one is the simulator's, marked 模擬.

use std::sync::OnceLock;

use chrono::Datelike;
use krilla::Document;
use krilla::geom::{PathBuilder, Point};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use sim_core::engine::medical::quantity_text;
use sim_core::medical::{CheckupReport, DrugReport, Patient};

/// IPAexGothic (IPA Font License v1.0; see `fonts/ipaexg/README.md`).
static FONT_BYTES: &[u8] = include_bytes!("../../fonts/ipaexg/ipaexg.ttf");

fn font() -> Option<Font> {
    static FONT: OnceLock<Option<Font>> = OnceLock::new();
    FONT.get_or_init(|| Font::new(FONT_BYTES.into(), 0)).clone()
}

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 42.0;

/// Why a PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The embedded font could not be read.
    #[error("the embedded font could not be read")]
    Font,
    /// krilla refused the document.
    #[error("PDF: {0}")]
    Krilla(String),
}

/// One line of the report: text at an indent, in a size, optionally with a rule under it.
struct Line {
    indent: f32,
    size: f32,
    text: String,
    rule: bool,
    /// Start a new page before a section heading that would be alone at the bottom.
    keep_with_next: bool,
}

fn line(indent: f32, size: f32, text: impl Into<String>) -> Line {
    Line {
        indent,
        size,
        text: text.into(),
        rule: false,
        keep_with_next: false,
    }
}

fn heading(text: impl Into<String>) -> Line {
    Line {
        indent: 0.0,
        size: 12.0,
        text: text.into(),
        rule: true,
        keep_with_next: true,
    }
}

fn date_jp(d: chrono::NaiveDate) -> String {
    format!("{}年{:02}月{:02}日", d.year(), d.month(), d.day())
}

fn patient_lines(title: &str, p: &Patient) -> Vec<Line> {
    let keys = format!(
        "保険者番号 {}　記号 {}　番号 {}　枝番 {}",
        p.insurer_number,
        p.symbol.as_deref().unwrap_or("－"),
        p.number,
        p.branch
    );
    vec![
        Line {
            size: 16.0,
            ..heading(title)
        },
        line(
            0.0,
            9.0,
            "（模擬：オンライン資格確認シミュレータが合成した架空のデータです）",
        ),
        line(0.0, 11.0, format!("氏名　{}　（{}）", p.name, p.name_kana)),
        line(
            0.0,
            10.0,
            format!("生年月日　{}　　性別　{}", date_jp(p.birthdate), p.sex),
        ),
        line(0.0, 10.0, keys),
    ]
}

fn request_line(mic: &str, afi: Option<&str>, made: chrono::NaiveDateTime) -> Line {
    line(
        0.0,
        8.5,
        format!(
            "照会医療機関コード {mic}　任意のファイル識別子 {}　作成 {}",
            afi.unwrap_or("－"),
            made.format("%Y/%m/%d %H:%M:%S")
        ),
    )
}

/// The drug report.
pub fn drug_pdf(r: &DrugReport) -> Result<Vec<u8>, PdfError> {
    let mut lines = patient_lines(
        if r.with_diagnosis {
            "薬剤情報・診療情報（模擬）"
        } else {
            "薬剤情報（模擬）"
        },
        &r.patient,
    );
    lines.push(line(
        0.0,
        10.0,
        format!(
            "照会期間　{}年{:02}月～{}年{:02}月",
            r.from.year, r.from.month, r.to.year, r.to.month
        ),
    ));
    lines.push(request_line(
        &r.medical_institution_code,
        r.arbitrary_file_identifier.as_deref(),
        r.made_at,
    ));
    if r.months.is_empty() {
        lines.push(line(0.0, 11.0, "該当する薬剤情報はありません。"));
    }
    let mut current = None;
    for m in &r.months {
        if current != Some(m.month) {
            current = Some(m.month);
            lines.push(heading(format!("{}年{:02}月", m.month.year, m.month.month)));
        }
        lines.push(line(
            4.0,
            10.0,
            format!(
                "調剤 {}（{}）　処方 {}（{}）　{}",
                m.dispensing.name,
                m.dispensing.code,
                m.prescribing.name,
                m.prescribing.code,
                if m.outside { "院外" } else { "院内" }
            ),
        ));
        for d in &m.days {
            lines.push(line(
                10.0,
                9.5,
                format!(
                    "調剤日 {}　処方日 {}",
                    d.dispensed.format("%Y/%m/%d"),
                    d.prescribed.format("%Y/%m/%d")
                ),
            ));
            for l in &d.drugs {
                lines.push(line(
                    18.0,
                    9.5,
                    format!(
                        "{}　{}{}　{}　{}{}（{}）　［{}］",
                        l.name,
                        quantity_text(l.quantity),
                        l.unit,
                        l.usage,
                        l.times,
                        match l.class {
                            sim_core::medical::DrugClass::Internal => "日分",
                            _ => "回",
                        },
                        l.class.name(),
                        l.generic_name
                    ),
                ));
            }
            for t in &d.treatments {
                lines.push(line(
                    18.0,
                    9.0,
                    format!("診療行為　{}（{}）×{}", t.name, t.code, t.times),
                ));
            }
        }
    }
    render(&lines)
}

/// The checkup report.
pub fn checkup_pdf(r: &CheckupReport) -> Result<Vec<u8>, PdfError> {
    let mut lines = patient_lines("特定健診情報（模擬）", &r.patient);
    lines.push(line(
        0.0,
        10.0,
        format!("照会期間　{}～{}", date_jp(r.from), date_jp(r.to)),
    ));
    lines.push(request_line(
        &r.medical_institution_code,
        r.arbitrary_file_identifier.as_deref(),
        r.made_at,
    ));
    if r.checkups.is_empty() {
        lines.push(line(0.0, 11.0, "該当する特定健診情報はありません。"));
    }
    for c in &r.checkups {
        let fiscal = if c.date.month() >= 4 {
            c.date.year()
        } else {
            c.date.year() - 1
        };
        lines.push(heading(format!(
            "{fiscal}年度　実施日 {}　{}（{}）",
            c.date.format("%Y/%m/%d"),
            c.institution.name,
            c.institution.code
        )));
        for i in &c.items {
            lines.push(line(
                10.0,
                10.0,
                format!("{}　{}　［{}］", i.name, i.value.display(), i.code),
            ));
        }
    }
    render(&lines)
}

fn rule(surface: &mut Surface<'_>, y: f32) {
    let mut pb = PathBuilder::new();
    pb.move_to(MARGIN, y);
    pb.line_to(WIDTH - MARGIN, y);
    if let Some(path) = pb.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            width: 0.6,
            ..Stroke::default()
        }));
        surface.draw_path(&path);
        surface.set_stroke(None);
        surface.set_fill(Some(Fill::default()));
    }
}

/// Lays the lines out on as many A4 pages as needed, with a page number at the foot.
fn render(lines: &[Line]) -> Result<Vec<u8>, PdfError> {
    let font = font().ok_or(PdfError::Font)?;
    // Split into pages first (the page count goes in each footer).
    let mut pages: Vec<Vec<(f32, &Line)>> = vec![Vec::new()];
    let mut y = MARGIN;
    for (i, l) in lines.iter().enumerate() {
        let advance = l.size * 1.55 + if l.rule { 4.0 } else { 0.0 };
        let next = lines.get(i + 1).map_or(0.0, |n| n.size * 1.55);
        let needed = advance + if l.keep_with_next { next } else { 0.0 };
        if y + needed > HEIGHT - MARGIN - 14.0 && !pages.last().is_none_or(Vec::is_empty) {
            pages.push(Vec::new());
            y = MARGIN;
        }
        y += l.size * 1.3;
        if let Some(page) = pages.last_mut() {
            page.push((y, l));
        }
        y += advance - l.size * 1.3;
    }
    let total = pages.len();
    let mut document = Document::new();
    for (n, page_lines) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(WIDTH, HEIGHT).ok_or(PdfError::Font)?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        surface.set_fill(Some(Fill::default()));
        for (y, l) in page_lines {
            // Long lines are cut to the page width (about one em per character).
            let max_chars = ((WIDTH - 2.0 * MARGIN - l.indent) / (l.size * 0.92)) as usize;
            let text: String = if l.text.chars().count() > max_chars {
                l.text
                    .chars()
                    .take(max_chars.saturating_sub(1))
                    .chain(['…'])
                    .collect()
            } else {
                l.text.clone()
            };
            surface.draw_text(
                Point::from_xy(MARGIN + l.indent, *y),
                font.clone(),
                l.size,
                &text,
                false,
                TextDirection::Auto,
            );
            if l.rule {
                rule(&mut surface, *y + 4.0);
            }
        }
        surface.draw_text(
            Point::from_xy(WIDTH / 2.0 - 20.0, HEIGHT - MARGIN + 10.0),
            font.clone(),
            8.0,
            &format!("{} / {}", n + 1, total),
            false,
            TextDirection::Auto,
        );
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| PdfError::Krilla(format!("{e:?}")))
}
