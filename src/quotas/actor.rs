//! One `TenantActor` per tenant: it admits quota reservations of the tenant one at a time,
//! counting the reservations still in flight on this node, so that concurrent final
//! approvals of one tenant are decided in order and those that cannot fit are refused at
//! once, without queueing on the quota row in the database.
//!
//! The actor is an admission gate, not the record. The reservation itself is the database's
//! conditional update in the approving transaction (see the module above), which also holds
//! across nodes, each of which has its own actor. The actor reads nothing itself: each
//! request brings the ledger as its transaction reads it, and the actor adds the holds of
//! the other transactions in flight. A hold ends just before its transaction commits (or when
//! it fails), so a hold is never counted twice; in the instant between, the database's
//! update is the guard. Holds also lapse after [`HOLD_TTL`] should one never end.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::{Actor, Addr, Context, Handler};
use parking_lot::Mutex;
use yunguan_actors::quota::{Ledger, Resources, Shortfall};

use super::messages::{Admit, Settle};
use super::QuotaError;

/// The longest a hold counts without being settled.
pub const HOLD_TTL: Duration = Duration::from_secs(30);

pub struct TenantActor {
    /// Admitted, not yet settled: ticket -> (demand, when admitted).
    holds: HashMap<i64, (Resources, Instant)>,
}

impl Actor for TenantActor {
    type Context = Context<Self>;
}

impl Handler<Admit> for TenantActor {
    type Result = Result<(), Shortfall>;

    fn handle(&mut self, admit: Admit, _ctx: &mut Context<Self>) -> Self::Result {
        self.holds
            .retain(|_, (_, admitted_at)| admitted_at.elapsed() < HOLD_TTL);
        let held = self
            .holds
            .iter()
            .filter(|(ticket_id, _)| **ticket_id != admit.ticket_id)
            .fold(admit.ledger.held, |held, (_, (demand, _))| {
                held.plus(*demand)
            });
        Ledger {
            limit: admit.ledger.limit,
            held,
        }
        .check(admit.demand)?;
        self.holds
            .insert(admit.ticket_id, (admit.demand, Instant::now()));
        Ok(())
    }
}

impl Handler<Settle> for TenantActor {
    type Result = ();

    fn handle(&mut self, settle: Settle, _ctx: &mut Context<Self>) {
        self.holds.remove(&settle.ticket_id);
    }
}

/// An admitted hold; dropping it settles it. Drop it before the transaction commits.
pub struct Admission {
    addr: Addr<TenantActor>,
    ticket_id: i64,
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.addr.do_send(Settle {
            ticket_id: self.ticket_id,
        });
    }
}

/// Finds or starts the actor of a tenant. Clones share the actors.
#[derive(Clone, Default)]
pub struct TenantActors {
    actors: Arc<Mutex<HashMap<i64, Addr<TenantActor>>>>,
    restarts: Arc<AtomicU64>,
}

impl TenantActors {
    /// The tenant's running actor, started afresh if there is none or it died.
    fn addr(&self, tenant_id: i64) -> Addr<TenantActor> {
        let mut actors = self.actors.lock();
        if let Some(addr) = actors.get(&tenant_id) {
            if addr.connected() {
                return addr.clone();
            }
            self.restarts.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(tenant_id, "tenant actor died; starting a new one");
        }
        let addr = TenantActor {
            holds: HashMap::new(),
        }
        .start();
        actors.insert(tenant_id, addr.clone());
        addr
    }

    /// Asks the tenant's actor to admit `demand` for `ticket_id` on top of `ledger` (as the
    /// caller's transaction reads it): `quota_exceeded` at once when it cannot fit with the
    /// other reservations in flight, else a hold that lasts as long as the admission.
    pub async fn admit(
        &self,
        tenant_id: i64,
        ticket_id: i64,
        demand: Resources,
        ledger: Ledger,
    ) -> Result<Admission, QuotaError> {
        let addr = self.addr(tenant_id);
        match addr
            .send(Admit {
                ticket_id,
                demand,
                ledger,
            })
            .await
        {
            Ok(Ok(())) => Ok(Admission { addr, ticket_id }),
            Ok(Err(shortfall)) => Err(QuotaError::Exceeded(shortfall)),
            Err(error) => Err(QuotaError::ActorUnavailable(error)),
        }
    }

    pub fn running(&self) -> usize {
        self.actors
            .lock()
            .values()
            .filter(|addr| addr.connected())
            .count()
    }

    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vcpu(amount: i64) -> Resources {
        Resources {
            vcpu: amount,
            ..Resources::default()
        }
    }

    #[actix_rt::test]
    async fn holds_in_flight_count_until_settled() {
        let tenants = TenantActors::default();
        let ledger = Ledger {
            limit: vcpu(40),
            held: vcpu(8),
        };
        let first = tenants.admit(1, 101, vcpu(16), ledger).await.unwrap();
        let second = tenants.admit(1, 102, vcpu(16), ledger).await.unwrap();
        let refused = tenants.admit(1, 103, vcpu(16), ledger).await.err().unwrap();
        assert!(matches!(refused, QuotaError::Exceeded(_)), "{refused:?}");
        // Another tenant has its own actor and its own quota.
        tenants.admit(2, 201, vcpu(16), ledger).await.unwrap();
        // Asking again for the same ticket does not count its own hold twice.
        let again = tenants.admit(1, 102, vcpu(16), ledger).await.unwrap();
        drop(first);
        // The first committed: the database now holds it, the actor no longer does.
        let committed = Ledger {
            limit: vcpu(40),
            held: vcpu(24),
        };
        tenants
            .admit(1, 103, vcpu(16), committed)
            .await
            .err()
            .unwrap();
        drop((second, again));
        tenants.admit(1, 103, vcpu(16), committed).await.unwrap();
        assert_eq!(tenants.running(), 2);
    }
}
