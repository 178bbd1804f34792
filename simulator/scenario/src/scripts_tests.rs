//! The scripts of `scenarios/`: every catalogue scenario is valid, and every script of
//! `scenarios/error/` is rejected with the diagnostics of its snapshot (all problems at once,
//! each with file:line:column and a hint).

use std::path::{Path, PathBuf};

use crate::{Action, Known, ScenarioError, parse, parse_file};

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_catalogue_is_valid() {
    let known = Known::fixtures().unwrap();
    let files = yaml_files(&scenarios_dir());
    assert!(files.len() >= 11, "{files:?}");
    for file in files {
        if let Err(e) = parse_file(&file, &known) {
            panic!("{e}");
        }
    }
}

#[test]
fn broken_scripts_report_every_problem() {
    let known = Known::fixtures().unwrap();
    let files = yaml_files(&scenarios_dir().join("error"));
    assert!(files.len() >= 5, "{files:?}");
    for file in files {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        let label = format!("scenarios/error/{stem}.yaml");
        let Err(diagnostics) = parse(&label, &text, &known) else {
            panic!("{label} is valid but should not be");
        };
        let rendered = ScenarioError::Invalid(diagnostics).to_string();
        insta::assert_snapshot!(stem, rendered);
    }
}

#[test]
fn a_valid_script_reads_into_the_model() {
    let known = Known::fixtures().unwrap();
    let text = "title: t\nclock: { start: 2026-11-30T09:00:00, mode: running }\nsteps:\n  - drop: valid-kokuho\n    encoding: shift_jis\n    crlf: true\n    date: 2026-11-29\n    limit-consent: true\n  - advance: 1d12h\n  - expect-result: { InsurerNumber: 01270016 }\n";
    let s = parse("t.yaml", text, &known).unwrap();
    assert!(!s.clock.frozen);
    assert_eq!(s.steps.len(), 3);
    assert_eq!(s.steps[1].line, 9);
    let Action::Drop(d) = &s.steps[0].action else {
        panic!("{:?}", s.steps[0]);
    };
    assert!(d.crlf && d.limit_consent);
    assert_eq!(d.date.unwrap().to_string(), "2026-11-29");
    let Action::Advance(by) = s.steps[1].action else {
        panic!()
    };
    assert_eq!(by.num_hours(), 36);
    // Scalars are never coerced: the leading zero stays.
    let Action::ExpectResult(want) = &s.steps[2].action else {
        panic!()
    };
    assert_eq!(want["InsurerNumber"], "01270016");
}
