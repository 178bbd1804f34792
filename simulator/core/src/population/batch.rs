//! Persons prepared for a population on another thread: a [`Batch`] holds compact rows and text
//! of its own (interned locally, with the population's insurer table and hasher, the key hashes
//! computed and same-key chains linked), so that [`Population::append`] only renumbers text
//! handles and enters the batch into the indexes. A generator can so build the costly part of
//! the population on every core and merge in order on one.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashMap, HashTable};

use super::records::{Extra, Other, PersonRec, QualRec};
use super::text::{self, NONE, Strings};
use super::{Canon, Population, PopulationError, id_at, key_hash, stored_canon};
use crate::insurer::InsurerNumber;
use crate::person::Person;

/// Persons in the making for one population ([`Population::batch`]); `Send`, so it can be
/// filled on another thread while the population goes on growing.
pub struct Batch {
    tag: u64,
    /// The population's insurer indexes, for the lookup of every qualification.
    insurers: HashMap<InsurerNumber, u16>,
    hasher: DefaultHashBuilder,
    strings: Strings,
    id_bytes: String,
    id_ends: Vec<u32>,
    id_hashes: Vec<u64>,
    by_id: HashTable<u32>,
    persons: Vec<PersonRec>,
    others: Vec<Other>,
    quals: Vec<QualRec>,
    extras: Vec<Extra>,
    by_key: HashTable<u32>,
    /// The first qualification of each distinct card key in the batch, with the key's hash.
    heads: Vec<(u32, u64)>,
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("persons", &self.persons.len())
            .field("qualifications", &self.quals.len())
            .finish()
    }
}

impl Batch {
    /// An empty batch for the same population, with room for `persons` persons.
    pub fn sibling(&self, persons: usize) -> Batch {
        let quals = persons * 21 / 4;
        Batch {
            tag: self.tag,
            insurers: self.insurers.clone(),
            hasher: self.hasher,
            strings: Strings::default(),
            id_bytes: String::with_capacity(persons * 8),
            id_ends: Vec::with_capacity(persons),
            id_hashes: Vec::with_capacity(persons),
            by_id: HashTable::with_capacity(persons),
            persons: Vec::with_capacity(persons),
            others: Vec::new(),
            quals: Vec::with_capacity(quals),
            extras: Vec::new(),
            by_key: HashTable::with_capacity(quals),
            heads: Vec::with_capacity(quals),
        }
    }

    /// Empties the batch, keeping its room (to fill it again).
    pub fn clear(&mut self) {
        self.strings.clear();
        self.id_bytes.clear();
        self.id_ends.clear();
        self.id_hashes.clear();
        self.by_id.clear();
        self.persons.clear();
        self.others.clear();
        self.quals.clear();
        self.extras.clear();
        self.by_key.clear();
        self.heads.clear();
    }

    /// Number of persons.
    pub fn len(&self) -> usize {
        self.persons.len()
    }

    /// Whether the batch has no persons.
    pub fn is_empty(&self) -> bool {
        self.persons.is_empty()
    }

    /// Adds a person, checked as [`Population::add`] checks them (within the batch; against the
    /// population on [`Population::append`]). On error the batch is as it was.
    pub fn add(&mut self, person: &Person) -> Result<(), PopulationError> {
        let p = u32::try_from(self.persons.len()).map_err(|_| PopulationError::TooLarge)?;
        let id_hash = self.hasher.hash_one(person.id.as_str());
        {
            let (ids, ends) = (&self.id_bytes, &self.id_ends);
            if self
                .by_id
                .find(id_hash, |&i| id_at(ids, ends, i) == person.id)
                .is_some()
            {
                return Err(PopulationError::DuplicatePerson(person.id.clone()));
            }
        }
        let (first, insurers) = super::admit(person, self.quals.len(), self.id_bytes.len(), |n| {
            self.insurers.get(n).copied()
        })?;
        let rec = PersonRec::new(&mut self.strings, &mut self.others, person, first)?;
        let mut recs = Vec::with_capacity(person.qualifications.len());
        for (qual, &insurer) in person.qualifications.iter().zip(&insurers) {
            recs.push(QualRec::new(
                &mut self.strings,
                &mut self.extras,
                qual,
                p,
                insurer,
            )?);
        }
        self.id_bytes.push_str(&person.id);
        self.id_ends.push(self.id_bytes.len() as u32);
        self.id_hashes.push(id_hash);
        let (ids, ends, hasher) = (&self.id_bytes, &self.id_ends, &self.hasher);
        self.by_id
            .insert_unique(id_hash, p, |&i| hasher.hash_one(id_at(ids, ends, i)));
        self.persons.push(rec);
        for r in recs {
            self.push_qual(r);
        }
        Ok(())
    }

    /// Stores a qualification row and links it to the earlier ones with its card key.
    fn push_qual(&mut self, r: QualRec) {
        let q = self.quals.len() as u32;
        let insurer = u32::from(r.insurer);
        let c = stored_canon(&self.strings, r.number);
        let hash = key_hash(&self.hasher, insurer, &c);
        self.quals.push(r);
        let (quals, strings, hasher) = (&self.quals, &self.strings, &self.hasher);
        let same = |h: &u32| {
            let o = &quals[*h as usize];
            u32::from(o.insurer) == insurer
                && (o.number == r.number || stored_canon(strings, o.number) == c)
        };
        match self.by_key.find(hash, same).copied() {
            Some(mut h) => {
                while self.quals[h as usize].next_same_key != NONE {
                    h = self.quals[h as usize].next_same_key;
                }
                self.quals[h as usize].next_same_key = q;
            }
            None => {
                self.by_key.insert_unique(hash, q, |&h| {
                    let o = &quals[h as usize];
                    key_hash(
                        hasher,
                        u32::from(o.insurer),
                        &stored_canon(strings, o.number),
                    )
                });
                self.heads.push((q, hash));
            }
        }
    }
}

/// A number unique to each population, so that a batch goes only into its own.
pub(super) fn new_tag() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Population {
    /// An empty batch of persons for this population, with room for `persons` persons: fill it
    /// (on any thread) with [`Batch::add`], then [`Population::append`] it. Insurers added to
    /// the population later are unknown to the batch.
    pub fn batch(&self, persons: usize) -> Batch {
        let template = Batch {
            tag: self.tag(),
            insurers: self
                .insurer_index
                .iter()
                .filter_map(|(n, &i)| Some((n.clone(), u16::try_from(i).ok()?)))
                .collect(),
            hasher: self.hasher,
            strings: Strings::default(),
            id_bytes: String::new(),
            id_ends: Vec::new(),
            id_hashes: Vec::new(),
            by_id: HashTable::new(),
            persons: Vec::new(),
            others: Vec::new(),
            quals: Vec::new(),
            extras: Vec::new(),
            by_key: HashTable::new(),
            heads: Vec::new(),
        };
        template.sibling(persons)
    }

    /// Adds the persons of a batch made by [`Population::batch`], after those already here (as
    /// if each had been [`Population::add`]ed), and empties the batch (keeping its room, for
    /// the next persons). On error (an id already here, a batch of another population) the
    /// population is as it was; when the text arena is full ([`PopulationError::TooLarge`]) it
    /// may keep some of the batch's strings, but no person.
    pub fn append(&mut self, batch: &mut Batch) -> Result<(), PopulationError> {
        if batch.tag != self.tag() {
            return Err(PopulationError::ForeignBatch);
        }
        let base_person = self.persons.len();
        let base_qual = self.quals.len();
        if u32::try_from(base_person + batch.persons.len()).is_err()
            || u32::try_from(base_qual + batch.quals.len()).is_err()
            || u32::try_from(self.id_bytes.len() + batch.id_bytes.len()).is_err()
            || u32::try_from(self.others.len() + batch.others.len()).is_err()
            || u32::try_from(self.extras.len() + batch.extras.len()).is_err()
        {
            return Err(PopulationError::TooLarge);
        }
        // Ids first: nothing is changed yet if one is here already.
        {
            let (ids, ends) = (&self.id_bytes, &self.id_ends);
            for (i, &hash) in batch.id_hashes.iter().enumerate() {
                let id = id_at(&batch.id_bytes, &batch.id_ends, i as u32);
                if self
                    .by_id
                    .find(hash, |&j| id_at(ids, ends, j) == id)
                    .is_some()
                {
                    return Err(PopulationError::DuplicatePerson(id.to_owned()));
                }
            }
        }
        let map = self.strings.absorb(&batch.strings)?;
        let (bp, bq) = (base_person as u32, base_qual as u32);
        let (bo, be) = (self.others.len() as u32, self.extras.len() as u32);
        let shift = |v: u32, by: u32| if v == NONE { NONE } else { v + by };

        self.others.extend(batch.others.iter().map(|o| Other {
            name: text::remap_pieces(o.name, &map),
            kana: text::remap_pieces(o.kana, &map),
        }));
        self.extras.append(&mut batch.extras);
        self.persons.extend(batch.persons.iter().map(|p| PersonRec {
            name: text::remap_pieces(p.name, &map),
            kana: text::remap_pieces(p.kana, &map),
            address: text::remap_pieces(p.address, &map),
            postcode: text::remap(p.postcode, &map),
            other: shift(p.other, bo),
            first_qualification: p.first_qualification + bq,
            ..*p
        }));
        self.quals.extend(batch.quals.iter().map(|q| QualRec {
            person: q.person + bp,
            symbol: text::remap(q.symbol, &map),
            number: text::remap(q.number, &map),
            branch: text::remap(q.branch, &map),
            insured_name: text::remap_pieces(q.insured_name, &map),
            extra: shift(q.extra, be),
            next_same_key: shift(q.next_same_key, bq),
            ..*q
        }));

        let base_bytes = self.id_bytes.len() as u32;
        self.id_bytes.push_str(&batch.id_bytes);
        self.id_ends
            .extend(batch.id_ends.iter().map(|e| e + base_bytes));
        let Population {
            id_bytes,
            id_ends,
            by_id,
            by_key,
            quals,
            strings,
            hasher,
            ..
        } = self;
        by_id.reserve(batch.id_hashes.len(), |&i| {
            hasher.hash_one(id_at(id_bytes, id_ends, i))
        });
        for (i, &hash) in batch.id_hashes.iter().enumerate() {
            let p = bp + i as u32;
            by_id.insert_unique(hash, p, |&j| hasher.hash_one(id_at(id_bytes, id_ends, j)));
        }

        // Each distinct key of the batch: a new index entry, or the batch's chain after the
        // population's one.
        for &(head, hash) in &batch.heads {
            let q = bq + head;
            let r = quals[q as usize];
            let insurer = u32::from(r.insurer);
            let c: Canon<'_> = stored_canon(strings, r.number);
            let found = by_key
                .find(hash, |&h| {
                    h < bq && {
                        let o = &quals[h as usize];
                        u32::from(o.insurer) == insurer
                            && (o.number == r.number || stored_canon(strings, o.number) == c)
                    }
                })
                .copied();
            match found {
                Some(mut h) => {
                    while quals[h as usize].next_same_key != NONE {
                        h = quals[h as usize].next_same_key;
                    }
                    quals[h as usize].next_same_key = q;
                }
                None => {
                    let (quals, strings) = (&*quals, &*strings);
                    by_key.insert_unique(hash, q, |&h| {
                        let o = &quals[h as usize];
                        key_hash(
                            hasher,
                            u32::from(o.insurer),
                            &stored_canon(strings, o.number),
                        )
                    });
                }
            }
        }
        batch.clear();
        Ok(())
    }
}
