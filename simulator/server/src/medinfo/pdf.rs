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

/// One line of the report: text at an indent, in a size, optionally with a rule under it, and
/// further cells at fixed offsets (table columns).
struct Line {
    indent: f32,
    size: f32,
    text: String,
    cells: Vec<(f32, String)>,
    rule: bool,
    /// Start a new page before a section heading that would be alone at the bottom.
    keep_with_next: bool,
}

fn line(indent: f32, size: f32, text: impl Into<String>) -> Line {
    Line {
        indent,
        size,
        text: text.into(),
        cells: Vec::new(),
        rule: false,
        keep_with_next: false,
    }
}

/// A table row: the first cell at `indent`, the others at their offsets from the margin.
fn row(indent: f32, size: f32, first: impl Into<String>, cells: Vec<(f32, String)>) -> Line {
    Line {
        cells,
        ..line(indent, size, first)
    }
}

/// The width of `text` at `size`, from the font's East Asian widths: full-width characters one
/// em, ASCII and half-width kana about half (IPAexGothic's Latin is proportional; this errs wide).
fn text_width(text: &str, size: f32) -> f32 {
    text.chars()
        .map(|c| {
            if c.is_ascii() || ('\u{FF61}'..='\u{FF9F}').contains(&c) {
                0.6
            } else {
                1.0
            }
        })
        .sum::<f32>()
        * size
}

/// `text` cut with an ellipsis to fit `width`.
fn fit(text: &str, size: f32, width: f32) -> String {
    if text_width(text, size) <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        let mut next = out.clone();
        next.push(c);
        next.push('…');
        if text_width(&next, size) > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

fn heading(text: impl Into<String>) -> Line {
    Line {
        indent: 0.0,
        size: 12.0,
        text: text.into(),
        cells: Vec::new(),
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
            if m.outside {
                format!(
                    "院外処方　処方 {}（{}）　調剤 {}（{}）",
                    m.prescribing.name, m.prescribing.code, m.dispensing.name, m.dispensing.code
                )
            } else {
                format!("院内処方　{}（{}）", m.prescribing.name, m.prescribing.code)
            },
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
                let days = match l.class {
                    sim_core::medical::DrugClass::Internal => "日分",
                    _ => "回",
                };
                lines.push(row(
                    18.0,
                    9.5,
                    l.name.clone(),
                    vec![
                        (330.0, format!("{}{}", quantity_text(l.quantity), l.unit)),
                        (390.0, format!("{}{days}", l.times)),
                    ],
                ));
                lines.push(row(
                    26.0,
                    7.5,
                    format!("一般名 {}", l.generic_name),
                    vec![
                        (250.0, l.usage.clone()),
                        (400.0, format!("{}　{}", l.class.name(), l.code)),
                    ],
                ));
            }
            for t in &d.treatments {
                lines.push(row(
                    18.0,
                    9.0,
                    format!("診療行為　{}", t.name),
                    vec![(390.0, format!("{}回", t.times)), (440.0, t.code.clone())],
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
            let (value, unit) = match &i.value {
                sim_core::medical::CheckupValue::Quantity { unit, .. } => {
                    (i.value.text(), (*unit).to_owned())
                }
                sim_core::medical::CheckupValue::Coded { name, .. } => {
                    ((*name).to_owned(), String::new())
                }
            };
            lines.push(row(
                10.0,
                10.0,
                i.name,
                vec![(190.0, value), (250.0, unit), (330.0, i.code.to_owned())],
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
            // Each cell is cut to the start of the next one (the last to the right margin).
            let mut cells = vec![(l.indent, l.text.as_str())];
            cells.extend(l.cells.iter().map(|(x, t)| (*x, t.as_str())));
            for (k, (x, text)) in cells.iter().enumerate() {
                let end = cells
                    .get(k + 1)
                    .map_or(WIDTH - 2.0 * MARGIN, |(n, _)| *n - 6.0);
                let text = fit(text, l.size, end - x);
                surface.draw_text(
                    Point::from_xy(MARGIN + x, *y),
                    font.clone(),
                    l.size,
                    &text,
                    false,
                    TextDirection::Auto,
                );
            }
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
