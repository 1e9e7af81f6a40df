//! People: users, passwords, sessions, multi-factor sign-in.

pub mod totp;
