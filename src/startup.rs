//! Building and running the application: the same [`Application`] serves production, the demo
//! and every integration test (on port 0).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::http::header;
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use utoipa_actix_web::AppExt;
use yunguan_actors::supervision::{ActorRegistry, Backoff, Supervisor};

use crate::catalog::{self, VersionCache};
use crate::clock::Clock;
use crate::cloud::openstack::{OpenStackClient, OpenStackConfig};
use crate::error::{json_error_handler, path_error_handler, query_error_handler};
use crate::fulfilment::provider::CloudProvider;
use crate::fulfilment::simulated::SimulatedProvider;
use crate::fulfilment::Retry;
use crate::hub::redis_bridge::{BridgeSnapshot, RedisBridge};
use crate::hub::redis_bus::RedisBus;
use crate::hub::Hub;
use crate::identity::accounts::ResetMail;
use crate::identity::sessions::SessionStore;
use crate::identity::sso::oidc::OidcLogin;
use crate::metrics::{self, Metrics};
use crate::monitoring::follow::{self, PlanSource};
use crate::monitoring::{alarm_rules, alarms};
use crate::monitoring::{Monitoring, Plan, Services};
use crate::outbox::Nudge;
use crate::quotas::actor::TenantActors;
use crate::requests::{self, RequestIds};
use crate::routes;
use crate::routes::extract::authenticate;
use crate::secrets::Sealer;
use crate::settings::{CloudProviderKind, Settings};
use crate::state::AppState;
use crate::tickets::{Engine, TicketActors, TicketServices};
use crate::ws::logins::OpenLogins;

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    shutdown_tx: watch::Sender<bool>,
    shutdown_grace_secs: u64,
}

/// A handle that stops a running application gracefully (tests, signals).
#[derive(Clone)]
pub struct StopHandle {
    server: ServerHandle,
    shutdown_tx: watch::Sender<bool>,
    tickets: TicketActors,
    monitoring: Monitoring,
}

impl StopHandle {
    /// Closes every WebSocket with "going away", stops accepting, finishes in-flight requests,
    /// then stops the ticket actors (their timers and fulfilment resume at the next start).
    pub async fn stop(&self) {
        self.shutdown_tx.send_replace(true);
        self.server.stop(true).await;
        self.tickets.stop_all();
        self.monitoring.stop();
    }
}

/// The cloud fulfilment creates hosts on, as `cloud.provider` says.
fn cloud_provider(settings: &Settings) -> anyhow::Result<Arc<dyn CloudProvider>> {
    Ok(match settings.cloud.provider {
        CloudProviderKind::Simulated => Arc::new(SimulatedProvider::new(&settings.fulfilment)),
        CloudProviderKind::Openstack => {
            let config = OpenStackConfig::from_settings(&settings.cloud)?;
            tracing::info!(auth_url = %config.auth_url, project = %config.project, "fulfilment on openstack");
            Arc::new(OpenStackClient::new(config).context("building the openstack client")?)
        }
    })
}

impl Application {
    /// Connects to the database (running migrations) and Redis, starts the supervised actors
    /// and binds the listener. Must run inside an actix system.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let db = crate::db::connect_and_migrate(
            &settings.database_url(),
            settings.database.max_connections,
        )
        .await?;
        Application::build_with_db(settings, db).await
    }

    pub async fn build_with_db(
        settings: Settings,
        db: DatabaseConnection,
    ) -> anyhow::Result<Application> {
        Application::build_with(settings, db, Clock::system()).await
    }

    /// Builds on an open database with a given clock (tests pause tokio's).
    pub async fn build_with(
        settings: Settings,
        db: DatabaseConnection,
        clock: Clock,
    ) -> anyhow::Result<Application> {
        catalog::ensure_standard(&db, clock.now())
            .await
            .context("seeding the standard service catalog")?;
        let secrets = Sealer::from_settings(&settings.secrets, &settings.server.data_dir)
            .context("loading the credential key")?;
        let metrics = Arc::new(Metrics::new());
        let actors = ActorRegistry::default();
        let supervisor = Supervisor::new(actors.clone(), Backoff::default());
        let oidc_opt = match settings.auth.oidc.clone() {
            Some(oidc) => Some(Arc::new(
                OidcLogin::new(oidc, &settings.mail.base_url, secrets.clone())
                    .context("setting up sign-in through the OpenID provider")?,
            )),
            None => None,
        };
        let nudge = Nudge::default();
        let mail_sender =
            crate::mail::sender::start(&supervisor, db.clone(), &settings.mail, &nudge)
                .context("starting the mail sender")?;
        let channel_sender =
            crate::notify::sender::start(&supervisor, db.clone(), secrets.clone(), &nudge)
                .context("starting the channel sender")?;
        let (hub, redis_bridge_opt) = match settings.redis_url() {
            None => (
                Hub::in_process(
                    settings.hub.replay_capacity,
                    settings.hub.connection_queue_capacity,
                    metrics.clone(),
                ),
                None,
            ),
            Some(url) => {
                let bus = RedisBus::connect(
                    url,
                    &settings.redis.key_prefix,
                    settings.hub.replay_capacity,
                )
                .await?;
                let hub = Hub::with_redis(
                    bus.clone(),
                    settings.hub.replay_capacity,
                    settings.hub.connection_queue_capacity,
                    metrics.clone(),
                );
                let bridge_hub = hub.clone();
                let bridge =
                    supervisor.spawn("redis-bridge", BridgeSnapshot::default(), move |link| {
                        RedisBridge::new(bus.clone(), bridge_hub.clone(), link)
                    });
                (hub, Some(bridge))
            }
        };

        let provider = cloud_provider(&settings)?;
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let tickets = TicketActors::new(TicketServices {
            engine: Engine {
                db: db.clone(),
                hub: hub.clone(),
                clock: clock.clone(),
                mail: settings.mail.clone(),
                nudge: nudge.clone(),
                tenants: TenantActors::default(),
                versions: VersionCache::default(),
            },
            provider,
            retry: Retry {
                max_attempts: settings.fulfilment.max_attempts.max(1),
                initial: Duration::from_millis(settings.fulfilment.retry_initial_ms),
            },
        });
        let resumed = tickets
            .resume_open()
            .await
            .context("resuming the actors of open tickets")?;
        tracing::info!(tickets = resumed, "ticket actors resumed");
        let monitoring = start_monitoring(
            &supervisor,
            Services {
                db: db.clone(),
                sealer: secrets.clone(),
                hub: hub.clone(),
                metrics: metrics.clone(),
                notifier: alarms::Notifier {
                    mail: settings.mail.clone(),
                    nudge: nudge.clone(),
                },
                clock: clock.clone(),
            },
            &settings,
        )
        .await?;
        let sessions = web::Data::new(SessionStore::new(db.clone(), &settings.auth, clock.clone()));
        let logins = OpenLogins::start(
            sessions.clone(),
            settings.websocket.session_check_interval(),
            shutdown_rx.clone(),
        );
        let state = web::Data::new(AppState {
            db: db.clone(),
            hub,
            metrics: metrics.clone(),
            actors,
            redis_bridge_opt,
            websocket: settings.websocket.clone(),
            ws_ticket_ttl_secs: settings.auth.ws_ticket_ttl_secs,
            trust_forwarded_for: settings.server.trust_forwarded_for,
            shutdown: shutdown_rx,
            logins,
            clock,
            tickets,
            mail_sender,
            channel_sender,
            nudge: nudge.clone(),
            mail: settings.mail.clone(),
            oidc_opt,
            ldap_enabled: settings.auth.ldap.is_some(),
            password_resets: ResetMail::from_settings(&settings.auth, &settings.mail, nudge),
            monitoring,
            secrets,
        });
        let metrics_data = web::Data::from(metrics);

        let listener = TcpListener::bind(settings.server.listen)
            .with_context(|| format!("binding {}", settings.server.listen))?;
        let port = listener.local_addr()?.port();
        let server_state = state.clone();
        let published = web::Data::new(routes::Published::new());
        let request_ids = RequestIds {
            accept_forwarded: settings.server.trust_forwarded_for,
        };
        let server = HttpServer::new(move || {
            // The last `wrap` is the outermost: the request span holds everything else.
            App::new()
                .wrap(from_fn(authenticate))
                .wrap(from_fn(routes::refuse_nul))
                .wrap(from_fn(metrics::record_latency))
                .wrap(routes::error_pages())
                .wrap(DefaultHeaders::new().add((header::X_CONTENT_TYPE_OPTIONS, "nosniff")))
                .wrap(from_fn(requests::request_span))
                .app_data(request_ids)
                .app_data(server_state.clone())
                .app_data(sessions.clone())
                .app_data(metrics_data.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(256 * 1024)
                        .error_handler(json_error_handler),
                )
                .app_data(web::QueryConfig::default().error_handler(query_error_handler))
                .app_data(web::PathConfig::default().error_handler(path_error_handler))
                .app_data(published.clone())
                .into_utoipa_app()
                .configure(routes::mount)
                .into_app()
        })
        .disable_signals()
        .shutdown_timeout(settings.server.shutdown_grace_secs)
        .listen(listener)?
        .run();

        Ok(Application {
            port,
            server,
            state,
            shutdown_tx,
            shutdown_grace_secs: settings.server.shutdown_grace_secs,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    pub fn stop_handle(&self) -> StopHandle {
        StopHandle {
            server: self.server.handle(),
            shutdown_tx: self.shutdown_tx.clone(),
            tickets: self.state.tickets.clone(),
            monitoring: self.state.monitoring.clone(),
        }
    }

    /// Serves until the server stops, or until SIGINT/SIGTERM, when it shuts down gracefully.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let stop = self.stop_handle();
        let grace = self.shutdown_grace_secs;
        let server = self.server;
        let signals = async {
            let mut terminate =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            Ok::<_, std::io::Error>(())
        };
        actix_web::rt::spawn(async move {
            match signals.await {
                Ok(()) => {
                    tracing::info!(grace_secs = grace, "shutdown signal received; stopping");
                    stop.stop().await;
                }
                Err(error) => tracing::error!(%error, "cannot listen for shutdown signals"),
            }
        });
        server.await.context("server failed")?;
        tracing::info!("server stopped");
        Ok(())
    }
}

/// Starts monitoring what the inventory holds, with the stored alarm rules (the defaults on
/// a fresh installation); each data center takes back the alarms an earlier run left open.
/// Interfaces that polls discover are written back to the inventory, and changes to the
/// inventory are followed while it runs.
async fn start_monitoring(
    supervisor: &Supervisor,
    services: Services,
    settings: &Settings,
) -> anyhow::Result<Monitoring> {
    let db = services.db.clone();
    let sealer = services.sealer.clone();
    alarm_rules::seed_default_rules(&db)
        .await
        .context("seeding the default alarm rules")?;
    let rules = alarm_rules::load_rules(&db)
        .await
        .context("loading alarm rules")?;
    if !settings.monitoring.enabled {
        return Monitoring::start(
            supervisor,
            services,
            &settings.monitoring,
            rules,
            Plan::default(),
        )
        .await;
    }
    let plan = Plan::read(&db, &sealer, &settings.cloud)
        .await
        .context("reading what to monitor from the inventory")?;
    let (hub, clock) = (services.hub.clone(), services.clock.clone());
    alarms::keep_releasing(
        db.clone(),
        hub.clone(),
        services.notifier.clone(),
        clock.clone(),
        alarms::RELEASE_EVERY,
    );
    let monitoring =
        Monitoring::start(supervisor, services, &settings.monitoring, rules, plan).await?;
    follow::start(
        monitoring.clone(),
        PlanSource {
            db,
            sealer,
            cloud: settings.cloud.clone(),
        },
        hub,
        clock,
        Duration::from_secs(settings.monitoring.inventory_recheck_secs.max(1)),
    );
    Ok(monitoring)
}
