//! The population: persons and insurers, with an index from card keys to qualifications.
//!
//! Layout (compact, for 10,000,000 persons in a few GiB): text is interned once per distinct
//! string (names split into family and given name, addresses into 町域, 番地 and 建物; short
//! digit strings packed into the handle), dates are day numbers, codes one byte; each person is
//! one fixed-size row, all qualifications share one table (a person's are contiguous), and the
//! indexes are hash tables of 4-byte row numbers keyed by hashes of the stored data. A
//! [`Person`] or [`Qualification`] is built on demand by [`Population::person`],
//! [`Population::qualification`] and the iterators; the cheap accessors
//! ([`Population::birthdate`], [`Population::person_id`], [`Population::is_active_on`]) build
//! nothing.

mod batch;
mod binary;
mod records;
mod text;

use std::collections::BTreeMap;
use std::hash::BuildHasher;

use chrono::NaiveDate;
use hashbrown::{DefaultHashBuilder, HashTable};

use crate::insurer::{Insurer, InsurerNumber};
use crate::keys::normalize_key;
use crate::person::{Person, Sex};
use crate::qualification::Qualification;
pub use batch::Batch;
pub use binary::BinaryError;
use records::{Extra, Other, PersonRec, QualRec, day};
use text::{NONE, Strings};

/// A qualification of a person, by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QualRef {
    /// Index of the person.
    pub person: u32,
    /// Index of the qualification in the person's history.
    pub qualification: u16,
}

/// Why a population is inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PopulationError {
    /// Two persons share an id.
    #[error("duplicate person id {0:?}")]
    DuplicatePerson(String),
    /// Two insurers share a number.
    #[error("duplicate insurer number {0}")]
    DuplicateInsurer(InsurerNumber),
    /// A qualification names an insurer that does not exist.
    #[error("person {person:?} has a qualification with unknown insurer {insurer}")]
    UnknownInsurer {
        /// The person.
        person: String,
        /// The insurer number.
        insurer: InsurerNumber,
    },
    /// More persons or qualifications than the index can address.
    #[error("the population is too large to index")]
    TooLarge,
    /// A batch made for another population.
    #[error("the batch of persons was made for another population")]
    ForeignBatch,
}

impl From<text::Full> for PopulationError {
    fn from(_: text::Full) -> PopulationError {
        PopulationError::TooLarge
    }
}

/// Persons, insurers and the card-key index.
pub struct Population {
    /// Tells this population's batches from others' ([`Batch`]).
    tag: u64,
    insurers: Vec<Insurer>,
    insurer_index: BTreeMap<InsurerNumber, u32>,
    strings: Strings,
    id_bytes: String,
    id_ends: Vec<u32>,
    persons: Vec<PersonRec>,
    others: Vec<Other>,
    quals: Vec<QualRec>,
    extras: Vec<Extra>,
    by_id: HashTable<u32>,
    by_key: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl Default for Population {
    fn default() -> Population {
        Population {
            tag: batch::new_tag(),
            insurers: Vec::new(),
            insurer_index: BTreeMap::new(),
            strings: Strings::default(),
            id_bytes: String::new(),
            id_ends: Vec::new(),
            persons: Vec::new(),
            others: Vec::new(),
            quals: Vec::new(),
            extras: Vec::new(),
            by_id: HashTable::new(),
            by_key: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
        }
    }
}

impl std::fmt::Debug for Population {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Population")
            .field("persons", &self.persons.len())
            .field("qualifications", &self.quals.len())
            .field("insurers", &self.insurers.len())
            .field("strings", &self.strings)
            .finish()
    }
}

/// A normalised 番号 as hashed and compared by the card-key index: numbers as values (a
/// normalised all-digit 番号 has no leading zeros), anything else as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Canon<'a> {
    Num(u64),
    Str(std::borrow::Cow<'a, str>),
}

fn canon(normalized: &str) -> Canon<'_> {
    if (1..=18).contains(&normalized.len()) && normalized.bytes().all(|b| b.is_ascii_digit()) {
        Canon::Num(normalized.parse().unwrap_or(0))
    } else {
        Canon::Str(normalized.into())
    }
}

fn stored_canon(strings: &Strings, number: text::Text) -> Canon<'static> {
    match Strings::digit_value(number) {
        Some(v) => Canon::Num(u64::from(v)),
        None => match canon(&normalize_key(&strings.string(number))) {
            Canon::Num(v) => Canon::Num(v),
            Canon::Str(s) => Canon::Str(s.into_owned().into()),
        },
    }
}

fn key_hash(hasher: &DefaultHashBuilder, insurer: u32, canon: &Canon<'_>) -> u64 {
    hasher.hash_one((insurer, canon))
}

fn id_at<'a>(bytes: &'a str, ends: &[u32], i: u32) -> &'a str {
    let i = i as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    &bytes[start..ends[i] as usize]
}

/// Checks that `person` fits a store already holding `quals` qualification rows and `id_len`
/// bytes of ids, and resolves each qualification's insurer with `insurer`: the index of the
/// person's first qualification row and the insurers' indexes. Shared by [`Population::add_ref`]
/// and [`Batch::add`], so both refuse the same persons with the same errors.
fn admit(
    person: &Person,
    quals: usize,
    id_len: usize,
    insurer: impl Fn(&InsurerNumber) -> Option<u16>,
) -> Result<(u32, Vec<u16>), PopulationError> {
    let mut insurers = Vec::with_capacity(person.qualifications.len());
    for qual in &person.qualifications {
        let Some(i) = insurer(&qual.insurer) else {
            return Err(PopulationError::UnknownInsurer {
                person: person.id.clone(),
                insurer: qual.insurer.clone(),
            });
        };
        insurers.push(i);
    }
    let first = u32::try_from(quals).map_err(|_| PopulationError::TooLarge)?;
    if person.qualifications.len() > usize::from(u16::MAX)
        || u32::try_from(quals + person.qualifications.len()).is_err()
        || u32::try_from(id_len + person.id.len()).is_err()
    {
        return Err(PopulationError::TooLarge);
    }
    Ok((first, insurers))
}

impl Population {
    fn tag(&self) -> u64 {
        self.tag
    }

    /// Builds and checks a population.
    pub fn new(
        insurers: Vec<Insurer>,
        persons: Vec<Person>,
    ) -> Result<Population, PopulationError> {
        let mut pop = Population::default();
        for insurer in insurers {
            if pop.insurer_index.contains_key(&insurer.number) {
                return Err(PopulationError::DuplicateInsurer(insurer.number));
            }
            pop.push_insurer(insurer);
        }
        pop.reserve(persons.len(), 0);
        for person in &persons {
            pop.add_ref(person)?;
        }
        Ok(pop)
    }

    fn push_insurer(&mut self, insurer: Insurer) {
        let i = self.insurers.len() as u32;
        self.insurer_index.insert(insurer.number.clone(), i);
        self.insurers.push(insurer);
    }

    /// Gives back the room reserved but not used.
    pub fn shrink_to_fit(&mut self) {
        self.persons.shrink_to_fit();
        self.quals.shrink_to_fit();
        self.id_ends.shrink_to_fit();
        self.id_bytes.shrink_to_fit();
    }

    /// Makes room for `persons` more persons with `qualifications` more qualifications (0: an
    /// estimate, 5.25 a person as generated).
    pub fn reserve(&mut self, persons: usize, qualifications: usize) {
        let qualifications = if qualifications == 0 {
            persons * 21 / 4
        } else {
            qualifications
        };
        self.persons.reserve(persons);
        self.id_ends.reserve(persons);
        self.id_bytes.reserve(persons * 8);
        self.quals.reserve(qualifications);
        let (ids, ends) = (&self.id_bytes, &self.id_ends);
        let hasher = &self.hasher;
        self.by_id
            .reserve(persons, |&i| hasher.hash_one(id_at(ids, ends, i)));
        let (quals, strings) = (&self.quals, &self.strings);
        self.by_key.reserve(qualifications, |&q| {
            let r = &quals[q as usize];
            key_hash(
                hasher,
                u32::from(r.insurer),
                &stored_canon(strings, r.number),
            )
        });
    }

    /// Adds a person (merging named fixtures into a generated population, for instance).
    pub fn add(&mut self, person: Person) -> Result<(), PopulationError> {
        self.add_ref(&person)
    }

    /// Adds a copy of a person.
    pub fn add_ref(&mut self, person: &Person) -> Result<(), PopulationError> {
        let p = u32::try_from(self.persons.len()).map_err(|_| PopulationError::TooLarge)?;
        if self.index_of(&person.id).is_some() {
            return Err(PopulationError::DuplicatePerson(person.id.clone()));
        }
        let (first, insurers) = admit(person, self.quals.len(), self.id_bytes.len(), |n| {
            self.insurer_index
                .get(n)
                .and_then(|&i| u16::try_from(i).ok())
        })?;
        let rec = PersonRec::new(&mut self.strings, &mut self.others, person, first)?;
        for (qual, &insurer) in person.qualifications.iter().zip(&insurers) {
            let q = QualRec::new(&mut self.strings, &mut self.extras, qual, p, insurer)?;
            self.quals.push(q);
        }
        self.id_bytes.push_str(&person.id);
        self.id_ends.push(self.id_bytes.len() as u32);
        self.persons.push(rec);
        self.index_person(p);
        Ok(())
    }

    /// Enters person `p` (already stored, with their qualifications) into both indexes.
    fn index_person(&mut self, p: u32) {
        let (ids, ends, hasher) = (&self.id_bytes, &self.id_ends, &self.hasher);
        let id = id_at(ids, ends, p);
        self.by_id.insert_unique(hasher.hash_one(id), p, |&i| {
            hasher.hash_one(id_at(ids, ends, i))
        });
        let range = self.qual_range(p);
        for q in range {
            let (insurer, number) = (u32::from(self.quals[q].insurer), self.quals[q].number);
            let c = stored_canon(&self.strings, number);
            let hash = key_hash(hasher, insurer, &c);
            let (quals, strings) = (&self.quals, &self.strings);
            let head = self.by_key.find(hash, |&h| {
                let r = &quals[h as usize];
                u32::from(r.insurer) == insurer
                    && (r.number == number || stored_canon(strings, r.number) == c)
            });
            match head.copied() {
                Some(mut h) => {
                    while self.quals[h as usize].next_same_key != NONE {
                        h = self.quals[h as usize].next_same_key;
                    }
                    self.quals[h as usize].next_same_key = q as u32;
                }
                None => {
                    self.by_key.insert_unique(hash, q as u32, |&h| {
                        let r = &quals[h as usize];
                        key_hash(
                            hasher,
                            u32::from(r.insurer),
                            &stored_canon(strings, r.number),
                        )
                    });
                }
            }
        }
    }

    fn qual_range(&self, p: u32) -> std::ops::Range<usize> {
        let p = p as usize;
        let start = self.persons[p].first_qualification as usize;
        let end = self
            .persons
            .get(p + 1)
            .map_or(self.quals.len(), |n| n.first_qualification as usize);
        start..end
    }

    fn qual_index(&self, r: QualRef) -> usize {
        self.persons[r.person as usize].first_qualification as usize + usize::from(r.qualification)
    }

    /// Adds insurers not yet known (existing numbers are kept).
    pub fn add_insurers(&mut self, insurers: impl IntoIterator<Item = Insurer>) {
        for insurer in insurers {
            if !self.insurer_index.contains_key(&insurer.number) {
                self.push_insurer(insurer);
            }
        }
    }

    /// Qualifications whose insurer and normalised 番号 are these, in the order they were added.
    pub fn candidates(&self, insurer: &InsurerNumber, normalized_number: &str) -> Vec<QualRef> {
        let Some(&ins) = self.insurer_index.get(insurer) else {
            return Vec::new();
        };
        let c = canon(normalized_number);
        let hash = key_hash(&self.hasher, ins, &c);
        let head = self.by_key.find(hash, |&h| {
            let r = &self.quals[h as usize];
            u32::from(r.insurer) == ins && stored_canon(&self.strings, r.number) == c
        });
        let mut out = Vec::new();
        let mut q = head.copied().unwrap_or(NONE);
        while q != NONE {
            let r = &self.quals[q as usize];
            let first = self.persons[r.person as usize].first_qualification;
            out.push(QualRef {
                person: r.person,
                qualification: (q - first) as u16,
            });
            q = r.next_same_key;
        }
        out
    }

    /// Every person, in insertion order, each built on demand.
    pub fn persons(&self) -> Persons<'_> {
        Persons {
            pop: self,
            range: 0..self.persons.len() as u32,
        }
    }

    /// The person with index `i` (`i < len()`).
    pub fn person_at(&self, i: u32) -> Person {
        let rec = &self.persons[i as usize];
        let quals = self
            .qual_range(i)
            .map(|q| self.qualification_at(q))
            .collect();
        rec.person(&self.strings, &self.others, self.person_id(i), quals)
    }

    /// The person with index `i` (`i < len()`) without their qualification history
    /// (`qualifications` is empty): what a result item shows of the person, for the cost of the
    /// person alone.
    pub fn person_without_history(&self, i: u32) -> Person {
        let rec = &self.persons[i as usize];
        rec.person(&self.strings, &self.others, self.person_id(i), Vec::new())
    }

    fn qualification_at(&self, q: usize) -> Qualification {
        let r = &self.quals[q];
        let insurer = self.insurers[r.insurer as usize].number.clone();
        r.qualification(&self.strings, &self.extras, insurer)
    }

    /// The person of `r`.
    pub fn person(&self, r: QualRef) -> Person {
        self.person_at(r.person)
    }

    /// The qualification at `r`.
    pub fn qualification(&self, r: QualRef) -> Qualification {
        self.qualification_at(self.qual_index(r))
    }

    /// The id of the person with index `i`.
    pub fn person_id(&self, i: u32) -> &str {
        id_at(&self.id_bytes, &self.id_ends, i)
    }

    /// 生年月日 of the person with index `i`.
    pub fn birthdate(&self, i: u32) -> NaiveDate {
        records::date(self.persons[i as usize].birthdate)
    }

    /// 性別 of the person with index `i`.
    pub fn sex(&self, i: u32) -> Sex {
        records::sex(self.persons[i as usize].sex)
    }

    /// The number of qualifications of the person with index `i`.
    pub fn qualification_count(&self, i: u32) -> usize {
        self.qual_range(i).len()
    }

    /// 資格取得年月日 of the qualification at `r`.
    pub fn acquired(&self, r: QualRef) -> NaiveDate {
        records::date(self.quals[self.qual_index(r)].acquired)
    }

    /// Whether the qualification at `r` is valid on `d` ([`Qualification::is_active_on`]).
    pub fn is_active_on(&self, r: QualRef, d: NaiveDate) -> bool {
        self.quals[self.qual_index(r)].is_active_on(day(d))
    }

    /// The index of the person with this id.
    pub fn index_of(&self, id: &str) -> Option<u32> {
        let (ids, ends) = (&self.id_bytes, &self.id_ends);
        self.by_id
            .find(self.hasher.hash_one(id), |&i| id_at(ids, ends, i) == id)
            .copied()
    }

    /// The person with this id.
    pub fn person_by_id(&self, id: &str) -> Option<Person> {
        self.index_of(id).map(|i| self.person_at(i))
    }

    /// The insurer with this number.
    pub fn insurer(&self, number: &InsurerNumber) -> Option<&Insurer> {
        self.insurer_index
            .get(number)
            .map(|&i| &self.insurers[i as usize])
    }

    /// Every insurer, by number.
    pub fn insurers(&self) -> impl Iterator<Item = &Insurer> {
        self.insurer_index
            .values()
            .map(|&i| &self.insurers[i as usize])
    }

    /// Number of persons.
    pub fn len(&self) -> usize {
        self.persons.len()
    }

    /// Whether there are no persons.
    pub fn is_empty(&self) -> bool {
        self.persons.is_empty()
    }

    /// Number of qualifications of all persons.
    pub fn qualifications_len(&self) -> usize {
        self.quals.len()
    }

    /// Heap bytes held by the persons, qualifications, text and indexes (capacity, not use;
    /// the insurer table is not counted).
    pub fn heap_bytes(&self) -> usize {
        self.heap_report().iter().map(|(_, b)| b).sum()
    }

    /// [`Population::heap_bytes`] by part.
    pub fn heap_report(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("text", self.strings.heap_bytes()),
            (
                "ids",
                self.id_bytes.capacity() + self.id_ends.capacity() * 4,
            ),
            (
                "person rows",
                self.persons.capacity() * size_of::<PersonRec>(),
            ),
            ("other names", self.others.capacity() * size_of::<Other>()),
            (
                "qualification rows",
                self.quals.capacity() * size_of::<QualRec>(),
            ),
            (
                "certificates",
                self.extras.capacity() * size_of::<Extra>()
                    + self
                        .extras
                        .iter()
                        .map(|e| {
                            e.diseases.capacity()
                                * size_of::<crate::qualification::SpecificDiseaseCertificate>()
                        })
                        .sum::<usize>(),
            ),
            ("id index", self.by_id.capacity() * 5),
            ("card-key index", self.by_key.capacity() * 5),
        ]
    }
}

/// The persons of a population, in insertion order ([`Population::persons`]).
#[derive(Debug, Clone)]
pub struct Persons<'a> {
    pop: &'a Population,
    range: std::ops::Range<u32>,
}

impl Iterator for Persons<'_> {
    type Item = Person;

    fn next(&mut self) -> Option<Person> {
        self.range.next().map(|i| self.pop.person_at(i))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.range.size_hint()
    }

    fn nth(&mut self, n: usize) -> Option<Person> {
        self.range.nth(n).map(|i| self.pop.person_at(i))
    }
}

impl ExactSizeIterator for Persons<'_> {}

impl DoubleEndedIterator for Persons<'_> {
    fn next_back(&mut self) -> Option<Person> {
        self.range.next_back().map(|i| self.pop.person_at(i))
    }
}

#[cfg(test)]
mod tests;
