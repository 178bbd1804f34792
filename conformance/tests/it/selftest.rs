//! The self-test (like nextest's fixture project): the reference clinic passes every case and
//! each faulty variant fails exactly the cases of `expected-outcomes.toml`.

use std::collections::BTreeSet;

use conformance::cases::CASES;
use conformance::runner::{Status, run_case};
use serde::Deserialize;

use crate::support::{config, named};

#[derive(Deserialize)]
struct Table {
    client: Vec<Client>,
}

#[derive(Deserialize, Clone)]
struct Client {
    fault: String,
    reason: String,
    fails: Vec<String>,
}

fn table() -> Vec<Client> {
    let text = include_str!("../../expected-outcomes.toml");
    toml::from_str::<Table>(text)
        .expect("expected-outcomes.toml")
        .client
}

#[test]
fn the_table_names_known_cases_and_every_fault() {
    let clients = table();
    assert_eq!(
        clients[0].fault, "",
        "the first entry is the reference clinic"
    );
    assert!(clients[0].fails.is_empty());
    for c in &clients {
        assert!(!c.reason.is_empty());
        for id in &c.fails {
            let case = conformance::cases::case(id)
                .unwrap_or_else(|| panic!("{}: unknown case {id}", c.fault));
            assert!(case.pending.is_none(), "{id} is pending and cannot fail");
        }
    }
    let faults: BTreeSet<&str> = clients.iter().map(|c| c.fault.as_str()).collect();
    for f in [
        "wrong-encoding-declaration",
        "unpadded-branch",
        "ignores-validity-3",
        "stops-polling-early",
        "polls-forever",
        "deletes-face-unread",
        "non-atomic-writes",
        "my-number-in-identifier",
        "shows-stale-medical-info",
    ] {
        assert!(faults.contains(f), "no table entry for --fault {f}");
    }
}

#[test]
fn every_rule_named_by_a_case_is_in_the_requirements_list() {
    let rules: BTreeSet<String> = conformance::rules::rules()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert!(rules.len() > 20);
    for c in CASES {
        for r in c.rules {
            assert!(
                rules.contains(*r),
                "{}: rule {r} is not in requirements.toml",
                c.id
            );
        }
    }
}

/// Runs every client of the table, in parallel (they mostly wait), and compares.
#[test]
fn reference_passes_and_each_faulty_client_fails_exactly_its_cases() {
    let rules: BTreeSet<String> = conformance::rules::rules()
        .into_iter()
        .map(|r| r.id)
        .collect();
    let named = named();
    let clients = table();
    let outcomes: Vec<(Client, Vec<conformance::runner::CaseResult>)> = std::thread::scope(|s| {
        let handles: Vec<_> = clients
            .iter()
            .map(|client| {
                let named = &named;
                s.spawn(move || {
                    let cfg = config(&client.fault);
                    let results: Vec<_> = CASES
                        .iter()
                        .map(|case| run_case(&cfg, case, named))
                        .collect();
                    (client.clone(), results)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("client thread"))
            .collect()
    });
    let mut problems = Vec::new();
    for (client, results) in &outcomes {
        let who = if client.fault.is_empty() {
            "reference".to_owned()
        } else {
            format!("--fault {}", client.fault)
        };
        let failed: BTreeSet<String> = results
            .iter()
            .filter(|r| r.status == Status::Failed)
            .map(|r| r.id.clone())
            .collect();
        let want: BTreeSet<String> = client.fails.iter().cloned().collect();
        for r in results {
            if r.status == Status::Error {
                problems.push(format!(
                    "{who}: {} ended in a harness error: {:?}",
                    r.id, r.reason
                ));
            }
            for c in &r.checks {
                if !rules.contains(&c.rule) {
                    problems.push(format!("{who}: {} reports unknown rule {}", r.id, c.rule));
                }
            }
        }
        for extra in failed.difference(&want) {
            let r = results.iter().find(|r| &r.id == extra).expect("result");
            let why: Vec<String> = r
                .failures()
                .map(|f| format!("[{}] {}", f.rule, f.message))
                .collect();
            problems.push(format!(
                "{who}: {extra} failed unexpectedly: {}",
                why.join("; ")
            ));
        }
        for missing in want.difference(&failed) {
            problems.push(format!("{who}: {missing} was expected to fail but did not"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let reference = &outcomes[0].1;
    let ran = reference
        .iter()
        .filter(|r| r.status == Status::Passed)
        .count();
    let pending = reference
        .iter()
        .filter(|r| r.status == Status::Pending)
        .count();
    assert_eq!(ran + pending, CASES.len());
    // A case's rule list names every rule its checks are reported under (for a correct SUT).
    for r in reference {
        let case = conformance::cases::case(&r.id).expect("case");
        for c in &r.checks {
            assert!(
                case.rules.contains(&c.rule.as_str()),
                "{}: a check under {} is not in its rules",
                r.id,
                c.rule
            );
        }
    }
    println!("reference clinic: {ran} passed, {pending} pending");
}
