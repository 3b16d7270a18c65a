//! sea-orm table mappings, one module per table. These are storage types: handlers convert
//! them to wire types in `routes`, never serialize them directly.

pub mod announcement;
pub mod session;
pub mod tenant;
pub mod user;
pub mod ws_ticket;
