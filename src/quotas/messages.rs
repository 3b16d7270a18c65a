//! What a tenant actor is asked.

use actix::Message;
use yunguan_actors::quota::{Ledger, Resources, Shortfall};

/// May `ticket_id` take `demand` now, given the quota as its transaction reads it? A yes
/// holds it until that transaction ends.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "Result<(), Shortfall>")]
pub struct Admit {
    pub ticket_id: i64,
    pub demand: Resources,
    pub ledger: Ledger,
}

/// The transaction of `ticket_id` is about to end: drop its hold.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct Settle {
    pub ticket_id: i64,
}
