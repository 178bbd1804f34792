//! The simulator's configuration: `default-config.toml` (embedded and printed by
//! `simulator config show`) overlaid by a user file, then by command-line options.

use std::path::PathBuf;

use anyhow::{Context, bail};
use serde::Deserialize;
use sim_core::engine::{BulkConfig, EngineConfig, NewerResults, PartialRatio, ReferencePlacement};
use sim_messages::{ErrorCatalogue, TextEncoding, XmlStyle};

/// The commented default configuration.
pub const DEFAULT_CONFIG: &str = include_str!("../default-config.toml");

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The terminal's file interface.
    pub terminal: Terminal,
    /// Eligibility rules.
    pub eligibility: Eligibility,
    /// The generated population.
    pub population: PopulationConfig,
    /// HTTP.
    pub http: Http,
    /// Web API.
    pub webapi: WebApi,
    /// The journal.
    pub journal: JournalConfig,
    /// Bulk checks.
    pub bulk: BulkSettings,
    /// 照会番号 registration.
    pub reference_numbers: ReferenceNumberSettings,
    /// The face-auth card reader.
    pub reader: ReaderConfig,
    /// 薬剤情報 / 特定健診情報.
    #[serde(default)]
    pub medical: MedicalSettings,
    /// Claim re-routing (`simulator claims route`, `POST /claims/route`).
    #[serde(default)]
    pub claims: ClaimsSettings,
}

/// `[medical]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedicalSettings {
    /// Months of drug history, this month included.
    pub drug_months: u32,
    /// Years of 特定健診.
    pub checkup_years: u32,
}

impl Default for MedicalSettings {
    fn default() -> Self {
        MedicalSettings {
            drug_months: 36,
            checkup_years: 5,
        }
    }
}

/// `[claims]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimsSettings {
    /// `[claims.notice]`: the notice texts (every key optional).
    #[serde(default)]
    pub notice: sim_core::claims::NoticeTexts,
}

/// `[reader]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReaderConfig {
    /// See the default file.
    pub medical_institution_code: String,
    /// `end-of-next-day` or `<n>h`.
    pub consent_window: String,
}

/// `[bulk]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkSettings {
    /// See the default file.
    pub max_units: usize,
    /// See the default file.
    pub base_ms: u64,
    /// See the default file.
    pub per_unit_ms: f64,
    /// `unit`, `result` or `both`.
    pub reference_number: String,
    /// `xml` or `zip`.
    pub download_format: String,
    /// Hours a job is kept after its result is ready.
    pub retention_hours: u32,
    /// 医療扶助: the 指定医療機関 tickets are issued to.
    pub medical_aid_facilities: Vec<String>,
}

/// `[reference_numbers]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceNumberSettings {
    /// See the default file.
    pub max_chars: usize,
}

/// `[terminal]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Terminal {
    /// `shift_jis` or `utf-8`.
    pub result_encoding: String,
    /// Spaces per indentation level.
    pub indent: usize,
    /// `crlf` or `lf`.
    pub line_ending: String,
    /// `[min, max]` in milliseconds.
    pub response_delay_ms: [u64; 2],
    /// `auto` or `poll`.
    pub watch: String,
    /// Scan interval.
    pub poll_interval_ms: u64,
    /// fsync results.
    pub fsync: bool,
    /// Request size limit.
    pub max_request_bytes: usize,
    /// `.err` content template.
    pub err_template: String,
    /// Path of an error catalogue file.
    pub error_catalogue: Option<PathBuf>,
}

/// `[eligibility]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Eligibility {
    /// See the default file.
    pub not_found_is_error: bool,
    /// See the default file.
    pub enforce_check_digit: bool,
    /// See the default file.
    pub allow_future_date: bool,
    /// `current` or `searched-and-current`.
    pub newer_results: String,
    /// `always` or `kouki-only`.
    pub partial_ratio: String,
}

/// `[population]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationConfig {
    /// Generator seed.
    pub seed: u64,
    /// Generated persons.
    pub size: usize,
    /// A population file (`simulator population generate`) to load instead of generating.
    #[serde(default)]
    pub file: Option<PathBuf>,
}

/// `[http]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Http {
    /// Listen address.
    pub listen: String,
}

/// `[webapi]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebApi {
    /// Token lifetime.
    pub token_lifetime_s: u64,
}

/// `[journal]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalConfig {
    /// Retention.
    pub max_entries: u64,
}

impl Config {
    /// The defaults.
    pub fn default_config() -> Config {
        toml::from_str(DEFAULT_CONFIG)
            .unwrap_or_else(|e| unreachable!("default-config.toml is valid: {e}"))
    }

    /// The defaults overlaid with the file at `path`.
    pub fn load(path: Option<&std::path::Path>) -> anyhow::Result<Config> {
        let Some(path) = path else {
            return Ok(Config::default_config());
        };
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut base: toml::Table = toml::from_str(DEFAULT_CONFIG)?;
        let user: toml::Table =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        merge(&mut base, user);
        let config: Config = toml::Value::Table(base)
            .try_into()
            .with_context(|| format!("invalid configuration in {}", path.display()))?;
        config.engine_config()?;
        Ok(config)
    }

    /// The result encoding.
    pub fn encoding(&self) -> anyhow::Result<TextEncoding> {
        match self.terminal.result_encoding.as_str() {
            "shift_jis" | "Shift_JIS" | "sjis" => Ok(TextEncoding::ShiftJis),
            "utf-8" | "UTF-8" | "utf8" => Ok(TextEncoding::Utf8),
            other => bail!("terminal.result_encoding is \"shift_jis\" or \"utf-8\", not {other:?}"),
        }
    }

    /// The face-auth reader settings this configuration describes.
    pub fn reader_settings(&self) -> anyhow::Result<crate::reader::ReaderSettings> {
        let r = &self.reader;
        let mic = r.medical_institution_code.trim();
        if !sim_core::engine::is_medical_institution_code(mic) {
            bail!("[reader] medical_institution_code must be 10 digits, not {mic:?}");
        }
        let window = match r.consent_window.trim() {
            "end-of-next-day" => sim_core::engine::ConsentWindow::EndOfNextDay,
            other => match other.strip_suffix('h').and_then(|h| h.parse::<u32>().ok()) {
                Some(h) if h > 0 => sim_core::engine::ConsentWindow::Hours(h),
                _ => bail!(
                    "[reader] consent_window must be \"end-of-next-day\" or hours like \"24h\", not {other:?}"
                ),
            },
        };
        Ok(crate::reader::ReaderSettings {
            medical_institution_code: mic.to_owned(),
            window,
        })
    }

    /// The engine settings this configuration describes.
    pub fn engine_config(&self) -> anyhow::Result<EngineConfig> {
        let t = &self.terminal;
        let e = &self.eligibility;
        let catalogue = match &t.error_catalogue {
            None => ErrorCatalogue::mock(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading error catalogue {}", path.display()))?;
                ErrorCatalogue::from_toml(&text)
                    .with_context(|| format!("error catalogue {}", path.display()))?
            }
        };
        if t.response_delay_ms[0] > t.response_delay_ms[1] {
            bail!("terminal.response_delay_ms is [min, max] with min <= max");
        }
        if !matches!(t.watch.as_str(), "auto" | "poll") {
            bail!("terminal.watch is \"auto\" or \"poll\", not {:?}", t.watch);
        }
        if self.medical.drug_months == 0 || self.medical.checkup_years == 0 {
            bail!("medical.drug_months and medical.checkup_years are at least 1");
        }
        Ok(EngineConfig {
            medical: sim_core::engine::MedicalConfig {
                drug_months: self.medical.drug_months,
                checkup_years: self.medical.checkup_years,
            },
            result_encoding: self.encoding()?,
            style: XmlStyle {
                indent: t.indent,
                crlf: match t.line_ending.as_str() {
                    "crlf" => true,
                    "lf" => false,
                    other => bail!("terminal.line_ending is \"crlf\" or \"lf\", not {other:?}"),
                },
            },
            catalogue,
            not_found_is_error: e.not_found_is_error,
            enforce_check_digit: e.enforce_check_digit,
            allow_future_date: e.allow_future_date,
            newer_results: match e.newer_results.as_str() {
                "current" => NewerResults::Current,
                "searched-and-current" => NewerResults::SearchedAndCurrent,
                other => bail!(
                    "eligibility.newer_results is \"current\" or \"searched-and-current\", not {other:?}"
                ),
            },
            partial_ratio: match e.partial_ratio.as_str() {
                "always" => PartialRatio::Always,
                "kouki-only" => PartialRatio::KoukiOnly,
                other => bail!(
                    "eligibility.partial_ratio is \"always\" or \"kouki-only\", not {other:?}"
                ),
            },
            max_request_bytes: t.max_request_bytes,
            err_template: t.err_template.clone(),
            bulk: BulkConfig {
                max_units: self.bulk.max_units,
                base_ms: self.bulk.base_ms,
                per_unit_ms: if self.bulk.per_unit_ms.is_finite() && self.bulk.per_unit_ms >= 0.0 {
                    self.bulk.per_unit_ms
                } else {
                    bail!("bulk.per_unit_ms is a number of milliseconds >= 0")
                },
                reference_placement: match self.bulk.reference_number.as_str() {
                    "unit" => ReferencePlacement::Unit,
                    "result" => ReferencePlacement::Result,
                    "both" => ReferencePlacement::Both,
                    other => bail!(
                        "bulk.reference_number is \"unit\", \"result\" or \"both\", not {other:?}"
                    ),
                },
                zip_results: match self.bulk.download_format.as_str() {
                    "xml" => false,
                    "zip" => true,
                    other => bail!("bulk.download_format is \"xml\" or \"zip\", not {other:?}"),
                },
                retention: chrono::Duration::hours(i64::from(self.bulk.retention_hours)),
            },
            medical_aid: sim_core::medical_aid::MedicalAidConfig {
                designated_facilities: {
                    let f = &self.bulk.medical_aid_facilities;
                    if let Some(bad) = f
                        .iter()
                        .find(|c| !sim_core::engine::is_medical_institution_code(c))
                    {
                        bail!(
                            "bulk.medical_aid_facilities holds 10-digit 医療機関コード, not {bad:?}"
                        );
                    }
                    f.clone()
                },
            },
            reference_number_max_chars: self.reference_numbers.max_chars,
            claim_notices: self.claims.notice.clone(),
        })
    }
}

fn merge(base: &mut toml::Table, user: toml::Table) {
    for (k, v) in user {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(u)) => merge(b, u),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}
