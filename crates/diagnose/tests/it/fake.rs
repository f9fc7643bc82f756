//! The shared fake tools ([`e2e::fake`]), as the [`cluster::Tools`] these tests connect with.

pub use e2e::fake::{Fakes, Rule, fail, reply, shell};

use cluster::Tools;

/// Tools pointing at the fakes written so far (helm, when not faked, is the real one).
pub fn tools(fakes: &Fakes) -> Tools {
    Tools::located(|name| fakes.program(name))
}
