//! Announcements (公告): stored, then pushed live to `announcements` (everyone) or
//! `tenant/{id}/announcements` (one tenant). Reading is scoped by tenant.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::entities::{announcement, tenant};
use crate::hub::{EventData, EventKind, Hub, Topic};
use crate::identity::Principal;
use crate::tenancy::TenantScope;

/// An announcement as clients see it, over HTTP and in events.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnnouncementView {
    pub id: i64,
    pub title: String,
    pub body: String,
    /// Empty for an announcement to everyone.
    pub tenant_id: Option<i64>,
    pub author_id: i64,
    pub created_at: DateTime<Utc>,
}

impl EventData for AnnouncementView {}

impl From<announcement::Model> for AnnouncementView {
    fn from(model: announcement::Model) -> Self {
        AnnouncementView {
            id: model.id,
            title: model.title,
            body: model.body,
            tenant_id: model.tenant_id,
            author_id: model.author_id,
            created_at: model.created_at,
        }
    }
}

/// Why an announcement was not posted.
#[derive(Debug, thiserror::Error)]
pub enum AnnouncementError {
    #[error("title must be 1 to 200 characters")]
    TitleLength,
    #[error("body must be 1 to 20000 characters")]
    BodyLength,
    #[error("tenant {0} does not exist")]
    NoSuchTenant(i64),
    #[error(transparent)]
    Store(#[from] DbErr),
}

pub struct Draft {
    pub title: String,
    pub body: String,
    pub tenant_id_opt: Option<i64>,
}

/// What posting returns: the stored announcement and its event's sequence number (absent
/// when the push failed; the announcement is stored all the same).
pub struct Posted {
    pub announcement: AnnouncementView,
    pub seq_opt: Option<u64>,
}

pub async fn post(
    db: &DatabaseConnection,
    hub: &Hub,
    author: &Principal,
    draft: Draft,
) -> Result<Posted, AnnouncementError> {
    let title = draft.title.trim().to_owned();
    let body = draft.body.trim().to_owned();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(AnnouncementError::TitleLength);
    }
    if body.is_empty() || body.chars().count() > 20_000 {
        return Err(AnnouncementError::BodyLength);
    }
    if let Some(tenant_id) = draft.tenant_id_opt {
        if tenant::Entity::find_by_id(tenant_id)
            .one(db)
            .await?
            .is_none()
        {
            return Err(AnnouncementError::NoSuchTenant(tenant_id));
        }
    }
    let stored = announcement::ActiveModel {
        title: Set(title),
        body: Set(body),
        tenant_id: Set(draft.tenant_id_opt),
        author_id: Set(author.user_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let view = AnnouncementView::from(stored);
    let topic = match view.tenant_id {
        None => Topic::Announcements,
        Some(tenant_id) => Topic::TenantAnnouncements(tenant_id),
    };
    let seq_opt = match hub
        .publish(&topic, EventKind::AnnouncementCreated, &view)
        .await
    {
        Ok(seq) => Some(seq),
        Err(error) => {
            tracing::error!(error = ?error, announcement_id = view.id, "announcement stored but not pushed");
            None
        }
    };
    Ok(Posted {
        announcement: view,
        seq_opt,
    })
}

/// Newest first; `before_id_opt` pages back.
pub async fn list(
    db: &DatabaseConnection,
    scope: TenantScope,
    before_id_opt: Option<i64>,
    limit: u64,
) -> Result<Vec<AnnouncementView>, DbErr> {
    let visible = match scope {
        TenantScope::AllTenants => Condition::all(),
        TenantScope::OneTenant(tenant_id) => Condition::any()
            .add(announcement::Column::TenantId.is_null())
            .add(announcement::Column::TenantId.eq(tenant_id)),
        TenantScope::NoTenant => Condition::all().add(announcement::Column::TenantId.is_null()),
    };
    let mut query = announcement::Entity::find().filter(visible);
    if let Some(before_id) = before_id_opt {
        query = query.filter(announcement::Column::Id.lt(before_id));
    }
    let rows = query
        .order_by_desc(announcement::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(AnnouncementView::from).collect())
}
