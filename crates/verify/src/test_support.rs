//! What the unit tests of `local` and `live` share: the workspace, the PostgreSQL they make
//! databases on, and the services built once per test run.

use std::path::PathBuf;
use std::sync::OnceLock;

pub fn workspace() -> PathBuf {
    e2e::repo_root()
}

/// The admin URL of the test PostgreSQL, which `scripts/test-env.sh` exports; missing, the test
/// fails saying so rather than guessing a server.
pub fn admin_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| panic!("DATABASE_URL is unset: run the tests through `just test`"))
}

/// The workspace's debug binaries of todo-api and todo-web, built once per test run.
pub fn binaries() -> (PathBuf, PathBuf) {
    static BUILT: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let crate::ServiceBinaries { api, web } =
                crate::build_services(&workspace(), false, |_| {})
                    .unwrap_or_else(|e| panic!("building the services failed: {e}"));
            assert!(
                api.is_file() && web.is_file(),
                "{} / {} missing",
                api.display(),
                web.display()
            );
            (api, web)
        })
        .clone()
}
