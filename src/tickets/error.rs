//! Why a ticket command or query did not happen, in the tickets' words; `routes` gives each
//! its API code.

use sea_orm::DbErr;
use yunguan_actors::ticket::workflow::Refusal;

use crate::catalog::CatalogError;
use crate::error::FieldError;
use crate::quotas::QuotaError;

#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    /// What was asked for and is not there, or not the caller's to see: a ticket, a task,
    /// a delegation.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The pure workflow refused the command.
    #[error("{}", refusal_text(*.0))]
    Refused(Refusal),
    #[error("only a tenant's users submit requests")]
    NotATenantUser,
    /// The caller's `If-Match` names a version the ticket has left.
    #[error("the ticket is at version {current}, not {expected}; reload it")]
    VersionMismatch { current: i64, expected: i64 },
    /// Another change committed between this one's read and its write.
    #[error("the ticket changed at the same moment; reload it and try again")]
    ChangedMeanwhile,
    /// The caller (or whom they act for) was asked on this level, and it was decided.
    #[error("the level you were asked to decide was already decided")]
    LevelDecided,
    #[error("the task is already done")]
    TaskDone,
    #[error("Idempotency-Key must be 1 to 200 ASCII characters")]
    BadIdempotencyKey,
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    /// The same key is being used by a concurrent request, which will answer.
    #[error("a request with this Idempotency-Key is in progress; retry to get its answer")]
    IdempotencyKeyInUse,
    /// A request, form, note or delegation that breaks its rules, field by field.
    #[error("{message}")]
    Invalid {
        message: String,
        problems: Vec<FieldError>,
    },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Quota(#[from] QuotaError),
    #[error(transparent)]
    Store(#[from] DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl TicketError {
    /// A refusal that names its fields.
    pub fn invalid(message: impl Into<String>, problems: Vec<FieldError>) -> TicketError {
        TicketError::Invalid {
            message: message.into(),
            problems,
        }
    }
}

impl From<Refusal> for TicketError {
    fn from(refusal: Refusal) -> TicketError {
        TicketError::Refused(refusal)
    }
}

fn refusal_text(refusal: Refusal) -> String {
    match refusal {
        Refusal::WrongState(state) => format!(
            "the ticket is {}; that action does not apply",
            state.as_str()
        ),
        Refusal::NotAnApprover => "you are not an approver of the open level".to_owned(),
        Refusal::AlreadyDecided => "your approval on this level is already decided".to_owned(),
        Refusal::NotTheRequester => "only the requester may do this".to_owned(),
        Refusal::NotRateable => "a ticket is rated once, after it is closed".to_owned(),
        Refusal::RatingOutOfRange => "the rating is not valid".to_owned(),
    }
}
