//! An agency's staff at work: their worklist (the agency's active placements, with the
//! flags they must obey and the debtor's local time), an account with its timeline, and
//! the forms that record a call, a promise or a payment, which show at once what the
//! contact rules made of it.

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{NaiveDateTime, Utc};
use chrono_tz::Tz;
use graphql_client::GraphQLQuery;
use maud::{Markup, html};
use serde::Deserialize;

use crate::console::api::scalars::*;
use crate::console::components::{Cell, Table, Tone, badge, field, table_tools, wants_csv};
use crate::console::format::zone;
use crate::console::layout;
use crate::console::sections::Section;
use crate::console::viewer::Signed;
use crate::console::views::timeline;
use crate::http::AppState;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/my-placements.graphql",
    response_derives = "Debug"
)]
pub struct MyPlacements;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/account.graphql",
    response_derives = "Debug"
)]
pub struct Account;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/report-activities.graphql",
    response_derives = "Debug"
)]
pub struct ReportActivities;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/report-payments.graphql",
    response_derives = "Debug"
)]
pub struct ReportPayments;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(Section::Work.path(), get(worklist))
        .route("/work/accounts/{id}", get(account))
        .route("/work/accounts/{id}/activity", post(report_activity))
        .route("/work/accounts/{id}/payment", post(report_payment))
}

#[derive(Deserialize)]
struct ListQuery {
    after: Option<String>,
    format: Option<String>,
}

/// The words for an account flag, by its GraphQL name (each document's generated enum
/// is its own type; their `Debug` is the name).
pub fn flag_key(flag: &impl std::fmt::Debug) -> &'static str {
    match format!("{flag:?}").as_str() {
        "DISPUTED" => "flag-disputed",
        "CEASE_CONTACT" => "flag-cease-contact",
        "BANKRUPTCY" => "flag-bankruptcy",
        "DECEASED" => "flag-deceased",
        "VULNERABLE" => "flag-vulnerable",
        _ => "flag-unknown",
    }
}

async fn worklist(signed: Signed, Query(query): Query<ListQuery>) -> Response {
    if !signed.may(Section::Work) {
        return layout::not_for_role(&signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let variables = my_placements::Variables {
        since: None,
        first: Some(50),
        after: query.after,
    };
    let data = match signed.api.run::<MyPlacements>(variables).await {
        Ok(data) => data.my_placements,
        Err(errors) => return layout::api_error(&signed, &errors),
    };
    let now = signed.api.now;
    let mut table = Table::new("worklist")
        .column(tr.t("account-reference"))
        .column(tr.t("debtor-name"))
        .column(tr.t("debtor-region"))
        .column(tr.t("debtor-local-time"))
        .column(tr.t("account-flags"))
        .numeric_column(tr.t("account-outstanding"))
        .column(tr.t("placement-due-back"));
    for placement in data.edges.iter().map(|e| &e.node) {
        let Some(account) = &placement.account else {
            continue;
        };
        let tz = zone(&account.debtor.time_zone);
        let flags: Vec<String> = account.flags.iter().map(|f| tr.t(flag_key(f))).collect();
        table.row(vec![
            Cell::link(
                &account.lender_reference,
                format!("/work/accounts/{}", account.id),
            ),
            Cell::text(&account.debtor.name),
            Cell::text(&account.debtor.region),
            Cell::text(format.time_in(now, tz)),
            if flags.is_empty() {
                Cell::text("")
            } else {
                Cell::badge(flags.join(", "), Tone::Bad)
            },
            Cell::number(format.money(account.outstanding.amount, &account.outstanding.currency)),
            Cell::text(format.date(placement.due_back_on)),
        ]);
    }
    if wants_csv(query.format.as_deref()) {
        return table.csv();
    }
    let agency = signed.agency.as_ref().map_or("", |(_, code)| code.as_str());
    layout::page(
        &signed,
        &tr.t("work-title"),
        html! {
            (work_tabs(&signed))
            p.muted { (tr.args("work-intro", &[("agency", crate::i18n::arg(agency))])) }
            (table_tools(tr, &signed.path, data.page_info.has_next_page, data.page_info.end_cursor.as_deref()))
            (table.html(html! { (tr.t("work-empty")) }))
        },
    )
}

/// The agency staff's pages, as tabs above each.
pub fn work_tabs(signed: &Signed) -> Markup {
    let tr = &signed.tr;
    let path = signed.path.split('?').next().unwrap_or("");
    let tabs = [
        ("/work", "work-tab-worklist"),
        ("/work/incidents", "work-tab-incidents"),
        ("/work/scorecard", "work-tab-scorecard"),
        ("/work/papers", "work-tab-papers"),
        ("/work/statements", "work-tab-statements"),
    ];
    html! {
        nav.tabs aria-label=(tr.t("work-tabs")) {
            @for (href, key) in tabs {
                a href=(href) aria-current=[(path == href).then_some("page")] { (tr.t(key)) } " "
            }
        }
    }
}

/// What the page says about the item just reported.
struct Reported {
    accepted: bool,
    message: String,
    /// The contact rules it broke, in the API's words.
    breaches: Vec<String>,
}

async fn account(signed: Signed, Path(id): Path<String>) -> Response {
    account_page(&signed, id, None, None).await
}

async fn account_page(
    signed: &Signed,
    id: String,
    reported: Option<Reported>,
    errors: Option<crate::console::api::ApiErrors>,
) -> Response {
    if !signed.may(Section::Work) {
        return layout::not_for_role(signed);
    }
    let tr = &signed.tr;
    let format = signed.format();
    let account = match signed
        .api
        .run::<Account>(account::Variables { id: id.clone() })
        .await
    {
        Ok(data) => data.account,
        Err(errors) => return layout::api_error(signed, &errors),
    };
    let events = match timeline::of_account(signed, &id, &account.debtor.time_zone).await {
        Ok(events) => events,
        Err(errors) => return layout::api_error(signed, &errors),
    };
    let now = signed.api.now;
    let tz = zone(&account.debtor.time_zone);
    let currency = account.outstanding.currency.clone();
    let status = match &reported {
        Some(r) if !r.accepted => StatusCode::BAD_REQUEST,
        _ if errors.is_some() => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let title = tr.args(
        "work-account-title",
        &[(
            "reference",
            crate::i18n::arg(account.lender_reference.as_str()),
        )],
    );
    let body = html! {
        p { a href=(Section::Work.path()) { (tr.t("work-back")) } }
        @if let Some(reported) = &reported {
            @if reported.accepted && reported.breaches.is_empty() {
                p.notice role="status" { (reported.message) }
            } @else {
                div.alert.breach role="alert" {
                    p { strong { (reported.message) } }
                    @for breach in &reported.breaches { p { (breach) } }
                }
            }
        }
        @if let Some(errors) = &errors {
            @for error in &errors.0 { p.alert role="alert" { (error.message) } }
        }
        dl.facts {
            dt { (tr.t("debtor-name")) } dd { (account.debtor.name) }
            dt { (tr.t("debtor-local-time")) } dd.clock { (format.time_in(now, tz)) " (" (tz.name()) ")" }
            dt { (tr.t("debtor-phones")) } dd { (account.debtor.phones.join(", ")) }
            dt { (tr.t("account-outstanding")) } dd { (format.money(account.outstanding.amount, &currency)) }
            dt { (tr.t("account-days-past-due")) } dd { (format.count(account.days_past_due)) }
            dt { (tr.t("account-flags")) } dd {
                @if account.flags.is_empty() { (tr.t("flags-none")) }
                @for flag in &account.flags { (badge(&tr.t(flag_key(flag)), Tone::Bad)) " " }
            }
        }
        @if account.flags.iter().any(|f| matches!(f, account::AccountFlag::CEASE_CONTACT | account::AccountFlag::DISPUTED)) {
            p.alert role="note" { (tr.t("work-flags-obey")) }
        }
        div.panels {
            section aria-labelledby="record-call" {
                h2 id="record-call" { (tr.t("work-record-contact")) }
                (contact_form(signed, &id, &account.debtor.phones, &currency, tz))
            }
            section aria-labelledby="record-payment" {
                h2 id="record-payment" { (tr.t("work-record-payment")) }
                (payment_form(signed, &id, &currency))
            }
        }
        h2 { (tr.t("timeline-title")) }
        (events)
    };
    layout::page_with_status(signed, status, &title, body)
}

/// The instant a form's `datetime-local` field names, read in `tz`.
fn local_instant(value: &str, tz: Tz) -> Option<DateTime> {
    let local = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M").ok()?;
    local
        .and_local_timezone(tz)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
}

fn contact_form(signed: &Signed, id: &str, phones: &[String], currency: &str, tz: Tz) -> Markup {
    let tr = &signed.tr;
    let now = signed.api.now;
    let local_now = now.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string();
    html! {
        form.stack method="post" action=(format!("/work/accounts/{id}/activity")) {
            input type="hidden" name="externalId" value=(uuid::Uuid::new_v4().to_string());
            (field(&tr.t("contact-kind"), "type", html! {
                select name="type" {
                    option value="CALL" { (tr.t("contact-kind-call")) }
                    option value="PROMISE" { (tr.t("contact-kind-promise")) }
                }
            }, None))
            (field(&tr.args("contact-occurred-at", &[("zone", crate::i18n::arg(tz.name()))]), "occurredAt", html! {
                input type="datetime-local" name="occurredAt" required value=(local_now);
            }, None))
            (field(&tr.t("contact-point"), "contactPoint", html! {
                input type="tel" name="contactPoint" required value=(phones.first().map_or("", String::as_str)) maxlength="64";
            }, None))
            (field(&tr.t("contact-result"), "result", html! {
                select name="result" {
                    @for (value, key) in RESULTS { option value=(value) { (tr.t(key)) } }
                }
            }, None))
            fieldset {
                legend { (tr.t("promise-legend")) }
                (field(&tr.args("promise-amount", &[("currency", crate::i18n::arg(currency))]), "promiseAmount", html! {
                    input type="text" name="promiseAmount" inputmode="decimal" maxlength="20";
                }, None))
                (field(&tr.t("promise-due-on"), "promiseDueOn", html! {
                    input type="date" name="promiseDueOn";
                }, None))
            }
            input type="hidden" name="currency" value=(currency);
            div { button type="submit" { (tr.t("contact-record")) } }
        }
    }
}

const RESULTS: [(&str, &str); 6] = [
    ("RIGHT_PARTY_CONTACT", "result-right-party"),
    ("NO_ANSWER", "result-no-answer"),
    ("LEFT_MESSAGE", "result-left-message"),
    ("THIRD_PARTY", "result-third-party"),
    ("WRONG_NUMBER", "result-wrong-number"),
    ("REFUSED", "result-refused"),
];

fn payment_form(signed: &Signed, id: &str, currency: &str) -> Markup {
    let tr = &signed.tr;
    let today = signed.today();
    html! {
        form.stack method="post" action=(format!("/work/accounts/{id}/payment")) {
            input type="hidden" name="externalId" value=(uuid::Uuid::new_v4().to_string());
            input type="hidden" name="currency" value=(currency);
            (field(&tr.args("payment-amount", &[("currency", crate::i18n::arg(currency))]), "amount", html! {
                input type="text" name="amount" required inputmode="decimal" maxlength="20";
            }, None))
            (field(&tr.t("payment-paid-on"), "paidOn", html! {
                input type="date" name="paidOn" required value=(today.to_string());
            }, None))
            (field(&tr.t("payment-paid-to"), "paidTo", html! {
                select name="paidTo" {
                    option value="AGENCY" { (tr.t("paid-to-agency")) }
                    option value="LENDER_DIRECT" { (tr.t("paid-to-lender")) }
                }
            }, None))
            (field(&tr.t("payment-reference"), "agencyReference", html! {
                input type="text" name="agencyReference" maxlength="100";
            }, None))
            div { button type="submit" { (tr.t("payment-record")) } }
        }
    }
}

#[derive(Deserialize)]
struct ContactForm {
    #[serde(rename = "externalId")]
    external_id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(rename = "occurredAt")]
    occurred_at: String,
    #[serde(rename = "contactPoint")]
    contact_point: String,
    result: String,
    #[serde(rename = "promiseAmount", default)]
    promise_amount: String,
    #[serde(rename = "promiseDueOn", default)]
    promise_due_on: String,
    currency: String,
}

/// A form's value the API would refuse before it is sent: the reason, in words.
fn refused(signed: &Signed, key: &str) -> Reported {
    Reported {
        accepted: false,
        message: signed.tr.t(key),
        breaches: Vec::new(),
    }
}

async fn report_activity(
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<ContactForm>,
) -> Response {
    use report_activities::{
        ActivityInput, ActivityType, ContactChannel, ContactResult, PromiseInput,
    };
    if !signed.may(Section::Work) {
        return layout::not_for_role(&signed);
    }
    let account = match signed
        .api
        .run::<Account>(account::Variables { id: id.clone() })
        .await
    {
        Ok(data) => data.account,
        Err(errors) => return layout::api_error(&signed, &errors),
    };
    let tz = zone(&account.debtor.time_zone);
    let Some(occurred_at) = local_instant(&form.occurred_at, tz) else {
        return account_page(
            &signed,
            id,
            Some(refused(&signed, "contact-bad-time")),
            None,
        )
        .await;
    };
    let promise = form.kind == "PROMISE";
    let promise_input = if promise {
        let (Ok(amount), Ok(due_on)) = (
            form.promise_amount.trim().parse::<rust_decimal::Decimal>(),
            NaiveDate::parse_from_str(&form.promise_due_on, "%Y-%m-%d"),
        ) else {
            return account_page(
                &signed,
                id,
                Some(refused(&signed, "promise-incomplete")),
                None,
            )
            .await;
        };
        Some(PromiseInput {
            amount,
            currency: form.currency.clone(),
            due_on,
        })
    } else {
        None
    };
    let result = match form.result.as_str() {
        "RIGHT_PARTY_CONTACT" => ContactResult::RIGHT_PARTY_CONTACT,
        "NO_ANSWER" => ContactResult::NO_ANSWER,
        "LEFT_MESSAGE" => ContactResult::LEFT_MESSAGE,
        "THIRD_PARTY" => ContactResult::THIRD_PARTY,
        "WRONG_NUMBER" => ContactResult::WRONG_NUMBER,
        "REFUSED" => ContactResult::REFUSED,
        _ => {
            return account_page(
                &signed,
                id,
                Some(refused(&signed, "contact-bad-result")),
                None,
            )
            .await;
        }
    };
    let mut items = vec![ActivityInput {
        external_id: form.external_id.clone(),
        account_id: id.clone(),
        type_: ActivityType::CONTACT_ATTEMPT,
        occurred_at,
        channel: Some(ContactChannel::CALL),
        direction: None,
        result: Some(result),
        contact_point: Some(form.contact_point.clone()),
        agent_reference: Some(signed.email.clone()),
        promise: None,
        note: None,
    }];
    if let Some(promise) = promise_input {
        items.push(ActivityInput {
            external_id: format!("{}-promise", form.external_id),
            account_id: id.clone(),
            type_: ActivityType::PROMISE_TO_PAY,
            occurred_at,
            channel: None,
            direction: None,
            result: None,
            contact_point: None,
            agent_reference: Some(signed.email.clone()),
            promise: Some(promise),
            note: None,
        });
    }
    let report = match signed
        .api
        .run::<ReportActivities>(report_activities::Variables { activities: items })
        .await
    {
        Ok(data) => data.report_activities,
        Err(errors) => return account_page(&signed, id, None, Some(errors)).await,
    };
    let tr = &signed.tr;
    let rejected = report
        .items
        .iter()
        .find(|i| matches!(i.status, report_activities::ReportItemStatus::REJECTED));
    let breaches: Vec<String> = report
        .items
        .iter()
        .flat_map(|i| i.incidents.iter())
        .map(|incident| format!("{} · {}", incident.rule, incident.summary))
        .collect();
    let reported = match rejected {
        Some(item) => Reported {
            accepted: false,
            message: tr.args(
                "report-rejected",
                &[("reason", crate::i18n::arg(item.message.as_str()))],
            ),
            breaches,
        },
        None if !breaches.is_empty() => Reported {
            accepted: true,
            message: tr.t("report-breach"),
            breaches,
        },
        None => Reported {
            accepted: true,
            message: tr.t("report-recorded"),
            breaches,
        },
    };
    account_page(&signed, id, Some(reported), None).await
}

#[derive(Deserialize)]
struct PaymentForm {
    #[serde(rename = "externalId")]
    external_id: String,
    amount: String,
    currency: String,
    #[serde(rename = "paidOn")]
    paid_on: String,
    #[serde(rename = "paidTo")]
    paid_to: String,
    #[serde(rename = "agencyReference", default)]
    agency_reference: String,
}

async fn report_payment(
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<PaymentForm>,
) -> Response {
    use report_payments::{PaidTo, PaymentInput, PaymentMethod};
    if !signed.may(Section::Work) {
        return layout::not_for_role(&signed);
    }
    let (Ok(amount), Ok(paid_on)) = (
        form.amount.trim().parse::<rust_decimal::Decimal>(),
        NaiveDate::parse_from_str(&form.paid_on, "%Y-%m-%d"),
    ) else {
        return account_page(
            &signed,
            id,
            Some(refused(&signed, "payment-incomplete")),
            None,
        )
        .await;
    };
    // A payment of a day is taken at noon in the viewer's zone: never in the future for
    // today, never before the day it was paid.
    let paid_at = local_instant(&format!("{paid_on}T12:00"), signed.tz)
        .map_or(signed.api.now, |at| at.min(signed.api.now));
    let payment = PaymentInput {
        external_id: form.external_id,
        account_id: id.clone(),
        amount,
        currency: form.currency,
        paid_at,
        method: PaymentMethod::BANK_TRANSFER,
        paid_to: if form.paid_to == "LENDER_DIRECT" {
            PaidTo::LENDER_DIRECT
        } else {
            PaidTo::AGENCY
        },
        agency_reference: Some(form.agency_reference).filter(|r| !r.trim().is_empty()),
    };
    let report = match signed
        .api
        .run::<ReportPayments>(report_payments::Variables {
            payments: vec![payment],
        })
        .await
    {
        Ok(data) => data.report_payments,
        Err(errors) => return account_page(&signed, id, None, Some(errors)).await,
    };
    let tr = &signed.tr;
    let format = signed.format();
    let reported = match report.items.first() {
        Some(item) if matches!(item.status, report_payments::ReportItemStatus::REJECTED) => {
            Reported {
                accepted: false,
                message: tr.args(
                    "report-rejected",
                    &[("reason", crate::i18n::arg(item.message.as_str()))],
                ),
                breaches: Vec::new(),
            }
        }
        Some(item) => Reported {
            accepted: true,
            message: item.payment.as_ref().map_or_else(
                || tr.t("report-recorded"),
                |p| {
                    tr.args(
                        "payment-recorded",
                        &[(
                            "balance",
                            crate::i18n::arg(
                                format.money(p.balance_after.amount, &p.balance_after.currency),
                            ),
                        )],
                    )
                },
            ),
            breaches: Vec::new(),
        },
        None => refused(&signed, "payment-incomplete"),
    };
    account_page(&signed, id, Some(reported), None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_time_is_read_in_the_debtors_zone() {
        let at = local_instant("2026-12-03T21:05", chrono_tz::America::New_York).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-04T02:05:00+00:00");
        assert_eq!(local_instant("yesterday", Tz::UTC), None);
    }

    #[test]
    fn a_time_skipped_by_daylight_saving_is_not_an_instant() {
        // 02:30 on 2026-03-08 does not exist in New York.
        assert_eq!(
            local_instant("2026-03-08T02:30", chrono_tz::America::New_York),
            None
        );
    }
}
