//! The population: persons and insurers, with an index from card keys to qualifications.

use std::collections::{BTreeMap, HashMap};

use crate::insurer::{Insurer, InsurerNumber};
use crate::keys::normalize_key;
use crate::person::Person;
use crate::qualification::Qualification;

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
}

/// Persons, insurers and the card-key index.
#[derive(Debug, Default)]
pub struct Population {
    insurers: BTreeMap<InsurerNumber, Insurer>,
    persons: Vec<Person>,
    by_id: HashMap<String, u32>,
    index: HashMap<(InsurerNumber, String), Vec<QualRef>>,
}

impl Population {
    /// Builds and checks a population.
    pub fn new(
        insurers: Vec<Insurer>,
        persons: Vec<Person>,
    ) -> Result<Population, PopulationError> {
        let mut pop = Population::default();
        for insurer in insurers {
            let number = insurer.number.clone();
            if pop.insurers.insert(number.clone(), insurer).is_some() {
                return Err(PopulationError::DuplicateInsurer(number));
            }
        }
        for person in persons {
            pop.add(person)?;
        }
        Ok(pop)
    }

    /// Adds a person (merging named fixtures into a generated population, for instance).
    pub fn add(&mut self, person: Person) -> Result<(), PopulationError> {
        let p = u32::try_from(self.persons.len()).map_err(|_| PopulationError::TooLarge)?;
        if self.by_id.contains_key(&person.id) {
            return Err(PopulationError::DuplicatePerson(person.id));
        }
        for (q, qual) in person.qualifications.iter().enumerate() {
            if !self.insurers.contains_key(&qual.insurer) {
                return Err(PopulationError::UnknownInsurer {
                    person: person.id.clone(),
                    insurer: qual.insurer.clone(),
                });
            }
            let qualification = u16::try_from(q).map_err(|_| PopulationError::TooLarge)?;
            self.index
                .entry((qual.insurer.clone(), normalize_key(&qual.card.number)))
                .or_default()
                .push(QualRef {
                    person: p,
                    qualification,
                });
        }
        self.by_id.insert(person.id.clone(), p);
        self.persons.push(person);
        Ok(())
    }

    /// Adds insurers not yet known (existing numbers are kept).
    pub fn add_insurers(&mut self, insurers: impl IntoIterator<Item = Insurer>) {
        for insurer in insurers {
            self.insurers
                .entry(insurer.number.clone())
                .or_insert(insurer);
        }
    }

    /// Qualifications whose insurer and normalised 番号 are these.
    pub fn candidates(&self, insurer: &InsurerNumber, normalized_number: &str) -> &[QualRef] {
        // Avoid allocating a key for the common miss path only when the map is empty.
        if self.index.is_empty() {
            return &[];
        }
        self.index
            .get(&(insurer.clone(), normalized_number.to_owned()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Every person, in insertion order.
    pub fn persons(&self) -> &[Person] {
        &self.persons
    }

    /// The person at `r`.
    pub fn person(&self, r: QualRef) -> &Person {
        &self.persons[r.person as usize]
    }

    /// The qualification at `r`.
    pub fn qualification(&self, r: QualRef) -> &Qualification {
        &self.persons[r.person as usize].qualifications[r.qualification as usize]
    }

    /// The person with this id.
    pub fn person_by_id(&self, id: &str) -> Option<&Person> {
        self.by_id.get(id).map(|&i| &self.persons[i as usize])
    }

    /// The index of the person with this id.
    pub fn index_of(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).copied()
    }

    /// The insurer with this number.
    pub fn insurer(&self, number: &InsurerNumber) -> Option<&Insurer> {
        self.insurers.get(number)
    }

    /// Every insurer.
    pub fn insurers(&self) -> impl Iterator<Item = &Insurer> {
        self.insurers.values()
    }

    /// Number of persons.
    pub fn len(&self) -> usize {
        self.persons.len()
    }

    /// Whether there are no persons.
    pub fn is_empty(&self) -> bool {
        self.persons.is_empty()
    }
}
