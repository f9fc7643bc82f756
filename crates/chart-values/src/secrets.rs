//! The secrets the chart takes from whoever deploys it, in one table: where the kit reads each
//! one, the values key it sets, its key in a pre-created Secret, and how long it must be. The
//! deploy (which hands them to helm), preflight (which says which are missing) and the values
//! check (which refuses a short one) all read this table; a test holds it to the rendered chart.

/// One secret the chart takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecretInput {
    /// What people call it (`JWT secret`).
    pub name: &'static str,
    /// The environment variable the kit reads it from (`JWT_SECRET`).
    pub env: &'static str,
    /// The values key it sets (`secrets.jwtSecret`).
    pub values_key: &'static str,
    /// Its key in the Secret `secrets.existingSecret` names, when the chart reads it from
    /// there.
    pub existing_secret_key: Option<&'static str>,
    /// The fewest bytes it may have (0: any).
    pub min_bytes: usize,
}

/// Signs login tokens; the backend refuses to start with fewer than 32 bytes.
pub const JWT_SECRET: SecretInput = SecretInput {
    name: "JWT secret",
    env: "JWT_SECRET",
    values_key: "secrets.jwtSecret",
    existing_secret_key: Some("jwt-secret"),
    min_bytes: 32,
};

/// The LLM agent's key (`config.agent` `llm`, or `auto` to use it when present).
pub const OPENAI_API_KEY: SecretInput = SecretInput {
    name: "OpenAI API key",
    env: "OPENAI_API_KEY",
    values_key: "secrets.openaiApiKey",
    existing_secret_key: Some("openai-api-key"),
    min_bytes: 0,
};

/// The embedded PostgreSQL's password.
pub const POSTGRES_PASSWORD: SecretInput = SecretInput {
    name: "PostgreSQL password",
    env: "POSTGRES_PASSWORD",
    values_key: "postgresql.auth.password",
    existing_secret_key: Some("postgres-password"),
    min_bytes: 0,
};

/// An external database's URL (`postgresql.enabled=false`), credentials included.
pub const DATABASE_URL: SecretInput = SecretInput {
    name: "database URL",
    env: "DATABASE_URL",
    values_key: "externalDatabase.url",
    existing_secret_key: None,
    min_bytes: 0,
};

/// Every secret the chart takes.
pub const SECRET_INPUTS: [SecretInput; 4] =
    [JWT_SECRET, OPENAI_API_KEY, POSTGRES_PASSWORD, DATABASE_URL];
