//! The few chart values preflight needs (HPA on, Ingress on, which secrets), read from the
//! values `chart-values` merges exactly as Helm does.

use std::path::Path;

use chart_values::{DATABASE_URL, JWT_SECRET, OPENAI_API_KEY, POSTGRES_PASSWORD, SecretInput};
use serde_json::Value;

use crate::Error;
use crate::config::{Need, Secret, SecretSource};

/// What a chart profile needs from the machine and the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileNeeds {
    /// Some component has `autoscaling.enabled`.
    pub hpa: bool,
    /// `ingress.enabled`.
    pub ingress: bool,
    /// The secrets it needs.
    pub secrets: Vec<Secret>,
}

impl ProfileNeeds {
    /// Reads `values.yaml` and, unless `profile` is `default`, `values-<profile>.yaml` from
    /// `chart_dir`.
    pub fn read(chart_dir: &Path, profile: chart_values::Profile) -> Result<ProfileNeeds, Error> {
        let inputs = chart_values::Inputs::new(chart_dir).profile(profile);
        let merged = chart_values::merge(&inputs)?;
        let origin = chart_dir.join("values.yaml").display().to_string();
        ProfileNeeds::from_values(&merged.values, &origin).map_err(|e| match e {
            // Blame the file and line that set the key.
            Error::ValuesKey {
                key,
                expected,
                path,
            } => Error::ValuesKey {
                path: merged
                    .origin(&chart_values::KeyPath::dotted(&key))
                    .map_or(path, ToString::to_string),
                key,
                expected,
            },
            e => e,
        })
    }

    /// The needs of already merged values (e.g. `chart_values::merge(…)?.values`); `origin`
    /// names them in errors.
    pub fn from_values(values: &Value, origin: &str) -> Result<ProfileNeeds, Error> {
        let get = Lookup { values, origin };
        let hpa =
            get.bool("backend.autoscaling.enabled")? || get.bool("frontend.autoscaling.enabled")?;
        let ingress = get.bool("ingress.enabled")?;
        let existing = get.str("secrets.existingSecret")?;
        let agent = get.str("config.agent")?;
        let mut secrets = Vec::new();

        let create_app_secret = |key: &str| {
            format!(
                "kubectl -n todo-chatbot create secret generic {existing} --from-file={key}=./{key}.txt"
            )
        };
        // Where an app secret comes from: the kit's environment, or the Secret the user made.
        let source = |input: SecretInput| match input.existing_secret_key {
            Some(key) if !existing.is_empty() => SecretSource::Cluster {
                secret: existing.clone(),
                key: key.to_owned(),
                create: create_app_secret(key),
            },
            _ => SecretSource::Env {
                var: input.env.to_owned(),
            },
        };
        let (need, min_len, why) = if existing.is_empty() {
            (Need::Generated, JWT_SECRET.min_bytes, "signs login tokens")
        } else {
            (Need::Required, 0, "secrets.existingSecret names it")
        };
        secrets.push(Secret {
            name: JWT_SECRET.name.to_owned(),
            source: source(JWT_SECRET),
            need,
            min_len,
            why: why.to_owned(),
        });

        let openai_need = match agent.as_str() {
            "llm" => Some((Need::Required, "config.agent is llm")),
            "auto" => Some((
                Need::Optional,
                "config.agent is auto: without a key the built-in agent answers",
            )),
            _ => None,
        };
        if let Some((need, why)) = openai_need {
            secrets.push(Secret {
                name: OPENAI_API_KEY.name.to_owned(),
                source: source(OPENAI_API_KEY),
                need,
                min_len: 0,
                why: why.to_owned(),
            });
        }

        // The chart embeds PostgreSQL unless told not to.
        let embedded_database = get.bool_or("postgresql.enabled", true)?;
        if embedded_database && !existing.is_empty() {
            secrets.push(Secret {
                name: POSTGRES_PASSWORD.name.to_owned(),
                source: source(POSTGRES_PASSWORD),
                need: Need::Required,
                min_len: 0,
                why: "secrets.existingSecret names it and the embedded PostgreSQL reads it"
                    .to_owned(),
            });
        }
        if !embedded_database {
            let db_secret = get.str("externalDatabase.existingSecret")?;
            if !db_secret.is_empty() {
                let key = get.str("externalDatabase.existingSecretKey")?;
                let key = if key.is_empty() {
                    "database-url".to_owned()
                } else {
                    key
                };
                secrets.push(Secret {
                    name: DATABASE_URL.name.to_owned(),
                    source: SecretSource::Cluster {
                        create: format!(
                            "kubectl -n todo-chatbot create secret generic {db_secret} --from-file={key}=./database-url.txt"
                        ),
                        secret: db_secret,
                        key,
                    },
                    need: Need::Required,
                    min_len: 0,
                    why: "postgresql.enabled is false: the external database".to_owned(),
                });
            } else if get.str("externalDatabase.url")?.is_empty() {
                secrets.push(Secret {
                    name: DATABASE_URL.name.to_owned(),
                    source: SecretSource::Env {
                        var: DATABASE_URL.env.to_owned(),
                    },
                    need: Need::Required,
                    min_len: 0,
                    why: "postgresql.enabled is false and no externalDatabase is set".to_owned(),
                });
            }
        }

        if ingress && get.bool("ingress.tls.enabled")? {
            let tls = get.str("ingress.tls.secretName")?;
            if !tls.is_empty() {
                secrets.push(Secret {
                    name: "TLS certificate".to_owned(),
                    source: SecretSource::Cluster {
                        create: format!(
                            "kubectl -n todo-chatbot create secret tls {tls} --cert=tls.crt --key=tls.key"
                        ),
                        secret: tls,
                        key: "tls.crt".to_owned(),
                    },
                    need: Need::Required,
                    min_len: 0,
                    why: "ingress.tls.enabled".to_owned(),
                });
            }
        }
        Ok(ProfileNeeds {
            hpa,
            ingress,
            secrets,
        })
    }
}

struct Lookup<'a> {
    values: &'a Value,
    origin: &'a str,
}

impl Lookup<'_> {
    fn find(&self, key: &str) -> Option<&Value> {
        key.split('.')
            .try_fold(self.values, |v, part| v.get(part))
            .filter(|v| !v.is_null())
    }

    fn bool(&self, key: &str) -> Result<bool, Error> {
        self.bool_or(key, false)
    }

    fn bool_or(&self, key: &str, default: bool) -> Result<bool, Error> {
        match self.find(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(self.wrong(key, "true or false")),
        }
    }

    fn str(&self, key: &str) -> Result<String, Error> {
        match self.find(key) {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(self.wrong(key, "a string")),
        }
    }

    fn wrong(&self, key: &str, expected: &'static str) -> Error {
        Error::ValuesKey {
            path: self.origin.to_owned(),
            key: key.to_owned(),
            expected,
        }
    }
}
