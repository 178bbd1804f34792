//! The same reports as HTML fragments (a `<section>` each, no scripts, every value escaped), for
//! viewers in the browser (e.g. the disaster-mode console). Layout as the PDF: the patient header,
//! then one table per month (drugs) or per checkup.

use std::fmt::Write;

use chrono::Datelike;
use sim_core::engine::medical::quantity_text;
use sim_core::medical::{CheckupReport, DrugClass, DrugReport, Patient};

/// `s` with `&`, `<`, `>`, `"` and `'` escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn patient(out: &mut String, title: &str, p: &Patient) {
    let _ = write!(
        out,
        "<h2>{}</h2><p class=\"mock\">模擬：シミュレータが合成した架空のデータです</p>\
         <dl class=\"patient\"><dt>氏名</dt><dd>{}（{}）</dd><dt>生年月日</dt><dd>{}年{:02}月{:02}日</dd>\
         <dt>性別</dt><dd>{}</dd><dt>保険者番号・記号・番号・枝番</dt><dd>{}・{}・{}・{}</dd></dl>",
        escape(title),
        escape(&p.name),
        escape(&p.name_kana),
        p.birthdate.year(),
        p.birthdate.month(),
        p.birthdate.day(),
        p.sex,
        escape(&p.insurer_number),
        escape(p.symbol.as_deref().unwrap_or("－")),
        escape(&p.number),
        escape(&p.branch),
    );
}

/// The drug report as an HTML `<section>`.
pub fn drug_html(r: &DrugReport) -> String {
    let mut out = String::from("<section class=\"medinfo drug\">");
    patient(&mut out, "薬剤情報（模擬）", &r.patient);
    if r.months.is_empty() {
        out.push_str("<p>該当する薬剤情報はありません。</p>");
    }
    for m in &r.months {
        let _ = write!(
            out,
            "<h3>{}年{:02}月　{}（{}）{}</h3><table><tr><th>調剤日</th><th>医薬品名</th><th>一般名</th>\
             <th>数量</th><th>用法</th><th>日数・回数</th><th>医薬品コード</th></tr>",
            m.month.year,
            m.month.month,
            escape(&m.prescribing.name),
            escape(&m.prescribing.code),
            if m.outside {
                format!(
                    "　院外：{}（{}）",
                    escape(&m.dispensing.name),
                    escape(&m.dispensing.code)
                )
            } else {
                "　院内".to_owned()
            }
        );
        for d in &m.days {
            for l in &d.drugs {
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}{}</td><td>{}</td></tr>",
                    d.dispensed.format("%Y/%m/%d"),
                    escape(&l.name),
                    escape(&l.generic_name),
                    quantity_text(l.quantity),
                    escape(&l.unit),
                    escape(&l.usage),
                    l.times,
                    if l.class == DrugClass::Internal {
                        "日分"
                    } else {
                        "回"
                    },
                    escape(&l.code),
                );
            }
        }
        out.push_str("</table>");
    }
    out.push_str("</section>");
    out
}

/// The checkup report as an HTML `<section>`.
pub fn checkup_html(r: &CheckupReport) -> String {
    let mut out = String::from("<section class=\"medinfo checkup\">");
    patient(&mut out, "特定健診情報（模擬）", &r.patient);
    if r.checkups.is_empty() {
        out.push_str("<p>該当する特定健診情報はありません。</p>");
    }
    for c in &r.checkups {
        let fiscal = if c.date.month() >= 4 {
            c.date.year()
        } else {
            c.date.year() - 1
        };
        let _ = write!(
            out,
            "<h3>{fiscal}年度　実施日 {}　{}（{}）</h3><table><tr><th>項目</th><th>結果</th><th>項目コード</th></tr>",
            c.date.format("%Y/%m/%d"),
            escape(&c.institution.name),
            escape(&c.institution.code)
        );
        for i in &c.items {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(i.name),
                escape(&i.value.display()),
                escape(i.code)
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</section>");
    out
}
