//! Reading the bulk, 照会番号 and Web API steps (see `crate::requests`).

use chrono::NaiveDate;
use marked_yaml::Node;
use marked_yaml::types::MarkedMappingNode;

use super::{Cx, Known, did_you_mean};
use crate::model::Action;
use crate::requests::{BulkDownload, BulkUpload, Reception, ReferenceRegistration, WebApiCheck};

/// The step names.
pub(super) const ACTIONS: &[&str] = &["bulk", "bulk-result", "register-reference", "webapi"];

const BULK_HINT: &str = "bulk: [valid-shaho-honnin, lapsed-no-new], or bulk: { persons: [...], name: OQSmuquc01req_202611250001.xml, date: 2026-11-25 }";
const RESULT_HINT: &str = "bulk-result: last (the 受付番号 of the last `bulk`), or bulk-result: { reception: \"20261125000000000001\", name: OQSmuquc02req_202611250002.xml }";
const REFERENCE_HINT: &str = "register-reference: { person: valid-kokuho, number: \"K-0001\" }";
const WEBAPI_HINT: &str = "webapi: valid-shaho-honnin, or webapi: { person: valid-shaho-honnin, date: 2026-11-25, limit-consent: true }";

impl Cx<'_> {
    /// One of [`ACTIONS`].
    pub(super) fn request_step(
        &mut self,
        action: &str,
        node: &Node,
        known: &Known,
    ) -> Option<Action> {
        match action {
            "bulk" => {
                self.bulked = true;
                self.bulk(node, known).map(Action::Bulk)
            }
            "bulk-result" => {
                let bulked = self.bulked;
                self.bulk_result(node, bulked).map(Action::BulkResult)
            }
            "register-reference" => self.reference(node, known).map(Action::RegisterReference),
            _ => self.webapi(node, known).map(Action::WebApi),
        }
    }

    /// A person or probe id, checked against the fixtures.
    fn person(&mut self, node: &Node, what: &str, known: &Known) -> Option<String> {
        let id = self.string(node, what)?;
        if known.persons.contains(&id) || known.probes.contains(&id) {
            return Some(id);
        }
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
            node.span(),
            &format!("unknown person or probe id `{id}`"),
            Some(&hint),
        );
        None
    }

    fn mapping<'n>(
        &mut self,
        node: &'n Node,
        action: &str,
        hint: &str,
    ) -> Option<&'n MarkedMappingNode> {
        let map = node.as_mapping();
        if map.is_none() {
            self.error(node.span(), &format!("`{action}` is a mapping"), Some(hint));
        }
        map
    }

    /// `name:` of a request step: a plain file name with the kind's prefix, dropped once.
    fn request_name(
        &mut self,
        map: &MarkedMappingNode,
        prefix: &str,
    ) -> Result<Option<String>, ()> {
        let Some(n) = map.get_node("name") else {
            return Ok(None);
        };
        let name = self.string(n, "name").ok_or(())?;
        if name.contains(['/', '\\']) || !name.starts_with(prefix) || !name.ends_with(".xml") {
            self.error(
                n.span(),
                &format!("bad file name {name:?}"),
                Some(&format!("a plain file name {prefix}….xml")),
            );
            return Err(());
        }
        let (line, _) = super::position(n.span());
        if let Some(first) = self.names.insert(name.clone(), line) {
            self.error(
                n.span(),
                &format!("{name} is already dropped at line {first}"),
                Some("give each drop its own file name; a second answer would overwrite the first"),
            );
            return Err(());
        }
        Ok(Some(name))
    }

    fn request_date(&mut self, map: &MarkedMappingNode) -> Result<Option<NaiveDate>, ()> {
        let Some(n) = map.get_node("date") else {
            return Ok(None);
        };
        let text = self.string(n, "date").ok_or(())?;
        match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(d) => Ok(Some(d)),
            Err(_) => {
                self.error(
                    n.span(),
                    &format!("bad date {text:?}"),
                    Some("write the date as yyyy-mm-dd, e.g. 2026-11-25"),
                );
                Err(())
            }
        }
    }

    fn bulk(&mut self, node: &Node, known: &Known) -> Option<BulkUpload> {
        let (list, name, date) = match node.as_mapping() {
            Some(map) => {
                self.unknown_keys(map, &["persons", "name", "date"], "`bulk`");
                let list = self.required(map, node.span(), "persons", "a list of person ids");
                let name = self.request_name(map, "OQSmuquc01req_");
                let date = self.request_date(map);
                (list?, name.ok()?, date.ok()?)
            }
            None => (node, None, None),
        };
        let Some(seq) = list.as_sequence() else {
            self.error(
                list.span(),
                "`bulk` lists the persons of the upload",
                Some(BULK_HINT),
            );
            return None;
        };
        if seq.is_empty() {
            self.error(
                list.span(),
                "a bulk upload names at least one person",
                Some(BULK_HINT),
            );
            return None;
        }
        let mut persons = Vec::new();
        let mut ok = true;
        for item in seq.iter() {
            match self.person(item, "bulk", known) {
                Some(id) => persons.push(id),
                None => ok = false,
            }
        }
        ok.then_some(BulkUpload {
            persons,
            name,
            date,
        })
    }

    fn bulk_result(&mut self, node: &Node, bulked: bool) -> Option<BulkDownload> {
        let (reception, name) = match node.as_mapping() {
            Some(map) => {
                self.unknown_keys(map, &["reception", "name"], "`bulk-result`");
                let reception = self.required(map, node.span(), "reception", "a 受付番号, or last");
                let name = self.request_name(map, "OQSmuquc02req_");
                (reception?, name.ok()?)
            }
            None => (node, None),
        };
        let text = self.string(reception, "reception")?;
        let reception = match text.trim() {
            "last" if !bulked => {
                self.error(
                    reception.span(),
                    "`bulk-result: last` asks for the 受付番号 of the last bulk upload, but there has been none yet",
                    Some("put a `bulk` step before it, or give the number"),
                );
                return None;
            }
            "last" => Reception::Last,
            n if !n.is_empty() && n.len() <= 20 && n.bytes().all(|b| b.is_ascii_digit()) => {
                Reception::Number(n.to_owned())
            }
            other => {
                self.error(
                    reception.span(),
                    &format!("bad 受付番号 {other:?}"),
                    Some(RESULT_HINT),
                );
                return None;
            }
        };
        Some(BulkDownload { reception, name })
    }

    fn reference(&mut self, node: &Node, known: &Known) -> Option<ReferenceRegistration> {
        let map = self.mapping(node, "register-reference", REFERENCE_HINT)?;
        self.unknown_keys(
            map,
            &["person", "number", "name", "date"],
            "`register-reference`",
        );
        let person = self
            .required(map, node.span(), "person", "a person id")
            .and_then(|n| self.person(n, "person", known));
        let number = self
            .required(map, node.span(), "number", "the 照会番号 to store")
            .and_then(|n| {
                let number = self.string(n, "number")?;
                if number.trim().is_empty() {
                    self.error(n.span(), "the 照会番号 is empty", Some(REFERENCE_HINT));
                    return None;
                }
                Some(number)
            });
        let name = self.request_name(map, "OQSsiimm01req_");
        let date = self.request_date(map);
        Some(ReferenceRegistration {
            person: person?,
            number: number?,
            name: name.ok()?,
            date: date.ok()?,
        })
    }

    fn webapi(&mut self, node: &Node, known: &Known) -> Option<WebApiCheck> {
        let Some(map) = node.as_mapping() else {
            if node.as_scalar().is_none() {
                self.error(node.span(), "`webapi` names a person", Some(WEBAPI_HINT));
                return None;
            }
            let person = self.person(node, "webapi", known)?;
            return Some(WebApiCheck {
                person,
                date: None,
                limit_consent: false,
            });
        };
        self.unknown_keys(map, &["person", "date", "limit-consent"], "`webapi`");
        let person = self
            .required(map, node.span(), "person", "a person id")
            .and_then(|n| self.person(n, "person", known));
        let date = self.request_date(map);
        let limit_consent = match map.get_node("limit-consent") {
            None => Some(false),
            Some(n) => self.bool(n, "limit-consent"),
        };
        Some(WebApiCheck {
            person: person?,
            date: date.ok()?,
            limit_consent: limit_consent?,
        })
    }
}
