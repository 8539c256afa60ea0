//! What travels with a request: the actor, the tenant it acts in, its request id.

use crate::auth::{Actor, Scope};
use std::net::IpAddr;
use uuid::Uuid;

/// The agency (and optionally sub-account) a request acts in, checked against the actor's
/// memberships once, at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantContext {
    /// The agency: the tenant key of every row the request may touch.
    pub agency_id: Uuid,
    /// The sub-account the request is narrowed to, if any.
    pub sub_account_id: Option<Uuid>,
}

impl TenantContext {
    /// The scope of the context.
    pub fn scope(self) -> Scope {
        match self.sub_account_id {
            Some(id) => Scope::SubAccount {
                agency_id: self.agency_id,
                id,
            },
            None => Scope::Agency(self.agency_id),
        }
    }
}

/// The request's context, put into the GraphQL request data by the gateway.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// Who is acting.
    pub actor: Actor,
    /// Where, if the request names a tenant.
    pub tenant: Option<TenantContext>,
    /// The request id (also in logs and in `INTERNAL` errors).
    pub request_id: String,
    /// The client's IP address, for throttling.
    pub client_ip: Option<IpAddr>,
}

impl RequestContext {
    /// A context for Canopy itself, outside any HTTP request.
    pub fn system() -> Self {
        Self {
            actor: Actor::system(),
            tenant: None,
            request_id: "system".into(),
            client_ip: None,
        }
    }
}
