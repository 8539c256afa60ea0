//! The object graph: the `Node` interface over every domain's types, and the `node` and
//! `nodes` queries that load any object by its global id.
//!
//! It sits above the domain crates (it names their types) and below the edge: `live`'s activity
//! feed returns an event's subject as a `Node`, and the gateway merges [`CoreQuery`] into its
//! schema. Adding a domain type to the graph is one variant of [`Node`] and one arm of [`load`].
//!
//! Architecture Invariant: `node(id:)` resolves through the owning crate's service, which
//! applies the same authorization as the object's own query: an interface never bypasses it.

use async_graphql::{Context, ID, Interface, Object};
use crm::{Activity, Contact, CustomField, Segment, Tag};
use funnels::{FormSubmission, Funnel, FunnelPage, FunnelPageVersion};
use identity::{ApiKey, User};
use jobs::Job;
use kanban::{
    ChecklistItem, Currency, Idea, IdeaBoard, Lane, Pipeline, Task, TaskAttachment, TaskCategory,
    TaskComment, TaskGroup, TaskReminder, Ticket, TicketNote, WorkspaceLink,
};
use kernel::Error;
use kernel::id::{GlobalId, NodeKind};
use tenancy::{Agency, Invitation, MembershipObject, Reseller, SidebarOption, SubAccount};
use webhooks::{WebhookEndpoint, WebhookMessage};

/// Most ids accepted by `nodes`.
pub const MAX_NODES: usize = 100;

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "The object's global id."))]
pub enum Node {
    /// A user.
    User(User),
    /// An API key.
    ApiKey(ApiKey),
    /// A reseller.
    Reseller(Reseller),
    /// An invitation.
    Invitation(Invitation),
    /// An agency.
    Agency(Agency),
    /// A sub-account.
    SubAccount(SubAccount),
    /// A sidebar entry.
    SidebarOption(SidebarOption),
    /// A membership.
    Membership(MembershipObject),
    /// A contact.
    Contact(Contact),
    /// A tag.
    Tag(Tag),
    /// A timeline entry.
    Activity(Activity),
    /// A custom contact field.
    CustomField(CustomField),
    /// A segment (saved contact filter).
    Segment(Segment),
    /// A pipeline.
    Pipeline(Pipeline),
    /// A lane of a pipeline.
    Lane(Lane),
    /// A ticket.
    Ticket(Ticket),
    /// A note on a ticket.
    TicketNote(TicketNote),
    /// A task.
    Task(Task),
    /// A task group.
    TaskGroup(TaskGroup),
    /// A task category.
    TaskCategory(TaskCategory),
    /// A checklist item.
    ChecklistItem(ChecklistItem),
    /// A task comment.
    TaskComment(TaskComment),
    /// A task attachment.
    TaskAttachment(TaskAttachment),
    /// A task reminder.
    TaskReminder(TaskReminder),
    /// An idea board.
    IdeaBoard(IdeaBoard),
    /// An idea.
    Idea(Idea),
    /// A workspace link.
    WorkspaceLink(WorkspaceLink),
    /// A background job.
    Job(Job),
    /// A webhook endpoint.
    WebhookEndpoint(WebhookEndpoint),
    /// A message to a webhook endpoint.
    WebhookMessage(WebhookMessage),
    /// A funnel or website.
    Funnel(Funnel),
    /// A page of a funnel.
    FunnelPage(FunnelPage),
    /// A published version of a funnel page.
    FunnelPageVersion(FunnelPageVersion),
    /// A submission of a funnel page's form.
    FormSubmission(FormSubmission),
    /// A host allowed to call a sub-account's public endpoints from the browser.
    EmbedDomain(tenancy::EmbedDomain),
    /// A file of a media library.
    MediaFile(media::MediaFile),
    /// A folder of a media library.
    MediaFolder(media::MediaFolder),
    /// A bookable staff member, room or piece of equipment.
    CalendarResource(calendars::CalendarResource),
    /// A service clients can book.
    CalendarService(calendars::CalendarService),
    /// A booked appointment.
    Appointment(calendars::Appointment),
    /// A contact's referral code.
    ReferralCode(referrals::ReferralCode),
    /// A review asked of a contact, or recorded.
    Review(reviews::Review),
}

/// The object graph's queries: `node` and `nodes`.
#[derive(Default)]
pub struct CoreQuery;

/// Loads the object `id` names through its owning crate's service, as the actor may see it.
pub async fn load(ctx: &Context<'_>, id: &str) -> Result<Node, Error> {
    let (tx, rc) = kernel::db::request(ctx)?;
    let gid = GlobalId::parse(id)?;
    match gid.kind {
        NodeKind::User => Ok(Node::User(User(
            identity::service::user::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::ApiKey => Ok(Node::ApiKey(ApiKey(
            identity::service::api_key::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::Invitation => Ok(Node::Invitation(Invitation(
            tenancy::service::invitation::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::Reseller => Ok(Node::Reseller(Reseller(
            tenancy::service::reseller::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::Agency => Ok(Node::Agency(Agency(
            tenancy::service::agency::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::SubAccount => Ok(Node::SubAccount(SubAccount(
            tenancy::service::sub_account::get(&**tx, &rc.actor, gid.uuid)
                .await?
                .1,
        ))),
        NodeKind::SidebarOption => Ok(Node::SidebarOption(SidebarOption(
            tenancy::service::sidebar::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::Membership => {
            let (m, u) = tenancy::service::membership::get(&**tx, &rc.actor, gid.uuid).await?;
            Ok(Node::Membership(MembershipObject(m, u)))
        }
        NodeKind::Contact => Ok(Node::Contact(Contact(
            crm::service::contact::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::Tag => Ok(Node::Tag(Tag::from(
            crm::service::tag::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::Activity => Ok(Node::Activity(Activity(
            crm::service::activity::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::CustomField => Ok(Node::CustomField(CustomField(
            crm::service::custom_field::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::Segment => Ok(Node::Segment(Segment(
            crm::service::segment::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::Pipeline => Ok(Node::Pipeline(Pipeline::load(ctx, gid.uuid).await?)),
        NodeKind::Lane => {
            let l = kanban::service::lane::get(&**tx, &rc.actor, gid.uuid).await?;
            Ok(Node::Lane(Lane(l, Currency::OfPipeline)))
        }
        NodeKind::Ticket => {
            let t = kanban::service::ticket::get(&**tx, &rc.actor, gid.uuid).await?;
            Ok(Node::Ticket(Ticket(t, Currency::OfPipeline)))
        }
        NodeKind::TicketNote => Ok(Node::TicketNote(TicketNote(
            kanban::service::ticket::note(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::Task => Ok(Node::Task(Task(
            kanban::service::task::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::TaskGroup => Ok(Node::TaskGroup(TaskGroup(
            kanban::service::workspace::group(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::TaskCategory => Ok(Node::TaskCategory(TaskCategory(
            kanban::service::workspace::category(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::ChecklistItem => Ok(Node::ChecklistItem(ChecklistItem(
            kanban::service::task::checklist_item(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::TaskComment => Ok(Node::TaskComment(TaskComment(
            kanban::service::task::comment(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::TaskAttachment => Ok(Node::TaskAttachment(TaskAttachment(
            kanban::service::task::attachment(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::TaskReminder => Ok(Node::TaskReminder(TaskReminder(
            kanban::service::task::reminder(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::IdeaBoard => Ok(Node::IdeaBoard(IdeaBoard(
            kanban::service::workspace::board(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::Idea => Ok(Node::Idea(Idea(
            kanban::service::workspace::idea(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::WorkspaceLink => Ok(Node::WorkspaceLink(WorkspaceLink(
            kanban::service::workspace::link(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::Job => Ok(Node::Job(Job(jobs::service::get(
            &**tx, &rc.actor, gid.uuid,
        )
        .await?))),
        NodeKind::WebhookEndpoint => Ok(Node::WebhookEndpoint(WebhookEndpoint(
            webhooks::service::managed(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::WebhookMessage => Ok(Node::WebhookMessage(WebhookMessage(
            webhooks::service::message::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::Funnel => Ok(Node::Funnel(Funnel(
            funnels::service::funnel::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::FunnelPage => Ok(Node::FunnelPage(FunnelPage(
            funnels::service::page::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::FunnelPageVersion => {
            let (v, live) =
                funnels::service::publish::get_with_live(&**tx, &rc.actor, gid.uuid).await?;
            Ok(Node::FunnelPageVersion(FunnelPageVersion(v, live)))
        }
        NodeKind::FormSubmission => Ok(Node::FormSubmission(FormSubmission(
            funnels::service::submission::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::EmbedDomain => Ok(Node::EmbedDomain(tenancy::EmbedDomain(
            tenancy::service::embed_domain::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::MediaFile => Ok(Node::MediaFile(media::MediaFile(
            media::service::file::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::MediaFolder => Ok(Node::MediaFolder(media::MediaFolder(
            media::service::folder::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::CalendarResource => Ok(Node::CalendarResource(calendars::CalendarResource(
            calendars::service::resource::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::CalendarService => Ok(Node::CalendarService(calendars::CalendarService(
            calendars::service::offering::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::Appointment => Ok(Node::Appointment(calendars::Appointment(
            calendars::service::appointment::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::ReferralCode => Ok(Node::ReferralCode(referrals::ReferralCode(
            referrals::service::code::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        NodeKind::Review => Ok(Node::Review(reviews::Review(
            reviews::service::get(&**tx, &rc.actor, gid.uuid).await?,
        ))),
        _ => Err(Error::NotFound),
    }
}

#[Object]
impl CoreQuery {
    /// Any object by its global id, if you may see it; `NOT_FOUND` otherwise.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id.")] id: ID,
    ) -> async_graphql::Result<Node> {
        Ok(load(ctx, &id).await?)
    }

    /// Objects by their global ids, in the same order; null (with an error) for each one that
    /// does not exist or that you may not see. At most 100 ids.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids, at most 100.")] ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(
                Error::bad_input(Some("ids"), format!("pass at most {MAX_NODES} ids")).into(),
            );
        }
        let mut out = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            match load(ctx, id).await {
                Ok(n) => out.push(Some(n)),
                Err(e) => {
                    let err: async_graphql::Error = e.into();
                    // The path names the field as the client did (its alias, if any).
                    let key = ctx.item.node.response_key().node.to_string();
                    ctx.add_error(err.into_server_error(ctx.item.pos).with_path(vec![
                        async_graphql::PathSegment::Field(key),
                        async_graphql::PathSegment::Index(i),
                    ]));
                    out.push(None);
                }
            }
        }
        Ok(out)
    }
}
