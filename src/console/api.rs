//! The console is a client of the GraphQL API: a page runs an operation document of
//! `graphql/operations/` in-process against the schema, as the signed-in person, and reads
//! the typed answer `graphql_client` generates for that document. Authorization has one
//! path, and a page can show only what the API would answer over HTTP.

use agencyflow_graphql::AppSchema;
use agencyflow_graphql::api::{Auth, Loaders, RequestMeta};
use agencyflow_graphql::domain::Actor;
use async_graphql::{UploadValue, Value, Variables};
use chrono::{DateTime, Utc};
use graphql_client::GraphQLQuery;
use sea_orm::DatabaseConnection;

use crate::i18n::{Language, Tr};

/// The scalars of `graphql/schema.graphql` as the generated types name them; a module
/// that derives `GraphQLQuery` brings them in with `use crate::console::api::scalars::*`.
pub mod scalars {
    pub type DateTime = chrono::DateTime<chrono::Utc>;
    pub type NaiveDate = chrono::NaiveDate;
    pub type Decimal = rust_decimal::Decimal;
    #[allow(clippy::upper_case_acronyms)]
    pub type JSON = serde_json::Value;
    /// A file is attached to the request beside the variables (`Api::run_with_file`).
    pub type Upload = ();
}

/// One error of an answer: its words, its `extensions.code`, and the input field it is
/// about (from `extensions.field`), for a form to show beside that field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub message: String,
    pub code: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: "INTERNAL".to_owned(),
            field: None,
        }
    }
}

/// Every error of one answer (at least one).
#[derive(Clone, Debug)]
pub struct ApiErrors(pub Vec<ApiError>);

impl ApiErrors {
    /// The first error, which decides how a page answers (NOT_FOUND, FORBIDDEN, …).
    pub fn first(&self) -> &ApiError {
        &self.0[0]
    }

    /// The message about `field`, if the API named it.
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field.as_deref() == Some(field))
            .map(|e| e.message.as_str())
    }

    /// The messages no field of the form shows.
    pub fn general<'a>(&'a self, fields: &'a [&str]) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(|e| !e.field.as_deref().is_some_and(|f| fields.contains(&f)))
            .map(|e| e.message.as_str())
    }
}

/// A file sent with an operation, as a multipart request would carry it.
pub struct File {
    /// The variable that holds it, e.g. `file`.
    pub variable: &'static str,
    pub name: String,
    pub content_type: Option<String>,
    pub content: std::fs::File,
}

/// The API as one signed-in person calls it, at one instant.
#[derive(Clone)]
pub struct Api {
    pub(super) schema: AppSchema,
    pub(super) db: DatabaseConnection,
    pub(super) actor: Actor,
    pub(super) request_id: String,
    pub(super) now: DateTime<Utc>,
    /// The language the person reads, for the words of the API's errors.
    pub(super) language: Language,
}

impl Api {
    /// Runs operation `Q` with `variables`.
    pub async fn run<Q: GraphQLQuery>(
        &self,
        variables: Q::Variables,
    ) -> Result<Q::ResponseData, ApiErrors> {
        self.execute::<Q>(variables, None).await
    }

    /// Runs operation `Q` with a file in its `Upload` variable.
    pub async fn run_with_file<Q: GraphQLQuery>(
        &self,
        variables: Q::Variables,
        file: File,
    ) -> Result<Q::ResponseData, ApiErrors> {
        self.execute::<Q>(variables, Some(file)).await
    }

    async fn execute<Q: GraphQLQuery>(
        &self,
        variables: Q::Variables,
        file: Option<File>,
    ) -> Result<Q::ResponseData, ApiErrors> {
        let body = Q::build_query(variables);
        let variables = serde_json::to_value(&body.variables)
            .map_err(|err| ApiErrors(vec![ApiError::internal(format!("variables: {err}"))]))?;
        let mut request = async_graphql::Request::new(body.query)
            .operation_name(body.operation_name)
            .variables(Variables::from_json(variables))
            .data(RequestMeta {
                auth: Auth::Authenticated(self.actor.clone()),
                request_id: self.request_id.clone(),
                now: self.now,
            })
            .data(Loaders::new(&self.db));
        if let Some(file) = file {
            request.set_upload(
                &format!("variables.{}", file.variable),
                UploadValue {
                    filename: file.name,
                    content_type: file.content_type,
                    content: file.content,
                },
            );
        }
        let response = self.schema.execute(request).await;
        if !response.errors.is_empty() {
            let tr = Tr::new(self.language);
            return Err(ApiErrors(
                response
                    .errors
                    .iter()
                    .map(|e| in_words(&tr, error_of(e)))
                    .collect(),
            ));
        }
        let data = response
            .data
            .into_json()
            .map_err(|err| ApiErrors(vec![ApiError::internal(format!("answer: {err}"))]))?;
        serde_json::from_value(data).map_err(|err| {
            tracing::error!(operation = body.operation_name, error = %err, "an answer does not fit its document's types");
            ApiErrors(vec![ApiError::internal(format!(
                "the answer to {} does not fit its types",
                body.operation_name
            ))])
        })
    }
}

/// The API writes its errors in English. For a person who reads another language, the
/// error opens with what kind of refusal it is, in their words, the API's own detail after.
fn in_words(tr: &Tr, mut error: ApiError) -> ApiError {
    if tr.language == Language::English {
        return error;
    }
    let kind = match error.code.as_str() {
        "BAD_USER_INPUT" => "api-error-bad-input",
        "FORBIDDEN" => "api-error-forbidden",
        "NOT_FOUND" => "api-error-not-found",
        "CONFLICT" => "api-error-conflict",
        "UNAUTHENTICATED" | "MFA_REQUIRED" => "api-error-sign-in",
        "INTERNAL" => "api-error-internal",
        _ => "api-error-other",
    };
    error.message = format!("{}（{}）", tr.t(kind), error.message);
    error
}

fn error_of(error: &async_graphql::ServerError) -> ApiError {
    let extension = |name: &str| match error.extensions.as_ref().and_then(|e| e.get(name)) {
        Some(Value::String(value)) => Some(value.clone()),
        _ => None,
    };
    ApiError {
        message: error.message.clone(),
        code: extension("code").unwrap_or_else(|| "BAD_USER_INPUT".to_owned()),
        field: extension("field"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(code: &str) -> ApiError {
        ApiError {
            message: "the current password is wrong".to_owned(),
            code: code.to_owned(),
            field: Some("currentPassword".to_owned()),
        }
    }

    #[test]
    fn an_error_opens_with_its_kind_in_the_readers_language() {
        let chinese = in_words(
            &Tr::new(Language::SimplifiedChinese),
            refusal("BAD_USER_INPUT"),
        );
        assert_eq!(chinese.message, "输入有误（the current password is wrong）");
        assert_eq!(chinese.field.as_deref(), Some("currentPassword"));
        let english = in_words(&Tr::new(Language::English), refusal("BAD_USER_INPUT"));
        assert_eq!(english.message, "the current password is wrong");
        let forbidden = in_words(&Tr::new(Language::SimplifiedChinese), refusal("FORBIDDEN"));
        assert!(forbidden.message.starts_with("您的角色不能执行此操作"));
    }
}
