//! Where each domain's error becomes an [`ApiError`]: one `From` per domain, so the stable
//! codes on the wire are chosen here and the domains speak in their own words. A new variant
//! does not compile until it is given a code (the matches name every variant).

use crate::announcements::AnnouncementError;
use crate::catalog::CatalogError;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::identity::IdentityError;
use crate::inventory::crud::InventoryError;
use crate::monitoring::alarm_rules::AlarmRuleError;
use crate::monitoring::link_proposals::ProposalError;
use crate::monitoring::maintenance::MaintenanceError;
use crate::notify::alarm_mail::AlarmMailError;
use crate::notify::channels::ChannelError;
use crate::quotas::QuotaError;
use crate::screen::rooms::RoomError;
use crate::tickets::TicketError;
use yunguan_actors::ticket::workflow::Refusal;

impl From<AnnouncementError> for ApiError {
    fn from(error: AnnouncementError) -> Self {
        match error {
            AnnouncementError::TitleLength
            | AnnouncementError::BodyLength
            | AnnouncementError::NoSuchTenant(_) => {
                ApiError::new(ErrorCode::ValidationFailed, error.to_string())
            }
            AnnouncementError::Store(error) => error.into(),
        }
    }
}

impl From<RoomError> for ApiError {
    fn from(error: RoomError) -> Self {
        match error {
            RoomError::NoSuchRoom | RoomError::NoSuchDataCenter => {
                ApiError::new(ErrorCode::NotFound, error.to_string())
            }
            RoomError::Store(error) => error.into(),
        }
    }
}

impl From<QuotaError> for ApiError {
    fn from(error: QuotaError) -> Self {
        match error {
            QuotaError::Exceeded(_) => ApiError::new(ErrorCode::QuotaExceeded, error.to_string()),
            QuotaError::ActorUnavailable(_) => ApiError::internal(error.into()),
            QuotaError::Store(error) => error.into(),
        }
    }
}

impl From<InventoryError> for ApiError {
    fn from(error: InventoryError) -> Self {
        let message = error.to_string();
        match error {
            InventoryError::NotFound(_) => ApiError::new(ErrorCode::NotFound, message),
            InventoryError::Invalid(problems) => {
                ApiError::with_fields(ErrorCode::ValidationFailed, message, problems)
            }
            InventoryError::Duplicate(_) => ApiError::new(ErrorCode::Conflict, message),
            InventoryError::StillReferred(_) | InventoryError::HasDependents { .. } => {
                ApiError::new(ErrorCode::HasDependents, message)
            }
            InventoryError::ImportRefused { problems, .. } => {
                ApiError::with_fields(ErrorCode::ValidationFailed, message, problems)
            }
            InventoryError::Store(error) => error.into(),
            InventoryError::Internal(error) => ApiError::internal(error),
        }
    }
}

impl From<AlarmRuleError> for ApiError {
    fn from(error: AlarmRuleError) -> Self {
        let message = error.to_string();
        match error {
            AlarmRuleError::NotFound => ApiError::new(ErrorCode::NotFound, message),
            AlarmRuleError::Invalid(problems) => {
                ApiError::with_fields(ErrorCode::ValidationFailed, message, problems)
            }
            AlarmRuleError::Store(error) => error.into(),
        }
    }
}

impl From<MaintenanceError> for ApiError {
    fn from(error: MaintenanceError) -> Self {
        let message = error.to_string();
        match error {
            MaintenanceError::NotFound => ApiError::new(ErrorCode::NotFound, message),
            MaintenanceError::Invalid(problems) => {
                ApiError::with_fields(ErrorCode::ValidationFailed, message, problems)
            }
            MaintenanceError::Store(error) => error.into(),
        }
    }
}

impl From<CatalogError> for ApiError {
    fn from(error: CatalogError) -> Self {
        let message = error.to_string();
        match error {
            CatalogError::NotFound => ApiError::new(ErrorCode::NotFound, message),
            CatalogError::Invalid(problems) => {
                ApiError::with_fields(ErrorCode::ValidationFailed, message, problems)
            }
            CatalogError::CodeTaken(_) | CatalogError::RetiredNotRevisable => {
                ApiError::new(ErrorCode::Conflict, message)
            }
            CatalogError::NotInCatalog => ApiError::with_fields(
                ErrorCode::ValidationFailed,
                message,
                vec![FieldError::new("item_id", "is not a catalog item")],
            ),
            CatalogError::Retired => ApiError::with_fields(
                ErrorCode::ValidationFailed,
                message,
                vec![FieldError::new(
                    "item_id",
                    "is retired and takes no new requests",
                )],
            ),
            CatalogError::Store(error) => error.into(),
            CatalogError::Internal(error) => ApiError::internal(error),
        }
    }
}

impl From<ChannelError> for ApiError {
    fn from(error: ChannelError) -> Self {
        let message = error.to_string();
        match error {
            ChannelError::NotFound(_) => ApiError::new(ErrorCode::NotFound, message),
            ChannelError::OtherTenant => ApiError::forbidden(),
            ChannelError::Invalid(problems) => {
                ApiError::with_fields(ErrorCode::ValidationFailed, message, problems)
            }
            ChannelError::Store(error) => error.into(),
            ChannelError::Internal(error) => ApiError::internal(error),
        }
    }
}

impl From<ProposalError> for ApiError {
    fn from(error: ProposalError) -> Self {
        let message = error.to_string();
        match error {
            ProposalError::NotFound => ApiError::new(ErrorCode::NotFound, message),
            ProposalError::Decided => ApiError::new(ErrorCode::Conflict, message),
            ProposalError::Inventory(error) => error.into(),
            ProposalError::Store(error) => error.into(),
        }
    }
}

impl From<AlarmMailError> for ApiError {
    fn from(error: AlarmMailError) -> Self {
        let message = error.to_string();
        match error {
            AlarmMailError::NotFound => ApiError::new(ErrorCode::NotFound, message),
            AlarmMailError::NotYours => ApiError::forbidden(),
            AlarmMailError::Invalid(problems) => {
                ApiError::with_fields(ErrorCode::ValidationFailed, message, problems)
            }
            AlarmMailError::Store(error) => error.into(),
            AlarmMailError::Internal(error) => ApiError::internal(error),
        }
    }
}

impl From<IdentityError> for ApiError {
    fn from(error: IdentityError) -> Self {
        let message = error.to_string();
        let code = match error {
            IdentityError::WrongCredentials
            | IdentityError::Disabled
            | IdentityError::UnknownDisplayKey
            | IdentityError::SignInFailed(_) => ErrorCode::InvalidCredentials,
            IdentityError::Throttled(seconds) => {
                // The login pages show the wait from this message (and `Retry-After`).
                let mut throttled = ApiError::new(ErrorCode::TooManyLoginAttempts, message);
                throttled.retry_after_secs_opt = Some(seconds);
                return throttled;
            }
            IdentityError::InvalidToken | IdentityError::InvalidResetLink => {
                ErrorCode::InvalidToken
            }
            IdentityError::InvalidWsTicket => ErrorCode::InvalidWsTicket,
            IdentityError::NoRole => ErrorCode::NoRole,
            IdentityError::UnusableName { .. } | IdentityError::BeyondOwnTenant => {
                ErrorCode::Forbidden
            }
            IdentityError::NameClash(_) | IdentityError::Taken(_) | IdentityError::Refused(_) => {
                ErrorCode::Conflict
            }
            IdentityError::ProviderUnavailable | IdentityError::DirectoryUnavailable => {
                ErrorCode::ServiceUnavailable
            }
            IdentityError::NotFound(_) | IdentityError::NoSuchUsername(_) => ErrorCode::NotFound,
            IdentityError::Invalid(_) => ErrorCode::ValidationFailed,
            IdentityError::Store(error) => return error.into(),
            IdentityError::Internal(error) => return ApiError::internal(error),
        };
        ApiError::new(code, message)
    }
}

impl From<TicketError> for ApiError {
    fn from(error: TicketError) -> Self {
        let message = error.to_string();
        let code = match error {
            TicketError::NotFound(_) => ErrorCode::NotFound,
            TicketError::Refused(Refusal::NotAnApprover | Refusal::NotTheRequester)
            | TicketError::NotATenantUser => ErrorCode::Forbidden,
            TicketError::Refused(Refusal::RatingOutOfRange) => {
                return ApiError::with_fields(
                    ErrorCode::ValidationFailed,
                    message,
                    vec![FieldError::new("rating", "must be 1 to 5")],
                )
            }
            TicketError::Refused(
                Refusal::WrongState(_) | Refusal::AlreadyDecided | Refusal::NotRateable,
            )
            | TicketError::LevelDecided
            | TicketError::TaskDone => ErrorCode::InvalidTransition,
            TicketError::VersionMismatch { .. } => ErrorCode::VersionMismatch,
            TicketError::ChangedMeanwhile | TicketError::IdempotencyKeyInUse => ErrorCode::Conflict,
            TicketError::BadIdempotencyKey => ErrorCode::BadRequest,
            TicketError::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            TicketError::Invalid { message, problems } => {
                return ApiError::with_fields(ErrorCode::ValidationFailed, message, problems)
            }
            TicketError::Catalog(error) => return error.into(),
            TicketError::Quota(error) => return error.into(),
            TicketError::Store(error) => return error.into(),
            TicketError::Internal(error) => return ApiError::internal(error),
        };
        ApiError::new(code, message)
    }
}
