//! Signing in through the bureau's OpenID provider: the authorization code flow with PKCE
//! (the `openidconnect` crate does the protocol: discovery, the authorization URL, the code
//! exchange, the ID token's signature, issuer, audience, expiry and nonce).
//!
//! [`OidcLogin::start`] answers the provider's authorization URL and what the browser must
//! carry back: the state, the nonce and the PKCE verifier, sealed into a short-lived cookie
//! (so any node can finish a sign-in another started, and nothing is stored).
//! [`OidcLogin::finish`] checks the state against that cookie, exchanges the code and reads
//! the verified ID token's claims into an [`ExternalIdentity`].
//!
//! The provider's metadata and keys are discovered at the first sign-in and again every hour
//! (keys rotate), or at once after a token fails to verify.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64_URL;
use base64::Engine;
use chrono::Utc;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Mutex;

use super::{ExternalIdentity, Source};
use crate::identity::settings::OidcSettings;
use crate::identity::IdentityError;
use crate::secrets::Sealer;

/// The cookie that carries a sign-in from start to callback.
pub const COOKIE: &str = "yunguan_oidc";
/// Where it is sent: the callback only.
pub const COOKIE_PATH: &str = "/api/v1/auth/oidc";
/// How long a sign-in may take at the provider.
pub const PENDING_TTL: Duration = Duration::from_secs(10 * 60);
const PENDING_PURPOSE: &str = "oidc.pending";
/// How long discovered metadata and keys are trusted.
const METADATA_TTL: Duration = Duration::from_secs(60 * 60);
/// Bounds each request to the provider.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The client as discovery makes it: an authorization endpoint, maybe a token and a userinfo
/// endpoint.
type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

pub struct OidcLogin {
    settings: OidcSettings,
    redirect_url: RedirectUrl,
    http: reqwest::Client,
    sealer: Sealer,
    discovered: Mutex<Option<(Instant, Arc<Client>)>>,
}

/// What the browser carries between start and callback, sealed.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    /// Unix seconds after which the sign-in is stale.
    expires_at: i64,
}

/// A sign-in on its way to the provider.
pub struct Started {
    pub authorize_url: String,
    /// The value of [`COOKIE`].
    pub cookie: String,
}

impl OidcLogin {
    /// `base_url` is where browsers reach yunguan (`mail.base_url`), for the default
    /// redirect URL.
    pub fn new(
        settings: OidcSettings,
        base_url: &str,
        sealer: Sealer,
    ) -> anyhow::Result<OidcLogin> {
        let redirect = settings
            .redirect_url
            .clone()
            .unwrap_or_else(|| format!("{}{COOKIE_PATH}/callback", base_url.trim_end_matches('/')));
        let redirect_url = RedirectUrl::new(redirect.clone())
            .map_err(|e| anyhow::anyhow!("auth.oidc.redirect_url {redirect:?}: {e}"))?;
        IssuerUrl::new(settings.issuer_url.clone())
            .map_err(|e| anyhow::anyhow!("auth.oidc.issuer_url {:?}: {e}", settings.issuer_url))?;
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            // The protocol forbids following redirects at the token endpoint (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(OidcLogin {
            settings,
            redirect_url,
            http,
            sealer,
            discovered: Mutex::new(None),
        })
    }

    /// What the login page's button says.
    pub fn label(&self) -> &str {
        &self.settings.label
    }

    pub async fn start(&self) -> Result<Started, IdentityError> {
        let client = self.client(false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in self
            .settings
            .scopes
            .iter()
            .filter(|s| s.as_str() != "openid")
        {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        let pending = Pending {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            expires_at: Utc::now().timestamp() + PENDING_TTL.as_secs() as i64,
        };
        let cookie = self
            .sealer
            .seal_json(PENDING_PURPOSE, &pending)
            .map_err(IdentityError::Internal)?;
        Ok(Started {
            authorize_url: url.to_string(),
            cookie,
        })
    }

    /// Finishes the sign-in the browser comes back with.
    pub async fn finish(
        &self,
        code: &str,
        state: &str,
        cookie_opt: Option<&str>,
    ) -> Result<ExternalIdentity, IdentityError> {
        let refused = |why: &str| {
            tracing::info!(why, "OIDC sign-in refused");
            IdentityError::SignInFailed(why.to_owned())
        };
        let pending: Pending = cookie_opt
            .and_then(|cookie| self.sealer.open_json(PENDING_PURPOSE, cookie).ok())
            .ok_or_else(|| refused("it was not started here, or its cookie was lost"))?;
        if pending.expires_at < Utc::now().timestamp() {
            return Err(refused("it took too long; start again"));
        }
        if pending.state != state {
            return Err(refused("the state does not match"));
        }
        let client = self.client(false).await?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|_| unavailable("the provider has no token endpoint"))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request_async(&self.http)
            .await
            .map_err(|error| match error {
                openidconnect::RequestTokenError::ServerResponse(answer) => refused(&format!(
                    "the provider refused the code: {}",
                    answer.error()
                )),
                other => unavailable(&format!("exchanging the code: {other}")),
            })?;
        let id_token = response
            .id_token()
            .ok_or_else(|| refused("the provider sent no ID token"))?;
        let nonce = Nonce::new(pending.nonce);
        let verified = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(claims) => claims.clone(),
            Err(_) => {
                // The provider may have rotated its keys: read them again, check once more.
                let fresh = self.client(true).await?;
                let verifier = fresh.id_token_verifier();
                let claims = id_token
                    .claims(&verifier, &nonce)
                    .map_err(|e| refused(&format!("the ID token does not verify: {e}")))?
                    .clone();
                claims
            }
        };
        // The ID token is verified; its other claims (groups, tenant) are read from the same
        // payload, which the crate's standard claims type does not keep.
        let payload = id_token
            .to_string()
            .split('.')
            .nth(1)
            .and_then(|part| BASE64_URL.decode(part).ok())
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .ok_or_else(|| refused("the ID token's payload is unreadable"))?;
        let text = |claim: &str| {
            payload
                .get(claim)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let groups = match payload.get(&self.settings.groups_claim) {
            Some(Value::Array(values)) => values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        let subject = verified.subject().as_str().to_owned();
        let username = text(&self.settings.username_claim).unwrap_or_else(|| subject.clone());
        Ok(ExternalIdentity {
            source: Source::Oidc,
            subject: format!("{}|{subject}", verified.issuer().as_str()),
            display_name: text("name").unwrap_or_else(|| username.clone()),
            username,
            email_opt: text("email"),
            groups,
            tenant_opt: text(&self.settings.tenant_claim),
        })
    }

    /// The discovered client; discovered again when older than an hour, or when `fresh`.
    async fn client(&self, fresh: bool) -> Result<Arc<Client>, IdentityError> {
        let mut discovered = self.discovered.lock().await;
        if let Some((at, client)) = discovered.as_ref() {
            if !fresh && at.elapsed() < METADATA_TTL {
                return Ok(client.clone());
            }
        }
        let issuer = IssuerUrl::new(self.settings.issuer_url.clone())
            .map_err(|e| unavailable(&format!("the issuer URL: {e}")))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| unavailable(&format!("discovering the provider: {e}")))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            self.settings
                .client_secret
                .as_ref()
                .map(|secret| ClientSecret::new(secret.expose_secret().to_owned())),
        )
        .set_redirect_uri(self.redirect_url.clone());
        let client = Arc::new(client);
        *discovered = Some((Instant::now(), client.clone()));
        Ok(client)
    }
}

fn unavailable(why: &str) -> IdentityError {
    tracing::warn!(why, "the OpenID provider is unavailable");
    IdentityError::ProviderUnavailable
}
