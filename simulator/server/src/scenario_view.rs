//! What the admin API answers about scenario sessions ([`crate::scenario_session`]): a session,
//! its steps, the outcome of a step and the files it wrote (JSON, also read back by
//! `simulator scenario status|step`).

use serde::Serialize;

/// A session as `GET /admin/scenario` shows it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct SessionView {
    /// The key.
    pub session: String,
    /// The script file (or `<request>` for YAML sent in the request).
    pub file: String,
    /// Its title.
    pub title: String,
    /// What it shows, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its 医療機関コード.
    pub medical_institution_code: String,
    /// `own` (its own world) or `attached` (the served world of `serve --scenario`).
    pub world: String,
    /// The session's clock: Japan time `yyyy-mm-ddTHH:MM:SS`.
    pub clock: String,
    /// `frozen` or `running`.
    pub clock_mode: String,
    /// The session's shared folder (`req/`, `res/`, `face/` inside).
    pub folder: String,
    /// Every step, in order.
    pub steps: Vec<StepView>,
    /// The index of the next step (0-based; = `steps.len()` when finished).
    pub cursor: usize,
    /// Every step has been played.
    pub finished: bool,
    /// Steps played that passed, and that failed.
    pub passed: usize,
    /// Steps played that failed.
    pub failed: usize,
    /// The files that appeared in `res/` and `face/` so far, in order.
    pub files: Vec<String>,
    /// Set when the session is broken: a stored session whose script no longer loads after a
    /// restart (every diagnostic). It plays nothing until reset (read again) or unloaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broken: Option<String>,
}

/// One step of a session.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct StepView {
    /// Its index (0-based).
    pub index: usize,
    /// Its line in the script.
    pub line: usize,
    /// Its kind (`drop`, `expect-result`, `card-check`, …).
    pub kind: String,
    /// `pending`, `passed` or `failed`.
    pub state: String,
    /// What it did, once played.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// What `POST /admin/scenario/step` answers.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct StepOutcome {
    /// The session.
    pub session: String,
    /// The step played; `None` when every step had been played already.
    pub step: Option<StepView>,
    /// The files that appeared in `res/` or `face/` during the step: name and text.
    pub files: Vec<FileView>,
    /// The session after the step.
    pub cursor: usize,
    /// Every step has been played.
    pub finished: bool,
    /// The session's clock after the step.
    pub clock: String,
    /// For a `card-check` step, the reader message code it ended with (`MOCK-R102`…); `None`
    /// otherwise, or when the reader showed no message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader_message: Option<String>,
}

/// A file written by a step.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct FileView {
    /// `res/NAME` or `face/NAME`.
    pub name: String,
    /// Its text (decoded by its XML declaration; lossy for other bytes).
    pub text: String,
}
