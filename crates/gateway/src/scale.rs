//! Scale seeding for benchmarks (`canopy seed-scale`, issue #6): fills a database with a
//! realistic platform, deterministically from a seed, with bulk inserts.
//!
//! For each of `--agencies` agencies (`agency-0000`, `agency-0001`, …) it creates:
//!
//! - the agency (through `tenancy`'s own service: its default sidebar, its owner's
//!   `AGENCY_OWNER` membership and the `agency.created` event come with it) and its owner, a
//!   user who signs in as [`owner_email`] with [`PASSWORD`];
//! - `--sub-accounts` sub-accounts (through the service too: sidebar and event), each with:
//!   - `--staff` users with a `SUBACCOUNT_USER` membership, signing in as [`staff_email`];
//!   - 10 tags and 2 custom fields (`Job title`, text; `Lead temperature`, single select);
//!   - `--contacts` contacts created over the past year: names from fixed lists, a unique
//!     email per sub-account (`first.last.N@example.com`, 90 %), an E.164 phone (85 %), a
//!     company (70 %), a city or a full address, source, status, an owner among the staff
//!     (60 %), 0–3 tags each, and a value for each custom field on about half of them;
//!   - `--pipelines` pipelines with the 5 default lanes and `--tickets` tickets each: linked to
//!     a random contact (90 %), assigned to a random staff member (85 %), valued in minor units;
//!     each was created in the first lane and moved lane by lane to where it stands (its lane
//!     history says so), and some in the last lane are won, some anywhere are lost;
//!   - `--tasks` tasks from the past 90 days, some assigned, due, done or repeating;
//!   - the events the services would have written for all of it (`contact.created`,
//!     `contact.tagged`, `tag.created`, `custom_field.created`, `pipeline.created`,
//!     `ticket.created`, `ticket.moved`, `ticket.won`, `ticket.lost`, `task.created`), dated
//!     when each thing happened and attributed to the agency's owner.
//!
//! The data rows (everything below the sub-account's staff) carry UUIDv7 ids made from their
//! creation time, so ids and `created_at` agree; their times are counted back from the moment
//! the run starts (the agencies, sub-accounts and users themselves are created at that moment,
//! so the older data looks imported). Everything else (names, links, counts, choices) is the
//! same for the same seed and sizes. Assignment notifications are not created.
//!
//! Sizes with the default per-sub-account flags (`--sub-accounts 10 --contacts 1000 --staff 3
//! --pipelines 2 --tickets 100 --tasks 50`):
//!
//! | rows                      | 10,000 contacts (`--agencies 1`) | 1,000,000 contacts (`--agencies 100`) |
//! |---------------------------|----------------:|------------------:|
//! | agencies                  |               1 |               100 |
//! | sub-accounts              |              10 |             1,000 |
//! | users (and memberships)   |              31 |             3,100 |
//! | sidebar options           |             116 |            11,600 |
//! | tags                      |             100 |            10,000 |
//! | custom fields             |              20 |             2,000 |
//! | contacts                  |          10,000 |         1,000,000 |
//! | contact tags              |        ≈ 15,000 |       ≈ 1,500,000 |
//! | custom values             |        ≈ 10,000 |       ≈ 1,000,000 |
//! | pipelines                 |              20 |             2,000 |
//! | lanes                     |             100 |            10,000 |
//! | tickets                   |           2,000 |           200,000 |
//! | ticket lane entries       |         ≈ 6,000 |         ≈ 600,000 |
//! | tasks (and their history) |             500 |            50,000 |
//! | events                    |        ≈ 24,600 |       ≈ 2,460,000 |
//!
//! Each sub-account is written in one transaction (the agency and its owner in one before),
//! so a failure leaves no half-written sub-account; tables are filled with multi-row `INSERT`s
//! of at most [`MAX_PARAMS`] bound parameters (PostgreSQL allows 65,535, SQLite 32,766).

use chrono::{DateTime, Duration, Utc};
use crm::entity::contact::{ContactSource, ContactStatus};
use crm::entity::custom_field::CustomFieldKind;
use crm::entity::{contact, contact_field_value, contact_tag, custom_field, tag};
use identity::entity::user;
use kanban::entity::task::{TaskPriority, TaskStatus};
use kanban::entity::{lane, lane_entry, pipeline, task, task_change, ticket};
use kanban::service::pipeline::{DEFAULT_LANES, MAX_LANES, MAX_PIPELINES};
use kernel::db::TenantGuard;
use kernel::event::NewEvent;
use kernel::event::entity as event;
use kernel::{Actor, GlobalId, NodeKind, Role, Scope};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, DatabaseTransaction, EntityTrait, Iterable, PaginatorTrait, QueryFilter,
    TransactionTrait,
};
use serde_json::json;
use std::time::Instant;
use uuid::Uuid;

/// The password of every user the scale seeding creates.
pub const PASSWORD: &str = "canopy-scale";

/// Most bound parameters in one `INSERT` statement.
pub const MAX_PARAMS: usize = 30_000;

/// Sizes and seed of a scale data set.
#[derive(Debug, Clone, clap::Args)]
pub struct ScaleOptions {
    /// Agencies to create.
    #[arg(long, default_value_t = 1)]
    pub agencies: usize,
    /// Sub-accounts per agency.
    #[arg(long, default_value_t = 10)]
    pub sub_accounts: usize,
    /// Contacts per sub-account.
    #[arg(long, default_value_t = 1000)]
    pub contacts: usize,
    /// Staff users per sub-account (besides each agency's owner).
    #[arg(long, default_value_t = 3)]
    pub staff: usize,
    /// Pipelines per sub-account (5 lanes each).
    #[arg(long, default_value_t = 2)]
    pub pipelines: usize,
    /// Tickets per pipeline.
    #[arg(long, default_value_t = 100)]
    pub tickets: usize,
    /// Tasks per sub-account.
    #[arg(long, default_value_t = 50)]
    pub tasks: usize,
    /// Random seed: the same seed and sizes give the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl Default for ScaleOptions {
    fn default() -> Self {
        Self {
            agencies: 1,
            sub_accounts: 10,
            contacts: 1000,
            staff: 3,
            pipelines: 2,
            tickets: 100,
            tasks: 50,
            seed: 42,
        }
    }
}

/// What [`seed_scale`] created.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScaleReport {
    /// Agencies created.
    pub agencies: usize,
    /// Sub-accounts created.
    pub sub_accounts: usize,
    /// Users created (agency owners and sub-account staff).
    pub users: usize,
    /// Contacts created.
    pub contacts: usize,
    /// Tickets created.
    pub tickets: usize,
    /// Tasks created.
    pub tasks: usize,
    /// Events recorded (every event written during the run, those of the services included).
    pub events: usize,
    /// Wall-clock time of the run, in seconds.
    pub seconds: f64,
}

/// The login of agency `agency`'s owner (agencies count from 0): `owner@agency-0000.scale.test`.
/// The password is [`PASSWORD`].
pub fn owner_email(agency: usize) -> String {
    format!("owner@agency-{agency:04}.scale.test")
}

/// The login of staff user `staff` of sub-account `sub_account` of agency `agency` (all
/// counting from 0): `staff-0@sub-0000.agency-0000.scale.test`. The password is [`PASSWORD`].
pub fn staff_email(agency: usize, sub_account: usize, staff: usize) -> String {
    format!("staff-{staff}@sub-{sub_account:04}.agency-{agency:04}.scale.test")
}

/// Fills `db` (connected as the table owner, migrated, with no scale data yet) with the data
/// set `opts` describes; see the module documentation for what it holds.
///
/// `password_hash` is the argon2id PHC string of [`PASSWORD`], computed once by the caller
/// with the deployment's hashing parameters, so that every user can sign in with it:
///
/// ```ignore
/// let hash = identity::service::password::Hasher::new(
///     config.argon2_memory_kib,
///     config.argon2_iterations,
/// )?
/// .hash(scale::PASSWORD.to_owned())
/// .await?;
/// ```
///
/// Progress is logged (`tracing::info!`) after every agency. Errors name what was being
/// written; sub-accounts committed before an error stay.
pub async fn seed_scale(
    db: &DatabaseConnection,
    opts: &ScaleOptions,
    password_hash: &str,
) -> Result<ScaleReport, String> {
    let started = Instant::now();
    if !password_hash.starts_with("$argon2") {
        return Err("the password hash must be an argon2 PHC string (`$argon2id$…`)".into());
    }
    if u64::try_from(opts.pipelines).unwrap_or(u64::MAX) > MAX_PIPELINES {
        return Err(format!(
            "a sub-account has at most {MAX_PIPELINES} pipelines"
        ));
    }
    if opts.agencies > 0
        && user::Entity::find()
            .filter(user::Column::Email.eq(owner_email(0)))
            .one(db)
            .await
            .map_err(db_err("looking for earlier scale data"))?
            .is_some()
    {
        return Err(format!(
            "{} is registered already: this database holds scale data; start from an empty one",
            owner_email(0)
        ));
    }
    let events_before = event::Entity::find()
        .count(db)
        .await
        .map_err(db_err("counting events"))?;
    let mut g = Generator {
        opts,
        password_hash,
        rng: StdRng::seed_from_u64(opts.seed),
        ids: Ids(StdRng::seed_from_u64(opts.seed ^ ID_STREAM)),
        now: Utc::now(),
        system: Actor::system(),
    };
    let mut report = ScaleReport::default();
    let mut rows: usize = 0;
    for a in 0..opts.agencies {
        let agency = g.agency(db, a).await?;
        report.agencies += 1;
        report.users += 1;
        for s in 0..opts.sub_accounts {
            let written = g.sub_account(db, &agency, s).await?;
            report.sub_accounts += 1;
            report.users += written.users;
            report.contacts += written.contacts;
            report.tickets += written.tickets;
            report.tasks += written.tasks;
            rows += written.rows;
            if a == 0 && s == 0 && db.get_database_backend() == sea_orm::DbBackend::Postgres {
                // Statistics from real rows, so that the planner stops treating the tables
                // as empty.
                db.execute_unprepared("ANALYZE")
                    .await
                    .map_err(db_err("analyzing the tables"))?;
            }
        }
        tracing::info!(
            agency = a + 1,
            of = opts.agencies,
            sub_accounts = report.sub_accounts,
            contacts = report.contacts,
            tickets = report.tickets,
            rows,
            elapsed_secs = started.elapsed().as_secs_f64(),
            "scale seeding: agency written"
        );
    }
    let events_after = event::Entity::find()
        .count(db)
        .await
        .map_err(db_err("counting events"))?;
    report.events =
        usize::try_from(events_after.saturating_sub(events_before)).unwrap_or(usize::MAX);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

// ---------------------------------------------------------------------------------------------
// Fixed lists.

const FIRST_NAMES: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Betty",
    "Anthony",
    "Sandra",
    "Mark",
    "Margaret",
    "Steven",
    "Ashley",
    "Andrew",
    "Emily",
    "Paul",
    "Donna",
    "Joshua",
    "Michelle",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "George",
    "Stephanie",
    "Olivia",
    "Liam",
    "Noah",
    "Emma",
    "Ava",
    "Sophia",
    "Mia",
    "Lucas",
    "Amelia",
    "Ethan",
    "Priya",
    "Wei",
    "Fatima",
    "Mateo",
    "Aisha",
    "Hiroshi",
];

const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Patel",
    "Kim",
    "Chen",
    "Murphy",
    "Cook",
    "Khan",
    "Tanaka",
    "Silva",
    "Okafor",
    "Novak",
];

const EMAIL_DOMAINS: &[&str] = &["example.com", "example.org", "example.net"];

const COMPANIES: &[&str] = &[
    "Northwind Traders",
    "Contoso",
    "Fabrikam",
    "Tailspin Toys",
    "Adventure Works",
    "Wide World Importers",
    "Litware",
    "Proseware",
    "Blue Yonder Airlines",
    "Coho Winery",
    "Alpine Ski House",
    "Fourth Coffee",
    "Lucerne Publishing",
    "Trey Research",
    "Woodgrove Bank",
    "Humongous Insurance",
    "City Power & Light",
    "Wingtip Toys",
    "Southridge Video",
    "Graphic Design Institute",
    "Margie's Travel",
    "School of Fine Art",
    "Relecloud",
    "Bellows College",
    "Munson's Pickles",
    "VanArsdel",
    "Consolidated Messenger",
    "Datum",
    "Lamna Healthcare",
    "Nod Publishers",
];

/// (city, region, ZIP prefix, area code).
const US_CITIES: &[(&str, &str, &str, &str)] = &[
    ("New York", "NY", "100", "212"),
    ("San Francisco", "CA", "941", "415"),
    ("Chicago", "IL", "606", "312"),
    ("Boston", "MA", "021", "617"),
    ("Seattle", "WA", "981", "206"),
    ("Denver", "CO", "802", "303"),
    ("Atlanta", "GA", "303", "404"),
    ("Houston", "TX", "770", "713"),
];

const US_STREETS: &[&str] = &[
    "Main Street",
    "Oak Avenue",
    "Pine Street",
    "Maple Avenue",
    "Cedar Lane",
    "Elm Street",
    "Washington Avenue",
    "Lake Drive",
    "Hill Road",
    "Park Avenue",
];

const UK_STREETS: &[&str] = &[
    "High Street",
    "Station Road",
    "Church Lane",
    "Victoria Road",
    "Green Lane",
    "Mill Road",
];

const UK_POSTCODES: &[&str] = &[
    "EC1A 1BB", "SW1A 2AA", "W1A 0AX", "N1 9GU", "SE1 7PB", "E14 5AB",
];

/// (weight, source) of contacts.
const SOURCES: &[(u32, ContactSource)] = &[
    (25, ContactSource::Manual),
    (25, ContactSource::Form),
    (15, ContactSource::Ad),
    (20, ContactSource::Import),
    (5, ContactSource::Api),
    (8, ContactSource::Referral),
    (2, ContactSource::Other),
];

/// (weight, status) of contacts.
const STATUSES: &[(u32, ContactStatus)] = &[
    (40, ContactStatus::New),
    (25, ContactStatus::Contacted),
    (15, ContactStatus::Qualified),
    (12, ContactStatus::Converted),
    (8, ContactStatus::Lost),
];

/// (name, colour) of the tags of every sub-account.
const TAGS: &[(&str, &str)] = &[
    ("VIP", "#d97706"),
    ("Lead", "#2563eb"),
    ("Customer", "#16a34a"),
    ("Newsletter", "#7c3aed"),
    ("Webinar", "#db2777"),
    ("Referral", "#0891b2"),
    ("Follow-up", "#ea580c"),
    ("Cold", "#64748b"),
    ("Partner", "#4f46e5"),
    ("Trade show", "#ca8a04"),
];

const JOB_TITLES: &[&str] = &[
    "Owner",
    "Office Manager",
    "Marketing Director",
    "Sales Manager",
    "Accountant",
    "Operations Lead",
    "Consultant",
    "Engineer",
    "Practice Manager",
    "Founder",
    "Buyer",
    "Head of Growth",
];

const TEMPERATURES: &[&str] = &["Hot", "Warm", "Cold"];

const AGENCY_WORDS: &[&str] = &[
    "Northwind",
    "Bluebird",
    "Pinnacle",
    "Lighthouse",
    "Redwood",
    "Horizon",
    "Keystone",
    "Brightpath",
    "Ironclad",
    "Silverline",
];

const AGENCY_KINDS: &[&str] = &["Marketing", "Digital", "Media", "Growth", "Partners"];

const TIMEZONES: &[&str] = &[
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
];

const BUSINESS_WORDS: &[&str] = &[
    "Bright",
    "Green",
    "Blue",
    "Summit",
    "Golden",
    "Silver",
    "Urban",
    "Coastal",
    "Prime",
    "Evergreen",
    "Harbor",
    "Maple",
];

const BUSINESS_KINDS: &[&str] = &[
    "Dental",
    "Gardens",
    "Fitness",
    "Realty",
    "Law",
    "Bakery",
    "Auto Repair",
    "Plumbing",
    "Salon",
    "Clinic",
    "Roofing",
    "Coffee",
    "Yoga",
    "Veterinary",
    "Cleaning",
];

const PIPELINE_NAMES: &[&str] = &["Sales", "Renewals", "Partnerships", "Onboarding", "Upsell"];

const PRODUCTS: &[&str] = &[
    "Website redesign",
    "SEO retainer",
    "Annual plan",
    "Starter package",
    "Premium support",
    "Ad campaign",
    "Consulting hours",
    "Onboarding package",
    "Enterprise licence",
    "Social media plan",
];

const TICKET_NOTES: &[&str] = &[
    "Asked for a discount on the first year.",
    "Decision maker is on holiday until next month.",
    "Wants a call with our technical team.",
    "Comparing us with two other vendors.",
    "Budget approved, waiting for the purchase order.",
];

const LOST_REASONS: &[&str] = &[
    "Went with a competitor",
    "No budget this year",
    "Stopped responding",
    "Timing not right",
];

const GENERIC_TASKS: &[&str] = &[
    "Prepare the monthly report",
    "Update the pricing sheet",
    "Review the ad campaign",
    "Plan the next webinar",
    "Clean up the pipeline",
    "Answer the new reviews",
    "Refresh the website banner",
    "Check the invoices",
];

/// (weight, status) of tasks.
const TASK_STATUSES: &[(u32, TaskStatus)] = &[
    (50, TaskStatus::Todo),
    (20, TaskStatus::InProgress),
    (25, TaskStatus::Done),
    (5, TaskStatus::Cancelled),
];

/// (weight, priority) of tasks.
const PRIORITIES: &[(u32, TaskPriority)] = &[
    (20, TaskPriority::Low),
    (50, TaskPriority::Normal),
    (20, TaskPriority::High),
    (10, TaskPriority::Urgent),
];

/// Contacts are created over this many seconds before the run (a year).
const CONTACT_HISTORY_SECS: i64 = 365 * DAY_SECS;
/// Tasks are created over this many seconds before the run (90 days).
const TASK_HISTORY_SECS: i64 = 90 * DAY_SECS;
const DAY_SECS: i64 = 86_400;
/// Mixed into the seed for the stream of id bits, so ids do not shift the data's choices.
const ID_STREAM: u64 = 0x5ca1_ab1e_0000_0006;

// ---------------------------------------------------------------------------------------------
// Helpers.

fn db_err(what: &'static str) -> impl FnOnce(sea_orm::DbErr) -> String {
    move |e| format!("scale seeding: {what}: {e}")
}

fn app_err(what: &'static str) -> impl FnOnce(kernel::Error) -> String {
    move |e| format!("scale seeding: {what}: {e:?}")
}

/// One of `items` (a non-empty fixed list).
fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

/// One of `items`, or `None` when there are none.
fn pick_some<T: Copy>(rng: &mut StdRng, items: &[T]) -> Option<T> {
    if items.is_empty() {
        None
    } else {
        items.get(rng.random_range(0..items.len())).copied()
    }
}

/// One of `items` by weight.
fn weighted<T: Copy>(rng: &mut StdRng, items: &[(u32, T)]) -> T {
    let total: u32 = items.iter().map(|(w, _)| w).sum();
    let mut r = rng.random_range(0..total.max(1));
    for (w, v) in items {
        if r < *w {
            return *v;
        }
        r -= w;
    }
    items[items.len() - 1].1
}

/// Whether an event of probability `p` (a constant in `[0, 1]`) happens.
fn chance(rng: &mut StdRng, p: f64) -> bool {
    rng.random_bool(p)
}

fn secs(s: i64) -> Duration {
    Duration::seconds(s)
}

/// The global id (`pip_…`) that payloads carry.
fn gid(kind: NodeKind, id: Uuid) -> String {
    GlobalId::new(kind, id).to_string()
}

/// A kanban payload: the service's payload with the pipeline added, as `kanban::service::record`
/// writes it.
fn kanban_payload(mut payload: serde_json::Value, pipeline_id: Uuid) -> serde_json::Value {
    payload["pipelineId"] = gid(NodeKind::Pipeline, pipeline_id).into();
    payload
}

/// Inserts `rows` in multi-row statements of at most [`MAX_PARAMS`] parameters.
/// Sets a sub-account's counter row (`sub_account_counters`) from its rows, for bulk loads
/// that skip the triggers keeping it.
async fn recount(db: &impl ConnectionTrait, agency: Uuid, sub: Uuid) -> Result<(), String> {
    let backend = db.get_database_backend();
    let (a, s) = match backend {
        sea_orm::DbBackend::Postgres => ("$1", "$2"),
        _ => ("?", "?"),
    };
    // Positional parameters used once each, in order, for both backends.
    let sql = migrations::m20261123_000020_sub_account_counters::recount_sql(&format!(
        "s.agency_id = {a} AND s.id = {s}"
    ));
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        backend,
        sql,
        [agency.into(), sub.into()],
    ))
    .await
    .map_err(db_err("counting a sub-account's rows"))?;
    Ok(())
}

async fn insert_all<A>(db: &impl ConnectionTrait, what: &str, rows: Vec<A>) -> Result<(), String>
where
    A: ActiveModelTrait,
{
    let columns = <<A::Entity as EntityTrait>::Column as Iterable>::iter()
        .count()
        .max(1);
    let per_statement = (MAX_PARAMS / columns).max(1);
    let mut chunk = rows;
    while !chunk.is_empty() {
        let rest = chunk.split_off(chunk.len().min(per_statement));
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(db)
            .await
            .map_err(|e| format!("scale seeding: inserting {what}: {e}"))?;
        chunk = rest;
    }
    Ok(())
}

/// Deterministic UUIDv7 ids: the millisecond of a row's creation and bits from a seeded stream.
struct Ids(StdRng);

impl Ids {
    fn at(&mut self, at: DateTime<Utc>) -> Uuid {
        let ms = u128::from(u64::try_from(at.timestamp_millis()).unwrap_or(0));
        let bits: u128 = self.0.random();
        let rand_a = (bits >> 64) & 0xfff;
        let rand_b = bits & ((1u128 << 62) - 1);
        Uuid::from_u128((ms << 80) | (0x7u128 << 76) | (rand_a << 64) | (0x2u128 << 62) | rand_b)
    }
}

/// An agency written by [`Generator::agency`].
struct AgencyRef {
    index: usize,
    id: Uuid,
    owner: Uuid,
    currency: String,
}

/// What one sub-account's transaction wrote.
#[derive(Default)]
struct Written {
    users: usize,
    contacts: usize,
    tickets: usize,
    tasks: usize,
    rows: usize,
}

/// A contact, as tickets and tasks refer to it.
struct ContactRef {
    id: Uuid,
    created_at: DateTime<Utc>,
    name: String,
    company: Option<&'static str>,
}

/// The rows of one sub-account, inserted together.
struct Batch {
    agency_id: Uuid,
    sub_account_id: Uuid,
    owner: Uuid,
    tags: Vec<tag::ActiveModel>,
    fields: Vec<custom_field::ActiveModel>,
    contacts: Vec<contact::ActiveModel>,
    contact_tags: Vec<contact_tag::ActiveModel>,
    values: Vec<contact_field_value::ActiveModel>,
    pipelines: Vec<pipeline::ActiveModel>,
    lanes: Vec<lane::ActiveModel>,
    tickets: Vec<ticket::ActiveModel>,
    lane_entries: Vec<lane_entry::ActiveModel>,
    tasks: Vec<task::ActiveModel>,
    task_history: Vec<task_change::ActiveModel>,
    events: Vec<event::ActiveModel>,
}

impl Batch {
    fn new(agency_id: Uuid, sub_account_id: Uuid, owner: Uuid) -> Self {
        Self {
            agency_id,
            sub_account_id,
            owner,
            tags: Vec::new(),
            fields: Vec::new(),
            contacts: Vec::new(),
            contact_tags: Vec::new(),
            values: Vec::new(),
            pipelines: Vec::new(),
            lanes: Vec::new(),
            tickets: Vec::new(),
            lane_entries: Vec::new(),
            tasks: Vec::new(),
            task_history: Vec::new(),
            events: Vec::new(),
        }
    }

    /// An event in the sub-account by its agency's owner, shaped as `kernel::event::record`
    /// writes it, at `at`.
    fn event(
        &mut self,
        ids: &mut Ids,
        at: DateTime<Utc>,
        event_type: &str,
        subject: (NodeKind, Uuid),
        payload: serde_json::Value,
    ) {
        let scope = Scope::SubAccount {
            agency_id: self.agency_id,
            id: self.sub_account_id,
        };
        self.events.push(event::ActiveModel {
            id: Set(ids.at(at)),
            agency_id: Set(scope.agency_id()),
            sub_account_id: Set(scope.sub_account_id()),
            scope_kind: Set(scope.kind().as_str().to_owned()),
            scope_id: Set(scope.id()),
            event_type: Set(event_type.to_owned()),
            subject_type: Set(subject.0.type_name().to_owned()),
            subject_id: Set(subject.1),
            actor_kind: Set("user".to_owned()),
            actor_id: Set(Some(self.owner)),
            payload: Set(payload),
            occurred_at: Set(at),
        });
    }

    /// Inserts every row, parents first; returns how many.
    async fn insert(self, tx: &DatabaseTransaction) -> Result<usize, String> {
        let rows = self.tags.len()
            + self.fields.len()
            + self.contacts.len()
            + self.contact_tags.len()
            + self.values.len()
            + self.pipelines.len()
            + self.lanes.len()
            + self.tickets.len()
            + self.lane_entries.len()
            + self.tasks.len()
            + self.task_history.len()
            + self.events.len();
        insert_all(tx, "tags", self.tags).await?;
        insert_all(tx, "custom fields", self.fields).await?;
        insert_all(tx, "contacts", self.contacts).await?;
        insert_all(tx, "contact tags", self.contact_tags).await?;
        insert_all(tx, "custom values", self.values).await?;
        insert_all(tx, "pipelines", self.pipelines).await?;
        insert_all(tx, "lanes", self.lanes).await?;
        insert_all(tx, "tickets", self.tickets).await?;
        insert_all(tx, "ticket lane entries", self.lane_entries).await?;
        insert_all(tx, "tasks", self.tasks).await?;
        insert_all(tx, "task history", self.task_history).await?;
        insert_all(tx, "events", self.events).await?;
        Ok(rows)
    }
}

/// The state of a run: sizes, random streams, the run's start.
struct Generator<'a> {
    opts: &'a ScaleOptions,
    password_hash: &'a str,
    rng: StdRng,
    ids: Ids,
    now: DateTime<Utc>,
    system: Actor,
}

impl Generator<'_> {
    fn person(&mut self) -> (&'static str, &'static str) {
        (
            pick(&mut self.rng, FIRST_NAMES),
            pick(&mut self.rng, LAST_NAMES),
        )
    }

    fn us_phone(&mut self, area: &str) -> String {
        format!("+1{area}555{:04}", self.rng.random_range(0..10_000))
    }

    /// A user who signs in with [`PASSWORD`], registered as `identity`'s `register` does (with
    /// its `user.registered` event), by Canopy itself.
    async fn user(
        &self,
        tx: &DatabaseTransaction,
        email: &str,
        name: &str,
    ) -> Result<Uuid, String> {
        let email = identity::service::user::normalize_email("email", email)
            .map_err(app_err("checking a user's email"))?;
        let now = Utc::now();
        let id = kernel::id::new_uuid();
        user::ActiveModel {
            id: Set(id),
            email: Set(email),
            name: Set(name.to_owned()),
            password_hash: Set(self.password_hash.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(tx)
        .await
        .map_err(db_err("creating a user"))?;
        kernel::event::record(
            tx,
            &self.system,
            NewEvent {
                event_type: "user.registered",
                scope: Scope::Platform,
                subject: (NodeKind::User, id),
                payload: json!({}),
            },
        )
        .await
        .map_err(app_err("recording a registration"))?;
        Ok(id)
    }

    /// Agency `index` and its owner, through `tenancy`'s service, in one transaction.
    async fn agency(&mut self, db: &DatabaseConnection, index: usize) -> Result<AgencyRef, String> {
        let tx = db.begin().await.map_err(db_err("starting a transaction"))?;
        kernel::db::set_tenant(&tx, TenantGuard::CrossTenant)
            .await
            .map_err(app_err("opening the tree"))?;
        let name = format!(
            "{} {} {}",
            pick(&mut self.rng, AGENCY_WORDS),
            pick(&mut self.rng, AGENCY_KINDS),
            index + 1
        );
        let (first, last) = self.person();
        let timezone = pick(&mut self.rng, TIMEZONES);
        let email = owner_email(index);
        let owner = self.user(&tx, &email, &format!("{first} {last}")).await?;
        let agency = tenancy::service::agency::create(
            &tx,
            &self.system,
            tenancy::service::agency::NewAgency {
                name,
                owner_email: email,
                subdomain: Some(format!("agency-{index:04}")),
                timezone: timezone.to_owned(),
                sub_account_price: 9_900,
                white_label_price: 4_900,
                currency: "USD".into(),
                ..Default::default()
            },
        )
        .await
        .map_err(app_err("creating an agency"))?;
        tx.commit().await.map_err(db_err("committing an agency"))?;
        Ok(AgencyRef {
            index,
            id: agency.id,
            owner,
            currency: agency.currency,
        })
    }

    /// Sub-account `index` of `agency` with its staff and data, in one transaction.
    async fn sub_account(
        &mut self,
        db: &DatabaseConnection,
        agency: &AgencyRef,
        index: usize,
    ) -> Result<Written, String> {
        let tx = db.begin().await.map_err(db_err("starting a transaction"))?;
        if tx.get_database_backend() == sea_orm::DbBackend::Postgres {
            // Foreign-key checks are prepared once per connection; planned while the tables
            // were nearly empty they scan instead of using the key, and every insert gets
            // slower as the tables grow. Plan each check for the table as it is.
            tx.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
                .await
                .map_err(db_err("setting the plan cache mode"))?;
            // The rows are consistent by construction: when the owner may, skip the per-row
            // triggers (foreign-key checks, which slow down as the tables grow, and the live
            // bus's announcements, which nobody listens to during seeding).
            let superuser = tx
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    "SELECT rolsuper AS s FROM pg_roles WHERE rolname = current_user",
                ))
                .await
                .map_err(db_err("reading the role"))?
                .and_then(|r| r.try_get::<bool>("", "s").ok())
                .unwrap_or(false);
            if superuser {
                tx.execute_unprepared("SET LOCAL session_replication_role = replica")
                    .await
                    .map_err(db_err("setting the replication role"))?;
            }
        }
        // The sub-account and its sidebar are tree rows; its data is the agency's.
        kernel::db::set_tenant(&tx, TenantGuard::CrossTenant)
            .await
            .map_err(app_err("opening the tree"))?;
        kernel::db::set_tenant(&tx, TenantGuard::Agency(agency.id))
            .await
            .map_err(app_err("entering the agency"))?;
        let business = format!(
            "{} {}",
            pick(&mut self.rng, BUSINESS_WORDS),
            pick(&mut self.rng, BUSINESS_KINDS)
        );
        let slug = format!(
            "{}-{index:04}",
            tenancy::service::validate::slugify(&business)
        );
        let (_, _, _, area) = pick(&mut self.rng, US_CITIES);
        let phone = self.us_phone(area);
        let sub = tenancy::service::sub_account::create(
            &tx,
            &self.system,
            agency.id,
            tenancy::service::sub_account::SubAccountFields {
                name: Some(business),
                email: Some(format!("office@{slug}.example.com")),
                slug: Some(slug),
                phone: Some(phone),
                ..Default::default()
            },
        )
        .await
        .map_err(app_err("creating a sub-account"))?;
        let scope = Scope::SubAccount {
            agency_id: agency.id,
            id: sub.id,
        };
        let mut staff = Vec::with_capacity(self.opts.staff);
        for j in 0..self.opts.staff {
            let (first, last) = self.person();
            let id = self
                .user(
                    &tx,
                    &staff_email(agency.index, index, j),
                    &format!("{first} {last}"),
                )
                .await?;
            tenancy::grant(&tx, &self.system, id, scope, Role::SubaccountUser)
                .await
                .map_err(app_err("granting a staff membership"))?;
            staff.push(id);
        }
        let mut b = Batch::new(agency.id, sub.id, agency.owner);
        let tags = self.tags(&mut b);
        let fields = self.fields(&mut b);
        let contacts = self.contacts(&mut b, &staff, &tags, fields);
        let tickets = self.pipelines(&mut b, &contacts, &staff, &agency.currency)?;
        let tasks = self.tasks(&mut b, &contacts, &staff)?;
        let rows = b.insert(&tx).await?;
        // With the replication role the counter triggers did not run: count what was written.
        recount(&tx, agency.id, sub.id).await?;
        tx.commit()
            .await
            .map_err(db_err("committing a sub-account"))?;
        Ok(Written {
            users: staff.len(),
            contacts: contacts.len(),
            tickets,
            tasks,
            rows,
        })
    }

    /// The time the sub-account's tags, fields and pipelines were made: before its contacts.
    fn setup_time(&self) -> DateTime<Utc> {
        self.now - secs(CONTACT_HISTORY_SECS + DAY_SECS)
    }

    /// The sub-account's tags, as `crm::service::tag::create` writes them: (id, name).
    fn tags(&mut self, b: &mut Batch) -> Vec<(Uuid, &'static str)> {
        let at = self.setup_time();
        let mut out = Vec::with_capacity(TAGS.len());
        for (name, color) in TAGS {
            let id = self.ids.at(at);
            let mut t = tag::ActiveModel {
                agency_id: Set(b.agency_id),
                id: Set(id),
                sub_account_id: Set(b.sub_account_id),
                name: Set((*name).to_owned()),
                name_key: NotSet,
                color: Set(Some((*color).to_owned())),
                created_at: Set(at),
                updated_at: Set(at),
            };
            t.fill_keys();
            b.tags.push(t);
            b.event(
                &mut self.ids,
                at,
                "tag.created",
                (NodeKind::Tag, id),
                json!({ "name": name }),
            );
            out.push((id, *name));
        }
        out
    }

    /// The sub-account's custom fields, as `crm::service::custom_field::create` writes them:
    /// the ids of the text field and of the single-select field.
    fn fields(&mut self, b: &mut Batch) -> (Uuid, Uuid) {
        let text = self.field(b, "Job title", CustomFieldKind::Text, None);
        let select = self.field(
            b,
            "Lead temperature",
            CustomFieldKind::SingleSelect,
            Some(TEMPERATURES),
        );
        (text, select)
    }

    /// One custom field (select kinds with their choices); returns its id.
    fn field(
        &mut self,
        b: &mut Batch,
        name: &str,
        kind: CustomFieldKind,
        options: Option<&[&str]>,
    ) -> Uuid {
        let at = self.setup_time() + secs(1);
        let id = self.ids.at(at);
        let mut f = custom_field::ActiveModel {
            agency_id: Set(b.agency_id),
            id: Set(id),
            sub_account_id: Set(b.sub_account_id),
            name: Set(name.to_owned()),
            name_key: NotSet,
            kind: Set(kind),
            // A JSON array of the choices, as `serde_json::Value::from(Vec<String>)` writes it.
            options: Set(options.map(|o| json!(o).to_string())),
            archived_at: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
        };
        f.fill_keys();
        b.fields.push(f);
        b.event(
            &mut self.ids,
            at,
            "custom_field.created",
            (NodeKind::CustomField, id),
            json!({ "name": name, "kind": kind }),
        );
        id
    }

    /// The sub-account's contacts, oldest first, with their tags and custom values.
    fn contacts(
        &mut self,
        b: &mut Batch,
        staff: &[Uuid],
        tags: &[(Uuid, &'static str)],
        (text_field, select_field): (Uuid, Uuid),
    ) -> Vec<ContactRef> {
        let n = self.opts.contacts;
        let mut offsets: Vec<i64> = (0..n)
            .map(|_| self.rng.random_range(0..CONTACT_HISTORY_SECS))
            .collect();
        offsets.sort_unstable();
        let mut out = Vec::with_capacity(n);
        let mut order: Vec<usize> = (0..tags.len()).collect();
        // Oldest (largest offset) first.
        for (i, offset) in offsets.into_iter().rev().enumerate() {
            let at = self.now - secs(offset);
            let id = self.ids.at(at);
            let (first, last) = self.person();
            let email = if chance(&mut self.rng, 0.9) {
                let domain = pick(&mut self.rng, EMAIL_DOMAINS);
                Some(format!(
                    "{}.{}.{}@{domain}",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    i + 1
                ))
            } else {
                None
            };
            let company = chance(&mut self.rng, 0.7).then(|| pick(&mut self.rng, COMPANIES));
            let uk = chance(&mut self.rng, 0.15);
            let (city, region, zip, area) = pick(&mut self.rng, US_CITIES);
            let phone = if !chance(&mut self.rng, 0.85) {
                None
            } else if uk {
                Some(format!("+442079460{:03}", self.rng.random_range(0..1000)))
            } else {
                Some(self.us_phone(area))
            };
            let mut m = crm_contact(b, id, at, first, last);
            m.email = Set(email);
            m.phone = Set(phone);
            m.company = Set(company.map(str::to_owned));
            m.source = Set(weighted(&mut self.rng, SOURCES));
            m.status = Set(weighted(&mut self.rng, STATUSES));
            m.dnd_email = Set(chance(&mut self.rng, 0.03));
            m.dnd_sms = Set(chance(&mut self.rng, 0.03));
            m.dnd_calls = Set(chance(&mut self.rng, 0.03));
            if chance(&mut self.rng, 0.6) {
                if uk {
                    m.city = Set(Some("London".into()));
                    m.region = Set(Some("England".into()));
                    m.country = Set(Some("GB".into()));
                } else {
                    m.city = Set(Some(city.into()));
                    m.region = Set(Some(region.into()));
                    m.country = Set(Some("US".into()));
                }
                if chance(&mut self.rng, 0.65) {
                    if uk {
                        m.address_line1 = Set(Some(format!(
                            "{} {}",
                            self.rng.random_range(1..=250),
                            pick(&mut self.rng, UK_STREETS)
                        )));
                        m.postal_code = Set(Some(pick(&mut self.rng, UK_POSTCODES).into()));
                    } else {
                        m.address_line1 = Set(Some(format!(
                            "{} {}",
                            self.rng.random_range(1..=9999),
                            pick(&mut self.rng, US_STREETS)
                        )));
                        if chance(&mut self.rng, 0.2) {
                            m.address_line2 =
                                Set(Some(format!("Suite {}", self.rng.random_range(100..=999))));
                        }
                        m.postal_code =
                            Set(Some(format!("{zip}{:02}", self.rng.random_range(0..100))));
                    }
                }
            }
            if chance(&mut self.rng, 0.6) {
                m.owner_id = Set(pick_some(&mut self.rng, staff));
            }
            b.contacts.push(m);
            b.event(
                &mut self.ids,
                at,
                "contact.created",
                (NodeKind::Contact, id),
                json!({}),
            );
            // Custom values, written with the contact (`custom_field::row`).
            for (field, value) in [
                (
                    text_field,
                    chance(&mut self.rng, 0.5).then(|| pick(&mut self.rng, JOB_TITLES)),
                ),
                (
                    select_field,
                    chance(&mut self.rng, 0.5).then(|| pick(&mut self.rng, TEMPERATURES)),
                ),
            ] {
                if let Some(v) = value {
                    b.values.push(contact_field_value::ActiveModel {
                        agency_id: Set(b.agency_id),
                        contact_id: Set(id),
                        field_id: Set(field),
                        text_value: Set(Some(v.to_owned())),
                        number_value: Set(None),
                        date_value: Set(None),
                        bool_value: Set(None),
                        updated_at: Set(at),
                    });
                }
            }
            // 0 to 3 distinct tags, put on a minute after creation (`tag::set_on_contacts`).
            let k = self.rng.random_range(0..=3usize).min(order.len());
            for j in 0..k {
                let r = self.rng.random_range(j..order.len());
                order.swap(j, r);
            }
            if k > 0 {
                let tagged_at = (at + secs(60)).min(self.now);
                let mut names = Vec::with_capacity(k);
                for &t in order.iter().take(k) {
                    if let Some((tag_id, name)) = tags.get(t) {
                        b.contact_tags.push(contact_tag::ActiveModel {
                            agency_id: Set(b.agency_id),
                            contact_id: Set(id),
                            tag_id: Set(*tag_id),
                            created_at: Set(tagged_at),
                        });
                        names.push(*name);
                    }
                }
                b.event(
                    &mut self.ids,
                    tagged_at,
                    "contact.tagged",
                    (NodeKind::Contact, id),
                    json!({ "tags": names }),
                );
            }
            out.push(ContactRef {
                id,
                created_at: at,
                name: format!("{first} {last}"),
                company,
            });
        }
        out
    }

    /// The sub-account's pipelines with their lanes and tickets; returns the number of tickets.
    fn pipelines(
        &mut self,
        b: &mut Batch,
        contacts: &[ContactRef],
        staff: &[Uuid],
        currency: &str,
    ) -> Result<usize, String> {
        // As `pipeline::create` ranks them: each after the last, the lanes from `spaced(30)`.
        let lane_ranks = kernel::rank::spaced(MAX_LANES);
        let mut last_rank: Option<String> = None;
        let mut count = 0;
        for p in 0..self.opts.pipelines {
            let at = self.setup_time() + secs(60 * (i64::try_from(p).unwrap_or(0) + 1));
            let rank = kernel::rank::between(last_rank.as_deref(), None)
                .map_err(app_err("ranking a pipeline"))?;
            last_rank = Some(rank.clone());
            let id = self.ids.at(at);
            let base = PIPELINE_NAMES[p % PIPELINE_NAMES.len()];
            let name = match p / PIPELINE_NAMES.len() {
                0 => base.to_owned(),
                round => format!("{base} {}", round + 1),
            };
            b.pipelines.push(pipeline::ActiveModel {
                agency_id: Set(b.agency_id),
                id: Set(id),
                sub_account_id: Set(b.sub_account_id),
                name: Set(name.clone()),
                currency: Set(currency.to_owned()),
                rank: Set(rank),
                archived_at: Set(None),
                created_at: Set(at),
                updated_at: Set(at),
            });
            let mut lanes = Vec::with_capacity(DEFAULT_LANES.len());
            for (lane_name, lane_rank) in DEFAULT_LANES.iter().zip(&lane_ranks) {
                let lane_id = self.ids.at(at);
                b.lanes.push(lane::ActiveModel {
                    agency_id: Set(b.agency_id),
                    id: Set(lane_id),
                    sub_account_id: Set(b.sub_account_id),
                    pipeline_id: Set(id),
                    name: Set((*lane_name).to_owned()),
                    rank: Set(lane_rank.clone()),
                    created_at: Set(at),
                    updated_at: Set(at),
                });
                lanes.push(lane_id);
            }
            b.event(
                &mut self.ids,
                at,
                "pipeline.created",
                (NodeKind::Pipeline, id),
                kanban_payload(json!({ "name": name }), id),
            );
            count += self.tickets(b, id, &lanes, contacts, staff);
        }
        Ok(count)
    }

    /// The tickets of one pipeline; returns how many.
    fn tickets(
        &mut self,
        b: &mut Batch,
        pipeline_id: Uuid,
        lanes: &[Uuid],
        contacts: &[ContactRef],
        staff: &[Uuid],
    ) -> usize {
        let Some(&first_lane) = lanes.first() else {
            return 0;
        };
        let last = lanes.len() - 1;
        let start = b.tickets.len();
        // Per lane: (created, index into `b.tickets`), to rank each lane oldest first.
        let mut by_lane: Vec<Vec<(DateTime<Utc>, usize)>> = vec![Vec::new(); lanes.len()];
        for n in 0..self.opts.tickets {
            let k = self.rng.random_range(0..lanes.len());
            let contact = if chance(&mut self.rng, 0.9) && !contacts.is_empty() {
                contacts.get(self.rng.random_range(0..contacts.len()))
            } else {
                None
            };
            let lower = contact.map_or(self.now - secs(CONTACT_HISTORY_SECS), |c| c.created_at);
            let span = (self.now - lower).num_seconds().max(0);
            let created = lower + secs(self.rng.random_range(0..=span));
            // Created in the first lane, moved one lane on at each step, closed at the last.
            let rest = (self.now - created).num_seconds().max(0);
            let steps = i64::try_from(k).unwrap_or(0) + 2;
            let step_at = |i: usize| created + secs(rest * i64::try_from(i).unwrap_or(0) / steps);
            let status = match (k == last, self.rng.random_range(0..100)) {
                (true, r) if r < 50 => "won",
                (true, r) if r < 65 => "lost",
                (false, r) if r < 10 => "lost",
                _ => "open",
            };
            let reason = (status == "lost" && chance(&mut self.rng, 0.7))
                .then(|| pick(&mut self.rng, LOST_REASONS).to_owned());
            let closed = (status != "open").then(|| step_at(k + 1));
            let product = pick(&mut self.rng, PRODUCTS);
            let title = match contact {
                Some(c) => format!("{product} for {}", c.company.unwrap_or(c.name.as_str())),
                None => product.to_owned(),
            };
            let value = chance(&mut self.rng, 0.9)
                .then(|| i64::from(self.rng.random_range(10..=2000u32)) * 2_500);
            let assignee = if chance(&mut self.rng, 0.85) {
                pick_some(&mut self.rng, staff)
            } else {
                None
            };
            let description =
                chance(&mut self.rng, 0.3).then(|| pick(&mut self.rng, TICKET_NOTES).to_owned());
            let due = (status == "open" && chance(&mut self.rng, 0.5))
                .then(|| self.now + secs(self.rng.random_range(DAY_SECS..=60 * DAY_SECS)));
            let id = self.ids.at(created);
            let lane_id = lanes.get(k).copied().unwrap_or(first_lane);
            b.tickets.push(ticket::ActiveModel {
                agency_id: Set(b.agency_id),
                id: Set(id),
                sub_account_id: Set(b.sub_account_id),
                pipeline_id: Set(pipeline_id),
                lane_id: Set(lane_id),
                title: Set(title),
                description: Set(description),
                value_minor: Set(value),
                contact_id: Set(contact.map(|c| c.id)),
                assignee_id: Set(assignee),
                due_at: Set(due),
                status: Set(status.to_owned()),
                status_reason: Set(reason.clone()),
                closed_at: Set(closed),
                // Set below, once the lane's tickets are known.
                rank: Set(String::new()),
                created_at: Set(created),
                updated_at: Set(closed.unwrap_or_else(|| step_at(k))),
            });
            if let Some(list) = by_lane.get_mut(k) {
                list.push((created, start + n));
            }
            b.event(
                &mut self.ids,
                created,
                "ticket.created",
                (NodeKind::Ticket, id),
                kanban_payload(
                    json!({ "laneId": gid(NodeKind::Lane, first_lane) }),
                    pipeline_id,
                ),
            );
            for (i, lane) in lanes.iter().enumerate().take(k + 1) {
                let entered = step_at(i);
                b.lane_entries.push(lane_entry::ActiveModel {
                    agency_id: Set(b.agency_id),
                    id: Set(self.ids.at(entered)),
                    ticket_id: Set(id),
                    pipeline_id: Set(pipeline_id),
                    lane_id: Set(*lane),
                    entered_at: Set(entered),
                });
                if let Some(from) = i.checked_sub(1).and_then(|f| lanes.get(f)) {
                    b.event(
                        &mut self.ids,
                        entered,
                        "ticket.moved",
                        (NodeKind::Ticket, id),
                        kanban_payload(
                            json!({
                                "fromLaneId": gid(NodeKind::Lane, *from),
                                "toLaneId": gid(NodeKind::Lane, *lane),
                            }),
                            pipeline_id,
                        ),
                    );
                }
            }
            if let Some(closed) = closed {
                b.event(
                    &mut self.ids,
                    closed,
                    if status == "won" {
                        "ticket.won"
                    } else {
                        "ticket.lost"
                    },
                    (NodeKind::Ticket, id),
                    kanban_payload(json!({ "reason": reason }), pipeline_id),
                );
            }
        }
        // Evenly spaced rank keys per lane, oldest ticket first (as a lane rebalance leaves
        // them): unique in the lane.
        for mut list in by_lane {
            list.sort_by_key(|(created, _)| *created);
            let ranks = kernel::rank::spaced(list.len());
            for ((_, idx), rank) in list.into_iter().zip(ranks) {
                if let Some(t) = b.tickets.get_mut(idx) {
                    t.rank = Set(rank);
                }
            }
        }
        self.opts.tickets
    }

    /// The sub-account's tasks, as `kanban::service::task::create` writes them; returns how
    /// many.
    fn tasks(
        &mut self,
        b: &mut Batch,
        contacts: &[ContactRef],
        staff: &[Uuid],
    ) -> Result<usize, String> {
        // Tasks are listed by id; every task starts with the middle rank.
        let rank = kernel::rank::between(None, None).map_err(app_err("ranking a task"))?;
        let n = self.opts.tasks;
        let mut offsets: Vec<i64> = (0..n)
            .map(|_| self.rng.random_range(0..TASK_HISTORY_SECS))
            .collect();
        offsets.sort_unstable();
        for offset in offsets.into_iter().rev() {
            let at = self.now - secs(offset);
            let id = self.ids.at(at);
            let contact = if contacts.is_empty() {
                None
            } else {
                contacts.get(self.rng.random_range(0..contacts.len()))
            };
            let title = match (self.rng.random_range(0..4), contact) {
                (0, Some(c)) => format!("Call {}", c.name),
                (1, Some(c)) => {
                    format!("Send a quote to {}", c.company.unwrap_or(c.name.as_str()))
                }
                _ => pick(&mut self.rng, GENERIC_TASKS).to_owned(),
            };
            let status = weighted(&mut self.rng, TASK_STATUSES);
            let priority = weighted(&mut self.rng, PRIORITIES);
            let assignee = if chance(&mut self.rng, 0.7) {
                pick_some(&mut self.rng, staff)
            } else {
                None
            };
            let due = chance(&mut self.rng, 0.8)
                .then(|| at + secs(self.rng.random_range(DAY_SECS..=30 * DAY_SECS)));
            // A repeating task that is done would have made its next occurrence: only open
            // ones repeat.
            let repeat = (matches!(status, TaskStatus::Todo | TaskStatus::InProgress)
                && due.is_some()
                && chance(&mut self.rng, 0.05))
            .then(|| "FREQ=WEEKLY".to_owned());
            b.tasks.push(task::ActiveModel {
                agency_id: Set(b.agency_id),
                id: Set(id),
                sub_account_id: Set(b.sub_account_id),
                group_id: Set(None),
                category_id: Set(None),
                parent_id: Set(None),
                repeat_of_id: Set(None),
                title: Set(title.clone()),
                description: Set(None),
                assignee_id: Set(assignee),
                due_at: Set(due),
                priority: Set(priority),
                status: Set(status),
                repeat_rule: Set(repeat),
                completed_at: Set((status == TaskStatus::Done).then_some(at)),
                rank: Set(rank.clone()),
                created_at: Set(at),
                updated_at: Set(at),
            });
            b.task_history.push(task_change::ActiveModel {
                agency_id: Set(b.agency_id),
                id: Set(self.ids.at(at)),
                task_id: Set(id),
                actor_kind: Set("user".to_owned()),
                actor_id: Set(Some(b.owner)),
                field: Set("created".to_owned()),
                old_value: Set(None),
                new_value: Set(Some(title.clone())),
                changed_at: Set(at),
            });
            b.event(
                &mut self.ids,
                at,
                "task.created",
                (NodeKind::Task, id),
                json!({ "title": title, "status": status }),
            );
        }
        Ok(n)
    }
}

/// A contact as `crm::service::contact::new_model` and `check` make it for a name (with the
/// lowercased `*_key` copies that prefix search and name sorting read).
fn crm_contact(
    b: &Batch,
    id: Uuid,
    at: DateTime<Utc>,
    first: &str,
    last: &str,
) -> contact::ActiveModel {
    let mut m = crm::service::contact::new_model(b.agency_id, b.sub_account_id, at);
    m.id = Set(id);
    m.first_name = Set(first.trim().to_owned());
    m.last_name = Set(last.trim().to_owned());
    m.fill_keys();
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_stable() {
        assert_eq!(owner_email(0), "owner@agency-0000.scale.test");
        assert_eq!(
            staff_email(3, 12, 1),
            "staff-1@sub-0012.agency-0003.scale.test"
        );
    }

    #[test]
    fn ids_are_v7_and_follow_time() {
        let mut ids = Ids(StdRng::seed_from_u64(1));
        let t = Utc::now();
        let a = ids.at(t - secs(10));
        let b = ids.at(t);
        assert_eq!(a.get_version_num(), 7);
        assert!(a < b);
        assert!(kernel::id::uuid_floor(t) <= b);
    }

    #[test]
    fn weighted_picks_only_listed_values() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..100 {
            let v = weighted(&mut rng, SOURCES);
            assert!(SOURCES.iter().any(|(_, s)| *s == v));
        }
        // The lists hold the columns' enums: only stored values can be picked.
    }
}
