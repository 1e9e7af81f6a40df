//! An account's timeline as lender and agency staff read it: every placement, contact,
//! payment and incident, in the viewer's time and the debtor's, each contact with the
//! contact rules it broke (or that it broke none).

use graphql_client::GraphQLQuery;
use maud::{Markup, html};

use crate::console::api::ApiErrors;
use crate::console::api::scalars::*;
use crate::console::components::{Cell, Table, Tone, badge};
use crate::console::format::zone;
use crate::console::viewer::Signed;
use crate::i18n::arg;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/account-timeline.graphql",
    response_derives = "Debug"
)]
pub struct AccountTimeline;

use account_timeline::AccountTimelineAccountTimelineEdgesNodeEvent as Event;

/// The first 200 entries of the account's timeline as a table (an AGENCY sees only its
/// own entries: the API decides).
pub async fn of_account(
    signed: &Signed,
    account_id: &str,
    debtor_zone: &str,
) -> Result<Markup, ApiErrors> {
    let tr = &signed.tr;
    let format = signed.format();
    let tz = zone(debtor_zone);
    let entries = signed
        .api
        .run::<AccountTimeline>(account_timeline::Variables {
            account_id: account_id.to_owned(),
            first: Some(200),
            after: None,
        })
        .await?
        .account_timeline
        .edges;
    let events: Vec<_> = entries.iter().map(|e| &e.node).collect();
    // The incidents each contact raised, by the contact's id.
    let broke = |activity: &str| -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match &e.event {
                Event::ComplianceIncident(i) if i.activity_id.as_deref() == Some(activity) => {
                    Some(format!("{} · {}", i.rule, i.summary))
                }
                _ => None,
            })
            .collect()
    };
    let mut table = Table::new(format!("account-{account_id}-timeline"))
        .column(tr.t("timeline-at"))
        .column(tr.t("timeline-debtor-time"))
        .column(tr.t("timeline-what"))
        .column(tr.t("timeline-checks"));
    for entry in &events {
        let (what, checks) = match &entry.event {
            Event::Placement(p) => (
                Cell::text(tr.args(
                    "timeline-placement",
                    &[
                        ("agency", arg(p.agency.code.as_str())),
                        ("status", arg(format!("{:?}", p.status))),
                    ],
                )),
                Cell::text(""),
            ),
            Event::Activity(a) => {
                let broken = broke(&a.id);
                let what = [
                    Some(format!("{:?}", a.type_)),
                    a.channel.as_ref().map(|c| format!("{c:?}")),
                    a.result.as_ref().map(|r| format!("{r:?}")),
                    a.contact_point.clone(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ");
                let checks = if broken.is_empty() {
                    Cell::badge(tr.t("timeline-no-rule-broken"), Tone::Good)
                } else {
                    Cell::badge(broken.join("; "), Tone::Bad)
                };
                (Cell::text(what), checks)
            }
            Event::Payment(p) => (
                Cell::text(tr.args(
                    "timeline-payment",
                    &[(
                        "amount",
                        arg(format.money(p.amount.amount, &p.amount.currency)),
                    )],
                )),
                Cell::text(""),
            ),
            Event::ComplianceIncident(i) => (
                Cell::text(tr.args(
                    "timeline-incident",
                    &[
                        ("rule", arg(i.rule.as_str())),
                        ("severity", arg(format!("{:?}", i.severity))),
                    ],
                )),
                Cell::badge(format!("{:?}", i.incident_status), Tone::Warn),
            ),
        };
        table.row(vec![
            Cell::text(format.datetime(entry.at)),
            Cell::text(format.time_in(entry.at, tz)),
            what,
            checks,
        ]);
    }
    Ok(html! {
        (table.html(html! { (tr.t("timeline-empty")) }))
        @if entries.len() == 200 { p.muted { (badge(&tr.t("timeline-first-200"), Tone::Plain)) } }
    })
}
