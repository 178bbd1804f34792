//! `simulator disaster …`: the operator's and a facility's disaster-mode commands against a
//! running simulator (`--server`, `SIMULATOR_URL`). Operator commands send the admin token
//! (`--admin-token`, `SIMULATOR_ADMIN_TOKEN`; `simulator serve` prints it).

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use hyper::body::Bytes;
use serde_json::Value;

use crate::http::disaster::{CloseBody, ExtendBody, OpenBody, QueryBody, SearchBody};

/// `simulator disaster …`.
#[derive(Args, Debug)]
pub struct DisasterArgs {
    /// URL of the running simulator.
    #[arg(long, env = "SIMULATOR_URL", default_value = crate::client::DEFAULT_URL)]
    server: String,
    /// The operator token printed by `simulator serve` (or given to it with --admin-token).
    #[arg(long, env = "SIMULATOR_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    #[command(subcommand)]
    action: DisasterAction,
}

#[derive(Subcommand, Debug)]
enum DisasterAction {
    /// Open disaster mode for areas (prefecture 13 / 東京都, municipality 131041 / 新宿区, 政令市 大阪市).
    Open {
        /// Areas, one or more.
        #[arg(long = "area", required = true)]
        areas: Vec<String>,
        /// From (yyyy-mm-ddTHH:MM[:SS]); default now on the simulator clock.
        #[arg(long)]
        start: Option<String>,
        /// Until (yyyy-mm-ddTHH:MM[:SS]).
        #[arg(long, conflicts_with = "days")]
        end: Option<String>,
        /// Or for this many days from the start.
        #[arg(long)]
        days: Option<u32>,
        /// What it is for.
        #[arg(long)]
        title: Option<String>,
    },
    /// Close an activation now.
    Close {
        /// The activation number.
        activation: u32,
    },
    /// Extend an activation for one facility.
    Extend {
        /// The activation number.
        activation: u32,
        /// 医療機関コード.
        #[arg(long)]
        facility: String,
        /// Until (yyyy-mm-ddTHH:MM[:SS]).
        #[arg(long)]
        until: String,
    },
    /// Show the activations.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Search for a patient without the card, as a facility.
    Search {
        /// 医療機関コード of the facility searching.
        #[arg(long)]
        facility: String,
        /// Who is searching (recorded in the audit log).
        #[arg(long, default_value = "")]
        operator: String,
        /// 氏名 (kanji or kana).
        #[arg(long)]
        name: Option<String>,
        /// 生年月日 (yyyy-mm-dd).
        #[arg(long)]
        birthdate: String,
        /// 性別: male or female.
        #[arg(long)]
        sex: Option<String>,
        /// Part of the 住所.
        #[arg(long)]
        address: Option<String>,
        /// 保険者番号 (search by insurance instead of name).
        #[arg(long)]
        insurer: Option<String>,
        /// 記号.
        #[arg(long)]
        symbol: Option<String>,
        /// 番号.
        #[arg(long)]
        number: Option<String>,
        /// 枝番.
        #[arg(long)]
        branch: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// View a person's information as a facility (recorded in the audit log).
    View {
        /// The person's id (from `search`).
        person: String,
        /// 医療機関コード.
        #[arg(long)]
        facility: String,
        /// Who.
        #[arg(long, default_value = "")]
        operator: String,
        /// qualification, drug, diagnosis or checkup.
        #[arg(long, default_value = "qualification")]
        kind: String,
        /// html or pdf.
        #[arg(long, default_value = "html")]
        format: String,
        /// oral (口頭同意) or waived (意識不明等).
        #[arg(long)]
        consent: String,
        /// Write to this file (default stdout).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Print the audit log (a table, or CSV with --csv).
    Audit {
        /// CSV (UTF-8, CRLF) instead of a table.
        #[arg(long)]
        csv: bool,
    },
}

fn headers(token: Option<&str>) -> Vec<(&'static str, String)> {
    token
        .map(|t| vec![("authorization", format!("Bearer {t}"))])
        .unwrap_or_default()
}

async fn post(
    args: &DisasterArgs,
    path: &str,
    body: &impl serde::Serialize,
) -> anyhow::Result<Bytes> {
    let json = serde_json::to_vec(body).context("encoding the request")?;
    crate::client::request_with(
        &args.server,
        path,
        hyper::Method::POST,
        Bytes::from(json),
        &headers(args.admin_token.as_deref()),
    )
    .await
}

async fn get(args: &DisasterArgs, path: &str) -> anyhow::Result<Bytes> {
    crate::client::request_with(
        &args.server,
        path,
        hyper::Method::GET,
        Bytes::new(),
        &headers(args.admin_token.as_deref()),
    )
    .await
}

fn print_activation(a: &Value) {
    let s = |v: &Value| v.as_str().unwrap_or("").to_owned();
    println!(
        "#{} {} [{}] {} → {}{}",
        a["id"],
        s(&a["title"]),
        s(&a["phase_label"]),
        s(&a["start"]),
        s(&a["end"]),
        a["closed_at"]
            .as_str()
            .map(|c| format!(" (closed {c})"))
            .unwrap_or_default()
    );
    let names: Vec<String> = a["municipalities"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| format!("{} {}", s(&m["code"]), s(&m["name"])))
        .collect();
    println!("    municipalities: {}", names.join(", "));
    for e in a["extensions"].as_array().into_iter().flatten() {
        println!(
            "    extended: {} {} until {}",
            s(&e["facility"]),
            s(&e["facility_name"]),
            s(&e["until"])
        );
    }
}

/// Runs `simulator disaster …`.
pub async fn run(args: DisasterArgs) -> anyhow::Result<()> {
    match &args.action {
        DisasterAction::Open {
            areas,
            start,
            end,
            days,
            title,
        } => {
            let body = OpenBody {
                areas: areas.clone(),
                start: start.clone(),
                end: end.clone(),
                days: *days,
                title: title.clone(),
            };
            let a: Value =
                serde_json::from_slice(&post(&args, "/admin/disaster/open", &body).await?)?;
            print_activation(&a);
        }
        DisasterAction::Close { activation } => {
            let body = CloseBody {
                activation: *activation,
            };
            let a: Value =
                serde_json::from_slice(&post(&args, "/admin/disaster/close", &body).await?)?;
            print_activation(&a);
        }
        DisasterAction::Extend {
            activation,
            facility,
            until,
        } => {
            let body = ExtendBody {
                activation: *activation,
                facility: facility.clone(),
                until: until.clone(),
            };
            let a: Value =
                serde_json::from_slice(&post(&args, "/admin/disaster/extend", &body).await?)?;
            print_activation(&a);
        }
        DisasterAction::Status { json } => {
            let body = get(&args, "/admin/disaster").await?;
            if *json {
                println!("{}", String::from_utf8_lossy(&body));
                return Ok(());
            }
            let v: Value = serde_json::from_slice(&body)?;
            println!("now {}", v["now"].as_str().unwrap_or(""));
            let list = v["activations"].as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                println!("(disaster mode has never been opened)");
            }
            for a in &list {
                print_activation(a);
            }
        }
        DisasterAction::Search {
            facility,
            operator,
            name,
            birthdate,
            sex,
            address,
            insurer,
            symbol,
            number,
            branch,
            json,
        } => {
            let body = SearchBody {
                facility: facility.clone(),
                operator: operator.clone(),
                query: QueryBody {
                    name: name.clone(),
                    sex: sex.clone(),
                    address: address.clone(),
                    insurer: insurer.clone(),
                    symbol: symbol.clone(),
                    number: number.clone(),
                    branch: branch.clone(),
                    birthdate: birthdate.clone(),
                },
            };
            let bytes = post(&args, "/disaster/search", &body).await?;
            if *json {
                println!("{}", String::from_utf8_lossy(&bytes));
                return Ok(());
            }
            let v: Value = serde_json::from_slice(&bytes)?;
            let hits = v["hits"].as_array().cloned().unwrap_or_default();
            if hits.is_empty() {
                println!("(該当者なし)");
            }
            for h in hits {
                let s = |v: &Value| v.as_str().unwrap_or("").to_owned();
                let q = &h["qualification"];
                println!(
                    "{:20} {} ({}) {} {} | {} {}・{}・{} {}",
                    s(&h["person"]),
                    s(&h["name"]),
                    s(&h["name_kana"]),
                    s(&h["sex"]),
                    s(&h["birthdate"]),
                    s(&q["insurer"]),
                    s(&q["symbol"]),
                    s(&q["number"]),
                    s(&q["branch"]),
                    if q["valid"].as_bool() == Some(true) {
                        "有効"
                    } else {
                        "無効"
                    }
                );
            }
            if v["truncated"].as_bool() == Some(true) {
                println!("(以降省略: 条件を絞ってください)");
            }
        }
        DisasterAction::View {
            person,
            facility,
            operator,
            kind,
            format,
            consent,
            out,
        } => {
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("facility", facility)
                .append_pair("operator", operator)
                .append_pair("kind", kind)
                .append_pair("format", format)
                .append_pair("consent", consent);
            let path = format!(
                "/disaster/view/{}?{}",
                form_urlencoded::byte_serialize(person.as_bytes()).collect::<String>(),
                q.finish()
            );
            let body = get(&args, &path).await?;
            match out {
                Some(file) => std::fs::write(file, &body)
                    .with_context(|| format!("writing {}", file.display()))?,
                None if format == "pdf" => bail!("a PDF goes to a file: add --out FILE"),
                None => println!("{}", String::from_utf8_lossy(&body)),
            }
        }
        DisasterAction::Audit { csv } => {
            if *csv {
                let body = get(&args, "/admin/disaster/audit.csv").await?;
                let text = String::from_utf8_lossy(&body);
                print!("{}", text.trim_start_matches('\u{feff}'));
                return Ok(());
            }
            let rows: Vec<Value> =
                serde_json::from_slice(&get(&args, "/admin/disaster/audit").await?)?;
            if rows.is_empty() {
                println!("(the audit log is empty)");
            }
            for r in rows {
                let s = |k: &str| r[k].as_str().unwrap_or("").to_owned();
                println!(
                    "{:>5} {} {:8} {} {} [{}] {} → {} | {}",
                    r["id"],
                    s("at"),
                    s("action"),
                    s("facility"),
                    s("operator"),
                    s("consent"),
                    s("query"),
                    s("persons"),
                    s("outcome")
                );
            }
        }
    }
    Ok(())
}
