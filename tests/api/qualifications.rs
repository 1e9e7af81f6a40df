//! Qualifications: filed by an agency (or a vendor manager), reviewed by someone else,
//! revoked with a reason; the catalogue of types and the requirements.

use chrono::Duration;
use entity::api_token::Role;
use serde_json::{Value, json};

use crate::fixtures::{self, today};
use crate::helpers::{Answer, TestApp, spawn_app, token};

pub(crate) const QUALIFICATION: &str = "id qualificationType region identifier issuer issuedOn expiresOn \
    document { url sha256 } status reviewedBy reviewNote reviewedAt submittedBy \
    revocationReason agency { code }";

const CATALOGUE: [&str; 8] = [
    "COLLECTION_LICENSE",
    "DATA_PROTECTION_CERT",
    "INFORMATION_SECURITY_CERT",
    "PCI_DSS",
    "PROFESSIONAL_INDEMNITY_INSURANCE",
    "LEGAL_PRACTICE_LICENSE",
    "STAFF_BACKGROUND_CHECKS",
    "ANNUAL_AUDIT",
];

const REQUIREMENTS: &str = "{ qualificationRequirements { id qualificationType kindOfWork region regionScoped maxAgeMonths active } }";
const SET_REQUIREMENT: &str = "mutation($input: QualificationRequirementInput!) { setQualificationRequirement(input: $input) { id qualificationType kindOfWork region regionScoped maxAgeMonths active } }";
const DEFINE_TYPE: &str = "mutation($input: QualificationTypeInput!) { defineQualificationType(input: $input) { code name description regionScoped } }";

/// A valid `SubmitQualificationInput` for a data protection certificate.
pub(crate) fn submission(agency_id: Option<i64>) -> Value {
    json!({
        "agencyId": agency_id.map(|id| id.to_string()),
        "qualificationType": "DATA_PROTECTION_CERT",
        "identifier": "ISO27701-0042",
        "issuer": "BSI",
        "issuedOn": (today() - Duration::days(100)).to_string(),
        "expiresOn": (today() + Duration::days(365)).to_string(),
        "documentUrl": "https://docs.agency.example/iso27701.pdf",
        "documentSha256": "AB".repeat(32),
    })
}

fn with(mut input: Value, field: &str, value: Value) -> Value {
    input[field] = value;
    input
}

async fn submit(app: &TestApp, token: &str, input: Value) -> Answer {
    app.gql(
        Some(token),
        &format!(
            "mutation($input: SubmitQualificationInput!) {{ submitQualification(input: $input) {{ {QUALIFICATION} }} }}"
        ),
        json!({ "input": input }),
    )
    .await
}

/// Submits and returns the new qualification's id.
pub(crate) async fn submitted(app: &TestApp, token: &str, input: Value) -> String {
    submit(app, token, input).await.data()["submitQualification"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn review(
    app: &TestApp,
    token: &str,
    id: &str,
    decision: &str,
    note: Option<&str>,
) -> Answer {
    app.gql(
        Some(token),
        &format!(
            "mutation($id: ID!, $decision: ReviewDecision!, $note: String) {{ reviewQualification(id: $id, decision: $decision, note: $note) {{ {QUALIFICATION} }} }}"
        ),
        json!({ "id": id, "decision": decision, "note": note }),
    )
    .await
}

async fn revoke(app: &TestApp, token: &str, id: &str, reason: &str) -> Answer {
    app.gql(
        Some(token),
        &format!(
            "mutation($id: ID!, $reason: String!) {{ revokeQualification(id: $id, reason: $reason) {{ {QUALIFICATION} }} }}"
        ),
        json!({ "id": id, "reason": reason }),
    )
    .await
}

/// How the audit log (and `submittedBy`, `reviewedBy`) names the holder of `token`.
async fn actor_name(app: &TestApp, token: &str) -> String {
    let me = app
        .gql(Some(token), "{ me { user { id } } }", json!({}))
        .await;
    format!("user:{}", me.data()["me"]["user"]["id"].as_str().unwrap())
}

fn field(answer: &Answer) -> Option<&str> {
    answer.body["errors"][0]["extensions"]["field"].as_str()
}

async fn expiring_ids(app: &TestApp, token: &str) -> Vec<String> {
    let answer = app
        .gql(
            Some(token),
            "{ expiringQualifications(withinDays: 30) { edges { node { id agency { code } } } } }",
            json!({}),
        )
        .await;
    answer.data()["expiringQualifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_agency_files_a_qualification_for_itself_and_it_awaits_review() {
    let app = spawn_app().await;
    let agency = fixtures::agency(&app.db, "ALPHA").await;
    let alpha = token(&app.db, Role::Agency, Some(agency.id)).await;

    let filed = submit(&app, &alpha, submission(None)).await;
    let q = &filed.data()["submitQualification"];
    assert_eq!(q["status"], "PENDING_REVIEW");
    assert_eq!(q["submittedBy"], actor_name(&app, &alpha).await);
    assert_eq!(q["agency"]["code"], "ALPHA");
    assert_eq!(q["qualificationType"], "DATA_PROTECTION_CERT");
    assert_eq!(q["region"], Value::Null);
    assert_eq!(
        q["document"],
        json!({ "url": "https://docs.agency.example/iso27701.pdf", "sha256": "ab".repeat(32) })
    );
    assert_eq!(q["reviewedBy"], Value::Null);
    assert_eq!(q["reviewedAt"], Value::Null);

    let licence = submit(
        &app,
        &alpha,
        json!({
            "qualificationType": "COLLECTION_LICENSE",
            "region": "US-TX",
            "identifier": "TX-CSB-1234",
            "issuer": "Texas Secretary of State",
            "issuedOn": (today() - Duration::days(10)).to_string(),
            "documentUrl": "https://docs.agency.example/tx.pdf",
            "documentSha256": "cd".repeat(32),
        }),
    )
    .await;
    let licence = &licence.data()["submitQualification"];
    assert_eq!(licence["region"], "US-TX");
    assert_eq!(licence["expiresOn"], Value::Null);
    assert_eq!(licence["status"], "PENDING_REVIEW");

    let own = app
        .gql(
            Some(&alpha),
            "query($id: ID!) { agency(id: $id) { qualifications { qualificationType status } } }",
            json!({ "id": agency.id.to_string() }),
        )
        .await;
    assert_eq!(
        own.data()["agency"]["qualifications"],
        json!([
            { "qualificationType": "DATA_PROTECTION_CERT", "status": "PENDING_REVIEW" },
            { "qualificationType": "COLLECTION_LICENSE", "status": "PENDING_REVIEW" },
        ])
    );
}

#[tokio::test]
async fn an_agency_files_and_reads_only_its_own_qualifications() {
    let app = spawn_app().await;
    let a = fixtures::agency(&app.db, "ALPHA").await;
    let b = fixtures::agency(&app.db, "BRAVO").await;
    let alpha = token(&app.db, Role::Agency, Some(a.id)).await;
    let bravo = token(&app.db, Role::Agency, Some(b.id)).await;

    let for_other = submit(&app, &alpha, submission(Some(b.id))).await;
    assert_eq!(for_other.code(), Some("FORBIDDEN"));

    let soon = (today() + Duration::days(10)).to_string();
    let a_id = submitted(
        &app,
        &alpha,
        with(submission(None), "expiresOn", json!(soon)),
    )
    .await;
    let b_id = submitted(
        &app,
        &bravo,
        with(submission(None), "expiresOn", json!(soon)),
    )
    .await;
    for id in [&a_id, &b_id] {
        review(&app, &app.admin_token, id, "VERIFY", None)
            .await
            .data();
    }

    let b_profile = app
        .gql(
            Some(&alpha),
            "query($id: ID!) { agency(id: $id) { qualifications { id } } }",
            json!({ "id": b.id.to_string() }),
        )
        .await;
    assert_eq!(b_profile.code(), Some("FORBIDDEN"));
    assert!(!b_profile.body.to_string().contains("ISO27701"));

    assert_eq!(expiring_ids(&app, &alpha).await, vec![a_id.clone()]);
    assert_eq!(expiring_ids(&app, &bravo).await, vec![b_id.clone()]);
    let mut everything = expiring_ids(&app, &app.admin_token).await;
    everything.sort();
    let mut both = vec![a_id, b_id];
    both.sort();
    assert_eq!(everything, both);

    let b_quals = app
        .admin(
            "query($id: ID!) { agency(id: $id) { qualifications { submittedBy } } }",
            json!({ "id": b.id.to_string() }),
        )
        .await;
    assert_eq!(
        b_quals.data()["agency"]["qualifications"],
        json!([{ "submittedBy": actor_name(&app, &bravo).await }]),
        "alpha's refused filing left nothing on bravo's record"
    );
}

#[tokio::test]
async fn bad_submissions_name_the_field() {
    let app = spawn_app().await;
    let agency = fixtures::agency(&app.db, "ALPHA").await;
    let alpha = token(&app.db, Role::Agency, Some(agency.id)).await;
    let base = submission(None);
    let cases = [
        (
            with(base.clone(), "qualificationType", json!("FISHING_LICENSE")),
            "qualificationType",
        ),
        (
            with(
                base.clone(),
                "qualificationType",
                json!("COLLECTION_LICENSE"),
            ),
            "region",
        ),
        (with(base.clone(), "region", json!("US-TX")), "region"),
        (
            with(
                with(
                    base.clone(),
                    "issuedOn",
                    json!((today() + Duration::days(20)).to_string()),
                ),
                "expiresOn",
                json!((today() + Duration::days(10)).to_string()),
            ),
            "expiresOn",
        ),
        (
            with(
                base.clone(),
                "expiresOn",
                json!((today() - Duration::days(1)).to_string()),
            ),
            "expiresOn",
        ),
        (
            with(base.clone(), "documentSha256", json!("abc123")),
            "documentSha256",
        ),
        (
            with(base.clone(), "documentSha256", json!("zz".repeat(32))),
            "documentSha256",
        ),
        (
            with(
                base.clone(),
                "documentUrl",
                json!("http://docs.agency.example/x.pdf"),
            ),
            "documentUrl",
        ),
        (with(base.clone(), "identifier", json!("  ")), "identifier"),
    ];
    for (input, expected) in cases {
        let answer = submit(&app, &alpha, input.clone()).await;
        assert_eq!(answer.code(), Some("BAD_USER_INPUT"), "{input}");
        assert_eq!(field(&answer), Some(expected), "{input}");
    }

    let unnamed = submit(&app, &app.admin_token, submission(None)).await;
    assert_eq!(unnamed.code(), Some("BAD_USER_INPUT"));
    assert_eq!(field(&unnamed), Some("agencyId"));

    let none = app
        .admin(
            "query($id: ID!) { agency(id: $id) { qualifications { id } } }",
            json!({ "id": agency.id.to_string() }),
        )
        .await;
    assert_eq!(none.data()["agency"]["qualifications"], json!([]));
}

#[tokio::test]
async fn a_vendor_manager_verifies_or_rejects_a_pending_qualification_once() {
    let app = spawn_app().await;
    let agency = fixtures::agency(&app.db, "ALPHA").await;
    let alpha = token(&app.db, Role::Agency, Some(agency.id)).await;
    let manager = token(&app.db, Role::VendorManager, None).await;
    let to_verify = submitted(&app, &alpha, submission(None)).await;
    let to_reject = submitted(&app, &alpha, submission(None)).await;

    let verified = review(&app, &manager, &to_verify, "VERIFY", None).await;
    let q = &verified.data()["reviewQualification"];
    assert_eq!(q["status"], "VERIFIED");
    assert_eq!(q["reviewedBy"], actor_name(&app, &manager).await);
    assert!(q["reviewedAt"].is_string());

    let unexplained = review(&app, &manager, &to_reject, "REJECT", None).await;
    assert_eq!(unexplained.code(), Some("BAD_USER_INPUT"));
    assert_eq!(field(&unexplained), Some("note"));
    let blank = review(&app, &manager, &to_reject, "REJECT", Some("  ")).await;
    assert_eq!(blank.code(), Some("BAD_USER_INPUT"));

    let rejected = review(
        &app,
        &manager,
        &to_reject,
        "REJECT",
        Some("the certificate names another company"),
    )
    .await;
    let q = &rejected.data()["reviewQualification"];
    assert_eq!(q["status"], "REJECTED");
    assert_eq!(q["reviewNote"], "the certificate names another company");

    for (id, decision) in [
        (&to_verify, "VERIFY"),
        (&to_verify, "REJECT"),
        (&to_reject, "VERIFY"),
    ] {
        let again = review(&app, &manager, id, decision, Some("second look")).await;
        assert_eq!(again.code(), Some("CONFLICT"), "{id} {decision}");
    }
    let missing = review(&app, &manager, "424242", "VERIFY", None).await;
    assert_eq!(missing.code(), Some("NOT_FOUND"));
}

#[tokio::test]
async fn nobody_reviews_a_qualification_they_submitted_or_their_own_agencys() {
    let app = spawn_app().await;
    let agency = fixtures::agency(&app.db, "ALPHA").await;
    let alpha = token(&app.db, Role::Agency, Some(agency.id)).await;
    let submitter = token(&app.db, Role::VendorManager, None).await;
    let colleague = token(&app.db, Role::VendorManager, None).await;

    let filed = submit(&app, &submitter, submission(Some(agency.id))).await;
    let q = &filed.data()["submitQualification"];
    assert_eq!(q["submittedBy"], actor_name(&app, &submitter).await);
    let id = q["id"].as_str().unwrap().to_owned();

    let own_review = review(&app, &submitter, &id, "VERIFY", None).await;
    assert_eq!(own_review.code(), Some("FORBIDDEN"));
    let agency_review = review(&app, &alpha, &id, "VERIFY", None).await;
    assert_eq!(agency_review.code(), Some("FORBIDDEN"));

    let by_agency = submitted(&app, &alpha, submission(None)).await;
    let self_review = review(&app, &alpha, &by_agency, "VERIFY", None).await;
    assert_eq!(self_review.code(), Some("FORBIDDEN"));

    let verified = review(&app, &colleague, &id, "VERIFY", None).await;
    assert_eq!(verified.data()["reviewQualification"]["status"], "VERIFIED");
    assert_eq!(
        verified.data()["reviewQualification"]["reviewedBy"],
        actor_name(&app, &colleague).await
    );
    let still_pending = app
        .admin(
            "query($id: ID!) { agency(id: $id) { qualifications { id status } } }",
            json!({ "id": agency.id.to_string() }),
        )
        .await;
    assert_eq!(
        still_pending.data()["agency"]["qualifications"],
        json!([{ "id": id, "status": "VERIFIED" }, { "id": by_agency, "status": "PENDING_REVIEW" }])
    );
}

#[tokio::test]
async fn a_revoked_qualification_stays_revoked() {
    let app = spawn_app().await;
    let agency = fixtures::agency(&app.db, "ALPHA").await;
    let alpha = token(&app.db, Role::Agency, Some(agency.id)).await;
    let manager = token(&app.db, Role::VendorManager, None).await;
    let verified = submitted(&app, &alpha, submission(None)).await;
    review(&app, &manager, &verified, "VERIFY", None)
        .await
        .data();
    let pending = submitted(&app, &alpha, submission(None)).await;

    let no_reason = revoke(&app, &manager, &verified, " ").await;
    assert_eq!(no_reason.code(), Some("BAD_USER_INPUT"));
    assert_eq!(field(&no_reason), Some("reason"));
    let by_agency = revoke(&app, &alpha, &verified, "we changed our mind").await;
    assert_eq!(by_agency.code(), Some("FORBIDDEN"));

    for id in [&verified, &pending] {
        let revoked = revoke(&app, &manager, id, "certificate withdrawn by BSI").await;
        let q = &revoked.data()["revokeQualification"];
        assert_eq!(q["status"], "REVOKED");
        assert_eq!(q["revocationReason"], "certificate withdrawn by BSI");

        let again = revoke(&app, &manager, id, "still withdrawn").await;
        assert_eq!(again.code(), Some("CONFLICT"));
    }
    let review_revoked = review(&app, &manager, &pending, "VERIFY", None).await;
    assert_eq!(review_revoked.code(), Some("CONFLICT"));
}

#[tokio::test]
async fn the_catalogue_lists_eight_types_and_grows_by_definition() {
    let app = spawn_app().await;
    let agency = fixtures::agency(&app.db, "ALPHA").await;
    let alpha = token(&app.db, Role::Agency, Some(agency.id)).await;

    let types = app
        .gql(
            Some(&alpha),
            "{ qualificationTypes { code name regionScoped } }",
            json!({}),
        )
        .await;
    let types = types.data()["qualificationTypes"]
        .as_array()
        .unwrap()
        .clone();
    let mut codes: Vec<&str> = types.iter().map(|t| t["code"].as_str().unwrap()).collect();
    codes.sort_unstable();
    let mut expected = CATALOGUE.to_vec();
    expected.sort_unstable();
    assert_eq!(codes, expected);
    let scoped: Vec<&str> = types
        .iter()
        .filter(|t| t["regionScoped"] == true)
        .map(|t| t["code"].as_str().unwrap())
        .collect();
    assert_eq!(scoped, vec!["COLLECTION_LICENSE"]);

    let fca = json!({ "code": "FCA_AUTHORISATION", "name": "FCA authorisation", "description": "Consumer credit debt collection permission", "regionScoped": true });
    let refused = app
        .gql(Some(&alpha), DEFINE_TYPE, json!({ "input": fca }))
        .await;
    assert_eq!(refused.code(), Some("FORBIDDEN"));
    let manager = token(&app.db, Role::VendorManager, None).await;
    let defined = app
        .gql(Some(&manager), DEFINE_TYPE, json!({ "input": fca }))
        .await;
    assert_eq!(defined.data()["defineQualificationType"], fca);
    let rescoped = app
        .gql(
            Some(&manager),
            DEFINE_TYPE,
            json!({ "input": with(fca.clone(), "regionScoped", json!(false)) }),
        )
        .await;
    assert_eq!(rescoped.code(), Some("CONFLICT"));

    let types = app
        .admin("{ qualificationTypes { code } }", json!({}))
        .await;
    let codes: Vec<&str> = types.data()["qualificationTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 9);
    assert!(codes.contains(&"FCA_AUTHORISATION"));

    let fca_filing = with(
        with(
            submission(None),
            "qualificationType",
            json!("FCA_AUTHORISATION"),
        ),
        "region",
        json!("UK"),
    );
    let filed = submit(&app, &alpha, fca_filing).await;
    assert_eq!(
        filed.data()["submitQualification"]["qualificationType"],
        "FCA_AUTHORISATION"
    );
}

#[tokio::test]
async fn requirements_start_with_the_defaults_and_can_be_added_and_lifted() {
    let app = spawn_app().await;
    let defaults = app.admin(REQUIREMENTS, json!({})).await;
    let defaults = defaults.data()["qualificationRequirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.as_object_mut().unwrap().remove("id");
            r
        })
        .collect::<Vec<_>>();
    assert_eq!(
        defaults,
        vec![
            json!({ "qualificationType": "COLLECTION_LICENSE", "kindOfWork": null, "region": null, "regionScoped": true, "maxAgeMonths": null, "active": true }),
            json!({ "qualificationType": "DATA_PROTECTION_CERT", "kindOfWork": null, "region": null, "regionScoped": false, "maxAgeMonths": null, "active": true }),
            json!({ "qualificationType": "LEGAL_PRACTICE_LICENSE", "kindOfWork": "LEGAL", "region": null, "regionScoped": false, "maxAgeMonths": null, "active": true }),
            json!({ "qualificationType": "ANNUAL_AUDIT", "kindOfWork": null, "region": null, "regionScoped": false, "maxAgeMonths": 12, "active": true }),
        ]
    );

    let manager = token(&app.db, Role::VendorManager, None).await;
    let pci = json!({ "qualificationType": "PCI_DSS", "kindOfWork": "DIGITAL", "region": "UK" });
    let added = app
        .gql(Some(&manager), SET_REQUIREMENT, json!({ "input": pci }))
        .await;
    let added = added.data()["setQualificationRequirement"].clone();
    assert_eq!(added["qualificationType"], "PCI_DSS");
    assert_eq!(added["kindOfWork"], "DIGITAL");
    assert_eq!(added["region"], "UK");
    assert_eq!(added["active"], true);
    let listed = app.admin(REQUIREMENTS, json!({})).await;
    let listed = listed.data()["qualificationRequirements"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(listed.len(), 5);
    assert_eq!(listed[4], added);

    let lifted = app
        .gql(
            Some(&manager),
            SET_REQUIREMENT,
            json!({ "input": with(pci.clone(), "required", json!(false)) }),
        )
        .await;
    let lifted = &lifted.data()["setQualificationRequirement"];
    assert_eq!(lifted["id"], added["id"], "the same requirement, lifted");
    assert_eq!(lifted["active"], false);
    let listed = app.admin(REQUIREMENTS, json!({})).await;
    let listed = listed.data()["qualificationRequirements"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(listed.len(), 5);
    assert_eq!(listed[4]["active"], false);

    let lift_default = app
        .gql(
            Some(&manager),
            SET_REQUIREMENT,
            json!({ "input": { "qualificationType": "DATA_PROTECTION_CERT", "required": false } }),
        )
        .await;
    assert_eq!(
        lift_default.data()["setQualificationRequirement"]["id"],
        listed[1]["id"]
    );
    assert_eq!(
        lift_default.data()["setQualificationRequirement"]["active"],
        false
    );

    for (input, expected) in [
        (
            json!({ "qualificationType": "FISHING_LICENSE" }),
            "qualificationType",
        ),
        (
            json!({ "qualificationType": "DATA_PROTECTION_CERT", "regionScoped": true }),
            "regionScoped",
        ),
        (
            json!({ "qualificationType": "ANNUAL_AUDIT", "maxAgeMonths": 0 }),
            "maxAgeMonths",
        ),
        (
            json!({ "qualificationType": "PCI_DSS", "region": "united kingdom" }),
            "region",
        ),
    ] {
        let refused = app
            .gql(Some(&manager), SET_REQUIREMENT, json!({ "input": input }))
            .await;
        assert_eq!(refused.code(), Some("BAD_USER_INPUT"), "{input}");
        assert_eq!(field(&refused), Some(expected), "{input}");
    }
    let alpha_agency = fixtures::agency(&app.db, "ALPHA").await;
    let alpha = token(&app.db, Role::Agency, Some(alpha_agency.id)).await;
    let by_agency = app
        .gql(Some(&alpha), SET_REQUIREMENT, json!({ "input": pci }))
        .await;
    assert_eq!(by_agency.code(), Some("FORBIDDEN"));
}
