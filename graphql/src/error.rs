//! One error type for every client-visible outcome. Each maps to a stable
//! `extensions.code`; internal causes are logged and never shown to a client.

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error(
        "your role must use multi-factor sign-in: enrol first (startMfaEnrolment, then confirmMfaEnrolment)"
    )]
    MfaRequired,
    #[error("{message}")]
    BadUserInput {
        message: String,
        field: Option<String>,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("internal error")]
    Db(#[from] DbErr),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        Self::NotFound(format!("{what} {id} not found"))
    }

    pub fn bad_input(field: &str, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "NOT_FOUND",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::MfaRequired => "MFA_REQUIRED",
            Self::BadUserInput { .. } => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::Db(err) if is_unique_violation(err) => "CONFLICT",
            Self::Db(_) | Self::Internal(_) => "INTERNAL",
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::Db(err) if is_unique_violation(err) => {
                "a record with the same unique key already exists".to_owned()
            }
            other => other.to_string(),
        }
    }
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        let code = self.code();
        if code == "INTERNAL" {
            let cause: &dyn std::error::Error = match self {
                Self::Db(err) => err,
                Self::Internal(err) => err.as_ref(),
                _ => self,
            };
            tracing::error!(error = %display_chain(cause), "internal error");
        }
        let field = match self {
            Self::BadUserInput { field, .. } => field.clone(),
            _ => None,
        };
        async_graphql::Error::new(self.public_message()).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(field) = field {
                ext.set("field", field);
            }
        })
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.extend()
    }
}

/// The error and its causes, each after a colon. A cause whose message the error above
/// it already quotes (as sea-orm's and sqlx's errors quote the database's) is left out.
pub fn display_chain(err: &dyn std::error::Error) -> String {
    let mut above = err.to_string();
    let mut text = above.clone();
    let mut source = err.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !above.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        above = message;
        source = cause.source();
    }
    text
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Database};

    use super::*;

    #[tokio::test]
    async fn a_database_error_is_told_once() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        let err = db
            .execute_unprepared("SELECT missing FROM nowhere")
            .await
            .unwrap_err();
        let chain = display_chain(&err);
        assert_eq!(chain.matches("no such table").count(), 1, "{chain}");
        assert!(chain.contains("nowhere"), "{chain}");
    }

    #[test]
    fn each_new_cause_is_told_after_a_colon() {
        let err = anyhow::anyhow!("connection refused")
            .context("reading the ledger")
            .context("importing");
        assert_eq!(
            display_chain(err.as_ref()),
            "importing: reading the ledger: connection refused"
        );
    }
}
