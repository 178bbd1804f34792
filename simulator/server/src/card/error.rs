//! Errors of the card service: what the admin API maps to HTTP status codes.

use thiserror::Error;

/// Why a card operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CardError {
    /// No person with this id in the population.
    #[error("no person with id {0:?} (see `simulator persons`)")]
    UnknownPerson(String),
    /// The slot number is outside what vpcd can have.
    #[error("slot {slot} is out of range (0..{max})")]
    BadSlot {
        /// The slot asked for.
        slot: u8,
        /// One past the largest slot.
        max: u8,
    },
    /// The slot already holds a card.
    #[error("slot {slot} already holds the card of {person:?}; remove it first")]
    SlotBusy {
        /// The slot asked for.
        slot: u8,
        /// Whose card is in it.
        person: String,
    },
    /// The person's one card is already in another slot.
    #[error("the card of {person:?} is already in slot {slot}")]
    AlreadyInserted {
        /// The person.
        person: String,
        /// Where the card is.
        slot: u8,
    },
    /// The card in the slot is still being built.
    #[error("the card in slot {0} is still being prepared; try again")]
    Preparing(u8),
    /// Nothing to remove.
    #[error("no card in slot {0}")]
    EmptySlot(u8),
    /// The person's data cannot be put on a card, or key generation failed.
    #[error("cannot build the card of {person:?}: {reason}")]
    Build {
        /// The person.
        person: String,
        /// What went wrong.
        reason: String,
    },
    /// The vpcd address is not `HOST:PORT`.
    #[error("invalid vpcd address {0:?}: expected HOST:PORT")]
    BadAddress(String),
    /// The PIN store failed.
    #[error("card state database: {0}")]
    Store(#[from] rusqlite::Error),
    /// A driver thread could not be started.
    #[error("cannot start the card driver: {0}")]
    Spawn(std::io::Error),
}
