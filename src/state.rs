//! What every handler shares: [`AppState`]. Its own module so that handlers depend on the
//! state, not on the code that builds and starts the server (`startup`).

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use yunguan_actors::supervision::{ActorRegistry, Supervised};

use crate::clock::Clock;
use crate::hub::redis_bridge::{BridgeSnapshot, RedisBridge};
use crate::hub::Hub;
use crate::identity::accounts::ResetMail;
use crate::identity::sso::oidc::OidcLogin;
use crate::mail::sender::MailSender;
use crate::mail::settings::MailSettings;
use crate::metrics::Metrics;
use crate::monitoring::Monitoring;
use crate::notify::sender::ChannelSender;
use crate::outbox::actor::Drainer;
use crate::outbox::Nudge;
use crate::secrets::Sealer;
use crate::settings::WebSocketSettings;
use crate::tickets::TicketActors;
use crate::ws::logins::OpenLogins;

/// Shared by every handler.
pub struct AppState {
    pub db: DatabaseConnection,
    pub hub: Hub,
    pub metrics: Arc<Metrics>,
    pub actors: ActorRegistry,
    /// The Redis listener, when events travel through Redis.
    pub redis_bridge_opt: Option<Supervised<RedisBridge, BridgeSnapshot>>,
    pub websocket: WebSocketSettings,
    pub ws_ticket_ttl_secs: u64,
    /// Read the client address from forwarding headers (see `ServerSettings`).
    pub trust_forwarded_for: bool,
    /// Turns true when the server begins to shut down; open sockets close on it.
    pub shutdown: watch::Receiver<bool>,
    /// The logins behind this node's open sockets, checked by one task for all of them.
    pub logins: OpenLogins,
    /// The time source of deadlines and timestamps of tickets and the catalog.
    pub clock: Clock,
    /// The ticket actors, and through them the ticket engine.
    pub tickets: TicketActors,
    /// Drains the mail outbox; its snapshot counts mail sent and failed attempts.
    pub mail_sender: Drainer<MailSender>,
    /// Posts to notification channels; its snapshot counts posts and failed attempts.
    pub channel_sender: Drainer<ChannelSender>,
    /// Wakes both senders after a commit that queued mail or posts.
    pub nudge: Nudge,
    /// The links and default language of mail and notices.
    pub mail: MailSettings,
    /// Sign-in through the OpenID provider, when one is configured.
    pub oidc_opt: Option<Arc<OidcLogin>>,
    /// Passwords are also checked against an LDAP directory.
    pub ldap_enabled: bool,
    /// How password-reset links are made and mailed.
    pub password_resets: ResetMail,
    /// The data-center and device actors, and the trap listener.
    pub monitoring: Monitoring,
    /// Seals and opens device and cloud credentials stored in the inventory.
    pub secrets: Sealer,
}
