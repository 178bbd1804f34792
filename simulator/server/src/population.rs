//! `simulator population generate|export`: writes a synthetic population file (JSON Lines in
//! constant memory, or binary — fast to load, built in memory at about 250 B a person — with a
//! progress bar on stderr), and exports the persons served — the named
//! fixtures plus a generated population or a population file — as JSON Lines or as CSV with one
//! row per qualification.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use sim_fixtures::file::{self, CSV_HEADER, InsurerRecord, PersonRecord, Record};
use sim_fixtures::generate::Options;
use sim_fixtures::names::NameRates;

/// What `simulator population` does.
#[derive(Subcommand, Debug)]
pub(crate) enum PopulationAction {
    /// Generate SIZE persons from SEED into a population file (same seed and size: the same bytes).
    Generate {
        /// Generator seed.
        #[arg(long, default_value_t = sim_fixtures::DEFAULT_SEED)]
        seed: u64,
        /// Number of persons.
        #[arg(long, default_value_t = sim_fixtures::DEFAULT_SIZE)]
        size: usize,
        /// Output file (JSON Lines; gzip'd if it ends in `.gz`; binary if it ends in `.bin`).
        #[arg(long)]
        out: PathBuf,
        /// File format; by default from the extension of --out (`.bin`: binary, else jsonl).
        #[arg(long, value_enum)]
        format: Option<FileFormat>,
        /// Share of households with a name edge case (異体字, long names, small kana), 0–1.
        #[arg(long, default_value_t = NameRates::default().edge)]
        edge_rate: f64,
        /// Share of households of foreign residents (names in katakana or Latin letters), 0–1.
        #[arg(long, default_value_t = NameRates::default().foreign)]
        foreign_rate: f64,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Export every person served (named fixtures first) with their insurance keys.
    Export {
        /// jsonl (the population file's records) or csv (one row per qualification).
        #[arg(long, value_enum, default_value_t = Format::Jsonl)]
        format: Format,
        /// Read this population file instead of generating.
        #[arg(long, env = "SIM_POPULATION")]
        population: Option<PathBuf>,
        /// Generator seed (without --population).
        #[arg(long, default_value_t = sim_fixtures::DEFAULT_SEED)]
        seed: u64,
        /// Number of generated persons (without --population).
        #[arg(long, default_value_t = sim_fixtures::DEFAULT_SIZE)]
        size: usize,
        /// Output file; standard output by default.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Population file formats.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileFormat {
    /// JSON Lines (readable, streamed; slow to load at 10 M).
    Jsonl,
    /// Binary (the compact tables; loads 10 M persons in seconds).
    Binary,
}

/// Export formats.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// JSON Lines.
    Jsonl,
    /// CSV with a header row.
    Csv,
}

fn bar(size: usize, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(size as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{wide_bar}] {human_pos}/{human_len} persons ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

pub(crate) fn run(action: PopulationAction) -> anyhow::Result<()> {
    match action {
        PopulationAction::Generate {
            seed,
            size,
            out,
            edge_rate,
            foreign_rate,
            quiet,
            format,
        } => {
            anyhow::ensure!(
                (0.0..=1.0).contains(&edge_rate) && (0.0..=1.0).contains(&foreign_rate),
                "--edge-rate and --foreign-rate are between 0 and 1"
            );
            let options = Options {
                names: NameRates {
                    edge: edge_rate,
                    foreign: foreign_rate,
                },
                ..Options::default()
            };
            let f = File::create(&out).with_context(|| format!("creating {}", out.display()))?;
            let mut f = BufWriter::with_capacity(1 << 20, f);
            let bar = bar(size, quiet);
            let progress = |n: usize| {
                if n.is_multiple_of(1024) || n == size {
                    bar.set_position(n as u64);
                }
            };
            let format = format.unwrap_or(if out.extension().is_some_and(|e| e == "bin") {
                FileFormat::Binary
            } else {
                FileFormat::Jsonl
            });
            if format == FileFormat::Binary {
                file::write_generated_binary(&mut f, seed, size, options, progress)
                    .map_err(anyhow::Error::from)
                    .and_then(|()| f.flush().map_err(anyhow::Error::from))
                    .with_context(|| format!("writing {}", out.display()))?;
                bar.finish();
                return Ok(());
            }
            if out.extension().is_some_and(|e| e == "gz") {
                // Buffer in front of the encoder too: it compresses slowly in small writes.
                let gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
                let mut w = BufWriter::with_capacity(1 << 20, gz);
                file::write_generated(&mut w, seed, size, options, progress).and_then(|()| {
                    w.into_inner()
                        .map_err(std::io::IntoInnerError::into_error)?
                        .finish()?
                        .flush()
                })
            } else {
                file::write_generated(&mut f, seed, size, options, progress)
                    .and_then(|()| f.flush())
            }
            .with_context(|| format!("writing {}", out.display()))?;
            bar.finish();
            Ok(())
        }
        PopulationAction::Export {
            format,
            population,
            seed,
            size,
            out,
        } => {
            let (pop, _, holdings) = match &population {
                Some(path) => sim_fixtures::population_from_file_with_cards(path)
                    .with_context(|| format!("reading {}", path.display()))?,
                None => sim_fixtures::population_with_cards(seed, size)?,
            };
            let card_of = |i: usize| holdings.at(i as u32);
            let sink: Box<dyn Write> = match &out {
                Some(path) => Box::new(
                    File::create(path).with_context(|| format!("creating {}", path.display()))?,
                ),
                None => Box::new(std::io::stdout().lock()),
            };
            let mut w = BufWriter::with_capacity(1 << 20, sink);
            match format {
                Format::Jsonl => {
                    for i in pop.insurers() {
                        file::write_line(&mut w, &Record::Insurer(InsurerRecord::from_insurer(i)))?;
                    }
                    for (i, p) in pop.persons().enumerate() {
                        let r = PersonRecord::from_person(&p, card_of(i));
                        file::write_line(&mut w, &Record::Person(Box::new(r)))?;
                    }
                }
                Format::Csv => {
                    writeln!(w, "{CSV_HEADER}")?;
                    for (i, p) in pop.persons().enumerate() {
                        file::write_csv_rows(&mut w, &p, card_of(i), |n| {
                            pop.insurer(n).map(|i| i.kind)
                        })?;
                    }
                }
            }
            w.flush().context("writing the export")?;
            Ok(())
        }
    }
}
