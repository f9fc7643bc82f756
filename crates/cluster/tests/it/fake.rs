//! The shared fake tools ([`e2e::fake`]), as the [`cluster::Tools`] these tests connect with.

pub use e2e::fake::{Fakes, Rule, fail, reply, shell};
pub use e2e::repo_root;

use cluster::Tools;

/// Tools pointing at the fakes written so far (helm, when not faked, is the real one).
pub fn tools(fakes: &Fakes) -> Tools {
    Tools::located(|name| fakes.program(name))
}

/// The real helm of the given major, as `just` finds it; missing, the test fails saying so.
pub fn real_helm(major: u8) -> String {
    let name = if major == 3 { "helm3" } else { "helm" };
    e2e::tool(name).display().to_string()
}
