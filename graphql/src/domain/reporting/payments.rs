//! `reportPayments`: placeholder replaced below.
