//! The card's file system: applications (DFs selected by AID) and their elementary files.
//!
//! Each AP holds transparent EFs (certificates, TLV data), PIN EFs (reference data for VERIFY) and key EFs
//! (selected before COMPUTE DIGITAL SIGNATURE). AIDs and FIDs are those of the real card
//! (`mynumber-card.md` §2); the content comes from [`crate::content`].

use crate::pin::PinId;

/// The applications (DFs) on the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppId {
    /// 公的個人認証AP (JPKI AP).
    Jpki,
    /// 券面事項入力補助AP ("Kenhojo", text AP).
    Kenhojo,
    /// 券面AP / 券面事項確認AP ("Kenkaku", visual AP).
    Kenkaku,
    /// 住基AP.
    Juki,
    /// Common / card-ID AP.
    CardId,
}

impl AppId {
    /// All applications.
    pub const ALL: [AppId; 5] = [
        AppId::Jpki,
        AppId::Kenhojo,
        AppId::Kenkaku,
        AppId::Juki,
        AppId::CardId,
    ];

    /// The AID (DF name) answered by `SELECT 00 A4 04 ..`.
    pub fn aid(self) -> &'static [u8] {
        match self {
            AppId::Jpki => &AID_JPKI,
            AppId::Kenhojo => &AID_KENHOJO,
            AppId::Kenkaku => &AID_KENKAKU,
            AppId::Juki => &AID_JUKI,
            AppId::CardId => &AID_CARD_ID,
        }
    }

    /// The application with this exact AID.
    pub fn from_aid(aid: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|app| app.aid() == aid)
    }
}

/// JPKI AP `D3 92 F0 00 26 01 00 00 00 01`.
pub const AID_JPKI: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
/// 券面事項入力補助AP `D3 92 10 00 31 00 01 01 04 08`.
pub const AID_KENHOJO: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];
/// 券面AP `D3 92 10 00 31 00 01 01 04 02`.
pub const AID_KENKAKU: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02];
/// 住基AP `D3 92 10 00 31 00 01 01 04 01`.
pub const AID_JUKI: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x01];
/// Card-ID AP `D3 92 10 00 31 00 01 01 01 00`.
pub const AID_CARD_ID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00];

/// File IDs used on the card.
pub mod fid {
    /// JPKI: signature certificate (needs the sign password).
    pub const JPKI_SIGN_CERT: u16 = 0x0001;
    /// JPKI: CA certificate of the signature certificate.
    pub const JPKI_SIGN_CA: u16 = 0x0002;
    /// JPKI: token `JPKIAPICCTOKEN2`.
    pub const JPKI_TOKEN: u16 = 0x0006;
    /// JPKI: user-authentication certificate (free).
    pub const JPKI_AUTH_CERT: u16 = 0x000A;
    /// JPKI: CA certificate of the user-authentication certificate.
    pub const JPKI_AUTH_CA: u16 = 0x000B;
    /// JPKI: user-authentication private key.
    pub const JPKI_AUTH_KEY: u16 = 0x0017;
    /// JPKI: user-authentication PIN.
    pub const JPKI_AUTH_PIN: u16 = 0x0018;
    /// JPKI: signature private key.
    pub const JPKI_SIGN_KEY: u16 = 0x001A;
    /// JPKI: signature password.
    pub const JPKI_SIGN_PIN: u16 = 0x001B;
    /// Kenhojo: My Number `FF10`.
    pub const KENHOJO_MY_NUMBER: u16 = 0x0001;
    /// Kenhojo: 基本4情報 `FF20`.
    pub const KENHOJO_ATTRIBUTES: u16 = 0x0002;
    /// Kenhojo: AP basic info.
    pub const KENHOJO_BASIC_INFO: u16 = 0x0005;
    /// Kenhojo: 券面事項入力補助用暗証番号.
    pub const KENHOJO_PIN: u16 = 0x0011;
    /// Kenhojo: PIN A.
    pub const KENHOJO_PIN_A: u16 = 0x0014;
    /// Kenhojo: PIN B.
    pub const KENHOJO_PIN_B: u16 = 0x0015;
    /// Kenkaku: 券面 entries `FF20` (face image in `DF27`).
    pub const KENKAKU_ENTRIES: u16 = 0x0002;
    /// Kenkaku: AP basic info.
    pub const KENKAKU_BASIC_INFO: u16 = 0x0003;
    /// Kenkaku: PIN B.
    pub const KENKAKU_PIN_B: u16 = 0x0012;
    /// Kenkaku: PIN A.
    pub const KENKAKU_PIN_A: u16 = 0x0013;
    /// 住基AP: PIN.
    pub const JUKI_PIN: u16 = 0x001C;
    /// Card-ID AP: card ID.
    pub const CARD_ID: u16 = 0x0001;
}

/// The two private keys of the JPKI AP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyId {
    /// `0017`: user-authentication key, usable after [`PinId::JpkiAuth`].
    JpkiAuth,
    /// `001A`: signature key, usable after [`PinId::JpkiSign`].
    JpkiSign,
}

impl KeyId {
    /// The PIN that unlocks this key.
    pub fn pin(self) -> PinId {
        match self {
            KeyId::JpkiAuth => PinId::JpkiAuth,
            KeyId::JpkiSign => PinId::JpkiSign,
        }
    }
}

/// Who may read a transparent EF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Free,
    /// After any one of these PINs was verified in the current DF session.
    AnyPin(&'static [PinId]),
}

/// What an EF is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EfKind {
    /// A transparent EF, read with READ BINARY.
    Binary {
        /// The file's bytes.
        data: Vec<u8>,
        /// Read condition.
        access: Access,
    },
    /// A PIN EF, target of VERIFY / CHANGE REFERENCE DATA.
    Pin(PinId),
    /// A private-key EF, selected before COMPUTE DIGITAL SIGNATURE.
    Key(KeyId),
}

/// An elementary file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ef {
    /// File ID.
    pub fid: u16,
    /// Kind and content.
    pub kind: EfKind,
}

/// An application's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// Which AP.
    pub id: AppId,
    /// Its EFs.
    pub efs: Vec<Ef>,
}

impl Application {
    /// The EF with this FID.
    pub fn ef(&self, fid: u16) -> Option<&Ef> {
        self.efs.iter().find(|ef| ef.fid == fid)
    }

    /// The PIN EF with FID `00xx` where `xx` is the short EF identifier (VERIFY with P2 `80|SFI`).
    pub fn pin_by_sfi(&self, sfi: u8) -> Option<PinId> {
        match self.ef(u16::from(sfi))?.kind {
            EfKind::Pin(pin) => Some(pin),
            _ => None,
        }
    }
}

/// The whole card file system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSystem {
    /// The applications.
    pub apps: Vec<Application>,
}

impl FileSystem {
    /// The application with this id.
    pub fn app(&self, id: AppId) -> Option<&Application> {
        self.apps.iter().find(|a| a.id == id)
    }

    /// Every PIN EF in the file system, with its AP.
    pub fn pins(&self) -> impl Iterator<Item = (AppId, PinId)> + '_ {
        self.apps.iter().flat_map(|app| {
            app.efs.iter().filter_map(move |ef| match ef.kind {
                EfKind::Pin(pin) => Some((app.id, pin)),
                _ => None,
            })
        })
    }
}
