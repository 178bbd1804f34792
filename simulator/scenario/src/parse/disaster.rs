//! Reading the disaster-mode steps (see `crate::disaster`).

use marked_yaml::Node;

use super::{Cx, did_you_mean};
use crate::disaster::{DisasterExpect, DisasterStep, REFUSALS, SEARCH_KEYS};

/// The step names.
pub(super) const ACTIONS: &[&str] = &[
    "disaster-open",
    "disaster-close",
    "disaster-extend",
    "disaster-search",
    "disaster-view",
    "expect-disaster-audit",
];

impl Cx<'_> {
    fn refused(&mut self, node: &Node) -> Option<DisasterExpect> {
        let reason = self.string(node, "refused")?;
        if !REFUSALS.contains(&reason.as_str()) {
            let hint = match did_you_mean(&reason, REFUSALS.iter().copied()) {
                Some(m) => format!("did you mean `{m}`?"),
                None => format!("one of: {}", REFUSALS.join(", ")),
            };
            self.error(
                node.span(),
                &format!("unknown refusal `{reason}`"),
                Some(&hint),
            );
            return None;
        }
        Some(DisasterExpect::Refused(reason))
    }

    /// One disaster step (`action` is one of [`ACTIONS`]).
    pub(super) fn disaster_step(&mut self, action: &str, node: &Node) -> Option<DisasterStep> {
        if action == "disaster-close" {
            if node
                .as_scalar()
                .is_some_and(|s| !s.as_str().is_empty() && s.as_str() != "latest")
            {
                self.error(
                    node.span(),
                    "`disaster-close` closes the latest activation and takes no value",
                    Some("write `- disaster-close: latest`"),
                );
                return None;
            }
            return Some(DisasterStep::Close);
        }
        let hint = match action {
            "disaster-open" => "disaster-open: { areas: [新宿区], for: 7d }",
            "disaster-extend" => "disaster-extend: { facility: \"1310400013\", for: 3d }",
            "disaster-search" => {
                "disaster-search: { facility: \"1310400013\", name: 高橋昭, birthdate: 1945-03-10, expect: [valid-kouki] }"
            }
            "disaster-view" => {
                "disaster-view: { facility: \"1310400013\", person: valid-kouki, kind: drug, consent: oral }"
            }
            _ => "expect-disaster-audit: { search: 2, view: 1, refused: 1 }",
        };
        let Some(map) = node.as_mapping() else {
            self.error(node.span(), &format!("`{action}` is a mapping"), Some(hint));
            return None;
        };
        let allowed: Vec<&str> = match action {
            "disaster-open" => vec!["areas", "for", "title"],
            "disaster-extend" => vec!["facility", "for"],
            "disaster-search" => {
                let mut k = vec!["facility", "expect", "refused"];
                k.extend_from_slice(SEARCH_KEYS);
                k
            }
            "disaster-view" => vec!["facility", "person", "kind", "format", "consent", "refused"],
            _ => vec!["search", "view", "refused"],
        };
        self.unknown_keys(map, &allowed, &format!("`{action}`"));
        let at = node.span();
        match action {
            "disaster-open" => {
                let areas = self
                    .required(map, at, "areas", "prefectures or municipalities")
                    .and_then(|n| self.strings(n, "areas"))?;
                let duration = self
                    .required(map, at, "for", "a duration such as 7d")
                    .and_then(|n| self.duration(n, "for"))?;
                let title = match map.get_node("title") {
                    Some(n) => self.string(n, "title")?,
                    None => String::new(),
                };
                Some(DisasterStep::Open {
                    areas: areas.into_iter().map(|(a, _)| a).collect(),
                    duration,
                    title,
                })
            }
            "disaster-extend" => {
                let facility = self
                    .required(map, at, "facility", "a 医療機関コード")
                    .and_then(|n| self.string(n, "facility"));
                let duration = self
                    .required(map, at, "for", "a duration from now such as 3d")
                    .and_then(|n| self.duration(n, "for"));
                Some(DisasterStep::Extend {
                    facility: facility?,
                    duration: duration?,
                })
            }
            "disaster-search" => {
                let facility = self
                    .required(map, at, "facility", "a 医療機関コード")
                    .and_then(|n| self.string(n, "facility"));
                let mut keys = Vec::new();
                for k in SEARCH_KEYS {
                    if let Some(n) = map.get_node(k) {
                        keys.push(((*k).to_owned(), self.string(n, k)?));
                    }
                }
                if !keys.iter().any(|(k, _)| k == "birthdate") {
                    self.error(at, "`birthdate` is missing", Some(hint));
                    return None;
                }
                let expect = match (map.get_node("expect"), map.get_node("refused")) {
                    (Some(_), Some(r)) => {
                        self.error(
                            r.span(),
                            "a search expects persons or a refusal, not both",
                            None,
                        );
                        return None;
                    }
                    (Some(e), None) => {
                        let ids = match e.as_sequence() {
                            Some(seq) if seq.is_empty() => Vec::new(),
                            _ => self
                                .strings(e, "expect")?
                                .into_iter()
                                .map(|(s, _)| s)
                                .collect(),
                        };
                        DisasterExpect::Shown(ids)
                    }
                    (None, Some(r)) => self.refused(r)?,
                    (None, None) => {
                        self.error(
                            at,
                            "say what the search finds",
                            Some("`expect: [person-id]`, `expect: []` or `refused: ended`"),
                        );
                        return None;
                    }
                };
                Some(DisasterStep::Search {
                    facility: facility?,
                    keys,
                    expect,
                })
            }
            "disaster-view" => {
                let facility = self
                    .required(map, at, "facility", "a 医療機関コード")
                    .and_then(|n| self.string(n, "facility"));
                let person = self
                    .required(map, at, "person", "a person id")
                    .and_then(|n| self.string(n, "person"));
                let get =
                    |cx: &mut Self, key: &str, default: &str, allowed: &[&str]| -> Option<String> {
                        let Some(n) = map.get_node(key) else {
                            return Some(default.to_owned());
                        };
                        let v = cx.string(n, key)?;
                        if !allowed.contains(&v.as_str()) {
                            cx.error(
                                n.span(),
                                &format!("`{key}` is one of: {}", allowed.join(", ")),
                                None,
                            );
                            return None;
                        }
                        Some(v)
                    };
                let kind = get(
                    self,
                    "kind",
                    "qualification",
                    &["qualification", "drug", "diagnosis", "checkup"],
                );
                let format = get(self, "format", "html", &["html", "pdf"]);
                let consent = get(self, "consent", "oral", &["oral", "waived"]);
                let expect = match map.get_node("refused") {
                    Some(r) => self.refused(r)?,
                    None => DisasterExpect::Shown(Vec::new()),
                };
                Some(DisasterStep::View {
                    facility: facility?,
                    person: person?,
                    kind: kind?,
                    format: format?,
                    consent: consent?,
                    expect,
                })
            }
            _ => {
                let count = |cx: &mut Self, key: &str| -> Option<Option<usize>> {
                    match map.get_node(key) {
                        None => Some(None),
                        Some(n) => {
                            let v = cx.string(n, key)?;
                            match v.parse() {
                                Ok(c) => Some(Some(c)),
                                Err(_) => {
                                    cx.error(
                                        n.span(),
                                        &format!("`{key}` is a count, not {v:?}"),
                                        None,
                                    );
                                    None
                                }
                            }
                        }
                    }
                };
                let search = count(self, "search");
                let view = count(self, "view");
                let refused = count(self, "refused");
                Some(DisasterStep::ExpectAudit {
                    search: search?,
                    view: view?,
                    refused: refused?,
                })
            }
        }
    }
}
