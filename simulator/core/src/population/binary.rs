//! The binary form of a population: the compact tables written as they are held (little-endian
//! fixed-size rows), so that 10,000,000 persons load in seconds. The indexes are not stored; they
//! are rebuilt on load. Reading appends to a population (the named fixtures, usually): text
//! handles and insurer rows are renumbered, ids are checked for duplicates, every row is checked.
//!
//! Layout: magic `SIMPOPC1`; insurers (count, then number, name, kind id as length-prefixed
//! UTF-8); the text arena (bytes, ends); the id arena (bytes, ends); person rows; 氏名（その他）
//! rows; qualification rows; certificate rows. Counts are u32, byte lengths u64.

use std::io::{Read, Write};

use super::records::{Day, Extra, NO_DATE, Other, PersonRec, QualRec, opt_date};
use super::text::{NONE, Strings, Text};
use super::{Population, PopulationError};
use crate::insurer::{Insurer, InsurerKind, InsurerNumber};
use crate::qualification::{CertificatePeriod, SpecificDiseaseCertificate};

const MAGIC: &[u8; 8] = b"SIMPOPC1";

/// Why a binary population could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BinaryError {
    /// Reading failed (or the data ended early).
    #[error("reading the binary population: {0}")]
    Io(#[from] std::io::Error),
    /// The data is not a binary population or is damaged.
    #[error("binary population, {section}: {problem}")]
    Corrupt {
        /// Where.
        section: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// More text than the arena holds.
    #[error("the population is too large to index")]
    TooLarge,
    /// The persons do not fit with those already there.
    #[error(transparent)]
    Population(#[from] PopulationError),
}

impl From<super::text::Full> for BinaryError {
    fn from(_: super::text::Full) -> BinaryError {
        BinaryError::TooLarge
    }
}

fn corrupt(section: &'static str, problem: impl Into<String>) -> BinaryError {
    BinaryError::Corrupt {
        section,
        problem: problem.into(),
    }
}

const PERSON_ROW: usize = 4 * 11 + 2;
const QUAL_ROW: usize = 4 * 8 + 2 * 3 + 1;

struct Row<'a>(&'a [u8], usize);

impl Row<'_> {
    fn u32(&mut self) -> u32 {
        let v = u32::from_le_bytes([
            self.0[self.1],
            self.0[self.1 + 1],
            self.0[self.1 + 2],
            self.0[self.1 + 3],
        ]);
        self.1 += 4;
        v
    }
    fn i32(&mut self) -> i32 {
        self.u32() as i32
    }
    fn u16(&mut self) -> u16 {
        self.1 += 2;
        u16::from_le_bytes([self.0[self.1 - 2], self.0[self.1 - 1]])
    }
    fn u8(&mut self) -> u8 {
        self.1 += 1;
        self.0[self.1 - 1]
    }
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn read_u32(r: &mut impl Read) -> std::io::Result<u32> {
    let mut b = [0; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn read_u64(r: &mut impl Read) -> std::io::Result<u64> {
    let mut b = [0; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn write_str(w: &mut impl Write, s: &str) -> std::io::Result<()> {
    w.write_all(&(s.len() as u32).to_le_bytes())?;
    w.write_all(s.as_bytes())
}

fn read_string(r: &mut impl Read, section: &'static str, max: u64) -> Result<String, BinaryError> {
    let len = u64::from(read_u32(r)?);
    if len > max {
        return Err(corrupt(section, format!("a string of {len} bytes")));
    }
    let mut b = Vec::with_capacity(len as usize);
    r.take(len).read_to_end(&mut b)?;
    if b.len() as u64 != len {
        return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
    }
    String::from_utf8(b).map_err(|_| corrupt(section, "text is not UTF-8"))
}

/// Reads an arena: its text and the end of each string, checked.
fn read_arena(r: &mut impl Read, section: &'static str) -> Result<(String, Vec<u32>), BinaryError> {
    let len = read_u64(r)?;
    if len > u64::from(u32::MAX) {
        return Err(corrupt(section, "text larger than 4 GiB"));
    }
    let mut b = Vec::new();
    r.take(len).read_to_end(&mut b)?;
    if b.len() as u64 != len {
        return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
    }
    let text = String::from_utf8(b).map_err(|_| corrupt(section, "text is not UTF-8"))?;
    let count = read_u32(r)? as usize;
    let mut ends = Vec::with_capacity(count.min(1 << 24));
    let mut raw = vec![0u8; 4 * count.min(1 << 16)];
    let mut prev = 0u32;
    let mut left = count;
    while left > 0 {
        let n = left.min(1 << 16);
        r.read_exact(&mut raw[..4 * n])?;
        for c in raw[..4 * n].chunks_exact(4) {
            let end = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            if end < prev || end as usize > text.len() || !text.is_char_boundary(end as usize) {
                return Err(corrupt(section, "string bounds out of order"));
            }
            prev = end;
            ends.push(end);
        }
        left -= n;
    }
    if prev as usize != text.len() {
        return Err(corrupt(section, "string bounds do not cover the text"));
    }
    Ok((text, ends))
}

fn write_arena(w: &mut impl Write, text: &str, ends: &[u32]) -> std::io::Result<()> {
    w.write_all(&(text.len() as u64).to_le_bytes())?;
    w.write_all(text.as_bytes())?;
    w.write_all(&(ends.len() as u32).to_le_bytes())?;
    let mut buf = Vec::with_capacity(1 << 18);
    for chunk in ends.chunks(1 << 16) {
        buf.clear();
        for &e in chunk {
            put32(&mut buf, e);
        }
        w.write_all(&buf)?;
    }
    Ok(())
}

/// Reads `count` rows of `size` bytes, in blocks.
fn rows(
    r: &mut impl Read,
    count: usize,
    size: usize,
    mut each: impl FnMut(Row<'_>) -> Result<(), BinaryError>,
) -> Result<(), BinaryError> {
    const BLOCK: usize = 4096;
    let mut buf = vec![0u8; size * BLOCK.min(count.max(1))];
    let mut left = count;
    while left > 0 {
        let n = left.min(BLOCK);
        r.read_exact(&mut buf[..n * size])?;
        for row in buf[..n * size].chunks_exact(size) {
            each(Row(row, 0))?;
        }
        left -= n;
    }
    Ok(())
}

fn write_period(out: &mut Vec<u8>, p: &CertificatePeriod) {
    for d in [p.issued, p.valid_from, p.valid_until] {
        put32(out, super::records::day(d) as u32);
    }
}

fn read_period(r: &mut impl Read) -> Result<CertificatePeriod, BinaryError> {
    let mut d = [NO_DATE; 3];
    for x in &mut d {
        *x = read_u32(r)? as Day;
    }
    let [issued, valid_from, valid_until] = d
        .map(|x| opt_date(x).ok_or_else(|| corrupt("certificates", "a certificate without dates")));
    Ok(CertificatePeriod {
        issued: issued?,
        valid_from: valid_from?,
        valid_until: valid_until?,
    })
}

impl Population {
    /// Writes the persons, qualifications and insurers in the binary form.
    pub fn write_binary(&self, w: &mut impl Write) -> std::io::Result<()> {
        w.write_all(MAGIC)?;
        w.write_all(&(self.insurers.len() as u32).to_le_bytes())?;
        for i in &self.insurers {
            write_str(w, i.number.as_str())?;
            write_str(w, &i.name)?;
            write_str(w, i.kind.id())?;
        }
        let (text, ends) = self.strings.raw();
        write_arena(w, text, ends)?;
        write_arena(w, &self.id_bytes, &self.id_ends)?;

        let mut buf = Vec::with_capacity(1 << 20);
        w.write_all(&(self.persons.len() as u32).to_le_bytes())?;
        for chunk in self.persons.chunks(4096) {
            buf.clear();
            for p in chunk {
                for t in p.name.iter().chain(&p.kana).chain(&p.address) {
                    put32(&mut buf, *t);
                }
                put32(&mut buf, p.postcode);
                put32(&mut buf, p.other);
                put32(&mut buf, p.birthdate as u32);
                put32(&mut buf, p.first_qualification);
                buf.push(p.sex);
                buf.push(p.income);
            }
            w.write_all(&buf)?;
        }
        buf.clear();
        put32(&mut buf, self.others.len() as u32);
        for o in &self.others {
            for t in o.name.iter().chain(&o.kana) {
                put32(&mut buf, *t);
            }
        }
        w.write_all(&buf)?;
        w.write_all(&(self.quals.len() as u32).to_le_bytes())?;
        for chunk in self.quals.chunks(4096) {
            buf.clear();
            for q in chunk {
                for v in [
                    q.person,
                    q.symbol,
                    q.number,
                    q.branch,
                    q.insured_name[0],
                    q.insured_name[1],
                    q.acquired as u32,
                    q.lost as u32,
                ] {
                    put32(&mut buf, v);
                }
                for v in [q.card_deltas[0] as u16, q.card_deltas[1] as u16, q.insurer] {
                    buf.extend_from_slice(&v.to_le_bytes());
                }
                buf.push(q.codes);
            }
            w.write_all(&buf)?;
        }
        // Extras, then which qualification has which (extras are renumbered on load).
        buf.clear();
        put32(&mut buf, self.extras.len() as u32);
        for e in &self.extras {
            buf.push(u8::from(e.limit.is_some()));
            if let Some(p) = &e.limit {
                write_period(&mut buf, p);
            }
            put32(&mut buf, e.card_valid_until as u32);
            buf.push(u8::from(e.card_dates.is_some()));
            for d in e.card_dates.unwrap_or_default() {
                put32(&mut buf, d as u32);
            }
            put32(&mut buf, e.diseases.len() as u32);
            for d in &e.diseases {
                buf.push(d.category);
                put32(&mut buf, d.self_pay_limit_yen);
                write_period(&mut buf, &d.period);
            }
        }
        let with: Vec<(u32, u32)> = self
            .quals
            .iter()
            .enumerate()
            .filter(|(_, q)| q.extra != NONE)
            .map(|(i, q)| (i as u32, q.extra))
            .collect();
        put32(&mut buf, with.len() as u32);
        for (q, e) in with {
            put32(&mut buf, q);
            put32(&mut buf, e);
        }
        w.write_all(&buf)
    }

    /// Appends the persons of a binary population (see [`Population::write_binary`]); its
    /// insurers are added where their numbers are new. Returns the number of persons read. On
    /// an error the persons already there are kept as they were.
    pub fn read_binary(&mut self, r: &mut impl Read) -> Result<usize, BinaryError> {
        let (persons, quals) = (self.persons.len(), self.quals.len());
        let (others, extras) = (self.others.len(), self.extras.len());
        let read = self.read_binary_rows(r);
        if read.is_err() {
            self.truncate(persons, quals);
            self.others.truncate(others);
            self.extras.truncate(extras);
        }
        read
    }

    fn read_binary_rows(&mut self, r: &mut impl Read) -> Result<usize, BinaryError> {
        let mut magic = [0; 8];
        r.read_exact(&mut magic)?;
        if &magic != MAGIC {
            return Err(corrupt("header", "not a binary population"));
        }
        let n_insurers = read_u32(r)?;
        let mut insurer_map = Vec::new();
        for _ in 0..n_insurers {
            let number = read_string(r, "insurers", 64)?;
            let name = read_string(r, "insurers", 4096)?;
            let kind = read_string(r, "insurers", 64)?;
            let number =
                InsurerNumber::parse(&number).map_err(|e| corrupt("insurers", e.to_string()))?;
            let kind = InsurerKind::from_id(&kind)
                .ok_or_else(|| corrupt("insurers", format!("unknown kind {kind:?}")))?;
            self.add_insurers([Insurer {
                number: number.clone(),
                name,
                kind,
            }]);
            insurer_map.push(self.insurer_index[&number]);
        }

        let (text, ends) = read_arena(r, "text")?;
        let mut map = Vec::with_capacity(ends.len());
        let mut start = 0;
        for &end in &ends {
            map.push(self.strings.intern(&text[start..end as usize])?);
            start = end as usize;
        }
        drop(text);
        let remap = |t: Text| -> Result<Text, BinaryError> {
            if t == NONE || Strings::digit_value(t).is_some() {
                Ok(t)
            } else {
                map.get(t as usize)
                    .copied()
                    .ok_or_else(|| corrupt("rows", "a text handle out of range"))
            }
        };

        let (ids, id_ends) = read_arena(r, "ids")?;
        let base_person = self.persons.len();
        let base_qual = self.quals.len();
        let base_other = self.others.len() as u32;
        let count = read_u32(r)? as usize;
        if id_ends.len() != count {
            return Err(corrupt("persons", "as many ids as persons expected"));
        }
        if u32::try_from(base_person + count).is_err()
            || u32::try_from(self.id_bytes.len() + ids.len()).is_err()
        {
            return Err(PopulationError::TooLarge.into());
        }
        self.persons.reserve(count);
        let mut last_first = 0;
        rows(r, count, PERSON_ROW, |mut row| {
            let mut t = [0u32; 7];
            for x in &mut t {
                *x = remap(row.u32())?;
            }
            let postcode = remap(row.u32())?;
            let other = row.u32();
            let birthdate = row.i32();
            let first = row.u32();
            let p = PersonRec {
                name: [t[0], t[1]],
                kana: [t[2], t[3]],
                address: [t[4], t[5], t[6]],
                postcode,
                other: if other == NONE {
                    NONE
                } else {
                    other
                        .checked_add(base_other)
                        .ok_or_else(|| corrupt("persons", "bad row"))?
                },
                birthdate,
                first_qualification: first
                    .checked_add(base_qual as u32)
                    .ok_or(PopulationError::TooLarge)?,
                sex: row.u8(),
                income: row.u8(),
            };
            if !super::records::codes_valid(&p)
                || first < last_first
                || opt_date(birthdate).is_none()
            {
                return Err(corrupt("persons", "a person row is damaged"));
            }
            last_first = first;
            self.persons.push(p);
            Ok(())
        })?;
        let n_others = read_u32(r)? as usize;
        rows(r, n_others, 16, |mut row| {
            let mut t = [0u32; 4];
            for x in &mut t {
                *x = remap(row.u32())?;
            }
            self.others.push(Other {
                name: [t[0], t[1]],
                kana: [t[2], t[3]],
            });
            Ok(())
        })?;
        let n_quals = read_u32(r)? as usize;
        if u32::try_from(base_qual + n_quals).is_err() {
            return Err(PopulationError::TooLarge.into());
        }
        // A damaged count must not reserve more than the persons could have.
        self.quals.reserve(n_quals.min(count.saturating_mul(16)));
        rows(r, n_quals, QUAL_ROW, |mut row| {
            let person = row.u32();
            let mut t = [0u32; 5];
            for x in &mut t {
                *x = remap(row.u32())?;
            }
            let (acquired, lost) = (row.i32(), row.i32());
            let card_deltas = [row.u16() as i16, row.u16() as i16];
            let insurer = row.u16();
            let q = QualRec {
                person: person.wrapping_add(base_person as u32),
                insurer: insurer_map
                    .get(usize::from(insurer))
                    .and_then(|&i| u16::try_from(i).ok())
                    .ok_or_else(|| corrupt("qualifications", "an insurer out of range"))?,
                symbol: t[0],
                number: t[1],
                branch: t[2],
                insured_name: [t[3], t[4]],
                acquired,
                lost,
                extra: NONE,
                next_same_key: NONE,
                card_deltas,
                codes: row.u8(),
            };
            if person as usize >= count
                || !super::records::qual_codes_valid(&q)
                || opt_date(acquired).is_none()
                || (lost != NO_DATE && opt_date(lost).is_none())
                || card_deltas
                    .iter()
                    .any(|&x| opt_date(acquired.saturating_add(i32::from(x))).is_none())
            {
                return Err(corrupt("qualifications", "a qualification row is damaged"));
            }
            self.quals.push(q);
            Ok(())
        })?;
        let n_extras = read_u32(r)? as usize;
        let base_extra = self.extras.len() as u32;
        for _ in 0..n_extras {
            let mut b = [0u8; 1];
            r.read_exact(&mut b)?;
            let limit = if b[0] == 1 {
                Some(read_period(r)?)
            } else {
                None
            };
            let card_valid_until = read_u32(r)? as Day;
            r.read_exact(&mut b)?;
            let dates = [read_u32(r)? as Day, read_u32(r)? as Day];
            if (card_valid_until != NO_DATE && opt_date(card_valid_until).is_none())
                || (b[0] == 1 && dates.iter().any(|&d| opt_date(d).is_none()))
            {
                return Err(corrupt("certificates", "a date out of range"));
            }
            let card_dates = (b[0] == 1).then_some(dates);
            let n = read_u32(r)?;
            if n > 64 {
                return Err(corrupt("certificates", "too many certificates"));
            }
            let mut diseases = Vec::new();
            for _ in 0..n {
                r.read_exact(&mut b)?;
                let self_pay_limit_yen = read_u32(r)?;
                diseases.push(SpecificDiseaseCertificate {
                    category: b[0],
                    period: read_period(r)?,
                    self_pay_limit_yen,
                });
            }
            self.extras.push(Extra {
                limit,
                diseases,
                card_valid_until,
                card_dates,
            });
        }
        for _ in 0..read_u32(r)? {
            let q = read_u32(r)? as usize;
            let e = read_u32(r)?;
            if q >= n_quals || e as usize >= n_extras {
                return Err(corrupt("certificates", "an index out of range"));
            }
            self.quals[base_qual + q].extra = base_extra + e;
        }

        // Each person's qualifications are contiguous and theirs.
        for (k, p) in self.persons[base_person..].iter().enumerate() {
            let start = p.first_qualification as usize;
            let end = self.persons[base_person..]
                .get(k + 1)
                .map_or(self.quals.len(), |n| n.first_qualification as usize);
            if end > self.quals.len()
                || end - start > usize::from(u16::MAX)
                || self.quals[start..end]
                    .iter()
                    .any(|q| q.person as usize != base_person + k)
            {
                return Err(corrupt("qualifications", "not grouped by person"));
            }
        }
        if count == 0 && n_quals > 0 {
            return Err(corrupt("qualifications", "qualifications without persons"));
        }

        self.id_ends.reserve(count);
        let base_bytes = self.id_bytes.len() as u32;
        self.id_bytes.push_str(&ids);
        self.id_ends.extend(id_ends.iter().map(|e| e + base_bytes));
        let hasher = &self.hasher;
        let (id_b, id_e) = (&self.id_bytes, &self.id_ends);
        self.by_id.reserve(count, |&i| {
            std::hash::BuildHasher::hash_one(hasher, super::id_at(id_b, id_e, i))
        });
        for p in base_person..base_person + count {
            let id = self.person_id(p as u32);
            if self.index_of(id).is_some() {
                return Err(PopulationError::DuplicatePerson(id.to_owned()).into());
            }
            self.index_person(p as u32);
        }
        Ok(count)
    }

    /// Drops persons from `persons` on and qualifications from `quals` on, with their index
    /// entries (after a failed read).
    fn truncate(&mut self, persons: usize, quals: usize) {
        let (ids, ends, hasher) = (&self.id_bytes, &self.id_ends, &self.hasher);
        for p in persons..self.id_ends.len().min(self.persons.len()) {
            let id = super::id_at(ids, ends, p as u32);
            let hash = std::hash::BuildHasher::hash_one(hasher, id);
            if let Ok(e) = self.by_id.find_entry(hash, |&i| i as usize == p) {
                e.remove();
            }
        }
        self.by_key.retain(|q| (*q as usize) < quals);
        for q in &mut self.quals[..quals] {
            if q.next_same_key != NONE && q.next_same_key as usize >= quals {
                q.next_same_key = NONE;
            }
        }
        self.persons.truncate(persons);
        self.quals.truncate(quals);
        self.id_ends.truncate(persons);
        let len = self.id_ends.last().copied().unwrap_or(0) as usize;
        self.id_bytes.truncate(len);
    }
}
