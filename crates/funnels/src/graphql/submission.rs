//! Form submissions in GraphQL: the `FormSubmission` object and the `formSubmissions` list.

use crate::entity::submission;
use async_graphql::{Context, ID, Json, Object};
use chrono::{DateTime, Utc};
use kernel::connection::{Page, wants_total_count};
use kernel::id::{GlobalId, NodeKind, gid};

/// An accepted submission of a published page's form: what the visitor entered, the contact
/// it created or filled in, and the campaign they came from.
#[derive(Clone)]
pub struct FormSubmission(pub submission::Model);

/// An accepted submission of a published page's form: what the visitor entered, the contact
/// it created or filled in, and the campaign they came from.
#[Object]
impl FormSubmission {
    /// The global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::FormSubmission, self.0.id)
    }
    /// The funnel (it may have been deleted since).
    async fn funnel_id(&self) -> ID {
        gid(NodeKind::Funnel, self.0.funnel_id)
    }
    /// The page (it may have been deleted since).
    async fn page_id(&self) -> ID {
        gid(NodeKind::FunnelPage, self.0.page_id)
    }
    /// The published version whose form was filled in.
    async fn version_id(&self) -> ID {
        gid(NodeKind::FunnelPageVersion, self.0.version_id)
    }
    /// The form's key on the page.
    async fn form_key(&self) -> &str {
        &self.0.form_key
    }
    /// The contact it created or filled in.
    async fn contact_id(&self) -> ID {
        gid(NodeKind::Contact, self.0.contact_id)
    }
    /// What was entered: `{ fieldName: value }` for the form's fields (checkboxes as
    /// booleans; fields left empty are absent).
    async fn values(&self) -> Json<serde_json::Value> {
        Json(self.0.values.clone())
    }
    /// The campaign parameters the visitor arrived with (`utm_source`, `utm_medium`,
    /// `utm_campaign`, `utm_term`, `utm_content`; absent ones are left out).
    async fn utm(&self) -> Json<serde_json::Value> {
        Json(self.0.utm.clone())
    }
    /// When it was accepted.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

kernel::connection_types!(
    FormSubmissionConnection,
    FormSubmissionEdge,
    FormSubmission,
    "form submissions"
);

/// Form submission queries.
#[derive(Default)]
pub struct SubmissionsQuery;

#[Object]
impl SubmissionsQuery {
    /// The form submissions of a sub-account of the agency you act in, newest first. Needs
    /// `CONTACTS_READ` there (they are what visitors entered about themselves).
    #[allow(clippy::too_many_arguments)]
    async fn form_submissions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "Only submissions of this funnel's forms.")] funnel_id: Option<ID>,
        #[graphql(desc = "Return the first n submissions (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return submissions after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n submissions (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return submissions before this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<FormSubmissionConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        let funnel = funnel_id
            .map(|f| GlobalId::parse_as(&f, NodeKind::Funnel))
            .transpose()?;
        let page = Page::new(first, after, last, before)?;
        let (rows, info, total) = crate::service::submission::list(
            &**tx,
            &rc.actor,
            sub,
            funnel,
            page,
            wants_total_count(ctx),
        )
        .await?;
        Ok(FormSubmissionConnection::build(
            rows.into_iter().map(FormSubmission).collect(),
            info,
            total,
            |s| s.0.id,
        ))
    }
}
