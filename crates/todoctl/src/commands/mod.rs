//! One module per subcommand; each parses its flags and calls one library crate.

pub mod chart;
pub mod cluster;
pub mod deploy;
pub mod images;
pub mod preflight;
pub mod values;
pub mod verify;
