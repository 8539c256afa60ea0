//! Redemptions: a lead redeems a code, through the API (a contact staff name) or through the
//! code's public link (a visitor, who becomes a contact through the CRM's intake).
//!
//! The use is counted in one conditional `UPDATE` (`times_used < max_uses`, not expired) under
//! the code's lock: however many redeem at once, no more than `max_uses` win, and one that does
//! not win writes nothing. A lead redeems a code once; a referrer cannot redeem their own.
//!
//! Architecture Invariant: a code is reached by the public only by its link's random token
//! (`kernel::db::Opening::ReferralToken`), only while its tenant is live, and the redemption goes
//! through the same path as a member's, as Canopy inside that one tenant (`Actor::system_in`).

use super::code::{ReferralStatus, status};
use crate::entity::{code, redemption};
use chrono::Utc;
use crm::entity::activity::ActivityKind;
use crm::entity::contact::{self, ContactSource};
use crm::service::activity::NewActivity;
use crm::service::contact::ContactFields;
use kernel::auth::Actor;
use kernel::db::{Opening, TenantGuard};
use kernel::error::{Error, UserError, UserErrorCode};
use kernel::event::EventType;
use kernel::id::new_uuid;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use tenancy::guard::{self, Access, Entered};
use uuid::Uuid;

/// A link token's length (32 random bytes, URL-safe base64).
pub const TOKEN_LEN: usize = 43;
/// Most leads listed for one code.
pub const MAX_LEADS: u64 = 500;

/// The leads who redeemed a code, newest first (the first [`MAX_LEADS`]).
pub async fn leads(
    db: &impl ConnectionTrait,
    c: &code::Model,
) -> Result<Vec<redemption::Model>, Error> {
    Ok(redemption::Entity::find()
        .filter(redemption::Column::AgencyId.eq(c.agency_id))
        .filter(redemption::Column::CodeId.eq(c.id))
        .order_by_desc(redemption::Column::Id)
        .limit(MAX_LEADS)
        .all(db)
        .await?)
}

fn refused(code: UserErrorCode, message: &str) -> Error {
    Error::user("code", code, message)
}

/// Redeems `c` for `lead` as `actor` (both of one sub-account, loaded by the caller through the
/// guard or found by the public link): the count, the redemption, the event, and a line on the
/// referrer's timeline.
async fn redeem_for(
    db: &impl ConnectionTrait,
    actor: &Actor,
    c: &code::Model,
    lead: &contact::Model,
) -> Result<redemption::Model, Error> {
    if lead.id == c.contact_id {
        return Err(refused(
            UserErrorCode::NotAllowed,
            "a referrer cannot redeem their own code",
        ));
    }
    kernel::db::lock(db, &format!("referral-code:{}", c.id)).await?;
    let again = redemption::Entity::find()
        .filter(redemption::Column::AgencyId.eq(c.agency_id))
        .filter(redemption::Column::CodeId.eq(c.id))
        .filter(redemption::Column::ContactId.eq(lead.id))
        .count(db)
        .await?;
    if again > 0 {
        return Err(refused(
            UserErrorCode::AlreadyDone,
            "this lead redeemed this code already",
        ));
    }
    let now = Utc::now();
    let won = code::Entity::update_many()
        .col_expr(
            code::Column::TimesUsed,
            Expr::col(code::Column::TimesUsed).add(1),
        )
        .col_expr(code::Column::UpdatedAt, Expr::value(now))
        .filter(code::Column::AgencyId.eq(c.agency_id))
        .filter(code::Column::Id.eq(c.id))
        .filter(
            Condition::any()
                .add(code::Column::MaxUses.is_null())
                .add(Expr::col(code::Column::TimesUsed).lt(Expr::col(code::Column::MaxUses))),
        )
        .filter(
            Condition::any()
                .add(code::Column::ExpiresAt.is_null())
                .add(code::Column::ExpiresAt.gt(now)),
        )
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if !won {
        let fresh = code::Entity::find_by_id((c.agency_id, c.id))
            .one(db)
            .await?
            .ok_or(Error::NotFound)?;
        return Err(match status(&fresh, now) {
            ReferralStatus::Expired => refused(UserErrorCode::Expired, "this code has expired"),
            _ => refused(
                UserErrorCode::UsedUp,
                "this code was redeemed as often as it may be",
            ),
        });
    }
    let r = redemption::ActiveModel {
        agency_id: Set(c.agency_id),
        id: Set(new_uuid()),
        sub_account_id: Set(c.sub_account_id),
        code_id: Set(c.id),
        contact_id: Set(lead.id),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    guard::record(
        db,
        actor,
        c,
        EventType::ReferralRedeemed,
        json!({ "leadId": lead.id.to_string(), "referrerId": c.contact_id.to_string() }),
    )
    .await?;
    let change = kernel::metric::Change::one(kernel::metric::Metric::ReferralsRedeemed, now);
    kernel::metric::count_one(db, c.agency_id, c.sub_account_id, change).await?;
    let at = Entered {
        agency_id: c.agency_id,
        sub_account_id: c.sub_account_id,
    };
    let name = format!("{} {}", lead.first_name, lead.last_name);
    crm::service::activity::log_for(
        db,
        actor,
        at,
        c.contact_id,
        NewActivity {
            kind: ActivityKind::Note,
            direction: None,
            status: None,
            subject: Some(format!("Referred {}", name.trim())),
            body: format!("{} redeemed the referral code {}.", name.trim(), c.code),
            occurred_at: None,
        },
    )
    .await?;
    Ok(r)
}

/// Redeems the code `code` of a contact's sub-account for that contact (`CONTACTS_WRITE`):
/// `INVALID` for no such code there, `EXPIRED`, `USED_UP`, `ALREADY_DONE`, or `NOT_ALLOWED` for
/// the referrer themselves.
pub async fn redeem(
    db: &impl ConnectionTrait,
    actor: &Actor,
    contact_id: Uuid,
    code: &str,
) -> Result<(code::Model, redemption::Model), Error> {
    let lead = guard::load_where::<contact::Entity>(db, actor, contact_id, Access::Write, |c| {
        c.deleted_at.is_none()
    })
    .await?;
    let mut errors = Vec::new();
    let typed = super::code::normalize(&mut errors, "code", code);
    kernel::error::fail_if(errors)?;
    let Some(c) = code::Entity::find()
        .filter(code::Column::AgencyId.eq(lead.agency_id))
        .filter(code::Column::SubAccountId.eq(lead.sub_account_id))
        .filter(code::Column::Code.eq(typed))
        .one(db)
        .await?
    else {
        return Err(refused(
            UserErrorCode::Invalid,
            "no referral code of this sub-account is this one",
        ));
    };
    if !referrer_live(db, &c).await? {
        return Err(refused(
            UserErrorCode::Invalid,
            "no referral code of this sub-account is this one",
        ));
    }
    guard::check(actor, &c, Access::Write)?;
    let r = redeem_for(db, actor, &c, &lead).await?;
    let c = code::Entity::find_by_id((c.agency_id, c.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((c, r))
}

/// The code with this link token, read in its tenant; `None` for an unknown token or a
/// suspended or deleted tenant (alike).
pub async fn by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<code::Model>, Error> {
    if token.len() != TOKEN_LEN
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    kernel::db::open(db, Opening::ReferralToken(token.to_owned())).await?;
    let Some(c) = code::Entity::find()
        .filter(code::Column::Token.eq(token))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    kernel::db::set_tenant(db, TenantGuard::Agency(c.agency_id)).await?;
    let online =
        tenancy::service::sub_account::is_online(db, c.agency_id, c.sub_account_id).await?;
    Ok((online && referrer_live(db, &c).await?).then_some(c))
}

/// Whether the code's referrer is still a live contact (a deleted one's codes stop working).
async fn referrer_live(db: &impl ConnectionTrait, c: &code::Model) -> Result<bool, Error> {
    let at = Entered {
        agency_id: c.agency_id,
        sub_account_id: c.sub_account_id,
    };
    crm::service::contact::live_in(db, at, c.contact_id).await
}

/// A visitor who redeems a code by its link.
#[derive(Debug, Clone, Default)]
pub struct Visitor {
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Email address (an address or a phone number is required).
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// The host of the page that called, when a browser did (`Origin`).
    pub origin_host: Option<String>,
}

/// Redeems the code with this link token for a visitor: `NOT_FOUND` without one (or when its
/// referrer was deleted), `FORBIDDEN` from a browser page on a host that is not one of the
/// sub-account's embed domains. The visitor becomes a contact (source `REFERRAL`) or fills in the
/// one with their address; problems are named by the body's fields. The referrer, or a lead who
/// redeemed it before, is answered like a new lead and nothing is counted.
pub async fn redeem_public(
    db: &impl ConnectionTrait,
    token: &str,
    v: Visitor,
) -> Result<code::Model, Error> {
    let c = by_token(db, token).await?.ok_or(Error::NotFound)?;
    if let Some(o) = &v.origin_host
        && (o.is_empty()
            || !tenancy::service::embed_domain::allows(db, c.agency_id, c.sub_account_id, o)
                .await?)
    {
        return Err(Error::Forbidden);
    }
    if v.first_name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(Error::User(vec![UserError::new(
            "firstName",
            UserErrorCode::Invalid,
            "enter a name",
        )]));
    }
    let actor = Actor::system_in(c.agency_id);
    let fields = ContactFields {
        first_name: v.first_name,
        last_name: v.last_name,
        email: v.email,
        phone: v.phone,
        ..ContactFields::default()
    };
    let intake = crm::service::intake::upsert(
        db,
        &actor,
        c.sub_account_id,
        ContactSource::Referral,
        fields,
    )
    .await
    .map_err(|e| match e {
        Error::User(errors) => Error::User(
            errors
                .into_iter()
                .map(|mut u| {
                    if u.field.first().is_some_and(|f| f == "input") {
                        u.field.remove(0);
                    }
                    u
                })
                .collect(),
        ),
        other => other,
    })?;
    match redeem_for(db, &actor, &c, &intake.contact).await {
        Ok(_) => {}
        // The referrer, or a lead who redeemed it before: answered like anyone, so the link
        // tells no one whose address is whose; nothing is counted.
        Err(Error::User(errors))
            if errors.iter().all(|u| {
                matches!(
                    u.code,
                    UserErrorCode::NotAllowed | UserErrorCode::AlreadyDone
                )
            }) => {}
        Err(e) => return Err(e),
    }
    code::Entity::find_by_id((c.agency_id, c.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}
