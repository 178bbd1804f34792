//! `simulator population generate|export` and `--population FILE`: the same seed gives the same
//! bytes, a generated file loads (plain or gzip'd) with the named fixtures merged in, and the
//! exports carry every person's insurance keys.

use std::process::Command;

fn simulator() -> Command {
    Command::new(env!("CARGO_BIN_EXE_simulator"))
}

fn run(args: &[&str]) -> Vec<u8> {
    let out = simulator().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn generate_is_byte_identical_per_seed_and_loads_with_the_named_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    for name in ["a.jsonl", "b.jsonl", "c.jsonl.gz", "d.bin"] {
        run(&[
            "population",
            "generate",
            "--seed",
            "5",
            "--size",
            "300",
            "--quiet",
            "--out",
            &path(name),
        ]);
    }
    let a = std::fs::read(path("a.jsonl")).unwrap();
    assert_eq!(a, std::fs::read(path("b.jsonl")).unwrap());
    assert!(
        a.starts_with(b"{\"format\":\"sim-population\",\"version\":1,\"seed\":5,\"size\":300,")
    );

    assert!(
        std::fs::read(path("d.bin"))
            .unwrap()
            .starts_with(b"SIMPOPF2")
    );
    for file in [path("a.jsonl"), path("c.jsonl.gz"), path("d.bin")] {
        let cfg = sim_server::config::PopulationConfig {
            seed: 1,
            size: 0,
            file: Some(file.into()),
        };
        let (pop, named) = sim_server::serve::load_population(&cfg).unwrap();
        assert_eq!(pop.len(), named.persons.len() + 300);
        assert!(pop.person_by_id("P0000300").is_some());
        assert!(pop.person_by_id("valid-kokuho").is_some());
        assert_eq!(
            pop.person_id(0),
            named.persons[0].id,
            "named fixtures first"
        );
    }

    let rows: Vec<serde_json::Value> = serde_json::from_slice(&run(&[
        "persons",
        "--json",
        "--limit",
        "0",
        "--date",
        "20261125",
        "--population",
        &path("c.jsonl.gz"),
    ]))
    .unwrap();
    let generated: Vec<_> = rows.iter().filter(|r| r["kind"] == "generated").collect();
    assert!(generated.len() > 250, "{}", generated.len());
    // The card valid on the date answers 有効 for nearly everyone (the rest died or are on 生活保護).
    let valid = generated.iter().filter(|r| r["outcome"] == "1").count();
    assert!(
        valid * 10 > generated.len() * 9,
        "{valid}/{}",
        generated.len()
    );
}

#[test]
fn export_writes_jsonl_and_csv_with_every_persons_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.jsonl");
    let file = file.to_str().unwrap();
    run(&[
        "population",
        "generate",
        "--seed",
        "2",
        "--size",
        "50",
        "--quiet",
        "--out",
        file,
    ]);
    let csv = String::from_utf8(run(&[
        "population",
        "export",
        "--format",
        "csv",
        "--population",
        file,
    ]))
    .unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("person_id,name,name_kana,")
    );
    assert!(csv.contains("\nvalid-kokuho,"));
    assert!(csv.contains("\nP0000050,"));
    let jsonl = String::from_utf8(run(&[
        "population",
        "export",
        "--format",
        "jsonl",
        "--seed",
        "2",
        "--size",
        "50",
    ]))
    .unwrap();
    let persons: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| v["type"] == "person")
        .collect();
    assert!(persons.iter().any(|p| p["id"] == "P0000050"));
    assert!(persons.iter().all(|p| p["qualifications"].is_array()));
}
