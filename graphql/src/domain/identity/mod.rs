//! People: users, passwords, sessions, multi-factor sign-in, and the integrations that act
//! for systems.

pub mod credentials;
pub mod integrations;
pub mod mfa;
pub mod password;
pub mod records;
pub mod sessions;
pub mod sign_in;
pub mod sso;
pub mod throttle;
pub mod totp;
pub mod users;

use std::sync::Arc;

use mfa::MfaPolicy;
use password::Passwords;
use sessions::SessionPolicy;
use throttle::ThrottlePolicy;

/// Everything identity workflows read from the configuration, shared by the HTTP layer and
/// the schema.
#[derive(Clone)]
pub struct Identity {
    pub passwords: Arc<Passwords>,
    pub sessions: SessionPolicy,
    pub mfa: MfaPolicy,
    pub throttle: ThrottlePolicy,
    /// How long a set-password link works.
    pub reset_lifetime: chrono::Duration,
}
