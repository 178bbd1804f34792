//! Reading a script: the YAML tree (with a position on every node) is walked once, and every
//! problem found is collected as a [`Diagnostic`] instead of stopping at the first.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::{LoadError, LoaderOptions, Node, Span};

mod disaster;
mod requests;

use crate::ScenarioError;
use crate::model::{
    Action, CONSENT_NAMES, CardCheck, ClockSpec, DropRequest, Encoding, Fault, FaultScope,
    InfoKind, MedicalInfoDrop, RESULT_ELEMENTS, ReaderMode, Scenario, Step, Target, World,
};

/// One problem of a script, at `file:line:column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: error: {}",
            self.file, self.line, self.column, self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// The ids a script may name in `drop`.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Named fixture persons.
    pub persons: BTreeSet<String>,
    /// Probes (search keys with a documented outcome).
    pub probes: BTreeSet<String>,
}

impl Known {
    /// The ids of the embedded named fixtures.
    pub fn fixtures() -> Result<Known, ScenarioError> {
        let named = sim_fixtures::NamedFixtures::embedded()
            .map_err(|e| ScenarioError::Fixtures(e.to_string()))?;
        Ok(Known {
            persons: named.persons.iter().map(|p| p.id.clone()).collect(),
            probes: named.probes.iter().map(|p| p.id.clone()).collect(),
        })
    }
}

/// Reads and validates the scenario in `path`.
pub fn parse_file(path: &Path, known: &Known) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        file: file.clone(),
        source,
    })?;
    parse(&file, &text, known).map_err(ScenarioError::Invalid)
}

const TOP_KEYS: &[&str] = &[
    "title",
    "description",
    "world",
    "clock",
    "medical-institution-code",
    "result-encoding",
    "client-delay",
    "steps",
];
const CLOCK_KEYS: &[&str] = &["start", "mode"];
const ACTIONS: &[&str] = &[
    "drop",
    "drop-raw",
    "advance",
    "expect-result",
    "expect-error",
    "expect-nothing",
    "fault",
    "card-check",
    "expect-face",
    "expect-reader-message",
];
const CARD_CHECK_KEYS: &[&str] = &[
    "person",
    "mode",
    "pin",
    "face",
    "consent",
    "face-image",
    "register",
];
const FAULT_KINDS: &[&str] = &[
    "maintenance",
    "slow",
    "err",
    "partial-result",
    "malformed-result",
];
const FAULT_HINT: &str = "e.g. `fault: { maintenance: 1h }`, `fault: { slow: 30s, requests: 2 }`, `fault: { slow: 30s, for: 1h }`, `fault: err`, `fault: { partial-result: 10s }`, `fault: malformed-result`";
const DROP_OPTIONS: &[&str] = &[
    "name",
    "encoding",
    "crlf",
    "date",
    "limit-consent",
    "info",
    "file-category",
    "facility",
];
const RAW_OPTIONS: &[&str] = &["name"];

/// Validates the script `text` (read from `file`): the scenario, or every problem found.
pub fn parse(file: &str, text: &str, known: &Known) -> Result<Scenario, Vec<Diagnostic>> {
    let mut cx = Cx {
        file,
        diagnostics: Vec::new(),
        names: BTreeMap::new(),
        checked: false,
        bulked: false,
    };
    let options = LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .toplevel_mapping();
    let root = match marked_yaml::parse_yaml_with_options(0, text, options) {
        Ok(root) => root,
        Err(e) => {
            cx.load_error(&e);
            return Err(cx.diagnostics);
        }
    };
    let Some(top) = root.as_mapping() else {
        cx.error(root.span(), "a scenario is a mapping", None);
        return Err(cx.diagnostics);
    };
    cx.unknown_keys(top, TOP_KEYS, "a scenario");
    // Missing top-level keys are reported at the start of the file.
    let file_start = Span::new_start(marked_yaml::Marker::new(0, 0, 1, 1));

    let title = match cx.required(top, &file_start, "title", "a one-line title") {
        Some(node) => cx.string(node, "title").unwrap_or_default(),
        None => String::new(),
    };
    let description = top
        .get_node("description")
        .and_then(|n| cx.string(n, "description"));
    let world = match top.get_node("world") {
        None => World::Fixtures,
        Some(node) => match cx.string(node, "world").as_deref() {
            Some("fixtures") | None => World::Fixtures,
            Some(other) => {
                cx.error(
                    node.span(),
                    &format!("unknown world {other:?}"),
                    Some("only `fixtures` (the named fixture persons) exists for now"),
                );
                World::Fixtures
            }
        },
    };
    let clock = cx
        .required(
            top,
            &file_start,
            "clock",
            "clock: { start: 2026-11-25T09:30:00, mode: frozen }",
        )
        .and_then(|node| cx.clock(node));
    let medical_institution_code = top.get_node("medical-institution-code").and_then(|n| {
        let code = cx.string(n, "medical-institution-code")?;
        if code.len() == 10 && code.bytes().all(|b| b.is_ascii_digit()) {
            Some(code)
        } else {
            cx.error(
                n.span(),
                &format!("bad 医療機関コード {code:?}"),
                Some("10 digits, quoted: `medical-institution-code: \"1311234567\"`"),
            );
            None
        }
    });
    let result_encoding = top.get_node("result-encoding").and_then(|n| {
        match cx.string(n, "result-encoding")?.as_str() {
            "utf-8" => Some(Encoding::Utf8),
            "shift_jis" => Some(Encoding::ShiftJis),
            other => {
                cx.error(
                    n.span(),
                    &format!("unknown result encoding {other:?}"),
                    Some("`result-encoding: utf-8` or `result-encoding: shift_jis` (the default)"),
                );
                None
            }
        }
    });
    let client_delay = top
        .get_node("client-delay")
        .and_then(|n| cx.wall_duration(n, "client-delay"));
    let mut steps = Vec::new();
    if let Some(node) = cx.required(top, &file_start, "steps", "a list of steps") {
        match node.as_sequence() {
            Some(seq) if !seq.is_empty() => {
                let mut dropped = false;
                for step in seq.iter() {
                    if let Some(step) = cx.step(step, &mut dropped, known) {
                        steps.push(step);
                    }
                }
            }
            Some(_) => cx.error(
                node.span(),
                "a scenario needs at least one step",
                Some("add `- drop: valid-kokuho`"),
            ),
            None => cx.error(
                node.span(),
                "`steps` must be a list",
                Some("write each step on its own line starting with `- `"),
            ),
        }
    }
    match (cx.diagnostics.is_empty(), clock) {
        (true, Some(clock)) => Ok(Scenario {
            file: file.to_owned(),
            title,
            description,
            world,
            clock,
            medical_institution_code,
            result_encoding,
            client_delay,
            steps,
        }),
        _ => {
            cx.diagnostics.sort_by_key(|d| (d.line, d.column));
            Err(cx.diagnostics)
        }
    }
}

struct Cx<'a> {
    file: &'a str,
    diagnostics: Vec<Diagnostic>,
    /// File names given to drops, with the line of the first.
    names: BTreeMap<String, usize>,
    /// A `card-check` came before.
    checked: bool,
    /// A `bulk` step came before.
    bulked: bool,
}

fn position(span: &Span) -> (usize, usize) {
    span.start()
        .map(|m| (m.line(), m.column()))
        .unwrap_or((1, 1))
}

impl Cx<'_> {
    fn error(&mut self, span: &Span, message: &str, hint: Option<&str>) {
        let (line, column) = position(span);
        self.diagnostics.push(Diagnostic {
            file: self.file.to_owned(),
            line,
            column,
            message: message.to_owned(),
            hint: hint.map(str::to_owned),
        });
    }

    fn load_error(&mut self, e: &LoadError) {
        let (marker, message) = match e {
            LoadError::TopLevelMustBeMapping(m) | LoadError::TopLevelMustBeSequence(m) => (
                *m,
                "a scenario is a mapping (title:, clock:, steps:)".to_owned(),
            ),
            LoadError::UnexpectedAnchor(m) => (*m, "anchors and aliases are not supported".into()),
            LoadError::MappingKeyMustBeScalar(m) => (*m, "keys must be plain words".into()),
            LoadError::UnexpectedTag(m) => (*m, "YAML tags are not supported".into()),
            LoadError::ScanError(m, e) => (*m, format!("not valid YAML: {e}")),
            LoadError::DuplicateKey(inner) => {
                let at = inner.key.span().start().copied();
                let message = format!("`{}` is given twice", inner.key.as_str());
                match at {
                    Some(m) => (m, message),
                    None => (marked_yaml::Marker::new(0, 0, 1, 1), message),
                }
            }
            // In case a later marked-yaml adds a kind of error.
            #[allow(unreachable_patterns)]
            _ => (marked_yaml::Marker::new(0, 0, 1, 1), e.to_string()),
        };
        self.diagnostics.push(Diagnostic {
            file: self.file.to_owned(),
            line: marker.line(),
            column: marker.column(),
            message,
            hint: None,
        });
    }

    fn unknown_keys(&mut self, map: &MarkedMappingNode, allowed: &[&str], what: &str) {
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                let hint = match did_you_mean(key.as_str(), allowed.iter().copied()) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => format!("expected one of: {}", allowed.join(", ")),
                };
                self.error(
                    key.span(),
                    &format!("unknown key `{}` in {what}", key.as_str()),
                    Some(&hint),
                );
            }
        }
    }

    fn required<'n>(
        &mut self,
        map: &'n MarkedMappingNode,
        at: &Span,
        key: &str,
        hint: &str,
    ) -> Option<&'n Node> {
        let node = map.get_node(key);
        if node.is_none() {
            self.error(
                at,
                &format!("`{key}` is missing"),
                Some(&format!("add `{key}:` ({hint})")),
            );
        }
        node
    }

    fn scalar<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n MarkedScalarNode> {
        let scalar = node.as_scalar();
        if scalar.is_none() {
            self.error(
                node.span(),
                &format!("`{what}` must be a single value, not a list or mapping"),
                None,
            );
        }
        scalar
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        self.scalar(node, what).map(|s| s.as_str().to_owned())
    }

    fn bool(&mut self, node: &Node, what: &str) -> Option<bool> {
        match self.string(node, what)?.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            other => {
                self.error(
                    node.span(),
                    &format!("`{what}` must be true or false, not {other:?}"),
                    None,
                );
                None
            }
        }
    }

    fn clock(&mut self, node: &Node) -> Option<ClockSpec> {
        let Some(map) = node.as_mapping() else {
            self.error(
                node.span(),
                "`clock` must be a mapping",
                Some("clock: { start: 2026-11-25T09:30:00, mode: frozen }"),
            );
            return None;
        };
        self.unknown_keys(map, CLOCK_KEYS, "`clock`");
        let start = self
            .required(
                map,
                node.span(),
                "start",
                "a Japan time yyyy-mm-ddTHH:MM:SS",
            )
            .and_then(|n| {
                let text = self.string(n, "start")?;
                let parsed = NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S").ok();
                if parsed.is_none() {
                    self.error(
                        n.span(),
                        &format!("bad start time {text:?}"),
                        Some("write a Japan time as yyyy-mm-ddTHH:MM:SS, e.g. 2026-11-25T09:30:00"),
                    );
                }
                parsed
            });
        let frozen = match map.get_node("mode") {
            None => Some(true),
            Some(n) => match self.string(n, "mode").as_deref() {
                Some("frozen") => Some(true),
                Some("running") => Some(false),
                Some(other) => {
                    self.error(
                        n.span(),
                        &format!("unknown clock mode {other:?}"),
                        Some("`frozen` (the default; results are byte-identical) or `running`"),
                    );
                    None
                }
                None => None,
            },
        };
        Some(ClockSpec {
            start: start?,
            frozen: frozen?,
        })
    }

    fn step(&mut self, node: &Node, dropped: &mut bool, known: &Known) -> Option<Step> {
        let (line, _) = position(node.span());
        if let Some(s) = node.as_scalar() {
            if s.as_str() == "expect-nothing" {
                self.needs_drop(node.span(), *dropped, "expect-nothing");
                return Some(Step {
                    line,
                    action: Action::ExpectNothing,
                });
            }
            if s.as_str() == "disaster-close" {
                return Some(Step {
                    line,
                    action: Action::Disaster(crate::disaster::DisasterStep::Close),
                });
            }
            let hint = match did_you_mean(s.as_str(), ACTIONS.iter().copied()) {
                Some(m) => format!("did you mean `{m}`?"),
                None => format!("a step starts with one of: {}", ACTIONS.join(", ")),
            };
            self.error(
                node.span(),
                &format!("unknown step `{}`", s.as_str()),
                Some(&hint),
            );
            return None;
        }
        let Some(map) = node.as_mapping() else {
            self.error(
                node.span(),
                "a step is a mapping such as `- drop: valid-kokuho`",
                None,
            );
            return None;
        };
        let actions: Vec<&MarkedScalarNode> = map
            .keys()
            .filter(|k| {
                let k = k.as_str();
                ACTIONS.contains(&k)
                    || disaster::ACTIONS.contains(&k)
                    || requests::ACTIONS.contains(&k)
            })
            .collect();
        let (key, value) = match actions.as_slice() {
            [key] => (*key, map.get_node(key.as_str())?),
            [] => {
                let first = map.keys().next();
                let hint =
                    match first.and_then(|k| did_you_mean(k.as_str(), ACTIONS.iter().copied())) {
                        Some(m) => format!("did you mean `{m}`?"),
                        None => format!("a step starts with one of: {}", ACTIONS.join(", ")),
                    };
                let span = first.map(|k| *k.span()).unwrap_or(*node.span());
                self.error(&span, "this step has no action", Some(&hint));
                return None;
            }
            [_, second, ..] => {
                self.error(
                    second.span(),
                    &format!(
                        "a step does one thing; `{}` starts another step",
                        second.as_str()
                    ),
                    Some("put it in its own `- ` item"),
                );
                return None;
            }
        };
        let action = key.as_str();
        let options = match action {
            "drop" => DROP_OPTIONS,
            "drop-raw" => RAW_OPTIONS,
            _ => &[],
        };
        for k in map.keys() {
            if k.as_str() != action && !options.contains(&k.as_str()) {
                let hint = if options.is_empty() {
                    format!("`{action}` takes no options")
                } else {
                    match did_you_mean(k.as_str(), options.iter().copied()) {
                        Some(m) => format!("did you mean `{m}`?"),
                        None => format!("`{action}` takes: {}", options.join(", ")),
                    }
                };
                self.error(
                    k.span(),
                    &format!("unknown option `{}` of `{action}`", k.as_str()),
                    Some(&hint),
                );
            }
        }
        let action = match action {
            "drop" => {
                *dropped = true;
                let id = self.string(value, "drop")?;
                if !known.persons.contains(&id) && !known.probes.contains(&id) {
                    let all = known
                        .persons
                        .iter()
                        .chain(&known.probes)
                        .map(String::as_str);
                    let hint = match did_you_mean(&id, all) {
                        Some(m) => format!("did you mean `{m}`? (`simulator persons` lists them)"),
                        None => "name a person or probe of fixtures/data/persons.toml".to_owned(),
                    };
                    self.error(
                        value.span(),
                        &format!("unknown person or probe id `{id}`"),
                        Some(&hint),
                    );
                    return None;
                }
                Action::Drop(self.drop_options(map, Target::Person(id))?)
            }
            "drop-raw" => {
                *dropped = true;
                let bytes = self.string(value, "drop-raw")?;
                Action::Drop(self.drop_options(map, Target::Raw(bytes))?)
            }
            "advance" => Action::Advance(self.duration(value, "advance")?),
            a if disaster::ACTIONS.contains(&a) => Action::Disaster(self.disaster_step(a, value)?),
            a if requests::ACTIONS.contains(&a) => {
                *dropped = true;
                self.request_step(a, value, known)?
            }
            "fault" => Action::Fault(self.fault(value)?),
            "card-check" => {
                self.checked = true;
                Action::CardCheck(self.card_check(value, known)?)
            }
            "expect-face" => {
                self.needs_check(key.span(), action);
                if value.as_scalar().is_some_and(|s| s.as_str() == "none") {
                    Action::ExpectFace(None)
                } else {
                    Action::ExpectFace(Some(self.elements(value, action)?))
                }
            }
            "expect-reader-message" => {
                self.needs_check(key.span(), action);
                let code = self.string(value, action)?;
                if code.trim().is_empty() {
                    self.error(
                        value.span(),
                        "the expected reader message code is empty",
                        Some("e.g. `expect-reader-message: MOCK-R102`, or `none`"),
                    );
                    return None;
                }
                match code.trim() {
                    "none" => Action::ExpectReaderMessage(None),
                    code => Action::ExpectReaderMessage(Some(code.to_owned())),
                }
            }
            "expect-result" => {
                self.needs_drop(key.span(), *dropped, action);
                Action::ExpectResult(self.elements(value, action)?)
            }
            "expect-error" => {
                self.needs_drop(key.span(), *dropped, action);
                let code = self.string(value, action)?;
                if code.trim().is_empty() {
                    self.error(
                        value.span(),
                        "the expected error code is empty",
                        Some("e.g. `expect-error: MOCK-F0003`"),
                    );
                    return None;
                }
                Action::ExpectError(code.trim().to_owned())
            }
            _ => {
                self.needs_drop(key.span(), *dropped, action);
                Action::ExpectNothing
            }
        };
        Some(Step { line, action })
    }

    fn needs_check(&mut self, at: &Span, action: &str) {
        if !self.checked {
            self.error(
                at,
                &format!("`{action}` checks the last card check, but there has been none yet"),
                Some("put a `card-check` step before it"),
            );
        }
    }

    /// One value or a list of values.
    fn strings(&mut self, node: &Node, what: &str) -> Option<Vec<(String, Span)>> {
        if let Some(seq) = node.as_sequence() {
            let mut out = Vec::new();
            for item in seq.iter() {
                out.push((self.string(item, what)?, *item.span()));
            }
            Some(out)
        } else {
            Some(vec![(self.string(node, what)?, *node.span())])
        }
    }

    fn card_check(&mut self, node: &Node, known: &Known) -> Option<CardCheck> {
        const HINT: &str =
            "card-check: { person: valid-shaho-honnin, mode: pin, pin: \"1234\", consent: [drug] }";
        let Some(map) = node.as_mapping() else {
            self.error(node.span(), "`card-check` is a mapping", Some(HINT));
            return None;
        };
        self.unknown_keys(map, CARD_CHECK_KEYS, "`card-check`");
        let mut ok = true;
        let person = self
            .required(map, node.span(), "person", "a named fixture person")
            .and_then(|n| {
                let id = self.string(n, "person")?;
                if !known.persons.contains(&id) {
                    let hint = match did_you_mean(&id, known.persons.iter().map(String::as_str)) {
                        Some(m) => format!("did you mean `{m}`? (`simulator persons` lists them)"),
                        None => "name a person of fixtures/data/persons.toml (probes have no card)"
                            .to_owned(),
                    };
                    self.error(n.span(), &format!("unknown person id `{id}`"), Some(&hint));
                    return None;
                }
                Some(id)
            });
        let mode = match map.get_node("mode") {
            None => Some(ReaderMode::Pin),
            Some(n) => match self.string(n, "mode").as_deref() {
                Some("pin") => Some(ReaderMode::Pin),
                Some("face") => Some(ReaderMode::Face),
                Some("visual") => Some(ReaderMode::Visual),
                Some(other) => {
                    self.error(
                        n.span(),
                        &format!("unknown reader mode {other:?}"),
                        Some("`pin` (the default), `face` or `visual`"),
                    );
                    None
                }
                None => None,
            },
        };
        let mut pins = vec!["1234".to_owned()];
        if let Some(n) = map.get_node("pin") {
            if mode.is_some_and(|m| m != ReaderMode::Pin) {
                self.error(n.span(), "`pin` is only entered in `mode: pin`", None);
                ok = false;
            }
            match self.strings(n, "pin") {
                Some(given) if !given.is_empty() => {
                    pins.clear();
                    for (pin, span) in given {
                        if pin.is_empty() || !pin.chars().all(|c| c.is_ascii_digit()) {
                            self.error(
                                &span,
                                &format!("bad PIN {pin:?}"),
                                Some("digits, quoted: `pin: \"1234\"`, or a list of tries"),
                            );
                            ok = false;
                        }
                        pins.push(pin);
                    }
                }
                Some(_) => {
                    self.error(n.span(), "`pin` is empty", Some("`pin: \"1234\"`"));
                    ok = false;
                }
                None => ok = false,
            }
        }
        let mut faces = vec![true];
        if let Some(n) = map.get_node("face") {
            if mode.is_some_and(|m| m != ReaderMode::Face) {
                self.error(n.span(), "`face` is only captured in `mode: face`", None);
                ok = false;
            }
            match self.strings(n, "face") {
                Some(given) if !given.is_empty() => {
                    faces.clear();
                    for (verdict, span) in given {
                        match verdict.as_str() {
                            "match" => faces.push(true),
                            "mismatch" => faces.push(false),
                            other => {
                                self.error(
                                    &span,
                                    &format!("unknown face verdict {other:?}"),
                                    Some("`match` or `mismatch`, or a list of them"),
                                );
                                ok = false;
                            }
                        }
                    }
                }
                Some(_) => {
                    self.error(n.span(), "`face` is empty", Some("`face: match`"));
                    ok = false;
                }
                None => ok = false,
            }
        }
        let mut consent = Vec::new();
        if let Some(n) = map.get_node("consent") {
            for (name, span) in self.strings(n, "consent").unwrap_or_default() {
                if !CONSENT_NAMES.contains(&name.as_str()) {
                    let hint = match did_you_mean(&name, CONSENT_NAMES.iter().copied()) {
                        Some(m) => format!("did you mean `{m}`?"),
                        None => format!("one of: {}", CONSENT_NAMES.join(", ")),
                    };
                    self.error(&span, &format!("unknown consent `{name}`"), Some(&hint));
                    ok = false;
                }
                consent.push(name);
            }
        }
        let mut face_image = "intact".to_owned();
        if let Some(n) = map.get_node("face-image") {
            match self.string(n, "face-image") {
                Some(v) if ["intact", "corrupt", "absent"].contains(&v.as_str()) => face_image = v,
                Some(other) => {
                    self.error(
                        n.span(),
                        &format!("unknown face image {other:?}"),
                        Some("`intact` (the default), `corrupt` or `absent`"),
                    );
                    ok = false;
                }
                None => ok = false,
            }
        }
        let register = match map.get_node("register") {
            None => None,
            Some(n) => match self.string(n, "register").as_deref() {
                Some("yes" | "true") => Some(true),
                Some("no" | "false") => Some(false),
                Some(other) => {
                    self.error(
                        n.span(),
                        &format!("unknown 初回登録 answer {other:?}"),
                        Some("`register: yes` or `register: no`"),
                    );
                    ok = false;
                    None
                }
                None => {
                    ok = false;
                    None
                }
            },
        };
        let check = CardCheck {
            person: person?,
            mode: mode?,
            pins,
            faces,
            consent,
            face_image,
            register,
        };
        ok.then_some(check)
    }

    fn needs_drop(&mut self, at: &Span, dropped: bool, action: &str) {
        if !dropped {
            self.error(
                at,
                &format!("`{action}` checks the answer to the last request, but nothing has been dropped yet"),
                Some("put a `drop` or `drop-raw` step before it"),
            );
        }
    }

    fn drop_options(&mut self, map: &MarkedMappingNode, target: Target) -> Option<DropRequest> {
        let mut ok = true;
        let name = match map.get_node("name") {
            None => None,
            Some(n) => {
                let name = self.string(n, "name");
                if let Some(bad) = name
                    .as_deref()
                    .filter(|s| s.is_empty() || s.contains(['/', '\\']))
                {
                    self.error(
                        n.span(),
                        &format!("bad file name {bad:?}"),
                        Some("a plain file name, e.g. OQSsiquc01req_20261125093012.xml"),
                    );
                    ok = false;
                } else if let Some(name) = &name {
                    let (line, _) = position(n.span());
                    if let Some(first) = self.names.insert(name.clone(), line) {
                        self.error(
                            n.span(),
                            &format!("{name} is already dropped at line {first}"),
                            Some("give each drop its own file name; a second answer would overwrite the first"),
                        );
                        ok = false;
                    }
                }
                name
            }
        };
        let encoding = match map.get_node("encoding") {
            None => Encoding::Utf8,
            Some(n) => match self.string(n, "encoding").as_deref() {
                Some("utf-8") => Encoding::Utf8,
                Some("shift_jis") => Encoding::ShiftJis,
                other => {
                    if let Some(other) = other {
                        self.error(
                            n.span(),
                            &format!("unknown encoding {other:?}"),
                            Some("`utf-8` or `shift_jis`"),
                        );
                    }
                    ok = false;
                    Encoding::Utf8
                }
            },
        };
        let crlf = match map.get_node("crlf") {
            None => false,
            Some(n) => self.bool(n, "crlf").unwrap_or_else(|| {
                ok = false;
                false
            }),
        };
        let limit_consent = match map.get_node("limit-consent") {
            None => false,
            Some(n) => self.bool(n, "limit-consent").unwrap_or_else(|| {
                ok = false;
                false
            }),
        };
        let date = match map.get_node("date") {
            None => None,
            Some(n) => {
                let text = self.string(n, "date")?;
                let parsed = NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok();
                if parsed.is_none() {
                    self.error(
                        n.span(),
                        &format!("bad date {text:?}"),
                        Some("write the date as yyyy-mm-dd, e.g. 2026-11-25"),
                    );
                    ok = false;
                }
                parsed
            }
        };
        let info = match map.get_node("info") {
            None => None,
            Some(n) => match self.string(n, "info").as_deref() {
                Some("drug") => Some(InfoKind::Drug),
                Some("checkup") => Some(InfoKind::Checkup),
                other => {
                    if let Some(other) = other {
                        self.error(
                            n.span(),
                            &format!("unknown information {other:?}"),
                            Some("`drug` (YZKsiquc01req_) or `checkup` (TKKsiquc01req_)"),
                        );
                    }
                    ok = false;
                    None
                }
            },
        };
        let file_category = match map.get_node("file-category") {
            None => "2".to_owned(),
            Some(n) => {
                let text = self.string(n, "file-category").unwrap_or_default();
                if !["1", "2", "3", "4"].contains(&text.as_str()) {
                    self.error(
                        n.span(),
                        &format!("bad file-category {text:?}"),
                        Some("1 PDF, 2 XML, 3 PDF with 診療情報, 4 XML with 診療情報 (quote it: \"2\")"),
                    );
                    ok = false;
                }
                text
            }
        };
        let facility = match map.get_node("facility") {
            None => None,
            Some(n) => {
                let text = self.string(n, "facility").unwrap_or_default();
                if text.len() != 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
                    self.error(
                        n.span(),
                        &format!("bad 医療機関コード {text:?}"),
                        Some("10 digits, quoted, e.g. \"1319999990\""),
                    );
                    ok = false;
                }
                Some(text)
            }
        };
        for key in ["file-category", "facility"] {
            if info.is_none()
                && let Some(n) = map.get_node(key)
            {
                self.error(
                    n.span(),
                    &format!("`{key}` applies to medical-information requests only"),
                    Some("add `info: drug` or `info: checkup`"),
                );
                ok = false;
            }
        }
        ok.then_some(DropRequest {
            target,
            name,
            encoding,
            crlf,
            date,
            limit_consent,
            info: info.map(|kind| MedicalInfoDrop {
                kind,
                file_category,
                facility,
            }),
        })
    }

    fn fault(&mut self, node: &Node) -> Option<Fault> {
        if let Some(s) = node.as_scalar() {
            return match s.as_str() {
                "err" => Some(Fault::ErrNext),
                "malformed-result" => Some(Fault::MalformedResult),
                other => {
                    let hint = match did_you_mean(other, FAULT_KINDS.iter().copied()) {
                        Some(m) if m == "err" || m == "malformed-result" => {
                            format!("did you mean `{m}`?")
                        }
                        Some(m) => format!(
                            "did you mean `{m}`? It takes a duration: `fault: {{ {m}: 30s }}`"
                        ),
                        None => FAULT_HINT.to_owned(),
                    };
                    self.error(
                        node.span(),
                        &format!("unknown fault `{other}`"),
                        Some(&hint),
                    );
                    None
                }
            };
        }
        let Some(map) = node.as_mapping() else {
            self.error(
                node.span(),
                "a fault is a word or a mapping",
                Some(FAULT_HINT),
            );
            return None;
        };
        let kinds: Vec<&MarkedScalarNode> = map
            .keys()
            .filter(|k| FAULT_KINDS.contains(&k.as_str()))
            .collect();
        let kind = match kinds.as_slice() {
            [kind] => *kind,
            [] => {
                let first = map.keys().next();
                let hint = match first
                    .and_then(|k| did_you_mean(k.as_str(), FAULT_KINDS.iter().copied()))
                {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => format!("a fault is one of: {}", FAULT_KINDS.join(", ")),
                };
                let span = first.map(|k| *k.span()).unwrap_or(*node.span());
                self.error(&span, "this fault has no kind", Some(&hint));
                return None;
            }
            [_, second, ..] => {
                self.error(
                    second.span(),
                    &format!(
                        "a `fault` step injects one fault; `{}` is another",
                        second.as_str()
                    ),
                    Some("put it in its own `- fault:` step"),
                );
                return None;
            }
        };
        let name = kind.as_str();
        let options: &[&str] = if name == "slow" {
            &["requests", "for"]
        } else {
            &[]
        };
        let mut ok = true;
        for k in map.keys() {
            if k.as_str() != name && !options.contains(&k.as_str()) {
                let hint = if options.is_empty() {
                    format!("`{name}` takes no options")
                } else {
                    match did_you_mean(k.as_str(), options.iter().copied()) {
                        Some(m) => format!("did you mean `{m}`?"),
                        None => format!("`{name}` takes: {}", options.join(", ")),
                    }
                };
                self.error(
                    k.span(),
                    &format!("unknown option `{}` of the `{name}` fault", k.as_str()),
                    Some(&hint),
                );
                ok = false;
            }
        }
        let value = map.get_node(name)?;
        let fault = match name {
            "maintenance" => Fault::Maintenance(self.duration(value, name)?),
            "partial-result" => Fault::PartialResult(self.duration(value, name)?),
            "slow" => {
                let delay = self.duration(value, name);
                let scope = match (map.get_node("requests"), map.get_node("for")) {
                    (Some(_), Some(f)) => {
                        self.error(
                            f.span(),
                            "a slow terminal lasts for a number of `requests` or `for` a time, not both",
                            Some("drop one of them"),
                        );
                        None
                    }
                    (None, Some(f)) => self.duration(f, "for").map(FaultScope::For),
                    (Some(r), None) => {
                        let text = self.string(r, "requests")?;
                        match text.parse::<u32>() {
                            Ok(n) if n > 0 => Some(FaultScope::Requests(n)),
                            _ => {
                                self.error(
                                    r.span(),
                                    &format!(
                                        "`requests` must be a positive whole number, not {text:?}"
                                    ),
                                    Some("e.g. `requests: 2`"),
                                );
                                None
                            }
                        }
                    }
                    (None, None) => Some(FaultScope::Requests(1)),
                };
                Fault::Slow {
                    delay: delay?,
                    scope: scope?,
                }
            }
            // `err` and `malformed-result` written as a mapping.
            _ => {
                self.error(
                    kind.span(),
                    &format!("the `{name}` fault takes no value"),
                    Some(&format!("write `fault: {name}`")),
                );
                return None;
            }
        };
        ok.then_some(fault)
    }

    /// A wall-time delay: whole milliseconds `1500ms` or seconds `2s`, at most 60 s.
    fn wall_duration(&mut self, node: &Node, what: &str) -> Option<std::time::Duration> {
        let text = self.string(node, what)?;
        let parsed = parse_wall_duration(&text);
        if parsed.is_none() {
            self.error(
                node.span(),
                &format!("bad wall-time delay {text:?}"),
                Some("whole milliseconds or seconds, at most 60 s: `client-delay: 1500ms`, `client-delay: 2s`"),
            );
        }
        parsed
    }

    fn duration(&mut self, node: &Node, what: &str) -> Option<TimeDelta> {
        let text = self.string(node, what)?;
        let parsed = parse_duration(&text);
        if parsed.is_none() {
            self.error(
                node.span(),
                &format!("bad duration {text:?}"),
                Some("a positive number with a unit d, h, m or s, combinable: 1d, 90s, 1h30m"),
            );
        }
        parsed
    }

    fn elements(&mut self, node: &Node, what: &str) -> Option<BTreeMap<String, String>> {
        let Some(map) = node.as_mapping().filter(|m| !m.is_empty()) else {
            self.error(
                node.span(),
                &format!("`{what}` is a mapping of result element names to values"),
                Some(&format!("{what}: {{ QualificationValidity: \"1\" }}")),
            );
            return None;
        };
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (key, value) in map.iter() {
            if !RESULT_ELEMENTS.contains(&key.as_str()) {
                let hint = match did_you_mean(key.as_str(), RESULT_ELEMENTS.iter().copied()) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => {
                        "name an element of the OQSsiquc01res_ result, e.g. QualificationValidity"
                            .to_owned()
                    }
                };
                self.error(
                    key.span(),
                    &format!("unknown result element `{}`", key.as_str()),
                    Some(&hint),
                );
                ok = false;
                continue;
            }
            match self.string(value, key.as_str()) {
                Some(v) => {
                    out.insert(key.as_str().to_owned(), v);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}

/// A wall-time delay, `1500ms` or `2s` (0 allowed, at most 60 s).
pub fn parse_wall_duration(text: &str) -> Option<std::time::Duration> {
    let (number, ms) = match text.strip_suffix("ms") {
        Some(n) => (n, 1),
        None => (text.strip_suffix('s')?, 1000),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let total = number.parse::<u64>().ok()?.checked_mul(ms)?;
    (total <= 60_000).then(|| std::time::Duration::from_millis(total))
}

/// A duration such as `1d`, `90s` or `1h30m`: positive, units d, h, m and s, combinable.
pub fn parse_duration(text: &str) -> Option<TimeDelta> {
    let mut total = TimeDelta::zero();
    let mut digits = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().ok()?;
        digits.clear();
        total += match c {
            'd' => TimeDelta::try_days(n)?,
            'h' => TimeDelta::try_hours(n)?,
            'm' => TimeDelta::try_minutes(n)?,
            's' => TimeDelta::try_seconds(n)?,
            _ => return None,
        };
    }
    (digits.is_empty() && total > TimeDelta::zero()).then_some(total)
}

/// The candidate closest to `word`, if close enough to be a likely typo.
fn did_you_mean<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let limit = (word.chars().count().div_ceil(3)).max(1);
    candidates
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_settings() {
        let known = Known::fixtures().unwrap();
        let head = "title: t\nclock: { start: 2026-11-25T09:30:00 }\n";
        let steps = "steps:\n  - drop: valid-kokuho\n";
        let ok = parse(
            "ok.yaml",
            &format!("{head}result-encoding: utf-8\nclient-delay: 1500ms\n{steps}"),
            &known,
        )
        .unwrap();
        assert_eq!(ok.result_encoding, Some(Encoding::Utf8));
        assert_eq!(
            ok.client_delay,
            Some(std::time::Duration::from_millis(1500))
        );
        let plain = parse("plain.yaml", &format!("{head}{steps}"), &known).unwrap();
        assert_eq!((plain.result_encoding, plain.client_delay), (None, None));
        let bad = parse(
            "bad.yaml",
            &format!("{head}result-encoding: latin1\nclient-delay: 1.5s\n{steps}"),
            &known,
        )
        .unwrap_err();
        let at: Vec<(usize, usize, &str)> = bad
            .iter()
            .map(|d| (d.line, d.column, d.message.as_str()))
            .collect();
        assert_eq!(
            at,
            [
                (3, 18, "unknown result encoding \"latin1\""),
                (4, 15, "bad wall-time delay \"1.5s\""),
            ]
        );
        assert!(bad.iter().all(|d| d.hint.is_some()));
    }

    #[test]
    fn wall_durations() {
        use std::time::Duration;
        assert_eq!(
            parse_wall_duration("1500ms"),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_wall_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_wall_duration("0ms"), Some(Duration::ZERO));
        assert_eq!(parse_wall_duration("61s"), None);
        assert_eq!(parse_wall_duration("1.5s"), None);
        assert_eq!(parse_wall_duration("ms"), None);
        assert_eq!(parse_wall_duration("2m"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1d"), TimeDelta::try_days(1));
        assert_eq!(parse_duration("1h30m"), TimeDelta::try_minutes(90));
        assert_eq!(parse_duration("0s"), None);
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("5w"), None);
    }

    #[test]
    fn suggestions() {
        let c = ["QualificationValidity", "InsurerNumber"];
        assert_eq!(
            did_you_mean("QualificationValidty", c.iter().copied()),
            Some("QualificationValidity")
        );
        assert_eq!(did_you_mean("Foo", c.iter().copied()), None);
    }
}
